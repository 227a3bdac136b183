//! Paytm's `CHECKSUMHASH` (SPEC 4.3, seed 001), byte for byte as Paytm's own checksum
//! libraries (`PaytmChecksum` for Python/Node/Java/PHP) compute it:
//!
//! 1. the values of all parameters except `CHECKSUMHASH`, ordered by parameter name,
//!    joined with `|`; an absent (`None`) value — and, as Paytm's libraries do, the
//!    literal string `null` in any case — counts as empty;
//! 2. append `|` and a 4-character salt; take the SHA-256 hex digest (lowercase);
//! 3. append the salt; AES-CBC with PKCS#7 padding, the merchant key as the AES key
//!    (16 bytes → AES-128, 32 bytes → AES-256) and the fixed IV `@@@@&&&&####$$$$`;
//! 4. standard base64.
//!
//! Verification decrypts, takes the last 4 characters as the salt, recomputes step 1–3
//! and compares the digests in constant time. Any failure after the key check is the one
//! opaque [`ChecksumError::Mismatch`].
//!
//! The salt is random in production; [`Salt::from_random_bytes`] turns caller-supplied
//! random bytes into one (shared draws no randomness of its own).

use std::collections::BTreeMap;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::crypto::ct;

/// The parameter that carries the checksum and is left out of it.
pub const CHECKSUMHASH: &str = "CHECKSUMHASH";
/// Paytm's fixed IV.
pub const IV: &[u8; 16] = b"@@@@&&&&####$$$$";

/// Parameters by name. `BTreeMap` orders names by bytes, which for the ASCII names Paytm
/// uses is the order its libraries sort in.
pub type Params = BTreeMap<String, Option<String>>;

/// Why a checksum could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChecksumError {
    #[error("merchant key: {len} bytes, must be 16 (AES-128) or 32 (AES-256)")]
    KeyLength { len: usize },
    #[error("salt: must be exactly 4 ASCII alphanumeric characters")]
    Salt,
    #[error("CHECKSUMHASH: does not match")]
    Mismatch,
}

/// The 4-character salt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Salt([u8; 4]);

/// Paytm's libraries draw salt characters from this alphabet.
const SALT_ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

impl Salt {
    /// A salt from text (4 ASCII alphanumerics), e.g. a fixed salt in test vectors.
    pub fn new(s: &str) -> Result<Self, ChecksumError> {
        let b: [u8; 4] = s.as_bytes().try_into().map_err(|_| ChecksumError::Salt)?;
        if !b.iter().all(u8::is_ascii_alphanumeric) {
            return Err(ChecksumError::Salt);
        }
        Ok(Self(b))
    }

    /// A salt from 4 caller-supplied random bytes. `b % 62` is slightly biased; the salt
    /// only varies the digest (it is sent inside the checksum), it is not a secret.
    #[must_use]
    pub fn from_random_bytes(bytes: [u8; 4]) -> Self {
        Self(bytes.map(|b| SALT_ALPHABET[usize::from(b) % SALT_ALPHABET.len()]))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII alphanumerics get in.
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

/// Step 1: the `|`-joined values.
#[must_use]
pub fn param_string(params: &Params) -> String {
    params
        .iter()
        .filter(|(k, _)| k.as_str() != CHECKSUMHASH)
        .map(|(_, v)| match v.as_deref() {
            Some(v) if !v.eq_ignore_ascii_case("null") => v,
            _ => "",
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// Steps 1–3 before encryption: `sha256_hex(params + "|" + salt) + salt`.
fn hash_string(params: &Params, salt: &str) -> String {
    text_hash(&param_string(params), salt)
}

enum Cipher {
    Aes128,
    Aes256,
}

fn cipher_for(key: &[u8]) -> Result<Cipher, ChecksumError> {
    match key.len() {
        16 => Ok(Cipher::Aes128),
        32 => Ok(Cipher::Aes256),
        len => Err(ChecksumError::KeyLength { len }),
    }
}

fn encrypt(key: &[u8], plain: &[u8]) -> Result<Vec<u8>, ChecksumError> {
    let len = key.len();
    Ok(match cipher_for(key)? {
        Cipher::Aes128 => cbc::Encryptor::<aes::Aes128>::new_from_slices(key, IV)
            .map_err(|_| ChecksumError::KeyLength { len })?
            .encrypt_padded_vec_mut::<Pkcs7>(plain),
        Cipher::Aes256 => cbc::Encryptor::<aes::Aes256>::new_from_slices(key, IV)
            .map_err(|_| ChecksumError::KeyLength { len })?
            .encrypt_padded_vec_mut::<Pkcs7>(plain),
    })
}

fn decrypt(key: &[u8], ct: &[u8]) -> Result<Vec<u8>, ChecksumError> {
    let len = key.len();
    let out = match cipher_for(key)? {
        Cipher::Aes128 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, IV)
            .map_err(|_| ChecksumError::KeyLength { len })?
            .decrypt_padded_vec_mut::<Pkcs7>(ct),
        Cipher::Aes256 => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, IV)
            .map_err(|_| ChecksumError::KeyLength { len })?
            .decrypt_padded_vec_mut::<Pkcs7>(ct),
    };
    out.map_err(|_| ChecksumError::Mismatch)
}

/// The checksum of one string (Paytm's `generateSignatureByString`, which its JSON APIs
/// — Refund, Refund Status — use over the exact text of the request's `body` member):
/// steps 2–4 with the text in place of the `|`-joined values.
///
/// # Errors
/// [`ChecksumError::KeyLength`].
pub fn generate_for_text(
    text: &str,
    merchant_key: &[u8],
    salt: &Salt,
) -> Result<String, ChecksumError> {
    let plain = text_hash(text, salt.as_str());
    Ok(STANDARD.encode(encrypt(merchant_key, plain.as_bytes())?))
}

/// Verifies a [`generate_for_text`] checksum (Paytm's `verifySignatureByString`).
///
/// # Errors
/// [`ChecksumError::KeyLength`], else the opaque [`ChecksumError::Mismatch`].
pub fn verify_text(text: &str, merchant_key: &[u8], checksum: &str) -> Result<(), ChecksumError> {
    verify_with(merchant_key, checksum, |salt| text_hash(text, salt))
}

fn text_hash(text: &str, salt: &str) -> String {
    let digest = Sha256::digest(format!("{text}|{salt}").as_bytes());
    let mut s: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    s.push_str(salt);
    s
}

/// The `CHECKSUMHASH` of `params` under `merchant_key` with `salt`.
pub fn generate(
    params: &Params,
    merchant_key: &[u8],
    salt: &Salt,
) -> Result<String, ChecksumError> {
    let plain = hash_string(params, salt.as_str());
    Ok(STANDARD.encode(encrypt(merchant_key, plain.as_bytes())?))
}

/// Verifies `checksum` for `params` (a `CHECKSUMHASH` entry in `params` is ignored).
pub fn verify(params: &Params, merchant_key: &[u8], checksum: &str) -> Result<(), ChecksumError> {
    verify_with(merchant_key, checksum, |salt| hash_string(params, salt))
}

/// Decrypts `checksum`, takes its salt, and compares with `expected(salt)`.
fn verify_with(
    merchant_key: &[u8],
    checksum: &str,
    expected: impl Fn(&str) -> String,
) -> Result<(), ChecksumError> {
    cipher_for(merchant_key)?;
    // Form posts turn `+` into a space; Paytm's own kits do not undo it, neither do we.
    let ct = STANDARD
        .decode(checksum.trim())
        .map_err(|_| ChecksumError::Mismatch)?;
    let plain = decrypt(merchant_key, &ct)?;
    let plain = core::str::from_utf8(&plain).map_err(|_| ChecksumError::Mismatch)?;
    // Last 4 characters, as Paytm's `[-4:]` / `substr(-4)`.
    let salt_at = plain
        .char_indices()
        .rev()
        .nth(3)
        .map(|(i, _)| i)
        .ok_or(ChecksumError::Mismatch)?;
    let expected = expected(&plain[salt_at..]);
    if ct::eq(expected.as_bytes(), plain.as_bytes()) {
        Ok(())
    } else {
        Err(ChecksumError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: &[u8] = b"kbzk1DSbJiV_O3p5";

    fn params(pairs: &[(&str, Option<&str>)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned)))
            .collect()
    }

    #[test]
    fn param_string_rules() {
        let p = params(&[
            ("ORDER_ID", Some("USHARE-1")),
            ("CHECKSUMHASH", Some("ignored")),
            ("EMAIL", None),
            ("MID", Some("null")),
            ("TXN_AMOUNT", Some("2")),
        ]);
        assert_eq!(param_string(&p), "||USHARE-1|2");
    }

    #[test]
    fn generate_verify_and_key_sizes() {
        let p = params(&[
            ("MID", Some("SHAREI30408276217840")),
            ("TXN_AMOUNT", Some("2")),
        ]);
        let salt = Salt::new("aB3x").unwrap();
        let c = generate(&p, KEY, &salt).unwrap();
        // 64 hex + 4 salt = 68 bytes → 80 bytes of AES-CBC → 108 base64 characters, the
        // length of the seed's example CHECKSUMHASH.
        assert_eq!(c.len(), 108);
        assert_eq!(verify(&p, KEY, &c), Ok(()));
        let key32 = [7u8; 32];
        assert_eq!(
            verify(&p, &key32, &generate(&p, &key32, &salt).unwrap()),
            Ok(())
        );
        assert_eq!(
            generate(&p, b"short", &salt),
            Err(ChecksumError::KeyLength { len: 5 })
        );
        assert_eq!(
            verify(&p, &[0u8; 24], &c),
            Err(ChecksumError::KeyLength { len: 24 })
        );
        assert_eq!(verify(&p, KEY, "%%%"), Err(ChecksumError::Mismatch));
        assert_eq!(verify(&p, KEY, "AAAA"), Err(ChecksumError::Mismatch));
        let mut with_hash = p.clone();
        with_hash.insert(CHECKSUMHASH.into(), Some(c.clone()));
        assert_eq!(verify(&with_hash, KEY, &c), Ok(()));
    }

    #[test]
    fn salts() {
        assert_eq!(Salt::from_random_bytes([0, 61, 62, 255]).as_str(), "A9AH");
        assert_eq!(Salt::new("abc"), Err(ChecksumError::Salt));
        assert_eq!(Salt::new("ab|c"), Err(ChecksumError::Salt));
    }

    proptest! {
        #[test]
        fn round_trip_and_tamper(
            map in proptest::collection::btree_map("[A-Z_]{1,12}", proptest::option::of("[ -~]{0,20}"), 0..8),
            salt in any::<[u8; 4]>(), key in any::<[u8; 16]>(), extra in "[a-z]{1,4}") {
            let salt = Salt::from_random_bytes(salt);
            let c = generate(&map, &key, &salt).unwrap();
            prop_assert_eq!(verify(&map, &key, &c), Ok(()));
            let mut other = map.clone();
            other.insert("ZZ_EXTRA".into(), Some(extra));
            prop_assert_eq!(verify(&other, &key, &c), Err(ChecksumError::Mismatch));
            let mut k2 = key;
            k2[0] ^= 1;
            prop_assert_eq!(verify(&map, &k2, &c), Err(ChecksumError::Mismatch));
        }
    }
}
