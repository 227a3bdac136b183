//! S0 wire types (seed S0): the `prePayCheck` risk check (§1), the `orderCallBack`
//! status relay (§2), the `updateInfo` user-info completion (§3), their common
//! `{status, success, message?}` response and the three credential headers every call
//! carries. Kassa is the caller of all three (SPEC 3.5); these are the bodies it builds
//! and the answers it parses.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::status::CallbackStatus;
use crate::providers::serde_util::Redacted;

/// The headers every S0 call carries (the seed's "Header参数说明"). Not JSON: the edge
/// copies [`Headers::pairs`] onto the request. `Debug` redacts both credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headers {
    /// `accessToken`: 接口访问凭据 (API access credential).
    pub access_token: Redacted,
    /// `uid`: the user id; not a secret.
    pub uid: String,
    /// `orgSecret`: 企业认证凭证 (organisation credential).
    pub org_secret: Redacted,
}

impl Headers {
    pub const ACCESS_TOKEN: &'static str = "accessToken";
    pub const UID: &'static str = "uid";
    pub const ORG_SECRET: &'static str = "orgSecret";

    /// Header name/value pairs in the seed's spelling.
    #[must_use]
    pub fn pairs(&self) -> [(&'static str, &str); 3] {
        [
            (Self::ACCESS_TOKEN, self.access_token.expose()),
            (Self::UID, &self.uid),
            (Self::ORG_SECRET, self.org_secret.expose()),
        ]
    }
}

/// `POST /platform/pay/prePayCheck` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrePayCheckRequest {
    pub order_id: String,
    /// 当前订单金额，单位分 — fiat minor units.
    pub price: u64,
    /// 接入方订单详情: free-form order details; the seed's example is only a suggestion,
    /// so it stays an opaque JSON value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend: Option<Value>,
}

/// `POST /platform/pay/orderCallBack` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCallBackRequest {
    pub order_id: String,
    pub order_status: CallbackStatus,
    /// 当前订单最终支付金额 — the final amount paid, fiat minor units.
    pub price: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend: Option<Value>,
}

/// `POST /platform/pay/updateInfo` body. The seed's table types `extend` as `string`
/// but its example sends an object; an opaque JSON value takes either.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateInfoRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend: Option<Value>,
}

/// The response of all three calls: `status` 0 means success (状态码是0表示成功).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub status: i64,
    pub success: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Response {
    /// The status code the seed calls success.
    pub const OK: i64 = 0;

    /// Success needs both signals; a `success: true` with a non-zero status (or the
    /// reverse) is treated as failure, so the relay retries rather than trusting half.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.status == Self::OK && self.success
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_debug_redacts_credentials() {
        let h = Headers {
            access_token: Redacted::new("tok-123"),
            uid: "u1".into(),
            org_secret: Redacted::new("org-456"),
        };
        let d = format!("{h:?}");
        assert!(!d.contains("tok-123") && !d.contains("org-456"), "{d}");
        assert!(d.contains("u1"));
        assert_eq!(h.pairs()[0], ("accessToken", "tok-123"));
        assert_eq!(h.pairs()[2], ("orgSecret", "org-456"));
    }

    #[test]
    fn response_is_ok_needs_both() {
        let r = |status, success| Response {
            status,
            success,
            message: None,
        };
        assert!(r(0, true).is_ok());
        assert!(!r(0, false).is_ok());
        assert!(!r(10000, true).is_ok());
    }
}
