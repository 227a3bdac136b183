//! Refunds end to end (`POST /v1/orders/:id/refunds`, `order_object/refund.rs`; issue 16
//! item 7): the real edge under `wrangler dev` and the sandbox's providers over HTTP.
//!
//! On every channel a paid order is refunded in part, then in full: each refund is its
//! own resource with its own `refund.*` webhooks; the order is `refunding` while one is
//! in flight, `partially_refunded` after the first settles and `refunded` after the
//! last, with one `order.refunded` webhook and one S0 `REFUND_SUCCESS` relay; S1, S2
//! and S4 show it. Ping++ settles by its signed webhook, Paytm and the wallet by their
//! refund status APIs (asked from the order's alarm), S3 by the merchant's report. A
//! refund over what is left, a concurrent pair, a provider's refusal and a provider's
//! failure are each refused or recorded clearly.
#![allow(clippy::unwrap_used, clippy::panic)]

mod callbacks_support;

use callbacks_support::{json_msg, lianshang_notify, World};
use serde_json::{json, Value};

fn status(w: &World, id: &str) -> String {
    w.order(id)["status"].as_str().unwrap().to_owned()
}

fn refund(w: &World, id: &str, body: &Value) -> (u16, Value) {
    w.merchant("POST", &format!("/v1/orders/{id}/refunds"), Some(body))
}

fn wait_status(w: &World, id: &str, want: &str) {
    w.wait(&format!("order {id} {want}"), || {
        (status(w, id) == want).then_some(())
    });
}

/// The order's refund `refund` as the merchant API lists it.
fn refund_of(w: &World, order: &str, refund: &str) -> Value {
    w.order(order)["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == refund)
        .cloned()
        .unwrap_or(Value::Null)
}

/// The types of the order's webhooks, in the order they were queued.
fn hook_types(w: &World, id: &str) -> Vec<String> {
    w.settle(id);
    w.webhooks(id)
        .iter()
        .map(|h| h["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn count(types: &[String], t: &str) -> usize {
    types.iter().filter(|x| *x == t).count()
}

/// S2's pay line (`load_pay_data`) for `id`.
fn s2_line(w: &World, id: &str) -> Value {
    let (s, cs) = w.merchant("POST", &format!("/v1/orders/{id}/client_secret"), None);
    assert!(matches!(s, 200 | 201), "{cs}");
    let (s, pay_data) = kassa_tests::harness::read_json(
        w.http
            .get(format!(
                "{}/api/payment/order/load_pay_data?order_id={id}",
                w.url
            ))
            .header(
                "Authorization",
                &format!("Bearer {}", cs["client_secret"].as_str().unwrap()),
            )
            .call(),
    )
    .unwrap();
    assert_eq!(s, 200, "{pay_data}");
    pay_data["orderInfo"]["payInfo"][0].clone()
}

/// A Ping++ order paid and settled: pay creates the charge, its `charge.succeeded`
/// webhook (confirmed by retrieve) moves it to Succeeded.
fn paid_pingpp(w: &World, fen: u64) -> String {
    let (id, secret) = w.create_with_secret("pingpp", &json!({"amount": fen, "currency": "CNY"}));
    w.pay(&id, &secret);
    let charged = w.pingpp_event(&id, "charge.succeeded");
    assert_eq!(w.send(&charged).0, 200);
    assert_eq!(status(w, &id), "succeeded");
    id
}

/// The sandbox's charge for `order` (its `order_no` is one of the order's attempts).
fn charge_of(w: &World, order: &str) -> Value {
    let charges = w.control_get("pingpp/charges");
    charges["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["order_no"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{order}A"))
        })
        .unwrap()
        .clone()
}

/// Checks the partial-then-full effects every channel shares: webhooks, S0 relays, S1,
/// S2 and S4 (`money`), and that nothing is left to refund.
fn assert_partial_then_full(w: &World, id: &str, paid: &str, first: &str) {
    let types = hook_types(w, id);
    assert_eq!(count(&types, "refund.pending"), 2, "{types:?}");
    assert_eq!(count(&types, "refund.succeeded"), 2, "{types:?}");
    assert_eq!(count(&types, "order.partially_refunded"), 1, "{types:?}");
    assert_eq!(count(&types, "order.refunded"), 1, "{types:?}");
    assert_eq!(count(&types, "order.succeeded"), 1, "{types:?}");
    let hook = w
        .webhooks(id)
        .into_iter()
        .find(|h| h["type"] == "refund.succeeded")
        .unwrap();
    assert_eq!(hook["data"]["object"]["id"], first, "{hook}");
    assert_eq!(hook["data"]["object"]["object"], "refund");
    assert_eq!(hook["data"]["order"]["id"], id);
    let relays = w.relays(id);
    assert_eq!(
        relays,
        ["PAY_ING", "PAY_SUCCESS", "REFUND_SUCCESS"],
        "{relays:?}"
    );
    assert_eq!(w.s1_status(id), json!(5));
    let line = s2_line(w, id);
    assert_eq!(
        (&line["paidAmount"], &line["refundedAmount"]),
        (&json!(paid), &json!(paid)),
        "{line}"
    );
    let o = w.order(id);
    assert_eq!(o["amount_refunded"], o["amount"], "{o}");
    let (s, e) = refund(w, id, &json!({}));
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("order_not_refundable")),
        "{e}"
    );
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nothing is left"),
        "{e}"
    );
}

#[test]
fn pingpp_partial_then_full_refund_and_refusals() {
    let w = World::start("edge-refunds", &[]);

    // ---- Partial: 2.00 of 5.00. Ping++ accepts → refunding → its webhook → partially
    // refunded; S1 still 1, S2 shows 2.00 back.
    let id = paid_pingpp(&w, 500);
    let (s, r) = refund(&w, &id, &json!({"amount": 200, "reason": "one cup broken"}));
    assert_eq!(s, 200, "{r}\n{}", w.edge.log_tail());
    assert_eq!(
        (r["object"].as_str(), &r["amount"], r["reason"].as_str()),
        (Some("refund"), &json!(200), Some("one cup broken")),
        "{r}"
    );
    assert!(
        r["provider_reference"].as_str().unwrap().starts_with("re_"),
        "{r}"
    );
    let first = r["id"].as_str().unwrap().to_owned();
    wait_status(&w, &id, "partially_refunded");
    assert_eq!(refund_of(&w, &id, &first)["status"], "refunded");
    let o = w.order(&id);
    assert_eq!(
        (&o["amount_refunded"], &o["amount_refundable"]),
        (&json!(200), &json!(300)),
        "{o}"
    );
    assert_eq!(w.s1_status(&id), json!(1));
    assert_eq!(s2_line(&w, &id)["refundedAmount"], "2.00");

    // ---- More than is left: refused by name, nothing changes, Ping++ not asked.
    let before = w.snapshot(&id);
    let asked = w.counter("pingpp.refund_request");
    let (s, e) = refund(&w, &id, &json!({"amount": 301}));
    assert_eq!(
        (s, e["error"]["param"].as_str()),
        (409, Some("amount")),
        "{e}"
    );
    assert!(
        e["error"]["message"].as_str().unwrap().contains("3.00"),
        "{e}"
    );
    let (s, e) = refund(&w, &id, &json!({"amount": "1.00"}));
    assert_eq!(
        (s, e["error"]["param"].as_str()),
        (409, Some("amount")),
        "{e}"
    );
    assert_eq!(w.snapshot(&id), before);
    assert_eq!(w.counter("pingpp.refund_request"), asked);

    // ---- The rest (no amount: everything left) → refunded.
    let (s, r) = refund(&w, &id, &json!({}));
    assert_eq!((s, &r["amount"]), (200, &json!(300)), "{r}");
    wait_status(&w, &id, "refunded");
    let charge = charge_of(&w, &id);
    let at_pingpp: Vec<&Value> = charge["refunds"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["amount"])
        .collect();
    assert_eq!(at_pingpp, [&json!(200), &json!(300)], "{charge}");
    assert_eq!(charge["refunded"], true);
    assert_partial_then_full(&w, &id, "5.00", &first);
    // S4 has no refund word: the pay record stays `paid`, `money` what was paid.
    let (s, cs) = w.merchant("POST", &format!("/v1/orders/{id}/client_secret"), None);
    assert!(matches!(s, 200 | 201), "{cs}");
    let (s, s4) = kassa_tests::harness::read_json(
        w.http
            .get(format!("{}/rest/pay/{id}", w.url))
            .header("auth", cs["client_secret"].as_str().unwrap())
            .call(),
    )
    .unwrap();
    assert_eq!(s, 200, "{s4}");
    assert_eq!(
        (&s4["info"]["status"], &s4["info"]["money"]),
        (&json!("paid"), &json!(500)),
        "{s4}"
    );

    // ---- Two refund requests at once: one reaches Ping++, the other is refused.
    let id2 = paid_pingpp(&w, 700);
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| refund(&w, &id2, &json!({})));
        let b = s.spawn(|| refund(&w, &id2, &json!({})));
        (a.join().unwrap(), b.join().unwrap())
    });
    let mut codes = [a.0, b.0];
    codes.sort_unstable();
    assert_eq!(codes, [200, 409], "{a:?} {b:?}");
    let loser = if a.0 == 409 { &a.1 } else { &b.1 };
    let code = loser["error"]["code"].as_str().unwrap();
    assert!(
        ["refund_in_progress", "order_not_refundable"].contains(&code),
        "{loser}"
    );
    wait_status(&w, &id2, "refunded");
    assert_eq!(
        charge_of(&w, &id2)["refunds"]["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // ---- Ping++ refuses (the charge was already refunded at Ping++, its webhook held):
    // 502 naming the refusal, the order unchanged and still refundable later.
    let id3 = paid_pingpp(&w, 900);
    w.control(
        "pingpp/complete",
        &json!({"id": id3, "event": "refund.succeeded", "hold": true}),
    );
    let dashboard_refund = w.control_outbox_last();
    let before = w.snapshot(&id3);
    let (s, e) = refund(&w, &id3, &json!({}));
    assert_eq!(s, 502, "{e}");
    assert_eq!(e["error"]["code"], "refund_refused");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unchanged"),
        "{e}"
    );
    assert_eq!(w.snapshot(&id3), before);
    assert_eq!(status(&w, &id3), "succeeded");
    assert!(w.audit_reasons(&id3).contains(&"refund_refused".to_owned()));

    // ---- That dashboard refund's genuine webhook: not Kassa's, so the order keeps its
    // status and needs review; the merchant resolves it (the money went back).
    assert_eq!(w.send(&dashboard_refund).0, 200);
    let o = w.order(&id3);
    assert_eq!(
        (&o["status"], &o["needs_review"], &o["review_reasons"]),
        (
            &json!("succeeded"),
            &json!(true),
            &json!(["unrequested_refund"])
        ),
        "{o}"
    );
    let resolve = |body: &Value| {
        w.merchant(
            "POST",
            &format!("/v1/orders/{id3}/review/resolve"),
            Some(body),
        )
    };
    let (s, e) = resolve(&json!({"resolution": "shipped"}));
    assert_eq!(
        (s, e["error"]["param"].as_str()),
        (400, Some("resolution")),
        "{e}"
    );
    let (s, o) = resolve(&json!({"resolution": "refunded", "note": "refunded from the dashboard"}));
    assert_eq!(s, 200, "{o}");
    assert_eq!(
        (
            &o["needs_review"],
            &o["review_reasons"],
            &o["review_resolutions"]
        ),
        (
            &json!(false),
            &json!(["unrequested_refund"]),
            &json!({"unrequested_refund": "refunded"})
        ),
        "{o}"
    );
    let (s, e) = resolve(&json!({"resolution": "refunded"}));
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("no_review_needed")),
        "{e}"
    );
    let types = hook_types(&w, &id3);
    assert_eq!(count(&types, "order.needs_review"), 1, "{types:?}");
    assert_eq!(count(&types, "order.review_resolved"), 1, "{types:?}");
    assert!(w
        .audit_reasons(&id3)
        .contains(&"review_resolved".to_owned()));
    // Ping++ refunds are settled by Ping++, never by the merchant's report.
    let (s, e) = w.merchant(
        "POST",
        &format!("/v1/orders/{id2}/refunds/settle"),
        Some(&json!({})),
    );
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("order_not_refundable")),
        "{e}"
    );
}

#[test]
fn s3_refunds_are_made_by_hand_and_reported() {
    let w = World::start("edge-refunds-s3", &[]);
    let id = w.create("lianshang", &json!({"amount": 300, "currency": "CNY"}));
    let r = w.start_s3_attempt(&id, 41);
    let ok = json_msg(
        "/callbacks/lianshang",
        &lianshang_notify(&r, 300, "SUCCESS", "ln_41", None),
    );
    assert_eq!(w.send(&ok).0, 200);
    let settle = |body: &Value| {
        w.merchant(
            "POST",
            &format!("/v1/orders/{id}/refunds/settle"),
            Some(body),
        )
    };
    // Nothing to settle yet.
    let (s, e) = settle(&json!({}));
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("order_not_refundable")),
        "{e}"
    );

    // A partial refund: recorded, no provider call; the merchant reports it failed,
    // then asks again and reports success.
    let (s, r) = refund(&w, &id, &json!({"amount": 100}));
    assert_eq!((s, r["status"].as_str()), (200, Some("refunding")), "{r}");
    let first = r["id"].as_str().unwrap().to_owned();
    let (s, e) = settle(&json!({"reference": ""}));
    assert_eq!(
        (s, e["error"]["param"].as_str()),
        (400, Some("reference")),
        "{e}"
    );
    let (s, e) = settle(&json!({"outcome": "lost"}));
    assert_eq!(
        (s, e["error"]["param"].as_str()),
        (400, Some("outcome")),
        "{e}"
    );
    // A refund id this order never had: 404 naming it (a well-formed id that names
    // nothing, as an unknown order is).
    let (s, e) = settle(&json!({"refund_id": "767081782003020302", "outcome": "failed"}));
    assert_eq!(
        (s, e["error"]["param"].as_str()),
        (404, Some("refund_id")),
        "{e}"
    );
    let (s, f) = settle(&json!({"refund_id": first, "outcome": "failed"}));
    assert_eq!(
        (s, f["status"].as_str()),
        (200, Some("refund_failed")),
        "{f}"
    );
    assert_eq!(f["order"]["status"], "refund_failed");
    assert_eq!(w.s1_status(&id), json!(6));
    let (s, r) = refund(&w, &id, &json!({"amount": 100}));
    assert_eq!(s, 200, "{r}");
    let second = r["id"].as_str().unwrap().to_owned();
    let (s, o) = settle(&json!({"reference": "bank ref 7731"}));
    assert_eq!((s, o["status"].as_str()), (200, Some("refunded")), "{o}");
    assert_eq!(o["id"], second.as_str());
    assert_eq!(o["provider_reference"], "bank ref 7731");
    assert_eq!(o["order"]["status"], "partially_refunded");
    assert_eq!(w.s1_status(&id), json!(1));

    // The rest, reported: refunded.
    let (s, r) = refund(&w, &id, &json!({}));
    assert_eq!((s, &r["amount"]), (200, &json!(200)), "{r}");
    let (s, o) = settle(&json!({"refund_id": r["id"]}));
    assert_eq!(
        (s, o["order"]["status"].as_str()),
        (200, Some("refunded")),
        "{o}"
    );
    assert!(w
        .audit_reasons(&id)
        .contains(&"refund_settled_by_merchant".to_owned()));
    let types = hook_types(&w, &id);
    assert_eq!(count(&types, "refund.failed"), 1, "{types:?}");
    assert_eq!(count(&types, "refund.succeeded"), 2, "{types:?}");
    assert_eq!(count(&types, "order.refunded"), 1, "{types:?}");
    assert_eq!(w.relays(&id), ["PAY_ING", "PAY_SUCCESS", "REFUND_SUCCESS"]);
    assert_eq!(w.s1_status(&id), json!(5));
    let line = s2_line(&w, &id);
    assert_eq!(
        (&line["paidAmount"], &line["refundedAmount"]),
        (&json!("3.00"), &json!("3.00")),
        "{line}"
    );
}
/// Settles refund `refund` at the sandbox's `provider` (held until a test decides) and
/// waits for the order's alarm to ask the provider's refund status API and apply it.
fn provider_settles(w: &World, provider: &str, id: &str, refund: &str, outcome: &str, want: &str) {
    let key = if provider == "paytm" {
        "ref_id"
    } else {
        "refund_id"
    };
    w.control(
        &format!("{provider}/refund_complete"),
        &json!({key: refund, "outcome": outcome}),
    );
    w.wait(&format!("refund {refund} {want}"), || {
        (refund_of(w, id, refund)["status"] == want).then_some(())
    });
}

/// A Paytm order paid the way a shopper pays it: the form posted to Paytm's process
/// page, Paytm's signed result, confirmed by the Transaction Status API.
fn paid_paytm(w: &World, paise: u64) -> String {
    let (id, secret) = w.create_with_secret("paytm", &json!({"amount": paise, "currency": "INR"}));
    let paid = w.pay(&id, &secret);
    let (reference, _) = w.paytm_process(&paid);
    let cb = w.paytm_callback(&reference, "success");
    assert_eq!(w.send(&cb).0, 200);
    wait_status(w, &id, "succeeded");
    id
}

#[test]
fn paytm_refunds_through_its_refund_api_and_status_api() {
    let w = World::start(
        "edge-refunds-paytm",
        &[("KASSA_REFUND_QUERY_AFTER_SECS", "1")],
    );
    w.control("paytm/refund_outcome", &json!({"outcome": "pending"}));
    let id = paid_paytm(&w, 1000);

    // Partial: ₹2.50 of ₹10.00. Paytm accepts (PENDING); the order's alarm asks the
    // Refund Status API until Paytm says TXN_SUCCESS.
    let (s, r) = refund(&w, &id, &json!({"amount": 250}));
    assert_eq!(
        (s, r["status"].as_str()),
        (200, Some("refunding")),
        "{r}\n{}",
        w.edge.log_tail()
    );
    assert!(
        r["provider_reference"]
            .as_str()
            .is_some_and(|p| !p.is_empty()),
        "{r}"
    );
    let first = r["id"].as_str().unwrap().to_owned();
    assert_eq!(w.counter("paytm.refund_apply"), 1);
    let refunds = w.control_get("paytm/refunds");
    let at_paytm = refunds["items"].as_array().unwrap();
    assert_eq!(at_paytm.len(), 1, "{refunds}");
    assert_eq!(at_paytm[0]["ref_id"], first.as_str(), "{refunds}");
    // Still pending at Paytm: asked, nothing applied.
    w.wait("a refund status query", || {
        (w.counter("paytm.refund_status") >= 1).then_some(())
    });
    assert_eq!(status(&w, &id), "refunding");
    provider_settles(&w, "paytm", &id, &first, "success", "refunded");
    wait_status(&w, &id, "partially_refunded");
    assert_eq!(w.s1_status(&id), json!(1));
    assert_eq!(s2_line(&w, &id)["refundedAmount"], "2.50");

    // The rest.
    let (s, r) = refund(&w, &id, &json!({}));
    assert_eq!((s, &r["amount"]), (200, &json!(750)), "{r}");
    provider_settles(
        &w,
        "paytm",
        &id,
        r["id"].as_str().unwrap(),
        "success",
        "refunded",
    );
    wait_status(&w, &id, "refunded");
    assert_partial_then_full(&w, &id, "10.00", &first);

    // Paytm fails a refund: refund_failed, with Paytm's reason; S1 6; the merchant may
    // ask again.
    let id2 = paid_paytm(&w, 500);
    let (s, r) = refund(&w, &id2, &json!({}));
    assert_eq!(s, 200, "{r}");
    let failed = r["id"].as_str().unwrap().to_owned();
    provider_settles(&w, "paytm", &id2, &failed, "failure", "refund_failed");
    wait_status(&w, &id2, "refund_failed");
    let f = refund_of(&w, &id2, &failed);
    assert!(
        f["failure_reason"].as_str().unwrap().contains("Paytm"),
        "{f}"
    );
    assert_eq!(w.s1_status(&id2), json!(6));
    let types = hook_types(&w, &id2);
    assert_eq!(count(&types, "refund.failed"), 1, "{types:?}");
    assert_eq!(count(&types, "order.refund_failed"), 1, "{types:?}");
    assert!(!w.relays(&id2).contains(&"REFUND_SUCCESS".to_owned()));
    let (s, r) = refund(&w, &id2, &json!({}));
    assert_eq!((s, &r["amount"]), (200, &json!(500)), "{r}");
    assert_eq!(r["order"]["status"], "refunding");
}

/// A wallet order of `usdt` paid: the wallet's signed notification, confirmed by its
/// status pull.
fn paid_wallet(w: &World, usdt: &str) -> String {
    let (id, secret) = w.create_with_secret("wallet", &json!({"amount": usdt, "token": "USDT"}));
    w.pay(&id, &secret);
    let paid = w.wallet_notify(&id, "success");
    assert_eq!(w.send(&paid).0, 200);
    wait_status(w, &id, "succeeded");
    id
}

#[test]
fn wallet_refunds_through_its_signed_refund_calls() {
    let w = World::start(
        "edge-refunds-wallet",
        &[("KASSA_REFUND_QUERY_AFTER_SECS", "1")],
    );
    w.control("wallet/refund_outcome", &json!({"outcome": "pending"}));
    let id = paid_wallet(&w, "1.5");

    // A decimal string for a token order; an integer is refused by name.
    let (s, e) = refund(&w, &id, &json!({"amount": 1}));
    assert_eq!(
        (s, e["error"]["param"].as_str()),
        (409, Some("amount")),
        "{e}"
    );
    let (s, e) = refund(&w, &id, &json!({"amount": "1.5000001"}));
    assert_eq!(
        (s, e["error"]["param"].as_str()),
        (409, Some("amount")),
        "{e}"
    );
    let (s, r) = refund(&w, &id, &json!({"amount": "0.5"}));
    assert_eq!(
        (s, &r["amount"]),
        (200, &json!("0.5")),
        "{r}\n{}",
        w.edge.log_tail()
    );
    let first = r["id"].as_str().unwrap().to_owned();
    assert_eq!(w.counter("wallet.refund"), 1);
    provider_settles(&w, "wallet", &id, &first, "success", "refunded");
    wait_status(&w, &id, "partially_refunded");
    let o = w.order(&id);
    assert_eq!(
        (&o["amount_refunded"], &o["amount_refundable"]),
        (&json!("0.5"), &json!("1")),
        "{o}"
    );
    assert_eq!(s2_line(&w, &id)["refundedAmount"], "0.5");

    let (s, r) = refund(&w, &id, &json!({}));
    assert_eq!((s, &r["amount"]), (200, &json!("1")), "{r}");
    provider_settles(
        &w,
        "wallet",
        &id,
        r["id"].as_str().unwrap(),
        "success",
        "refunded",
    );
    wait_status(&w, &id, "refunded");
    assert_partial_then_full(&w, &id, "1.5", &first);
}

/// A run that asked the wallet for a refund and died before recording the answer: the
/// order's alarm asks the wallet about the refund it meant (`refund_intent`) and records
/// it, so the money that moved is on the order and cannot be refunded twice; an intent
/// the wallet never heard of is dropped.
#[test]
fn a_refund_a_dead_run_raised_is_recovered() {
    let w = World::start(
        "edge-refunds-crash",
        &[("KASSA_REFUND_QUERY_AFTER_SECS", "1")],
    );
    w.control("wallet/refund_outcome", &json!({"outcome": "pending"}));
    let id = paid_wallet(&w, "2");
    let reference = w.last_record("wallet/payments", "order_id", &id)["order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let attempt = reference.split('A').nth(1).unwrap().to_owned();
    // The dead run's request reached the wallet: refund R of 0.5 USDT is raised there…
    let raised = "917300000000000001";
    let (s, v) = kassa_tests::harness::read_json(
        w.http
            .post(format!("{}/wallet/refunds", w.sb))
            .header("Authorization", "Bearer wallet-key")
            .send_json(json!({"refund_id": raised, "order_id": reference, "amount": "0.5"})),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");
    // …and the run died before recording it.
    let plant = |refund: &str| {
        let (s, v) = w.merchant(
            "POST",
            &format!("/v1/test_helpers/orders/{id}/refund_intent"),
            Some(&json!({"refund_id": refund, "attempt": attempt, "amount": "500000"})),
        );
        assert_eq!(s, 200, "{v}");
    };
    plant(raised);
    w.wait("the recovered refund", || {
        (refund_of(&w, &id, raised)["status"] == "refunding").then_some(())
    });
    assert!(w
        .audit_reasons(&id)
        .contains(&"refund_recovered".to_owned()));
    assert_eq!(w.order(&id)["amount_refundable"], "1.5");
    let (s, e) = refund(&w, &id, &json!({"amount": "2"}));
    assert_eq!(
        (s, e["error"]["param"].as_str()),
        (409, Some("amount")),
        "{e}"
    );
    provider_settles(&w, "wallet", &id, raised, "success", "refunded");
    wait_status(&w, &id, "partially_refunded");

    // An intent the wallet never heard of: dropped, nothing recorded.
    plant("917300000000000002");
    w.wait("the dropped intent", || {
        w.audit_reasons(&id)
            .contains(&"refund_intent_dropped".to_owned())
            .then_some(())
    });
    assert_eq!(w.order(&id)["refunds"].as_array().unwrap().len(), 1);
    assert_eq!(w.order(&id)["amount_refundable"], "1.5");

    // Ping++: the dead run's refund was made (Kassa's id in its metadata) and its
    // webhook arrives; recovery finds it in the charge's refund list, so the webhook
    // settles Kassa's refund instead of reading as a stranger's (no review).
    let id = paid_pingpp(&w, 800);
    let charge = charge_of(&w, &id);
    let attempt = charge["order_no"]
        .as_str()
        .unwrap()
        .split('A')
        .nth(1)
        .unwrap()
        .to_owned();
    w.control("pingpp/refund_webhooks", &json!({"hold": true}));
    let raised = "917300000000000003";
    let (s, made) = kassa_tests::harness::read_json(
        w.http
            .post(format!(
                "{}/pingpp/v1/charges/{}/refunds",
                w.sb,
                charge["id"].as_str().unwrap()
            ))
            .header("Authorization", "Bearer sk_test_kassa")
            .send_json(
                json!({"amount": 300, "description": "r", "metadata": {"kassa_refund": raised}}),
            ),
    )
    .unwrap();
    assert_eq!(s, 200, "{made}");
    let webhook = w.held_refund_webhook(&id);
    w.control("pingpp/refund_webhooks", &json!({"hold": false}));
    let (s, v) = w.merchant(
        "POST",
        &format!("/v1/test_helpers/orders/{id}/refund_intent"),
        Some(&json!({"refund_id": raised, "attempt": attempt, "amount": "300"})),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(w.send(&webhook).0, 200);
    let o = w.order(&id);
    assert_eq!(
        (&o["status"], &o["needs_review"], &o["amount_refunded"]),
        (&json!("partially_refunded"), &json!(false), &json!(300)),
        "{o}"
    );
    assert_eq!(refund_of(&w, &id, raised)["provider_reference"], made["id"]);
    assert!(w
        .audit_reasons(&id)
        .contains(&"refund_recovered".to_owned()));
}
