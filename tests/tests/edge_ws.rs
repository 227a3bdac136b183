//! Live status over a real WebSocket (SPEC 3.1): the order's Durable Object sends the
//! current status on connect and pushes the change when the merchant cancels; the
//! `client_secret` is checked (query parameter or Bearer header), a secret for another
//! order is 403, a bad one 401, and both land in the order's audit log.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::net::TcpStream;
use std::time::Duration;

use kassa_tests::edge_client::{create_order, merchant_get, strings};
use kassa_tests::harness::{agent, read_json, Edge, TempDir, MERCHANT_KEY};
use serde_json::{json, Value};
use tungstenite::client::IntoClientRequest;
use tungstenite::{Message, WebSocket};

fn create(http: &ureq::Agent, url: &str) -> Value {
    let body =
        json!({"channel": "wallet", "amount": "12.5", "token": "USDT", "user": {"id": "u-ws"}});
    create_order(http, url, &body).unwrap()
}

fn next_json(ws: &mut WebSocket<TcpStream>) -> Value {
    loop {
        match ws.read().unwrap() {
            Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

fn connect(url: &str, auth: Option<&str>) -> Result<WebSocket<TcpStream>, u16> {
    connect_with(url, auth.map(|a| ("Authorization", a))).map(|(ws, _)| ws)
}

/// Connects with one extra request header; returns the socket and the chosen subprotocol.
fn connect_with(
    url: &str,
    header: Option<(&'static str, &str)>,
) -> Result<(WebSocket<TcpStream>, Option<String>), u16> {
    let mut req = url.into_client_request().unwrap();
    if let Some((name, value)) = header {
        req.headers_mut().insert(name, value.parse().unwrap());
    }
    let host = req.uri().authority().unwrap().as_str().to_owned();
    let stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    match tungstenite::client(req, stream) {
        Ok((ws, resp)) => {
            let protocol = resp
                .headers()
                .get("Sec-WebSocket-Protocol")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            Ok((ws, protocol))
        }
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(resp))) => {
            Err(resp.status().as_u16())
        }
        Err(e) => panic!("handshake: {e}"),
    }
}

#[test]
fn websocket_pushes_status_changes() {
    let dir = TempDir::new("edge-ws").unwrap();
    let edge = Edge::start(dir.path()).unwrap();
    let http = agent();
    let url = edge.url();
    let ws_base = url.replacen("http://", "ws://", 1);

    let order = create(&http, &url);
    let id = order["id"].as_str().unwrap();
    let secret = order["client_secret"].as_str().unwrap();

    // No secret in the URL (it would end up in logs): refused, naming the parameter.
    let status = connect(
        &format!("{ws_base}/api/payment/order/events?order_id={id}&client_secret={secret}"),
        None,
    )
    .err();
    assert_eq!(status, Some(400));
    // Header auth (server clients) works; two sockets on one order both get pushes.
    let mut ws = connect(
        &format!("{ws_base}/api/payment/order/events?order_id={id}"),
        Some(&format!("Bearer {secret}")),
    )
    .unwrap();
    let mut ws2 = connect(
        &format!("{ws_base}/api/payment/order/events?order_id={id}"),
        Some(&format!("Bearer {secret}")),
    )
    .unwrap();
    // What the widget does: the secret rides in the subprotocol list, the edge picks kassa.v1.
    let (mut ws3, protocol) = connect_with(
        &format!("{ws_base}/api/payment/order/events?order_id={id}"),
        Some((
            "Sec-WebSocket-Protocol",
            &format!("kassa.v1, bearer.{secret}"),
        )),
    )
    .unwrap();
    assert_eq!(protocol.as_deref(), Some("kassa.v1"));
    for socket in [&mut ws, &mut ws2, &mut ws3] {
        let first = next_json(socket);
        assert_eq!(
            first,
            json!({"order_id": id, "status": "pending", "s2_status": 0, "seq": 0})
        );
    }

    let (s, _) = read_json(
        http.post(format!("{url}/v1/orders/{id}/cancel"))
            .header("Authorization", &format!("Bearer {MERCHANT_KEY}"))
            .send_empty(),
    )
    .unwrap();
    assert_eq!(s, 200);
    for socket in [&mut ws, &mut ws2, &mut ws3] {
        let pushed = next_json(socket);
        assert_eq!(
            pushed,
            json!({"order_id": id, "status": "cancelled", "s2_status": 4, "seq": 1})
        );
    }
    let _ = ws.close(None);
    let _ = ws2.close(None);

    // A secret for another order: 403; a forged one: 401; none: 401.
    let other = create(&http, &url);
    let other_secret = other["client_secret"].as_str().unwrap();
    let status = connect(
        &format!("{ws_base}/api/payment/order/events?order_id={id}"),
        Some(&format!("Bearer {other_secret}")),
    )
    .err();
    assert_eq!(status, Some(403));
    let status = connect(
        &format!("{ws_base}/api/payment/order/events?order_id={id}"),
        Some("Bearer kcs_forged.x"),
    )
    .err();
    assert_eq!(status, Some(401));
    let status = connect(
        &format!("{ws_base}/api/payment/order/events?order_id={id}"),
        None,
    )
    .err();
    assert_eq!(status, Some(401));

    // Neither refusal writes to the order they aimed at (issue 14 item 4): the probe
    // with a real token is logged in the token's own order, the forgery nowhere here.
    let (_, ev) = merchant_get(&http, &url, &format!("/v1/orders/{id}/events")).unwrap();
    assert_eq!(strings(&ev["audit"], "reason").unwrap(), Vec::<&str>::new());
    let other_id = other["id"].as_str().unwrap();
    let (_, ev) = merchant_get(&http, &url, &format!("/v1/orders/{other_id}/events")).unwrap();
    assert_eq!(
        strings(&ev["audit"], "reason").unwrap(),
        ["client_secret_wrong_order"]
    );
}
