//! The browser's `fetch` and `WebSocket`, bound directly with `web-sys`: [`fetch`] carries
//! out an [`ApiRequest`], [`Socket`] feeds a socket's text frames into an [`Inbox`] that
//! one task awaits (`hooks/use_order_events.rs`).
//!
//! Why not `gloo-net`: the bundle must stay under SPEC 8's 120 KB gzip, and gloo-net
//! linked in far more than these few calls — serde_json (its WebSocket takes the
//! protocols through `JsValue::from_serde`), the `std::io::ErrorKind` message table,
//! `http`'s method names, thiserror's `Display` impls and a futures mpsc channel per
//! socket (together 8.7 KB of the gzipped wasm and glue). The request's init and headers
//! are plain objects set with `Reflect`, which the widget already imports: the
//! `RequestInit`/`Headers` setters are one JS import each and measured 164 B gzip more.

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Event, MessageEvent, RequestInit, Response, WebSocket};

use crate::api::{ApiRequest, Method};
use crate::json::set;

/// Sends `req` and reads the whole answer: its status and body text.
///
/// # Errors
/// The browser's message when there is no answer (offline, DNS, CORS, a reset) or its
/// body cannot be read.
pub async fn fetch(req: &ApiRequest) -> Result<(u16, String), String> {
    let window = web_sys::window().ok_or_else(|| "fetch: no window".to_owned())?;
    let headers = Object::new();
    for (name, value) in &req.headers {
        set(&headers, name, &JsValue::from_str(value));
    }
    let init = Object::new();
    let method = match req.method {
        Method::Get => "GET",
        Method::Post => "POST",
    };
    set(&init, "method", &JsValue::from_str(method));
    set(&init, "headers", &headers);
    if let Some(body) = &req.body {
        set(&init, "body", &JsValue::from_str(body));
    }
    let pending = window.fetch_with_str_and_init(&req.url, init.unchecked_ref::<RequestInit>());
    let response: Response = JsFuture::from(pending)
        .await
        .map_err(|e| message(&e))?
        .unchecked_into();
    let text = JsFuture::from(response.text().map_err(|e| message(&e))?)
        .await
        .map_err(|e| message(&e))?;
    Ok((response.status(), text.as_string().unwrap_or_default()))
}

/// A rejection's own words: an `Error`'s `message` (fetch's `TypeError: Failed to
/// fetch`), else the value if it is a string.
fn message(e: &JsValue) -> String {
    Reflect::get(e, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "fetch failed".to_owned())
}

/// What one task waits on: a socket's text frames and its end, and a stop from the
/// task's owner. Whoever changes it wakes the task; the task holds no borrow while it
/// runs, so a stop from inside a callback it emits is safe.
#[derive(Clone, Default)]
pub struct Inbox(Rc<RefCell<Queue>>);

#[derive(Default)]
struct Queue {
    /// In arrival order. A `Vec`, not a `VecDeque`: frames are few and far between,
    /// and `VecDeque<String>`'s own code cost the bundle ~400 bytes.
    frames: Vec<String>,
    ended: bool,
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
    fn update(&self, change: impl FnOnce(&mut Queue)) {
        let waker = {
            let mut q = self.0.borrow_mut();
            change(&mut q);
            q.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Asks the task to end; it sees this before any frame still queued.
    pub fn stop(&self) {
        self.update(|q| q.stopped = true);
    }

    #[must_use]
    pub fn stopped(&self) -> bool {
        self.0.borrow().stopped
    }

    /// The next frame, the socket's end, or the stop, whichever comes first.
    pub async fn next(&self) -> Next {
        poll_fn(|cx| {
            let mut q = self.0.borrow_mut();
            if q.stopped {
                return Poll::Ready(Next::Stopped);
            }
            if !q.frames.is_empty() {
                return Poll::Ready(Next::Frame(q.frames.remove(0)));
            }
            if q.ended {
                return Poll::Ready(Next::Ended);
            }
            q.waker = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }

    /// Waits `delay` unless stopped first; `true` when stopped. The timer is dropped,
    /// and so cleared, either way.
    pub async fn sleep(&self, delay: Duration) -> bool {
        let mut timer = pin!(yew::platform::time::sleep(delay));
        poll_fn(|cx| {
            {
                let mut q = self.0.borrow_mut();
                if q.stopped {
                    return Poll::Ready(true);
                }
                q.waker = Some(cx.waker().clone());
            }
            timer.as_mut().poll(cx).map(|()| false)
        })
        .await
    }
}

/// An open WebSocket feeding an [`Inbox`]. Dropping it detaches its handlers before
/// closing it, so no callback reaches a freed closure and nothing keeps running.
pub struct Socket {
    ws: WebSocket,
    _on_message: Closure<dyn Fn(&Event)>,
    _on_end: Closure<dyn FnMut()>,
}

impl Socket {
    /// Opens `url` asking for `protocols`; `None` when the browser refuses them outright
    /// (a bad URL or protocol token). A socket that cannot connect ends through
    /// `onerror`/`onclose` instead, as [`Next::Ended`].
    #[must_use]
    pub fn open(url: &str, protocols: &[String], inbox: &Inbox) -> Option<Self> {
        let list = Array::new();
        for p in protocols {
            list.push(&JsValue::from_str(p));
        }
        let ws = WebSocket::new_with_str_sequence(url, &list).ok()?;
        let frames = inbox.clone();
        // Binary frames (a Blob) are not the edge's; only text is queued.
        // `Fn(&Event)` is the signature yew's own listeners use, so its glue is shared.
        let on_message = Closure::<dyn Fn(&Event)>::new(move |e: &Event| {
            if let Some(text) = e.unchecked_ref::<MessageEvent>().data().as_string() {
                frames.update(|q| q.frames.push(text));
            }
        });
        let end = inbox.clone();
        let on_end = Closure::<dyn FnMut()>::new(move || end.update(|q| q.ended = true));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onerror(Some(on_end.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_end.as_ref().unchecked_ref()));
        Some(Self {
            ws,
            _on_message: on_message,
            _on_end: on_end,
        })
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onmessage(None);
        self.ws.set_onerror(None);
        self.ws.set_onclose(None);
        // Closing a socket that is already closing or closed does nothing.
        let _ = self.ws.close();
    }
}
