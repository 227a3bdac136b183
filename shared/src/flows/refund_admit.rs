//! What a merchant may ask of an order's refunds (`POST /v1/orders/:id/refunds` and
//! `…/refunds/settle`; issue 16 item 7, SPEC 3.2), decided before anything is asked of a
//! provider: full or partial, several per order, up to the captured amount, each under
//! its own id (Kassa's, made by the route).
//!
//! - A refund id the order already records is the same request again: its answer,
//!   unchanged.
//! - Only a paid order with something left (captured − refunded − in flight) can be
//!   refunded: 409 `order_not_refundable`, naming its status.
//! - The amount (default: everything left) must be in the order's form (whole minor units
//!   for fiat, a decimal string for tokens; else 409 `amount_form_mismatch` naming
//!   `amount`), > 0 (400 naming `amount`) and at most what is left (409
//!   `refund_exceeds_refundable`, both amounts formatted as the order shows them).
//! - Only S3 (Lianshang) refunds are settled by hand — its seed says refunds are manual
//!   (`pay_type` 0, "暂时人工介入退款") and the merchant reports the outcome with `POST
//!   /v1/orders/:id/refunds/settle`; every other channel has a provider that says. The
//!   refund settled is the one named, or the only one open.
//!
//! Refusals are values ([`Refused`]: the HTTP status and the merchant API's error
//! object); the edge answers them and audits those [`Refused::audited`] says.

use serde::{Deserialize, Serialize};

use crate::envelope::{ApiError, ErrorCode};
use crate::id::Id;
use crate::money::TokenAmount;
use crate::order::{Order, OrderAmount};
use crate::providers::refund::RefundVerdict;
use crate::providers::Provider;

/// A refusal as the merchant API answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    /// Boxed: a refusal travels in `Err`, which should stay small.
    pub error: Box<ApiError>,
    /// Whether the order's audit log keeps it (a request naming nothing of the order is
    /// answered, not audited).
    pub audited: bool,
}

impl Refused {
    /// `status` with an error object of `kind` and `code`; `message` names the field.
    #[must_use]
    pub fn new(
        status: u16,
        kind: &str,
        code: ErrorCode,
        message: impl Into<String>,
        param: Option<&str>,
    ) -> Self {
        Self {
            status,
            error: Box::new(ApiError {
                kind: kind.to_owned(),
                code: code.as_str().to_owned(),
                message: message.into(),
                param: param.map(str::to_owned),
                retry_after_ms: None,
                attempts_left: None,
            }),
            audited: true,
        }
    }

    /// A 409 about the order's state (no parameter to blame).
    #[must_use]
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(409, "invalid_request_error", code, message, None)
    }

    /// A 400 naming `param`.
    #[must_use]
    pub fn bad(param: &str, message: impl Into<String>) -> Self {
        Self::new(
            400,
            "invalid_request_error",
            ErrorCode::ParameterInvalid,
            message,
            Some(param),
        )
    }

    /// The same refusal, answered but not audited.
    #[must_use]
    pub fn unaudited(self) -> Self {
        Self {
            audited: false,
            ..self
        }
    }

    /// The machine-readable code (also the audit log's reason).
    #[must_use]
    pub fn code(&self) -> &str {
        &self.error.code
    }
}

/// A refund amount in the form the order's `amount` takes: whole minor units (fiat) or
/// a decimal string (tokens), read against the order once it is loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountIn {
    Minor(u64),
    Decimal(String),
}

impl AmountIn {
    /// The amount in the order's smallest unit.
    ///
    /// # Errors
    /// 409 `amount_form_mismatch` naming `amount` when the order takes the other form
    /// (or the decimal does not fit its precision).
    pub fn units(&self, order: &OrderAmount) -> Result<u128, Refused> {
        // The request was a positive amount (the route checked); whether this order
        // takes it is the order's to say.
        let mismatch = |message: String| {
            Refused::new(
                409,
                "invalid_request_error",
                ErrorCode::AmountFormMismatch,
                message,
                Some("amount"),
            )
        };
        match (self, order) {
            (Self::Minor(m), OrderAmount::Fiat(_)) => Ok(u128::from(*m)),
            (Self::Decimal(s), OrderAmount::Token { amount, .. }) => {
                TokenAmount::parse("amount", s, amount.precision())
                    .map(|a| a.units())
                    .map_err(|e| mismatch(e.to_string()))
            }
            (Self::Minor(_), OrderAmount::Token { .. }) => Err(mismatch(
                "amount: must be a decimal string for a token order".to_owned(),
            )),
            (Self::Decimal(_), OrderAmount::Fiat(_)) => Err(mismatch(
                "amount: must be a whole number of minor units for a fiat order".to_owned(),
            )),
        }
    }
}

/// A refund the merchant asks for (the route made `refund`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAsk {
    pub refund: Id,
    /// As the merchant wrote it; `None`: everything left.
    pub amount: Option<AmountIn>,
    pub reason: Option<String>,
}

/// What a refund request comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The order already records this refund id: answer it unchanged.
    Recorded,
    /// Ask for `amount` (the order's smallest unit).
    Admit { amount: u128 },
}

fn not_refundable(message: String) -> Refused {
    Refused::conflict(ErrorCode::OrderNotRefundable, message)
}

/// `units` as the order shows an amount (`10.00 INR`, `1.5`).
fn shown(order: &OrderAmount, units: u128) -> String {
    match order.with_units(units) {
        Some(OrderAmount::Fiat(m)) => format!("{} {}", m.format_major(), m.currency().code()),
        Some(OrderAmount::Token { amount, .. }) => amount.to_string(),
        None => units.to_string(),
    }
}

/// Admits refund `refund` of `amount` (`None`: everything left) against `order`
/// (module docs).
///
/// # Errors
/// The refusal to answer; every one is audited.
pub fn admit(order: &Order, refund: Id, amount: Option<&AmountIn>) -> Result<Admission, Refused> {
    if order.refunds().get(refund).is_some() {
        return Ok(Admission::Recorded);
    }
    let status = order.status().as_str();
    let left = order.refundable_units();
    if !order.paid() {
        return Err(not_refundable(format!(
            "order: is {status}; only a paid order can be refunded"
        )));
    }
    if left == 0 {
        return Err(not_refundable(format!(
            "order: is {status}; nothing is left to refund"
        )));
    }
    let amount = match amount {
        Some(a) => a.units(order.amount())?,
        None => left,
    };
    if amount == 0 {
        return Err(Refused::bad("amount", "amount: must be greater than 0"));
    }
    if amount > left {
        let message = format!(
            "amount: {} exceeds what is left to refund ({})",
            shown(order.amount(), amount),
            shown(order.amount(), left)
        );
        return Err(Refused::new(
            409,
            "invalid_request_error",
            ErrorCode::RefundExceedsRefundable,
            message,
            Some("amount"),
        ));
    }
    Ok(Admission::Admit { amount })
}

/// The attempt whose payment a refund gives back: the one that succeeded; with several
/// (a review case) the first by id.
#[must_use]
pub fn paid_attempt(order: &Order) -> Option<Id> {
    order
        .attempts()
        .iter()
        .find(|(_, a)| a.succeeded())
        .map(|(id, _)| *id)
}

/// Whether refunds of `channel` are settled by hand (S3), not by a provider.
#[must_use]
pub fn settled_by_hand(channel: Provider) -> bool {
    channel == Provider::Lianshang
}

/// How a merchant reports a refund made by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManualOutcome {
    Succeeded,
    Failed,
}

impl ManualOutcome {
    /// The decision it reports.
    #[must_use]
    pub fn verdict(self) -> RefundVerdict {
        match self {
            Self::Succeeded => RefundVerdict::Succeeded,
            Self::Failed => RefundVerdict::Failed {
                reason: "the merchant reports the refund failed".into(),
            },
        }
    }
}

/// Which refund of `order` (paid through `channel`) a merchant's report settles:
/// `named`, or the only one open (module docs).
///
/// # Errors
/// Not an S3 order, or nothing open (409, audited); a name that is no refund of the
/// order (404) or none with several open (400), answered only.
pub fn settle_target(order: &Order, channel: Provider, named: Option<Id>) -> Result<Id, Refused> {
    if !settled_by_hand(channel) {
        return Err(not_refundable(format!(
            "order: {channel} refunds are settled by {channel} itself, not by hand"
        )));
    }
    let open = super::refunds::open_refunds(order);
    match (named, open.as_slice()) {
        (Some(r), _) if order.refunds().get(r).is_some() => Ok(r),
        (Some(_), _) => Err(Refused::new(
            404,
            "invalid_request_error",
            ErrorCode::ResourceMissing,
            "refund_id: names no refund of this order",
            Some("refund_id"),
        )
        .unaudited()),
        (None, [only]) => Ok(*only),
        (None, []) => {
            let status = order.status().as_str();
            Err(not_refundable(format!(
                "order: is {status}; no refund of it is waiting to be settled"
            )))
        }
        (None, _) => Err(Refused::bad(
            "refund_id",
            "refund_id: required when several refunds are open",
        )
        .unaudited()),
    }
}

/// The audit line of a merchant's report about `refund` (its reference, if any).
#[must_use]
pub fn settle_detail(refund: Id, reference: Option<&str>) -> String {
    format!("{refund} {}", reference.unwrap_or("(no reference)"))
}

#[cfg(test)]
#[path = "refund_admit_tests.rs"]
mod tests;
