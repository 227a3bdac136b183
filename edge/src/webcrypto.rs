//! Private-key and password-hash operations at the edge, through WebCrypto
//! (`crypto.subtle`), as SPEC 4.4 requires: the runtime's implementation is constant
//! time and native speed, while the pure-Rust `rsa` crate's private operations are not
//! constant time (RUSTSEC-2023-0071). Public-key operations (verify, S3 encryption) stay
//! in `shared` and do not come through here.
//!
//! What lives here:
//! - [`SigningKey`]: an RSASSA-PKCS1-v1_5 key, SHA-256 ("RSA2") or SHA-1 ("RSA"), for the
//!   S3 request signature (SPEC 4.1).
//! - [`OaepDecryptionKey`], [`OaepPublicKey`]: RSA-OAEP-SHA256 for the fields the widget
//!   encrypts (SPEC 4.5) and the JWK published at `/.well-known/kassa-key.json`.
//! - [`pbkdf2_sha256`]: PBKDF2-HMAC-SHA256 for the S4 pay password and security answers
//!   (SPEC 3.3, ≥ [`PBKDF2_MIN_ITERATIONS`] iterations).
//!
//! Keys are accepted as `shared` accepts them (SPEC 4.1, last bullet): PEM or bare base64
//! DER, PKCS#8 or PKCS#1. WebCrypto only imports PKCS#8, so a PKCS#1 key is re-wrapped
//! into a PKCS#8 `PrivateKeyInfo` (`kassa_shared::crypto::keys::private_key_pkcs8_der`).
//! That re-wrapping only moves DER bytes: it does not
//! build an `rsa::RsaPrivateKey`, whose constructor runs big-number arithmetic on the
//! secret primes (validation, CRT precomputation) outside constant time.
//!
//! `crypto.subtle` is reached through `globalThis.crypto.subtle` with `Reflect`, because
//! workerd has no `window` (and a browser test has no `WorkerGlobalScope`).
//!
//! Errors name the operation and the reason, never key material or input bytes.

use core::fmt;

use base64::Engine as _;
use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use kassa_shared::crypto::SignAlg;
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

/// The floor SPEC 3.3 sets for PBKDF2 iterations.
///
/// It is also, as far as we know, workerd's ceiling: Cloudflare's runtime refuses PBKDF2
/// above 100 000 iterations. So S4 hashes use exactly this count, and the iteration
/// count should be stored with each hash so that it can be raised later.
pub const PBKDF2_MIN_ITERATIONS: u32 = 100_000;

/// Which WebCrypto operation failed; the first word of every error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    ImportPrivateKey,
    ImportPublicKey,
    Sign,
    Decrypt,
    ExportKey,
    DeriveBits,
    Digest,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ImportPrivateKey => "webcrypto import private key",
            Self::ImportPublicKey => "webcrypto import public key",
            Self::Sign => "webcrypto sign",
            Self::Decrypt => "webcrypto decrypt",
            Self::ExportKey => "webcrypto export key",
            Self::DeriveBits => "webcrypto derive bits",
            Self::Digest => "webcrypto digest",
        })
    }
}

/// Why a WebCrypto operation failed.
///
/// `Rejected` carries only the `DOMException` name (`OperationError`, `DataError`, …):
/// WebCrypto's messages do not echo keys or data, but the name is all a caller needs and
/// keeps a decryption failure from saying more than "it failed" (no padding oracle).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebCryptoError {
    #[error("{op}: crypto.subtle is not available in this runtime")]
    Unavailable { op: Op },
    #[error("{op}: key {reason}")]
    Key { op: Op, reason: &'static str },
    #[error("{op}: {reason}")]
    Input { op: Op, reason: &'static str },
    #[error("{op}: rejected by the runtime ({name})")]
    Rejected { op: Op, name: String },
    #[error("{op}: the runtime returned an unexpected value ({what})")]
    Unexpected { op: Op, what: &'static str },
}

// ---------------------------------------------------------------------------------------
// Plumbing

fn subtle(op: Op) -> Result<SubtleCrypto, WebCryptoError> {
    let global = js_sys::global();
    let crypto = Reflect::get(&global, &JsValue::from_str("crypto"))
        .ok()
        .filter(|v| v.is_object())
        .ok_or(WebCryptoError::Unavailable { op })?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle"))
        .ok()
        .filter(|v| v.is_object())
        .ok_or(WebCryptoError::Unavailable { op })?;
    // `unchecked_into`: workerd's SubtleCrypto is not an `instanceof` the browser class
    // web-sys checks against, yet has the same methods.
    Ok(subtle.unchecked_into())
}

/// The `DOMException` name of a rejection, or a fixed word when there is none.
fn rejected(op: Op, e: &JsValue) -> WebCryptoError {
    let name = Reflect::get(e, &JsValue::from_str("name"))
        .ok()
        .and_then(|n| n.as_string())
        .filter(|n| n.len() <= 64)
        .unwrap_or_else(|| "unknown error".to_owned());
    WebCryptoError::Rejected { op, name }
}

async fn run(op: Op, p: Result<js_sys::Promise, JsValue>) -> Result<JsValue, WebCryptoError> {
    let p = p.map_err(|e| rejected(op, &e))?;
    JsFuture::from(p).await.map_err(|e| rejected(op, &e))
}

fn bytes_of(op: Op, v: &JsValue) -> Result<Vec<u8>, WebCryptoError> {
    let buf = v
        .dyn_ref::<ArrayBuffer>()
        .ok_or(WebCryptoError::Unexpected {
            op,
            what: "not an ArrayBuffer",
        })?;
    Ok(Uint8Array::new(buf).to_vec())
}

fn key_of(op: Op, v: JsValue) -> Result<CryptoKey, WebCryptoError> {
    if !v.is_object() {
        return Err(WebCryptoError::Unexpected {
            op,
            what: "not a CryptoKey",
        });
    }
    Ok(v.unchecked_into())
}

/// A plain JS object from `(name, value)` pairs: WebCrypto's algorithm dictionaries.
fn obj(op: Op, pairs: &[(&str, JsValue)]) -> Result<Object, WebCryptoError> {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).map_err(|_| WebCryptoError::Unexpected {
            op,
            what: "could not build the algorithm object",
        })?;
    }
    Ok(o)
}

fn usages(list: &[&str]) -> JsValue {
    list.iter()
        .map(|u| JsValue::from_str(u))
        .collect::<Array>()
        .into()
}

/// A copy of `data` in JS memory. WebCrypto copies its input when called, but a copy
/// made here cannot be invalidated by the wasm memory growing underneath a view.
fn js_bytes(data: &[u8]) -> Uint8Array {
    Uint8Array::from(data)
}

fn hash_name(alg: SignAlg) -> &'static str {
    match alg {
        SignAlg::Rsa2 => "SHA-256",
        SignAlg::Rsa => "SHA-1",
    }
}

// ---------------------------------------------------------------------------------------
// Key text → PKCS#8 DER without private-key arithmetic

/// Standard base64, padding optional (what the widget's `btoa` and copied keys carry).
const B64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// PKCS#8 DER for an RSA private key given as PKCS#8 or PKCS#1 (PEM or bare base64):
/// `kassa_shared::crypto::keys::private_key_pkcs8_der` reads the text; WebCrypto
/// validates the key on import, in constant time.
pub fn private_key_pkcs8_der(text: &str) -> Result<Vec<u8>, WebCryptoError> {
    use kassa_shared::crypto::keys::KeyError;
    kassa_shared::crypto::keys::private_key_pkcs8_der(text).map_err(|e| WebCryptoError::Key {
        op: Op::ImportPrivateKey,
        reason: match e {
            KeyError::Empty { .. } => "is empty",
            KeyError::PemFrame { reason, .. } => reason,
            KeyError::Base64 { .. } => "is not valid base64",
            KeyError::PemLabel { .. } => {
                "PEM label is not PRIVATE KEY or RSA PRIVATE KEY (an encrypted key?)"
            }
            KeyError::Der {
                expected: "PKCS#8", ..
            } => "is not a PKCS#8 RSA private key",
            KeyError::Der {
                expected: "PKCS#1", ..
            } => "is not a PKCS#1 RSA private key",
            _ => "DER is neither a PKCS#8 nor a PKCS#1 RSA private key",
        },
    })
}

/// SPKI DER for an RSA public key in any form `shared` accepts (public-key parsing in
/// the `rsa` crate is not secret-dependent).
fn public_key_spki_der(text: &str) -> Result<Vec<u8>, WebCryptoError> {
    let op = Op::ImportPublicKey;
    let k = kassa_shared::crypto::PublicKey::parse(text).map_err(|_| WebCryptoError::Key {
        op,
        reason: "is not an RSA public key (SPKI or PKCS#1, PEM or base64 DER)",
    })?;
    k.to_der().map_err(|_| WebCryptoError::Key {
        op,
        reason: "could not be encoded as SPKI",
    })
}

async fn import_pkcs8(
    text: &str,
    algorithm: &Object,
    key_usages: &[&str],
) -> Result<CryptoKey, WebCryptoError> {
    let op = Op::ImportPrivateKey;
    let der = private_key_pkcs8_der(text)?;
    let s = subtle(op)?;
    let data = js_bytes(&der);
    // Not extractable: once imported, the key cannot be read back out of the runtime.
    let v = run(
        op,
        s.import_key_with_object("pkcs8", &data, algorithm, false, &usages(key_usages)),
    )
    .await?;
    key_of(op, v)
}

// ---------------------------------------------------------------------------------------
// RSASSA-PKCS1-v1_5 signatures (SPEC 4.1)

/// An imported RSA signing key. WebCrypto binds the hash at import, so a key is for one
/// [`SignAlg`]; import twice for both. `Debug` shows no key material.
#[derive(Clone)]
pub struct SigningKey {
    key: CryptoKey,
    alg: SignAlg,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, [redacted])", self.alg)
    }
}

impl SigningKey {
    /// Imports a PKCS#8 or PKCS#1 RSA private key (PEM or bare base64 DER) for `alg`.
    pub async fn import(text: &str, alg: SignAlg) -> Result<Self, WebCryptoError> {
        let op = Op::ImportPrivateKey;
        let algorithm = obj(
            op,
            &[
                ("name", "RSASSA-PKCS1-v1_5".into()),
                ("hash", hash_name(alg).into()),
            ],
        )?;
        let key = import_pkcs8(text, &algorithm, &["sign"]).await?;
        Ok(Self { key, alg })
    }

    #[must_use]
    pub fn alg(&self) -> SignAlg {
        self.alg
    }

    /// The raw PKCS#1 v1.5 signature (k bytes) over `msg`; deterministic, so it equals
    /// what `openssl dgst -sign` produces.
    pub async fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, WebCryptoError> {
        let op = Op::Sign;
        let s = subtle(op)?;
        let algorithm = obj(op, &[("name", "RSASSA-PKCS1-v1_5".into())])?;
        let v = run(
            op,
            s.sign_with_object_and_js_u8_array(&algorithm, &self.key, &js_bytes(msg)),
        )
        .await?;
        bytes_of(op, &v)
    }

    /// As [`Self::sign`], standard base64 (the form SPEC 4.1 messages carry).
    pub async fn sign_base64(&self, msg: &[u8]) -> Result<String, WebCryptoError> {
        Ok(base64::engine::general_purpose::STANDARD.encode(self.sign(msg).await?))
    }
}

// ---------------------------------------------------------------------------------------
// RSA-OAEP-SHA256 (SPEC 4.5)

fn oaep_algorithm(op: Op) -> Result<Object, WebCryptoError> {
    obj(
        op,
        &[("name", "RSA-OAEP".into()), ("hash", "SHA-256".into())],
    )
}

/// The edge's RSA-OAEP-SHA256 private key; decrypts what the widget encrypted.
#[derive(Clone)]
pub struct OaepDecryptionKey {
    key: CryptoKey,
}

impl fmt::Debug for OaepDecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OaepDecryptionKey([redacted])")
    }
}

impl OaepDecryptionKey {
    /// Imports a PKCS#8 or PKCS#1 RSA private key (PEM or bare base64 DER).
    pub async fn import(text: &str) -> Result<Self, WebCryptoError> {
        let algorithm = oaep_algorithm(Op::ImportPrivateKey)?;
        let key = import_pkcs8(text, &algorithm, &["decrypt"]).await?;
        Ok(Self { key })
    }

    /// Decrypts one RSA-OAEP-SHA256 ciphertext (empty label). Every failure is the same
    /// `Rejected { name: "OperationError" }`, whatever was wrong with the ciphertext.
    pub async fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, WebCryptoError> {
        let op = Op::Decrypt;
        let s = subtle(op)?;
        let algorithm = obj(op, &[("name", "RSA-OAEP".into())])?;
        let v = run(
            op,
            s.decrypt_with_object_and_js_u8_array(&algorithm, &self.key, &js_bytes(ciphertext)),
        )
        .await?;
        bytes_of(op, &v)
    }

    /// Decrypts the standard-base64 form the widget sends.
    pub async fn decrypt_base64(&self, ciphertext_b64: &str) -> Result<Vec<u8>, WebCryptoError> {
        let clean: String = ciphertext_b64
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let ct = B64.decode(clean).map_err(|_| WebCryptoError::Input {
            op: Op::Decrypt,
            reason: "ciphertext is not valid base64",
        })?;
        self.decrypt(&ct).await
    }
}

/// An RSA-OAEP-SHA256 public key (extractable), for publishing as a JWK and for tests.
#[derive(Clone, Debug)]
pub struct OaepPublicKey {
    key: CryptoKey,
}

impl OaepPublicKey {
    /// Imports an RSA public key in any form `shared` accepts (SPKI/PKCS#1, PEM/base64).
    pub async fn import(text: &str) -> Result<Self, WebCryptoError> {
        let op = Op::ImportPublicKey;
        let der = public_key_spki_der(text)?;
        let s = subtle(op)?;
        let v = run(
            op,
            s.import_key_with_object(
                "spki",
                &js_bytes(&der),
                &oaep_algorithm(op)?,
                true,
                &usages(&["encrypt"]),
            ),
        )
        .await?;
        Ok(Self {
            key: key_of(op, v)?,
        })
    }

    /// The public JWK for `/.well-known/kassa-key.json` (SPEC 4.5): `kty`, `n`, `e`, plus
    /// `alg: "RSA-OAEP-256"`, `use: "enc"`, `key_ops: ["encrypt"]` and `kid`, the RFC 7638
    /// SHA-256 thumbprint (base64url), so the widget can say which key it used and the
    /// edge can rotate keys.
    pub async fn to_jwk(&self) -> Result<serde_json::Value, WebCryptoError> {
        let op = Op::ExportKey;
        let s = subtle(op)?;
        let v = run(op, s.export_key("jwk", &self.key)).await?;
        let get = |name: &str| {
            Reflect::get(&v, &JsValue::from_str(name))
                .ok()
                .and_then(|x| x.as_string())
                .ok_or(WebCryptoError::Unexpected {
                    op,
                    what: "JWK lacks n or e",
                })
        };
        let (n, e) = (get("n")?, get("e")?);
        // RFC 7638 §3: required members only, lexicographic order, no white space.
        let thumb_input = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
        let kid = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha256(thumb_input.as_bytes()).await?);
        Ok(serde_json::json!({
            "kty": "RSA",
            "n": n,
            "e": e,
            "alg": "RSA-OAEP-256",
            "use": "enc",
            "key_ops": ["encrypt"],
            "kid": kid,
        }))
    }
}

// ---------------------------------------------------------------------------------------
// PBKDF2, HMAC, SHA-256

/// PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) of `password` with `salt`, `out_len` bytes.
/// Refuses fewer than [`PBKDF2_MIN_ITERATIONS`] iterations (SPEC 3.3); tests of short
/// published vectors use [`pbkdf2_sha256_unchecked`].
pub async fn pbkdf2_sha256(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out_len: usize,
) -> Result<Vec<u8>, WebCryptoError> {
    if iterations < PBKDF2_MIN_ITERATIONS {
        return Err(WebCryptoError::Input {
            op: Op::DeriveBits,
            reason: "iterations below the 100000 minimum",
        });
    }
    pbkdf2_sha256_unchecked(password, salt, iterations, out_len).await
}

/// [`pbkdf2_sha256`] without the iteration floor, for known-answer tests only.
#[doc(hidden)]
pub async fn pbkdf2_sha256_unchecked(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out_len: usize,
) -> Result<Vec<u8>, WebCryptoError> {
    let op = Op::DeriveBits;
    if iterations == 0 || out_len == 0 {
        return Err(WebCryptoError::Input {
            op,
            reason: "iterations and output length must be positive",
        });
    }
    let bits = u32::try_from(out_len)
        .ok()
        .and_then(|n| n.checked_mul(8))
        .ok_or(WebCryptoError::Input {
            op,
            reason: "output length too large",
        })?;
    let s = subtle(op)?;
    let base = run(
        op,
        s.import_key_with_object(
            "raw",
            &js_bytes(password),
            &obj(op, &[("name", "PBKDF2".into())])?,
            false,
            &usages(&["deriveBits"]),
        ),
    )
    .await?;
    let base = key_of(op, base)?;
    let params = obj(
        op,
        &[
            ("name", "PBKDF2".into()),
            ("hash", "SHA-256".into()),
            ("salt", js_bytes(salt).into()),
            ("iterations", iterations.into()),
        ],
    )?;
    let v = run(op, s.derive_bits_with_object(&params, &base, bits)).await?;
    bytes_of(op, &v)
}

async fn sha256(data: &[u8]) -> Result<Vec<u8>, WebCryptoError> {
    let op = Op::Digest;
    let s = subtle(op)?;
    let v = run(
        op,
        s.digest_with_str_and_js_u8_array("SHA-256", &js_bytes(data)),
    )
    .await?;
    bytes_of(op, &v)
}
