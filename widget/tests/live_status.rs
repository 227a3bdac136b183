//! The network layer in headless Chromium (`net.rs`): `api::send` through the browser's
//! `fetch`, and `use_order_events` following an order over a WebSocket and by polling.
//! `window.fetch` and `window.WebSocket` are swapped for recorders that answer like the
//! edge, so the test sees exactly what the widget asks for and what it leaves behind
//! after teardown (handlers detached, socket closed, no more polls).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use kassa_shared::id::Id;
use kassa_shared::surfaces::s2::status::Status;
use kassa_shared::surfaces::s2::wire::LoadPayDataResponse;
use kassa_widget::api::{send, ApiError, Client};
use kassa_widget::hooks::use_order_events;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use yew::{function_component, html, Callback, Html, Properties};

wasm_bindgen_test_configure!(run_in_browser);

/// Installs the recorders and returns their log: `fetches` (`{url, method, auth, type,
/// body}` each), `sockets` (the fake sockets opened), and the knobs `answer` / `status`
/// (what fetch answers) and `refuse` (the WebSocket constructor throws, as a browser
/// does for a URL or protocol it will not open). `restore()` puts the real ones back.
const FAKES: &str = r#"
// Kept on first install: a test that failed (wasm panics abort, no Drop) left its fakes.
const real = (window.kassaRealNet ??= { fetch: window.fetch, WebSocket: window.WebSocket });
const log = { fetches: [], sockets: [], answer: '{}', status: 200, refuse: false };
class FakeSocket {
  constructor(url, protocols) {
    if (log.refuse) throw new DOMException('refused', 'SyntaxError');
    this.url = url;
    this.protocols = Array.from(protocols);
    this.closes = 0;
    this.readyState = 1;
    // gloo-net listens with addEventListener (`once` for open and close).
    this.listeners = [];
    log.sockets.push(this);
  }
  addEventListener(type, fn, opts) {
    this.listeners.push({ type, fn, once: !!(opts && opts.once) });
  }
  removeEventListener(type, fn) {
    this.listeners = this.listeners.filter((l) => !(l.type === type && l.fn === fn));
  }
  dispatchEvent(e) {
    for (const l of this.listeners.filter((l) => l.type === e.type)) {
      if (l.once) this.removeEventListener(l.type, l.fn);
      l.fn(e);
    }
    return true;
  }
  listening(type) { return this.listeners.some((l) => l.type === type); }
  close() { this.closes += 1; this.readyState = 3; }
  frame(data) { this.dispatchEvent(new MessageEvent('message', { data })); }
  fail() {
    this.dispatchEvent(new Event('error'));
    this.dispatchEvent(new CloseEvent('close', { code: 1006 }));
  }
}
window.WebSocket = FakeSocket;
window.fetch = async (url, init) => {
  const req = new Request(url, init);
  const body = await req.text();
  log.fetches.push({ url: req.url, method: req.method, body,
    auth: req.headers.get('Authorization'), type: req.headers.get('Content-Type'),
    key: req.headers.get('Idempotency-Key') });
  return new Response(log.answer, { status: log.status });
};
log.restore = () => { window.fetch = real.fetch; window.WebSocket = real.WebSocket; };
return log;
"#;

struct Fakes(JsValue);

impl Fakes {
    fn install() -> Self {
        let log = js_sys::Function::new_no_args(FAKES)
            .call0(&JsValue::NULL)
            .unwrap();
        Self(log)
    }

    fn set(&self, key: &str, value: &JsValue) {
        js_sys::Reflect::set(&self.0, &key.into(), value).unwrap();
    }

    fn list(&self, key: &str) -> js_sys::Array {
        js_sys::Array::from(&prop(&self.0, key))
    }

    fn fetches(&self) -> u32 {
        self.list("fetches").length()
    }

    /// The one socket opened so far.
    fn socket(&self) -> JsValue {
        let sockets = self.list("sockets");
        assert_eq!(sockets.length(), 1, "one socket");
        sockets.get(0)
    }
}

impl Drop for Fakes {
    fn drop(&mut self) {
        let restore = js_sys::Function::from(prop(&self.0, "restore"));
        restore.call0(&self.0).unwrap();
    }
}

fn prop(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &key.into()).unwrap()
}

fn text(v: &JsValue, key: &str) -> Option<String> {
    prop(v, key).as_string()
}

fn call(v: &JsValue, method: &str, args: &[&str]) {
    let f = js_sys::Function::from(prop(v, method));
    let args: js_sys::Array = args.iter().map(|a| JsValue::from_str(a)).collect();
    f.apply(v, &args).unwrap();
}

async fn wait_for(what: &str, done: impl Fn() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        yew::platform::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

fn listening(socket: &JsValue, kind: &str) -> bool {
    let f = js_sys::Function::from(prop(socket, "listening"));
    f.call1(socket, &kind.into()).unwrap().as_bool() == Some(true)
}

/// Whether the widget has let go of `socket` (gloo-net's drop closes it and removes
/// its listeners).
fn released(socket: &JsValue) -> bool {
    prop(socket, "closes").as_f64() == Some(1.0) && !listening(socket, "message")
}

/// Listeners gone (so nothing calls into freed closures) and `close()` called once.
fn assert_released(socket: &JsValue) {
    for kind in ["open", "message", "error", "close"] {
        assert!(!listening(socket, kind), "{kind} listener still set");
    }
    assert_eq!(prop(socket, "closes").as_f64(), Some(1.0));
}

const EDGE: &str = "https://edge.example";

fn client() -> Client {
    Client::new(EDGE, "kcs_live", Id::new(476_682_884_348_973_312).unwrap())
}

/// A `load_pay_data` answer whose order is in `status`.
fn load_answer(status: &str) -> String {
    let order = serde_json::json!({
        "orderId": "476682884348973312", "clientOrderId": "L1", "isMapping": false,
        "payerUserId": "83214971450163200", "payeeUserId": "231215678785585152",
        "payInfo": [], "productInfo": [], "status": status, "statusDesc": "",
        "expired": "1571561027984", "created": "1571560000000", "updated": "1571560000000"
    });
    serde_json::json!({
        "orderInfo": order, "need2FA": false, "authType": "GA",
        "userInfo": {"userId": "83214971450163200", "registerType": 1, "bindGA": true,
            "bindTradePwd": false, "userType": 1, "verifyStatus": 1, "mobile": ""}
    })
    .to_string()
}

#[derive(Properties, PartialEq)]
struct FollowProps {
    client: Rc<Client>,
    on_status: Callback<Status>,
}

#[function_component(Follow)]
fn follow(props: &FollowProps) -> Html {
    use_order_events(props.client.clone(), true, props.on_status.clone());
    html! {}
}

/// Mounts [`Follow`] on a fresh element; the statuses it reports land in the list.
fn follow_order() -> (yew::AppHandle<Follow>, Seen) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let on_status = {
        let seen = seen.clone();
        Callback::from(move |s| seen.borrow_mut().push(s))
    };
    let doc = web_sys::window().unwrap().document().unwrap();
    let el = doc.create_element("div").unwrap();
    let props = FollowProps {
        client: Rc::new(client()),
        on_status,
    };
    let app = yew::Renderer::<Follow>::with_root_and_props(el, props).render();
    (app, seen)
}

type Seen = Rc<RefCell<Vec<Status>>>;

/// Fakes answering `load_pay_data` with `status`, [`Follow`] mounted, and the socket it
/// opened after its first poll.
async fn following_with_socket(status: &str) -> (Fakes, yew::AppHandle<Follow>, Seen, JsValue) {
    let fakes = Fakes::install();
    fakes.set("answer", &load_answer(status).into());
    let (app, seen) = follow_order();
    wait_for("the socket", || fakes.list("sockets").length() == 1).await;
    let socket = fakes.socket();
    (fakes, app, seen, socket)
}

#[wasm_bindgen_test]
async fn send_carries_out_the_request_and_reads_the_answer() {
    let fakes = Fakes::install();
    let c = client();
    fakes.set("answer", &load_answer("PROCESSING").into());
    let data: LoadPayDataResponse = send(&c.load_pay_data(), "load_pay_data").await.unwrap();
    assert_eq!(data.order_info.status, Status::Processing);
    let key = kassa_widget::api::IdempotencyKey::from_bytes([7; 16]);
    fakes.set(
        "answer",
        &r#"{"status":409,"code":"order_not_payable","message":"expired"}"#.into(),
    );
    fakes.set("status", &409.into());
    let err = send::<LoadPayDataResponse>(&c.quick_pay(&key), "quick_pay")
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ApiError::OrderClosed {
            code: "order_not_payable".to_owned(),
            message: "expired".to_owned()
        }
    );
    // A 2xx body that is not the shape names what it was reading.
    fakes.set("answer", &"{}".into());
    fakes.set("status", &200.into());
    let err = send::<LoadPayDataResponse>(&c.load_pay_data(), "load_pay_data")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Decode {
                what: "load_pay_data",
                ..
            }
        ),
        "{err:?}"
    );

    let sent = fakes.list("fetches");
    assert_eq!(sent.length(), 3);
    let get = sent.get(0);
    assert_eq!(text(&get, "url"), Some(c.load_pay_data().href()));
    assert_eq!(text(&get, "method").as_deref(), Some("GET"));
    assert_eq!(text(&get, "auth").as_deref(), Some("Bearer kcs_live"));
    assert_eq!(text(&get, "body").as_deref(), Some(""));
    let post = sent.get(1);
    assert_eq!(text(&post, "method").as_deref(), Some("POST"));
    assert_eq!(text(&post, "auth").as_deref(), Some("Bearer kcs_live"));
    assert_eq!(text(&post, "type").as_deref(), Some("application/json"));
    assert_eq!(text(&post, "key"), Some(key.as_str().to_owned()));
    assert_eq!(text(&post, "body"), c.quick_pay(&key).body);
}

/// The real `fetch` with nothing listening: the browser's own message, retryable.
#[wasm_bindgen_test]
async fn send_without_an_answer_is_a_network_error() {
    // Installing and dropping the fakes puts the browser's own fetch in place.
    drop(Fakes::install());
    let dead = Client::new("http://127.0.0.1:9", "kcs_live", Id::new(1).unwrap());
    let err = send::<LoadPayDataResponse>(&dead.load_pay_data(), "load_pay_data")
        .await
        .unwrap_err();
    let ApiError::Network(message) = &err else {
        panic!("{err:?}")
    };
    // Chromium's words for a refused connection (the runner is Chromium).
    assert_eq!(message, "Failed to fetch");
    assert!(err.retryable());
}

/// One poll, then the socket: its text frames are statuses (frames that came before
/// the socket failed included); once it fails it is released and polling takes over
/// every 2 s; after teardown nothing runs.
#[wasm_bindgen_test]
async fn socket_frames_then_polling_after_it_fails() {
    let (fakes, app, seen, socket) = following_with_socket("WAIT_FOR_PAYMENT").await;
    assert_eq!(fakes.fetches(), 1, "one poll before the socket");
    assert_eq!(text(&socket, "url"), Some(client().events_url()));
    let protocols: Vec<String> = js_sys::Array::from(&prop(&socket, "protocols"))
        .iter()
        .map(|p| p.as_string().unwrap())
        .collect();
    assert_eq!(protocols, ["kassa.v1", "bearer.kcs_live"]);
    wait_for("the first poll's status", || seen.borrow().len() == 1).await;

    call(
        &socket,
        "frame",
        &[r#"{"order_id":"1","status":"processing","s2_status":2}"#],
    );
    call(&socket, "frame", &[r#"{"type":"ping"}"#]);
    wait_for("the pushed status", || seen.borrow().len() == 2).await;
    call(&socket, "frame", &[r#"{"status":"COMPLETED"}"#]);
    call(&socket, "fail", &[]);
    wait_for("the socket's release", || released(&socket)).await;
    assert_released(&socket);
    assert_eq!(
        *seen.borrow(),
        [
            Status::WaitForPayment,
            Status::Processing,
            Status::Completed
        ]
    );

    fakes.set("answer", &load_answer("COMPLETED").into());
    wait_for("a poll after the socket failed", || fakes.fetches() == 2).await;
    wait_for("the poll's status", || seen.borrow().len() == 4).await;
    app.destroy();
    yew::platform::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(fakes.fetches(), 2, "no poll after teardown");
    assert_eq!(seen.borrow().len(), 4);
    assert_eq!(fakes.list("sockets").length(), 1);
}

/// Teardown while the socket is open releases and closes it at once.
#[wasm_bindgen_test]
async fn teardown_closes_an_open_socket() {
    let (fakes, app, seen, socket) = following_with_socket("PROCESSING").await;
    assert!(!released(&socket));
    app.destroy();
    wait_for("the socket's release", || released(&socket)).await;
    assert_released(&socket);
    assert_eq!(*seen.borrow(), [Status::Processing]);
    assert_eq!(fakes.fetches(), 1);
}

/// A socket the browser refuses to open: straight to polling.
#[wasm_bindgen_test]
async fn refused_socket_polls() {
    let fakes = Fakes::install();
    fakes.set("refuse", &true.into());
    fakes.set("answer", &load_answer("PROCESSING").into());
    let (app, seen) = follow_order();
    wait_for("a second poll", || fakes.fetches() == 2).await;
    wait_for("its status", || seen.borrow().len() == 2).await;
    app.destroy();
    assert_eq!(*seen.borrow(), [Status::Processing, Status::Processing]);
    assert_eq!(fakes.list("sockets").length(), 0);
}

/// The `load_pay_data` `element.js` started while the wasm compiled is taken when it is
/// the request this client would send (no second fetch), and ignored otherwise.
#[wasm_bindgen_test]
async fn first_load_takes_the_early_answer_only_when_it_matches() {
    use kassa_widget::api::{Early, FirstLoad};
    let fakes = Fakes::install();
    fakes.set("answer", &load_answer("COMPLETED").into());
    let c = client();
    let early = |url: String| {
        let response =
            web_sys::Response::new_with_opt_str(Some(&load_answer("PROCESSING"))).unwrap();
        Early {
            url,
            auth: "Bearer kcs_live".to_owned(),
            response: js_sys::Promise::resolve(&response).into(),
        }
    };
    let first = FirstLoad::start(&c, Some(early(c.load_pay_data().href())));
    let answer = first.take().await.unwrap().unwrap();
    assert_eq!(
        answer.order_info.status,
        Status::Processing,
        "the early answer"
    );
    assert_eq!(fakes.fetches(), 0, "no second request");
    assert!(first.take().await.is_none(), "taken once");

    // Another order's (or a stale device id's) request is not this one's.
    let other = format!("{}&device_id=kd1.x", c.load_pay_data().href());
    let first = FirstLoad::start(&c, Some(early(other)));
    let answer = first.take().await.unwrap().unwrap();
    assert_eq!(answer.order_info.status, Status::Completed, "fetched anew");
    assert_eq!(fakes.fetches(), 1);
}
