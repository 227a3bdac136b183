//! S1's requests as a seed-era client sends them, and every refusal by name.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::*;

fn params(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn pre_order() -> Map<String, Value> {
    params(json!({
        "version": "v1.0",
        "clientVersion": "3.2.1",
        "userId": "u-42",
        "payType": 1,
        "productId": "chai",
        "productType": "2",
        "productName": "Masala chai",
        "currencyType": "1",
        "amount": 1000,
    }))
}

fn refused(map: &Map<String, Value>, param: &str, message: &str) {
    assert_eq!(
        PreOrder::parse(map),
        Err(FieldError::new(param, message)),
        "{map:?}"
    );
}

#[test]
fn a_seed_pre_order_is_a_rupee_paytm_order_with_its_product() {
    let p = PreOrder::parse(&pre_order()).unwrap();
    assert_eq!(p.money, Money::new(Currency::Inr, 1000));
    assert_eq!(p.meta.channel, Provider::Paytm);
    assert_eq!(p.meta.user.id, "u-42");
    assert_eq!(
        (p.meta.user.email.as_deref(), p.meta.user.mobile.as_deref()),
        (None, None)
    );
    assert_eq!(
        p.meta.items,
        vec![Item {
            name: "Masala chai".into(),
            quantity: 1
        }]
    );
    assert_eq!(p.meta.description.as_deref(), Some("Masala chai"));
    let md: Vec<(&str, &str)> = p
        .meta
        .metadata
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        md,
        [
            ("s1_client_version", "3.2.1"),
            ("s1_product_id", "chai"),
            ("s1_product_type", "2")
        ]
    );
}

#[test]
fn contacts_are_taken_when_well_formed() {
    let mut m = pre_order();
    m.insert("email".into(), json!("a@b.in"));
    m.insert("mobileNo".into(), json!("+919800000000"));
    let p = PreOrder::parse(&m).unwrap();
    assert_eq!(p.meta.user.email.as_deref(), Some("a@b.in"));
    assert_eq!(p.meta.user.mobile.as_deref(), Some("+919800000000"));
    for bad in ["ab.in", "@b.in", "a@b", "a b@c.in"] {
        let mut m = pre_order();
        m.insert("email".into(), json!(bad));
        refused(&m, "email", "email: must be an e-mail address");
    }
    for bad in ["+", "98-00", "phone"] {
        let mut m = pre_order();
        m.insert("mobileNo".into(), json!(bad));
        refused(
            &m,
            "mobileNo",
            "mobileNo: must be digits, optionally after a '+'",
        );
    }
}

#[test]
fn every_refusal_names_its_field() {
    let with = |k: &str, v: Value| {
        let mut m = pre_order();
        m.insert(k.into(), v);
        m
    };
    let without = |k: &str| {
        let mut m = pre_order();
        m.remove(k);
        m
    };
    refused(&without("version"), "version", "version: is required");
    refused(
        &with("version", json!("v2.0")),
        "version",
        "version: \"v2.0\" is not supported (v1.0)",
    );
    refused(&without("userId"), "userId", "userId: is required");
    refused(
        &with("payType", json!(0)),
        "payType",
        "payType: 0 (unknown) cannot be paid; only 1 (Paytm) is supported",
    );
    refused(
        &with("payType", json!(2)),
        "payType",
        "payType: must be a whole number from 0 to 1",
    );
    refused(
        &with("currencyType", json!(2)),
        "currencyType",
        "currencyType: Paytm (payType 1) charges INR only (currencyType 1)",
    );
    refused(
        &with("productType", json!("x")),
        "productType",
        "productType: must be a whole number from 0 to 4",
    );
    refused(
        &with("amount", json!(0)),
        "amount",
        "amount: must be a whole number of at least 1",
    );
    refused(
        &with("amount", json!(10.5)),
        "amount",
        "amount: must be a whole number of at least 1",
    );
    refused(
        &with("amount", json!("-5")),
        "amount",
        "amount: must be a whole number of at least 1",
    );
    refused(&without("amount"), "amount", "amount: is required");
}

#[test]
fn a_status_query_takes_the_order_id_as_string_or_number() {
    let q = |id: Value| {
        StatusQuery::parse(&params(
            json!({"version": "1.0", "userId": "u", "orderId": id}),
        ))
    };
    let want = StatusQuery {
        user_id: "u".into(),
        order_id: Id::new(7_331).unwrap(),
    };
    assert_eq!(q(json!("7331")), Ok(want.clone()));
    assert_eq!(q(json!(" 7331 ")), Ok(want.clone()));
    assert_eq!(q(json!(7331)), Ok(want));
    assert_eq!(
        q(Value::Null),
        Err(FieldError::new("orderId", "orderId: is required"))
    );
    assert_eq!(
        q(json!(true)),
        Err(FieldError::new("orderId", "orderId: must be a string"))
    );
    assert!(matches!(q(json!("abc")), Err(FieldError { param, .. }) if param == "orderId"));
}

#[test]
fn a_quoted_number_is_the_same_request_and_salts_are_per_order() {
    let mut quoted = pre_order();
    quoted.insert("amount".into(), json!("1000"));
    quoted.insert("payType".into(), json!("1"));
    assert_eq!(fingerprint(&quoted), fingerprint(&pre_order()));
    let mut other = pre_order();
    other.insert("amount".into(), json!(1001));
    assert_ne!(fingerprint(&other), fingerprint(&pre_order()));
    assert_eq!(fingerprint(&pre_order()).len(), 64);
    let (a, b) = (Id::new(1).unwrap(), Id::new(2).unwrap());
    assert_eq!(order_salt(b"key", a), order_salt(b"key", a));
    assert_ne!(order_salt(b"key", a), order_salt(b"key", b));
    assert_ne!(order_salt(b"key", a), order_salt(b"other", a));
}

proptest! {
    #[test]
    fn any_amount_is_read_back_or_refused_naming_amount(v in prop_oneof![
        any::<u64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n.to_string())),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,24}".prop_map(|s| json!(s)),
    ]) {
        let mut m = pre_order();
        m.insert("amount".into(), v.clone());
        match PreOrder::parse(&m) {
            Ok(p) => {
                let text = match &v { Value::String(s) => s.clone(), other => other.to_string() };
                prop_assert_eq!(Some(p.money.minor()), text.parse::<u64>().ok());
                prop_assert!(p.money.minor() >= 1);
            }
            Err(e) => prop_assert_eq!(e.param, "amount"),
        }
    }
}
