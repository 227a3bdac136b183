//! The S2 order object (seed S2 `Order`) of a stored order: amounts in the token's or
//! currency's major unit as decimal strings, one pay line and one basket line, the
//! status in the widget's locale, the merchant's metadata as `extendInfo`.

use crate::id::Id;
use crate::order::{Order, OrderAmount, OrderStatus};
use crate::surfaces::merchant::resource::StoredOrder;
use crate::surfaces::s2::status::{Locale, Status as S2Status};
use crate::surfaces::s2::wire::{Order as S2Order, OrderItem as S2OrderItem, PayItem};

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
        last_attempt_failed: crate::flows::attempts::shown_status(o) == OrderStatus::Failed,
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
