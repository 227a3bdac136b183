//! Fuzz targets (see `fuzz_support`) for the security parsers: `Kassa-Signature`
//! headers, `client_secret` tokens, TOTP secrets and codes, one-time codes, RSA keys
//! (PEM / bare base64 DER), base64 RSA signatures, signed JSON (S3 / wallet), and the S3
//! `res_data` envelope (base64 → RSA blocks → optional gunzip → strict JSON). Besides
//! "no panic", each checks that what Kassa itself signs or issues from the same input
//! verifies, so the fuzzer also walks the accepting paths.

#![allow(clippy::unwrap_used, clippy::panic)]

mod fuzz_support;

use rand::{rngs::StdRng, SeedableRng};
use serde_json::{json, Value};

use fuzz_support::{fuzz, priv1024, pub1024, tests_dir, text};
use kassa_shared::crypto::client_secret::{self, Claims};
use kassa_shared::crypto::{
    chunked, jcs, rsa_sig, totp, webhook_sig, PrivateKey, PublicKey, Secret, SignAlg,
};
use kassa_shared::id::Id;
use kassa_shared::providers::lianshang::sign::{
    decode_res_data, encode_res_data, sign_message, signing_string, verify_message,
};
use kassa_shared::second_factor::{issue, GaState};

fn vector_field(file: &str, field: &str) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(tests_dir().join("vectors/crypto").join(file)).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| Some(c.get(field)?.as_str()?.as_bytes().to_vec()))
        .collect()
}

/// A u64 drawn from the first bytes of the input, so clocks are fuzzed too.
fn clock(input: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = input.len().min(8);
    b[..n].copy_from_slice(&input[..n]);
    u64::from_le_bytes(b)
}

#[test]
fn fuzz_webhook_signature_header() {
    let bases = vector_field("webhook_sig.json", "header");
    fuzz("kassa_signature", 1, bases, |input| {
        let header = text(input);
        for now in [0, 1_700_000_000, u64::MAX] {
            let _ = webhook_sig::verify(&[b"whsec_test"], &header, b"{}", now, 300);
            let _ = webhook_sig::verify::<&[u8]>(&[], &header, input, now, u64::MAX);
        }
        // What Kassa signs for this body verifies, at any clock.
        let t = clock(input);
        let signed = webhook_sig::sign(b"whsec_test", t, input);
        assert_eq!(
            webhook_sig::verify(&[b"whsec_test"], &signed, input, t, 300),
            Ok(t)
        );
    });
}

#[test]
fn fuzz_client_secret() {
    let bases = vector_field("client_secret.json", "token");
    fuzz("client_secret", 1, bases, |input| {
        let token = text(input);
        for now in [0, 1_700_000_000, u64::MAX] {
            let _ = client_secret::verify(b"kassa-client-secret-key", &token, now);
        }
        // A token issued for a user id taken from the input verifies to the same claims.
        let claims = Claims {
            order_id: Id::new(clock(input) >> 1).unwrap(),
            user_id: token.clone(),
            expires_at: 1_700_000_900,
        };
        if let Ok(issued) = client_secret::issue(b"k", &claims, 1_700_000_000) {
            assert_eq!(
                client_secret::verify(b"k", &issued, 1_700_000_000),
                Ok(claims)
            );
            assert!(client_secret::verify(b"other", &issued, 1_700_000_000).is_err());
        }
    });
}

#[test]
fn fuzz_totp_and_codes() {
    let bases = vec![
        b"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".to_vec(),
        b"gezdgnbvgy3tqojq".to_vec(),
        b"287082".to_vec(),
        b" 287082 ".to_vec(),
    ];
    let pepper = Secret::new(b"pepper".to_vec());
    fuzz("totp", 1, bases, |input| {
        let s = text(input);
        let _ = totp::decode_base32(&s);
        if let Ok(t) = totp::Totp::from_base32(&s) {
            let _ = t.verify("000000", clock(input), 1);
        }
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let now = clock(input) / 4;
        let _ = totp::verify(secret, &s, now);
        let totp = totp::Totp::from_base32(secret).unwrap();
        let _ = GaState::default().verify(&totp, &s, now);
        let mut ga = GaState {
            last_step: Some(clock(input)),
        };
        let _ = ga.verify(&totp, &s, u64::MAX);
        // One-time codes: the input as the typed code, against a freshly issued one.
        let id = Id::new(476_682_884_348_973_312).unwrap();
        let (plain, mut stored) = issue(&[7; 32], id, id, id, 1_000, &pepper).unwrap();
        let _ = stored.clone().verify(id, id, id, &s, 2_000, &pepper);
        let _ = stored.clone().verify(id, id, id, &s, u64::MAX, &pepper);
        assert_eq!(
            stored.verify(id, id, id, plain.expose(), 2_000, &pepper),
            Ok(())
        );
    });
}

fn key_files() -> Vec<Vec<u8>> {
    let dir = tests_dir().join("vectors/crypto/keys");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    out.sort();
    out
}

#[test]
fn fuzz_rsa_keys() {
    fuzz("keys", 4, key_files(), |input| {
        let s = text(input);
        let _ = PublicKey::parse(&s);
        let _ = PrivateKey::parse(&s);
        let _ = PublicKey::from_der(input);
        let _ = PrivateKey::from_der(input);
    });
}

#[test]
fn fuzz_rsa_signatures() {
    let good = rsa_sig::sign(priv1024(), SignAlg::Rsa2, b"{}").unwrap();
    fuzz("rsa_signature", 3, vec![good.into_bytes()], |input| {
        let s = text(input);
        for alg in [SignAlg::Rsa2, SignAlg::Rsa] {
            let _ = rsa_sig::verify(pub1024(), alg, b"{}", &s);
            let _ = rsa_sig::verify(pub1024(), alg, input, &s);
            let _ = rsa_sig::verify_raw(pub1024(), alg, b"{}", input);
        }
        let sig = rsa_sig::sign(priv1024(), SignAlg::Rsa2, input).unwrap();
        assert_eq!(
            rsa_sig::verify(pub1024(), SignAlg::Rsa2, input, &sig),
            Ok(())
        );
    });
}

fn s3_seed_messages() -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(tests_dir().join("vectors/crypto/s3_signed_messages.json"))
        .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for case in v["cases"].as_array().unwrap() {
        for field in ["message", "signed"] {
            if let Some(m) = case.get(field) {
                out.push(serde_json::to_vec(m).unwrap());
            }
        }
    }
    out
}

#[test]
fn fuzz_signed_json() {
    fuzz("signed_json", 3, s3_seed_messages(), |input| {
        let Ok(mut message) = jcs::parse_strict(input) else {
            return;
        };
        let _ = signing_string(&message);
        let _ = verify_message(&message, pub1024());
        // Kassa's own signature over the same message verifies (or signing refuses it).
        if sign_message(&mut message, priv1024(), SignAlg::Rsa2).is_ok() {
            assert_eq!(verify_message(&message, pub1024()), Ok(SignAlg::Rsa2));
        }
    });
}

#[test]
fn fuzz_res_data_envelope() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut bases = s3_seed_messages();
    for (i, plain) in s3_seed_messages().iter().enumerate() {
        bases.push(
            chunked::encrypt(pub1024(), plain, i % 2 == 0, &mut rng)
                .unwrap()
                .into_bytes(),
        );
    }
    let rng = std::cell::RefCell::new(rng);
    fuzz("res_data", 4, bases, |input| {
        let s = text(input);
        let _ = decode_res_data(&json!({ "res_data": s }), priv1024());
        let _ = decode_res_data(&json!({ "res_data": input }), priv1024());
        let _ = chunked::decrypt(priv1024(), &s, true);
        let _ = chunked::gunzip(input);
        // The input as a plaintext payload, sealed the way a merchant seals it.
        let gzip = input.first().is_some_and(|b| b & 1 == 1);
        let mut rng = rng.borrow_mut();
        if let Ok(sealed) = chunked::encrypt(pub1024(), input, gzip, &mut *rng) {
            let opened = decode_res_data(&json!({ "res_data": sealed }), priv1024());
            if let Ok(v) = jcs::parse_strict(input) {
                if v.is_object() && opened.is_ok() {
                    assert_eq!(opened, Ok(v));
                }
            }
        }
        if let Ok(v) = jcs::parse_strict(input) {
            let _ = encode_res_data(&v, pub1024(), gzip, &mut *rng);
        }
    });
}
