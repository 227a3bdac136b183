//! Runs in headless Chromium (`wasm-bindgen-test-runner`, see webdriver.json).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kassa_widget::mount;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn options(locale: &str) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in [
        ("orderId", "476682884348973312"),
        ("clientSecret", "kcs_test"),
        ("edge", "http://127.0.0.1:8787"),
        ("locale", locale),
    ] {
        js_sys::Reflect::set(&o, &k.into(), &v.into()).unwrap();
    }
    o.into()
}

fn host() -> web_sys::Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let el = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&el).unwrap();
    el
}

async fn next_frame() {
    // Yew renders on the microtask/scheduler queue: yield to the event loop once.
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 10)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

#[wasm_bindgen_test]
async fn mounts_in_shadow_root_with_localised_status() {
    let el = host();
    let mut handle = mount(el.clone(), options("zh-CN")).unwrap();
    next_frame().await;
    let root = el.shadow_root().expect("shadow root attached");
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("#476682884348973312"), "{text}");
    assert!(text.contains("待支付"), "{text}");
    // Nothing leaks into the light DOM.
    assert_eq!(el.children().length(), 0);
    handle.destroy();
    assert_eq!(root.child_element_count(), 0);
}

#[wasm_bindgen_test]
async fn english_locale() {
    let el = host();
    let _handle = mount(el.clone(), options("en-US")).unwrap();
    next_frame().await;
    let text = el.shadow_root().unwrap().text_content().unwrap_or_default();
    assert!(text.contains("Checkout"), "{text}");
}

#[wasm_bindgen_test]
fn rejects_bad_options_naming_the_field() {
    let o = js_sys::Object::new();
    js_sys::Reflect::set(&o, &"orderId".into(), &"12x".into()).unwrap();
    let err = mount(host(), o.into()).err().expect("must fail");
    let msg = format!("{:?}", JsValue::from(err));
    assert!(msg.contains("options"), "{msg}");

    let bad_locale = options("fr-FR");
    let err = mount(host(), bad_locale).err().expect("must fail");
    let msg = format!("{:?}", JsValue::from(err));
    assert!(msg.contains("options.locale"), "{msg}");
}
