//! The providers' requests that need the Worker's runtime (SPEC 4.4): a private-key
//! signature through WebCrypto, or randomness from the runtime's CSPRNG. Everything
//! else about them — the message, the string to sign, where the signature goes, the
//! encryption and the answer — is `kassa_shared::providers`', and which request a
//! charge makes is `kassa_shared::flows::charge`'s ([`prepare`] readies one).

use kassa_shared::callback::ProviderRef;
use kassa_shared::flows::charge::ChargeRequest;
use kassa_shared::money::TokenAmount;
use kassa_shared::providers::lianshang::{self, Created, PayOrder, S3Config, S3Error};
use kassa_shared::providers::paytm::{self, checksum::Salt, PaytmConfig, PaytmOrder};
use kassa_shared::providers::{pingpp, wallet::WalletConfig};
use kassa_shared::surfaces::handoff::Handoff;
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

/// Paytm's hand-off for `order`: the signed pre-order form (a fresh salt) the widget
/// posts to Paytm's process page (SPEC 3.3).
///
/// # Errors
/// No randomness, or the form or hand-off cannot be built (the message names which).
pub fn paytm_handoff(cfg: &PaytmConfig, order: &PaytmOrder) -> Result<Handoff, String> {
    let salt = paytm_salt().map_err(|e| format!("paytm: {e}"))?;
    let form = paytm::pre_order_form(cfg, order, &salt).map_err(|e| format!("paytm form: {e}"))?;
    paytm::handoff(cfg, &form).map_err(|e| format!("paytm hand-off: {e}"))
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

/// A charge request ready to go: Paytm's signed form is built (with the runtime's
/// randomness for its salt), S3's private key imported into WebCrypto.
pub enum Prepared<'c> {
    /// Nothing is sent: the widget posts the form.
    Paytm(Handoff),
    Pingpp(&'c pingpp::PingppConfig, pingpp::ChargeOrder),
    Lianshang(&'c S3Config, SigningKey, PayOrder),
    Wallet(&'c WalletConfig, ProviderRef, String, TokenAmount),
}

/// Readies `request`: everything that can fail for configuration reasons (keys) fails
/// here, before the caller records an attempt.
///
/// # Errors
/// The Paytm form or the S3 key (the message names which).
pub async fn prepare(request: ChargeRequest<'_>) -> Result<Prepared<'_>, String> {
    Ok(match request {
        ChargeRequest::Paytm(cfg, order) => Prepared::Paytm(paytm_handoff(cfg, &order)?),
        ChargeRequest::Pingpp(cfg, order) => Prepared::Pingpp(cfg, order),
        ChargeRequest::Lianshang(cfg, order) => {
            let key = SigningKey::import(cfg.private_key.expose(), cfg.alg)
                .await
                .map_err(|e| format!("lianshang private key: {e}"))?;
            Prepared::Lianshang(cfg, key, order)
        }
        ChargeRequest::Wallet {
            cfg,
            reference,
            token,
            amount,
        } => Prepared::Wallet(cfg, reference, token, amount),
    })
}
