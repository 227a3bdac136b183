//! The second factor (SPEC 6, 8): GA asks for the authenticator code; MOBILE / EMAIL
//! show where the code went and offer a resend after 60 s.

use std::rc::Rc;

use yew::{function_component, html, use_state, Callback, Html, Properties, SubmitEvent};

use kassa_shared::surfaces::s2::status::Locale;
use kassa_shared::surfaces::s2::wire::{AuthType, LoadPayDataResponse};

use crate::components::code_input::{CodeInput, CODE_LEN};
use crate::hooks::{now_ms, use_countdown};
use crate::i18n::{t, tf, Key};
use crate::state::CodeNotice;

#[derive(Properties, PartialEq)]
pub struct CodeEntryProps {
    pub data: Rc<LoadPayDataResponse>,
    pub locale: Locale,
    pub notice: CodeNotice,
    /// When a resend is allowed (Unix ms); `None` before the first send.
    pub resend_at_ms: Option<u64>,
    /// A send is in flight.
    pub sending: bool,
    pub onsubmit: Callback<String>,
    pub onresend: Callback<()>,
    pub oncancel: Callback<()>,
}

/// The code step's notice in words: a wrong code or the lock (the status line says it).
#[must_use]
pub fn notice_text(notice: &CodeNotice, locale: Locale, now_ms: u64) -> Option<String> {
    match notice {
        CodeNotice::None => None,
        CodeNotice::Wrong {
            attempts_left: Some(n),
        } => Some(tf(locale, Key::WrongCodeAttempts, &[("n", &n.to_string())])),
        CodeNotice::Wrong {
            attempts_left: None,
        } => Some(t(locale, Key::WrongCode).to_owned()),
        CodeNotice::Locked { until_ms } => {
            // SPEC 5 locks for 15 min; say so when the edge gave no time.
            let minutes = until_ms.map_or(15, |u| u.saturating_sub(now_ms).div_ceil(60_000));
            Some(tf(locale, Key::Locked, &[("n", &minutes.to_string())]))
        }
    }
}

/// What the status line says on the code step: the notice if there is one, else where
/// the code went (or that it is on its way), or for an authenticator where to find it.
/// The form's heading names the step, so the status line never repeats it.
#[must_use]
pub fn status(
    data: &LoadPayDataResponse,
    notice: &CodeNotice,
    resend_at_ms: Option<u64>,
    locale: Locale,
    now_ms: u64,
) -> String {
    if let Some(text) = notice_text(notice, locale, now_ms) {
        return text;
    }
    let user = &data.user_info;
    let contact = match data.auth_type {
        AuthType::Ga => return t(locale, Key::CodeHintGa).to_owned(),
        AuthType::Mobile => user.mobile.as_deref(),
        AuthType::Email => user.email.as_deref(),
    };
    match (contact, resend_at_ms) {
        (Some(to), Some(_)) if !to.is_empty() => tf(locale, Key::CodeSentTo, &[("to", to)]),
        (_, Some(_)) => t(locale, title_key(data.auth_type)).to_owned(),
        (_, None) => t(locale, Key::SendingCode).to_owned(),
    }
}

/// The id of the status line while it holds a code notice: the code field's
/// description, and the hook pages and tests read the notice by.
pub const NOTICE_ID: &str = "kassa-code-notice";

#[must_use]
pub fn title_key(auth: AuthType) -> Key {
    match auth {
        AuthType::Ga => Key::CodeTitleGa,
        AuthType::Mobile => Key::CodeTitleSms,
        AuthType::Email => Key::CodeTitleEmail,
    }
}

#[function_component(CodeEntry)]
pub fn code_entry(props: &CodeEntryProps) -> Html {
    let l = props.locale;
    let code = use_state(String::new);
    let resend_left = use_countdown(props.resend_at_ms.unwrap_or(0));
    let auth = props.data.auth_type;
    let locked = matches!(props.notice, CodeNotice::Locked { .. });
    let onchange = {
        let code = code.clone();
        Callback::from(move |v: String| code.set(v))
    };
    let onsubmit = {
        let code = code.clone();
        let submit = props.onsubmit.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if code.len() == CODE_LEN {
                submit.emit((*code).clone());
            }
        })
    };
    // The notice and where the code went are in the app's status line (`status`),
    // which the field names as its description while there is a notice.
    let notice = notice_text(&props.notice, l, now_ms());
    let resend = if auth.needs_code_sent() {
        let label = if props.resend_at_ms.is_none() {
            t(l, Key::SendCode).to_owned()
        } else if resend_left > 0 {
            tf(l, Key::ResendIn, &[("n", &resend_left.to_string())])
        } else {
            t(l, Key::Resend).to_owned()
        };
        let disabled = props.sending || resend_left > 0 || locked;
        let onclick = props.onresend.reform(|_| ());
        html! { <button type="button" class="kassa-link" data-kassa="resend" {disabled} {onclick}>{ label }</button> }
    } else {
        html! {}
    };
    html! {
        <form class="kassa-code-step" {onsubmit} novalidate=true>
            <h3>{ t(l, title_key(auth)) }</h3>
            <CodeInput locale={l} value={(*code).clone()} {onchange} disabled={locked}
                describedby={notice.as_ref().map(|_| NOTICE_ID.to_owned())} />
            { resend }
            <div class="kassa-actions">
                <button type="submit" class="kassa-primary" data-kassa="submit-code" disabled={locked || code.len() != CODE_LEN}>
                    { t(l, Key::Submit) }
                </button>
                <button type="button" class="kassa-secondary" data-kassa="cancel" onclick={props.oncancel.reform(|_| ())}>
                    { t(l, Key::Cancel) }
                </button>
            </div>
        </form>
    }
}
