//! The token wallet's refunds (Kassa's wallet protocol; issue 16 item 7). The sandbox
//! (`sandbox/src/wallet.rs`) serves exactly this.
//!
//! - `POST {base}/refunds` with `Authorization: Bearer <KASSA_WALLET_API_KEY>` and
//!   `{"refund_id", "order_id", "amount"}`: `refund_id` is Kassa's refund id (the
//!   wallet keeps one refund per id, so a retried request answers the same refund and
//!   never refunds twice), `order_id` the paid attempt's reference, `amount` a decimal
//!   string in the token's precision. 2xx `{"code": 0, "refund_id", "trade_id",
//!   "status": "PROCESSING"}` is accepted; 400 / 404 / 409 `{code, message}` are
//!   refusals (malformed, no such payment, more than is left to refund); anything else
//!   leaves the outcome unknown.
//! - `GET {base}/refunds/{refund_id}` (same auth) → the refund's state, **signed like a
//!   notification** (RFC 8785 + RSA, SPEC 4.1, with the wallet's key) and verified here,
//!   so a pulled `SUCCESS` is as trustworthy as a verified callback: `{"refund_id",
//!   "order_id", "trade_id", "status": "SUCCESS" | "FAILED" | "PROCESSING", "token_id",
//!   "amount", "time"}`. It must name the refund, attempt and amount asked about.
//!
//! "Signed refund call": the wallet's answers about refunds are signed; the request is
//! authenticated by the API key, as charges are.

use serde::Deserialize;
use serde_json::Value;

use super::notify::NotifyStatus;
use super::{WalletConfig, WalletError};
use crate::callback::ProviderRef;
use crate::crypto::{jcs, signed_json, PublicKey};
use crate::money::TokenAmount;
use crate::providers::http::{Exchange, Request, Response};
use crate::providers::refund::{RefundAck, RefundVerdict};

pub const REFUNDS_PATH: &str = "/refunds";

/// A refund's state as the wallet signs it (module docs).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefundState {
    pub refund_id: String,
    pub order_id: ProviderRef,
    pub trade_id: String,
    pub status: NotifyStatus,
    pub token_id: String,
    pub amount: String,
    pub time: String,
}

fn auth(cfg: &WalletConfig, req: Request) -> Request {
    req.with_header("Authorization", format!("Bearer {}", cfg.api_key.expose()))
}

fn transport(
    call: &'static str,
) -> impl FnOnce(crate::providers::http::TransportError) -> WalletError {
    move |source| WalletError::Transport { call, source }
}

/// Asks the wallet to refund `amount` of the attempt `order_id`'s payment as `refund_id`.
///
/// # Errors
/// The request cannot be built.
pub fn refund(
    cfg: &WalletConfig,
    refund_id: &str,
    order_id: &ProviderRef,
    amount: &TokenAmount,
) -> Result<Exchange<RefundAck, WalletError>, WalletError> {
    let body = serde_json::json!({
        "refund_id": refund_id,
        "order_id": order_id.to_string(),
        "amount": amount.to_string(),
    });
    let req =
        Request::post_json(format!("{}{REFUNDS_PATH}", cfg.base_url), &body).map_err(|_| {
            WalletError::Response {
                call: "refund",
                reason: "request not serialisable",
            }
        })?;
    let want = refund_id.to_owned();
    Ok(Exchange::new(
        auth(cfg, req),
        cfg.timeout,
        transport("refund"),
        move |r| parse_refund(r, &want),
    ))
}

/// Reads the refund request's answer (module docs).
///
/// # Errors
/// [`WalletError`] when the outcome is unknown (an error status other than a refusal, an
/// answer that is not the wallet's).
pub fn parse_refund(resp: &Response, refund_id: &str) -> Result<RefundAck, WalletError> {
    let call = "refund";
    let v: Option<Value> = serde_json::from_slice(&resp.body).ok();
    let message = || {
        v.as_ref()
            .and_then(|v| v["message"].as_str())
            .unwrap_or("(no message)")
            .to_owned()
    };
    match resp.status {
        200..=299 => {
            let v = v.as_ref().ok_or(WalletError::Response {
                call,
                reason: "answer is not JSON",
            })?;
            if v["refund_id"].as_str() != Some(refund_id) {
                return Err(WalletError::Response {
                    call,
                    reason: "answer names another refund",
                });
            }
            let verdict = match v["status"].as_str() {
                Some("SUCCESS") => RefundVerdict::Succeeded,
                Some("FAILED") => RefundVerdict::Failed { reason: message() },
                _ => RefundVerdict::Pending,
            };
            Ok(RefundAck::Accepted {
                provider_refund: refund_id.to_owned(),
                verdict,
            })
        }
        400 | 404 | 409 => Ok(RefundAck::Refused {
            reason: format!("wallet {}: {}", resp.status, message()),
        }),
        status => Err(WalletError::Http { call, status }),
    }
}

/// Pulls refund `refund_id`'s state (signed, verified, checked against what was asked).
#[must_use]
pub fn refund_status(
    cfg: &WalletConfig,
    refund_id: &str,
    order_id: &ProviderRef,
    amount: &TokenAmount,
) -> Exchange<RefundVerdict, WalletError> {
    // Kassa's refund ids are decimal digits: safe in a path.
    let req = auth(
        cfg,
        Request::get(format!("{}{REFUNDS_PATH}/{refund_id}", cfg.base_url)),
    );
    let key = cfg.wallet_public_key.clone();
    let (want, order, amount) = (refund_id.to_owned(), *order_id, *amount);
    Exchange::new(req, cfg.timeout, transport("refund status"), move |r| {
        parse_refund_status(&key, r, &want, &order, &amount)
    })
}

/// Verifies and reads a refund state answer (module docs).
///
/// # Errors
/// [`WalletError`]: not 2xx (404: the wallet has no such refund), a bad signature, an
/// answer about another refund, attempt or amount.
pub fn parse_refund_status(
    key: &PublicKey,
    resp: &Response,
    refund_id: &str,
    order_id: &ProviderRef,
    amount: &TokenAmount,
) -> Result<RefundVerdict, WalletError> {
    let call = "refund status";
    if !resp.is_success() {
        return Err(WalletError::Http {
            call,
            status: resp.status,
        });
    }
    let v = jcs::parse_strict(&resp.body).map_err(|_| WalletError::BadSignature)?;
    signed_json::verify(&v, key).map_err(|_| WalletError::BadSignature)?;
    let s: RefundState = serde_json::from_value(v).map_err(|_| WalletError::Response {
        call,
        reason: "answer is not a refund state",
    })?;
    let same_amount =
        TokenAmount::parse("amount", &s.amount, amount.precision()).is_ok_and(|a| a == *amount);
    if s.refund_id != refund_id || s.order_id != *order_id || !same_amount {
        return Err(WalletError::OrderMismatch);
    }
    Ok(match s.status {
        NotifyStatus::Success => RefundVerdict::Succeeded,
        NotifyStatus::Processing => RefundVerdict::Pending,
        NotifyStatus::Failed => RefundVerdict::Failed {
            reason: "the wallet reports the refund FAILED".to_owned(),
        },
    })
}
