//! WebCrypto for real, in headless Chromium (browsers have the same `crypto.subtle` as
//! workerd): `cd edge && CHROMEDRIVER=/usr/bin/chromedriver cargo test --target
//! wasm32-unknown-unknown -p kassa-edge --test webcrypto`.
//!
//! Every private-key result is checked against something independent of the edge: the
//! openssl signature vectors (PKCS#1 v1.5 is deterministic, so bytes must match),
//! `shared`'s verifier and chunked decryption (test side, fixture private keys), the
//! `rsa` crate's OAEP encryption, and published PBKDF2 vectors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(target_arch = "wasm32")]

// The browser tests compile the two modules into the test crate instead of linking the
// edge library: the library's `#[event(fetch)]` export is named `fetch` and would shadow
// the global `fetch` that wasm-bindgen's loader uses in the browser, so the test module
// could never load. Both modules are self-contained (they use only `shared`, `worker`
// and each other), so this tests exactly the code the Worker ships.
#[allow(dead_code, unused_imports)]
#[path = "../src/channels/mod.rs"]
mod channels;
#[allow(dead_code, unused_imports)]
#[path = "../src/webcrypto.rs"]
mod webcrypto;

use crate::channels::sign::{paytm_salt, sign_s3_message};
use crate::webcrypto::{OaepDecryptionKey, OaepPublicKey, SigningKey, WebCryptoError};
use base64::Engine as _;
use kassa_shared::crypto::{rsa_sig, PrivateKey, PublicKey, SignAlg};
use kassa_shared::money::{Currency, Money};
use kassa_shared::providers::lianshang::sign as s3sign;
use kassa_shared::providers::lianshang::wire::ProductSubject;
use kassa_shared::providers::lianshang::{self, PayOrder, S3Config};
use kassa_shared::serde_util::Redacted;
use serde_json::{json, Value};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const PRIV_2048: &str = include_str!("../../tests/vectors/crypto/keys/rsa2048.pkcs8.pem");
const PUB_2048: &str = include_str!("../../tests/vectors/crypto/keys/rsa2048.spki.pem");
const PRIV_1024: &str = include_str!("../../tests/vectors/crypto/keys/rsa1024.pkcs8.pem");
const PUB_1024: &str = include_str!("../../tests/vectors/crypto/keys/rsa1024.spki.pem");
const PRIV_2048_PKCS1: &str = include_str!("../../tests/vectors/crypto/keys/rsa2048.pkcs1.pem");
const PRIV_1024_PKCS1: &str = include_str!("../../tests/vectors/crypto/keys/rsa1024.pkcs1.pem");
const PRIV_1024_PKCS8_B64: &str = include_str!("../../tests/vectors/crypto/keys/rsa1024.pkcs8.b64");
const PRIV_1024_PKCS1_B64: &str = include_str!("../../tests/vectors/crypto/keys/rsa1024.pkcs1.b64");

const RSA_SIGNATURES: &str = include_str!("../../tests/vectors/crypto/rsa_signatures.json");
const S3_SIGNED: &str = include_str!("../../tests/vectors/crypto/s3_signed_messages.json");
const PBKDF2: &str = include_str!("../../tests/vectors/crypto/pbkdf2_sha256.json");

fn key_file(name: &str) -> &'static str {
    match name {
        "rsa2048.pkcs8.pem" => PRIV_2048,
        "rsa2048.spki.pem" => PUB_2048,
        "rsa1024.pkcs8.pem" => PRIV_1024,
        "rsa1024.spki.pem" => PUB_1024,
        other => panic!("no fixture {other}"),
    }
}

fn cases(doc: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(doc).unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

// --- RSASSA-PKCS1-v1_5 -------------------------------------------------------------------

#[wasm_bindgen_test]
async fn signatures_equal_openssl_vectors_and_verify_with_shared() {
    let all = cases(RSA_SIGNATURES);
    assert!(all.len() >= 20);
    for c in all {
        let alg: SignAlg = c["security_type"].as_str().unwrap().parse().unwrap();
        let msg = c["message"].as_str().unwrap().as_bytes();
        let key = SigningKey::import(key_file(c["private_key"].as_str().unwrap()), alg)
            .await
            .unwrap();
        let sig = key.sign(msg).await.unwrap();
        assert_eq!(b64(&sig), c["signature"].as_str().unwrap(), "{alg} {c}");
        let public = PublicKey::parse(key_file(c["public_key"].as_str().unwrap())).unwrap();
        rsa_sig::verify_raw(&public, alg, msg, &sig).unwrap();
    }
}

#[wasm_bindgen_test]
async fn every_private_key_form_signs_identically() {
    let msg = b"kassa";
    for alg in [SignAlg::Rsa2, SignAlg::Rsa] {
        let sign = |text| async move {
            SigningKey::import(text, alg)
                .await
                .unwrap()
                .sign(msg)
                .await
                .unwrap()
        };
        let want = sign(PRIV_1024).await;
        for text in [PRIV_1024_PKCS1, PRIV_1024_PKCS8_B64, PRIV_1024_PKCS1_B64] {
            assert_eq!(sign(text).await, want);
        }
        let big = SigningKey::import(PRIV_2048_PKCS1, alg).await.unwrap();
        let sig = big.sign_base64(msg).await.unwrap();
        rsa_sig::verify(&PublicKey::parse(PUB_2048).unwrap(), alg, msg, &sig).unwrap();
    }
    // PKCS#1 re-wrapping is byte-exact: it yields the openssl PKCS#8 DER.
    let from_pkcs1 = webcrypto::private_key_pkcs8_der(PRIV_1024_PKCS1).unwrap();
    let from_pkcs8 = webcrypto::private_key_pkcs8_der(PRIV_1024).unwrap();
    assert_eq!(from_pkcs1, from_pkcs8);
}

#[wasm_bindgen_test]
async fn bad_keys_are_refused_by_name_without_material() {
    for (text, want) in [
        ("", "is empty"),
        (PUB_2048, "PEM label"),
        ("AAAA", "neither a PKCS#8 nor a PKCS#1"),
        ("%%%", "not valid base64"),
    ] {
        let err = SigningKey::import(text, SignAlg::Rsa2).await.unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("webcrypto import private key: key"),
            "{msg}"
        );
        assert!(msg.contains(want), "{msg}");
    }
    let k = SigningKey::import(PRIV_1024, SignAlg::Rsa).await.unwrap();
    assert_eq!(format!("{k:?}"), "SigningKey(RSA, [redacted])");
}

// --- S3 createPayOrder -------------------------------------------------------------------

#[wasm_bindgen_test]
async fn s3_vector_messages_sign_like_openssl() {
    for c in cases(S3_SIGNED) {
        let signed = c["signed"].clone();
        let holder = ["newBizData", "newBizResponseData"]
            .into_iter()
            .find(|h| signed.get(h).is_some())
            .unwrap();
        let alg: SignAlg = signed[holder]["security_type"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let key = SigningKey::import(key_file(c["private_key"].as_str().unwrap()), alg)
            .await
            .unwrap();
        let mut unsigned = signed.clone();
        unsigned[holder]["sign"] = json!("");
        sign_s3_message(&mut unsigned, &key).await.unwrap();
        assert_eq!(unsigned, signed, "{}", c["name"]);
    }
}

/// Merchant key = rsa2048 (signs), platform key = rsa1024 (encrypts; test side decrypts).
fn s3_config(gzip: bool, alg: SignAlg) -> S3Config {
    S3Config {
        base_url: "http://127.0.0.1:9/s3".into(),
        cashier_url: "http://127.0.0.1:9/s3/cashier".into(),
        merchant_id: "yx001".into(),
        settlement_id: "st01".into(),
        appid: "1001".into(),
        platform: "H5".into(),
        version: "2".into(),
        pay_way: "CCB_kj,acbc_kj".into(),
        private_key: Redacted::new(PRIV_2048),
        platform_public_key: PublicKey::parse(PUB_1024).unwrap(),
        alg,
        allow_rsa1: false,
        gzip,
        notify_url: "http://127.0.0.1:8787/callbacks/lianshang".into(),
        timeout: core::time::Duration::from_secs(2),
    }
}

fn s3_order() -> PayOrder {
    PayOrder {
        reference: kassa_shared::callback::ProviderRef::parse(
            "reference",
            "476682884348973312A476682884348973313",
        )
        .unwrap(),
        amount: Money::new(Currency::Cny, 200),
        user_id: Some("u-1".into()),
        items: vec![ProductSubject {
            channel_goods_code: "yxzb01".into(),
            channel_goods_subject: "钓鱼达人".into(),
            channel_goods_desc: None,
            channel_goods_sum: "1".into(),
            channel_goods_price: "200".into(),
            channel_goods_img: None,
            rights_type: None,
            rights_price: None,
        }],
        merchant_url: "https://shop.example/back".into(),
        callback_url: "https://shop.example/done".into(),
        pay_expire_min: 30,
        request_id: "att-1".into(),
        time_stamp: "20261123120700".into(),
    }
}

#[wasm_bindgen_test]
async fn s3_request_decrypts_and_verifies_with_shared() {
    let platform_priv = PrivateKey::parse(PRIV_1024).unwrap();
    let merchant_pub = PublicKey::parse(PUB_2048).unwrap();
    for (gzip, alg) in [
        (false, SignAlg::Rsa2),
        (true, SignAlg::Rsa2),
        (false, SignAlg::Rsa),
    ] {
        let cfg = s3_config(gzip, alg);
        let key = SigningKey::import(cfg.private_key.expose(), alg)
            .await
            .unwrap();
        // Signed here through WebCrypto, everything else as `shared` builds it.
        let mut signed = lianshang::build_message(&cfg, &s3_order()).unwrap();
        sign_s3_message(&mut signed, &key).await.unwrap();
        let exchange = lianshang::create_pay_order(&cfg, &signed, &mut rand_core::OsRng).unwrap();
        let req = exchange.request();
        assert_eq!(req.url, "http://127.0.0.1:9/s3/pai/createPayOrder");
        let envelope: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
        assert_eq!(envelope.as_object().unwrap().len(), 1);
        let message = s3sign::decode_res_data(&envelope, &platform_priv).unwrap();
        assert_eq!(s3sign::verify_message(&message, &merchant_pub), Ok(alg));
        let biz = &message["newBizData"];
        assert_eq!(biz["out_trade_id"], "476682884348973312A476682884348973313");
        assert_eq!(biz["pay_amount"], 200);
        assert_eq!(biz["pay_currency"], "CNY");
        assert_eq!(biz["security_type"], alg.security_type());
        assert_eq!(
            message["newBaseData"]["compress_type"],
            if gzip { "1" } else { "0" }
        );
        assert_eq!(message["newBaseData"]["service_name"], "CreatePayOrder");
        // Tampering after signing is caught by the platform's verifier.
        let mut forged = message.clone();
        forged["newBizData"]["pay_amount"] = json!(1);
        assert!(s3sign::verify_message(&forged, &merchant_pub).is_err());
    }
}

// --- RSA-OAEP-SHA256 -----------------------------------------------------------------------

#[wasm_bindgen_test]
async fn oaep_round_trips_with_the_rsa_crate_and_webcrypto() {
    let dec = OaepDecryptionKey::import(PRIV_2048).await.unwrap();
    // Encrypted outside WebCrypto: the `rsa` crate's OAEP-SHA256 (public-key side).
    let public = PublicKey::parse(PUB_2048).unwrap();
    let ct = public
        .as_rsa()
        .encrypt(
            &mut rand_core::OsRng,
            rsa::Oaep::new::<sha2::Sha256>(),
            b"pay password 123456",
        )
        .unwrap();
    assert_eq!(dec.decrypt(&ct).await.unwrap(), b"pay password 123456");
    assert_eq!(
        dec.decrypt_base64(&b64(&ct)).await.unwrap(),
        b"pay password 123456"
    );
    // PKCS#1 private keys import too.
    let dec1 = OaepDecryptionKey::import(PRIV_2048_PKCS1).await.unwrap();
    assert_eq!(dec1.decrypt(&ct).await.unwrap(), b"pay password 123456");
    // A flipped bit fails opaquely.
    let mut bad = ct.clone();
    bad[10] ^= 1;
    assert!(matches!(
        dec.decrypt(&bad).await,
        Err(WebCryptoError::Rejected { ref name, .. }) if name == "OperationError"
    ));
    assert!(matches!(
        dec.decrypt_base64("%%").await,
        Err(WebCryptoError::Input { .. })
    ));
    assert_eq!(format!("{dec:?}"), "OaepDecryptionKey([redacted])");
}

#[wasm_bindgen_test]
async fn oaep_public_jwk() {
    // The JWK of a known key: n is the modulus, kid the RFC 7638 thumbprint.
    let fixed = OaepPublicKey::import(PUB_2048)
        .await
        .unwrap()
        .to_jwk()
        .await
        .unwrap();
    assert_eq!(fixed["kty"], "RSA");
    assert_eq!(fixed["alg"], "RSA-OAEP-256");
    assert_eq!(fixed["e"], "AQAB");
    assert!(fixed.get("d").is_none() && fixed.get("p").is_none());
    assert_eq!(fixed["kid"].as_str().unwrap().len(), 43);
    let n = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(fixed["n"].as_str().unwrap())
        .unwrap();
    use rsa::traits::PublicKeyParts as _;
    assert_eq!(
        n,
        PublicKey::parse(PUB_2048)
            .unwrap()
            .as_rsa()
            .n()
            .to_bytes_be()
    );
    use sha2::Digest as _;
    let thumb = sha2::Sha256::digest(
        format!(
            r#"{{"e":"AQAB","kty":"RSA","n":"{}"}}"#,
            fixed["n"].as_str().unwrap()
        )
        .as_bytes(),
    );
    assert_eq!(
        fixed["kid"].as_str().unwrap(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(thumb)
    );
}

// --- PBKDF2 --------------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn pbkdf2_sha256_matches_published_vectors() {
    let all = cases(PBKDF2);
    assert!(all.len() >= 8);
    for c in all {
        let iterations = u32::try_from(c["iterations"].as_u64().unwrap()).unwrap();
        let dk_len = usize::try_from(c["dk_len"].as_u64().unwrap()).unwrap();
        let (p, s) = (
            hex(c["password_hex"].as_str().unwrap()),
            hex(c["salt_hex"].as_str().unwrap()),
        );
        let got = webcrypto::pbkdf2_sha256_unchecked(&p, &s, iterations, dk_len)
            .await
            .unwrap();
        assert_eq!(got, hex(c["dk_hex"].as_str().unwrap()), "{}", c["name"]);
        if iterations >= webcrypto::PBKDF2_MIN_ITERATIONS {
            assert_eq!(
                webcrypto::pbkdf2_sha256(&p, &s, iterations, dk_len)
                    .await
                    .unwrap(),
                got
            );
        } else {
            assert!(matches!(
                webcrypto::pbkdf2_sha256(&p, &s, iterations, dk_len).await,
                Err(WebCryptoError::Input { .. })
            ));
        }
    }
}

// --- Paytm ---------------------------------------------------------------------------------

#[wasm_bindgen_test]
fn paytm_salt_comes_from_the_runtime() {
    // The checksum itself is `shared`'s (native tests); the salt is the runtime's CSPRNG.
    assert_eq!(paytm_salt().unwrap().as_str().len(), 4);
}
