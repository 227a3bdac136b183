//! Ping++ webhook verification (SPEC 3.4 "pingpp"): the `X-Pingplusplus-Signature` header
//! is a base64 RSA-SHA256 (PKCS#1 v1.5) signature over the **exact raw request body**,
//! checked with the Ping++ public key before the body is parsed. Re-serialising the JSON
//! would change bytes and break the signature, so this takes bytes, not a value.

use crate::crypto::rsa_sig::{self, SignatureError};
use crate::crypto::{PublicKey, SignAlg};

/// The header Ping++ puts the signature in.
pub const SIGNATURE_HEADER: &str = "X-Pingplusplus-Signature";

/// Verifies a webhook body against its header value. The error is opaque.
pub fn verify(
    raw_body: &[u8],
    signature_b64: &str,
    pingpp_pub: &PublicKey,
) -> Result<(), SignatureError> {
    rsa_sig::verify(pingpp_pub, SignAlg::Rsa2, raw_body, signature_b64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::fixtures;

    #[test]
    fn verifies_raw_bytes_only() {
        let body = br#"{"id":"evt_1","type":"charge.succeeded","data":{"object":{"paid":true}}}"#;
        let sig = rsa_sig::sign(&fixtures::priv2048(), SignAlg::Rsa2, body).unwrap();
        assert_eq!(verify(body, &sig, &fixtures::pub2048()), Ok(()));
        let reformatted =
            br#"{"id": "evt_1","type":"charge.succeeded","data":{"object":{"paid":true}}}"#;
        assert_eq!(
            verify(reformatted, &sig, &fixtures::pub2048()),
            Err(SignatureError::Invalid)
        );
        let sha1 = rsa_sig::sign(&fixtures::priv2048(), SignAlg::Rsa, body).unwrap();
        assert_eq!(
            verify(body, &sha1, &fixtures::pub2048()),
            Err(SignatureError::Invalid)
        );
    }
}
