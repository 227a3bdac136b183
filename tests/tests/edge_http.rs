//! The merchant API (SPEC 3.2) over real HTTP to `wrangler dev`: create (fiat and
//! token), get, list with cursor pagination, cancel, refund, events and audit, the
//! expiry alarm, `client_secret` re-issue, and Durable Object state across a restart.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use kassa_shared::crypto::client_secret;
use kassa_shared::id::Id;
use kassa_tests::edge_client::{create_order, merchant_get, merchant_post, strings};
use kassa_tests::harness::{agent, read_json, Edge, TempDir, CLIENT_SECRET_KEY, MERCHANT_KEY};
use serde_json::{json, Value};

fn bearer() -> String {
    format!("Bearer {MERCHANT_KEY}")
}

struct Api {
    http: ureq::Agent,
    url: String,
}

impl Api {
    fn get(&self, path: &str) -> (u16, Value) {
        merchant_get(&self.http, &self.url, path).unwrap()
    }

    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        merchant_post(&self.http, &self.url, path, body).unwrap()
    }

    fn create(&self, body: &Value) -> Value {
        create_order(&self.http, &self.url, body).unwrap()
    }
}

fn order_body(amount: u64) -> Value {
    json!({
        "channel": "lianshang",
        "amount": amount,
        "currency": "CNY",
        "items": [{"name": "Tea", "quantity": 2}],
        "user": {"id": "u-1", "mobile": "18600000001", "email": "a@example.com"},
        "metadata": {"cart": "c-42"},
        "description": "two teas",
    })
}

#[test]
fn merchant_api_lifecycle_and_restart() {
    let dir = TempDir::new("edge").unwrap();
    let mut edge = Edge::start_with(dir.path(), &[("KASSA_TEST_HELPERS", "enabled")]).unwrap();
    let api = Api {
        http: agent(),
        url: edge.url(),
    };

    let (status, health) = read_json(api.http.get(format!("{}/health", api.url)).call()).unwrap();
    assert_eq!((status, health["ok"].as_bool()), (200, Some(true)));

    // Create (fiat): the resource, with a client_secret bound to order and user.
    let order = api.create(&order_body(12345));
    assert_eq!(order["object"], "order");
    assert_eq!(order["amount"], 12345);
    assert_eq!(order["amount_display"], "123.45");
    assert_eq!(order["currency"], "CNY");
    assert_eq!(order["channel"], "lianshang");
    assert_eq!(order["status"], "pending");
    assert_eq!(order["metadata"]["cart"], "c-42");
    assert_eq!(order["items"][0]["quantity"], 2);
    let id: Id = order["id"].as_str().unwrap().parse().unwrap();
    let created_s = order["created_ms"].as_u64().unwrap() / 1000;
    assert_eq!(
        order["expires_at_ms"].as_u64().unwrap() - order["created_ms"].as_u64().unwrap(),
        15 * 60 * 1000,
        "default expiry is 15 minutes"
    );
    let claims = client_secret::verify(
        CLIENT_SECRET_KEY.as_bytes(),
        order["client_secret"].as_str().unwrap(),
        created_s,
    )
    .unwrap();
    assert_eq!((claims.order_id, claims.user_id.as_str()), (id, "u-1"));
    assert!(claims.expires_at <= created_s + 3600);

    // Create (token): the amount is a decimal string with the token's precision.
    let token_order = api.create(&json!({
        "channel": "wallet", "amount": "0.1575", "token": "BTC",
        "user": {"id": "u-2"}, "expires_in": 3600,
    }));
    assert_eq!(token_order["amount"], "0.1575");
    assert_eq!(token_order["token"], "BTC");
    assert_eq!(token_order["currency"], Value::Null);

    // Get.
    let (s, got) = api.get(&format!("/v1/orders/{id}"));
    assert_eq!(s, 200, "{got}");
    assert_eq!(got["id"], order["id"]);
    assert!(
        got.get("client_secret").is_none(),
        "a read never issues a secret"
    );

    // List: newest first, cursor pagination.
    let third = api.create(&order_body(300));
    let (s, page1) = api.get("/v1/orders?limit=2");
    assert_eq!(s, 200, "{page1}");
    assert_eq!(page1["object"], "list");
    let ids = strings(&page1["data"], "id").unwrap();
    assert_eq!(
        ids,
        [
            third["id"].as_str().unwrap(),
            token_order["id"].as_str().unwrap()
        ]
    );
    assert_eq!(page1["has_more"], true);
    let (s, page2) = api.get(&format!("/v1/orders?limit=2&starting_after={}", ids[1]));
    assert_eq!(s, 200, "{page2}");
    assert_eq!(page2["data"][0]["id"], order["id"]);
    assert_eq!(page2["data"].as_array().unwrap().len(), 1);
    assert_eq!(page2["has_more"], false);

    // Re-issue a client_secret (≤ 1 h).
    let (s, cs) = api.post(
        &format!("/v1/orders/{id}/client_secret"),
        &json!({"expires_in": 600}),
    );
    assert_eq!(s, 200, "{cs}");
    assert_eq!(cs["object"], "client_secret");
    let claims = client_secret::verify(
        CLIENT_SECRET_KEY.as_bytes(),
        cs["client_secret"].as_str().unwrap(),
        created_s,
    )
    .unwrap();
    assert_eq!(claims.order_id, id);
    let (s, e) = api.post(
        &format!("/v1/orders/{id}/client_secret"),
        &json!({"expires_in": 7200}),
    );
    assert_eq!((s, e["error"]["param"].as_str()), (400, Some("expires_in")));
    // A whole number written with a zero fraction is that number (JSON Schema's
    // `integer`, SPEC 2); any other fraction is refused by name.
    let (s, cs) = api.post(
        &format!("/v1/orders/{id}/client_secret"),
        &json!({"expires_in": 600.0}),
    );
    assert_eq!(s, 200, "{cs}");
    let (s, e) = api.post(
        &format!("/v1/orders/{id}/client_secret"),
        &json!({"expires_in": 600.5}),
    );
    assert_eq!((s, e["error"]["param"].as_str()), (400, Some("expires_in")));

    // Refund of an unpaid order is refused and audited.
    let (s, e) = api.post(&format!("/v1/orders/{id}/refunds"), &json!({}));
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("order_not_refundable"))
    );

    // Pay it (as a verified callback would), then refund.
    let (s, paid) = api.post(
        &format!("/v1/test_helpers/orders/{id}/events"),
        &json!({"id": "TXN-1", "type": "attempt_succeeded", "attempt": "1", "provider": "paytm"}),
    );
    assert_eq!(
        (s, paid["status"].as_str()),
        (200, Some("succeeded")),
        "{paid}"
    );
    let (s, refund) = api.post(
        &format!("/v1/orders/{id}/refunds"),
        &json!({"reason": "customer request"}),
    );
    assert_eq!(s, 200, "{refund}");
    assert_eq!(refund["object"], "refund");
    assert_eq!(refund["order"]["status"], "refunding");

    // Cancel: the token order is open; the refunding one is not.
    let tid = token_order["id"].as_str().unwrap();
    let (s, c) = api.post(&format!("/v1/orders/{tid}/cancel"), &json!({}));
    assert_eq!((s, c["status"].as_str()), (200, Some("cancelled")), "{c}");
    let (s, e) = api.post(&format!("/v1/orders/{id}/cancel"), &json!({}));
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("order_not_cancellable"))
    );

    // Events: status history plus the audit of the two refused requests and the
    // recorded refund.
    let (s, ev) = api.get(&format!("/v1/orders/{id}/events"));
    assert_eq!(s, 200, "{ev}");
    assert_eq!(ev["object"], "order_events");
    let tos = strings(&ev["history"], "to").unwrap();
    assert_eq!(tos, ["succeeded", "refunding"]);
    let reasons = strings(&ev["audit"], "reason").unwrap();
    // The refund is recorded for the merchant to make by hand (S3).
    assert_eq!(
        reasons,
        [
            "order_not_refundable",
            "refund_manual",
            "order_not_cancellable"
        ]
    );
    // The S0 relay owed for the success waits in the outbox for the S0 client.
    let relays: Vec<(&str, &str)> = ev["relays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap(),
                r["delivery"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(relays, [("PAY_SUCCESS", "pending")]);

    // Expiry: a 1 s order is expired by its alarm.
    let short = api.create(&json!({
        "channel": "pingpp", "amount": 100, "currency": "USD",
        "user": {"id": "u-3"}, "expires_in": 1,
    }));
    let sid = short["id"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, o) = api.get(&format!("/v1/orders/{sid}"));
        if o["status"] == "expired" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not expired: {o}\n{}",
            edge.log_tail()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let (_, ev) = api.get(&format!("/v1/orders/{sid}/events"));
    assert_eq!(ev["history"][0]["type"], "expired");

    // Everything survives a restart.
    edge.restart().unwrap();
    let (s, again) = api.get(&format!("/v1/orders/{id}"));
    assert_eq!(s, 200, "{again}\n{}", edge.log_tail());
    assert_eq!(again["status"], "refunding");
    assert_eq!(again["amount"], 12345);
    let (_, list) = api.get("/v1/orders?limit=100");
    assert_eq!(list["data"].as_array().unwrap().len(), 4);
    let (_, ev) = api.get(&format!("/v1/orders/{id}/events"));
    assert_eq!(ev["audit"].as_array().unwrap().len(), 3);
}

#[test]
fn create_is_idempotent_with_idempotency_key() {
    let dir = TempDir::new("edge-idem").unwrap();
    let edge = Edge::start(dir.path()).unwrap();
    let http = agent();
    let url = edge.url();
    let create = |key: &str, body: &Value| {
        read_json(
            http.post(format!("{url}/v1/orders"))
                .header("Authorization", &bearer())
                .header("Idempotency-Key", key)
                .send_json(body),
        )
        .unwrap()
    };
    let body = order_body(700);
    let (s, first) = create("key-1", &body);
    assert_eq!(s, 201, "{first}");
    // Same key, same body (keys reordered does not matter): the same order.
    let (s, again) = create("key-1", &body);
    assert_eq!(s, 201, "{again}");
    assert_eq!(again["id"], first["id"]);
    // Same key, another body: refused, nothing created.
    let (s, e) = create("key-1", &order_body(701));
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );
    let (s, e) = create(&"k".repeat(300), &body);
    assert_eq!(
        (s, e["error"]["param"].as_str()),
        (400, Some("Idempotency-Key"))
    );
    // Another key: another order.
    let (s, other) = create("key-2", &body);
    assert_eq!(s, 201);
    assert_ne!(other["id"], first["id"]);
    let (_, list) = merchant_get(&http, &url, "/v1/orders").unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 2, "{list}");
}
