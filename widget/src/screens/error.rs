//! A recoverable error: what failed, and a retry of the same request.

use yew::{function_component, html, Callback, Html, Properties};

use kassa_shared::providers::s2_wallet::status::Locale;

use crate::i18n::{t, Key};

#[derive(Properties, PartialEq)]
pub struct NetworkErrorProps {
    pub locale: Locale,
    pub message: String,
    pub onretry: Callback<()>,
}

#[function_component(NetworkError)]
pub fn network_error(props: &NetworkErrorProps) -> Html {
    let l = props.locale;
    html! {
        <div class="kassa-done kassa-bad">
            <p class="kassa-outcome">{ t(l, Key::NetworkError) }</p>
            <p class="kassa-detail">{ &props.message }</p>
            <button type="button" class="kassa-primary" data-kassa="retry" onclick={props.onretry.reform(|_| ())}>
                { t(l, Key::Retry) }
            </button>
        </div>
    }
}
