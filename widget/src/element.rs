//! The `<kassa-checkout>` custom element (SPEC 8): defined when the module loads, in
//! `element.js` (a class must extend `HTMLElement`, which Rust cannot do), calling back
//! into [`crate::mount`]. wasm-bindgen ships the file as a module snippet next to
//! `kassa.js`, so no inline script is needed.

use wasm_bindgen::prelude::*;
use web_sys::Element;

#[wasm_bindgen(module = "/src/element.js")]
extern "C" {
    #[wasm_bindgen(js_name = defineKassaCheckout)]
    fn define_kassa_checkout(mount: &Closure<dyn Fn(Element, JsValue) -> Result<JsValue, JsValue>>);
}

/// Defines `<kassa-checkout>` unless the page already has one (idempotent). Runs when
/// the module starts; exported for pages that load the module before `customElements`
/// polyfills.
#[wasm_bindgen(js_name = defineElement)]
pub fn define_element() {
    let mount = Closure::<dyn Fn(Element, JsValue) -> Result<JsValue, JsValue>>::new(
        |element: Element, options: JsValue| {
            crate::mount(element, options)
                .map(JsValue::from)
                .map_err(JsValue::from)
        },
    );
    define_kassa_checkout(&mount);
    // Lives as long as the page: the element class calls it on every connect.
    mount.forget();
}

#[wasm_bindgen(start)]
fn start() {
    define_element();
}
