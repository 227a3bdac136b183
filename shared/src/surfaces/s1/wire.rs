//! S1 wire types (seed S1, "shareit 支付系统协议" v1.1): `/pay/preOrder` and the Paytm
//! form it returns, the Paytm callback relayed to `/callback/paytm`, and
//! `/pay/getOrderStatus`, all inside the `{code, data, message}` envelope (SPEC 3.3).
//! Kassa serves this surface; the CHECKSUMHASH itself is `super::checksum`'s business.
//!
//! The seed's tables type several fields `int`; its examples quote S1 integers, so every
//! S1 integer is read as a number or a quoted number and written as a number.

use serde::{Deserialize, Serialize};

use super::status::Status;
use crate::providers::paytm::wire::PaytmForm;
use crate::serde_util::int_or_str;

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
