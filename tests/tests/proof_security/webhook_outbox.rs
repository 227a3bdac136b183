//! Low items of the review on merchant webhooks: a verification code does not stay in
//! clear in the outbox once its webhook has been delivered, and delivery follows no
//! redirects (a receiver that answers 3xx does not get the signed body forwarded to
//! wherever it points).

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kassa_httpd::{Listener, Response};
use serde_json::{json, Value};

use crate::proof_support::Rig;

fn wait<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_delivered_code_webhook_keeps_no_code() {
    let rig = Rig::start("sec-code-redact", &[("KASSA_ENV", "production")]);
    let api = &rig.api;
    let (id, secret) = api.order("u-redact");
    let (s, v) = api.widget(
        "send_payment_verify_code",
        &secret,
        None,
        &json!({"order_id": id}),
    );
    assert_eq!(s, 200, "{v}");
    let code_hooks = |got: &[kassa_tests::sandbox::merchant::Received]| {
        got.iter()
            .filter(|r| r.kind.as_deref() == Some("verification_code.requested"))
            .filter(|r| r.body.contains(&id))
            .map(|r| (r.verified, serde_json::from_str::<Value>(&r.body).unwrap()))
            .collect::<Vec<_>>()
    };
    let got = rig.wait_webhooks("the code webhook", |g| !code_hooks(g).is_empty());
    let first = code_hooks(&got);
    let (verified, body) = &first[0];
    assert!(verified, "signed");
    let code = body["data"]["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 6, "{body}");
    let webhook_id = body["id"].as_str().unwrap().to_owned();
    // Delivered: the outbox now holds it without the code. A replay shows what is kept.
    wait("delivery recorded", || {
        let (_, w) = api.merchant("GET", &format!("/v1/orders/{id}/webhooks"), None);
        w["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == webhook_id.as_str() && e["status"] == "delivered")
            .then_some(())
    });
    let (s, v) = api.merchant(
        "POST",
        &format!("/v1/orders/{id}/webhooks/{webhook_id}/replay"),
        None,
    );
    assert_eq!(s, 200, "{v}");
    let got = rig.wait_webhooks("the replayed code webhook", |g| code_hooks(g).len() >= 2);
    let replayed = &code_hooks(&got)[1].1;
    assert_eq!(replayed["id"], webhook_id.as_str());
    assert_eq!(replayed["data"]["code"], Value::Null, "{replayed}");
    assert_eq!(replayed["data"]["code_redacted"], true, "{replayed}");
    assert!(!replayed.to_string().contains(&code), "{replayed}");
}

#[test]
fn delivery_follows_no_redirect() {
    let rig = Rig::start("sec-no-redirect", &[]);
    let api = &rig.api;
    // A receiver that says the hook moved to the sandbox's receiver.
    let target = format!("{}/merchant/webhooks", api.sb);
    let hits = Arc::new(Mutex::new(0u32));
    let hits2 = hits.clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _moved = Listener::spawn(
        listener,
        1 << 20,
        Arc::new(move |_req| {
            *hits2.lock().unwrap() += 1;
            let mut r = Response::new(307, "text/plain", "moved");
            r.headers.push(("Location".into(), target.clone()));
            r
        }),
    )
    .unwrap();
    let body = json!({"channel": "wallet", "amount": "12.5", "token": "USDT",
        "user": {"id": "u-redirect"}, "notify_url": format!("http://127.0.0.1:{port}/hook")});
    let (s, o) = api.merchant("POST", "/v1/orders", Some(&body));
    assert_eq!(s, 201, "{o}");
    let id = o["id"].as_str().unwrap().to_owned();
    let (s, v) = api.merchant("POST", &format!("/v1/orders/{id}/cancel"), None);
    assert_eq!(s, 200, "{v}");
    let attempt = wait("a delivery attempt", || {
        let (_, w) = api.merchant("GET", &format!("/v1/orders/{id}/webhooks"), None);
        w["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["type"] == "order.cancelled")
            .and_then(|e| e["deliveries"].as_array()?.first().cloned())
    });
    assert_eq!(attempt["status_code"], 307, "{attempt}");
    assert!(*hits.lock().unwrap() >= 1);
    // Give a follower time to have forwarded it; the sandbox receiver never sees it.
    std::thread::sleep(Duration::from_secs(2));
    let forwarded = rig
        .webhooks_received()
        .into_iter()
        .filter(|r| r.body.contains(&id))
        .count();
    assert_eq!(
        forwarded, 0,
        "the signed body was forwarded through the redirect"
    );
}
