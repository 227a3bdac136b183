//! S4 wire types (seed S4, `/rest/pay/...`, SPEC 3.3): the pay-record `info` object,
//! status GET/POST, withdraw, pay password, security questions, withdrawal account
//! (GET and POST) and `checkInfo`, inside the `{code: 900, info?, msg?}` envelope.
//! Kassa serves this surface. The Ping++ charge inside `info` is Ping++'s own object
//! and is passed through untouched.
//!
//! Passwords, answers and SMS codes arrive encrypted (SPEC 4.5) and sit in
//! [`Redacted`] so no `Debug` prints them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::status::{ClientReport, ClientStatus, Status};
use crate::serde_util::{u64_as_string, Redacted};

/// The success code of every S4 answer.
pub const CODE_OK: u32 = 900;

/// `{code, info?, msg?}`. The seed's tables call `info` 必选 on some routes, yet the
/// examples of the same routes omit it (`{"code": 900}`) and errors carry only `msg`:
/// optional both ways.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub code: u32,
    // No `default`: it would demand `T: Default`; a missing `Option` reads as `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
}

impl<T> Envelope<T> {
    pub fn ok(info: T) -> Self {
        Self {
            code: CODE_OK,
            info: Some(info),
            msg: None,
        }
    }

    /// An error; `msg` should name the field and the reason.
    pub fn error(code: u32, msg: impl Into<String>) -> Self {
        Self {
            code,
            info: None,
            msg: Some(msg.into()),
        }
    }
}

/// An S4 error answer, `{code, msg, error, field, retry_after_ms?}` (sent with HTTP 200:
/// the seed carries the outcome in `code`; the edge's `error.rs` says why). `code` is the
/// failure's HTTP-style status (400, 401, 403, 404, 405, 409, 413, 429, 5xx), never
/// [`CODE_OK`]; `msg` names the field and the reason (the seed's `msg`); `error` is the
/// machine-readable code and `field` the parameter or `null`, as on Kassa's other
/// surfaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Error {
    pub code: u32,
    pub msg: String,
    pub error: String,
    pub field: Option<String>,
    /// When a lock ends (429 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

impl Error {
    /// The S4 form of an error of HTTP-style `status`.
    #[must_use]
    pub fn new(status: u16, e: crate::envelope::ApiError) -> Self {
        Self {
            code: u32::from(status),
            msg: e.message,
            error: e.code,
            field: e.param,
            retry_after_ms: e.retry_after_ms,
        }
    }
}

/// The `info` of answers that have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoInfo {}

/// `{"code": 900}`: status POST, withdraw, passwd, question, withdrawInfo POST.
pub type Ack = Envelope<NoInfo>;

impl Ack {
    #[must_use]
    pub fn ok_empty() -> Self {
        Self {
            code: CODE_OK,
            info: None,
            msg: None,
        }
    }
}

/// `GET /rest/pay/:pay_id` answer.
pub type PayInfoResponse = Envelope<PayInfo>;

/// The pay record (`info` of `GET /rest/pay/:pay_id`). Ids are 24-hex-digit object ids
/// (`576b69ae7ce1fd7004cc8280`), plain strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayInfo {
    /// ISO 8601 (`2016-06-23T04:46:38.190Z`).
    #[serde(rename = "updatedAt")]
    pub updated_at: String,
    #[serde(rename = "createdAt")]
    pub created_at: String,
    /// 对应预约订单id — set for `type: order`; the seed sends `""` where there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub o_id: Option<String>,
    /// 对应小纸条ID — set for `type: note`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_id: Option<String>,
    pub expert_id: String,
    #[serde(rename = "userID")]
    pub user_id: String,
    /// 订单金额: fiat minor units, a number as in the seed.
    pub amount: Amount,
    /// 实际支付金额: what was paid, in `amount`'s form (0 before the order succeeded).
    pub money: Amount,
    /// The Ping++ SDK charge object, opaque to Kassa.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    pub client_status: ClientStatus,
    pub status: Status,
    pub subject: String,
    /// Lower-case ISO 4217 as Ping++ writes it (`cny`).
    pub currency: String,
    /// Ping++ channel (`alipay`, `wx`, …).
    pub channel: String,
    #[serde(rename = "type")]
    pub kind: PayKind,
    pub pay_id: String,
}

/// An S4 amount: fiat minor units as the seed's number (`12356` fen), or — for an order
/// priced in a token, which the seed never imagined — the exact decimal as a string
/// (never a float: SPEC 2 "Money").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Amount {
    Minor(u64),
    Decimal(String),
}

/// 支付订单类型: order = 预约订单 (appointment), note = 小纸条订单 (note).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PayKind {
    Order,
    Note,
}

/// `GET /rest/pay/:pay_id/status` answer: status fields at the top level, no `info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    pub code: u32,
    pub status: Status,
    pub client_status: ClientStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
}

/// `POST /rest/pay/:pay_id/status` body (设置客户端支付状态). Answered with [`Ack`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetClientStatusRequest {
    pub status: ClientReport,
}

/// `POST /rest/pay/withdraw` body. Answered with [`Ack`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawRequest {
    /// 支付密码（加密后）.
    pub passwd: Redacted,
    /// 提现金额, fen. The seed types it String and quotes it (`"1000"`): read from a
    /// string or an integer, written as a string.
    #[serde(with = "u64_as_string")]
    pub amount: u64,
}

/// `POST /rest/pay/passwd` body. Answered with [`Ack`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswdRequest {
    pub passwd: Redacted,
}

/// `POST /rest/pay/question` body. Answered with [`Ack`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionRequest {
    pub answer1: Redacted,
    pub answer2: Redacted,
    pub answer3: Redacted,
}

/// Withdrawal account type: "暂时只有alipay" (only Alipay for now).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountType {
    Alipay,
}

/// `POST /rest/pay/withdrawInfo` body (设置提现账户). Answered with [`Ack`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetWithdrawInfoRequest {
    pub smscode: Redacted,
    #[serde(rename = "type")]
    pub kind: AccountType,
    pub id: String,
    pub name: String,
}

/// The withdrawal account (`info` of `GET /rest/pay/withdrawInfo`); `id` and `name`
/// are `""` when none is set, as in the seed's example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawInfo {
    #[serde(rename = "type")]
    pub kind: AccountType,
    pub id: String,
    pub name: String,
}

/// `GET /rest/pay/withdrawInfo` answer.
pub type WithdrawInfoResponse = Envelope<WithdrawInfo>;

/// `GET /rest/pay/checkInfo` answer: which of the three withdrawal prerequisites are
/// set, at the top level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInfoResponse {
    pub code: u32,
    pub passwd: bool,
    pub questions: bool,
    pub withdraw: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_fen_numbers_or_exact_token_strings() {
        assert_eq!(
            serde_json::to_string(&Amount::Minor(12356)).unwrap(),
            "12356"
        );
        assert_eq!(
            serde_json::to_string(&Amount::Decimal("12.5".into())).unwrap(),
            r#""12.5""#
        );
        assert_eq!(
            serde_json::from_str::<Amount>("0").unwrap(),
            Amount::Minor(0)
        );
        assert_eq!(
            serde_json::from_str::<Amount>(r#""0.000001""#).unwrap(),
            Amount::Decimal("0.000001".into())
        );
        assert!(
            serde_json::from_str::<Amount>("12.5").is_err(),
            "never a float"
        );
        assert!(serde_json::from_str::<Amount>("-1").is_err());
    }

    #[test]
    fn errors_carry_the_failure_status_never_900() {
        let e = Error::new(
            404,
            crate::envelope::ApiError {
                kind: "invalid_request_error".into(),
                code: "resource_missing".into(),
                message: "no such order".into(),
                param: None,
                retry_after_ms: None,
                attempts_left: None,
            },
        );
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": 404, "msg": "no such order", "error": "resource_missing", "field": null})
        );
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let w: WithdrawRequest =
            serde_json::from_str(r#"{"passwd":"c2VjcmV0","amount":1000}"#).unwrap();
        assert_eq!(w.amount, 1000);
        assert!(!format!("{w:?}").contains("c2VjcmV0"));
        let q: SetWithdrawInfoRequest =
            serde_json::from_str(r#"{"smscode":"123123","type":"alipay","id":"a","name":"b"}"#)
                .unwrap();
        assert!(!format!("{q:?}").contains("123123"));
        assert!(serde_json::from_str::<SetWithdrawInfoRequest>(
            r#"{"smscode":"1","type":"wechat","id":"a","name":"b"}"#
        )
        .is_err());
    }

    #[test]
    fn envelopes() {
        assert_eq!(
            serde_json::to_value(Ack::ok_empty()).unwrap(),
            serde_json::json!({"code":900})
        );
        let e = Ack::error(400, "amount: must be positive");
        assert_eq!(
            serde_json::to_value(e).unwrap(),
            serde_json::json!({"code":400,"msg":"amount: must be positive"})
        );
    }
}
