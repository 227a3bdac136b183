//! Issue 14 item 6: S0's risk check must see the amount being paid. Before the fix a
//! token order's `prePayCheck` said `price: 0` with no `extend` (S0 approved a payment
//! of nothing), and an INR / USD order's paise / cents went out as if they were fen,
//! with no currency. Now `prePayCheck` carries what the `orderCallBack` relay carries —
//! the same shared builder (`OrderAmountFields`): fiat minor units plus `{currency,
//! amount}`, a token's `{token, amount}` exact decimal — checked here from S0's side, on
//! what the sandbox S0 received for a real `pay`.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::proof_support::Rig;

/// What S0 received for `id`: its `prePayCheck` bodies, and once one arrived, its
/// `orderCallBack` bodies (waited for: relays go out from the order's alarm).
fn s0_saw(rig: &Rig, id: &str) -> (Vec<Value>, Vec<Value>) {
    let of = |v: &Vec<Value>| -> Vec<Value> {
        v.iter().filter(|b| b["orderId"] == id).cloned().collect()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (pre, relays) = rig
            .sandbox
            .state()
            .with(|i| (of(&i.s0.prepay_checks), of(&i.s0.relays)));
        if !relays.is_empty() || Instant::now() > deadline {
            return (pre, relays);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Pays `order` (a `/v1/orders` body) with an SMS code; returns the order id.
fn pay(rig: &Rig, order: &Value) -> String {
    let api = &rig.api;
    let (s, o) = api.merchant("POST", "/v1/orders", Some(order));
    assert_eq!(s, 201, "{o}");
    let id = o["id"].as_str().unwrap().to_owned();
    let secret = o["client_secret"].as_str().unwrap();
    let body = api.pay_body(&id, secret);
    let (s, v) = api.widget("pay", secret, Some(&format!("k-{id}")), &body);
    assert_eq!(s, 200, "{v}\n{}", rig.edge.log_tail());
    id
}

#[test]
fn pre_pay_check_carries_the_exact_amount_and_its_unit() {
    let rig = Rig::start("sec-s0-amount", &[]);
    let user = |u: &str| json!({"id": u, "mobile": "18600000001"});
    let cases = [
        // A token order: S0 must see 0.000123 USDT, not "price 0".
        (
            json!({"channel": "wallet", "amount": "0.000123", "token": "USDT",
                "user": user("u-s0-token")}),
            0,
            json!({"token": "USDT", "amount": "0.000123"}),
        ),
        // ₹123.45 is 12345 paise, named as INR (not 123.45 CNY).
        (
            json!({"channel": "pingpp", "amount": 12345, "currency": "INR",
                "user": user("u-s0-inr")}),
            12345,
            json!({"currency": "INR", "amount": "123.45"}),
        ),
        // $19.99 is 1999 cents, named as USD.
        (
            json!({"channel": "pingpp", "amount": 1999, "currency": "USD",
                "user": user("u-s0-usd")}),
            1999,
            json!({"currency": "USD", "amount": "19.99"}),
        ),
    ];
    for (order, price, extend) in cases {
        let id = pay(&rig, &order);
        let (pre, relays) = s0_saw(&rig, &id);
        assert_eq!(pre.len(), 1, "one prePayCheck per pay: {pre:?}");
        assert_eq!(
            pre[0],
            json!({"orderId": id, "price": price, "extend": extend}),
            "what S0's risk check saw"
        );
        // The relay (PAY_ING for the attempt) states the amount the same way.
        assert!(!relays.is_empty(), "no orderCallBack for {id}");
        for r in &relays {
            assert_eq!(
                (&r["price"], &r["extend"]),
                (&pre[0]["price"], &extend),
                "{r}"
            );
        }
    }
}
