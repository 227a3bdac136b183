//! Events for the host page (SPEC 8): `kassa:<name>` `CustomEvent`s dispatched on the
//! mount element, bubbling and `composed` so they leave the shadow root. Their `detail`
//! ([`EventDetail`], camelCase) is documented in `kassa.d.ts`.

use serde::Serialize;
use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit, Element};

use kassa_shared::providers::s2_wallet::status::Status;

use crate::state::{CheckoutState, HostEvent, Party};

/// One pay line as the page sees it: exact strings, never numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AmountDetail {
    pub token_id: String,
    pub amount: String,
}

/// `event.detail`. `orderId` always; the rest by event (see `kassa.d.ts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventDetail {
    /// A string: S2 ids exceed 2^53 (SPEC 2).
    pub order_id: String,
    /// The S2 status (`WAIT_FOR_PAYMENT` …) when the order has been loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// `kassa:ready`: what is to be paid, and when the order expires (Unix ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amounts: Option<Vec<AmountDetail>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// `kassa:failed`: whether the shopper may try again, and a reason code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `kassa:cancelled`: `"shopper"` or `"order"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<&'static str>,
    /// `kassa:error`: a stable code, a message naming what failed, and whether the
    /// widget offers a retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retryable: Option<bool>,
}

/// The detail of `event` given the state it was emitted in. Pure.
#[must_use]
pub fn detail(order_id: &str, state: &CheckoutState, event: &HostEvent) -> EventDetail {
    let order = state.data.as_ref().map(|d| &d.order_info);
    let mut d = EventDetail {
        order_id: order_id.to_owned(),
        status: order.map(|o| o.status),
        amounts: None,
        expires_at: None,
        retry: None,
        reason: None,
        by: None,
        code: None,
        message: None,
        retryable: None,
    };
    match event {
        HostEvent::Ready => {
            d.amounts = order.map(|o| {
                o.pay_info
                    .iter()
                    .map(|i| AmountDetail {
                        token_id: i.token_id.clone(),
                        amount: i.amount.clone(),
                    })
                    .collect()
            });
            d.expires_at = order.map(|o| o.expired);
        }
        HostEvent::Paid | HostEvent::Expired => {}
        HostEvent::Failed { retry, reason } => {
            d.retry = Some(*retry);
            d.reason = Some(reason.clone());
        }
        HostEvent::Cancelled { by } => {
            d.by = Some(match by {
                Party::Shopper => "shopper",
                Party::Order => "order",
            });
        }
        HostEvent::Error {
            code,
            message,
            retryable,
        } => {
            d.code = Some(code.clone());
            d.message = Some(message.clone());
            d.retryable = Some(*retryable);
        }
    }
    d
}

/// Dispatches `name` with `detail` on `host`. A page listener that throws does not
/// reach the widget (`dispatchEvent` reports it to the console).
pub fn dispatch(host: &Element, name: &str, detail: &EventDetail) {
    // json_compatible: plain objects and numbers, not Maps and BigInts, for pages.
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let detail = detail.serialize(&serializer).unwrap_or(JsValue::NULL);
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&detail);
    if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = host.dispatch_event(&event);
    }
}
