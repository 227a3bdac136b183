//! Issue 14 item 7: authenticator (GA / TOTP) guesses were limited per order only, so an
//! attacker holding N open orders of one user had N × 5 guesses per 15 min. Now the
//! user's object counts wrong GA codes across all of the user's orders: after 5, the
//! user's authenticator is locked for 15 min (429 `ga_locked` + `Retry-After`) on every
//! order — even the right code is refused unchecked — and the per-order lock stays.

use std::time::{SystemTime, UNIX_EPOCH};

use kassa_shared::crypto::totp::Totp;
use kassa_tests::harness::read_json;
use serde_json::{json, Value};

use super::proof_support::{Api, Rig};

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Enrols `user`'s authenticator through the merchant API.
fn enrol(api: &Api, user: &str) -> Totp {
    let (s, g) = api.merchant("POST", &format!("/v1/users/{user}/ga"), None);
    assert_eq!(s, 201, "{g}");
    Totp::from_base32(g["secret"].as_str().unwrap()).unwrap()
}

/// A 6-digit code that is none of the codes valid around now (±1 step, and a margin
/// for the seconds the test takes).
fn wrong_code(totp: &Totp) -> String {
    let step = now_s() / 30;
    let live: Vec<String> = (step.saturating_sub(2)..=step + 3)
        .map(|s| totp.code_for_step(s))
        .collect();
    (0..)
        .map(|n: u32| format!("{:06}", n * 111_111 % 1_000_000))
        .find(|c| !live.contains(c))
        .unwrap()
}

fn ga_pay(api: &Api, id: &str, secret: &str, code: &str) -> (u16, Value) {
    api.widget(
        "pay",
        secret,
        None,
        &json!({"order_id": id, "verify_code": code}),
    )
}

#[test]
fn wrong_ga_codes_spread_over_orders_lock_the_user() {
    let rig = Rig::start("sec-totp-user", &[]);
    let api = &rig.api;
    let user = "u-ga-spread";
    let totp = enrol(api, user);
    let wrong = wrong_code(&totp);

    // Three open orders; five wrong codes spread 2 + 2 + 1 over them. Each order alone
    // is far from its own limit of 5; the user is not.
    let orders: Vec<(String, String)> = (0..3).map(|_| api.order(user)).collect();
    let spread = [0, 0, 1, 1, 2];
    for (n, &o) in spread.iter().enumerate() {
        let (id, secret) = &orders[o];
        let (s, v) = ga_pay(api, id, secret, &wrong);
        assert_eq!(
            (s, v["code"].as_str()),
            (400, Some("wrong_verify_code")),
            "guess {n}: {v}"
        );
        // What the widget shows is the user's allowance: 4, 3, 2, 1, then 0 (locked).
        assert_eq!(v["attempts_left"], json!(4 - n), "guess {n}: {v}");
    }

    // The sixth guess, on a fresh order, with the right code: refused unchecked.
    let (id, secret) = api.order(user);
    let resp = api
        .http
        .post(format!("{}/api/payment/order/pay", api.url))
        .header("Authorization", &format!("Bearer {secret}"))
        .send_json(json!({"order_id": id, "verify_code": totp.code_at(now_s())}));
    let resp = resp.unwrap();
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (s, v) = read_json(Ok(resp)).unwrap();
    assert_eq!((s, v["code"].as_str()), (429, Some("ga_locked")), "{v}");
    assert!(
        retry.is_some_and(|r| (800..=900).contains(&r)),
        "Retry-After {retry:?}: {v}"
    );
    // Every other order of the user is refused the same way, and so is quick_pay.
    for (id, secret) in &orders {
        let (s, v) = ga_pay(api, id, secret, &totp.code_at(now_s()));
        assert_eq!((s, v["code"].as_str()), (429, Some("ga_locked")), "{v}");
        let (s, v) = api.widget(
            "quick_pay",
            secret,
            None,
            &json!({"order_id": id, "verify_code": totp.code_at(now_s())}),
        );
        assert_eq!((s, v["code"].as_str()), (429, Some("ga_locked")), "{v}");
    }
    assert_eq!(rig.sandbox.counter("wallet.pay"), 0, "nothing charged");
    let (_, audit) = api.merchant("GET", &format!("/v1/orders/{id}/events"), None);
    assert!(audit.to_string().contains("ga_locked"), "audited: {audit}");

    // The lock is the user's, not everyone's: another user's right code pays.
    let other = "u-ga-bystander";
    let totp2 = enrol(api, other);
    let (id, secret) = api.order(other);
    let (s, v) = ga_pay(api, &id, &secret, &totp2.code_at(now_s()));
    assert_eq!(s, 200, "{v}");
    assert_eq!(rig.sandbox.counter("wallet.pay"), 1);
}
