//! Paytm's `CHECKSUMHASH`, transcribed from Paytm's own Python library
//! (`paytmchecksum` 1.7.0, `PaytmChecksum.py`), which the official-library test
//! (`tests/python/test_official_libs.py`) runs against this sandbox:
//!
//! - `getStringByParams`: the values ordered by parameter name (Python `sorted`, i.e.
//!   code-point order, which is UTF-8 byte order), a value that is `None` or whose
//!   `.lower()` is `"null"` counts as empty, joined with `|`;
//! - `calculateHash`: `sha256_hex(params + "|" + salt) + salt`, the salt 4 characters
//!   from `[A-Za-z0-9]`;
//! - `encrypt`: PKCS#7 to 16 bytes, AES-CBC with the merchant key's UTF-8 bytes as the
//!   key (16, 24 or 32 bytes, as pycryptodome accepts) and the IV `@@@@&&&&####$$$$`,
//!   standard base64;
//! - `verifySignature`: drops `CHECKSUMHASH`, decrypts, takes the last 4 characters as
//!   the salt and compares with `calculateHash` (here in constant time).
//! - `generateSignatureByString` / `verifySignatureByString` (what `generateSignature`
//!   does when handed a `str`): the same over one string instead of the `|`-joined
//!   values — the `head.signature` of Paytm's JSON APIs (Refund, Refund Status), made
//!   over the exact text of the `body` member ([`generate_string`], [`verify_string`]).

use std::collections::BTreeMap;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rand::Rng as _;

use crate::crypto::{ct_eq, sha256_hex};

/// The parameter carrying the checksum, left out of it.
pub const CHECKSUMHASH: &str = "CHECKSUMHASH";
const IV: &[u8; 16] = b"@@@@&&&&####$$$$";
const SALT_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz";

/// Parameters by name (a `BTreeMap` iterates in byte order = Python's `sorted`).
pub type Params = BTreeMap<String, String>;

/// `getStringByParams`.
#[must_use]
pub fn params_string(params: &Params) -> String {
    params
        .iter()
        .filter(|(k, _)| k.as_str() != CHECKSUMHASH)
        .map(|(_, v)| {
            if v.eq_ignore_ascii_case("null") {
                ""
            } else {
                v.as_str()
            }
        })
        .collect::<Vec<_>>()
        .join("|")
}

fn hash(params: &str, salt: &str) -> String {
    format!(
        "{}{salt}",
        sha256_hex(format!("{params}|{salt}").as_bytes())
    )
}

fn encrypt(plain: &[u8], key: &[u8]) -> Result<Vec<u8>, String> {
    Ok(match key.len() {
        16 => cbc::Encryptor::<aes::Aes128>::new_from_slices(key, IV)
            .map_err(|e| e.to_string())?
            .encrypt_padded_vec_mut::<Pkcs7>(plain),
        24 => cbc::Encryptor::<aes::Aes192>::new_from_slices(key, IV)
            .map_err(|e| e.to_string())?
            .encrypt_padded_vec_mut::<Pkcs7>(plain),
        32 => cbc::Encryptor::<aes::Aes256>::new_from_slices(key, IV)
            .map_err(|e| e.to_string())?
            .encrypt_padded_vec_mut::<Pkcs7>(plain),
        n => return Err(format!("merchant key: {n} bytes, must be 16, 24 or 32")),
    })
}

fn decrypt(data: &[u8], key: &[u8]) -> Option<Vec<u8>> {
    match key.len() {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, IV)
            .ok()?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .ok(),
        24 => cbc::Decryptor::<aes::Aes192>::new_from_slices(key, IV)
            .ok()?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .ok(),
        32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, IV)
            .ok()?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .ok(),
        _ => None,
    }
}

/// `calculateChecksum` with a given salt (vectors use fixed ones).
pub fn generate_with_salt(params: &Params, key: &[u8], salt: &str) -> Result<String, String> {
    generate_string_with_salt(&params_string(params), key, salt)
}

/// `calculateChecksum` of one string with a given salt.
pub fn generate_string_with_salt(text: &str, key: &[u8], salt: &str) -> Result<String, String> {
    let valid = salt.len() == 4 && salt.bytes().all(|b| SALT_CHARS.contains(&b));
    if !valid {
        return Err(format!("salt: {salt:?} is not 4 characters of [A-Za-z0-9]"));
    }
    let h = hash(text, salt);
    encrypt(h.as_bytes(), key).map(|c| STANDARD.encode(c))
}

fn random_salt() -> String {
    let mut rng = rand::thread_rng();
    (0..4)
        .map(|_| char::from(SALT_CHARS[rng.gen_range(0..SALT_CHARS.len())]))
        .collect()
}

/// `generateSignature`: a random salt, as `generateRandomString(4)`.
pub fn generate(params: &Params, key: &[u8]) -> Result<String, String> {
    generate_with_salt(params, key, &random_salt())
}

/// `generateSignatureByString`: the checksum of one string (a JSON `body`'s exact text).
pub fn generate_string(text: &str, key: &[u8]) -> Result<String, String> {
    generate_string_with_salt(text, key, &random_salt())
}

/// `verifySignature`: whether `checksum` is a checksum of `params` under `key`.
#[must_use]
pub fn verify(params: &Params, key: &[u8], checksum: &str) -> bool {
    verify_string(&params_string(params), key, checksum)
}

/// `verifySignatureByString`: whether `checksum` is a checksum of `text` under `key`.
#[must_use]
pub fn verify_string(text: &str, key: &[u8], checksum: &str) -> bool {
    let Ok(data) = STANDARD.decode(checksum.trim().as_bytes()) else {
        return false;
    };
    let Some(plain) = decrypt(&data, key) else {
        return false;
    };
    let Ok(plain) = String::from_utf8(plain) else {
        return false;
    };
    // The salt is the last 4 characters (characters, as Python slices a str).
    let Some((at, _)) = plain.char_indices().rev().nth(3) else {
        return false;
    };
    let want = hash(text, &plain[at..]);
    ct_eq(want.as_bytes(), plain.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::{case_str, cases};

    fn params(v: &serde_json::Value) -> Params {
        v.as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
            .collect()
    }

    #[test]
    fn matches_the_python_vectors() {
        let all = cases("paytm_checksum.json");
        assert_eq!(all.len(), 16);
        for c in all {
            let p = params(&c["params"]);
            let key = case_str(&c, "merchant_key").as_bytes();
            let want = case_str(&c, "checksum");
            assert_eq!(
                generate_with_salt(&p, key, case_str(&c, "salt")).unwrap(),
                want,
                "{}",
                c["name"]
            );
            assert!(verify(&p, key, want));
            assert!(!verify(&p, b"wwwwwwwwwwwwwwww", want));
            let mut tampered = p.clone();
            tampered.insert("TXN_AMOUNT".into(), "999".into());
            assert!(!verify(&tampered, key, want));
        }
    }

    #[test]
    fn random_salt_round_trips_and_null_is_empty() {
        let key = b"kassa_paytm_k16!";
        let mut p: Params = [("MID", "M"), ("ORDERID", "1A2"), ("X", "NULL")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let c = generate(&p, key).unwrap();
        assert!(verify(&p, key, &c));
        p.insert("X".into(), String::new());
        assert!(verify(&p, key, &c), "\"NULL\" counts as empty");
        p.insert(CHECKSUMHASH.into(), c.clone());
        assert!(verify(&p, key, &c), "CHECKSUMHASH is left out");
        assert!(!verify(&p, key, "not base64!"));
        assert!(generate(&p, b"short").is_err());
    }

    #[test]
    fn string_checksums_cover_the_exact_text() {
        let key = b"kassa_paytm_k16!";
        let text = r#"{"mid": "M", "orderId": "1A2"}"#;
        let c = generate_string(text, key).unwrap();
        assert!(verify_string(text, key, &c));
        assert!(!verify_string(r#"{"mid":"M","orderId":"1A2"}"#, key, &c));
        assert!(!verify_string(text, b"wwwwwwwwwwwwwwww", &c));
        // One string is one value: the same as the params form of a single parameter.
        let p: Params = [("X".to_owned(), text.to_owned())].into_iter().collect();
        assert_eq!(
            generate_string_with_salt(text, key, "abcd").unwrap(),
            generate_with_salt(&p, key, "abcd").unwrap()
        );
    }
}
