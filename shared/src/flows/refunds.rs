//! Refunds waiting on a provider that has a refund status API (Paytm's Refund Status
//! API, the wallet's signed refund state; issue 16 item 7): when to ask, and what the
//! answer does to the order. Ping++ refunds settle by Ping++'s signed webhook (and its
//! retrieve) instead; S3's are made by hand and recorded by the merchant.
//!
//! - A refund is **open** while its own lattice says `Refunding`.
//! - It is asked about a window after it was made (its id is time-ordered, so the id
//!   says when) and again a window after each ask, until the provider decides.
//! - A decision becomes the refund's event with a fixed id per refund and outcome, so
//!   asking twice, or a pull racing a callback, applies it once.

use std::collections::BTreeMap;

use crate::id::Id;
use crate::order::{Event, EventKind, Order, RefundStatus};
use crate::providers::refund::RefundVerdict;

/// How long a refund waits before (and between) asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundPolicy {
    pub query_after_ms: u64,
}

impl Default for RefundPolicy {
    fn default() -> Self {
        Self {
            query_after_ms: 60_000,
        }
    }
}

/// The order's refunds still `Refunding`.
#[must_use]
pub fn open_refunds(order: &Order) -> Vec<Id> {
    order
        .refunds()
        .iter()
        .filter(|(_, r)| r.status() == Some(RefundStatus::Refunding))
        .map(|(id, _)| id)
        .collect()
}

fn due_at(refund: Id, asked: &BTreeMap<Id, u64>, policy: &RefundPolicy) -> u64 {
    asked
        .get(&refund)
        .copied()
        .unwrap_or_else(|| refund.unix_ms())
        .saturating_add(policy.query_after_ms)
}

/// When the next open refund is due to be asked about; `None` when none is open.
#[must_use]
pub fn next_query(order: &Order, asked: &BTreeMap<Id, u64>, policy: &RefundPolicy) -> Option<u64> {
    open_refunds(order)
        .into_iter()
        .map(|r| due_at(r, asked, policy))
        .min()
}

/// The open refunds due to be asked about at `now`.
#[must_use]
pub fn due(order: &Order, asked: &BTreeMap<Id, u64>, policy: &RefundPolicy, now: u64) -> Vec<Id> {
    open_refunds(order)
        .into_iter()
        .filter(|r| due_at(*r, asked, policy) <= now)
        .collect()
}

/// The event a provider's decision about `refund` makes (`None` while it is pending).
/// `amount` is the refund's, in the order's smallest unit.
#[must_use]
pub fn verdict_event(
    refund: Id,
    amount: u128,
    provider: &str,
    verdict: &RefundVerdict,
) -> Option<Event> {
    let kind = match verdict {
        RefundVerdict::Pending => return None,
        RefundVerdict::Succeeded => EventKind::RefundSucceeded {
            refund,
            provider: provider.to_owned(),
            amount: Some(amount),
        },
        RefundVerdict::Failed { .. } => EventKind::RefundFailed { refund },
    };
    let outcome = kind.name();
    Some(Event::new(
        format!("{provider}:refund:{refund}:{outcome}"),
        kind,
    ))
}

#[cfg(test)]
mod tests {
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
}
