//! The S1 compatibility surface under a real `wrangler dev` (seed S1, SPEC 3.3, 4.3):
//! `preOrder` (JSON and form-encoded, ints plain or quoted) creates a Paytm order and
//! answers the Paytm form whose `CHECKSUMHASH` verifies with the merchant key through
//! `kassa_shared` (and fails once a value is changed); `getOrderStatus` (GET and POST,
//! merchant key or the order's `client_secret`) answers S1 codes 0 and 7; every refusal
//! is HTTP 200 with `{code: 400, message}` naming the field (the seed carries the outcome
//! in the body); S0 denial refuses the form.

#![allow(clippy::unwrap_used, clippy::panic)]

use kassa_shared::providers::paytm::checksum::{self, Params};
use kassa_tests::edge_client::{merchant_order, s0_vars};
use kassa_tests::harness::{agent, read_json, Edge, TempDir, MERCHANT_KEY};
use kassa_tests::sandbox::config::fixtures as f;
use kassa_tests::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use serde_json::{json, Value};

const AUTH: &str = "Authorization";

/// The sandbox (S0, Paytm) and an edge pointed at it, with `extra` variables.
fn s1_stack(tag: &str, extra: &[(&str, &str)]) -> (SandboxHandle, TempDir, Edge) {
    let sandbox = Sandbox::start(SandboxConfig::for_tests().unwrap()).unwrap();
    let sb = sandbox.url().to_owned();
    let dir = TempDir::new(tag).unwrap();
    let s0_url = format!("{sb}/s0");
    let paytm_url = format!("{sb}/paytm");
    let mut vars = s0_vars(&s0_url).to_vec();
    vars.extend([
        ("KASSA_PUBLIC_URL", "http://127.0.0.1:9"),
        ("KASSA_PAYTM_URL", &paytm_url),
        ("KASSA_PAYTM_MID", f::PAYTM_MID),
        ("KASSA_PAYTM_MERCHANT_KEY", f::PAYTM_KEY),
        ("KASSA_PAYTM_WEBSITE", "APP_STAGING"),
    ]);
    vars.extend_from_slice(extra);
    let edge = Edge::start_with(dir.path(), &vars).unwrap();
    (sandbox, dir, edge)
}

#[test]
fn s1_pre_order_and_status() {
    let (sandbox, _dir, edge) = s1_stack("edge-s1", &[]);
    let sb = sandbox.url().to_owned();
    let http = agent();
    let url = edge.url();
    let merchant = format!("Bearer {MERCHANT_KEY}");
    let pre_order = |body: &Value| {
        read_json(
            http.post(format!("{url}/pay/preOrder"))
                .header(AUTH, &merchant)
                .send_json(body),
        )
        .unwrap()
    };
    let good = json!({
        "version": "v1.0", "clientVersion": "3.2.1", "userId": "u-s1", "payType": 1,
        "productId": "p-1", "productType": 4, "productName": "Top-up", "currencyType": 1,
        "amount": 200,
    });

    // preOrder: the form, signed with the merchant key.
    let (s, v) = pre_order(&good);
    assert_eq!(s, 200, "{v} / {}", edge.log_tail());
    assert_eq!(
        (v["code"].as_u64(), v["message"].as_str()),
        (Some(200), Some("success"))
    );
    let form = v["data"].as_object().unwrap();
    assert_eq!(form["TXN_AMOUNT"], "2.00");
    assert_eq!(form["MID"], f::PAYTM_MID);
    assert_eq!(form["CUST_ID"], "u-s1");
    assert_eq!(form["WEBSITE"], "APP_STAGING");
    assert_eq!(form["CALLBACK_URL"], "http://127.0.0.1:9/callbacks/paytm");
    let order_id = form["ORDER_ID"].as_str().unwrap().to_owned();
    let params: Params = form
        .iter()
        .filter(|(k, _)| k.as_str() != "CHECKSUMHASH")
        .map(|(k, v)| (k.clone(), Some(v.as_str().unwrap().to_owned())))
        .collect();
    let hash = form["CHECKSUMHASH"].as_str().unwrap();
    checksum::verify(&params, f::PAYTM_KEY.as_bytes(), hash).unwrap();
    let mut tampered = params.clone();
    tampered.insert("TXN_AMOUNT".into(), Some("200.00".into()));
    assert!(checksum::verify(&tampered, f::PAYTM_KEY.as_bytes(), hash).is_err());
    assert!(checksum::verify(&params, b"another_key_16b!", hash).is_err());
    // The order exists at the merchant API, in INR, with its attempt started.
    let o = merchant_order(&http, &url, &order_id).unwrap();
    assert_eq!(
        (o["amount"].as_u64(), o["currency"].as_str()),
        (Some(200), Some("INR"))
    );
    assert_eq!(o["channel"], "paytm");
    assert_eq!(o["status"], "processing");
    assert_eq!(o["metadata"]["s1_product_id"], "p-1");

    // The same as a form post with quoted ints.
    let (s, v) = read_json(
        http.post(format!("{url}/pay/preOrder"))
            .header(AUTH, &merchant)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(
                "version=v1.0&userId=u-s1-form&payType=1&productId=p-2&productType=2\
                 &productName=Video+pack&currencyType=1&amount=1999",
            ),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["data"]["TXN_AMOUNT"], "19.99");
    let (s, v) = pre_order(&{
        let mut b = good.clone();
        b["amount"] = json!("350");
        b["payType"] = json!("1");
        b
    });
    assert_eq!((s, &v["data"]["TXN_AMOUNT"]), (200, &json!("3.50")), "{v}");

    // Every refusal names its field, S1 code 400, nothing created.
    let (_, before) = read_json(
        http.get(format!("{url}/v1/orders?limit=100"))
            .header(AUTH, &merchant)
            .call(),
    )
    .unwrap();
    let count = before["data"].as_array().unwrap().len();
    let cases: Vec<(&str, Value)> = vec![
        ("userId", json!(null)),
        ("payType", json!(0)),
        ("payType", json!(2)),
        ("currencyType", json!(2)),
        ("currencyType", json!(9)),
        ("amount", json!(0)),
        ("amount", json!("12.5")),
        ("amount", json!(-3)),
        ("productType", json!(5)),
        ("productName", json!("")),
        ("version", json!("v2.0")),
        ("bogus", json!(1)),
    ];
    for (field, value) in cases {
        let mut b = good.clone();
        if value.is_null() {
            b.as_object_mut().unwrap().remove(field);
        } else {
            b[field] = value.clone();
        }
        let (s, v) = pre_order(&b);
        assert_eq!(
            (s, v["code"].as_u64()),
            (200, Some(400)),
            "{field}={value}: {v}"
        );
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{field}:")),
            "{field}={value}: {v}"
        );
        assert!(v.get("data").is_none(), "{v}");
    }
    let (s, v) = read_json(http.post(format!("{url}/pay/preOrder")).send_json(&good)).unwrap();
    assert_eq!((s, v["code"].as_u64()), (200, Some(400)), "{v}");
    let (s, v) = read_json(
        http.post(format!("{url}/pay/preOrder"))
            .header(AUTH, &merchant)
            .header("Content-Type", "application/json")
            .send("{\"version\":"),
    )
    .unwrap();
    assert_eq!((s, v["code"].as_u64()), (200, Some(400)), "{v}");
    let (_, after) = read_json(
        http.get(format!("{url}/v1/orders?limit=100"))
            .header(AUTH, &merchant)
            .call(),
    )
    .unwrap();
    assert_eq!(after["data"].as_array().unwrap().len(), count);

    let (s, v) = read_json(http.get(format!("{url}/pay/preOrder")).call()).unwrap();
    assert_eq!((s, v["code"].as_u64()), (200, Some(400)), "{v}");

    // S0 denies: no form. (Another user's purchase: the same parameters as the first
    // preOrder would be its retry, answered without asking S0 again.)
    let (s, _) = read_json(
        http.post(format!("{sb}/_control/s0/prepay"))
            .send_json(json!({"outcome": "deny", "count": 1})),
    )
    .unwrap();
    assert_eq!(s, 200);
    let (s, v) = pre_order(&{
        let mut b = good.clone();
        b["userId"] = json!("u-s1-denied");
        b
    });
    assert_eq!((s, v["code"].as_u64()), (200, Some(400)), "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("platform check"),
        "{v}"
    );
    assert!(v.get("data").is_none());

    // S0 fails (no verdict): fail closed by default, no form.
    script_s0(&http, &sb, "error");
    let (s, v) = pre_order(&{
        let mut b = good.clone();
        b["userId"] = json!("u-s1-s0-down");
        b
    });
    assert_eq!((s, v["code"].as_u64()), (200, Some(400)), "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("HTTP status 500"),
        "{v}"
    );

    // getOrderStatus, POST and GET, merchant key: processing is S1 0.
    let status_body = json!({"version": "v1.0", "userId": "u-s1", "orderId": order_id});
    let (s, v) = read_json(
        http.post(format!("{url}/pay/getOrderStatus"))
            .header(AUTH, &merchant)
            .send_json(&status_body),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v,
        json!({"code": 200, "data": {"status": 0}, "message": "success"})
    );
    let get = |auth: &str, user: &str, id: &str| {
        read_json(
            http.get(format!(
                "{url}/pay/getOrderStatus?version=v1.0&userId={user}&orderId={id}"
            ))
            .header(AUTH, auth)
            .call(),
        )
        .unwrap()
    };
    let (s, v) = get(&merchant, "u-s1", &order_id);
    assert_eq!((s, &v["data"]["status"]), (200, &json!(0)), "{v}");

    // A cancelled order is S1 7; asked with the order's own client_secret.
    let (s, o) = read_json(
        http.post(format!("{url}/v1/orders"))
            .header(AUTH, &merchant)
            .send_json(json!({"channel": "paytm", "amount": 500, "currency": "INR",
                              "user": {"id": "u-s1-c"}})),
    )
    .unwrap();
    assert_eq!(s, 201, "{o}");
    let id = o["id"].as_str().unwrap().to_owned();
    let client = format!("Bearer {}", o["client_secret"].as_str().unwrap());
    let (s, v) = get(&client, "u-s1-c", &id);
    assert_eq!((s, &v["data"]["status"]), (200, &json!(0)), "{v}");
    let (s, _) = read_json(
        http.post(format!("{url}/v1/orders/{id}/cancel"))
            .header(AUTH, &merchant)
            .send_empty(),
    )
    .unwrap();
    assert_eq!(s, 200);
    let (s, v) = get(&client, "u-s1-c", &id);
    assert_eq!((s, &v["data"]["status"]), (200, &json!(7)), "{v}");

    // Refusals name the field: another user, another order's secret, a bad id.
    let (s, v) = get(&client, "u-other", &id);
    assert_eq!((s, v["code"].as_u64()), (200, Some(400)), "{v}");
    assert!(v["message"].as_str().unwrap().starts_with("userId:"), "{v}");
    let (s, v) = get(&merchant, "u-other", &order_id);
    assert!(
        v["message"].as_str().unwrap().starts_with("userId:"),
        "{s} {v}"
    );
    let (s, v) = get(&client, "u-s1", &order_id);
    assert_eq!((s, v["code"].as_u64()), (200, Some(400)), "{v}");
    let (s, v) = get(&merchant, "u-s1", "12x");
    assert_eq!((s, v["code"].as_u64()), (200, Some(400)), "{v}");
    assert!(
        v["message"].as_str().unwrap().starts_with("orderId:"),
        "{v}"
    );
    let (s, v) = get("Bearer nope", "u-s1", &order_id);
    assert_eq!((s, v["code"].as_u64()), (200, Some(400)), "{v}");
    let (s, v) = read_json(
        http.get(format!("{url}/pay/getOrderStatus?version=v1.0&userId=u-s1"))
            .header(AUTH, &merchant)
            .call(),
    )
    .unwrap();
    assert_eq!((s, v["code"].as_u64()), (200, Some(400)), "{v}");
    assert!(
        v["message"].as_str().unwrap().starts_with("orderId:"),
        "{v}"
    );
}

/// Scripts the sandbox S0's next `prePayCheck` (`deny`, `error`, …).
fn script_s0(http: &ureq::Agent, sb: &str, outcome: &str) {
    let (s, _) = read_json(
        http.post(format!("{sb}/_control/s0/prepay"))
            .send_json(json!({"outcome": outcome, "count": 1})),
    )
    .unwrap();
    assert_eq!(s, 200);
}

/// `KASSA_S0_FAIL_OPEN=true`: an S0 outage lets the preOrder through (audited); a denial
/// still refuses.
#[test]
fn s1_s0_fail_open_is_a_setting() {
    let (sandbox, _dir, edge) = s1_stack("edge-s1-open", &[("KASSA_S0_FAIL_OPEN", "true")]);
    let sb = sandbox.url().to_owned();
    let http = agent();
    let url = edge.url();
    let merchant = format!("Bearer {MERCHANT_KEY}");
    let pre_order = |user: &str| {
        read_json(
            http.post(format!("{url}/pay/preOrder"))
                .header(AUTH, &merchant)
                .send_json(json!({
                    "version": "v1.0", "userId": user, "payType": 1, "productId": "p",
                    "productType": 1, "productName": "Pic", "currencyType": 1, "amount": 100,
                })),
        )
        .unwrap()
    };
    script_s0(&http, &sb, "error");
    let (s, v) = pre_order("u-open");
    assert_eq!((s, v["code"].as_u64()), (200, Some(200)), "{v}");
    let id = v["data"]["ORDER_ID"].as_str().unwrap();
    let (_, events) = read_json(
        http.get(format!("{url}/v1/orders/{id}/events"))
            .header(AUTH, &merchant)
            .call(),
    )
    .unwrap();
    assert!(
        events.to_string().contains("s0_unavailable_fail_open"),
        "{events}"
    );
    script_s0(&http, &sb, "deny");
    let (s, v) = pre_order("u-open-denied");
    assert_eq!((s, v["code"].as_u64()), (200, Some(400)), "{v}");
}

/// A retried `preOrder` is one order and one S0 check, answered byte for byte as the
/// first time; with an `Idempotency-Key`, another body under the key is refused; the
/// form carries `EMAIL` / `MOBILE_NO` when the caller gives them, signed with the rest;
/// S0 hears the order's user as `uid`.
#[test]
fn s1_pre_order_retry_is_one_order() {
    let (sandbox, _dir, edge) = s1_stack("edge-s1-retry", &[]);
    let sb = sandbox.url().to_owned();
    let http = agent();
    let url = edge.url();
    let merchant = format!("Bearer {MERCHANT_KEY}");
    let post = |key: Option<&str>, body: &Value| {
        let mut r = http
            .post(format!("{url}/pay/preOrder"))
            .header(AUTH, &merchant);
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        read_json(r.send_json(body)).unwrap()
    };
    let received = || {
        let (_, v) = read_json(http.get(format!("{sb}/_control/s0/received")).call()).unwrap();
        v["items"].as_array().unwrap().clone()
    };
    let body = json!({
        "version": "v1.0", "userId": "u-retry", "payType": 1, "productId": "p-9",
        "productType": 4, "productName": "Top-up", "currencyType": 1, "amount": 500,
        "email": "buyer@example.com", "mobileNo": "13032038911",
    });

    // Keyless: the same parameters (ints quoted or not) are the same purchase.
    let (s, first) = post(None, &body);
    assert_eq!((s, first["code"].as_u64()), (200, Some(200)), "{first}");
    let form = first["data"].as_object().unwrap();
    assert_eq!(form["EMAIL"], "buyer@example.com");
    assert_eq!(form["MOBILE_NO"], "13032038911");
    let params: Params = form
        .iter()
        .filter(|(k, _)| k.as_str() != "CHECKSUMHASH")
        .map(|(k, v)| (k.clone(), Some(v.as_str().unwrap().to_owned())))
        .collect();
    checksum::verify(
        &params,
        f::PAYTM_KEY.as_bytes(),
        form["CHECKSUMHASH"].as_str().unwrap(),
    )
    .unwrap();
    let mut quoted = body.clone();
    quoted["amount"] = json!("500");
    let (s, again) = post(None, &quoted);
    assert_eq!((s, &again), (200, &first), "a retry gets the first answer");
    // The answer is `shared`'s wire type, member for member.
    let typed: kassa_shared::surfaces::s1::wire::PreOrderResponse =
        serde_json::from_value(first.clone()).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), first);
    let order_id = form["ORDER_ID"].as_str().unwrap().to_owned();
    let checks: Vec<Value> = received()
        .into_iter()
        .filter(|r| r["call"] == "prePayCheck")
        .collect();
    assert_eq!(checks.len(), 1, "one S0 check: {checks:?}");
    assert_eq!(checks[0]["uid"], "u-retry", "S0 hears the order's user");
    assert_eq!(checks[0]["body"]["orderId"], order_id.as_str());
    let o = merchant_order(&http, &url, &order_id).unwrap();
    assert_eq!(o["user"]["email"], "buyer@example.com");
    assert_eq!(o["user"]["mobile"], "13032038911");

    // Once that order is closed, the same parameters are a new purchase.
    let (s, _) = read_json(
        http.post(format!("{url}/v1/orders/{order_id}/cancel"))
            .header(AUTH, &merchant)
            .send_empty(),
    )
    .unwrap();
    assert_eq!(s, 200);
    let (s, next) = post(None, &body);
    assert_eq!(s, 200, "{next}");
    assert_ne!(next["data"]["ORDER_ID"], first["data"]["ORDER_ID"]);
    let (_, again) = post(None, &body);
    assert_eq!(again, next);

    // Without contact fields the form omits them; a bad one is refused by name.
    let mut plain = body.clone();
    plain["userId"] = json!("u-plain");
    let m = plain.as_object_mut().unwrap();
    m.remove("email");
    m.remove("mobileNo");
    let (_, v) = post(None, &plain);
    assert!(
        v["data"].get("EMAIL").is_none() && v["data"].get("MOBILE_NO").is_none(),
        "{v}"
    );
    for (field, bad) in [("email", "nope"), ("mobileNo", "12-34")] {
        let mut b = body.clone();
        b[field] = json!(bad);
        let (s, v) = post(None, &b);
        assert_eq!((s, v["code"].as_u64()), (200, Some(400)), "{v}");
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{field}:")),
            "{v}"
        );
    }

    // With a key: the key names the order, the body must match.
    let mut keyed = body.clone();
    keyed["userId"] = json!("u-keyed");
    let (_, k1) = post(Some("s1-key-1"), &keyed);
    assert_eq!(k1["code"], 200, "{k1}");
    let (_, k2) = post(Some("s1-key-1"), &keyed);
    assert_eq!(k2, k1);
    let mut other = keyed.clone();
    other["amount"] = json!(501);
    let (s, v) = post(Some("s1-key-1"), &other);
    assert_eq!((s, v["code"].as_u64()), (200, Some(400)), "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .starts_with("Idempotency-Key:"),
        "{v}"
    );
    let (s, v) = post(Some("bad key"), &keyed);
    assert_eq!((s, v["code"].as_u64()), (200, Some(400)), "{v}");
    let checks = received()
        .into_iter()
        .filter(|r| r["call"] == "prePayCheck")
        .count();
    assert_eq!(checks, 4, "first, after the close, u-plain, u-keyed");
}
