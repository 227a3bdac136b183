//! The Kassa checkout widget: a Yew component compiled to WebAssembly.
//!
//! A merchant page imports the ES module built by `cargo xtask widget` and calls
//! `mount(element, options)`; the widget renders inside a shadow root on that element so
//! the page's styles and the widget's never leak into each other. Loading the module
//! also defines the `<kassa-checkout>` element (`element.rs`). The module also exports
//! `sealField(edge, text)` (`seal.rs`, SPEC 4.5) for fields only the edge may read.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CssStyleSheet, Element, ShadowRootInit, ShadowRootMode};

pub mod api;
mod app;
pub mod components;
pub mod device;
mod element;
pub mod events;
pub mod hooks;
pub mod i18n;
pub mod json;
pub mod options;
pub mod redirect;
pub mod screens;
pub mod seal;
pub mod state;
pub mod wire;

pub use app::{status_text, App, AppProps};
pub use element::define_element;
pub use options::{MountOptions, Scheme, Theme};

/// Styles live in the shadow root; theming goes through the `--kassa-*` custom
/// properties documented at the top of `style.css` (embedded minified, `build.rs`).
pub const STYLE: &str = include_str!(concat!(env!("OUT_DIR"), "/style.min.css"));

/// What `mount` returns to the page.
#[wasm_bindgen]
pub struct Handle {
    app: Option<yew::AppHandle<App>>,
    host: Element,
}

#[wasm_bindgen]
impl Handle {
    /// Unmounts the widget and empties its shadow root.
    pub fn destroy(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
        if let Some(root) = self.host.shadow_root() {
            root.set_inner_html("");
            root.set_adopted_style_sheets(&js_sys::Array::new());
        }
    }
}

/// Mounts the checkout on `element` with `options` (`{ orderId, clientSecret, edge, locale,
/// theme }`).
///
/// # Errors
/// A JS error naming the option that was missing or invalid, or the DOM call that failed.
#[wasm_bindgen]
pub fn mount(element: Element, options: JsValue) -> Result<Handle, JsError> {
    let options = MountOptions::from_js(options)?;
    let root = match element.shadow_root() {
        Some(root) => root,
        None => element
            .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
            .map_err(|_| JsError::new("element: cannot attach a shadow root"))?,
    };
    root.set_inner_html("");
    let document = element
        .owner_document()
        .ok_or_else(|| JsError::new("element: is not in a document"))?;
    // A constructable stylesheet, not a <style> element: a CSP `style-src` without
    // 'unsafe-inline' blocks <style> elements but allows adopted sheets (SPEC 8).
    let sheet = CssStyleSheet::new()
        .map_err(|_| JsError::new("document: cannot construct a CSSStyleSheet"))?;
    sheet
        .replace_sync(STYLE)
        .map_err(|_| JsError::new("style.css: the stylesheet does not parse"))?;
    root.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
    let container = document
        .create_element("div")
        .map_err(|_| JsError::new("document: cannot create <div>"))?;
    container.set_class_name(match options.theme.scheme {
        Scheme::Light => "kassa",
        Scheme::Dark => "kassa kassa-dark",
    });
    if let Ok(html) = container.clone().dyn_into::<web_sys::HtmlElement>() {
        for (name, value) in &options.theme.properties {
            // CSSOM, not a `style` attribute: allowed under a CSP without unsafe-inline.
            html.style()
                .set_property(name, value)
                .map_err(|_| JsError::new("options.theme: the browser refused a property"))?;
        }
    }
    root.append_child(&container)
        .map_err(|_| JsError::new("shadow root: append failed"))?;
    // The order is asked for now, before the first render, not from the app's first
    // effect: the answer travels while yew builds the skeleton.
    let back = options
        .return_url
        .clone()
        .or_else(|| web_sys::window().and_then(|w| w.location().href().ok()));
    let client = api::Client::new(&options.edge, &options.client_secret, options.order_id)
        .with_device(device::id())
        .with_return_url(back);
    let first_load = api::FirstLoad::start(&client, options.early_load.clone());
    let app = yew::Renderer::<App>::with_root_and_props(
        container,
        AppProps {
            options,
            client: std::rc::Rc::new(client),
            first_load,
            host: element.clone(),
        },
    )
    .render();
    Ok(Handle {
        app: Some(app),
        host: element,
    })
}

/// Talc instead of Rust's default wasm allocator (dlmalloc): the same job in fewer bytes
/// of the bundle, and faster in talc's wasm benchmarks.
// SAFETY: the widget runs in a browser's single-threaded wasm (no shared memory, no
// threads), which is what `TalckWasm` requires.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
#[global_allocator]
static ALLOCATOR: talc::TalckWasm = unsafe { talc::TalckWasm::new_global() };
