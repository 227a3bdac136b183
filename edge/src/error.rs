//! The edge's one error type, turned into the merchant API's error envelope in one place.

use serde_json::json;
use worker::Response;

#[derive(Debug)]
pub enum EdgeError {
    /// A request field is missing or invalid: names the field and the reason.
    BadRequest {
        param: &'static str,
        message: String,
    },
    Unauthorized,
    NotFound(&'static str),
    Conflict(String),
    Config(&'static str),
    Internal(String),
}

impl From<worker::Error> for EdgeError {
    fn from(e: worker::Error) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<serde_json::Error> for EdgeError {
    fn from(e: serde_json::Error) -> Self {
        Self::Internal(e.to_string())
    }
}

impl EdgeError {
    /// `{ "error": { type, code, message, param } }` — the merchant API envelope.
    pub fn into_response(self) -> worker::Result<Response> {
        let (status, kind, code, message, param) = match self {
            Self::BadRequest { param, message } => (
                400,
                "invalid_request_error",
                "parameter_invalid",
                message,
                Some(param),
            ),
            Self::Unauthorized => (
                401,
                "authentication_error",
                "invalid_api_key",
                "missing or invalid bearer key".to_owned(),
                None,
            ),
            Self::NotFound(what) => (
                404,
                "invalid_request_error",
                "resource_missing",
                format!("no such {what}"),
                None,
            ),
            Self::Conflict(message) => (409, "invalid_request_error", "conflict", message, None),
            Self::Config(what) => (500, "api_error", "misconfigured", what.to_owned(), None),
            Self::Internal(message) => (500, "api_error", "internal", message, None),
        };
        let body =
            json!({ "error": { "type": kind, "code": code, "message": message, "param": param } });
        Ok(Response::from_json(&body)?.with_status(status))
    }
}

/// Runs a handler body and maps its error into the envelope.
pub fn respond(result: Result<Response, EdgeError>) -> worker::Result<Response> {
    result.or_else(EdgeError::into_response)
}
