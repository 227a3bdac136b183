//! The provider hand-off (SPEC 8): the edge names where the channel needs the shopper
//! (`wire::Handoff`) and the browser goes there itself, a top-level navigation, so the
//! provider brings the shopper back to the merchant's page afterwards:
//! - `GET`: `location.assign(url)` (a Ping++ channel page as pingpp-js would open it,
//!   the S3 cashier with `pay_token`);
//! - `POST`: a hidden form posted to `url` (Paytm's process page with the signed
//!   fields). The page's CSP must list that URL in `form-action`.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlFormElement, HtmlInputElement};

use crate::wire::Handoff;

/// Sends the browser on. Returns `None` if the DOM refused.
pub fn go(host: &Element, handoff: &Handoff) -> Option<()> {
    if handoff.post {
        post_form(host, handoff).map(|_| ())
    } else {
        web_sys::window()?.location().assign(&handoff.url).ok()
    }
}

/// Builds `<form method="post" action=…>` with one hidden input per field in the host
/// page's document (outside the shadow root, so nothing in the widget's tree can
/// intercept it) and submits it. Returns the form, or `None` if the DOM refused.
pub fn post_form(host: &Element, handoff: &Handoff) -> Option<HtmlFormElement> {
    let document = host.owner_document()?;
    let el: HtmlFormElement = document.create_element("form").ok()?.dyn_into().ok()?;
    el.set_method("post");
    el.set_action(&handoff.url);
    el.set_attribute("data-kassa", "handoff-form").ok()?;
    el.set_hidden(true);
    for (name, value) in &handoff.fields {
        let input: HtmlInputElement = document.create_element("input").ok()?.dyn_into().ok()?;
        input.set_type("hidden");
        input.set_name(name);
        input.set_value(value);
        el.append_child(&input).ok()?;
    }
    document.body()?.append_child(&el).ok()?;
    el.submit().ok()?;
    Some(el)
}
