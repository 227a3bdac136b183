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
