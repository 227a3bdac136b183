//! The merchant-facing resources (SPEC 3.2): what an order carries besides the state
//! machine's [`Order`], and the JSON objects the merchant API and webhooks show. Every
//! resource has an `object` field; ids are strings (SPEC 2, "Identifiers").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use kassa_shared::id::Id;
use kassa_shared::order::{Order, OrderAmount, OrderStatus, Refund};
use kassa_shared::providers::Provider;
use kassa_shared::surfaces::s2::status::{Locale, Status as S2Status};
use kassa_shared::surfaces::s2::wire::{Order as S2Order, OrderItem as S2OrderItem, PayItem};

pub use kassa_shared::surfaces::merchant::order::{Item, User, UserProfile};

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
    /// The merchant's own id, shown as S2 `payeeUserId`: the merchant API's
    /// `payee_user_id`, else the merchant's id at the order's channel (S3 merchant id,
    /// Paytm MID, Ping++ app id); `None` (shown `0`) only when neither exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee_user_id: Option<String>,
}

/// One refund's channel details (`order_object/refund.rs`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundMeta {
    /// The paid attempt whose payment it refunds.
    pub attempt: Option<Id>,
    /// The merchant's reason, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The provider's id for it (Ping++ `re_…`, Paytm `refundId`, the wallet's
    /// `refund_id`), or the merchant's reference for a refund made by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_reference: Option<String>,
    /// Why the provider refused it, once it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// When its provider was last asked about it (unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked_ms: Option<u64>,
}

/// What the `OrderObject` stores under `order`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredOrder {
    pub order: Order,
    pub meta: OrderMeta,
    /// What the order's object knows about each refund besides its lattice (which is in
    /// the [`Order`]): kept with the order, so both are written together.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub refunds: BTreeMap<Id, RefundMeta>,
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
    let refunds: Vec<Value> = o
        .refunds()
        .iter()
        .map(|(id, r)| refund_view(s, id, r))
        .collect();
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
        "amount_refunded": amount_json(o.amount(), o.refunded_units()),
        "amount_refundable": amount_json(o.amount(), o.refundable_units()),
        "refunds": refunds,
        "needs_review": o.needs_review(),
        "review_reasons": reasons,
        "review_resolutions": o.resolved(),
        "created_ms": o.created_ms(),
        "expires_at_ms": o.expires_at_ms(),
    })
}

/// `units` of the order's smallest unit in the form its `amount` takes: an integer of
/// minor units (fiat), a decimal string (tokens).
fn amount_json(amount: &OrderAmount, units: u128) -> Value {
    match (amount, amount.with_units(units)) {
        (OrderAmount::Fiat(_), Some(OrderAmount::Fiat(m))) => json!(m.minor()),
        (_, Some(OrderAmount::Token { amount, .. })) => json!(amount.to_string()),
        _ => json!(units.to_string()),
    }
}

/// The merchant API's refund resource (also the `object` of `refund.*` webhooks).
#[must_use]
pub fn refund_view(s: &StoredOrder, id: Id, r: Refund) -> Value {
    let o = &s.order;
    let meta = s.refunds.get(&id).cloned().unwrap_or_default();
    let units = r.amount_of(o.amount().units());
    let (currency, token) = match o.amount() {
        OrderAmount::Fiat(m) => (Some(m.currency().code()), None),
        OrderAmount::Token { token, .. } => (None, Some(token.as_str())),
    };
    json!({
        "object": "refund",
        "id": id.to_string(),
        "order_id": o.id().to_string(),
        "amount": amount_json(o.amount(), units),
        "currency": currency,
        "token": token,
        "status": r.status().map(|s| s.as_str()),
        "reason": meta.reason,
        "provider_reference": meta.provider_reference,
        "failure_reason": meta.failure_reason,
        "created_ms": id.unix_ms(),
    })
}

/// The S2 order object (seed S2 list item / `orderInfo` / the `pay` answer), as
/// `shared`'s wire type [`S2Order`] serialises it. Field by field (decisions in
/// `tests/vectors/README.md`, "S2"):
/// - `payInfo`: one line, what the payer pays; the order's own id doubles as its
///   `itemId`. `paidAmount` is the amount once the order is paid, `refundedAmount`
///   [`refunded_amount`], `unlockedAmount` `0` (Kassa never holds a payer's funds, so it
///   never releases any).
/// - `productInfo`: what is bought, priced. Kassa's items carry names and quantities but
///   no prices, so it is one line for the merchant's basket with the same figures under
///   its own `itemId` (derived from the order id); the names are in `items`.
/// - `payeeUserId`: the merchant's own id ([`OrderMeta::payee_user_id`]); `isMapping`:
///   `true`, the user ids are the merchant's own, mapped onto the paying platform
///   (Kassa has no platform user ids of its own).
/// - `extendInfo`: the merchant's `metadata` as the JSON text of an object.
#[must_use]
pub fn s2_order(s: &StoredOrder, locale: Locale) -> S2Order {
    let o = &s.order;
    let (token, amount) = major(o.amount(), o.amount().units());
    let paid = if o.paid() {
        amount.clone()
    } else {
        "0".to_owned()
    };
    let line = |item_id: Id| PayItem {
        item_id,
        pay_type: "PAY".to_owned(),
        token_id: token.clone(),
        amount: amount.clone(),
        paid_amount: paid.clone(),
        refunded_amount: refunded_amount(o),
        unlocked_amount: "0".to_owned(),
    };
    let status = S2Status::from_canonical(o.status());
    let updated = o.history().last().map_or(o.created_ms(), |h| h.at_ms);
    S2Order {
        order_id: o.id(),
        client_order_id: s
            .meta
            .metadata
            .get("client_order_id")
            .cloned()
            .unwrap_or_default(),
        payer_user_id: s.meta.user.id.clone(),
        payee_user_id: s
            .meta
            .payee_user_id
            .clone()
            .unwrap_or_else(|| "0".to_owned()),
        is_mapping: true,
        pay_info: vec![line(o.id())],
        product_info: vec![line(product_item_id(o.id()))],
        status,
        status_desc: status.label(locale).to_owned(),
        expired: o.expires_at_ms(),
        desc: s.meta.description.clone(),
        // A map of strings always serialises.
        extend_info: Some(serde_json::to_string(&s.meta.metadata).unwrap_or_default()),
        created: o.created_ms(),
        updated,
        items: s
            .meta
            .items
            .iter()
            .map(|i| S2OrderItem {
                name: i.name.clone(),
                quantity: i.quantity,
            })
            .collect(),
        last_attempt_failed: kassa_shared::flows::attempts::shown_status(o) == OrderStatus::Failed,
    }
}

/// The order's refunded total, in its pay line's form (`refundedAmount`): the sum of
/// the refunds that succeeded, as the order's refund lattice keeps it; `"0"` for none,
/// as the seed writes every amount of nothing. The one place the S2 surface reads
/// refunds from.
#[must_use]
pub fn refunded_amount(o: &Order) -> String {
    match o.refunded_units() {
        0 => "0".to_owned(),
        units => major(o.amount(), units).1,
    }
}

/// `units` of the order's smallest unit as S2 writes amounts (major units, a decimal
/// string), with the token or currency code.
fn major(amount: &OrderAmount, units: u128) -> (String, String) {
    match (amount, amount.with_units(units)) {
        (OrderAmount::Fiat(m), Some(OrderAmount::Fiat(part))) => {
            (m.currency().code().to_owned(), part.format_major())
        }
        (OrderAmount::Token { token, .. }, Some(OrderAmount::Token { amount, .. })) => {
            (token.clone(), amount.to_string())
        }
        (OrderAmount::Fiat(m), _) => (m.currency().code().to_owned(), units.to_string()),
        (OrderAmount::Token { token, .. }, _) => (token.clone(), units.to_string()),
    }
}

/// The `productInfo` line's `itemId`: the order id's bits mixed (a fixed odd
/// multiplier, an invertible map on 63 bits), so it differs from the pay line's and is
/// the same on every read.
fn product_item_id(order: Id) -> Id {
    let mixed = order.get().wrapping_mul(0x9E37_79B9_7F4A_7C15) & (u64::MAX >> 1);
    Id::new(mixed.max(1)).unwrap_or(order)
}
