//! Paytm's Refund API and Refund Status API (Paytm's developer documentation, "Refund
//! API" / "Refund Status API"; issue 16 item 7).
//!
//! - `POST {base}/refund/apply` with `{"body": {mid, txnType: "REFUND", orderId, txnId,
//!   refId, refundAmount}, "head": {"signature"}}`; `head.signature` is the string
//!   checksum ([`checksum::generate_for_text`], `generateSignatureByString`) of the exact
//!   text of `body` as sent, so the request is written from that text, never
//!   re-serialised. `orderId` is the paid attempt's reference (the `ORDER_ID` its form
//!   carried), `txnId` Paytm's transaction id of that payment (from the Transaction
//!   Status API: [`paid_txn_id`]), `refId` Kassa's refund id (unique per refund, so a
//!   retried request is Paytm's "617 Refund Already Raised", not a second refund),
//!   `refundAmount` rupees with two decimals.
//!   `resultInfo.resultStatus` `PENDING` (601) is accepted; `TXN_SUCCESS` accepted and
//!   settled; `TXN_FAILURE` 617 is accepted (raised before: the status pull tells);
//!   any other `TXN_FAILURE` is a refusal with Paytm's code and message.
//! - `POST {base}/v2/refund/status` with `{"body": {mid, orderId, refId}, "head":
//!   {"signature"}}` → `resultInfo.resultStatus` `TXN_SUCCESS` (settled), `PENDING`,
//!   `TXN_FAILURE` (final). The answer must name the same `orderId` and `refId`.
//!
//! Answers come straight from Paytm over TLS, like the Transaction Status API's; the
//! answer's own `head.signature` is not needed to trust them.

use serde::Serialize;
use serde_json::Value;

use super::checksum::{self, Salt};
use super::{PaytmConfig, PaytmError};
use crate::callback::ProviderRef;
use crate::money::{Currency, Money};
use crate::providers::http::{Exchange, Request, Response};
use crate::providers::refund::{RefundAck, RefundVerdict};

pub const REFUND_PATH: &str = "/refund/apply";
pub const REFUND_STATUS_PATH: &str = "/v2/refund/status";

/// One refund to raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundAsk {
    /// `orderId`: the paid attempt's reference.
    pub reference: ProviderRef,
    /// `txnId`: Paytm's id of that payment.
    pub txn_id: String,
    /// `refId`: Kassa's refund id.
    pub ref_id: String,
    /// In INR.
    pub amount: Money,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApplyBody<'a> {
    mid: &'a str,
    txn_type: &'static str,
    order_id: String,
    txn_id: &'a str,
    ref_id: &'a str,
    refund_amount: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusBody<'a> {
    mid: &'a str,
    order_id: String,
    ref_id: &'a str,
}

/// `{"body": <text>, "head": {"signature": …}}` with the signature over `text`.
fn signed_request(
    cfg: &PaytmConfig,
    path: &str,
    body: &impl Serialize,
    salt: &Salt,
) -> Result<Request, PaytmError> {
    let text = serde_json::to_string(body).map_err(|_| PaytmError::Response {
        reason: "request not serialisable",
    })?;
    let signature = checksum::generate_for_text(&text, cfg.merchant_key.as_bytes(), salt)?;
    let signature = Value::String(signature).to_string();
    let envelope = format!(r#"{{"body":{text},"head":{{"signature":{signature}}}}}"#);
    Ok(Request {
        method: crate::providers::http::Method::Post,
        url: format!("{}{path}", cfg.base_url),
        headers: vec![("Content-Type", "application/json; charset=utf-8".to_owned())],
        body: Some(envelope.into_bytes()),
    })
}

/// The `body` of a Paytm JSON answer, checked to be about `order_ref` / `ref_id`.
fn answer_body(resp: &Response, order_ref: &str, ref_id: &str) -> Result<Value, PaytmError> {
    if !resp.is_success() {
        return Err(PaytmError::Http {
            status: resp.status,
        });
    }
    let v: Value = serde_json::from_slice(&resp.body).map_err(|_| PaytmError::Response {
        reason: "answer is not JSON",
    })?;
    let body = v.get("body").cloned().ok_or(PaytmError::Response {
        reason: "answer has no body",
    })?;
    let same = |field: &str, want: &str| body[field].as_str().is_none_or(|got| got == want);
    if !same("orderId", order_ref) || !same("refId", ref_id) {
        return Err(PaytmError::Response {
            reason: "answer is about another refund",
        });
    }
    Ok(body)
}

fn result(body: &Value) -> (String, String, String) {
    let info = &body["resultInfo"];
    let text = |k: &str| info[k].as_str().unwrap_or("").to_owned();
    (text("resultStatus"), text("resultCode"), text("resultMsg"))
}

/// Asks Paytm to refund `ask`.
///
/// # Errors
/// [`PaytmError::Currency`] when the amount is not INR; the checksum key.
pub fn refund(
    cfg: &PaytmConfig,
    ask: &RefundAsk,
    salt: &Salt,
) -> Result<Exchange<RefundAck, PaytmError>, PaytmError> {
    if ask.amount.currency() != Currency::Inr {
        return Err(PaytmError::Currency {
            currency: ask.amount.currency().code(),
        });
    }
    let body = ApplyBody {
        mid: &cfg.mid,
        txn_type: "REFUND",
        order_id: ask.reference.to_string(),
        txn_id: &ask.txn_id,
        ref_id: &ask.ref_id,
        refund_amount: ask.amount.format_major(),
    };
    let req = signed_request(cfg, REFUND_PATH, &body, salt)?;
    let (order_ref, ref_id) = (ask.reference.to_string(), ask.ref_id.clone());
    Ok(Exchange::new(
        req,
        cfg.timeout,
        PaytmError::Transport,
        move |resp| parse_refund(resp, &order_ref, &ref_id),
    ))
}

/// Reads the Refund API's answer (module docs).
///
/// # Errors
/// [`PaytmError`] when the answer is not Paytm's (the outcome is then unknown).
pub fn parse_refund(
    resp: &Response,
    order_ref: &str,
    ref_id: &str,
) -> Result<RefundAck, PaytmError> {
    let body = answer_body(resp, order_ref, ref_id)?;
    let (status, code, msg) = result(&body);
    let provider_refund = body["refundId"].as_str().unwrap_or("").to_owned();
    let accepted = |verdict| RefundAck::Accepted {
        provider_refund: provider_refund.clone(),
        verdict,
    };
    Ok(match (status.as_str(), code.as_str()) {
        ("PENDING", _) | ("TXN_FAILURE", "617") => accepted(RefundVerdict::Pending),
        ("TXN_SUCCESS", _) => accepted(RefundVerdict::Succeeded),
        ("TXN_FAILURE", _) => RefundAck::Refused {
            reason: format!("Paytm {code}: {msg}"),
        },
        _ => {
            return Err(PaytmError::Response {
                reason: "resultInfo.resultStatus is not PENDING, TXN_SUCCESS or TXN_FAILURE",
            })
        }
    })
}

/// Asks Paytm where refund `ref_id` of the attempt `reference` stands.
///
/// # Errors
/// The checksum key.
pub fn refund_status(
    cfg: &PaytmConfig,
    reference: &ProviderRef,
    ref_id: &str,
    salt: &Salt,
) -> Result<Exchange<RefundVerdict, PaytmError>, PaytmError> {
    let body = StatusBody {
        mid: &cfg.mid,
        order_id: reference.to_string(),
        ref_id,
    };
    let req = signed_request(cfg, REFUND_STATUS_PATH, &body, salt)?;
    let (order_ref, ref_id) = (reference.to_string(), ref_id.to_owned());
    Ok(Exchange::new(
        req,
        cfg.timeout,
        PaytmError::Transport,
        move |resp| parse_refund_status(resp, &order_ref, &ref_id),
    ))
}

/// Reads the Refund Status API's answer (module docs).
///
/// # Errors
/// [`PaytmError`] when the answer is not Paytm's or is about another refund.
pub fn parse_refund_status(
    resp: &Response,
    order_ref: &str,
    ref_id: &str,
) -> Result<RefundVerdict, PaytmError> {
    let body = answer_body(resp, order_ref, ref_id)?;
    let (status, code, msg) = result(&body);
    match status.as_str() {
        "TXN_SUCCESS" => Ok(RefundVerdict::Succeeded),
        "PENDING" => Ok(RefundVerdict::Pending),
        "TXN_FAILURE" => Ok(RefundVerdict::Failed {
            reason: format!("Paytm {code}: {msg}"),
        }),
        _ => Err(PaytmError::Response {
            reason: "resultInfo.resultStatus is not TXN_SUCCESS, PENDING or TXN_FAILURE",
        }),
    }
}

/// Paytm's `TXNID` of the attempt's payment, from a Transaction Status API answer that
/// says `TXN_SUCCESS` for `reference` (the Refund API needs it).
///
/// # Errors
/// [`PaytmError::Response`] when the answer is not a success of that attempt.
pub fn paid_txn_id(reference: &ProviderRef, status_api_body: &[u8]) -> Result<String, PaytmError> {
    let v: Value = serde_json::from_slice(status_api_body).map_err(|_| PaytmError::Response {
        reason: "status answer is not JSON",
    })?;
    let text = |k: &str| v[k].as_str().unwrap_or("");
    if text("ORDERID") != reference.to_string() {
        return Err(PaytmError::Response {
            reason: "status answer is about another order",
        });
    }
    if text("STATUS") != "TXN_SUCCESS" || text("TXNID").is_empty() {
        return Err(PaytmError::Response {
            reason: "status answer is not a TXN_SUCCESS with a TXNID",
        });
    }
    Ok(text("TXNID").to_owned())
}
