//! S1's two requests in their typed form (seed S1, SPEC 3.3): `preOrder` and
//! `getOrderStatus`, read from the parameter map the edge made of a JSON object, a form
//! body or a query string. Where the seed types a field `int`, a number or a quoted
//! number is accepted (SPEC 2); every refusal a [`FieldError`] naming the field.
//!
//! `preOrder` is a Paytm order in rupees (payType 1, currencyType 1), so anything else
//! is refused by name before an order exists. `email` and `mobileNo` are Kassa's
//! additions (the seed's form carries them, its request does not), checked as the
//! merchant API's `user.email` / `user.mobile`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::id::Id;
use crate::money::{Currency, Money};
use crate::providers::paytm::checksum::Salt;
use crate::providers::Provider;
use crate::surfaces::merchant::fields::{opt_string, string, FieldError};
use crate::surfaces::merchant::resource::{Item, OrderMeta, User, UserProfile};
use crate::surfaces::s1::wire::PreOrderRequest;

/// The parameters `preOrder` takes (any other is refused by name).
pub const PRE_ORDER_FIELDS: &[&str] = &[
    "version",
    "clientVersion",
    "userId",
    "payType",
    "productId",
    "productType",
    "productName",
    "currencyType",
    "amount",
    "email",
    "mobileNo",
];

/// The parameters `getOrderStatus` takes.
pub const STATUS_FIELDS: &[&str] = &["version", "clientVersion", "userId", "orderId"];

/// The interface versions S1 clients send ("当前v1.0").
const VERSIONS: &[&str] = &["v1.0", "1.0"];

/// A parsed `preOrder`: the rupee amount and the order's merchant data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreOrder {
    pub money: Money,
    pub meta: OrderMeta,
}

impl PreOrder {
    /// Reads `preOrder`'s parameters.
    ///
    /// # Errors
    /// A missing or malformed field, or a pay type or currency Paytm does not take.
    pub fn parse(map: &Map<String, Value>) -> Result<Self, FieldError> {
        version(map)?;
        let client_version = opt_string(map, "clientVersion", "clientVersion", 32)?;
        let user_id = string(map, "userId", "userId", 128)?;
        let pay_type = int(map, "payType", 0, 1)?;
        let product_id = string(map, "productId", "productId", 128)?;
        let product_type = int(map, "productType", 0, 4)?;
        let product_name = string(map, "productName", "productName", 200)?;
        let currency_type = int(map, "currencyType", 1, 3)?;
        let amount = int(map, "amount", 1, u64::MAX)?;
        let email = contact(map, "email", 254, |v| {
            v.split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !v.contains(' '))
        })?;
        let mobile = contact(map, "mobileNo", 32, |v| {
            let digits = v.strip_prefix('+').unwrap_or(v);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        })?;
        if pay_type != u64::from(PreOrderRequest::PAY_TYPE_PAYTM.unsigned_abs()) {
            return Err(FieldError::new(
                "payType",
                "payType: 0 (unknown) cannot be paid; only 1 (Paytm) is supported",
            ));
        }
        if currency_type != u64::from(PreOrderRequest::CURRENCY_INR.unsigned_abs()) {
            return Err(FieldError::new(
                "currencyType",
                "currencyType: Paytm (payType 1) charges INR only (currencyType 1)",
            ));
        }
        let mut metadata = BTreeMap::new();
        metadata.insert("s1_product_id".to_owned(), product_id);
        metadata.insert("s1_product_type".to_owned(), product_type.to_string());
        if let Some(v) = client_version {
            metadata.insert("s1_client_version".to_owned(), v);
        }
        let meta = OrderMeta {
            channel: Provider::Paytm,
            items: vec![Item {
                name: product_name.clone(),
                quantity: 1,
            }],
            user: User {
                id: user_id,
                mobile,
                email,
                profile: UserProfile::default(),
            },
            notify_url: None,
            metadata,
            description: Some(product_name),
            payee_user_id: None,
        };
        Ok(Self {
            money: Money::new(Currency::Inr, amount),
            meta,
        })
    }
}

/// A parsed `getOrderStatus`: whose order, and which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusQuery {
    pub user_id: String,
    pub order_id: Id,
}

impl StatusQuery {
    /// Reads `getOrderStatus`'s parameters (`orderId` a string, or a JSON number).
    ///
    /// # Errors
    /// A missing or malformed field.
    pub fn parse(map: &Map<String, Value>) -> Result<Self, FieldError> {
        version(map)?;
        opt_string(map, "clientVersion", "clientVersion", 32)?;
        let user_id = string(map, "userId", "userId", 128)?;
        let raw = match map.get("orderId") {
            None | Some(Value::Null) => {
                return Err(FieldError::new("orderId", "orderId: is required"))
            }
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => return Err(FieldError::new("orderId", "orderId: must be a string")),
        };
        let order_id = Id::parse("orderId", raw.trim())
            .map_err(|e| FieldError::new("orderId", e.to_string()))?;
        Ok(Self { user_id, order_id })
    }
}

/// An optional contact field, checked by `valid`.
fn contact(
    map: &Map<String, Value>,
    field: &str,
    max: usize,
    valid: impl Fn(&str) -> bool,
) -> Result<Option<String>, FieldError> {
    match opt_string(map, field, field, max)? {
        Some(v) if !valid(&v) => Err(FieldError::new(
            field,
            if field == "email" {
                "email: must be an e-mail address"
            } else {
                "mobileNo: must be digits, optionally after a '+'"
            },
        )),
        v => Ok(v),
    }
}

/// `version`: required, one the surface speaks.
fn version(map: &Map<String, Value>) -> Result<(), FieldError> {
    let v = string(map, "version", "version", 16)?;
    if VERSIONS.contains(&v.as_str()) {
        Ok(())
    } else {
        Err(FieldError::new(
            "version",
            format!("version: {v:?} is not supported (v1.0)"),
        ))
    }
}

/// A required S1 `int` in `min..=max`: a JSON number or a quoted one (SPEC 2).
fn int(map: &Map<String, Value>, field: &str, min: u64, max: u64) -> Result<u64, FieldError> {
    let n = match map.get(field) {
        None | Some(Value::Null) => {
            return Err(FieldError::new(field, format!("{field}: is required")))
        }
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        Some(_) => None,
    };
    match n {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ if max == u64::MAX => Err(FieldError::new(
            field,
            format!("{field}: must be a whole number of at least {min}"),
        )),
        _ => Err(FieldError::new(
            field,
            format!("{field}: must be a whole number from {min} to {max}"),
        )),
    }
}

/// A digest of the parameters as parsed (a JSON number and its quoted form are one
/// value, so a retry that quotes differently is the same request): the key of a
/// `preOrder` sent without an `Idempotency-Key`.
#[must_use]
pub fn fingerprint(map: &Map<String, Value>) -> String {
    let canonical: Map<String, Value> = map
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::Number(n) => Value::String(n.to_string()),
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect();
    let text = Value::Object(canonical).to_string();
    let digest = crate::crypto::hmac_sha256(b"kassa-s1-preorder-v1", &[text.as_bytes()]);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The Paytm salt of order `id`'s form: keyed by the merchant key, so it is as
/// unpredictable to others as a random one, and the same on every retry (the retry's
/// `CHECKSUMHASH` is the first one).
#[must_use]
pub fn order_salt(merchant_key: &[u8], id: Id) -> Salt {
    let d = crate::crypto::hmac_sha256(
        merchant_key,
        &[b"kassa-s1-paytm-salt:", id.to_string().as_bytes()],
    );
    Salt::from_random_bytes([d[0], d[1], d[2], d[3]])
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
