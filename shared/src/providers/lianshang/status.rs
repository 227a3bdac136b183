//! S3 `newBizResponseData.result_code` (seed S3, Response Parameters).
//!
//! S3's `createPayOrder` only creates the payment; the seed defines no order-status
//! vocabulary (SPEC 2's table has no S3 column), so nothing here maps to
//! [`crate::order::OrderStatus`]. What the edge needs is whether the create call
//! succeeded before it trusts `pay_token` / `wk_trade_id`.

use serde::{Deserialize, Serialize};

/// `result_code`: "Success 为成功，其他请参见错误码信息". The table spells it `Success`,
/// the example `SUCCESS`, so success is matched case-insensitively; any other value is
/// an error code, kept verbatim (the seed's error-code list is not part of it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ResultCode(pub String);

impl ResultCode {
    #[must_use]
    pub fn is_success(&self) -> bool {
        self.0.eq_ignore_ascii_case("success")
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_in_either_spelling() {
        for (s, ok) in [
            ("SUCCESS", true),
            ("Success", true),
            ("FAIL", false),
            ("", false),
        ] {
            let rc: ResultCode = serde_json::from_value(s.into()).unwrap();
            assert_eq!(rc.is_success(), ok, "{s}");
            assert_eq!(serde_json::to_value(&rc).unwrap(), s);
        }
    }
}
