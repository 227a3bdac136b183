//! A seed-S4 app (the Ping++ app's REST API, `/work/shared/seeds/004_*`) against the real
//! edge (issue 17): written from the seed text alone, with raw JSON paths and no
//! `kassa-shared` type, it walks the nine routes the way the app does — the pay record,
//! its status (GET, then POST of the client's result), `checkInfo`, the pay password, the
//! security questions, the withdrawal account (GET, POST), `checkInfo` again and a
//! withdrawal — and reads every field of every answer the seed shows: name, JSON type,
//! quoting (`code` an int, 900 on success; `info` of the pay record with its 17 members,
//! `amount` / `money` ints, `charge` an object, the ids and times strings; `checkInfo`'s
//! three booleans; `withdrawInfo`'s `{type, id, name}` strings).
//!
//! What the seed leaves to the implementation, as Kassa decided it (SPEC 3.3, 4.5): the
//! `auth` header is the order's `client_secret` for `/rest/pay/:pay_id` and a user token
//! for the wallet routes; passwords, answers and the SMS code travel sealed (the seed's
//! "加密后") with the key the edge publishes; `withdrawInfo` needs an SMS code from
//! Kassa's `POST /rest/pay/smscode`.
//!
//! Every answer is snapshot (`snapshots/seed_client_s4__*.snap`), volatile values
//! redacted.

#![allow(clippy::unwrap_used, clippy::panic)]

use base64::Engine as _;
use kassa_tests::edge_client::{dev_outbox_code, sealed_plaintext};
use kassa_tests::harness::{agent, read_json, Edge, TempDir, MERCHANT_KEY};
use rsa::{BigUint, Oaep, RsaPublicKey};
use serde_json::{json, Value};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The members of the seed's pay record `info`, sorted.
const INFO: [&str; 17] = [
    "amount",
    "channel",
    "charge",
    "client_status",
    "createdAt",
    "currency",
    "desc",
    "expert_id",
    "money",
    "note_id",
    "o_id",
    "pay_id",
    "status",
    "subject",
    "type",
    "updatedAt",
    "userID",
];

fn sorted_keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

/// An ISO 8601 UTC time with milliseconds, as `2016-06-23T04:46:38.190Z`.
fn is_iso_ms(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
}

/// `plain` as the seed's "加密后" field: Kassa's sealed plaintext under RSA-OAEP-SHA256
/// with the published key (SPEC 4.5), base64.
fn sealed(key: &RsaPublicKey, plain: &str) -> String {
    let plaintext = sealed_plaintext(plain);
    let mut rng = rand::rngs::OsRng;
    let padding = Oaep::new::<sha2::Sha256>();
    B64.encode(
        key.encrypt(&mut rng, padding, plaintext.as_bytes())
            .unwrap(),
    )
}

#[test]
fn a_seed_s4_app_walks_every_route_and_reads_every_field() {
    let dir = TempDir::new("seed-s4").unwrap();
    let edge = Edge::start_with(
        dir.path(),
        &[
            ("KASSA_RISK_CODE_SEND_MIN_GAP_SECS", "0"),
            ("KASSA_RISK_CODE_SEND_PER_HOUR", "100"),
        ],
    )
    .unwrap();
    let http = agent();
    let url = edge.url();
    let merchant = format!("Bearer {MERCHANT_KEY}");

    // The merchant's backend: the appointment's pay order and the app user's token.
    let (s, o) = read_json(
        http.post(format!("{url}/v1/orders"))
            .header("Authorization", &merchant)
            .send_json(json!({
                "channel": "pingpp", "amount": 12356, "currency": "CNY",
                "description": "支付预约订单_2016-06-23",
                "user": {"id": "54f3b5fec08b6f54100c1cbe", "mobile": "18600000001"},
                "metadata": {"expert_id": "54f3b5fec08b6f54100c1cbf"},
            })),
    )
    .unwrap();
    assert_eq!(s, 201, "{o} / {}", edge.log_tail());
    let pay_id = o["id"].as_str().unwrap().to_owned();
    let auth = o["client_secret"].as_str().unwrap().to_owned();
    let (s, t) = read_json(
        http.post(format!("{url}/v1/users/54f3b5fec08b6f54100c1cbe/tokens"))
            .header("Authorization", &merchant)
            .send_json(json!({})),
    )
    .unwrap();
    assert_eq!(s, 201, "{t}");
    let wallet = t["token"].as_str().unwrap().to_owned();

    // The app's requests, with the seed's headers.
    let call = |method: &str, path: &str, auth: &str, body: Option<&Value>| {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{url}/rest/pay/{path}"))
            .header("Content-Type", "application/json")
            .header("client", "1.2.3.4")
            .header("platform", "android")
            .header("channel", "TencentAPP")
            .header("auth", auth)
            .body(body.map(Value::to_string).unwrap_or_default())
            .unwrap();
        let (s, v) = read_json(http.run(request)).unwrap();
        assert_eq!(s, 200, "{method} {path}: {v}");
        assert_eq!(v["code"].as_u64(), Some(900), "{method} {path}: {v}");
        v
    };
    let ack = json!({"code": 900});

    // §1 the pay record: every member, with the seed's JSON types.
    let pay = call("GET", &pay_id, &auth, None);
    assert_eq!(sorted_keys(&pay), ["code", "info"], "{pay}");
    let info = &pay["info"];
    assert_eq!(sorted_keys(info), INFO, "{pay}");
    let string = |name: &str| {
        info[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: not a string: {pay}"))
    };
    assert!(is_iso_ms(string("updatedAt")), "{pay}");
    assert!(is_iso_ms(string("createdAt")), "{pay}");
    assert_eq!(
        string("o_id"),
        pay_id,
        "the appointment order is the pay order"
    );
    assert_eq!(string("note_id"), "", "an order, not a note");
    assert_eq!(string("expert_id"), "54f3b5fec08b6f54100c1cbf");
    assert_eq!(string("userID"), "54f3b5fec08b6f54100c1cbe");
    assert_eq!(
        info["amount"].as_u64(),
        Some(12356),
        "amount: an int: {pay}"
    );
    assert_eq!(
        info["money"].as_u64(),
        Some(0),
        "money: an int, nothing paid yet"
    );
    assert!(info["charge"].is_object(), "charge: an object: {pay}");
    assert_eq!(string("desc"), "支付预约订单_2016-06-23");
    assert_eq!(string("client_status"), "pending");
    assert_eq!(string("status"), "pending");
    assert_eq!(string("subject"), "支付预约订单_2016-06-23");
    assert_eq!(string("currency"), "cny");
    assert!(!string("channel").is_empty());
    assert_eq!(string("type"), "order");
    assert_eq!(string("pay_id"), pay_id);

    // §2 / §3 the status, and the client's result (stored, the real status unmoved).
    let status = call("GET", &format!("{pay_id}/status"), &auth, None);
    assert_eq!(
        status,
        json!({"code": 900, "status": "pending", "client_status": "pending"})
    );
    let posted = call(
        "POST",
        &format!("{pay_id}/status"),
        &auth,
        Some(&json!({"status": "success"})),
    );
    assert_eq!(posted, ack);
    let status_after = call("GET", &format!("{pay_id}/status"), &auth, None);
    assert_eq!(status_after["client_status"], "success");
    assert_eq!(status_after["status"], "pending");

    // §9 nothing set yet: three booleans.
    let check_before = call("GET", "checkInfo", &wallet, None);
    assert_eq!(
        check_before,
        json!({"code": 900, "passwd": false, "questions": false, "withdraw": false})
    );

    // §5 / §6 the pay password and the security questions, sealed.
    let (s, jwks) =
        read_json(http.get(format!("{url}/.well-known/kassa-key.json")).call()).unwrap();
    assert_eq!(s, 200, "{jwks}");
    let b64url = |f: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jwks["keys"][0][f].as_str().unwrap())
            .unwrap()
    };
    let key = RsaPublicKey::new(
        BigUint::from_bytes_be(&b64url("n")),
        BigUint::from_bytes_be(&b64url("e")),
    )
    .unwrap();
    let seal = |plain: &str| sealed(&key, plain);
    let passwd = call(
        "POST",
        "passwd",
        &wallet,
        Some(&json!({"passwd": seal("135790")})),
    );
    assert_eq!(passwd, ack);
    let question = call(
        "POST",
        "question",
        &wallet,
        Some(&json!({
            "answer1": seal("上海"), "answer2": seal("blue"), "answer3": seal("7"),
            "passwd": seal("135790"),
        })),
    );
    assert_eq!(question, ack);

    // §8 / §7 the withdrawal account: empty strings, then set with an SMS code.
    let account_before = call("GET", "withdrawInfo", &wallet, None);
    assert_eq!(
        account_before,
        json!({"code": 900, "info": {"type": "alipay", "id": "", "name": ""}})
    );
    call("POST", "smscode", &wallet, Some(&json!({})));
    let sms = dev_outbox_code(&http, &url, &pay_id, "s4_withdraw_info").unwrap();
    let set = call(
        "POST",
        "withdrawInfo",
        &wallet,
        Some(&json!({
            "smscode": seal(&sms), "type": "alipay", "id": "zhang@example.com",
            "name": "Zhang", "passwd": seal("135790"),
        })),
    );
    assert_eq!(set, ack);
    let account = call("GET", "withdrawInfo", &wallet, None);
    assert_eq!(
        account,
        json!({"code": 900, "info": {"type": "alipay", "id": "zhang@example.com", "name": "Zhang"}})
    );
    let check_after = call("GET", "checkInfo", &wallet, None);
    assert_eq!(
        check_after,
        json!({"code": 900, "passwd": true, "questions": true, "withdraw": true})
    );

    // §4 a withdrawal: `amount` a string of fen, as the seed sends it.
    let withdrawn = call(
        "POST",
        "withdraw",
        &wallet,
        Some(&json!({"passwd": seal("135790"), "amount": "1000"})),
    );
    assert_eq!(withdrawn, ack);

    // Snapshots, volatile values redacted.
    insta::assert_json_snapshot!("pay_info", pay, {
        ".info.updatedAt" => "[time]",
        ".info.createdAt" => "[time]",
        ".info.o_id" => "[pay_id]",
        ".info.pay_id" => "[pay_id]",
    });
    insta::assert_json_snapshot!("status", status);
    insta::assert_json_snapshot!("status_post", posted);
    insta::assert_json_snapshot!("status_after_post", status_after);
    insta::assert_json_snapshot!("check_info_before", check_before);
    insta::assert_json_snapshot!("passwd", passwd);
    insta::assert_json_snapshot!("question", question);
    insta::assert_json_snapshot!("withdraw_info_before", account_before);
    insta::assert_json_snapshot!("withdraw_info_post", set);
    insta::assert_json_snapshot!("withdraw_info", account);
    insta::assert_json_snapshot!("check_info_after", check_after);
    insta::assert_json_snapshot!("withdraw", withdrawn);
}
