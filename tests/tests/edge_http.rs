//! The edge under `wrangler dev`, over real HTTP: the merchant API writes an order to its
//! Durable Object, and the order is still there after wrangler restarts (persisted state).

#![allow(clippy::unwrap_used)]

use kassa_shared::crypto::client_secret;
use kassa_shared::id::Id;
use kassa_tests::harness::{agent, read_json, Edge, TempDir, CLIENT_SECRET_KEY, MERCHANT_KEY};
use serde_json::json;

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

#[test]
fn merchant_api_order_survives_restart() {
    let dir = TempDir::new("edge").unwrap();
    let mut edge = Edge::start(dir.path()).unwrap();
    let http = agent();
    let url = edge.url();

    let (status, health) = read_json(http.get(format!("{url}/health")).call()).unwrap();
    assert_eq!((status, health["ok"].as_bool()), (200, Some(true)));

    let (status, order) = read_json(
        http.post(format!("{url}/v1/orders"))
            .header("Authorization", &bearer(MERCHANT_KEY))
            .send_json(json!({"amount": 12345, "currency": "CNY", "user_id": "u-1"})),
    )
    .unwrap();
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["object"], "order");
    assert_eq!(order["amount"], 12345);
    assert_eq!(order["amount_display"], "123.45");
    assert_eq!(order["status"], "pending");
    // Ids travel as strings (SPEC 2).
    let id: Id = order["id"].as_str().unwrap().parse().unwrap();

    // The client_secret is bound to this order and user, for at most an hour.
    let now = order["created_ms"].as_u64().unwrap() / 1000;
    let claims = client_secret::verify(
        CLIENT_SECRET_KEY.as_bytes(),
        order["client_secret"].as_str().unwrap(),
        now,
    )
    .unwrap();
    assert_eq!((claims.order_id, claims.user_id.as_str()), (id, "u-1"));
    assert!(claims.expires_at <= now + 3600);

    edge.restart().unwrap();

    let (status, again) = read_json(
        http.get(format!("{url}/v1/orders/{id}"))
            .header("Authorization", &bearer(MERCHANT_KEY))
            .call(),
    )
    .unwrap();
    assert_eq!(status, 200, "{again}\n{}", edge.log_tail());
    assert_eq!(again["id"], order["id"]);
    assert_eq!(again["amount"], 12345);
    assert_eq!(again["currency"], "CNY");
    assert!(
        again.get("client_secret").is_none(),
        "a read never re-issues the secret"
    );
}

#[test]
fn merchant_api_rejects_bad_requests_naming_the_field() {
    let dir = TempDir::new("edge-bad").unwrap();
    let edge = Edge::start(dir.path()).unwrap();
    let http = agent();
    let url = edge.url();
    let post = |auth: &str, body: serde_json::Value| {
        read_json(
            http.post(format!("{url}/v1/orders"))
                .header("Authorization", auth)
                .send_json(body),
        )
        .unwrap()
    };

    let (s, e) = post(
        "Bearer wrong",
        json!({"amount": 1, "currency": "CNY", "user_id": "u"}),
    );
    assert_eq!(
        (s, e["error"]["type"].as_str()),
        (401, Some("authentication_error"))
    );

    let (s, e) = post(
        &bearer(MERCHANT_KEY),
        json!({"amount": -5, "currency": "CNY", "user_id": "u"}),
    );
    assert_eq!((s, e["error"]["param"].as_str()), (400, Some("amount")));

    let (s, e) = post(
        &bearer(MERCHANT_KEY),
        json!({"amount": 1.5, "currency": "CNY", "user_id": "u"}),
    );
    assert_eq!((s, e["error"]["param"].as_str()), (400, Some("amount")));

    let (s, e) = post(
        &bearer(MERCHANT_KEY),
        json!({"amount": 100, "currency": "XXX", "user_id": "u"}),
    );
    assert_eq!((s, e["error"]["param"].as_str()), (400, Some("currency")));
    assert!(e["error"]["message"].as_str().unwrap().contains("currency"));

    let (s, e) = post(
        &bearer(MERCHANT_KEY),
        json!({"amount": 100, "currency": "CNY"}),
    );
    assert_eq!(s, 400, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("user_id"),
        "{e}"
    );

    let (s, _) = read_json(
        http.get(format!("{url}/v1/orders/123"))
            .header("Authorization", &bearer(MERCHANT_KEY))
            .call(),
    )
    .unwrap();
    assert_eq!(s, 404);

    let (s, e) = read_json(
        http.get(format!("{url}/v1/orders/12ab"))
            .header("Authorization", &bearer(MERCHANT_KEY))
            .call(),
    )
    .unwrap();
    assert_eq!((s, e["error"]["param"].as_str()), (400, Some("id")));

    let (s, _) = read_json(http.put(format!("{url}/health")).send_empty()).unwrap();
    assert_eq!(s, 405);
}
