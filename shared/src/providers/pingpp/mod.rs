//! Ping++, the S4 channel: create a charge, retrieve one (the status pull that
//! confirms a `charge.succeeded` webhook, issue 5), refund one, and retrieve a refund
//! (the status pull that confirms a `refund.succeeded` webhook, issue 14).
//!
//! Ping++'s REST API: `POST {base}/v1/charges`, `GET {base}/v1/charges/{id}`,
//! `POST {base}/v1/charges/{id}/refunds` (`{amount, description}` → a refund object
//! `{id: "re_…", object: "refund", amount, succeed, status, charge, charge_order_no}`,
//! `status` `pending` | `succeeded` | `failed`; the `refund.succeeded` webhook settles a
//! pending one) and `GET {base}/v1/charges/{id}/refunds/{refund_id}` (the same refund
//! object, as Ping++ holds it now), HTTP
//! Basic auth with the secret key as user name and an empty password, JSON bodies,
//! amounts in minor units (fen), currency in lower case. `shared` has no charge types
//! (seed S4 only embeds the charge object opaquely), so the few fields Kassa reads are
//! declared here; everything else in the charge is kept as JSON for the widget (the
//! `credential` the client SDK needs). A charge's `order_no` is the attempt's
//! [`ProviderRef`] `"{order}A{attempt}"` (letters and digits only, as Ping++ requires),
//! so every attempt is its own Ping++ order and a webhook names the attempt it settles.
//!
//! Ping++ also offers RSA request signing (`Pingplusplus-Signature` on requests); not
//! used yet — it would be a private-key operation at the edge, through WebCrypto
//! (SPEC 4.4).
//!
//! Everything else about Ping++ is here too: [`callback`] verifies its webhooks
//! ([`webhook`]: `X-Pingplusplus-Signature`) and holds the binding and confirmation
//! rules (which retrieve answers may settle an attempt or a refund) and the answer Ping++
//! expects. Each call is an [`Exchange`] the edge sends.

use core::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::http::{Exchange, Request, Response, TransportError};
use crate::callback::ProviderRef;
use crate::money::Money;
use crate::serde_util::Redacted;

pub mod callback;
pub mod handoff;
pub mod refund;
pub mod webhook;

pub const CHARGES_PATH: &str = "/v1/charges";

/// Ping++ settings. `Debug` redacts the secret key.
#[derive(Debug, Clone)]
pub struct PingppConfig {
    pub base_url: String,
    /// Ping++'s mock payment page for test-mode charges ([`handoff`]).
    pub mock_url: String,
    pub secret_key: Redacted,
    pub app_id: String,
    pub timeout: Duration,
}

/// The order-specific part of a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeOrder {
    /// `order_no`: the attempt's reference.
    pub reference: ProviderRef,
    pub amount: Money,
    /// Ping++ channel (`alipay_wap`, `wx_pub`, …).
    pub channel: String,
    pub client_ip: String,
    pub subject: String,
    pub body: String,
    /// `time_expire` (unix seconds): the charge dies with the order.
    pub time_expire: Option<u64>,
    /// The channel's `extra` (`alipay_wap`: `success_url`, `cancel_url`; `wx_pub`:
    /// `open_id`), as Ping++ requires per channel.
    pub extra: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
struct AppRef<'a> {
    id: &'a str,
}

#[derive(Debug, Serialize)]
struct CreateCharge<'a> {
    order_no: String,
    app: AppRef<'a>,
    channel: &'a str,
    amount: u64,
    client_ip: &'a str,
    currency: String,
    subject: &'a str,
    body: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_expire: Option<u64>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extra: &'a std::collections::BTreeMap<String, String>,
}

/// The fields of a Ping++ charge Kassa reads, plus the whole object.
#[derive(Debug, Clone, PartialEq)]
pub struct Charge {
    pub id: String,
    pub order_no: String,
    pub amount: u64,
    pub currency: String,
    pub paid: bool,
    pub failure_code: Option<String>,
    /// The Ping++ app the charge belongs to (every charge names one).
    pub app: Option<String>,
    /// The charge as Ping++ sent it (the client SDK needs `credential`).
    pub raw: Value,
}

#[derive(Deserialize)]
struct ChargeBody {
    id: String,
    object: String,
    order_no: String,
    amount: u64,
    currency: String,
    #[serde(default)]
    paid: bool,
    #[serde(default)]
    failure_code: Option<String>,
    #[serde(default)]
    app: Option<String>,
}

/// Why a Ping++ call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PingppError {
    #[error("Ping++ {call}: {source}")]
    Transport {
        call: &'static str,
        source: TransportError,
    },
    #[error("Ping++ {call}: HTTP status {status} ({error_type})")]
    Http {
        call: &'static str,
        status: u16,
        error_type: String,
    },
    #[error("Ping++ {call}: {reason}")]
    Response {
        call: &'static str,
        reason: &'static str,
    },
    #[error("Ping++ charge id: must be non-empty letters, digits or `_`")]
    ChargeId,
    #[error("Ping++ refund id: must be non-empty letters, digits or `_`")]
    RefundId,
}

impl PingppError {
    /// Ping++ does not know the charge or refund asked about (its 404): a status pull
    /// that refuses the callback, where any other failure means it could not be made.
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Http { status: 404, .. })
    }

    /// No answer came (network, timeout, a 5xx): Ping++ may or may not have acted on
    /// the request, unlike an API error answer, which says it did not.
    #[must_use]
    pub fn is_transport(&self) -> bool {
        match self {
            Self::Transport { .. } => true,
            Self::Http { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// An id that may go into a path: non-empty ASCII letters, digits and `_` (Ping++'s
/// `ch_…` / `re_…` ids), so it cannot change the path or add a query.
fn path_safe(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn auth(cfg: &PingppConfig) -> String {
    let token =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:", cfg.secret_key.expose()));
    format!("Basic {token}")
}

pub fn create_charge_request(
    cfg: &PingppConfig,
    order: &ChargeOrder,
) -> Result<Request, PingppError> {
    let body = CreateCharge {
        order_no: order.reference.to_string(),
        app: AppRef { id: &cfg.app_id },
        channel: &order.channel,
        amount: order.amount.minor(),
        client_ip: &order.client_ip,
        currency: order.amount.currency().code().to_ascii_lowercase(),
        subject: &order.subject,
        body: &order.body,
        time_expire: order.time_expire,
        extra: &order.extra,
    };
    Ok(
        Request::post_json(format!("{}{CHARGES_PATH}", cfg.base_url), &body)
            .map_err(|_| PingppError::Response {
                call: "create charge",
                reason: "request not serialisable",
            })?
            .with_header("Authorization", auth(cfg)),
    )
}

/// `{base}/v1/charges/{charge_id}`. The id goes into the path: anything that could
/// change the path or query is refused.
fn charge_url(cfg: &PingppConfig, charge_id: &str) -> Result<String, PingppError> {
    if !path_safe(charge_id) {
        return Err(PingppError::ChargeId);
    }
    Ok(format!("{}{CHARGES_PATH}/{charge_id}", cfg.base_url))
}

pub fn retrieve_charge_request(
    cfg: &PingppConfig,
    charge_id: &str,
) -> Result<Request, PingppError> {
    Ok(Request::get(charge_url(cfg, charge_id)?).with_header("Authorization", auth(cfg)))
}

#[derive(Debug, Serialize)]
struct CreateRefund<'a> {
    amount: u64,
    description: &'a str,
    metadata: RefundMetadata<'a>,
}

/// What Kassa puts in a refund's `metadata` (Ping++ keeps and echoes it): its own id
/// for the refund, so a refund whose answer never arrived can be found again.
#[derive(Debug, Serialize)]
struct RefundMetadata<'a> {
    kassa_refund: &'a str,
}

/// The `metadata` key that names Kassa's refund id.
pub const KASSA_REFUND: &str = "kassa_refund";

/// `POST {base}/v1/charges/{charge_id}/refunds` for `amount` minor units, Kassa's refund
/// id `kassa_refund` in its `metadata`.
pub fn create_refund_request(
    cfg: &PingppConfig,
    charge_id: &str,
    amount: u64,
    description: &str,
    kassa_refund: &str,
) -> Result<Request, PingppError> {
    let url = format!("{}/refunds", charge_url(cfg, charge_id)?);
    Ok(Request::post_json(
        url,
        &CreateRefund {
            amount,
            description,
            metadata: RefundMetadata { kassa_refund },
        },
    )
    .map_err(|_| PingppError::Response {
        call: "create refund",
        reason: "request not serialisable",
    })?
    .with_header("Authorization", auth(cfg)))
}

/// `GET {base}/v1/charges/{charge_id}/refunds/{refund_id}`: Ping++'s refund retrieve.
pub fn retrieve_refund_request(
    cfg: &PingppConfig,
    charge_id: &str,
    refund_id: &str,
) -> Result<Request, PingppError> {
    if !path_safe(refund_id) {
        return Err(PingppError::RefundId);
    }
    let url = format!("{}/refunds/{refund_id}", charge_url(cfg, charge_id)?);
    Ok(Request::get(url).with_header("Authorization", auth(cfg)))
}

/// The fields of a Ping++ refund Kassa reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refund {
    pub id: String,
    pub amount: u64,
    /// `pending` | `succeeded` | `failed`.
    pub status: String,
    pub charge: String,
    #[serde(default)]
    pub succeed: bool,
    #[serde(default)]
    pub charge_order_no: Option<String>,
    #[serde(default)]
    pub metadata: Value,
}

impl Refund {
    /// Kassa's refund id, when Kassa made this refund (`metadata.kassa_refund`).
    #[must_use]
    pub fn kassa_refund(&self) -> Option<&str> {
        self.metadata.get(KASSA_REFUND).and_then(Value::as_str)
    }
}

/// `GET {base}/v1/charges/{charge_id}/refunds`: the charge's refunds.
pub fn list_refunds_request(cfg: &PingppConfig, charge_id: &str) -> Result<Request, PingppError> {
    let url = format!("{}/refunds", charge_url(cfg, charge_id)?);
    Ok(Request::get(url).with_header("Authorization", auth(cfg)))
}

/// Reads a refund list's answer: `{object: "list", data: [refund…]}`, each of that
/// charge.
pub fn parse_refund_list(resp: &Response, charge_id: &str) -> Result<Vec<Refund>, PingppError> {
    let call = "list refunds";
    let raw = success_body(call, resp)?;
    let bad = |reason| PingppError::Response { call, reason };
    if raw.get("object").and_then(Value::as_str) != Some("list") {
        return Err(bad("object is not `list`"));
    }
    let data = raw.get("data").cloned().unwrap_or(Value::Null);
    let refunds: Vec<Refund> =
        serde_json::from_value(data).map_err(|_| bad("data is not a list of refunds"))?;
    if refunds.iter().any(|r| r.charge != charge_id) {
        return Err(bad("a refund of another charge"));
    }
    Ok(refunds)
}

/// Lists the refunds of charge `charge_id`.
///
/// # Errors
/// The charge id cannot go into a path.
pub fn list_refunds(
    cfg: &PingppConfig,
    charge_id: &str,
) -> Result<Exchange<Vec<Refund>, PingppError>, PingppError> {
    let req = list_refunds_request(cfg, charge_id)?;
    let charge_id = charge_id.to_owned();
    Ok(Exchange::new(
        req,
        cfg.timeout,
        transport("list refunds"),
        move |r| parse_refund_list(r, &charge_id),
    ))
}

/// A successful answer holding a refund object (what both refund calls return).
fn refund_object(call: &'static str, resp: &Response) -> Result<Refund, PingppError> {
    let raw = success_body(call, resp)?;
    if raw.get("object").and_then(Value::as_str) != Some("refund") {
        return Err(PingppError::Response {
            call,
            reason: "object is not `refund`",
        });
    }
    serde_json::from_value(raw).map_err(|_| PingppError::Response {
        call,
        reason: "not a refund object (id, amount, status, charge)",
    })
}

/// Reads a refund retrieve's answer: a refund object with that id, of that charge.
/// Whether it succeeded, and for what, is the caller's to judge.
pub fn parse_retrieved_refund(
    resp: &Response,
    charge_id: &str,
    refund_id: &str,
) -> Result<Refund, PingppError> {
    let call = "retrieve refund";
    let r = refund_object(call, resp)?;
    if r.id != refund_id || r.charge != charge_id {
        return Err(PingppError::Response {
            call,
            reason: "refund does not match the request (id or charge)",
        });
    }
    Ok(r)
}

/// Reads a refund answer: it must be a refund of `charge_id` for `amount`, and not
/// `failed` (a failed refund is Ping++ refusing it).
pub fn parse_refund(resp: &Response, charge_id: &str, amount: u64) -> Result<Refund, PingppError> {
    let call = "create refund";
    let r = refund_object(call, resp)?;
    if r.charge != charge_id || r.amount != amount {
        return Err(PingppError::Response {
            call,
            reason: "refund does not match the request (charge or amount)",
        });
    }
    if r.status == "failed" {
        return Err(PingppError::Response {
            call,
            reason: "refund failed at Ping++",
        });
    }
    Ok(r)
}

/// The JSON body of a 2xx answer; Ping++'s `{error: {type}}` otherwise.
fn success_body(call: &'static str, resp: &Response) -> Result<Value, PingppError> {
    let raw: Value = serde_json::from_slice(&resp.body).map_err(|_| PingppError::Response {
        call,
        reason: "body is not JSON",
    })?;
    if !resp.is_success() {
        let error_type = raw
            .pointer("/error/type")
            .and_then(Value::as_str)
            .unwrap_or("no error type")
            .chars()
            .take(64)
            .collect();
        return Err(PingppError::Http {
            call,
            status: resp.status,
            error_type,
        });
    }
    Ok(raw)
}

/// Reads a charge. For a create, `expected` is the attempt: the charge must be for that
/// order number and amount, or it is not ours.
pub fn parse_charge(
    call: &'static str,
    resp: &Response,
    expected: Option<(&ProviderRef, Money)>,
) -> Result<Charge, PingppError> {
    let raw = success_body(call, resp)?;
    let b: ChargeBody = serde_json::from_value(raw.clone()).map_err(|_| PingppError::Response {
        call,
        reason: "not a charge object (id, order_no, amount, currency)",
    })?;
    if b.object != "charge" {
        return Err(PingppError::Response {
            call,
            reason: "object is not `charge`",
        });
    }
    if let Some((reference, amount)) = expected {
        if b.order_no != reference.to_string()
            || b.amount != amount.minor()
            || !b.currency.eq_ignore_ascii_case(amount.currency().code())
        {
            return Err(PingppError::Response {
                call,
                reason: "charge does not match the order (order_no, amount or currency)",
            });
        }
    }
    Ok(Charge {
        id: b.id,
        order_no: b.order_no,
        amount: b.amount,
        currency: b.currency,
        paid: b.paid,
        failure_code: b.failure_code.filter(|c| !c.is_empty()),
        app: b.app,
        raw,
    })
}

fn transport(call: &'static str) -> impl FnOnce(TransportError) -> PingppError {
    move |source| PingppError::Transport { call, source }
}

/// Creates a charge for the order (the answer must be that charge: order number, amount).
///
/// # Errors
/// The request cannot be built.
pub fn create_charge(
    cfg: &PingppConfig,
    order: &ChargeOrder,
) -> Result<Exchange<Charge, PingppError>, PingppError> {
    let call = "create charge";
    let req = create_charge_request(cfg, order)?;
    let (reference, amount) = (order.reference, order.amount);
    Ok(Exchange::new(req, cfg.timeout, transport(call), move |r| {
        parse_charge(call, r, Some((&reference, amount)))
    }))
}

/// Retrieves a charge (the status pull that confirms `charge.succeeded`).
///
/// # Errors
/// The charge id cannot go into a path.
pub fn retrieve_charge(
    cfg: &PingppConfig,
    charge_id: &str,
) -> Result<Exchange<Charge, PingppError>, PingppError> {
    let call = "retrieve charge";
    let req = retrieve_charge_request(cfg, charge_id)?;
    Ok(Exchange::new(req, cfg.timeout, transport(call), move |r| {
        parse_charge(call, r, None)
    }))
}

/// Refunds `amount` minor units of a charge (Kassa's refund `kassa_refund`).
///
/// # Errors
/// The charge id cannot go into a path, or the request cannot be built.
pub fn create_refund(
    cfg: &PingppConfig,
    charge_id: &str,
    amount: u64,
    description: &str,
    kassa_refund: &str,
) -> Result<Exchange<Refund, PingppError>, PingppError> {
    let req = create_refund_request(cfg, charge_id, amount, description, kassa_refund)?;
    let charge_id = charge_id.to_owned();
    Ok(Exchange::new(
        req,
        cfg.timeout,
        transport("create refund"),
        move |r| parse_refund(r, &charge_id, amount),
    ))
}

/// Retrieves refund `refund_id` of charge `charge_id` (the status pull that confirms
/// `refund.succeeded`).
///
/// # Errors
/// An id cannot go into a path.
pub fn retrieve_refund(
    cfg: &PingppConfig,
    charge_id: &str,
    refund_id: &str,
) -> Result<Exchange<Refund, PingppError>, PingppError> {
    let req = retrieve_refund_request(cfg, charge_id, refund_id)?;
    let (charge_id, refund_id) = (charge_id.to_owned(), refund_id.to_owned());
    Ok(Exchange::new(
        req,
        cfg.timeout,
        transport("retrieve refund"),
        move |r| parse_retrieved_refund(r, &charge_id, &refund_id),
    ))
}

#[cfg(test)]
mod tests;
