//! Ping++ webhooks (SPEC 3.4 "pingpp"): `X-Pingplusplus-Signature` is verified over the
//! raw body with the Ping++ public key ([`super::webhook::verify`]) before the body is
//! parsed at all; then the event `{id: "evt_…", object: "event", type, created,
//! data: {object}}` is read.
//!
//! - `charge.succeeded`: `data.object` is the charge; `order_no` is the
//!   [`ProviderRef`], `amount` minor units, `currency` Ping++'s lower-case ISO code
//!   (`"cny"`; upper case is refused as not Ping++'s form), `paid` must be true.
//! - `refund.succeeded`: `data.object` is the refund; `charge_order_no` is the
//!   reference, `amount` minor units of the charge's currency (a refund object does not
//!   repeat it, hence [`CallbackAmount::Minor`]), `succeed` must be true.
//! - Other event types are [`CallbackError::Malformed`] on `type`: verified, but not
//!   something Kassa subscribes to (the edge should still answer 2xx so Ping++ stops).
//!
//! De-dup key: `pingpp:<event id>`.
//!
//! Binding (SPEC 3.4 "pingpp"): Ping++'s key signs the webhooks of every Ping++ app, so
//! the signature does not say the event is about *our* charge. What the edge needs to
//! bind it is carried out: a charge's `app` (required: every Ping++ charge names its
//! app) as [`VerifiedCallback::account`], compared with the configured app id; for a
//! refund, its `charge` as [`VerifiedCallback::refunded_txn`], which must be the charge
//! the edge created for the attempt (Ping++'s refund object names no app: it is bound
//! to our app through that charge; an `app` member, if one is present, must be ours
//! too), and its id (`provider_txn`), which the edge looks up among the refunds it asked
//! for and confirms with Ping++'s refund retrieve.

use serde_json::Value;

use super::webhook;
use crate::callback::{
    minor_field, str_field, CallbackAmount, CallbackError, Outcome, Provider, ProviderRef,
    VerifiedCallback,
};
use crate::crypto::{jcs, PublicKey};
use crate::money::{Currency, Money};

/// Verifies a webhook (`signature_b64` is the `X-Pingplusplus-Signature` header value).
///
/// # Errors
/// [`CallbackError::Unverified`] (opaque), then [`CallbackError::Malformed`].
pub fn verify(
    raw_body: &[u8],
    signature_b64: &str,
    pingpp_pub: &PublicKey,
) -> Result<VerifiedCallback, CallbackError> {
    webhook::verify(raw_body, signature_b64, pingpp_pub).map_err(|_| CallbackError::Unverified)?;
    let v = jcs::parse_strict(raw_body)
        .map_err(|_| CallbackError::malformed("body", "not JSON (or repeats a member name)"))?;
    if v.get("object").and_then(Value::as_str) != Some("event") {
        return Err(CallbackError::malformed("object", "must be \"event\""));
    }
    let id = str_field(&v, "id")?;
    let kind = str_field(&v, "type")?;
    let object = v
        .get("data")
        .and_then(|d| d.get("object"))
        .filter(|o| o.is_object())
        .ok_or_else(|| CallbackError::malformed("data.object", "must be an object"))?;
    let flag = |field: &'static str| -> Result<(), CallbackError> {
        match object.get(field) {
            Some(Value::Bool(true)) => Ok(()),
            _ => Err(CallbackError::malformed(field, "must be true")),
        }
    };
    let (reference, outcome, amount, account, refunded_txn) = match kind {
        "charge.succeeded" => {
            flag("paid")?;
            let app = str_field(object, "app")?.to_owned();
            let code = str_field(object, "currency")?;
            if code.bytes().any(|b| b.is_ascii_uppercase()) {
                return Err(CallbackError::malformed(
                    "currency",
                    "must be Ping++'s lower-case ISO code, e.g. \"cny\"",
                ));
            }
            let currency = Currency::from_code("currency", &code.to_ascii_uppercase())?;
            (
                ProviderRef::parse("order_no", str_field(object, "order_no")?)?,
                Outcome::Succeeded,
                CallbackAmount::Fiat(Money::new(currency, minor_field(object, "amount")?)),
                Some(app),
                None,
            )
        }
        "refund.succeeded" => {
            flag("succeed")?;
            let app = match object.get("app") {
                None | Some(Value::Null) => None,
                Some(_) => Some(str_field(object, "app")?.to_owned()),
            };
            (
                ProviderRef::parse("charge_order_no", str_field(object, "charge_order_no")?)?,
                Outcome::Refunded,
                CallbackAmount::Minor(minor_field(object, "amount")?),
                app,
                Some(str_field(object, "charge")?.to_owned()),
            )
        }
        _ => {
            return Err(CallbackError::malformed(
                "type",
                "must be charge.succeeded or refund.succeeded",
            ))
        }
    };
    Ok(VerifiedCallback {
        provider: Provider::Pingpp,
        event_id: format!("pingpp:{id}"),
        reference,
        outcome,
        amount,
        provider_txn: str_field(object, "id")?.to_owned(),
        confirm_required: false,
        account,
        refunded_txn,
    })
}
