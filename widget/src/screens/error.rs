//! A recoverable error: what failed (the app's status line says that it failed; the
//! detail here says what), and a retry of the same request.

use yew::{html, Callback, Html};

use kassa_shared::surfaces::s2::status::Locale;

use crate::i18n::{t, Key};

pub fn network_error(l: Locale, message: &str, onretry: &Callback<()>) -> Html {
    html! {
        <div class="kassa-done kassa-bad">
            <p class="kassa-detail">{ message }</p>
            <button type="button" class="kassa-primary" data-kassa="retry" onclick={onretry.reform(|_| ())}>
                { t(l, Key::Retry) }
            </button>
        </div>
    }
}
