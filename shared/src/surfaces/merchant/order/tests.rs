//! `CreateOrder::parse` against the rules `edge/openapi.json` states: every amount the
//! document's patterns allow is accepted, and the refusals name their fields.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

const OPENAPI: &str = include_str!("../../../../../edge/openapi.json");

fn body(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn schema(name: &str) -> Value {
    let doc: Value = serde_json::from_str(OPENAPI).unwrap_or(Value::Null);
    doc["components"]["schemas"][name].clone()
}

fn refusal(v: Value) -> FieldError {
    match CreateOrder::parse(&body(v)) {
        Ok(o) => panic!("accepted: {o:?}"),
        Err(e) => e,
    }
}

#[test]
fn a_full_body_reads_into_its_typed_form() {
    let o = CreateOrder::parse(&body(json!({
        "channel": "pingpp", "amount": 1234, "currency": "CNY", "token": null,
        "items": [{"name": "tea", "quantity": 2}, {"name": "cup"}],
        "user": {"id": "u1", "mobile": "+8618600000001", "national_code": "86", "user_type": 3},
        "expires_in": 600.0, "notify_url": "https://shop.example/hook",
        "metadata": {"client_order_id": "A1"}, "description": "d", "payee_user_id": "m1",
    })))
    .unwrap();
    assert_eq!(o.channel, Provider::Pingpp);
    assert_eq!(o.amount, OrderAmount::Fiat(Money::new(Currency::Cny, 1234)));
    assert_eq!(
        o.items[1],
        Item {
            name: "cup".into(),
            quantity: 1
        }
    );
    assert_eq!(o.user.profile.user_type, Some(3));
    assert_eq!(o.expires_in, 600);
    assert_eq!(o.metadata["client_order_id"], "A1");
    let o = CreateOrder::parse(&body(json!({
        "channel": "wallet", "amount": "0.00000001", "token": "BTC", "user": {"id": "u"},
    })))
    .unwrap();
    assert_eq!(o.expires_in, DEFAULT_EXPIRES_IN);
    assert!(matches!(o.amount, OrderAmount::Token { ref token, .. } if token == "BTC"));
}

#[test]
fn refusals_name_the_field() {
    let base =
        || json!({"channel": "paytm", "amount": 100, "currency": "INR", "user": {"id": "u"}});
    let with = |k: &str, v: Value| {
        let mut b = base();
        b[k] = v;
        b
    };
    for (v, param) in [
        (with("amount", json!(100.0)), "amount"),
        (with("amount", json!(0)), "amount"),
        (with("amount", json!("100")), "amount"),
        (with("currency", json!("XXX")), "currency"),
        (with("token", json!("BTC")), "token"),
        (with("channel", json!("bank")), "channel"),
        (with("colour", json!("red")), "colour"),
        (with("expires_in", json!(86401)), "expires_in"),
        (
            with("items", json!([{"name": "a", "qty": 1}])),
            "items[0].qty",
        ),
        (
            with("items", json!([{"name": "a", "quantity": 0}])),
            "items[0].quantity",
        ),
        (
            with("user", json!({"id": "u", "mobile": "12"})),
            "user.mobile",
        ),
        (
            with("user", json!({"id": "u", "email": "no-at"})),
            "user.email",
        ),
        (
            with("user", json!({"id": "u", "register_type": 100})),
            "user.register_type",
        ),
        (with("metadata", json!({"k": 1})), "metadata[k]"),
        (with("payee_user_id", json!("")), "payee_user_id"),
    ] {
        let e = refusal(v);
        assert_eq!(e.param, param, "{e}");
        assert!(e.message.starts_with(param), "{e}");
    }
    let token = |amount: &str| {
        refusal(
            json!({"channel": "wallet", "amount": amount, "token": "USDT", "user": {"id": "u"}}),
        )
    };
    for bad in [
        "0",
        "0.000000",
        "01",
        "1.0000001",
        "1e3",
        "-1",
        "1234567890123456",
        " 1",
    ] {
        assert_eq!(token(bad).param, "amount", "{bad}");
    }
    let e =
        refusal(json!({"channel": "wallet", "amount": "1", "token": "DOGE", "user": {"id": "u"}}));
    assert_eq!(e.param, "token");
}

#[test]
fn the_document_names_the_same_currencies_and_tokens() {
    let codes: Vec<&str> = Currency::ALL.iter().map(|c| c.code()).collect();
    assert_eq!(
        schema("FiatOrder")["properties"]["currency"]["enum"],
        json!(codes)
    );
    for token in ["BTC", "USDT", "ETH"] {
        let s = schema(&format!(
            "{}Order",
            token[..1].to_owned() + &token[1..].to_lowercase()
        ));
        assert_eq!(s["properties"]["token"]["const"], token);
    }
}

/// The document's pattern for `token`'s amounts, without its anchors (the strategy
/// generates whole strings).
fn token_pattern(token: &str) -> String {
    let name = format!("{}{}Order", &token[..1], token[1..].to_lowercase());
    let p = schema(&name)["properties"]["amount"]["pattern"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    p.trim_start_matches('^').trim_end_matches('$').to_owned()
}

proptest! {
    #[test]
    fn every_token_amount_the_document_allows_is_accepted(
        (token, amount) in prop_oneof![
            proptest::string::string_regex(&token_pattern("BTC")).unwrap().prop_map(|a| ("BTC", a)),
            proptest::string::string_regex(&token_pattern("USDT")).unwrap().prop_map(|a| ("USDT", a)),
            proptest::string::string_regex(&token_pattern("ETH")).unwrap().prop_map(|a| ("ETH", a)),
        ]
    ) {
        let b = json!({"channel": "wallet", "amount": amount, "token": token, "user": {"id": "u"}});
        prop_assert!(CreateOrder::parse(&body(b)).is_ok(), "{token} {amount}");
    }

    #[test]
    fn every_fiat_amount_the_document_allows_is_accepted(minor in 1u64.., c in 0usize..5) {
        let code = Currency::ALL[c].code();
        let b = json!({"channel": "lianshang", "amount": minor, "currency": code, "user": {"id": "u"}});
        prop_assert!(CreateOrder::parse(&body(b)).is_ok());
    }
}
