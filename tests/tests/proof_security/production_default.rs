//! Item 5 and two low items: a deploy used to run in development mode
//! (`edge/wrangler.toml` set `KASSA_ENV="development"` for `wrangler deploy` too: dev
//! outbox on, codes in clear, `http://` notify URLs). These tests start the edge exactly
//! as the deployed configuration does — no `KASSA_ENV` at all — and try what an
//! attacker would. (`cargo xtask deploy-check`, a CI step, holds the file itself.)
//! Also: production refuses notify URLs on loopback, private and link-local hosts; a
//! configuration error never names a secret variable to the caller; the live-status
//! socket takes no `client_secret` in its URL.

use kassa_tests::edge_client::{create_order, merchant_get};
use kassa_tests::harness::{agent, read_json, Edge, TempDir};
use serde_json::json;

fn order_body(notify_url: &str) -> serde_json::Value {
    json!({"channel": "wallet", "amount": "12.5", "token": "USDT",
        "user": {"id": "u-prod", "mobile": "18600000009"}, "notify_url": notify_url})
}

#[test]
fn the_deployed_configuration_is_production() {
    let dir = TempDir::new("sec-prod-default").unwrap();
    let edge = Edge::start_production(dir.path(), &[]).unwrap();
    let http = agent();
    let url = edge.url();
    // No dev outbox: a code sent is readable by nobody but the merchant's receiver.
    let (s, v) = merchant_get(&http, &url, "/v1/dev/outbox?order_id=1").unwrap();
    assert_eq!(s, 404, "{v}");
    let o = create_order(
        &http,
        &url,
        &order_body("https://merchant.example.com/kassa/hooks"),
    )
    .unwrap();
    let id = o["id"].as_str().unwrap();
    let secret = o["client_secret"].as_str().unwrap();
    let (s, v) = read_json(
        http.post(format!("{url}/api/payment/order/send_payment_verify_code"))
            .header("Authorization", &format!("Bearer {secret}"))
            .send_json(json!({"order_id": id})),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");
    let (s, v) = merchant_get(&http, &url, &format!("/v1/dev/outbox?order_id={id}")).unwrap();
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (404, Some("route_not_found")),
        "{v}"
    );
    assert!(v["data"].is_null(), "{v}");
    // Notify URLs: https to a public host only.
    for bad in [
        "http://merchant.example.com/hooks",
        "https://127.0.0.1/hooks",
        "https://10.0.0.5/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]:8443/hooks",
        "https://[fd00::5]/hooks",
        "https://localhost/hooks",
        "https://db.internal/hooks",
    ] {
        let (s, v) = read_json(
            http.post(format!("{url}/v1/orders"))
                .header(
                    "Authorization",
                    &format!("Bearer {}", kassa_tests::harness::MERCHANT_KEY),
                )
                .send_json(order_body(bad)),
        )
        .unwrap();
        assert_eq!(
            (s, v["error"]["param"].as_str()),
            (400, Some("notify_url")),
            "{bad}: {v}"
        );
    }
}

#[test]
fn development_is_explicit_and_still_works_for_the_local_stack() {
    let dir = TempDir::new("sec-dev-explicit").unwrap();
    // `Edge::start` is the local stack's way: KASSA_ENV=development on the command line.
    let edge = Edge::start(dir.path()).unwrap();
    let http = agent();
    let url = edge.url();
    let o = create_order(&http, &url, &order_body("http://127.0.0.1:9/hooks")).unwrap();
    assert!(o["id"].is_string(), "{o}");
    let (s, v) = merchant_get(
        &http,
        &url,
        &format!("/v1/dev/outbox?order_id={}", o["id"].as_str().unwrap()),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");
}

#[test]
fn configuration_errors_name_no_variable() {
    let dir = TempDir::new("sec-config-error").unwrap();
    let edge =
        Edge::start_production(dir.path(), &[("KASSA_PINGPP_PUBLIC_KEY", "not-a-key")]).unwrap();
    let http = agent();
    let resp = http
        .post(format!("{}/callbacks/pingpp", edge.url()))
        .header("X-Pingplusplus-Signature", "Zm9yZ2Vk")
        .content_type("application/json")
        .send(r#"{"id":"evt_1","type":"charge.succeeded","data":{"object":{}}}"#)
        .unwrap();
    let s = resp.status().as_u16();
    // Ping++'s error form is plain text: read the body as it comes.
    let text = resp.into_body().read_to_string().unwrap();
    assert_eq!(s, 500, "{text}");
    assert!(
        !text.contains("KASSA_"),
        "an anonymous caller learns a variable name: {text}"
    );
    assert!(text.contains("misconfigured"), "{text}");
}

/// The WebSocket handshake's HTTP status: 101 when upgraded.
fn handshake(url: &str, protocol: Option<&str>) -> u16 {
    use tungstenite::client::IntoClientRequest;
    let mut req = url.into_client_request().unwrap();
    if let Some(p) = protocol {
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", p.parse().unwrap());
    }
    let host = req.uri().authority().unwrap().as_str().to_owned();
    let stream = std::net::TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(15)))
        .unwrap();
    match tungstenite::client(req, stream) {
        Ok((_ws, resp)) => resp.status().as_u16(),
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(resp))) => {
            resp.status().as_u16()
        }
        Err(e) => panic!("handshake: {e}"),
    }
}

#[test]
fn the_live_socket_takes_no_secret_in_its_url() {
    let dir = TempDir::new("sec-ws-query").unwrap();
    let edge = Edge::start(dir.path()).unwrap();
    let http = agent();
    let url = edge.url();
    let o = create_order(&http, &url, &order_body("http://127.0.0.1:9/hooks")).unwrap();
    let id = o["id"].as_str().unwrap();
    let secret = o["client_secret"].as_str().unwrap();
    let ws = url.replacen("http://", "ws://", 1);
    assert_eq!(
        handshake(
            &format!("{ws}/api/payment/order/events?order_id={id}&client_secret={secret}"),
            None
        ),
        400
    );
    // The subprotocol still carries it, as the widget sends it.
    assert_eq!(
        handshake(
            &format!("{ws}/api/payment/order/events?order_id={id}"),
            Some(&format!("kassa.v1, bearer.{secret}"))
        ),
        101
    );
}
