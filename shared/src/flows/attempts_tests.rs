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
