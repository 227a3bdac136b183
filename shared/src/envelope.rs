//! The error envelopes of Kassa's own surfaces, defined once (issue 15 "typed seams"):
//! the edge writes them, the edge reads them back from its Durable Objects, and the
//! widget reads the widget API's. Compatibility surfaces (S1, S4) derive their seeds'
//! envelopes from [`ApiError`] at the edge.
//!
//! - Merchant API (SPEC 3.2) and the objects' internal answers: `{"error": ApiError}`.
//! - Widget API (SPEC 3.1): [`WidgetError`], S2-shaped (`status` non-zero on an error).
//!
//! Both add `retry_after_ms` to a 429 and `attempts_left` to a wrong code, which the
//! widget shows.

use serde::{Deserialize, Serialize};

/// The `error` object of the merchant envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// `invalid_request_error`, `authentication_error`, `permission_error`, `api_error`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Machine-readable, stable once shipped.
    pub code: String,
    /// Names the field and the reason.
    pub message: String,
    /// The offending parameter, if one.
    pub param: Option<String>,
    /// When a limit lifts (429).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// Codes left before a lock (a wrong code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
}

/// `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub error: ApiError,
}

/// The widget API's error: `{status, code, message, field}` (+ the two extensions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetError {
    /// The HTTP status (never 0, which is S2's success).
    pub status: u16,
    pub code: String,
    pub message: String,
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
}

impl WidgetError {
    /// The widget envelope of `error` answered with `status`.
    #[must_use]
    pub fn from_api(status: u16, error: ApiError) -> Self {
        Self {
            status,
            code: error.code,
            message: error.message,
            field: error.param,
            retry_after_ms: error.retry_after_ms,
            attempts_left: error.attempts_left,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn locked() -> ApiError {
        ApiError {
            kind: "invalid_request_error".into(),
            code: "order_locked".into(),
            message: "verify_code: locked".into(),
            param: Some("verify_code".into()),
            retry_after_ms: Some(900_000),
            attempts_left: None,
        }
    }

    #[test]
    fn the_merchant_envelope_keeps_its_wire_shape() {
        let v = serde_json::to_value(ErrorEnvelope { error: locked() }).unwrap_or_default();
        assert_eq!(
            v,
            json!({"error": {
                "type": "invalid_request_error",
                "code": "order_locked",
                "message": "verify_code: locked",
                "param": "verify_code",
                "retry_after_ms": 900_000,
            }})
        );
        let back: ErrorEnvelope = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.error, locked());
    }

    #[test]
    fn the_widget_envelope_renames_param_to_field() {
        let v = serde_json::to_value(WidgetError::from_api(429, locked())).unwrap_or_default();
        assert_eq!(
            v,
            json!({
                "status": 429,
                "code": "order_locked",
                "message": "verify_code: locked",
                "field": "verify_code",
                "retry_after_ms": 900_000,
            })
        );
    }
}
