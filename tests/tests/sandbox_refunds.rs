//! Refunds at the sandbox over real HTTP (issue 16 item 7), with this file's own small
//! request builders: Paytm's Refund and Refund Status APIs (`head.signature` over the
//! `body` text, made with the sandbox's `checksum` module, the one Paytm's own
//! `paytmchecksum` checks in `sandbox_official_libs`) and the token wallet's refunds
//! (whose signed state is verified with `kassa-shared`'s independent RFC 8785 /
//! SHA256withRSA code and the wallet's public key fixture). For each: a partial refund,
//! then the rest, pending then settled, too much refused, a duplicate harmless, a
//! failure reported, a held refund settled by the control.
#![allow(clippy::unwrap_used, clippy::panic)]

mod sandbox_support;

use std::time::{Duration, Instant};

use kassa_shared::crypto::{signed_json, PublicKey};
use kassa_tests::sandbox::checksum::{self, Params, CHECKSUMHASH};
use kassa_tests::sandbox::config::fixtures as f;
use kassa_tests::sandbox::SandboxHandle;
use sandbox_support::{agent, control, counter, get, json, pem, post_form, post_json, start_with};
use serde_json::{json, Value};

/// Polls `probe` until it answers `Some`, for up to 10 s.
fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(t) = probe() {
            return t;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// `n` refunds of `provider` listed, created and settled by themselves, and queried.
fn assert_records(sb: &SandboxHandle, provider: &str, n: u64) {
    let (_, list) = get(&format!("{}/_control/{provider}/refunds", sb.url()), &[]);
    assert_eq!(json(&list)["items"].as_array().unwrap().len() as u64, n);
    assert_eq!(counter(sb, &format!("{provider}.refund_created")), n);
    assert_eq!(counter(sb, &format!("{provider}.refund_settled")), n);
    assert!(counter(sb, &format!("{provider}.refund_status")) >= n);
}

// --- Paytm ------------------------------------------------------------------------

/// A paid Paytm transaction of `amount` rupees for `order`; its TXNID.
fn paytm_paid(sb: &SandboxHandle, order: &str, amount: &str, pay: bool) -> String {
    let mut p: Params = [
        ("MID", f::PAYTM_MID),
        ("ORDER_ID", order),
        ("CUST_ID", "u1"),
        ("TXN_AMOUNT", amount),
        ("CALLBACK_URL", "http://127.0.0.1:9/callbacks/paytm"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let hash = checksum::generate(&p, f::PAYTM_KEY.as_bytes()).unwrap();
    p.insert(CHECKSUMHASH.into(), hash);
    let pairs: Vec<(String, String)> = p.into_iter().collect();
    let (status, _, page) = post_form(
        &format!("{}/paytm/theia/processTransaction", sb.url()),
        &pairs,
    );
    assert_eq!(status, 200, "{page}");
    let (_, txns) = get(&format!("{}/_control/paytm/txns", sb.url()), &[]);
    let txn_id = json(&txns)["items"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|t| t["order_id"] == order)
        .unwrap()["txn_id"]
        .as_str()
        .unwrap()
        .to_owned();
    if pay {
        let (status, _, page) = post_form(
            &format!("{}/paytm/theia/complete", sb.url()),
            &[
                ("txn_id".into(), txn_id.clone()),
                ("result".into(), "success".into()),
            ],
        );
        assert_eq!(status, 200, "{page}");
    }
    txn_id
}

/// POSTs `{"body": <body_text>, "head": {"signature"}}` exactly as written, the
/// signature made over `signed_text` (the body text itself unless a test tampers).
fn paytm_call(sb: &SandboxHandle, path: &str, body_text: &str, signed_text: &str) -> Value {
    let sig = checksum::generate_string(signed_text, f::PAYTM_KEY.as_bytes()).unwrap();
    let text = format!("{{\"body\": {body_text}, \"head\": {{\"signature\": \"{sig}\"}}}}");
    let mut r = agent()
        .post(&format!("{}/paytm/{path}", sb.url()))
        .header("Content-Type", "application/json")
        .send(text.as_bytes())
        .unwrap();
    // Paytm answers every outcome with HTTP 200.
    assert_eq!(r.status().as_u16(), 200);
    let answer = r.body_mut().read_to_string().unwrap();
    // The answer's signature covers the exact text of its `body` member, which the
    // sandbox writes last: `{"head":{…},"body":<text>}`.
    let (_, raw_body) = answer.split_once(",\"body\":").unwrap();
    let raw_body = raw_body.strip_suffix('}').unwrap();
    let v = json(&answer);
    assert_eq!(json(raw_body), v["body"], "the sliced text is the body");
    let head_sig = v["head"]["signature"].as_str().unwrap();
    assert!(
        checksum::verify_string(raw_body, f::PAYTM_KEY.as_bytes(), head_sig),
        "the answer's head.signature verifies over its body text: {answer}"
    );
    assert!(!checksum::verify_string(
        &raw_body.replace("\"mid\"", "\"mid\" "),
        f::PAYTM_KEY.as_bytes(),
        head_sig
    ));
    assert_eq!(v["head"]["version"], "v1");
    assert!(v["head"]["responseTimestamp"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .is_ok());
    v["body"].clone()
}

/// Compact JSON, as Kassa's edge sends.
fn apply_body(order: &str, txn_id: &str, ref_id: &str, amount: &str) -> String {
    json!({"mid": f::PAYTM_MID, "txnType": "REFUND", "orderId": order, "txnId": txn_id,
           "refId": ref_id, "refundAmount": amount})
    .to_string()
}

fn apply(sb: &SandboxHandle, order: &str, txn_id: &str, ref_id: &str, amount: &str) -> Value {
    let b = apply_body(order, txn_id, ref_id, amount);
    paytm_call(sb, "refund/apply", &b, &b)
}

fn refund_status(sb: &SandboxHandle, order: &str, ref_id: &str) -> Value {
    // Python's `json.dumps` spelling, spaces after `:` and `,`, as Paytm's samples send.
    let b = format!(
        "{{\"mid\": \"{}\", \"orderId\": \"{order}\", \"refId\": \"{ref_id}\"}}",
        f::PAYTM_MID
    );
    paytm_call(sb, "v2/refund/status", &b, &b)
}

fn result(body: &Value) -> (String, String) {
    let r = &body["resultInfo"];
    (
        r["resultStatus"].as_str().unwrap().to_owned(),
        r["resultCode"].as_str().unwrap().to_owned(),
    )
}

fn pair(status: &str, code: &str) -> (String, String) {
    (status.to_owned(), code.to_owned())
}

fn refundamt(sb: &SandboxHandle, order: &str) -> String {
    let mut p: Params = [("MID", f::PAYTM_MID), ("ORDERID", order)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let hash = checksum::generate(&p, f::PAYTM_KEY.as_bytes()).unwrap();
    p.insert(CHECKSUMHASH.into(), hash);
    let (status, text) = post_json(
        &format!("{}/paytm/merchant-status/getTxnStatus", sb.url()),
        &[],
        &json!(p),
    );
    assert_eq!(status, 200);
    json(&text)["REFUNDAMT"].as_str().unwrap().to_owned()
}

#[test]
fn paytm_partial_then_full_refund_settles_by_itself() {
    let sb = start_with(|c| c.paytm.refund_settle_ms = Some(100));
    let order = "476682884348973312A5";
    let txn = paytm_paid(&sb, order, "10.00", true);
    assert_eq!(refundamt(&sb, order), "0.00");

    let first = apply(&sb, order, &txn, "r1", "4");
    assert_eq!(result(&first), pair("PENDING", "601"));
    assert_eq!(
        first["resultInfo"]["resultMsg"],
        "Refund request was raised for this transaction. But it is pending state"
    );
    let refund_id = first["refundId"].as_str().unwrap().to_owned();
    assert!(refund_id.starts_with("REF"), "{first}");
    for (k, v) in [
        ("orderId", order),
        ("mid", f::PAYTM_MID),
        ("refId", "r1"),
        ("txnId", txn.as_str()),
        ("refundAmount", "4"),
    ] {
        assert_eq!(first[k], v, "{k}");
    }
    assert!(first["txnTimestamp"].as_str().unwrap().ends_with(".0"));

    let done = eventually("the first refund to settle", || {
        let s = refund_status(&sb, order, "r1");
        (result(&s).0 == "TXN_SUCCESS").then_some(s)
    });
    assert_eq!(result(&done), pair("TXN_SUCCESS", "10"));
    assert_eq!(done["resultInfo"]["resultMsg"], "Refund Successfull");
    for (k, v) in [
        ("refundId", refund_id.as_str()),
        ("txnId", txn.as_str()),
        ("txnAmount", "10.00"),
        ("refundAmount", "4"),
    ] {
        assert_eq!(done[k], v, "{k}");
    }
    assert_eq!(refundamt(&sb, order), "4.00");

    // The same refId again: refused as already raised, naming the same refund.
    let again = apply(&sb, order, &txn, "r1", "4");
    assert_eq!(result(&again), pair("TXN_FAILURE", "617"));
    assert_eq!(again["refundId"], refund_id.as_str());
    // More than what is left (6.00), zero, malformed.
    for amount in ["6.01", "0", "0.00", "1.234", "abc", "-1"] {
        let over = apply(&sb, order, &txn, "r2", amount);
        assert_eq!(result(&over), pair("TXN_FAILURE", "619"), "{amount}");
        assert!(over.get("refundId").is_none());
    }
    // The rest, in Python's spelling of the body.
    let spaced = format!(
        "{{\"mid\": \"{}\", \"txnType\": \"REFUND\", \"orderId\": \"{order}\", \
         \"txnId\": \"{txn}\", \"refId\": \"r2\", \"refundAmount\": \"6.00\"}}",
        f::PAYTM_MID
    );
    let rest = paytm_call(&sb, "refund/apply", &spaced, &spaced);
    assert_eq!(result(&rest), pair("PENDING", "601"));
    assert_ne!(rest["refundId"], refund_id.as_str());
    eventually("the second refund to settle", || {
        (result(&refund_status(&sb, order, "r2")).0 == "TXN_SUCCESS").then_some(())
    });
    assert_eq!(refundamt(&sb, order), "10.00");
    let nothing_left = apply(&sb, order, &txn, "r3", "0.01");
    assert_eq!(result(&nothing_left), pair("TXN_FAILURE", "619"));

    assert_records(&sb, "paytm", 2);
    assert_eq!(counter(&sb, "paytm.refund_apply"), 10);
    assert_eq!(counter(&sb, "paytm.refund_rejected"), 8);
}

#[test]
fn paytm_refund_refusals_failure_and_held_refunds() {
    let sb = start_with(|c| c.paytm.refund_settle_ms = Some(50));
    let order = "476682884348973312A6";
    let txn = paytm_paid(&sb, order, "2.00", true);

    // A signature over another text than the body sent (the compact spelling of the
    // same members): 330, nothing raised.
    let spaced = format!(
        "{{\"mid\": \"{}\", \"txnType\": \"REFUND\", \"orderId\": \"{order}\", \
         \"txnId\": \"{txn}\", \"refId\": \"bad\", \"refundAmount\": \"1\"}}",
        f::PAYTM_MID
    );
    let compact = json(&spaced).to_string();
    let bad = paytm_call(&sb, "refund/apply", &spaced, &compact);
    assert_eq!(result(&bad), pair("TXN_FAILURE", "330"));
    assert_eq!(bad["resultInfo"]["resultMsg"], "Paytm checksum mismatch");
    let bad_status = paytm_call(
        &sb,
        "v2/refund/status",
        &format!(
            "{{\"mid\":\"{}\",\"orderId\":\"{order}\",\"refId\":\"x\"}}",
            f::PAYTM_MID
        ),
        "{}",
    );
    assert_eq!(result(&bad_status), pair("TXN_FAILURE", "330"));

    // Unknown order, a txnId of another order, a MID not ours, a malformed request, a
    // transaction not paid.
    let other = "476682884348973312A7";
    let unpaid = paytm_paid(&sb, other, "2.00", false);
    assert_eq!(
        result(&apply(&sb, "1A2", &txn, "u1", "1")),
        pair("TXN_FAILURE", "334")
    );
    assert_eq!(
        result(&apply(&sb, order, &unpaid, "u1", "1")),
        pair("TXN_FAILURE", "334")
    );
    assert_eq!(
        result(&apply(&sb, other, &unpaid, "u1", "1")),
        pair("TXN_FAILURE", "626")
    );
    let wrong_mid = json!({"mid": "OTHER000000001", "txnType": "REFUND", "orderId": order,
                           "txnId": txn, "refId": "u1", "refundAmount": "1"})
    .to_string();
    let r = paytm_call(&sb, "refund/apply", &wrong_mid, &wrong_mid);
    assert_eq!(result(&r), pair("TXN_FAILURE", "335"));
    let missing = json!({"mid": f::PAYTM_MID, "txnType": "REFUND", "orderId": order,
                         "txnId": txn, "refundAmount": "1"})
    .to_string();
    let r = paytm_call(&sb, "refund/apply", &missing, &missing);
    assert_eq!(result(&r), pair("TXN_FAILURE", "501"));
    assert!(r["resultInfo"]["resultMsg"]
        .as_str()
        .unwrap()
        .contains("refId"));
    assert_eq!(
        result(&refund_status(&sb, order, "nope")),
        pair("TXN_FAILURE", "631")
    );
    assert_eq!(
        refund_status(&sb, order, "nope")["resultInfo"]["resultMsg"],
        "Record not found"
    );
    assert_eq!(counter(&sb, "paytm.refund_created"), 0);

    // The bank fails the refund: reported, and the amount is free again.
    control(&sb, "paytm/refund_outcome", &json!({"outcome": "failure"}));
    assert_eq!(
        result(&apply(&sb, order, &txn, "f1", "2.0")),
        pair("PENDING", "601")
    );
    let failed = eventually("the refund to fail", || {
        let s = refund_status(&sb, order, "f1");
        (result(&s).0 != "PENDING").then_some(s)
    });
    assert_eq!(result(&failed), pair("TXN_FAILURE", "631"));
    assert_eq!(failed["resultInfo"]["resultMsg"], "Refund failed at bank");
    assert_eq!(refundamt(&sb, order), "0.00");

    // Held: pending until the control settles it.
    control(&sb, "paytm/refund_outcome", &json!({"outcome": "pending"}));
    assert_eq!(
        result(&apply(&sb, order, &txn, "h1", "2")),
        pair("PENDING", "601")
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        result(&refund_status(&sb, order, "h1")),
        pair("PENDING", "601")
    );
    // While it is pending it counts: nothing is left.
    assert_eq!(
        result(&apply(&sb, order, &txn, "h2", "0.01")),
        pair("TXN_FAILURE", "619")
    );
    let settled = control(
        &sb,
        "paytm/refund_complete",
        &json!({"ref_id": "h1", "outcome": "success"}),
    );
    assert_eq!(settled["refund"]["status"], "TXN_SUCCESS");
    assert_eq!(
        result(&refund_status(&sb, order, "h1")),
        pair("TXN_SUCCESS", "10")
    );
    assert_eq!(refundamt(&sb, order), "2.00");
    let (status, _) = post_json(
        &format!("{}/_control/paytm/refund_complete", sb.url()),
        &[],
        &json!({"ref_id": "h1", "outcome": "failure"}),
    );
    assert_eq!(status, 409, "a settled refund stays settled");
}

// --- Wallet -----------------------------------------------------------------------

const WREF: &str = "476682884348973312A5";

fn wallet_pay(sb: &SandboxHandle, reference: &str, amount: &str) -> Value {
    let (status, text) = post_json(
        &format!("{}/wallet/charges", sb.url()),
        &[],
        &json!({"order_id": reference, "token_id": "USDT", "amount": amount,
                "notify_url": "http://127.0.0.1:9/callbacks/wallet"}),
    );
    assert_eq!(status, 200, "{text}");
    eventually("the payment to settle", || {
        let (_, text) = get(&format!("{}/_control/wallet/payments", sb.url()), &[]);
        json(&text)["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["order_id"] == reference && p["status"] != "PROCESSING")
            .cloned()
    })
}

fn wallet_refund(
    sb: &SandboxHandle,
    refund_id: &str,
    reference: &str,
    amount: &str,
) -> (u16, Value) {
    let (status, text) = post_json(
        &format!("{}/wallet/refunds", sb.url()),
        &[],
        &json!({"refund_id": refund_id, "order_id": reference, "amount": amount}),
    );
    (status, json(&text))
}

/// The refund's signed state, verified with the wallet's public key.
fn wallet_refund_state(sb: &SandboxHandle, refund_id: &str) -> Value {
    let (status, text) = get(&format!("{}/wallet/refunds/{refund_id}", sb.url()), &[]);
    assert_eq!(status, 200, "{text}");
    let v = json(&text);
    let key = PublicKey::parse(&pem(f::WALLET_PUBLIC)).unwrap();
    signed_json::verify(&v, &key).unwrap_or_else(|e| panic!("{e:?}: {text}"));
    assert_eq!(v["security_type"], "RSA2");
    let mut tampered = v.clone();
    tampered["amount"] = json!("1000");
    assert!(signed_json::verify(&tampered, &key).is_err());
    v
}

fn balance(sb: &SandboxHandle) -> String {
    let (_, text) = get(&format!("{}/_control/wallet/balances", sb.url()), &[]);
    json(&text)["balances"]["USDT"].as_str().unwrap().to_owned()
}

#[test]
fn wallet_partial_then_full_refund_settles_by_itself() {
    let sb = start_with(|c| c.wallet.settle_ms = Some(100));
    control(
        &sb,
        "wallet/balance",
        &json!({"token_id": "USDT", "balance": "20"}),
    );
    let paid = wallet_pay(&sb, WREF, "10.5");
    assert_eq!(paid["status"], "SUCCESS");
    assert_eq!(balance(&sb), "9.5");

    let (status, first) = wallet_refund(&sb, "rf-1", WREF, "4");
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        first,
        json!({"code": 0, "message": "accepted", "refund_id": "rf-1",
               "trade_id": paid["trade_id"], "status": "PROCESSING"})
    );
    let done = eventually("the refund to settle", || {
        let v = wallet_refund_state(&sb, "rf-1");
        (v["status"] != "PROCESSING").then_some(v)
    });
    for (k, want) in [
        ("refund_id", json!("rf-1")),
        ("order_id", json!(WREF)),
        ("trade_id", paid["trade_id"].clone()),
        ("status", json!("SUCCESS")),
        ("token_id", json!("USDT")),
        ("amount", json!("4")),
    ] {
        assert_eq!(done[k], want, "{k}");
    }
    assert!(done["time"].as_str().unwrap().parse::<u64>().is_ok());
    assert_eq!(balance(&sb), "13.5", "a refund credits the token");

    // The same refund again: the same refund (idempotent); other data: refused.
    let (status, again) = wallet_refund(&sb, "rf-1", WREF, "4.000");
    assert_eq!((status, &again["status"]), (200, &json!("SUCCESS")));
    let (status, clash) = wallet_refund(&sb, "rf-1", WREF, "5");
    assert_eq!(status, 409);
    assert!(clash["message"].as_str().unwrap().starts_with("refund_id:"));
    // More than the 6.5 left.
    let (status, over) = wallet_refund(&sb, "rf-2", WREF, "6.6");
    assert_eq!(
        (status, over["message"].as_str().unwrap()),
        (409, "amount: exceeds what is left to refund")
    );
    // The rest.
    let (status, rest) = wallet_refund(&sb, "rf-2", WREF, "6.5");
    assert_eq!((status, &rest["status"]), (200, &json!("PROCESSING")));
    eventually("the second refund to settle", || {
        (wallet_refund_state(&sb, "rf-2")["status"] == "SUCCESS").then_some(())
    });
    assert_eq!(balance(&sb), "20");
    let (status, _) = wallet_refund(&sb, "rf-3", WREF, "0.000000000000000001");
    assert_eq!(status, 409);

    assert_records(&sb, "wallet", 2);
    assert_eq!(counter(&sb, "wallet.refund"), 6);
}

#[test]
fn wallet_refund_refusals_failure_and_held_refunds() {
    let sb = start_with(|c| {
        c.wallet.settle_ms = Some(50);
        c.wallet.api_key = Some("wk_test".into());
    });
    let auth = [("Authorization", "Bearer wk_test")];
    let (status, _) = post_json(
        &format!("{}/wallet/refunds", sb.url()),
        &[],
        &json!({"refund_id": "x", "order_id": WREF, "amount": "1"}),
    );
    assert_eq!(status, 401, "the same Bearer auth as charges");
    let (status, _) = get(&format!("{}/wallet/refunds/x", sb.url()), &[]);
    assert_eq!(status, 401);
    let call = |body: Value| {
        let (status, text) = post_json(&format!("{}/wallet/refunds", sb.url()), &auth, &body);
        (status, json(&text))
    };
    let (status, text) = post_json(
        &format!("{}/wallet/charges", sb.url()),
        &auth,
        &json!({"order_id": WREF, "token_id": "USDT", "amount": "3",
                "notify_url": "http://127.0.0.1:9/callbacks/wallet"}),
    );
    assert_eq!(status, 200, "{text}");
    eventually("the payment to settle", || {
        let (_, t) = get(&format!("{}/wallet/charges/{WREF}", sb.url()), &auth);
        (json(&t)["status"] == "SUCCESS").then_some(())
    });

    for (body, field) in [
        (
            json!({"refund_id": "", "order_id": WREF, "amount": "1"}),
            "refund_id:",
        ),
        (
            json!({"refund_id": "a b", "order_id": WREF, "amount": "1"}),
            "refund_id:",
        ),
        (
            json!({"refund_id": "x".repeat(65), "order_id": WREF, "amount": "1"}),
            "refund_id:",
        ),
        (
            json!({"refund_id": "x", "order_id": "12A", "amount": "1"}),
            "order_id:",
        ),
        (json!({"refund_id": "x", "amount": "1"}), "order_id:"),
        (
            json!({"refund_id": "x", "order_id": WREF, "amount": "1e3"}),
            "amount:",
        ),
        (
            json!({"refund_id": "x", "order_id": WREF, "amount": 1}),
            "amount:",
        ),
        (
            json!({"refund_id": "x", "order_id": WREF, "amount": "0"}),
            "amount:",
        ),
    ] {
        let (status, v) = call(body.clone());
        assert_eq!(status, 400, "{body}");
        assert_eq!(v["code"], 400);
        assert!(v["message"].as_str().unwrap().starts_with(field), "{v}");
    }
    let (status, v) =
        call(json!({"refund_id": "x", "order_id": "476682884348973312A9", "amount": "1"}));
    assert_eq!((status, v["code"].as_u64()), (404, Some(404)));
    let (status, _) = get(&format!("{}/wallet/refunds/nope", sb.url()), &auth);
    assert_eq!(status, 404);
    // A payment the wallet declined cannot be refunded.
    control(
        &sb,
        "wallet/balance",
        &json!({"token_id": "USDT", "balance": "0"}),
    );
    let declined = "476682884348973312A8";
    let (status, _) = post_json(
        &format!("{}/wallet/charges", sb.url()),
        &auth,
        &json!({"order_id": declined, "token_id": "USDT", "amount": "1",
                "notify_url": "http://127.0.0.1:9/callbacks/wallet"}),
    );
    assert_eq!(status, 200);
    eventually("the decline", || {
        let (_, t) = get(&format!("{}/wallet/charges/{declined}", sb.url()), &auth);
        (json(&t)["status"] == "FAILED").then_some(())
    });
    let (status, v) = call(json!({"refund_id": "x", "order_id": declined, "amount": "1"}));
    assert_eq!(
        (status, v["message"].as_str().unwrap()),
        (409, "order_id: payment is not SUCCESS")
    );
    assert_eq!(counter(&sb, "wallet.refund_created"), 0);
    control(
        &sb,
        "wallet/balance",
        &json!({"token_id": "USDT", "balance": null}),
    );

    // The wallet fails a refund: reported, signed, and the amount is free again.
    control(&sb, "wallet/refund_outcome", &json!({"outcome": "failure"}));
    let (status, v) = call(json!({"refund_id": "f1", "order_id": WREF, "amount": "3"}));
    assert_eq!((status, &v["status"]), (200, &json!("PROCESSING")));
    let state = |id: &str| {
        let (status, text) = get(&format!("{}/wallet/refunds/{id}", sb.url()), &auth);
        assert_eq!(status, 200);
        let v = json(&text);
        let key = PublicKey::parse(&pem(f::WALLET_PUBLIC)).unwrap();
        signed_json::verify(&v, &key).unwrap();
        v
    };
    eventually("the refund to fail", || {
        (state("f1")["status"] == "FAILED").then_some(())
    });

    // Held until the control decides.
    control(&sb, "wallet/refund_outcome", &json!({"outcome": "pending"}));
    let (status, v) = call(json!({"refund_id": "h1", "order_id": WREF, "amount": "3"}));
    assert_eq!((status, &v["status"]), (200, &json!("PROCESSING")));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(state("h1")["status"], "PROCESSING");
    let (status, _) = call(json!({"refund_id": "h2", "order_id": WREF, "amount": "0.1"}));
    assert_eq!(
        status, 409,
        "a processing refund counts against what is left"
    );
    let settled = control(
        &sb,
        "wallet/refund_complete",
        &json!({"refund_id": "h1", "outcome": "success"}),
    );
    assert_eq!(settled["refund"]["status"], "SUCCESS");
    assert_eq!(state("h1")["status"], "SUCCESS");
    let (status, _) = post_json(
        &format!("{}/_control/wallet/refund_complete", sb.url()),
        &[],
        &json!({"refund_id": "h1", "outcome": "failure"}),
    );
    assert_eq!(status, 409);
    let (status, _) = post_json(
        &format!("{}/_control/wallet/refund_complete", sb.url()),
        &[],
        &json!({"refund_id": "zz", "outcome": "success"}),
    );
    assert_eq!(status, 404);
}
