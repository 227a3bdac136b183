//! Refunds end to end (`POST /v1/orders/:id/refunds`, `order_object/refund.rs`): the real
//! edge under `wrangler dev` and the sandbox's Ping++ over HTTP. A paid Ping++ order is
//! refunded at Ping++ (the charge's refunds API, full amount), is `refunding` until
//! Ping++'s signed `refund.succeeded` webhook makes it `refunded`, with exactly one
//! `order.refunded` webhook and one S0 `REFUND_SUCCESS` relay. A second refund, a
//! concurrent pair, and a refund Ping++ refuses are each refused clearly with the order
//! unchanged; a channel without a refund API only records the request.
#![allow(clippy::unwrap_used, clippy::panic)]

mod callbacks_support;

use callbacks_support::{json_msg, lianshang_notify, World};
use serde_json::{json, Value};

fn status(w: &World, id: &str) -> String {
    w.order(id)["status"].as_str().unwrap().to_owned()
}

fn refund(w: &World, id: &str) -> (u16, Value) {
    w.merchant(
        "POST",
        &format!("/v1/orders/{id}/refunds"),
        Some(&json!({"reason": "customer asked"})),
    )
}

/// Waits for Ping++'s `refund.succeeded` webhook to settle the order.
fn wait_refunded(w: &World, id: &str) {
    w.wait("the refund.succeeded webhook", || {
        (status(w, id) == "refunded").then_some(())
    });
}

/// A Ping++ order paid and settled: pay creates the charge, its `charge.succeeded`
/// webhook (confirmed by retrieve) moves it to Succeeded.
fn paid_pingpp(w: &World, fen: u64) -> String {
    let (id, secret) = w.create_with_secret("pingpp", &json!({"amount": fen, "currency": "CNY"}));
    w.pay(&id, &secret);
    let charged = w.pingpp_event(&id, "charge.succeeded");
    assert_eq!(w.send(&charged).0, 200);
    assert_eq!(status(w, &id), "succeeded");
    id
}

/// The sandbox's charge for `order` (its `order_no` is one of the order's attempts).
fn charge_of(w: &World, order: &str) -> Value {
    let charges = w.control_get("pingpp/charges");
    charges["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["order_no"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{order}A"))
        })
        .unwrap()
        .clone()
}

#[test]
fn pingpp_refund_end_to_end() {
    let w = World::start("edge-refunds", &[]);

    // ---- Refund: Ping++ accepts → refunding → its webhook → refunded.
    let id = paid_pingpp(&w, 500);
    let (s, r) = refund(&w, &id);
    assert_eq!(s, 200, "{r}\n{}", w.edge.log_tail());
    assert_eq!(
        (r["object"].as_str(), r["status"].as_str(), &r["amount"]),
        (Some("refund"), Some("pending"), &json!(500))
    );
    let now = r["order"]["status"].as_str().unwrap();
    assert!(["refunding", "refunded"].contains(&now), "{r}");
    wait_refunded(&w, &id);
    let charge = charge_of(&w, &id);
    let refunds = charge["refunds"]["data"].as_array().unwrap();
    assert_eq!(refunds.len(), 1, "{charge}");
    assert_eq!(
        (&refunds[0]["amount"], &refunds[0]["status"]),
        (&json!(500), &json!("succeeded"))
    );
    assert_eq!(charge["refunded"], true);
    assert_eq!(w.counter("pingpp.refund_created"), 1);

    // Exactly one `order.refunded` webhook, one REFUND_SUCCESS relay.
    let (hooks, relays) = w.settle(&id);
    let refunded: Vec<Value> = w
        .webhooks(&id)
        .into_iter()
        .filter(|b| b["type"] == "order.refunded")
        .collect();
    assert_eq!(refunded.len(), 1, "{hooks:?}");
    assert_eq!(refunded[0]["data"]["object"]["status"], "refunded");
    assert_eq!(relays, ["PAY_ING", "PAY_SUCCESS", "REFUND_SUCCESS"]);

    // ---- Refund twice: refused by name, nothing changes, Ping++ is not asked again.
    let before = w.snapshot(&id);
    let (s, e) = refund(&w, &id);
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["error"]["code"], "order_not_refundable");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("refunded"),
        "{e}"
    );
    assert_eq!(w.snapshot(&id), before);
    assert_eq!(w.counter("pingpp.refund_request"), 1);
    assert_eq!(w.relays(&id), ["PAY_ING", "PAY_SUCCESS", "REFUND_SUCCESS"]);

    // ---- Two refund requests at once: one reaches Ping++, the other is refused.
    let id2 = paid_pingpp(&w, 700);
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| refund(&w, &id2));
        let b = s.spawn(|| refund(&w, &id2));
        (a.join().unwrap(), b.join().unwrap())
    });
    let mut codes = [a.0, b.0];
    codes.sort_unstable();
    assert_eq!(codes, [200, 409], "{a:?} {b:?}");
    let loser = if a.0 == 409 { &a.1 } else { &b.1 };
    let code = loser["error"]["code"].as_str().unwrap();
    assert!(
        ["refund_in_progress", "order_not_refundable"].contains(&code),
        "{loser}"
    );
    wait_refunded(&w, &id2);
    assert_eq!(w.counter("pingpp.refund_created"), 2);
    assert_eq!(
        charge_of(&w, &id2)["refunds"]["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // ---- Ping++ refuses (the charge was already refunded at Ping++, its webhook held):
    // 502 naming the refusal, the order unchanged and still refundable later.
    let id3 = paid_pingpp(&w, 900);
    w.control(
        "pingpp/complete",
        &json!({"id": id3, "event": "refund.succeeded", "hold": true}),
    );
    let before = w.snapshot(&id3);
    let (s, e) = refund(&w, &id3);
    assert_eq!(s, 502, "{e}");
    assert_eq!(e["error"]["code"], "refund_refused");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unchanged"),
        "{e}"
    );
    assert_eq!(w.snapshot(&id3), before);
    assert_eq!(status(&w, &id3), "succeeded");
    assert!(w.audit_reasons(&id3).contains(&"refund_refused".to_owned()));

    // ---- A channel without a refund API (S3: manual refunds): only recorded.
    let id4 = w.create("lianshang", &json!({"amount": 300, "currency": "CNY"}));
    let r4 = w.start_s3_attempt(&id4, 41);
    let ok = json_msg(
        "/callbacks/lianshang",
        &lianshang_notify(&r4, 300, "SUCCESS", "ln_41", None),
    );
    assert_eq!(w.send(&ok).0, 200);
    let asked = w.counter("pingpp.refund_request");
    let (s, r) = refund(&w, &id4);
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["order"]["status"], "refunding");
    assert_eq!(
        w.counter("pingpp.refund_request"),
        asked,
        "no provider call"
    );

    // The merchant refunds by hand, as S3's seed says, and records it: refunded, with
    // `order.refunded` and S0's REFUND_SUCCESS once each, S1 5.
    let settle = |id: &str, body: &Value| {
        w.merchant(
            "POST",
            &format!("/v1/orders/{id}/refunds/settle"),
            Some(body),
        )
    };
    let (s, e) = settle(&id4, &json!({"reference": ""}));
    assert_eq!(
        (s, e["error"]["param"].as_str()),
        (400, Some("reference")),
        "{e}"
    );
    assert_eq!(status(&w, &id4), "refunding");
    let (s, o) = settle(&id4, &json!({"reference": "bank ref 7731"}));
    assert_eq!((s, o["status"].as_str()), (200, Some("refunded")), "{o}");
    assert!(w
        .audit_reasons(&id4)
        .contains(&"refund_settled_by_merchant".to_owned()));
    let (hooks, relays) = w.settle(&id4);
    let types: Vec<String> = w
        .webhooks(&id4)
        .iter()
        .map(|h| h["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        types.iter().filter(|t| *t == "order.refunded").count(),
        1,
        "{types:?} {hooks:?}"
    );
    assert_eq!(
        relays.iter().filter(|r| *r == "REFUND_SUCCESS").count(),
        1,
        "{relays:?}"
    );
    let user = w.order(&id4)["user"]["id"].as_str().unwrap().to_owned();
    let (s, v) = w.merchant(
        "GET",
        &format!("/pay/getOrderStatus?version=v1.0&userId={user}&orderId={id4}"),
        None,
    );
    assert_eq!((s, &v["data"]["status"]), (200, &json!(5)), "{v}");
    // S2 shows the money that went back.
    let (s, cs) = w.merchant("POST", &format!("/v1/orders/{id4}/client_secret"), None);
    assert!(matches!(s, 200 | 201), "{cs}");
    let (s, pay_data) = kassa_tests::harness::read_json(
        w.http
            .get(format!(
                "{}/api/payment/order/load_pay_data?order_id={id4}",
                w.url
            ))
            .header(
                "Authorization",
                &format!("Bearer {}", cs["client_secret"].as_str().unwrap()),
            )
            .call(),
    )
    .unwrap();
    assert_eq!(s, 200, "{pay_data}");
    let line = &pay_data["orderInfo"]["payInfo"][0];
    assert_eq!(
        (&line["paidAmount"], &line["refundedAmount"]),
        (&json!("3.00"), &json!("3.00")),
        "{pay_data}"
    );
    // Only a refunding order's refund is settled, and never a Ping++ one by hand.
    let (s, e) = settle(&id4, &json!({}));
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("order_not_refundable")),
        "{e}"
    );
    let paid = paid_pingpp(&w, 200);
    let (s, _) = refund(&w, &paid);
    assert_eq!(s, 200);
    let (s, e) = settle(&paid, &json!({}));
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("order_not_refundable")),
        "{e}"
    );
}
