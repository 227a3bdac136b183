//! While `pay` / `quick_pay` is in flight, and while the browser leaves for the Paytm
//! process page.

use yew::{html, Html};

/// The spinner; the words are the app's status line.
pub fn paying() -> Html {
    html! {
        <div class="kassa-progress">
            <div class="kassa-spinner" aria-hidden="true"></div>
        </div>
    }
}
