//! Issue 14, low item "idempotency records expire (24 h, as Stripe keeps them) and are
//! bounded per order": before, every `Idempotency-Key` ever sent to an order kept its
//! record for the life of the order — a key reused a week later still replayed, and a
//! caller cycling keys grew the order's storage without bound. Now a key is honoured for
//! `KASSA_IDEMPOTENCY_TTL_SECS` (24 h by default; a few seconds here) and at most
//! `KASSA_IDEMPOTENCY_MAX_KEYS` (100 by default; 3 here) are kept per order, the oldest
//! evicted. A wrong code is the probe: a replayed answer repeats its `attempts_left`, a
//! request that runs anew counts one more wrong code.

use std::time::Duration;

use serde_json::{json, Value};

use super::proof_support::{Api, Rig};

/// A wallet order and a `pay` body carrying a wrong code for a real code send.
fn wrong_pay(api: &Api, user: &str) -> (String, Value) {
    let (id, secret) = api.order(user);
    let mut body = api.pay_body(&id, &secret);
    let right = body["verify_code"].as_str().unwrap().to_owned();
    body["verify_code"] = json!(if right == "123456" {
        "654321"
    } else {
        "123456"
    });
    (secret, body)
}

fn left(api: &Api, secret: &str, key: &str, body: &Value) -> Value {
    let (s, v) = api.widget("pay", secret, Some(key), body);
    assert_eq!(
        (s, v["code"].as_str()),
        (400, Some("wrong_verify_code")),
        "{key}: {v}"
    );
    v["attempts_left"].clone()
}

#[test]
fn idempotency_key_reused_after_its_ttl_is_a_new_request() {
    let rig = Rig::start("sec-idem-ttl", &[("KASSA_IDEMPOTENCY_TTL_SECS", "6")]);
    let api = &rig.api;
    let (secret, body) = wrong_pay(api, "u-idem-ttl");
    assert_eq!(left(api, &secret, "k-ttl", &body), json!(4));
    // Within the TTL: replayed (the count did not move), another body is refused.
    assert_eq!(left(api, &secret, "k-ttl", &body), json!(4));
    let mut other = body.clone();
    other["verify_code"] = json!("000001");
    let (s, v) = api.widget("pay", &secret, Some("k-ttl"), &other);
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("idempotency_key_reused")),
        "{v}"
    );
    std::thread::sleep(Duration::from_millis(6_500));
    // After it: the same key is new — it takes the other body without a 409 and runs
    // (one more wrong code); from now on it belongs to that body.
    assert_eq!(left(api, &secret, "k-ttl", &other), json!(3));
    let (s, v) = api.widget("pay", &secret, Some("k-ttl"), &body);
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("idempotency_key_reused")),
        "{v}"
    );
}

#[test]
fn idempotency_keys_are_bounded_per_order() {
    let rig = Rig::start("sec-idem-max", &[("KASSA_IDEMPOTENCY_MAX_KEYS", "3")]);
    let api = &rig.api;
    let (secret, body) = wrong_pay(api, "u-idem-max");
    for (key, n) in [("k1", 4), ("k2", 3), ("k3", 2)] {
        assert_eq!(left(api, &secret, key, &body), json!(n));
    }
    // Three keys held: each replays.
    assert_eq!(left(api, &secret, "k1", &body), json!(4));
    // A fourth evicts the oldest (k1); k2 still replays, k1 now runs anew.
    assert_eq!(left(api, &secret, "k4", &body), json!(1));
    assert_eq!(left(api, &secret, "k2", &body), json!(3));
    assert_eq!(left(api, &secret, "k1", &body), json!(0));
    assert_eq!(rig.sandbox.counter("wallet.pay"), 0);
}
