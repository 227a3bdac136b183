//! Requests to the providers and their answers as plain values (SPEC 3.5; STYLE's
//! quinn-proto split): every provider module builds a [`Request`] and reads a
//! [`Response`], and the edge alone turns one into the other over the network
//! (`worker::Fetch` raced against the call's timeout). An [`Exchange`] pairs a request
//! with the parser for its answer, so the edge needs no provider knowledge to carry a
//! call out, and everything but the socket is tested natively.

use core::fmt;
use core::time::Duration;

/// Provider answers are small JSON documents; anything larger is refused rather than
/// buffered (a misbehaving or hostile upstream must not exhaust the isolate's memory).
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The HTTP methods the providers' APIs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// A request to a provider, as a value. `Debug` prints header *names* only and the body
/// length: headers carry credentials (`orgSecret`, `Authorization`).
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    /// A JSON POST (`Content-Type: application/json; charset=utf-8`, as the seeds ask).
    ///
    /// # Errors
    /// The body does not serialise (a map with non-string keys, say).
    pub fn post_json(url: String, body: &impl serde::Serialize) -> Result<Self, serde_json::Error> {
        Ok(Self {
            method: Method::Post,
            url,
            headers: vec![("Content-Type", "application/json; charset=utf-8".to_owned())],
            body: Some(serde_json::to_vec(body)?),
        })
    }

    #[must_use]
    pub fn get(url: String) -> Self {
        Self {
            method: Method::Get,
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

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| *n).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &names)
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

/// A provider's answer, as a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    #[must_use]
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// An answer with `body` as JSON, as a provider would send it (the providers' tests).
    #[cfg(test)]
    pub(crate) fn json(status: u16, body: &serde_json::Value) -> Self {
        Self {
            status,
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
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

type Parse<T, E> = Box<dyn FnOnce(&Response) -> Result<T, E>>;
type OnTransport<E> = Box<dyn FnOnce(TransportError) -> E>;

/// One call to a provider: the request, its timeout, and how its answer (or the lack of
/// one) becomes the call's result. Built by the provider modules, carried out by the
/// edge: `exchange.finish(send(exchange.request(), exchange.timeout()).await)`.
pub struct Exchange<T, E> {
    request: Request,
    timeout: Duration,
    on_transport: OnTransport<E>,
    parse: Parse<T, E>,
}

impl<T, E> Exchange<T, E> {
    pub fn new(
        request: Request,
        timeout: Duration,
        on_transport: impl FnOnce(TransportError) -> E + 'static,
        parse: impl FnOnce(&Response) -> Result<T, E> + 'static,
    ) -> Self {
        Self {
            request,
            timeout,
            on_transport: Box::new(on_transport),
            parse: Box::new(parse),
        }
    }

    #[must_use]
    pub fn request(&self) -> &Request {
        &self.request
    }

    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The call's result from what the transport brought back.
    ///
    /// # Errors
    /// The provider's error for a transport failure or an answer its parser refuses.
    pub fn finish(self, outcome: Result<Response, TransportError>) -> Result<T, E> {
        match outcome {
            Ok(resp) => (self.parse)(&resp),
            Err(e) => Err((self.on_transport)(e)),
        }
    }
}

impl<T, E> fmt::Debug for Exchange<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exchange")
            .field("request", &self.request)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_header_values_and_body() {
        let req = Request::get("http://127.0.0.1:9/x".into()).with_header("orgSecret", "s3cr3t");
        let shown = format!("{req:?}");
        assert!(
            shown.contains("orgSecret") && !shown.contains("s3cr3t"),
            "{shown}"
        );
        assert_eq!(req.header("ORGSECRET"), Some("s3cr3t"));
    }

    #[test]
    fn exchange_routes_answers_and_transport_errors() {
        let x = |ok: bool| {
            Exchange::new(
                Request::get("http://127.0.0.1:9/".into()),
                Duration::from_secs(1),
                |e: TransportError| e.to_string(),
                move |r: &Response| {
                    if ok {
                        Ok(r.status)
                    } else {
                        Err("refused".to_owned())
                    }
                },
            )
        };
        let resp = Response {
            status: 204,
            body: Vec::new(),
        };
        assert_eq!(x(true).finish(Ok(resp.clone())), Ok(204));
        assert_eq!(x(false).finish(Ok(resp)), Err("refused".to_owned()));
        assert_eq!(
            x(true).finish(Err(TransportError::Timeout { ms: 5 })),
            Err("network: no answer within 5 ms".to_owned())
        );
    }
}
