//! Item 4: anyone could write an order's audit log. Invalid tokens on the WebSocket
//! route and unverified callbacks appended to the log of the order they *claimed*; the
//! log keeps 500 entries, so ~500 anonymous requests evicted every genuine one. Now an
//! anonymous refusal writes nothing to the order and is counted in the sender's address
//! bucket (`GET /v1/rejections?ip=`), bounded; a valid token used on another order is
//! logged in the token's own order.

use serde_json::{json, Value};

use crate::proof_support::{Api, Rig};

/// The flooder's address, as Cloudflare would give it (`CF-Connecting-IP`).
const FLOODER: &str = "198.51.100.77";

fn audit(api: &Api, id: &str) -> Vec<Value> {
    let (s, v) = api.merchant("GET", &format!("/v1/orders/{id}/events"), None);
    assert_eq!(s, 200, "{v}");
    v["audit"].as_array().cloned().unwrap_or_default()
}

/// One anonymous request naming order `id`; returns its status.
fn anonymous(api: &Api, id: &str, i: usize) -> u16 {
    let forged = format!("kcs_forged{i}.AAAA");
    let resp = match i % 4 {
        // The live-status socket with a token that does not verify.
        0 => crate::live_socket_upgrade(&api.http, &api.url, id)
            .header(
                "Sec-WebSocket-Protocol",
                &format!("kassa.v1, bearer.{forged}"),
            )
            .header("CF-Connecting-IP", FLOODER)
            .call(),
        // A wallet notification naming the order, signed by nobody.
        1 => api
            .http
            .post(format!("{}/callbacks/wallet", api.url))
            .header("CF-Connecting-IP", FLOODER)
            .content_type("application/json")
            .send(
                json!({"order_id": format!("{id}A1"), "trade_id": "t", "token_id": "USDT",
                    "amount": "12.5", "status": "SUCCESS", "notify_id": i, "sign": "AAAA"})
                .to_string(),
            ),
        // A Ping++ event with a signature that does not verify.
        2 => api
            .http
            .post(format!("{}/callbacks/pingpp", api.url))
            .header("CF-Connecting-IP", FLOODER)
            .header("X-Pingplusplus-Signature", "Zm9yZ2Vk")
            .content_type("application/json")
            .send(
                json!({"id": format!("evt_{i}"), "type": "charge.succeeded",
                    "data": {"object": {"order_no": format!("{id}A1")}}})
                .to_string(),
            ),
        // A JSON channel in a media type no provider sends.
        _ => api
            .http
            .post(format!("{}/callbacks/lianshang", api.url))
            .header("CF-Connecting-IP", FLOODER)
            .content_type("text/plain")
            .send(json!({"out_trade_id": format!("{id}A1")}).to_string()),
    };
    match resp {
        Ok(r) => r.status().as_u16(),
        Err(e) => panic!("request {i}: {e}"),
    }
}

#[test]
fn anonymous_flood_leaves_the_order_log_alone_and_is_counted_elsewhere() {
    let rig = Rig::start("sec-audit-flood", &[]);
    let api = &rig.api;
    let (id, secret) = api.order("u-flood");
    // A genuine entry: the shopper's own wrong code (authenticated, so audited).
    let (send_id, code) = api.code(&id, &secret);
    let bad = if code == "111111" { "222222" } else { "111111" };
    let (s, v) = api.widget(
        "pay",
        &secret,
        None,
        &json!({"order_id": id, "verify_code_order_id": send_id, "verify_code": bad}),
    );
    assert_eq!(s, 400, "{v}");
    let before = audit(api, &id);
    assert!(!before.is_empty(), "the wrong code is audited");

    // 520 anonymous requests: more than the 500 entries the log keeps.
    let n = 520;
    for i in 0..n {
        let status = anonymous(api, &id, i);
        let want = if i % 4 == 3 { 415 } else { 401 };
        assert_eq!(status, want, "request {i}");
    }
    assert_eq!(
        audit(api, &id),
        before,
        "anonymous refusals must not write to the order they name"
    );
    let (s, o) = api.merchant("GET", &format!("/v1/orders/{id}"), None);
    assert_eq!((s, o["status"].as_str()), (200, Some("pending")), "{o}");

    // Counted in the flooder's bucket, bounded.
    let (s, r) = api.merchant("GET", &format!("/v1/rejections?ip={FLOODER}"), None);
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["bucket"], FLOODER);
    assert_eq!(r["total"], n as u64, "{r}");
    assert_eq!(r["counts"]["invalid_client_secret"], (n / 4) as u64, "{r}");
    assert_eq!(r["counts"]["callback_unverified"], (n / 2) as u64, "{r}");
    assert_eq!(
        r["counts"]["unsupported_content_type"],
        (n / 4) as u64,
        "{r}"
    );
    let recent = r["recent"].as_array().unwrap();
    assert!(recent.len() <= 20, "{r}");
    // Another address's bucket saw nothing; the route itself is the merchant's.
    let (_, other) = api.merchant("GET", "/v1/rejections?ip=198.51.100.78", None);
    assert_eq!(other["total"], 0, "{other}");
    let (s, v) = api.merchant("GET", "/v1/rejections?ip=not-an-ip", None);
    assert_eq!((s, v["error"]["param"].as_str()), (400, Some("ip")), "{v}");
    let anon = api
        .http
        .get(format!("{}/v1/rejections?ip={FLOODER}", api.url))
        .call()
        .unwrap();
    assert_eq!(anon.status().as_u16(), 401);
}

#[test]
fn a_valid_token_on_another_order_is_logged_in_its_own_order() {
    let rig = Rig::start("sec-audit-wrong-order", &[]);
    let api = &rig.api;
    let (victim, _) = api.order("u-victim");
    let (own, own_secret) = api.order("u-prober");
    let before = audit(api, &victim);
    let (s, v) = api.widget(
        "load_pay_data",
        &own_secret,
        None,
        &json!({"order_id": victim}),
    );
    assert_eq!(s, 403, "{v}");
    let ws = crate::live_socket_upgrade(&api.http, &api.url, &victim.to_string())
        .header("Authorization", &format!("Bearer {own_secret}"))
        .call()
        .unwrap();
    assert_eq!(ws.status().as_u16(), 403);
    assert_eq!(audit(api, &victim), before, "the victim's log is untouched");
    let own_log = audit(api, &own);
    let probes: Vec<&Value> = own_log
        .iter()
        .filter(|a| a["reason"] == "client_secret_wrong_order")
        .collect();
    assert_eq!(probes.len(), 2, "{own_log:?}");
    assert!(
        probes
            .iter()
            .all(|a| a["detail"].as_str().unwrap().contains(&victim)),
        "{own_log:?}"
    );
}
