//! The edge's answers read into `kassa_shared`'s S2 types (seed S2, SPEC 3.1) with
//! [`crate::json::Field`], plus the two things the seed does not have: a Paytm form to
//! post (SPEC 3.3, S1) and the error envelope `{status, code, message, field,
//! retry_after_ms?, attempts_left?}` (`edge/src/error.rs`).
//!
//! The same rules as the serde types in `shared` (see `surfaces::s2::wire`): ids from a
//! string or an exact integer; user ids as text (a merchant's `alice`), a number
//! accepted when it is an exact integer; 13-digit times from either; token amounts only as
//! strings (a number may already have been rounded by a float); `need2FA` /
//! `processIsEnd` as booleans or quoted booleans.

use kassa_shared::surfaces::s2::status::Status;
use kassa_shared::surfaces::s2::wire::{
    AuthType, LoadPayDataResponse, Order, OrderItem, PayItem, QuickPayResponse,
    SendVerifyCodeResponse, UserInfo,
};

use crate::json::{Decoded, Field};

/// Reads an answer of type `Self`.
pub trait Decode: Sized {
    /// # Errors
    /// The [`crate::json::DecodeError`] naming the field that is missing or malformed.
    fn decode(v: &Field) -> Decoded<Self>;
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

/// `status`: the S2 name, or its numeric code.
///
/// # Errors
/// `unknown value` / `missing`.
pub fn status(v: &Field) -> Decoded<Status> {
    let code = if v.value.as_string().is_some() {
        v.one_of(&STATUS_NAMES)
            .map(|i| i64::try_from(i).unwrap_or(-1))?
    } else {
        v.integer()?
    };
    Status::from_code(code).map_or_else(
        || {
            Err(crate::json::DecodeError {
                field: v.path.clone(),
                reason: "unknown value",
            })
        },
        Ok,
    )
}

fn pay_item(v: &Field) -> Decoded<PayItem> {
    Ok(PayItem {
        item_id: v.get("itemId").id()?,
        pay_type: v.get("payType").string()?,
        token_id: v.get("tokenId").string()?,
        amount: v.get("amount").string()?,
        paid_amount: v.get("paidAmount").string()?,
        refunded_amount: v.get("refundedAmount").string()?,
        unlocked_amount: v.get("unlockedAmount").string()?,
    })
}

fn pay_items(v: &Field) -> Decoded<Vec<PayItem>> {
    v.array()?.iter().map(pay_item).collect()
}

impl Decode for Order {
    fn decode(v: &Field) -> Decoded<Self> {
        let v = v.clone().object()?;
        Ok(Order {
            order_id: v.get("orderId").id()?,
            client_order_id: v.get("clientOrderId").string()?,
            payer_user_id: v.get("payerUserId").user_id()?,
            payee_user_id: v.get("payeeUserId").user_id()?,
            is_mapping: v.get("isMapping").boolean()?,
            pay_info: pay_items(&v.get("payInfo"))?,
            product_info: pay_items(&v.get("productInfo"))?,
            status: status(&v.get("status"))?,
            status_desc: v.get("statusDesc").string()?,
            expired: v.get("expired").unsigned()?,
            desc: v.get("desc").opt_string()?,
            extend_info: v.get("extendInfo").opt_string()?,
            created: v.get("created").unsigned()?,
            updated: v.get("updated").unsigned()?,
            items: order_items(&v.get("items"))?,
            last_attempt_failed: v.get("lastAttemptFailed").opt_boolean()?,
        })
    }
}

/// The merchant's items (Kassa's extension; absent from seed-era answers).
fn order_items(v: &Field) -> Decoded<Vec<OrderItem>> {
    if v.is_absent() {
        return Ok(Vec::new());
    }
    v.array()?
        .iter()
        .map(|item| {
            let item = item.clone().object()?;
            Ok(OrderItem {
                name: item.get("name").string()?,
                quantity: item.get("quantity").unsigned()?,
            })
        })
        .collect()
}

impl Decode for UserInfo {
    fn decode(v: &Field) -> Decoded<Self> {
        let v = v.clone().object()?;
        Ok(UserInfo {
            user_id: v.get("userId").user_id()?,
            register_type: v.get("registerType").int32()?,
            mobile: v.get("mobile").opt_string()?,
            national_code: v.get("nationalCode").opt_string()?,
            email: v.get("email").opt_string()?,
            bind_ga: v.get("bindGA").boolean()?,
            bind_trade_pwd: v.get("bindTradePwd").boolean()?,
            user_type: v.get("userType").int32()?,
            verify_status: v.get("verifyStatus").int32()?,
            source: v.get("source").opt_string()?,
        })
    }
}

impl Decode for LoadPayDataResponse {
    fn decode(v: &Field) -> Decoded<Self> {
        let v = v.clone().object()?;
        let auth = [AuthType::Ga, AuthType::Mobile, AuthType::Email];
        let auth_type = auth[v.get("authType").one_of(&["GA", "MOBILE", "EMAIL"])?];
        Ok(LoadPayDataResponse {
            order_info: Order::decode(&v.get("orderInfo"))?,
            user_info: UserInfo::decode(&v.get("userInfo"))?,
            need_2fa: v.get("need2FA").boolean()?,
            auth_type,
        })
    }
}

impl Decode for SendVerifyCodeResponse {
    fn decode(v: &Field) -> Decoded<Self> {
        Ok(SendVerifyCodeResponse {
            order_id: v.clone().object()?.get("orderId").id()?,
        })
    }
}

/// Where the channel needs the shopper (`shared::surfaces::handoff`, SPEC 8): a
/// navigation (`GET`) or a form the browser posts itself (`POST`, Paytm's process page),
/// both top-level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handoff {
    pub post: bool,
    pub url: String,
    pub fields: Vec<(String, String)>,
}

impl Handoff {
    fn decode_opt(v: &Field) -> Decoded<Option<Self>> {
        let h = v.get("handoff");
        if h.is_absent() {
            return Ok(None);
        }
        let post = h.get("method").one_of(&["GET", "POST"])? == 1;
        let url_field = h.get("url");
        let url = url_field.string()?;
        // Only a web page may be navigated to: never `javascript:` or `data:`.
        if !kassa_shared::surfaces::handoff::is_web_url(&url) {
            return Err(crate::json::DecodeError {
                field: url_field.path,
                reason: "must be an http(s) URL",
            });
        }
        let fields = h.get("fields");
        Ok(Some(Self {
            post,
            url,
            fields: if fields.is_absent() {
                Vec::new()
            } else {
                fields.string_map()?
            },
        }))
    }
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
    fn decode(v: &Field) -> Decoded<Self> {
        Ok(Self {
            order: Order::decode(v)?,
            handoff: Handoff::decode_opt(v)?,
            device_token: v.get("deviceToken").opt_string()?,
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

impl Decode for QuickPayAnswer {
    fn decode(v: &Field) -> Decoded<Self> {
        let v = v.clone().object()?;
        Ok(Self {
            answer: QuickPayResponse {
                process_is_end: v.get("processIsEnd").boolean()?,
                need_2fa: v.get("need2FA").boolean()?,
            },
            handoff: Handoff::decode_opt(&v)?,
            device_token: v.get("deviceToken").opt_string()?,
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

impl ErrorEnvelope {
    /// Reads what it can from `body`; members of the wrong type count as absent.
    #[must_use]
    pub fn read(body: &str) -> Self {
        let Ok(value) = crate::json::parse(body) else {
            return Self::default();
        };
        let v = Field::root("error", value);
        Self {
            code: v.get("code").string().unwrap_or_default(),
            message: v.get("message").string().ok(),
            field: v.get("field").string().ok(),
            retry_after_ms: v.get("retry_after_ms").unsigned().ok(),
            attempts_left: v
                .get("attempts_left")
                .unsigned()
                .ok()
                .and_then(|n| u32::try_from(n).ok()),
        }
    }
}

/// The status in a pushed text frame (the S2 order or any object with its `status`),
/// `None` for frames that carry none.
#[must_use]
pub fn pushed_status(text: &str) -> Option<Status> {
    let value = crate::json::parse(text).ok()?;
    let push = Field::root("push", value);
    // The edge pushes its canonical status (`succeeded`, …) in `status` and the S2 code
    // in `s2_status` (edge/src/objects/order_object/outbox.rs): read the S2 one first.
    status(&push.get("s2_status"))
        .or_else(|_| status(&push.get("status")))
        .ok()
}
