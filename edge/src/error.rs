//! The edge's one error type: every variant is a kind of the core's
//! [`Failure`] (`kassa_shared::envelope_render`, which decides the status, the code and
//! every surface's envelope: merchant `{error: {…}}`, widget S2 `{status, code, message,
//! field}`, S1 `{code, message}` and S4 `{code, msg, error, field}` at HTTP 200). Here:
//! the conversions (from `worker::Error` and the core's typed errors), the log line of a
//! misconfiguration or internal failure, and the `Response`s.

use kassa_shared::envelope::ApiError;
use kassa_shared::envelope::ErrorCode;
pub use kassa_shared::envelope_render::MAX_BODY_BYTES;
use kassa_shared::envelope_render::{Failure, Rendered};
use serde::Serialize;
use worker::Response;

#[derive(Debug, Clone)]
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

impl From<serde_json::Error> for EdgeError {
    fn from(e: serde_json::Error) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<EdgeError> for Failure {
    fn from(e: EdgeError) -> Self {
        use EdgeError as E;
        match e {
            E::BadRequest { param, message } => Self::BadRequest { param, message },
            E::InvalidJson(e) => Self::InvalidJson(e),
            E::PayloadTooLarge => Self::PayloadTooLarge,
            E::Unauthorized => Self::Unauthorized,
            E::Forbidden(w) => Self::Forbidden(w),
            E::NotFound(w) => Self::NotFound(w),
            E::RouteNotFound => Self::RouteNotFound,
            E::MethodNotAllowed => Self::MethodNotAllowed,
            E::Conflict { code, message } => Self::Conflict { code, message },
            E::TooManyRequests {
                code,
                message,
                retry_after_ms,
            } => Self::TooManyRequests {
                code,
                message,
                retry_after_ms,
            },
            E::Upstream { code, message } => Self::Upstream { code, message },
            E::WrongCode {
                message,
                attempts_left,
            } => Self::WrongCode {
                message,
                attempts_left,
            },
            E::Config(w) => Self::Config(w),
            E::Internal(d) => Self::Internal(d),
            E::Api { status, error } => Self::Api { status, error },
        }
    }
}

impl From<Failure> for EdgeError {
    fn from(f: Failure) -> Self {
        use Failure as F;
        match f {
            F::BadRequest { param, message } => Self::BadRequest { param, message },
            F::InvalidJson(e) => Self::InvalidJson(e),
            F::PayloadTooLarge => Self::PayloadTooLarge,
            F::Unauthorized => Self::Unauthorized,
            F::Forbidden(w) => Self::Forbidden(w),
            F::NotFound(w) => Self::NotFound(w),
            F::RouteNotFound => Self::RouteNotFound,
            F::MethodNotAllowed => Self::MethodNotAllowed,
            F::Conflict { code, message } => Self::Conflict { code, message },
            F::TooManyRequests {
                code,
                message,
                retry_after_ms,
            } => Self::TooManyRequests {
                code,
                message,
                retry_after_ms,
            },
            F::Upstream { code, message } => Self::Upstream { code, message },
            F::WrongCode {
                message,
                attempts_left,
            } => Self::WrongCode {
                message,
                attempts_left,
            },
            F::Config(w) => Self::Config(w),
            F::Internal(d) => Self::Internal(d),
            F::Api { status, error } => Self::Api { status, error },
        }
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
        Self::Api {
            status,
            error: ApiError {
                kind: kind.to_owned(),
                code: code.as_str().to_owned(),
                message: message.into(),
                param: param.map(str::to_owned),
                retry_after_ms: None,
                attempts_left: None,
            },
        }
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
