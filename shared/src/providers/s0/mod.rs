//! S0 platform calls (seed S0 §1–3, SPEC 3.5): `prePayCheck` before every pay,
//! `orderCallBack` for every status change, `updateInfo` on the merchant's behalf.
//! Every call carries the `accessToken` / `orgSecret` headers from secrets and the `uid`
//! of the user it is about ([`Uid`]: the merchant's user id, see there why).
//!
//! `prePayCheck` **fails closed** by default (SPEC 3.5; the edge's `KASSA_S0_FAIL_OPEN`
//! lets an operator choose otherwise, the only exception): a timeout, a network error, a non-2xx
//! status or a body that is not the seed's `{status, success}` is an [`S0Error`], which
//! the pay flow must treat as a deny; only a well-formed answer with `status: 0` *and*
//! `success: true` approves. `orderCallBack` succeeds only on the same pair; anything
//! else is an error the relay retries with backoff.

use core::time::Duration;

use super::http::{self, Exchange, Request, TransportError};
use crate::id::Id;
use crate::order::OrderAmount;
use status::CallbackStatus;
pub use wire::Uid;
use wire::{Headers, OrderCallBackRequest, PrePayCheckRequest, Response, UpdateInfoRequest};

pub mod status;
pub mod wire;

pub const PRE_PAY_CHECK_PATH: &str = "/platform/pay/prePayCheck";
pub const ORDER_CALLBACK_PATH: &str = "/platform/pay/orderCallBack";
pub const UPDATE_INFO_PATH: &str = "/platform/pay/updateInfo";

/// Where S0 lives and how Kassa authenticates to it. `Debug` redacts the credentials
/// (through [`Headers`]).
#[derive(Debug, Clone)]
pub struct S0Config {
    pub base_url: String,
    pub headers: Headers,
    /// `prePayCheck` / relay timeout (`KASSA_S0_TIMEOUT_MS`, default 2 s).
    pub timeout: Duration,
}

/// S0's verdict on a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrePayDecision {
    Approved,
    /// A well-formed refusal: the seed's `status` code and `message`, for the audit log.
    Denied {
        status: i64,
        message: Option<String>,
    },
}

/// Why an S0 call produced no usable answer. For `prePayCheck` every variant means
/// "deny" (fail closed); for the relay, "retry later".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S0Error {
    #[error("S0 {call}: {source}")]
    Transport {
        call: &'static str,
        source: TransportError,
    },
    #[error("S0 {call}: HTTP status {status}")]
    Http { call: &'static str, status: u16 },
    #[error("S0 {call}: response body is not {{status, success}} JSON")]
    Body { call: &'static str },
    #[error("S0 {call}: request body could not be serialised")]
    Request { call: &'static str },
    #[error("S0 {call}: not acknowledged (status {status}, success {success})")]
    NotAcknowledged {
        call: &'static str,
        status: i64,
        success: bool,
    },
}

fn request(
    cfg: &S0Config,
    call: &'static str,
    path: &str,
    uid: &Uid,
    body: &impl serde::Serialize,
) -> Result<Request, S0Error> {
    let mut req = Request::post_json(format!("{}{path}", cfg.base_url), body)
        .map_err(|_| S0Error::Request { call })?;
    for (name, value) in cfg.headers.pairs() {
        req = req.with_header(name, value);
    }
    Ok(req.with_header(Headers::UID, uid.as_str()))
}

/// The seed's response, or an error for anything else (status first, then body).
fn parse(call: &'static str, resp: &http::Response) -> Result<Response, S0Error> {
    if !resp.is_success() {
        return Err(S0Error::Http {
            call,
            status: resp.status,
        });
    }
    serde_json::from_slice(&resp.body).map_err(|_| S0Error::Body { call })
}

/// The `prePayCheck` body for an order of `amount`: the shared builder
/// ([`PrePayCheckRequest::for_order`]), which states the amount exactly as the relay
/// does — fiat minor units with their currency, a token's exact decimal with its symbol.
#[must_use]
pub fn pre_pay_check_body(order_id: Id, amount: &OrderAmount) -> PrePayCheckRequest {
    PrePayCheckRequest::for_order(order_id, amount)
}

pub fn pre_pay_check_request(
    cfg: &S0Config,
    uid: &Uid,
    body: &PrePayCheckRequest,
) -> Result<Request, S0Error> {
    request(cfg, "prePayCheck", PRE_PAY_CHECK_PATH, uid, body)
}

/// Reads S0's verdict. Fail closed: only a 2xx with a well-formed body decides; a
/// well-formed refusal is `Denied`, everything else an error.
pub fn parse_pre_pay_check(resp: &http::Response) -> Result<PrePayDecision, S0Error> {
    let r = parse("prePayCheck", resp)?;
    Ok(if r.is_ok() {
        PrePayDecision::Approved
    } else {
        PrePayDecision::Denied {
            status: r.status,
            message: r.message,
        }
    })
}

pub fn order_callback_request(
    cfg: &S0Config,
    uid: &Uid,
    body: &OrderCallBackRequest,
) -> Result<Request, S0Error> {
    request(cfg, "orderCallBack", ORDER_CALLBACK_PATH, uid, body)
}

/// The `orderCallBack` body for an order of any amount: the shared builder
/// ([`OrderCallBackRequest::for_order`]), the same amount fields as `prePayCheck`.
#[must_use]
pub fn order_callback_body(
    order_id: Id,
    status: CallbackStatus,
    amount: &OrderAmount,
) -> OrderCallBackRequest {
    OrderCallBackRequest::for_order(order_id, status, amount)
}

/// `Ok` only for `status: 0` with `success: true` (SPEC 3.5: retried until then).
pub fn parse_ack(call: &'static str, resp: &http::Response) -> Result<(), S0Error> {
    let r = parse(call, resp)?;
    if r.is_ok() {
        Ok(())
    } else {
        Err(S0Error::NotAcknowledged {
            call,
            status: r.status,
            success: r.success,
        })
    }
}

pub fn update_info_request(
    cfg: &S0Config,
    uid: &Uid,
    body: &UpdateInfoRequest,
) -> Result<Request, S0Error> {
    request(cfg, "updateInfo", UPDATE_INFO_PATH, uid, body)
}

fn transport(call: &'static str) -> impl FnOnce(TransportError) -> S0Error {
    move |source| S0Error::Transport { call, source }
}

/// `prePayCheck`. An `Err` must be treated as a deny (fail closed).
///
/// # Errors
/// The request cannot be built.
pub fn pre_pay_check(
    cfg: &S0Config,
    uid: &Uid,
    body: &PrePayCheckRequest,
) -> Result<Exchange<PrePayDecision, S0Error>, S0Error> {
    let req = pre_pay_check_request(cfg, uid, body)?;
    Ok(Exchange::new(
        req,
        cfg.timeout,
        transport("prePayCheck"),
        parse_pre_pay_check,
    ))
}

/// `orderCallBack` with a prepared body (see [`order_callback_body`]). `Err` means
/// "retry with backoff".
///
/// # Errors
/// The request cannot be built.
pub fn order_callback(
    cfg: &S0Config,
    uid: &Uid,
    body: &OrderCallBackRequest,
) -> Result<Exchange<(), S0Error>, S0Error> {
    let req = order_callback_request(cfg, uid, body)?;
    Ok(Exchange::new(
        req,
        cfg.timeout,
        transport("orderCallBack"),
        |r| parse_ack("orderCallBack", r),
    ))
}

/// `updateInfo`.
///
/// # Errors
/// The request cannot be built.
pub fn update_info(
    cfg: &S0Config,
    uid: &Uid,
    body: &UpdateInfoRequest,
) -> Result<Exchange<(), S0Error>, S0Error> {
    let req = update_info_request(cfg, uid, body)?;
    Ok(Exchange::new(
        req,
        cfg.timeout,
        transport("updateInfo"),
        |r| parse_ack("updateInfo", r),
    ))
}

#[cfg(test)]
mod tests;
