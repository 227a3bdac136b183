//! The refund status pull and what a provider's answer does to a refund.

use super::*;
use crate::envelope::ErrorCode;
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

fn id(n: u64) -> Id {
    Id::new(n).unwrap_or_else(|e| panic!("{e}"))
}

fn intent(refund: u64) -> RefundIntent {
    RefundIntent {
        refund: id(refund),
        attempt: id(7),
        amount: Some(300),
        reason: Some("damaged".into()),
    }
}

#[test]
fn only_paytm_and_the_wallet_are_pulled() {
    assert!(pulls(Provider::Paytm));
    assert!(pulls(Provider::Wallet));
    assert!(!pulls(Provider::Pingpp));
    assert!(!pulls(Provider::Lianshang));
}

#[test]
fn an_answer_is_accepted_refused_or_unknown() {
    let accepted = RefundAck::Accepted {
        provider_refund: "rf_1".into(),
        verdict: RefundVerdict::Succeeded,
    };
    assert_eq!(
        raised(Ok(accepted)),
        Ok(Raised::Accepted {
            reference: "rf_1".into(),
            verdict: RefundVerdict::Succeeded
        })
    );
    let refusal = RefundAck::Refused {
        reason: "insufficient balance".into(),
    };
    assert_eq!(raised(Ok(refusal)), Err("insufficient balance".into()));
    assert_eq!(
        raised(Err("timeout".into())),
        Ok(Raised::Unknown("timeout".into()))
    );
}

#[test]
fn a_refusal_is_a_502_that_leaves_the_order_unchanged() {
    let r = refused(Provider::Paytm, "insufficient balance");
    assert_eq!(r.status, 502);
    assert_eq!(r.error.kind, "api_error");
    assert_eq!(r.error.code, ErrorCode::RefundRefused.as_str());
    assert_eq!(r.error.param, None);
    assert_eq!(
        r.error.message,
        "refund: paytm did not accept the refund (insufficient balance); the order is unchanged"
    );
    assert!(r.audited);
}

#[test]
fn what_is_recorded_follows_what_the_provider_said() {
    let r = id(100);
    let accepted = Raised::Accepted {
        reference: "rf_1".into(),
        verdict: RefundVerdict::Pending,
    };
    assert_eq!(
        recording(r, accepted),
        Recording {
            audit: Note {
                reason: "refund_raised",
                detail: "100 rf_1".into()
            },
            provider_reference: Some("rf_1".into()),
            settle: Some(RefundVerdict::Pending),
        }
    );
    // No answer: recorded as requested all the same, for the status pull to decide.
    assert_eq!(
        recording(r, Raised::Unknown("timeout".into())),
        Recording {
            audit: Note {
                reason: "refund_outcome_unknown",
                detail: "100: timeout".into()
            },
            provider_reference: None,
            settle: None,
        }
    );
    assert_eq!(
        recording(r, Raised::Manual),
        Recording {
            audit: Note {
                reason: "refund_manual",
                detail: "100".into()
            },
            provider_reference: None,
            settle: None,
        }
    );
}

#[test]
fn a_pull_decides_fails_a_refund_never_raised_or_is_audited_and_retried() {
    let r = id(100);
    assert_eq!(
        pulled(r, Ok(RefundVerdict::Succeeded)),
        (Some(RefundVerdict::Succeeded), None)
    );
    assert_eq!(
        pulled(r, Err(Unasked::Unknown)),
        (
            Some(RefundVerdict::Failed {
                reason: "the provider has no such refund: it was never raised".into()
            }),
            None
        )
    );
    assert_eq!(
        pulled(r, Err(Unasked::Failed("timeout".into()))),
        (
            None,
            Some(Note {
                reason: "refund_query_failed",
                detail: "100: timeout".into()
            })
        )
    );
    assert_eq!(
        Unasked::Unknown.to_string(),
        "the provider has no such refund"
    );
    assert_eq!(Unasked::Failed("dns".into()).to_string(), "dns");
}

#[test]
fn an_intent_is_recorded_dropped_or_kept() {
    let i = intent(100);
    assert_eq!(
        recovery(&i, Ok((RefundVerdict::Pending, Some("re_1".into())))),
        Recovery::Record {
            verdict: RefundVerdict::Pending,
            provider_reference: Some("re_1".into()),
            audit: Note {
                reason: "refund_recovered",
                detail: "100".into()
            },
        }
    );
    assert_eq!(
        recovery(&i, Err(Unasked::Unknown)),
        Recovery::Drop(Note {
            reason: "refund_intent_dropped",
            detail: "100".into()
        })
    );
    assert_eq!(
        recovery(&i, Err(Unasked::Failed("timeout".into()))),
        Recovery::Keep(Note {
            reason: "refund_query_failed",
            detail: "100: timeout".into()
        })
    );
}

#[test]
fn an_intent_keeps_its_amount_as_a_decimal_string() {
    let i = intent(100);
    let json = serde_json::to_value(&i).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["amount"], "300");
    let back: RefundIntent = serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, i);
}

#[test]
fn a_verdict_changes_only_a_recorded_refund_and_only_once_decided() {
    let mut o = paid_order();
    let r = id_at(EPOCH_MS + 2_000_000);
    let failed = RefundVerdict::Failed {
        reason: "bank".into(),
    };
    assert_eq!(
        verdict_change(&o, r, &failed, Provider::Paytm, false),
        None,
        "no such refund"
    );
    o.apply(0, requested_event(r, 300));
    assert_eq!(
        verdict_change(&o, r, &RefundVerdict::Pending, Provider::Paytm, false),
        None
    );
    let Some(change) = verdict_change(&o, r, &failed, Provider::Paytm, false) else {
        panic!("a failure changes the refund")
    };
    assert_eq!(change.event.id, format!("paytm:refund:{r}:refund_failed"));
    assert_eq!(change.failure.as_deref(), Some("bank"));
    assert_eq!(
        change.audit,
        Some(Note {
            reason: "refund_failed",
            detail: format!("{r}: bank")
        })
    );
    // The merchant's report is its own event (by "merchant"), with the refund's amount.
    let Some(change) = verdict_change(&o, r, &RefundVerdict::Succeeded, Provider::Lianshang, true)
    else {
        panic!("a success changes the refund")
    };
    assert_eq!(
        change.event.id,
        format!("merchant:refund:{r}:refund_succeeded")
    );
    assert_eq!(change.failure, None);
    assert_eq!(change.audit, None);
    o.apply(1, change.event);
    assert_eq!(o.refunded_units(), 300);
}

#[test]
fn recording_a_request_twice_is_a_duplicate() {
    let mut o = paid_order();
    let r = id_at(EPOCH_MS + 2_000_000);
    let first = requested_event(r, 300);
    assert_eq!(first.id, format!("refund_requested:{r}"));
    o.apply(0, first.clone());
    let seq = o.history().len();
    o.apply(1, first);
    assert_eq!(o.history().len(), seq);
    assert_eq!(open_refunds(&o), vec![r]);
}
