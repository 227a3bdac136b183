//! Paytm over real HTTP: the process form with good and bad checksums, the pay page,
//! the signed callback carried by the shopper's browser (an auto-submitting form) or
//! posted server to server by the control API, and the Transaction Status API.
#![allow(clippy::unwrap_used)]

mod sandbox_support;

use kassa_shared::providers::paytm::checksum::{self, Params, Salt, CHECKSUMHASH};
use kassa_shared::providers::paytm::wire::PaytmCallback;
use kassa_tests::sandbox::config::fixtures as f;
use sandbox_support::{control, counter, json, post_form, post_json, start_with, Receiver};
use serde_json::{json, Value};

fn signed(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let p: Params = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Some((*v).to_owned())))
        .collect();
    let hash =
        checksum::generate(&p, f::PAYTM_KEY.as_bytes(), &Salt::new("aB3d").unwrap()).unwrap();
    let mut out: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    out.push((CHECKSUMHASH.to_owned(), hash));
    out
}

fn form(callback: &str, order: &str) -> Vec<(String, String)> {
    signed(&[
        ("MID", f::PAYTM_MID),
        ("ORDER_ID", order),
        ("CUST_ID", "u1"),
        ("INDUSTRY_TYPE_ID", "Retail"),
        ("CHANNEL_ID", "WEB"),
        ("TXN_AMOUNT", "2.00"),
        ("WEBSITE", "WEBSTAGING"),
        ("CALLBACK_URL", callback),
    ])
}

fn verify_callback(body: &[u8]) -> PaytmCallback {
    let p: Params = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), Some(v.into_owned())))
        .collect();
    let hash = p[CHECKSUMHASH].clone().unwrap();
    checksum::verify(&p, f::PAYTM_KEY.as_bytes(), &hash).unwrap();
    let as_json: serde_json::Map<String, Value> = p
        .into_iter()
        .map(|(k, v)| (k, Value::String(v.unwrap_or_default())))
        .collect();
    serde_json::from_value(Value::Object(as_json)).unwrap()
}

/// The hidden inputs of a page, HTML entities undone.
fn hidden_inputs(page: &str) -> Vec<(String, String)> {
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    page.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|rest| {
            let (name, rest) = rest.split_once("\" value=\"").unwrap();
            let value = rest.split('"').next().unwrap();
            (unescape(name), unescape(value))
        })
        .collect()
}

fn status_query(url: &str, order: &str) -> Value {
    let body = signed(&[("MID", f::PAYTM_MID), ("ORDERID", order)]);
    let body: serde_json::Map<String, Value> =
        body.into_iter().map(|(k, v)| (k, json!(v))).collect();
    let (status, text) = post_json(
        &format!("{url}/paytm/merchant-status/getTxnStatus"),
        &[],
        &Value::Object(body),
    );
    assert_eq!(status, 200);
    json(&text)
}

#[test]
fn pay_page_callback_redirect_and_status() {
    let rx = Receiver::start("{\"code\":200,\"data\":true,\"message\":\"success\"}");
    let sb = start_with(|_| {});
    let url = format!("{}/paytm/theia/processTransaction", sb.url());

    // Bad checksum: an error page, no transaction.
    let mut bad = form(&rx.url, "ORD1");
    bad.iter_mut().find(|(k, _)| k == "TXN_AMOUNT").unwrap().1 = "200.00".into();
    let (status, _, page) = post_form(&url, &bad);
    assert_eq!(status, 400);
    assert!(page.contains("checksum"), "{page}");
    assert_eq!(counter(&sb, "paytm.checksum_rejected"), 1);

    let (status, _, page) = post_form(&url, &form(&rx.url, "ORD1"));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Pay") && page.contains("Fail") && !page.contains("<script"));
    let txn_id = page
        .split("name=\"txn_id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();

    // Before the shopper chooses, the status API says PENDING.
    assert_eq!(status_query(sb.url(), "ORD1")["STATUS"], "PENDING");

    let complete = format!("{}/paytm/theia/complete", sb.url());
    let (status, _, page) = post_form(
        &complete,
        &[
            ("txn_id".into(), txn_id.clone()),
            ("result".into(), "success".into()),
        ],
    );
    // Paytm's result travels through the shopper's browser: an auto-submitting form
    // to CALLBACK_URL, nothing server to server.
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(&format!("<form method=\"post\" action=\"{}\">", rx.url)),
        "{page}"
    );
    assert!(page.contains("<script>document.forms[0].submit()</script>"));
    assert!(page.contains("<button type=\"submit\">"));
    assert!(rx.try_recv(300).is_none(), "no server-to-server callback");
    // The status API knows the outcome before the browser arrives.
    assert_eq!(status_query(sb.url(), "ORD1")["STATUS"], "TXN_SUCCESS");
    let fields = hidden_inputs(&page);
    assert!(fields.iter().any(|(k, _)| k == CHECKSUMHASH));
    // The shopper's browser posts them.
    let (status, _, _) = post_form(&rx.url, &fields);
    assert_eq!(status, 200);
    // The page's transaction is finished: a second click is refused.
    let (status, _, _) = post_form(
        &complete,
        &[
            ("txn_id".into(), txn_id.clone()),
            ("result".into(), "fail".into()),
        ],
    );
    assert_eq!(status, 409);

    let got = rx.recv();
    let cb = verify_callback(&got.body);
    assert_eq!(cb.order_id, "ORD1");
    assert_eq!(cb.txn_amount, "2.00");
    assert_eq!(cb.txn_id.as_deref(), Some(txn_id.as_str()));
    assert_eq!(serde_json::to_value(cb.status).unwrap(), "TXN_SUCCESS");
    assert_eq!(cb.mid.as_deref(), Some(f::PAYTM_MID));

    let st = status_query(sb.url(), "ORD1");
    assert_eq!(
        (st["STATUS"].as_str(), st["TXNID"].as_str()),
        (Some("TXN_SUCCESS"), Some(txn_id.as_str()))
    );
    assert_eq!(st["TXNAMOUNT"], "2.00");
    assert_eq!(status_query(sb.url(), "NOPE")["RESPCODE"], "334");

    // The same query form-encoded as `JsonData=<json>`.
    let q: serde_json::Map<String, Value> = signed(&[("MID", f::PAYTM_MID), ("ORDERID", "ORD1")])
        .into_iter()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    let (status, _, text) = post_form(
        &format!("{}/paytm/merchant-status/getTxnStatus", sb.url()),
        &[("JsonData".into(), Value::Object(q).to_string())],
    );
    assert_eq!(status, 200);
    assert_eq!(json(&text)["STATUS"], "TXN_SUCCESS");

    // A status query with a bad checksum is refused.
    let (_, text) = post_json(
        &format!("{}/paytm/merchant-status/getTxnStatus", sb.url()),
        &[],
        &json!({"MID": f::PAYTM_MID, "ORDERID": "ORD1", "CHECKSUMHASH": "AAAA"}),
    );
    assert_eq!(json(&text)["RESPCODE"], "330");
    assert_eq!(counter(&sb, "paytm.status_query"), 6);
    assert_eq!(counter(&sb, "paytm.browser_return"), 1);
}

#[test]
fn control_completion_tamper_and_duplicates() {
    let rx = Receiver::start("ok");
    let sb = start_with(|_| {});
    let url = format!("{}/paytm/theia/processTransaction", sb.url());
    assert_eq!(post_form(&url, &form(&rx.url, "ORD2")).0, 200);

    let out = control(
        &sb,
        "paytm/complete",
        &json!({"id": "ORD2", "result": "fail", "duplicate": 1}),
    );
    assert_eq!(out["sent"].as_array().unwrap().len(), 2);
    for _ in 0..2 {
        let cb = verify_callback(&rx.recv().body);
        assert_eq!(serde_json::to_value(cb.status).unwrap(), "TXN_FAILURE");
    }
    control(
        &sb,
        "paytm/complete",
        &json!({"id": "ORD2", "tamper": "signature"}),
    );
    let p: Params = form_urlencoded::parse(&rx.recv().body)
        .map(|(k, v)| (k.into_owned(), Some(v.into_owned())))
        .collect();
    let hash = p[CHECKSUMHASH].clone().unwrap();
    assert!(checksum::verify(&p, f::PAYTM_KEY.as_bytes(), &hash).is_err());
    control(
        &sb,
        "paytm/complete",
        &json!({"id": "ORD2", "tamper": "amount"}),
    );
    assert_eq!(verify_callback(&rx.recv().body).txn_amount, "2.001");

    // Missing fields and an unknown MID are refused with a page, not a panic.
    assert_eq!(post_form(&url, &[("MID".into(), "x".into())]).0, 400);
    let mut wrong_mid = form(&rx.url, "ORD3");
    wrong_mid[0].1 = "OTHER".into();
    assert_eq!(post_form(&url, &wrong_mid).0, 400);
    // A CALLBACK_URL the sandbox may not post to is refused up front.
    assert_eq!(
        post_form(&url, &form("http://example.com/cb", "ORD4")).0,
        400
    );
    assert_eq!(counter(&sb, "paytm.form_rejected"), 3);
}
