//! The merchant-facing resources (SPEC 3.2): what an order carries besides the state
//! machine's [`Order`], and the JSON objects the merchant API and webhooks show. Every
//! resource has an `object` field; ids are strings (SPEC 2, "Identifiers").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use kassa_shared::order::{Order, OrderAmount, OrderStatus};
use kassa_shared::providers::Provider;
use kassa_shared::surfaces::s2::status::{Locale, Status as S2Status};

/// One line of what is being paid for, shown by the widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub name: String,
    pub quantity: u64,
}

/// The shopper, as the merchant knows them. `mobile` / `email` feed the second factor
/// (SPEC 6) and are masked wherever the widget sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Everything about an order that is not payment state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderMeta {
    /// The provider it is paid through (SPEC 1).
    pub channel: Provider,
    pub items: Vec<Item>,
    pub user: User,
    pub notify_url: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub description: Option<String>,
}

/// What the `OrderObject` stores under `order`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredOrder {
    pub order: Order,
    pub meta: OrderMeta,
}

/// The widget's S2 status code for a canonical status (SPEC 2 table).
#[must_use]
pub fn s2_code(status: OrderStatus) -> u8 {
    S2Status::from_canonical(status).code()
}

/// The merchant API's order resource.
#[must_use]
pub fn order_view(s: &StoredOrder) -> Value {
    let o = &s.order;
    let (amount, currency, token, display) = match o.amount() {
        OrderAmount::Fiat(m) => (
            json!(m.minor()),
            Some(m.currency().code().to_owned()),
            None,
            m.format_major(),
        ),
        OrderAmount::Token { token, amount } => (
            json!(amount.to_string()),
            None,
            Some(token.clone()),
            amount.to_string(),
        ),
    };
    let reasons: Vec<_> = o.review_reasons().into_iter().collect();
    json!({
        "object": "order",
        "id": o.id().to_string(),
        "channel": s.meta.channel,
        "amount": amount,
        "amount_display": display,
        "currency": currency,
        "token": token,
        "items": s.meta.items,
        "user": s.meta.user,
        "description": s.meta.description,
        "metadata": s.meta.metadata,
        "notify_url": s.meta.notify_url,
        "status": o.status(),
        "status_seq": o.status_seq(),
        "needs_review": !reasons.is_empty(),
        "review_reasons": reasons,
        "created_ms": o.created_ms(),
        "expires_at_ms": o.expires_at_ms(),
    })
}

/// The S2 order object (seed S2 list item / `orderInfo`): ids and times as strings,
/// amounts as major-unit decimal strings. S2 orders have one pay line; the order's own
/// id doubles as its `itemId`. `payeeUserId` is the merchant, who has no S2 user id at
/// the edge: `"0"`.
pub fn s2_order(s: &StoredOrder, locale: Locale) -> Value {
    let o = &s.order;
    let (token, amount) = match o.amount() {
        OrderAmount::Fiat(m) => (m.currency().code().to_owned(), m.format_major()),
        OrderAmount::Token { token, amount } => (token.clone(), amount.to_string()),
    };
    let zero = || "0".to_owned();
    let paid = if o.paid() { amount.clone() } else { zero() };
    // Refunds are whole (one per order): a settled refund returned the whole amount.
    let refunded = if o.status() == OrderStatus::Refunded {
        amount.clone()
    } else {
        zero()
    };
    let line = json!({
        "itemId": o.id().to_string(),
        "payType": "PAY",
        "tokenId": token,
        "amount": amount,
        "paidAmount": paid,
        "refundedAmount": refunded,
        "unlockedAmount": zero(),
    });
    let status = S2Status::from_canonical(o.status());
    let updated = o.history().last().map_or(o.created_ms(), |h| h.at_ms);
    json!({
        "orderId": o.id().to_string(),
        "clientOrderId": s.meta.metadata.get("client_order_id").cloned().unwrap_or_default(),
        "payerUserId": s.meta.user.id,
        "payeeUserId": "0",
        "isMapping": false,
        "payInfo": [line.clone()],
        "productInfo": [line],
        "status": status,
        "statusDesc": status.label(locale),
        "expired": o.expires_at_ms().to_string(),
        "desc": s.meta.description,
        "created": o.created_ms().to_string(),
        "updated": updated.to_string(),
        // Kassa's extensions (`shared::surfaces::s2::wire::Order`).
        "items": s.meta.items,
        "lastAttemptFailed": kassa_shared::flows::attempts::shown_status(o)
            == OrderStatus::Failed,
    })
}
