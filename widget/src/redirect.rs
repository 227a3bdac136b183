//! The Paytm hand-off (SPEC 3.3, S1 `preOrder` for `payType` 1): the edge signs the form
//! (`CHECKSUMHASH`) and the browser posts it to Paytm's process page itself — a
//! top-level navigation, as Paytm's own checkout pages expect, so Paytm returns the
//! shopper to the merchant afterwards. The page's CSP must list Paytm's process URL in
//! `form-action`.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlFormElement, HtmlInputElement};

use crate::wire::PaytmForm;

/// Builds `<form method="post" action=…>` with one hidden input per parameter in the
/// host page's document (outside the shadow root, so nothing in the widget's tree can
/// intercept it) and submits it. Returns the form, or `None` if the DOM refused.
pub fn post_form(host: &Element, form: &PaytmForm) -> Option<HtmlFormElement> {
    let document = host.owner_document()?;
    let el: HtmlFormElement = document.create_element("form").ok()?.dyn_into().ok()?;
    el.set_method("post");
    el.set_action(&form.action);
    el.set_attribute("data-kassa", "paytm-form").ok()?;
    el.set_hidden(true);
    for (name, value) in &form.params {
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
