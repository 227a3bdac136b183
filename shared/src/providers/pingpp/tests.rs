//! Ping++ calls as values: charge and refund requests out, their answers checked against
//! what was asked (SPEC 3.4 "pingpp", 3.5).

use serde_json::{json, Value};

use super::{ChargeOrder, PingppConfig};
use crate::callback::ProviderRef;
use crate::money::{Currency, Money};
use crate::providers::http::Response;
use crate::serde_util::Redacted;

const REF: &str = "476682884348973312A476682884348973313";

fn reference() -> ProviderRef {
    ProviderRef::parse("reference", REF).unwrap()
}

#[test]
fn pingpp_charge_request_and_answers() {
    let cfg = PingppConfig {
        base_url: "http://127.0.0.1:9".into(),
        mock_url: super::handoff::MOCK_URL.into(),
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
        time_expire: Some(1_800_000_000),
        extra: [(
            "success_url".to_owned(),
            "https://shop.example/back".to_owned(),
        )]
        .into(),
    };
    let req = super::create_charge_request(&cfg, &order).unwrap();
    assert_eq!(req.url, "http://127.0.0.1:9/v1/charges");
    // base64("sk_test_abc:")
    assert_eq!(req.header("Authorization"), Some("Basic c2tfdGVzdF9hYmM6"));
    let sent: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
    assert_eq!(sent["amount"], 1000);
    assert_eq!(sent["currency"], "cny");
    assert_eq!(sent["app"]["id"], "app_1");
    assert_eq!(sent["order_no"], REF);
    assert_eq!(sent["time_expire"], 1_800_000_000);
    assert_eq!(sent["extra"]["success_url"], "https://shop.example/back");

    let charge = |paid: bool, amount: u64| {
        Response::json(
            200,
            &json!({"id": "ch_1", "object": "charge", "order_no": REF,
            "amount": amount, "currency": "cny", "paid": paid, "failure_code": null,
            "credential": {"alipay_wap": {}}}),
        )
    };
    let c = super::parse_charge(
        "create charge",
        &charge(false, 1000),
        Some((&reference(), order.amount)),
    )
    .unwrap();
    assert!(!c.paid && c.failure_code.is_none());
    assert!(c.raw.get("credential").is_some());
    assert!(
        super::parse_charge("retrieve charge", &charge(true, 1000), None)
            .unwrap()
            .paid
    );
    assert!(super::parse_charge(
        "create charge",
        &charge(false, 999),
        Some((&reference(), order.amount))
    )
    .is_err());
    let err = super::parse_charge(
        "create charge",
        &Response::json(
            400,
            &json!({"error": {"type": "invalid_request_error", "message": "x"}}),
        ),
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("invalid_request_error"), "{err}");
    assert!(super::retrieve_charge_request(&cfg, "ch_1").is_ok());
    assert!(super::retrieve_charge_request(&cfg, "../x").is_err());

    // Refunds: the charge's refunds collection, the full amount, Ping++'s answer checked.
    let req = super::create_refund_request(&cfg, "ch_1", 1000, "why", "917").unwrap();
    assert_eq!(req.url, "http://127.0.0.1:9/v1/charges/ch_1/refunds");
    assert_eq!(req.header("Authorization"), Some("Basic c2tfdGVzdF9hYmM6"));
    let sent: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
    assert_eq!(
        sent,
        json!({"amount": 1000, "description": "why", "metadata": {"kassa_refund": "917"}})
    );
    assert!(super::create_refund_request(&cfg, "ch_1/../x", 1000, "", "917").is_err());
    // The charge's refund list, each of that charge; Kassa's id read from the metadata.
    let list = Response::json(
        200,
        &json!({"object": "list", "data": [
            {"id": "re_1", "object": "refund", "amount": 100, "status": "pending",
             "charge": "ch_1", "metadata": {"kassa_refund": "917"}},
            {"id": "re_2", "object": "refund", "amount": 200, "status": "succeeded",
             "charge": "ch_1", "metadata": {}}]}),
    );
    let got = super::parse_refund_list(&list, "ch_1").unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].kassa_refund(), Some("917"));
    assert_eq!(got[1].kassa_refund(), None);
    assert!(super::parse_refund_list(&list, "ch_2").is_err());
    let refund = |status: &str, charge: &str, amount: u64| {
        Response::json(
            200,
            &json!({"id": "re_1", "object": "refund", "amount": amount, "succeed": false,
                "status": status, "charge": charge, "charge_order_no": REF}),
        )
    };
    let r = super::parse_refund(&refund("pending", "ch_1", 1000), "ch_1", 1000).unwrap();
    assert_eq!((r.id.as_str(), r.status.as_str()), ("re_1", "pending"));
    for (answer, why) in [
        (refund("failed", "ch_1", 1000), "failed"),
        (refund("pending", "ch_2", 1000), "another charge"),
        (refund("pending", "ch_1", 999), "another amount"),
        (
            Response::json(400, &json!({"error": {"type": "invalid_request_error"}})),
            "refused",
        ),
        (charge(true, 1000), "not a refund"),
    ] {
        assert!(super::parse_refund(&answer, "ch_1", 1000).is_err(), "{why}");
    }
    // Refund retrieve (issue 14): that refund of that charge, path-safe ids only.
    let req = super::retrieve_refund_request(&cfg, "ch_1", "re_1").unwrap();
    assert_eq!(req.url, "http://127.0.0.1:9/v1/charges/ch_1/refunds/re_1");
    assert_eq!(req.header("Authorization"), Some("Basic c2tfdGVzdF9hYmM6"));
    assert!(super::retrieve_refund_request(&cfg, "ch_1", "re_1?x=1").is_err());
    assert!(super::retrieve_refund_request(&cfg, "ch/1", "re_1").is_err());
    let done = Response::json(
        200,
        &json!({"id": "re_1", "object": "refund", "amount": 1000, "succeed": true,
            "status": "succeeded", "charge": "ch_1", "charge_order_no": REF}),
    );
    let r = super::parse_retrieved_refund(&done, "ch_1", "re_1").unwrap();
    assert!(r.succeed);
    assert_eq!(r.charge_order_no.as_deref(), Some(REF));
    assert!(super::parse_retrieved_refund(&done, "ch_2", "re_1").is_err());
    assert!(super::parse_retrieved_refund(&done, "ch_1", "re_2").is_err());
    assert!(super::parse_retrieved_refund(&charge(true, 1000), "ch_1", "re_1").is_err());
    assert!(!format!("{cfg:?}").contains("sk_test_abc"));
}

#[test]
fn an_unfinished_charge_is_judged_by_its_retrieve() {
    use crate::flows::attempts::Verdict;
    let charge = |paid: bool, failure: Option<&str>, app: &str, order_no: &str| super::Charge {
        id: "ch_1".into(),
        order_no: order_no.into(),
        amount: 500,
        currency: "cny".into(),
        paid,
        failure_code: failure.map(str::to_owned),
        app: Some(app.into()),
        raw: Value::Null,
    };
    let r = reference();
    let verdict = |c| super::callback::charge_verdict(&r, &c, "app_1");
    match verdict(charge(true, None, "app_1", REF)).unwrap() {
        Verdict::Succeeded(cb) => {
            assert_eq!(cb.reference, r);
            assert_eq!(cb.provider_txn, "ch_1");
            assert_eq!(
                cb.amount,
                crate::callback::CallbackAmount::Fiat(Money::new(Currency::Cny, 500))
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        verdict(charge(false, Some("user_cancelled"), "app_1", REF)).unwrap(),
        Verdict::Failed
    );
    assert_eq!(
        verdict(charge(false, None, "app_1", REF)).unwrap(),
        Verdict::NoOutcome
    );
    // Another app's charge, or another attempt's, settles nothing here.
    assert!(verdict(charge(true, None, "app_other", REF)).is_err());
    assert!(verdict(charge(true, None, "app_1", "476682884348973312A9")).is_err());
}
