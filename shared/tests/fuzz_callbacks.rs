//! Fuzz targets (see `fuzz_support`) for every callback parser (SPEC 3.4): the Paytm form
//! and JSON callbacks with their CHECKSUMHASH, the Paytm checksum itself and the
//! Transaction Status answer, the wallet notification, the S3 (Lianshang) notify and the
//! Ping++ webhook with its `X-Pingplusplus-Signature` header, each followed by
//! `callback::to_event` against an order.
//!
//! Random bytes almost never pass a signature, so besides feeding raw input each target
//! also *signs the mutated message with the right key* (as the provider would) and feeds
//! that: the parsing after verification — the part a compromised or buggy provider can
//! reach — is fuzzed too. Property besides "no panic": a body Kassa itself signed with
//! the right key is never refused as `Unverified`.

#![allow(clippy::unwrap_used, clippy::panic)]

mod fuzz_support;

use serde_json::{json, Map, Value};

use fuzz_support::{fuzz, priv1024, pub1024, tests_dir, text};
use kassa_shared::callback::{form, to_event, CallbackAmount, CallbackError, VerifiedCallback};
use kassa_shared::crypto::{rsa_sig, signed_json, SignAlg};
use kassa_shared::id::Id;
use kassa_shared::money::{Currency, Money, TokenAmount, TokenTable};
use kassa_shared::order::OrderAmount;
use kassa_shared::providers::lianshang::callback as lianshang;
use kassa_shared::providers::lianshang::sign::sign_message;
use kassa_shared::providers::paytm::callback as paytm;
use kassa_shared::providers::paytm::checksum::{self, Params, Salt, CHECKSUMHASH};
use kassa_shared::providers::pingpp::callback as pingpp;
use kassa_shared::providers::wallet::callback as wallet;

const PAYTM_KEY: &[u8] = b"kassa_paytm_k16!";
const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

/// Runs `to_event` against the order the callback names and against an unrelated one,
/// with the amount it reports and with another.
fn match_against_orders(cb: &VerifiedCallback) {
    let other = Id::new(1).unwrap();
    let amounts = [
        match &cb.amount {
            CallbackAmount::Fiat(m) => OrderAmount::Fiat(*m),
            CallbackAmount::Token { token, amount } => OrderAmount::Token {
                token: token.clone(),
                amount: *amount,
            },
            CallbackAmount::Minor(n) => OrderAmount::Fiat(Money::new(Currency::Cny, *n)),
        },
        OrderAmount::Fiat(Money::new(Currency::Inr, 200)),
        OrderAmount::Token {
            token: "USDT".into(),
            amount: TokenAmount::parse("amount", "1.5", 6).unwrap(),
        },
    ];
    for order in [cb.reference.order, other] {
        for amount in &amounts {
            let _ = to_event(cb, order, amount);
        }
    }
}

/// Every byte as `%XX`: valid form encoding that also works the decoder hardest.
fn percent_encode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn paytm_vector_bodies() -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(tests_dir().join("vectors/callbacks/paytm.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap().as_bytes().to_vec())
        .collect()
}

fn after_paytm_verify(result: Result<VerifiedCallback, CallbackError>, input: &[u8]) {
    assert_ne!(
        result,
        Err(CallbackError::Unverified),
        "re-signed Paytm callback"
    );
    if let Ok(cb) = result {
        match_against_orders(&cb);
        let _ = paytm::confirmed(&cb, input);
        let status = json!({"ORDERID": cb.reference.to_string(), "TXNID": cb.provider_txn,
            "TXNAMOUNT": cb.amount.to_string(), "STATUS": "TXN_SUCCESS"});
        if let Ok(ok) = paytm::confirmed(&cb, status.to_string().as_bytes()) {
            match_against_orders(&ok);
        }
    }
}

#[test]
fn fuzz_paytm_callback() {
    let salt = Salt::new("aB3x").unwrap();
    fuzz("paytm_callback", 2, paytm_vector_bodies(), |input| {
        for ct in [
            FORM,
            JSON,
            "application/x-www-form-urlencoded; charset=UTF-8",
            "text/plain",
        ] {
            if let Ok(cb) = paytm::verify(ct, input, PAYTM_KEY) {
                match_against_orders(&cb);
            }
        }
        let _ = paytm::verify(&text(input), b"", PAYTM_KEY);
        let _ = paytm::verify(FORM, input, b"short");
        // The mutated form, re-signed with the merchant key, as a form and as JSON.
        let Ok(mut fields) = form::parse(input) else {
            return;
        };
        fields.remove(CHECKSUMHASH);
        let params: Params = fields
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect();
        let hash = checksum::generate(&params, PAYTM_KEY, &salt).unwrap();
        let mut body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        body.push(format!("{CHECKSUMHASH}={}", percent_encode(&hash)));
        after_paytm_verify(
            paytm::verify(FORM, body.join("&").as_bytes(), PAYTM_KEY),
            input,
        );
        let mut object: Map<String, Value> = fields
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        object.insert(CHECKSUMHASH.into(), Value::String(hash));
        let json_body = serde_json::to_vec(&object).unwrap();
        after_paytm_verify(paytm::verify(JSON, &json_body, PAYTM_KEY), input);
    });
}

#[test]
fn fuzz_paytm_checksum() {
    fuzz("paytm_checksum", 1, paytm_vector_bodies(), |input| {
        let s = text(input);
        let params: Params = form::parse(input)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, Some(v)))
            .collect();
        for key in [
            PAYTM_KEY,
            b"0123456789abcdef0123456789abcdef".as_slice(),
            b"",
            input,
        ] {
            let _ = checksum::verify(&params, key, &s);
        }
        let _ = Salt::new(&s);
        let _ = checksum::param_string(&params);
    });
}

/// Feeds `input` raw, then — when it is JSON that `sign` accepts — signed with the right
/// key; what Kassa signed must never come back `Unverified`.
fn raw_then_resigned(
    input: &[u8],
    what: &str,
    sign: impl Fn(&mut Value) -> bool,
    verify: impl Fn(&[u8]) -> Result<VerifiedCallback, CallbackError>,
) {
    let _ = verify(input);
    let Ok(mut v) = serde_json::from_slice::<Value>(input) else {
        return;
    };
    if !sign(&mut v) {
        return;
    }
    let result = verify(&serde_json::to_vec(&v).unwrap());
    assert_ne!(result, Err(CallbackError::Unverified), "re-signed {what}");
    if let Ok(cb) = result {
        match_against_orders(&cb);
    }
}

/// Top-level `sign`, as the wallet does.
#[test]
fn fuzz_wallet_notification() {
    let tokens = TokenTable::builtin();
    fuzz("wallet_callback", 2, Vec::new(), |input| {
        raw_then_resigned(
            input,
            "wallet notification",
            |v| signed_json::sign(v, None, priv1024(), SignAlg::Rsa2).is_ok(),
            |body| wallet::verify(body, pub1024(), &tokens),
        );
    });
}

/// `sign` inside the message, as S3 does (SHA1withRSA, the seed's examples — so the
/// legacy profile is allowed here; the default profile refuses it, issue 14).
#[test]
fn fuzz_lianshang_notify() {
    fuzz("lianshang_callback", 2, Vec::new(), |input| {
        let _ = lianshang::verify(input, pub1024());
        raw_then_resigned(
            input,
            "S3 notify",
            |v| sign_message(v, priv1024(), SignAlg::Rsa).is_ok(),
            |body| lianshang::verify_with(body, pub1024(), true),
        );
    });
}

#[test]
fn fuzz_pingpp_webhook() {
    fuzz("pingpp_callback", 2, Vec::new(), |input| {
        // The input as the header, and as the body under a header that is not its own.
        let _ = pingpp::verify(b"{}", &text(input), pub1024());
        let _ = pingpp::verify(input, "AAAA", pub1024());
        let sig = rsa_sig::sign(priv1024(), SignAlg::Rsa2, input).unwrap();
        let result = pingpp::verify(input, &sig, pub1024());
        assert_ne!(
            result,
            Err(CallbackError::Unverified),
            "signed Ping++ webhook"
        );
        if let Ok(cb) = result {
            match_against_orders(&cb);
        }
    });
}
