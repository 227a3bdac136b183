//! The Kassa checkout widget: a Yew component compiled to WebAssembly.
//!
//! A merchant page imports the ES module built by `cargo xtask widget` and calls
//! `mount(element, options)`; the widget renders inside a shadow root on that element so
//! the page's styles and the widget's never leak into each other.

use wasm_bindgen::prelude::*;
use web_sys::{Element, ShadowRootInit, ShadowRootMode};

mod app;
mod options;

pub use app::{App, AppProps};
pub use options::MountOptions;

/// Styles live in the shadow root; theming goes through CSS custom properties.
const STYLE: &str = include_str!("style.css");

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
        }
    }
}

/// Mounts the checkout on `element` with `options` (`{ orderId, clientSecret, edge, locale }`).
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
    let style = document
        .create_element("style")
        .map_err(|_| JsError::new("document: cannot create <style>"))?;
    style.set_text_content(Some(STYLE));
    let container = document
        .create_element("div")
        .map_err(|_| JsError::new("document: cannot create <div>"))?;
    container.set_class_name("kassa");
    root.append_child(&style)
        .map_err(|_| JsError::new("shadow root: append failed"))?;
    root.append_child(&container)
        .map_err(|_| JsError::new("shadow root: append failed"))?;
    let app = yew::Renderer::<App>::with_root_and_props(container, AppProps { options }).render();
    Ok(Handle {
        app: Some(app),
        host: element,
    })
}
