//! The edge's answers read into `kassa_shared`'s S2 types (seed S2, SPEC 3.1) with serde
//! from the `JsValue` the browser's `JSON.parse` made ([`crate::json::from_js`]), plus
//! the two things the seed does not have: where a channel needs the shopper (the
//! `handoff` object, SPEC 8) and the error envelope `{status, code, message, field,
//! retry_after_ms?, attempts_left?}` (`edge/src/error.rs`).
//!
//! The S2 types are `kassa_shared`'s own, read through serde's remote derives
//! (`#[serde(remote = "Order")]`), so the fields are the shared ones and only the
//! readers are the widget's: the same rules as the serde types in `shared` (see
//! `surfaces::s2::wire`), with the widget's messages. Ids from a string or an exact
//! integer; user ids as text (a merchant's `alice`), a number accepted when it is an
//! exact integer; 13-digit times from either; token amounts only as strings (a number may
//! already have been rounded by a float); `need2FA` / `processIsEnd` as booleans or
//! quoted booleans.

use serde::de::Deserializer;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use kassa_shared::id::Id;
use kassa_shared::surfaces::s2::status::Status;
use kassa_shared::surfaces::s2::wire::{
    AuthType, LoadPayDataResponse, Order, OrderItem, PayItem, QuickPayResponse,
    SendVerifyCodeResponse, UserInfo,
};

use crate::json::{
    array, boolean, from_js, id, int32, opt_string, string, string_map, unsigned, user_id, Decoded,
    Scalar,
};

/// An answer the widget reads out of the value `JSON.parse` made, its errors named
/// from `root` (`pay.orderId: missing`).
pub trait Decode: Sized {
    /// # Errors
    /// The [`crate::json::DecodeError`] naming the field that is missing or malformed.
    fn decode(root: &str, value: JsValue) -> Decoded<Self>;
}

/// S2 status names, in [`Status::from_code`] order.
const STATUS_NAMES: [&str; 5] = [
    "WAIT_FOR_PAYMENT",
    "COMPLETED",
    "PROCESSING",
    "EXPIRED",
    "CANCELLED",
];

/// The S2 name of `status` (`WAIT_FOR_PAYMENT` …).
#[must_use]
pub fn status_name(status: Status) -> &'static str {
    STATUS_NAMES[usize::from(status.code())]
}

/// `status` from what the answer holds: the S2 name, or its numeric code.
fn status_of<E: serde::de::Error>(v: Scalar) -> Result<Status, E> {
    let code = if matches!(v, Scalar::Str(_)) {
        v.one_of(&STATUS_NAMES)
            .map(|i| i64::try_from(i).unwrap_or(-1))?
    } else {
        v.integer()?
    };
    Status::from_code(code).ok_or_else(|| E::custom("unknown value"))
}

/// # Errors
/// `missing` / `unknown value`.
pub fn status<'de, D: Deserializer<'de>>(d: D) -> Result<Status, D::Error> {
    status_of(Scalar::deserialize(d)?)
}

fn auth_type<'de, D: Deserializer<'de>>(d: D) -> Result<AuthType, D::Error> {
    let auth = [AuthType::Ga, AuthType::Mobile, AuthType::Email];
    Ok(auth[Scalar::deserialize(d)?.one_of(&["GA", "MOBILE", "EMAIL"])?])
}

// Each member's reader, named for its errors (`payInfo[0].amount: must be a string`).
crate::named! {
    fn item_id -> Id = id, "itemId";
    fn pay_type -> String = string, "payType";
    fn token_id -> String = string, "tokenId";
    fn amount -> String = string, "amount";
    fn paid_amount -> String = string, "paidAmount";
    fn refunded_amount -> String = string, "refundedAmount";
    fn unlocked_amount -> String = string, "unlockedAmount";
    fn item_name -> String = string, "name";
    fn quantity -> u64 = unsigned, "quantity";
    fn order_id -> Id = id, "orderId";
    fn client_order_id -> String = string, "clientOrderId";
    fn payer_user_id -> String = user_id, "payerUserId";
    fn payee_user_id -> String = user_id, "payeeUserId";
    fn is_mapping -> bool = boolean, "isMapping";
    fn pay_info -> Vec<PayItem> = pay_items, "payInfo";
    fn product_info -> Vec<PayItem> = pay_items, "productInfo";
    fn order_status -> Status = status, "status";
    fn status_desc -> String = string, "statusDesc";
    fn expired -> u64 = unsigned, "expired";
    fn desc -> Option<String> = opt_string, "desc";
    fn extend_info -> Option<String> = opt_string, "extendInfo";
    fn created -> u64 = unsigned, "created";
    fn updated -> u64 = unsigned, "updated";
    fn items -> Vec<OrderItem> = order_items, "items";
    fn last_attempt_failed -> bool = boolean, "lastAttemptFailed";
    fn user_id_member -> String = user_id, "userId";
    fn register_type -> i32 = int32, "registerType";
    fn mobile -> Option<String> = opt_string, "mobile";
    fn national_code -> Option<String> = opt_string, "nationalCode";
    fn email -> Option<String> = opt_string, "email";
    fn bind_ga -> bool = boolean, "bindGA";
    fn bind_trade_pwd -> bool = boolean, "bindTradePwd";
    fn user_type -> i32 = int32, "userType";
    fn verify_status -> i32 = int32, "verifyStatus";
    fn source -> Option<String> = opt_string, "source";
    fn order_info -> Order = OrderDef::deserialize, "orderInfo";
    fn user_info -> UserInfo = UserInfoDef::deserialize, "userInfo";
    fn need_2fa -> bool = boolean, "need2FA";
    fn auth -> AuthType = auth_type, "authType";
    fn method -> bool = post, "method";
    fn url -> String = web_url, "url";
    fn fields -> Vec<(String, String)> = string_map, "fields";
    fn handoff -> Option<Handoff> = opt_handoff, "handoff";
    fn device_token -> Option<String> = opt_string, "deviceToken";
    fn process_is_end -> bool = boolean, "processIsEnd";
}

#[derive(Deserialize)]
#[serde(remote = "PayItem", rename_all = "camelCase")]
struct PayItemDef {
    #[serde(deserialize_with = "item_id")]
    item_id: Id,
    #[serde(deserialize_with = "pay_type")]
    pay_type: String,
    #[serde(deserialize_with = "token_id")]
    token_id: String,
    #[serde(deserialize_with = "amount")]
    amount: String,
    #[serde(deserialize_with = "paid_amount")]
    paid_amount: String,
    #[serde(deserialize_with = "refunded_amount")]
    refunded_amount: String,
    #[serde(deserialize_with = "unlocked_amount")]
    unlocked_amount: String,
}

/// One element of `payInfo` / `productInfo`.
#[derive(Deserialize)]
struct PayLine(#[serde(with = "PayItemDef")] PayItem);

fn pay_items<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PayItem>, D::Error> {
    Ok(array::<D, PayLine>(d)?.into_iter().map(|l| l.0).collect())
}

#[derive(Deserialize)]
#[serde(remote = "OrderItem")]
struct OrderItemDef {
    #[serde(deserialize_with = "item_name")]
    name: String,
    #[serde(deserialize_with = "quantity")]
    quantity: u64,
}

#[derive(Deserialize)]
struct ItemLine(#[serde(with = "OrderItemDef")] OrderItem);

/// The merchant's items (Kassa's extension; absent from seed-era answers).
fn order_items<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<OrderItem>, D::Error> {
    let items: Option<Vec<ItemLine>> = Option::deserialize(d)?;
    Ok(items.unwrap_or_default().into_iter().map(|l| l.0).collect())
}

#[derive(Deserialize)]
#[serde(remote = "Order", rename_all = "camelCase")]
struct OrderDef {
    #[serde(deserialize_with = "order_id")]
    order_id: Id,
    #[serde(deserialize_with = "client_order_id")]
    client_order_id: String,
    #[serde(deserialize_with = "payer_user_id")]
    payer_user_id: String,
    #[serde(deserialize_with = "payee_user_id")]
    payee_user_id: String,
    #[serde(deserialize_with = "is_mapping")]
    is_mapping: bool,
    #[serde(deserialize_with = "pay_info")]
    pay_info: Vec<PayItem>,
    #[serde(deserialize_with = "product_info")]
    product_info: Vec<PayItem>,
    #[serde(deserialize_with = "order_status")]
    status: Status,
    #[serde(deserialize_with = "status_desc")]
    status_desc: String,
    #[serde(deserialize_with = "expired")]
    expired: u64,
    #[serde(default, deserialize_with = "desc")]
    desc: Option<String>,
    #[serde(default, deserialize_with = "extend_info")]
    extend_info: Option<String>,
    #[serde(deserialize_with = "created")]
    created: u64,
    #[serde(deserialize_with = "updated")]
    updated: u64,
    #[serde(default, deserialize_with = "items")]
    items: Vec<OrderItem>,
    #[serde(default, deserialize_with = "last_attempt_failed")]
    last_attempt_failed: bool,
}

#[derive(Deserialize)]
#[serde(remote = "UserInfo", rename_all = "camelCase")]
struct UserInfoDef {
    #[serde(deserialize_with = "user_id_member")]
    user_id: String,
    #[serde(deserialize_with = "register_type")]
    register_type: i32,
    #[serde(default, deserialize_with = "mobile")]
    mobile: Option<String>,
    #[serde(default, deserialize_with = "national_code")]
    national_code: Option<String>,
    #[serde(default, deserialize_with = "email")]
    email: Option<String>,
    #[serde(rename = "bindGA", deserialize_with = "bind_ga")]
    bind_ga: bool,
    #[serde(deserialize_with = "bind_trade_pwd")]
    bind_trade_pwd: bool,
    #[serde(deserialize_with = "user_type")]
    user_type: i32,
    #[serde(deserialize_with = "verify_status")]
    verify_status: i32,
    #[serde(default, deserialize_with = "source")]
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(remote = "LoadPayDataResponse", rename_all = "camelCase")]
struct LoadPayDataDef {
    #[serde(deserialize_with = "order_info")]
    order_info: Order,
    #[serde(deserialize_with = "user_info")]
    user_info: UserInfo,
    #[serde(rename = "need2FA", deserialize_with = "need_2fa")]
    need_2fa: bool,
    #[serde(deserialize_with = "auth")]
    auth_type: AuthType,
}

#[derive(Deserialize)]
#[serde(remote = "SendVerifyCodeResponse", rename_all = "camelCase")]
struct SendVerifyCodeDef {
    #[serde(deserialize_with = "order_id")]
    order_id: Id,
}

impl Decode for Order {
    fn decode(root: &str, value: JsValue) -> Decoded<Self> {
        from_js(root, value, OrderDef::deserialize)
    }
}

impl Decode for LoadPayDataResponse {
    fn decode(root: &str, value: JsValue) -> Decoded<Self> {
        from_js(root, value, LoadPayDataDef::deserialize)
    }
}

impl Decode for SendVerifyCodeResponse {
    fn decode(root: &str, value: JsValue) -> Decoded<Self> {
        from_js(root, value, SendVerifyCodeDef::deserialize)
    }
}

/// Where the channel needs the shopper (`shared::surfaces::handoff`, SPEC 8): a
/// navigation (`GET`) or a form the browser posts itself (`POST`, Paytm's process page),
/// both top-level.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Handoff {
    #[serde(rename = "method", deserialize_with = "method")]
    pub post: bool,
    #[serde(deserialize_with = "url")]
    pub url: String,
    #[serde(default, deserialize_with = "fields")]
    pub fields: Vec<(String, String)>,
}

fn opt_handoff<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Handoff>, D::Error> {
    Option::deserialize(d)
}

fn post<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Scalar::deserialize(d)?.one_of(&["GET", "POST"])? == 1)
}

/// Only a web page may be navigated to: never `javascript:` or `data:`.
fn web_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let url = string(d)?;
    if kassa_shared::surfaces::handoff::is_web_url(&url) {
        Ok(url)
    } else {
        Err(serde::de::Error::custom("must be an http(s) URL"))
    }
}

/// What a paying answer carries besides the order or the flags: the hand-off, and the
/// edge's device token after a code-verified pay from a new device (`device.rs`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayExtras {
    #[serde(default, deserialize_with = "handoff")]
    pub handoff: Option<Handoff>,
    #[serde(default, deserialize_with = "device_token")]
    pub device_token: Option<String>,
}

/// The `pay` answer: the S2 order, and where the channel needs the shopper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayAnswer {
    pub order: Order,
    pub handoff: Option<Handoff>,
    /// The edge's device token after a code-verified pay from a new device (`device.rs`).
    pub device_token: Option<String>,
}

impl Decode for PayAnswer {
    fn decode(root: &str, value: JsValue) -> Decoded<Self> {
        // The order and its extras side by side in one object: two views of the same
        // value (`flatten` would first copy the whole answer into serde's `Content`).
        let order = from_js(root, value.clone(), OrderDef::deserialize)?;
        let extras = from_js(root, value, PayExtras::deserialize)?;
        Ok(Self {
            order,
            handoff: extras.handoff,
            device_token: extras.device_token,
        })
    }
}

/// The `quick_pay` answer, and where the channel needs the shopper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickPayAnswer {
    pub answer: QuickPayResponse,
    pub handoff: Option<Handoff>,
    /// As [`PayAnswer::device_token`].
    pub device_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QuickPayDef {
    #[serde(deserialize_with = "process_is_end")]
    process_is_end: bool,
    #[serde(rename = "need2FA", deserialize_with = "need_2fa")]
    need_2fa: bool,
    #[serde(default, deserialize_with = "handoff")]
    handoff: Option<Handoff>,
    #[serde(default, deserialize_with = "device_token")]
    device_token: Option<String>,
}

impl Decode for QuickPayAnswer {
    fn decode(root: &str, value: JsValue) -> Decoded<Self> {
        let q = from_js(root, value, QuickPayDef::deserialize)?;
        Ok(Self {
            answer: QuickPayResponse {
                process_is_end: q.process_is_end,
                need_2fa: q.need_2fa,
            },
            handoff: q.handoff,
            device_token: q.device_token,
        })
    }
}

/// The edge's widget-API error envelope. Every member is optional: a proxy's HTML page
/// or an empty body still yields an error from the HTTP status alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorEnvelope {
    pub code: String,
    pub message: Option<String>,
    pub field: Option<String>,
    pub retry_after_ms: Option<u64>,
    pub attempts_left: Option<u32>,
}

/// The envelope as sent; members of the wrong type count as absent.
#[derive(Deserialize)]
struct RawEnvelope {
    #[serde(default)]
    code: Scalar,
    #[serde(default)]
    message: Scalar,
    #[serde(default)]
    field: Scalar,
    #[serde(default)]
    retry_after_ms: Scalar,
    #[serde(default)]
    attempts_left: Scalar,
}

impl ErrorEnvelope {
    /// Reads what it can from `body`.
    #[must_use]
    pub fn read(body: &str) -> Self {
        let Ok(value) = crate::json::parse(body) else {
            return Self::default();
        };
        let Ok(e) = from_js("error", value, RawEnvelope::deserialize) else {
            return Self::default();
        };
        type E = serde_wasm_bindgen::Error;
        Self {
            code: e.code.string::<E>().unwrap_or_default(),
            message: e.message.string::<E>().ok(),
            field: e.field.string::<E>().ok(),
            retry_after_ms: e.retry_after_ms.unsigned::<E>().ok(),
            attempts_left: e
                .attempts_left
                .unsigned::<E>()
                .ok()
                .and_then(|n| u32::try_from(n).ok()),
        }
    }
}

/// A pushed frame's statuses: the edge's canonical one (`succeeded`, …) in `status` and
/// the S2 code in `s2_status` (edge/src/objects/order_object/outbox.rs).
#[derive(Deserialize)]
struct Push {
    #[serde(default)]
    s2_status: Scalar,
    #[serde(default)]
    status: Scalar,
}

/// The status in a pushed text frame (the S2 order or any object with its `status`),
/// `None` for frames that carry none.
#[must_use]
pub fn pushed_status(text: &str) -> Option<Status> {
    let value = crate::json::parse(text).ok()?;
    let push = from_js("push", value, Push::deserialize).ok()?;
    // The S2 one first.
    status_of::<serde_wasm_bindgen::Error>(push.s2_status)
        .or_else(|_| status_of::<serde_wasm_bindgen::Error>(push.status))
        .ok()
}
