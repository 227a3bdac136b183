//! Paytm, the S1 channel (seed S1, SPEC 3.3, 3.4, 4.3).
//!
//! - [`pre_order_form`]: the form parameters `/pay/preOrder` returns for `payType` 1
//!   (MID, ORDER_ID, CUST_ID, INDUSTRY_TYPE_ID, CHANNEL_ID, TXN_AMOUNT in rupees with two
//!   decimals, WEBSITE, CALLBACK_URL, EMAIL, MOBILE_NO) with their `CHECKSUMHASH` made with
//!   the merchant key (`shared`'s checksum, salt from 4 random bytes). The widget posts
//!   them to Paytm's process page; no request leaves the edge here.
//! - [`status_body`]: Paytm's Transaction Status API (`POST
//!   {base}/merchant-status/getTxnStatus`, `{MID, ORDERID, CHECKSUMHASH}` — the path the
//!   sandbox and Paytm's checksum-based integration use), which Paytm's documentation
//!   requires after every callback and issue 5 uses to confirm one before an order moves
//!   to Succeeded. It is asked with the attempt's reference, the `ORDER_ID` the form
//!   carried. The answer comes straight from Paytm over TLS; its raw body goes to
//!   [`callback::confirmed`], which checks it against the callback (ORDERID, TXNID,
//!   amount, TXN_SUCCESS) — the one reader of that answer.
//! - [`checksum`] (SPEC 4.3), [`callback`] (verification, confirmation, the answer Paytm
//!   expects), [`status`] (`STATUS`) and [`wire`] (the form, the callback) are Paytm's
//!   too. The salt is the caller's: shared draws no randomness (the edge's comes from
//!   the runtime's CSPRNG). S1 `/pay/preOrder`, the surface that hands this form out, is
//!   `surfaces::s1`.

use core::time::Duration;

use super::http::{Exchange, Request, TransportError};
use crate::callback::ProviderRef;
use crate::crypto::Secret;
use crate::money::{Currency, Money};
use checksum::{ChecksumError, Params, Salt, CHECKSUMHASH};
use wire::PaytmForm;

pub mod callback;
pub mod checksum;
pub mod refund;
pub mod status;
pub mod wire;

pub const STATUS_PATH: &str = "/merchant-status/getTxnStatus";

/// Paytm settings. `Debug` redacts the merchant key.
#[derive(Debug, Clone)]
pub struct PaytmConfig {
    /// Paytm's API base (the Transaction Status API lives under it).
    pub base_url: String,
    pub mid: String,
    /// 16 or 32 bytes (AES-128 / AES-256), SPEC 4.3.
    pub merchant_key: Secret,
    pub website: String,
    pub industry_type_id: String,
    pub channel_id: String,
    /// `{KASSA_PUBLIC_URL}/callbacks/paytm`.
    pub callback_url: String,
    pub timeout: Duration,
}

/// The shopper-specific part of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaytmOrder {
    /// `ORDER_ID`: the attempt's reference (bare only for S1 `/pay/preOrder`).
    pub reference: ProviderRef,
    /// Must be INR: Paytm charges rupees.
    pub amount: Money,
    pub cust_id: String,
    pub email: Option<String>,
    pub mobile_no: Option<String>,
}

/// Why a Paytm step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaytmError {
    #[error("TXN_AMOUNT: Paytm charges INR, the order is in {currency}")]
    Currency { currency: &'static str },
    #[error(transparent)]
    Checksum(#[from] ChecksumError),
    #[error("Paytm order status: {0}")]
    Transport(#[from] TransportError),
    #[error("Paytm order status: HTTP status {status}")]
    Http { status: u16 },
    #[error("Paytm order status: {reason}")]
    Response { reason: &'static str },
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

/// The `preOrder` Paytm form with its `CHECKSUMHASH`. `salt` is random in production
/// (the caller's CSPRNG) and fixed in tests.
pub fn pre_order_form(
    cfg: &PaytmConfig,
    order: &PaytmOrder,
    salt: &Salt,
) -> Result<PaytmForm, PaytmError> {
    if order.amount.currency() != Currency::Inr {
        return Err(PaytmError::Currency {
            currency: order.amount.currency().code(),
        });
    }
    let mut form = PaytmForm {
        mid: cfg.mid.clone(),
        order_id: order.reference.to_string(),
        cust_id: order.cust_id.clone(),
        industry_type_id: cfg.industry_type_id.clone(),
        channel_id: cfg.channel_id.clone(),
        // 200 paise → "2.00" (SPEC 2: Paytm's TXN_AMOUNT is rupees, two decimals).
        txn_amount: order.amount.format_major(),
        website: cfg.website.clone(),
        callback_url: cfg.callback_url.clone(),
        email: order.email.clone(),
        mobile_no: order.mobile_no.clone(),
        checksum_hash: String::new(),
    };
    form.checksum_hash =
        checksum::generate(&form_params(&form), cfg.merchant_key.as_bytes(), salt)?;
    Ok(form)
}

/// The parameters the checksum covers: exactly the fields the widget will post (absent
/// optional fields are not posted, so they are not in the map either).
#[must_use]
pub fn form_params(form: &PaytmForm) -> Params {
    let mut p = Params::new();
    let mut put = |k: &str, v: Option<String>| {
        if v.is_some() {
            p.insert(k.to_owned(), v);
        }
    };
    put("MID", some(&form.mid));
    put("ORDER_ID", some(&form.order_id));
    put("CUST_ID", some(&form.cust_id));
    put("INDUSTRY_TYPE_ID", some(&form.industry_type_id));
    put("CHANNEL_ID", some(&form.channel_id));
    put("TXN_AMOUNT", some(&form.txn_amount));
    put("WEBSITE", some(&form.website));
    put("CALLBACK_URL", some(&form.callback_url));
    put("EMAIL", form.email.clone());
    put("MOBILE_NO", form.mobile_no.clone());
    p
}

/// `POST {base}/order/status` with `{MID, ORDERID, CHECKSUMHASH}` (checksum over MID and
/// ORDERID, as Paytm's status API requires).
/// `order_ref` is the `ORDER_ID` Paytm was given: the attempt's `ProviderRef`, the same
/// reference the form carried, so the answer is about that attempt's transaction.
pub fn status_request(
    cfg: &PaytmConfig,
    order_ref: &str,
    salt: &Salt,
) -> Result<Request, PaytmError> {
    let mut params = Params::new();
    params.insert("MID".to_owned(), some(&cfg.mid));
    params.insert("ORDERID".to_owned(), some(order_ref));
    let hash = checksum::generate(&params, cfg.merchant_key.as_bytes(), salt)?;
    params.insert(CHECKSUMHASH.to_owned(), Some(hash));
    Request::post_json(format!("{}{STATUS_PATH}", cfg.base_url), &params).map_err(|_| {
        PaytmError::Response {
            reason: "request not serialisable",
        }
    })
}

/// The Transaction Status API's raw answer for `reference` (2xx only), asked with the
/// `ORDER_ID` the form carried, for [`callback::confirmed`] to check against a callback.
///
/// # Errors
/// The request cannot be built (checksum key).
pub fn status_body(
    cfg: &PaytmConfig,
    reference: &ProviderRef,
    salt: &Salt,
) -> Result<Exchange<Vec<u8>, PaytmError>, PaytmError> {
    let req = status_request(cfg, &reference.to_string(), salt)?;
    Ok(Exchange::new(
        req,
        cfg.timeout,
        PaytmError::Transport,
        |resp| {
            if resp.is_success() {
                Ok(resp.body.clone())
            } else {
                Err(PaytmError::Http {
                    status: resp.status,
                })
            }
        },
    ))
}

#[cfg(test)]
mod tests;

/// The hand-off to Paytm's process page: the browser posts `form` to
/// `{base}/theia/processTransaction` itself (SPEC 3.3), a top-level navigation, so Paytm
/// brings the shopper back to `CALLBACK_URL` with the signed result.
///
/// # Errors
/// [`HandoffError`] when the base URL is not a web URL.
pub fn handoff(
    cfg: &PaytmConfig,
    form: &PaytmForm,
) -> Result<crate::surfaces::handoff::Handoff, crate::surfaces::handoff::HandoffError> {
    let fields = form_params(form)
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .chain([(
            checksum::CHECKSUMHASH.to_owned(),
            form.checksum_hash.clone(),
        )])
        .collect();
    crate::surfaces::handoff::Handoff::form_post(
        "base_url",
        &format!("{}/theia/processTransaction", cfg.base_url),
        fields,
    )
}
