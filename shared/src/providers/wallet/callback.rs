//! The token wallet's result notification (SPEC 3.4 "wallet"; format in
//! [`super::notify`]): verified with the wallet public key by [`super::notify::verify`]
//! (strict JSON, signature before deserialisation), then read.
//!
//! - The wallet's `order_id` is the [`ProviderRef`] Kassa gave it for one attempt
//!   (`"{order}A{attempt}"`); the wallet keeps one payment per reference (a second charge
//!   with the same reference returns the same trade), so a retry after a failed attempt
//!   is a new payment and a late notification names the attempt it is about.
//! - `amount` is parsed with the token's precision from the [`TokenTable`]; an unknown
//!   token is [`CallbackError::Malformed`] on `token_id`.
//! - De-dup key: `wallet:<notify_id>`.

use super::notify::{self, Notification, NotifyError, NotifyStatus};
use crate::callback::{
    claimed_text, Answer, CallbackAmount, CallbackError, Outcome, Provider, SettleError,
    VerifiedCallback,
};
use crate::crypto::PublicKey;
use crate::money::{MoneyError, TokenTable};

/// Verifies a notification body with the wallet public key, then reads it.
///
/// # Errors
/// [`CallbackError::Unverified`] (opaque), then [`CallbackError::Malformed`].
pub fn verify(
    body: &[u8],
    wallet_pub: &PublicKey,
    tokens: &TokenTable,
) -> Result<VerifiedCallback, CallbackError> {
    let n = notify::verify(body, wallet_pub).map_err(|e| match e {
        NotifyError::Json | NotifyError::Signature(_) => CallbackError::Unverified,
        // Only reachable after the signature verified.
        NotifyError::Shape { reason } => CallbackError::malformed("body", reason),
        NotifyError::Field { field, reason } => CallbackError::malformed(field, reason),
    })?;
    let amount = tokens
        .parse("amount", &n.token_id, &n.amount)
        .map_err(|e| match e {
            MoneyError::UnknownToken { .. } => CallbackError::malformed("token_id", e.to_string()),
            other => other.into(),
        })?;
    Ok(VerifiedCallback {
        provider: Provider::Wallet,
        event_id: format!("wallet:{}", n.notify_id),
        reference: n.order_id,
        outcome: match n.status {
            NotifyStatus::Success => Outcome::Succeeded,
            NotifyStatus::Failed => Outcome::Failed,
            NotifyStatus::Processing => Outcome::Processing,
        },
        amount: CallbackAmount::Token {
            token: n.token_id,
            amount,
        },
        provider_txn: n.trade_id,
        confirm_required: false,
        account: None,
        refunded_txn: None,
    })
}

/// Where a notification carries its signature (SPEC 4.1).
pub const SIGNATURE_FIELD: &str = "sign";

/// The wallet's signed status query (`GET /charges/{reference}`, [`super::query`]) backs
/// a success notification up: `SUCCESS`, with the notification's trade, token and
/// amount.
///
/// # Errors
/// [`SettleError::Unconfirmed`] naming what differs.
pub fn confirm(cb: &VerifiedCallback, pulled: &Notification) -> Result<(), SettleError> {
    let CallbackAmount::Token { token, amount } = &cb.amount else {
        return Err(SettleError::unconfirmed("amount is not a token amount"));
    };
    if pulled.status != NotifyStatus::Success {
        return Err(SettleError::unconfirmed(
            "the wallet's payment is not SUCCESS",
        ));
    }
    if pulled.trade_id != cb.provider_txn {
        return Err(SettleError::unconfirmed("trade_id differs"));
    }
    let pulled_amount = TokenTable::builtin()
        .parse("amount", &pulled.token_id, &pulled.amount)
        .map_err(|e| SettleError::unconfirmed(e.to_string()))?;
    if pulled.token_id != *token || pulled_amount != *amount {
        return Err(SettleError::unconfirmed("token or amount differs"));
    }
    Ok(())
}

/// What the wallet expects back: `{"code":0}`, the success envelope of its own API.
#[must_use]
pub fn answer() -> Answer {
    Answer {
        status: 200,
        content_type: Some("application/json"),
        body: r#"{"code":0}"#.to_owned(),
    }
}

/// A refusal in the wallet API's error envelope `{code: <status>, message}`.
#[must_use]
pub fn reject(status: u16, message: &str) -> Answer {
    Answer {
        status,
        content_type: Some("application/json"),
        body: serde_json::json!({ "code": status, "message": message }).to_string(),
    }
}

/// The `order_id` a notification claims, unverified (see `callback::claimed_order`).
#[must_use]
pub fn claimed_reference(body: &[u8]) -> Option<String> {
    let v = serde_json::from_slice::<serde_json::Value>(body).ok()?;
    claimed_text(&v, "order_id")
}

/// What the wallet's signed status query says about an attempt nobody finished
/// (`flows::attempts`): `SUCCESS` is a success with the pulled trade and amount (the
/// same event id its notification carries, so whichever comes second is a duplicate),
/// `FAILED` a decline, `PROCESSING` in flight. A wallet that knows no such payment is
/// no outcome (the caller maps the wallet's 404 to that).
///
/// # Errors
/// [`SettleError::Unconfirmed`] when the pulled payment is for another attempt or its
/// amount is not a token amount the table knows.
pub fn query_verdict(
    reference: &crate::callback::ProviderRef,
    pulled: &Notification,
) -> Result<crate::flows::attempts::Verdict, SettleError> {
    use crate::flows::attempts::Verdict;
    if pulled.order_id != *reference {
        return Err(SettleError::unconfirmed("order_id differs"));
    }
    Ok(match pulled.status {
        NotifyStatus::Success => {
            let amount = TokenTable::builtin()
                .parse("amount", &pulled.token_id, &pulled.amount)
                .map_err(|e| SettleError::unconfirmed(e.to_string()))?;
            Verdict::Succeeded(Box::new(VerifiedCallback {
                provider: Provider::Wallet,
                event_id: format!("wallet:{}", pulled.notify_id),
                reference: *reference,
                outcome: Outcome::Succeeded,
                amount: CallbackAmount::Token {
                    token: pulled.token_id.clone(),
                    amount,
                },
                provider_txn: pulled.trade_id.clone(),
                confirm_required: false,
                account: None,
                refunded_txn: None,
            }))
        }
        NotifyStatus::Failed => Verdict::Failed,
        NotifyStatus::Processing => Verdict::InFlight,
    })
}
