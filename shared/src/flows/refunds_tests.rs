//! The refund status pull and what a provider's answer does to a refund.

use super::*;
use crate::id::EPOCH_MS;
use crate::money::{Currency, Money};
use crate::order::OrderAmount;

/// An id made at unix ms `at`.
fn id_at(at: u64) -> Id {
    Id::new((at - EPOCH_MS) << 22).unwrap_or_else(|e| panic!("{e}"))
}

fn paid_order() -> Order {
    let t = EPOCH_MS + 1_000_000;
    let amount = OrderAmount::Fiat(Money::new(Currency::Inr, 1000));
    let mut o = Order::new(id_at(t), amount, t, t + 900_000);
    let paid = EventKind::AttemptSucceeded {
        attempt: id_at(t),
        provider: "paytm".into(),
    };
    o.apply(t, Event::new("paid", paid));
    o
}

#[test]
fn an_open_refund_is_asked_a_window_after_it_was_made_then_after_each_ask() {
    let mut o = paid_order();
    let made = EPOCH_MS + 2_000_000;
    let r = id_at(made);
    let policy = RefundPolicy {
        query_after_ms: 5_000,
    };
    let mut asked = BTreeMap::new();
    assert_eq!(next_query(&o, &asked, &policy), None);
    let ev = EventKind::RefundRequested {
        refund: r,
        amount: Some(300),
    };
    o.apply(made, Event::new("req", ev));
    assert_eq!(next_query(&o, &asked, &policy), Some(made + 5_000));
    assert!(due(&o, &asked, &policy, made + 4_999).is_empty());
    assert_eq!(due(&o, &asked, &policy, made + 5_000), vec![r]);
    asked.insert(r, made + 6_000);
    assert_eq!(next_query(&o, &asked, &policy), Some(made + 11_000));
    // Pending: nothing to apply.
    assert_eq!(
        verdict_event(r, 300, "paytm", &RefundVerdict::Pending),
        None
    );
    let done = verdict_event(r, 300, "paytm", &RefundVerdict::Succeeded);
    let Some(done) = done else {
        panic!("a success is an event")
    };
    assert_eq!(done.id, format!("paytm:refund:{r}:refund_succeeded"));
    o.apply(made + 6_000, done);
    assert_eq!(next_query(&o, &asked, &policy), None);
    assert_eq!(o.refunded_units(), 300);
}

#[test]
fn a_failure_closes_the_refund() {
    let mut o = paid_order();
    let r = id_at(EPOCH_MS + 2_000_000);
    let ev = EventKind::RefundRequested {
        refund: r,
        amount: Some(1000),
    };
    o.apply(0, Event::new("req", ev));
    let failed = RefundVerdict::Failed {
        reason: "bank".into(),
    };
    let Some(ev) = verdict_event(r, 1000, "wallet", &failed) else {
        panic!("a failure is an event")
    };
    o.apply(0, ev);
    assert!(open_refunds(&o).is_empty());
    assert_eq!(o.status(), crate::order::OrderStatus::RefundFailed);
}
