//! Time left to pay, from the order's `expired` (SPEC 8).

use yew::{function_component, html, use_effect_with, Callback, Html, Properties};

use kassa_shared::surfaces::s2::status::Locale;

use crate::hooks::use_countdown;
use crate::i18n::{tf, Key};

/// `m:ss`, or `h:mm:ss` from an hour up.
#[must_use]
pub fn format_remaining(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[derive(Properties, PartialEq)]
pub struct CountdownProps {
    pub expires_ms: u64,
    pub locale: Locale,
    pub onexpired: Callback<()>,
}

#[function_component(Countdown)]
pub fn countdown(props: &CountdownProps) -> Html {
    let left = use_countdown(props.expires_ms);
    {
        let onexpired = props.onexpired.clone();
        use_effect_with(left == 0, move |done| {
            if *done {
                onexpired.emit(());
            }
        });
    }
    let text = tf(
        props.locale,
        Key::ExpiresIn,
        &[("time", &format_remaining(left))],
    );
    // role="timer" is not announced each second (implicit aria-live="off"): the one
    // polite status region announces what matters.
    html! { <p class="kassa-countdown" role="timer">{ text }</p> }
}
