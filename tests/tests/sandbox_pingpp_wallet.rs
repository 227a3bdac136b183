//! Ping++ charges and signed webhooks; the token wallet's signed notifications.
#![allow(clippy::unwrap_used)]

mod sandbox_support;

use kassa_shared::crypto::PublicKey;
use kassa_shared::providers::pingpp::webhook::{self, SIGNATURE_HEADER};
use kassa_shared::providers::wallet::notify::{self, NotifyStatus};
use kassa_tests::sandbox::config::fixtures as f;
use sandbox_support::{
    control, counter, get, json, pem, post_form, post_json, start, start_with, Receiver,
};
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
    // The sandbox counts a delivery once the receiver has answered, which can be a
    // moment after the receiver saw it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while counter(&sb, "wallet.notify.sent") < 5 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
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

fn location(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("location"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// One field of a form on a page (`name="k" value="v"`).
fn field(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .replace("&amp;", "&")
}

/// The shopper's Ping++ page, reached as `pingpp-js` reaches it in test mode
/// (`/pingpp/mock.php?ch_id=…`) or, for `alipay_wap`, from the credential's
/// `channel_url`: Approve pays and sends the signed webhook, then 303 to
/// `extra.success_url`; Decline sends nothing, records `user_cancelled` and goes to the
/// `Referer`; closed or unknown charges get error pages.
#[test]
fn pingpp_shopper_page_approve_and_decline() {
    let rx = Receiver::start("ok");
    let rx_url = rx.url.clone();
    let sb = start_with(move |c| c.pingpp.webhook_url = Some(rx_url));
    let charges = format!("{}/pingpp/v1/charges", sb.url());
    let mock = format!("{}/pingpp/mock.php", sb.url());
    let create = |order: &str, channel: &str, extra: Value| {
        let (s, text) = post_json(
            &charges,
            &AUTH,
            &json!({"order_no": order, "amount": 1000, "currency": "cny", "channel": channel,
                    "subject": "Tea", "body": "b", "client_ip": "127.0.0.1", "extra": extra}),
        );
        assert_eq!(s, 200, "{text}");
        json(&text)
    };
    let extra =
        json!({"success_url": "http://127.0.0.1:1/ok", "cancel_url": "http://127.0.0.1:1/no"});
    let ch = create("476682884348973312A1", "alipay_wap", extra.clone());
    let cred = &ch["credential"]["alipay_wap"];
    assert_eq!(ch["credential"]["object"], "credential");
    assert_eq!(
        cred["channel_url"],
        format!("{}/pingpp/alipay/gateway.do", sb.url())
    );
    assert_eq!(
        (
            cred["out_trade_no"].as_str(),
            cred["total_fee"].as_str(),
            cred["return_url"].as_str()
        ),
        (
            Some("476682884348973312A1"),
            Some("10.00"),
            Some("http://127.0.0.1:1/ok")
        )
    );
    let id = ch["id"].as_str().unwrap().to_owned();
    // pingpp-js testmode.js: ch_id, scheme, channel, order_no, time_expire, extra.
    let extra_q: String = form_urlencoded::byte_serialize(extra.to_string().as_bytes()).collect();
    let url = format!(
        "{mock}?ch_id={id}&scheme=http&channel=alipay_wap&order_no=476682884348973312A1&time_expire={}&extra={extra_q}",
        ch["time_expire"]
    );
    let (status, page) = get(&url, &[("Referer", "http://127.0.0.1:1/shop")]);
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<h1>Ping++ — pay 10.00 CNY with alipay_wap</h1>"),
        "{page}"
    );
    assert!(page.contains("476682884348973312A1") && !page.contains("<script"));
    assert_eq!(field(&page, "referer"), "http://127.0.0.1:1/shop");
    let (status, headers, _) = post_form(
        &mock,
        &[
            ("ch_id".into(), id.clone()),
            ("result".into(), "success".into()),
            ("referer".into(), field(&page, "referer")),
        ],
    );
    assert_eq!(
        (status, location(&headers)),
        (303, "http://127.0.0.1:1/ok".to_owned())
    );
    let got = rx.recv();
    let pingpp_pub = PublicKey::parse(&pem(f::PINGPP_PUBLIC)).unwrap();
    webhook::verify(
        &got.body,
        got.header(SIGNATURE_HEADER).unwrap(),
        &pingpp_pub,
    )
    .unwrap();
    let ev: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(
        (ev["type"].as_str(), ev["data"]["object"]["id"].as_str()),
        (Some("charge.succeeded"), Some(id.as_str()))
    );
    let paid = json(&get(&format!("{charges}/{id}"), &AUTH).1);
    assert_eq!(paid["paid"], true);
    assert!(paid["time_paid"].is_u64() && paid["transaction_no"].is_string());
    assert_eq!(get(&url, &[]).0, 409, "already paid");

    // wx_pub: credential for WeixinJSBridge; declined on the mock page, back to Referer.
    let bad = post_json(
        &charges,
        &AUTH,
        &json!({"order_no": "k2", "amount": 1, "currency": "cny", "channel": "wx_pub"}),
    );
    assert_eq!(
        (bad.0, json(&bad.1)["error"]["param"].clone()),
        (400, json!("extra[open_id]"))
    );
    let wx = create("476682884348973312A2", "wx_pub", json!({"open_id": "o_1"}));
    let c = &wx["credential"]["wx_pub"];
    for k in [
        "appId",
        "timeStamp",
        "nonceStr",
        "package",
        "signType",
        "paySign",
    ] {
        assert!(c[k].as_str().is_some_and(|v| !v.is_empty()), "{k}: {c}");
    }
    let wx_id = wx["id"].as_str().unwrap().to_owned();
    let (status, page) = get(
        &format!("{mock}?ch_id={wx_id}&channel=wx_pub"),
        &[("Referer", "http://127.0.0.1:1/shop")],
    );
    assert_eq!(status, 200);
    let (status, headers, _) = post_form(
        &mock,
        &[
            ("ch_id".into(), wx_id.clone()),
            ("result".into(), "fail".into()),
            ("referer".into(), field(&page, "referer")),
        ],
    );
    assert_eq!(
        (status, location(&headers)),
        (303, "http://127.0.0.1:1/shop".to_owned())
    );
    assert!(
        rx.try_recv(300).is_none(),
        "no webhook for a declined charge"
    );
    let declined = json(&get(&format!("{charges}/{wx_id}"), &AUTH).1);
    assert_eq!(
        (
            declined["paid"].as_bool(),
            declined["failure_code"].as_str()
        ),
        (Some(false), Some("user_cancelled"))
    );
    assert!(declined["failure_msg"].is_string());
    assert_eq!(
        get(&format!("{mock}?ch_id={wx_id}"), &[]).0,
        409,
        "declined"
    );
    assert_eq!(get(&format!("{mock}?ch_id=ch_nope"), &[]).0, 404);

    // Live-mode alipay_wap: the credential's channel_url with the other parameters, as
    // pingpp-js builds it; a tampered parameter breaks Alipay's signature.
    let ch3 = create("476682884348973312A3", "alipay_wap", json!({}));
    let cred = ch3["credential"]["alipay_wap"].as_object().unwrap().clone();
    let gateway = |tamper: bool| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in cred.iter().filter(|(k, _)| *k != "channel_url") {
            let v = v.as_str().unwrap();
            q.append_pair(
                k,
                if tamper && k == "total_fee" {
                    "0.01"
                } else {
                    v
                },
            );
        }
        format!("{}?{}", cred["channel_url"].as_str().unwrap(), q.finish())
    };
    let (status, page) = get(&gateway(false), &[]);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("476682884348973312A3"));
    let (status, page) = get(&gateway(true), &[]);
    assert_eq!(status, 400);
    assert!(page.contains("ILLEGAL_SIGN"));
    // No success_url and no Referer: a page that sends the shopper back by hand.
    let (status, _, page) = post_form(
        &mock,
        &[
            ("ch_id".into(), field(&get(&gateway(false), &[]).1, "ch_id")),
            ("result".into(), "success".into()),
        ],
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("return to the merchant"));
    let _ = rx.recv();
    assert_eq!(counter(&sb, "pingpp.page_approved"), 2);
    assert_eq!(counter(&sb, "pingpp.page_declined"), 1);
}

/// The wallet settles by itself (no shopper page): success while the token's balance
/// covers the amount (debited), a signed FAILED notify when it does not, nothing while
/// settlement is held.
#[test]
fn wallet_settles_by_itself_from_the_balance() {
    let rx = Receiver::start("SUCCESS");
    let sb = start_with(|c| c.wallet.settle_ms = Some(100));
    let wallet_pub = PublicKey::parse(&pem(f::WALLET_PUBLIC)).unwrap();
    let pay = |reference: &str| {
        let (s, text) = post_json(
            &format!("{}/wallet/charges", sb.url()),
            &[],
            &json!({"order_id": reference, "token_id": "USDT", "amount": "12.5", "notify_url": rx.url}),
        );
        assert_eq!(s, 200, "{text}");
        assert_eq!(json(&text)["status"], "PROCESSING");
    };
    pay("476682884348973312A1");
    let n = notify::verify(&rx.recv().body, &wallet_pub).unwrap();
    assert_eq!(
        (n.status, n.amount.as_str()),
        (NotifyStatus::Success, "12.5")
    );

    control(
        &sb,
        "wallet/balance",
        &json!({"token_id": "USDT", "balance": "5"}),
    );
    pay("476682884348973312A2");
    let n = notify::verify(&rx.recv().body, &wallet_pub).unwrap();
    assert_eq!(n.status, NotifyStatus::Failed);
    let (_, status) = get(
        &format!("{}/wallet/charges/476682884348973312A2", sb.url()),
        &[],
    );
    assert_eq!(
        notify::verify(status.as_bytes(), &wallet_pub)
            .unwrap()
            .status,
        NotifyStatus::Failed
    );

    control(
        &sb,
        "wallet/balance",
        &json!({"token_id": "USDT", "balance": "20.25"}),
    );
    pay("476682884348973312A3");
    assert_eq!(
        notify::verify(&rx.recv().body, &wallet_pub).unwrap().status,
        NotifyStatus::Success
    );
    let balances = json(&get(&format!("{}/_control/wallet/balances", sb.url()), &[]).1);
    assert_eq!(balances["balances"]["USDT"], "7.75");
    let payments = json(&get(&format!("{}/_control/wallet/payments", sb.url()), &[]).1);
    assert_eq!(payments["items"][1]["fail_reason"], "INSUFFICIENT_BALANCE");

    control(&sb, "wallet/settle", &json!({"ms": null}));
    pay("476682884348973312A4");
    assert!(
        rx.try_recv(400).is_none(),
        "held: settled only by a control"
    );
    assert_eq!(counter(&sb, "wallet.settled"), 2);
    assert_eq!(counter(&sb, "wallet.declined"), 1);
    let bad = post_json(
        &format!("{}/_control/wallet/balance", sb.url()),
        &[],
        &json!({"token_id": "USDT", "balance": "-1"}),
    );
    assert_eq!(bad.0, 400);
    assert!(bad.1.contains("balance"));
}
