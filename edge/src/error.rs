//! The edge's one error type: every variant is a kind of the core's
//! [`Failure`] (`kassa_shared::envelope_render`, which decides the status, the code and
//! every surface's envelope: merchant `{error: {…}}`, widget S2 `{status, code, message,
//! field}`, S1 `{code, message}` and S4 `{code, msg, error, field}` at HTTP 200). Here:
//! the conversions (from `worker::Error` and the core's typed errors), the log line of a
//! misconfiguration or internal failure, and the `Response`s.

use kassa_shared::envelope::{ApiError, ErrorCode};
pub use kassa_shared::envelope_render::MAX_BODY_BYTES;
use kassa_shared::envelope_render::{Failure, Rendered};
use kassa_shared::flows::Refused;
use serde::Serialize;
use worker::Response;

/// Each kind is the core's [`Failure`] of the same name, with the same fields (its docs
/// say what each means); `same_kinds!` below converts both ways.
#[derive(Debug, Clone)]
pub enum EdgeError {
    BadRequest {
        param: String,
        message: String,
    },
    InvalidJson(String),
    PayloadTooLarge,
    Unauthorized,
    Forbidden(&'static str),
    NotFound(&'static str),
    RouteNotFound,
    MethodNotAllowed,
    Conflict {
        code: ErrorCode,
        message: String,
    },
    TooManyRequests {
        code: ErrorCode,
        message: String,
        retry_after_ms: u64,
    },
    Upstream {
        code: ErrorCode,
        message: String,
    },
    WrongCode {
        message: String,
        attempts_left: u32,
    },
    Config(&'static str),
    Internal(String),
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
        Failure::from(e).into()
    }
}

/// What a refused pay tells the shopper (`flows::pay`), as the error of its kind.
impl From<kassa_shared::flows::pay::PayError> for EdgeError {
    fn from(e: kassa_shared::flows::pay::PayError) -> Self {
        Failure::from(e).into()
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

/// `EdgeError` and the core's `Failure` have the same kinds, each of the same fields:
/// one list makes both conversions, and the compiler holds each match exhaustive.
macro_rules! same_kinds {
    ($($unit:ident),*; $($one:ident),*; $($named:ident { $($f:ident),* }),*) => {
        impl From<EdgeError> for Failure {
            fn from(e: EdgeError) -> Self {
                match e {
                    $(EdgeError::$unit => Self::$unit,)*
                    $(EdgeError::$one(x) => Self::$one(x),)*
                    $(EdgeError::$named { $($f),* } => Self::$named { $($f),* },)*
                }
            }
        }

        impl From<Failure> for EdgeError {
            fn from(f: Failure) -> Self {
                match f {
                    $(Failure::$unit => Self::$unit,)*
                    $(Failure::$one(x) => Self::$one(x),)*
                    $(Failure::$named { $($f),* } => Self::$named { $($f),* },)*
                }
            }
        }
    };
}

same_kinds!(
    PayloadTooLarge, Unauthorized, RouteNotFound, MethodNotAllowed;
    InvalidJson, Forbidden, NotFound, Config, Internal;
    BadRequest { param, message },
    Conflict { code, message },
    TooManyRequests { code, message, retry_after_ms },
    Upstream { code, message },
    WrongCode { message, attempts_left },
    Api { status, error }
);

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
        Failure::from(self.clone()).status()
    }

    /// The machine-readable `code` (also the audit log's reason code).
    #[must_use]
    pub fn code(&self) -> &str {
        match self {
            Self::Api { error, .. } => &error.code,
            other => Failure::from(other.clone())
                .error_code()
                .map_or("", ErrorCode::as_str),
        }
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

    /// The core's rendering, its log line written to the Worker's log.
    fn render(self) -> Rendered {
        let rendered = Failure::from(self).render();
        if let Some(line) = &rendered.log {
            worker::console_error!("{line}");
        }
        rendered
    }

    /// The status and the typed `error` object every envelope is derived from.
    #[must_use]
    pub fn into_api(self) -> (u16, ApiError) {
        let r = self.render();
        (r.status, r.error)
    }

    /// The status and merchant-envelope body, for answers that are stored and replayed
    /// (idempotent `pay`).
    #[must_use]
    pub fn into_body(self) -> (u16, serde_json::Value) {
        let r = self.render();
        (r.status, r.merchant())
    }

    /// `{ "error": { type, code, message, param } }` — the merchant envelope.
    pub fn into_response(self) -> worker::Result<Response> {
        let r = self.render();
        Ok(Response::from_json(&r.merchant())?.with_status(r.status))
    }

    /// `{ status, code, message, field }` — the widget API's S2-shaped envelope.
    pub fn into_s2_response(self) -> worker::Result<Response> {
        let r = self.render();
        with_retry(r.status, &r.widget(), &r)
    }

    /// S1's `{code, message}`, HTTP 200.
    pub fn into_s1_response(self) -> worker::Result<Response> {
        let r = self.render();
        with_retry(200, &r.s1(), &r)
    }

    /// S4's `{code, msg, error, field}`, HTTP 200.
    pub fn into_s4_response(self) -> worker::Result<Response> {
        let r = self.render();
        with_retry(200, &r.s4(), &r)
    }
}

/// An error body as a response with `status`; a 429's `retry_after_ms` also becomes
/// `Retry-After` (whole seconds, rounded up).
fn with_retry(status: u16, body: &impl Serialize, r: &Rendered) -> worker::Result<Response> {
    let mut resp = Response::from_json(body)?;
    if let Some(secs) = r.retry_after_secs() {
        resp.headers_mut().set("Retry-After", &secs.to_string())?;
    }
    Ok(resp.with_status(status))
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
