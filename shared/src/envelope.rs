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

use crate::reason::ReasonCode;

/// Every machine-readable error code Kassa's own surfaces answer (the `code` of
/// [`ApiError`] and [`WidgetError`]): stable once shipped, since merchants and the widget
/// key on them. The edge builds its errors from this list only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    ParameterInvalid,
    WrongVerifyCode,
    InvalidJson,
    BodyTooLarge,
    InvalidApiKey,
    Forbidden,
    ResourceMissing,
    RouteNotFound,
    MethodNotAllowed,
    Misconfigured,
    Internal,
    OrderExists,
    OrderNotPayable,
    OrderNotCancellable,
    OrderNotRefundable,
    NoReviewNeeded,
    OrderLocked,
    IdempotencyKeyReused,
    IdempotencyInProgress,
    PaymentInProgress,
    RefundInProgress,
    RefundInFlight,
    RefundExceedsRefundable,
    AmountFormMismatch,
    ProviderRefused,
    ProviderUnavailable,
    RefundRefused,
    ChannelUnavailable,
    S0Refused,
    S0Unavailable,
    NoCodeChannel,
    NoOrder,
    IndexMigrating,
    GaAlreadyEnrolled,
    GaLocked,
    CodeSendTooSoon,
    CodeSendHourlyLimit,
    SmscodeLocked,
    PasswdLocked,
    SealedBusy,
    WalletSecretChangedConcurrently,
    WithdrawPrerequisites,
    WithdrawMonthlyLimit,
    CallbackUnverified,
    UnsupportedContentType,
    CallbackMismatch,
    CallbackWrongChannel,
    CallbackUnknownAttempt,
    CallbackWrongAccount,
    CallbackWrongTrade,
    CallbackUnconfirmed,
}

impl ErrorCode {
    /// Every code, for tests and documentation.
    pub const ALL: &'static [Self] = &[
        Self::ParameterInvalid,
        Self::WrongVerifyCode,
        Self::InvalidJson,
        Self::BodyTooLarge,
        Self::InvalidApiKey,
        Self::Forbidden,
        Self::ResourceMissing,
        Self::RouteNotFound,
        Self::MethodNotAllowed,
        Self::Misconfigured,
        Self::Internal,
        Self::OrderExists,
        Self::OrderNotPayable,
        Self::OrderNotCancellable,
        Self::OrderNotRefundable,
        Self::NoReviewNeeded,
        Self::OrderLocked,
        Self::IdempotencyKeyReused,
        Self::IdempotencyInProgress,
        Self::PaymentInProgress,
        Self::RefundInProgress,
        Self::RefundInFlight,
        Self::RefundExceedsRefundable,
        Self::AmountFormMismatch,
        Self::ProviderRefused,
        Self::ProviderUnavailable,
        Self::RefundRefused,
        Self::ChannelUnavailable,
        Self::S0Refused,
        Self::S0Unavailable,
        Self::NoCodeChannel,
        Self::NoOrder,
        Self::IndexMigrating,
        Self::GaAlreadyEnrolled,
        Self::GaLocked,
        Self::CodeSendTooSoon,
        Self::CodeSendHourlyLimit,
        Self::SmscodeLocked,
        Self::PasswdLocked,
        Self::SealedBusy,
        Self::WalletSecretChangedConcurrently,
        Self::WithdrawPrerequisites,
        Self::WithdrawMonthlyLimit,
        Self::CallbackUnverified,
        Self::UnsupportedContentType,
        Self::CallbackMismatch,
        Self::CallbackWrongChannel,
        Self::CallbackUnknownAttempt,
        Self::CallbackWrongAccount,
        Self::CallbackWrongTrade,
        Self::CallbackUnconfirmed,
    ];

    /// The wire string, e.g. `"order_locked"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ParameterInvalid => "parameter_invalid",
            Self::WrongVerifyCode => "wrong_verify_code",
            Self::InvalidJson => "invalid_json",
            Self::BodyTooLarge => "body_too_large",
            Self::InvalidApiKey => "invalid_api_key",
            Self::Forbidden => "forbidden",
            Self::ResourceMissing => "resource_missing",
            Self::RouteNotFound => "route_not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Misconfigured => "misconfigured",
            Self::Internal => "internal",
            Self::OrderExists => "order_exists",
            Self::OrderNotPayable => "order_not_payable",
            Self::OrderNotCancellable => "order_not_cancellable",
            Self::OrderNotRefundable => "order_not_refundable",
            Self::NoReviewNeeded => "no_review_needed",
            Self::OrderLocked => "order_locked",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::IdempotencyInProgress => "idempotency_in_progress",
            Self::PaymentInProgress => "payment_in_progress",
            Self::RefundInProgress => "refund_in_progress",
            Self::RefundInFlight => "refund_in_flight",
            Self::RefundExceedsRefundable => "refund_exceeds_refundable",
            Self::AmountFormMismatch => "amount_form_mismatch",
            Self::ProviderRefused => "provider_refused",
            Self::ProviderUnavailable => "provider_unavailable",
            Self::RefundRefused => "refund_refused",
            Self::ChannelUnavailable => "channel_unavailable",
            Self::S0Refused => "s0_refused",
            Self::S0Unavailable => "s0_unavailable",
            Self::NoCodeChannel => "no_code_channel",
            Self::NoOrder => "no_order",
            Self::IndexMigrating => "index_migrating",
            Self::GaAlreadyEnrolled => "ga_already_enrolled",
            Self::GaLocked => "ga_locked",
            Self::CodeSendTooSoon => "code_send_too_soon",
            Self::CodeSendHourlyLimit => "code_send_hourly_limit",
            Self::SmscodeLocked => "smscode_locked",
            Self::PasswdLocked => "passwd_locked",
            Self::SealedBusy => "sealed_busy",
            Self::WalletSecretChangedConcurrently => "wallet_secret_changed_concurrently",
            Self::WithdrawPrerequisites => "withdraw_prerequisites",
            Self::WithdrawMonthlyLimit => "withdraw_monthly_limit",
            Self::CallbackUnverified => "callback_unverified",
            Self::UnsupportedContentType => "unsupported_content_type",
            Self::CallbackMismatch => "callback_mismatch",
            Self::CallbackWrongChannel => "callback_wrong_channel",
            Self::CallbackUnknownAttempt => "callback_unknown_attempt",
            Self::CallbackWrongAccount => "callback_wrong_account",
            Self::CallbackWrongTrade => "callback_wrong_trade",
            Self::CallbackUnconfirmed => "callback_unconfirmed",
        }
    }

    /// The code of a refusal the risk engine or a second-factor limit names, where it is
    /// one the edge answers with (a code-send throttle, the GA lock).
    #[must_use]
    pub const fn from_reason(reason: ReasonCode) -> Option<Self> {
        match reason {
            ReasonCode::CodeSendTooSoon => Some(Self::CodeSendTooSoon),
            ReasonCode::CodeSendHourlyLimit => Some(Self::CodeSendHourlyLimit),
            ReasonCode::GaLocked => Some(Self::GaLocked),
            ReasonCode::OrderLocked => Some(Self::OrderLocked),
            _ => None,
        }
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    fn error_codes_serialise_as_their_wire_strings() {
        for &code in ErrorCode::ALL {
            let v = serde_json::to_value(code).unwrap_or_default();
            assert_eq!(v, code.as_str());
        }
        assert_eq!(
            ErrorCode::from_reason(ReasonCode::GaLocked),
            Some(ErrorCode::GaLocked)
        );
        assert_eq!(ErrorCode::from_reason(ReasonCode::VelocityIp), None);
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
