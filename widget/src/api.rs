//! The only module that talks to the edge (SPEC 3.1, S2 shapes): it builds each request
//! as a plain value ([`ApiRequest`]) that tests can inspect, and [`send`] carries it out
//! with `gloo-net`. Nothing else in the widget knows a URL or a header.
//!
//! Error bodies: the S2 seed defines none, so the widget reads the edge's JSON error
//! `{"code": "...", "message": "...", "attemptsLeft": n, "retryAfter": s}` leniently
//! (snake_case accepted too) and falls back to the HTTP status when the body is not JSON.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use kassa_shared::id::Id;
use kassa_shared::providers::s2_wallet::wire::{PayRequest, QuickPayRequest};

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
        getrandom::getrandom(&mut bytes).map_err(|e| ApiError::Random(e.to_string()))?;
        Ok(Self::from_bytes(bytes))
    }

    #[must_use]
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        use std::fmt::Write;
        let mut s = String::with_capacity(32);
        for b in bytes {
            let _ = write!(s, "{b:02x}");
        }
        Self(s)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
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
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    /// JSON text, for POSTs.
    pub body: Option<String>,
}

/// Everything the widget may say to the edge about one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    base: String,
    client_secret: String,
    order_id: Id,
}

impl Client {
    #[must_use]
    pub fn new(edge: &str, client_secret: &str, order_id: Id) -> Self {
        Self {
            // A trailing slash in the merchant's `edge` option must not double up.
            base: edge.trim_end_matches('/').to_owned(),
            client_secret: client_secret.to_owned(),
            order_id,
        }
    }

    #[must_use]
    pub fn order_id(&self) -> Id {
        self.order_id
    }

    fn auth(&self) -> (&'static str, String) {
        ("Authorization", format!("Bearer {}", self.client_secret))
    }

    fn post(&self, path: &str, body: String, key: Option<&IdempotencyKey>) -> ApiRequest {
        let mut headers = vec![self.auth(), ("Content-Type", "application/json".to_owned())];
        if let Some(key) = key {
            headers.push(("Idempotency-Key", key.as_str().to_owned()));
        }
        ApiRequest {
            method: Method::Post,
            url: format!("{}{path}", self.base),
            headers,
            body: Some(body),
        }
    }

    /// `GET /api/payment/order/load_pay_data?order_id=` (ids are digits: no escaping).
    #[must_use]
    pub fn load_pay_data(&self) -> ApiRequest {
        ApiRequest {
            method: Method::Get,
            url: format!(
                "{}/api/payment/order/load_pay_data?order_id={}",
                self.base, self.order_id
            ),
            headers: vec![self.auth()],
            body: None,
        }
    }

    /// `POST /api/payment/order/send_payment_verify_code` `{"order_id": "…"}`.
    #[must_use]
    pub fn send_verify_code(&self) -> ApiRequest {
        let body = serde_json::json!({ "order_id": self.order_id }).to_string();
        self.post("/api/payment/order/send_payment_verify_code", body, None)
    }

    /// `POST /api/payment/order/pay`; `code_send_id` is `None` for GA (the seed allows
    /// the field to be absent).
    #[must_use]
    pub fn pay(&self, key: &IdempotencyKey, code: &str, code_send_id: Option<Id>) -> ApiRequest {
        let req = PayRequest {
            order_id: self.order_id,
            verify_code_order_id: code_send_id,
            verify_code: code.to_owned(),
        };
        self.post("/api/payment/order/pay", to_json(&req), Some(key))
    }

    /// `POST /api/payment/order/quick_pay` without a code: the edge decides whether
    /// risk allows it and answers `need2FA` otherwise.
    #[must_use]
    pub fn quick_pay(&self, key: &IdempotencyKey) -> ApiRequest {
        let req = QuickPayRequest {
            order_id: self.order_id,
            verify_code_order_id: None,
            verify_code: None,
        };
        self.post("/api/payment/order/quick_pay", to_json(&req), Some(key))
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

fn to_json<T: Serialize>(value: &T) -> String {
    // The wire types are plain structs of strings and ids: serialising cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

/// What can go wrong talking to the edge, by what the widget does about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No answer (offline, DNS, CORS, connection reset): show a retry.
    Network(String),
    /// The code was wrong; `attempts_left` if the edge says.
    WrongCode { attempts_left: Option<u32> },
    /// Too many wrong codes: the order is locked for `retry_after_s` (SPEC 5: 15 min).
    Locked { retry_after_s: Option<u32> },
    /// The attempt was declined (risk, provider, insufficient funds); the order may
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
            Self::Http { status, .. } => *status >= 500 || *status == 429,
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
            Self::WrongCode { attempts_left } => {
                write!(
                    f,
                    "verify_code: wrong code, {attempts_left:?} attempts left"
                )
            }
            Self::Locked { retry_after_s } => {
                write!(f, "verify_code: locked, retry after {retry_after_s:?} s")
            }
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

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default, alias = "msg")]
    message: Option<String>,
    #[serde(default, alias = "attempts_left", rename = "attemptsLeft")]
    attempts_left: Option<u32>,
    #[serde(default, alias = "retry_after", rename = "retryAfter")]
    retry_after: Option<u32>,
}

/// Maps a non-2xx answer to an [`ApiError`]. Pure, so the mapping is tested without an
/// edge. Codes the edge uses: `invalid_verify_code`, `verify_code_locked`,
/// `order_expired` / `order_cancelled` / `order_paid`, `declined` / `risk_rejected`.
#[must_use]
pub fn classify_error(status: u16, body: &str) -> ApiError {
    let parsed: ErrorBody = serde_json::from_str(body).unwrap_or_default();
    let code = match parsed.code {
        Some(serde_json::Value::String(s)) => s,
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let message = parsed
        .message
        .unwrap_or_else(|| body.chars().take(200).collect());
    match code.as_str() {
        "invalid_verify_code" | "wrong_verify_code" => ApiError::WrongCode {
            attempts_left: parsed.attempts_left,
        },
        "verify_code_locked" | "locked" => ApiError::Locked {
            retry_after_s: parsed.retry_after,
        },
        "order_expired" | "order_cancelled" | "order_paid" | "order_closed" => {
            ApiError::OrderClosed { code, message }
        }
        "declined" | "risk_rejected" | "payment_failed" => ApiError::Declined { code, message },
        _ if status == 423 => ApiError::Locked {
            retry_after_s: parsed.retry_after,
        },
        _ => ApiError::Http {
            status,
            code,
            message,
        },
    }
}

/// Sends `req` and reads a JSON `T` (named `what` in errors) from a 2xx answer.
///
/// # Errors
/// [`ApiError::Network`] without an answer, [`classify_error`] for non-2xx,
/// [`ApiError::Decode`] for a body that is not a `T`.
pub async fn send<T: DeserializeOwned>(
    req: &ApiRequest,
    what: &'static str,
) -> Result<T, ApiError> {
    use gloo_net::http::RequestBuilder;
    let mut builder = match req.method {
        Method::Get => RequestBuilder::new(&req.url).method(gloo_net::http::Method::GET),
        Method::Post => RequestBuilder::new(&req.url).method(gloo_net::http::Method::POST),
    };
    for (name, value) in &req.headers {
        builder = builder.header(name, value);
    }
    let request = match &req.body {
        Some(body) => builder.body(body.as_str()),
        None => builder.build(),
    }
    .map_err(|e| ApiError::Network(e.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if !(200..300).contains(&status) {
        return Err(classify_error(status, &text));
    }
    serde_json::from_str(&text).map_err(|e| ApiError::Decode {
        what,
        reason: e.to_string(),
    })
}
