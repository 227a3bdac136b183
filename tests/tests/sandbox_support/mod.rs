//! Helpers shared by the `sandbox_*` integration tests: a started sandbox, a plain
//! HTTP client, and a tiny local receiver standing in for the edge's callback routes.
#![allow(clippy::unwrap_used, clippy::panic, dead_code)]

use std::net::TcpListener;
use std::sync::mpsc::{channel, Receiver as Rx};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kassa_httpd::{Listener, Request, Response};
use kassa_tests::sandbox::config::fixture_pem;
use kassa_tests::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use serde_json::Value;

pub fn start() -> SandboxHandle {
    Sandbox::start(SandboxConfig::for_tests().unwrap()).unwrap()
}

pub fn start_with(f: impl FnOnce(&mut SandboxConfig)) -> SandboxHandle {
    let mut c = SandboxConfig::for_tests().unwrap();
    f(&mut c);
    Sandbox::start(c).unwrap()
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// Status and body text.
pub fn post_json(url: &str, headers: &[(&str, &str)], body: &Value) -> (u16, String) {
    let mut rq = agent().post(url).header("Content-Type", "application/json");
    for (k, v) in headers {
        rq = rq.header(*k, *v);
    }
    let mut r = rq.send(body.to_string().as_bytes()).unwrap();
    let status = r.status().as_u16();
    (status, r.body_mut().read_to_string().unwrap())
}

pub fn post_form(url: &str, pairs: &[(String, String)]) -> (u16, Vec<(String, String)>, String) {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    let mut r = agent()
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(ser.finish().as_bytes())
        .unwrap();
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    (status, headers, r.body_mut().read_to_string().unwrap())
}

pub fn get(url: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut rq = agent().get(url);
    for (k, v) in headers {
        rq = rq.header(*k, *v);
    }
    let mut r = rq.call().unwrap();
    let status = r.status().as_u16();
    (status, r.body_mut().read_to_string().unwrap())
}

pub fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

pub fn control(sb: &SandboxHandle, path: &str, body: &Value) -> Value {
    let (status, text) = post_json(&format!("{}/_control/{path}", sb.url()), &[], body);
    assert_eq!(status, 200, "{path}: {text}");
    json(&text)
}

pub fn counter(sb: &SandboxHandle, name: &str) -> u64 {
    let (_, text) = get(&format!("{}/_control/counters", sb.url()), &[]);
    json(&text)["counters"][name].as_u64().unwrap_or(0)
}

pub fn pem(name: &str) -> String {
    fixture_pem(name).unwrap()
}

/// What the receiver got.
#[derive(Debug, Clone)]
pub struct Got {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Got {
    pub fn header(&self, name: &str) -> Option<&str> {
        kassa_httpd::header(&self.headers, name)
    }
}

/// A local HTTP server on 127.0.0.1 that records every request and answers 200 with
/// `reply` (the edge's callback routes, for the sandbox's outbound posts).
pub struct Receiver {
    pub url: String,
    rx: Rx<Got>,
    // Dropping it stops the server and joins its threads.
    _server: Listener,
}

impl Receiver {
    pub fn start(reply: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let (tx, rx) = channel();
        let tx = Mutex::new(tx);
        let server = Listener::spawn(
            listener,
            1 << 20,
            Arc::new(move |rq: Request| {
                let got = Got {
                    headers: rq.headers,
                    body: rq.body,
                };
                let _ = tx.lock().unwrap().send(got);
                Response::new(200, "text/plain", reply)
            }),
        )
        .unwrap();
        Self {
            url: format!("http://{}/callbacks/test", server.addr()),
            rx,
            _server: server,
        }
    }

    pub fn recv(&self) -> Got {
        self.rx.recv_timeout(Duration::from_secs(10)).unwrap()
    }

    pub fn try_recv(&self, ms: u64) -> Option<Got> {
        self.rx.recv_timeout(Duration::from_millis(ms)).ok()
    }
}
