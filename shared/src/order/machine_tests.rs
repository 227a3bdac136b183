//! Unit tests for each SPEC 2 rule, and the required permutation property.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::money::Currency;
use crate::order::effect::EffectKey;

fn id(n: u64) -> Id {
    Id::new(n).unwrap_or_else(|e| panic!("{e}"))
}

fn order() -> Order {
    let amount = OrderAmount::Fiat(Money::new(Currency::Cny, 1000));
    Order::new(id(1), amount, 1_000, 61_000)
}

fn started(a: u64) -> EventKind {
    EventKind::AttemptStarted { attempt: id(a) }
}
fn processing(a: u64) -> EventKind {
    EventKind::AttemptProcessing { attempt: id(a) }
}
fn paid(a: u64) -> EventKind {
    EventKind::AttemptSucceeded {
        attempt: id(a),
        provider: "paytm".to_owned(),
    }
}
fn failed(a: u64) -> EventKind {
    EventKind::AttemptFailed { attempt: id(a) }
}
fn closed() -> EventKind {
    EventKind::ProviderClosed {
        provider: "paytm".to_owned(),
    }
}
/// Refund `r`'s fixed amount (the order is 1000): 300, 600, 900, … — a refund's amount
/// is fixed when the merchant asks for it.
fn refund_amount(r: u64) -> u128 {
    u128::from(r) * 300
}
fn requested(r: u64) -> EventKind {
    EventKind::RefundRequested {
        refund: id(r),
        amount: Some(refund_amount(r)),
    }
}
fn refunded_part(r: u64) -> EventKind {
    EventKind::RefundSucceeded {
        refund: id(r),
        provider: "pingpp".to_owned(),
        amount: Some(refund_amount(r)),
    }
}
fn refund_failed(r: u64) -> EventKind {
    EventKind::RefundFailed { refund: id(r) }
}
/// A full refund (the order's whole 1000).
fn full_requested(r: u64) -> EventKind {
    EventKind::RefundRequested {
        refund: id(r),
        amount: Some(1000),
    }
}
fn refunded(r: u64) -> EventKind {
    EventKind::RefundSucceeded {
        refund: id(r),
        provider: "pingpp".to_owned(),
        amount: Some(1000),
    }
}

/// Applies kinds with fresh ids `e0`, `e1`, … and returns all effects.
fn run(o: &mut Order, kinds: &[EventKind]) -> Vec<Effect> {
    let base = o.history().len();
    kinds
        .iter()
        .enumerate()
        .flat_map(|(i, k)| o.apply(2_000, Event::new(format!("e{}", base + i), k.clone())))
        .collect()
}

fn relays(effects: &[Effect]) -> Vec<&'static str> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Relay { status } => Some(status.as_str()),
            _ => None,
        })
        .collect()
}

fn changes(effects: &[Effect]) -> Vec<(OrderStatus, OrderStatus)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::StatusChanged { from, to, .. } => Some((*from, *to)),
            _ => None,
        })
        .collect()
}

use OrderStatus as S;

#[test]
fn new_order_is_pending() {
    let o = order();
    assert_eq!(o.status(), S::Pending);
    assert!(o.is_open() && !o.needs_review() && o.history().is_empty());
    assert!(!o.is_due_to_expire(60_999));
    assert!(o.is_due_to_expire(61_000));
}

#[test]
fn happy_path_relays_pay_ing_then_pay_success() {
    let mut o = order();
    let fx = run(&mut o, &[started(7), processing(7), paid(7)]);
    assert_eq!(
        fx,
        vec![
            Effect::StatusChanged {
                seq: 1,
                from: S::Pending,
                to: S::Processing
            },
            Effect::Relay {
                status: RelayStatus::PayIng
            },
            Effect::StatusChanged {
                seq: 2,
                from: S::Processing,
                to: S::Succeeded
            },
            Effect::Relay {
                status: RelayStatus::PaySuccess
            },
        ]
    );
    assert_eq!(o.status(), S::Succeeded);
    assert_eq!(
        o.attempt(id(7)).map(Attempt::status),
        Some(AttemptStatus::Succeeded)
    );
    assert_eq!(o.history()[1].disposition, Disposition::Recorded);
    assert!(!o.is_due_to_expire(u64::MAX));
}

#[test]
fn a_failed_attempt_does_not_end_the_order() {
    let mut o = order();
    let fx = run(&mut o, &[started(1), failed(1), started(2), paid(2)]);
    assert_eq!(
        changes(&fx),
        vec![
            (S::Pending, S::Processing),
            (S::Processing, S::Pending),
            (S::Pending, S::Processing),
            (S::Processing, S::Succeeded),
        ]
    );
    // PAY_ING is relayed once although Processing was entered twice.
    assert_eq!(relays(&fx), vec!["PAY_ING", "PAY_SUCCESS"]);
    assert!(!o.needs_review());
}

#[test]
fn attempt_failed_and_other_attempt_paid_in_either_order() {
    let mut a = order();
    run(&mut a, &[failed(1), paid(2)]);
    let mut b = order();
    run(&mut b, &[paid(2), failed(1)]);
    assert_eq!(a.status(), S::Succeeded);
    assert_eq!(b.status(), S::Succeeded);
    assert_eq!(a.attempts(), b.attempts());
    assert!(!a.needs_review() && !b.needs_review());
}

#[test]
fn expiry_closes_an_open_order_even_with_an_attempt_in_flight() {
    let mut o = order();
    run(&mut o, &[started(1)]);
    let fx = run(&mut o, &[EventKind::Expired]);
    assert_eq!(changes(&fx), vec![(S::Processing, S::Expired)]);
    assert_eq!(relays(&fx), vec!["TRADE_CLOSE"]);
    // Paying again later changes nothing (the edge's risk rules refuse it anyway).
    let fx = run(&mut o, &[started(2)]);
    assert!(fx.is_empty());
    assert_eq!(o.status(), S::Expired);
    assert!(!o.is_open());
}

#[test]
fn verified_success_beats_expired_and_needs_review_in_both_orders() {
    let mut a = order();
    let fa = run(&mut a, &[started(1), EventKind::Expired, paid(1)]);
    let mut b = order();
    let fb = run(&mut b, &[started(1), paid(1), EventKind::Expired]);
    for o in [&a, &b] {
        assert_eq!(o.status(), S::Succeeded);
        assert_eq!(
            o.review_reasons(),
            BTreeSet::from([ReviewReason::PaidAfterClose])
        );
    }
    assert_eq!(relays(&fa), vec!["PAY_ING", "TRADE_CLOSE", "PAY_SUCCESS"]);
    assert_eq!(relays(&fb), vec!["PAY_ING", "PAY_SUCCESS"]);
    let review = Effect::NeedsReview {
        reason: ReviewReason::PaidAfterClose,
    };
    assert_eq!(fa.iter().filter(|e| **e == review).count(), 1);
    assert_eq!(fb.iter().filter(|e| **e == review).count(), 1);
    // Success then Expired: the Expired is kept, does not move the status.
    assert_eq!(b.history()[2].disposition, Disposition::Recorded);
}

#[test]
fn verified_success_beats_cancelled_and_provider_closed() {
    for close in [EventKind::Cancelled, closed()] {
        let mut o = order();
        let fx = run(&mut o, &[close.clone(), paid(1)]);
        assert_eq!(o.status(), S::Succeeded, "{close:?}");
        assert!(o.needs_review());
        assert_eq!(relays(&fx), vec!["TRADE_CLOSE", "PAY_SUCCESS"]);
    }
}

#[test]
fn closing_decisions_resolve_by_precedence_not_arrival() {
    let mut a = order();
    run(&mut a, &[EventKind::Expired, EventKind::Cancelled]);
    let mut b = order();
    let fb = run(&mut b, &[EventKind::Cancelled, EventKind::Expired]);
    assert_eq!(a.status(), S::Cancelled);
    assert_eq!(b.status(), S::Cancelled);
    assert_eq!(b.history()[1].disposition, Disposition::Recorded);
    assert_eq!(relays(&fb), vec!["TRADE_CLOSE"]);
    let mut c = order();
    let fc = run(
        &mut c,
        &[EventKind::Expired, closed(), EventKind::Cancelled],
    );
    assert_eq!(c.status(), S::Failed);
    // One TRADE_CLOSE for the order, however many closing moves it made.
    assert_eq!(relays(&fc), vec!["TRADE_CLOSE"]);
}

#[test]
fn same_attempt_failed_and_paid_succeeds_with_review() {
    let mut o = order();
    run(&mut o, &[started(1), failed(1)]);
    assert_eq!(o.status(), S::Pending);
    run(&mut o, &[paid(1)]);
    assert_eq!(o.status(), S::Succeeded);
    assert_eq!(
        o.review_reasons(),
        BTreeSet::from([ReviewReason::PaidAfterAttemptFailed])
    );
}

#[test]
fn two_paid_attempts_need_review() {
    let mut o = order();
    let fx = run(&mut o, &[paid(1), paid(2)]);
    assert_eq!(
        o.review_reasons(),
        BTreeSet::from([ReviewReason::PaidTwice])
    );
    assert_eq!(relays(&fx), vec!["PAY_SUCCESS"]);
    assert_eq!(changes(&fx).len(), 1);
}

#[test]
fn duplicate_event_id_changes_nothing() {
    let mut o = order();
    let e = Event::new("cb-1", paid(1));
    assert!(!o.apply(1, e.clone()).is_empty());
    let snapshot = o.clone();
    assert!(o.apply(2, e.clone()).is_empty());
    assert_eq!(o, snapshot);
    assert!(o.has_applied("cb-1"));
}

#[test]
fn same_fact_under_a_new_id_is_ignored() {
    let mut o = order();
    run(&mut o, &[paid(1)]);
    let fx = run(
        &mut o,
        &[paid(1), processing(1), started(1), EventKind::Cancelled],
    );
    // Only the review the late Cancelled raises: no status change, no relay.
    assert_eq!(
        fx,
        vec![Effect::NeedsReview {
            reason: ReviewReason::PaidAfterClose
        }]
    );
    let ds: Vec<_> = o.history().iter().map(|h| h.disposition).collect();
    assert_eq!(
        ds,
        vec![
            Disposition::Moved,
            Disposition::Ignored,
            Disposition::Ignored,
            Disposition::Ignored,
            Disposition::Recorded,
        ]
    );
    assert_eq!(o.status(), S::Succeeded);
}

#[test]
fn refund_lattice_after_success() {
    let mut o = order();
    run(&mut o, &[paid(1)]);
    let fx = run(&mut o, &[full_requested(7)]);
    assert_eq!(changes(&fx), vec![(S::Succeeded, S::Refunding)]);
    assert!(relays(&fx).is_empty());
    assert!(fx.contains(&Effect::RefundChanged {
        refund: id(7),
        status: RefundStatus::Refunding
    }));
    let fx = run(&mut o, &[refund_failed(7)]);
    assert_eq!(changes(&fx), vec![(S::Refunding, S::RefundFailed)]);
    // The merchant retries under a new refund id.
    let fx = run(&mut o, &[full_requested(8)]);
    assert_eq!(changes(&fx), vec![(S::RefundFailed, S::Refunding)]);
    let fx = run(&mut o, &[refunded(8)]);
    assert_eq!(changes(&fx), vec![(S::Refunding, S::Refunded)]);
    assert_eq!(relays(&fx), vec!["REFUND_SUCCESS"]);
    assert!(fx.contains(&Effect::RefundChanged {
        refund: id(8),
        status: RefundStatus::Refunded
    }));
    // A late refusal of the old refund, a repeated request: nothing moves.
    let fx = run(&mut o, &[refund_failed(7), full_requested(8)]);
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(o.status(), S::Refunded);
    assert_eq!(o.refundable_units(), 0);
}

#[test]
fn partial_then_full_refund() {
    let mut o = order();
    run(&mut o, &[paid(1)]);
    assert_eq!(o.refundable_units(), 1000);
    let fx = run(&mut o, &[requested(1)]);
    assert_eq!(changes(&fx), vec![(S::Succeeded, S::Refunding)]);
    assert_eq!(o.refundable_units(), 700);
    let fx = run(&mut o, &[refunded_part(1)]);
    assert_eq!(changes(&fx), vec![(S::Refunding, S::PartiallyRefunded)]);
    assert!(
        relays(&fx).is_empty(),
        "S0 hears REFUND_SUCCESS once, in full"
    );
    assert_eq!((o.refunded_units(), o.refundable_units()), (300, 700));
    // The rest: 700 (refund 9 asks for exactly what is left).
    let rest = EventKind::RefundRequested {
        refund: id(9),
        amount: Some(700),
    };
    let done = EventKind::RefundSucceeded {
        refund: id(9),
        provider: "paytm".to_owned(),
        amount: Some(700),
    };
    let fx = run(&mut o, &[rest, done]);
    assert_eq!(
        changes(&fx),
        vec![
            (S::PartiallyRefunded, S::Refunding),
            (S::Refunding, S::Refunded)
        ]
    );
    assert_eq!(relays(&fx), vec!["REFUND_SUCCESS"]);
    assert_eq!(o.refunded_units(), 1000);
}

#[test]
fn refund_events_before_the_success_count_once_it_arrives() {
    let mut o = order();
    let fx = run(&mut o, &[full_requested(7), refunded(7)]);
    assert!(changes(&fx).is_empty());
    assert!(relays(&fx).is_empty());
    assert_eq!(o.status(), S::Pending);
    assert_eq!(o.history()[0].disposition, Disposition::Recorded);
    let fx = run(&mut o, &[paid(1)]);
    assert_eq!(
        fx,
        vec![
            Effect::StatusChanged {
                seq: 1,
                from: S::Pending,
                to: S::Refunded
            },
            Effect::Relay {
                status: RelayStatus::PaySuccess
            },
            Effect::Relay {
                status: RelayStatus::RefundSuccess
            },
        ]
    );
}

#[test]
fn effects_of_refunds_before_the_success_are_refund_webhooks_only() {
    let mut o = order();
    let fx = run(&mut o, &[full_requested(7)]);
    assert_eq!(
        fx,
        vec![Effect::RefundChanged {
            refund: id(7),
            status: RefundStatus::Refunding
        }]
    );
}

fn unrequested() -> EventKind {
    EventKind::UnrequestedRefund {
        provider: "pingpp".to_owned(),
    }
}

#[test]
fn unrequested_refund_flags_review_and_moves_nothing() {
    let mut o = order();
    run(&mut o, &[started(1), processing(1), paid(1)]);
    let fx = run(&mut o, &[unrequested()]);
    assert_eq!(
        fx,
        vec![Effect::NeedsReview {
            reason: ReviewReason::UnrequestedRefund
        }]
    );
    assert_eq!(o.status(), S::Succeeded);
    assert!(o.needs_review());
    assert_eq!(
        o.history().last().map(|h| h.disposition),
        Some(Disposition::Recorded)
    );
    // No refund relay, no `Refunded`; the same fact again under another id: nothing.
    assert!(run(&mut o, &[unrequested()]).is_empty());
    // The merchant may still refund through Kassa afterwards.
    let fx = run(&mut o, &[full_requested(7), refunded(7)]);
    assert_eq!(
        changes(&fx),
        vec![(S::Succeeded, S::Refunding), (S::Refunding, S::Refunded)]
    );
    assert_eq!(relays(&fx), vec!["REFUND_SUCCESS"]);
    assert!(o
        .review_reasons()
        .contains(&ReviewReason::UnrequestedRefund));
}

#[test]
fn unrequested_refund_before_the_success_counts_once_it_arrives() {
    let mut o = order();
    let fx = run(&mut o, &[started(1), unrequested()]);
    assert_eq!(changes(&fx), vec![(S::Pending, S::Processing)]);
    assert!(!o.needs_review(), "not paid yet: nothing to review");
    assert_eq!(o.history()[1].disposition, Disposition::Recorded);
    let fx = run(&mut o, &[paid(1)]);
    assert_eq!(changes(&fx), vec![(S::Processing, S::Succeeded)]);
    assert!(fx.contains(&Effect::NeedsReview {
        reason: ReviewReason::UnrequestedRefund
    }));
    assert_eq!(o.status(), S::Succeeded);
}

#[test]
fn serde_round_trip() {
    let mut o = order();
    run(
        &mut o,
        &[
            started(476_682_884_348_973_312),
            EventKind::Expired,
            paid(5),
        ],
    );
    let json = serde_json::to_string(&o).unwrap_or_else(|e| panic!("{e}"));
    let back: Order = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, o);
    assert!(json.contains(r#""476682884348973312":"#), "{json}");
}

// ---- The required property (SPEC 2) ----

fn kind_strategy() -> impl Strategy<Value = EventKind> {
    let attempt = 1u64..=3;
    let provider = prop_oneof![Just("paytm"), Just("pingpp")].prop_map(str::to_owned);
    prop_oneof![
        attempt.clone().prop_map(started),
        attempt.clone().prop_map(processing),
        (attempt.clone(), provider.clone()).prop_map(|(a, provider)| EventKind::AttemptSucceeded {
            attempt: id(a),
            provider
        }),
        attempt.prop_map(failed),
        provider
            .clone()
            .prop_map(|provider| EventKind::ProviderClosed { provider }),
        Just(EventKind::Expired),
        Just(EventKind::Cancelled),
        (1u64..=4).prop_map(requested),
        (1u64..=4).prop_map(refunded_part),
        (1u64..=4).prop_map(refund_failed),
        provider.prop_map(|provider| EventKind::UnrequestedRefund { provider }),
        (
            prop::collection::btree_set(
                prop_oneof![
                    Just(ReviewReason::PaidAfterClose),
                    Just(ReviewReason::PaidTwice),
                    Just(ReviewReason::UnrequestedRefund),
                ],
                1..=2
            ),
            prop_oneof![Just(Resolution::Refunded), Just(Resolution::Fulfilled)]
        )
            .prop_map(|(reasons, resolution)| EventKind::ReviewResolved {
                reasons,
                resolution
            }),
    ]
}

/// A set of distinct events (unique ids) plus duplicates of some of them.
fn deliveries() -> impl Strategy<Value = Vec<Event>> {
    (
        prop::collection::vec(kind_strategy(), 1..=12),
        prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    )
        .prop_map(|(kinds, dups)| {
            let events: Vec<Event> = kinds
                .into_iter()
                .enumerate()
                .map(|(i, k)| Event::new(format!("ev-{i}"), k))
                .collect();
            let mut all = events.clone();
            all.extend(dups.iter().map(|d| events[d.index(events.len())].clone()));
            all
        })
}

type Outcome = (
    OrderStatus,
    bool,
    BTreeSet<ReviewReason>,
    BTreeMap<Id, Attempt>,
    Lifecycle,
    Refunds,
    BTreeMap<ReviewReason, Resolution>,
    BTreeSet<String>,
);

fn outcome(o: &Order) -> Outcome {
    (
        o.status(),
        o.needs_review(),
        o.review_reasons(),
        o.attempts().clone(),
        o.lifecycle(),
        o.refunds().clone(),
        o.resolved().clone(),
        o.applied().clone(),
    )
}

/// Applies the deliveries and checks the per-run effect invariants.
fn replay(events: &[Event]) -> Result<Order, TestCaseError> {
    let mut o = order();
    let mut effects = Vec::new();
    for (t, e) in events.iter().enumerate() {
        effects.extend(o.apply(t as u64, e.clone()));
    }
    let mut keys = BTreeSet::new();
    for e in &effects {
        prop_assert!(
            keys.insert(e.key()),
            "effect emitted twice: {e:?} in {effects:?}"
        );
    }
    // Refunding, RefundFailed and PartiallyRefunded may come back with each new
    // refund; these are entered once.
    let terminal = [
        S::Succeeded,
        S::Failed,
        S::Expired,
        S::Cancelled,
        S::Refunded,
    ];
    for t in terminal {
        let entered = changes(&effects).iter().filter(|(_, to)| *to == t).count();
        prop_assert!(entered <= 1, "{t:?} entered {entered} times");
    }
    // The announcements add up to the final state.
    let last = changes(&effects).last().map_or(S::Pending, |(_, to)| *to);
    prop_assert_eq!(last, o.status());
    let announced: BTreeSet<ReviewReason> = keys
        .iter()
        .filter_map(|k| match k {
            EffectKey::NeedsReview(r) => Some(*r),
            _ => None,
        })
        .collect();
    prop_assert_eq!(announced, o.review_reasons());
    prop_assert_eq!(
        keys.contains(&EffectKey::Relay(RelayStatus::PaySuccess)),
        o.paid()
    );
    prop_assert_eq!(
        keys.contains(&EffectKey::Relay(RelayStatus::RefundSuccess)),
        o.status() == S::Refunded
    );
    prop_assert_eq!(o.status_seq() as usize, changes(&effects).len());
    // Every refund's current status was announced (its `refund.*` webhook), and no
    // announcement names a status the refund never had.
    for (refund, r) in o.refunds().iter() {
        if let Some(status) = r.status() {
            prop_assert!(keys.contains(&EffectKey::Refund(refund, status)));
        }
    }
    for k in &keys {
        if let EffectKey::Refund(refund, status) = k {
            let now = o.refunds().get(*refund).and_then(|r| r.status());
            prop_assert!(now.is_some_and(|n| n >= *status), "{k:?} vs {now:?}");
        }
    }
    // Each resolution of a reason the order has is announced once; needs_review is
    // exactly the unresolved reasons.
    for r in o.review_reasons() {
        prop_assert_eq!(
            keys.contains(&EffectKey::ReviewResolved(r)),
            o.resolved().contains_key(&r)
        );
    }
    prop_assert_eq!(
        o.needs_review(),
        o.review_reasons()
            .iter()
            .any(|r| !o.resolved().contains_key(r))
    );
    // Refunds never return more than was captured, whatever arrives.
    prop_assert!(o.refunded_units() <= o.amount().units());
    // Replaying everything again is a no-op.
    let snapshot = o.clone();
    for e in events {
        prop_assert!(o.apply(u64::MAX, e.clone()).is_empty());
    }
    prop_assert_eq!(&o, &snapshot);
    Ok(o)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn any_permutation_with_duplicates_ends_in_the_same_state(
        (a, b) in deliveries().prop_flat_map(|d| (Just(d.clone()).prop_shuffle(), Just(d).prop_shuffle()))
    ) {
        let oa = replay(&a)?;
        let ob = replay(&b)?;
        prop_assert_eq!(outcome(&oa), outcome(&ob));
        // Status history never shows a terminal status twice (checked in replay) and
        // the stored relays agree with what was emitted.
        prop_assert!(oa.relayed().contains(&RelayStatus::PaySuccess) == oa.paid());
    }
}

#[test]
fn the_merchant_resolves_a_review_and_a_new_reason_reopens_it() {
    let mut o = order();
    run(&mut o, &[paid(1), paid(2)]);
    assert!(o.needs_review());
    let resolve = |reasons: &[ReviewReason], resolution| EventKind::ReviewResolved {
        reasons: reasons.iter().copied().collect(),
        resolution,
    };
    let fx = run(
        &mut o,
        &[resolve(&[ReviewReason::PaidTwice], Resolution::Refunded)],
    );
    assert_eq!(
        fx,
        vec![Effect::ReviewResolved {
            reason: ReviewReason::PaidTwice
        }]
    );
    assert!(!o.needs_review());
    assert!(
        o.review_reasons().contains(&ReviewReason::PaidTwice),
        "kept as a record"
    );
    assert_eq!(o.status(), S::Succeeded, "the status is not the review's");
    // Resolving it again: nothing new.
    let fx = run(
        &mut o,
        &[resolve(&[ReviewReason::PaidTwice], Resolution::Refunded)],
    );
    assert!(fx.is_empty(), "{fx:?}");
    assert!(!o.needs_review());
    // A new reason: review again.
    let fx = run(&mut o, &[EventKind::Expired]);
    assert!(fx.contains(&Effect::NeedsReview {
        reason: ReviewReason::PaidAfterClose
    }));
    assert!(o.needs_review());
    assert_eq!(
        o.open_review_reasons(),
        BTreeSet::from([ReviewReason::PaidAfterClose])
    );
    // (A resolution is an observation like any other: one naming a reason before it
    // arises counts once it does. The edge only ever resolves open reasons.)
}
