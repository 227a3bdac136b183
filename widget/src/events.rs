//! Events for the host page (SPEC 8): `kassa:<name>` `CustomEvent`s dispatched on the
//! mount element, bubbling and `composed` so they leave the shadow root. Their `detail`
//! ([`EventDetail`], camelCase, made by serde-wasm-bindgen) is documented in `kassa.d.ts`.

use serde::{Serialize, Serializer};
use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit, Element};

use kassa_shared::surfaces::s2::status::Status;

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
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "status_name"
    )]
    pub status: Option<Status>,
    /// `kassa:ready`: what is to be paid, and when the order expires (Unix ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amounts: Option<Vec<AmountDetail>>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ms")]
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

impl EventDetail {
    /// A plain JS object with camelCase keys (serde-wasm-bindgen); absent members are
    /// left out, not `undefined`.
    #[must_use]
    pub fn to_js(&self) -> JsValue {
        // Strings, booleans and one number sent as a float: nothing here can fail.
        crate::json::to_js(self).unwrap_or(JsValue::NULL)
    }
}

fn status_name<S: Serializer>(status: &Option<Status>, s: S) -> Result<S::Ok, S::Error> {
    match status {
        Some(status) => s.serialize_str(crate::wire::status_name(*status)),
        None => s.serialize_none(),
    }
}

/// Unix ms as a JS number: 13 digits are far below 2^53, so exact; a time past that
/// (no order lives so long) is sent as the nearest number rather than failing the event.
#[allow(clippy::ref_option, clippy::cast_precision_loss)] // serde's `with` signature
fn ms<S: Serializer>(ms: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_f64(*ms as f64),
        None => s.serialize_none(),
    }
}

/// Dispatches `name` with `detail` on `host`. A page listener that throws does not
/// reach the widget (`dispatchEvent` reports it to the console).
pub fn dispatch(host: &Element, name: &str, detail: &EventDetail) {
    let detail = detail.to_js();
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&detail);
    if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = host.dispatch_event(&event);
    }
}
