//! Issue 5's per-channel matrix (`docs/coverage.md`), the cells no other suite covers
//! through a real `pay` on every channel (paytm, lianshang, pingpp, wallet), one order
//! per channel, against the real edge under `wrangler dev` and the sandbox:
//! - S0 `prePayCheck` denying, then answering after the edge's timeout: pay is refused
//!   (409 `s0_refused`, audited `s0_denied` / `s0_unavailable`), no attempt is started
//!   and nothing is created at the provider (fail closed);
//! - attempt 1 fails at the provider — its signed failure callback, or for Ping++ (whose
//!   webhooks have no failure event) a refused charge — and the order is payable again;
//! - attempt 2's signed success callback, sent by the sandbox, settles it: Succeeded;
//! - the merchant's receiver is down while the orders succeed: each `order.succeeded`
//!   is refused at least twice, and once the receiver is back every webhook the order
//!   owes arrives exactly once, with each S0 relay once.
#![allow(clippy::unwrap_used, clippy::panic)]

mod callbacks_support;

use callbacks_support::{Msg, World};
use serde_json::{json, Value};

const CHANNELS: [&str; 4] = ["paytm", "lianshang", "pingpp", "wallet"];

/// The edge's `prePayCheck` budget here: over the 2 s default, so that an approval
/// seen late on a loaded machine is not what fails a pay; the timeout case waits it out
/// once per channel.
const S0_TIMEOUT_MS: &str = "3000";
/// How long the sandbox's S0 takes in the timeout case: well past that budget.
const S0_SLOW_MS: u64 = 5000;

fn amount(channel: &str) -> Value {
    match channel {
        "paytm" => json!({"amount": 200, "currency": "INR"}),
        "wallet" => json!({"amount": "12.5", "token": "USDT"}),
        _ => json!({"amount": 700, "currency": "CNY"}),
    }
}

/// What the edge answers a callback it accepted, in the form the provider expects.
fn ack(channel: &str) -> &'static str {
    match channel {
        "paytm" => r#"{"code":200,"data":true,"message":"success"}"#,
        "lianshang" => "SUCCESS",
        "wallet" => r#"{"code":0}"#,
        _ => "",
    }
}

/// Calls that reach the provider when a pay gets past S0 (Paytm's pay only signs a
/// form for the shopper's browser: nothing reaches Paytm, so it counts as 0 here and
/// the unchanged history proves the refusal there).
fn provider_calls(w: &World, channel: &str) -> u64 {
    match channel {
        "lianshang" => w.counter("s3.create_pay_order"),
        "pingpp" => w.counter("pingpp.charge_request"),
        "wallet" => w.counter("wallet.pay"),
        _ => 0,
    }
}

fn status(w: &World, id: &str) -> String {
    w.order(id)["status"].as_str().unwrap().to_owned()
}

fn history_len(w: &World, id: &str) -> usize {
    w.events(id)["history"].as_array().unwrap().len()
}

/// Pays `id` and returns the provider's signed callback, held at the sandbox, saying
/// `result` ("success" / "fail") for the attempt that pay started.
fn pay_then_callback(w: &World, channel: &str, id: &str, secret: &str, result: &str) -> Msg {
    let paid = w.pay(id, secret);
    match channel {
        "paytm" => {
            let (_, txn) = w.paytm_process(&paid);
            w.paytm_callback(&txn, result)
        }
        "lianshang" => {
            let trade = w.last_record("s3/trades", "out_trade_id", id);
            w.control(
                "s3/complete",
                &json!({"id": trade["out_trade_id"], "result": result, "hold": true}),
            );
            w.control_outbox_last()
        }
        "pingpp" => {
            assert_eq!(result, "success", "Ping++ webhooks have no failure event");
            let charge = w.last_record("pingpp/charges", "order_no", id);
            w.pingpp_event(charge["id"].as_str().unwrap(), "charge.succeeded")
        }
        _ => {
            let payment = w.last_record("wallet/payments", "order_id", id);
            w.wallet_notify(payment["order_id"].as_str().unwrap(), result)
        }
    }
}

/// S0 denies, then answers only after the edge's timeout: pay refused, closed, with
/// nothing started anywhere. One pay at a time: the sandbox's S0 script is global
/// (`count: 1` goes to whichever `prePayCheck` arrives first).
fn s0_fails_closed(w: &World, channel: &str, id: &str, secret: &str) {
    for (outcome, audit) in [("deny", "s0_denied"), ("slow", "s0_unavailable")] {
        w.control(
            "s0/prepay",
            &json!({"outcome": outcome, "ms": S0_SLOW_MS, "count": 1}),
        );
        let (calls, history) = (provider_calls(w, channel), history_len(w, id));
        let (s, v) = w.try_pay(id, secret);
        assert_eq!(
            (s, v["code"].as_str()),
            (409, Some("s0_refused")),
            "{channel} S0 {outcome}: {v}"
        );
        assert!(
            w.audit_reasons(id).iter().any(|r| r == audit),
            "{channel} S0 {outcome}: {audit} not in {}",
            w.events(id)["audit"]
        );
        assert_eq!(provider_calls(w, channel), calls, "{channel} {outcome}");
        assert_eq!(history_len(w, id), history, "{channel} {outcome}");
        assert_eq!(status(w, id), "pending", "{channel} {outcome}");
    }
}

/// Attempt 1 fails at the provider; the order is payable again.
fn first_attempt_fails(w: &World, channel: &str, id: &str, secret: &str) {
    if channel == "pingpp" {
        w.control("pingpp/script", &json!({"outcome": "deny", "count": 1}));
        let (s, v) = w.try_pay(id, secret);
        assert_eq!(
            (s, v["code"].as_str()),
            (409, Some("provider_refused")),
            "{v}"
        );
    } else {
        let fail = pay_then_callback(w, channel, id, secret, "fail");
        assert_eq!(w.send(&fail), (200, ack(channel).to_owned()), "{channel}");
    }
    assert_eq!(status(w, id), "pending", "{channel}");
    let history = w.events(id)["history"].clone();
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["type"], "attempt_failed", "{channel}: {history}");
}

/// The receiver's log of `id`'s `order.succeeded`: how many were refused with a 500.
fn refused_successes(w: &World, id: &str) -> usize {
    w.control_get("merchant/webhooks")["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["answered"] == 500)
        .filter_map(|r| serde_json::from_str::<Value>(r["body"].as_str()?).ok())
        .filter(|b| b["type"] == "order.succeeded" && b["data"]["object"]["id"] == id)
        .count()
}

#[test]
fn every_channel_fails_closed_on_s0_retries_to_success_and_delivers_once() {
    // Each order gets four code sends (S0 deny, S0 slow, attempt 1, attempt 2).
    let w = World::start(
        "channel-matrix",
        &[
            ("KASSA_RISK_CODE_SEND_MIN_GAP_SECS", "0"),
            ("KASSA_S0_TIMEOUT_MS", S0_TIMEOUT_MS),
        ],
    );
    let orders: Vec<(&str, String, String)> = CHANNELS
        .iter()
        .map(|c| {
            let (id, secret) = w.create_with_secret(c, &amount(c));
            (*c, id, secret)
        })
        .collect();
    for (channel, id, secret) in &orders {
        s0_fails_closed(&w, channel, id, secret);
        first_attempt_fails(&w, channel, id, secret);
    }
    for (_, id, _) in &orders {
        w.settle(id);
    }

    // The receiver goes down; attempt 2 succeeds on every channel.
    w.control("merchant/script", &json!({"outcome": "error"}));
    for (channel, id, secret) in &orders {
        let ok = pay_then_callback(&w, channel, id, secret, "success");
        assert_eq!(w.send(&ok), (200, ack(channel).to_owned()), "{channel}");
        assert_eq!(status(&w, id), "succeeded", "{channel}");
    }
    w.wait("each order.succeeded refused twice while down", || {
        orders
            .iter()
            .all(|(_, id, _)| refused_successes(&w, id) >= 2)
            .then_some(())
    });
    w.control("merchant/script", &json!({"outcome": "approve"}));
    for (_, id, _) in &orders {
        w.effects_once(id, &["PAY_ING", "PAY_SUCCESS"]);
    }
    // Delivered means done: no copy after an acknowledgement.
    std::thread::sleep(std::time::Duration::from_secs(2));
    for (channel, id, _) in &orders {
        let hooks: Vec<Value> = w.webhooks(id);
        let mut ids: Vec<&str> = hooks.iter().map(|h| h["id"].as_str().unwrap()).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(
            ids.len(),
            n,
            "{channel}: a webhook accepted twice: {hooks:?}"
        );
        let (_, log) = w.merchant("GET", &format!("/v1/orders/{id}/webhooks"), None);
        for h in log["data"].as_array().unwrap() {
            if h["type"] != "verification_code.requested" {
                assert_eq!(h["status"], "delivered", "{channel}: {log}");
            }
        }
    }
}
