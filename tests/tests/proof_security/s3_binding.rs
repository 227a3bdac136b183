//! Issue 14 item 2: S3 (Lianshang) notifies bound to our merchant and the attempt's
//! trade (SPEC 3.4 "lianshang").
//!
//! The platform signs every merchant's notifies with one key, so an attacker who is a
//! co-tenant merchant on Lianshang can create a trade whose `out_trade_id` is one of
//! our attempt references (they are visible to any shopper: the cashier shows them),
//! pay it, and receive the platform's genuine SUCCESS — which, before the fix, settled
//! our order. Here the attacker's notifies are signed with the platform key exactly as
//! the platform signs them; our order is paid for real (`pay` → the edge's signed,
//! encrypted createPayOrder at the sandbox), so the edge holds the attempt's real
//! `wk_trade_id`:
//!
//! - a co-tenant's notify (its `merchant_id`, its trade, our reference, our amount) →
//!   409 `callback_wrong_account`, audited, order untouched;
//! - our `merchant_id` but the `wk_trade_id` of another of our trades → 409
//!   `callback_wrong_trade`; likewise for an attempt with no trade recorded at all;
//! - a SHA-1 ("RSA") signed notify, otherwise genuine → refused (401) by default;
//! - the platform's genuine notify for the trade still settles the order, once;
//! - with `KASSA_S3_ALLOW_RSA1=true` (and Kassa signing "RSA" too), the legacy profile
//!   works end to end.

use kassa_shared::crypto::{PrivateKey, SignAlg};
use kassa_shared::providers::lianshang::sign::sign_message;
use kassa_tests::sandbox::config::{fixture_pem, fixtures as f};
use serde_json::{json, Value};

use crate::callbacks_support::{json_msg, lianshang_notify, Msg, World, S3_MERCHANT_ID};

fn status(w: &World, id: &str) -> String {
    w.order(id)["status"].as_str().unwrap().to_owned()
}

/// A notify signed with the platform key, the key it signs every merchant's with.
fn platform_notify(
    reference: &str,
    merchant_id: &str,
    wk_trade_id: &str,
    notify_id: &str,
    alg: SignAlg,
) -> Msg {
    let platform = PrivateKey::parse(&fixture_pem(f::S3_PLATFORM_PRIVATE).unwrap()).unwrap();
    let mut m = json!({
        "notify_id": notify_id, "merchant_id": merchant_id, "out_trade_id": reference,
        "wk_trade_id": wk_trade_id, "pay_amount": 700, "pay_currency": "CNY",
        "trade_status": "SUCCESS", "notify_time": "1763899200000",
    });
    sign_message(&mut m, &platform, alg).unwrap();
    json_msg("/callbacks/lianshang", &m)
}

/// A 700 fen Lianshang order paid through the edge: (order id, attempt reference, the
/// `wk_trade_id` createPayOrder answered).
fn s3_pay(w: &World) -> (String, String, String) {
    let (id, secret) =
        w.create_with_secret("lianshang", &json!({"amount": 700, "currency": "CNY"}));
    let paid = w.pay(&id, &secret);
    let trade = w.last_record("s3/trades", "out_trade_id", &id);
    let wk = trade["wk_trade_id"].as_str().unwrap().to_owned();
    // The shopper is sent to the cashier with this trade's token.
    let token = trade["pay_token"].as_str().unwrap();
    assert!(
        paid["handoff"]["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/s3/cashier?pay_token={token}")),
        "{paid}"
    );
    assert_eq!(trade["merchant_id"], S3_MERCHANT_ID);
    let reference = trade["out_trade_id"].as_str().unwrap().to_owned();
    (id, reference, wk)
}

/// `m` is refused with `want`, changes nothing, and (when named) is audited as `reason`.
fn refused(w: &World, id: &str, m: &Msg, want: u16, reason: Option<&str>) {
    let before = w.snapshot(id);
    let (s, body) = w.send(m);
    assert_eq!(s, want, "{body}\n{}", w.edge.log_tail());
    assert_eq!(body, "FAIL", "Lianshang's refusal form");
    assert_eq!(w.snapshot(id), before, "a refused notify changes nothing");
    if let Some(reason) = reason {
        let audit = w.audit_reasons(id);
        assert!(
            audit.iter().any(|r| r == reason),
            "{reason} not in {audit:?}"
        );
    }
}

fn no_success_announced(w: &World, id: &str) {
    let hooks: Vec<Value> = w.webhooks(id);
    assert!(
        hooks.iter().all(|b| b["type"] != "order.succeeded"),
        "{hooks:?}"
    );
    assert!(!w.relays(id).iter().any(|r| r == "PAY_SUCCESS"));
}

#[test]
fn cotenant_and_cross_trade_notifies_are_refused() {
    let w = World::start("proof-security-s3", &[]);
    let (id, reference, wk) = s3_pay(&w);
    assert_eq!(status(&w, &id), "processing");

    // A co-tenant merchant's genuine platform-signed SUCCESS for its own trade, naming
    // our attempt's reference and amount.
    let cotenant = platform_notify(
        &reference,
        "lianshang-cotenant-42",
        "wk_cotenant_trade",
        "ln_cotenant_SUCCESS",
        SignAlg::Rsa2,
    );
    refused(&w, &id, &cotenant, 409, Some("callback_wrong_account"));

    // Our merchant id, but the trade of another of our attempts (another order's).
    let (_, _, other_wk) = s3_pay(&w);
    assert_ne!(other_wk, wk);
    let crossed = platform_notify(
        &reference,
        S3_MERCHANT_ID,
        &other_wk,
        "ln_crossed_SUCCESS",
        SignAlg::Rsa2,
    );
    refused(&w, &id, &crossed, 409, Some("callback_wrong_trade"));

    // An attempt for which no trade was ever created has nothing a notify could be
    // about (the test helper starts it without createPayOrder).
    let bare = w.create("lianshang", &json!({"amount": 700, "currency": "CNY"}));
    let r = w.start_attempt(&bare, 31);
    let m = json_msg(
        "/callbacks/lianshang",
        &lianshang_notify(&r, 700, "SUCCESS", "ln_bare", None),
    );
    refused(&w, &bare, &m, 409, Some("callback_wrong_trade"));
    assert_eq!(status(&w, &bare), "processing");

    // Everything right but signed SHA1withRSA: refused while the legacy profile is off.
    let sha1 = platform_notify(
        &reference,
        S3_MERCHANT_ID,
        &wk,
        "ln_sha1_SUCCESS",
        SignAlg::Rsa,
    );
    refused(&w, &id, &sha1, 401, None);

    assert_eq!(status(&w, &id), "processing");
    no_success_announced(&w, &id);

    // The platform's genuine notify for our trade settles the order, once.
    w.control(
        "s3/complete",
        &json!({"id": wk, "result": "success", "hold": true}),
    );
    let genuine = w.control_outbox_last();
    assert_eq!(genuine.path, "/callbacks/lianshang");
    assert_eq!(w.send(&genuine), (200, "SUCCESS".to_owned()));
    assert_eq!(status(&w, &id), "succeeded");
    assert_eq!(w.send(&genuine), (200, "SUCCESS".to_owned()), "duplicate");
    w.effects_once(&id, &["PAY_ING", "PAY_SUCCESS"]);
}

#[test]
fn legacy_sha1_profile_only_when_allowed() {
    // Kassa signs "RSA" too, so the sandbox answers and notifies in SHA1withRSA.
    let w = World::start(
        "proof-security-s3-legacy",
        &[
            ("KASSA_S3_SECURITY_TYPE", "RSA"),
            ("KASSA_S3_ALLOW_RSA1", "true"),
        ],
    );
    let (id, _, wk) = s3_pay(&w);
    assert_eq!(
        w.last_record("s3/trades", "out_trade_id", &id)["security_type"],
        "RSA"
    );
    let notify = w.control(
        "s3/complete",
        &json!({"id": wk, "result": "success", "hold": true}),
    );
    assert_eq!(notify["messages"][0]["security_type"], "RSA", "{notify}");
    let genuine = w.control_outbox_last();
    assert_eq!(w.send(&genuine), (200, "SUCCESS".to_owned()));
    assert_eq!(status(&w, &id), "succeeded");
}
