//! S3 wire types (seed S3, `POST /pai/createPayOrder`): the `{"res_data": "..."}`
//! envelope, the plaintext `newBaseData` + `newBizData` inside it (with
//! `product_subject` items), and the `newBaseResponseData` + `newBizResponseData`
//! answer. Kassa builds the request and parses the answer (SPEC 3.5); signing and the
//! `res_data` encryption are `super::sign`'s business (SPEC 4.1, 4.2).
//!
//! Field names are the seed's `snake_case` verbatim. Fields the seed marks optional
//! (是否可选 `Y`, or 二选一 "one of two") are `Option`; the others are required.

use serde::{Deserialize, Serialize};

use super::status::ResultCode;

/// The body actually posted: `{"res_data": "<encrypted plaintext>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedEnvelope {
    pub res_data: String,
}

/// The plaintext of `res_data` (加密报文明文).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePayOrderRequest {
    pub new_base_data: BaseData,
    pub new_biz_data: BizData,
}

/// `newBaseData`, and the same shape again as `newBaseResponseData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseData {
    /// String(6). The table says "填2", the example sends `"001"`: text, not a number.
    pub version: String,
    /// H5 / Online / Native SDK / Offline / Android / iOS.
    pub platform: String,
    pub request_id: String,
    /// One of `out_user_id` / `guest_id` (二选一).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_user_id: Option<String>,
    /// `"CreatePayOrder"`.
    pub service_name: String,
    /// 0 = Chinese.
    pub language: i32,
    pub merchant_id: String,
    /// Not in the seed's table but in both examples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// `yyyyMMddHHmmss`; the caller formats its `now` (shared reads no clock).
    pub time_stamp: String,
    /// `"0"` plain, `"1"` gzip — a string in the seed (String(2)).
    pub compress_type: String,
}

impl BaseData {
    pub const SERVICE_CREATE_PAY_ORDER: &'static str = "CreatePayOrder";
    pub const COMPRESS_NONE: &'static str = "0";
    pub const COMPRESS_GZIP: &'static str = "1";
}

/// `newBizData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BizData {
    /// 1 purchase, 2 pre-authorisation, 0 refund.
    pub pay_type: i32,
    /// Comma-separated brand ids (`CCB_kj,acbc_kj`).
    pub pay_way: String,
    pub settlement_id: String,
    pub appid: String,
    /// Kassa's order id as the merchant-side trade id; unique.
    pub out_trade_id: String,
    /// Token amount; the table's "Decimal — 改为整数" (changed to an integer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coin_amount: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coin_type: Option<String>,
    /// 支付金额(单位为分): fiat minor units, an integer (SPEC 2, "Money") although the
    /// table says Decimal.
    pub pay_amount: u64,
    /// Default CNY.
    pub pay_currency: String,
    /// The table says String(1024) but the example sends an array of objects.
    pub product_subject: Vec<ProductSubject>,
    pub notify_url: String,
    pub merchant_url: String,
    pub callback_url: String,
    /// Minutes until the trade closes unpaid.
    pub pay_expire: u32,
    /// JSON for risk control, as a string; the example sends `""`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_extend: Option<String>,
    /// `"RSA"`.
    pub security_type: String,
    /// Empty while the signing string is built, then the signature (SPEC 4.1).
    pub sign: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_model: Option<String>,
}

/// One `product_subject` item. The seed has no table for it and quotes every value,
/// counts and prices (in fen) included, so they stay strings as sent and signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductSubject {
    pub channel_goods_code: String,
    pub channel_goods_subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_goods_desc: Option<String>,
    /// Quantity, quoted.
    pub channel_goods_sum: String,
    /// Unit price in fen, quoted.
    pub channel_goods_price: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_goods_img: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights_price: Option<String>,
}

/// The answer (plaintext, after decryption where the platform encrypts it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePayOrderResponse {
    pub new_base_response_data: BaseData,
    pub new_biz_response_data: BizResponseData,
}

/// `newBizResponseData`. Signed over the whole answer minus `security_type` and `sign`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BizResponseData {
    pub result_code: ResultCode,
    /// The table marks it required, but an error answer has no token to give: optional
    /// here, and the edge checks `result_code` (and the signature) before reading it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay_token: Option<String>,
    /// As `pay_token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wk_trade_id: Option<String>,
    pub security_type: String,
    pub sign: String,
}
