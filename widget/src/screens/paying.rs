//! While `pay` / `quick_pay` is in flight, and while the browser leaves for the Paytm
//! process page.

use yew::{function_component, html, Html, Properties};

use kassa_shared::providers::s2_wallet::status::Locale;

use crate::i18n::{t, Key};

#[derive(Properties, PartialEq)]
pub struct PayingProps {
    pub locale: Locale,
    #[prop_or_default]
    pub redirecting: bool,
}

#[function_component(Paying)]
pub fn paying(props: &PayingProps) -> Html {
    html! {
        <div class="kassa-progress">
            <div class="kassa-spinner" aria-hidden="true"></div>
            <p>{ t(props.locale, if props.redirecting { Key::Redirecting } else { Key::Paying }) }</p>
        </div>
    }
}
