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
//! `merchant_id` is not checked here: the reference, amount and currency are checked
//! against the stored order, which a notify for another merchant's trade cannot match.

use super::sign::verify_message;
use crate::callback::{
    minor_field, str_field, CallbackAmount, CallbackError, Outcome, Provider, ProviderRef,
    VerifiedCallback,
};
use crate::crypto::{jcs, PublicKey};
use crate::money::{Currency, Money};

/// Verifies a notify body with the platform public key, then reads it.
///
/// # Errors
/// [`CallbackError::Unverified`] (opaque), then [`CallbackError::Malformed`].
pub fn verify(body: &[u8], platform_pub: &PublicKey) -> Result<VerifiedCallback, CallbackError> {
    let v = jcs::parse_strict(body).map_err(|_| CallbackError::Unverified)?;
    verify_message(&v, platform_pub).map_err(|_| CallbackError::Unverified)?;
    let notify_id = str_field(&v, "notify_id")?;
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
    })
}
