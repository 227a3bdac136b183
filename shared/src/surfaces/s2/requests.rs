//! The widget API's parameters (SPEC 3.1, `/api/payment/...`): what the edge reads from
//! the query, body and headers of `load_pay_data`, `send_payment_verify_code`, `pay`,
//! `quick_pay`, the order list and the live-status socket, each refusal naming its field
//! ([`FieldError`]) or the state that refuses it ([`PayError`]). Pure: the edge reads the
//! bytes and the environment, and hands the strings here.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::status::{Locale, Status};
use super::wire::{AuthType, OrdersQuery};
use crate::envelope::ErrorCode;
use crate::flows::pay::PayError;
use crate::id::{Id, IdError};
use crate::surfaces::handoff::origin;
use crate::surfaces::merchant::fields::{opt_string, FieldError};

/// The body fields `pay` and `quick_pay` take.
pub const PAY_FIELDS: [&str; 5] = [
    "order_id",
    "verify_code_order_id",
    "verify_code",
    "device_id",
    "return_url",
];

/// `order_id` as a string or an exact integer (SPEC 2, "Identifiers").
///
/// # Errors
/// Absent, `null`, another type, or not one of Kassa's ids.
pub fn order_id(map: &Map<String, Value>) -> Result<Id, FieldError> {
    let text = match map.get("order_id") {
        None | Some(Value::Null) => {
            return Err(FieldError::new("order_id", "order_id: is required"))
        }
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => {
            return Err(FieldError::new(
                "order_id",
                "order_id: must be a string or an integer",
            ))
        }
    };
    Id::parse("order_id", &text).map_err(|e| FieldError::new("order_id", e.to_string()))
}

/// `verify_code_order_id` of `pay`: the code-send id, as a string or an integer; `0` or
/// absent for GA (S2).
///
/// # Errors
/// Anything else that is not one of Kassa's ids.
pub fn verify_code_order_id(map: &Map<String, Value>) -> Result<Option<Id>, FieldError> {
    let text = match map.get("verify_code_order_id") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => String::new(),
    };
    if text == "0" {
        return Ok(None);
    }
    Id::parse("verify_code_order_id", &text)
        .map(Some)
        .map_err(|e| FieldError::new("verify_code_order_id", e.to_string()))
}

/// `Idempotency-Key` of `pay` (optional): trimmed, 1 to 255 characters.
///
/// # Errors
/// Empty once trimmed, or longer.
pub fn pay_idempotency_key(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(k) = raw.map(str::trim) else {
        return Ok(None);
    };
    if k.is_empty() || k.len() > 255 {
        return Err(FieldError::new(
            "Idempotency-Key",
            "Idempotency-Key: 1 to 255 characters",
        ));
    }
    Ok(Some(k.to_owned()))
}

/// A digest of a `pay` body: `serde_json`'s map is ordered by key, so equal bodies
/// print equally, and a replay with another body is told apart.
#[must_use]
pub fn pay_fingerprint(map: &Map<String, Value>) -> String {
    let canonical = Value::Object(map.clone()).to_string();
    data_encoding::HEXLOWER.encode(&crate::crypto::hmac_sha256(
        b"kassa pay fingerprint v1",
        &[canonical.as_bytes()],
    ))
}

/// Whether `origin` is one of the comma-separated `list` (`KASSA_ALLOWED_ORIGINS`:
/// exact `scheme://host[:port]` matches).
#[must_use]
pub fn origin_listed(list: &str, origin: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|o| !o.is_empty() && o == origin)
}

/// `return_url`: the merchant page the provider sends the shopper back to. Only a page
/// of an origin in `allowed` (`KASSA_ALLOWED_ORIGINS`, the same list that may call this
/// API) is taken, so the edge never redirects a shopper anywhere else.
///
/// # Errors
/// Not a string of ≤ 2048 characters, not an absolute http(s) URL, or not listed.
pub fn return_url(
    map: &Map<String, Value>,
    allowed: Option<&str>,
) -> Result<Option<String>, FieldError> {
    let Some(url) = opt_string(map, "return_url", "return_url", 2048)? else {
        return Ok(None);
    };
    let Some(o) = origin(&url) else {
        return Err(FieldError::new(
            "return_url",
            "return_url: must be an absolute http(s) URL",
        ));
    };
    if !allowed.is_some_and(|list| origin_listed(list, o)) {
        return Err(FieldError::new(
            "return_url",
            "return_url: its origin is not one of KASSA_ALLOWED_ORIGINS",
        ));
    }
    Ok(Some(url))
}

/// The locale of S2 labels: `Accept-Language` starting with `en` → en-US, else zh-CN
/// (the seed's language).
#[must_use]
pub fn locale(accept_language: Option<&str>) -> Locale {
    let lang = accept_language.unwrap_or_default();
    if lang.trim_start().to_ascii_lowercase().starts_with("en") {
        Locale::EnUs
    } else {
        Locale::ZhCn
    }
}

/// `load_pay_data`'s `authType`: an enrolled authenticator first (no code to send),
/// else the phone, else e-mail. A user with none of the three can pay only where risk
/// asks no code: then `GA` with `need2FA: false` (the method that sends nothing, so a
/// seed-era client never asks for a code that cannot go out); where a code is needed
/// the answer is 409 `no_code_channel` at once, not an `EMAIL` the send then refuses.
///
/// # Errors
/// [`PayError::Conflict`] `no_code_channel`.
pub fn auth_type(
    bind_ga: bool,
    has_mobile: bool,
    has_email: bool,
    need_2fa: bool,
) -> Result<AuthType, PayError> {
    if bind_ga {
        Ok(AuthType::Ga)
    } else if has_mobile {
        Ok(AuthType::Mobile)
    } else if has_email {
        Ok(AuthType::Email)
    } else if !need_2fa {
        Ok(AuthType::Ga)
    } else {
        Err(PayError::Conflict {
            code: ErrorCode::NoCodeChannel,
            message: "order_id: this payment needs a second factor and the user has no authenticator, mobile or e-mail".into(),
        })
    }
}

/// Where `send_payment_verify_code` sends: the mobile when the user has one, else the
/// e-mail, with the address.
///
/// # Errors
/// [`PayError::Conflict`] `no_code_channel` for a user with neither.
pub fn code_channel(
    mobile: Option<&str>,
    email: Option<&str>,
) -> Result<(AuthType, String), PayError> {
    match (mobile, email) {
        (Some(m), _) => Ok((AuthType::Mobile, m.to_owned())),
        (None, Some(e)) => Ok((AuthType::Email, e.to_owned())),
        (None, None) => Err(PayError::Conflict {
            code: ErrorCode::NoCodeChannel,
            message: "order_id: the user has no mobile or e-mail to send a code to".into(),
        }),
    }
}

/// The refusal of a code send for an order no longer open.
#[must_use]
pub fn not_payable() -> PayError {
    PayError::Conflict {
        code: ErrorCode::OrderNotPayable,
        message: "order_id: the order is no longer awaiting payment".into(),
    }
}

/// The user id as the `Id` a stored code binds: the merchant's user ids are free text,
/// so a non-numeric one is folded into 63 bits by a keyed hash (a binding, not a secret:
/// the code's MAC already depends on the pepper).
///
/// # Errors
/// None in practice: the folded value is never 0 and fits 63 bits.
pub fn user_binding(user_id: &str) -> Result<Id, IdError> {
    if let Ok(id) = user_id.parse::<Id>() {
        return Ok(id);
    }
    let h = crate::crypto::hmac_sha256(b"kassa user binding v1", &[user_id.as_bytes()]);
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    // Top bit cleared: ids are 63-bit; 0 is avoided by setting the lowest bit.
    Id::new((u64::from_be_bytes(b) >> 1) | 1)
}

/// A whole-number query parameter, naming it when it is not one.
///
/// # Errors
/// Not a whole number (surrounding blanks allowed).
pub fn query_u64(param: &str, v: &str) -> Result<u64, FieldError> {
    v.trim()
        .parse()
        .map_err(|_| FieldError::new(param, format!("{param}: must be a whole number")))
}

/// `GET /api/payment/orders`' query: `status` (S2 code 0–4), `from_id` / `to_id`,
/// `start_time` / `end_time` (ms), `limit` (≥ 1; capped later by
/// [`OrdersQuery::effective_limit`]). A repeated parameter keeps its last value.
///
/// # Errors
/// An unknown parameter, or one that does not parse, named.
pub fn orders_query<'a>(
    pairs: impl IntoIterator<Item = (Cow<'a, str>, Cow<'a, str>)>,
) -> Result<OrdersQuery, FieldError> {
    let mut q = OrdersQuery::default();
    for (k, v) in pairs {
        match k.as_ref() {
            "status" => {
                let code = query_u64("status", &v)?;
                q.status = Some(
                    i64::try_from(code)
                        .ok()
                        .and_then(Status::from_code)
                        .ok_or_else(|| FieldError::new("status", "status: must be 0 to 4"))?,
                );
            }
            "from_id" | "to_id" => {
                let id = Id::parse("id", &v)
                    .map_err(|e| FieldError::new(k.as_ref(), format!("{k}: {e}")))?;
                if k == "from_id" {
                    q.from_id = Some(id);
                } else {
                    q.to_id = Some(id);
                }
            }
            "start_time" => q.start_time = Some(query_u64("start_time", &v)?),
            "end_time" => q.end_time = Some(query_u64("end_time", &v)?),
            "limit" => {
                let n = query_u64("limit", &v)?;
                if n == 0 {
                    return Err(FieldError::new("limit", "limit: must be at least 1"));
                }
                q.limit = Some(u32::try_from(n).unwrap_or(u32::MAX));
            }
            other => {
                return Err(FieldError::new(
                    other,
                    format!("{other}: unknown parameter"),
                ))
            }
        }
    }
    Ok(q)
}

/// The live-status socket's query: `order_id` (required; the last one counts). A
/// `client_secret` in the URL is refused (it would end up in logs and `Referer`s);
/// other parameters are ignored.
///
/// # Errors
/// `client_secret` present, `order_id` absent or no id.
pub fn socket_order_id<'a>(
    pairs: impl IntoIterator<Item = (Cow<'a, str>, Cow<'a, str>)>,
) -> Result<Id, FieldError> {
    let mut order_id = None;
    for (k, v) in pairs {
        match k.as_ref() {
            "order_id" => order_id = Some(v.into_owned()),
            "client_secret" => {
                return Err(FieldError::new(
                    "client_secret",
                    "client_secret: not accepted in the URL; send it as Authorization: Bearer or the bearer.<secret> subprotocol",
                ))
            }
            _ => {}
        }
    }
    let order_id = order_id.ok_or_else(|| FieldError::new("order_id", "order_id: is required"))?;
    Id::parse("order_id", &order_id).map_err(|e| FieldError::new("order_id", e.to_string()))
}

/// The `bearer.<secret>` entry of a `Sec-WebSocket-Protocol` list, if any (the one
/// header a page can set on a WebSocket).
#[must_use]
pub fn protocol_secret(protocols: &str) -> Option<String> {
    protocols
        .split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("bearer.").map(str::to_owned))
}

/// Whether a `Sec-WebSocket-Protocol` list offers `protocol`.
#[must_use]
pub fn offers_protocol(protocols: &str, protocol: &str) -> bool {
    protocols.split(',').any(|p| p.trim() == protocol)
}

#[cfg(test)]
#[path = "requests_tests.rs"]
mod tests;
