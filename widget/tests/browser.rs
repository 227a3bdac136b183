//! Runs in headless Chromium (`wasm-bindgen-test-runner`, see webdriver.json).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::rc::Rc;

use kassa_shared::surfaces::s2::status::Locale;
use kassa_widget::components::code_input::CodeInput;
use kassa_widget::events::{detail, dispatch};
use kassa_widget::mount;
use kassa_widget::state::{CheckoutState, HostEvent, Party};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use yew::{function_component, html, use_state, Callback, Html};

wasm_bindgen_test_configure!(run_in_browser);

/// Port 9 (discard): nothing listens, so the load fails fast with a network error.
const DEAD_EDGE: &str = "http://127.0.0.1:9";

fn options(locale: &str, edge: &str) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in [
        ("orderId", "476682884348973312"),
        ("clientSecret", "kcs_test"),
        ("edge", edge),
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

async fn sleep_ms(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

async fn next_frame() {
    // Yew renders on the microtask/scheduler queue: yield to the event loop once.
    sleep_ms(10).await;
}

/// Records every `kassa:*` event's detail on `el`.
fn record(el: &web_sys::Element, names: &[&str]) -> Rc<RefCell<Vec<(String, JsValue)>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    for name in names {
        let seen = seen.clone();
        let n = (*name).to_owned();
        let cb = Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
            seen.borrow_mut().push((n.clone(), e.detail()));
        });
        el.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref())
            .unwrap();
        cb.forget();
    }
    seen
}

fn get(v: &JsValue, k: &str) -> JsValue {
    js_sys::Reflect::get(v, &k.into()).unwrap()
}

#[wasm_bindgen_test]
async fn mounts_in_shadow_root_with_constructable_styles() {
    let el = host();
    let mut handle = mount(el.clone(), options("zh-CN", DEAD_EDGE)).unwrap();
    next_frame().await;
    let root = el.shadow_root().expect("shadow root attached");
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("#476682884348973312"), "{text}");
    assert!(text.contains("收银台"), "{text}");
    // Styles are an adopted sheet, not a <style> element a strict CSP would block.
    assert_eq!(root.adopted_style_sheets().length(), 1);
    assert!(root.query_selector("style").unwrap().is_none());
    // One polite live region.
    let live = root.query_selector_all("[aria-live]").unwrap();
    assert_eq!(live.length(), 1);
    // Nothing leaks into the light DOM.
    assert_eq!(el.children().length(), 0);
    handle.destroy();
    assert_eq!(root.child_element_count(), 0);
    assert_eq!(root.adopted_style_sheets().length(), 0);
}

#[wasm_bindgen_test]
async fn english_locale() {
    let el = host();
    let _handle = mount(el.clone(), options("en-US", DEAD_EDGE)).unwrap();
    next_frame().await;
    let text = el.shadow_root().unwrap().text_content().unwrap_or_default();
    assert!(text.contains("Checkout"), "{text}");
}

#[wasm_bindgen_test]
async fn unreachable_edge_shows_retry_and_fires_kassa_error() {
    let el = host();
    let seen = record(&el, &["kassa:error", "kassa:ready"]);
    let _handle = mount(el.clone(), options("en-US", DEAD_EDGE)).unwrap();
    for _ in 0..100 {
        if !seen.borrow().is_empty() {
            break;
        }
        sleep_ms(50).await;
    }
    let seen = seen.borrow().clone();
    assert_eq!(seen.len(), 1, "one event");
    let (name, d) = &seen[0];
    assert_eq!(name, "kassa:error");
    assert_eq!(
        get(d, "orderId").as_string().as_deref(),
        Some("476682884348973312")
    );
    assert_eq!(get(d, "code").as_string().as_deref(), Some("network"));
    assert_eq!(get(d, "retryable").as_bool(), Some(true));
    next_frame().await;
    let root = el.shadow_root().unwrap();
    let text = root.text_content().unwrap_or_default();
    assert!(
        text.contains("We could not reach the payment service."),
        "{text}"
    );
    let button = root.query_selector("button").unwrap().unwrap();
    assert_eq!(button.text_content().as_deref(), Some("Retry"));
    // The stable hooks end-to-end tests use.
    assert!(root
        .query_selector("[data-kassa=screen][data-screen=error] [data-kassa=retry]")
        .unwrap()
        .is_some());
    let status = root.query_selector("[data-kassa=status]").unwrap().unwrap();
    assert_eq!(status.get_attribute("aria-live").as_deref(), Some("polite"));
    assert!(status.text_content().unwrap().contains("could not reach"));
    // Said once: the status line is the only place the words are, and the only live
    // region (a screen reader would otherwise read them twice).
    assert_eq!(
        text.matches("We could not reach the payment service.")
            .count(),
        1,
        "{text}"
    );
    assert_eq!(
        root.query_selector_all("[aria-live], [role=status], [role=alert]")
            .unwrap()
            .length(),
        1
    );
}

/// The merchant's name is in the header; a name of the wrong type is refused by name.
#[wasm_bindgen_test]
async fn merchant_name_in_the_header() {
    let el = host();
    let o = options("zh-CN", DEAD_EDGE);
    js_sys::Reflect::set(&o, &"merchantName".into(), &"  Oolong & Co.  ".into()).unwrap();
    let _handle = mount(el.clone(), o).unwrap();
    next_frame().await;
    let root = el.shadow_root().unwrap();
    let name = root
        .query_selector("header [data-kassa=merchant]")
        .unwrap()
        .unwrap();
    assert_eq!(name.text_content().as_deref(), Some("Oolong & Co."));

    let o = options("en-US", DEAD_EDGE);
    js_sys::Reflect::set(&o, &"merchantName".into(), &7.into()).unwrap();
    let msg = format!("{:?}", JsValue::from(mount(host(), o).err().unwrap()));
    assert!(
        msg.contains("options.merchantName: must be a string"),
        "{msg}"
    );
}

#[wasm_bindgen_test]
fn event_details() {
    let el = host();
    let seen = record(&el, &["kassa:failed", "kassa:cancelled"]);
    let state = CheckoutState::new();
    for event in [
        HostEvent::Failed {
            retry: true,
            reason: "declined".into(),
        },
        HostEvent::Cancelled { by: Party::Shopper },
    ] {
        dispatch(&el, event.name(), &detail("42", &state, &event));
    }
    let seen = seen.borrow();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0, "kassa:failed");
    assert_eq!(get(&seen[0].1, "retry").as_bool(), Some(true));
    assert_eq!(
        get(&seen[0].1, "reason").as_string().as_deref(),
        Some("declined")
    );
    assert_eq!(
        get(&seen[0].1, "orderId").as_string().as_deref(),
        Some("42")
    );
    assert_eq!(seen[1].0, "kassa:cancelled");
    assert_eq!(
        get(&seen[1].1, "by").as_string().as_deref(),
        Some("shopper")
    );
    // Plain objects for pages (json_compatible), no absent fields as `undefined` keys.
    assert!(!js_sys::Reflect::has(&seen[1].1, &"retry".into()).unwrap());
}

#[function_component(CodeHarness)]
fn code_harness() -> Html {
    let value = use_state(String::new);
    let onchange = {
        let value = value.clone();
        Callback::from(move |v: String| value.set(v))
    };
    html! {
        <>
            <CodeInput locale={Locale::EnUs} value={(*value).clone()} {onchange} />
            <output id="seen">{ (*value).clone() }</output>
        </>
    }
}

fn paste(target: &web_sys::Element, text: &str) {
    let data = web_sys::DataTransfer::new().unwrap();
    data.set_data("text/plain", text).unwrap();
    let init = web_sys::ClipboardEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_clipboard_data(Some(&data));
    let event = web_sys::ClipboardEvent::new_with_event_init_dict("paste", &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
async fn code_input_paste_focus_and_attributes() {
    let el = host();
    yew::Renderer::<CodeHarness>::with_root(el.clone()).render();
    next_frame().await;
    let input: web_sys::HtmlInputElement = el
        .query_selector("input")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(input.get_attribute("inputmode").as_deref(), Some("numeric"));
    assert_eq!(
        input.get_attribute("autocomplete").as_deref(),
        Some("one-time-code")
    );
    // Labelled.
    let label = el.query_selector("label[for=kassa-code]").unwrap().unwrap();
    assert_eq!(label.text_content().as_deref(), Some("6-digit code"));
    // Focus moved to the field.
    let active = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .active_element()
        .unwrap();
    let input_el: &web_sys::Element = input.as_ref();
    assert_eq!(&active, input_el);

    paste(&input, "12a456");
    next_frame().await;
    assert_eq!(input.value(), "");
    assert!(el.text_content().unwrap().contains("Paste a 6-digit code."));

    paste(&input, "123456");
    next_frame().await;
    assert_eq!(input.value(), "123456");
    let seen = el.query_selector("#seen").unwrap().unwrap();
    assert_eq!(seen.text_content().as_deref(), Some("123456"));
    assert!(!el.text_content().unwrap().contains("Paste a 6-digit code."));
}

#[wasm_bindgen_test]
fn rejects_bad_options_naming_the_field() {
    let o = js_sys::Object::new();
    js_sys::Reflect::set(&o, &"orderId".into(), &"12x".into()).unwrap();
    let err = mount(host(), o.into()).err().expect("must fail");
    let msg = format!("{:?}", JsValue::from(err));
    assert!(msg.contains("options"), "{msg}");

    let bad_locale = options("fr-FR", DEAD_EDGE);
    let err = mount(host(), bad_locale).err().expect("must fail");
    let msg = format!("{:?}", JsValue::from(err));
    assert!(msg.contains("options.locale"), "{msg}");

    // Read by serde-wasm-bindgen, still named to the member.
    let message = |o: JsValue| {
        let err = mount(host(), o).err().expect("must fail");
        format!("{:?}", JsValue::from(err))
    };
    let o = options("en-US", DEAD_EDGE);
    js_sys::Reflect::delete_property(o.unchecked_ref::<js_sys::Object>(), &"clientSecret".into())
        .unwrap();
    let msg = message(o);
    assert!(msg.contains("options.clientSecret: missing"), "{msg}");
    let o = options("en-US", DEAD_EDGE);
    let theme = js_sys::Object::new();
    js_sys::Reflect::set(&theme, &"accent".into(), &3.into()).unwrap();
    js_sys::Reflect::set(&o, &"theme".into(), &theme).unwrap();
    let msg = message(o);
    assert!(
        msg.contains("options.theme.accent: must be a string"),
        "{msg}"
    );
    let o = options("en-US", DEAD_EDGE);
    js_sys::Reflect::set(&o, &"theme".into(), &"sepia".into()).unwrap();
    let msg = message(o);
    assert!(msg.contains("options.theme: unknown value"), "{msg}");
    let msg = message(JsValue::from(5));
    assert!(msg.contains("options: must be an object"), "{msg}");
}

#[wasm_bindgen_test]
async fn custom_element_mounts_from_attributes_and_destroys_on_removal() {
    kassa_widget::define_element();
    kassa_widget::define_element(); // idempotent
    let doc = web_sys::window().unwrap().document().unwrap();
    let el = doc.create_element("kassa-checkout").unwrap();
    for (k, v) in [
        ("order-id", "476682884348973312"),
        ("client-secret", "kcs_test"),
        ("edge", DEAD_EDGE),
        ("locale", "zh-CN"),
        ("theme", "dark"),
    ] {
        el.set_attribute(k, v).unwrap();
    }
    let seen = record(&el, &["kassa:error"]);
    doc.body().unwrap().append_child(&el).unwrap();
    next_frame().await;
    let root = el.shadow_root().expect("mounted on connect");
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("收银台"), "{text}");
    assert!(root.query_selector(".kassa.kassa-dark").unwrap().is_some());
    for _ in 0..100 {
        if !seen.borrow().is_empty() {
            break;
        }
        sleep_ms(50).await;
    }
    assert_eq!(
        get(&seen.borrow()[0].1, "code").as_string().as_deref(),
        Some("network")
    );
    // An attribute change re-mounts with the new options.
    el.set_attribute("locale", "en-US").unwrap();
    next_frame().await;
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("Checkout"), "{text}");
    el.remove();
    assert_eq!(root.child_element_count(), 0, "destroyed on disconnect");
}

#[wasm_bindgen_test]
async fn custom_element_reports_bad_attributes() {
    kassa_widget::define_element();
    let doc = web_sys::window().unwrap().document().unwrap();
    let el = doc.create_element("kassa-checkout").unwrap();
    el.set_attribute("order-id", "12x").unwrap();
    let seen = record(&el, &["kassa:error"]);
    doc.body().unwrap().append_child(&el).unwrap();
    let seen = seen.borrow();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        get(&seen[0].1, "code").as_string().as_deref(),
        Some("options")
    );
    let msg = get(&seen[0].1, "message").as_string().unwrap();
    assert!(msg.contains("options.orderId"), "{msg}");
}
