//! The edge's one error type, turned into the error envelope in one place (SPEC 3, "every
//! error names what was wrong").
//!
//! The merchant API (SPEC 3.2) answers `{ "error": { type, code, message, param } }`,
//! shaped like the best payment APIs'. The router's own 404 / 405 and the 413 body limit
//! use the same envelope (see `lib.rs`). The live-status WebSocket route (SPEC 3.1) uses
//! it too: a failed upgrade is read by the widget's code, not shown to the shopper.
//!
//! The widget API (SPEC 3.1, `/api/payment/...`) answers errors in an S2-shaped envelope
//! instead ([`EdgeError::into_s2_response`]): seed S2's list answer is `{status, data}`
//! with `status: 0` for success, so an error is `{status, code, message, field}` with
//! `status` the (non-zero) HTTP status, `code` the same machine-readable code as the
//! merchant envelope's and `field` the offending parameter or `null`. Successful S2
//! answers keep the seed's shapes unchanged. Both envelopes add `retry_after_ms` to a
//! 429 and `attempts_left` to a wrong code (`wrong_verify_code`), which the widget shows.
//!
//! The compatibility surfaces (SPEC 3.3) keep their seeds' envelopes, derived here from
//! the same parts so every surface says the same thing about the same failure.
//!
//! **Decision: their errors travel with HTTP 200, the outcome in the body's `code`.**
//! Both seeds carry the outcome in the body: S1 calls its `code` a 业务状态码 (business
//! status code, 200 正常返回 / 400 参数异常 / 500 系统异常) — a code that restated the
//! HTTP status would not need its own table — and S4 answers success as `code: 900`,
//! which is no HTTP status at all. Apps of that era (Android with Retrofit / OkHttp /
//! Volley, Java servlet backends) parse the body of a 200 and take any other status for
//! a transport failure whose body they never read (Retrofit's `body()` is `null`,
//! Volley calls `onErrorResponse`), so a non-200 error would reach them as "network
//! error" with the field's name lost. Every answer of `/pay/...` and `/rest/pay/...` —
//! handlers, the router's 404 / 405 (with `Allow`), the 413 body limit — is therefore
//! HTTP 200 with:
//! - S1 (`/pay/...`, [`EdgeError::into_s1_response`]): `{code, message}` with `code`
//!   400 for anything the caller got wrong (the seed's 参数异常, also used for
//!   authentication, unknown orders and state refusals, which the seed has no code for)
//!   and 500 for the edge's own and upstream failures (系统异常); `message` names the
//!   field and reason.
//! - S4 (`/rest/pay/...`, [`EdgeError::into_s4_response`]): the seed shows only success
//!   (`code: 900`) and an optional `msg`, so an error is `{code, msg, error, field}` with
//!   `code` the precise HTTP-style status of the failure (400, 401, 403, 404, 405, 409,
//!   413, 429, 500, 502; never 900), `msg` naming the field, `error` the
//!   machine-readable code, `field` the parameter or `null`; a 429 adds
//!   `retry_after_ms` and the `Retry-After` header.
//!
//! `/callback/paytm` is not in these envelopes: Paytm, not an app, posts there, and it
//! answers as its provider expects (`routes/callbacks.rs`, SPEC 3.4).

use kassa_shared::envelope::{ApiError, ErrorCode, ErrorEnvelope, WidgetError};
use kassa_shared::flows::Refused;
use kassa_shared::surfaces::s1::wire::Envelope as S1Envelope;
use kassa_shared::surfaces::s4::wire::Error as S4Error;
use serde::Serialize;
use worker::Response;

/// SPEC 3: bodies over 64 KiB are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug)]
pub enum EdgeError {
    /// A request field is missing or invalid: names the field and the reason.
    BadRequest {
        param: String,
        message: String,
    },
    /// The body is not JSON (or not a JSON object).
    InvalidJson(String),
    PayloadTooLarge,
    Unauthorized,
    /// Authenticated, but not for this resource (a `client_secret` for another order).
    Forbidden(&'static str),
    NotFound(&'static str),
    RouteNotFound,
    MethodNotAllowed,
    /// The request is valid but the resource's state refuses it, e.g. cancelling a paid
    /// order. `code` is machine-readable.
    Conflict {
        code: ErrorCode,
        message: String,
    },
    /// A limit refused the request for now (code-send throttle): `retry_after_ms` is when
    /// it would be accepted, for the widget's countdown.
    TooManyRequests {
        code: ErrorCode,
        message: String,
        retry_after_ms: u64,
    },
    /// An upstream (S0, a provider) did not give a usable answer: 502, `code` names it.
    Upstream {
        code: ErrorCode,
        message: String,
    },
    /// A wrong second-factor code (SPEC 5, 6): 400 naming `verify_code`, with how many
    /// attempts are left before the order locks (0: this one locked it).
    WrongCode {
        message: String,
        attempts_left: u32,
    },
    Config(&'static str),
    Internal(String),
    /// An error already in the envelope's typed form: one a Durable Object answered
    /// (passed through), or one with a status no other variant has.
    Api {
        status: u16,
        error: ApiError,
    },
}

impl From<worker::Error> for EdgeError {
    fn from(e: worker::Error) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<kassa_shared::surfaces::merchant::FieldError> for EdgeError {
    fn from(e: kassa_shared::surfaces::merchant::FieldError) -> Self {
        Self::BadRequest {
            param: e.param,
            message: e.message,
        }
    }
}

/// What a refused pay tells the shopper (`flows::pay`), as the error of its kind.
impl From<kassa_shared::flows::pay::PayError> for EdgeError {
    fn from(e: kassa_shared::flows::pay::PayError) -> Self {
        use kassa_shared::flows::pay::PayError;
        match e {
            PayError::Conflict { code, message } => Self::Conflict { code, message },
            PayError::Limited {
                code,
                message,
                retry_after_ms,
            } => Self::TooManyRequests {
                code,
                message,
                retry_after_ms,
            },
            PayError::WrongCode {
                message,
                attempts_left,
            } => Self::WrongCode {
                message,
                attempts_left,
            },
            PayError::Invalid { param, message } => Self::bad(param, message),
            PayError::Forbidden(code) => Self::Forbidden(code),
        }
    }
}

/// A refusal a shared flow decided, answered as it says.
impl From<Refused> for EdgeError {
    fn from(r: Refused) -> Self {
        Self::Api {
            status: r.status,
            error: *r.error,
        }
    }
}

impl From<serde_json::Error> for EdgeError {
    fn from(e: serde_json::Error) -> Self {
        Self::Internal(e.to_string())
    }
}

impl EdgeError {
    /// A 400 naming `param`; `message` should start with the field name.
    pub fn bad(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadRequest {
            param: param.into(),
            message: message.into(),
        }
    }

    /// HTTP status of this error.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest { .. } | Self::InvalidJson(_) | Self::WrongCode { .. } => 400,
            Self::Unauthorized => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) | Self::RouteNotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict { .. } => 409,
            Self::PayloadTooLarge => 413,
            Self::TooManyRequests { .. } => 429,
            Self::Upstream { .. } => 502,
            Self::Config(_) | Self::Internal(_) => 500,
            Self::Api { status, .. } => *status,
        }
    }

    /// The machine-readable `code` (also the audit log's reason code).
    #[must_use]
    pub fn code(&self) -> &str {
        let code = match self {
            Self::BadRequest { .. } => ErrorCode::ParameterInvalid,
            Self::WrongCode { .. } => ErrorCode::WrongVerifyCode,
            Self::InvalidJson(_) => ErrorCode::InvalidJson,
            Self::PayloadTooLarge => ErrorCode::BodyTooLarge,
            Self::Unauthorized => ErrorCode::InvalidApiKey,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::ResourceMissing,
            Self::RouteNotFound => ErrorCode::RouteNotFound,
            Self::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            Self::Conflict { code, .. }
            | Self::TooManyRequests { code, .. }
            | Self::Upstream { code, .. } => *code,
            Self::Config(_) => ErrorCode::Misconfigured,
            Self::Internal(_) => ErrorCode::Internal,
            // A code another object already chose from the same list.
            Self::Api { error, .. } => return &error.code,
        };
        code.as_str()
    }

    /// An error in the envelope's typed form: status and [`ApiError`].
    pub fn api(
        status: u16,
        kind: &str,
        code: ErrorCode,
        message: impl Into<String>,
        param: Option<&str>,
    ) -> Self {
        Refused::new(status, kind, code, message, param).into()
    }

    /// The status and the typed `error` object every envelope is derived from.
    #[must_use]
    pub fn into_api(self) -> (u16, ApiError) {
        let status = self.status();
        let code = self.code().to_owned();
        let (retry_after_ms, attempts_left) = match &self {
            Self::TooManyRequests { retry_after_ms, .. } => (Some(*retry_after_ms), None),
            Self::WrongCode { attempts_left, .. } => (None, Some(*attempts_left)),
            _ => (None, None),
        };
        let (kind, message, param) = match self {
            Self::BadRequest { param, message } => ("invalid_request_error", message, Some(param)),
            Self::WrongCode { message, .. } => (
                "invalid_request_error",
                message,
                Some("verify_code".to_owned()),
            ),
            Self::InvalidJson(e) => (
                "invalid_request_error",
                format!("body: malformed JSON ({e})"),
                None,
            ),
            Self::PayloadTooLarge => (
                "invalid_request_error",
                format!("body: larger than {MAX_BODY_BYTES} bytes"),
                None,
            ),
            Self::Unauthorized => (
                "authentication_error",
                "missing or invalid bearer credential".to_owned(),
                None,
            ),
            Self::Forbidden(what) => ("permission_error", what.to_owned(), None),
            Self::NotFound(what) => ("invalid_request_error", format!("no such {what}"), None),
            Self::RouteNotFound => ("invalid_request_error", "no such route".to_owned(), None),
            Self::MethodNotAllowed => (
                "invalid_request_error",
                "method not allowed on this route".to_owned(),
                None,
            ),
            Self::Conflict { message, .. } | Self::TooManyRequests { message, .. } => {
                ("invalid_request_error", message, None)
            }
            Self::Upstream { message, .. } => ("api_error", message, None),
            // The variable's name stays in the log: an answer may reach anyone, and a
            // secret's name tells a prober what to aim at (issue 14).
            Self::Config(what) => {
                worker::console_error!("configuration error: {what}");
                (
                    "api_error",
                    "the edge is misconfigured; its operator can see why in the Worker's logs"
                        .to_owned(),
                    None,
                )
            }
            // Internal detail stays in the log, not in the answer.
            Self::Internal(detail) => {
                worker::console_error!("internal error: {detail}");
                ("api_error", "internal error".to_owned(), None)
            }
            Self::Api { status, error } => return (status, error),
        };
        let error = ApiError {
            kind: kind.to_owned(),
            code,
            message,
            param,
            retry_after_ms,
            attempts_left,
        };
        (status, error)
    }

    /// The status and merchant-envelope body, for answers that are stored and replayed
    /// (idempotent `pay`).
    #[must_use]
    pub fn into_body(self) -> (u16, serde_json::Value) {
        let (status, error) = self.into_api();
        let body = serde_json::to_value(ErrorEnvelope { error }).unwrap_or_default();
        (status, body)
    }

    /// `{ "error": { type, code, message, param } }` — the envelope.
    pub fn into_response(self) -> worker::Result<Response> {
        let (status, body) = self.into_body();
        Ok(Response::from_json(&body)?.with_status(status))
    }

    /// `{ status, code, message, field }` — the widget API's S2-shaped envelope (module
    /// docs).
    pub fn into_s2_response(self) -> worker::Result<Response> {
        let (status, error) = self.into_api();
        let retry = error.retry_after_ms;
        s2_response(status, &WidgetError::from_api(status, error), retry)
    }
}

/// An S2 error body as a response; a `retry_after_ms` also becomes `Retry-After`, in
/// whole seconds rounded up so a client never retries early.
fn s2_response(
    status: u16,
    body: &impl Serialize,
    retry_after_ms: Option<u64>,
) -> worker::Result<Response> {
    let mut resp = Response::from_json(body)?;
    if let Some(ms) = retry_after_ms {
        resp.headers_mut()
            .set("Retry-After", &ms.div_ceil(1000).to_string())?;
    }
    Ok(resp.with_status(status))
}

impl EdgeError {
    /// S1's `{code, message}`, HTTP 200 (module docs).
    pub fn into_s1_response(self) -> worker::Result<Response> {
        let (status, e) = self.into_api();
        let code = if status >= 500 {
            S1Envelope::<()>::SERVER_ERROR
        } else {
            S1Envelope::<()>::BAD_REQUEST
        };
        let body = S1Envelope::<()>::error(code, e.message);
        s2_response(200, &body, e.retry_after_ms)
    }

    /// S4's `{code, msg, error, field}`, HTTP 200 (module docs).
    pub fn into_s4_response(self) -> worker::Result<Response> {
        let (status, e) = self.into_api();
        let retry = e.retry_after_ms;
        s2_response(200, &S4Error::new(status, e), retry)
    }
}

/// Runs a handler body and maps its error into the envelope.
pub fn respond(result: Result<Response, EdgeError>) -> worker::Result<Response> {
    result.or_else(EdgeError::into_response)
}

/// As [`respond`], in S1's envelope.
pub fn respond_s1(result: Result<Response, EdgeError>) -> worker::Result<Response> {
    result.or_else(EdgeError::into_s1_response)
}

/// As [`respond`], in S4's envelope.
pub fn respond_s4(result: Result<Response, EdgeError>) -> worker::Result<Response> {
    result.or_else(EdgeError::into_s4_response)
}

/// As [`respond`], in the widget API's S2 envelope.
pub fn respond_s2(result: Result<Response, EdgeError>) -> worker::Result<Response> {
    result.or_else(EdgeError::into_s2_response)
}
