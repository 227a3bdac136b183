//! Every branch of the widget API's parameter readers, and properties of the ones that
//! take open-ended input.

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::surfaces::merchant::requests::tests::{msg, obj};

fn id(n: u64) -> Id {
    Id::new(n).unwrap_or_else(|e| panic!("{e}"))
}

fn pairs(q: &[(&'static str, &'static str)]) -> Vec<(Cow<'static, str>, Cow<'static, str>)> {
    q.iter()
        .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)))
        .collect()
}

#[test]
fn order_ids_as_strings_or_integers() {
    assert_eq!(order_id(&obj(json!({"order_id": "42"}))), Ok(id(42)));
    assert_eq!(order_id(&obj(json!({"order_id": 42}))), Ok(id(42)));
    assert_eq!(
        msg(order_id(&obj(json!({})))),
        ("order_id".into(), "order_id: is required".into())
    );
    assert_eq!(
        msg(order_id(&obj(json!({"order_id": null})))).1,
        "order_id: is required"
    );
    assert_eq!(
        msg(order_id(&obj(json!({"order_id": true})))).1,
        "order_id: must be a string or an integer"
    );
    assert_eq!(msg(order_id(&obj(json!({"order_id": "x"})))).0, "order_id");
}

#[test]
fn verify_code_order_ids() {
    let v = |b| verify_code_order_id(&obj(b));
    assert_eq!(v(json!({})), Ok(None));
    assert_eq!(v(json!({"verify_code_order_id": null})), Ok(None));
    assert_eq!(v(json!({"verify_code_order_id": "0"})), Ok(None));
    assert_eq!(v(json!({"verify_code_order_id": 0})), Ok(None));
    assert_eq!(v(json!({"verify_code_order_id": "7"})), Ok(Some(id(7))));
    assert_eq!(v(json!({"verify_code_order_id": 7})), Ok(Some(id(7))));
    assert_eq!(
        msg(v(json!({"verify_code_order_id": []}))).0,
        "verify_code_order_id"
    );
    assert_eq!(
        msg(v(json!({"verify_code_order_id": "x"}))).0,
        "verify_code_order_id"
    );
}

#[test]
fn pay_keys_and_fingerprints() {
    assert_eq!(pay_idempotency_key(None), Ok(None));
    assert_eq!(pay_idempotency_key(Some(" k ")), Ok(Some("k".into())));
    let long = "x".repeat(256);
    for bad in ["", "   ", long.as_str()] {
        assert_eq!(
            msg(pay_idempotency_key(Some(bad))),
            (
                "Idempotency-Key".into(),
                "Idempotency-Key: 1 to 255 characters".into()
            )
        );
    }
    let a = pay_fingerprint(&obj(json!({"order_id": "1", "verify_code": "2"})));
    let b = pay_fingerprint(&obj(json!({"verify_code": "2", "order_id": "1"})));
    assert_eq!(a, b);
    assert_ne!(a, pay_fingerprint(&obj(json!({"order_id": "1"}))));
}

#[test]
fn origins_and_return_urls() {
    let list = "https://shop.example, http://localhost:8080,";
    assert!(origin_listed(list, "https://shop.example"));
    assert!(origin_listed(list, "http://localhost:8080"));
    assert!(!origin_listed(list, ""));
    assert!(!origin_listed(list, "https://evil.example"));

    let r = |v, l| return_url(&obj(v), l);
    assert_eq!(r(json!({}), Some(list)), Ok(None));
    assert_eq!(
        r(
            json!({"return_url": "https://shop.example/back?x=1"}),
            Some(list)
        ),
        Ok(Some("https://shop.example/back?x=1".into()))
    );
    assert_eq!(
        msg(r(json!({"return_url": "/back"}), Some(list))).1,
        "return_url: must be an absolute http(s) URL"
    );
    let unlisted = "return_url: its origin is not one of KASSA_ALLOWED_ORIGINS";
    assert_eq!(
        msg(r(
            json!({"return_url": "https://evil.example/"}),
            Some(list)
        ))
        .1,
        unlisted
    );
    assert_eq!(
        msg(r(json!({"return_url": "https://shop.example/"}), None)).1,
        unlisted
    );
    assert_eq!(msg(r(json!({"return_url": 5}), Some(list))).0, "return_url");
}

#[test]
fn locales() {
    assert_eq!(locale(None), Locale::ZhCn);
    assert_eq!(locale(Some("zh-CN,en;q=0.5")), Locale::ZhCn);
    assert_eq!(locale(Some(" EN-gb")), Locale::EnUs);
    assert_eq!(locale(Some("en")), Locale::EnUs);
}

#[test]
fn auth_types_and_code_channels() {
    assert_eq!(auth_type(true, true, true, true), Ok(AuthType::Ga));
    assert_eq!(auth_type(false, true, true, true), Ok(AuthType::Mobile));
    assert_eq!(auth_type(false, false, true, true), Ok(AuthType::Email));
    assert_eq!(auth_type(false, false, false, false), Ok(AuthType::Ga));
    assert!(matches!(
        auth_type(false, false, false, true),
        Err(PayError::Conflict {
            code: ErrorCode::NoCodeChannel,
            ..
        })
    ));

    assert_eq!(
        code_channel(Some("138"), Some("a@b")),
        Ok((AuthType::Mobile, "138".into()))
    );
    assert_eq!(
        code_channel(None, Some("a@b")),
        Ok((AuthType::Email, "a@b".into()))
    );
    assert_eq!(
        code_channel(None, None),
        Err(PayError::Conflict {
            code: ErrorCode::NoCodeChannel,
            message: "order_id: the user has no mobile or e-mail to send a code to".into(),
        })
    );
    assert!(matches!(
        not_payable(),
        PayError::Conflict {
            code: ErrorCode::OrderNotPayable,
            ..
        }
    ));
}

#[test]
fn user_bindings() {
    assert_eq!(user_binding("42"), Ok(id(42)));
    let a = user_binding("张三");
    assert!(a.is_ok());
    assert_eq!(a, user_binding("张三"));
    assert_ne!(a, user_binding("李四"));
}

#[test]
fn orders_queries() {
    let q = orders_query(pairs(&[
        ("status", "2"),
        ("from_id", "5"),
        ("to_id", "9"),
        ("start_time", " 1700000000000 "),
        ("end_time", "1800000000000"),
        ("limit", "500"),
    ]))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(q.status.map(Status::code), Some(2));
    assert_eq!((q.from_id, q.to_id), (Some(id(5)), Some(id(9))));
    assert_eq!(
        (q.start_time, q.end_time),
        (Some(1_700_000_000_000), Some(1_800_000_000_000))
    );
    assert_eq!(q.limit, Some(500));
    assert_eq!(orders_query(pairs(&[])), Ok(OrdersQuery::default()));
    assert_eq!(
        orders_query(pairs(&[("limit", "99999999999")])).map(|q| q.limit),
        Ok(Some(u32::MAX))
    );

    let refused = |q: &[(&'static str, &'static str)]| msg(orders_query(pairs(q)));
    assert_eq!(
        refused(&[("status", "5")]),
        ("status".into(), "status: must be 0 to 4".into())
    );
    assert_eq!(
        refused(&[("status", "x")]).1,
        "status: must be a whole number"
    );
    assert_eq!(refused(&[("from_id", "x")]).0, "from_id");
    assert!(refused(&[("to_id", "x")]).1.starts_with("to_id: "));
    assert_eq!(
        refused(&[("start_time", "-1")]).1,
        "start_time: must be a whole number"
    );
    assert_eq!(
        refused(&[("end_time", "")]).1,
        "end_time: must be a whole number"
    );
    assert_eq!(refused(&[("limit", "0")]).1, "limit: must be at least 1");
    assert_eq!(
        refused(&[("page", "1")]),
        ("page".into(), "page: unknown parameter".into())
    );
}

#[test]
fn socket_queries_and_protocols() {
    assert_eq!(
        socket_order_id(pairs(&[("x", "1"), ("order_id", "3"), ("order_id", "4")])),
        Ok(id(4))
    );
    assert_eq!(msg(socket_order_id(pairs(&[]))).1, "order_id: is required");
    assert_eq!(
        msg(socket_order_id(pairs(&[("order_id", "x")]))).0,
        "order_id"
    );
    assert_eq!(
        msg(socket_order_id(pairs(&[
            ("order_id", "3"),
            ("client_secret", "s")
        ])))
        .0,
        "client_secret"
    );

    assert_eq!(
        protocol_secret("kassa.v1, bearer.kcs_x"),
        Some("kcs_x".into())
    );
    assert_eq!(protocol_secret("kassa.v1"), None);
    assert!(offers_protocol("bearer.x , kassa.v1", "kassa.v1"));
    assert!(!offers_protocol("kassa.v2", "kassa.v1"));
}

proptest! {
    #[test]
    fn query_u64_reads_any_whole_number(n in any::<u64>(), pad in " {0,2}") {
        prop_assert_eq!(query_u64("p", &format!("{pad}{n}{pad}")), Ok(n));
    }

    #[test]
    fn orders_query_never_panics(k in "[a-z_]{1,12}", v in ".{0,24}") {
        let _ = orders_query(vec![(Cow::Owned(k), Cow::Owned(v))]);
    }

    #[test]
    fn order_ids_round_trip(n in 1u64..(1 << 62)) {
        prop_assert_eq!(order_id(&obj(json!({"order_id": n}))), Ok(id(n)));
        prop_assert_eq!(order_id(&obj(json!({"order_id": n.to_string()}))), Ok(id(n)));
    }

    #[test]
    fn return_urls_taken_are_of_a_listed_origin(url in "(https?://)?[a-z@.:/?#]{0,30}") {
        let list = "https://shop.example";
        if let Ok(Some(u)) = return_url(&obj(json!({"return_url": url})), Some(list)) {
            prop_assert_eq!(origin(&u), Some(list));
        }
    }

    #[test]
    fn user_bindings_never_fail(s in ".{0,40}") {
        prop_assert!(user_binding(&s).is_ok());
    }

    #[test]
    fn pay_keys_are_trimmed_and_bounded(k in ".{0,300}") {
        if let Ok(Some(kept)) = pay_idempotency_key(Some(&k)) {
            prop_assert_eq!(kept.as_str(), k.trim());
            prop_assert!(!kept.is_empty() && kept.len() <= 255);
        }
    }
}
