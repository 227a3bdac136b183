//! The one place channels touch the network: [`send`] turns an [`OutboundRequest`] value
//! into a `worker::Fetch`, races it against a `worker::Delay`, and aborts the fetch
//! through an `AbortController` when the timer wins (SPEC 3.5: every call out has a
//! timeout; S0's default is 2 s). Request and response are plain values so the
//! channels' building and parsing is tested without a network.

use core::fmt;
use core::time::Duration;

use futures_util::future::{select, Either};
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

/// Provider answers are small JSON documents; anything larger is refused rather than
/// buffered (a misbehaving or hostile upstream must not exhaust the isolate's memory).
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The HTTP methods channels use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
}

/// A request to a provider, as a value. `Debug` prints header *names* only and the body
/// length: headers carry credentials (`orgSecret`, `Authorization`).
#[derive(Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    pub method: HttpMethod,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
}

impl OutboundRequest {
    /// A JSON POST (`Content-Type: application/json; charset=utf-8`, as the seeds ask).
    pub fn post_json(url: String, body: &impl serde::Serialize) -> Result<Self, serde_json::Error> {
        Ok(Self {
            method: HttpMethod::Post,
            url,
            headers: vec![("Content-Type", "application/json; charset=utf-8".to_owned())],
            body: Some(serde_json::to_vec(body)?),
        })
    }

    #[must_use]
    pub fn get(url: String) -> Self {
        Self {
            method: HttpMethod::Get,
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    #[must_use]
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The value of header `name` (case-insensitive), for tests and logs of non-secrets.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for OutboundRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| *n).collect();
        f.debug_struct("OutboundRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &names)
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

/// A provider's answer, as a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

impl OutboundResponse {
    #[must_use]
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why no response came back. Messages name the URL's target only through the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("request: could not be built ({reason})")]
    Build { reason: String },
    #[error("network: no answer within {ms} ms")]
    Timeout { ms: u128 },
    #[error("network: fetch failed ({reason})")]
    Network { reason: String },
    #[error("response: body larger than {max} bytes")]
    TooLarge { max: usize },
}

fn build(req: &OutboundRequest) -> Result<Fetch, TransportError> {
    let err = |e: worker::Error| TransportError::Build {
        reason: e.to_string(),
    };
    let headers = Headers::new();
    for (name, value) in &req.headers {
        headers.set(name, value).map_err(err)?;
    }
    let mut init = RequestInit::new();
    init.with_method(match req.method {
        HttpMethod::Get => Method::Get,
        HttpMethod::Post => Method::Post,
    })
    .with_headers(headers)
    .with_body(
        req.body
            .as_deref()
            .map(|b| js_sys::Uint8Array::from(b).into()),
    );
    let request = Request::new_with_init(&req.url, &init).map_err(err)?;
    Ok(Fetch::Request(request))
}

/// Sends `req` and reads the whole answer within `timeout`. On timeout the fetch is
/// aborted, so a slow upstream does not keep running against the isolate's limits.
pub async fn send(
    req: &OutboundRequest,
    timeout: Duration,
) -> Result<OutboundResponse, TransportError> {
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = build(req)?;
    let exchange = async {
        let mut resp =
            fetch
                .send_with_signal(&signal)
                .await
                .map_err(|e| TransportError::Network {
                    reason: e.to_string(),
                })?;
        let status = resp.status_code();
        let body = resp.bytes().await.map_err(|e| TransportError::Network {
            reason: e.to_string(),
        })?;
        if body.len() > MAX_RESPONSE_BYTES {
            return Err(TransportError::TooLarge {
                max: MAX_RESPONSE_BYTES,
            });
        }
        Ok(OutboundResponse { status, body })
    };
    let outcome = select(Box::pin(exchange), Box::pin(Delay::from(timeout))).await;
    match outcome {
        Either::Left((result, _timer)) => result,
        Either::Right(((), _exchange)) => {
            controller.abort();
            Err(TransportError::Timeout {
                ms: timeout.as_millis(),
            })
        }
    }
}
