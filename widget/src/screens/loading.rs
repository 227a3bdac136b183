//! The skeleton shown while `load_pay_data` is in flight.

use yew::{html, Html};

/// A plain function, not a component: it has no state, and each component costs the
/// bundle its own copy of yew's lifecycle code.
pub fn loading() -> Html {
    // Decorative placeholders: the status region says "loading" in words.
    html! {
        <div class="kassa-skeleton" aria-hidden="true">
            <div class="kassa-skeleton-line kassa-skeleton-wide"></div>
            <div class="kassa-skeleton-line"></div>
            <div class="kassa-skeleton-button"></div>
        </div>
    }
}
