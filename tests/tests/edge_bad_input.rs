//! Bad input, uniformly (SPEC 3): wrong method 405, unknown route 404, body over 64 KiB
//! 413 (declared and actual length), malformed JSON 400, a missing or invalid field 400
//! naming it in `param`, bad credentials 401 — all in the `{error: {...}}` envelope, and
//! nothing written (checked by reading the orders and their events back).

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;

use kassa_tests::harness::{agent, read_json, Edge, TempDir, MERCHANT_KEY};
use serde_json::{json, Value};

fn auth() -> String {
    format!("Bearer {MERCHANT_KEY}")
}

fn assert_envelope(status: u16, body: &Value, want: u16, code: &str) {
    assert_eq!(status, want, "{body}");
    let e = &body["error"];
    assert_eq!(e["code"], code, "{body}");
    assert!(e["type"].is_string() && e["message"].is_string(), "{body}");
    assert!(e.get("param").is_some(), "{body}");
}

/// A raw request with a chunked body (no Content-Length), to test the actual-length check.
fn raw_chunked(url: &str, path: &str, body: &[u8]) -> (u16, Value) {
    let host = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        auth()
    )
    .unwrap();
    for chunk in body.chunks(8192) {
        write!(s, "{:x}\r\n", chunk.len()).unwrap();
        s.write_all(chunk).unwrap();
        s.write_all(b"\r\n").unwrap();
    }
    s.write_all(b"0\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("");
    // The body may itself be chunked; take the JSON object inside.
    let json = body
        .find('{')
        .and_then(|a| body.rfind('}').map(|b| &body[a..=b]))
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

#[test]
fn bad_input_is_refused_in_the_envelope_and_writes_nothing() {
    let dir = TempDir::new("edge-bad").unwrap();
    let edge = Edge::start(dir.path()).unwrap();
    let http = agent();
    let url = edge.url();
    let post = |path: &str, auth: &str, body: &str| {
        read_json(
            http.post(format!("{url}{path}"))
                .header("Authorization", auth)
                .header("Content-Type", "application/json")
                .send(body),
        )
        .unwrap()
    };
    let get = |path: &str| {
        read_json(
            http.get(format!("{url}{path}"))
                .header("Authorization", &auth())
                .call(),
        )
        .unwrap()
    };

    // One good order, to check that bad requests aimed at it change nothing.
    let (s, order) = post(
        "/v1/orders",
        &auth(),
        &json!({"channel": "paytm", "amount": 100, "currency": "INR", "user": {"id": "u"}})
            .to_string(),
    );
    assert_eq!(s, 201, "{order}");
    let id = order["id"].as_str().unwrap().to_owned();
    let snapshot = || {
        (
            get("/v1/orders?limit=100").1["data"].clone(),
            get(&format!("/v1/orders/{id}/events")).1,
        )
    };
    let before = snapshot();

    // 405 / 404 from the router, in the envelope, and a 405 names the methods the path
    // has a route for (RFC 9110 §15.5.6; `GET /rest/pay/withdraw` is `/rest/pay/:pay_id`).
    let (s, e) = read_json(http.put(format!("{url}/health")).send_empty()).unwrap();
    assert_envelope(s, &e, 405, "method_not_allowed");
    for (method, path, allow) in [
        ("PUT", "/health".to_owned(), "GET"),
        ("DELETE", format!("/v1/orders/{id}"), "GET"),
        ("PATCH", "/v1/orders".to_owned(), "GET, POST"),
        ("DELETE", "/rest/pay/withdraw".to_owned(), "GET, POST"),
        ("DELETE", "/rest/pay/123/status".to_owned(), "GET, POST"),
        ("PUT", "/api/payment/order/pay".to_owned(), "OPTIONS, POST"),
    ] {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{url}{path}"))
            .body(())
            .unwrap();
        let resp = http.run(request).unwrap();
        // S4 answers HTTP 200 with the outcome in `code` (`edge/src/error.rs`).
        let want = if path.starts_with("/rest/") { 200 } else { 405 };
        assert_eq!(resp.status().as_u16(), want, "{method} {path}");
        let got = resp.headers().get("Allow").and_then(|v| v.to_str().ok());
        assert_eq!(got, Some(allow), "{method} {path}");
    }
    let (s, e) = read_json(
        http.delete(format!("{url}/v1/orders/{id}"))
            .header("Authorization", &auth())
            .call(),
    )
    .unwrap();
    assert_envelope(s, &e, 405, "method_not_allowed");
    let (s, e) = read_json(http.get(format!("{url}/v2/nothing")).call()).unwrap();
    assert_envelope(s, &e, 404, "route_not_found");
    let (s, e) = get("/v1/orders/123");
    assert_envelope(s, &e, 404, "resource_missing");
    let (s, e) = get("/v1/orders/12ab");
    assert_envelope(s, &e, 400, "parameter_invalid");
    assert_eq!(e["error"]["param"], "id");

    // 401: wrong key, no key; checked before the body is looked at.
    let good = json!({"channel": "paytm", "amount": 1, "currency": "CNY", "user": {"id": "u"}})
        .to_string();
    let (s, e) = post("/v1/orders", "Bearer wrong", &good);
    assert_envelope(s, &e, 401, "invalid_api_key");
    let (s, e) = read_json(http.post(format!("{url}/v1/orders")).send(good.as_str())).unwrap();
    assert_envelope(s, &e, 401, "invalid_api_key");
    let (s, e) = post(&format!("/v1/orders/{id}/cancel"), "Bearer wrong", "");
    assert_envelope(s, &e, 401, "invalid_api_key");

    // 502: S0 updateInfo with no S0 configured names the variable; 401 comes first.
    let (s, e) = post(
        "/v1/s0/update_info",
        &auth(),
        r#"{"user_id":"u-1","extend":{"sex":"男"}}"#,
    );
    assert_envelope(s, &e, 502, "s0_unavailable");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("KASSA_S0_URL"),
        "{e}"
    );
    let (s, e) = post("/v1/s0/update_info", "Bearer wrong", r#"{"extend":{}}"#);
    assert_envelope(s, &e, 401, "invalid_api_key");

    // 413: declared length, and a chunked body with no length at all.
    let big = format!(
        r#"{{"channel":"paytm","amount":1,"currency":"CNY","user":{{"id":"u"}},"description":"{}"}}"#,
        "x".repeat(70 * 1024)
    );
    let (s, e) = post("/v1/orders", &auth(), &big);
    assert_envelope(s, &e, 413, "body_too_large");
    let (s, e) = raw_chunked(&url, "/v1/orders", big.as_bytes());
    assert_envelope(s, &e, 413, "body_too_large");
    let (s, e) = raw_chunked(&url, &format!("/v1/orders/{id}/cancel"), big.as_bytes());
    assert_envelope(s, &e, 413, "body_too_large");

    // 400: malformed JSON, not an object.
    let (s, e) = post("/v1/orders", &auth(), "{\"channel\": ");
    assert_envelope(s, &e, 400, "invalid_json");
    let (s, e) = post("/v1/orders", &auth(), "[1,2]");
    assert_envelope(s, &e, 400, "invalid_json");
    let (s, e) = post(&format!("/v1/orders/{id}/cancel"), &auth(), "{oops");
    assert_envelope(s, &e, 400, "invalid_json");

    // 400 naming the field.
    let base = json!({"channel": "paytm", "amount": 100, "currency": "CNY", "user": {"id": "u"}});
    let cases: Vec<(Value, &str)> = vec![
        (json!({"channel": null}), "channel"),
        (json!({"channel": "visa"}), "channel"),
        (json!({"amount": -5}), "amount"),
        (json!({"amount": 1.5}), "amount"),
        (json!({"amount": "100"}), "amount"),
        (json!({"amount": null}), "amount"),
        (json!({"currency": "XXX"}), "currency"),
        (json!({"currency": null}), "currency"),
        (json!({"token": "BTC"}), "token"),
        (
            json!({"currency": null, "token": "DOGE", "amount": "1"}),
            "token",
        ),
        (
            json!({"currency": null, "token": "BTC", "amount": "1e5"}),
            "amount",
        ),
        (
            json!({"currency": null, "token": "BTC", "amount": 1}),
            "amount",
        ),
        (json!({"user": null}), "user"),
        (json!({"user": {}}), "user.id"),
        (json!({"user": {"id": "u", "email": "nope"}}), "user.email"),
        (
            json!({"user": {"id": "u", "mobile": "12ab"}}),
            "user.mobile",
        ),
        (json!({"user": {"id": "u", "pin": "1"}}), "user.pin"),
        (json!({"expires_in": 0}), "expires_in"),
        (json!({"expires_in": 86_401}), "expires_in"),
        (json!({"notify_url": "ftp://x"}), "notify_url"),
        (json!({"notify_url": "not a url"}), "notify_url"),
        (json!({"metadata": {"k": 1}}), "metadata[k]"),
        (
            json!({"items": [{"name": "a", "quantity": 0}]}),
            "items[0].quantity",
        ),
        (json!({"items": [{"quantity": 1}]}), "items[0].name"),
        (json!({"colour": "red"}), "colour"),
    ];
    for (patch, param) in cases {
        let mut body = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, e) = post("/v1/orders", &auth(), &body.to_string());
        assert_envelope(s, &e, 400, "parameter_invalid");
        assert_eq!(e["error"]["param"], param, "{body} → {e}");
        assert!(
            e["error"]["message"].as_str().unwrap().starts_with(param),
            "the message names the field: {e}"
        );
    }
    let (s, e) = get("/v1/orders?limit=0");
    assert_eq!((s, e["error"]["param"].as_str()), (400, Some("limit")));
    let (s, e) = get("/v1/orders?starting_after=abc");
    assert_eq!(
        (s, e["error"]["param"].as_str()),
        (400, Some("starting_after"))
    );
    let (s, e) = post(
        &format!("/v1/orders/{id}/cancel"),
        &auth(),
        r#"{"force": true}"#,
    );
    assert_eq!((s, e["error"]["param"].as_str()), (400, Some("force")));
    let (s, e) = post(
        &format!("/v1/orders/{id}/refunds"),
        &auth(),
        r#"{"reason": 5}"#,
    );
    assert_eq!((s, e["error"]["param"].as_str()), (400, Some("reason")));

    // Nothing written: the same orders, the same order state and no new history.
    let after = snapshot();
    assert_eq!(before.0, after.0, "the order list changed");
    assert_eq!(before.1, after.1, "the order's events changed");
    assert_eq!(get(&format!("/v1/orders/{id}")).1["status"], "pending");
}
