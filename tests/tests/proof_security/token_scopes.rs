//! Issue 14 item 8: one order's `client_secret` is not a user-level credential.
//!
//! The attacker holds what a shopper's browser holds for one checkout — the order's
//! `client_secret` (it sits in the merchant's page) — and tries to use it as the user:
//! list their orders, set their first pay password and security answers (then reset the
//! password with them), change the withdrawal account, withdraw. Each is 403 naming the
//! scope it lacks, with nothing changed. The user-level credential is a user token the
//! merchant issues server-side: it works until revoked (then 401), reaches only its own
//! user, is refused once expired, and cannot pay or watch an order.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use kassa_shared::crypto::user_token::{self, UserClaims};
use kassa_tests::edge_client::merchant_order;
use kassa_tests::harness::{read_json, CLIENT_SECRET_KEY};

use super::s4_withdraw_account::S4;

fn list(s4: &S4, bearer: &str) -> (u16, Value) {
    read_json(
        s4.http
            .get(format!("{}/api/payment/orders", s4.url))
            .header("Authorization", &format!("Bearer {bearer}"))
            .call(),
    )
    .unwrap()
}

fn widget(s4: &S4, path: &str, bearer: &str, body: &Value) -> (u16, Value) {
    read_json(
        s4.http
            .post(format!("{}/api/payment/order/{path}", s4.url))
            .header("Authorization", &format!("Bearer {bearer}"))
            .header("Idempotency-Key", "scope-test")
            .send_json(body),
    )
    .unwrap()
}

fn nothing_set() -> Value {
    json!({"code": 900, "passwd": false, "questions": false, "withdraw": false})
}

/// 403 whose message starts with `field:` and names the user token it lacks.
fn assert_scope_refusal(status: u16, body: &Value, field: &str, what: &str) {
    let msg = body["msg"]
        .as_str()
        .or_else(|| body["message"].as_str())
        .unwrap_or_default();
    assert_eq!(status, 403, "{what}: {body}");
    assert!(msg.starts_with(&format!("{field}:")), "{what}: {body}");
    assert!(msg.contains("token"), "{what}: {body}");
}

#[test]
fn an_orders_client_secret_cannot_act_as_the_user() {
    let s4 = S4::start("sec-scope-kcs");
    let (order, secret) = s4.order("victim-kcs");
    s4.order("victim-kcs");

    let (s, v) = list(&s4, &secret);
    assert_scope_refusal(s, &v, "Authorization", "order list");
    assert!(v["data"].is_null(), "{v}");

    let seal = |t: &str| s4.seal(t);
    let attempts: Vec<(&str, Value)> = vec![
        ("passwd", json!({"passwd": seal("111111")})),
        (
            "question",
            json!({"answer1": seal("a"), "answer2": seal("b"), "answer3": seal("c")}),
        ),
        (
            "withdrawInfo",
            json!({"smscode": seal("123456"), "type": "alipay", "id": "m@example.com", "name": "M"}),
        ),
        (
            "withdraw",
            json!({"passwd": seal("111111"), "amount": "1000"}),
        ),
        ("smscode", json!({})),
    ];
    for (route, body) in &attempts {
        let a = s4.post(route, &secret, body);
        assert_scope_refusal(a.status, &a.body, "auth", route);
    }
    for route in ["checkInfo", "withdrawInfo"] {
        let a = s4.get(route, &secret);
        assert_scope_refusal(a.status, &a.body, "auth", route);
    }
    // Nothing was set, and no code was sent.
    let token = s4.user_token("victim-kcs");
    assert_eq!(s4.get("checkInfo", &token).body, nothing_set());
    let (_, outbox) = kassa_tests::edge_client::merchant_get(
        &s4.http,
        &s4.url,
        &format!("/v1/dev/outbox?order_id={order}"),
    )
    .unwrap();
    assert_eq!(outbox["data"], json!([]), "{outbox}");
    // The client_secret still does what it is for: its own pay record.
    assert_eq!(s4.get(&order, &secret).status, 200);
}

#[test]
fn a_user_token_works_for_its_user_only_until_revoked() {
    let s4 = S4::start("sec-scope-kut");
    let (a_order, _) = s4.order("user-a");
    let (b_order, b_secret) = s4.order("user-b");
    let a = s4.user_token("user-a");
    let b = s4.user_token("user-b");

    // A's token lists A's orders only and sets A's wallet only.
    let (s, v) = list(&s4, &a);
    assert_eq!(s, 200, "{v}");
    let ids: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![a_order.as_str()]);
    let r = s4.post("passwd", &a, &json!({"passwd": s4.seal("424242")}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(s4.get("checkInfo", &b).body, nothing_set());
    // A's token cannot reach B's pay record, and cannot pay B's order.
    let r = s4.get(&b_order, &a);
    assert_eq!(r.status, 403, "{}", r.body);
    let (s, v) = widget(&s4, "load_pay_data", &a, &json!({"order_id": b_order}));
    assert_eq!(s, 403, "{v}");
    // Rewriting the user inside A's token breaks its MAC.
    let forged = {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (signed, mac) = a.rsplit_once('.').unwrap();
        let payload = String::from_utf8(b64.decode(&signed[4..]).unwrap()).unwrap();
        let payload = payload.replace("user-a", "user-b");
        format!("kut_{}.{mac}", b64.encode(payload))
    };
    assert_eq!(s4.get("checkInfo", &forged).status, 401);
    assert_eq!(list(&s4, &forged).0, 401);

    // Revoked: A's token is 401 everywhere at once; B's is untouched; a new one works.
    let (s, v) = s4.merchant("/v1/users/user-a/tokens/revoke", &json!({}));
    assert_eq!(
        (s, v["object"].as_str()),
        (200, Some("user_token_revocation")),
        "{v}"
    );
    let r = s4.get("checkInfo", &a);
    assert_eq!(
        (r.status, r.body["code"].as_u64()),
        (401, Some(401)),
        "{}",
        r.body
    );
    assert_eq!(list(&s4, &a).0, 401);
    let r = s4.post(
        "passwd",
        &a,
        &json!({"passwd": s4.seal("000000"), "old_passwd": s4.seal("424242")}),
    );
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(s4.get("checkInfo", &b).status, 200);
    let a2 = s4.user_token("user-a");
    assert_eq!(s4.get("checkInfo", &a2).body["passwd"], true);
    // Order client_secrets are not user tokens and are not revoked by it.
    assert_eq!(s4.get(&b_order, &b_secret).status, 200);
}

#[test]
fn an_expired_user_token_is_refused() {
    let s4 = S4::start("sec-scope-exp");
    s4.order("user-exp");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Minted as the edge would (same key, current epoch), living one second.
    let claims = UserClaims {
        user_id: "user-exp".into(),
        epoch: 0,
        expires_at: now + 1,
    };
    let token = user_token::issue(CLIENT_SECRET_KEY.as_bytes(), &claims, now).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(s4.get("checkInfo", &token).status, 401);
    assert_eq!(list(&s4, &token).0, 401);
    // The merchant API refuses a lifetime over 24 h.
    let (s, v) = s4.merchant("/v1/users/user-exp/tokens", &json!({"expires_in": 86_401}));
    assert_eq!(
        (s, v["error"]["param"].as_str()),
        (400, Some("expires_in")),
        "{v}"
    );
}

#[test]
fn a_user_token_cannot_pay_or_watch_an_order() {
    let s4 = S4::start("sec-scope-pay");
    let (order, _) = s4.order("payer");
    let token = s4.user_token("payer");
    let calls = [
        ("load_pay_data", json!({"order_id": order})),
        ("send_payment_verify_code", json!({"order_id": order})),
        (
            "pay",
            json!({"order_id": order, "verify_code_order_id": "1", "verify_code": "123456"}),
        ),
        ("quick_pay", json!({"order_id": order})),
    ];
    for (path, body) in &calls {
        let (s, v) = widget(&s4, path, &token, body);
        assert_eq!((s, v["status"].as_u64()), (403, Some(403)), "{path}: {v}");
        let msg = v["message"].as_str().unwrap();
        assert!(
            msg.starts_with("Authorization:") && msg.contains("client_secret"),
            "{path}: {v}"
        );
    }
    // Nor watch it: the live-status socket refuses it the same way.
    let (s, v) = read_json(
        crate::live_socket_upgrade(&s4.http, &s4.url, &order.to_string())
            .header(
                "Sec-WebSocket-Protocol",
                &format!("kassa.v1, bearer.{token}"),
            )
            .call(),
    )
    .unwrap();
    assert_eq!(s, 403, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("client_secret")),
        "{v}"
    );
    let r = s4.get(&order, &token);
    assert_eq!(r.status, 403, "{}", r.body);
    let r = s4.post(
        &format!("{order}/status"),
        &token,
        &json!({"status": "success"}),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    // Nothing attempted, nothing sent.
    let o = merchant_order(&s4.http, &s4.url, &order).unwrap();
    assert_eq!(o["status"], "pending", "{o}");
    let (_, outbox) = kassa_tests::edge_client::merchant_get(
        &s4.http,
        &s4.url,
        &format!("/v1/dev/outbox?order_id={order}"),
    )
    .unwrap();
    assert_eq!(outbox["data"], json!([]), "{outbox}");
}
