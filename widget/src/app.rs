//! The root component. Until the widget API lands it shows the order it was mounted for
//! and its status in the shopper's locale.

use yew::{function_component, html, Html, Properties};

use kassa_shared::order::OrderStatus;
use kassa_shared::providers::s2_wallet::status::{Locale, Status};

use crate::MountOptions;

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub options: MountOptions,
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let opts = &props.options;
    let status = Status::from_canonical(OrderStatus::Pending).label(opts.locale);
    let title = match opts.locale {
        Locale::ZhCn => "收银台",
        Locale::EnUs => "Checkout",
    };
    html! {
        <section class="kassa-card" aria-labelledby="kassa-title">
            <h2 id="kassa-title">{ title }</h2>
            <p class="kassa-order" data-order-id={opts.order_id.to_string()}>
                { format!("#{}", opts.order_id) }
            </p>
            <p class="kassa-status" role="status" aria-live="polite">{ status }</p>
        </section>
    }
}
