//! The S4 REST surface under a real `wrangler dev` (seed S4, SPEC 3.3, 4.5): the `auth`
//! header (the order's `client_secret` for the pay record and `client_status` — stored,
//! shown, never trusted — and a user token from `POST /v1/users/:id/tokens` for the
//! wallet settings), with fields encrypted here with the `rsa` crate's RSA-OAEP-SHA256
//! against the JWK the edge publishes. Success paths and
//! each refusal — bad ciphertext, wrong password, missing prerequisites, bad SMS code,
//! the monthly withdrawal limit — with nothing changed on refusal.

#![allow(clippy::unwrap_used, clippy::panic)]

use base64::Engine as _;
use kassa_tests::edge_client::{merchant_order, sealed_plaintext};
use std::time::{Duration, Instant};

use kassa_tests::harness::{agent, read_json, Edge, TempDir, MERCHANT_KEY, WEBHOOK_SECRET};
use kassa_tests::sandbox::merchant::Received;
use kassa_tests::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use rsa::{BigUint, Oaep, RsaPublicKey};
use serde_json::{json, Value};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn public_key(jwks: &Value) -> RsaPublicKey {
    let k = &jwks["keys"][0];
    let n = B64URL.decode(k["n"].as_str().unwrap()).unwrap();
    let e = B64URL.decode(k["e"].as_str().unwrap()).unwrap();
    RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).unwrap()
}

/// The `withdrawal.requested` webhooks the sandbox's merchant receiver got, once at
/// least `n` arrived (30 s at most).
fn withdrawal_hooks(sandbox: &SandboxHandle, n: usize) -> Vec<Received> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got: Vec<Received> = sandbox.state().with(|i| i.merchant.received.clone());
        let hooks: Vec<Received> = got
            .into_iter()
            .filter(|r| r.kind.as_deref() == Some("withdrawal.requested"))
            .collect();
        if hooks.len() >= n || Instant::now() > deadline {
            return hooks;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn s4_rest_surface() {
    // The sandbox's merchant receiver verifies `Kassa-Signature` on what it gets.
    let mut config = SandboxConfig::for_tests().unwrap();
    config.merchant.webhook_secret = WEBHOOK_SECRET.into();
    let sandbox = Sandbox::start(config).unwrap();
    let hook_url = format!("{}/merchant/webhooks", sandbox.url());
    let dir = TempDir::new("edge-s4").unwrap();
    let edge = Edge::start_with(
        dir.path(),
        &[
            ("KASSA_RISK_CODE_SEND_MIN_GAP_SECS", "0"),
            ("KASSA_RISK_CODE_SEND_PER_HOUR", "100"),
            ("KASSA_WEBHOOK_URL", &hook_url),
            ("KASSA_WEBHOOK_BACKOFF_MS", "200"),
        ],
    )
    .unwrap();
    let http = agent();
    let url = edge.url();
    let merchant = format!("Bearer {MERCHANT_KEY}");

    let (s, jwks) =
        read_json(http.get(format!("{url}/.well-known/kassa-key.json")).call()).unwrap();
    assert_eq!(s, 200, "{jwks}");
    let key = public_key(&jwks);
    // Sealed as the widget seals: `{v, ts, n}` (issue 14), fresh each call.
    let enc = |plain: &str| {
        let ct = key
            .encrypt(
                &mut rand::rngs::OsRng,
                Oaep::new::<sha2::Sha256>(),
                sealed_plaintext(plain).as_bytes(),
            )
            .unwrap();
        B64.encode(ct)
    };

    let create = |user: &str| {
        let (s, o) = read_json(
            http.post(format!("{url}/v1/orders"))
                .header("Authorization", &merchant)
                .send_json(json!({
                    "channel": "pingpp", "amount": 12356, "currency": "CNY",
                    "description": "支付预约订单", "user": {"id": user, "mobile": "18600000001"},
                })),
        )
        .unwrap();
        assert_eq!(s, 201, "{o}");
        (
            o["id"].as_str().unwrap().to_owned(),
            o["client_secret"].as_str().unwrap().to_owned(),
        )
    };
    let (pay_id, auth) = create("u-s4");
    let (other_id, other_auth) = create("u-s4-other");
    // The wallet routes take a user token the merchant issues server-side.
    let user_token = |user: &str| {
        let (s, t) = read_json(
            http.post(format!("{url}/v1/users/{user}/tokens"))
                .header("Authorization", &merchant)
                .send_json(json!({})),
        )
        .unwrap();
        assert_eq!(s, 201, "{t}");
        t["token"].as_str().unwrap().to_owned()
    };
    let wallet = user_token("u-s4");
    let other_wallet = user_token("u-s4-other");

    let get = |path: &str, auth: &str| {
        read_json(
            http.get(format!("{url}/rest/pay/{path}"))
                .header("auth", auth)
                .call(),
        )
        .unwrap()
    };
    let post = |path: &str, auth: &str, body: &Value| {
        read_json(
            http.post(format!("{url}/rest/pay/{path}"))
                .header("auth", auth)
                .send_json(body),
        )
        .unwrap()
    };
    // Every S4 answer is HTTP 200; the failure's status is the body's `code`.
    let refused = |(s, v): (u16, Value), status: u16, field: &str| {
        assert_eq!(
            (s, v["code"].as_u64()),
            (200, Some(u64::from(status))),
            "{v}"
        );
        assert!(
            v["msg"].as_str().unwrap().starts_with(&format!("{field}:")),
            "{field}: {v}"
        );
    };
    let check = |token: &str| get("checkInfo", token).1;

    // The pay record and its status.
    let (s, v) = get(&pay_id, &auth);
    assert_eq!(s, 200, "{v} / {}", edge.log_tail());
    assert_eq!(v["code"], 900);
    // The edge's answer is `shared`'s wire type (issue 17: it serialises that type).
    let typed: kassa_shared::surfaces::s4::wire::PayInfoResponse =
        serde_json::from_value(v.clone()).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), v);
    let info = &v["info"];
    assert_eq!(info["pay_id"], pay_id.as_str());
    // Nothing paid yet: `money` (实际支付金额) is 0, `amount` the order's.
    assert_eq!(
        (info["amount"].as_u64(), info["money"].as_u64()),
        (Some(12356), Some(0))
    );
    assert_eq!(info["currency"], "cny");
    assert_eq!(info["userID"], "u-s4");
    assert_eq!(
        (info["status"].as_str(), info["client_status"].as_str()),
        (Some("pending"), Some("pending"))
    );
    assert!(info["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(info["subject"], "支付预约订单");

    // client_status: stored and shown, the real status unmoved.
    let (s, v) = post(
        &format!("{pay_id}/status"),
        &auth,
        &json!({"status": "success"}),
    );
    assert_eq!((s, &v), (200, &json!({"code": 900})));
    let (s, v) = get(&format!("{pay_id}/status"), &auth);
    assert_eq!(
        (s, v),
        (
            200,
            json!({"code": 900, "status": "pending", "client_status": "success"})
        )
    );
    let o = merchant_order(&http, &url, &pay_id).unwrap();
    assert_eq!(o["status"], "pending");
    refused(
        post(
            &format!("{pay_id}/status"),
            &auth,
            &json!({"status": "paid"}),
        ),
        400,
        "status",
    );
    assert_eq!(
        get(&format!("{pay_id}/status"), &auth).1["client_status"],
        "success"
    );

    // auth: required, signed, and for this pay_id.
    let (s, v) = get(&pay_id, "");
    assert_eq!((s, v["code"].as_u64()), (200, Some(401)), "{v}");
    let (s, v) = get(&pay_id, "forged.token");
    assert_eq!((s, v["code"].as_u64()), (200, Some(401)), "{v}");
    refused(get(&pay_id, &other_auth), 403, "auth");
    refused(get("12x", &auth), 400, "pay_id");
    assert_eq!(get(&other_id, &other_auth).0, 200);

    // Wrong methods, in S4's envelope.
    let (s, v) = get("withdraw", &auth);
    assert_eq!((s, v["code"].as_u64()), (200, Some(405)), "{v}");
    let (s, v) = post("checkInfo", &auth, &json!({}));
    assert_eq!((s, v["code"].as_u64()), (200, Some(405)), "{v}");

    let nothing = json!({"code": 900, "passwd": false, "questions": false, "withdraw": false});
    assert_eq!(check(&wallet), nothing);

    // Withdraw before anything is set up: refused, nothing recorded.
    let withdraw = |pw: &str, amount: Value| {
        post(
            "withdraw",
            &wallet,
            &json!({"passwd": enc(pw), "amount": amount}),
        )
    };
    let (s, v) = withdraw("123456", json!("1000"));
    assert_eq!(
        (s, v["code"].as_u64(), v["error"].as_str()),
        (200, Some(409), Some("withdraw_prerequisites")),
        "{v}"
    );

    // The pay password: bad ciphertexts refused by name, nothing stored.
    refused(
        post(
            "passwd",
            &wallet,
            &json!({"passwd": B64.encode([7u8; 256])}),
        ),
        400,
        "passwd",
    );
    refused(
        post("passwd", &wallet, &json!({"passwd": "not base64!"})),
        400,
        "passwd",
    );
    refused(
        post("passwd", &wallet, &json!({"passwd": enc("12345")})),
        400,
        "passwd",
    );
    refused(post("passwd", &wallet, &json!({})), 400, "passwd");
    assert_eq!(check(&wallet), nothing);
    let (s, v) = post("passwd", &wallet, &json!({"passwd": enc("123456")}));
    assert_eq!((s, &v), (200, &json!({"code": 900})), "{v}");
    assert_eq!(check(&wallet)["passwd"], true);
    // Changing it proves the old one.
    refused(
        post("passwd", &wallet, &json!({"passwd": enc("654321")})),
        400,
        "old_passwd",
    );
    refused(
        post(
            "passwd",
            &wallet,
            &json!({"passwd": enc("654321"), "old_passwd": enc("000000")}),
        ),
        400,
        "old_passwd",
    );
    let (s, v) = post(
        "passwd",
        &wallet,
        &json!({"passwd": enc("654321"), "old_passwd": enc("123456")}),
    );
    assert_eq!(s, 200, "{v}");

    // Security questions.
    refused(
        post(
            "question",
            &wallet,
            &json!({"answer1": enc("a"), "answer2": enc("b")}),
        ),
        400,
        "answer3",
    );
    refused(
        post(
            "question",
            &wallet,
            &json!({"answer1": enc("a"), "answer2": "AAAA", "answer3": enc("c")}),
        ),
        400,
        "answer2",
    );
    // Once a pay password exists, setting the answers proves it (they could reset it).
    let answers = |prefix: &str, a: [&str; 3]| {
        let mut m = serde_json::Map::new();
        for (n, plain) in a.iter().enumerate() {
            m.insert(format!("{prefix}{}", n + 1), json!(enc(plain)));
        }
        m
    };
    let with = |mut m: serde_json::Map<String, Value>, extra: Value| {
        m.extend(extra.as_object().unwrap().clone());
        Value::Object(m)
    };
    let first = ["上海", "blue", "7"];
    let replace_answers = |new: [&str; 3], old: [&str; 3]| {
        let old = Value::Object(answers("old_answer", old));
        post("question", &wallet, &with(answers("answer", new), old))
    };
    refused(
        post(
            "question",
            &wallet,
            &with(answers("answer", first), json!({})),
        ),
        400,
        "passwd",
    );
    refused(
        post(
            "question",
            &wallet,
            &with(answers("answer", first), json!({"passwd": enc("000000")})),
        ),
        400,
        "passwd",
    );
    assert_eq!(check(&wallet)["questions"], false);
    let (s, v) = post(
        "question",
        &wallet,
        &with(answers("answer", first), json!({"passwd": enc("654321")})),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(check(&wallet)["questions"], true);

    // Withdrawal account: needs a valid SMS code, sealed, and (a pay password being set)
    // the pay password, sealed.
    let account = |code: &str| json!({"smscode": enc(code), "passwd": enc("654321"), "type": "alipay", "id": "a@example.com", "name": "Zhang"});
    refused(
        post("withdrawInfo", &wallet, &account("123456")),
        400,
        "smscode",
    );
    let (s, v) = post("smscode", &wallet, &json!({}));
    assert_eq!(s, 200, "{v}");
    let (_, outbox) = read_json(
        http.get(format!("{url}/v1/dev/outbox?order_id={pay_id}"))
            .header("Authorization", &merchant)
            .call(),
    )
    .unwrap();
    let code = outbox["data"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m["purpose"] == "s4_withdraw_info")
        .unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = if code == "111111" { "222222" } else { "111111" };
    refused(
        post("withdrawInfo", &wallet, &account(wrong)),
        400,
        "smscode",
    );
    refused(
        post(
            "withdrawInfo",
            &wallet,
            &json!({"smscode": enc(&code), "passwd": enc("654321"), "type": "bank", "id": "x", "name": "y"}),
        ),
        400,
        "type",
    );
    assert_eq!(
        get("withdrawInfo", &wallet).1,
        json!({"code": 900, "info": {"type": "alipay", "id": "", "name": ""}})
    );
    // The S4 code is not a pay code for the order it was delivered through.
    let (s, v) = read_json(
        http.post(format!("{url}/api/payment/order/pay"))
            .header("Authorization", &format!("Bearer {auth}"))
            .send_json(json!({"order_id": pay_id, "verify_code_order_id": outbox["data"].as_array().unwrap().iter().rev().find(|m| m["purpose"] == "s4_withdraw_info").unwrap()["send_id"], "verify_code": code})),
    )
    .unwrap();
    assert_eq!(s, 400, "{v}");
    let (s, v) = post("withdrawInfo", &wallet, &account(&code));
    assert_eq!((s, &v), (200, &json!({"code": 900})), "{v}");
    assert_eq!(
        get("withdrawInfo", &wallet).1,
        json!({"code": 900, "info": {"type": "alipay", "id": "a@example.com", "name": "Zhang"}})
    );
    // Single use.
    refused(
        post("withdrawInfo", &wallet, &account(&code)),
        400,
        "smscode",
    );
    assert_eq!(
        check(&wallet),
        json!({"code": 900, "passwd": true, "questions": true, "withdraw": true})
    );

    // Withdraw: bad amount, wrong password, then once this month, then the limit.
    refused(withdraw("654321", json!("12.5")), 400, "amount");
    refused(withdraw("654321", json!("0")), 400, "amount");
    // Amounts travel as strings, under a ceiling (default 5 000 000 fen).
    refused(withdraw("654321", json!(1000)), 400, "amount");
    refused(withdraw("654321", json!("5000001")), 400, "amount");
    refused(withdraw("123456", json!("1000")), 400, "passwd");
    refused(
        post(
            "withdraw",
            &wallet,
            &json!({"passwd": "AAAA", "amount": "1000"}),
        ),
        400,
        "passwd",
    );
    assert!(withdrawal_hooks(&sandbox, 0).is_empty());
    let (s, v) = withdraw("654321", json!("1000"));
    assert_eq!((s, &v), (200, &json!({"code": 900})), "{v}");
    let (s, v) = withdraw("654321", json!("500"));
    assert_eq!(
        (s, v["code"].as_u64(), v["error"].as_str()),
        (200, Some(409), Some("withdraw_monthly_limit")),
        "{v}"
    );
    // The merchant, who pays out, hears of it once: a signed `withdrawal.requested`
    // through the order's outbox, with the account as it was when requested.
    let hooks = withdrawal_hooks(&sandbox, 1);
    assert_eq!(hooks.len(), 1, "{}", edge.log_tail());
    assert!(hooks[0].verified, "{:?}", hooks[0]);
    let hook: Value = serde_json::from_str(&hooks[0].body).unwrap();
    let data = &hook["data"];
    assert_eq!(hook["id"], format!("evt_{}", data["id"].as_str().unwrap()));
    assert!(data["id"].as_str().unwrap().starts_with("wd_"), "{hook}");
    assert_eq!(
        (
            &data["amount"],
            &data["currency"],
            &data["status"],
            &data["user_id"]
        ),
        (
            &json!("1000"),
            &json!("CNY"),
            &json!("requested"),
            &json!("u-s4")
        ),
        "{hook}"
    );
    assert_eq!(
        data["account"],
        json!({"type": "alipay", "id": "a@example.com", "name": "Zhang"})
    );
    assert_eq!(data["order_id"], pay_id.as_str());

    // Forgotten pay password: the security answers prove the change instead. A wrong
    // set is refused naming the first answer field (not which one was wrong).
    let new_pw =
        |extra: serde_json::Map<String, Value>, pw: &str| with(extra, json!({"passwd": enc(pw)}));
    let (s, v) = post(
        "passwd",
        &wallet,
        &new_pw(answers("answer", ["上海", "blue", "8"]), "777777"),
    );
    assert_eq!(
        (s, v["code"].as_u64(), v["field"].as_str()),
        (200, Some(400), Some("answer1")),
        "{v}"
    );
    assert!(
        v["msg"]
            .as_str()
            .unwrap()
            .contains("wrong security answers"),
        "{v}"
    );
    // Both proofs at once are ambiguous: refused.
    let mut both = answers("answer", first);
    both.insert("old_passwd".into(), json!(enc("654321")));
    refused(
        post("passwd", &wallet, &new_pw(both, "777777")),
        400,
        "old_passwd",
    );
    let (s, v) = post(
        "passwd",
        &wallet,
        &new_pw(answers("answer", first), "777777"),
    );
    assert_eq!((s, &v), (200, &json!({"code": 900})), "{v}");
    // The old password no longer proves anything; the new one does.
    let old_pw = |old: &str| json!({"passwd": enc("888888"), "old_passwd": enc(old)});
    refused(
        post("passwd", &wallet, &old_pw("654321")),
        400,
        "old_passwd",
    );
    let (s, v) = post("passwd", &wallet, &old_pw("777777"));
    assert_eq!(s, 200, "{v}");

    // Replacing the answers proves the current ones (or the pay password).
    let second = ["北京", "red", "9"];
    refused(replace_answers(second, ["x", "y", "z"]), 400, "old_answer1");
    let (s, v) = replace_answers(second, first);
    assert_eq!(s, 200, "{v}");
    // The replaced answers no longer reset the password.
    refused(
        post(
            "passwd",
            &wallet,
            &new_pw(answers("answer", first), "999999"),
        ),
        400,
        "answer1",
    );

    // Wrong passwords and wrong answer sets share one lock: five in a row (the one just
    // above included) lock the wallet's secrets; then even the right password is 429.
    for n in 0..4 {
        let (s, v) = if n % 2 == 0 {
            post("passwd", &wallet, &old_pw("000000"))
        } else {
            post(
                "passwd",
                &wallet,
                &new_pw(answers("answer", first), "999999"),
            )
        };
        assert_eq!((s, v["code"].as_u64()), (200, Some(400)), "{n}: {v}");
        if n == 3 {
            assert!(v["msg"].as_str().unwrap().ends_with("now locked"), "{v}");
        }
    }
    let (s, v) = post("passwd", &wallet, &old_pw("888888"));
    assert_eq!(
        (s, v["code"].as_u64(), v["error"].as_str()),
        (200, Some(429), Some("passwd_locked")),
        "{v}"
    );
    let (s, v) = replace_answers(first, second);
    assert_eq!(
        (s, v["code"].as_u64(), v["error"].as_str()),
        (200, Some(429), Some("passwd_locked")),
        "{v}"
    );

    // Another user's settings are their own.
    assert_eq!(check(&other_wallet), nothing);
    // Answers set first need no proof; then they are what a first pay password proves.
    let abc = ["a", "b", "c"];
    let (s, v) = post(
        "question",
        &other_wallet,
        &with(answers("answer", abc), json!({})),
    );
    assert_eq!(s, 200, "{v}");
    refused(
        post("passwd", &other_wallet, &json!({"passwd": enc("135790")})),
        400,
        "answer1",
    );
    let (s, v) = post(
        "passwd",
        &other_wallet,
        &new_pw(answers("answer", abc), "135790"),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(check(&other_wallet)["passwd"], true);
    // Refused withdrawals announced nothing.
    assert_eq!(withdrawal_hooks(&sandbox, 0).len(), 1);
}
