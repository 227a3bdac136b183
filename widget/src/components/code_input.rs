//! The 6-digit code field (SPEC 8): numeric keypad on phones, the OS's one-time-code
//! autofill, paste of a whole code, focus on entry.

use wasm_bindgen::JsCast;
use web_sys::{ClipboardEvent, Event, HtmlInputElement};
use yew::{
    function_component, html, use_effect_with, use_node_ref, use_state, Callback, Html, InputEvent,
    Properties, TargetCast,
};

use kassa_shared::surfaces::s2::status::Locale;

use crate::i18n::{t, Key};

pub const CODE_LEN: usize = 6;

/// A pasted code: surrounding white space and single inner spaces or hyphens
/// (`"123 456"`, `"123-456"` as SMS apps copy them) are dropped; anything else that is
/// not exactly six ASCII digits is refused.
#[must_use]
pub fn sanitize_pasted_code(text: &str) -> Option<String> {
    let code: String = text
        .trim()
        .chars()
        .filter(|c| *c != ' ' && *c != '-')
        .collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// Typed input: digits kept, everything else dropped, at most six.
#[must_use]
pub fn sanitize_typed_code(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_digit)
        .take(CODE_LEN)
        .collect()
}

#[derive(Properties, PartialEq)]
pub struct CodeInputProps {
    pub locale: Locale,
    pub value: String,
    pub onchange: Callback<String>,
    /// The id of the element describing the field's error, if any.
    #[prop_or_default]
    pub describedby: Option<String>,
    #[prop_or_default]
    pub disabled: bool,
}

#[function_component(CodeInput)]
pub fn code_input(props: &CodeInputProps) -> Html {
    let input = use_node_ref();
    let refused = use_state(|| false);
    {
        // Focus moves to the field when the code step opens (SPEC 8).
        let input = input.clone();
        use_effect_with((), move |()| {
            if let Some(el) = input.cast::<HtmlInputElement>() {
                let _ = el.focus();
            }
        });
    }
    let oninput = {
        let onchange = props.onchange.clone();
        let refused = refused.clone();
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            let clean = sanitize_typed_code(&el.value());
            if clean != el.value() {
                el.set_value(&clean);
            }
            refused.set(false);
            onchange.emit(clean);
        })
    };
    let onpaste = {
        let onchange = props.onchange.clone();
        let refused = refused.clone();
        Callback::from(move |e: Event| {
            // yew types `onpaste` as a plain Event; browsers deliver a ClipboardEvent.
            let text = e
                .dyn_ref::<ClipboardEvent>()
                .and_then(ClipboardEvent::clipboard_data)
                .and_then(|d| d.get_data("text/plain").ok())
                .unwrap_or_default();
            // Handled here either way: the browser's own paste would insert the raw text.
            e.prevent_default();
            if let Some(code) = sanitize_pasted_code(&text) {
                if let Some(el) = e.target_dyn_into::<HtmlInputElement>() {
                    el.set_value(&code);
                }
                refused.set(false);
                onchange.emit(code);
            } else {
                refused.set(true);
            }
        })
    };
    let describedby = match (*refused, &props.describedby) {
        (true, _) => Some("kassa-code-paste".to_owned()),
        (false, d) => d.clone(),
    };
    html! {
        <div class="kassa-field">
            <label for="kassa-code">{ t(props.locale, Key::CodeLabel) }</label>
            <input
                id="kassa-code"
                ref={input}
                class="kassa-code"
                data-kassa="code-input"
                type="text"
                name="one-time-code"
                inputmode="numeric"
                autocomplete="one-time-code"
                pattern="[0-9]{6}"
                maxlength="6"
                required=true
                aria-describedby={describedby}
                disabled={props.disabled}
                value={props.value.clone()}
                {oninput}
                {onpaste}
            />
            if *refused {
                <p id="kassa-code-paste" class="kassa-error">{ t(props.locale, Key::PasteRefused) }</p>
            }
        </div>
    }
}
