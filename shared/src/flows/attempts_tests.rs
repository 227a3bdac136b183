//! The abandoned-attempt rules: which attempts are open, when the alarm asks, how a
//! verdict closes an attempt once, and that a late success still wins and is flagged.

use proptest::prelude::*;

use super::*;
use crate::money::{Currency, Money};
use crate::order::{OrderAmount, OrderStatus, ReviewReason};

const POLICY: AttemptPolicy = AttemptPolicy {
    query_after_ms: 600_000,
};

fn id(n: u64) -> Id {
    Id::new(n).unwrap_or_else(|e| panic!("{e}"))
}

fn order() -> Order {
    Order::new(
        id(1),
        OrderAmount::Fiat(Money::new(Currency::Cny, 500)),
        0,
        3_600_000,
    )
}

fn start(o: &mut Order, attempt: u64, at: u64) {
    o.apply(
        at,
        Event::new(
            format!("attempt_started_{attempt}"),
            EventKind::AttemptStarted {
                attempt: id(attempt),
            },
        ),
    );
}

#[test]
fn an_open_attempt_is_asked_about_a_window_after_it_started_and_again_after_each_ask() {
    let mut o = order();
    assert_eq!(next_query(&o, &BTreeMap::new(), &POLICY), None);
    start(&mut o, 7, 1_000);
    assert_eq!(open_attempts(&o), vec![(id(7), 1_000)]);
    assert_eq!(next_query(&o, &BTreeMap::new(), &POLICY), Some(601_000));
    assert!(due(&o, &BTreeMap::new(), &POLICY, 600_999).is_empty());
    assert_eq!(due(&o, &BTreeMap::new(), &POLICY, 601_000), vec![id(7)]);
    // Asked at 700 000 and still in flight: next at 1 300 000.
    let asked = BTreeMap::from([(id(7), 700_000)]);
    assert_eq!(next_query(&o, &asked, &POLICY), Some(1_300_000));
    assert!(due(&o, &asked, &POLICY, 1_000_000).is_empty());
}

#[test]
fn a_closing_applies_once_and_the_order_is_payable_again() {
    let mut o = order();
    start(&mut o, 7, 1_000);
    assert_eq!(o.status(), OrderStatus::Processing);
    let close = closing_event(id(7), Closing::Abandoned);
    o.apply(700_000, close.clone());
    assert_eq!(o.status(), OrderStatus::Pending);
    assert!(open_attempts(&o).is_empty());
    assert_eq!(next_query(&o, &BTreeMap::new(), &POLICY), None);
    let seq = o.status_seq();
    o.apply(800_000, close);
    assert_eq!(o.status_seq(), seq, "a second ask changes nothing");
    assert_eq!(closing(&Verdict::Failed), Some(Closing::Declined));
    assert_eq!(closing(&Verdict::NoOutcome), Some(Closing::Abandoned));
    assert_eq!(closing(&Verdict::InFlight), None);
}

#[test]
fn a_failed_last_attempt_shows_as_failed_while_the_order_is_open() {
    let mut o = order();
    assert_eq!(shown_status(&o), OrderStatus::Pending);
    start(&mut o, 7, 1_000);
    assert_eq!(shown_status(&o), OrderStatus::Processing);
    o.apply(2_000, closing_event(id(7), Closing::Declined));
    assert!(last_attempt_failed(&o));
    assert_eq!(o.status(), OrderStatus::Pending, "still payable");
    assert_eq!(shown_status(&o), OrderStatus::Failed);
    start(&mut o, 8, 3_000);
    assert_eq!(
        shown_status(&o),
        OrderStatus::Processing,
        "a new attempt is what counts"
    );
    o.apply(4_000, Event::new("expired", EventKind::Expired));
    assert_eq!(shown_status(&o), OrderStatus::Expired);
}

#[test]
fn a_late_success_of_an_abandoned_attempt_wins_and_is_flagged() {
    let mut o = order();
    start(&mut o, 7, 1_000);
    o.apply(700_000, closing_event(id(7), Closing::Abandoned));
    start(&mut o, 8, 710_000);
    o.apply(
        720_000,
        Event::new(
            "paytm:T7:TXN_SUCCESS",
            EventKind::AttemptSucceeded {
                attempt: id(7),
                provider: "paytm".into(),
            },
        ),
    );
    assert_eq!(o.status(), OrderStatus::Succeeded);
    assert!(o
        .review_reasons()
        .contains(&ReviewReason::PaidAfterAttemptFailed));
    assert_eq!(next_query(&o, &BTreeMap::new(), &POLICY), None, "closed");
}

fn paid_callback(attempt: u64, minor: u64) -> VerifiedCallback {
    use crate::callback::{CallbackAmount, Outcome, Provider, ProviderRef};
    VerifiedCallback {
        provider: Provider::Paytm,
        event_id: format!("paytm:T{attempt}:TXN_SUCCESS"),
        reference: ProviderRef::new(id(1), id(attempt)),
        outcome: Outcome::Succeeded,
        amount: CallbackAmount::Fiat(Money::new(Currency::Cny, minor)),
        provider_txn: format!("T{attempt}"),
        confirm_required: false,
        account: None,
        refunded_txn: None,
    }
}

#[test]
fn a_verified_success_is_applied_as_its_callback_and_audited() {
    let mut o = order();
    start(&mut o, 7, 1_000);
    let paid = Verdict::Succeeded(Box::new(paid_callback(7, 500)));
    let Action::Apply { event, audit } = action(&o, id(7), &paid, false) else {
        panic!("a success applies")
    };
    assert_eq!(event.id, "paytm:T7:TXN_SUCCESS");
    assert_eq!(audit.reason, "attempt_query_paid");
    assert_eq!(audit.detail, "7 T7");
    o.apply(2_000, event);
    assert_eq!(o.status(), OrderStatus::Succeeded);
}

#[test]
fn a_paid_transaction_that_does_not_match_changes_nothing_but_is_audited() {
    let mut o = order();
    start(&mut o, 7, 1_000);
    let paid = Verdict::Succeeded(Box::new(paid_callback(7, 400)));
    let Action::Leave(Some(audit)) = action(&o, id(7), &paid, true) else {
        panic!("a mismatch applies nothing")
    };
    assert_eq!(audit.reason, "attempt_query_mismatch");
    assert!(audit.detail.starts_with("7: amount:"), "{}", audit.detail);
}

#[test]
fn no_outcome_closes_only_when_abandoning_and_in_flight_never() {
    let mut o = order();
    start(&mut o, 7, 1_000);
    assert_eq!(
        action(&o, id(7), &Verdict::NoOutcome, false),
        Action::Leave(None)
    );
    assert_eq!(
        action(&o, id(7), &Verdict::InFlight, true),
        Action::Leave(None)
    );
    let Action::Apply { event, audit } = action(&o, id(7), &Verdict::NoOutcome, true) else {
        panic!("abandoned")
    };
    assert_eq!(event, closing_event(id(7), Closing::Abandoned));
    assert_eq!(
        (audit.reason, audit.detail.as_str()),
        ("attempt_abandoned", "7")
    );
    // A decline is a decision: applied even for a returning shopper's page.
    let Action::Apply { event, audit } = action(&o, id(7), &Verdict::Failed, false) else {
        panic!("declined")
    };
    assert_eq!(event, closing_event(id(7), Closing::Declined));
    assert_eq!(audit.reason, "attempt_declined");
}

#[test]
fn a_returning_shopper_asks_at_most_every_gap_and_only_while_open() {
    let mut o = order();
    let none = BTreeMap::new();
    assert!(refresh_due(&o, &none, 0).is_empty());
    start(&mut o, 7, 1_000);
    assert_eq!(
        refresh_due(&o, &none, 1_000),
        vec![id(7)],
        "new: asked at once"
    );
    let asked = BTreeMap::from([(id(7), 10_000)]);
    assert!(refresh_due(&o, &asked, 10_000 + REFRESH_GAP_MS - 1).is_empty());
    assert_eq!(
        refresh_due(&o, &asked, 10_000 + REFRESH_GAP_MS),
        vec![id(7)]
    );
    o.apply(20_000, Event::new("cancelled", EventKind::Cancelled));
    assert!(refresh_due(&o, &none, 30_000).is_empty(), "closed");
}

#[test]
fn asks_are_kept_only_for_attempts_in_flight() {
    let mut o = order();
    start(&mut o, 7, 1_000);
    start(&mut o, 8, 2_000);
    o.apply(3_000, closing_event(id(7), Closing::Declined));
    let mut asked = BTreeMap::from([(id(7), 1), (id(8), 2), (id(9), 3)]);
    keep_asked(&o, &mut asked);
    assert_eq!(asked, BTreeMap::from([(id(8), 2)]));
}

proptest! {
    /// Whatever the start and ask times, the alarm is never set before an attempt's
    /// window has passed, and a due attempt is never one asked less than a window ago.
    #[test]
    fn never_asked_before_its_window(started in 0u64..1_000_000, asked_at in proptest::option::of(0u64..2_000_000), now in 0u64..3_000_000) {
        let mut o = order();
        start(&mut o, 7, started);
        let asked: BTreeMap<Id, u64> = asked_at.map(|a| (id(7), a)).into_iter().collect();
        let base = asked_at.unwrap_or(started);
        if let Some(at) = next_query(&o, &asked, &POLICY) {
            prop_assert_eq!(at, base + POLICY.query_after_ms);
        }
        let due_now = due(&o, &asked, &POLICY, now);
        prop_assert_eq!(!due_now.is_empty(), now >= base + POLICY.query_after_ms);
    }
}
