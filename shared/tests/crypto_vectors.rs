//! Known-answer tests over `tests/vectors/crypto/*.json` (see `tests/vectors/README.md`,
//! section "crypto", for how each file was produced by an independent implementation).

// Helpers outside `#[test]` fns are test code too; clippy.toml only covers the latter.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use kassa_shared::crypto::{
    chunked, client_secret, hmac_sha256, jcs, rsa_sig, totp, webhook_sig, PrivateKey, PublicKey,
    SignAlg,
};
use kassa_shared::id::Id;
use kassa_shared::providers::lianshang::sign as s3;
use kassa_shared::providers::paytm::checksum::{self, Salt};
use kassa_shared::providers::pingpp::webhook as pingpp;
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/crypto")
}

/// The `cases` array of a vector file; fails loudly on an empty file so a broken
/// generator cannot make a test pass vacuously.
fn cases(file: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(dir().join(file)).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let cases = v["cases"].as_array().unwrap().clone();
    assert!(!cases.is_empty(), "{file}: no cases");
    cases
}

fn s<'a>(c: &'a Value, k: &str) -> &'a str {
    c[k].as_str()
        .unwrap_or_else(|| panic!("{k} missing in {c}"))
}

fn private(name: &str) -> PrivateKey {
    PrivateKey::parse(&std::fs::read_to_string(dir().join("keys").join(name)).unwrap()).unwrap()
}

fn public(name: &str) -> PublicKey {
    PublicKey::parse(&std::fs::read_to_string(dir().join("keys").join(name)).unwrap()).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn rfc6238_totp() {
    for c in cases("rfc6238_totp.json") {
        let digits = u32::try_from(c["digits"].as_u64().unwrap()).unwrap();
        let t = totp::Totp::from_base32(s(&c, "secret_base32"))
            .unwrap()
            .with_digits(digits)
            .unwrap();
        let time = c["time"].as_u64().unwrap();
        assert_eq!(t.code_at(time), s(&c, "code"), "{c}");
        assert_eq!(t.verify(s(&c, "code"), time, 1), Ok(time / 30), "{c}");
    }
}

#[test]
fn rfc4231_hmac_sha256() {
    for c in cases("rfc4231_hmac_sha256.json") {
        let mac = hex(&hmac_sha256(
            &unhex(s(&c, "key_hex")),
            &[&unhex(s(&c, "data_hex"))],
        ));
        assert!(mac.starts_with(s(&c, "hmac_sha256_hex")), "{c}: got {mac}");
    }
}

#[test]
fn rfc8785_jcs() {
    for c in cases("rfc8785_jcs.json") {
        assert_eq!(
            jcs::canonicalize_str(s(&c, "input")).unwrap(),
            s(&c, "canonical"),
            "{}",
            c["source"]
        );
    }
}

#[test]
fn openssl_rsa_signatures() {
    for c in cases("rsa_signatures.json") {
        let alg: SignAlg = s(&c, "security_type").parse().unwrap();
        let (k, p) = (private(s(&c, "private_key")), public(s(&c, "public_key")));
        let msg = s(&c, "message").as_bytes();
        // PKCS#1 v1.5 signatures are deterministic: ours must equal openssl's byte for byte.
        assert_eq!(
            rsa_sig::sign(&k, alg, msg).unwrap(),
            s(&c, "signature"),
            "{c}"
        );
        assert_eq!(rsa_sig::verify(&p, alg, msg, s(&c, "signature")), Ok(()));
        let other = if alg == SignAlg::Rsa2 {
            SignAlg::Rsa
        } else {
            SignAlg::Rsa2
        };
        assert!(rsa_sig::verify(&p, other, msg, s(&c, "signature")).is_err());
        if alg == SignAlg::Rsa2 {
            assert_eq!(pingpp::verify(msg, s(&c, "signature"), &p), Ok(()));
            assert!(pingpp::verify(b"tampered", s(&c, "signature"), &p).is_err());
        }
    }
}

#[test]
fn s3_signed_messages() {
    for c in cases("s3_signed_messages.json") {
        let signed = &c["signed"];
        assert_eq!(
            s3::signing_string(signed).unwrap(),
            s(&c, "signing_string"),
            "{}",
            c["name"]
        );
        let p = public(s(&c, "public_key"));
        let alg = s3::verify_message(signed, &p).unwrap();
        // Re-signing the unsigned message reproduces the openssl signature in place.
        let mut fresh = signed.clone();
        for holder in s3::SIGNATURE_HOLDERS {
            if let Some(o) = fresh.get_mut(holder).and_then(Value::as_object_mut) {
                o.remove("sign");
                o.remove("security_type");
            }
        }
        s3::sign_message(&mut fresh, &private(s(&c, "private_key")), alg).unwrap();
        assert_eq!(&fresh, signed, "{}", c["name"]);
        let mut tampered = signed.clone();
        tampered["newBaseData"]["request_id"] = "000002".into();
        tampered["newBaseResponseData"]["request_id"] = "000002".into();
        assert!(s3::verify_message(&tampered, &p).is_err());
    }
}

#[test]
fn pycryptodome_chunked_rsa() {
    let b64 = base64::engine::general_purpose::STANDARD;
    for c in cases("chunked_rsa.json") {
        let k = private(s(&c, "private_key"));
        let gz = c["gzip"].as_bool().unwrap();
        let want = b64.decode(s(&c, "plaintext_b64")).unwrap();
        assert_eq!(
            chunked::decrypt(&k, s(&c, "res_data"), gz).unwrap(),
            want,
            "{c}"
        );
    }
}

#[test]
fn python_paytm_checksum() {
    for c in cases("paytm_checksum.json") {
        let params: BTreeMap<String, Option<String>> =
            serde_json::from_value(c["params"].clone()).unwrap();
        let key = s(&c, "merchant_key").as_bytes();
        let salt = Salt::new(s(&c, "salt")).unwrap();
        assert_eq!(
            checksum::generate(&params, key, &salt).unwrap(),
            s(&c, "checksum"),
            "{}",
            c["name"]
        );
        assert_eq!(checksum::verify(&params, key, s(&c, "checksum")), Ok(()));
        let mut changed = params.clone();
        changed.insert("TXN_AMOUNT".into(), Some("200".into()));
        assert!(checksum::verify(&changed, key, s(&c, "checksum")).is_err());
    }
}

#[test]
fn python_webhook_signatures() {
    for c in cases("webhook_sig.json") {
        let (secret, body, t) = (
            s(&c, "secret").as_bytes(),
            s(&c, "body").as_bytes(),
            c["timestamp"].as_u64().unwrap(),
        );
        assert_eq!(webhook_sig::sign(secret, t, body), s(&c, "header"));
        assert_eq!(
            webhook_sig::verify(&[secret], s(&c, "header"), body, t, 300),
            Ok(t)
        );
    }
}

#[test]
fn python_client_secrets() {
    for c in cases("client_secret.json") {
        let claims = client_secret::Claims {
            order_id: Id::parse("order_id", s(&c, "order_id")).unwrap(),
            user_id: s(&c, "user_id").to_owned(),
            expires_at: c["expires_at"].as_u64().unwrap(),
        };
        let secret = s(&c, "secret").as_bytes();
        let now = claims.expires_at - 1;
        assert_eq!(
            client_secret::verify(secret, s(&c, "token"), now).unwrap(),
            claims
        );
        assert_eq!(
            client_secret::issue(secret, &claims, now).unwrap(),
            s(&c, "token")
        );
    }
}
