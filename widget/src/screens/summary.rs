//! What is being paid: the order's pay lines (the amount, through `Intl`) and what they
//! are for (the merchant's items), shown on every screen once the order is known
//! ([`order_lines`]); the ready screen adds the reference, the time left and the buttons.
//! The order's status is not here: the app's one status line says it.

use yew::{html, Callback, Html};

use kassa_shared::surfaces::s2::status::Locale;
use kassa_shared::surfaces::s2::wire::{LoadPayDataResponse, Order, OrderItem, PayItem};

use crate::components::amount::{amount, AmountValue};
use crate::components::countdown::Countdown;
use crate::i18n::{t, Key};

pub fn items(items: &[PayItem], locale: Locale) -> Html {
    html! {
        <ul class="kassa-items">
            { for items.iter().map(|item| html! {
                <li key={item.item_id.to_string()}>
                    { amount(&AmountValue::from_line(&item.token_id, &item.amount), locale) }
                </li>
            }) }
        </ul>
    }
}

/// The merchant's items: name and quantity.
pub fn merchant_items(items: &[OrderItem]) -> Html {
    html! {
        <ul class="kassa-items kassa-merchant-items">
            { for items.iter().map(|item| html! {
                <li>{ &item.name }{ " × " }{ item.quantity }</li>
            }) }
        </ul>
    }
}

/// What is being paid and what for: on every screen that knows the order, so the
/// shopper always sees the amount and the items they are confirming.
/// `paid`: the order is paid, and the amount is what was paid.
pub fn order_lines(order: &Order, l: Locale, paid: bool) -> Html {
    html! {
        <div class="kassa-lines" data-kassa="order">
            <h3>{ t(l, if paid { Key::PaidItems } else { Key::PayItems }) }</h3>
            { items(&order.pay_info, l) }
            // What it is for: the merchant's items; else the seed's product lines, unless
            // they only repeat the pay lines.
            if !order.items.is_empty() {
                <h3>{ t(l, Key::ProductItems) }</h3>
                { merchant_items(&order.items) }
            } else if !order.product_info.is_empty() && order.product_info != order.pay_info {
                <h3>{ t(l, Key::ProductItems) }</h3>
                { items(&order.product_info, l) }
            }
        </div>
    }
}

/// A plain function, not a component: its state lives in the app and the countdown.
pub fn summary(
    data: &LoadPayDataResponse,
    l: Locale,
    onpay: &Callback<()>,
    oncancel: &Callback<()>,
    onexpired: &Callback<()>,
) -> Html {
    let order = &data.order_info;
    let onpay = onpay.reform(|_| ());
    let oncancel = oncancel.reform(|_| ());
    html! {
        <div class="kassa-summary">
            <p class="kassa-ref">{ &order.client_order_id }</p>
            // The description, unless it only repeats an item's name.
            if let Some(desc) = order.desc.as_ref().filter(|d| !order.items.iter().any(|i| &&i.name == d)) {
                <p class="kassa-desc">{ desc }</p>
            }
            { order_lines(order, l, false) }
            <Countdown expires_ms={order.expired} locale={l} onexpired={onexpired.clone()} />
            <div class="kassa-actions">
                <button type="button" class="kassa-primary" data-kassa="pay" onclick={onpay}>{ t(l, Key::Pay) }</button>
                <button type="button" class="kassa-secondary" data-kassa="cancel" onclick={oncancel}>{ t(l, Key::Cancel) }</button>
            </div>
        </div>
    }
}
