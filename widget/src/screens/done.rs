//! The terminal screens: paid, failed (with a retry while the order is open), expired,
//! cancelled.

use yew::{function_component, html, Callback, Html, Properties};

use kassa_shared::providers::s2_wallet::status::Locale;

use crate::i18n::{t, Key};
use crate::state::Terminal;

#[derive(Properties, PartialEq)]
pub struct DoneProps {
    pub locale: Locale,
    pub outcome: Terminal,
    pub ontryagain: Callback<()>,
}

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

#[function_component(Done)]
pub fn done(props: &DoneProps) -> Html {
    let l = props.locale;
    let class = match props.outcome {
        Terminal::Paid => "kassa-done kassa-ok",
        _ => "kassa-done kassa-bad",
    };
    html! {
        <div {class}>
            <p class="kassa-outcome" data-kassa="outcome">{ t(l, outcome_key(&props.outcome)) }</p>
            if props.outcome == (Terminal::Failed { retry: true }) {
                <button type="button" class="kassa-primary" data-kassa="try-again" onclick={props.ontryagain.reform(|_| ())}>
                    { t(l, Key::TryAgain) }
                </button>
            }
        </div>
    }
}
