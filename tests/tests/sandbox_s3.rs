//! S3 Lianshang over real HTTP: the edge's side of `createPayOrder` (sign, gzip,
//! encrypt) against the sandbox, the signed answer verified with the platform public
//! key, tampered and undecryptable requests, and the signed notify.
#![allow(clippy::unwrap_used)]

mod sandbox_support;

use kassa_shared::crypto::{PrivateKey, PublicKey, SignAlg};
use kassa_shared::providers::lianshang::sign::{encode_res_data, sign_message, verify_message};
use kassa_shared::providers::lianshang::wire::CreatePayOrderResponse;
use kassa_tests::sandbox::config::fixtures as f;
use sandbox_support::{control, counter, json, pem, post_json, start, Receiver};
use serde_json::{json, Value};

fn request(notify_url: &str, compress: &str, alg: SignAlg) -> Value {
    let mut m = json!({
        "newBaseData": {"version": "2", "platform": "H5", "request_id": "req-1",
            "guest_id": "GUESTER", "service_name": "CreatePayOrder", "language": 0,
            "merchant_id": "yx001", "time_stamp": "20261123120000", "compress_type": compress},
        "newBizData": {"pay_type": 1, "pay_way": "", "settlement_id": "st1", "appid": "app1",
            "out_trade_id": "476682884348973312", "pay_amount": 200, "pay_currency": "CNY",
            "product_subject": [{"channel_goods_code": "g1", "channel_goods_subject": "钓鱼达人",
                "channel_goods_sum": "1", "channel_goods_price": "200"}],
            "notify_url": notify_url, "merchant_url": "http://127.0.0.1:1/m",
            "callback_url": "http://127.0.0.1:1/c", "pay_expire": 30}
    });
    let merchant = PrivateKey::parse(&pem(f::S3_MERCHANT_PRIVATE)).unwrap();
    sign_message(&mut m, &merchant, alg).unwrap();
    m
}

fn send(url: &str, msg: &Value, gzip: bool) -> Value {
    let platform = PublicKey::parse(&pem(f::S3_PLATFORM_PUBLIC)).unwrap();
    let env = encode_res_data(msg, &platform, gzip, &mut rand::rngs::OsRng).unwrap();
    let (status, body) = post_json(&format!("{url}/s3/pai/createPayOrder"), &[], &env);
    assert_eq!(status, 200, "{body}");
    json(&body)
}

fn platform_pub() -> PublicKey {
    PublicKey::parse(&pem(f::S3_PLATFORM_PUBLIC)).unwrap()
}

#[test]
fn create_pay_order_round_trip_and_notify() {
    let sb = start();
    let rx = Receiver::start("SUCCESS");
    for (compress, gzip, alg) in [("1", true, SignAlg::Rsa2), ("0", false, SignAlg::Rsa)] {
        let resp = send(sb.url(), &request(&rx.url, compress, alg), gzip);
        // The answer is signed with the platform key, in the request's algorithm.
        assert_eq!(verify_message(&resp, &platform_pub()), Ok(alg), "{resp}");
        let parsed: CreatePayOrderResponse = serde_json::from_value(resp.clone()).unwrap();
        assert!(parsed.new_biz_response_data.result_code.is_success());
        assert!(parsed.new_biz_response_data.pay_token.is_some());
        assert!(parsed.new_biz_response_data.wk_trade_id.is_some());
    }
    // The same out_trade_id twice is one trade.
    assert_eq!(counter(&sb, "s3.create_pay_order"), 2);
    assert_eq!(counter(&sb, "s3.trade_created"), 1);
    let (_, trades) = sandbox_support::get(&format!("{}/_control/s3/trades", sb.url()), &[]);
    assert_eq!(json(&trades)["items"].as_array().unwrap().len(), 1);

    let out = control(
        &sb,
        "s3/complete",
        &json!({"id": "476682884348973312", "result": "success"}),
    );
    assert_eq!(out["sent"][0]["status"], 200, "{out}");
    let got = rx.recv();
    let notify: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(verify_message(&notify, &platform_pub()), Ok(SignAlg::Rsa2));
    assert_eq!(notify["trade_status"], "SUCCESS");
    assert_eq!(notify["pay_amount"], 200);
    assert_eq!(notify["pay_currency"], "CNY");
    assert_eq!(notify["out_trade_id"], "476682884348973312");

    // Tampered: a flipped signature no longer verifies; a changed amount is validly
    // signed but wrong (the edge's amount check catches it).
    control(
        &sb,
        "s3/complete",
        &json!({"id": "476682884348973312", "tamper": "signature"}),
    );
    let n: Value = serde_json::from_slice(&rx.recv().body).unwrap();
    assert!(verify_message(&n, &platform_pub()).is_err());
    control(
        &sb,
        "s3/complete",
        &json!({"id": "476682884348973312", "tamper": "amount"}),
    );
    let n: Value = serde_json::from_slice(&rx.recv().body).unwrap();
    assert!(verify_message(&n, &platform_pub()).is_ok());
    assert_eq!(n["pay_amount"], 201);
    control(
        &sb,
        "s3/complete",
        &json!({"id": "476682884348973312", "tamper": "wrong_key"}),
    );
    let n: Value = serde_json::from_slice(&rx.recv().body).unwrap();
    assert!(verify_message(&n, &platform_pub()).is_err());
    let impostor = PublicKey::parse(&pem(f::IMPOSTOR_PUBLIC)).unwrap();
    assert!(verify_message(&n, &impostor).is_ok());

    // Duplicates and a reversed release.
    control(
        &sb,
        "s3/complete",
        &json!({"id": "476682884348973312", "result": "fail", "hold": true}),
    );
    control(
        &sb,
        "s3/complete",
        &json!({"id": "476682884348973312", "result": "success", "hold": true, "duplicate": 1}),
    );
    assert!(rx.try_recv(100).is_none());
    let rel = control(&sb, "outbox/release", &json!({"order": "reverse"}));
    assert_eq!(rel["sent"].as_array().unwrap().len(), 3);
    let order: Vec<String> = (0..3)
        .map(|_| {
            serde_json::from_slice::<Value>(&rx.recv().body).unwrap()["trade_status"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(order, ["SUCCESS", "SUCCESS", "FAIL"]);
}

#[test]
fn tampered_and_undecryptable_requests_get_signed_errors() {
    let sb = start();
    let mut msg = request("http://127.0.0.1:1/n", "0", SignAlg::Rsa2);
    msg["newBizData"]["pay_amount"] = json!(1);
    let resp = send(sb.url(), &msg, false);
    assert!(verify_message(&resp, &platform_pub()).is_ok());
    assert_eq!(resp["newBizResponseData"]["result_code"], "SIGN_ERROR");
    let parsed: CreatePayOrderResponse = serde_json::from_value(resp).unwrap();
    assert!(!parsed.new_biz_response_data.result_code.is_success());

    // Signed by a key that is not the merchant's.
    let mut other = request("http://127.0.0.1:1/n", "0", SignAlg::Rsa2);
    let wrong = PrivateKey::parse(&pem(f::IMPOSTOR_PRIVATE)).unwrap();
    sign_message(&mut other, &wrong, SignAlg::Rsa2).unwrap();
    assert_eq!(
        send(sb.url(), &other, false)["newBizResponseData"]["result_code"],
        "SIGN_ERROR"
    );

    for env in [
        json!({"res_data": "bm90IGVuY3J5cHRlZA=="}),
        json!({"nope": 1}),
        json!([1]),
    ] {
        let (status, body) = post_json(&format!("{}/s3/pai/createPayOrder", sb.url()), &[], &env);
        assert_eq!(status, 200);
        let resp = json(&body);
        assert!(verify_message(&resp, &platform_pub()).is_ok());
        assert_eq!(resp["newBizResponseData"]["result_code"], "DECRYPT_ERROR");
    }
    assert_eq!(counter(&sb, "s3.create_pay_order"), 0);

    control(&sb, "s3/script", &json!({"outcome": "fail", "count": 1}));
    let resp = send(
        sb.url(),
        &request("http://127.0.0.1:1/n", "0", SignAlg::Rsa2),
        false,
    );
    assert_eq!(resp["newBizResponseData"]["result_code"], "SYSTEM_ERROR");
}

#[test]
fn auto_completion_notifies_each_new_trade() {
    let sb = start();
    let rx = Receiver::start("SUCCESS");
    control(&sb, "s3/auto", &json!({"result": "fail", "delay_ms": 50}));
    let resp = send(sb.url(), &request(&rx.url, "0", SignAlg::Rsa2), false);
    let wk = resp["newBizResponseData"]["wk_trade_id"].clone();
    let n: Value = serde_json::from_slice(&rx.recv().body).unwrap();
    assert!(verify_message(&n, &platform_pub()).is_ok());
    assert_eq!(
        (&n["wk_trade_id"], n["trade_status"].as_str()),
        (&wk, Some("FAIL"))
    );
    // A repeated create is the same trade: no second notify.
    send(sb.url(), &request(&rx.url, "0", SignAlg::Rsa2), false);
    assert!(rx.try_recv(300).is_none());
    control(&sb, "s3/auto", &json!({"off": true}));
}

fn location(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("location"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// The shopper's cashier (`GET /s3/cashier?pay_token=…`): Approve sends the signed
/// SUCCESS notify server to server, then the browser to `callback_url`; Decline the
/// FAIL notify; Abandon is a link to `merchant_url`; unknown and finished trades get
/// error pages.
#[test]
fn cashier_approve_decline_abandon() {
    let rx = Receiver::start("{\"code\":0}");
    let sb = start();
    let cashier = format!("{}/s3/cashier", sb.url());
    let mut pay_tokens = Vec::new();
    for (n, result) in [("1", "success"), ("2", "fail")] {
        let mut m = request(&rx.url, "0", SignAlg::Rsa2);
        m["newBizData"]["out_trade_id"] = json!(format!("47668288434897331{n}"));
        m["newBizData"]["callback_url"] = json!(format!("http://127.0.0.1:1/c{n}"));
        let merchant = PrivateKey::parse(&pem(f::S3_MERCHANT_PRIVATE)).unwrap();
        sign_message(&mut m, &merchant, SignAlg::Rsa2).unwrap();
        let resp = send(sb.url(), &m, false);
        let token = resp["newBizResponseData"]["pay_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, page) = sandbox_support::get(&format!("{cashier}?pay_token={token}"), &[]);
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("<h1>") && page.contains("Lianshang") && page.contains("2.00 CNY"));
        assert!(page.contains(&format!("47668288434897331{n}")) && page.contains("钓鱼达人"));
        assert!(page.contains("href=\"http://127.0.0.1:1/m\"") && !page.contains("<script"));
        assert!(page.contains("Approve") && page.contains("Decline"));

        let (status, headers, _) = sandbox_support::post_form(
            &cashier,
            &[
                ("pay_token".into(), token.clone()),
                ("result".into(), result.into()),
            ],
        );
        assert_eq!(status, 303);
        assert_eq!(location(&headers), format!("http://127.0.0.1:1/c{n}"));
        let got = rx.recv();
        let notify: Value = serde_json::from_slice(&got.body).unwrap();
        verify_message(&notify, &platform_pub()).unwrap();
        let want = if result == "success" {
            "SUCCESS"
        } else {
            "FAIL"
        };
        assert_eq!(notify["trade_status"], want);
        assert_eq!(notify["out_trade_id"], format!("47668288434897331{n}"));
        pay_tokens.push(token);
    }
    // A finished trade cannot be paid again; an unknown token is a 404 page.
    let (status, _) = sandbox_support::get(&format!("{cashier}?pay_token={}", pay_tokens[0]), &[]);
    assert_eq!(status, 409);
    let (status, _, _) = sandbox_support::post_form(
        &cashier,
        &[
            ("pay_token".into(), pay_tokens[1].clone()),
            ("result".into(), "success".into()),
        ],
    );
    assert_eq!(status, 409);
    assert_eq!(
        sandbox_support::get(&format!("{cashier}?pay_token=pt_nope"), &[]).0,
        404
    );
    assert!(rx.try_recv(300).is_none(), "no notify for refused pages");
    assert_eq!(counter(&sb, "s3.cashier_decided"), 2);
    let (_, trades) = sandbox_support::get(&format!("{}/_control/s3/trades", sb.url()), &[]);
    let trades = json(&trades)["items"].clone();
    assert_eq!(trades[0]["merchant_url"], "http://127.0.0.1:1/m");
    assert_eq!(trades[1]["callback_url"], "http://127.0.0.1:1/c2");
}
