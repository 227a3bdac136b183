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

use super::notify::{self, NotifyError, NotifyStatus};
use crate::callback::{CallbackAmount, CallbackError, Outcome, Provider, VerifiedCallback};
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
