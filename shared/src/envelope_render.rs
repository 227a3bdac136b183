//! What a failure tells each surface (SPEC 3, "every error names what was wrong"): one
//! typed [`Failure`] (the edge's `EdgeError` converts into it), its HTTP status, its
//! machine-readable code, and the body of every envelope, derived from the same parts so
//! every surface says the same thing about the same failure.
//!
//! The merchant API (SPEC 3.2) answers `{ "error": { type, code, message, param } }`,
//! shaped like the best payment APIs'. The router's own 404 / 405 and the 413 body limit
//! use the same envelope. The live-status WebSocket route (SPEC 3.1) uses it too: a
//! failed upgrade is read by the widget's code, not shown to the shopper.
//!
//! The widget API (SPEC 3.1, `/api/payment/...`) answers errors in an S2-shaped envelope
//! instead ([`Rendered::widget`]): seed S2's list answer is `{status, data}` with
//! `status: 0` for success, so an error is `{status, code, message, field}` with
//! `status` the (non-zero) HTTP status, `code` the same machine-readable code as the
//! merchant envelope's and `field` the offending parameter or `null`. Successful S2
//! answers keep the seed's shapes unchanged. Both envelopes add `retry_after_ms` to a
//! 429 and `attempts_left` to a wrong code (`wrong_verify_code`), which the widget shows.
//!
//! **Decision: the compatibility surfaces' (SPEC 3.3) errors travel with HTTP 200, the
//! outcome in the body's `code`.** Both seeds carry the outcome in the body: S1 calls
//! its `code` a 业务状态码 (business status code, 200 正常返回 / 400 参数异常 / 500
//! 系统异常) — a code that restated the HTTP status would not need its own table — and
//! S4 answers success as `code: 900`, which is no HTTP status at all. Apps of that era
//! (Android with Retrofit / OkHttp / Volley, Java servlet backends) parse the body of a
//! 200 and take any other status for a transport failure whose body they never read
//! (Retrofit's `body()` is `null`, Volley calls `onErrorResponse`), so a non-200 error
//! would reach them as "network error" with the field's name lost. Every answer of
//! `/pay/...` and `/rest/pay/...` — handlers, the router's 404 / 405 (with `Allow`), the
//! 413 body limit — is therefore HTTP 200 with:
//! - S1 (`/pay/...`, [`Rendered::s1`]): `{code, message}` with `code` 400 for anything
//!   the caller got wrong (the seed's 参数异常, also used for authentication, unknown
//!   orders and state refusals, which the seed has no code for) and 500 for the edge's
//!   own and upstream failures (系统异常); `message` names the field and reason.
//! - S4 (`/rest/pay/...`, [`Rendered::s4`]): the seed shows only success (`code: 900`)
//!   and an optional `msg`, so an error is `{code, msg, error, field}` with `code` the
//!   precise HTTP-style status of the failure (400, 401, 403, 404, 405, 409, 413, 429,
//!   500, 502; never 900), `msg` naming the field, `error` the machine-readable code,
//!   `field` the parameter or `null`; a 429 adds `retry_after_ms` and the `Retry-After`
//!   header.
//!
//! `/callback/paytm` is not in these envelopes: Paytm, not an app, posts there, and it
//! answers as its provider expects (SPEC 3.4).

use serde_json::Value;

use crate::envelope::{ApiError, ErrorCode, ErrorEnvelope, WidgetError};
use crate::surfaces::s1::wire::Envelope as S1Envelope;
use crate::surfaces::s4::wire::Error as S4Error;

/// SPEC 3: bodies over 64 KiB are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Every way a request fails, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
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
    /// The request is valid but the resource's state refuses it.
    Conflict {
        code: ErrorCode,
        message: String,
    },
    /// A limit refused the request for now; `retry_after_ms` is when it would pass.
    TooManyRequests {
        code: ErrorCode,
        message: String,
        retry_after_ms: u64,
    },
    /// An upstream (S0, a provider) did not give a usable answer: 502.
    Upstream {
        code: ErrorCode,
        message: String,
    },
    /// A wrong second-factor code: 400 naming `verify_code`, with the attempts left.
    WrongCode {
        message: String,
        attempts_left: u32,
    },
    /// A setting is missing or invalid (its name goes to the log only).
    Config(&'static str),
    /// The edge's own failure (its detail goes to the log only).
    Internal(String),
    /// An error already in the envelope's typed form, with its status.
    Api {
        status: u16,
        error: ApiError,
    },
}

/// A failure as every envelope shows it: the status, the typed `error`, and what the
/// operator's log should say (never sent: a setting's name or an internal detail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub status: u16,
    pub error: ApiError,
    pub log: Option<String>,
}

impl Failure {
    /// HTTP status of this failure.
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
        match self {
            // A code another object already chose from the same list.
            Self::Api { error, .. } => &error.code,
            other => other.error_code().map_or("", ErrorCode::as_str),
        }
    }

    /// The code of every kind but [`Failure::Api`] (whose code is already a string).
    #[must_use]
    pub fn error_code(&self) -> Option<ErrorCode> {
        Some(match self {
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
            Self::Api { .. } => return None,
        })
    }

    /// The status, the typed `error` every envelope is derived from, and the log line.
    #[must_use]
    pub fn render(self) -> Rendered {
        let status = self.status();
        let code = self.code().to_owned();
        let (retry_after_ms, attempts_left) = match &self {
            Self::TooManyRequests { retry_after_ms, .. } => (Some(*retry_after_ms), None),
            Self::WrongCode { attempts_left, .. } => (None, Some(*attempts_left)),
            _ => (None, None),
        };
        let mut log = None;
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
                log = Some(format!("configuration error: {what}"));
                (
                    "api_error",
                    "the edge is misconfigured; its operator can see why in the Worker's logs"
                        .to_owned(),
                    None,
                )
            }
            // Internal detail stays in the log, not in the answer.
            Self::Internal(detail) => {
                log = Some(format!("internal error: {detail}"));
                ("api_error", "internal error".to_owned(), None)
            }
            Self::Api { status, error } => {
                return Rendered {
                    status,
                    error,
                    log: None,
                }
            }
        };
        let error = ApiError {
            kind: kind.to_owned(),
            code,
            message,
            param,
            retry_after_ms,
            attempts_left,
        };
        Rendered { status, error, log }
    }
}

/// A field the core refused: 400 naming it.
impl From<crate::surfaces::merchant::FieldError> for Failure {
    fn from(e: crate::surfaces::merchant::FieldError) -> Self {
        Self::BadRequest {
            param: e.param,
            message: e.message,
        }
    }
}

/// What a refused pay tells the shopper (`flows::pay`), as the failure of its kind.
impl From<crate::flows::pay::PayError> for Failure {
    fn from(e: crate::flows::pay::PayError) -> Self {
        use crate::flows::pay::PayError;
        match e {
            PayError::Conflict { code, message } => Self::Conflict { code, message },
            // A lock: when it lifts rides along for the widget's countdown.
            PayError::Limited {
                retry_after_ms: ms,
                code,
                message,
            } => Self::TooManyRequests {
                retry_after_ms: ms,
                code,
                message,
            },
            PayError::WrongCode {
                message,
                attempts_left,
            } => Self::WrongCode {
                message,
                attempts_left,
            },
            PayError::Invalid { param, message } => Self::BadRequest {
                param: param.to_owned(),
                message,
            },
            PayError::Forbidden(code) => Self::Forbidden(code),
        }
    }
}

impl Rendered {
    /// The merchant envelope's body, `{ "error": { type, code, message, param } }`.
    #[must_use]
    pub fn merchant(&self) -> Value {
        serde_json::to_value(ErrorEnvelope {
            error: self.error.clone(),
        })
        .unwrap_or_default()
    }

    /// The widget API's `{status, code, message, field}` (module docs).
    #[must_use]
    pub fn widget(&self) -> WidgetError {
        WidgetError::from_api(self.status, self.error.clone())
    }

    /// S1's `{code, message}`: 500 for the edge's own and upstream failures, else 400.
    #[must_use]
    pub fn s1(&self) -> S1Envelope<()> {
        let code = if self.status >= 500 {
            S1Envelope::<()>::SERVER_ERROR
        } else {
            S1Envelope::<()>::BAD_REQUEST
        };
        S1Envelope::<()>::error(code, self.error.message.clone())
    }

    /// S4's `{code, msg, error, field}`, `code` the precise status.
    #[must_use]
    pub fn s4(&self) -> S4Error {
        S4Error::new(self.status, self.error.clone())
    }

    /// `Retry-After` in whole seconds, rounded up so a client never retries early.
    #[must_use]
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.error.retry_after_ms.map(|ms| ms.div_ceil(1000))
    }
}

#[cfg(test)]
#[path = "envelope_render_tests.rs"]
mod tests;
