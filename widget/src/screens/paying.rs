//! While `pay` / `quick_pay` is in flight, and while the browser leaves for the Paytm
//! process page.

use yew::{html, Html};

use kassa_shared::surfaces::s2::status::Locale;

use crate::i18n::{t, Key};

pub fn paying(locale: Locale, redirecting: bool) -> Html {
    html! {
        <div class="kassa-progress">
            <div class="kassa-spinner" aria-hidden="true"></div>
            <p>{ t(locale, if redirecting { Key::Redirecting } else { Key::Paying }) }</p>
        </div>
    }
}
