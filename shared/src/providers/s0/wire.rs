//! S0 wire types (seed S0): the `prePayCheck` risk check (§1), the `orderCallBack`
//! status relay (§2), the `updateInfo` user-info completion (§3), their common
//! `{status, success, message?}` response and the three credential headers every call
//! carries. Kassa is the caller of all three (SPEC 3.5); these are the bodies it builds
//! and the answers it parses.
//!
//! # An order's amount, as S0 hears it ([`OrderAmountFields`])
//! The seed's `price` is "当前订单金额，单位分": an integer of fen, with no currency and no
//! room for a token. Kassa also sells in INR / USD (paise, cents) and in tokens (exact
//! decimals), so every order message — `prePayCheck` *and* `orderCallBack`, built by the
//! one function [`OrderAmountFields::of`] so the risk check and the relay can never
//! disagree — names its unit in `extend`, the seed's free-form order-details field:
//! - fiat: `price` = the amount in the currency's minor unit (fen, paise, cents) and
//!   `extend = {"currency": "INR", "amount": "123.45"}` (ISO code, exact major-unit
//!   decimal with the currency's own number of decimals);
//! - token: `price` = 0 (a token has no 分; a made-up conversion would be a wrong
//!   amount) and `extend = {"token": "USDT", "amount": "12.5"}` (the exact decimal).
//!
//! CNY orders carry `extend` too, so S0 never has to guess the unit from its absence.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::status::CallbackStatus;
use crate::id::Id;
use crate::order::OrderAmount;
use crate::serde_util::Redacted;

/// The credential headers every S0 call carries (the seed's "Header参数说明"); the third
/// header, `uid` (用户id), names the user the call is about and is per call ([`Uid`]).
/// Not JSON: the request builders copy [`Headers::pairs`] onto the request. `Debug`
/// redacts both credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headers {
    /// `accessToken`: 接口访问凭据 (API access credential).
    pub access_token: Redacted,
    /// `orgSecret`: 企业认证凭证 (organisation credential).
    pub org_secret: Redacted,
}

impl Headers {
    pub const ACCESS_TOKEN: &'static str = "accessToken";
    pub const UID: &'static str = "uid";
    pub const ORG_SECRET: &'static str = "orgSecret";

    /// Credential header name/value pairs in the seed's spelling.
    #[must_use]
    pub fn pairs(&self) -> [(&'static str, &str); 2] {
        [
            (Self::ACCESS_TOKEN, self.access_token.expose()),
            (Self::ORG_SECRET, self.org_secret.expose()),
        ]
    }
}

/// The seed's `uid` header (用户id): the user an S0 call is about — the paying user of an
/// order (`prePayCheck`, `orderCallBack`), the user whose data `updateInfo` completes.
///
/// **Decision (the seed does not say whose ids these are):** S0 hears the merchant's own
/// user id, as given at order creation (`user.id`; S1's `userId`), so S0 can score the
/// same user across orders and match `updateInfo` to them. A header value must be
/// visible ASCII, a merchant's id may be any text: every byte outside `!`..`~`, and `%`
/// itself, travels percent-encoded (UTF-8), so ASCII ids travel verbatim and the mapping
/// is one-to-one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uid(String);

impl Uid {
    /// The `uid` of the merchant's user `user_id`.
    #[must_use]
    pub fn of_user(user_id: &str) -> Self {
        let mut out = String::with_capacity(user_id.len());
        for b in user_id.bytes() {
            if b.is_ascii_graphic() && b != b'%' {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        Self(out)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
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

/// The amount fields of an S0 order message (`price` and `extend`), the same for
/// `prePayCheck` and `orderCallBack` (see the module docs for the shape and why).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderAmountFields {
    /// Minor units of a fiat order; 0 for a token order.
    pub price: u64,
    /// `{currency, amount}` or `{token, amount}`, `amount` an exact decimal string.
    pub extend: Value,
}

impl OrderAmountFields {
    /// The fields for an order of `amount`.
    #[must_use]
    pub fn of(amount: &OrderAmount) -> Self {
        match amount {
            OrderAmount::Fiat(m) => Self {
                price: m.minor(),
                extend: serde_json::json!({
                    "currency": m.currency().code(),
                    "amount": m.format_major(),
                }),
            },
            OrderAmount::Token { token, amount } => Self {
                price: 0,
                extend: serde_json::json!({ "token": token, "amount": amount.to_string() }),
            },
        }
    }
}

impl PrePayCheckRequest {
    /// The `prePayCheck` body for order `order_id` of `amount`: the id as a string
    /// (SPEC 2 "Identifiers"), the amount as [`OrderAmountFields::of`] states it.
    #[must_use]
    pub fn for_order(order_id: Id, amount: &OrderAmount) -> Self {
        let f = OrderAmountFields::of(amount);
        Self {
            order_id: order_id.to_string(),
            price: f.price,
            extend: Some(f.extend),
        }
    }
}

impl OrderCallBackRequest {
    /// The `orderCallBack` body relaying `status` of order `order_id` of `amount`, with
    /// the same amount fields as its `prePayCheck` ([`OrderAmountFields::of`]).
    #[must_use]
    pub fn for_order(order_id: Id, status: CallbackStatus, amount: &OrderAmount) -> Self {
        let f = OrderAmountFields::of(amount);
        Self {
            order_id: order_id.to_string(),
            order_status: status,
            price: f.price,
            extend: Some(f.extend),
        }
    }
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
            org_secret: Redacted::new("org-456"),
        };
        let d = format!("{h:?}");
        assert!(!d.contains("tok-123") && !d.contains("org-456"), "{d}");
        assert_eq!(h.pairs()[0], ("accessToken", "tok-123"));
        assert_eq!(h.pairs()[1], ("orgSecret", "org-456"));
    }

    #[test]
    fn uid_is_the_users_id_percent_encoded_outside_visible_ascii() {
        assert_eq!(Uid::of_user("u-42").as_str(), "u-42");
        assert_eq!(
            Uid::of_user("54f3b5fec08b6f54100c1cbe").as_str(),
            "54f3b5fec08b6f54100c1cbe"
        );
        assert_eq!(Uid::of_user("a b%").as_str(), "a%20b%25");
        assert_eq!(Uid::of_user("用户").as_str(), "%E7%94%A8%E6%88%B7");
        assert_eq!(Uid::of_user("x\r\ny").as_str(), "x%0D%0Ay");
        // One-to-one: the encoded `%` keeps "%41" and "A" apart.
        assert_ne!(Uid::of_user("%41"), Uid::of_user("A"));
    }

    /// The wire bodies, byte for byte: what S0 receives for a CNY, an INR, a USD, a JPY
    /// and a token order, in `prePayCheck` and in `orderCallBack` alike.
    #[test]
    fn order_bodies_name_their_unit_and_exact_amount() {
        use crate::money::{Currency, Money, TokenAmount};
        let id = Id::new(476_682_884_348_973_312).unwrap();
        let fiat = |c, minor| OrderAmount::Fiat(Money::new(c, minor));
        let cases = [
            (
                fiat(Currency::Cny, 100),
                r#"{"orderId":"476682884348973312","price":100,"extend":{"amount":"1.00","currency":"CNY"}}"#,
            ),
            (
                fiat(Currency::Inr, 12_345),
                r#"{"orderId":"476682884348973312","price":12345,"extend":{"amount":"123.45","currency":"INR"}}"#,
            ),
            (
                fiat(Currency::Usd, 1_999),
                r#"{"orderId":"476682884348973312","price":1999,"extend":{"amount":"19.99","currency":"USD"}}"#,
            ),
            (
                fiat(Currency::Jpy, 500),
                r#"{"orderId":"476682884348973312","price":500,"extend":{"amount":"500","currency":"JPY"}}"#,
            ),
            (
                OrderAmount::Token {
                    token: "USDT".into(),
                    amount: TokenAmount::parse("amount", "12.500001", 6).unwrap(),
                },
                r#"{"orderId":"476682884348973312","price":0,"extend":{"amount":"12.500001","token":"USDT"}}"#,
            ),
            (
                OrderAmount::Token {
                    token: "ETH".into(),
                    amount: TokenAmount::parse("amount", "0.000000000000000001", 18).unwrap(),
                },
                r#"{"orderId":"476682884348973312","price":0,"extend":{"amount":"0.000000000000000001","token":"ETH"}}"#,
            ),
        ];
        for (amount, want) in cases {
            let pre = serde_json::to_string(&PrePayCheckRequest::for_order(id, &amount)).unwrap();
            // Member order inside `extend` is the JSON map's business; compare values,
            // and the struct's own order as text.
            assert!(
                pre.starts_with(&want[..want.find("\"extend\"").unwrap()]),
                "{pre}"
            );
            let mut pre: Value = serde_json::from_str(&pre).unwrap();
            assert_eq!(pre, serde_json::from_str::<Value>(want).unwrap());
            let cb = OrderCallBackRequest::for_order(id, CallbackStatus::PaySuccess, &amount);
            let cb = serde_json::to_value(&cb).unwrap();
            pre["orderStatus"] = "PAY_SUCCESS".into();
            assert_eq!(cb, pre, "the relay states the amount as the risk check did");
        }
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
