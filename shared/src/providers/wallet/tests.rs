//! The token wallet's calls as values: the charge request and acknowledgement, and the
//! signed status query verified before it is believed (SPEC 3.4 "wallet").

use serde_json::{json, Value};

use super::notify::{self, Notification, NotifyStatus};
use super::{WalletConfig, WalletError};
use crate::callback::ProviderRef;
use crate::crypto::keys::fixtures;
use crate::crypto::SignAlg;
use crate::id::Id;
use crate::money::TokenAmount;
use crate::providers::http::Response;
use crate::serde_util::Redacted;

const REF: &str = "476682884348973312A476682884348973313";

fn id() -> Id {
    Id::parse("order_id", "476682884348973312").unwrap()
}

fn reference() -> ProviderRef {
    ProviderRef::parse("reference", REF).unwrap()
}

#[test]
fn wallet_charge_and_signed_query() {
    let cfg = WalletConfig {
        base_url: "http://127.0.0.1:9/w".into(),
        api_key: Redacted::new("wk-secret"),
        wallet_public_key: fixtures::pub1024(),
        notify_url: "http://127.0.0.1:8787/callbacks/wallet".into(),
        timeout: core::time::Duration::from_secs(2),
        merchant_id: None,
    };
    let amount = TokenAmount::parse("amount", "12.5", 6).unwrap();
    let req = super::charge_request(&cfg, reference(), "USDT", &amount).unwrap();
    assert_eq!(req.url, "http://127.0.0.1:9/w/charges");
    assert_eq!(req.header("Authorization"), Some("Bearer wk-secret"));
    let sent: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
    assert_eq!(sent["order_id"], REF);
    assert_eq!(sent["token_id"], "USDT");
    assert_eq!(sent["notify_url"], "http://127.0.0.1:8787/callbacks/wallet");
    let ack = super::parse_charge(&Response::json(
        200,
        &json!({"trade_id": "w_9", "status": "PROCESSING"}),
    ))
    .unwrap();
    assert_eq!(ack.status, NotifyStatus::Processing);

    assert_eq!(
        super::query_request(&cfg, &reference()).url,
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
    let signed = notify::sign(&n, &fixtures::priv1024(), SignAlg::Rsa2).unwrap();
    assert_eq!(
        super::parse_query(
            &cfg.wallet_public_key,
            &reference(),
            &Response::json(200, &signed)
        )
        .unwrap(),
        n
    );
    let forged = notify::sign(&n, &fixtures::priv2048(), SignAlg::Rsa2).unwrap();
    assert_eq!(
        super::parse_query(
            &cfg.wallet_public_key,
            &reference(),
            &Response::json(200, &forged)
        ),
        Err(WalletError::BadSignature)
    );
    // Another attempt of the same order is another payment.
    let other = ProviderRef::new(id(), Id::parse("attempt", "476682884348973314").unwrap());
    assert_eq!(
        super::parse_query(
            &cfg.wallet_public_key,
            &other,
            &Response::json(200, &signed)
        ),
        Err(WalletError::OrderMismatch)
    );
}

#[test]
fn an_unfinished_wallet_payment_is_judged_by_its_pull() {
    use crate::flows::attempts::Verdict;
    let pulled = |status, order: &str| Notification {
        notify_id: "wn_1".into(),
        order_id: ProviderRef::parse("order_id", order).unwrap(),
        trade_id: "wt_1".into(),
        status,
        token_id: "USDT".into(),
        amount: "12.5".into(),
        time: "0".into(),
    };
    let r = reference();
    let verdict = |n: Notification| super::callback::query_verdict(&r, &n);
    match verdict(pulled(NotifyStatus::Success, REF)).unwrap() {
        Verdict::Succeeded(cb) => {
            assert_eq!(cb.event_id, "wallet:wn_1", "the notification's own id");
            assert_eq!(cb.provider_txn, "wt_1");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        verdict(pulled(NotifyStatus::Failed, REF)).unwrap(),
        Verdict::Failed
    );
    assert_eq!(
        verdict(pulled(NotifyStatus::Processing, REF)).unwrap(),
        Verdict::InFlight
    );
    assert!(verdict(pulled(NotifyStatus::Success, "476682884348973312A9")).is_err());
}

fn wallet_cfg() -> WalletConfig {
    WalletConfig {
        base_url: "http://127.0.0.1:9/w".into(),
        api_key: Redacted::new("wk-secret"),
        wallet_public_key: fixtures::pub1024(),
        notify_url: "http://127.0.0.1:8787/callbacks/wallet".into(),
        timeout: core::time::Duration::from_secs(2),
        merchant_id: None,
    }
}

#[test]
fn wallet_refund_request_and_answers() {
    use super::refund;
    use crate::providers::refund::{RefundAck, RefundVerdict};
    let cfg = wallet_cfg();
    let amount = TokenAmount::parse("amount", "2.5", 6).unwrap();
    let ex = refund::refund(&cfg, "917293707626352640", &reference(), &amount).unwrap();
    let req = ex.request();
    assert_eq!(req.url, "http://127.0.0.1:9/w/refunds");
    assert_eq!(req.header("Authorization"), Some("Bearer wk-secret"));
    let body: Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"refund_id": "917293707626352640", "order_id": REF, "amount": "2.5"})
    );
    let ok = Response::json(
        200,
        &json!({"code": 0, "refund_id": "917293707626352640",
        "trade_id": "w_1", "status": "PROCESSING"}),
    );
    assert_eq!(
        refund::parse_refund(&ok, "917293707626352640"),
        Ok(RefundAck::Accepted {
            provider_refund: "917293707626352640".into(),
            verdict: RefundVerdict::Pending
        })
    );
    // Another refund's answer, or an unknown status: the outcome is unknown, not a
    // refusal (asking again with the same id is harmless).
    assert!(refund::parse_refund(&ok, "1").is_err());
    let down = Response::json(503, &json!({"code": 503}));
    assert!(refund::parse_refund(&down, "917293707626352640").is_err());
    let over = Response::json(
        409,
        &json!({"code": 409, "message": "amount: exceeds what is left to refund"}),
    );
    assert_eq!(
        refund::parse_refund(&over, "917293707626352640"),
        Ok(RefundAck::Refused {
            reason: "wallet 409: amount: exceeds what is left to refund".into()
        })
    );
}

#[test]
fn wallet_refund_state_is_believed_only_signed_and_about_the_refund() {
    use super::refund;
    use crate::providers::refund::RefundVerdict;
    let key = fixtures::priv1024();
    let amount = TokenAmount::parse("amount", "2.5", 6).unwrap();
    let state = |status: &str, amount: &str, refund_id: &str| {
        let mut v = json!({"refund_id": refund_id, "order_id": REF, "trade_id": "w_1",
            "status": status, "token_id": "USDT", "amount": amount, "time": "1700000000000"});
        crate::crypto::signed_json::sign(&mut v, None, &key, SignAlg::Rsa2).unwrap();
        Response::json(200, &v)
    };
    let read = |r: &Response| {
        refund::parse_refund_status(&fixtures::pub1024(), r, "77", &reference(), &amount)
    };
    assert_eq!(
        read(&state("SUCCESS", "2.5", "77")),
        Ok(RefundVerdict::Succeeded)
    );
    assert_eq!(
        read(&state("PROCESSING", "2.500000", "77")),
        Ok(RefundVerdict::Pending)
    );
    assert!(matches!(
        read(&state("FAILED", "2.5", "77")),
        Ok(RefundVerdict::Failed { .. })
    ));
    assert_eq!(
        read(&state("SUCCESS", "2.4", "77")),
        Err(WalletError::OrderMismatch)
    );
    assert_eq!(
        read(&state("SUCCESS", "2.5", "78")),
        Err(WalletError::OrderMismatch)
    );
    let mut forged = state("FAILED", "2.5", "77");
    forged.body = String::from_utf8(forged.body)
        .unwrap()
        .replace("FAILED", "SUCCESS")
        .into_bytes();
    assert_eq!(read(&forged), Err(WalletError::BadSignature));
}
