//! The terminal screens: paid, failed (with a retry while the order is open), expired,
//! cancelled. What happened is said once, by the app's status line (announced to screen
//! readers from there); this screen marks it and offers what can be done next.

use yew::{html, Callback, Html};

use kassa_shared::surfaces::s2::status::Locale;

use crate::i18n::{t, Key};
use crate::state::Terminal;

#[must_use]
pub fn outcome_key(outcome: &Terminal) -> Key {
    match outcome {
        Terminal::Paid => Key::Paid,
        Terminal::Failed { .. } => Key::Failed,
        Terminal::Expired => Key::Expired,
        Terminal::Cancelled { .. } => Key::Cancelled,
    }
}

/// `data-screen` of a terminal screen: `paid`, `failed`, `expired`, `cancelled`.
#[must_use]
pub fn outcome_name(outcome: &Terminal) -> &'static str {
    match outcome {
        Terminal::Paid => "paid",
        Terminal::Failed { .. } => "failed",
        Terminal::Expired => "expired",
        Terminal::Cancelled { .. } => "cancelled",
    }
}

pub fn done(l: Locale, outcome: &Terminal, ontryagain: &Callback<()>) -> Html {
    let class = match outcome {
        Terminal::Paid => "kassa-done kassa-ok",
        _ => "kassa-done kassa-bad",
    };
    html! {
        <div {class} data-kassa="outcome">
            if *outcome == (Terminal::Failed { retry: true }) {
                <button type="button" class="kassa-primary" data-kassa="try-again" onclick={ontryagain.reform(|_| ())}>
                    { t(l, Key::TryAgain) }
                </button>
            }
        </div>
    }
}
