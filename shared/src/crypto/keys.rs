//! RSA keys as Kassa accepts them (SPEC 4.1, last bullet): PEM — PKCS#8 `PRIVATE KEY`,
//! PKCS#1 `RSA PRIVATE KEY` / `RSA PUBLIC KEY`, SPKI `PUBLIC KEY` — or the bare base64 DER
//! that Chinese platforms hand out (tried as PKCS#8/SPKI first, then PKCS#1). White space
//! anywhere (wrapped or unwrapped lines, CRLF, leading blanks) is tolerated.
//!
//! Export is PKCS#8 PEM for private keys and SPKI PEM for public keys (`kassa keygen`).

use core::fmt;

use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPublicKey;
#[cfg(feature = "private-keys")]
use rsa::{
    pkcs1::DecodeRsaPrivateKey,
    pkcs8::{DecodePrivateKey, EncodePrivateKey},
    RsaPrivateKey,
};

use super::{strip_ws, B64_LENIENT};

/// Why a key was rejected. Messages name which key and why, never key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("{which}: empty input")]
    Empty { which: &'static str },
    #[error("{which}: PEM block is malformed ({reason})")]
    PemFrame {
        which: &'static str,
        reason: &'static str,
    },
    #[error("{which}: PEM label `{label}` is not one of {expected}")]
    PemLabel {
        which: &'static str,
        label: String,
        expected: &'static str,
    },
    #[error("{which}: not valid base64")]
    Base64 { which: &'static str },
    #[error("{which}: DER is not a valid {expected} RSA key")]
    Der {
        which: &'static str,
        expected: &'static str,
    },
    #[error("{which}: RSA key generation failed ({bits} bits)")]
    Generate { which: &'static str, bits: usize },
    #[error("{which}: could not encode as {format}")]
    Encode {
        which: &'static str,
        format: &'static str,
    },
}

const PRIVATE: &str = "private key";
const PUBLIC: &str = "public key";

/// An RSA public key (platform keys, Ping++'s key, the wallet's key).
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(RsaPublicKey);

#[cfg(feature = "private-keys")]
/// An RSA private key. Its `Debug` prints `[redacted]`. Private operations are for tests,
/// the sandbox and the CLI only (SPEC 4.4).
#[derive(Clone)]
pub struct PrivateKey(RsaPrivateKey);

/// A PEM block split into its label and decoded body.
struct Pem {
    label: String,
    der: Vec<u8>,
}

fn parse_pem(which: &'static str, text: &str) -> Result<Pem, KeyError> {
    let frame = |reason| KeyError::PemFrame { which, reason };
    let after_begin = text
        .split_once("-----BEGIN ")
        .ok_or(frame("no BEGIN line"))?
        .1;
    let (label, rest) = after_begin
        .split_once("-----")
        .ok_or(frame("BEGIN line not closed"))?;
    let end_marker = format!("-----END {label}-----");
    let (body, _) = rest
        .split_once(&end_marker)
        .ok_or(frame("no matching END line"))?;
    if body.contains(':') {
        // RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`) mean an encrypted legacy key.
        return Err(frame("encrypted or header-carrying PEM is not supported"));
    }
    let der = B64_LENIENT
        .decode(strip_ws(body))
        .map_err(|_| KeyError::Base64 { which })?;
    Ok(Pem {
        label: label.trim().to_owned(),
        der,
    })
}

fn decode_b64(which: &'static str, text: &str) -> Result<Vec<u8>, KeyError> {
    B64_LENIENT
        .decode(strip_ws(text))
        .map_err(|_| KeyError::Base64 { which })
}

impl PublicKey {
    /// Parses SPKI or PKCS#1 PEM, or bare base64 DER (SPKI, then PKCS#1).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KeyError::Empty { which: PUBLIC });
        }
        if text.contains("-----BEGIN ") {
            let pem = parse_pem(PUBLIC, text)?;
            let der = |expected| KeyError::Der {
                which: PUBLIC,
                expected,
            };
            return match pem.label.as_str() {
                "PUBLIC KEY" => {
                    RsaPublicKey::from_public_key_der(&pem.der).map_err(|_| der("SPKI"))
                }
                "RSA PUBLIC KEY" => {
                    RsaPublicKey::from_pkcs1_der(&pem.der).map_err(|_| der("PKCS#1"))
                }
                _ => Err(KeyError::PemLabel {
                    which: PUBLIC,
                    label: pem.label,
                    expected: "PUBLIC KEY, RSA PUBLIC KEY",
                }),
            }
            .map(Self);
        }
        Self::from_der(&decode_b64(PUBLIC, text)?)
    }

    /// Parses DER: SPKI first, then PKCS#1 `RSAPublicKey`.
    pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        RsaPublicKey::from_public_key_der(der)
            .or_else(|_| RsaPublicKey::from_pkcs1_der(der))
            .map(Self)
            .map_err(|_| KeyError::Der {
                which: PUBLIC,
                expected: "SPKI or PKCS#1",
            })
    }

    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`), LF line endings.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.0
            .to_public_key_pem(LineEnding::LF)
            .map_err(|_| KeyError::Encode {
                which: PUBLIC,
                format: "SPKI PEM",
            })
    }

    /// SPKI DER.
    pub fn to_der(&self) -> Result<Vec<u8>, KeyError> {
        self.0
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .map_err(|_| KeyError::Encode {
                which: PUBLIC,
                format: "SPKI DER",
            })
    }

    /// Modulus length in bytes (`k` of RFC 8017).
    #[must_use]
    pub fn size(&self) -> usize {
        self.0.size()
    }

    #[must_use]
    pub fn as_rsa(&self) -> &RsaPublicKey {
        &self.0
    }
}

impl From<RsaPublicKey> for PublicKey {
    fn from(k: RsaPublicKey) -> Self {
        Self(k)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(RSA-{})", self.0.size() * 8)
    }
}

/// PKCS#8 DER of an RSA private key given as PKCS#8 or PKCS#1 (PEM, or bare base64 DER:
/// PKCS#8 first), for a runtime that imports PKCS#8 (WebCrypto, SPEC 4.4). Only the
/// ASN.1 structure is read and a PKCS#1 key wrapped; nothing here computes with the key
/// (so this needs no `private-keys`): the runtime validates it on import.
///
/// # Errors
/// [`KeyError`] naming what is wrong with the text.
pub fn private_key_pkcs8_der(text: &str) -> Result<Vec<u8>, KeyError> {
    use rsa::pkcs8::der::{Decode, Encode};
    let der_err = |expected| KeyError::Der {
        which: PRIVATE,
        expected,
    };
    let as_pkcs8 = |der: &[u8]| -> Option<Vec<u8>> {
        let info = rsa::pkcs8::PrivateKeyInfo::from_der(der).ok()?;
        (info.algorithm.oid == rsa::pkcs1::ALGORITHM_OID).then(|| der.to_vec())
    };
    let wrap_pkcs1 = |der: &[u8]| -> Option<Vec<u8>> {
        rsa::pkcs1::RsaPrivateKey::from_der(der).ok()?;
        rsa::pkcs8::PrivateKeyInfo::new(rsa::pkcs1::ALGORITHM_ID, der)
            .to_der()
            .ok()
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(KeyError::Empty { which: PRIVATE });
    }
    if !text.contains("-----BEGIN ") {
        let der = decode_b64(PRIVATE, text)?;
        return as_pkcs8(&der)
            .or_else(|| wrap_pkcs1(&der))
            .ok_or(der_err("PKCS#8 or PKCS#1"));
    }
    let pem = parse_pem(PRIVATE, text)?;
    match pem.label.as_str() {
        "PRIVATE KEY" => as_pkcs8(&pem.der).ok_or(der_err("PKCS#8")),
        "RSA PRIVATE KEY" => wrap_pkcs1(&pem.der).ok_or(der_err("PKCS#1")),
        _ => Err(KeyError::PemLabel {
            which: PRIVATE,
            label: pem.label,
            expected: "PRIVATE KEY, RSA PRIVATE KEY",
        }),
    }
}

#[cfg(feature = "private-keys")]
impl PrivateKey {
    /// Parses PKCS#8 or PKCS#1 PEM, or bare base64 DER (PKCS#8, then PKCS#1).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KeyError::Empty { which: PRIVATE });
        }
        // Anything with a BEGIN line is PEM, even after leading text such as openssl's
        // "Bag Attributes" lines; parse_pem skips to the marker.
        if text.contains("-----BEGIN ") {
            let pem = parse_pem(PRIVATE, text)?;
            let der = |expected| KeyError::Der {
                which: PRIVATE,
                expected,
            };
            return match pem.label.as_str() {
                "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_der(&pem.der).map_err(|_| der("PKCS#8")),
                "RSA PRIVATE KEY" => {
                    RsaPrivateKey::from_pkcs1_der(&pem.der).map_err(|_| der("PKCS#1"))
                }
                _ => Err(KeyError::PemLabel {
                    which: PRIVATE,
                    label: pem.label,
                    expected: "PRIVATE KEY, RSA PRIVATE KEY",
                }),
            }
            .map(Self);
        }
        Self::from_der(&decode_b64(PRIVATE, text)?)
    }

    /// Parses DER: PKCS#8 first, then PKCS#1 `RSAPrivateKey`.
    pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        RsaPrivateKey::from_pkcs8_der(der)
            .or_else(|_| RsaPrivateKey::from_pkcs1_der(der))
            .map(Self)
            .map_err(|_| KeyError::Der {
                which: PRIVATE,
                expected: "PKCS#8 or PKCS#1",
            })
    }

    /// Generates a fresh key with the caller's RNG (`kassa keygen`, test fixtures).
    pub fn generate(
        rng: &mut impl rand_core::CryptoRngCore,
        bits: usize,
    ) -> Result<Self, KeyError> {
        RsaPrivateKey::new(rng, bits)
            .map(Self)
            .map_err(|_| KeyError::Generate {
                which: PRIVATE,
                bits,
            })
    }

    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.to_public_key())
    }

    /// PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), LF line endings. The buffer is wiped
    /// on drop.
    pub fn to_pem(&self) -> Result<rsa::pkcs8::der::zeroize::Zeroizing<String>, KeyError> {
        self.0
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| KeyError::Encode {
                which: PRIVATE,
                format: "PKCS#8 PEM",
            })
    }

    /// PKCS#8 DER, wiped on drop.
    pub fn to_der(&self) -> Result<rsa::pkcs8::der::zeroize::Zeroizing<Vec<u8>>, KeyError> {
        self.0
            .to_pkcs8_der()
            .map(|d| rsa::pkcs8::der::zeroize::Zeroizing::new(d.as_bytes().to_vec()))
            .map_err(|_| KeyError::Encode {
                which: PRIVATE,
                format: "PKCS#8 DER",
            })
    }

    /// Modulus length in bytes.
    #[must_use]
    pub fn size(&self) -> usize {
        self.0.size()
    }

    #[must_use]
    pub fn as_rsa(&self) -> &RsaPrivateKey {
        &self.0
    }
}

#[cfg(feature = "private-keys")]
impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey([redacted])")
    }
}

/// Key fixtures shared by the unit tests of every crypto module (generated once with
/// `openssl`, see `tests/vectors/README.md`), because RSA key generation is slow.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::{PrivateKey, PublicKey};

    pub const PRIV_2048: &str =
        include_str!("../../../tests/vectors/crypto/keys/rsa2048.pkcs8.pem");
    pub const PUB_2048: &str = include_str!("../../../tests/vectors/crypto/keys/rsa2048.spki.pem");
    pub const PRIV_1024: &str =
        include_str!("../../../tests/vectors/crypto/keys/rsa1024.pkcs8.pem");
    pub const PUB_1024: &str = include_str!("../../../tests/vectors/crypto/keys/rsa1024.spki.pem");

    pub fn priv2048() -> PrivateKey {
        PrivateKey::parse(PRIV_2048).unwrap()
    }
    pub fn pub2048() -> PublicKey {
        PublicKey::parse(PUB_2048).unwrap()
    }
    pub fn priv1024() -> PrivateKey {
        PrivateKey::parse(PRIV_1024).unwrap()
    }
    pub fn pub1024() -> PublicKey {
        PublicKey::parse(PUB_1024).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/crypto/keys/");

    fn read(name: &str) -> String {
        std::fs::read_to_string(format!("{DIR}{name}")).unwrap()
    }

    #[test]
    fn every_private_form_gives_the_pkcs8_der_webcrypto_imports() {
        // openssl's PKCS#8 DER is the reference: PKCS#1 forms are re-wrapped to it.
        let want = PrivateKey::parse(&read("rsa1024.pkcs8.pem"))
            .unwrap()
            .to_der()
            .unwrap();
        for name in [
            "rsa1024.pkcs8.pem",
            "rsa1024.pkcs1.pem",
            "rsa1024.pkcs8.b64",
            "rsa1024.pkcs1.b64",
        ] {
            assert_eq!(private_key_pkcs8_der(&read(name)).unwrap(), *want, "{name}");
        }
        let refused = |text: &str| private_key_pkcs8_der(text).unwrap_err().to_string();
        assert_eq!(refused("  "), "private key: empty input");
        assert_eq!(refused("!!!"), "private key: not valid base64");
        assert_eq!(
            refused("AAAA"),
            "private key: DER is not a valid PKCS#8 or PKCS#1 RSA key"
        );
        assert!(refused(&read("rsa1024.spki.pem")).contains("PEM label `PUBLIC KEY`"));
        assert!(refused("-----BEGIN PRIVATE KEY-----\nAAAA").contains("no matching END line"));
    }

    #[test]
    fn every_accepted_form_gives_the_same_key() {
        let priv8 = PrivateKey::parse(&read("rsa1024.pkcs8.pem")).unwrap();
        let want_pub = priv8.public_key();
        for name in [
            "rsa1024.pkcs1.pem",
            "rsa1024.pkcs8.b64",
            "rsa1024.pkcs1.b64",
        ] {
            let k = PrivateKey::parse(&read(name)).unwrap();
            assert_eq!(k.public_key(), want_pub, "{name}");
        }
        for name in [
            "rsa1024.spki.pem",
            "rsa1024.pkcs1.pub.pem",
            "rsa1024.spki.b64",
            "rsa1024.pkcs1.pub.b64",
        ] {
            assert_eq!(PublicKey::parse(&read(name)).unwrap(), want_pub, "{name}");
        }
        assert_eq!(want_pub.size(), 128);
    }

    #[test]
    fn tolerates_white_space() {
        let pem = read("rsa2048.spki.pem");
        let crlf = format!("\n  {}  \n", pem.replace('\n', "\r\n"));
        assert!(PublicKey::parse(&crlf).is_ok());
        let b64 = read("rsa1024.spki.b64");
        let wrapped: String = b64
            .as_bytes()
            .chunks(64)
            .map(|c| format!(" {}\n", std::str::from_utf8(c).unwrap()))
            .collect();
        assert!(PublicKey::parse(&wrapped).is_ok());
        // Leading text before the PEM block (openssl pkcs12 output) is skipped.
        assert!(PublicKey::parse(&format!("Bag Attributes\n    localKeyID: 01\n{pem}")).is_ok());
        // One-line PEM, as pasted into a single-line config field.
        let one_line = pem.replace('\n', "");
        assert!(PublicKey::parse(&one_line).is_ok());
    }

    #[test]
    fn round_trips_pem_and_der() {
        let k = fixtures::priv1024();
        let again = PrivateKey::parse(&k.to_pem().unwrap()).unwrap();
        assert_eq!(again.public_key(), k.public_key());
        assert!(PrivateKey::from_der(&k.to_der().unwrap()).is_ok());
        let p = k.public_key();
        assert_eq!(PublicKey::parse(&p.to_pem().unwrap()).unwrap(), p);
        assert_eq!(PublicKey::from_der(&p.to_der().unwrap()).unwrap(), p);
    }

    #[test]
    fn rejects_with_named_reasons() {
        assert_eq!(
            PublicKey::parse("  "),
            Err(KeyError::Empty {
                which: "public key"
            })
        );
        assert_eq!(
            PublicKey::parse("%%%"),
            Err(KeyError::Base64 {
                which: "public key"
            })
        );
        assert!(matches!(
            PublicKey::parse("AAAA"),
            Err(KeyError::Der { .. })
        ));
        assert!(matches!(
            PublicKey::parse(&read("rsa1024.pkcs8.pem")),
            Err(KeyError::PemLabel { .. })
        ));
        assert!(matches!(
            PrivateKey::parse("-----BEGIN PRIVATE KEY-----\nAAAA\n"),
            Err(KeyError::PemFrame { .. })
        ));
        let msg = PrivateKey::parse("-----BEGIN X-----\nAAAA\n-----END X-----")
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("private key: PEM label `X`"), "{msg}");
    }

    #[test]
    fn private_debug_is_redacted() {
        assert_eq!(
            format!("{:?}", fixtures::priv1024()),
            "PrivateKey([redacted])"
        );
        assert_eq!(format!("{:?}", fixtures::pub2048()), "PublicKey(RSA-2048)");
    }
}
