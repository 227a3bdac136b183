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

fn send_healthz(s: &mut TcpStream) {
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: sandbox\r\n\r\n")
        .unwrap();
}

#[test]
fn bursts_of_new_connections_are_answered_while_kept_alive_sockets_idle() {
    // A fresh server is the likeliest to strand a connection, so take several.
    for _ in 0..5 {
        let sandbox = Sandbox::start(SandboxConfig::for_tests().unwrap()).unwrap();
        let url = sandbox.url().to_owned();
        // Every answered socket stays open and idle, as an HTTP client's pool leaves it.
        let mut idle: Vec<TcpStream> = Vec::new();
        for round in 0..4 {
            // Connect the whole burst back to back so the server accepts them together.
            let mut burst: Vec<TcpStream> = (0..8).map(|_| connect(&url)).collect();
            for s in &mut burst {
                send_healthz(s);
            }
            for (i, s) in burst.iter_mut().enumerate() {
                let (status, _, body) = read_response(s).unwrap_or_else(|e| {
                    panic!(
                        "round {round}, request {i}: not answered within {ANSWER_WITHIN:?} \
                         while {} kept-alive sockets idle: {e}",
                        idle.len()
                    )
                });
                assert_eq!(status, 200, "round {round}, request {i}");
                assert_eq!(body, b"kassa-sandbox ok\n");
            }
            idle.extend(burst);
        }
        // The idle sockets are still usable (keep-alive is honoured, not dropped).
        for s in &mut idle {
            send_healthz(s);
            let (status, _, body) = read_response(s).unwrap();
            assert_eq!((status, body.as_slice()), (200, &b"kassa-sandbox ok\n"[..]));
        }
        sandbox.shutdown();
    }
}
