//! A verified callback against its order (SPEC 3.4), the order's half: the edge's order
//! object loads the order and what it recorded, asks the providers' status queries, and
//! these rules say what the callback may do.
//!
//! 1. the order must be paid through that provider's channel (409
//!    `callback_wrong_channel`);
//! 2. an event id the order already applied (the provider's event / notify / transaction
//!    id) is a duplicate: answered as success, nothing changes — providers retry until
//!    they see success;
//! 3. [`to_event`] (a refund: [`refund_of_order`]) matches order id, amount and currency
//!    before anything is confirmed, so a mismatch costs no status query: refused and
//!    audited (409 `callback_mismatch`, what differed; no secrets);
//! 4. the reference must name an attempt the order started: the event applies to exactly
//!    that attempt, so a late callback of an old attempt never touches a newer one (409
//!    `callback_unknown_attempt`);
//! 5. binding (each provider's `callback::bind`; 409 `callback_wrong_account` /
//!    `callback_wrong_trade`) and 6. confirmation by the provider's status query (409
//!    `callback_unconfirmed` when it disagrees or does not know the payment, 503
//!    `provider_unavailable` when it could not be asked, so the provider retries) are
//!    the providers' rules, [`SettleError`] here;
//! 7. a confirmed refund Kassa asked for (its provider id, or Kassa's id in the refund's
//!    metadata) must be of that refund's amount and settles it; one Kassa did not ask for
//!    (a provider's dashboard) is an `UnrequestedRefund` — the order keeps its status and
//!    needs review — unless a refund request of ours is still awaiting its answer (503
//!    `refund_in_flight`: retried once the id is recorded, not taken for a stranger's).

use super::{
    refund_event, refund_of_order, to_event, MismatchError, Outcome, Provider, SettleError,
    VerifiedCallback,
};
use crate::envelope::ErrorCode;
use crate::flows::refund_admit::Refused;
use crate::id::Id;
use crate::order::{Event, EventKind, Order};

/// A callback refused: the answer, and what the audit log adds to [`audit_detail`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub refused: Refused,
    pub why: Option<String>,
}

impl From<Refused> for Rejection {
    fn from(refused: Refused) -> Self {
        Self { refused, why: None }
    }
}

/// What the audit log may keep of a callback: ids the provider chose, never a key or
/// signature.
#[must_use]
pub fn audit_detail(cb: &VerifiedCallback) -> String {
    format!("{} {} {}", cb.provider, cb.event_id, cb.reference)
}

/// What to do with a callback that passed steps 1–4 (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Applied before: answer success, change nothing.
    Duplicate,
    /// A refund: bind, confirm with the refund retrieve, then [`refund_match`].
    Refund,
    /// Bind, confirm with the status query when `confirm`, then [`to_event`].
    Apply { confirm: bool },
}

/// Steps 1–4 for `cb` against `order`, paid through `channel`.
///
/// # Errors
/// The refusal to answer and audit.
pub fn admit(order: &Order, channel: Provider, cb: &VerifiedCallback) -> Result<Step, Rejection> {
    if channel != cb.provider {
        return Err(Refused::conflict(
            ErrorCode::CallbackWrongChannel,
            format!("channel: this order is not paid through {}", cb.provider),
        )
        .into());
    }
    if order.has_applied(&cb.event_id) {
        return Ok(Step::Duplicate);
    }
    // A refund's amount is judged once it is known which refund it is (step 7).
    let as_confirmed = VerifiedCallback {
        confirm_required: false,
        ..cb.clone()
    };
    let matched = if cb.outcome == Outcome::Refunded {
        refund_of_order(&as_confirmed, order.id(), order.amount())
    } else {
        to_event(&as_confirmed, order.id(), order.amount()).map(|_| ())
    };
    matched.map_err(|e| mismatch(&e))?;
    if order.attempt(cb.reference.attempt).is_none() {
        return Err(Refused::conflict(
            ErrorCode::CallbackUnknownAttempt,
            "reference: names no payment attempt of this order",
        )
        .into());
    }
    Ok(match cb.outcome {
        Outcome::Refunded => Step::Refund,
        outcome => Step::Apply {
            confirm: outcome == Outcome::Succeeded,
        },
    })
}

/// Step 3's refusal: the field that differed in the answer, the whole difference in the
/// audit log.
#[must_use]
pub fn mismatch(e: &MismatchError) -> Rejection {
    Rejection {
        refused: Refused::conflict(
            ErrorCode::CallbackMismatch,
            format!("{}: does not match the order", e.field()),
        ),
        why: Some(e.to_string()),
    }
}

/// A binding or confirmation refusal: 409 with its own code; the message names the field
/// and reason.
#[must_use]
pub fn settle_refused(e: &SettleError) -> Refused {
    let code = match e {
        SettleError::WrongAccount { .. } => ErrorCode::CallbackWrongAccount,
        SettleError::WrongTrade { .. } => ErrorCode::CallbackWrongTrade,
        SettleError::Unconfirmed { .. } => ErrorCode::CallbackUnconfirmed,
    };
    Refused::conflict(code, e.to_string())
}

/// The provider's status query does not back the callback up.
#[must_use]
pub fn unconfirmed(reason: &str) -> Refused {
    settle_refused(&SettleError::unconfirmed(reason))
}

/// The provider's status query could not be made: 503, so the provider retries.
#[must_use]
pub fn unavailable(provider: Provider, detail: &str) -> Refused {
    Refused::new(
        503,
        "api_error",
        ErrorCode::ProviderUnavailable,
        format!("status: {provider}'s status query could not be made ({detail}); retry later"),
        None,
    )
}

/// A status query's answer: the provider not knowing the payment (`unknown`, its 404)
/// refuses the callback; any other failure means it could not be asked (503, retried).
///
/// # Errors
/// That refusal.
pub fn pulled<T, E: core::fmt::Display>(
    provider: Provider,
    answer: Result<T, E>,
    unknown: impl Fn(&E) -> bool,
) -> Result<T, Refused> {
    answer.map_err(|e| {
        if unknown(&e) {
            unconfirmed(&e.to_string())
        } else {
            unavailable(provider, &e.to_string())
        }
    })
}

/// Step 7 for a confirmed refund callback: `recorded` is each refund of the order with
/// the provider's id for it (if known), `kassa_refund` Kassa's id in the retrieved
/// refund's metadata, `in_flight` whether a refund request of ours awaits its answer.
///
/// # Errors
/// A refund of ours with another amount (a mismatch), or a stranger's while one of ours
/// is in flight (503 `refund_in_flight`).
pub fn refund_match<'a>(
    order: &Order,
    recorded: impl IntoIterator<Item = (Id, Option<&'a str>)>,
    cb: &VerifiedCallback,
    kassa_refund: Option<&str>,
    in_flight: bool,
) -> Result<RefundMatch, Rejection> {
    let ours = recorded
        .into_iter()
        .find(|(refund, reference)| {
            *reference == Some(cb.provider_txn.as_str())
                || kassa_refund == Some(refund.to_string().as_str())
        })
        .map(|(refund, _)| refund);
    if let Some(refund) = ours {
        let units = order
            .refunds()
            .get(refund)
            .map_or(0, |r| r.amount_of(order.amount().units()));
        // At most the captured amount, so always in range.
        let expected = order
            .amount()
            .with_units(units)
            .ok_or_else(|| mismatch(&MismatchError::UnknownRefund))?;
        return refund_event(cb, order.id(), refund, &expected)
            .map(RefundMatch::Ours)
            .map_err(|e| mismatch(&e));
    }
    if in_flight {
        // Possibly the answer to our own request, not yet recorded: retry later.
        return Err(Refused::new(
            503,
            "api_error",
            ErrorCode::RefundInFlight,
            "refund: a refund request for this order awaits Ping++'s answer; retry later",
            None,
        )
        .unaudited()
        .into());
    }
    Ok(RefundMatch::Unrequested(Event::new(
        cb.event_id.clone(),
        EventKind::UnrequestedRefund {
            provider: cb.provider.as_str().to_owned(),
        },
    )))
}

/// What a confirmed refund callback does to the order.
#[derive(Debug, Clone, PartialEq)]
pub enum RefundMatch {
    /// Settles a refund Kassa asked for.
    Ours(Event),
    /// A refund Kassa did not ask for: audited `refund_unrequested`, needs review.
    Unrequested(Event),
}

#[cfg(test)]
#[path = "order_tests.rs"]
mod tests;
