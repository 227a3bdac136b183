//! The browser's `fetch` and `WebSocket` through gloo-net (the design card, STYLE.md):
//! [`fetch`] carries out an [`ApiRequest`]; [`Socket`] is gloo-net's WebSocket stream,
//! read by one task next to an [`Inbox`] that its owner stops
//! (`hooks/use_order_events.rs`). Only `api` uses it (STYLE.md: gloo-net in `api`).
//!
//! gloo-net is used without its `json` feature (which is serde_json): bodies are text
//! made by `json.rs`, and the socket is constructed here with its two protocols (a JS
//! array) and handed to gloo-net, because gloo-net's `open_with_protocols` is the one
//! constructor that needs serde_json.

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use futures_core::Stream;
use gloo_net::http::Request;
use gloo_net::websocket::{futures::WebSocket, Message};
use wasm_bindgen::JsValue;

use crate::api::{ApiRequest, Method};

/// Sends `req` and reads the whole answer: its status and body text.
///
/// # Errors
/// The browser's message when there is no answer (offline, DNS, CORS, a reset) or its
/// body cannot be read.
pub async fn fetch(req: &ApiRequest) -> Result<(u16, String), String> {
    let mut builder = match req.method {
        Method::Get => Request::get(&req.url),
        Method::Post => Request::post(&req.url),
    };
    for (name, value) in &req.headers {
        builder = builder.header(name, value);
    }
    builder = builder.query(req.query.iter().map(|(name, value)| (*name, value)));
    let request = match &req.body {
        Some(body) => builder.body(body.as_str()),
        None => builder.build(),
    }
    .map_err(message)?;
    let response = request.send().await.map_err(message)?;
    let text = response.text().await.map_err(message)?;
    Ok((response.status(), text))
}

/// The status and text of a `fetch` the page started itself (a promise of a
/// `Response`), read through gloo-net as [`fetch`] reads its own.
///
/// # Errors
/// The browser's message when the promise rejected or the body cannot be read.
pub async fn settle(pending: JsValue) -> Result<(u16, String), String> {
    let promise = js_sys::Promise::resolve(&pending);
    let value = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| crate::json::js_message(&e))?;
    let Ok(response) = wasm_bindgen::JsCast::dyn_into::<web_sys::Response>(value) else {
        return Err("fetch: not a Response".to_owned());
    };
    let response = gloo_net::http::Response::from(response);
    let text = response.text().await.map_err(message)?;
    Ok((response.status(), text))
}

/// A failure's own words: a JS `Error`'s `message` (fetch's `TypeError: Failed to
/// fetch` says `Failed to fetch`).
fn message(e: gloo_net::Error) -> String {
    match e {
        gloo_net::Error::JsError(e) => e.message,
        gloo_net::Error::GlooError(text) => text,
        // Not formatted with `Display`: that would link serde_json's error messages
        // (gloo-net's `json` variant, on through yew's `gloo`) for a case that never
        // happens here (nothing calls gloo-net's JSON methods).
        #[allow(unreachable_patterns)]
        _ => "fetch failed".to_owned(),
    }
}

/// What the following task is asked from outside: to stop. Whoever stops it wakes the
/// task; the task holds no borrow while it runs, so a stop from inside a callback it
/// emits is safe.
#[derive(Clone, Default)]
pub struct Inbox(Rc<RefCell<Control>>);

#[derive(Default)]
struct Control {
    stopped: bool,
    waker: Option<Waker>,
}

/// What [`Inbox::next`] saw.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    Frame(String),
    /// The socket failed or closed; frames that came before were handed out first.
    Ended,
    Stopped,
}

impl Inbox {
    /// Asks the task to end; it sees this before any frame still queued.
    pub fn stop(&self) {
        let waker = {
            let mut c = self.0.borrow_mut();
            c.stopped = true;
            c.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    #[must_use]
    pub fn stopped(&self) -> bool {
        self.0.borrow().stopped
    }

    /// Polls `inner` unless stopped first (`None` when stopped), registering the task
    /// to be woken by [`Inbox::stop`] too.
    async fn unless_stopped<T>(
        &self,
        mut inner: impl FnMut(&mut std::task::Context<'_>) -> Poll<T>,
    ) -> Option<T> {
        poll_fn(|cx| {
            {
                let mut c = self.0.borrow_mut();
                if c.stopped {
                    return Poll::Ready(None);
                }
                c.waker = Some(cx.waker().clone());
            }
            inner(cx).map(Some)
        })
        .await
    }

    /// The socket's next text frame, its end, or the stop, whichever comes first.
    /// Binary frames are not the edge's and are skipped.
    pub async fn next(&self, socket: &mut Socket) -> Next {
        let got = self
            .unless_stopped(|cx| loop {
                match Pin::new(&mut socket.0).poll_next(cx) {
                    Poll::Ready(Some(Ok(Message::Text(text)))) => return Poll::Ready(Some(text)),
                    Poll::Ready(Some(Ok(Message::Bytes(_)))) => {}
                    // An error event or the close: the socket is done either way.
                    Poll::Ready(Some(Err(_)) | None) => return Poll::Ready(None),
                    Poll::Pending => return Poll::Pending,
                }
            })
            .await;
        match got {
            None => Next::Stopped,
            Some(Some(text)) => Next::Frame(text),
            Some(None) => Next::Ended,
        }
    }

    /// Waits `delay` unless stopped first; `true` when stopped. The timer is dropped,
    /// and so cleared, either way.
    pub async fn sleep(&self, delay: Duration) -> bool {
        let mut timer = pin!(yew::platform::time::sleep(delay));
        self.unless_stopped(|cx| timer.as_mut().poll(cx))
            .await
            .is_none()
    }
}

/// An open WebSocket (gloo-net's stream). Dropping it closes the socket and detaches
/// gloo-net's listeners, so no callback reaches a freed closure.
pub struct Socket(WebSocket);

impl Socket {
    /// Opens `url` asking for `protocols`; `None` when the browser refuses them outright
    /// (a bad URL or protocol token). A socket that cannot connect ends through its
    /// error and close events instead, as [`Next::Ended`].
    #[must_use]
    pub fn open(url: &str, protocols: &[String]) -> Option<Self> {
        // A JS array of the protocol strings, made by serde-wasm-bindgen.
        let list: JsValue = crate::json::to_js(&protocols).ok()?;
        let ws = web_sys::WebSocket::new_with_str_sequence(url, &list).ok()?;
        WebSocket::try_from(ws).ok().map(Self)
    }
}
