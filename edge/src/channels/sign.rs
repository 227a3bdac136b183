//! The providers' requests that need the Worker's runtime (SPEC 4.4): a private-key
//! signature through WebCrypto, or randomness from the runtime's CSPRNG. Everything
//! else about them — the message, the string to sign, where the signature goes, the
//! encryption and the answer — is `kassa_shared::providers`'.

use kassa_shared::providers::lianshang::{self, Created, PayOrder, S3Config, S3Error};
use kassa_shared::providers::paytm::checksum::Salt;
use serde_json::Value;

use crate::webcrypto::{SigningKey, WebCryptoError};

/// Why a signed S3 call failed: the key, or the call itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignedCallError {
    #[error(transparent)]
    WebCrypto(#[from] WebCryptoError),
    #[error(transparent)]
    S3(#[from] S3Error),
}

/// 4 random bytes for a Paytm checksum salt (SPEC 4.3), from the runtime's CSPRNG.
///
/// # Errors
/// No randomness is available (the message names the salt).
pub fn paytm_salt() -> Result<Salt, &'static str> {
    let mut b = [0u8; 4];
    getrandom::getrandom(&mut b).map_err(|_| "salt: no randomness available")?;
    Ok(Salt::from_random_bytes(b))
}

/// Signs an S3 message in place with WebCrypto: the string to sign from `shared`, the
/// signature put where `shared` says.
///
/// # Errors
/// The message is not signable, or WebCrypto refuses.
pub async fn sign_s3_message(message: &mut Value, key: &SigningKey) -> Result<(), SignedCallError> {
    let text = lianshang::signing_string(message)?;
    let sig = key.sign_base64(text.as_bytes()).await?;
    lianshang::insert_signature(message, key.alg(), sig)?;
    Ok(())
}

/// `createPayOrder` end to end: build, sign (WebCrypto), encrypt, send, verify the answer.
///
/// # Errors
/// Any step's error; the attempt fails with its message.
pub async fn s3_create_pay_order(
    cfg: &S3Config,
    key: &SigningKey,
    order: &PayOrder,
) -> Result<Created, SignedCallError> {
    let mut message = lianshang::build_message(cfg, order)?;
    sign_s3_message(&mut message, key).await?;
    let exchange = lianshang::create_pay_order(cfg, &message, &mut rand_core::OsRng)?;
    Ok(super::run(exchange).await?)
}
