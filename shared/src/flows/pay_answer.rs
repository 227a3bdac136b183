//! What `pay` / `quick_pay` answer around the gates of [`super::pay`] (SPEC 3.1, 6):
//! an `Idempotency-Key`'s record and what a retry with it is told, the result of a code
//! checked against the order's code sends, and the success body (the S2 order or the
//! `quick_pay` answer, with the provider hand-off and a new device token).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::crypto::{ct, Secret};
use crate::envelope::ErrorCode;
use crate::flows::pay::{CodeCheck, PayError};
use crate::id::Id;
use crate::order::OrderStatus;
use crate::second_factor::StoredCode;
use crate::surfaces::handoff::Handoff;
use crate::surfaces::s2::wire::QuickPayResponse;

/// One `Idempotency-Key`'s record: the body's fingerprint and, once done, the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayRecord {
    pub fingerprint: String,
    pub done: bool,
    pub status: u16,
    pub body: Value,
}

impl PayRecord {
    /// The record of a request with `fingerprint` that is running now.
    #[must_use]
    pub fn running(fingerprint: &str) -> Self {
        Self {
            fingerprint: fingerprint.to_owned(),
            done: false,
            status: 0,
            body: Value::Null,
        }
    }

    /// The record once the request answered `status` with `body`; `None`: forget the key.
    /// An internal failure (5xx) is not the request's answer: a retry with the same key
    /// runs again rather than replaying it. It cannot pay twice: once `AttemptStarted`
    /// is stored the order is Processing and the re-run stops at "not payable".
    #[must_use]
    pub fn finished(fingerprint: &str, status: u16, body: Value) -> Option<Self> {
        (status < 500).then(|| Self {
            fingerprint: fingerprint.to_owned(),
            done: true,
            status,
            body,
        })
    }

    /// What a request with `fingerprint` and this record's key is told: the stored answer
    /// (status and body) when the first request finished with the same body.
    ///
    /// # Errors
    /// `idempotency_key_reused` (another body; compared in constant time) or
    /// `idempotency_in_progress` (the first request is still running).
    pub fn replay(&self, fingerprint: &str) -> Result<(u16, &Value), PayError> {
        if !ct::eq(self.fingerprint.as_bytes(), fingerprint.as_bytes()) {
            return Err(PayError::Conflict {
                code: ErrorCode::IdempotencyKeyReused,
                message: "Idempotency-Key: already used with a different request body".into(),
            });
        }
        if self.done {
            return Ok((self.status, &self.body));
        }
        Err(PayError::Conflict {
            code: ErrorCode::IdempotencyInProgress,
            message: "Idempotency-Key: the first request with this key is still running".into(),
        })
    }
}

/// The refusal of a second `pay` while one runs for the order.
#[must_use]
pub fn payment_in_progress() -> PayError {
    PayError::Conflict {
        code: ErrorCode::PaymentInProgress,
        message: "order_id: a payment attempt for this order is already running".into(),
    }
}

/// A code sent by the shopper, checked against the order's code sends.
#[derive(Debug, Clone, Copy)]
pub struct SentCode<'a> {
    pub order: Id,
    /// The user the client_secret was issued for (`user_binding`).
    pub user: Id,
    /// `verify_code_order_id`.
    pub send_id: Id,
    pub code: &'a str,
    pub now: u64,
}

/// Checks `sent` against `codes` (MACs only, keyed by `pepper`). The `bool`: the sends
/// changed and must be stored (a code that verified is used up). Every failure a guess
/// could cause (format, binding, used, expired, wrong) counts toward the order's lock
/// (`CodeError::counts_as_wrong_code`); any other is refused naming the reason.
#[must_use]
pub fn check_sent_code(
    codes: &mut [StoredCode],
    sent: &SentCode<'_>,
    pepper: &Secret,
) -> (CodeCheck, bool) {
    let wrong = |message| CodeCheck::Wrong {
        message,
        ga_left: None,
    };
    let Some(c) = codes.iter_mut().find(|c| c.send_id == sent.send_id) else {
        return (
            wrong("verify_code_order_id: no such code send for this order"),
            false,
        );
    };
    match c.verify(
        sent.order,
        sent.user,
        sent.send_id,
        sent.code,
        sent.now,
        pepper,
    ) {
        Ok(()) => (CodeCheck::Ok, true),
        Err(e) if e.counts_as_wrong_code() => (wrong("verify_code: wrong code"), false),
        Err(e) => (CodeCheck::Invalid(format!("verify_code: {e}")), false),
    }
}

/// `quick_pay`'s answer once charged: 支付是否完成 — only a succeeded order is finished;
/// processing is not.
#[must_use]
pub fn quick_answer(status: OrderStatus) -> QuickPayResponse {
    QuickPayResponse {
        process_is_end: status == OrderStatus::Succeeded,
        need_2fa: false,
    }
}

/// `quick_pay`'s answer when risk wants a code: the widget goes to the code step;
/// nothing was tried.
#[must_use]
pub fn need_2fa_answer() -> QuickPayResponse {
    QuickPayResponse {
        process_is_end: false,
        need_2fa: true,
    }
}

/// The success body: `answer` (the S2 order or [`quick_answer`]) with what the widget
/// needs next under names of their own — the provider `handoff` and a `deviceToken` for
/// a browser that had none.
///
/// # Errors
/// The hand-off does not serialise (it always does).
pub fn with_extras(
    mut answer: Value,
    handoff: Option<&Handoff>,
    device_token: Option<String>,
) -> Result<Value, serde_json::Error> {
    if let Some(handoff) = handoff {
        answer["handoff"] = serde_json::to_value(handoff)?;
    }
    if let Some(token) = device_token {
        answer["deviceToken"] = Value::String(token);
    }
    Ok(answer)
}

#[cfg(test)]
#[path = "pay_answer_tests.rs"]
mod tests;
