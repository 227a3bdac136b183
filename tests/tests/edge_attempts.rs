//! Attempts nobody finished (issue 16 items 5 and 6), against the real edge and the
//! sandbox: a new `pay` on an order whose attempt is still open asks the provider first
//! and goes ahead when the provider has no outcome (a Paytm form never submitted, an
//! unpaid Ping++ charge); the order's alarm asks about attempts a window old and closes
//! an S3 trade nobody finished; a failed latest attempt shows as S1 2 while the order
//! stays payable; and a success that arrives after the attempt was given up still wins,
//! flagged for review.
#![allow(clippy::unwrap_used, clippy::panic)]

mod callbacks_support;

use callbacks_support::World;
use serde_json::json;

fn status(w: &World, id: &str) -> String {
    w.order(id)["status"].as_str().unwrap().to_owned()
}

/// The ids of the `attempt_started` events in the order's history, in order.
fn started(w: &World, id: &str) -> Vec<String> {
    w.events(id)["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["type"] == "attempt_started")
        .map(|h| h["event_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn unfinished_attempts_are_asked_about_and_the_shopper_can_pay_again() {
    let w = World::start(
        "edge-attempts",
        &[
            ("KASSA_RISK_CODE_SEND_MIN_GAP_SECS", "0"),
            ("KASSA_ATTEMPT_QUERY_AFTER_SECS", "1"),
        ],
    );

    // ---- Paytm: the form was handed out but never posted (Paytm answers 334).
    let (id, secret) = w.create_with_secret("paytm", &json!({"amount": 400, "currency": "INR"}));
    w.pay(&id, &secret);
    assert_eq!(status(&w, &id), "processing");
    let queries = w.counter("paytm.status_query");
    let again = w.pay(&id, &secret);
    assert_eq!(again["handoff"]["method"], "POST", "{again}");
    assert!(
        w.counter("paytm.status_query") > queries,
        "Paytm was asked first"
    );
    let attempts = started(&w, &id);
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert!(
        w.audit_reasons(&id)
            .contains(&"attempt_abandoned".to_owned()),
        "{:?}",
        w.audit_reasons(&id)
    );

    // ---- Ping++: a charge nobody paid; the new pay gets a new charge.
    let (id, secret) = w.create_with_secret("pingpp", &json!({"amount": 600, "currency": "CNY"}));
    w.pay(&id, &secret);
    let charges = w.counter("pingpp.charge_created");
    w.pay(&id, &secret);
    assert_eq!(w.counter("pingpp.charge_created"), charges + 1);
    assert_eq!(started(&w, &id).len(), 2);
    assert_eq!(status(&w, &id), "processing");

    // ---- S3 has no query: the alarm gives the trade up a window later, and S1 shows
    // the failure while the order stays payable.
    let (id, secret) =
        w.create_with_secret("lianshang", &json!({"amount": 700, "currency": "CNY"}));
    w.pay(&id, &secret);
    assert_eq!(w.s1_status(&id), json!(0));
    w.wait("the alarm to give the S3 trade up", || {
        (status(&w, &id) == "pending").then_some(())
    });
    assert_eq!(
        w.s1_status(&id),
        json!(2),
        "S1 2: the latest attempt failed"
    );
    assert!(w
        .audit_reasons(&id)
        .contains(&"attempt_abandoned".to_owned()));
    // Payable again, and a new attempt reads as in progress (0) rather than failed.
    w.pay(&id, &secret);
    assert_eq!(status(&w, &id), "processing");
    assert_eq!(w.s1_status(&id), json!(0));
}

/// The shopper gave up on a wallet payment and paid another way; the wallet then
/// settles the first one after all. Money moved: the order is paid, and flagged.
#[test]
fn a_success_after_the_attempt_was_given_up_still_wins_and_is_flagged() {
    let w = World::start(
        "edge-attempts-late",
        &[("KASSA_RISK_CODE_SEND_MIN_GAP_SECS", "0")],
    );
    let (id, secret) = w.create_with_secret("paytm", &json!({"amount": 500, "currency": "INR"}));
    let first = w.pay(&id, &secret);
    let first_ref = first["handoff"]["fields"]["ORDER_ID"]
        .as_str()
        .unwrap()
        .to_owned();
    // Abandoned: the next pay finds no Paytm transaction for the first form.
    w.pay(&id, &secret);
    // Now the first form's transaction completes at Paytm after all.
    w.paytm_txn(&first_ref, "5.00");
    let late = w.paytm_callback(&first_ref, "success");
    assert_eq!(w.send(&late).0, 200, "{}", w.edge.log_tail());
    let o = w.order(&id);
    assert_eq!(o["status"], "succeeded", "{o}");
    assert_eq!(o["needs_review"], true, "{o}");
    assert!(
        o["review_reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("paid_after_attempt_failed")),
        "{o}"
    );
}
