//! Block-wise RSA PKCS#1 v1.5 encryption of S3's `res_data` (SPEC 4.2).
//!
//! The plaintext (optionally gzipped first, `compress_type` "1") is cut into blocks of
//! `k − 11` bytes (117 for 1024-bit keys, 245 for 2048-bit), each block is encrypted on
//! its own into exactly `k` bytes, the ciphertext blocks are concatenated and the result
//! is standard base64. An empty plaintext gives zero blocks, i.e. an empty string — the
//! behaviour of the Java chunking loop Chinese platforms ship.
//!
//! Encryption is a public-key operation (fine at the edge). Decryption needs the private
//! key and is for the sandbox, tests and the CLI (SPEC 4.4); its block errors are opaque
//! so a padding failure is not an oracle.

use std::io::{Read as _, Write as _};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rsa::Pkcs1v15Encrypt;

#[cfg(feature = "private-keys")]
use super::keys::PrivateKey;
use super::keys::PublicKey;
#[cfg(feature = "private-keys")]
use super::{strip_ws, B64_LENIENT};

/// PKCS#1 v1.5 encryption padding overhead (RFC 8017 §7.2.1).
const PKCS1_OVERHEAD: usize = 11;

/// The most a gunzip may produce. A few kilobytes of gzip can expand into gigabytes; a
/// `createPayOrder` message is a few kilobytes.
pub const MAX_PLAINTEXT: usize = 4 * 1024 * 1024;

/// Why encryption failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncryptError {
    #[error("public key: {bits}-bit key is too small for PKCS#1 v1.5 blocks")]
    KeyTooSmall { bits: usize },
    #[error("plaintext: gzip failed")]
    Gzip,
    #[error("plaintext: RSA encryption of a block failed")]
    Rsa,
}

/// Why decryption failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("res_data: not valid base64")]
    Base64,
    #[error("res_data: {len} ciphertext bytes is not a multiple of the {k}-byte key size")]
    Length { len: usize, k: usize },
    /// Opaque on purpose: which block and why stay unsaid (Bleichenbacher).
    #[error("res_data: decryption failed")]
    Block,
    #[error("res_data: decrypted data is not valid gzip")]
    Gunzip,
    #[error("res_data: decompressed data exceeds {max} bytes")]
    TooLarge { max: usize },
}

/// Plaintext bytes per block for a key of `k` bytes.
#[must_use]
pub fn block_len(k: usize) -> usize {
    k.saturating_sub(PKCS1_OVERHEAD)
}

/// gzip with the default level and a zero mtime, so output depends on input only.
pub fn gzip(data: &[u8]) -> Result<Vec<u8>, EncryptError> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).map_err(|_| EncryptError::Gzip)?;
    enc.finish().map_err(|_| EncryptError::Gzip)
}

/// gunzip, refusing output over [`MAX_PLAINTEXT`].
pub fn gunzip(data: &[u8]) -> Result<Vec<u8>, DecryptError> {
    let mut out = Vec::new();
    let limit = u64::try_from(MAX_PLAINTEXT)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    flate2::read::GzDecoder::new(data)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|_| DecryptError::Gunzip)?;
    if out.len() > MAX_PLAINTEXT {
        return Err(DecryptError::TooLarge { max: MAX_PLAINTEXT });
    }
    Ok(out)
}

/// Encrypts block by block and returns the concatenated ciphertext blocks.
pub fn encrypt_blocks(
    key: &PublicKey,
    plaintext: &[u8],
    rng: &mut impl rand_core::CryptoRngCore,
) -> Result<Vec<u8>, EncryptError> {
    let k = key.size();
    let n = block_len(k);
    if n == 0 {
        return Err(EncryptError::KeyTooSmall { bits: k * 8 });
    }
    let mut out = Vec::with_capacity(plaintext.len().div_ceil(n) * k);
    for block in plaintext.chunks(n) {
        let c = key
            .as_rsa()
            .encrypt(rng, Pkcs1v15Encrypt, block)
            .map_err(|_| EncryptError::Rsa)?;
        out.extend_from_slice(&c);
    }
    Ok(out)
}

/// Optionally gzips, encrypts block by block, and base64-encodes (the `res_data` value).
pub fn encrypt(
    key: &PublicKey,
    plaintext: &[u8],
    gzip_first: bool,
    rng: &mut impl rand_core::CryptoRngCore,
) -> Result<String, EncryptError> {
    let blocks = if gzip_first {
        encrypt_blocks(key, &gzip(plaintext)?, rng)?
    } else {
        encrypt_blocks(key, plaintext, rng)?
    };
    Ok(STANDARD.encode(blocks))
}

#[cfg(feature = "private-keys")]
/// Decrypts concatenated `k`-byte ciphertext blocks.
pub fn decrypt_blocks(key: &PrivateKey, ciphertext: &[u8]) -> Result<Vec<u8>, DecryptError> {
    let k = key.size();
    // `checked_rem` also refuses k = 0; `is_multiple_of` is newer than our MSRV (1.85).
    if ciphertext.len().checked_rem(k) != Some(0) {
        return Err(DecryptError::Length {
            len: ciphertext.len(),
            k,
        });
    }
    let mut out = Vec::with_capacity(ciphertext.len() / k * block_len(k));
    for block in ciphertext.chunks(k) {
        let p = key
            .as_rsa()
            .decrypt(Pkcs1v15Encrypt, block)
            .map_err(|_| DecryptError::Block)?;
        out.extend_from_slice(&p);
    }
    Ok(out)
}

#[cfg(feature = "private-keys")]
/// Base64-decodes (white space tolerated), decrypts block by block, optionally gunzips.
pub fn decrypt(
    key: &PrivateKey,
    res_data: &str,
    gunzip_after: bool,
) -> Result<Vec<u8>, DecryptError> {
    let ct = B64_LENIENT
        .decode(strip_ws(res_data))
        .map_err(|_| DecryptError::Base64)?;
    let plain = decrypt_blocks(key, &ct)?;
    if gunzip_after {
        gunzip(&plain)
    } else {
        Ok(plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::fixtures;
    use proptest::prelude::*;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn block_sizes_follow_the_key() {
        assert_eq!(block_len(fixtures::pub1024().size()), 117);
        assert_eq!(block_len(fixtures::pub2048().size()), 245);
        let mut rng = StdRng::seed_from_u64(1);
        let p = fixtures::pub1024();
        for (len, blocks) in [(0, 0), (1, 1), (117, 1), (118, 2), (234, 2), (235, 3)] {
            let ct = encrypt_blocks(&p, &vec![7u8; len], &mut rng).unwrap();
            assert_eq!(ct.len(), blocks * 128, "{len}");
        }
    }

    #[test]
    fn rejects_bad_lengths_and_garbage() {
        let k = fixtures::priv1024();
        assert_eq!(decrypt(&k, "%%", false), Err(DecryptError::Base64));
        let short = STANDARD.encode([0u8; 100]);
        assert_eq!(
            decrypt(&k, &short, false),
            Err(DecryptError::Length { len: 100, k: 128 })
        );
        let junk = STANDARD.encode([0x55u8; 128]);
        assert_eq!(decrypt(&k, &junk, false), Err(DecryptError::Block));
        let mut rng = StdRng::seed_from_u64(2);
        let not_gzip = encrypt(&fixtures::pub1024(), b"{}", false, &mut rng).unwrap();
        assert_eq!(decrypt(&k, &not_gzip, true), Err(DecryptError::Gunzip));
    }

    #[test]
    fn refuses_gzip_bombs() {
        let bomb = gzip(&vec![0u8; MAX_PLAINTEXT + 1]).unwrap();
        assert_eq!(
            gunzip(&bomb),
            Err(DecryptError::TooLarge { max: MAX_PLAINTEXT })
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn round_trips(data in proptest::collection::vec(any::<u8>(), 0..3000),
                       gz in any::<bool>(), small in any::<bool>(), seed in any::<u64>()) {
            let mut rng = StdRng::seed_from_u64(seed);
            let (k, p) = if small {
                (fixtures::priv1024(), fixtures::pub1024())
            } else {
                (fixtures::priv2048(), fixtures::pub2048())
            };
            let ct = encrypt(&p, &data, gz, &mut rng).unwrap();
            prop_assert_eq!(decrypt(&k, &ct, gz).unwrap(), data);
        }

        #[test]
        fn tampering_is_rejected(data in proptest::collection::vec(any::<u8>(), 1..400),
                                 at in any::<usize>(), seed in any::<u64>()) {
            let mut rng = StdRng::seed_from_u64(seed);
            let (k, p) = (fixtures::priv1024(), fixtures::pub1024());
            let mut ct = encrypt_blocks(&p, &data, &mut rng).unwrap();
            let i = at % ct.len();
            ct[i] ^= 0x80;
            // A flipped ciphertext bit almost always breaks the padding; when it does not,
            // the plaintext differs.
            match decrypt_blocks(&k, &ct) {
                Err(e) => prop_assert_eq!(e, DecryptError::Block),
                Ok(p) => prop_assert_ne!(p, data),
            }
        }
    }
}
