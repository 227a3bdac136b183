//! Fields the shopper types that only the edge may read (SPEC 4.5: S4's pay password,
//! security answers, verify codes) are sealed in the browser: RSA-OAEP-SHA256 through
//! the browser's WebCrypto under the edge's published key
//! (`{edge}/.well-known/kassa-key.json`, a JWK set), standard base64 of the ciphertext —
//! the form `edge/src/routes/compat_s4.rs` decrypts (`OaepDecryptionKey::decrypt_base64`,
//! empty label). WebCrypto, not Rust: no big-integer code in the bundle, and the
//! browser's OAEP padding draws its own randomness.
//!
//! **What is sealed (issue 14).** Not the bare text but the JSON
//! `{"v": text, "ts": Date.now() (unix ms), "n": 16 random bytes (getrandom), base64url
//! without padding}` (`kassa_shared::crypto::sealed`): the edge refuses a `ts` more than
//! 5 min from its clock and a nonce already used, so a ciphertext captured once cannot be
//! sent again. Seal right before sending, once per request.
//!
//! Exported to pages as `sealField(edge, text) → Promise<string>` (`kassa.d.ts`).

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

use crate::api::{self, ApiError};
use serde::{Deserialize, Serialize};

use crate::json::{array, from_js, DecodeError, Decoded, Scalar};
use crate::wire::Decode;

/// The one public key of the edge's set that is for RSA-OAEP-SHA256 encryption.
pub struct PublicJwk(pub Object);

/// The members of a JWK that say what it is for (RFC 7517 4.1–4.2, RFC 7518 4.1).
#[derive(Deserialize)]
struct JwkUse {
    #[serde(default)]
    kty: Scalar,
    #[serde(default)]
    alg: Scalar,
    #[serde(default, rename = "use")]
    use_: Scalar,
}

fn jwks<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<JwkUse>, D::Error> {
    array(d)
}

crate::named! {
    fn keys -> Vec<JwkUse> = jwks, "keys";
}

#[derive(Deserialize)]
struct KeySet {
    #[serde(deserialize_with = "keys")]
    keys: Vec<JwkUse>,
}

impl Decode for PublicJwk {
    fn decode(root: &str, value: JsValue) -> Decoded<Self> {
        let set = from_js(root, value.clone(), KeySet::deserialize)?;
        let is = |v: &Scalar, want: &str| matches!(v, Scalar::Str(s) if s == want);
        let chosen = set.keys.iter().position(|k| {
            // `use`, when present, must say encryption: a signing key is not for this.
            let for_enc = k.use_ == Scalar::Absent || is(&k.use_, "enc");
            is(&k.kty, "RSA") && is(&k.alg, "RSA-OAEP-256") && for_enc
        });
        // The key itself goes to WebCrypto's `importKey` as the object it is.
        let key = chosen.and_then(|i| {
            let keys = Reflect::get(&value, &"keys".into()).ok()?;
            let i = u32::try_from(i).ok()?;
            Some(Array::from(&keys).get(i))
        });
        key.filter(JsValue::is_object)
            .map(|k| Self(k.unchecked_into()))
            .ok_or_else(|| DecodeError {
                field: format!("{root}.keys"),
                reason: "no RSA-OAEP-256 encryption key".to_owned(),
            })
    }
}

/// Why a field could not be sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealError {
    /// The key set could not be fetched or read.
    Key(ApiError),
    /// WebCrypto refused the key (`importKey`) or the encryption; the step named.
    Crypto(&'static str),
    /// The text does not fit one RSA-OAEP block of this key (`max` UTF-8 bytes).
    TooLong { max: usize },
    /// Nothing to seal.
    Empty,
    /// No `crypto.subtle`: the page is not a secure context (https or localhost).
    NoWebCrypto,
    /// No randomness for the nonce (`crypto.getRandomValues`).
    NoRandom,
}

impl std::fmt::Display for SealError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // A decode error already names its field (`kassa-key.json.keys: …`).
            Self::Key(ApiError::Decode { reason, .. }) => f.write_str(reason),
            Self::Key(e) => write!(f, "kassa-key.json: {e}"),
            Self::Crypto(step) => write!(f, "seal: WebCrypto {step} failed"),
            Self::TooLong { max } => write!(f, "text: longer than {max} UTF-8 bytes"),
            Self::Empty => f.write_str("text: must not be empty"),
            Self::NoWebCrypto => f.write_str("seal: no crypto.subtle (the page needs https)"),
            Self::NoRandom => f.write_str("seal: crypto.getRandomValues is unavailable"),
        }
    }
}

fn subtle() -> Result<SubtleCrypto, SealError> {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.subtle())
        // Outside a secure context `crypto.subtle` is undefined, not an error.
        .filter(|s| !s.is_undefined())
        .ok_or(SealError::NoWebCrypto)
}

async fn settle(step: &'static str, p: Result<Promise, JsValue>) -> Result<JsValue, SealError> {
    let p = p.map_err(|_| SealError::Crypto(step))?;
    JsFuture::from(p).await.map_err(|_| SealError::Crypto(step))
}

/// WebCrypto's `RsaHashedImportParams`: `{name: "RSA-OAEP", hash: "SHA-256"}`.
#[derive(Serialize)]
struct OaepSha256 {
    name: &'static str,
    hash: &'static str,
}

fn oaep_sha256() -> Result<Object, SealError> {
    crate::json::to_js(&OaepSha256 {
        name: "RSA-OAEP",
        hash: "SHA-256",
    })
    .map(JsCast::unchecked_into)
    .map_err(|_| SealError::Crypto("importKey"))
}

/// The plaintext sealed for a field (module docs).
#[derive(Serialize)]
struct Sealed<'a> {
    v: &'a str,
    /// Unix ms, a JS number as `Date.now()` gives it.
    ts: f64,
    n: String,
}

/// The plaintext sealed for `text` (module docs): `{"v", "ts", "n"}` JSON.
fn sealed_plaintext(text: &str) -> Result<String, SealError> {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).map_err(|_| SealError::NoRandom)?;
    crate::json::to_json(&Sealed {
        v: text,
        ts: js_sys::Date::now(),
        n: encode(&nonce, URL_ALPHABET, false),
    })
    .map_err(|_| SealError::Crypto("JSON.stringify"))
}

/// Seals `text` under the public `jwk`: base64 RSA-OAEP-SHA256 of the `{v, ts, n}`
/// plaintext (module docs).
///
/// # Errors
/// [`SealError::Empty`], [`SealError::TooLong`], or the WebCrypto step that failed.
pub async fn seal_with_jwk(jwk: &Object, text: &str) -> Result<String, SealError> {
    if text.is_empty() {
        return Err(SealError::Empty);
    }
    let s = subtle()?;
    let usages = Array::of1(&"encrypt".into());
    let key = settle(
        "importKey",
        s.import_key_with_object("jwk", jwk, &oaep_sha256()?, false, &usages),
    )
    .await?;
    let key: CryptoKey = key.unchecked_into();
    // OAEP with SHA-256 holds k − 2·32 − 2 bytes; say so rather than WebCrypto's bare
    // OperationError.
    let bits = key
        .algorithm()
        .ok()
        .and_then(|a| Reflect::get(&a, &"modulusLength".into()).ok())
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // A key size in bits.
    let max = (bits as usize / 8).saturating_sub(66);
    let plain = sealed_plaintext(text)?;
    if plain.len() > max {
        // The text's own room: the block less the envelope around it.
        let envelope = plain.len() - text.len();
        return Err(SealError::TooLong {
            max: max.saturating_sub(envelope),
        });
    }
    let ct = settle(
        "encrypt",
        s.encrypt_with_str_and_u8_array("RSA-OAEP", &key, plain.as_bytes()),
    )
    .await?;
    Ok(base64(&js_sys::Uint8Array::new(&ct).to_vec()))
}

/// Fetches the edge's key set and seals `text` under its RSA-OAEP key.
///
/// # Errors
/// [`SealError::Key`] when the key set cannot be had, else as [`seal_with_jwk`].
pub async fn seal(edge: &str, text: &str) -> Result<String, SealError> {
    let PublicJwk(jwk) = api::send(&api::key_set(edge), "kassa-key.json")
        .await
        .map_err(SealError::Key)?;
    seal_with_jwk(&jwk, text).await
}

/// `sealField(edge, text)`: `text` sealed for the edge at `edge`, as the base64 string the
/// S4 routes take (`passwd`, `answer1`…).
///
/// # Errors
/// An `Error` whose message names what failed (`text: …`, `kassa-key.json: …`).
#[wasm_bindgen(js_name = sealField)]
pub async fn seal_field(edge: String, text: String) -> Result<String, JsError> {
    seal(&edge, &text)
        .await
        .map_err(|e| JsError::new(&e.to_string()))
}

/// RFC 4648 standard base64 with padding (what the edge's decoder reads).
#[must_use]
pub fn base64(bytes: &[u8]) -> String {
    encode(bytes, STD_ALPHABET, true)
}

const STD_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// RFC 4648 base64 in `alphabet`, padded or not.
fn encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let at = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (at(0) << 16) | (at(1) << 8) | at(2);
        for i in 0..4 {
            if i <= chunk.len() {
                let sextet = (n >> (18 - 6 * i)) & 63;
                out.push(char::from(alphabet[sextet as usize]));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}
