//! Waiting for the provider's verdict, followed live (`use_order_events` in the app).

use yew::{html, Callback, Html};

use crate::i18n::{t, Key};
use kassa_shared::surfaces::s2::status::{Locale, Status};

/// The spinner and the order's own status (`Processing`, as the edge last said); the
/// app's status line says what the widget is waiting for. `onpayagain` (the shopper
/// came back from the provider's page without an outcome) offers a new pay.
pub fn processing(
    locale: Locale,
    status: Option<Status>,
    onpayagain: Option<&Callback<()>>,
) -> Html {
    html! {
        <div class="kassa-progress">
            <div class="kassa-spinner" aria-hidden="true"></div>
            if let Some(s) = status {
                <p class="kassa-order-status">{ s.label(locale) }</p>
            }
            if let Some(cb) = onpayagain {
                <button type="button" class="kassa-secondary" data-kassa="pay-again" onclick={cb.reform(|_| ())}>
                    { t(locale, Key::PayAgain) }
                </button>
            }
        </div>
    }
}
