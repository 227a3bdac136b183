//! S2 wire types (seed S2, 支付接口): the widget API the edge serves under
//! `/api/payment/...` (SPEC 3.1) — the orders list and its filters, the order object,
//! `load_pay_data`, `send_payment_verify_code`, `pay` and `quick_pay`.
//!
//! Forms on the wire (SPEC 2, "Identifiers"):
//! - `long` ids (`orderId`, `itemId`, …) are [`Id`]: written as JSON strings, read from
//!   a string or an exact integer.
//! - User ids (`payerUserId`, `payeeUserId`, `userInfo.userId`) are `long` in the seed
//!   but the merchant's free text at the edge (`alice`): `String`s, read from a string or
//!   an exact integer, written as strings.
//! - Times (`expired`, `created`, `updated`) are 13-digit Unix milliseconds the seed
//!   quotes; they are `u64` here and stay strings on output.
//! - Token amounts (`amount`, `paidAmount`, …) are decimal strings, kept verbatim for
//!   the money parser; a JSON number there is rejected (it may already have been
//!   rounded by a float).
//! - `quick_pay`'s `processIsEnd` / `need2FA` are quoted in the seed's example
//!   (`"false"`), while `load_pay_data`'s `need2FA` is a bare boolean: each is written
//!   in the form its own example shows (SPEC 2 "Identifiers": a seed-era client was
//!   written against the example) and read as either form.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::status::Status;
use crate::id::Id;
use crate::serde_util::{bool_or_str, int_or_str, u64_as_string, user_id};

/// `GET /api/payment/orders` query. All filters optional; times are closed intervals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrdersQuery {
    /// The status *code* (0–4), as the seed's table types it (`int`).
    #[serde(default, with = "status_code", skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_id: Option<Id>,
    /// 13-digit ms, inclusive.
    #[serde(
        default,
        deserialize_with = "int_or_str::option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_time: Option<u64>,
    /// 13-digit ms, inclusive.
    #[serde(
        default,
        deserialize_with = "int_or_str::option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub end_time: Option<u64>,
    #[serde(
        default,
        deserialize_with = "int_or_str::option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    pub limit: Option<u32>,
}

impl OrdersQuery {
    /// 默认20
    pub const DEFAULT_LIMIT: u32 = 20;
    /// 最大100
    pub const MAX_LIMIT: u32 = 100;

    /// The page size to use: the default when absent, else clamped to 1..=100 (a
    /// larger ask gets the maximum rather than an error, as the seed's "最大100" reads).
    #[must_use]
    pub fn effective_limit(&self) -> u32 {
        self.limit
            .map_or(Self::DEFAULT_LIMIT, |n| n.clamp(1, Self::MAX_LIMIT))
    }
}

/// `Option<Status>` as its numeric code (query filter), read from `2` or `"2"`.
mod status_code {
    use super::{int_or_str, Deserialize, Deserializer, Serializer, Status};

    #[allow(clippy::ref_option, clippy::trivially_copy_pass_by_ref)] // serde's `with` signature.
    pub fn serialize<S: Serializer>(v: &Option<Status>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_u8(v.code()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Status>, D::Error> {
        #[derive(Deserialize)]
        struct Code(#[serde(deserialize_with = "int_or_str::deserialize")] i64);
        match Option::<Code>::deserialize(d)? {
            None => Ok(None),
            Some(Code(c)) => Status::from_code(c).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format_args!("status: unknown S2 status code {c}"))
            }),
        }
    }
}

/// `GET /api/payment/orders` answer: `{"status": 0, "data": [order…]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrdersResponse {
    pub status: i64,
    pub data: Vec<Order>,
}

/// The S2 order object (list items, `load_pay_data.orderInfo`, the `pay` answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: Id,
    /// The merchant's own order reference (`Activity201910200001`): free text.
    pub client_order_id: String,
    #[serde(deserialize_with = "user_id::deserialize")]
    pub payer_user_id: String,
    #[serde(deserialize_with = "user_id::deserialize")]
    pub payee_user_id: String,
    pub is_mapping: bool,
    pub pay_info: Vec<PayItem>,
    pub product_info: Vec<PayItem>,
    pub status: Status,
    /// The status label in the shopper's locale (`Status::label`).
    pub status_desc: String,
    #[serde(with = "u64_as_string")]
    pub expired: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// A JSON document *in a string* (`"{\"value\":…}"`), kept as the string it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_info: Option<String>,
    #[serde(with = "u64_as_string")]
    pub created: u64,
    #[serde(with = "u64_as_string")]
    pub updated: u64,
    /// Kassa's extension: the merchant's items as the merchant named them, for the
    /// shopper to see what they pay for (the seed's lines carry amounts only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<OrderItem>,
    /// Kassa's extension: the order is open and its latest attempt failed (declined,
    /// abandoned), so the page can say so and offer the retry; S2's own statuses have
    /// no word for it (`flows::attempts::shown_status`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub last_attempt_failed: bool,
}

/// One of the merchant's items (`items` of the order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    pub name: String,
    pub quantity: u64,
}

/// One line of `payInfo` / `productInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayItem {
    pub item_id: Id,
    /// `"PAY"` in every example; the seed lists no other value, so it is kept as text.
    pub pay_type: String,
    /// Token symbol (`BTC`, `USDT`), which fixes the amounts' precision.
    pub token_id: String,
    pub amount: String,
    pub paid_amount: String,
    pub refunded_amount: String,
    pub unlocked_amount: String,
}

/// `load_pay_data` and `send_payment_verify_code` request: `order_id` (GET query or
/// POST body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderIdRequest {
    pub order_id: Id,
}

/// `load_pay_data` request.
pub type LoadPayDataRequest = OrderIdRequest;
/// `send_payment_verify_code` request.
pub type SendVerifyCodeRequest = OrderIdRequest;

/// Second-factor method (二次验证方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthType {
    /// Authenticator app; no `send_payment_verify_code` needed.
    Ga,
    /// SMS code; send one first.
    Mobile,
    /// E-mail code; send one first.
    Email,
}

impl AuthType {
    /// Whether the widget must call `send_payment_verify_code` before paying.
    #[must_use]
    pub fn needs_code_sent(self) -> bool {
        match self {
            Self::Ga => false,
            Self::Mobile | Self::Email => true,
        }
    }
}

/// `load_pay_data` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadPayDataResponse {
    pub order_info: Order,
    pub user_info: UserInfo,
    #[serde(rename = "need2FA", deserialize_with = "bool_or_str::deserialize")]
    pub need_2fa: bool,
    pub auth_type: AuthType,
}

/// `load_pay_data.userInfo`. Contact details arrive masked (`186****0001`) and are
/// shown, never used to send anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    #[serde(deserialize_with = "user_id::deserialize")]
    pub user_id: String,
    pub register_type: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(rename = "bindGA")]
    pub bind_ga: bool,
    pub bind_trade_pwd: bool,
    pub user_type: i32,
    pub verify_status: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// `send_payment_verify_code` answer: the code-send id, to be passed back as
/// `verify_code_order_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendVerifyCodeResponse {
    pub order_id: Id,
}

/// `POST /api/payment/order/pay` request. Answered with the [`Order`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayRequest {
    pub order_id: Id,
    /// Absent or 0 for GA (seed: "此项可以不填或者为0"); see [`PayRequest::code_send_id`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_code_order_id: Option<Id>,
    pub verify_code: String,
}

impl PayRequest {
    /// The code-send id, with the seed's "0 means none" folded into `None`.
    #[must_use]
    pub fn code_send_id(&self) -> Option<Id> {
        nonzero(self.verify_code_order_id)
    }
}

/// `pay` answer: the order itself.
pub type PayResponse = Order;

/// `POST /api/payment/order/quick_pay` request: like `pay`, but the code is optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickPayRequest {
    pub order_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_code_order_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_code: Option<String>,
}

impl QuickPayRequest {
    /// As [`PayRequest::code_send_id`].
    #[must_use]
    pub fn code_send_id(&self) -> Option<Id> {
        nonzero(self.verify_code_order_id)
    }
}

fn nonzero(id: Option<Id>) -> Option<Id> {
    id.filter(|id| id.get() != 0)
}

/// `quick_pay` answer. Written as the quoted booleans of the seed's example
/// (`"processIsEnd": "false"`), read as either form (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickPayResponse {
    /// 支付是否完成
    #[serde(
        rename = "processIsEnd",
        serialize_with = "quoted_bool",
        deserialize_with = "bool_or_str::deserialize"
    )]
    pub process_is_end: bool,
    /// 是否需要重新使用2fa方式发起支付: `true` sends the widget to the code step.
    #[serde(
        rename = "need2FA",
        serialize_with = "quoted_bool",
        deserialize_with = "bool_or_str::deserialize"
    )]
    pub need_2fa: bool,
}

/// `"true"` / `"false"`, as the seed's `quick_pay` example quotes them.
#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `serialize_with` signature.
fn quoted_bool<S: Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(if *v { "true" } else { "false" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_reads_strings_as_a_query_string_gives_them() {
        let q: OrdersQuery = serde_json::from_str(
            r#"{"status":"2","from_id":"476682884348973312","start_time":"1571561027984","limit":"500"}"#,
        )
        .unwrap();
        assert_eq!(q.status, Some(Status::Processing));
        assert_eq!(q.from_id.unwrap().get(), 476_682_884_348_973_312);
        assert_eq!(q.start_time, Some(1_571_561_027_984));
        assert_eq!(q.effective_limit(), 100);
        assert_eq!(OrdersQuery::default().effective_limit(), 20);
        assert_eq!(
            serde_json::to_value(&q).unwrap(),
            serde_json::json!({"status":2,"from_id":"476682884348973312","start_time":1_571_561_027_984_u64,"limit":500})
        );
        let e = serde_json::from_str::<OrdersQuery>(r#"{"status":5}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown S2 status code 5"), "{e}");
    }

    #[test]
    fn quick_pay_writes_the_seeds_quoted_booleans_and_reads_both() {
        let q = QuickPayResponse {
            process_is_end: false,
            need_2fa: true,
        };
        assert_eq!(
            serde_json::to_value(q).unwrap(),
            serde_json::json!({"processIsEnd": "false", "need2FA": "true"})
        );
        for text in [
            r#"{"processIsEnd":"false","need2FA":"true"}"#,
            r#"{"processIsEnd":false,"need2FA":true}"#,
        ] {
            assert_eq!(serde_json::from_str::<QuickPayResponse>(text).unwrap(), q);
        }
        assert!(serde_json::from_str::<QuickPayResponse>(
            r#"{"processIsEnd":"no","need2FA":true}"#
        )
        .is_err());
    }

    #[test]
    fn zero_code_send_id_means_none() {
        let p: PayRequest =
            serde_json::from_str(r#"{"order_id":1,"verify_code_order_id":0,"verify_code":"1"}"#)
                .unwrap();
        assert_eq!(p.code_send_id(), None);
        let q: QuickPayRequest =
            serde_json::from_str(r#"{"order_id":"1","verify_code_order_id":"7"}"#).unwrap();
        assert_eq!(q.code_send_id().map(Id::get), Some(7));
        assert!(AuthType::Mobile.needs_code_sent() && !AuthType::Ga.needs_code_sent());
    }

    #[test]
    fn user_ids_are_text_or_exact_integers() {
        let info = |id: serde_json::Value| {
            serde_json::from_value::<UserInfo>(serde_json::json!({
                "userId": id, "registerType": 0, "bindGA": false, "bindTradePwd": false,
                "userType": 0, "verifyStatus": 0,
            }))
        };
        assert_eq!(info("alice".into()).unwrap().user_id, "alice");
        assert_eq!(
            info(83_214_971_450_163_200_u64.into()).unwrap().user_id,
            "83214971450163200"
        );
        let out = serde_json::to_value(info("7".into()).unwrap()).unwrap();
        assert_eq!(out["userId"], "7");
        for bad in [
            serde_json::json!(""),
            serde_json::json!(-1),
            serde_json::json!(1.5),
            serde_json::json!(true),
            serde_json::json!("x".repeat(257)),
        ] {
            assert!(info(bad.clone()).is_err(), "{bad}");
        }
    }
}
