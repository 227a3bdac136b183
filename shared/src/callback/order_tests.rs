//! The order's half of "Callbacks in" (SPEC 3.4): each step's refusal with its code,
//! message and audit line, which callbacks are confirmed, and what a confirmed refund
//! settles.

use super::*;
use crate::callback::{CallbackAmount, ProviderRef};
use crate::flows::refunds::requested_event;
use crate::money::{Currency, Money};
use crate::order::{OrderAmount, OrderStatus};

const ORDER: u64 = 476_682_884_348_973_312;
const ATTEMPT: u64 = 476_682_884_348_973_313;

fn id(n: u64) -> Id {
    Id::new(n).unwrap_or_else(|e| panic!("{e}"))
}

fn cny(minor: u64) -> Money {
    Money::new(Currency::Cny, minor)
}

/// An order of ¥5.00 with attempt `ATTEMPT` started (and paid when `paid`).
fn order(paid: bool) -> Order {
    let mut o = Order::new(id(ORDER), OrderAmount::Fiat(cny(500)), 0, 3_600_000);
    let started = EventKind::AttemptStarted {
        attempt: id(ATTEMPT),
    };
    o.apply(1, Event::new("started", started));
    if paid {
        let kind = EventKind::AttemptSucceeded {
            attempt: id(ATTEMPT),
            provider: "pingpp".into(),
        };
        o.apply(2, Event::new("pingpp:evt_paid", kind));
    }
    o
}

fn cb(outcome: Outcome, amount: CallbackAmount) -> VerifiedCallback {
    VerifiedCallback {
        provider: Provider::Pingpp,
        event_id: "pingpp:evt_1".into(),
        reference: ProviderRef::new(id(ORDER), id(ATTEMPT)),
        outcome,
        amount,
        provider_txn: "re_1".into(),
        confirm_required: false,
        account: None,
        refunded_txn: None,
    }
}

fn paid_cb() -> VerifiedCallback {
    cb(Outcome::Succeeded, CallbackAmount::Fiat(cny(500)))
}

fn refund_cb(minor: u64) -> VerifiedCallback {
    let mut c = cb(Outcome::Refunded, CallbackAmount::Minor(minor));
    c.refunded_txn = Some("ch_1".into());
    c
}

fn rejection(r: Result<Step, Rejection>) -> Rejection {
    match r {
        Err(r) => r,
        Ok(s) => panic!("admitted: {s:?}"),
    }
}

#[test]
fn the_audit_line_names_provider_event_and_reference_only() {
    assert_eq!(
        audit_detail(&paid_cb()),
        format!("pingpp pingpp:evt_1 {ORDER}A{ATTEMPT}")
    );
}

#[test]
fn another_channels_callback_is_refused() {
    let r = rejection(admit(&order(false), Provider::Paytm, &paid_cb()));
    assert_eq!(r.refused.status, 409);
    assert_eq!(r.refused.code(), "callback_wrong_channel");
    assert_eq!(
        r.refused.error.message,
        "channel: this order is not paid through pingpp"
    );
    assert_eq!(r.why, None);
    assert!(r.refused.audited);
}

#[test]
fn an_applied_event_is_a_duplicate_before_anything_is_matched() {
    let mut again = paid_cb();
    again.event_id = "pingpp:evt_paid".into();
    // Even with another amount: it was applied, so providers just need success.
    again.amount = CallbackAmount::Fiat(cny(1));
    assert_eq!(
        admit(&order(true), Provider::Pingpp, &again),
        Ok(Step::Duplicate)
    );
}

#[test]
fn a_mismatch_names_the_field_and_audits_the_difference() {
    let mut c = paid_cb();
    c.amount = CallbackAmount::Fiat(cny(400));
    let r = rejection(admit(&order(false), Provider::Pingpp, &c));
    assert_eq!(r.refused.code(), "callback_mismatch");
    assert_eq!(r.refused.error.message, "amount: does not match the order");
    assert_eq!(
        r.why.as_deref(),
        Some("amount: callback says 4.00 CNY, order is 5.00 CNY")
    );
    // A refund in a currency the order is not in, before its refund is known (its
    // amount is judged once it is).
    let mut c = refund_cb(200);
    c.amount = CallbackAmount::Fiat(Money::new(Currency::Inr, 200));
    let r = rejection(admit(&order(true), Provider::Pingpp, &c));
    assert_eq!(
        r.refused.error.message,
        "currency: does not match the order"
    );
}

#[test]
fn a_reference_to_no_started_attempt_is_refused() {
    let mut c = paid_cb();
    c.reference = ProviderRef::new(id(ORDER), id(ATTEMPT + 1));
    let r = rejection(admit(&order(false), Provider::Pingpp, &c));
    assert_eq!(r.refused.code(), "callback_unknown_attempt");
    assert_eq!(
        r.refused.error.message,
        "reference: names no payment attempt of this order"
    );
}

#[test]
fn a_success_is_confirmed_other_outcomes_are_not_and_a_refund_has_its_own_path() {
    // Paytm's unconfirmed success still matches here (its status pull comes next).
    let mut c = paid_cb();
    c.confirm_required = true;
    let open = order(false);
    assert_eq!(
        admit(&open, Provider::Pingpp, &c),
        Ok(Step::Apply { confirm: true })
    );
    let failed = cb(Outcome::Failed, CallbackAmount::Fiat(cny(500)));
    assert_eq!(
        admit(&open, Provider::Pingpp, &failed),
        Ok(Step::Apply { confirm: false })
    );
    assert_eq!(
        admit(&order(true), Provider::Pingpp, &refund_cb(200)),
        Ok(Step::Refund)
    );
}

#[test]
fn settle_errors_keep_their_own_codes() {
    let cases = [
        (
            SettleError::WrongAccount {
                field: "app",
                provider: Provider::Pingpp,
            },
            "callback_wrong_account",
        ),
        (
            SettleError::WrongTrade {
                reason: "charge: x",
            },
            "callback_wrong_trade",
        ),
        (SettleError::unconfirmed("no"), "callback_unconfirmed"),
    ];
    for (e, code) in cases {
        let r = settle_refused(&e);
        assert_eq!((r.status, r.code()), (409, code));
        assert_eq!(r.error.message, e.to_string());
    }
    assert_eq!(
        unconfirmed("not paid").error.message,
        "status: the provider's status query does not confirm this success (not paid)"
    );
}

#[test]
fn a_status_query_that_does_not_know_the_payment_refuses_and_a_failed_one_is_retried() {
    let unknown = |e: &&str| *e == "404";
    let r = pulled::<(), _>(Provider::Wallet, Err("404"), unknown).unwrap_err();
    assert_eq!((r.status, r.code()), (409, "callback_unconfirmed"));
    let r = pulled::<(), _>(Provider::Wallet, Err("timeout"), unknown).unwrap_err();
    assert_eq!((r.status, r.code()), (503, "provider_unavailable"));
    assert_eq!(r.error.kind, "api_error");
    assert_eq!(
        r.error.message,
        "status: wallet's status query could not be made (timeout); retry later"
    );
    assert_eq!(pulled(Provider::Wallet, Ok::<u8, &str>(1), unknown), Ok(1));
}

/// The paid order with refund 900 of ¥2.00 recorded (Ping++ id `re_1` when `known`).
fn refunding() -> Order {
    let mut o = order(true);
    o.apply(3, requested_event(id(900), 200));
    o
}

#[test]
fn a_confirmed_refund_of_ours_settles_it_by_provider_id_or_metadata() {
    let o = refunding();
    let by_id = refund_match(&o, [(id(900), Some("re_1"))], &refund_cb(200), None, false);
    let Ok(RefundMatch::Ours(event)) = by_id else {
        panic!("{by_id:?}")
    };
    assert_eq!(event.id, "pingpp:evt_1");
    // No answer ever arrived, so no Ping++ id: Kassa's id in the metadata names it.
    let by_meta = refund_match(&o, [(id(900), None)], &refund_cb(200), Some("900"), true);
    assert!(matches!(by_meta, Ok(RefundMatch::Ours(_))));
    let mut o = o;
    if let Ok(RefundMatch::Ours(e)) = by_meta {
        o.apply(4, e);
    }
    assert_eq!(o.status(), OrderStatus::PartiallyRefunded);
}

#[test]
fn a_refund_of_ours_with_another_amount_is_a_mismatch() {
    let r = refund_match(
        &refunding(),
        [(id(900), Some("re_1"))],
        &refund_cb(300),
        None,
        false,
    )
    .unwrap_err();
    assert_eq!(r.refused.code(), "callback_mismatch");
    assert_eq!(r.refused.error.message, "amount: does not match the order");
}

#[test]
fn a_strangers_refund_waits_for_ours_in_flight_else_needs_review() {
    let o = refunding();
    let recorded = [(id(900), Some("re_9"))];
    let r = refund_match(&o, recorded, &refund_cb(200), None, true).unwrap_err();
    assert_eq!(
        (r.refused.status, r.refused.code()),
        (503, "refund_in_flight")
    );
    assert!(!r.refused.audited, "retried, not audited");
    let Ok(RefundMatch::Unrequested(event)) =
        refund_match(&o, recorded, &refund_cb(200), Some("901"), false)
    else {
        panic!("a stranger's refund")
    };
    assert_eq!(event.id, "pingpp:evt_1");
    assert!(matches!(
        event.kind,
        EventKind::UnrequestedRefund { ref provider } if provider == "pingpp"
    ));
}
