//! The only module that talks to the edge (SPEC 3.1, S2 shapes): it builds each request
//! as a plain value ([`ApiRequest`]) that tests can inspect, and [`send`] carries it out
//! with gloo-net ([`net`], the only module that uses it: STYLE.md). Nothing else in the
//! widget knows a URL or a header.
//!
//! Request bodies are serialised with serde (through serde-wasm-bindgen and the
//! browser's `JSON.stringify`); answers are read with the browser's `JSON.parse` and
//! deserialised from the `JsValue` into the S2 types ([`crate::wire`]);
//! errors from the edge's widget envelope `{status, code, message, field,
//! retry_after_ms?, attempts_left?}` (`edge/src/error.rs`), falling back to the HTTP
//! status when the body is not JSON (a proxy's error page).

pub mod net;
use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use serde::Serialize;

use kassa_shared::id::Id;

use crate::json;
use crate::wire::{Decode, ErrorEnvelope};
use kassa_shared::surfaces::s2::wire::LoadPayDataResponse;

/// A request key for `pay` / `quick_pay` (SPEC 3.1): one per pay intent, reused when
/// the same intent is retried so the edge answers with the first result instead of
/// paying twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// 128 random bits from the browser's CSPRNG, hex-encoded.
    ///
    /// # Errors
    /// [`ApiError::Random`] if `crypto.getRandomValues` is unavailable.
    pub fn generate() -> Result<Self, ApiError> {
        let mut bytes = [0u8; 16];
        // The error's text is not used: its Display carries every platform's messages.
        getrandom::fill(&mut bytes)
            .map_err(|_| ApiError::Random("crypto.getRandomValues is unavailable".to_owned()))?;
        Ok(Self::from_bytes(bytes))
    }

    #[must_use]
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(hex(&bytes))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key for the intent's next request once the edge gave this one a final
    /// answer (a wrong code): the edge replays a key's first answer, errors included,
    /// and refuses the key with another body, so the corrected code needs a key of its
    /// own. `<random>.<n>`.
    #[must_use]
    pub fn next(&self) -> Self {
        let (base, n) = match self.0.split_once('.') {
            Some((base, n)) => (base, n.parse::<u32>().unwrap_or(0)),
            None => (self.0.as_str(), 0),
        };
        Self(format!("{base}.{}", n.saturating_add(1)))
    }
}

/// Lower-case hex (no `format!` machinery for two digits a byte).
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

impl ApiRequest {
    /// The whole URL as `fetch` receives it: `url` and the query, escaped by the
    /// browser's `URLSearchParams` as gloo-net does.
    #[must_use]
    pub fn href(&self) -> String {
        let Ok(params) = web_sys::UrlSearchParams::new() else {
            return self.url.clone();
        };
        for (name, value) in &self.query {
            params.append(name, value);
        }
        let query = String::from(params.to_string());
        if query.is_empty() {
            self.url.clone()
        } else {
            format!("{}?{query}", self.url)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// One HTTP request, fully built and not yet sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRequest {
    pub method: Method,
    /// Without the query, which is in `query` (gloo-net appends it, escaped).
    pub url: String,
    /// Query parameters, not yet escaped.
    pub query: Vec<(&'static str, String)>,
    pub headers: Vec<(&'static str, String)>,
    /// JSON text, for POSTs.
    pub body: Option<String>,
}

/// A POST body (SPEC 3.1, S2 names); absent members are left out, not sent as `null`.
#[derive(Debug, Default, Serialize)]
struct Body<'a> {
    order_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    return_url: Option<&'a str>,
    /// A string, as every id (SPEC 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    verify_code_order_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verify_code: Option<&'a str>,
}

/// Everything the widget may say to the edge about one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    base: String,
    client_secret: String,
    order_id: Id,
    /// This browser's id for the edge's "new device" rule (SPEC 5; `device.rs`).
    device_id: Option<String>,
    /// The page the provider sends the shopper back to (`pay` / `quick_pay`).
    return_url: Option<String>,
}

impl Client {
    #[must_use]
    pub fn new(edge: &str, client_secret: &str, order_id: Id) -> Self {
        Self {
            // A trailing slash in the merchant's `edge` option must not double up.
            base: edge.trim_end_matches('/').to_owned(),
            client_secret: client_secret.to_owned(),
            order_id,
            device_id: None,
            return_url: None,
        }
    }

    /// Sends `return_url` with `pay` and `quick_pay`: where a channel that takes the
    /// shopper to the provider brings them back (SPEC 8).
    #[must_use]
    pub fn with_return_url(mut self, url: Option<String>) -> Self {
        self.return_url = url;
        self
    }

    /// Sends `device_id` with `load_pay_data`, `pay` and `quick_pay`: the edge learns a
    /// device once a code-verified pay succeeds from it, and then lets `quick_pay` skip
    /// the code there (SPEC 5, `edge/src/objects/order_object/pay.rs`).
    #[must_use]
    pub fn with_device(mut self, device_id: Option<String>) -> Self {
        self.device_id = device_id;
        self
    }

    #[must_use]
    pub fn order_id(&self) -> Id {
        self.order_id
    }

    fn auth(&self) -> (&'static str, String) {
        ("Authorization", format!("Bearer {}", self.client_secret))
    }

    /// The body of every POST: `order_id` always (a string: SPEC 2); the rest by
    /// request.
    fn body(&self) -> Body<'_> {
        Body {
            order_id: self.order_id.to_string(),
            ..Body::default()
        }
    }

    /// [`Client::body`] and the device id, for the requests the risk engine reads.
    fn risk_body(&self) -> Body<'_> {
        Body {
            device_id: self.device_id.as_deref(),
            ..self.body()
        }
    }

    /// [`Client::risk_body`] and the return page, for the requests that pay.
    fn pay_body(&self) -> Body<'_> {
        Body {
            return_url: self.return_url.as_deref(),
            ..self.risk_body()
        }
    }

    fn post(&self, path: &str, body: &Body<'_>, key: Option<&IdempotencyKey>) -> ApiRequest {
        // Strings only: serialising cannot fail (`json::to_js` refuses only numbers JS
        // cannot hold).
        let body = json::to_json(body).unwrap_or_default();
        let mut headers = vec![self.auth(), ("Content-Type", "application/json".to_owned())];
        if let Some(key) = key {
            headers.push(("Idempotency-Key", key.as_str().to_owned()));
        }
        ApiRequest {
            method: Method::Post,
            url: format!("{}{path}", self.base),
            query: Vec::new(),
            headers,
            body: Some(body),
        }
    }

    /// `GET /api/payment/order/load_pay_data?order_id=[&device_id=]`. The device id
    /// may come from storage a page shares: it is escaped like every query value.
    #[must_use]
    pub fn load_pay_data(&self) -> ApiRequest {
        let mut query = vec![("order_id", self.order_id.to_string())];
        if let Some(d) = &self.device_id {
            query.push(("device_id", d.clone()));
        }
        ApiRequest {
            method: Method::Get,
            url: format!("{}/api/payment/order/load_pay_data", self.base),
            query,
            headers: vec![self.auth()],
            body: None,
        }
    }

    /// `POST /api/payment/order/send_payment_verify_code` `{"order_id": "…"}`.
    #[must_use]
    pub fn send_verify_code(&self) -> ApiRequest {
        self.post(
            "/api/payment/order/send_payment_verify_code",
            &self.body(),
            None,
        )
    }

    /// `POST /api/payment/order/pay`; `code_send_id` is `None` for GA (the seed allows
    /// the field to be absent).
    #[must_use]
    pub fn pay(&self, key: &IdempotencyKey, code: &str, code_send_id: Option<Id>) -> ApiRequest {
        let body = Body {
            verify_code_order_id: code_send_id.map(|id| id.to_string()),
            verify_code: Some(code),
            ..self.pay_body()
        };
        self.post("/api/payment/order/pay", &body, Some(key))
    }

    /// `POST /api/payment/order/quick_pay` without a code: the edge decides whether
    /// risk allows it and answers `need2FA` otherwise.
    #[must_use]
    pub fn quick_pay(&self, key: &IdempotencyKey) -> ApiRequest {
        self.post("/api/payment/order/quick_pay", &self.pay_body(), Some(key))
    }

    /// The live-status WebSocket URL (`ws:`/`wss:` for `http:`/`https:`).
    #[must_use]
    pub fn events_url(&self) -> String {
        let base = if let Some(rest) = self.base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = self.base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            self.base.clone()
        };
        format!("{base}/api/payment/order/events?order_id={}", self.order_id)
    }

    /// Browsers cannot set `Authorization` on a WebSocket, so the bearer token rides in
    /// the one header they do let a page set, `Sec-WebSocket-Protocol`, as a second
    /// protocol after `kassa.v1` (the edge answers with `kassa.v1`). It keeps the secret
    /// out of URLs, which end up in logs.
    #[must_use]
    pub fn events_protocols(&self) -> [String; 2] {
        [
            "kassa.v1".to_owned(),
            format!("bearer.{}", self.client_secret),
        ]
    }
}

/// `GET {edge}/.well-known/kassa-key.json`: the edge's public RSA-OAEP key set (SPEC
/// 4.5), public and unauthenticated, for [`crate::seal`].
#[must_use]
pub fn key_set(edge: &str) -> ApiRequest {
    ApiRequest {
        method: Method::Get,
        url: format!("{}/.well-known/kassa-key.json", edge.trim_end_matches('/')),
        query: Vec::new(),
        headers: Vec::new(),
        body: None,
    }
}

/// What can go wrong talking to the edge, by what the widget does about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No answer (offline, DNS, CORS, connection reset): show a retry.
    Network(String),
    /// The code was wrong (or expired, or already used); `attempts_left` if the edge says.
    WrongCode { attempts_left: Option<u32> },
    /// Too many wrong codes: the order is locked for `retry_after_ms` (SPEC 5: 15 min).
    Locked { retry_after_ms: Option<u64> },
    /// Codes were sent too often (SPEC 5: 60 s apart, 5 an hour): the next send is
    /// allowed after `retry_after_ms`.
    Throttled { retry_after_ms: Option<u64> },
    /// The attempt was declined (risk, the platform check, the provider); the order may
    /// still be open for another try.
    Declined { code: String, message: String },
    /// The order can no longer be paid (expired, cancelled, already paid).
    OrderClosed { code: String, message: String },
    /// Any other non-2xx answer.
    Http {
        status: u16,
        code: String,
        message: String,
    },
    /// A 2xx answer whose body is not the S2 shape: names what and why.
    Decode { what: &'static str, reason: String },
    /// No CSPRNG for the idempotency key.
    Random(String),
}

impl ApiError {
    /// Whether retrying the same request may succeed.
    #[must_use]
    pub fn retryable(&self) -> bool {
        match self {
            Self::Network(_) => true,
            Self::Http { status, code, .. } => {
                *status >= 500 || *status == 429 || code.ends_with("_in_progress")
            }
            _ => false,
        }
    }

    /// A stable machine code for the host page's `kassa:error` detail.
    #[must_use]
    pub fn code(&self) -> &str {
        match self {
            Self::Network(_) => "network",
            Self::WrongCode { .. } => "wrong_code",
            Self::Locked { .. } => "locked",
            Self::Throttled { .. } => "throttled",
            Self::Declined { .. } => "declined",
            Self::OrderClosed { .. } => "order_closed",
            Self::Http { .. } => "http",
            Self::Decode { .. } => "decode",
            Self::Random(_) => "random",
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Network(e) => write!(f, "network: {e}"),
            Self::WrongCode { .. } => f.write_str("verify_code: wrong code"),
            Self::Locked { .. } => f.write_str("verify_code: too many wrong codes, locked"),
            Self::Throttled { .. } => f.write_str("verify code: sent too often"),
            Self::Declined { code, message } => write!(f, "pay: declined ({code}): {message}"),
            Self::OrderClosed { code, message } => {
                write!(f, "order: closed ({code}): {message}")
            }
            Self::Http {
                status,
                code,
                message,
            } => write!(f, "http {status} ({code}): {message}"),
            Self::Decode { what, reason } => write!(f, "{what}: {reason}"),
            Self::Random(e) => write!(f, "idempotency key: no randomness: {e}"),
        }
    }
}

/// Maps a non-2xx answer to an [`ApiError`]. Pure, so the mapping is tested without an
/// edge. The codes are the edge's (`edge/src/error.rs`, `order_object/pay.rs`).
#[must_use]
pub fn classify_error(status: u16, body: &str) -> ApiError {
    let e = ErrorEnvelope::read(body);
    let message = e
        .message
        .clone()
        .unwrap_or_else(|| body.chars().take(200).collect());
    let code_field = matches!(
        e.field.as_deref(),
        Some("verify_code" | "verify_code_order_id")
    );
    match e.code.as_str() {
        // The wrong code that used the last attempt locks the order (SPEC 5).
        "wrong_verify_code" if e.attempts_left == Some(0) => ApiError::Locked {
            retry_after_ms: None,
        },
        "wrong_verify_code" => ApiError::WrongCode {
            attempts_left: e.attempts_left,
        },
        "parameter_invalid" if code_field && status == 400 => ApiError::WrongCode {
            attempts_left: e.attempts_left,
        },
        // `ga_locked`: the user's authenticator, locked across all their orders.
        "order_locked" | "ga_locked" => ApiError::Locked {
            retry_after_ms: e.retry_after_ms,
        },
        "code_send_too_soon" | "code_send_hourly_limit" => ApiError::Throttled {
            retry_after_ms: e.retry_after_ms,
        },
        "order_not_payable" => ApiError::OrderClosed {
            code: e.code,
            message,
        },
        "s0_refused" | "provider_refused" | "channel_unavailable" | "forbidden"
            if status == 409 || status == 403 || status == 402 =>
        {
            ApiError::Declined {
                code: e.code,
                message,
            }
        }
        _ => ApiError::Http {
            status,
            code: e.code,
            message,
        },
    }
}

/// Sends `req` and reads a `T` (named `what` in errors) from a 2xx answer.
///
/// # Errors
/// [`ApiError::Network`] without an answer, [`classify_error`] for non-2xx,
/// [`ApiError::Decode`] for a body that is not a `T`.
pub async fn send<T: Decode>(req: &ApiRequest, what: &'static str) -> Result<T, ApiError> {
    let (status, text) = net::fetch(req).await.map_err(ApiError::Network)?;
    answer(status, &text, what)
}

/// A `T` from an answer's status and text (as [`send`] reads it).
///
/// # Errors
/// [`classify_error`] for non-2xx, [`ApiError::Decode`] for a body that is not a `T`.
pub fn answer<T: Decode>(status: u16, text: &str, what: &'static str) -> Result<T, ApiError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, text));
    }
    decode(text, what)
}

/// Reads a `T` from a 2xx answer's text.
///
/// # Errors
/// [`ApiError::Decode`] naming the field that is missing or malformed.
pub fn decode<T: Decode>(text: &str, what: &'static str) -> Result<T, ApiError> {
    json::parse(text)
        .and_then(|v| T::decode(what, v))
        .map_err(|e| ApiError::Decode {
            what,
            reason: e.to_string(),
        })
}

/// `load_pay_data` sent by `mount` itself, before the first render: the answer is on its
/// way while yew builds the skeleton, rather than asked for after it (SPEC 8: ready
/// sooner). Or sent earlier still, by `element.js` while the wasm was compiling
/// ([`Early`]), when that request is exactly the one this client would send. The app's
/// first load takes it; a retry loads anew.
#[derive(Clone, Default)]
pub struct FirstLoad(Rc<RefCell<Slot>>);

#[derive(Default)]
struct Slot {
    taken: bool,
    answer: Option<Result<LoadPayDataResponse, ApiError>>,
    waker: Option<Waker>,
}

impl PartialEq for FirstLoad {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl FirstLoad {
    /// Sends `client`'s `load_pay_data` now, or takes `early`'s answer if it is the
    /// answer to that very request.
    #[must_use]
    pub fn start(client: &Client, early: Option<Early>) -> Self {
        let first = Self::default();
        let slot = first.clone();
        let req = client.load_pay_data();
        let auth = client.auth().1;
        // The page's script guessed the request; only the one this client would send is
        // taken (URL with the same query and device id, the same secret).
        let early = early.filter(|e| e.url == req.href() && e.auth == auth);
        wasm_bindgen_futures::spawn_local(async move {
            let answer = match early {
                Some(e) => match net::settle(e.response).await {
                    Ok((status, text)) => answer(status, &text, "load_pay_data"),
                    Err(e) => Err(ApiError::Network(e)),
                },
                None => send::<LoadPayDataResponse>(&req, "load_pay_data").await,
            };
            let waker = {
                let mut s = slot.0.borrow_mut();
                s.answer = Some(answer);
                s.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        });
        first
    }

    /// The early answer, the first time it is asked for; `None` after that.
    pub async fn take(&self) -> Option<Result<LoadPayDataResponse, ApiError>> {
        if std::mem::replace(&mut self.0.borrow_mut().taken, true) {
            return None;
        }
        let answer = poll_fn(|cx| {
            let mut s = self.0.borrow_mut();
            match s.answer.take() {
                Some(a) => Poll::Ready(a),
                None => {
                    s.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await;
        Some(answer)
    }
}

/// A `load_pay_data` the page started before the wasm was ready (`element.js`): its URL,
/// its `Authorization` header, and the `fetch` promise.
#[derive(Debug, Clone, PartialEq)]
pub struct Early {
    pub url: String,
    pub auth: String,
    pub response: wasm_bindgen::JsValue,
}
