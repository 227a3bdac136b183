//! RSA PKCS#1 v1.5 signatures as SPEC 4.1 profiles them: `security_type` "RSA2" =
//! SHA256withRSA (the default), "RSA" = SHA1withRSA (legacy, the Alipay convention).
//! Signatures travel as standard base64.
//!
//! Signing uses a private key and is therefore for tests, the sandbox and the CLI only:
//! the `rsa` crate's private operations are not constant time (RUSTSEC-2023-0071); the
//! edge signs through WebCrypto (SPEC 4.4). Verification is a public-key operation and
//! is safe anywhere.

use core::fmt;
use core::str::FromStr;

#[cfg(feature = "private-keys")]
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rsa::Pkcs1v15Sign;
use sha1::Sha1;
use sha2::{Digest, Sha256};

#[cfg(feature = "private-keys")]
use super::keys::PrivateKey;
use super::keys::PublicKey;
use super::{strip_ws, B64_LENIENT};

/// The signature algorithm named by a message's `security_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SignAlg {
    /// SHA256withRSA, `security_type` "RSA2".
    #[default]
    Rsa2,
    /// SHA1withRSA, `security_type` "RSA" (legacy; accepted because S3's seed uses it).
    Rsa,
}

impl SignAlg {
    /// The `security_type` string for this algorithm.
    #[must_use]
    pub fn security_type(self) -> &'static str {
        match self {
            Self::Rsa2 => "RSA2",
            Self::Rsa => "RSA",
        }
    }

    fn padding_and_digest(self, msg: &[u8]) -> (Pkcs1v15Sign, Vec<u8>) {
        match self {
            Self::Rsa2 => (Pkcs1v15Sign::new::<Sha256>(), Sha256::digest(msg).to_vec()),
            Self::Rsa => (Pkcs1v15Sign::new::<Sha1>(), Sha1::digest(msg).to_vec()),
        }
    }
}

impl fmt::Display for SignAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.security_type())
    }
}

impl FromStr for SignAlg {
    type Err = SignatureError;
    /// Exact, case-sensitive match: a signature scheme is not a place for guessing.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "RSA2" => Ok(Self::Rsa2),
            "RSA" => Ok(Self::Rsa),
            other => Err(SignatureError::UnknownSecurityType {
                value: other.chars().take(16).collect(),
            }),
        }
    }
}

/// Signature errors. [`SignatureError::Invalid`] is deliberately opaque: it does not say
/// whether the base64, the length or the padding was wrong (no oracle).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("security_type: `{value}` is not RSA2 or RSA")]
    UnknownSecurityType { value: String },
    #[error("private key: signing failed (key too small for the digest?)")]
    Sign,
    #[error("signature: verification failed")]
    Invalid,
}

#[cfg(feature = "private-keys")]
/// Signs `msg` and returns the raw signature (k bytes).
pub fn sign_raw(key: &PrivateKey, alg: SignAlg, msg: &[u8]) -> Result<Vec<u8>, SignatureError> {
    let (padding, hashed) = alg.padding_and_digest(msg);
    key.as_rsa()
        .sign(padding, &hashed)
        .map_err(|_| SignatureError::Sign)
}

#[cfg(feature = "private-keys")]
/// Signs `msg` and returns the signature as standard base64.
pub fn sign(key: &PrivateKey, alg: SignAlg, msg: &[u8]) -> Result<String, SignatureError> {
    sign_raw(key, alg, msg).map(|s| STANDARD.encode(s))
}

/// Verifies a raw signature over `msg`.
pub fn verify_raw(
    key: &PublicKey,
    alg: SignAlg,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), SignatureError> {
    let (padding, hashed) = alg.padding_and_digest(msg);
    key.as_rsa()
        .verify(padding, &hashed, sig)
        .map_err(|_| SignatureError::Invalid)
}

/// Verifies a base64 signature over `msg`. White space inside the base64 (MIME-wrapped
/// output of Java signers) and missing padding are tolerated.
pub fn verify(
    key: &PublicKey,
    alg: SignAlg,
    msg: &[u8],
    sig_b64: &str,
) -> Result<(), SignatureError> {
    let sig = B64_LENIENT
        .decode(strip_ws(sig_b64))
        .map_err(|_| SignatureError::Invalid)?;
    verify_raw(key, alg, msg, &sig)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::fixtures;
    use proptest::prelude::*;

    #[test]
    fn security_type_strings() {
        assert_eq!(SignAlg::default(), SignAlg::Rsa2);
        for alg in [SignAlg::Rsa2, SignAlg::Rsa] {
            assert_eq!(alg.security_type().parse::<SignAlg>().unwrap(), alg);
        }
        assert!(matches!(
            "rsa2".parse::<SignAlg>(),
            Err(SignatureError::UnknownSecurityType { .. })
        ));
    }

    #[test]
    fn algorithms_are_not_interchangeable() {
        let (k, p) = (fixtures::priv1024(), fixtures::pub1024());
        let sig = sign(&k, SignAlg::Rsa, b"hello").unwrap();
        assert!(verify(&p, SignAlg::Rsa, b"hello", &sig).is_ok());
        assert_eq!(
            verify(&p, SignAlg::Rsa2, b"hello", &sig),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(&p, SignAlg::Rsa, b"hello", "not base64!"),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(&fixtures::pub2048(), SignAlg::Rsa, b"hello", &sig),
            Err(SignatureError::Invalid)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn sign_verify_round_trip(msg in proptest::collection::vec(any::<u8>(), 0..512),
                                  flip in any::<usize>(), sha1 in any::<bool>()) {
            let alg = if sha1 { SignAlg::Rsa } else { SignAlg::Rsa2 };
            let (k, p) = (fixtures::priv2048(), fixtures::pub2048());
            let sig = sign_raw(&k, alg, &msg).unwrap();
            prop_assert!(verify_raw(&p, alg, &msg, &sig).is_ok());
            let mut bad = sig.clone();
            let i = flip % bad.len();
            bad[i] ^= 1;
            prop_assert_eq!(verify_raw(&p, alg, &msg, &bad), Err(SignatureError::Invalid));
            let mut other = msg.clone();
            other.push(0);
            prop_assert_eq!(verify_raw(&p, alg, &other, &sig), Err(SignatureError::Invalid));
        }
    }
}
