//! Ping++ charges and signed webhooks; the token wallet's signed notifications.
#![allow(clippy::unwrap_used)]

mod sandbox_support;

use kassa_shared::crypto::PublicKey;
use kassa_shared::providers::pingpp::webhook::{self, SIGNATURE_HEADER};
use kassa_shared::providers::wallet::notify::{self, NotifyStatus};
use kassa_tests::sandbox::config::fixtures as f;
use sandbox_support::{control, counter, get, json, pem, post_json, start, start_with, Receiver};
use serde_json::{json, Value};

/// A wallet payment's `order_id`: an attempt's reference.
const REF: &str = "476682884348973312A5";
const AUTH: [(&str, &str); 1] = [("Authorization", "Bearer sk_test_kassa")];

#[test]
fn pingpp_charge_webhooks_and_retrieve() {
    let rx = Receiver::start("ok");
    let rx_url = rx.url.clone();
    let sb = start_with(move |c| c.pingpp.webhook_url = Some(rx_url));
    let charges = format!("{}/pingpp/v1/charges", sb.url());
    let body = json!({"order_no": "476682884348973312", "amount": 1000, "currency": "cny",
                      "channel": "alipay_wap", "subject": "s", "body": "b", "client_ip": "127.0.0.1"});
    assert_eq!(post_json(&charges, &[], &body).0, 401);
    let (status, text) = post_json(&charges, &AUTH, &body);
    assert_eq!(status, 200, "{text}");
    let ch = json(&text);
    assert_eq!(
        (ch["object"].as_str(), ch["paid"].as_bool()),
        (Some("charge"), Some(false))
    );
    let id = ch["id"].as_str().unwrap().to_owned();
    // Same order_no again: the same charge, still one created.
    assert_eq!(
        json(&post_json(&charges, &AUTH, &body).1)["id"],
        id.as_str()
    );
    assert_eq!(counter(&sb, "pingpp.charge_created"), 1);
    assert_eq!(counter(&sb, "pingpp.charge_request"), 2);

    let (status, text) = post_json(
        &charges,
        &AUTH,
        &json!({"order_no": "x", "amount": -5, "currency": "cny", "channel": "c"}),
    );
    assert_eq!(status, 400);
    assert_eq!(json(&text)["error"]["param"], "amount");

    let pingpp_pub = PublicKey::parse(&pem(f::PINGPP_PUBLIC)).unwrap();
    for event in ["charge.succeeded", "refund.succeeded"] {
        control(&sb, "pingpp/complete", &json!({"id": id, "event": event}));
        let got = rx.recv();
        let sig = got.header(SIGNATURE_HEADER).unwrap().to_owned();
        webhook::verify(&got.body, &sig, &pingpp_pub).unwrap();
        let ev: Value = serde_json::from_slice(&got.body).unwrap();
        assert_eq!(ev["type"], event);
        assert_eq!(ev["data"]["object"]["amount"], 1000);
    }
    let (_, text) = get(&format!("{charges}/{id}"), &AUTH);
    let ch = json(&text);
    assert_eq!(
        (ch["paid"].as_bool(), ch["refunded"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(get(&format!("{charges}/ch_nope"), &AUTH).0, 404);
    // Refunded in full already: a refund API call is refused, naming the amount.
    let refunds = format!("{charges}/{id}/refunds");
    let (status, text) = post_json(&refunds, &AUTH, &json!({"amount": 1}));
    assert_eq!(
        (status, json(&text)["error"]["param"].clone()),
        (400, json!("amount"))
    );

    // The refund API: paid charges only, amount up to what is left, settled by a signed
    // `refund.succeeded` webhook shortly after.
    let body2 = json!({"order_no": "476682884348973312A7", "amount": 800, "currency": "cny",
                       "channel": "alipay_wap"});
    let ch2 = json(&post_json(&charges, &AUTH, &body2).1)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refunds = format!("{charges}/{ch2}/refunds");
    assert_eq!(post_json(&refunds, &[], &json!({})).0, 401);
    let (status, text) = post_json(&refunds, &AUTH, &json!({}));
    assert_eq!(
        (status, json(&text)["error"]["param"].clone()),
        (400, json!("charge"))
    );
    control(&sb, "pingpp/complete", &json!({"id": ch2}));
    rx.recv();
    let (status, text) = post_json(&refunds, &AUTH, &json!({"amount": 801}));
    assert_eq!(
        (status, json(&text)["error"]["param"].clone()),
        (400, json!("amount"))
    );
    let (status, text) = post_json(&refunds, &AUTH, &json!({"amount": 800, "description": "d"}));
    assert_eq!(status, 200, "{text}");
    let re = json(&text);
    assert_eq!(
        (
            re["object"].as_str(),
            re["status"].as_str(),
            re["charge"].as_str()
        ),
        (Some("refund"), Some("pending"), Some(ch2.as_str()))
    );
    let got = rx.recv();
    webhook::verify(
        &got.body,
        got.header(SIGNATURE_HEADER).unwrap(),
        &pingpp_pub,
    )
    .unwrap();
    let ev: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(ev["type"], "refund.succeeded");
    assert_eq!(ev["data"]["object"]["id"], re["id"]);
    assert_eq!(ev["data"]["object"]["status"], "succeeded");
    assert_eq!(
        ev["data"]["object"]["charge_order_no"],
        "476682884348973312A7"
    );
    assert_eq!(
        post_json(&refunds, &AUTH, &json!({})).0,
        400,
        "nothing left"
    );
    assert_eq!(counter(&sb, "pingpp.refund_created"), 1);

    // The refund retrieve (issue 14): that refund of that charge, as it stands now —
    // also one made without the refund API (the dashboard refund of `id` above).
    let re_id = re["id"].as_str().unwrap();
    let (status, text) = get(&format!("{refunds}/{re_id}"), &AUTH);
    assert_eq!(status, 200, "{text}");
    let got = json(&text);
    assert_eq!(
        (
            got["succeed"].as_bool(),
            got["status"].as_str(),
            got["charge"].as_str()
        ),
        (Some(true), Some("succeeded"), Some(ch2.as_str()))
    );
    assert_eq!(get(&format!("{refunds}/{re_id}"), &[]).0, 401);
    assert_eq!(get(&format!("{refunds}/re_nope"), &AUTH).0, 404);
    assert_eq!(
        get(&format!("{charges}/{id}/refunds/{re_id}"), &AUTH).0,
        404
    );
    let (_, text) = get(&format!("{charges}/{id}"), &AUTH);
    let dashboard = json(&text)["refunds"]["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, text) = get(&format!("{charges}/{id}/refunds/{dashboard}"), &AUTH);
    assert_eq!((status, json(&text)["amount"].clone()), (200, json!(1000)));

    // `order_no` is unique per app: another app may hold the same one.
    let mut other = body.clone();
    other["app"] = json!({"id": "app_other"});
    let (status, text) = post_json(&charges, &AUTH, &other);
    assert_eq!(status, 200, "{text}");
    let other = json(&text);
    assert_ne!(other["id"], id.as_str());
    assert_eq!(other["app"], "app_other");
    assert_eq!(ch["app"], "app_kassa_sandbox");

    control(
        &sb,
        "pingpp/complete",
        &json!({"id": id, "tamper": "signature"}),
    );
    let got = rx.recv();
    assert!(webhook::verify(
        &got.body,
        got.header(SIGNATURE_HEADER).unwrap(),
        &pingpp_pub
    )
    .is_err());
}

#[test]
fn wallet_pay_status_and_signed_notification() {
    let rx = Receiver::start("SUCCESS");
    let sb = start();
    let pay = |amount: &str| {
        post_json(
            &format!("{}/wallet/pay", sb.url()),
            &[],
            &json!({"order_id": REF, "token_id": "USDT", "amount": amount, "notify_url": rx.url}),
        )
    };
    assert_eq!(pay("1e3").0, 400);
    let (status, text) = pay("12.500000");
    assert_eq!(status, 200, "{text}");
    let trade_id = json(&text)["trade_id"].as_str().unwrap().to_owned();
    let wallet_pub = PublicKey::parse(&pem(f::WALLET_PUBLIC)).unwrap();
    // The status query answers the notification's shape, signed.
    let query = |reference: &str| {
        let (s, body) = get(&format!("{}/wallet/charges/{reference}", sb.url()), &[]);
        (s, notify::verify(body.as_bytes(), &wallet_pub).ok())
    };
    let (s, n) = query(REF);
    assert_eq!(s, 200);
    assert_eq!(n.unwrap().status, NotifyStatus::Processing);
    assert_eq!(query("476682884348973312A6").0, 404, "another attempt");
    assert_eq!(
        query("476682884348973312").0,
        404,
        "the exact reference only"
    );

    let out = control(
        &sb,
        "wallet/complete",
        &json!({"id": trade_id, "result": "success"}),
    );
    assert_eq!(out["sent"][0]["status"], 200);
    let n = notify::verify(&rx.recv().body, &wallet_pub).unwrap();
    assert_eq!(n.status, NotifyStatus::Success);
    assert_eq!(n.amount, "12.500000");
    assert_eq!(n.order_id.to_string(), REF);
    let pulled = query(REF).1.unwrap();
    assert_eq!(
        (pulled.status, pulled.trade_id),
        (NotifyStatus::Success, trade_id.clone())
    );

    control(
        &sb,
        "wallet/complete",
        &json!({"id": "476682884348973312", "tamper": "signature"}),
    );
    assert!(notify::verify(&rx.recv().body, &wallet_pub).is_err());
    control(
        &sb,
        "wallet/complete",
        &json!({"id": "476682884348973312", "tamper": "order_id"}),
    );
    let n = notify::verify(&rx.recv().body, &wallet_pub).unwrap();
    assert_ne!(n.order_id.to_string(), REF);
    control(
        &sb,
        "wallet/complete",
        &json!({"id": trade_id, "tamper": "wrong_key"}),
    );
    assert!(notify::verify(&rx.recv().body, &wallet_pub).is_err());

    // Delayed delivery arrives later, on its own.
    control(
        &sb,
        "wallet/complete",
        &json!({"id": trade_id, "delay_ms": 200}),
    );
    assert!(rx.try_recv(50).is_none());
    assert!(notify::verify(&rx.recv().body, &wallet_pub).is_ok());
    assert_eq!(counter(&sb, "wallet.pay"), 1);
    assert_eq!(counter(&sb, "wallet.payment_created"), 1);
    assert_eq!(counter(&sb, "wallet.notify.sent"), 5);
}

#[test]
fn outbound_posts_only_to_allowed_urls() {
    let sb = start();
    post_json(
        &format!("{}/wallet/pay", sb.url()),
        &[],
        &json!({"order_id": "476682884348973313", "token_id": "BTC", "amount": "0.1", "notify_url": "http://example.com/x"}),
    );
    let out = control(&sb, "wallet/complete", &json!({"id": "476682884348973313"}));
    assert!(
        out["sent"][0]["error"]
            .as_str()
            .unwrap()
            .contains("not allowed"),
        "{out}"
    );
    assert!(out["sent"][0]["status"].is_null());
}
