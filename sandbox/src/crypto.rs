//! The sandbox's own cryptographic primitives, written from the providers' documents and
//! RustCrypto directly (never Kassa's `shared` crate, so a misreading there cannot pass both
//! sides): RSA keys as the platforms hand them out (PEM PKCS#8 / PKCS#1 / SPKI, or bare
//! base64 DER — SPEC 4.1), PKCS#1 v1.5 signatures with SHA-256 ("RSA2") or SHA-1 ("RSA",
//! the Alipay-convention legacy), PKCS#1 v1.5 decryption in whole-modulus blocks (SPEC
//! 4.2, seed 003), gunzip, HMAC-SHA256 and constant-time comparison (SPEC 4.4).

use std::fmt;
use std::io::Read as _;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Encrypt, Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `a == b` without an early exit on the first differing byte (lengths are not secret).
#[must_use]
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// HMAC-SHA256 of the concatenated `parts`.
#[must_use]
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// Lower-case hex.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Lower-case hex SHA-256.
#[must_use]
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// "RSA2" (SHA256withRSA, the default) or "RSA" (SHA1withRSA), SPEC 4.1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SignAlg {
    Rsa,
    #[default]
    Rsa2,
}

impl SignAlg {
    /// The `security_type` value naming it.
    #[must_use]
    pub fn security_type(self) -> &'static str {
        match self {
            Self::Rsa => "RSA",
            Self::Rsa2 => "RSA2",
        }
    }

    /// Parses a `security_type` value.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "RSA" => Some(Self::Rsa),
            "RSA2" => Some(Self::Rsa2),
            _ => None,
        }
    }

    fn scheme_and_digest(self, msg: &[u8]) -> (Pkcs1v15Sign, Vec<u8>) {
        match self {
            Self::Rsa => (
                Pkcs1v15Sign::new::<sha1::Sha1>(),
                sha1::Sha1::digest(msg).to_vec(),
            ),
            Self::Rsa2 => (Pkcs1v15Sign::new::<Sha256>(), Sha256::digest(msg).to_vec()),
        }
    }
}

/// Why a key could not be read (which forms were tried).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError(pub String);

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The body of a PEM, or the text itself when it is bare base64 DER.
fn der_of(text: &str) -> Result<Vec<u8>, KeyError> {
    let body: String = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----"))
        .collect();
    STANDARD
        .decode(body.as_bytes())
        .map_err(|e| KeyError(format!("neither PEM nor base64 DER: {e}")))
}

/// An RSA private key (signs, decrypts). Its `Debug` prints nothing secret.
#[derive(Clone)]
pub struct PrivateKey(RsaPrivateKey);

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({} bits, [redacted])", self.0.size() * 8)
    }
}

impl PrivateKey {
    /// PKCS#8 or PKCS#1, as PEM or bare base64 DER.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let der = der_of(text)?;
        RsaPrivateKey::from_pkcs8_der(&der)
            .or_else(|_| RsaPrivateKey::from_pkcs1_der(&der))
            .map(Self)
            .map_err(|_| KeyError("not an RSA private key (PKCS#8 or PKCS#1)".into()))
    }

    /// Modulus size in bytes (k).
    #[must_use]
    pub fn size(&self) -> usize {
        self.0.size()
    }

    /// PKCS#1 v1.5 signature over `msg`.
    pub fn sign(&self, alg: SignAlg, msg: &[u8]) -> Result<Vec<u8>, String> {
        let (scheme, digest) = alg.scheme_and_digest(msg);
        self.0
            .sign(scheme, &digest)
            .map_err(|e| format!("RSA sign: {e}"))
    }

    /// Base64 PKCS#1 v1.5 signature over `msg`.
    pub fn sign_b64(&self, alg: SignAlg, msg: &[u8]) -> Result<String, String> {
        self.sign(alg, msg).map(|s| STANDARD.encode(s))
    }

    /// Reverses SPEC 4.2: base64, then PKCS#1 v1.5 decryption of each k-byte block,
    /// plaintexts concatenated.
    pub fn decrypt_blocks(&self, b64: &str) -> Result<Vec<u8>, String> {
        let data = STANDARD
            .decode(b64.trim().as_bytes())
            .map_err(|e| format!("res_data: not base64: {e}"))?;
        let k = self.size();
        if data.len() % k != 0 {
            return Err(format!(
                "res_data: {} bytes is not a whole number of {k}-byte RSA blocks",
                data.len()
            ));
        }
        let mut out = Vec::with_capacity(data.len());
        for (n, block) in data.chunks(k).enumerate() {
            let plain = self
                .0
                .decrypt(Pkcs1v15Encrypt, block)
                .map_err(|_| format!("res_data: block {n} does not decrypt with the key"))?;
            out.extend_from_slice(&plain);
        }
        Ok(out)
    }

    /// The public half.
    #[must_use]
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.to_public_key())
    }
}

/// An RSA public key (verifies).
#[derive(Clone, Debug)]
pub struct PublicKey(RsaPublicKey);

impl PublicKey {
    /// SPKI or PKCS#1, as PEM or bare base64 DER.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let der = der_of(text)?;
        RsaPublicKey::from_public_key_der(&der)
            .or_else(|_| RsaPublicKey::from_pkcs1_der(&der))
            .map(Self)
            .map_err(|_| KeyError("not an RSA public key (SPKI or PKCS#1)".into()))
    }

    /// Whether `sig` is a PKCS#1 v1.5 signature of `msg` under this key.
    #[must_use]
    pub fn verify(&self, alg: SignAlg, msg: &[u8], sig: &[u8]) -> bool {
        let (scheme, digest) = alg.scheme_and_digest(msg);
        self.0.verify(scheme, &digest, sig).is_ok()
    }

    /// As [`Self::verify`], with a base64 signature.
    #[must_use]
    pub fn verify_b64(&self, alg: SignAlg, msg: &[u8], sig_b64: &str) -> bool {
        STANDARD
            .decode(sig_b64.as_bytes())
            .is_ok_and(|sig| self.verify(alg, msg, &sig))
    }
}

/// Gunzips `data` (at most 1 MiB out: the request itself is at most 64 KiB).
pub fn gunzip(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .take(1 << 20)
        .read_to_end(&mut out)
        .map_err(|e| format!("gzip: {e}"))?;
    Ok(out)
}

/// Whether `data` starts with the gzip magic bytes.
#[must_use]
pub fn is_gzip(data: &[u8]) -> bool {
    data.starts_with(&[0x1f, 0x8b])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::{case_str, cases, key_text};

    #[test]
    fn rsa_signatures_match_openssl() {
        let all = cases("rsa_signatures.json");
        assert!(all.len() >= 20);
        for c in all {
            let key = PrivateKey::parse(&key_text(case_str(&c, "private_key"))).unwrap();
            let public = PublicKey::parse(&key_text(case_str(&c, "public_key"))).unwrap();
            let alg = SignAlg::parse(case_str(&c, "security_type")).unwrap();
            let msg = case_str(&c, "message").as_bytes();
            let sig = key.sign_b64(alg, msg).unwrap();
            // PKCS#1 v1.5 is deterministic: byte for byte openssl's signature.
            assert_eq!(sig, case_str(&c, "signature"), "{c}");
            assert!(public.verify_b64(alg, msg, &sig));
            let other = if alg == SignAlg::Rsa {
                SignAlg::Rsa2
            } else {
                SignAlg::Rsa
            };
            assert!(!public.verify_b64(other, msg, &sig));
            assert!(!public.verify_b64(alg, b"tampered", &sig));
        }
    }

    #[test]
    fn chunked_rsa_decrypts_pycryptodome_output() {
        let all = cases("chunked_rsa.json");
        assert!(all.len() >= 30);
        for c in all {
            let key = PrivateKey::parse(&key_text(case_str(&c, "private_key"))).unwrap();
            let want = STANDARD.decode(case_str(&c, "plaintext_b64")).unwrap();
            let mut got = key.decrypt_blocks(case_str(&c, "res_data")).unwrap();
            let gzip = c["gzip"] == true || c["gzip"] == "True";
            assert_eq!(is_gzip(&got), gzip && !got.is_empty(), "{c}");
            if gzip {
                got = gunzip(&got).unwrap();
            }
            assert_eq!(got, want, "{c}");
        }
    }

    #[test]
    fn keys_in_every_form_platforms_hand_out() {
        for name in [
            "rsa1024.pkcs8.pem",
            "rsa1024.pkcs1.pem",
            "rsa1024.pkcs8.b64",
            "rsa1024.pkcs1.b64",
            "rsa2048.pkcs1.pem",
        ] {
            PrivateKey::parse(&key_text(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        for name in [
            "rsa1024.spki.pem",
            "rsa1024.pkcs1.pub.pem",
            "rsa1024.spki.b64",
            "rsa1024.pkcs1.pub.b64",
        ] {
            PublicKey::parse(&key_text(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert!(PrivateKey::parse("not a key").is_err());
        assert!(PublicKey::parse(&key_text("rsa1024.pkcs8.pem")).is_err());
    }

    #[test]
    fn ct_eq_and_hmac() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        // RFC 4231 test case 2.
        assert_eq!(
            hex(&hmac_sha256(
                b"Jefe",
                &[b"what do ya want ", b"for nothing?"]
            )),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
