//! The sandbox answers every connection while others sit idle on keep-alive.
//!
//! tiny_http 0.12 ran each connection as one task of a pool for the connection's whole
//! life, and its pool could leave a freshly accepted connection queued behind threads
//! held by idle kept-alive sockets: a request then went unanswered until some other
//! connection closed (seconds). The bound below is a correctness bound ("answered at
//! all while other sockets idle"), far above any honest loopback answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use kassa_tests::sandbox::{Sandbox, SandboxConfig};

const ANSWER_WITHIN: Duration = Duration::from_secs(2);

/// Reads one response (head + Content-Length body) and returns (status, head, body).
fn read_response(s: &mut TcpStream) -> std::io::Result<(u16, String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body)?;
    Ok((status, head, body))
}

fn connect(url: &str) -> TcpStream {
    let s = TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    s.set_read_timeout(Some(ANSWER_WITHIN)).unwrap();
    s
}

/// Bursts of new connections while every earlier socket stays open and idle, as an
/// HTTP client's pool leaves it; each request must be answered `(status, body)`.
fn assert_bursts_answered(url: &str, request: &[u8], want: (u16, &[u8])) {
    let mut idle: Vec<TcpStream> = Vec::new();
    for round in 0..4 {
        // Connect the whole burst back to back so the server accepts them together.
        let mut burst: Vec<TcpStream> = (0..8).map(|_| connect(url)).collect();
        for s in &mut burst {
            s.write_all(request).unwrap();
        }
        for (i, s) in burst.iter_mut().enumerate() {
            let answer = read_response(s);
            assert!(
                answer.is_ok(),
                "{url} round {round}, request {i}: not answered within {ANSWER_WITHIN:?} \
                 while {} kept-alive sockets idle: {:?}",
                idle.len(),
                answer.err()
            );
            let (status, _, body) = answer.unwrap();
            assert_eq!(
                (status, body.as_slice()),
                want,
                "round {round}, request {i}"
            );
        }
        idle.extend(burst);
    }
    // The idle sockets are still usable (keep-alive is honoured, not dropped).
    for s in &mut idle {
        s.write_all(request).unwrap();
        let (status, _, body) = read_response(s).unwrap();
        assert_eq!((status, body.as_slice()), want);
    }
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: sandbox\r\n\r\n";

#[test]
fn bursts_of_new_connections_are_answered_while_kept_alive_sockets_idle() {
    // A fresh server is the likeliest to strand a connection, so take several.
    for _ in 0..5 {
        let sandbox = Sandbox::start(SandboxConfig::for_tests().unwrap()).unwrap();
        assert_bursts_answered(sandbox.url(), HEALTHZ, (200, b"kassa-sandbox ok\n"));
        sandbox.shutdown();
    }
}

/// The demo backend serves with the same server (`kassa_httpd`).
#[test]
fn the_demo_backend_answers_bursts_too() {
    for _ in 0..5 {
        let demo = kassa_www::start(kassa_www::Config {
            port: 0,
            edge: "http://127.0.0.1:9".into(),
            merchant_key: "unused".into(),
            webhook_secret: None,
            dir: std::env::temp_dir().join("kassa-no-such-www"),
            form_action: Vec::new(),
        })
        .unwrap();
        let get = b"GET /no-such-page HTTP/1.1\r\nHost: demo\r\n\r\n";
        assert_bursts_answered(&demo.url(), get, (404, b"not found"));
    }
}

/// Writes `raw` on a fresh connection and reads one answer.
fn exchange(url: &str, raw: &[u8]) -> (TcpStream, u16, String, Vec<u8>) {
    let mut s = connect(url);
    s.write_all(raw).unwrap();
    let (status, head, body) = read_response(&mut s).unwrap();
    (s, status, head, body)
}

fn assert_closed(s: &mut TcpStream) {
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "bytes after a closing answer: {rest:?}");
}

#[test]
fn chunked_bodies_expect_continue_head_and_pipelining() {
    let sandbox = Sandbox::start(SandboxConfig::for_tests().unwrap()).unwrap();
    let url = sandbox.url().to_owned();
    // A chunked body whose JSON is split across chunks, with a request pipelined behind
    // it in the same write: both are answered, in order.
    let (mut s, status, _, body) = exchange(
        &url,
        b"POST /_control/s0/prepay HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
          8;ext=1\r\n{\"outcom\r\n14\r\ne\": \"maybe\", \"x\": 1}\r\n0\r\nTrailer: t\r\n\r\n\
          GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    // The decoded body reached the control API, which names the bad outcome.
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("maybe"));
    let (status, _, body) = read_response(&mut s).unwrap();
    assert_eq!((status, body.as_slice()), (200, &b"kassa-sandbox ok\n"[..]));

    // HEAD: the length of the GET answer, no body (the pipelined GET still parses).
    s.write_all(
        b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        s.read_exact(&mut b).unwrap();
        head.push(b[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    assert!(head.contains("Content-Length: 17\r\n"), "{head}");
    let (status, _, body) = read_response(&mut s).unwrap();
    assert_eq!((status, body.as_slice()), (200, &b"kassa-sandbox ok\n"[..]));

    // Expect: 100-continue gets its interim answer before the body is sent.
    let body = br#"{"outcome": "deny", "count": 1}"#;
    write!(
        s,
        "POST /_control/s0/prepay HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    assert_eq!(read_response(&mut s).unwrap().0, 100);
    s.write_all(body).unwrap();
    let (status, _, answer) = read_response(&mut s).unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    sandbox.shutdown();
}

/// Malformed heads are hyper's to refuse (RFC 9112 §2.2: 400, or 431 for a head over
/// the limit) with an empty body; a body over the limit is ours, and its 413 names the
/// limit. Either way the connection closes cleanly after the answer (no reset).
#[test]
fn malformed_or_oversized_requests_get_an_error_then_close() {
    let sandbox = Sandbox::start(SandboxConfig::for_tests().unwrap()).unwrap();
    let url = sandbox.url().to_owned();
    let long_header = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(20 * 1024));
    let cases: [(&[u8], u16, &str); 7] = [
        (b"GARBAGE\r\n\r\n", 400, ""),
        (b"GET / HTTP/2.0\r\n\r\n", 400, ""),
        (b"GET / HTTP/1.1\r\nno colon\r\n\r\n", 400, ""),
        (
            b"POST /_control/s0/prepay HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
            400,
            "",
        ),
        (
            b"POST /_control/s0/prepay HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            400,
            "",
        ),
        // Refused from the header alone, before any of the body is sent.
        (
            b"POST /pingpp/v1/charges HTTP/1.1\r\nContent-Length: 70000\r\n\r\n",
            413,
            "65536",
        ),
        (long_header.as_bytes(), 431, ""),
    ];
    for (raw, want, names) in cases {
        let (mut s, status, head, body) = exchange(&url, raw);
        let text = String::from_utf8_lossy(&body);
        assert_eq!(status, want, "{head}{text}");
        assert!(text.contains(names), "{want}: {text} should name {names}");
        assert!(head.contains("Connection: close\r\n"), "{head}");
        assert_closed(&mut s);
    }
    // A chunked body over the limit is refused too.
    let mut raw =
        b"POST /pingpp/v1/charges HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        raw.extend_from_slice(format!("{:x}\r\n{}\r\n", 30_000, "x".repeat(30_000)).as_bytes());
    }
    let (mut s, status, _, _) = exchange(&url, &raw);
    assert_eq!(status, 413);
    assert_closed(&mut s);
    // HTTP/1.0 gets one answer, then the connection closes.
    let (mut s, status, head, _) = exchange(&url, b"GET /healthz HTTP/1.0\r\n\r\n");
    assert_eq!(status, 200);
    assert!(head.contains("Connection: close\r\n"), "{head}");
    assert_closed(&mut s);
    // Nothing above broke the server.
    let (_, status, _, _) = exchange(&url, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status, 200);
    sandbox.shutdown();
}
