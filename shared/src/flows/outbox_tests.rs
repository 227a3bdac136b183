//! Unit and property tests of the outbox machine: ids once, the envelope, backoff and
//! window, relay ordering, the alarm choice, code redaction, and merging results into an
//! outbox that changed meanwhile.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::money::{Currency, Money};
use crate::order::{Event, EventKind, OrderAmount, ReviewReason};

fn id(n: u64) -> Id {
    Id::new(n).unwrap_or_else(|e| panic!("{e}"))
}

const POLICY: OutboxPolicy = OutboxPolicy {
    webhooks: RetryPolicy {
        backoff_ms: 10_000,
        window_ms: 86_400_000,
    },
    relays: Some(RetryPolicy {
        backoff_ms: 10_000,
        window_ms: 7 * 86_400_000,
    }),
};

const NO_S0: OutboxPolicy = OutboxPolicy {
    relays: None,
    ..POLICY
};

fn ok(at_ms: u64) -> DeliveryAttempt {
    DeliveryAttempt {
        at_ms,
        url: Some("https://merchant.example/hooks".into()),
        status_code: Some(200),
        error: None,
    }
}

fn failed(at_ms: u64) -> DeliveryAttempt {
    DeliveryAttempt {
        at_ms,
        url: Some("https://merchant.example/hooks".into()),
        status_code: Some(500),
        error: Some("receiver answered 500".into()),
    }
}

fn paid_effects() -> Vec<Effect> {
    vec![
        Effect::StatusChanged {
            seq: 1,
            from: OrderStatus::Pending,
            to: OrderStatus::Succeeded,
        },
        Effect::Relay {
            status: RelayStatus::PaySuccess,
        },
    ]
}

fn entry<'a>(o: &'a Outbox, id: &str) -> &'a OutboxEntry {
    o.entries()
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("no entry {id}"))
}

/// Sends everything due at `now`, answering each with `answer`.
fn run(o: &mut Outbox, now: u64, answer: impl Fn(&Transmit) -> DeliveryAttempt) -> Vec<String> {
    let mut delivery = o.start_delivery(now, &POLICY);
    let mut sent = Vec::new();
    while let Some(t) = delivery.poll_transmit() {
        sent.push(t.id.clone());
        let a = answer(&t);
        delivery.handle_result(&t, a);
    }
    delivery.finish(o, &POLICY);
    sent
}

#[test]
fn effects_become_a_webhook_a_relay_and_a_push_with_derived_ids() {
    let mut o = Outbox::default();
    let view = json!({"object": "order", "id": "7"});
    let pushes = o.enqueue_effects(5_000, id(7), &paid_effects(), &view);
    assert_eq!(
        pushes,
        vec![StatusPush {
            status: OrderStatus::Succeeded,
            seq: 1
        }]
    );
    let hook = entry(&o, "evt_7_s1");
    assert_eq!(hook.kind, OutboxKind::Webhook);
    assert_eq!(hook.event_type, "order.succeeded");
    let body: Value = serde_json::from_str(&hook.body).unwrap_or_default();
    assert_eq!(
        body,
        json!({
            "id": "evt_7_s1",
            "object": "event",
            "type": "order.succeeded",
            "created": 5,
            "data": {"object": view, "previous_status": "pending"},
        })
    );
    let relay = entry(&o, "relay_7_PAY_SUCCESS");
    assert_eq!(relay.kind, OutboxKind::Relay);
    assert_eq!(
        serde_json::from_str::<Value>(&relay.body).unwrap_or_default(),
        json!({"order_id": "7", "status": "PAY_SUCCESS"})
    );
    assert_eq!(relay.next_attempt_ms, Some(5_000), "due at once");
}

#[test]
fn an_id_is_queued_once_however_often_it_is_asked_for() {
    let mut o = Outbox::default();
    let view = json!({});
    o.enqueue_effects(1, id(7), &paid_effects(), &view);
    o.enqueue_effects(2, id(7), &paid_effects(), &view);
    assert_eq!(o.entries().len(), 2);
    assert!(o.webhook(
        3,
        "evt_7_code_1".into(),
        CODE_WEBHOOK,
        json!({"code": "123456"})
    ));
    assert!(!o.webhook(
        4,
        "evt_7_code_1".into(),
        CODE_WEBHOOK,
        json!({"code": "654321"})
    ));
    assert_eq!(o.entries().len(), 3);
}

#[test]
fn a_review_reason_is_its_own_webhook() {
    let mut o = Outbox::default();
    let effects = [Effect::NeedsReview {
        reason: ReviewReason::PaidTwice,
    }];
    assert!(o.enqueue_effects(1, id(9), &effects, &json!({})).is_empty());
    let e = entry(&o, "evt_9_review_paid_twice");
    assert_eq!(e.event_type, "order.needs_review");
}

#[test]
fn failures_back_off_doubling_until_the_window_closes() {
    let policy = OutboxPolicy {
        webhooks: RetryPolicy {
            backoff_ms: 1_000,
            window_ms: 10_000,
        },
        relays: None,
    };
    let mut o = Outbox::default();
    o.webhook(0, "w".into(), "order.succeeded", json!({}));
    // Tries at 0, 1 000, 3 000, 7 000: the next would be 15 000 > window → failed.
    let mut at = 0;
    for expected_next in [1_000, 3_000, 7_000] {
        o.record("w", failed(at), &policy);
        assert_eq!(entry(&o, "w").next_attempt_ms, Some(expected_next));
        at = expected_next;
    }
    o.record("w", failed(at), &policy);
    let e = entry(&o, "w");
    assert_eq!(e.status, DeliveryStatus::Failed);
    assert_eq!(e.next_attempt_ms, None);
    assert_eq!(e.attempts, 4);
    assert_eq!(e.log.len(), 4);
}

#[test]
fn nowhere_to_send_fails_at_once_and_a_delivery_ends_the_retries() {
    let mut o = Outbox::default();
    o.webhook(0, "a".into(), "order.succeeded", json!({}));
    o.webhook(0, "b".into(), "order.succeeded", json!({}));
    let nowhere = DeliveryAttempt {
        url: None,
        status_code: None,
        error: Some("no notify_url".into()),
        at_ms: 0,
    };
    o.record("a", nowhere, &POLICY);
    o.record("b", ok(0), &POLICY);
    assert_eq!(entry(&o, "a").status, DeliveryStatus::Failed);
    assert_eq!(entry(&o, "b").status, DeliveryStatus::Delivered);
    assert_eq!(o.poll_timeout(&POLICY), None);
}

#[test]
fn a_failed_relay_holds_back_the_relays_behind_it() {
    let mut o = Outbox::default();
    let effects = [
        Effect::Relay {
            status: RelayStatus::PaySuccess,
        },
        Effect::Relay {
            status: RelayStatus::RefundSuccess,
        },
    ];
    o.enqueue_effects(0, id(3), &effects, &json!({}));
    let sent = run(&mut o, 0, |t| {
        if t.relay_status() == Some(RelayStatus::PaySuccess) {
            failed(0)
        } else {
            ok(0)
        }
    });
    assert_eq!(sent, vec!["relay_3_PAY_SUCCESS".to_owned()]);
    assert_eq!(entry(&o, "relay_3_REFUND_SUCCESS").attempts, 0);
    // Only the first pending relay sets the alarm: its retry.
    assert_eq!(o.poll_timeout(&POLICY), Some(10_000));
    // Once it goes through, the next one follows in the same run.
    let sent = run(&mut o, 10_000, |_| ok(10_000));
    assert_eq!(
        sent,
        vec![
            "relay_3_PAY_SUCCESS".to_owned(),
            "relay_3_REFUND_SUCCESS".to_owned()
        ]
    );
}

/// The relay cut-off is the policy's (`KASSA_S0_RELAY_RETRY_SECS`): with no cut-off
/// (`forever`, `u64::MAX`) a relay is still retried a year on, hourly at most; a window
/// lowered later (the operator giving up) fails it at its next try.
#[test]
fn a_relay_retries_until_delivered_or_the_operator_lowers_the_window() {
    let forever = OutboxPolicy {
        relays: Some(RetryPolicy {
            backoff_ms: 10_000,
            window_ms: u64::MAX,
        }),
        ..POLICY
    };
    let mut o = Outbox::default();
    o.enqueue_effects(
        0,
        id(4),
        &[Effect::Relay {
            status: RelayStatus::PaySuccess,
        }],
        &json!({}),
    );
    let year = 365 * 86_400_000;
    let mut at = 0;
    while at < year {
        o.record("relay_4_PAY_SUCCESS", failed(at), &forever);
        let next = entry(&o, "relay_4_PAY_SUCCESS").next_attempt_ms;
        let next = next.unwrap_or_else(|| panic!("gave up at {at}"));
        assert!(next - at <= BACKOFF_CAP_MS);
        at = next;
    }
    assert_eq!(
        entry(&o, "relay_4_PAY_SUCCESS").status,
        DeliveryStatus::Pending
    );
    // The operator sets a 7-day window: the next failure is final.
    o.record("relay_4_PAY_SUCCESS", failed(at), &POLICY);
    let e = entry(&o, "relay_4_PAY_SUCCESS");
    assert_eq!(
        (e.status, e.next_attempt_ms),
        (DeliveryStatus::Failed, None)
    );
}

#[test]
fn without_s0_relays_wait_and_set_no_alarm() {
    let mut o = Outbox::default();
    let effects = [Effect::Relay {
        status: RelayStatus::PayIng,
    }];
    o.enqueue_effects(0, id(3), &effects, &json!({}));
    assert_eq!(o.poll_timeout(&NO_S0), None);
    let mut delivery = o.start_delivery(0, &NO_S0);
    assert_eq!(delivery.poll_transmit(), None);
    assert_eq!(
        o.poll_timeout(&POLICY),
        Some(0),
        "due once S0 is configured"
    );
}

#[test]
fn the_alarm_is_the_earliest_of_expiry_and_the_next_try() {
    let amount = OrderAmount::Fiat(Money::new(Currency::Cny, 100));
    let mut order = Order::new(id(1), amount, 0, 900_000);
    let mut o = Outbox::default();
    assert_eq!(next_alarm(&order, &o, &POLICY), Some(900_000));
    o.webhook(0, "w".into(), "order.created", json!({}));
    o.record("w", failed(0), &POLICY);
    assert_eq!(next_alarm(&order, &o, &POLICY), Some(10_000));
    order.apply(1, Event::new("cancelled", EventKind::Cancelled));
    o.record("w", ok(10_000), &POLICY);
    assert_eq!(
        next_alarm(&order, &o, &POLICY),
        None,
        "closed, nothing owed"
    );
}

#[test]
fn a_code_webhook_keeps_no_code_once_it_leaves_the_queue() {
    let mut o = Outbox::default();
    o.webhook(
        0,
        "c".into(),
        CODE_WEBHOOK,
        json!({"code": "123456", "send_id": "5"}),
    );
    run(&mut o, 0, |_| ok(0));
    let body: Value = serde_json::from_str(&entry(&o, "c").body).unwrap_or_default();
    assert_eq!(body["data"]["code"], Value::Null);
    assert_eq!(body["data"]["code_redacted"], true);
    assert_eq!(body["data"]["send_id"], "5");
}

#[test]
fn replay_reopens_a_failed_webhook_with_the_same_id_and_body() {
    let mut o = Outbox::default();
    o.webhook(0, "w".into(), "order.succeeded", json!({"x": 1}));
    let body = entry(&o, "w").body.clone();
    o.record(
        "w",
        DeliveryAttempt {
            url: None,
            ..failed(0)
        },
        &POLICY,
    );
    let e = o
        .replay("w", 50)
        .cloned()
        .unwrap_or_else(|| panic!("replay"));
    assert_eq!(e.status, DeliveryStatus::Pending);
    assert_eq!(e.next_attempt_ms, Some(50));
    assert_eq!(e.window_start_ms, None);
    assert_eq!(e.body, body);
    assert!(o.replay("nope", 50).is_none());
}

#[test]
fn results_fold_into_an_outbox_that_grew_while_sending() {
    let mut o = Outbox::default();
    o.webhook(0, "first".into(), "order.processing", json!({}));
    let mut delivery = o.start_delivery(0, &POLICY);
    // Another request queues a webhook while the shell awaits the receiver.
    let mut fresh = o.clone();
    fresh.webhook(1, "second".into(), "order.succeeded", json!({}));
    while let Some(t) = delivery.poll_transmit() {
        delivery.handle_result(&t, ok(2));
    }
    delivery.finish(&mut fresh, &POLICY);
    assert_eq!(entry(&fresh, "first").status, DeliveryStatus::Delivered);
    assert_eq!(entry(&fresh, "second").status, DeliveryStatus::Pending);
}

#[test]
fn the_stored_form_is_a_plain_array() {
    let mut o = Outbox::default();
    o.webhook(0, "w".into(), "order.succeeded", json!({}));
    let v = serde_json::to_value(&o).unwrap_or_default();
    assert!(v.is_array());
    let back: Outbox = serde_json::from_value(v).unwrap_or_default();
    assert_eq!(back, o);
}

proptest! {
    /// However tries go, an entry's log is bounded, its tries are counted, it ends
    /// delivered exactly when a try succeeded, and waits never exceed the cap.
    #[test]
    fn tries_are_counted_bounded_and_final(
        outcomes in proptest::collection::vec(any::<bool>(), 1..80),
        backoff in 1u64..100_000,
    ) {
        let policy = OutboxPolicy {
            webhooks: RetryPolicy { backoff_ms: backoff, window_ms: u64::MAX / 4 },
            relays: None,
        };
        let mut o = Outbox::default();
        o.webhook(0, "w".into(), "order.succeeded", json!({}));
        let mut at = 0;
        for (n, delivered) in outcomes.into_iter().enumerate() {
            let tries = u32::try_from(n + 1).unwrap_or(u32::MAX);
            let e = entry(&o, "w").clone();
            if e.status != DeliveryStatus::Pending {
                break;
            }
            at = e.next_attempt_ms.unwrap_or(at);
            o.record("w", if delivered { ok(at) } else { failed(at) }, &policy);
            let e = entry(&o, "w");
            prop_assert_eq!(e.attempts, tries);
            prop_assert!(e.log.len() <= MAX_LOG);
            prop_assert_eq!(e.status == DeliveryStatus::Delivered, delivered);
            if let Some(next) = e.next_attempt_ms {
                prop_assert!(next > at && next - at <= BACKOFF_CAP_MS);
            }
        }
    }

    /// A run never sends a relay after one that failed, and sends relays in queue order.
    #[test]
    fn relays_go_out_in_order_and_stop_at_a_failure(fail_at in 0usize..4) {
        let statuses = [
            RelayStatus::PayIng,
            RelayStatus::PaySuccess,
            RelayStatus::RefundSuccess,
            RelayStatus::TradeClose,
        ];
        let effects: Vec<Effect> = statuses.iter().map(|s| Effect::Relay { status: *s }).collect();
        let mut o = Outbox::default();
        o.enqueue_effects(0, id(4), &effects, &json!({}));
        let sent = run(&mut o, 0, |t| {
            if t.relay_status() == Some(statuses[fail_at]) { failed(0) } else { ok(0) }
        });
        let expected: Vec<String> = statuses[..=fail_at]
            .iter()
            .map(|s| format!("relay_4_{}", s.as_str()))
            .collect();
        prop_assert_eq!(sent, expected);
    }
}
