//! The binding and confirmation rules (SPEC 3.4; issue 14): which verified callbacks and
//! which status-query answers may settle an attempt or a refund, as pure decisions.

use serde_json::json;

use crate::callback::{
    CallbackAmount, Outcome, Provider, ProviderRef, SettleError, VerifiedCallback,
};
use crate::money::{Currency, Money, TokenAmount};
use crate::providers::pingpp::{Charge, Refund};
use crate::providers::wallet::notify::{Notification, NotifyStatus};
use crate::providers::{lianshang, pingpp, wallet};

const REF: &str = "476682884348973312A476682884348973313";

fn cb(provider: Provider, outcome: Outcome, amount: CallbackAmount) -> VerifiedCallback {
    VerifiedCallback {
        provider,
        event_id: format!("{provider}:e1"),
        reference: ProviderRef::parse("reference", REF).unwrap(),
        outcome,
        amount,
        provider_txn: "txn_1".into(),
        confirm_required: false,
        account: None,
        refunded_txn: None,
    }
}

fn unconfirmed(e: Result<(), SettleError>) -> String {
    match e {
        Err(SettleError::Unconfirmed { reason }) => reason,
        other => panic!("{other:?}"),
    }
}

#[test]
fn lianshang_binds_to_our_merchant_and_the_recorded_trade() {
    let mut c = cb(
        Provider::Lianshang,
        Outcome::Succeeded,
        CallbackAmount::Fiat(Money::new(Currency::Cny, 200)),
    );
    c.account = Some("yx001".into());
    assert_eq!(
        lianshang::callback::bind(&c, "yx001", Some("txn_1")),
        Ok(())
    );
    let e = lianshang::callback::bind(&c, "other", Some("txn_1")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "merchant_id: names another lianshang account than this edge's"
    );
    assert!(matches!(
        lianshang::callback::bind(&c, "yx001", None),
        Err(SettleError::WrongTrade { .. })
    ));
    assert!(matches!(
        lianshang::callback::bind(&c, "yx001", Some("txn_2")),
        Err(SettleError::WrongTrade { .. })
    ));
}

#[test]
fn pingpp_binds_app_and_refunded_charge() {
    let mut c = cb(
        Provider::Pingpp,
        Outcome::Refunded,
        CallbackAmount::Minor(200),
    );
    c.refunded_txn = Some("ch_1".into());
    assert_eq!(pingpp::callback::bind(&c, "app_1", Some("ch_1")), Ok(()));
    assert!(matches!(
        pingpp::callback::bind(&c, "app_1", Some("ch_2")),
        Err(SettleError::WrongTrade { .. })
    ));
    c.account = Some("app_2".into());
    assert!(matches!(
        pingpp::callback::bind(&c, "app_1", Some("ch_1")),
        Err(SettleError::WrongAccount { field: "app", .. })
    ));
}

#[test]
fn pingpp_charge_and_refund_retrieves_confirm() {
    let c = cb(
        Provider::Pingpp,
        Outcome::Succeeded,
        CallbackAmount::Fiat(Money::new(Currency::Cny, 200)),
    );
    let charge = Charge {
        id: "ch_1".into(),
        order_no: REF.into(),
        amount: 200,
        currency: "cny".into(),
        paid: true,
        failure_code: None,
        app: Some("app_1".into()),
        raw: json!({}),
    };
    assert_eq!(
        pingpp::callback::confirm_charge(&c, &charge, "app_1", true),
        Ok(())
    );
    let r =
        |ch: &Charge, ours| unconfirmed(pingpp::callback::confirm_charge(&c, ch, "app_1", ours));
    assert_eq!(
        r(
            &Charge {
                paid: false,
                ..charge.clone()
            },
            true
        ),
        "charge is not paid"
    );
    assert_eq!(
        r(
            &Charge {
                app: None,
                ..charge.clone()
            },
            true
        ),
        "the charge belongs to another Ping++ app"
    );
    assert_eq!(
        r(
            &Charge {
                order_no: "1".into(),
                ..charge.clone()
            },
            true
        ),
        "order_no differs"
    );
    assert_eq!(r(&charge, false), "not the charge created for this attempt");
    assert_eq!(
        r(
            &Charge {
                amount: 199,
                ..charge.clone()
            },
            true
        ),
        "amount or currency differs"
    );
    assert_eq!(
        r(
            &Charge {
                currency: "usd".into(),
                ..charge.clone()
            },
            true
        ),
        "amount or currency differs"
    );

    let rc = cb(
        Provider::Pingpp,
        Outcome::Refunded,
        CallbackAmount::Minor(200),
    );
    let refund = Refund {
        id: "re_1".into(),
        amount: 200,
        status: "succeeded".into(),
        charge: "ch_1".into(),
        succeed: true,
        charge_order_no: Some(REF.into()),
        metadata: serde_json::Value::Null,
    };
    assert_eq!(pingpp::callback::confirm_refund(&rc, &refund), Ok(()));
    let rr = |x: &Refund| unconfirmed(pingpp::callback::confirm_refund(&rc, x));
    assert_eq!(
        rr(&Refund {
            status: "pending".into(),
            ..refund.clone()
        }),
        "the refund has not succeeded at Ping++"
    );
    assert_eq!(
        rr(&Refund {
            charge_order_no: None,
            ..refund.clone()
        }),
        "charge_order_no differs"
    );
    assert_eq!(
        rr(&Refund {
            amount: 100,
            ..refund.clone()
        }),
        "amount differs"
    );
}

#[test]
fn wallet_query_confirms() {
    let amount = TokenAmount::parse("amount", "12.5", 6).unwrap();
    let c = cb(
        Provider::Wallet,
        Outcome::Succeeded,
        CallbackAmount::Token {
            token: "USDT".into(),
            amount,
        },
    );
    let n = Notification {
        notify_id: "q1".into(),
        order_id: c.reference,
        trade_id: "txn_1".into(),
        status: NotifyStatus::Success,
        token_id: "USDT".into(),
        amount: "12.500000".into(),
        time: "1700000000000".into(),
    };
    assert_eq!(wallet::callback::confirm(&c, &n), Ok(()));
    let r = |x: &Notification| unconfirmed(wallet::callback::confirm(&c, x));
    assert_eq!(
        r(&Notification {
            status: NotifyStatus::Processing,
            ..n.clone()
        }),
        "the wallet's payment is not SUCCESS"
    );
    assert_eq!(
        r(&Notification {
            trade_id: "t2".into(),
            ..n.clone()
        }),
        "trade_id differs"
    );
    assert_eq!(
        r(&Notification {
            amount: "12.4".into(),
            ..n.clone()
        }),
        "token or amount differs"
    );
    let e = SettleError::Unconfirmed { reason: "x".into() };
    assert_eq!(
        e.to_string(),
        "status: the provider's status query does not confirm this success (x)"
    );
}
