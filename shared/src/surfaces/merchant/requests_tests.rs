//! Every branch of the merchant API's request readers, and properties of the ones that
//! take open-ended input.

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::flows::outbox::{OutboxEntry, OutboxKind};

/// `v` as an object (the S2 readers' tests use it too).
pub(crate) fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// The refusal's field and message; panics on an answer.
pub(crate) fn msg<T: std::fmt::Debug>(r: Result<T, FieldError>) -> (String, String) {
    match r {
        Err(e) => (e.param, e.message),
        Ok(v) => panic!("accepted: {v:?}"),
    }
}

#[test]
fn ids_and_limits() {
    assert!(id_param("id", "123").is_ok());
    assert_eq!(msg(id_param("id", "x")).0, "id");
    assert_eq!(list_limit(None, 100), Ok(10));
    assert_eq!(list_limit(Some("100"), 100), Ok(100));
    for bad in ["0", "101", "-1", "1.5", ""] {
        assert_eq!(
            msg(list_limit(Some(bad), 100)),
            (
                "limit".into(),
                "limit: must be a whole number from 1 to 100".into()
            )
        );
    }
}

#[test]
fn idempotency_keys() {
    assert_eq!(idempotency_key(None), Ok(None));
    assert_eq!(idempotency_key(Some("k-1".into())), Ok(Some("k-1".into())));
    for bad in [String::new(), "a b".into(), "é".into(), "x".repeat(256)] {
        assert_eq!(msg(idempotency_key(Some(bad))).0, "Idempotency-Key");
    }
}

#[test]
fn fingerprints_ignore_key_order_but_not_values() {
    let a = body_fingerprint(&obj(json!({"a": 1, "b": 2})));
    let b = body_fingerprint(&obj(
        serde_json::from_str(r#"{"b":2,"a":1}"#).unwrap_or_default()
    ));
    let c = body_fingerprint(&obj(json!({"a": 1, "b": 3})));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.len(), 64);
}

#[test]
fn notify_url_targets() {
    assert_eq!(
        notify_url_target("https", Some("shop.example"), false),
        Ok(())
    );
    assert_eq!(notify_url_target("http", Some("127.0.0.1"), true), Ok(()));
    let https_only = (
        "notify_url".to_owned(),
        "notify_url: must be an https:// URL".to_owned(),
    );
    assert_eq!(
        msg(notify_url_target("http", Some("shop.example"), false)),
        https_only
    );
    assert_eq!(
        msg(notify_url_target("ftp", Some("shop.example"), true)),
        https_only
    );
    assert_eq!(msg(notify_url_target("https", None, false)), https_only);
    let (_, m) = msg(notify_url_target("https", Some("127.0.0.1"), false));
    assert!(m.starts_with("notify_url: host 127.0.0.1 "), "{m}");
    assert!(m.ends_with("; webhooks go to public hosts only"), "{m}");
}

#[test]
fn refund_asks() {
    let ask = |v| RefundAsk::parse(&obj(v));
    assert_eq!(
        ask(json!({})),
        Ok(RefundAsk {
            amount: None,
            reason: None
        })
    );
    assert_eq!(
        ask(json!({"amount": null, "reason": "late"})),
        Ok(RefundAsk {
            amount: None,
            reason: Some("late".into())
        })
    );
    assert_eq!(
        ask(json!({"amount": 500})).map(|a| a.amount),
        Ok(Some(RefundAmount::Minor(500)))
    );
    assert_eq!(
        ask(json!({"amount": "1.50"})).map(|a| a.amount),
        Ok(Some(RefundAmount::Decimal("1.50".into())))
    );
    for bad in [
        json!(0),
        json!(-1),
        json!(1.5),
        json!("0"),
        json!("abc"),
        json!(true),
    ] {
        let (p, m) = msg(ask(json!({ "amount": bad })));
        assert_eq!(p, "amount");
        assert!(
            m.starts_with("amount: must be a positive whole number"),
            "{m}"
        );
    }
    assert_eq!(msg(ask(json!({"reason": 1}))).0, "reason");
}

#[test]
fn settle_bodies() {
    let settle = |v| Settle::parse(&obj(v));
    assert_eq!(
        settle(json!({})),
        Ok(Settle {
            refund: None,
            succeeded: true,
            reference: None
        })
    );
    let s = settle(json!({"refund_id": "42", "outcome": "failed", "reference": "BANK-1"}));
    assert_eq!(
        s,
        Ok(Settle {
            refund: Some(Id::parse("refund_id", "42").unwrap_or_else(|e| panic!("{e}"))),
            succeeded: false,
            reference: Some("BANK-1".into())
        })
    );
    assert_eq!(
        settle(json!({"outcome": "succeeded"})).map(|s| s.succeeded),
        Ok(true)
    );
    // The field reader refuses an empty string first (the settle's own check is a
    // second guard).
    assert_eq!(msg(settle(json!({"reference": ""}))).0, "reference");
    assert_eq!(msg(settle(json!({"refund_id": "x"}))).0, "refund_id");
    assert_eq!(
        msg(settle(json!({"outcome": "maybe"}))),
        (
            "outcome".into(),
            "outcome: must be \"succeeded\" or \"failed\"".into()
        )
    );
}

#[test]
fn review_bodies() {
    assert_eq!(
        review(&obj(json!({"resolution": "refunded"}))),
        Ok((Resolution::Refunded, None))
    );
    assert_eq!(
        review(&obj(json!({"resolution": "fulfilled", "note": "shipped"}))),
        Ok((Resolution::Fulfilled, Some("shipped".into())))
    );
    for bad in [json!({}), json!({"resolution": "lost"})] {
        assert_eq!(
            msg(review(&obj(bad))),
            (
                "resolution".into(),
                "resolution: must be \"refunded\" or \"fulfilled\"".into()
            )
        );
    }
    assert_eq!(
        msg(review(&obj(
            json!({"resolution": "refunded", "note": "x".repeat(501)})
        )))
        .0,
        "note"
    );
}

#[test]
fn trusted_webhook_ids_extend_and_ips() {
    assert_eq!(trusted(&obj(json!({"trusted": true}))), Ok(true));
    assert_eq!(trusted(&obj(json!({"trusted": false}))), Ok(false));
    assert_eq!(msg(trusted(&obj(json!({})))).1, "trusted: is required");
    assert_eq!(
        msg(trusted(&obj(json!({"trusted": null})))).1,
        "trusted: is required"
    );
    assert_eq!(
        msg(trusted(&obj(json!({"trusted": 1})))).1,
        "trusted: must be a boolean"
    );

    assert_eq!(webhook_id("evt_1"), Ok("evt_1".into()));
    for bad in [String::new(), "evt-1".into(), "a".repeat(129)] {
        assert_eq!(
            msg(webhook_id(&bad)).1,
            "webhook_id: must be 1 to 128 letters, digits or '_'"
        );
    }

    assert_eq!(
        s0_extend(&obj(json!({"extend": {"a": 1}}))),
        Ok(json!({"a": 1}))
    );
    assert_eq!(s0_extend(&obj(json!({"extend": "x"}))), Ok(json!("x")));
    assert_eq!(msg(s0_extend(&obj(json!({})))).1, "extend: is required");
    assert_eq!(
        msg(s0_extend(&obj(json!({"extend": 1})))).1,
        "extend: must be an object or a string"
    );

    assert_eq!(rejections_ip(Some(" 10.0.0.1 ")), Ok("10.0.0.1"));
    assert_eq!(rejections_ip(Some("::1")), Ok("::1"));
    assert_eq!(rejections_ip(Some("unknown")), Ok("unknown"));
    assert_eq!(msg(rejections_ip(None)).1, "ip: is required");
    assert_eq!(msg(rejections_ip(Some("  "))).1, "ip: is required");
    assert_eq!(
        msg(rejections_ip(Some("host"))).1,
        "ip: must be an IPv4 or IPv6 address, or \"unknown\""
    );
}

#[test]
fn views() {
    let ga = ga_enrolment("张 a-b", "SECRET");
    assert_eq!(ga["object"], "ga_enrolment");
    assert_eq!(
        ga["otpauth_uri"],
        "otpauth://totp/Kassa:%E5%BC%A0%20a-b?secret=SECRET&issuer=Kassa&algorithm=SHA1&digits=6&period=30"
    );
    let entry: OutboxEntry = serde_json::from_value(json!({
        "id": "evt_1", "kind": "webhook", "event_type": "order.succeeded", "created_ms": 5,
        "body": "{}", "status": "pending", "attempts": 0, "window_start_ms": null,
        "next_attempt_ms": 5, "log": []
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(entry.kind, OutboxKind::Webhook);
    let w = webhook_view(&entry);
    assert_eq!(w["object"], "webhook");
    assert_eq!(w["type"], "order.succeeded");
    assert_eq!(w["next_attempt_ms"], 5);
    let r = relay_view(&entry);
    assert_eq!(r["object"], "relay");
    assert_eq!(r["status"], "order.succeeded");
    assert_eq!(r["delivery"], w["status"]);
}

proptest! {
    #[test]
    fn list_limit_accepts_exactly_the_range(n in 0u64..1000) {
        let r = list_limit(Some(&n.to_string()), 100);
        prop_assert_eq!(r.is_ok(), (1..=100).contains(&n));
    }

    #[test]
    fn idempotency_key_never_panics_and_keeps_what_it_takes(k in ".{0,300}") {
        if let Ok(Some(kept)) = idempotency_key(Some(k.clone())) {
            prop_assert_eq!(kept, k);
        }
    }

    #[test]
    fn webhook_ids_are_letters_digits_and_underscores(s in ".{0,140}") {
        if let Ok(id) = webhook_id(&s) {
            prop_assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        }
    }

    #[test]
    fn refund_amounts_are_positive(v in prop_oneof![
        any::<i64>().prop_map(|n| json!(n)),
        "[0-9.]{0,12}".prop_map(|s| json!(s)),
    ]) {
        if let Ok(RefundAsk { amount: Some(a), .. }) = RefundAsk::parse(&obj(json!({"amount": v}))) {
            match a {
                RefundAmount::Minor(m) => prop_assert!(m > 0),
                RefundAmount::Decimal(d) => prop_assert!(positive_decimal(&d)),
            }
        }
    }

    #[test]
    fn rejections_ip_takes_any_address(a in any::<std::net::IpAddr>()) {
        let s = a.to_string();
        prop_assert_eq!(rejections_ip(Some(&s)), Ok(s.as_str()));
    }
}
