//! Waiting for the provider's verdict, followed live (`use_order_events` in the app).

use yew::{html, Html};

use kassa_shared::surfaces::s2::status::{Locale, Status};

/// The spinner and the order's own status (`Processing`, as the edge last said); the
/// app's status line says what the widget is waiting for.
pub fn processing(locale: Locale, status: Option<Status>) -> Html {
    html! {
        <div class="kassa-progress">
            <div class="kassa-spinner" aria-hidden="true"></div>
            if let Some(s) = status {
                <p class="kassa-order-status">{ s.label(locale) }</p>
            }
        </div>
    }
}
