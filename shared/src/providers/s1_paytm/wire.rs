//! S1 wire types (seed S1, "shareit 支付系统协议" v1.1): `/pay/preOrder` and the Paytm
//! form it returns, the Paytm callback relayed to `/callback/paytm`, and
//! `/pay/getOrderStatus`, all inside the `{code, data, message}` envelope (SPEC 3.3).
//! Kassa serves this surface; the CHECKSUMHASH itself is `super::checksum`'s business.
//!
//! The seed's tables type several fields `int`; its examples quote S1 integers, so every
//! S1 integer is read as a number or a quoted number and written as a number.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::status::{Status, TxnStatus};
use crate::providers::serde_util::int_or_str;

/// `{code, data, message}`. `code` is 200 / 400 / 500 (业务状态码). `data` is absent on
/// errors, so it is optional here; success answers always carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub code: u16,
    // No `default` here: on a generic field it would demand `T: Default`; serde reads a
    // missing `Option` field as `None` anyway.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
    pub message: String,
}

impl<T> Envelope<T> {
    /// 正常返回
    pub const OK: u16 = 200;
    /// 参数异常，参数不全或者参数类型异常
    pub const BAD_REQUEST: u16 = 400;
    /// 系统异常
    pub const SERVER_ERROR: u16 = 500;

    /// A success envelope; `message` is `"success"` as in every seed example.
    pub fn ok(data: T) -> Self {
        Self {
            code: Self::OK,
            data: Some(data),
            message: "success".into(),
        }
    }

    /// An error envelope without `data`; the message should name the field and reason.
    pub fn error(code: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            data: None,
            message: message.into(),
        }
    }
}

/// `POST /pay/preOrder` request (创建支付订单).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreOrderRequest {
    /// 接口版本, currently `v1.0`.
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_version: Option<String>,
    pub user_id: String,
    /// 0 unknown, 1 Paytm ([`PreOrderRequest::PAY_TYPE_PAYTM`]).
    #[serde(deserialize_with = "int_or_str::deserialize")]
    pub pay_type: i32,
    pub product_id: String,
    /// 0 unknown, 1 image, 2 video, 3 music, 4 top-up.
    #[serde(deserialize_with = "int_or_str::deserialize")]
    pub product_type: i32,
    pub product_name: String,
    /// 1 INR, 2 CNY, 3 USD (SPEC 2, "Money").
    #[serde(deserialize_with = "int_or_str::deserialize")]
    pub currency_type: i32,
    /// 商品金额（货币类型最小单位） — minor units of `currency_type`.
    #[serde(deserialize_with = "int_or_str::deserialize")]
    pub amount: u64,
}

impl PreOrderRequest {
    pub const PAY_TYPE_PAYTM: i32 = 1;
    pub const CURRENCY_INR: i32 = 1;
    pub const CURRENCY_CNY: i32 = 2;
    pub const CURRENCY_USD: i32 = 3;
}

/// The Paytm form parameters `preOrder` returns for `payType` 1; the widget posts them
/// to Paytm's process URL. The seed prints them as a Java `Map.toString()`
/// (`MID=…, ORDER_ID=…`), i.e. a string-to-string map: every value is a JSON string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct PaytmForm {
    pub mid: String,
    pub order_id: String,
    pub cust_id: String,
    pub industry_type_id: String,
    pub channel_id: String,
    /// Rupees with up to two decimals (`"2"` and `"2.00"` are one amount, SPEC 2); kept
    /// as the string that was signed — the money parser reads it.
    pub txn_amount: String,
    pub website: String,
    pub callback_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_no: Option<String>,
    #[serde(rename = "CHECKSUMHASH")]
    pub checksum_hash: String,
}

/// What Paytm posts to `/callback/paytm` (form-encoded or JSON; the seed says only
/// "JSON[透传paytm 数据]", pass-through). Every value is a string, as in a form.
/// Fields Kassa does not name are kept in `extra`: the CHECKSUMHASH covers all of them,
/// so none may be dropped before verification or re-serialisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct PaytmCallback {
    #[serde(rename = "ORDERID")]
    pub order_id: String,
    /// Paytm leaves it out (or empty) when no transaction was created.
    #[serde(rename = "TXNID", default, skip_serializing_if = "Option::is_none")]
    pub txn_id: Option<String>,
    /// Rupees, as [`PaytmForm::txn_amount`].
    #[serde(rename = "TXNAMOUNT")]
    pub txn_amount: String,
    pub status: TxnStatus,
    #[serde(rename = "RESPCODE")]
    pub resp_code: String,
    #[serde(rename = "RESPMSG")]
    pub resp_msg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mid: Option<String>,
    #[serde(rename = "BANKTXNID", default, skip_serializing_if = "Option::is_none")]
    pub bank_txn_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(
        rename = "GATEWAYNAME",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub gateway_name: Option<String>,
    #[serde(
        rename = "PAYMENTMODE",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub payment_mode: Option<String>,
    #[serde(rename = "BANKNAME", default, skip_serializing_if = "Option::is_none")]
    pub bank_name: Option<String>,
    #[serde(rename = "TXNDATE", default, skip_serializing_if = "Option::is_none")]
    pub txn_date: Option<String>,
    #[serde(
        rename = "CHECKSUMHASH",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_hash: Option<String>,
    /// Any other field Paytm sent, verbatim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `/callback/paytm` answer: `{"code":200,"data":true,"message":"success"}`.
pub type CallbackResponse = Envelope<bool>;

/// `/pay/preOrder` answer.
pub type PreOrderResponse = Envelope<PaytmForm>;

/// `POST /pay/getOrderStatus` request (订单状态查询).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetOrderStatusRequest {
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_version: Option<String>,
    pub user_id: String,
    pub order_id: String,
}

/// `getOrderStatus` `data`: `{"status": 1}` (the seed's example quotes it: read both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderStatusData {
    pub status: Status,
}

/// `/pay/getOrderStatus` answer.
pub type GetOrderStatusResponse = Envelope<OrderStatusData>;
