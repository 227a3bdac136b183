//! Cryptographic profiles (SPEC 4): the primitives every provider module and the edge
//! build on. One file per concern, one error enum per file.
//!
//! - [`keys`]: RSA keys from PEM or bare base64 DER (SPEC 4.1, last bullet).
//! - [`rsa_sig`]: SHA256withRSA / SHA1withRSA PKCS#1 v1.5 signatures (SPEC 4.1).
//! - [`jcs`]: RFC 8785 canonical JSON.
//! - [`signed_json`]: "sign the whole message minus `sign`/`security_type`" (SPEC 4.1),
//!   shared by S3 and the token wallet.
//! - [`chunked`]: block-wise RSA PKCS#1 v1.5 encryption of `res_data` (SPEC 4.2).
//! - [`webhook_sig`]: the `Kassa-Signature` header on merchant webhooks (SPEC 3.5).
//! - [`client_secret`]: the widget's HMAC-signed `client_secret` (SPEC 4.4), one order.
//! - [`user_token`]: the merchant-issued user-scoped token (S2 order list, S4 wallet),
//!   distinct prefix so neither kind passes for the other.
//! - [`sealed`]: the sealed-field plaintext `{v, ts, n}` and the per-user nonce ledger
//!   that refuses a replayed or stale sealed value (SPEC 4.5, issue 14).
//! - [`totp`]: RFC 6238 codes for the GA second factor (SPEC 6).
//! - [`ct`], [`secret`]: constant-time comparison and redacted secret bytes.
//!
//! Nothing here draws randomness or reads a clock: callers pass an RNG and `now`.
//! Private-key RSA operations exist for tests, the sandbox and the CLI only; the edge
//! signs and decrypts through WebCrypto (SPEC 4.4, RUSTSEC-2023-0071).

pub mod chunked;
pub mod client_secret;
pub mod ct;
pub mod device_token;
pub mod jcs;
pub mod keys;
pub mod rsa_sig;
pub mod sealed;
pub mod secret;
pub mod signed_json;
mod signed_token;
pub mod totp;
pub mod user_token;
pub mod webhook_sig;

#[cfg(feature = "private-keys")]
pub use keys::PrivateKey;
pub use keys::{KeyError, PublicKey};
pub use rsa_sig::SignAlg;
pub use secret::Secret;

/// Standard base64 that also accepts input without padding: signatures and keys pasted
/// from Chinese platforms' consoles often lose their trailing `=`.
pub(crate) const B64_LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// Removes ASCII white space (line breaks of wrapped base64, stray blanks).
pub(crate) fn strip_ws(s: &str) -> String {
    s.chars().filter(|c| !c.is_ascii_whitespace()).collect()
}

/// HMAC-SHA256 over the concatenation of `parts` (RFC 2104).
///
/// The key block is built here (a long key hashed, then zero-padded to the 64-byte block,
/// exactly as RFC 2104 §2 does) so construction is infallible without an `expect` and
/// without a silent fallback.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::digest::KeyInit;
    use hmac::{Hmac, Mac as _};
    use sha2::{Digest as _, Sha256};
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut m = <Hmac<Sha256> as KeyInit>::new(&block.into());
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}
