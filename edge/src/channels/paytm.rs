//! Paytm, the S1 channel (seed S1, SPEC 3.3, 3.4, 4.3).
//!
//! - [`pre_order_form`]: the form parameters `/pay/preOrder` returns for `payType` 1
//!   (MID, ORDER_ID, CUST_ID, INDUSTRY_TYPE_ID, CHANNEL_ID, TXN_AMOUNT in rupees with two
//!   decimals, WEBSITE, CALLBACK_URL, EMAIL, MOBILE_NO) with their `CHECKSUMHASH` made with
//!   the merchant key (`shared`'s checksum, salt from 4 random bytes). The widget posts
//!   them to Paytm's process page; no request leaves the edge here.
//! - [`transaction_status`]: Paytm's Transaction Status API (`POST
//!   {base}/merchant-status/getTxnStatus`, `{MID, ORDERID, CHECKSUMHASH}` — the path the
//!   sandbox and Paytm's checksum-based integration use), which Paytm's documentation
//!   requires after every callback and issue 5 uses to confirm one before an order moves
//!   to Succeeded. It is asked with the attempt's reference, the `ORDER_ID` the form
//!   carried. The answer comes straight from Paytm over TLS; it is checked against
//!   the reference asked for, and its amount is parsed as INR money for the caller to
//!   compare. [`status_body`] returns the raw answer for
//!   `kassa_shared::providers::s1_paytm::callback::confirmed`, which checks it against
//!   the callback (ORDERID, TXNID, amount, TXN_SUCCESS).

use core::time::Duration;

use kassa_shared::callback::ProviderRef;
use kassa_shared::crypto::Secret;
use kassa_shared::money::{Currency, Money};
use kassa_shared::providers::s1_paytm::checksum::{
    self, ChecksumError, Params, Salt, CHECKSUMHASH,
};
use kassa_shared::providers::s1_paytm::status::TxnStatus;
use kassa_shared::providers::s1_paytm::wire::PaytmForm;
use serde::Deserialize;

use super::http::{self, OutboundRequest, OutboundResponse, TransportError};

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
    #[error("salt: no randomness available")]
    Random,
    #[error("Paytm order status: {0}")]
    Transport(#[from] TransportError),
    #[error("Paytm order status: HTTP status {status}")]
    Http { status: u16 },
    #[error("Paytm order status: {reason}")]
    Response { reason: &'static str },
    #[error("Paytm order status: ORDERID in the answer is not the order asked for")]
    OrderMismatch,
}

/// 4 random bytes for a checksum salt, from the runtime's CSPRNG.
pub fn random_salt() -> Result<Salt, PaytmError> {
    let mut b = [0u8; 4];
    getrandom::getrandom(&mut b).map_err(|_| PaytmError::Random)?;
    Ok(Salt::from_random_bytes(b))
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

/// The `preOrder` Paytm form with its `CHECKSUMHASH`. `salt` comes from [`random_salt`]
/// in production and is fixed in tests.
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
) -> Result<OutboundRequest, PaytmError> {
    let mut params = Params::new();
    params.insert("MID".to_owned(), some(&cfg.mid));
    params.insert("ORDERID".to_owned(), some(order_ref));
    let hash = checksum::generate(&params, cfg.merchant_key.as_bytes(), salt)?;
    params.insert(CHECKSUMHASH.to_owned(), Some(hash));
    OutboundRequest::post_json(format!("{}{STATUS_PATH}", cfg.base_url), &params).map_err(|_| {
        PaytmError::Response {
            reason: "request not serialisable",
        }
    })
}

/// What Paytm says about one order's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnReport {
    pub status: TxnStatus,
    pub txn_id: Option<String>,
    /// `TXNAMOUNT` as INR; compare with the order before applying.
    pub amount: Money,
    pub resp_code: String,
    pub resp_msg: String,
}

#[derive(Deserialize)]
struct StatusBody {
    #[serde(rename = "ORDERID")]
    order_id: String,
    #[serde(rename = "TXNID", default)]
    txn_id: Option<String>,
    #[serde(rename = "TXNAMOUNT")]
    txn_amount: String,
    #[serde(rename = "STATUS")]
    status: TxnStatus,
    #[serde(rename = "RESPCODE", default)]
    resp_code: String,
    #[serde(rename = "RESPMSG", default)]
    resp_msg: String,
}

/// Reads the Transaction Status API's answer for `reference`.
pub fn parse_status(
    reference: &ProviderRef,
    resp: &OutboundResponse,
) -> Result<TxnReport, PaytmError> {
    if !resp.is_success() {
        return Err(PaytmError::Http {
            status: resp.status,
        });
    }
    let b: StatusBody = serde_json::from_slice(&resp.body).map_err(|_| PaytmError::Response {
        reason: "body lacks ORDERID, TXNAMOUNT or a known STATUS",
    })?;
    if b.order_id != reference.to_string() {
        return Err(PaytmError::OrderMismatch);
    }
    let amount = Money::parse_major("TXNAMOUNT", Currency::Inr, &b.txn_amount).map_err(|_| {
        PaytmError::Response {
            reason: "TXNAMOUNT is not a rupee amount",
        }
    })?;
    Ok(TxnReport {
        status: b.status,
        txn_id: b.txn_id.filter(|t| !t.is_empty()),
        amount,
        resp_code: b.resp_code,
        resp_msg: b.resp_msg,
    })
}

/// The Transaction Status API end to end, asked with the `ORDER_ID` the form carried.
pub async fn transaction_status(
    cfg: &PaytmConfig,
    reference: &ProviderRef,
) -> Result<TxnReport, PaytmError> {
    let req = status_request(cfg, &reference.to_string(), &random_salt()?)?;
    let resp = http::send(&req, cfg.timeout).await?;
    parse_status(reference, &resp)
}

/// The Transaction Status API's raw answer for `reference` (2xx only), for the shared
/// core to check against a callback.
pub async fn status_body(
    cfg: &PaytmConfig,
    reference: &ProviderRef,
) -> Result<Vec<u8>, PaytmError> {
    let req = status_request(cfg, &reference.to_string(), &random_salt()?)?;
    let resp = http::send(&req, cfg.timeout).await?;
    if !resp.is_success() {
        return Err(PaytmError::Http {
            status: resp.status,
        });
    }
    Ok(resp.body)
}
