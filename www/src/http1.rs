//! A minimal HTTP/1.1 server: one thread per connection, so an idle kept-alive socket
//! can never delay another connection's answer. The demo backend and the provider
//! sandbox (`kassa-tests`) both serve with it.
//!
//! Why not `tiny_http` 0.12: its task pool runs each connection as one task for the
//! connection's whole life, and its spawn counts a worker that was notified but has not
//! woken yet as still idle. A second connection accepted in that window is queued
//! instead of getting a new thread, and waits until some other connection closes (or a
//! 5 s pool time-out): seconds of silence under bursts of new connections
//! (`tests/tests/sandbox_connections.rs`). Answering `Connection: close` does not help:
//! tiny_http drops that header from responses and keeps the connection.
//!
//! Supported: request line + headers (16 KiB), `Content-Length` and `chunked` bodies up
//! to the listener's limit (more → 413 and close), `Expect: 100-continue`, keep-alive and
//! pipelining for HTTP/1.1, `Connection: close` and HTTP/1.0 (one request).

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::json;

/// Longest request head (request line + headers) accepted; longer → 431.
const MAX_HEAD: usize = 16 * 1024;
/// How often a connection blocked in `read` looks at the stop flag.
const STOP_POLL: Duration = Duration::from_millis(200);
/// Longest a single write of an answer may block.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// One parsed request; the body is complete (decoded if it came chunked).
pub struct Request {
    pub method: String,
    /// The request target as sent (path and query).
    pub target: String,
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

/// One answer; `Content-Length` and `Connection` are added when it is written.
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

/// Answers one parsed request.
pub type Handler = dyn Fn(Request) -> Response + Send + Sync;

/// The accept thread and every connection thread, joined by [`Listener::stop`].
pub struct Listener {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Listener {
    /// Serves `listener` on background threads until [`Listener::stop`] or drop; bodies
    /// over `max_body` bytes are refused with 413.
    ///
    /// # Errors
    /// When the listener has no local address.
    pub fn spawn(
        listener: TcpListener,
        max_body: usize,
        handler: Arc<Handler>,
    ) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (stop2, conns2) = (stop.clone(), conns.clone());
        let accept = std::thread::spawn(move || {
            for sock in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                // A failed accept (peer reset while queued, fd limit) concerns that
                // connection only; the pause keeps a lasting one from spinning.
                let Ok(sock) = sock else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let (stop, handler) = (stop2.clone(), handler.clone());
                let t = std::thread::spawn(move || serve_conn(sock, max_body, &stop, &*handler));
                let mut all = conns2.lock().unwrap_or_else(PoisonError::into_inner);
                all.retain(|t| !t.is_finished());
                all.push(t);
            }
        });
        Ok(Self {
            addr,
            stop,
            accept: Some(accept),
            conns,
        })
    }

    /// The bound address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, closes every connection and joins all threads (a handler still
    /// running is waited for).
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            // `accept` blocks; a connection of our own wakes it to see the flag.
            let _ = TcpStream::connect(self.addr);
            // A thread that panicked has nothing left to clean up.
            let _ = accept.join();
        }
        let conns = std::mem::take(&mut *self.conns.lock().unwrap_or_else(PoisonError::into_inner));
        for t in conns {
            let _ = t.join();
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Why a connection ends without (another) normal answer.
enum Stop {
    /// Peer closed, I/O error or shutdown: nothing more to write.
    Quiet,
    /// A malformed or oversized request: answer this, then close.
    Answer(Response),
}

fn bad(status: u16, reason: &str) -> Stop {
    Stop::Answer(Response::error(status, reason))
}

fn serve_conn(mut sock: TcpStream, max_body: usize, stop: &AtomicBool, handler: &Handler) {
    // The write time-out bounds shutdown when a client stops reading its answer.
    if sock.set_read_timeout(Some(STOP_POLL)).is_err()
        || sock.set_write_timeout(Some(WRITE_TIMEOUT)).is_err()
    {
        return;
    }
    // Bytes read but not consumed yet (a pipelined next request may sit here).
    let mut buf = Vec::new();
    loop {
        match next_request(&mut sock, &mut buf, max_body, stop) {
            Ok((req, keep_alive)) => {
                let head_only = req.method == "HEAD";
                // A panicking handler costs its request a 500, not the connection.
                let resp = std::panic::catch_unwind(AssertUnwindSafe(|| handler(req)))
                    .unwrap_or_else(|_| Response::error(500, "the handler panicked"));
                if write_resp(&mut sock, &resp, keep_alive, head_only).is_err() || !keep_alive {
                    return;
                }
            }
            Err(Stop::Quiet) => return,
            Err(Stop::Answer(resp)) => {
                if write_resp(&mut sock, &resp, false, false).is_ok() {
                    drain(&mut sock);
                }
                return;
            }
        }
    }
}

/// Closing with unread input makes the kernel reset the connection, which can destroy
/// the error answer before the client reads it; so half-close and swallow what the
/// client still sends (bounded in bytes, and in time by the read time-out).
fn drain(sock: &mut TcpStream) {
    let _ = sock.shutdown(Shutdown::Write);
    let mut sink = [0u8; 8192];
    let mut left: usize = 1 << 20;
    while let Ok(n @ 1..) = sock.read(&mut sink) {
        left = left.saturating_sub(n);
        if left == 0 {
            break;
        }
    }
}

/// Reads more bytes into `buf`; `Quiet` on EOF, error or shutdown.
fn fill(sock: &mut TcpStream, buf: &mut Vec<u8>, stop: &AtomicBool) -> Result<(), Stop> {
    let mut chunk = [0u8; 8192];
    loop {
        if stop.load(Ordering::SeqCst) {
            return Err(Stop::Quiet);
        }
        match sock.read(&mut chunk) {
            Ok(0) => return Err(Stop::Quiet),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return Ok(());
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(_) => return Err(Stop::Quiet),
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads one request off the connection; `bool` = keep the connection afterwards.
fn next_request(
    sock: &mut TcpStream,
    buf: &mut Vec<u8>,
    max_body: usize,
    stop: &AtomicBool,
) -> Result<(Request, bool), Stop> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD {
            return Err(bad(431, &format!("request head over {MAX_HEAD} bytes")));
        }
        fill(sock, buf, stop)?;
    };
    if head_end > MAX_HEAD {
        return Err(bad(431, &format!("request head over {MAX_HEAD} bytes")));
    }
    let head =
        std::str::from_utf8(&buf[..head_end]).map_err(|_| bad(400, "request head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(
            400,
            &format!("malformed request line: {request_line:?}"),
        ));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(bad(400, &format!("malformed method: {method:?}")));
    }
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(bad(505, &format!("unsupported version: {version:?}"))),
    };
    let mut headers = Vec::new();
    for line in lines {
        let Some((k, v)) = line.split_once(':') else {
            return Err(bad(400, &format!("malformed header line: {line:?}")));
        };
        if k.is_empty() || k.contains([' ', '\t']) {
            return Err(bad(400, &format!("malformed header name: {k:?}")));
        }
        headers.push((k.to_owned(), v.trim().to_owned()));
    }
    let mut req = Request {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body: Vec::new(),
    };
    buf.drain(..head_end + 4);
    let close = req
        .header("connection")
        .is_some_and(|c| c.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")));
    let keep_alive = http11 && !close;
    if http11
        && req
            .header("expect")
            .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        sock.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .map_err(|_| Stop::Quiet)?;
    }
    req.body = read_body(sock, buf, max_body, stop, &req)?;
    Ok((req, keep_alive))
}

fn read_body(
    sock: &mut TcpStream,
    buf: &mut Vec<u8>,
    max_body: usize,
    stop: &AtomicBool,
    req: &Request,
) -> Result<Vec<u8>, Stop> {
    if let Some(te) = req.header("transfer-encoding") {
        if !te.eq_ignore_ascii_case("chunked") {
            return Err(bad(501, &format!("unsupported Transfer-Encoding: {te:?}")));
        }
        return read_chunked(sock, buf, max_body, stop);
    }
    let len = match req.header("content-length") {
        None => 0,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| bad(400, &format!("Content-Length is not a length: {v:?}")))?,
    };
    if len > max_body {
        return Err(too_large(max_body));
    }
    while buf.len() < len {
        fill(sock, buf, stop)?;
    }
    Ok(buf.drain(..len).collect())
}

fn too_large(max_body: usize) -> Stop {
    bad(413, &format!("body over {max_body} bytes"))
}

/// One CRLF-terminated line off the front of `buf` (without the CRLF).
fn take_line(sock: &mut TcpStream, buf: &mut Vec<u8>, stop: &AtomicBool) -> Result<String, Stop> {
    loop {
        if let Some(i) = find(buf, b"\r\n") {
            let line = String::from_utf8_lossy(&buf[..i]).into_owned();
            buf.drain(..i + 2);
            return Ok(line);
        }
        if buf.len() > MAX_HEAD {
            return Err(bad(400, "chunk line too long"));
        }
        fill(sock, buf, stop)?;
    }
}

fn read_chunked(
    sock: &mut TcpStream,
    buf: &mut Vec<u8>,
    max_body: usize,
    stop: &AtomicBool,
) -> Result<Vec<u8>, Stop> {
    let mut body = Vec::new();
    loop {
        let line = take_line(sock, buf, stop)?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| bad(400, &format!("malformed chunk size: {size:?}")))?;
        if size == 0 {
            // Trailer fields, up to the empty line; the sandbox uses none.
            while !take_line(sock, buf, stop)?.is_empty() {}
            return Ok(body);
        }
        if body.len().saturating_add(size) > max_body {
            return Err(too_large(max_body));
        }
        while buf.len() < size + 2 {
            fill(sock, buf, stop)?;
        }
        if &buf[size..size + 2] != b"\r\n" {
            return Err(bad(400, "chunk data not followed by CRLF"));
        }
        body.extend(buf.drain(..size));
        buf.drain(..2);
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        302 => "Found",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    }
}

fn write_resp(
    sock: &mut TcpStream,
    resp: &Response,
    keep_alive: bool,
    head_only: bool,
) -> std::io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Length: {}\r\n",
        resp.status,
        reason(resp.status),
        resp.body.len()
    );
    if !keep_alive {
        out.push_str("Connection: close\r\n");
    }
    // A header that would split the response, or contradict the framing above, is
    // dropped rather than sent.
    let safe = |s: &str| !s.contains(['\r', '\n']);
    let framing = |k: &str| {
        ["content-length", "connection", "transfer-encoding"]
            .iter()
            .any(|f| k.eq_ignore_ascii_case(f))
    };
    for (k, v) in &resp.headers {
        if safe(k) && safe(v) && !k.is_empty() && !framing(k) {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    if !head_only {
        bytes.extend_from_slice(&resp.body);
    }
    sock.write_all(&bytes)?;
    sock.flush()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
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
}
