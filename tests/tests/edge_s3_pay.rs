//! `pay` on an S3 (Lianshang) order under a real `wrangler dev` against the sandbox
//! (SPEC 3.5, 4.1, 4.2): the edge signs `createPayOrder` through WebCrypto, gzips and
//! encrypts it; the sandbox decrypts it and verifies the merchant signature; the edge
//! verifies the platform's signature before it trusts `pay_token` / `wk_trade_id`,
//! which the widget gets as a hand-off to the cashier (`handoff`). Then every way the answer can be wrong —
//! a forged field, a signature by another key, a SHA-1 downgrade, HTML garbage, a
//! signed refusal — fails the attempt with 409 `provider_refused` and leaves the order
//! payable, which a clean retry proves.
//!
//! The tampering is done by a small proxy in this test between the edge and the
//! sandbox, so the sandbox stays an honest provider.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use kassa_shared::crypto::{PrivateKey, SignAlg};
use kassa_shared::providers::lianshang::sign::sign_message;
use kassa_tests::edge_client::{merchant_order, s0_vars, sms_code};
use kassa_tests::harness::{agent, read_json, Edge, TempDir, MERCHANT_KEY};
use kassa_tests::sandbox::config::{fixture_pem, fixtures as f};
use kassa_tests::sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

fn bare_base64(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

/// What the proxy does to the sandbox's answer.
const PASS: u8 = 0;
/// Changes `pay_token` after signing.
const FORGE_FIELD: u8 = 1;
/// Re-signs the answer with a key that is not the platform's.
const OTHER_KEY: u8 = 2;
/// Re-signs with the platform key but SHA-1 ("RSA") while the edge wants RSA2.
const SHA1: u8 = 3;

/// A one-request-per-connection HTTP proxy to `{upstream}{path}` that rewrites the
/// answer per `mode`. Returns its base URL.
fn start_proxy(upstream: String, mode: Arc<AtomicU8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let platform = PrivateKey::parse(&fixture_pem(f::S3_PLATFORM_PRIVATE).unwrap()).unwrap();
    let impostor = PrivateKey::parse(&fixture_pem(f::IMPOSTOR_PRIVATE).unwrap()).unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
            let mut len = 0;
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        len = v.trim().parse().unwrap();
                    }
                }
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let mut resp = agent()
                .post(format!("{upstream}{path}"))
                .header("Content-Type", "application/json")
                .send(&body[..])
                .unwrap();
            let status = resp.status().as_u16();
            let mut text = resp.body_mut().read_to_string().unwrap();
            let m = mode.load(Ordering::SeqCst);
            if m != PASS {
                let mut v: Value = serde_json::from_str(&text).unwrap();
                match m {
                    FORGE_FIELD => v["newBizResponseData"]["pay_token"] = json!("pt_forged"),
                    OTHER_KEY => sign_message(&mut v, &impostor, SignAlg::Rsa2).unwrap(),
                    _ => sign_message(&mut v, &platform, SignAlg::Rsa).unwrap(),
                }
                text = v.to_string();
            }
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                text.len()
            );
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(text.as_bytes());
        }
    });
    url
}

fn counter(http: &ureq::Agent, sb: &str, name: &str) -> u64 {
    let (_, v) = read_json(http.get(format!("{sb}/_control/counters")).call()).unwrap();
    v["counters"][name].as_u64().unwrap_or(0)
}

#[test]
fn s3_pay_through_the_sandbox() {
    let sandbox = Sandbox::start(SandboxConfig::for_tests().unwrap()).unwrap();
    let sb = sandbox.url().to_owned();
    let mode = Arc::new(AtomicU8::new(PASS));
    let proxy = start_proxy(format!("{sb}/s3"), mode.clone());
    let dir = TempDir::new("edge-s3-pay").unwrap();
    let s0_url = format!("{sb}/s0");
    let merchant_key = bare_base64(&fixture_pem(f::S3_MERCHANT_PRIVATE).unwrap());
    let platform_pub = bare_base64(&fixture_pem(f::S3_PLATFORM_PUBLIC).unwrap());
    let mut vars = s0_vars(&s0_url).to_vec();
    vars.extend([
        ("KASSA_PUBLIC_URL", "http://127.0.0.1:9"),
        ("KASSA_S3_URL", &proxy),
        ("KASSA_S3_MERCHANT_ID", "yx001"),
        ("KASSA_S3_CASHIER_URL", "http://127.0.0.1:9/s3/cashier"),
        ("KASSA_S3_SETTLEMENT_ID", "lx0account0"),
        ("KASSA_S3_APPID", "1001"),
        ("KASSA_S3_PRIVATE_KEY", &merchant_key),
        ("KASSA_S3_PLATFORM_PUBLIC_KEY", &platform_pub),
        ("KASSA_S3_GZIP", "1"),
        // Several codes for one order and user in a row (retries after failures).
        ("KASSA_RISK_CODE_SEND_MIN_GAP_SECS", "0"),
        ("KASSA_RISK_CODE_SEND_PER_HOUR", "100"),
        ("KASSA_RISK_VELOCITY_USER_10M", "100"),
    ]);
    let edge = Edge::start_with(dir.path(), &vars).unwrap();
    let http = agent();
    let url = edge.url();

    let create = |user: &str| {
        let (s, o) = read_json(
            http.post(format!("{url}/v1/orders"))
                .header("Authorization", &format!("Bearer {MERCHANT_KEY}"))
                .send_json(json!({
                    "channel": "lianshang", "amount": 2000, "currency": "CNY",
                    "description": "钓鱼达人",
                    "user": {"id": user, "mobile": "18600000001"},
                })),
        )
        .unwrap();
        assert_eq!(s, 201, "{o}");
        (
            o["id"].as_str().unwrap().to_owned(),
            o["client_secret"].as_str().unwrap().to_owned(),
        )
    };
    // A fresh SMS code, then pay with it.
    let pay = |id: &str, secret: &str| {
        let (send_id, code) = sms_code(&http, &url, id, secret).unwrap();
        let body = json!({"order_id": id, "verify_code_order_id": send_id, "verify_code": code});
        read_json(
            http.post(format!("{url}/api/payment/order/pay"))
                .header("Authorization", &format!("Bearer {secret}"))
                .send_json(body),
        )
        .unwrap()
    };
    let status = |id: &str| {
        let o = merchant_order(&http, &url, id).unwrap();
        o["status"].as_str().unwrap().to_owned()
    };
    let trades = || {
        let (_, v) = read_json(http.get(format!("{sb}/_control/s3/trades")).call()).unwrap();
        v
    };

    // The happy path: one trade at the platform, for this order and amount; the
    // attempt is processing; the widget gets the verified token and trade id.
    let (id, secret) = create("u-s3-1");
    let (s, v) = pay(&id, &secret);
    assert_eq!(s, 200, "{v} / {}", edge.log_tail());
    assert_eq!(v["orderId"], id.as_str());
    assert_eq!(v["status"], "PROCESSING");
    assert_eq!(counter(&http, &sb, "s3.trade_created"), 1);
    let t = trades();
    let trade = t["items"]
        .as_array()
        .unwrap()
        .iter()
        // `out_trade_id` is the attempt's reference, `{order}A{attempt}`.
        .find(|t| {
            t["out_trade_id"]
                .as_str()
                .is_some_and(|o| o.starts_with(&format!("{id}A")))
        })
        .unwrap()
        .clone();
    assert_eq!(trade["pay_amount"], 2000);
    assert_eq!(trade["pay_currency"], "CNY");
    assert_eq!(trade["merchant_id"], "yx001");
    assert_eq!(
        trade["notify_url"],
        "http://127.0.0.1:9/callbacks/lianshang"
    );
    assert_eq!(trade["security_type"], "RSA2");
    // The widget is handed the cashier with this trade's token, nothing else.
    let token: String =
        form_urlencoded::byte_serialize(trade["pay_token"].as_str().unwrap().as_bytes()).collect();
    assert_eq!(
        v["handoff"],
        json!({"method": "GET", "url": format!("http://127.0.0.1:9/s3/cashier?pay_token={token}")})
    );
    assert_eq!(status(&id), "processing");

    // Each bad answer: 409 provider_refused, nothing handed to the widget, the order
    // still payable.
    let (id, secret) = create("u-s3-2");
    for (m, script) in [
        (FORGE_FIELD, None),
        (OTHER_KEY, None),
        (SHA1, None),
        (PASS, Some("garbage")),
        (PASS, Some("deny")),
    ] {
        mode.store(m, Ordering::SeqCst);
        if let Some(outcome) = script {
            let (s, _) = read_json(
                http.post(format!("{sb}/_control/s3/script"))
                    .send_json(json!({"outcome": outcome, "count": 1})),
            )
            .unwrap();
            assert_eq!(s, 200);
        }
        let (s, v) = pay(&id, &secret);
        assert_eq!(
            (s, v["code"].as_str()),
            (409, Some("provider_refused")),
            "mode {m} {script:?}: {v}"
        );
        assert!(v.get("handoff").is_none(), "{v}");
        assert_eq!(status(&id), "pending", "mode {m} {script:?}");
    }
    mode.store(PASS, Ordering::SeqCst);
    let (s, v) = pay(&id, &secret);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "PROCESSING");
    assert!(v["handoff"]["url"]
        .as_str()
        .is_some_and(|u| u.starts_with("http://127.0.0.1:9/s3/cashier?pay_token=pt_")));
}
