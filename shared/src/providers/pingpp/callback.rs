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
use super::{Charge, Refund};
use crate::callback::{
    claimed_text, minor_field, str_field, Answer, CallbackAmount, CallbackError, Outcome, Provider,
    ProviderRef, SettleError, VerifiedCallback,
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

/// Binding (module docs): an `app` the message names must be ours (`app_id`); a refund
/// must be of the charge Kassa created for the attempt (`recorded_charge`).
///
/// # Errors
/// [`SettleError::WrongAccount`] / [`SettleError::WrongTrade`].
pub fn bind(
    cb: &VerifiedCallback,
    app_id: &str,
    recorded_charge: Option<&str>,
) -> Result<(), SettleError> {
    if cb.account.as_deref().is_some_and(|app| app != app_id) {
        return Err(SettleError::WrongAccount {
            field: "app",
            provider: Provider::Pingpp,
        });
    }
    if let Some(charge) = &cb.refunded_txn {
        if recorded_charge != Some(charge.as_str()) {
            return Err(SettleError::WrongTrade {
                reason: "charge: is not the Ping++ charge created for this attempt",
            });
        }
    }
    Ok(())
}

/// Ping++'s charge retrieve backs a `charge.succeeded` up: paid, in our `app`, for this
/// attempt (its `order_no`, and `is_attempt_charge`: the charge Kassa created for it),
/// with the callback's amount and currency.
///
/// # Errors
/// [`SettleError::Unconfirmed`] naming what differs.
pub fn confirm_charge(
    cb: &VerifiedCallback,
    charge: &Charge,
    app_id: &str,
    is_attempt_charge: bool,
) -> Result<(), SettleError> {
    let CallbackAmount::Fiat(amount) = cb.amount else {
        return Err(SettleError::unconfirmed("amount is not fiat"));
    };
    if !charge.paid {
        return Err(SettleError::unconfirmed("charge is not paid"));
    }
    if charge.app.as_deref() != Some(app_id) {
        return Err(SettleError::unconfirmed(
            "the charge belongs to another Ping++ app",
        ));
    }
    if charge.order_no != cb.reference.to_string() {
        return Err(SettleError::unconfirmed("order_no differs"));
    }
    if !is_attempt_charge {
        return Err(SettleError::unconfirmed(
            "not the charge created for this attempt",
        ));
    }
    if charge.amount != amount.minor()
        || !charge
            .currency
            .eq_ignore_ascii_case(amount.currency().code())
    {
        return Err(SettleError::unconfirmed("amount or currency differs"));
    }
    Ok(())
}

/// Ping++'s refund retrieve backs a `refund.succeeded` up: succeeded, of the charge
/// whose `charge_order_no` is the reference, for the callback's amount.
///
/// # Errors
/// [`SettleError::Unconfirmed`] naming what differs.
pub fn confirm_refund(cb: &VerifiedCallback, refund: &Refund) -> Result<(), SettleError> {
    if !refund.succeed || refund.status != "succeeded" {
        return Err(SettleError::unconfirmed(
            "the refund has not succeeded at Ping++",
        ));
    }
    if refund.charge_order_no.as_deref() != Some(cb.reference.to_string().as_str()) {
        return Err(SettleError::unconfirmed("charge_order_no differs"));
    }
    if cb.amount != CallbackAmount::Minor(refund.amount) {
        return Err(SettleError::unconfirmed("amount differs"));
    }
    Ok(())
}

/// What Ping++ expects back: any 2xx; its documentation asks for an empty body.
#[must_use]
pub fn answer() -> Answer {
    Answer {
        status: 200,
        content_type: None,
        body: String::new(),
    }
}

/// A refusal: plain text, the message.
#[must_use]
pub fn reject(status: u16, message: &str) -> Answer {
    Answer {
        status,
        content_type: Some("text/plain; charset=utf-8"),
        body: message.to_owned(),
    }
}

/// The `order_no` (charge) or `charge_order_no` (refund) a webhook claims, unverified
/// (see `callback::claimed_order`).
#[must_use]
pub fn claimed_reference(body: &[u8]) -> Option<String> {
    let v = serde_json::from_slice::<Value>(body).ok()?;
    let o = v.get("data")?.get("object")?;
    // A charge names its order in `order_no`, a refund in `charge_order_no`.
    let field = if o.get("order_no").is_some() {
        "order_no"
    } else {
        "charge_order_no"
    };
    claimed_text(o, field)
}

/// What Ping++'s charge retrieve says about an attempt nobody finished
/// (`flows::attempts`): `charge` is the charge Kassa created for `reference` (looked up
/// by its recorded id). Paid — for our app, this attempt's `order_no`, in the order's
/// currency — is a success with the charge as its evidence; a `failure_code` is a
/// decline (the shopper declined on the channel page, or the channel refused); an unpaid
/// charge without one is no outcome: Ping++ sends no event for a charge nobody paid.
///
/// # Errors
/// [`SettleError::Unconfirmed`] when the charge is not this attempt's (app, `order_no`,
/// currency).
pub fn charge_verdict(
    reference: &ProviderRef,
    charge: &Charge,
    app_id: &str,
) -> Result<crate::flows::attempts::Verdict, SettleError> {
    use crate::flows::attempts::Verdict;
    if charge.app.as_deref() != Some(app_id) {
        return Err(SettleError::unconfirmed(
            "the charge belongs to another Ping++ app",
        ));
    }
    if charge.order_no != reference.to_string() {
        return Err(SettleError::unconfirmed("order_no differs"));
    }
    if charge.paid {
        let currency = Currency::from_code("currency", &charge.currency.to_ascii_uppercase())
            .map_err(|_| SettleError::unconfirmed("currency is not one Kassa settles in"))?;
        return Ok(Verdict::Succeeded(Box::new(VerifiedCallback {
            provider: Provider::Pingpp,
            event_id: format!("pingpp:charge_paid:{}", charge.id),
            reference: *reference,
            outcome: Outcome::Succeeded,
            amount: CallbackAmount::Fiat(Money::new(currency, charge.amount)),
            provider_txn: charge.id.clone(),
            confirm_required: false,
            account: charge.app.clone(),
            refunded_txn: None,
        })));
    }
    Ok(if charge.failure_code.is_some() {
        Verdict::Failed
    } else {
        Verdict::NoOutcome
    })
}
