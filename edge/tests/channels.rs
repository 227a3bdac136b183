//! Request building and response parsing of the channels that need no private key
//! (S0, Ping++, wallet) and the channel configuration, as values — the `fetch` around
//! them cannot run here. Runs in headless Chromium like `tests/webcrypto.rs`:
//! `cd edge && CHROMEDRIVER=/usr/bin/chromedriver cargo test --target
//! wasm32-unknown-unknown -p kassa-edge --test channels`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(target_arch = "wasm32")]

// Compiled in, not linked: why in `tests/webcrypto.rs`.
#[allow(dead_code, unused_imports)]
#[path = "../src/channels/mod.rs"]
mod channels;
#[allow(dead_code, unused_imports)]
#[path = "../src/webcrypto.rs"]
mod webcrypto;

use std::collections::BTreeMap;

use crate::channels::pingpp::{self, ChargeOrder, PingppConfig};
use crate::channels::s0::{self, PrePayDecision, S0Config, S0Error};
use crate::channels::wallet::{self, WalletConfig, WalletError};
use crate::channels::{ChannelConfig, ConfigError, OutboundResponse};
use kassa_shared::callback::ProviderRef;
use kassa_shared::crypto::{PrivateKey, PublicKey, SignAlg};
use kassa_shared::id::Id;
use kassa_shared::money::{Currency, Money, TokenAmount};
use kassa_shared::order::OrderAmount;
use kassa_shared::providers::s0::status::CallbackStatus;
use kassa_shared::providers::s0::wire::Headers;
use kassa_shared::providers::s2_wallet::notify::{self, Notification, NotifyStatus};
use kassa_shared::providers::s4_pingpp::status::Status;
use kassa_shared::providers::serde_util::Redacted;
use serde_json::{json, Value};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const PRIV_1024: &str = include_str!("../../tests/vectors/crypto/keys/rsa1024.pkcs8.pem");
const PUB_1024: &str = include_str!("../../tests/vectors/crypto/keys/rsa1024.spki.pem");
const PRIV_2048: &str = include_str!("../../tests/vectors/crypto/keys/rsa2048.pkcs8.pem");

fn id() -> Id {
    Id::parse("order_id", "476682884348973312").unwrap()
}

const REF: &str = "476682884348973312A476682884348973313";

fn reference() -> ProviderRef {
    ProviderRef::parse("reference", REF).unwrap()
}

fn resp(status: u16, body: &Value) -> OutboundResponse {
    OutboundResponse {
        status,
        body: serde_json::to_vec(body).unwrap(),
    }
}

fn s0_config() -> S0Config {
    S0Config {
        base_url: "http://127.0.0.1:9".into(),
        headers: Headers {
            access_token: Redacted::new("tok-123"),
            uid: "u1".into(),
            org_secret: Redacted::new("org-456"),
        },
        timeout: core::time::Duration::from_secs(2),
    }
}

#[wasm_bindgen_test]
fn s0_requests_carry_headers_and_seed_bodies() {
    let cfg = s0_config();
    let body = s0::pre_pay_check_body(id(), &OrderAmount::Fiat(Money::new(Currency::Cny, 100)));
    let req = s0::pre_pay_check_request(&cfg, &body).unwrap();
    assert_eq!(req.url, "http://127.0.0.1:9/platform/pay/prePayCheck");
    assert_eq!(req.header("accessToken"), Some("tok-123"));
    assert_eq!(req.header("uid"), Some("u1"));
    assert_eq!(req.header("orgSecret"), Some("org-456"));
    let sent: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
    assert_eq!(
        sent,
        json!({"orderId": "476682884348973312", "price": 100,
            "extend": {"currency": "CNY", "amount": "1.00"}})
    );
    // Debug shows header names, never values.
    let dbg = format!("{req:?}");
    assert!(
        !dbg.contains("tok-123") && !dbg.contains("org-456"),
        "{dbg}"
    );

    let cb = s0::order_callback_body(
        id(),
        CallbackStatus::PaySuccess,
        &OrderAmount::Fiat(Money::new(Currency::Cny, 100)),
    );
    let cb = s0::order_callback_request(&cfg, &cb).unwrap();
    assert_eq!(cb.url, "http://127.0.0.1:9/platform/pay/orderCallBack");
    let sent: Value = serde_json::from_slice(cb.body.as_ref().unwrap()).unwrap();
    assert_eq!(sent["orderStatus"], "PAY_SUCCESS");
    assert_eq!(sent["orderId"], "476682884348973312");
}

#[wasm_bindgen_test]
fn s0_pre_pay_check_fails_closed() {
    assert_eq!(
        s0::parse_pre_pay_check(&resp(200, &json!({"status": 0, "success": true}))),
        Ok(PrePayDecision::Approved)
    );
    assert_eq!(
        s0::parse_pre_pay_check(&resp(
            200,
            &json!({"status": 10000, "success": false, "message": "risk"})
        )),
        Ok(PrePayDecision::Denied {
            status: 10000,
            message: Some("risk".into())
        })
    );
    // Half a yes is a no.
    assert!(matches!(
        s0::parse_pre_pay_check(&resp(200, &json!({"status": 0, "success": false}))),
        Ok(PrePayDecision::Denied { .. })
    ));
    assert!(matches!(
        s0::parse_pre_pay_check(&resp(503, &json!({"status": 0, "success": true}))),
        Err(S0Error::Http { status: 503, .. })
    ));
    assert!(matches!(
        s0::parse_pre_pay_check(&OutboundResponse {
            status: 200,
            body: b"<html>".to_vec()
        }),
        Err(S0Error::Body { .. })
    ));
    assert!(s0::parse_ack(
        "orderCallBack",
        &resp(200, &json!({"status": 0, "success": true}))
    )
    .is_ok());
    assert!(matches!(
        s0::parse_ack(
            "orderCallBack",
            &resp(200, &json!({"status": 1, "success": true}))
        ),
        Err(S0Error::NotAcknowledged { .. })
    ));
}

#[wasm_bindgen_test]
fn pingpp_charge_request_and_answers() {
    let cfg = PingppConfig {
        base_url: "http://127.0.0.1:9".into(),
        secret_key: Redacted::new("sk_test_abc"),
        app_id: "app_1".into(),
        timeout: core::time::Duration::from_secs(2),
    };
    let order = ChargeOrder {
        reference: reference(),
        amount: Money::new(Currency::Cny, 1000),
        channel: "alipay_wap".into(),
        client_ip: "127.0.0.1".into(),
        subject: "s".into(),
        body: "b".into(),
    };
    let req = pingpp::create_charge_request(&cfg, &order).unwrap();
    assert_eq!(req.url, "http://127.0.0.1:9/v1/charges");
    // base64("sk_test_abc:")
    assert_eq!(req.header("Authorization"), Some("Basic c2tfdGVzdF9hYmM6"));
    let sent: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
    assert_eq!(sent["amount"], 1000);
    assert_eq!(sent["currency"], "cny");
    assert_eq!(sent["app"]["id"], "app_1");
    assert_eq!(sent["order_no"], REF);

    let charge = |paid: bool, amount: u64| {
        resp(
            200,
            &json!({"id": "ch_1", "object": "charge", "order_no": REF,
            "amount": amount, "currency": "cny", "paid": paid, "failure_code": null,
            "credential": {"alipay_wap": {}}}),
        )
    };
    let c = pingpp::parse_charge(
        "create charge",
        &charge(false, 1000),
        Some((&reference(), order.amount)),
    )
    .unwrap();
    assert_eq!(c.status(), Status::Pending);
    assert!(c.raw.get("credential").is_some());
    assert_eq!(
        pingpp::parse_charge("retrieve charge", &charge(true, 1000), None)
            .unwrap()
            .status(),
        Status::Paid
    );
    assert!(pingpp::parse_charge(
        "create charge",
        &charge(false, 999),
        Some((&reference(), order.amount))
    )
    .is_err());
    let err = pingpp::parse_charge(
        "create charge",
        &resp(
            400,
            &json!({"error": {"type": "invalid_request_error", "message": "x"}}),
        ),
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("invalid_request_error"), "{err}");
    assert!(pingpp::retrieve_charge_request(&cfg, "ch_1").is_ok());
    assert!(pingpp::retrieve_charge_request(&cfg, "../x").is_err());

    // Refunds: the charge's refunds collection, the full amount, Ping++'s answer checked.
    let req = pingpp::create_refund_request(&cfg, "ch_1", 1000, "why").unwrap();
    assert_eq!(req.url, "http://127.0.0.1:9/v1/charges/ch_1/refunds");
    assert_eq!(req.header("Authorization"), Some("Basic c2tfdGVzdF9hYmM6"));
    let sent: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
    assert_eq!(sent, json!({"amount": 1000, "description": "why"}));
    assert!(pingpp::create_refund_request(&cfg, "ch_1/../x", 1000, "").is_err());
    let refund = |status: &str, charge: &str, amount: u64| {
        resp(
            200,
            &json!({"id": "re_1", "object": "refund", "amount": amount, "succeed": false,
                "status": status, "charge": charge, "charge_order_no": REF}),
        )
    };
    let r = pingpp::parse_refund(&refund("pending", "ch_1", 1000), "ch_1", 1000).unwrap();
    assert_eq!((r.id.as_str(), r.status.as_str()), ("re_1", "pending"));
    for (answer, why) in [
        (refund("failed", "ch_1", 1000), "failed"),
        (refund("pending", "ch_2", 1000), "another charge"),
        (refund("pending", "ch_1", 999), "another amount"),
        (
            resp(400, &json!({"error": {"type": "invalid_request_error"}})),
            "refused",
        ),
        (charge(true, 1000), "not a refund"),
    ] {
        assert!(
            pingpp::parse_refund(&answer, "ch_1", 1000).is_err(),
            "{why}"
        );
    }
    // Refund retrieve (issue 14): that refund of that charge, path-safe ids only.
    let req = pingpp::retrieve_refund_request(&cfg, "ch_1", "re_1").unwrap();
    assert_eq!(req.url, "http://127.0.0.1:9/v1/charges/ch_1/refunds/re_1");
    assert_eq!(req.header("Authorization"), Some("Basic c2tfdGVzdF9hYmM6"));
    assert!(pingpp::retrieve_refund_request(&cfg, "ch_1", "re_1?x=1").is_err());
    assert!(pingpp::retrieve_refund_request(&cfg, "ch/1", "re_1").is_err());
    let done = resp(
        200,
        &json!({"id": "re_1", "object": "refund", "amount": 1000, "succeed": true,
            "status": "succeeded", "charge": "ch_1", "charge_order_no": REF}),
    );
    let r = pingpp::parse_retrieved_refund(&done, "ch_1", "re_1").unwrap();
    assert!(r.succeed);
    assert_eq!(r.charge_order_no.as_deref(), Some(REF));
    assert!(pingpp::parse_retrieved_refund(&done, "ch_2", "re_1").is_err());
    assert!(pingpp::parse_retrieved_refund(&done, "ch_1", "re_2").is_err());
    assert!(pingpp::parse_retrieved_refund(&charge(true, 1000), "ch_1", "re_1").is_err());
    assert!(!format!("{cfg:?}").contains("sk_test_abc"));
}

#[wasm_bindgen_test]
fn wallet_charge_and_signed_query() {
    let cfg = WalletConfig {
        base_url: "http://127.0.0.1:9/w".into(),
        api_key: Redacted::new("wk-secret"),
        wallet_public_key: PublicKey::parse(PUB_1024).unwrap(),
        notify_url: "http://127.0.0.1:8787/callbacks/wallet".into(),
        timeout: core::time::Duration::from_secs(2),
    };
    let amount = TokenAmount::parse("amount", "12.5", 6).unwrap();
    let req = wallet::charge_request(&cfg, reference(), "USDT", &amount).unwrap();
    assert_eq!(req.url, "http://127.0.0.1:9/w/charges");
    assert_eq!(req.header("Authorization"), Some("Bearer wk-secret"));
    let sent: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
    assert_eq!(sent["order_id"], REF);
    assert_eq!(sent["token_id"], "USDT");
    assert_eq!(sent["notify_url"], "http://127.0.0.1:8787/callbacks/wallet");
    let ack = wallet::parse_charge(&resp(
        200,
        &json!({"trade_id": "w_9", "status": "PROCESSING"}),
    ))
    .unwrap();
    assert_eq!(ack.status, NotifyStatus::Processing);

    assert_eq!(
        wallet::query_request(&cfg, &reference()).url,
        format!("http://127.0.0.1:9/w/charges/{REF}")
    );
    let n = Notification {
        notify_id: "q1".into(),
        order_id: reference(),
        trade_id: "w_9".into(),
        status: NotifyStatus::Success,
        token_id: "USDT".into(),
        amount: "12.500000".into(),
        time: "1700000000000".into(),
    };
    let signed = notify::sign(&n, &PrivateKey::parse(PRIV_1024).unwrap(), SignAlg::Rsa2).unwrap();
    assert_eq!(
        wallet::parse_query(&cfg, &reference(), &resp(200, &signed)).unwrap(),
        n
    );
    let forged = notify::sign(&n, &PrivateKey::parse(PRIV_2048).unwrap(), SignAlg::Rsa2).unwrap();
    assert_eq!(
        wallet::parse_query(&cfg, &reference(), &resp(200, &forged)),
        Err(WalletError::BadSignature)
    );
    // Another attempt of the same order is another payment.
    let other = ProviderRef::new(id(), Id::parse("attempt", "476682884348973314").unwrap());
    assert_eq!(
        wallet::parse_query(&cfg, &other, &resp(200, &signed)),
        Err(WalletError::OrderMismatch)
    );
}

fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let m: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k| m.get(k).cloned()
}

#[wasm_bindgen_test]
fn config_names_the_variable() {
    let none = ChannelConfig::from_lookup(lookup(&[])).unwrap();
    assert_eq!(
        none.s0().unwrap_err(),
        ConfigError::NotConfigured {
            var: "KASSA_S0_URL"
        }
    );

    let err =
        ChannelConfig::from_lookup(lookup(&[("KASSA_S0_URL", "http://127.0.0.1:9/")])).unwrap_err();
    assert_eq!(
        err,
        ConfigError::Missing {
            var: "KASSA_S0_ACCESS_TOKEN",
            enabled_by: "KASSA_S0_URL"
        }
    );
    let s0_vars = [
        ("KASSA_S0_URL", "http://127.0.0.1:9/"),
        ("KASSA_S0_ACCESS_TOKEN", "t"),
        ("KASSA_S0_UID", "u"),
        ("KASSA_S0_ORG_SECRET", "o"),
    ];
    let cfg = ChannelConfig::from_lookup(lookup(&s0_vars)).unwrap();
    let s0 = cfg.s0().unwrap();
    assert_eq!(s0.base_url, "http://127.0.0.1:9");
    assert_eq!(s0.timeout, core::time::Duration::from_secs(2));

    let mut bad_timeout = s0_vars.to_vec();
    bad_timeout.push(("KASSA_S0_TIMEOUT_MS", "soon"));
    assert!(matches!(
        ChannelConfig::from_lookup(lookup(&bad_timeout)),
        Err(ConfigError::Invalid {
            var: "KASSA_S0_TIMEOUT_MS",
            ..
        })
    ));
    assert!(matches!(
        ChannelConfig::from_lookup(lookup(&[("KASSA_PAYTM_URL", "ftp://x")])),
        Err(ConfigError::Invalid {
            var: "KASSA_PAYTM_URL",
            ..
        })
    ));
    let paytm_short_key = [
        ("KASSA_PAYTM_URL", "https://securegw-stage.paytm.in"),
        ("KASSA_PAYTM_MERCHANT_KEY", "short"),
    ];
    let err = ChannelConfig::from_lookup(lookup(&paytm_short_key)).unwrap_err();
    assert!(
        err.to_string().starts_with("KASSA_PAYTM_MERCHANT_KEY:"),
        "{err}"
    );
    assert!(!err.to_string().contains("short"));

    // S3 notifies: RSA2 only unless the legacy profile is allowed by name.
    let s3_vars = [
        ("KASSA_S3_URL", "http://127.0.0.1:9/s3"),
        ("KASSA_PUBLIC_URL", "http://127.0.0.1:8"),
        ("KASSA_S3_MERCHANT_ID", "yx001"),
        ("KASSA_S3_SETTLEMENT_ID", "st1"),
        ("KASSA_S3_APPID", "app1"),
        ("KASSA_S3_PRIVATE_KEY", PRIV_1024),
        ("KASSA_S3_PLATFORM_PUBLIC_KEY", PUB_1024),
    ];
    let cfg = ChannelConfig::from_lookup(lookup(&s3_vars)).unwrap();
    assert!(!cfg.s3().unwrap().allow_rsa1);
    let mut legacy = s3_vars.to_vec();
    legacy.push(("KASSA_S3_ALLOW_RSA1", "true"));
    let cfg = ChannelConfig::from_lookup(lookup(&legacy)).unwrap();
    assert!(cfg.s3().unwrap().allow_rsa1);
    legacy.pop();
    legacy.push(("KASSA_S3_ALLOW_RSA1", "sometimes"));
    assert!(matches!(
        ChannelConfig::from_lookup(lookup(&legacy)),
        Err(ConfigError::Invalid {
            var: "KASSA_S3_ALLOW_RSA1",
            ..
        })
    ));
}
