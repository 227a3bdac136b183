//! The token wallet, the S2 channel (SPEC 3.4 "wallet", 3.5).
//!
//! **Decision: Kassa's token-wallet protocol.** No seed defines the wallet's API, so
//! Kassa fixes it, in the same style as its notification
//! ([`notify`]); the sandbox (`sandbox/src/wallet.rs`)
//! serves exactly this:
//!
//! - `POST {base}/charges` with `Authorization: Bearer <KASSA_WALLET_API_KEY>` and
//!   `{"order_id", "token_id", "amount", "notify_url"}` → `{"trade_id", "status"}`.
//!   `order_id` is the attempt's `ProviderRef` `"{order}A{attempt}"` (the wallet keeps
//!   one payment per `order_id`, so each attempt is its own payment); `amount` a decimal
//!   string in the token's precision. This answer is only an acknowledgement; it never
//!   moves money state.
//! - `GET {base}/charges/{order_id}` (same auth) → a message of exactly the
//!   notification's shape (its `notify_id` names the query answer), **signed** like it
//!   (RFC 8785 + RSA, SPEC 4.1) and verified here with the wallet's public key, so a
//!   status pull is as trustworthy as a verified callback; 404 when the wallet has no
//!   such payment. The order's object pulls it before a `SUCCESS` notification may
//!   settle the order ([`callback::confirm`]): the pulled status must be `SUCCESS`
//!   with the notification's trade, token and amount.
//!
//! Its notifications ([`notify`], [`callback`]) and the answer it expects are here too.
//! The token wallet is the S2 *channel*; the S2 order API Kassa serves to the widget is
//! `surfaces::s2`.

use core::time::Duration;

use serde::{Deserialize, Serialize};

use super::http::{Exchange, Request, Response, TransportError};
use crate::callback::ProviderRef;
use crate::crypto::PublicKey;
use crate::money::TokenAmount;
use crate::serde_util::Redacted;
use notify::{Notification, NotifyStatus};

pub mod callback;
pub mod notify;
pub mod refund;

pub const CHARGES_PATH: &str = "/charges";

/// Wallet settings. `Debug` redacts the API key.
#[derive(Debug, Clone)]
pub struct WalletConfig {
    pub base_url: String,
    pub api_key: Redacted,
    pub wallet_public_key: PublicKey,
    /// `{KASSA_PUBLIC_URL}/callbacks/wallet`.
    pub notify_url: String,
    pub timeout: Duration,
    /// The merchant's own user id at the wallet (`KASSA_WALLET_MERCHANT_ID`, optional):
    /// the wallet knows the merchant by its API key, so this is the one place its id
    /// comes from. Shown as S2 `payeeUserId` when the merchant's order names none.
    pub merchant_id: Option<String>,
}

/// The charge request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeRequest {
    pub order_id: ProviderRef,
    pub token_id: String,
    pub amount: String,
    pub notify_url: String,
}

/// The wallet's acknowledgement of a charge request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeAck {
    pub trade_id: String,
    pub status: NotifyStatus,
}

/// Why a wallet call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    #[error("wallet {call}: {source}")]
    Transport {
        call: &'static str,
        source: TransportError,
    },
    #[error("wallet {call}: HTTP status {status}")]
    Http { call: &'static str, status: u16 },
    #[error("wallet {call}: {reason}")]
    Response {
        call: &'static str,
        reason: &'static str,
    },
    #[error("wallet query: signature verification failed")]
    BadSignature,
    #[error("wallet query: answer is for another attempt")]
    OrderMismatch,
}

impl WalletError {
    /// The wallet has no such payment (its 404): a status pull that refuses the
    /// callback, where any other failure means it could not be made.
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Http { status: 404, .. })
    }
}

pub fn charge_request(
    cfg: &WalletConfig,
    order_id: ProviderRef,
    token_id: &str,
    amount: &TokenAmount,
) -> Result<Request, WalletError> {
    let body = ChargeRequest {
        order_id,
        token_id: token_id.to_owned(),
        amount: amount.to_string(),
        notify_url: cfg.notify_url.clone(),
    };
    Ok(
        Request::post_json(format!("{}{CHARGES_PATH}", cfg.base_url), &body)
            .map_err(|_| WalletError::Response {
                call: "charge",
                reason: "request not serialisable",
            })?
            .with_header("Authorization", format!("Bearer {}", cfg.api_key.expose())),
    )
}

pub fn parse_charge(resp: &Response) -> Result<ChargeAck, WalletError> {
    let call = "charge";
    if !resp.is_success() {
        return Err(WalletError::Http {
            call,
            status: resp.status,
        });
    }
    serde_json::from_slice(&resp.body).map_err(|_| WalletError::Response {
        call,
        reason: "body is not {trade_id, status}",
    })
}

#[must_use]
pub fn query_request(cfg: &WalletConfig, order_id: &ProviderRef) -> Request {
    // A reference prints as digits and `A` only, safe in a path.
    Request::get(format!("{}{CHARGES_PATH}/{order_id}", cfg.base_url))
        .with_header("Authorization", format!("Bearer {}", cfg.api_key.expose()))
}

/// Verifies the signed status answer, then checks it is about `order_id`.
pub fn parse_query(
    wallet_public_key: &PublicKey,
    order_id: &ProviderRef,
    resp: &Response,
) -> Result<Notification, WalletError> {
    if !resp.is_success() {
        return Err(WalletError::Http {
            call: "query",
            status: resp.status,
        });
    }
    let n = notify::verify(&resp.body, wallet_public_key).map_err(|_| WalletError::BadSignature)?;
    if n.order_id != *order_id {
        return Err(WalletError::OrderMismatch);
    }
    Ok(n)
}

fn transport(call: &'static str) -> impl FnOnce(TransportError) -> WalletError {
    move |source| WalletError::Transport { call, source }
}

/// Asks the wallet to charge `amount` of `token_id` for the attempt `order_id`.
///
/// # Errors
/// The request cannot be built.
pub fn charge(
    cfg: &WalletConfig,
    order_id: ProviderRef,
    token_id: &str,
    amount: &TokenAmount,
) -> Result<Exchange<ChargeAck, WalletError>, WalletError> {
    let req = charge_request(cfg, order_id, token_id, amount)?;
    Ok(Exchange::new(
        req,
        cfg.timeout,
        transport("charge"),
        parse_charge,
    ))
}

/// Pulls the attempt's payment status from the wallet (signed, verified).
#[must_use]
pub fn query(cfg: &WalletConfig, order_id: &ProviderRef) -> Exchange<Notification, WalletError> {
    let req = query_request(cfg, order_id);
    let (key, order_id) = (cfg.wallet_public_key.clone(), *order_id);
    Exchange::new(req, cfg.timeout, transport("query"), move |r| {
        parse_query(&key, &order_id, r)
    })
}

#[cfg(test)]
mod tests;
