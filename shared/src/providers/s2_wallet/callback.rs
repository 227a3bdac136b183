//! The token wallet's result notification (SPEC 3.4 "wallet"; format in
//! [`super::notify`]): verified with the wallet public key by [`super::notify::verify`]
//! (strict JSON, signature before deserialisation), then read.
//!
//! - The wallet's `order_id` is a Kassa [`crate::id::Id`] and the wallet keeps one
//!   payment per order id (a second `pay` for the same order returns the same trade),
//!   so the attempt *is* the order: the reference is `{order: order_id, attempt:
//!   order_id}` and the edge starts wallet attempts with the order id as attempt id.
//! - `amount` is parsed with the token's precision from the [`TokenTable`]; an unknown
//!   token is [`CallbackError::Malformed`] on `token_id`.
//! - De-dup key: `wallet:<notify_id>`.

use super::notify::{self, NotifyError, NotifyStatus};
use crate::callback::{
    CallbackAmount, CallbackError, Outcome, Provider, ProviderRef, VerifiedCallback,
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
        reference: ProviderRef::new(n.order_id, n.order_id),
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
    })
}
