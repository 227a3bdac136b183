//! SPEC 3.4 "Callbacks in" and SPEC 3.5 S0 relays, end to end: the real edge under
//! `wrangler dev`, paid through the widget API against the sandbox, and the sandbox's
//! own signed callbacks posted to `/callbacks/<channel>`. Per channel: a verified
//! success moves the order to Succeeded (Paytm and Ping++ only after the status query),
//! with its webhooks and S0 relays counted at the sandbox; a failure fails the attempt
//! (the order is payable again); a duplicate answers success and changes nothing; a bad
//! signature and a wrong amount are refused in the provider's form, audited, and change
//! nothing. Then S0 refuses a relay three times: it is retried and delivered once.
//! Per-attempt references: a late callback of an old attempt touches only that attempt;
//! the wallet's success needs its signed status pull.
#![allow(clippy::unwrap_used, clippy::panic)]

mod callbacks_support;

use callbacks_support::{
    json_msg, lianshang_notify, paytm_resigned, send_as_browser, Msg, World, SHOP_ORIGIN,
};
use serde_json::{json, Value};

const PAYTM_OK: &str = r#"{"code":200,"data":true,"message":"success"}"#;

fn status(w: &World, id: &str) -> String {
    w.order(id)["status"].as_str().unwrap().to_owned()
}

/// Sends `m` twice: the first applies, the second is a duplicate answered the same way
/// and changes nothing.
fn apply_once(w: &World, id: &str, m: &Msg, ok: (u16, &str)) {
    let first = w.send(m);
    assert_eq!((first.0, first.1.as_str()), ok, "{}", w.edge.log_tail());
    let before = w.snapshot(id);
    let again = w.send(m);
    assert_eq!((again.0, again.1.as_str()), ok, "duplicate");
    assert_eq!(w.snapshot(id), before, "a duplicate changes nothing");
}

/// Refusals counted in the tests' address bucket (127.0.0.1), by reason.
fn rejected(w: &World, reason: &str) -> u64 {
    let (s, v) = w.merchant("GET", "/v1/rejections?ip=127.0.0.1", None);
    assert_eq!(s, 200, "{v}");
    v["counts"][reason].as_u64().unwrap_or(0)
}

/// A refused callback: `want` status, the order unchanged. A verified one is audited in
/// its order; an unverified one proves nothing, so it is counted in the sender's address
/// bucket and never written to the order it names (issue 14 item 4).
fn refused(w: &World, id: &str, m: &Msg, want: u16, reason: &str) -> String {
    let before = w.snapshot(id);
    let counted = rejected(w, reason);
    let (s, body) = w.send(m);
    assert_eq!(s, want, "{body}");
    assert_eq!(w.snapshot(id), before, "a refused callback changes nothing");
    let audited = w.audit_reasons(id).iter().any(|r| r == reason);
    if reason == "callback_unverified" {
        assert!(
            !audited,
            "an unverified callback wrote to the order it names"
        );
        assert_eq!(
            rejected(w, reason),
            counted + 1,
            "counted in the address bucket"
        );
    } else {
        assert!(audited, "{reason} not in {:?}", w.audit_reasons(id));
    }
    body
}

fn flip_first_sig_char(s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    c[0] = if c[0] == 'A' { 'B' } else { 'A' };
    c.into_iter().collect()
}

#[test]
fn callbacks_per_channel_and_relays() {
    let w = World::start("edge-callbacks", &[]);

    // ---- Paytm: pay → process page → callback → status API → Succeeded.
    let (id, secret) = w.create_with_secret("paytm", &json!({"amount": 200, "currency": "INR"}));
    let paid = w.pay(&id, &secret);
    w.paytm_process(&paid);
    let success = w.paytm_callback(&id, "success");
    assert_eq!(success.path, "/callbacks/paytm");
    // Tampered copies first (the order is untouched by each).
    let mut bad_sig = success.clone();
    let body = String::from_utf8(bad_sig.body.clone()).unwrap();
    bad_sig.body = body.replace("CHECKSUMHASH=", "CHECKSUMHASH=A").into_bytes();
    let answer = refused(&w, &id, &bad_sig, 401, "callback_unverified");
    assert_eq!(serde_json::from_str::<Value>(&answer).unwrap()["code"], 400);
    // A valid checksum over a different amount (another transaction's, say).
    let wrong_amount = paytm_resigned(&success, &[("TXNAMOUNT", "3.00")]);
    refused(&w, &id, &wrong_amount, 409, "callback_mismatch");
    let queries = w.counter("paytm.status_query");
    apply_once(&w, &id, &success, (200, PAYTM_OK));
    assert_eq!(status(&w, &id), "succeeded");
    assert_eq!(
        w.counter("paytm.status_query"),
        queries + 1,
        "confirmed once"
    );
    // S1's alias answers the same, and is a duplicate too.
    let mut alias = success.clone();
    alias.path = "/callback/paytm".into();
    assert_eq!(w.send(&alias), (200, PAYTM_OK.to_owned()));
    w.effects_once(&id, &["PAY_ING", "PAY_SUCCESS"]);

    // Paytm failure: the attempt fails, the order is payable again.
    let (id2, secret2) = w.create_with_secret("paytm", &json!({"amount": 300, "currency": "INR"}));
    let paid = w.pay(&id2, &secret2);
    // The form's ORDER_ID is the attempt's reference, `{order}A{attempt}`.
    let reference = paid["handoff"]["fields"]["ORDER_ID"].as_str().unwrap();
    assert!(reference.starts_with(&format!("{id2}A")), "{reference}");
    w.paytm_txn(reference, "3.00");
    let fail = w.paytm_callback(&id2, "fail");
    apply_once(&w, &id2, &fail, (200, PAYTM_OK));
    assert_eq!(status(&w, &id2), "pending");
    let history = w.events(&id2)["history"].clone();
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["type"], "attempt_failed", "{history}");

    // ---- Ping++: pay creates the charge; charge.succeeded → retrieve → Succeeded.
    let (id, secret) = w.create_with_secret("pingpp", &json!({"amount": 500, "currency": "CNY"}));
    w.pay(&id, &secret);
    let charged = w.pingpp_event(&id, "charge.succeeded");
    let mut bad = charged.clone();
    for h in &mut bad.headers {
        h.1 = flip_first_sig_char(&h.1);
    }
    refused(&w, &id, &bad, 401, "callback_unverified");
    let wrong = w.control(
        "pingpp/complete",
        &json!({"id": id, "tamper": "amount", "hold": true}),
    );
    assert_eq!(wrong["messages"][0]["data"]["object"]["amount"], 501);
    let tampered = w.control_outbox_last();
    refused(&w, &id, &tampered, 409, "callback_mismatch");
    apply_once(&w, &id, &charged, (200, ""));
    assert_eq!(status(&w, &id), "succeeded");
    // The refund Kassa asked Ping++ for, its webhook confirmed by Ping++'s refund
    // retrieve: Refunded, relayed as REFUND_SUCCESS. (A refund Kassa did not ask for is
    // `proof_security::pingpp_refund`'s.)
    let refund = w.requested_refund(&id);
    apply_once(&w, &id, &refund, (200, ""));
    assert_eq!(status(&w, &id), "refunded");
    w.effects_once(&id, &["PAY_ING", "PAY_SUCCESS", "REFUND_SUCCESS"]);

    // ---- Wallet: pay asks the wallet to charge; its notification settles the order.
    let token = json!({"amount": "12.5", "token": "USDT"});
    let (id, secret) = w.create_with_secret("wallet", &token);
    w.pay(&id, &secret);
    let ok = w.wallet_notify(&id, "success");
    let mut bad = ok.clone();
    let mut v: Value = serde_json::from_slice(&bad.body).unwrap();
    v["sign"] = json!(flip_first_sig_char(v["sign"].as_str().unwrap()));
    bad.body = v.to_string().into_bytes();
    refused(&w, &id, &bad, 401, "callback_unverified");
    w.control(
        "wallet/complete",
        &json!({"id": id, "tamper": "amount", "hold": true}),
    );
    let tampered = w.control_outbox_last();
    refused(&w, &id, &tampered, 409, "callback_mismatch");
    apply_once(&w, &id, &ok, (200, r#"{"code":0}"#));
    assert_eq!(status(&w, &id), "succeeded");
    w.effects_once(&id, &["PAY_ING", "PAY_SUCCESS"]);
    let (id2, secret2) = w.create_with_secret("wallet", &token);
    w.pay(&id2, &secret2);
    let fail = w.wallet_notify(&id2, "fail");
    apply_once(&w, &id2, &fail, (200, r#"{"code":0}"#));
    assert_eq!(status(&w, &id2), "pending");

    // ---- Lianshang (the attempt and its S3 trade are recorded by the test helper, the
    // notify signed with the platform key, as the sandbox does; `edge_s3_pay` and
    // `proof_security` pay through createPayOrder for real).
    let id = w.create("lianshang", &json!({"amount": 700, "currency": "CNY"}));
    let r = w.start_s3_attempt(&id, 11);
    let ok = json_msg(
        "/callbacks/lianshang",
        &lianshang_notify(&r, 700, "SUCCESS", "ln_1", None),
    );
    let mut bad_v = lianshang_notify(&r, 700, "SUCCESS", "ln_1", None);
    bad_v["sign"] = json!(flip_first_sig_char(bad_v["sign"].as_str().unwrap()));
    refused(
        &w,
        &id,
        &json_msg("/callbacks/lianshang", &bad_v),
        401,
        "callback_unverified",
    );
    let wrong = lianshang_notify(&r, 701, "SUCCESS", "ln_2", None);
    refused(
        &w,
        &id,
        &json_msg("/callbacks/lianshang", &wrong),
        409,
        "callback_mismatch",
    );
    apply_once(&w, &id, &ok, (200, "SUCCESS"));
    assert_eq!(status(&w, &id), "succeeded");
    w.effects_once(&id, &["PAY_ING", "PAY_SUCCESS"]);
    let id2 = w.create("lianshang", &json!({"amount": 700, "currency": "CNY"}));
    let r2 = w.start_s3_attempt(&id2, 12);
    let fail = json_msg(
        "/callbacks/lianshang",
        &lianshang_notify(&r2, 700, "FAIL", "ln_3", None),
    );
    apply_once(&w, &id2, &fail, (200, "SUCCESS"));
    assert_eq!(status(&w, &id2), "pending");

    // ---- Unknown order: refused, nothing created.
    let ghost = "476682884348973312";
    let (s, _) = w.send(&json_msg(
        "/callbacks/lianshang",
        &lianshang_notify(&format!("{ghost}A1"), 700, "SUCCESS", "ln_9", None),
    ));
    assert_eq!(s, 404);

    // ---- S0 refuses the next three relays: retried with backoff, delivered once.
    let id = w.create("lianshang", &json!({"amount": 900, "currency": "CNY"}));
    let r = w.start_s3_attempt(&id, 21);
    w.settle(&id);
    w.control("s0/relay_fail", &json!({"count": 3}));
    let ok = json_msg(
        "/callbacks/lianshang",
        &lianshang_notify(&r, 900, "SUCCESS", "ln_21", None),
    );
    assert_eq!(w.send(&ok), (200, "SUCCESS".to_owned()));
    let relay = w.wait("the relay to be delivered", || {
        let ev = w.events(&id);
        let r = ev["relays"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["status"] == "PAY_SUCCESS")?
            .clone();
        (r["delivery"] == "delivered").then_some(r)
    });
    assert_eq!(
        w.relays(&id),
        [
            "PAY_ING",
            "PAY_SUCCESS",
            "PAY_SUCCESS",
            "PAY_SUCCESS",
            "PAY_SUCCESS"
        ]
    );
    assert_eq!(relay["attempts"], 4, "{relay}");
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(w.relays(&id).len(), 5, "nothing after the acknowledgement");
}

/// History entries of an order (type, from, to, disposition).
fn history(w: &World, id: &str) -> Vec<Value> {
    w.events(id)["history"].as_array().unwrap().clone()
}

/// Each attempt gets its own provider reference and a callback settles exactly the
/// attempt it names: attempt 1 fails at Paytm, attempt 2 starts, then a late (verified)
/// failure of attempt 1 arrives — attempt 2 and the order are untouched — and attempt
/// 2's success, confirmed with the status API asked about attempt 2's reference,
/// settles the order. A reference naming no attempt of the order is refused.
#[test]
fn late_callback_of_an_old_attempt_leaves_the_new_one_alone() {
    // Two pays by one shopper within a minute: no gap between code sends.
    let w = World::start(
        "edge-attempt-refs",
        &[("KASSA_RISK_CODE_SEND_MIN_GAP_SECS", "0")],
    );
    let (id, secret) = w.create_with_secret("paytm", &json!({"amount": 200, "currency": "INR"}));

    // Attempt 1: the shopper submits Paytm's page twice (two transactions on one
    // ORDER_ID); the first fails and its callback fails the attempt.
    let paid1 = w.pay(&id, &secret);
    let (ref1, txn_a) = w.paytm_process(&paid1);
    let (_, txn_b) = w.paytm_process(&paid1);
    assert!(ref1.starts_with(&format!("{id}A")), "{ref1}");
    let fail_a = w.paytm_callback(&txn_a, "fail");
    assert_eq!(w.send(&fail_a), (200, PAYTM_OK.to_owned()));
    assert_eq!(status(&w, &id), "pending");

    // Attempt 2: a new reference, a new Paytm order.
    let paid2 = w.pay(&id, &secret);
    let (ref2, txn_c) = w.paytm_process(&paid2);
    assert!(
        ref2.starts_with(&format!("{id}A")) && ref2 != ref1,
        "{ref1} {ref2}"
    );
    assert_eq!(status(&w, &id), "processing");

    // The late failure of attempt 1's other transaction: verified, applied to attempt
    // 1 only (nothing moves), answered as success so Paytm stops.
    let late = w.paytm_callback(&txn_b, "fail");
    assert!(String::from_utf8_lossy(&late.body).contains(&format!("ORDERID={ref1}")));
    assert_eq!(w.send(&late), (200, PAYTM_OK.to_owned()));
    assert_eq!(
        status(&w, &id),
        "processing",
        "attempt 2 is still in flight"
    );
    let last = history(&w, &id).last().unwrap().clone();
    assert_eq!(last["type"], "attempt_failed", "{last}");
    assert_eq!(
        (&last["from"], &last["to"]),
        (&json!("processing"), &json!("processing"))
    );
    assert_ne!(last["disposition"], "moved", "{last}");

    // Validly checksummed callbacks naming no attempt of this order: refused.
    let success = w.paytm_callback(&txn_c, "success");
    for orderid in [format!("{id}A12345"), id.clone()] {
        let forged = paytm_resigned(&success, &[("ORDERID", &orderid)]);
        refused(&w, &id, &forged, 409, "callback_unknown_attempt");
    }

    // Attempt 2's success, confirmed by the status API for ORDERID = ref2.
    let queries = w.counter("paytm.status_query");
    apply_once(&w, &id, &success, (200, PAYTM_OK));
    assert_eq!(status(&w, &id), "succeeded");
    assert_eq!(w.counter("paytm.status_query"), queries + 1);
    w.effects_once(&id, &["PAY_ING", "PAY_SUCCESS"]);
}

/// A retry after a failed wallet attempt is a new wallet payment. The wallet's success
/// is confirmed by its signed status query (`GET /wallet/charges/{reference}`) before the
/// order moves: a notification that verifies but that the wallet's own status does not
/// back (the payment is still PROCESSING) is refused and changes nothing; the genuine
/// one then settles the order.
#[test]
fn wallet_success_needs_the_status_pull() {
    use kassa_shared::crypto::{PrivateKey, SignAlg};
    use kassa_shared::providers::wallet::notify::{self, Notification, NotifyStatus};
    use kassa_tests::sandbox::config::{fixture_pem, fixtures as f};

    let w = World::start(
        "edge-wallet-pull",
        &[("KASSA_RISK_CODE_SEND_MIN_GAP_SECS", "0")],
    );
    let token = json!({"amount": "12.5", "token": "USDT"});
    let (id, secret) = w.create_with_secret("wallet", &token);
    let payments = |w: &World| -> Vec<Value> {
        let all = w.control_get("wallet/payments");
        let prefix = format!("{id}A");
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["order_id"].as_str().unwrap().starts_with(&prefix))
            .cloned()
            .collect()
    };

    // Attempt 1 fails at the wallet; the retry is a new wallet payment (its own
    // reference), not the failed one again.
    w.pay(&id, &secret);
    let fail = w.wallet_notify(&id, "fail");
    assert_eq!(w.send(&fail), (200, r#"{"code":0}"#.to_owned()));
    assert_eq!(status(&w, &id), "pending");
    w.pay(&id, &secret);
    let both = payments(&w);
    assert_eq!(both.len(), 2, "{both:?}");
    assert_ne!(both[0]["order_id"], both[1]["order_id"]);
    assert_ne!(both[0]["trade_id"], both[1]["trade_id"]);
    let payment = both[1].clone();
    assert_eq!(payment["status"], "PROCESSING");

    // Signed with the wallet's own key, but the wallet has not been paid.
    let n = Notification {
        notify_id: "wn_early".into(),
        order_id: serde_json::from_value(payment["order_id"].clone()).unwrap(),
        trade_id: payment["trade_id"].as_str().unwrap().to_owned(),
        status: NotifyStatus::Success,
        token_id: "USDT".into(),
        amount: "12.5".into(),
        time: "1763900000000".into(),
    };
    let key = PrivateKey::parse(&fixture_pem(f::WALLET_PRIVATE).unwrap()).unwrap();
    let early = json_msg(
        "/callbacks/wallet",
        &notify::sign(&n, &key, SignAlg::Rsa2).unwrap(),
    );
    let queries = w.counter("wallet.status_query");
    refused(&w, &id, &early, 409, "callback_unconfirmed");
    assert_eq!(w.counter("wallet.status_query"), queries + 1, "pulled once");
    assert_eq!(status(&w, &id), "processing");

    // The wallet completes the payment: its notification is confirmed and applies.
    let ok = w.wallet_notify(&id, "success");
    apply_once(&w, &id, &ok, (200, r#"{"code":0}"#));
    assert_eq!(status(&w, &id), "succeeded");
    w.effects_once(&id, &["PAY_ING", "PAY_SUCCESS"]);
}

/// Paytm's form-post integration (issue 16 item 4): the result comes back through the
/// shopper's browser to `CALLBACK_URL`. The edge verifies it, confirms it with the
/// status API, applies it once and sends the browser (303) to the page the widget named
/// — only a page of an allowed origin, with nothing about the payment in the URL. A
/// duplicate from the browser goes back there too; the same message from a server gets
/// Paytm's JSON answer; a forged one gets a page naming the refusal, no redirect.
#[test]
fn paytm_result_through_the_browser_returns_the_shopper() {
    let w = World::start(
        "edge-callbacks-browser",
        &[("KASSA_RISK_CODE_SEND_MIN_GAP_SECS", "0")],
    );
    let (id, secret) = w.create_with_secret("paytm", &json!({"amount": 700, "currency": "INR"}));

    let elsewhere = w.try_pay_with(&id, &secret, &json!({"return_url": "https://evil.test/x"}));
    assert_eq!(elsewhere.0, 400, "{}", elsewhere.1);
    assert_eq!(elsewhere.1["field"], "return_url", "{}", elsewhere.1);
    let not_a_page = w.try_pay_with(&id, &secret, &json!({"return_url": "javascript:alert(1)"}));
    assert_eq!(not_a_page.0, 400, "{}", not_a_page.1);
    assert_eq!(status(&w, &id), "pending", "a refused pay changes nothing");

    let back = format!("{SHOP_ORIGIN}/checkout?order={id}");
    let (s, paid) = w.try_pay_with(&id, &secret, &json!({"return_url": back}));
    assert_eq!(s, 200, "{paid}");
    assert_eq!(paid["handoff"]["method"], "POST");
    w.paytm_process(&paid);
    let result = w.paytm_callback(&id, "success");

    let mut forged = result.clone();
    let body = String::from_utf8(forged.body.clone()).unwrap();
    forged.body = body.replace("CHECKSUMHASH=", "CHECKSUMHASH=A").into_bytes();
    assert_ne!(forged.body, result.body, "the checksum is in the form");
    let (s, location, page) = send_as_browser(&w.url, &forged);
    assert_eq!((s, location), (401, None), "{page}");
    assert!(
        page.contains("CHECKSUMHASH"),
        "the page names the refusal: {page}"
    );
    assert_eq!(
        status(&w, &id),
        "processing",
        "a forged result changes nothing"
    );

    let (s, location, _) = send_as_browser(&w.url, &result);
    assert_eq!(
        (s, location.as_deref()),
        (303, Some(back.as_str())),
        "{}",
        w.edge.log_tail()
    );
    assert_eq!(status(&w, &id), "succeeded");
    let before = w.snapshot(&id);
    let (s, location, _) = send_as_browser(&w.url, &result);
    assert_eq!(
        (s, location.as_deref()),
        (303, Some(back.as_str())),
        "a reload returns again"
    );
    assert_eq!(
        w.send(&result),
        (200, PAYTM_OK.to_owned()),
        "a server gets Paytm's answer"
    );
    assert_eq!(w.snapshot(&id), before, "duplicates change nothing");
    w.effects_once(&id, &["PAY_ING", "PAY_SUCCESS"]);
}
