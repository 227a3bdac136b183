//! Unit tests of SPEC 3.4 "Callbacks in": every provider's verify (valid, flipped,
//! wrong key, tampered after signing, bad encodings), `to_event` and the answers.

use serde_json::{json, Value};

use super::*;
use crate::crypto::keys::fixtures;
use crate::crypto::{rsa_sig, PrivateKey, PublicKey, SignAlg};
use crate::money::{Currency, TokenTable};
use crate::providers::lianshang::callback as lianshang;
use crate::providers::lianshang::sign::sign_message;
use crate::providers::paytm::callback::{self as paytm, ConfirmError};
use crate::providers::paytm::checksum::{self, Params, Salt};
use crate::providers::pingpp::callback as pingpp;
use crate::providers::wallet::callback as wallet;
use crate::providers::wallet::notify::{self, Notification, NotifyStatus};

const ORDER: u64 = 476_682_884_348_973_312;
const ATTEMPT: u64 = 476_682_884_348_973_313;
const PAYTM_KEY: &[u8] = b"kassa_paytm_k16!";
const FORM: &str = "application/x-www-form-urlencoded";

fn id(n: u64) -> Id {
    Id::new(n).unwrap()
}
fn reference() -> ProviderRef {
    ProviderRef::new(id(ORDER), id(ATTEMPT))
}
fn inr(minor: u64) -> OrderAmount {
    OrderAmount::Fiat(Money::new(Currency::Inr, minor))
}
fn cny(minor: u64) -> OrderAmount {
    OrderAmount::Fiat(Money::new(Currency::Cny, minor))
}
fn sandbox_key(name: &str) -> String {
    let path = format!(
        "{}/../tests/src/sandbox/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
fn sandbox_priv(name: &str) -> PrivateKey {
    PrivateKey::parse(&sandbox_key(name)).unwrap()
}
fn sandbox_pub(name: &str) -> PublicKey {
    PublicKey::parse(&sandbox_key(name)).unwrap()
}

// ---------------------------------------------------------------- Paytm

fn paytm_fields(amount: &str, status: &str) -> Vec<(String, String)> {
    [
        ("ORDERID", reference().to_string()),
        ("TXNID", "20261123111212800110168".to_owned()),
        ("TXNAMOUNT", amount.to_owned()),
        ("STATUS", status.to_owned()),
        ("RESPCODE", "01".to_owned()),
        ("RESPMSG", "Txn Success".to_owned()),
        ("MID", "KASSA0000000001".to_owned()),
        ("CURRENCY", "INR".to_owned()),
        ("TXNDATE", "2026-11-23 12:00:00.0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn sign_paytm(fields: &mut Vec<(String, String)>, key: &[u8]) {
    let p: Params = fields
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    let hash = checksum::generate(&p, key, &Salt::new("aB3x").unwrap()).unwrap();
    fields.push(("CHECKSUMHASH".to_owned(), hash));
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'_' {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn form_body(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn signed_paytm(amount: &str, status: &str) -> Vec<(String, String)> {
    let mut f = paytm_fields(amount, status);
    sign_paytm(&mut f, PAYTM_KEY);
    f
}

fn set(fields: &mut [(String, String)], key: &str, value: &str) {
    for (k, v) in fields.iter_mut() {
        if k == key {
            *v = value.to_owned();
        }
    }
}

#[test]
fn paytm_form_success_needs_confirmation_then_maps() {
    let body = form_body(&signed_paytm("2", "TXN_SUCCESS"));
    let cb = paytm::verify(FORM, body.as_bytes(), PAYTM_KEY).unwrap();
    assert_eq!(cb.provider, Provider::Paytm);
    assert_eq!(cb.reference, reference());
    assert_eq!(cb.outcome, Outcome::Succeeded);
    assert_eq!(
        cb.amount,
        CallbackAmount::Fiat(Money::new(Currency::Inr, 200))
    );
    assert_eq!(cb.event_id, "paytm:20261123111212800110168:TXN_SUCCESS");
    assert!(cb.confirm_required);
    // Not an AttemptSucceeded until the Transaction Status API agreed.
    assert_eq!(
        to_event(&cb, id(ORDER), &inr(200)),
        Err(MismatchError::Unconfirmed)
    );
    let status = json!({"ORDERID": reference().to_string(), "TXNID": "20261123111212800110168",
        "TXNAMOUNT": "2.00", "STATUS": "TXN_SUCCESS", "RESPCODE": "01"});
    let ok = paytm::confirmed(&cb, status.to_string().as_bytes()).unwrap();
    assert!(!ok.confirm_required);
    // "2" in the callback and "2.00" in the order are the same 200 paise.
    assert_eq!(
        to_event(&ok, id(ORDER), &inr(200)),
        Ok(Event::new(
            "paytm:20261123111212800110168:TXN_SUCCESS",
            EventKind::AttemptSucceeded {
                attempt: id(ATTEMPT),
                provider: "paytm".into()
            }
        ))
    );
}

#[test]
fn paytm_confirmation_refuses_disagreement() {
    let body = form_body(&signed_paytm("2.00", "TXN_SUCCESS"));
    let cb = paytm::verify(FORM, body.as_bytes(), PAYTM_KEY).unwrap();
    let base = json!({"ORDERID": reference().to_string(), "TXNID": "20261123111212800110168",
        "TXNAMOUNT": "2", "STATUS": "TXN_SUCCESS"});
    let with = |k: &str, v: &str| {
        let mut s = base.clone();
        s[k] = json!(v);
        paytm::confirmed(&cb, s.to_string().as_bytes())
    };
    assert_eq!(
        with("STATUS", "TXN_FAILURE"),
        Err(ConfirmError::NotSucceeded {
            status: "TXN_FAILURE".into()
        })
    );
    assert!(matches!(
        with("STATUS", "PENDING"),
        Err(ConfirmError::NotSucceeded { .. })
    ));
    assert_eq!(
        with("TXNAMOUNT", "2.01"),
        Err(ConfirmError::Differs { field: "TXNAMOUNT" })
    );
    assert_eq!(
        with("TXNID", "other"),
        Err(ConfirmError::Differs { field: "TXNID" })
    );
    assert_eq!(
        with("ORDERID", &ProviderRef::new(id(ORDER), id(1)).to_string()),
        Err(ConfirmError::Differs { field: "ORDERID" })
    );
    assert!(matches!(
        paytm::confirmed(&cb, b"<html>"),
        Err(ConfirmError::Malformed { field: "body", .. })
    ));
}

#[test]
fn paytm_json_body_and_failure() {
    let f = signed_paytm("10.50", "TXN_FAILURE");
    let obj: serde_json::Map<String, Value> =
        f.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let body = Value::Object(obj).to_string();
    let cb = paytm::verify(
        "application/json; charset=utf-8",
        body.as_bytes(),
        PAYTM_KEY,
    )
    .unwrap();
    assert_eq!(cb.outcome, Outcome::Failed);
    assert!(!cb.confirm_required);
    assert_eq!(
        to_event(&cb, id(ORDER), &inr(1050)).unwrap().kind,
        EventKind::AttemptFailed {
            attempt: id(ATTEMPT)
        }
    );
    let pending = form_body(&signed_paytm("10.50", "PENDING"));
    let cb = paytm::verify(FORM, pending.as_bytes(), PAYTM_KEY).unwrap();
    assert_eq!(
        to_event(&cb, id(ORDER), &inr(1050)).unwrap().kind,
        EventKind::AttemptProcessing {
            attempt: id(ATTEMPT)
        }
    );
}

#[test]
fn paytm_rejects_everything_unverifiable() {
    let good = signed_paytm("2.00", "TXN_SUCCESS");
    let verify = |f: &[(String, String)]| paytm::verify(FORM, form_body(f).as_bytes(), PAYTM_KEY);
    assert!(verify(&good).is_ok());
    // Tampered after signing.
    for (k, v) in [
        ("TXNAMOUNT", "20.00"),
        (
            "ORDERID",
            &ProviderRef::new(id(ORDER + 1), id(ATTEMPT)).to_string(),
        ),
        ("STATUS", "TXN_FAILURE"),
        ("RESPMSG", "x"),
    ] {
        let mut f = good.clone();
        set(&mut f, k, v);
        assert_eq!(verify(&f), Err(CallbackError::Unverified), "{k}");
    }
    // An added field is covered too.
    let mut f = good.clone();
    f.push(("EXTRA".into(), "1".into()));
    assert_eq!(verify(&f), Err(CallbackError::Unverified));
    // Flipped checksum character; no checksum; wrong merchant key.
    let mut f = good.clone();
    let hash = f.last().unwrap().1.clone();
    let flipped = if hash.starts_with('A') { "B" } else { "A" }.to_owned() + &hash[1..];
    set(&mut f, "CHECKSUMHASH", &flipped);
    assert_eq!(verify(&f), Err(CallbackError::Unverified));
    assert_eq!(
        verify(&good[..good.len() - 1]),
        Err(CallbackError::Unverified)
    );
    let mut f = paytm_fields("2.00", "TXN_SUCCESS");
    sign_paytm(&mut f, b"wwwwwwwwwwwwwwww");
    assert_eq!(verify(&f), Err(CallbackError::Unverified));
    // Malformed encodings and duplicate keys cannot be verified.
    let body = form_body(&good);
    for bad in [
        format!("{body}&ORDERID={}", enc(&reference().to_string())),
        format!("{body}&X=%G1"),
        format!("{body}&"),
        format!("{body}&X"),
    ] {
        assert_eq!(
            paytm::verify(FORM, bad.as_bytes(), PAYTM_KEY),
            Err(CallbackError::Unverified),
            "{bad}"
        );
    }
    // JSON with a non-string value, or a duplicated member.
    assert_eq!(
        paytm::verify(
            "application/json",
            br#"{"ORDERID":1,"CHECKSUMHASH":"x"}"#,
            PAYTM_KEY
        ),
        Err(CallbackError::Unverified)
    );
    assert_eq!(
        paytm::verify(
            "application/json",
            br#"{"A":"1","A":"2","CHECKSUMHASH":"x"}"#,
            PAYTM_KEY
        ),
        Err(CallbackError::Unverified)
    );
    // Wrong content type.
    for ct in ["text/plain", "", "multipart/form-data; boundary=x"] {
        assert_eq!(
            paytm::verify(ct, body.as_bytes(), PAYTM_KEY),
            Err(CallbackError::UnsupportedContentType)
        );
    }
    assert!(paytm::verify(
        "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
        body.as_bytes(),
        PAYTM_KEY
    )
    .is_ok());
}

#[test]
fn paytm_malformed_only_after_verification() {
    let cases = [
        ("ORDERID", "12345x", "ORDERID"),
        ("STATUS", "TXN_MAYBE", "STATUS"),
        ("TXNAMOUNT", "2.001", "TXNAMOUNT"),
        ("TXNAMOUNT", "1e2", "TXNAMOUNT"),
        ("CURRENCY", "XXX", "CURRENCY"),
    ];
    for (k, v, field) in cases {
        let mut f = paytm_fields("2.00", "TXN_SUCCESS");
        set(&mut f, k, v);
        sign_paytm(&mut f, PAYTM_KEY);
        match paytm::verify(FORM, form_body(&f).as_bytes(), PAYTM_KEY) {
            Err(CallbackError::Malformed { field: got, .. }) => assert_eq!(got, field, "{k}={v}"),
            other => panic!("{k}={v}: {other:?}"),
        }
    }
}

#[test]
fn repeated_content_type_is_no_media_type() {
    use crate::callback::media_type;
    assert_eq!(
        media_type("Application/JSON; charset=utf-8"),
        "application/json"
    );
    assert_eq!(
        media_type("application/json; charset=utf-8, text/plain"),
        ""
    );
}

#[test]
fn paytm_renamed_parameter_is_refused() {
    // The checksum covers values ordered by name, not names: CURRENCY → CTRRENCY keeps
    // the order of values, so the checksum still verifies — the name check refuses it.
    let mut f = paytm_fields("2.00", "TXN_SUCCESS");
    sign_paytm(&mut f, PAYTM_KEY);
    let body = form_body(&f).replace("CURRENCY=", "CTRRENCY=");
    match paytm::verify(FORM, body.as_bytes(), PAYTM_KEY) {
        Err(CallbackError::Malformed { field: "body", .. }) => {}
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------- Lianshang (S3)

fn s3_notify(status: &str) -> Value {
    json!({"notify_id": "ln_wk1_SUCCESS", "merchant_id": "yx001",
        "out_trade_id": reference().to_string(), "wk_trade_id": "wk1", "pay_amount": 200,
        "pay_currency": "CNY", "trade_status": status, "notify_time": "1763900000000"})
}

fn signed_s3(mut msg: Value, key: &PrivateKey) -> Value {
    sign_message(&mut msg, key, SignAlg::Rsa2).unwrap();
    msg
}

#[test]
fn lianshang_valid_and_tampered() {
    let platform = fixtures::priv2048();
    let pubkey = fixtures::pub2048();
    let msg = signed_s3(s3_notify("SUCCESS"), &platform);
    let cb = lianshang::verify(msg.to_string().as_bytes(), &pubkey).unwrap();
    assert_eq!(cb.event_id, "lianshang:ln_wk1_SUCCESS");
    assert_eq!(cb.provider_txn, "wk1");
    assert!(!cb.confirm_required);
    assert_eq!(
        to_event(&cb, id(ORDER), &cny(200)).unwrap().kind,
        EventKind::AttemptSucceeded {
            attempt: id(ATTEMPT),
            provider: "lianshang".into()
        }
    );
    let fail = signed_s3(s3_notify("FAIL"), &platform);
    let cb = lianshang::verify(fail.to_string().as_bytes(), &pubkey).unwrap();
    assert_eq!(cb.outcome, Outcome::Failed);
    assert_eq!(cb.account.as_deref(), Some("yx001"));
    // Legacy RSA (SHA-1) is refused on notifies unless the legacy profile is allowed
    // (issue 14: the platform signs for every merchant, and SHA-1 collides).
    let mut legacy = s3_notify("SUCCESS");
    sign_message(&mut legacy, &platform, SignAlg::Rsa).unwrap();
    let legacy = legacy.to_string();
    assert_eq!(
        lianshang::verify(legacy.as_bytes(), &pubkey),
        Err(CallbackError::Unverified)
    );
    assert_eq!(
        lianshang::verify_with(legacy.as_bytes(), &pubkey, false),
        Err(CallbackError::Unverified)
    );
    let cb = lianshang::verify_with(legacy.as_bytes(), &pubkey, true).unwrap();
    assert_eq!(cb.provider_txn, "wk1");
    // RSA2 is accepted whether or not the legacy profile is.
    assert!(lianshang::verify_with(msg.to_string().as_bytes(), &pubkey, true).is_ok());

    for (k, v) in [
        ("pay_amount", json!(201)),
        (
            "out_trade_id",
            json!(ProviderRef::new(id(ORDER + 1), id(ATTEMPT)).to_string()),
        ),
        ("trade_status", json!("FAIL")),
        ("pay_currency", json!("USD")),
        ("security_type", json!("RSA")),
    ] {
        let mut m = msg.clone();
        m[k] = v;
        assert_eq!(
            lianshang::verify(m.to_string().as_bytes(), &pubkey),
            Err(CallbackError::Unverified),
            "{k}"
        );
    }
    let mut m = msg.clone();
    let sig = m["sign"].as_str().unwrap().to_owned();
    let flipped = if sig.starts_with('A') { "B" } else { "A" }.to_owned() + &sig[1..];
    m["sign"] = json!(flipped);
    assert_eq!(
        lianshang::verify(m.to_string().as_bytes(), &pubkey),
        Err(CallbackError::Unverified)
    );
    // Signed by another key.
    let wrong = signed_s3(s3_notify("SUCCESS"), &fixtures::priv1024());
    assert_eq!(
        lianshang::verify(wrong.to_string().as_bytes(), &pubkey),
        Err(CallbackError::Unverified)
    );
    // A duplicated member is refused before anything else.
    let text = msg.to_string();
    let dup = text.replacen("{", r#"{"pay_amount":1,"#, 1);
    assert_eq!(
        lianshang::verify(dup.as_bytes(), &pubkey),
        Err(CallbackError::Unverified)
    );
    assert_eq!(
        lianshang::verify(b"not json", &pubkey),
        Err(CallbackError::Unverified)
    );
}

#[test]
fn lianshang_malformed_after_verification() {
    let platform = fixtures::priv2048();
    for (k, v, field) in [
        ("pay_amount", json!(-1), "pay_amount"),
        ("pay_amount", json!(2.5), "pay_amount"),
        ("pay_currency", json!("cny"), "pay_currency"),
        ("trade_status", json!("WAIT"), "trade_status"),
        ("out_trade_id", json!("abc"), "out_trade_id"),
        ("notify_id", json!(""), "notify_id"),
        ("merchant_id", json!(""), "merchant_id"),
        ("merchant_id", json!(7), "merchant_id"),
    ] {
        let mut m = s3_notify("SUCCESS");
        m[k] = v;
        let m = signed_s3(m, &platform);
        match lianshang::verify(m.to_string().as_bytes(), &fixtures::pub2048()) {
            Err(CallbackError::Malformed { field: got, .. }) => assert_eq!(got, field, "{k}"),
            other => panic!("{k}: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------- Ping++ (S4)

fn pingpp_event(kind: &str) -> Value {
    let object = if kind == "charge.succeeded" {
        json!({"id": "ch_1", "object": "charge", "paid": true, "order_no": reference().to_string(),
            "amount": 1000, "currency": "cny", "channel": "alipay", "app": "app_1"})
    } else {
        json!({"id": "re_1", "object": "refund", "order_no": reference().to_string(), "amount": 1000,
            "succeed": true, "status": "succeeded", "charge": "ch_1",
            "charge_order_no": reference().to_string()})
    };
    json!({"id": "evt_1", "object": "event", "type": kind, "created": 1_763_900_000,
        "livemode": false, "data": {"object": object}})
}

fn sign_raw(body: &str, key: &PrivateKey) -> String {
    rsa_sig::sign(key, SignAlg::Rsa2, body.as_bytes()).unwrap()
}

#[test]
fn pingpp_valid_events_map() {
    let key = sandbox_priv("pingpp.pkcs8.pem");
    let pubkey = sandbox_pub("pingpp.spki.pem");
    let body = pingpp_event("charge.succeeded").to_string();
    let cb = pingpp::verify(body.as_bytes(), &sign_raw(&body, &key), &pubkey).unwrap();
    assert_eq!(cb.event_id, "pingpp:evt_1");
    assert_eq!(
        cb.amount,
        CallbackAmount::Fiat(Money::new(Currency::Cny, 1000))
    );
    assert_eq!(cb.provider_txn, "ch_1");
    assert_eq!(cb.account.as_deref(), Some("app_1"));
    assert_eq!(cb.refunded_txn, None);
    assert_eq!(
        to_event(&cb, id(ORDER), &cny(1000)).unwrap().kind,
        EventKind::AttemptSucceeded {
            attempt: id(ATTEMPT),
            provider: "pingpp".into()
        }
    );
    let body = pingpp_event("refund.succeeded").to_string();
    let cb = pingpp::verify(body.as_bytes(), &sign_raw(&body, &key), &pubkey).unwrap();
    assert_eq!(cb.amount, CallbackAmount::Minor(1000));
    assert_eq!(cb.provider_txn, "re_1");
    assert_eq!(cb.refunded_txn.as_deref(), Some("ch_1"));
    assert_eq!(cb.account, None, "a Ping++ refund object names no app");
    assert_eq!(
        to_event(&cb, id(ORDER), &cny(1000)).unwrap_err().field(),
        "refund",
        "a refund callback names its refund through refund_event"
    );
    let refund = id(77);
    assert_eq!(
        refund_event(&cb, id(ORDER), refund, &cny(1000)).unwrap(),
        Event::new(
            "pingpp:evt_1",
            EventKind::RefundSucceeded {
                refund,
                provider: "pingpp".into(),
                amount: Some(1000),
            }
        )
    );
    assert_eq!(
        refund_event(&cb, id(ORDER), refund, &cny(999))
            .unwrap_err()
            .field(),
        "amount"
    );
    assert_eq!(
        refund_event(&cb, id(ORDER + 1), refund, &cny(1000))
            .unwrap_err()
            .field(),
        "order_id"
    );
}

#[test]
fn pingpp_rejects_tampering() {
    let key = sandbox_priv("pingpp.pkcs8.pem");
    let pubkey = sandbox_pub("pingpp.spki.pem");
    let body = pingpp_event("charge.succeeded").to_string();
    let sig = sign_raw(&body, &key);
    for tampered in [
        body.replace("1000", "1001"),
        body.replace(
            &reference().to_string(),
            &ProviderRef::new(id(ORDER), id(1)).to_string(),
        ),
        body.replace("\"cny\"", "\"usd\""),
        format!("{body} "),
    ] {
        assert_eq!(
            pingpp::verify(tampered.as_bytes(), &sig, &pubkey),
            Err(CallbackError::Unverified)
        );
    }
    let flipped = if sig.starts_with('A') { "B" } else { "A" }.to_owned() + &sig[1..];
    assert_eq!(
        pingpp::verify(body.as_bytes(), &flipped, &pubkey),
        Err(CallbackError::Unverified)
    );
    assert_eq!(
        pingpp::verify(body.as_bytes(), "", &pubkey),
        Err(CallbackError::Unverified)
    );
    let impostor = sign_raw(&body, &sandbox_priv("impostor.pkcs8.pem"));
    assert_eq!(
        pingpp::verify(body.as_bytes(), &impostor, &pubkey),
        Err(CallbackError::Unverified)
    );
    // The wallet's key is not Ping++'s key.
    assert_eq!(
        pingpp::verify(body.as_bytes(), &sig, &sandbox_pub("wallet.spki.pem")),
        Err(CallbackError::Unverified)
    );
}

#[test]
fn pingpp_malformed_after_verification() {
    let key = sandbox_priv("pingpp.pkcs8.pem");
    let pubkey = sandbox_pub("pingpp.spki.pem");
    let mut upper = pingpp_event("charge.succeeded");
    upper["data"]["object"]["currency"] = json!("CNY");
    let mut unpaid = pingpp_event("charge.succeeded");
    unpaid["data"]["object"]["paid"] = json!(false);
    let mut other = pingpp_event("charge.succeeded");
    other["type"] = json!("charge.failed");
    let mut no_app = pingpp_event("charge.succeeded");
    no_app["data"]["object"]
        .as_object_mut()
        .unwrap()
        .remove("app");
    let mut no_charge = pingpp_event("refund.succeeded");
    no_charge["data"]["object"]
        .as_object_mut()
        .unwrap()
        .remove("charge");
    let mut bad_app = pingpp_event("refund.succeeded");
    bad_app["data"]["object"]["app"] = json!(7);
    for (ev, field) in [
        (upper, "currency"),
        (unpaid, "paid"),
        (other, "type"),
        (no_app, "app"),
        (no_charge, "charge"),
        (bad_app, "app"),
    ] {
        let body = ev.to_string();
        match pingpp::verify(body.as_bytes(), &sign_raw(&body, &key), &pubkey) {
            Err(CallbackError::Malformed { field: got, .. }) => assert_eq!(got, field),
            o => panic!("{field}: {o:?}"),
        }
    }
}

// ---------------------------------------------------------------- Wallet

fn wallet_notification(status: NotifyStatus, amount: &str) -> Notification {
    Notification {
        notify_id: "wn_w1_s".into(),
        order_id: ProviderRef::new(id(ORDER), id(ATTEMPT)),
        trade_id: "w1".into(),
        status,
        token_id: "USDT".into(),
        amount: amount.into(),
        time: "1763900000000".into(),
    }
}

#[test]
fn wallet_valid_and_tampered() {
    let key = sandbox_priv("wallet.pkcs8.pem");
    let pubkey = sandbox_pub("wallet.spki.pem");
    let tokens = TokenTable::builtin();
    let order_amount = OrderAmount::Token {
        token: "USDT".into(),
        amount: tokens.parse("amount", "USDT", "12.5").unwrap(),
    };
    let msg = notify::sign(
        &wallet_notification(NotifyStatus::Success, "12.500000"),
        &key,
        SignAlg::Rsa2,
    )
    .unwrap();
    let cb = wallet::verify(msg.to_string().as_bytes(), &pubkey, &tokens).unwrap();
    assert_eq!(cb.reference, ProviderRef::new(id(ORDER), id(ATTEMPT)));
    assert_eq!(cb.event_id, "wallet:wn_w1_s");
    assert_eq!(
        to_event(&cb, id(ORDER), &order_amount).unwrap().kind,
        EventKind::AttemptSucceeded {
            attempt: id(ATTEMPT),
            provider: "wallet".into()
        }
    );
    for (status, kind) in [
        (
            NotifyStatus::Failed,
            EventKind::AttemptFailed {
                attempt: id(ATTEMPT),
            },
        ),
        (
            NotifyStatus::Processing,
            EventKind::AttemptProcessing {
                attempt: id(ATTEMPT),
            },
        ),
    ] {
        let m = notify::sign(&wallet_notification(status, "12.5"), &key, SignAlg::Rsa2).unwrap();
        let cb = wallet::verify(m.to_string().as_bytes(), &pubkey, &tokens).unwrap();
        assert_eq!(to_event(&cb, id(ORDER), &order_amount).unwrap().kind, kind);
    }
    for (k, v) in [
        ("amount", json!("12.6")),
        ("order_id", json!((ORDER + 1).to_string())),
        ("status", json!("FAILED")),
    ] {
        let mut m = msg.clone();
        m[k] = v;
        assert_eq!(
            wallet::verify(m.to_string().as_bytes(), &pubkey, &tokens),
            Err(CallbackError::Unverified),
            "{k}"
        );
    }
    let impostor = notify::sign(
        &wallet_notification(NotifyStatus::Success, "12.5"),
        &sandbox_priv("impostor.pkcs8.pem"),
        SignAlg::Rsa2,
    )
    .unwrap();
    assert_eq!(
        wallet::verify(impostor.to_string().as_bytes(), &pubkey, &tokens),
        Err(CallbackError::Unverified)
    );
    // Unknown token or too many decimals: verified, then malformed.
    let mut n = wallet_notification(NotifyStatus::Success, "1");
    n.token_id = "DOGE".into();
    let m = notify::sign(&n, &key, SignAlg::Rsa2).unwrap();
    assert!(matches!(
        wallet::verify(m.to_string().as_bytes(), &pubkey, &tokens),
        Err(CallbackError::Malformed {
            field: "token_id",
            ..
        })
    ));
    let m = notify::sign(
        &wallet_notification(NotifyStatus::Success, "1.0000001"),
        &key,
        SignAlg::Rsa2,
    )
    .unwrap();
    assert!(matches!(
        wallet::verify(m.to_string().as_bytes(), &pubkey, &tokens),
        Err(CallbackError::Malformed {
            field: "amount",
            ..
        })
    ));
}

// ---------------------------------------------------------------- to_event

fn cb(amount: CallbackAmount, outcome: Outcome) -> VerifiedCallback {
    VerifiedCallback {
        provider: Provider::Lianshang,
        event_id: "lianshang:n1".into(),
        reference: reference(),
        outcome,
        amount,
        provider_txn: "wk1".into(),
        confirm_required: false,
        account: Some("yx001".into()),
        refunded_txn: None,
    }
}

#[test]
fn to_event_names_what_differs() {
    let fiat = |c, m| CallbackAmount::Fiat(Money::new(c, m));
    let ok = cb(fiat(Currency::Cny, 200), Outcome::Succeeded);
    assert!(to_event(&ok, id(ORDER), &cny(200)).is_ok());
    assert_eq!(
        to_event(&ok, id(ORDER + 1), &cny(200)),
        Err(MismatchError::OrderId {
            expected: id(ORDER + 1),
            got: id(ORDER)
        })
    );
    let e = to_event(&ok, id(ORDER), &cny(201)).unwrap_err();
    assert_eq!(e.field(), "amount");
    assert_eq!(
        e.to_string(),
        "amount: callback says 2.00 CNY, order is 2.01 CNY"
    );
    assert_eq!(
        to_event(&ok, id(ORDER), &inr(200)),
        Err(MismatchError::Currency {
            expected: "INR".into(),
            got: "CNY".into()
        })
    );
    let tokens = TokenTable::builtin();
    let usdt = OrderAmount::Token {
        token: "USDT".into(),
        amount: tokens.parse("amount", "USDT", "1").unwrap(),
    };
    assert_eq!(
        to_event(&ok, id(ORDER), &usdt).unwrap_err().field(),
        "currency"
    );
    let btc = cb(
        CallbackAmount::Token {
            token: "BTC".into(),
            amount: tokens.parse("amount", "BTC", "1").unwrap(),
        },
        Outcome::Succeeded,
    );
    assert_eq!(
        to_event(&btc, id(ORDER), &usdt).unwrap_err().field(),
        "currency"
    );
    assert_eq!(
        to_event(&btc, id(ORDER), &cny(100)).unwrap_err().field(),
        "currency"
    );
    let usdt_more = cb(
        CallbackAmount::Token {
            token: "USDT".into(),
            amount: tokens.parse("amount", "USDT", "1.000001").unwrap(),
        },
        Outcome::Succeeded,
    );
    assert_eq!(
        to_event(&usdt_more, id(ORDER), &usdt).unwrap_err().field(),
        "amount"
    );
    // Exact across precisions: 1 USDT written with 8 decimals is still 1 USDT.
    let same = cb(
        CallbackAmount::Token {
            token: "USDT".into(),
            amount: crate::money::TokenAmount::parse("amount", "1.00000000", 8).unwrap(),
        },
        Outcome::Succeeded,
    );
    assert!(to_event(&same, id(ORDER), &usdt).is_ok());
    let refund = cb(CallbackAmount::Minor(200), Outcome::Refunded);
    let r = id(9);
    assert!(refund_event(&refund, id(ORDER), r, &cny(200)).is_ok());
    assert_eq!(
        refund_event(&refund, id(ORDER), r, &usdt)
            .unwrap_err()
            .field(),
        "currency"
    );
    // Before the refund is known: the order and the currency, not the amount (a
    // partial refund of a 1000 order is 200).
    assert_eq!(refund_of_order(&refund, id(ORDER), &cny(1000)), Ok(()));
    assert_eq!(
        refund_of_order(&refund, id(ORDER), &usdt)
            .unwrap_err()
            .field(),
        "currency"
    );
    assert_eq!(
        refund_of_order(&refund, id(ORDER + 1), &cny(1000))
            .unwrap_err()
            .field(),
        "order_id"
    );
}

#[test]
fn answers_are_what_providers_expect() {
    let paytm = answer(Provider::Paytm);
    let expected =
        serde_json::to_string(&crate::surfaces::s1::wire::CallbackResponse::ok(true)).unwrap();
    assert_eq!(paytm.body, expected);
    assert_eq!(answer(Provider::Lianshang).body, "SUCCESS");
    let p = answer(Provider::Pingpp);
    assert_eq!((p.status, p.body.as_str(), p.content_type), (200, "", None));
    assert_eq!(answer(Provider::Wallet).body, r#"{"code":0}"#);
    assert_eq!(
        media_type(" Application/JSON ; charset=utf-8"),
        "application/json"
    );
}

#[test]
fn paytm_vectors() {
    let doc: Value =
        serde_json::from_str(include_str!("../../../tests/vectors/callbacks/paytm.json")).unwrap();
    let key = doc["merchant_key"].as_str().unwrap().as_bytes();
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let got = paytm::verify(
            case["content_type"].as_str().unwrap(),
            case["body"].as_str().unwrap().as_bytes(),
            key,
        );
        let expect = &case["expect"];
        match (got, expect.as_str()) {
            (Err(CallbackError::Unverified), Some("unverified"))
            | (Err(CallbackError::UnsupportedContentType), Some("unsupported_content_type")) => {}
            (Ok(cb), None) => {
                assert_eq!(cb.reference.to_string(), expect["reference"], "{name}");
                assert_eq!(cb.outcome, Outcome::Succeeded, "{name}");
                assert_eq!(
                    cb.amount,
                    CallbackAmount::Fiat(Money::new(
                        Currency::from_code("currency", expect["currency"].as_str().unwrap())
                            .unwrap(),
                        expect["minor"].as_u64().unwrap()
                    )),
                    "{name}"
                );
                assert_eq!(cb.event_id, expect["event_id"], "{name}");
                assert_eq!(cb.provider_txn, expect["provider_txn"], "{name}");
                assert_eq!(Value::Bool(cb.confirm_required), expect["confirm_required"]);
            }
            (got, _) => panic!("{name}: got {got:?}, expected {expect}"),
        }
    }
}

// ---------------------------------------------------------------- edge hand-off

#[test]
fn verified_callback_survives_json() {
    let mut f = paytm_fields("2.00", "TXN_SUCCESS");
    sign_paytm(&mut f, PAYTM_KEY);
    let cb = paytm::verify(FORM, form_body(&f).as_bytes(), PAYTM_KEY).unwrap();
    let json = serde_json::to_string(&cb).unwrap();
    assert_eq!(serde_json::from_str::<VerifiedCallback>(&json).unwrap(), cb);
    // The reference travels as its wire string, bare or not.
    let bare = ProviderRef::bare(reference().order);
    let v = serde_json::to_value(bare).unwrap();
    assert_eq!(v, json!(reference().order.to_string()));
    assert_eq!(serde_json::from_value::<ProviderRef>(v).unwrap(), bare);
    assert!(serde_json::from_value::<ProviderRef>(json!("1A1")).is_err());
}

#[test]
fn refusals_in_each_providers_form() {
    let p = reject(Provider::Paytm, 409, "amount: does not match the order");
    assert_eq!(p.status, 409);
    let body: Value = serde_json::from_str(&p.body).unwrap();
    assert_eq!(
        body,
        json!({"code": 400, "data": false, "message": "amount: does not match the order"})
    );
    let p = reject(Provider::Paytm, 503, "retry");
    assert_eq!(serde_json::from_str::<Value>(&p.body).unwrap()["code"], 500);
    assert_eq!(reject(Provider::Lianshang, 401, "x").body, "FAIL");
    assert_eq!(reject(Provider::Pingpp, 401, "sign: bad").body, "sign: bad");
    let w: Value =
        serde_json::from_str(&reject(Provider::Wallet, 404, "no such order").body).unwrap();
    assert_eq!(w, json!({"code": 404, "message": "no such order"}));
    for p in [
        Provider::Paytm,
        Provider::Lianshang,
        Provider::Pingpp,
        Provider::Wallet,
    ] {
        assert!(reject(p, 400, "m").status >= 400);
        assert_eq!(answer(p).status, 200);
    }
}

#[test]
fn claimed_order_reads_only_the_reference() {
    let r = reference();
    let form = format!("ORDERID={r}&CHECKSUMHASH=garbage");
    assert_eq!(
        claimed_order(Provider::Paytm, FORM, form.as_bytes()),
        Some(r.order)
    );
    let j = json!({"ORDERID": r.to_string()}).to_string();
    assert_eq!(
        claimed_order(Provider::Paytm, "application/json", j.as_bytes()),
        Some(r.order)
    );
    let s3 = json!({"out_trade_id": r.to_string()}).to_string();
    assert_eq!(
        claimed_order(Provider::Lianshang, "", s3.as_bytes()),
        Some(r.order)
    );
    let pp = json!({"data": {"object": {"charge_order_no": r.to_string()}}}).to_string();
    assert_eq!(
        claimed_order(Provider::Pingpp, "", pp.as_bytes()),
        Some(r.order)
    );
    let w = json!({"order_id": 476_682_884_348_973_312_u64}).to_string();
    assert_eq!(
        claimed_order(Provider::Wallet, "", w.as_bytes()).map(|i| i.to_string()),
        Some("476682884348973312".to_owned())
    );
    for junk in [
        &b"\xff\xfe"[..],
        b"{",
        b"ORDERID=%zz",
        b"{\"order_id\": \"x\"}",
    ] {
        for p in [
            Provider::Paytm,
            Provider::Lianshang,
            Provider::Pingpp,
            Provider::Wallet,
        ] {
            assert_eq!(claimed_order(p, FORM, junk), None);
        }
    }
}
