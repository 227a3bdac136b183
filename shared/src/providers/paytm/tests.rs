//! Paytm's form and Transaction Status request as values (SPEC 3.3, 4.3): checksums
//! that verify with the shared algorithm, as built and as posted.

use serde_json::Value;

use super::checksum::{self, Salt};
use super::{PaytmConfig, PaytmOrder};
use crate::callback::ProviderRef;
use crate::crypto::Secret;
use crate::money::{Currency, Money};

const PAYTM: &str = include_str!("../../../../tests/vectors/crypto/paytm_checksum.json");

fn cases(text: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(text).unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn paytm_config() -> PaytmConfig {
    PaytmConfig {
        base_url: "http://127.0.0.1:9/paytm".into(),
        mid: "SHAREI30408276217840".into(),
        merchant_key: Secret::new(b"kbzk1DSbJiV_O3p5".to_vec()),
        website: "APP_STAGING".into(),
        industry_type_id: "Retail".into(),
        channel_id: "WAP".into(),
        callback_url: "http://127.0.0.1:8787/callbacks/paytm".into(),
        timeout: core::time::Duration::from_secs(2),
    }
}

#[test]
fn paytm_form_checksum_verifies_with_shared() {
    // The vectors' algorithm, once more: shared's checksum equals the Python one.
    for c in cases(PAYTM) {
        let params = c["params"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned)))
            .collect();
        let key = c["merchant_key"].as_str().unwrap().as_bytes();
        checksum::verify(&params, key, c["checksum"].as_str().unwrap()).unwrap();
    }
    let cfg = paytm_config();
    let order = PaytmOrder {
        reference: ProviderRef::parse("reference", "476682884348973312A476682884348973313")
            .unwrap(),
        amount: Money::new(Currency::Inr, 200),
        cust_id: "CUS-1111".into(),
        email: Some("test@gmail.com".into()),
        mobile_no: None,
    };
    let salt = Salt::new("zZ9a").unwrap();
    let form = super::pre_order_form(&cfg, &order, &salt).unwrap();
    assert_eq!(form.txn_amount, "2.00");
    assert_eq!(form.order_id, "476682884348973312A476682884348973313");
    let params = super::form_params(&form);
    assert!(!params.contains_key("MOBILE_NO"));
    checksum::verify(&params, b"kbzk1DSbJiV_O3p5", &form.checksum_hash).unwrap();
    // What the widget posts is the serialised form: it verifies as posted.
    let posted: std::collections::BTreeMap<String, Option<String>> =
        serde_json::from_value(serde_json::to_value(&form).unwrap()).unwrap();
    checksum::verify(&posted, b"kbzk1DSbJiV_O3p5", &form.checksum_hash).unwrap();
    // The hand-off posts exactly those fields to the process page, and they verify.
    let handoff = super::handoff(&cfg, &form).unwrap();
    assert_eq!(handoff.method, crate::surfaces::handoff::Method::Post);
    assert_eq!(
        handoff.url,
        "http://127.0.0.1:9/paytm/theia/processTransaction"
    );
    let handed: checksum::Params = handoff
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    assert_eq!(handoff.fields["CHECKSUMHASH"], form.checksum_hash);
    checksum::verify(&handed, b"kbzk1DSbJiV_O3p5", &form.checksum_hash).unwrap();
    let mut forged = params.clone();
    forged.insert("TXN_AMOUNT".into(), Some("1.00".into()));
    assert!(checksum::verify(&forged, b"kbzk1DSbJiV_O3p5", &form.checksum_hash).is_err());
    // Paytm charges rupees only.
    let usd = PaytmOrder {
        amount: Money::new(Currency::Usd, 200),
        ..order
    };
    assert!(super::pre_order_form(&cfg, &usd, &Salt::new("aB3x").unwrap()).is_err());
}

#[test]
fn paytm_status_request_and_answer() {
    let cfg = paytm_config();
    let reference = "476682884348973312A476682884348973313";
    let id = ProviderRef::parse("reference", reference).unwrap();
    let req = super::status_request(&cfg, &id.to_string(), &Salt::new("aB3x").unwrap()).unwrap();
    assert_eq!(
        req.url,
        "http://127.0.0.1:9/paytm/merchant-status/getTxnStatus"
    );
    let body: std::collections::BTreeMap<String, Option<String>> =
        serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
    assert_eq!(body["ORDERID"].as_deref(), Some(reference));
    checksum::verify(
        &body,
        b"kbzk1DSbJiV_O3p5",
        body["CHECKSUMHASH"].as_deref().unwrap(),
    )
    .unwrap();
}

#[test]
fn an_unfinished_paytm_attempt_is_judged_by_the_status_api() {
    use crate::flows::attempts::Verdict;
    let r = ProviderRef::parse("reference", "476682884348973312A476682884348973313").unwrap();
    let body = |status: &str, code: &str, order: &str| {
        serde_json::json!({"ORDERID": order, "TXNID": "T1", "TXNAMOUNT": "7.00",
            "STATUS": status, "RESPCODE": code, "MID": "m"})
        .to_string()
        .into_bytes()
    };
    let mine = "476682884348973312A476682884348973313";
    let verdict = |b: Vec<u8>| super::callback::query_verdict(&r, Currency::Inr, &b);
    match verdict(body("TXN_SUCCESS", "01", mine)).unwrap() {
        Verdict::Succeeded(cb) => {
            assert_eq!(cb.event_id, "paytm:T1:TXN_SUCCESS", "its callback's own id");
            assert_eq!(
                cb.amount,
                crate::callback::CallbackAmount::Fiat(Money::new(Currency::Inr, 700))
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        verdict(body("PENDING", "402", mine)).unwrap(),
        Verdict::InFlight
    );
    assert_eq!(
        verdict(body("TXN_FAILURE", "227", mine)).unwrap(),
        Verdict::Failed
    );
    // 334: Paytm has no such order — the form was never submitted.
    assert_eq!(
        verdict(body("TXN_FAILURE", "334", mine)).unwrap(),
        Verdict::NoOutcome
    );
    assert!(verdict(body("TXN_SUCCESS", "01", "476682884348973312A9")).is_err());
    assert!(verdict(b"<html>".to_vec()).is_err());
}

const PAYTM_TEXT: &str = include_str!("../../../../tests/vectors/crypto/paytm_checksum_text.json");

/// Paytm's own library made these (`tests/vectors/crypto/generate_paytm_text.py`).
#[test]
fn string_checksums_agree_with_paytmchecksum() {
    let v: serde_json::Value = serde_json::from_str(PAYTM_TEXT).unwrap_or_default();
    let cases = v["cases"].as_array().cloned().unwrap_or_default();
    assert_eq!(cases.len(), 20);
    for c in cases {
        let (text, key) = (
            c["text"].as_str().unwrap_or("-"),
            c["merchant_key"].as_str().unwrap_or(""),
        );
        let salt =
            checksum::Salt::new(c["salt"].as_str().unwrap_or("")).unwrap_or_else(|e| panic!("{e}"));
        let want = c["checksum"].as_str().unwrap_or("");
        assert_eq!(
            checksum::generate_for_text(text, key.as_bytes(), &salt).as_deref(),
            Ok(want),
            "{text}"
        );
        assert_eq!(checksum::verify_text(text, key.as_bytes(), want), Ok(()));
        let other = format!("{text} ");
        assert_eq!(
            checksum::verify_text(&other, key.as_bytes(), want),
            Err(checksum::ChecksumError::Mismatch)
        );
    }
}

#[test]
fn refund_request_is_signed_over_the_exact_body_text() {
    use super::refund::{self, RefundAsk};
    use crate::providers::http::Response;
    use crate::providers::refund::{RefundAck, RefundVerdict};
    let cfg = paytm_config();
    let reference = ProviderRef::parse("ref", "476682884348973312A476682884348973313").unwrap();
    let ask = RefundAsk {
        reference,
        txn_id: "20261206111212800110168".into(),
        ref_id: "917293707626352640".into(),
        amount: Money::new(Currency::Inr, 150),
    };
    let salt = Salt::new("aB3x").unwrap();
    let ex = refund::refund(&cfg, &ask, &salt).unwrap();
    assert_eq!(ex.request().url, "http://127.0.0.1:9/paytm/refund/apply");
    let text = String::from_utf8(ex.request().body.clone().unwrap()).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["body"],
        serde_json::json!({"mid": "SHAREI30408276217840", "txnType": "REFUND",
            "orderId": reference.to_string(), "txnId": "20261206111212800110168",
            "refId": "917293707626352640", "refundAmount": "1.50"})
    );
    // The signature covers the body's text as sent.
    let start = text.find("{\"mid\"").unwrap();
    let end = text.find(",\"head\"").unwrap();
    let sig = v["head"]["signature"].as_str().unwrap();
    assert_eq!(
        checksum::verify_text(&text[start..end], b"kbzk1DSbJiV_O3p5", sig),
        Ok(())
    );
    // Answers.
    let order_ref = reference.to_string();
    let answer = |status: &str, code: &str| {
        Response::json(
            200,
            &serde_json::json!({"head": {"signature": "x"}, "body": {
            "orderId": order_ref, "refId": "917293707626352640", "refundId": "REF1",
            "resultInfo": {"resultStatus": status, "resultCode": code, "resultMsg": "m"}}}),
        )
    };
    let parse = |r: &Response| refund::parse_refund(r, &order_ref, "917293707626352640");
    assert_eq!(
        parse(&answer("PENDING", "601")),
        Ok(RefundAck::Accepted {
            provider_refund: "REF1".into(),
            verdict: RefundVerdict::Pending
        })
    );
    assert!(matches!(
        parse(&answer("TXN_FAILURE", "617")),
        Ok(RefundAck::Accepted { .. })
    ));
    assert_eq!(
        parse(&answer("TXN_FAILURE", "619")),
        Ok(RefundAck::Refused {
            reason: "Paytm 619: m".into()
        })
    );
    assert!(parse(&answer("WHATEVER", "1")).is_err());
    let status = |r: &Response| refund::parse_refund_status(r, &order_ref, "917293707626352640");
    assert_eq!(
        status(&answer("TXN_SUCCESS", "10")),
        Ok(RefundVerdict::Succeeded)
    );
    assert_eq!(
        status(&answer("PENDING", "601")),
        Ok(RefundVerdict::Pending)
    );
    assert!(matches!(
        status(&answer("TXN_FAILURE", "631")),
        Ok(RefundVerdict::Failed { .. })
    ));
    // About another refund: not believed.
    assert!(refund::parse_refund_status(&answer("TXN_SUCCESS", "10"), &order_ref, "1").is_err());
    // The TXNID comes from a TXN_SUCCESS status answer about the same attempt.
    let st = serde_json::json!({"ORDERID": order_ref, "STATUS": "TXN_SUCCESS", "TXNID": "T9"});
    assert_eq!(
        refund::paid_txn_id(&reference, st.to_string().as_bytes()).as_deref(),
        Ok("T9")
    );
    let pending = serde_json::json!({"ORDERID": order_ref, "STATUS": "PENDING", "TXNID": "T9"});
    assert!(refund::paid_txn_id(&reference, pending.to_string().as_bytes()).is_err());
}
