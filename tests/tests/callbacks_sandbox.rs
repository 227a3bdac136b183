//! SPEC 3.4 "Callbacks in" end to end against the real sandbox: each provider delivers
//! its callback over HTTP to a local receiver standing in for `/callbacks/<channel>`,
//! and the captured request (content type, headers, raw body) goes through
//! `kassa_shared`'s `verify` and `to_event` exactly as the edge will feed them.
//! Genuine callbacks verify and map to the right event; every tampered one (signature,
//! wrong key, amount, order id) is rejected — by verification, or, where the sandbox
//! signs tampered data with the genuine key, by the match against the stored order.
#![allow(clippy::unwrap_used)]

mod sandbox_support;

use kassa_shared::callback::{
    refund_event, to_event, CallbackError, MismatchError, ProviderRef, VerifiedCallback,
};
use kassa_shared::crypto::{PrivateKey, PublicKey, SignAlg};
use kassa_shared::id::Id;
use kassa_shared::money::{Currency, Money, TokenTable};
use kassa_shared::order::{Event, EventKind, OrderAmount};
use kassa_shared::providers::lianshang::callback as lianshang;
use kassa_shared::providers::lianshang::sign::{encode_res_data, sign_message};
use kassa_shared::providers::paytm::callback as paytm;
use kassa_shared::providers::paytm::checksum::{self, Params, Salt, CHECKSUMHASH};
use kassa_shared::providers::pingpp::callback as pingpp;
use kassa_shared::providers::pingpp::webhook::SIGNATURE_HEADER;
use kassa_shared::providers::wallet::callback as wallet;
use kassa_tests::sandbox::config::fixtures as f;
use sandbox_support::{control, json, pem, post_form, post_json, start, start_with, Got, Receiver};
use serde_json::json;

const TAMPERS: [&str; 4] = ["signature", "wrong_key", "amount", "order_id"];

fn id(n: u64) -> Id {
    Id::new(n).unwrap()
}

fn content_type(got: &Got) -> &str {
    got.header("Content-Type").unwrap_or("")
}

/// Verified *and* matched, or the reason it was rejected.
fn accept(
    verified: Result<VerifiedCallback, CallbackError>,
    order: Id,
    expected: &OrderAmount,
) -> Result<Event, String> {
    let cb = verified.map_err(|e| format!("verify: {e}"))?;
    to_event(&cb, order, expected).map_err(|e| format!("match: {e}"))
}

// ---------------------------------------------------------------- Paytm

#[test]
fn paytm_callbacks() {
    let rx = Receiver::start(r#"{"code":200,"data":true,"message":"success"}"#);
    let sb = start();
    let key = f::PAYTM_KEY.as_bytes();
    let order = id(476_682_884_348_973_312);
    let expected = OrderAmount::Fiat(Money::new(Currency::Inr, 200));
    let start_txn = |attempt: u64| {
        let r = ProviderRef::new(order, id(attempt)).to_string();
        let pairs = [
            ("MID", f::PAYTM_MID),
            ("ORDER_ID", r.as_str()),
            ("CUST_ID", "u1"),
            ("INDUSTRY_TYPE_ID", "Retail"),
            ("CHANNEL_ID", "WEB"),
            ("TXN_AMOUNT", "2"),
            ("WEBSITE", "WEBSTAGING"),
            ("CALLBACK_URL", rx.url.as_str()),
        ];
        let p: Params = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Some((*v).to_owned())))
            .collect();
        let hash = checksum::generate(&p, key, &Salt::new("aB3d").unwrap()).unwrap();
        let mut form: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        form.push((CHECKSUMHASH.to_owned(), hash));
        let (status, _, page) = post_form(
            &format!("{}/paytm/theia/processTransaction", sb.url()),
            &form,
        );
        assert_eq!(status, 200, "{page}");
        r
    };
    let status_api = |r: &str| {
        let p: Params = [("MID", f::PAYTM_MID), ("ORDERID", r)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Some(v.to_owned())))
            .collect();
        let hash = checksum::generate(&p, key, &Salt::new("zZ09").unwrap()).unwrap();
        let (status, text) = post_json(
            &format!("{}/paytm/merchant-status/getTxnStatus", sb.url()),
            &[],
            &json!({"MID": f::PAYTM_MID, "ORDERID": r, "CHECKSUMHASH": hash}),
        );
        assert_eq!(status, 200);
        text
    };

    // Success: verify → status pull → confirmed → to_event.
    let r = start_txn(1);
    control(
        &sb,
        "paytm/complete",
        &json!({"id": r, "result": "success"}),
    );
    let got = rx.recv();
    assert_eq!(content_type(&got), "application/x-www-form-urlencoded");
    let cb = paytm::verify(content_type(&got), &got.body, key).unwrap();
    assert!(cb.confirm_required);
    assert_eq!(
        to_event(&cb, order, &expected),
        Err(MismatchError::Unconfirmed)
    );
    let cb = paytm::confirmed(&cb, status_api(&r).as_bytes()).unwrap();
    let ev = to_event(&cb, order, &expected).unwrap();
    assert_eq!(
        ev.kind,
        EventKind::AttemptSucceeded {
            attempt: id(1),
            provider: "paytm".into()
        }
    );
    assert!(
        ev.id.starts_with("paytm:") && ev.id.ends_with(":TXN_SUCCESS"),
        "{}",
        ev.id
    );

    // Failure: a failed attempt, no confirmation needed; the status API would not
    // confirm a replayed success of this transaction either.
    let r = start_txn(2);
    control(&sb, "paytm/complete", &json!({"id": r, "result": "fail"}));
    let got = rx.recv();
    let cb = paytm::verify(content_type(&got), &got.body, key).unwrap();
    assert_eq!(
        to_event(&cb, order, &expected).unwrap().kind,
        EventKind::AttemptFailed { attempt: id(2) }
    );
    assert!(matches!(
        paytm::confirmed(
            &VerifiedCallback {
                confirm_required: true,
                ..cb.clone()
            },
            status_api(&r).as_bytes()
        ),
        Err(paytm::ConfirmError::NotSucceeded { .. })
    ));

    for (i, tamper) in TAMPERS.into_iter().enumerate() {
        let r = start_txn(10 + i as u64);
        control(
            &sb,
            "paytm/complete",
            &json!({"id": r, "result": "success", "tamper": tamper}),
        );
        let got = rx.recv();
        let verified = paytm::verify(content_type(&got), &got.body, key);
        // A valid checksum over a tampered amount still fails the status pull.
        let verified = verified.map(
            |cb| match paytm::confirmed(&cb, status_api(&r).as_bytes()) {
                Ok(c) => c,
                Err(_) => cb,
            },
        );
        let res = accept(verified, order, &expected);
        assert!(res.is_err(), "{tamper}: accepted {res:?}");
        match tamper {
            "signature" | "wrong_key" => {
                assert_eq!(res, Err("verify: callback: verification failed".into()))
            }
            "amount" => assert!(res.unwrap_err().starts_with("match: amount"), "{tamper}"),
            _ => assert!(res.unwrap_err().starts_with("verify: ORDERID"), "{tamper}"),
        }
    }
}

// ---------------------------------------------------------------- Lianshang (S3)

#[test]
fn lianshang_notifies() {
    let rx = Receiver::start("SUCCESS");
    let sb = start();
    let platform = PublicKey::parse(&pem(f::S3_PLATFORM_PUBLIC)).unwrap();
    let merchant = PrivateKey::parse(&pem(f::S3_MERCHANT_PRIVATE)).unwrap();
    let order = id(476_682_884_348_973_312);
    let expected = OrderAmount::Fiat(Money::new(Currency::Cny, 200));
    let create = |attempt: u64| {
        let r = ProviderRef::new(order, id(attempt)).to_string();
        let mut m = json!({
            "newBaseData": {"version": "2", "platform": "H5", "request_id": format!("req-{attempt}"),
                "guest_id": "GUESTER", "service_name": "CreatePayOrder", "language": 0,
                "merchant_id": "yx001", "time_stamp": "20261123120000", "compress_type": "0"},
            "newBizData": {"pay_type": 1, "pay_way": "", "settlement_id": "st1", "appid": "app1",
                "out_trade_id": r, "pay_amount": 200, "pay_currency": "CNY",
                "product_subject": [{"channel_goods_code": "g1", "channel_goods_subject": "g",
                    "channel_goods_sum": "1", "channel_goods_price": "200"}],
                "notify_url": rx.url, "merchant_url": "http://127.0.0.1:1/m",
                "callback_url": "http://127.0.0.1:1/c", "pay_expire": 30}
        });
        sign_message(&mut m, &merchant, SignAlg::Rsa2).unwrap();
        let env = encode_res_data(&m, &platform, false, &mut rand::rngs::OsRng).unwrap();
        let (status, body) = post_json(&format!("{}/s3/pai/createPayOrder", sb.url()), &[], &env);
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            json(&body)["newBizResponseData"]["result_code"],
            "SUCCESS",
            "{body}"
        );
        r
    };

    for (attempt, result) in [(1, "success"), (2, "fail")] {
        let r = create(attempt);
        control(&sb, "s3/complete", &json!({"id": r, "result": result}));
        let got = rx.recv();
        let ev = accept(lianshang::verify(&got.body, &platform), order, &expected).unwrap();
        let want = if result == "success" {
            EventKind::AttemptSucceeded {
                attempt: id(attempt),
                provider: "lianshang".into(),
            }
        } else {
            EventKind::AttemptFailed {
                attempt: id(attempt),
            }
        };
        assert_eq!(ev.kind, want);
        assert!(ev.id.starts_with("lianshang:ln_"), "{}", ev.id);
    }
    for (i, tamper) in TAMPERS.into_iter().enumerate() {
        let r = create(10 + i as u64);
        control(
            &sb,
            "s3/complete",
            &json!({"id": r, "result": "success", "tamper": tamper}),
        );
        let got = rx.recv();
        let res = accept(lianshang::verify(&got.body, &platform), order, &expected);
        match tamper {
            "signature" | "wrong_key" => {
                assert_eq!(res, Err("verify: callback: verification failed".into()))
            }
            "amount" => assert!(res.unwrap_err().starts_with("match: amount"), "{tamper}"),
            _ => assert!(
                res.unwrap_err().starts_with("verify: out_trade_id"),
                "{tamper}"
            ),
        }
    }
}

// ---------------------------------------------------------------- Ping++

#[test]
fn pingpp_webhooks() {
    let rx = Receiver::start("");
    let rx_url = rx.url.clone();
    let sb = start_with(move |c| c.pingpp.webhook_url = Some(rx_url));
    let pingpp_pub = PublicKey::parse(&pem(f::PINGPP_PUBLIC)).unwrap();
    let order = id(476_682_884_348_973_312);
    let expected = OrderAmount::Fiat(Money::new(Currency::Cny, 1000));
    let charge = |attempt: u64| {
        let r = ProviderRef::new(order, id(attempt)).to_string();
        let (status, text) = post_json(
            &format!("{}/pingpp/v1/charges", sb.url()),
            &[("Authorization", "Bearer sk_test_kassa")],
            &json!({"order_no": r, "amount": 1000, "currency": "cny", "channel": "alipay_wap",
                    "subject": "s", "body": "b", "client_ip": "127.0.0.1"}),
        );
        assert_eq!(status, 200, "{text}");
        r
    };
    let check = |got: &Got| {
        assert!(content_type(got).starts_with("application/json"));
        let sig = got.header(SIGNATURE_HEADER).unwrap_or("");
        accept(
            pingpp::verify(&got.body, sig, &pingpp_pub),
            order,
            &expected,
        )
    };

    let r = charge(1);
    control(
        &sb,
        "pingpp/complete",
        &json!({"id": r, "event": "charge.succeeded"}),
    );
    let ev = check(&rx.recv()).unwrap();
    assert_eq!(
        ev.kind,
        EventKind::AttemptSucceeded {
            attempt: id(1),
            provider: "pingpp".into()
        }
    );
    assert!(ev.id.starts_with("pingpp:evt_"), "{}", ev.id);
    control(
        &sb,
        "pingpp/complete",
        &json!({"id": r, "event": "refund.succeeded"}),
    );
    // A refund is matched with the refund Kassa asked for (its id and amount).
    let got = rx.recv();
    let sig = got.header(SIGNATURE_HEADER).unwrap_or("");
    let cb = pingpp::verify(&got.body, sig, &pingpp_pub).unwrap();
    let ev = refund_event(&cb, order, id(7), &expected).unwrap();
    assert_eq!(
        ev.kind,
        EventKind::RefundSucceeded {
            refund: id(7),
            provider: "pingpp".into(),
            amount: Some(1000),
        }
    );

    for (i, tamper) in TAMPERS.into_iter().enumerate() {
        let r = charge(10 + i as u64);
        control(
            &sb,
            "pingpp/complete",
            &json!({"id": r, "event": "charge.succeeded", "tamper": tamper}),
        );
        let res = check(&rx.recv());
        match tamper {
            "signature" | "wrong_key" => {
                assert_eq!(res, Err("verify: callback: verification failed".into()))
            }
            "amount" => assert!(res.unwrap_err().starts_with("match: amount"), "{tamper}"),
            _ => assert!(res.unwrap_err().starts_with("verify: order_no"), "{tamper}"),
        }
    }
    // A signature header that is missing altogether.
    let r = charge(20);
    control(&sb, "pingpp/complete", &json!({"id": r}));
    let got = rx.recv();
    assert_eq!(
        pingpp::verify(&got.body, "", &pingpp_pub),
        Err(CallbackError::Unverified)
    );
}

// ---------------------------------------------------------------- Wallet

#[test]
fn wallet_notifications() {
    let rx = Receiver::start(r#"{"code":0}"#);
    let sb = start();
    let wallet_pub = PublicKey::parse(&pem(f::WALLET_PUBLIC)).unwrap();
    let tokens = TokenTable::builtin();
    let expected_for = |amount: &str| OrderAmount::Token {
        token: "USDT".into(),
        amount: tokens.parse("amount", "USDT", amount).unwrap(),
    };
    // The wallet keeps one payment per order id, so each case is its own order.
    let pay = |order: u64| {
        let (status, text) = post_json(
            &format!("{}/wallet/pay", sb.url()),
            &[],
            &json!({"order_id": order.to_string(), "token_id": "USDT", "amount": "12.500000", "notify_url": rx.url}),
        );
        assert_eq!(status, 200, "{text}");
        id(order)
    };
    let base = 476_682_884_348_973_312u64;
    for (n, result) in [(0u64, "success"), (2, "fail")] {
        let order = pay(base + n);
        control(
            &sb,
            "wallet/complete",
            &json!({"id": order.to_string(), "result": result}),
        );
        let got = rx.recv();
        let ev = accept(
            wallet::verify(&got.body, &wallet_pub, &tokens),
            order,
            &expected_for("12.5"),
        )
        .unwrap();
        let want = if result == "success" {
            EventKind::AttemptSucceeded {
                attempt: order,
                provider: "wallet".into(),
            }
        } else {
            EventKind::AttemptFailed { attempt: order }
        };
        assert_eq!(ev.kind, want);
        assert!(ev.id.starts_with("wallet:wn_"), "{}", ev.id);
    }
    for (i, tamper) in TAMPERS.into_iter().enumerate() {
        let order = pay(base + 10 + 2 * i as u64);
        control(
            &sb,
            "wallet/complete",
            &json!({"id": order.to_string(), "result": "success", "tamper": tamper}),
        );
        let got = rx.recv();
        let res = accept(
            wallet::verify(&got.body, &wallet_pub, &tokens),
            order,
            &expected_for("12.5"),
        );
        match tamper {
            "signature" | "wrong_key" => {
                assert_eq!(res, Err("verify: callback: verification failed".into()))
            }
            // "12.5000001" has more decimals than USDT's 6: malformed after verification.
            "amount" => assert!(res.unwrap_err().starts_with("verify: amount"), "{tamper}"),
            _ => assert!(res.unwrap_err().starts_with("match: order_id"), "{tamper}"),
        }
    }
}
