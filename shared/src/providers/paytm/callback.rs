//! Paytm's callback to `/callback/paytm` (SPEC 3.3, 3.4 "paytm", 4.3): verification
//! and the Transaction Status API confirmation.
//!
//! - The body is `application/x-www-form-urlencoded` (what Paytm posts) or a JSON object
//!   of strings (S1 says "JSON, pass-through"); the content type decides, anything else
//!   is [`CallbackError::UnsupportedContentType`]. The form parser is strict
//!   ([`crate::callback::form`]): duplicate names and bad percent-encoding are refused.
//! - `CHECKSUMHASH` is verified over **all** other parameters with the merchant key
//!   before any field is read. A body we cannot even turn into parameters cannot be
//!   verified and is [`CallbackError::Unverified`] like a wrong checksum.
//! - `ORDERID` is a [`ProviderRef`]; `TXNAMOUNT` rupees ("2" = "2.00"); `CURRENCY` when
//!   present (INR otherwise); `STATUS` `TXN_SUCCESS` / `TXN_FAILURE` / `PENDING`.
//! - The checksum carries no timestamp, so a captured success callback could be
//!   replayed; Paytm's documentation requires the Transaction Status API after every
//!   callback. A `TXN_SUCCESS` therefore comes back with `confirm_required`, and only
//!   [`confirmed`] with the status API's answer makes it usable by
//!   [`crate::callback::to_event`].
//! - Paytm's checksum covers the parameters' **values** (ordered by name), not their
//!   names: renaming a parameter so that the order of values is unchanged
//!   (`CURRENCY` → `CTRRENCY`) keeps the checksum valid. So a verified callback may only
//!   use the names of Paytm's callback vocabulary ([`KNOWN_PARAMS`]); any other name is
//!   [`CallbackError::Malformed`]. With names fixed and values signed, what Kassa reads
//!   is what Paytm sent (and a success is still confirmed with the status API).
//! - De-dup key: `paytm:<TXNID>:<STATUS>` (a PENDING then a SUCCESS for one TXNID are
//!   two facts); `ORDERID` stands in when Paytm sends no TXNID (no transaction made).

use std::collections::BTreeMap;

use serde_json::Value;

use super::checksum::{self, Params, CHECKSUMHASH};
use crate::callback::{
    claimed_text, form, media_type, Answer, CallbackAmount, CallbackError, Outcome, Provider,
    ProviderRef, VerifiedCallback,
};
use crate::crypto::jcs;
use crate::money::{Currency, Money};

fn json_params(body: &[u8]) -> Option<BTreeMap<String, String>> {
    let Value::Object(map) = jcs::parse_strict(body).ok()? else {
        return None;
    };
    map.into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Some((k, s)),
            _ => None,
        })
        .collect()
}

/// Verifies a Paytm callback (`content_type` as received, raw `body`).
///
/// # Errors
/// [`CallbackError::UnsupportedContentType`], [`CallbackError::Unverified`] (opaque),
/// then [`CallbackError::Malformed`] naming the Paytm field.
pub fn verify(
    content_type: &str,
    body: &[u8],
    merchant_key: &[u8],
) -> Result<VerifiedCallback, CallbackError> {
    let fields = match media_type(content_type).as_str() {
        "application/x-www-form-urlencoded" => form::parse(body).ok(),
        "application/json" => json_params(body),
        _ => return Err(CallbackError::UnsupportedContentType),
    }
    .ok_or(CallbackError::Unverified)?;
    let hash = fields.get(CHECKSUMHASH).ok_or(CallbackError::Unverified)?;
    let params: Params = fields
        .iter()
        .filter(|(k, _)| k.as_str() != CHECKSUMHASH)
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    checksum::verify(&params, merchant_key, hash).map_err(|_| CallbackError::Unverified)?;
    parse_verified(&fields)
}

/// The parameters Paytm posts to a callback URL (its callback and Transaction Status
/// documentation, promotions and merchant fields included).
pub const KNOWN_PARAMS: &[&str] = &[
    "BANKNAME",
    "BANKTXNID",
    "CHECKSUMHASH",
    "CHILDTXNLIST",
    "CURRENCY",
    "CUST_ID",
    "GATEWAYNAME",
    "MERC_UNQ_REF",
    "MID",
    "ORDERID",
    "PAYMENTMODE",
    "PROMO_CAMP_ID",
    "PROMO_RESPCODE",
    "PROMO_STATUS",
    "REFUNDAMT",
    "RESPCODE",
    "RESPMSG",
    "STATUS",
    "TXNAMOUNT",
    "TXNDATE",
    "TXNID",
    "TXNTYPE",
];

fn get<'a>(f: &'a BTreeMap<String, String>, field: &'static str) -> Result<&'a str, CallbackError> {
    match f.get(field) {
        None => Err(CallbackError::malformed(field, "is required")),
        Some(s) if s.is_empty() => Err(CallbackError::malformed(field, "must not be empty")),
        Some(s) => Ok(s),
    }
}

fn currency(f: &BTreeMap<String, String>) -> Result<Currency, CallbackError> {
    match f.get("CURRENCY") {
        None => Ok(Currency::Inr),
        Some(c) => Ok(Currency::from_code("CURRENCY", c)?),
    }
}

fn parse_verified(f: &BTreeMap<String, String>) -> Result<VerifiedCallback, CallbackError> {
    if f.keys().any(|k| !KNOWN_PARAMS.contains(&k.as_str())) {
        return Err(CallbackError::malformed(
            "body",
            "a parameter that is not part of Paytm's callback",
        ));
    }
    let reference = ProviderRef::parse("ORDERID", get(f, "ORDERID")?)?;
    let status = get(f, "STATUS")?;
    let outcome = match status {
        "TXN_SUCCESS" => Outcome::Succeeded,
        "TXN_FAILURE" => Outcome::Failed,
        "PENDING" => Outcome::Processing,
        _ => {
            return Err(CallbackError::malformed(
                "STATUS",
                "must be TXN_SUCCESS, TXN_FAILURE or PENDING",
            ))
        }
    };
    let amount = Money::parse_major("TXNAMOUNT", currency(f)?, get(f, "TXNAMOUNT")?)?;
    let txn = f.get("TXNID").map(String::as_str).unwrap_or_default();
    let key = if txn.is_empty() {
        get(f, "ORDERID")?
    } else {
        txn
    };
    Ok(VerifiedCallback {
        provider: Provider::Paytm,
        event_id: format!("paytm:{key}:{status}"),
        reference,
        outcome,
        amount: CallbackAmount::Fiat(amount),
        provider_txn: txn.to_owned(),
        confirm_required: outcome == Outcome::Succeeded,
        // The checksum is made with our own merchant key: it names no one else.
        account: None,
        refunded_txn: None,
    })
}

/// Why the Transaction Status API answer does not confirm a callback.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmError {
    #[error("status API: {field}: {reason}")]
    Malformed { field: &'static str, reason: String },
    /// The status API disagrees with the callback on `field` (ORDERID, TXNID, TXNAMOUNT).
    #[error("status API: {field} differs from the callback")]
    Differs { field: &'static str },
    /// The status API does not say TXN_SUCCESS: the callback is not trusted.
    #[error("status API: STATUS is {status:?}, not TXN_SUCCESS")]
    NotSucceeded { status: String },
}

impl From<CallbackError> for ConfirmError {
    fn from(e: CallbackError) -> Self {
        match e {
            CallbackError::Malformed { field, reason } => Self::Malformed { field, reason },
            other => Self::Malformed {
                field: "body",
                reason: other.to_string(),
            },
        }
    }
}

/// Checks Paytm's Transaction Status API answer (`/order/status`, JSON with `STATUS`,
/// `TXNAMOUNT`, `ORDERID`, `TXNID`; fetched by the edge over TLS from Paytm itself)
/// against a verified success callback, and returns the callback with
/// `confirm_required` cleared. Callbacks that need no confirmation pass through.
///
/// # Errors
/// [`ConfirmError`] naming the field; the callback must then not move money state.
pub fn confirmed(
    cb: &VerifiedCallback,
    status_api_body: &[u8],
) -> Result<VerifiedCallback, ConfirmError> {
    if !cb.confirm_required {
        return Ok(cb.clone());
    }
    let v = jcs::parse_strict(status_api_body).map_err(|_| ConfirmError::Malformed {
        field: "body",
        reason: "not JSON (or repeats a member name)".into(),
    })?;
    if !v.is_object() {
        return Err(ConfirmError::Malformed {
            field: "body",
            reason: "must be a JSON object".into(),
        });
    }
    let field = |name| crate::callback::str_field(&v, name);
    let order =
        ProviderRef::parse("ORDERID", field("ORDERID")?).map_err(|e| ConfirmError::Malformed {
            field: e.field,
            reason: e.reason.into(),
        })?;
    if order != cb.reference {
        return Err(ConfirmError::Differs { field: "ORDERID" });
    }
    let status = field("STATUS")?;
    if status != "TXN_SUCCESS" {
        return Err(ConfirmError::NotSucceeded {
            status: status.to_owned(),
        });
    }
    if field("TXNID")? != cb.provider_txn {
        return Err(ConfirmError::Differs { field: "TXNID" });
    }
    let CallbackAmount::Fiat(amount) = cb.amount else {
        return Err(ConfirmError::Differs { field: "TXNAMOUNT" });
    };
    let pulled = Money::parse_major("TXNAMOUNT", amount.currency(), field("TXNAMOUNT")?)
        .map_err(CallbackError::from)?;
    if pulled != amount {
        return Err(ConfirmError::Differs { field: "TXNAMOUNT" });
    }
    Ok(VerifiedCallback {
        confirm_required: false,
        ..cb.clone()
    })
}

/// What Paytm expects back for a callback Kassa received (S1 `/callback/paytm`):
/// `{"code":200,"data":true,"message":"success"}`.
#[must_use]
pub fn answer() -> Answer {
    Answer {
        status: 200,
        content_type: Some("application/json"),
        body: r#"{"code":200,"data":true,"message":"success"}"#.to_owned(),
    }
}

/// A refusal in the S1 envelope `{code, data: false, message}`, `code` 400 or 500 (S1's
/// own codes).
#[must_use]
pub fn reject(status: u16, message: &str) -> Answer {
    let body = serde_json::json!({
        "code": if status >= 500 { 500 } else { 400 },
        "data": false,
        "message": message,
    });
    Answer {
        status,
        content_type: Some("application/json"),
        body: body.to_string(),
    }
}

/// The `ORDERID` a callback claims, unverified (see `callback::claimed_order`).
#[must_use]
pub fn claimed_reference(content_type: &str, body: &[u8]) -> Option<String> {
    if media_type(content_type) == "application/x-www-form-urlencoded" {
        form::parse(body).ok()?.remove("ORDERID")
    } else {
        let v = serde_json::from_slice::<Value>(body).ok()?;
        claimed_text(&v, "ORDERID")
    }
}

/// What the Transaction Status API says about the attempt `reference` when nobody
/// posted its result (`flows::attempts`): `TXN_SUCCESS` is a success with the amount
/// and transaction it names (in `currency`, the order's), `PENDING` is in flight,
/// `TXN_FAILURE` with `RESPCODE` 334 ("invalid order id": the form was never submitted)
/// is no outcome, any other `TXN_FAILURE` a decline.
///
/// # Errors
/// [`ConfirmError`] when the answer is not Paytm's or names another order.
pub fn query_verdict(
    reference: &ProviderRef,
    currency: crate::money::Currency,
    status_api_body: &[u8],
) -> Result<crate::flows::attempts::Verdict, ConfirmError> {
    use crate::flows::attempts::Verdict;
    let v = jcs::parse_strict(status_api_body).map_err(|_| ConfirmError::Malformed {
        field: "body",
        reason: "not JSON (or repeats a member name)".into(),
    })?;
    let field = |name| crate::callback::str_field(&v, name);
    let status = field("STATUS")?;
    let respcode = field("RESPCODE").unwrap_or_default();
    if status == "TXN_FAILURE" && respcode == "334" {
        return Ok(Verdict::NoOutcome);
    }
    let order =
        ProviderRef::parse("ORDERID", field("ORDERID")?).map_err(|e| ConfirmError::Malformed {
            field: e.field,
            reason: e.reason.into(),
        })?;
    if order != *reference {
        return Err(ConfirmError::Differs { field: "ORDERID" });
    }
    Ok(match status {
        "TXN_SUCCESS" => {
            let txn = field("TXNID")?;
            let amount = Money::parse_major("TXNAMOUNT", currency, field("TXNAMOUNT")?)
                .map_err(CallbackError::from)?;
            Verdict::Succeeded(Box::new(VerifiedCallback {
                provider: Provider::Paytm,
                // The id its callback would carry: whichever arrives second is a duplicate.
                event_id: format!("paytm:{txn}:TXN_SUCCESS"),
                reference: *reference,
                outcome: Outcome::Succeeded,
                amount: CallbackAmount::Fiat(amount),
                provider_txn: txn.to_owned(),
                confirm_required: false,
                account: None,
                refunded_txn: None,
            }))
        }
        "PENDING" => Verdict::InFlight,
        _ => Verdict::Failed,
    })
}
