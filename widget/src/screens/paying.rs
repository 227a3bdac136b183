//! While `pay` / `quick_pay` is in flight.

use yew::{function_component, html, Html, Properties};

use kassa_shared::providers::s2_wallet::status::Locale;

use crate::i18n::{t, Key};

#[derive(Properties, PartialEq)]
pub struct PayingProps {
    pub locale: Locale,
}

#[function_component(Paying)]
pub fn paying(props: &PayingProps) -> Html {
    html! {
        <div class="kassa-progress">
            <div class="kassa-spinner" aria-hidden="true"></div>
            <p>{ t(props.locale, Key::Paying) }</p>
        </div>
    }
}
