//! Every error of the S1 (`/pay/...`) and S4 (`/rest/pay/...`) surfaces, walked under a
//! real `wrangler dev`: each is HTTP 200 with the outcome in the body, as a seed-era app
//! reads it (issue 17; the decision is in `edge/src/error.rs` and
//! `tests/vectors/README.md`):
//! - S1: exactly `{code, message}`, `code` 400 for the caller's mistakes (参数异常:
//!   missing or wrong key, bad field, unknown parameter, malformed JSON, unknown order,
//!   another user's order, wrong method, unknown route, an oversized body) and 500 for
//!   the edge's own failure (系统异常: Paytm not configured), `message` naming the field;
//! - S4: exactly `{code, msg, error, field}`, `code` the failure's HTTP-style status
//!   (never 900), `error` the machine-readable code, `field` the parameter or `null`.
//!
//! A wrong method still carries `Allow` (RFC 9110 §15.5.6). No refused `preOrder`
//! creates an order.

#![allow(clippy::unwrap_used, clippy::panic)]

use kassa_tests::edge_client::{create_order, merchant_get, merchant_post, s0_vars};
use kassa_tests::harness::{agent, Edge, TempDir, MERCHANT_KEY};
use kassa_tests::sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Map, Value};

/// One answer: HTTP status, `Allow`, JSON body.
struct Answer {
    http: u16,
    allow: Option<String>,
    body: Value,
}

fn send(
    http: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut b = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let mut resp = http.run(b.body(body.to_owned()).unwrap()).unwrap();
    let allow = resp
        .headers()
        .get("Allow")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = resp.body_mut().read_to_string().unwrap();
    Answer {
        http: resp.status().as_u16(),
        allow,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

/// HTTP 200 and a body of exactly the members `keys` (sorted) with `code`: the body.
fn envelope<'a>(a: &'a Answer, keys: &[&str], code: u64, what: &str) -> &'a Map<String, Value> {
    assert_eq!(a.http, 200, "{what}: {}", a.body);
    let o = a
        .body
        .as_object()
        .unwrap_or_else(|| panic!("{what}: {}", a.body));
    let mut got: Vec<&str> = o.keys().map(String::as_str).collect();
    got.sort_unstable();
    assert_eq!(got, keys, "{what}: {}", a.body);
    assert_eq!(o["code"].as_u64(), Some(code), "{what}: {}", a.body);
    o
}

/// HTTP 200, exactly `{code, message}`, the code and a message starting with `prefix`.
fn s1_refused(a: &Answer, code: u64, prefix: &str, what: &str) {
    let o = envelope(a, &["code", "message"], code, what);
    let msg = o["message"].as_str().unwrap();
    assert!(msg.starts_with(prefix), "{what}: {msg}");
}

/// HTTP 200, exactly `{code, msg, error, field}` with those values.
fn s4_refused(a: &Answer, code: u64, error: &str, field: Option<&str>, what: &str) {
    let o = envelope(a, &["code", "error", "field", "msg"], code, what);
    assert_eq!(o["error"], error, "{what}: {}", a.body);
    assert_eq!(o["field"].as_str(), field, "{what}: {}", a.body);
    assert!(!o["msg"].as_str().unwrap().is_empty(), "{what}");
    if let Some(f) = field {
        assert!(
            o["msg"].as_str().unwrap().starts_with(&format!("{f}:")),
            "{what}: {}",
            a.body
        );
    }
}

#[test]
fn every_s1_and_s4_error_is_http_200_with_the_outcome_in_the_body() {
    let sandbox = Sandbox::start(SandboxConfig::for_tests().unwrap()).unwrap();
    let s0_url = format!("{}/s0", sandbox.url());
    let dir = TempDir::new("edge-envelopes").unwrap();
    // S0 but no Paytm: a valid preOrder meets the edge's own failure (500).
    let edge = Edge::start_with(dir.path(), &s0_vars(&s0_url)).unwrap();
    let http = agent();
    let url = edge.url();
    let merchant = format!("Bearer {MERCHANT_KEY}");
    let json_ct = ("Content-Type", "application/json");
    let good = json!({
        "version": "v1.0", "userId": "u-env", "payType": 1, "productId": "p",
        "productType": 1, "productName": "Pic", "currencyType": 1, "amount": 100,
    });
    let with = |field: &str, value: Value| {
        let mut b = good.clone();
        b[field] = value;
        b.to_string()
    };
    let pre = |headers: &[(&str, &str)], body: &str| {
        send(&http, "POST", &format!("{url}/pay/preOrder"), headers, body)
    };
    let authed = [("Authorization", merchant.as_str()), json_ct];
    let orders = || merchant_get(&http, &url, "/v1/orders?limit=100").unwrap().1["data"].clone();
    let before = orders();

    // S1 preOrder.
    s1_refused(
        &pre(&[json_ct], &good.to_string()),
        400,
        "missing or invalid bearer",
        "no key",
    );
    s1_refused(
        &pre(
            &[("Authorization", "Bearer nope"), json_ct],
            &good.to_string(),
        ),
        400,
        "missing or invalid bearer",
        "wrong key",
    );
    s1_refused(
        &pre(&authed, &with("amount", json!(0))),
        400,
        "amount:",
        "amount 0",
    );
    s1_refused(
        &pre(&authed, &with("payType", json!("x"))),
        400,
        "payType:",
        "payType",
    );
    s1_refused(
        &pre(&authed, &with("bogus", json!(1))),
        400,
        "bogus:",
        "unknown parameter",
    );
    s1_refused(
        &pre(&authed, &with("email", json!("x"))),
        400,
        "email:",
        "email",
    );
    s1_refused(
        &pre(&authed, "{\"version\":"),
        400,
        "body:",
        "malformed JSON",
    );
    let big = with("productName", json!("x".repeat(70 * 1024)));
    s1_refused(&pre(&authed, &big), 400, "body:", "413");
    s1_refused(
        &pre(
            &[
                ("Authorization", merchant.as_str()),
                ("Idempotency-Key", "a b"),
            ],
            &good.to_string(),
        ),
        400,
        "Idempotency-Key:",
        "bad key",
    );
    s1_refused(
        &pre(&authed, &good.to_string()),
        500,
        "internal error",
        "Paytm not configured",
    );
    assert_eq!(orders(), before, "no refused preOrder created an order");
    let a = send(&http, "GET", &format!("{url}/pay/preOrder"), &[], "");
    s1_refused(&a, 400, "method not allowed", "GET preOrder");
    assert_eq!(a.allow.as_deref(), Some("POST"));
    s1_refused(
        &send(&http, "POST", &format!("{url}/pay/nothing"), &[], ""),
        400,
        "no such route",
        "404",
    );

    // S1 getOrderStatus.
    let o = create_order(
        &http,
        &url,
        &json!({"channel": "paytm", "amount": 100, "currency": "INR", "user": {"id": "u-env"}}),
    )
    .unwrap();
    let id = o["id"].as_str().unwrap();
    let status = |auth: &str, user: &str, order: &str| {
        send(
            &http,
            "GET",
            &format!("{url}/pay/getOrderStatus?version=v1.0&userId={user}&orderId={order}"),
            &[("Authorization", auth)],
            "",
        )
    };
    let ok = status(&merchant, "u-env", id);
    assert_eq!(
        (ok.http, &ok.body["code"]),
        (200, &json!(200)),
        "{}",
        ok.body
    );
    s1_refused(
        &status("", "u-env", id),
        400,
        "missing or invalid bearer",
        "status: no key",
    );
    s1_refused(
        &status(&merchant, "u-env", "476682884348973312"),
        400,
        "no such",
        "unknown order",
    );
    s1_refused(
        &status(&merchant, "u-env", "12x"),
        400,
        "orderId:",
        "bad orderId",
    );
    s1_refused(
        &status(&merchant, "u-other", id),
        400,
        "userId:",
        "another user",
    );
    let a = send(&http, "PUT", &format!("{url}/pay/getOrderStatus"), &[], "");
    s1_refused(&a, 400, "method not allowed", "PUT getOrderStatus");
    assert_eq!(a.allow.as_deref(), Some("GET, POST"));

    // S4.
    let secret = o["client_secret"].as_str().unwrap();
    let other = create_order(
        &http,
        &url,
        &json!({"channel": "pingpp", "amount": 100, "currency": "CNY", "user": {"id": "u-env2"}}),
    )
    .unwrap();
    let (s, t) = merchant_post(&http, &url, "/v1/users/u-env/tokens", &json!({})).unwrap();
    assert_eq!(s, 201, "{t}");
    let wallet = t["token"].as_str().unwrap();
    let rest = |method: &str, path: &str, auth: &str, body: &str| {
        send(
            &http,
            method,
            &format!("{url}/rest/pay/{path}"),
            &[("auth", auth), json_ct],
            body,
        )
    };
    let ok = rest("GET", id, secret, "");
    assert_eq!(
        (ok.http, &ok.body["code"]),
        (200, &json!(900)),
        "{}",
        ok.body
    );
    s4_refused(
        &rest("GET", id, "", ""),
        401,
        "invalid_api_key",
        None,
        "no auth",
    );
    s4_refused(
        &rest("GET", id, "forged.token", ""),
        401,
        "invalid_api_key",
        None,
        "forged",
    );
    let other_id = other["id"].as_str().unwrap();
    s4_refused(
        &rest("GET", other_id, secret, ""),
        403,
        "forbidden",
        None,
        "other order",
    );
    s4_refused(
        &rest("GET", "12x", secret, ""),
        400,
        "parameter_invalid",
        Some("pay_id"),
        "bad id",
    );
    s4_refused(
        &rest("GET", "checkInfo", secret, ""),
        403,
        "forbidden",
        None,
        "scope",
    );
    s4_refused(
        &rest(
            "POST",
            &format!("{id}/status"),
            secret,
            r#"{"status":"paid"}"#,
        ),
        400,
        "parameter_invalid",
        Some("status"),
        "bad status",
    );
    s4_refused(
        &rest("POST", "passwd", wallet, "{\"passwd\":"),
        400,
        "invalid_json",
        None,
        "malformed",
    );
    s4_refused(
        &rest("POST", "passwd", wallet, r#"{"passwd":"x","bogus":1}"#),
        400,
        "parameter_invalid",
        Some("bogus"),
        "unknown parameter",
    );
    s4_refused(
        &rest(
            "POST",
            "withdraw",
            wallet,
            r#"{"passwd":"x","amount":"100"}"#,
        ),
        400,
        "parameter_invalid",
        Some("passwd"),
        "withdraw, clear password",
    );
    let big = format!(r#"{{"passwd":"{}"}}"#, "x".repeat(70 * 1024));
    s4_refused(
        &rest("POST", "passwd", wallet, &big),
        413,
        "body_too_large",
        None,
        "413",
    );
    let a = rest("DELETE", "withdraw", wallet, "");
    s4_refused(&a, 405, "method_not_allowed", None, "DELETE withdraw");
    assert_eq!(a.allow.as_deref(), Some("GET, POST"));
    s4_refused(
        &rest("GET", "a/b/c/d", wallet, ""),
        404,
        "route_not_found",
        None,
        "404",
    );
}
