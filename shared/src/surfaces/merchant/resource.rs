//! The merchant-facing resources (SPEC 3.2): what an order carries besides the state
//! machine's [`Order`] (the [`StoredOrder`] the edge's order object keeps), and the JSON
//! objects the merchant API and webhooks show. Every resource has an `object` field; ids
//! are strings (SPEC 2, "Identifiers").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::id::Id;
use crate::order::{Order, OrderAmount, OrderStatus, Refund};
use crate::providers::Provider;
use crate::surfaces::s2::status::Status as S2Status;

pub use crate::surfaces::merchant::order::{Item, User, UserProfile};

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
