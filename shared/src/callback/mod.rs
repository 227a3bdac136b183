//! Callbacks in (SPEC 3.4), the pure half: what the edge's `/callbacks/<channel>`
//! handlers are thin shells over.
//!
//! The flow for every channel is *verify → parse → match → apply once*:
//! 1. `providers::<p>::callback::verify(raw inputs…, keys)` checks the provider's
//!    signature or checksum over the bytes as received, **before** reading any field,
//!    and returns a [`VerifiedCallback`]. Anything that cannot be verified — a bad
//!    signature, a wrong key, a body too broken to compute the checksum over — is the
//!    one opaque [`CallbackError::Unverified`] (no oracle). [`CallbackError::Malformed`]
//!    is reachable only after verification succeeded, so its detail leaks nothing to a
//!    forger.
//! 2. [`to_event`] checks the verified callback against the stored order (order id,
//!    amount, currency / token; SPEC 3.4 "checked against the stored order") and turns it
//!    into an [`Event`] whose id is the provider's de-dup key, so a replayed callback is
//!    a duplicate the order drops (SPEC 3.4 last paragraph).
//! 3. Where the provider requires a status pull before trusting success (Paytm: its
//!    Transaction Status API after every callback), the callback comes back with
//!    `confirm_required` and [`to_event`] refuses to make it an `AttemptSucceeded` until
//!    `providers::paytm::callback::confirmed` has checked the pulled status.
//! 4. [`answer`] is the body each provider expects for a received callback (each
//!    provider's form is in its own module).
//!
//! Decisions:
//! - The provider order number is a [`ProviderRef`] `"{order}A{attempt}"` (see
//!   [`reference`]) on every channel — Paytm `ORDER_ID`, Ping++ `order_no`, S3
//!   `out_trade_id`, the wallet's `order_id` — except S1 `/pay/preOrder`'s Paytm form,
//!   whose bare order id names the attempt with the order's own id.
//! - A refund callback must be for the amount of the refund Kassa asked for
//!   ([`refund_event`]; several partial refunds per order, SPEC 3.2).
//! - The Ping++ refund object does not repeat the currency, so its amount is
//!   [`CallbackAmount::Minor`], compared with the order's minor units; the currency was
//!   checked when the charge succeeded.
//! - Amounts compare as integers of minor units (fiat) or exact token amounts, never
//!   floats; Paytm's "2" and "2.00" rupees are the same 200 paise.

pub mod form;
pub mod order;
pub mod reference;
pub mod settle;

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::id::Id;
use crate::money::{Money, TokenAmount};
use crate::order::{Event, EventKind, OrderAmount};

pub use crate::providers::Provider;
pub use reference::{ProviderRef, RefError};
pub use settle::SettleError;

use crate::providers::{lianshang, paytm, pingpp, wallet};

/// What the provider says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Succeeded,
    Failed,
    Processing,
    Refunded,
}

/// The amount a callback reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackAmount {
    Fiat(Money),
    Token {
        token: String,
        amount: TokenAmount,
    },
    /// Minor units of the charge's currency, which the message does not repeat (Ping++
    /// refund objects).
    Minor(u64),
}

impl fmt::Display for CallbackAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fiat(m) => m.fmt(f),
            Self::Token { token, amount } => write!(f, "{amount} {token}"),
            Self::Minor(n) => write!(f, "{n} minor units"),
        }
    }
}

/// A callback whose signature / checksum verified, with the fields Kassa acts on.
/// Serialisable so the edge's Worker, which verifies, can hand it to the order's
/// Durable Object, which matches and applies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedCallback {
    pub provider: Provider,
    /// De-dup key: the provider's event / notify / transaction id, namespaced by
    /// provider (`"paytm:TXN123:TXN_SUCCESS"`, `"pingpp:evt_…"`, `"lianshang:ln_…"`,
    /// `"wallet:wn_…"`). Becomes [`Event::id`].
    pub event_id: String,
    pub reference: ProviderRef,
    pub outcome: Outcome,
    pub amount: CallbackAmount,
    /// The provider's own transaction / trade / charge / refund id (audit, status pull).
    pub provider_txn: String,
    /// True while a success still needs the provider's status pull (Paytm).
    pub confirm_required: bool,
    /// The provider account the message says it is for, where it names one: S3
    /// `merchant_id`, Ping++ `app` (a charge always names it; a refund object does not).
    /// A provider's key signs for every merchant on the platform, so the edge compares
    /// this with its own configured account before the callback may touch an order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// For a refund: the provider's id of the payment it refunds (Ping++ `charge`), which
    /// must be the payment the edge recorded for the attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_txn: Option<String>,
}

/// Why a callback was refused before it reached the order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// Signature or checksum missing, wrong, or not computable. Deliberately opaque.
    #[error("callback: verification failed")]
    Unverified,
    /// Verified, but a field Kassa needs is missing or wrong.
    #[error("{field}: {reason}")]
    Malformed { field: &'static str, reason: String },
    /// The body's content type is not one this channel accepts.
    #[error("content-type: not supported by this callback")]
    UnsupportedContentType,
}

impl CallbackError {
    pub(crate) fn malformed(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Malformed {
            field,
            reason: reason.into(),
        }
    }
}

impl From<RefError> for CallbackError {
    fn from(e: RefError) -> Self {
        Self::malformed(e.field, e.reason)
    }
}

impl From<crate::money::MoneyError> for CallbackError {
    fn from(e: crate::money::MoneyError) -> Self {
        // MoneyError's message starts with the field; keep the whole message as reason.
        let field = money_field(&e);
        Self::malformed(field, e.to_string())
    }
}

fn money_field(e: &crate::money::MoneyError) -> &'static str {
    use crate::money::MoneyError as M;
    match e {
        M::Empty { field }
        | M::Whitespace { field }
        | M::LeadingPlus { field }
        | M::Negative { field }
        | M::Exponent { field }
        | M::NonAsciiDigit { field }
        | M::InvalidCharacter { field, .. }
        | M::LoneDot { field }
        | M::MultipleDots { field }
        | M::MissingIntegerPart { field }
        | M::MissingFraction { field }
        | M::LeadingZero { field }
        | M::NotAnInteger { field }
        | M::TooManyDecimals { field, .. }
        | M::Overflow { field }
        | M::UnknownCurrency { field, .. }
        | M::UnknownCurrencyType { field, .. }
        | M::UnknownToken { field, .. }
        | M::InvalidTokenSymbol { field, .. }
        | M::InvalidTokenPrecision { field, .. }
        | M::TokenRedefined { field, .. } => field,
    }
}

/// Why a verified callback does not apply to the stored order. Each names what differed
/// for the audit log; the order is left untouched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MismatchError {
    #[error("order_id: callback is for order {got}, expected {expected}")]
    OrderId { expected: Id, got: Id },
    #[error("amount: callback says {got}, order is {expected}")]
    Amount { expected: String, got: String },
    #[error("currency: callback says {got}, order is in {expected}")]
    Currency { expected: String, got: String },
    /// A success that still needs the provider's status pull (Paytm).
    #[error("status: success not yet confirmed with the provider's status API")]
    Unconfirmed,
    /// A refund callback goes through [`refund_event`], which names the refund Kassa
    /// asked for; [`to_event`] has none to name.
    #[error("refund: names no refund this order asked for")]
    UnknownRefund,
}

impl MismatchError {
    /// The field that differed: `order_id`, `amount`, `currency` or `status`.
    #[must_use]
    pub const fn field(&self) -> &'static str {
        match self {
            Self::OrderId { .. } => "order_id",
            Self::Amount { .. } => "amount",
            Self::Currency { .. } => "currency",
            Self::Unconfirmed => "status",
            Self::UnknownRefund => "refund",
        }
    }
}

fn check_amount(got: &CallbackAmount, expected: &OrderAmount) -> Result<(), MismatchError> {
    let amount = |e: String, g: String| {
        Err(MismatchError::Amount {
            expected: e,
            got: g,
        })
    };
    let currency = |e: String, g: String| {
        Err(MismatchError::Currency {
            expected: e,
            got: g,
        })
    };
    match (got, expected) {
        (CallbackAmount::Fiat(g), OrderAmount::Fiat(e)) => {
            if g.currency() != e.currency() {
                currency(e.currency().to_string(), g.currency().to_string())
            } else if g.minor() != e.minor() {
                amount(e.to_string(), g.to_string())
            } else {
                Ok(())
            }
        }
        (CallbackAmount::Minor(g), OrderAmount::Fiat(e)) => {
            if *g == e.minor() {
                Ok(())
            } else {
                amount(e.format_minor(), g.to_string())
            }
        }
        (
            CallbackAmount::Token { token, amount: g },
            OrderAmount::Token {
                token: et,
                amount: e,
            },
        ) => {
            if token != et {
                currency(et.clone(), token.clone())
            } else if g != e {
                // TokenAmount equality is exact and numeric across precisions.
                amount(format!("{e} {et}"), format!("{g} {token}"))
            } else {
                Ok(())
            }
        }
        (CallbackAmount::Fiat(g), OrderAmount::Token { token, .. }) => {
            currency(token.clone(), g.currency().to_string())
        }
        (CallbackAmount::Minor(_), OrderAmount::Token { token, .. }) => {
            currency(token.clone(), "fiat".into())
        }
        (CallbackAmount::Token { token, .. }, OrderAmount::Fiat(e)) => {
            currency(e.currency().to_string(), token.clone())
        }
    }
}

/// Checks `cb` against the stored order (`order_id`, `expected` amount) and returns the
/// event to apply, with `id = cb.event_id`.
///
/// # Errors
/// [`MismatchError`] naming what differed; [`MismatchError::Unconfirmed`] for a success
/// that still needs its status pull.
pub fn to_event(
    cb: &VerifiedCallback,
    order_id: Id,
    expected: &OrderAmount,
) -> Result<Event, MismatchError> {
    if cb.reference.order != order_id {
        return Err(MismatchError::OrderId {
            expected: order_id,
            got: cb.reference.order,
        });
    }
    check_amount(&cb.amount, expected)?;
    let attempt = cb.reference.attempt;
    let provider = cb.provider.as_str().to_owned();
    let kind = match cb.outcome {
        Outcome::Succeeded if cb.confirm_required => return Err(MismatchError::Unconfirmed),
        Outcome::Succeeded => EventKind::AttemptSucceeded { attempt, provider },
        Outcome::Failed => EventKind::AttemptFailed { attempt },
        Outcome::Processing => EventKind::AttemptProcessing { attempt },
        Outcome::Refunded => return Err(MismatchError::UnknownRefund),
    };
    Ok(Event::new(cb.event_id.clone(), kind))
}

/// The part of a refund callback's match that needs no refund yet: it is about
/// `order_id`, in the order's currency or token. Its amount is the refund's, judged by
/// [`refund_event`] once it is known which refund it is (a refund may be partial).
///
/// # Errors
/// [`MismatchError::OrderId`] or [`MismatchError::Currency`].
pub fn refund_of_order(
    cb: &VerifiedCallback,
    order_id: Id,
    order_amount: &OrderAmount,
) -> Result<(), MismatchError> {
    if cb.reference.order != order_id {
        return Err(MismatchError::OrderId {
            expected: order_id,
            got: cb.reference.order,
        });
    }
    match check_amount(&cb.amount, order_amount) {
        Err(MismatchError::Amount { .. }) => Ok(()),
        other => other,
    }
}

/// Checks a refund callback against the refund Kassa asked for — `refund`, of
/// `expected` (the refund's amount in the order's currency or token) — and returns its
/// `RefundSucceeded`, with `id = cb.event_id`.
///
/// # Errors
/// [`MismatchError`] naming what differed (order id, amount, currency); a callback that
/// is not a refund is [`MismatchError::UnknownRefund`].
pub fn refund_event(
    cb: &VerifiedCallback,
    order_id: Id,
    refund: Id,
    expected: &OrderAmount,
) -> Result<Event, MismatchError> {
    if cb.outcome != Outcome::Refunded {
        return Err(MismatchError::UnknownRefund);
    }
    if cb.reference.order != order_id {
        return Err(MismatchError::OrderId {
            expected: order_id,
            got: cb.reference.order,
        });
    }
    check_amount(&cb.amount, expected)?;
    let kind = EventKind::RefundSucceeded {
        refund,
        provider: cb.provider.as_str().to_owned(),
        amount: Some(expected.units()),
    };
    Ok(Event::new(cb.event_id.clone(), kind))
}

/// An HTTP answer as a value: status, content type (none for an empty body), body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<&'static str>,
    pub body: String,
}

/// What each provider expects back for a callback Kassa received — verified and applied,
/// or verified and already applied (SPEC 3.4: providers retry until they see this). Each
/// provider's form is in its `callback` module.
#[must_use]
pub fn answer(provider: Provider) -> Answer {
    match provider {
        Provider::Paytm => paytm::callback::answer(),
        Provider::Lianshang => lianshang::callback::answer(),
        Provider::Pingpp => pingpp::callback::answer(),
        Provider::Wallet => wallet::callback::answer(),
    }
}

/// What each provider expects back for a callback Kassa refused (`status` ≥ 400): a
/// non-success answer makes every provider retry later, and the body says why in the
/// provider's own error form. `message` must name a field and reason, never a secret.
#[must_use]
pub fn reject(provider: Provider, status: u16, message: &str) -> Answer {
    match provider {
        Provider::Paytm => paytm::callback::reject(status, message),
        Provider::Lianshang => lianshang::callback::reject(status),
        Provider::Pingpp => pingpp::callback::reject(status, message),
        Provider::Wallet => wallet::callback::reject(status, message),
    }
}

/// Where each provider carries what verifies the callback (for refusals naming it).
#[must_use]
pub const fn signature_field(provider: Provider) -> &'static str {
    match provider {
        Provider::Paytm => paytm::checksum::CHECKSUMHASH,
        Provider::Pingpp => pingpp::webhook::SIGNATURE_HEADER,
        Provider::Lianshang => lianshang::callback::SIGNATURE_FIELD,
        Provider::Wallet => wallet::callback::SIGNATURE_FIELD,
    }
}

/// The order a callback *claims* to be about, read without verifying anything — only
/// so that a refused callback can be written to that order's audit log (SPEC 3.4:
/// rejected, logged). Never use it for anything else: the body is not trusted.
#[must_use]
pub fn claimed_order(provider: Provider, content_type: &str, body: &[u8]) -> Option<Id> {
    let reference = match provider {
        Provider::Paytm => paytm::callback::claimed_reference(content_type, body),
        Provider::Lianshang => lianshang::callback::claimed_reference(body),
        Provider::Pingpp => pingpp::callback::claimed_reference(body),
        Provider::Wallet => wallet::callback::claimed_reference(body),
    }?;
    ProviderRef::parse("reference", &reference)
        .ok()
        .map(|r| r.order)
}

/// The media type of a `Content-Type` value, lower-cased, without parameters. A value
/// with a comma is a repeated header joined by the HTTP stack (`application/json;
/// charset=utf-8, text/plain`): ambiguous, so it is no media type at all (empty).
#[must_use]
pub fn media_type(content_type: &str) -> String {
    if content_type.contains(',') {
        return String::new();
    }
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The text of a JSON string or number member, read without verifying anything (for
/// [`claimed_order`] only).
pub(crate) fn claimed_text(v: &serde_json::Value, field: &str) -> Option<String> {
    match v.get(field)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A required, non-empty string member of a verified JSON object.
pub(crate) fn str_field<'a>(
    v: &'a serde_json::Value,
    field: &'static str,
) -> Result<&'a str, CallbackError> {
    match v.get(field) {
        None | Some(serde_json::Value::Null) => Err(CallbackError::malformed(field, "is required")),
        Some(serde_json::Value::String(s)) if s.is_empty() => {
            Err(CallbackError::malformed(field, "must not be empty"))
        }
        Some(serde_json::Value::String(s)) => Ok(s),
        Some(_) => Err(CallbackError::malformed(field, "must be a string")),
    }
}

/// A minor-unit amount member: a JSON integer (as S3 and Ping++ send it) or a string of
/// digits, parsed by the shared money grammar.
pub(crate) fn minor_field(
    v: &serde_json::Value,
    field: &'static str,
) -> Result<u64, CallbackError> {
    let text = match v.get(field) {
        None | Some(serde_json::Value::Null) => {
            return Err(CallbackError::malformed(field, "is required"))
        }
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(_) => return Err(CallbackError::malformed(field, "must be an integer")),
    };
    // The shared money grammar (no sign, exponent, fraction or leading zeros).
    let units = crate::money::decimal::parse_units(field, &text, 0, false)?;
    u64::try_from(units).map_err(|_| CallbackError::malformed(field, "too large"))
}

#[cfg(test)]
mod tests;
