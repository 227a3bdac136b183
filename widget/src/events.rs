//! Events for the host page (SPEC 8): `kassa:<name>` `CustomEvent`s dispatched on the
//! mount element, bubbling and `composed` so they leave the shadow root. Their `detail`
//! ([`EventDetail`], camelCase) is documented in `kassa.d.ts`.

use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit, Element};

use kassa_shared::surfaces::s2::status::Status;

use crate::state::{CheckoutState, HostEvent, Party};

/// One pay line as the page sees it: exact strings, never numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountDetail {
    pub token_id: String,
    pub amount: String,
}

/// `event.detail`. `orderId` always; the rest by event (see `kassa.d.ts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDetail {
    /// A string: S2 ids exceed 2^53 (SPEC 2).
    pub order_id: String,
    /// The S2 status (`WAIT_FOR_PAYMENT` …) when the order has been loaded.
    pub status: Option<Status>,
    /// `kassa:ready`: what is to be paid, and when the order expires (Unix ms).
    pub amounts: Option<Vec<AmountDetail>>,
    pub expires_at: Option<u64>,
    /// `kassa:failed`: whether the shopper may try again, and a reason code.
    pub retry: Option<bool>,
    pub reason: Option<String>,
    /// `kassa:cancelled`: `"shopper"` or `"order"`.
    pub by: Option<&'static str>,
    /// `kassa:error`: a stable code, a message naming what failed, and whether the
    /// widget offers a retry.
    pub code: Option<String>,
    pub message: Option<String>,
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
    /// A plain JS object with camelCase keys; absent members are left out, not
    /// `undefined` (built by hand: no serde in the bundle, see `json.rs`).
    #[must_use]
    pub fn to_js(&self) -> JsValue {
        use crate::json::set;
        let o = js_sys::Object::new();
        set(&o, "orderId", &self.order_id.as_str().into());
        if let Some(status) = self.status {
            set(&o, "status", &crate::wire::status_name(status).into());
        }
        if let Some(amounts) = &self.amounts {
            let list = js_sys::Array::new();
            for a in amounts {
                let item = js_sys::Object::new();
                set(&item, "tokenId", &a.token_id.as_str().into());
                set(&item, "amount", &a.amount.as_str().into());
                list.push(&item);
            }
            set(&o, "amounts", &list);
        }
        if let Some(ms) = self.expires_at {
            // Unix ms (13 digits) is far below 2^53: exact as a JS number.
            #[allow(clippy::cast_precision_loss)]
            set(&o, "expiresAt", &JsValue::from_f64(ms as f64));
        }
        let strings = [
            ("reason", self.reason.as_deref()),
            ("by", self.by),
            ("code", self.code.as_deref()),
            ("message", self.message.as_deref()),
        ];
        for (name, value) in strings {
            if let Some(v) = value {
                set(&o, name, &v.into());
            }
        }
        for (name, value) in [("retry", self.retry), ("retryable", self.retryable)] {
            if let Some(v) = value {
                set(&o, name, &v.into());
            }
        }
        o.into()
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
