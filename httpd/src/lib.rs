//! The HTTP/1.1 server of every local server Kassa runs outside the Worker: the demo
//! backend (`kassa-www`), the provider sandbox, the test receivers and the bench's page
//! server. It owns the wire and nothing else: callers get a parsed [`Request`] with its
//! whole body and answer a [`Response`] from a plain blocking closure.
//!
//! The wire is [hyper] 1's HTTP/1.1 server (RFC 9112: `Content-Length` and `chunked`
//! bodies, `Expect: 100-continue`, keep-alive, pipelining, HEAD). What this module adds:
//! the body limit (413 and close, from the `Content-Length` header alone when there is
//! one, so the body is never read), `Connection: close` on every answer that ends the
//! connection, a 500 for a handler that panics, and a drain before close (see
//! [`drain`]).
//!
//! Why a runtime per [`Listener`] and `spawn_blocking` for handlers: every caller is
//! synchronous (tests, the sandbox, the demo binary) and every handler blocks (file
//! reads, `ureq` calls to the edge, the sandbox's scripted slow answers). A small
//! multi-thread runtime owned by the listener needs no runtime from the caller, and
//! dropping it stops everything the listener started. Connections are tasks, so an idle
//! kept-alive socket costs no thread and can never delay another connection's answer;
//! handlers run on the runtime's blocking pool, so a slow one holds only its own request.
//!
//! Replaces a hand-written server (one thread per connection), which itself replaced
//! tiny_http 0.12, whose pool could queue a new connection behind threads held by idle
//! kept-alive ones (`tests/tests/sandbox_connections.rs` is the regression test).

use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Body as _, Incoming};
use hyper::header::{HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH};
use hyper::{StatusCode, Version};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Longest request head (request line + headers) accepted; longer → 431.
const MAX_HEAD: usize = 16 * 1024;
/// Worker threads of a listener's runtime: they only move bytes (handlers run on the
/// blocking pool), and the machines this runs on have two cores.
const WORKERS: usize = 2;
/// How long [`Listener::stop`] waits for handlers still running.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// How long a closing connection waits for the peer's next bytes while draining.
const DRAIN_IDLE: Duration = Duration::from_millis(200);
/// Most bytes drained from a closing connection.
const DRAIN_MAX: usize = 1 << 20;

/// One parsed request; the body is complete (decoded if it came chunked).
pub struct Request {
    pub method: String,
    /// The request target as sent (path and query).
    pub target: String,
    /// Names in lower case (as HTTP/2 and the `http` crate spell them); look them up
    /// with [`Request::header`].
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// A header, case-insensitively.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// The first header `name` of `headers`, case-insensitively.
#[must_use]
pub fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    let found = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name));
    found.map(|(_, v)| v.as_str())
}

/// One answer; `Content-Length` and `Connection` are set by the server.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    #[must_use]
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), content_type.to_owned())],
            body: body.into(),
        }
    }

    /// `{"error": reason}`.
    #[must_use]
    pub fn error(status: u16, reason: &str) -> Self {
        Self::new(
            status,
            "application/json; charset=utf-8",
            json!({ "error": reason }).to_string(),
        )
    }
}

/// Answers one parsed request. It may block.
pub type Handler = dyn Fn(Request) -> Response + Send + Sync;

/// A server on its own runtime; [`Listener::stop`] or drop ends it.
pub struct Listener {
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Listener {
    /// Serves `listener` until [`Listener::stop`] or drop; bodies over `max_body` bytes
    /// are refused with 413.
    ///
    /// # Errors
    /// When the listener has no local address or the runtime cannot start.
    pub fn spawn(
        listener: TcpListener,
        max_body: usize,
        handler: Arc<Handler>,
    ) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .thread_name("kassa-httpd")
            .enable_io()
            .enable_time()
            .build()?;
        listener.set_nonblocking(true)?;
        let listener = {
            let _in_runtime = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        runtime.spawn(accept(listener, max_body, handler));
        Ok(Self {
            addr,
            runtime: Some(runtime),
        })
    }

    /// The bound address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and closes every connection; a handler still running gets
    /// [`STOP_GRACE`] to finish.
    pub fn stop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Waiting for the blocking pool is not allowed on a runtime's thread (a caller
            // inside async code): there the handlers are left to finish on their own.
            if tokio::runtime::Handle::try_current().is_ok() {
                runtime.shutdown_background();
            } else {
                runtime.shutdown_timeout(STOP_GRACE);
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept(listener: tokio::net::TcpListener, max_body: usize, handler: Arc<Handler>) {
    loop {
        // A failed accept (peer reset while queued, fd limit) concerns that connection
        // only; the pause keeps a lasting one from spinning.
        let Ok((sock, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        tokio::spawn(serve_conn(sock, max_body, handler.clone()));
    }
}

async fn serve_conn(sock: tokio::net::TcpStream, max_body: usize, handler: Arc<Handler>) {
    // hyper drops the socket when a connection fails; a second handle on it lets the
    // connection be drained all the same.
    let Ok(std_sock) = sock.into_std() else {
        return;
    };
    let Ok(spare) = std_sock.try_clone() else {
        return;
    };
    let Ok(sock) = tokio::net::TcpStream::from_std(std_sock) else {
        return;
    };
    let _ = sock.set_nodelay(true);
    let service = hyper::service::service_fn(move |req| {
        let handler = handler.clone();
        async move { Ok::<_, Infallible>(answer(req, max_body, handler).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        // Callers and tests read `Content-Length`, `Connection` as HTTP/1.1 spells them.
        .title_case_headers(true)
        .max_header_size(MAX_HEAD)
        .serve_connection(TokioIo::new(sock), service)
        .without_shutdown();
    // Either way hyper's handle is gone by now; only `spare` is left open.
    drop(conn.await);
    drain(spare).await;
}

/// Closing with unread input makes the kernel reset the connection, which can destroy
/// an answer (a 413, a 400) before the client reads it; so half-close and swallow what
/// the client still sends, bounded in bytes and by an idle time-out.
async fn drain(spare: std::net::TcpStream) {
    let Ok(mut sock) = tokio::net::TcpStream::from_std(spare) else {
        return;
    };
    let _ = sock.shutdown().await;
    let mut sink = [0u8; 8192];
    let mut left = DRAIN_MAX;
    while let Ok(Ok(n @ 1..)) = tokio::time::timeout(DRAIN_IDLE, sock.read(&mut sink)).await {
        left = left.saturating_sub(n);
        if left == 0 {
            break;
        }
    }
}

/// Reads the body (up to the limit), runs the handler on the blocking pool and turns its
/// answer into hyper's.
async fn answer(
    req: hyper::Request<Incoming>,
    max_body: usize,
    handler: Arc<Handler>,
) -> hyper::Response<Full<Bytes>> {
    let closes = req.version() != Version::HTTP_11
        || req.headers().get_all(CONNECTION).iter().any(|v| {
            v.to_str()
                .is_ok_and(|c| c.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")))
        });
    let (parts, body) = req.into_parts();
    let body = match read_body(body, max_body).await {
        Ok(body) => body,
        // The rest of the body is left unread, so the connection cannot go on.
        Err(resp) => return into_hyper(resp, true),
    };
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.to_string(), |p| p.as_str().to_owned());
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            (k.as_str().to_owned(), value)
        })
        .collect();
    let request = Request {
        method: parts.method.as_str().to_owned(),
        target,
        headers,
        body,
    };
    // A panicking handler costs its request a 500, not the connection.
    let resp = tokio::task::spawn_blocking(move || handler(request))
        .await
        .unwrap_or_else(|_| Response::error(500, "the handler panicked"));
    into_hyper(resp, closes)
}

/// The whole body, or the 413 (or 400) to answer instead.
async fn read_body(mut body: Incoming, max_body: usize) -> Result<Vec<u8>, Response> {
    let too_large = || Response::error(413, &format!("body over {max_body} bytes"));
    // A declared length over the limit is refused before any of the body is read (and
    // before `100 Continue`, which hyper sends on the first read).
    let declared = usize::try_from(body.size_hint().lower()).unwrap_or(usize::MAX);
    if declared > max_body {
        return Err(too_large());
    }
    let mut out = Vec::with_capacity(declared);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Response::error(400, &format!("request body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if out.len().saturating_add(data.len()) > max_body {
                return Err(too_large());
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

fn into_hyper(resp: Response, closes: bool) -> hyper::Response<Full<Bytes>> {
    let status = StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let length = resp.body.len();
    let mut out = hyper::Response::new(Full::new(Bytes::from(resp.body)));
    *out.status_mut() = status;
    let headers = out.headers_mut();
    for (k, v) in resp.headers {
        // A header that is not valid on the wire (it would split the answer) or would
        // contradict the framing set here is dropped rather than sent.
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) else {
            continue;
        };
        let framing = ["content-length", "connection", "transfer-encoding"];
        if !framing.contains(&name.as_str()) {
            headers.append(name, value);
        }
    }
    // Set even for HEAD, which answers the length the GET would have (RFC 9110 §9.3.2);
    // hyper sends no body then.
    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    if closes {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::io::{Read as _, Write as _};
    use std::net::TcpStream;

    use super::*;

    #[test]
    fn a_panicking_handler_answers_500_and_keeps_the_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let handler = |req: Request| {
            assert!(req.target != "/panic", "scripted panic");
            Response::new(200, "text/plain", req.target)
        };
        let server = Listener::spawn(listener, 1024, Arc::new(handler)).unwrap();
        let mut s = TcpStream::connect(server.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"GET /panic HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 500 "), "{out}");
        assert!(out.contains("the handler panicked"), "{out}");
        let after = out.split_once("HTTP/1.1 200 OK\r\n").unwrap().1;
        assert!(after.contains("Connection: close\r\n"), "{out}");
        assert!(after.ends_with("\r\n\r\n/after"), "{out}");
    }

    /// A body refused from its declared length is never read; the client, which sent it
    /// all before reading, still gets the 413 and a clean close rather than a reset.
    #[test]
    fn an_unread_body_over_the_limit_gets_413_then_a_clean_close() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let handler = |_: Request| Response::new(200, "text/plain", "unexpected");
        let server = Listener::spawn(listener, 1024, Arc::new(handler)).unwrap();
        let mut s = TcpStream::connect(server.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let body = vec![b'x'; 200_000];
        let mut raw = format!("POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n", body.len());
        raw.push_str(std::str::from_utf8(&body).unwrap());
        s.write_all(raw.as_bytes()).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).expect("a clean close, not a reset");
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with("HTTP/1.1 413 "), "{out}");
        assert!(out.contains("Connection: close\r\n"), "{out}");
        assert!(
            out.ends_with(r#"{"error":"body over 1024 bytes"}"#),
            "{out}"
        );
    }

    /// Handlers block; one that takes its time holds its own request only, not the
    /// listener's workers.
    #[test]
    fn a_slow_handler_does_not_delay_other_connections() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let handler = |req: Request| {
            if req.target == "/slow" {
                std::thread::sleep(Duration::from_secs(3));
            }
            Response::new(200, "text/plain", req.target)
        };
        let server = Listener::spawn(listener, 1024, Arc::new(handler)).unwrap();
        let mut slow = Vec::new();
        // More slow requests than the runtime has workers.
        for _ in 0..WORKERS * 2 {
            let mut s = TcpStream::connect(server.addr()).unwrap();
            s.write_all(b"GET /slow HTTP/1.1\r\n\r\n").unwrap();
            slow.push(s);
        }
        std::thread::sleep(Duration::from_millis(200));
        let started = std::time::Instant::now();
        let mut s = TcpStream::connect(server.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        s.write_all(b"GET /fast HTTP/1.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out)
            .expect("answered while the slow ones run");
        assert!(out.ends_with("/fast"), "{out}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
