//! S0 calls as values (seed S0, SPEC 3.5): headers and seed bodies out, the fail-closed
//! reading of `prePayCheck` and the relay's acknowledgement in.

use serde_json::{json, Value};

use super::status::CallbackStatus;
use super::wire::Headers;
use super::{PrePayDecision, S0Config, S0Error};
use crate::id::Id;
use crate::money::{Currency, Money};
use crate::order::OrderAmount;
use crate::providers::http::Response;
use crate::serde_util::Redacted;

fn id() -> Id {
    Id::parse("order_id", "476682884348973312").unwrap()
}

fn s0_config() -> S0Config {
    S0Config {
        base_url: "http://127.0.0.1:9".into(),
        headers: Headers {
            access_token: Redacted::new("tok-123"),
            org_secret: Redacted::new("org-456"),
        },
        timeout: core::time::Duration::from_secs(2),
    }
}

#[test]
fn s0_requests_carry_headers_and_seed_bodies() {
    let cfg = s0_config();
    let body = super::pre_pay_check_body(id(), &OrderAmount::Fiat(Money::new(Currency::Cny, 100)));
    let req = super::pre_pay_check_request(&cfg, &super::Uid::of_user("u1"), &body).unwrap();
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

    let cb = super::order_callback_body(
        id(),
        CallbackStatus::PaySuccess,
        &OrderAmount::Fiat(Money::new(Currency::Cny, 100)),
    );
    let cb = super::order_callback_request(&cfg, &super::Uid::of_user("用户 7"), &cb).unwrap();
    assert_eq!(cb.url, "http://127.0.0.1:9/platform/pay/orderCallBack");
    assert_eq!(cb.header("uid"), Some("%E7%94%A8%E6%88%B7%207"));
    let sent: Value = serde_json::from_slice(cb.body.as_ref().unwrap()).unwrap();
    assert_eq!(sent["orderStatus"], "PAY_SUCCESS");
    assert_eq!(sent["orderId"], "476682884348973312");
}

#[test]
fn s0_pre_pay_check_fails_closed() {
    assert_eq!(
        super::parse_pre_pay_check(&Response::json(200, &json!({"status": 0, "success": true}))),
        Ok(PrePayDecision::Approved)
    );
    assert_eq!(
        super::parse_pre_pay_check(&Response::json(
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
        super::parse_pre_pay_check(&Response::json(
            200,
            &json!({"status": 0, "success": false})
        )),
        Ok(PrePayDecision::Denied { .. })
    ));
    assert!(matches!(
        super::parse_pre_pay_check(&Response::json(503, &json!({"status": 0, "success": true}))),
        Err(S0Error::Http { status: 503, .. })
    ));
    assert!(matches!(
        super::parse_pre_pay_check(&Response {
            status: 200,
            body: b"<html>".to_vec()
        }),
        Err(S0Error::Body { .. })
    ));
    assert!(super::parse_ack(
        "orderCallBack",
        &Response::json(200, &json!({"status": 0, "success": true}))
    )
    .is_ok());
    assert!(matches!(
        super::parse_ack(
            "orderCallBack",
            &Response::json(200, &json!({"status": 1, "success": true}))
        ),
        Err(S0Error::NotAcknowledged { .. })
    ));
}
