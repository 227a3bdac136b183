//! A seed-era S2 client (seed 002 支付接口), written from the seed's text alone: raw
//! `serde_json::Value` paths and this file's own checks, no `kassa-shared` type. It
//! drives the real edge under `wrangler dev` (wired to the sandbox's wallet and S0) as
//! an app written against the seed would — `load_pay_data`, `send_payment_verify_code`,
//! `pay`, `quick_pay`, the orders list — and reads every field of every answer the
//! seed's examples show, asserting each one's JSON type and quoting (ids, times and
//! amounts quoted; `isMapping`, `bindGA`, `bindTradePwd`, `need2FA` bare booleans in
//! the order and `load_pay_data`; `processIsEnd` / `need2FA` quoted in `quick_pay`;
//! `registerType`, `userType`, `verifyStatus` and the list's `status` bare integers).
//!
//! Each answer is also a snapshot (`snapshots/seed_client_s2__*.snap`, insta) with the
//! volatile values (ids, times, masked-but-fixed contacts stay) redacted, so any later
//! drift of a surface a seed client reads is a visible diff in review.

#![allow(clippy::unwrap_used, clippy::panic)]

mod callbacks_support;

use std::time::{Duration, Instant};

use base64::Engine as _;
use callbacks_support::World;
use kassa_tests::edge_client::{bearer_get, dev_code, sealed_plaintext};
use kassa_tests::harness::read_json;
use rsa::{BigUint, Oaep, RsaPublicKey};
use serde_json::{json, Value};

/// The seed's own example user and figures (002: `83214971450163200`, `0.1575` BTC …).
const PAYER: &str = "83214971450163200";
const PAYEE: &str = "231215678785585152";
const AMOUNT: &str = "0.1575";

/// A string of ASCII digits (a quoted `long`), at least one.
fn digits(v: &Value, what: &str) -> String {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("{what}: not a string: {v}"));
    assert!(
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()),
        "{what}: not digits: {s}"
    );
    s.to_owned()
}

/// A 13-digit millisecond time, quoted as the seed quotes it.
fn millis(v: &Value, what: &str) -> u64 {
    let s = digits(v, what);
    assert_eq!(s.len(), 13, "{what}: not 13 digits: {s}");
    s.parse().unwrap()
}

fn string<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what}: not a string: {v}"))
}

fn boolean(v: &Value, what: &str) -> bool {
    v.as_bool()
        .unwrap_or_else(|| panic!("{what}: not a JSON boolean: {v}"))
}

/// `"true"` / `"false"`, as `quick_pay`'s example quotes them.
fn quoted_bool(v: &Value, what: &str) -> bool {
    match v.as_str() {
        Some("true") => true,
        Some("false") => false,
        _ => panic!("{what}: not \"true\"/\"false\": {v}"),
    }
}

fn int(v: &Value, what: &str) -> i64 {
    assert!(v.is_i64() || v.is_u64(), "{what}: not a JSON integer: {v}");
    v.as_i64().unwrap()
}

/// A decimal amount string (`"0.1575"`, `"0"`).
fn amount(v: &Value, what: &str) -> String {
    let s = string(v, what);
    let (int_part, frac) = s.split_once('.').unwrap_or((s, ""));
    assert!(
        !int_part.is_empty()
            && int_part.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit()),
        "{what}: not a decimal string: {s}"
    );
    s.to_owned()
}

/// Exactly these keys, no more and no fewer.
fn keys(v: &Value, want: &[&str], what: &str) {
    let mut got: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    got.sort_unstable();
    let mut want = want.to_vec();
    want.sort_unstable();
    assert_eq!(got, want, "{what}: {v}");
}

/// One `payInfo` / `productInfo` line: (itemId, amount, paidAmount, refundedAmount,
/// unlockedAmount).
fn line(v: &Value, what: &str) -> (String, [String; 4]) {
    keys(
        v,
        &[
            "itemId",
            "payType",
            "tokenId",
            "amount",
            "paidAmount",
            "refundedAmount",
            "unlockedAmount",
        ],
        what,
    );
    assert_eq!(string(&v["payType"], "payType"), "PAY");
    assert_eq!(string(&v["tokenId"], "tokenId"), "BTC");
    (
        digits(&v["itemId"], "itemId"),
        [
            amount(&v["amount"], "amount"),
            amount(&v["paidAmount"], "paidAmount"),
            amount(&v["refundedAmount"], "refundedAmount"),
            amount(&v["unlockedAmount"], "unlockedAmount"),
        ],
    )
}

/// What an S2 order tells a seed client.
#[derive(Debug)]
struct Order {
    id: String,
    status: String,
    status_desc: String,
    pay: [String; 4],
    product: [String; 4],
}

/// Reads an S2 order object (list item, `orderInfo`, the `pay` answer) field by field.
/// The seed's fields, plus Kassa's documented optional extensions (`items`,
/// `lastAttemptFailed`; on the `pay` answer `deviceToken` and `handoff`) — an app of
/// that era ignores them.
fn order(v: &Value) -> Order {
    let obj = v.as_object().unwrap();
    let extensions = ["items", "lastAttemptFailed", "deviceToken", "handoff"];
    let seed_keys: Vec<&str> = obj
        .keys()
        .map(String::as_str)
        .filter(|k| !extensions.contains(k))
        .collect();
    keys(
        &Value::Object(
            seed_keys
                .iter()
                .map(|k| ((*k).to_owned(), v[*k].clone()))
                .collect(),
        ),
        &[
            "orderId",
            "clientOrderId",
            "payerUserId",
            "payeeUserId",
            "isMapping",
            "payInfo",
            "productInfo",
            "status",
            "statusDesc",
            "expired",
            "desc",
            "extendInfo",
            "created",
            "updated",
        ],
        "order",
    );
    let id = digits(&v["orderId"], "orderId");
    assert_eq!(
        string(&v["clientOrderId"], "clientOrderId"),
        "Activity201910200001"
    );
    assert_eq!(digits(&v["payerUserId"], "payerUserId"), PAYER);
    assert_eq!(digits(&v["payeeUserId"], "payeeUserId"), PAYEE);
    assert!(boolean(&v["isMapping"], "isMapping"));
    let pay = v["payInfo"].as_array().unwrap();
    let product = v["productInfo"].as_array().unwrap();
    assert_eq!((pay.len(), product.len()), (1, 1), "{v}");
    let (pay_item, pay) = line(&pay[0], "payInfo[0]");
    let (product_item, product) = line(&product[0], "productInfo[0]");
    assert_ne!(pay_item, product_item, "productInfo is its own line");
    let status = string(&v["status"], "status").to_owned();
    assert!(
        [
            "WAIT_FOR_PAYMENT",
            "COMPLETED",
            "PROCESSING",
            "EXPIRED",
            "CANCELLED"
        ]
        .contains(&status.as_str()),
        "{status}"
    );
    let created = millis(&v["created"], "created");
    assert!(millis(&v["updated"], "updated") >= created);
    assert!(millis(&v["expired"], "expired") > created);
    assert_eq!(string(&v["desc"], "desc"), "Order description");
    // A JSON document inside a string, as the seed's `"{\"value\":…}"`.
    let extend: Value = serde_json::from_str(string(&v["extendInfo"], "extendInfo")).unwrap();
    assert_eq!(extend["value"], "Extend info for order", "{extend}");
    Order {
        id,
        status,
        status_desc: string(&v["statusDesc"], "statusDesc").to_owned(),
        pay,
        product,
    }
}

/// `load_pay_data`: (the order, `bindTradePwd`, `need2FA`, `authType`).
fn pay_data(v: &Value) -> (Order, bool, bool, String) {
    keys(
        v,
        &["orderInfo", "userInfo", "need2FA", "authType"],
        "load_pay_data",
    );
    let u = &v["userInfo"];
    keys(
        u,
        &[
            "userId",
            "registerType",
            "mobile",
            "nationalCode",
            "email",
            "bindGA",
            "bindTradePwd",
            "userType",
            "verifyStatus",
            "source",
        ],
        "userInfo",
    );
    assert_eq!(digits(&u["userId"], "userId"), PAYER);
    assert_eq!(int(&u["registerType"], "registerType"), 2);
    assert_eq!(string(&u["mobile"], "mobile"), "186****0001");
    assert_eq!(string(&u["nationalCode"], "nationalCode"), "86");
    let email = string(&u["email"], "email");
    assert!(
        email.ends_with("@163.com") && email.contains('*'),
        "{email}"
    );
    assert!(!boolean(&u["bindGA"], "bindGA"));
    assert_eq!(int(&u["userType"], "userType"), 1);
    assert_eq!(int(&u["verifyStatus"], "verifyStatus"), 2);
    assert_eq!(string(&u["source"], "source"), "jinse");
    let auth = string(&v["authType"], "authType").to_owned();
    assert!(["GA", "MOBILE", "EMAIL"].contains(&auth.as_str()), "{auth}");
    (
        order(&v["orderInfo"]),
        boolean(&u["bindTradePwd"], "bindTradePwd"),
        boolean(&v["need2FA"], "need2FA"),
        auth,
    )
}

/// The volatile values of an S2 answer, redacted for the snapshots.
fn snapshot(name: &str, v: &Value) {
    insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => true}, {
        insta::assert_json_snapshot!(name, v, {
            ".**.orderId" => "[id]",
            ".**.itemId" => "[id]",
            ".**.expired" => "[ms]",
            ".**.created" => "[ms]",
            ".**.updated" => "[ms]",
            ".deviceToken" => "[token]",
        });
    });
}

struct Client<'a> {
    w: &'a World,
    secret: String,
}

impl Client<'_> {
    fn post(&self, route: &str, body: &Value) -> (u16, Value) {
        read_json(
            self.w
                .http
                .post(format!("{}/api/payment/order/{route}", self.w.url))
                .header("Authorization", &format!("Bearer {}", self.secret))
                .send_json(body),
        )
        .unwrap()
    }

    fn load_pay_data(&self, id: &str) -> Value {
        let url = format!(
            "{}/api/payment/order/load_pay_data?order_id={id}",
            self.w.url
        );
        let (s, v) = bearer_get(&self.w.http, &url, &self.secret).unwrap();
        assert_eq!(s, 200, "{v}");
        v
    }
}

fn create(w: &World, user: &Value) -> (String, String) {
    let (s, o) = w.merchant(
        "POST",
        "/v1/orders",
        Some(&json!({
            "channel": "wallet", "amount": AMOUNT, "token": "BTC",
            "user": user, "payee_user_id": PAYEE,
            "description": "Order description",
            "items": [{"name": "Activity ticket", "quantity": 1}],
            "metadata": {"client_order_id": "Activity201910200001", "value": "Extend info for order"},
            "notify_url": format!("{}/merchant/webhooks", w.sb),
        })),
    );
    assert_eq!(s, 201, "{o}");
    (
        o["id"].as_str().unwrap().to_owned(),
        o["client_secret"].as_str().unwrap().to_owned(),
    )
}

fn seed_user() -> Value {
    json!({
        "id": PAYER, "mobile": "18600000001", "email": "zhangsan@163.com",
        "national_code": "86", "source": "jinse",
        "register_type": 2, "user_type": 1, "verify_status": 2,
    })
}

/// Sets the user's S4 pay password through `/rest/pay/passwd` (sealed with the edge's
/// published key, as the S4 widget does).
fn set_pay_password(w: &World, token: &str) {
    let (s, jwks) = read_json(
        w.http
            .get(format!("{}/.well-known/kassa-key.json", w.url))
            .call(),
    )
    .unwrap();
    assert_eq!(s, 200, "{jwks}");
    let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let k = &jwks["keys"][0];
    let key = RsaPublicKey::new(
        BigUint::from_bytes_be(&b64url.decode(k["n"].as_str().unwrap()).unwrap()),
        BigUint::from_bytes_be(&b64url.decode(k["e"].as_str().unwrap()).unwrap()),
    )
    .unwrap();
    let ct = key
        .encrypt(
            &mut rand::rngs::OsRng,
            Oaep::new::<sha2::Sha256>(),
            sealed_plaintext("123456").as_bytes(),
        )
        .unwrap();
    let (s, v) = read_json(
        w.http
            .post(format!("{}/rest/pay/passwd", w.url))
            .header("auth", token)
            .send_json(json!({"passwd": base64::engine::general_purpose::STANDARD.encode(ct)})),
    )
    .unwrap();
    assert_eq!((s, &v["code"]), (200, &json!(900)), "{v}");
}

#[test]
fn a_seed_era_client_reads_every_field_of_every_answer() {
    let w = World::start("seed-client-s2", &[]);
    let (id, secret) = create(&w, &seed_user());
    let c = Client {
        w: &w,
        secret: secret.clone(),
    };

    // load_pay_data: an unpaid order, the user as the merchant described them.
    let v = c.load_pay_data(&id);
    let (o, trade_pwd, need_2fa, auth) = pay_data(&v);
    assert_eq!(o.id, id);
    assert_eq!(
        (o.status.as_str(), o.status_desc.as_str()),
        ("WAIT_FOR_PAYMENT", "待支付")
    );
    let unpaid = [AMOUNT, "0", "0", "0"].map(str::to_owned);
    assert_eq!((&o.pay, &o.product), (&unpaid, &unpaid));
    assert!(!trade_pwd);
    // An untrusted user with a mobile: an SMS code.
    assert!(need_2fa);
    assert_eq!(auth, "MOBILE");
    snapshot("load_pay_data", &v);

    // quick_pay without a code: the quoted booleans of the seed's example.
    let (s, v) = c.post("quick_pay", &json!({"order_id": id}));
    assert_eq!(s, 200, "{v}");
    keys(&v, &["processIsEnd", "need2FA"], "quick_pay");
    assert!(!quoted_bool(&v["processIsEnd"], "processIsEnd"));
    assert!(quoted_bool(&v["need2FA"], "need2FA"));
    snapshot("quick_pay_needs_2fa", &v);

    // send_payment_verify_code → the id to send back as verify_code_order_id.
    let (s, v) = c.post("send_payment_verify_code", &json!({"order_id": id}));
    assert_eq!(s, 200, "{v}");
    keys(&v, &["orderId"], "send_payment_verify_code");
    let send_id = digits(&v["orderId"], "orderId");
    snapshot("send_payment_verify_code", &v);
    let code = dev_code(&w.http, &w.url, &id, &send_id).unwrap();

    // pay: the order back, in the seed's order shape. `order_id` as a `long` the seed's
    // table names (a JSON integer), the code-send id quoted as it came.
    let (s, v) = c.post(
        "pay",
        &json!({"order_id": id.parse::<u64>().unwrap(), "verify_code_order_id": send_id, "verify_code": code}),
    );
    assert_eq!(s, 200, "{v}");
    let o = order(&v);
    assert_eq!(o.id, id);
    assert!(
        ["PROCESSING", "COMPLETED"].contains(&o.status.as_str()),
        "{v}"
    );
    snapshot("pay", &v);

    // The wallet settles; the order then shows what was paid.
    let _ = w
        .http
        .post(format!("{}/_control/wallet/complete", w.sb))
        .send_json(json!({"id": id, "result": "success"}));
    let start = Instant::now();
    let paid = loop {
        let v = c.load_pay_data(&id);
        if v["orderInfo"]["status"] == "COMPLETED" {
            break v;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "never paid: {v}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let (o, _, _, _) = pay_data(&paid);
    assert_eq!(o.status_desc, "已完成");
    let done = [AMOUNT, AMOUNT, "0", "0"].map(str::to_owned);
    assert_eq!((&o.pay, &o.product), (&done, &done));

    // The orders list (a user token, issued by the merchant): `status` a bare 0.
    let (s, t) = w.merchant(
        "POST",
        &format!("/v1/users/{PAYER}/tokens"),
        Some(&json!({})),
    );
    assert_eq!(s, 201, "{t}");
    let token = t["token"].as_str().unwrap().to_owned();
    let (_, second_secret) = create(&w, &seed_user());
    let list = |query: &str| {
        let url = format!("{}/api/payment/orders?{query}", w.url);
        let (s, v) = bearer_get(&w.http, &url, &token).unwrap();
        assert_eq!(s, 200, "{v}");
        keys(&v, &["status", "data"], "orders");
        assert_eq!(int(&v["status"], "status"), 0);
        let data: Vec<Order> = v["data"].as_array().unwrap().iter().map(order).collect();
        (v, data)
    };
    let (v, all) = list("");
    assert_eq!(all.len(), 2, "{v}");
    assert_eq!(all[1].id, id);
    let (v, completed) = list("status=1");
    assert_eq!(
        completed.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
        [id.as_str()]
    );
    snapshot("orders_completed", &v);

    // bindTradePwd follows Kassa's own S4 wallet state.
    set_pay_password(&w, &token);
    let c2 = Client {
        w: &w,
        secret: second_secret,
    };
    let second = all[0].id.clone();
    let (_, trade_pwd, _, _) = pay_data(&c2.load_pay_data(&second));
    assert!(trade_pwd);
}

#[test]
fn a_user_with_no_second_factor_is_told_at_load_pay_data() {
    let w = World::start("seed-client-s2-no-2fa", &[]);
    let (id, secret) = create(&w, &json!({"id": "4711"}));
    let url = format!("{}/api/payment/order/load_pay_data?order_id={id}", w.url);
    let (s, v) = bearer_get(&w.http, &url, &secret).unwrap();
    // Not an `EMAIL` the send then refuses: 409 at once, in S2's error envelope.
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("no_code_channel")),
        "{v}"
    );
    assert_eq!(v["status"], 409, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("second factor"),
        "{v}"
    );
}
