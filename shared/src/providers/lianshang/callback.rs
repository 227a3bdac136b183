//! Lianshang's payment notify to the `notify_url` (SPEC 3.4 "lianshang", 4.1).
//!
//! The seed defines no notify; Kassa fixes it (as the sandbox sends it):
//! `{notify_id, merchant_id, out_trade_id, wk_trade_id, pay_amount, pay_currency,
//! trade_status: SUCCESS|FAIL, notify_time, security_type, sign}`, signed as SPEC 4.1
//! (the message minus `sign`/`security_type`, RFC 8785) with the **platform** key.
//!
//! The body is parsed strictly (`jcs::parse_strict`: duplicate members would let the
//! signed and the acted-on values differ), verified, and only then read.
//! `out_trade_id` is the [`ProviderRef`]; `pay_amount` fen (integer) with
//! `pay_currency`. De-dup key: `lianshang:<notify_id>` (stable per trade and outcome).
//!
//! Binding (SPEC 3.4 "lianshang"): the platform key signs the notifies of **every**
//! merchant on the platform, so a signature proves only that the platform sent it, not
//! that it is about our trade. A co-tenant merchant can create a trade whose
//! `out_trade_id` is one of our references, pay it, and the platform's genuine SUCCESS
//! would name our order. The notify therefore carries `merchant_id` out as
//! [`VerifiedCallback::account`] and `wk_trade_id` as `provider_txn`; the edge requires
//! `merchant_id` = its configured merchant and `wk_trade_id` = the trade createPayOrder
//! returned for that attempt (`order_object/callback.rs`), and refuses anything else.
//!
//! Signature profile: SHA256withRSA ("RSA2") only. SHA1withRSA ("RSA", the seed's legacy
//! profile) is refused on notifies by [`verify`] — SHA-1 is not collision resistant, and
//! a notify settles money — unless the operator opts into the legacy profile for S3
//! ([`verify_with`] with `allow_sha1`, the edge's `KASSA_S3_ALLOW_RSA1=true`). A refused
//! SHA-1 notify is [`CallbackError::Unverified`] like any other signature that does not
//! count.

use super::sign::verify_message;
use crate::callback::{
    claimed_text, minor_field, str_field, Answer, CallbackAmount, CallbackError, Outcome, Provider,
    ProviderRef, SettleError, VerifiedCallback,
};
use crate::crypto::{jcs, PublicKey, SignAlg};
use crate::money::{Currency, Money};

/// Verifies a notify body with the platform public key (RSA2 only), then reads it.
///
/// # Errors
/// [`CallbackError::Unverified`] (opaque), then [`CallbackError::Malformed`].
pub fn verify(body: &[u8], platform_pub: &PublicKey) -> Result<VerifiedCallback, CallbackError> {
    verify_with(body, platform_pub, false)
}

/// As [`verify`]; `allow_sha1` also accepts the legacy SHA1withRSA ("RSA") profile.
///
/// # Errors
/// [`CallbackError::Unverified`] (opaque, also for "RSA" when not allowed), then
/// [`CallbackError::Malformed`].
pub fn verify_with(
    body: &[u8],
    platform_pub: &PublicKey,
    allow_sha1: bool,
) -> Result<VerifiedCallback, CallbackError> {
    let v = jcs::parse_strict(body).map_err(|_| CallbackError::Unverified)?;
    let alg = verify_message(&v, platform_pub).map_err(|_| CallbackError::Unverified)?;
    if alg == SignAlg::Rsa && !allow_sha1 {
        return Err(CallbackError::Unverified);
    }
    let notify_id = str_field(&v, "notify_id")?;
    let merchant_id = str_field(&v, "merchant_id")?;
    let reference = ProviderRef::parse("out_trade_id", str_field(&v, "out_trade_id")?)?;
    let wk_trade_id = str_field(&v, "wk_trade_id")?;
    let currency = Currency::from_code("pay_currency", str_field(&v, "pay_currency")?)?;
    let amount = Money::new(currency, minor_field(&v, "pay_amount")?);
    let outcome = match str_field(&v, "trade_status")? {
        "SUCCESS" => Outcome::Succeeded,
        "FAIL" => Outcome::Failed,
        _ => {
            return Err(CallbackError::malformed(
                "trade_status",
                "must be SUCCESS or FAIL",
            ))
        }
    };
    Ok(VerifiedCallback {
        provider: Provider::Lianshang,
        event_id: format!("lianshang:{notify_id}"),
        reference,
        outcome,
        amount: CallbackAmount::Fiat(amount),
        provider_txn: wk_trade_id.to_owned(),
        confirm_required: false,
        account: Some(merchant_id.to_owned()),
        refunded_txn: None,
    })
}

/// Where the notify carries its signature (SPEC 4.1).
pub const SIGNATURE_FIELD: &str = "sign";

/// Step 5 of the order's callback flow, binding (module docs): the notify must name our
/// `merchant_id` and the `wk_trade_id` createPayOrder answered for the attempt
/// (`recorded_trade`, `None` when no trade was recorded for it).
///
/// # Errors
/// [`SettleError::WrongAccount`] / [`SettleError::WrongTrade`].
pub fn bind(
    cb: &VerifiedCallback,
    merchant_id: &str,
    recorded_trade: Option<&str>,
) -> Result<(), SettleError> {
    if cb.account.as_deref() != Some(merchant_id) {
        return Err(SettleError::WrongAccount {
            field: "merchant_id",
            provider: Provider::Lianshang,
        });
    }
    match recorded_trade {
        None => Err(SettleError::WrongTrade {
            reason: "wk_trade_id: no S3 trade was created for this attempt",
        }),
        Some(w) if w != cb.provider_txn => Err(SettleError::WrongTrade {
            reason: "wk_trade_id: is not the trade created for this attempt",
        }),
        Some(_) => Ok(()),
    }
}

/// What Lianshang expects back for a notify Kassa received. The seed defines no notify
/// and so no answer; Kassa answers plain-text `SUCCESS`, the convention of the
/// Alipay-style platforms S3 follows (anything else is read as "retry").
#[must_use]
pub fn answer() -> Answer {
    Answer {
        status: 200,
        content_type: Some("text/plain; charset=utf-8"),
        body: "SUCCESS".to_owned(),
    }
}

/// A refusal: plain-text `FAIL` (anything but `SUCCESS` is "retry").
#[must_use]
pub fn reject(status: u16) -> Answer {
    Answer {
        status,
        content_type: Some("text/plain; charset=utf-8"),
        body: "FAIL".to_owned(),
    }
}

/// The `out_trade_id` a notify claims, unverified (see `callback::claimed_order`).
#[must_use]
pub fn claimed_reference(body: &[u8]) -> Option<String> {
    let v = serde_json::from_slice::<serde_json::Value>(body).ok()?;
    claimed_text(&v, "out_trade_id")
}
