//! Merchant webhooks (SPEC 3.5) from the order's outbox, over real HTTP to a receiver on
//! loopback: signed with `Kassa-Signature`, retried with backoff when the receiver
//! answers 500 (same webhook id), delivered after a wrangler restart when the receiver
//! was down, listed in the delivery log and replayable.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kassa_shared::crypto::webhook_sig;
use kassa_tests::edge_client::create_order;
use kassa_tests::harness::{
    agent, free_port, read_json, Edge, TempDir, MERCHANT_KEY, WEBHOOK_SECRET,
};
use serde_json::{json, Value};

/// One received webhook: its body and whether its signature verified.
#[derive(Clone, Debug)]
struct Received {
    body: Value,
    verified: bool,
}

/// A tiny webhook receiver: answers 500 to the first `fail_first` requests, then 200.
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(port: u16, fail_first: usize) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&got);
        std::thread::spawn(move || {
            let mut n = 0usize;
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let Some(r) = read_request(stream, n < fail_first) else {
                    continue;
                };
                n += 1;
                sink.lock().unwrap().push(r);
            }
        });
        Self { got }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn wait_for(&self, n: usize, edge: &Edge) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} webhooks: {got:?}\n{}",
                got.len(),
                edge.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn read_request(mut stream: TcpStream, fail: bool) -> Option<Received> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut len = 0usize;
    let mut signature = String::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            }
            if k.eq_ignore_ascii_case(webhook_sig::HEADER) {
                signature = v.trim().to_owned();
            }
        }
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    let verified = webhook_sig::verify(
        &[WEBHOOK_SECRET.as_bytes()],
        &signature,
        &body,
        now,
        webhook_sig::DEFAULT_TOLERANCE_SECS,
    )
    .is_ok();
    let status = if fail {
        "500 Internal Server Error"
    } else {
        "200 OK"
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    );
    Some(Received {
        body: serde_json::from_slice(&body).ok()?,
        verified,
    })
}

fn create(http: &ureq::Agent, url: &str, notify: &str) -> Value {
    let body = json!({
        "channel": "lianshang", "amount": 500, "currency": "CNY",
        "user": {"id": "u-w"}, "notify_url": notify,
    });
    create_order(http, url, &body).unwrap()
}

fn post(http: &ureq::Agent, url: &str, body: &Value) -> (u16, Value) {
    read_json(
        http.post(url)
            .header("Authorization", &format!("Bearer {MERCHANT_KEY}"))
            .send_json(body),
    )
    .unwrap()
}

fn get(http: &ureq::Agent, url: &str) -> (u16, Value) {
    read_json(
        http.get(url)
            .header("Authorization", &format!("Bearer {MERCHANT_KEY}"))
            .call(),
    )
    .unwrap()
}

#[test]
fn webhooks_are_signed_retried_survive_restart_and_replay() {
    let dir = TempDir::new("edge-webhooks").unwrap();
    let mut edge = Edge::start_with(
        dir.path(),
        &[
            ("KASSA_WEBHOOK_BACKOFF_MS", "300"),
            ("KASSA_TEST_HELPERS", "enabled"),
        ],
    )
    .unwrap();
    let http = agent();
    let url = edge.url();

    // 1. Receiver answers 500 once: the webhook is retried with the same id.
    let port = free_port().unwrap();
    let receiver = Receiver::start(port, 1);
    let order = create(&http, &url, &format!("http://127.0.0.1:{port}/hooks"));
    let id = order["id"].as_str().unwrap();
    let (s, _) = post(&http, &format!("{url}/v1/orders/{id}/cancel"), &json!({}));
    assert_eq!(s, 200);
    let got = receiver.wait_for(2, &edge);
    assert!(got.iter().all(|r| r.verified), "{got:?}");
    assert_eq!(
        got[0].body["id"], got[1].body["id"],
        "a redelivery keeps its id"
    );
    assert_eq!(got[0].body, got[1].body, "and its body");
    let hook = &got[1].body;
    assert_eq!(hook["type"], "order.cancelled");
    assert_eq!(hook["object"], "event");
    assert_eq!(hook["data"]["object"]["id"], order["id"]);
    assert_eq!(hook["data"]["object"]["status"], "cancelled");
    assert_eq!(hook["data"]["previous_status"], "pending");
    assert!(hook["created"].as_u64().is_some());

    // The delivery log shows both attempts.
    let deadline = Instant::now() + Duration::from_secs(10);
    let log = loop {
        let (s, log) = get(&http, &format!("{url}/v1/orders/{id}/webhooks"));
        assert_eq!(s, 200, "{log}");
        if log["data"][0]["status"] == "delivered" || Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let w = &log["data"][0];
    assert_eq!(
        (w["object"].as_str(), w["status"].as_str()),
        (Some("webhook"), Some("delivered")),
        "{log}"
    );
    assert_eq!(w["id"], hook["id"]);
    assert_eq!(w["attempts"], 2);
    assert_eq!(w["deliveries"][0]["status_code"], 500);
    assert_eq!(w["deliveries"][1]["status_code"], 200);

    // 2. Replay: delivered again, same id.
    let (s, r) = post(
        &http,
        &format!(
            "{url}/v1/orders/{id}/webhooks/{}/replay",
            hook["id"].as_str().unwrap()
        ),
        &json!({}),
    );
    assert_eq!(s, 200, "{r}");
    let got = receiver.wait_for(3, &edge);
    assert_eq!(got[2].body["id"], hook["id"]);
    let (s, e) = post(
        &http,
        &format!("{url}/v1/orders/{id}/webhooks/evt_nope/replay"),
        &json!({}),
    );
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (404, Some("resource_missing"))
    );

    // 3. Receiver down, then a restart: the pending webhook is delivered afterwards.
    let down_port = free_port().unwrap();
    let order = create(&http, &url, &format!("http://127.0.0.1:{down_port}/hooks"));
    let id2 = order["id"].as_str().unwrap();
    // A verified success (as a provider callback would apply it): order.succeeded.
    let (s, paid) = post(
        &http,
        &format!("{url}/v1/test_helpers/orders/{id2}/events"),
        &json!({"id": "TXN-9", "type": "attempt_succeeded", "attempt": "7", "provider": "lianshang"}),
    );
    assert_eq!(
        (s, paid["status"].as_str()),
        (200, Some("succeeded")),
        "{paid}"
    );
    // Wait for at least one failed attempt to be logged.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, log) = get(&http, &format!("{url}/v1/orders/{id2}/webhooks"));
        if log["data"][0]["attempts"].as_u64().unwrap_or(0) >= 1 {
            assert_eq!(log["data"][0]["status"], "pending", "{log}");
            break;
        }
        assert!(Instant::now() < deadline, "{log}");
        std::thread::sleep(Duration::from_millis(100));
    }
    edge.stop();
    let late = Receiver::start(down_port, 0);
    edge.restart().unwrap();
    let got = late.wait_for(1, &edge);
    assert!(got[0].verified);
    assert_eq!(got[0].body["type"], "order.succeeded");
    assert_eq!(got[0].body["id"], format!("evt_{id2}_s1"));
}

#[test]
fn webhook_fails_after_the_retry_window_and_is_replayable() {
    let dir = TempDir::new("edge-webhooks-fail").unwrap();
    // A 1 s retry window: attempts at 0, 0.3 s and 0.9 s, then the next (2.1 s) is past it.
    let edge = Edge::start_with(
        dir.path(),
        &[
            ("KASSA_WEBHOOK_BACKOFF_MS", "300"),
            ("KASSA_WEBHOOK_RETRY_SECS", "1"),
        ],
    )
    .unwrap();
    let http = agent();
    let url = edge.url();
    let port = free_port().unwrap();
    let receiver = Receiver::start(port, 3);
    let order = create(&http, &url, &format!("http://127.0.0.1:{port}/hooks"));
    let id = order["id"].as_str().unwrap();
    let (s, _) = post(&http, &format!("{url}/v1/orders/{id}/cancel"), &json!({}));
    assert_eq!(s, 200);

    let deadline = Instant::now() + Duration::from_secs(20);
    let hook = loop {
        let (_, log) = get(&http, &format!("{url}/v1/orders/{id}/webhooks"));
        if log["data"][0]["status"] == "failed" {
            break log["data"][0].clone();
        }
        assert!(Instant::now() < deadline, "{log}\n{}", edge.log_tail());
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(hook["attempts"], 3, "{hook}");
    assert_eq!(hook["next_attempt_ms"], Value::Null);
    assert_eq!(receiver.received().len(), 3);

    let hook_id = hook["id"].as_str().unwrap();
    let (s, r) = post(
        &http,
        &format!("{url}/v1/orders/{id}/webhooks/{hook_id}/replay"),
        &json!({}),
    );
    assert_eq!((s, r["status"].as_str()), (200, Some("pending")), "{r}");
    let got = receiver.wait_for(4, &edge);
    assert_eq!(got[3].body["id"], hook_id);
    assert!(got[3].verified);
}
