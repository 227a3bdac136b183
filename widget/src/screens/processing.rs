//! Waiting for the provider's verdict, followed live (`use_order_events` in the app).

use yew::{function_component, html, Html, Properties};

use kassa_shared::providers::s2_wallet::status::{Locale, Status};

use crate::i18n::{t, Key};

#[derive(Properties, PartialEq)]
pub struct ProcessingProps {
    pub locale: Locale,
    pub status: Option<Status>,
}

#[function_component(Processing)]
pub fn processing(props: &ProcessingProps) -> Html {
    html! {
        <div class="kassa-progress">
            <div class="kassa-spinner" aria-hidden="true"></div>
            <p>{ t(props.locale, Key::Processing) }</p>
            if let Some(s) = props.status {
                <p class="kassa-order-status">{ s.label(props.locale) }</p>
            }
        </div>
    }
}
