//! `POST /v1/orders` (SPEC 3.2): the body's fields in their typed form, and the order's
//! merchant data the edge stores beside the state machine ([`Item`], [`User`]).
//!
//! Rules `edge/openapi.json` states field by field (`CreateOrder`, one schema per kind
//! of amount):
//! - fiat: `amount` a JSON integer of minor units, 1 to 2^64 − 1, with `currency` (one
//!   of [`Currency::ALL`]); never a float, not even `100.0` (SPEC 2, "Money");
//! - tokens: `amount` a decimal string at the token's precision, positive, at most
//!   [`MAX_TOKEN_INTEGER_DIGITS`] digits before the point, with `token`;
//! - exactly one of `currency` / `token`; the rest as [`CreateOrder::parse`] lists.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::fields::{known_keys, opt_integer, opt_string, string, string_value, whole, FieldError};
use crate::crypto::client_secret::MAX_USER_ID_LEN;
use crate::money::{Currency, Money, MoneyError, TokenTable};
use crate::order::OrderAmount;
use crate::providers::Provider;

/// SPEC 3.2 defaults and limits.
pub const DEFAULT_EXPIRES_IN: u64 = 15 * 60;
pub const MAX_EXPIRES_IN: u64 = 24 * 60 * 60;
pub const MAX_ITEMS: usize = 100;
pub const MAX_METADATA_KEYS: usize = 20;
pub const MAX_METADATA_KEY: usize = 40;
pub const MAX_METADATA_VALUE: usize = 500;
pub const MAX_URL: usize = 2048;
/// No order is worth 10^15 of a token; a bound the OpenAPI document can state exactly
/// (the parser's own is u128 units, which a pattern cannot).
pub const MAX_TOKEN_INTEGER_DIGITS: usize = 15;

/// A merchant's user id: 1 to 64 characters, so that it always fits the 256 bytes a
/// token carries ([`MAX_USER_ID_LEN`]) whatever the characters, and `openapi.json` can
/// state it (JSON Schema counts characters, not bytes).
pub const MAX_USER_ID_CHARS: usize = 64;
const _: () = assert!(MAX_USER_ID_CHARS * 4 <= MAX_USER_ID_LEN);

/// A merchant's user id (`user.id`, the `/v1/users/{id}` path) read from `s`.
///
/// # Errors
/// Empty, or more than [`MAX_USER_ID_CHARS`] characters.
pub fn user_id(param: &str, s: &str) -> Result<String, FieldError> {
    string_value(&Value::String(s.to_owned()), param, MAX_USER_ID_CHARS)
}

/// The body's fields.
pub const FIELDS: [&str; 11] = [
    "channel",
    "amount",
    "currency",
    "token",
    "items",
    "user",
    "expires_in",
    "notify_url",
    "metadata",
    "description",
    "payee_user_id",
];

/// The fields `user` takes (the S2 `userInfo` ones after the contact details).
const USER_FIELDS: [&str; 8] = [
    "id",
    "mobile",
    "email",
    "national_code",
    "source",
    "register_type",
    "user_type",
    "verify_status",
];

/// One line of what is being paid for, shown by the widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub name: String,
    pub quantity: u64,
}

/// The shopper, as the merchant knows them. `mobile` / `email` feed the second factor
/// (SPEC 6) and are masked wherever the widget sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// What the merchant's own platform says about the user, shown back in S2
    /// `load_pay_data.userInfo` (all optional; Kassa decides nothing by them).
    #[serde(flatten)]
    pub profile: UserProfile,
}

/// The S2 `userInfo` fields the merchant may give with the user (merchant API
/// `user.national_code`, …; `openapi.json` states their limits).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    /// The mobile's country calling code (`86`): 1 to 4 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national_code: Option<String>,
    /// Where the user signed up (`jinse`): 1 to 64 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The merchant platform's own codes, 0 to 99 (S2 `registerType`, `userType`,
    /// `verifyStatus`; the seed lists no values). Absent → 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register_type: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_status: Option<i32>,
}

/// A `POST /v1/orders` body, every field checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOrder {
    pub channel: Provider,
    pub amount: OrderAmount,
    pub items: Vec<Item>,
    pub user: User,
    /// Seconds until the order expires (default [`DEFAULT_EXPIRES_IN`]).
    pub expires_in: u64,
    /// As given, at most [`MAX_URL`] characters: whether it is an acceptable receiver
    /// depends on the deployment (the edge checks scheme and host).
    pub notify_url: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub description: Option<String>,
    pub payee_user_id: Option<String>,
}

impl CreateOrder {
    /// Reads the body's fields (unknown ones refused by name).
    ///
    /// # Errors
    /// The first field that is missing or invalid, named.
    pub fn parse(map: &Map<String, Value>) -> Result<Self, FieldError> {
        known_keys(map, &FIELDS, "")?;
        let channel = string(map, "channel", "channel", 32)?;
        let channel = Provider::parse(&channel).ok_or_else(|| {
            FieldError::new(
                "channel",
                format!("channel: must be one of {}", Provider::NAMES),
            )
        })?;
        Ok(Self {
            channel,
            amount: parse_amount(map)?,
            items: parse_items(map.get("items"))?,
            user: parse_user(map.get("user"))?,
            expires_in: opt_integer(map, "expires_in", 1, MAX_EXPIRES_IN)?
                .unwrap_or(DEFAULT_EXPIRES_IN),
            notify_url: opt_string(map, "notify_url", "notify_url", MAX_URL)?,
            metadata: parse_metadata(map.get("metadata"))?,
            description: opt_string(map, "description", "description", 1000)?,
            payee_user_id: opt_string(map, "payee_user_id", "payee_user_id", 64)?,
        })
    }
}

fn money_error(e: MoneyError) -> FieldError {
    match e {
        // The table is keyed by the token, so an unknown token is the token's fault.
        MoneyError::UnknownToken { symbol, .. } | MoneyError::InvalidTokenSymbol { symbol, .. } => {
            FieldError::new("token", format!("token: unknown token {symbol:?}"))
        }
        e => FieldError::new("amount", e.to_string()),
    }
}

/// Fiat: `amount` is a positive whole number of minor units with `currency`. Tokens:
/// `amount` is a decimal string with `token` (SPEC 2, "Money"); never a float.
fn parse_amount(map: &Map<String, Value>) -> Result<OrderAmount, FieldError> {
    let currency = opt_string(map, "currency", "currency", 8)?;
    let token = opt_string(map, "token", "token", 16)?;
    let Some(amount) = map.get("amount").filter(|v| !v.is_null()) else {
        return Err(FieldError::new("amount", "amount: is required"));
    };
    match (currency, token) {
        (Some(code), None) => {
            let currency = Currency::from_code("currency", &code)
                .map_err(|e| FieldError::new("currency", e.to_string()))?;
            match amount.as_u64() {
                Some(minor) if minor > 0 => Ok(OrderAmount::Fiat(Money::new(currency, minor))),
                _ => Err(FieldError::new(
                    "amount",
                    "amount: must be a positive whole number of minor units, written as an integer",
                )),
            }
        }
        (None, Some(token)) => {
            let Value::String(s) = amount else {
                return Err(FieldError::new(
                    "amount",
                    "amount: must be a decimal string for token amounts",
                ));
            };
            let parsed = TokenTable::builtin()
                .parse("amount", &token, s)
                .map_err(money_error)?;
            if s.split('.').next().map_or(0, str::len) > MAX_TOKEN_INTEGER_DIGITS {
                return Err(FieldError::new(
                    "amount",
                    format!(
                        "amount: at most {MAX_TOKEN_INTEGER_DIGITS} digits before the decimal point"
                    ),
                ));
            }
            if parsed.is_zero() {
                return Err(FieldError::new("amount", "amount: must be positive"));
            }
            Ok(OrderAmount::Token {
                token,
                amount: parsed,
            })
        }
        (Some(_), Some(_)) => Err(FieldError::new(
            "token",
            "token: give either currency (fiat) or token, not both",
        )),
        (None, None) => Err(FieldError::new(
            "currency",
            "currency: is required (or token, for token amounts)",
        )),
    }
}

fn parse_items(v: Option<&Value>) -> Result<Vec<Item>, FieldError> {
    let items = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) if a.len() <= MAX_ITEMS => a,
        Some(_) => {
            return Err(FieldError::new(
                "items",
                format!("items: must be an array of at most {MAX_ITEMS} items"),
            ))
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::Object(m) = item else {
            return Err(FieldError::new(
                format!("items[{i}]"),
                format!("items[{i}]: must be an object"),
            ));
        };
        known_keys(m, &["name", "quantity"], &format!("items[{i}]."))?;
        let name = string(m, "name", &format!("items[{i}].name"), 200)?;
        let quantity = match m.get("quantity") {
            None | Some(Value::Null) => 1,
            Some(q) => whole(q)
                .filter(|q| (1..=1_000_000).contains(q))
                .ok_or_else(|| {
                    let p = format!("items[{i}].quantity");
                    FieldError::new(
                        p.clone(),
                        format!("{p}: must be a whole number from 1 to 1000000"),
                    )
                })?,
        };
        out.push(Item { name, quantity });
    }
    Ok(out)
}

/// `user.register_type` / `user_type` / `verify_status`: 0 to 99 when given.
fn opt_code(m: &Map<String, Value>, key: &str) -> Result<Option<i32>, FieldError> {
    let p = format!("user.{key}");
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => whole(v)
            .filter(|n| *n <= 99)
            .and_then(|n| i32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| {
                FieldError::new(
                    p.clone(),
                    format!("{p}: must be a whole number from 0 to 99"),
                )
            }),
    }
}

fn parse_user(v: Option<&Value>) -> Result<User, FieldError> {
    let m = match v {
        Some(Value::Object(m)) => m,
        None | Some(Value::Null) => return Err(FieldError::new("user", "user: is required")),
        Some(_) => return Err(FieldError::new("user", "user: must be an object")),
    };
    known_keys(m, &USER_FIELDS, "user.")?;
    // The user id travels inside the client_secret, which bounds its length.
    let id = string(m, "id", "user.id", MAX_USER_ID_CHARS)?;
    let mobile = opt_string(m, "mobile", "user.mobile", 32)?;
    if let Some(mobile) = &mobile {
        let digits = mobile.strip_prefix('+').unwrap_or(mobile);
        if digits.len() < 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new(
                "user.mobile",
                "user.mobile: must be digits, optionally after a '+'",
            ));
        }
    }
    let email = opt_string(m, "email", "user.email", 254)?;
    if let Some(email) = &email {
        let valid = email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !email.contains(' '));
        if !valid {
            return Err(FieldError::new(
                "user.email",
                "user.email: must be an e-mail address",
            ));
        }
    }
    let national_code = opt_string(m, "national_code", "user.national_code", 4)?;
    if national_code
        .as_deref()
        .is_some_and(|c| !c.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(FieldError::new(
            "user.national_code",
            "user.national_code: must be 1 to 4 digits",
        ));
    }
    let profile = UserProfile {
        national_code,
        source: opt_string(m, "source", "user.source", 64)?,
        register_type: opt_code(m, "register_type")?,
        user_type: opt_code(m, "user_type")?,
        verify_status: opt_code(m, "verify_status")?,
    };
    Ok(User {
        id,
        mobile,
        email,
        profile,
    })
}

fn parse_metadata(v: Option<&Value>) -> Result<BTreeMap<String, String>, FieldError> {
    let m = match v {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(m)) if m.len() <= MAX_METADATA_KEYS => m,
        Some(_) => {
            return Err(FieldError::new(
                "metadata",
                format!("metadata: must be an object of at most {MAX_METADATA_KEYS} string values"),
            ))
        }
    };
    let mut out = BTreeMap::new();
    for (k, v) in m {
        if k.is_empty() || k.chars().count() > MAX_METADATA_KEY {
            return Err(FieldError::new(
                "metadata",
                format!("metadata: keys must be 1 to {MAX_METADATA_KEY} characters"),
            ));
        }
        let p = format!("metadata[{k}]");
        out.insert(k.clone(), string_value(v, &p, MAX_METADATA_VALUE)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
