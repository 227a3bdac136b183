//! The merchant API's requests other than `POST /v1/orders` ([`super::order`]): path and
//! query parameters, the small bodies (refund, settle, review, trusted, S0 `updateInfo`),
//! header rules (`Idempotency-Key`, `notify_url`), and the views of events, webhooks and
//! a GA enrolment. Pure: the edge reads the bytes, calls these, and talks to its objects.

use serde_json::{json, Map, Value};

use super::fields::{opt_string, positive_decimal, FieldError};
use crate::flows::outbox::OutboxEntry;
use crate::id::Id;
use crate::order::{HistoryEntry, Resolution};

/// An id parameter (path `:id`, query `starting_after`, `order_id`), naming `name`.
///
/// # Errors
/// Not one of Kassa's ids.
pub fn id_param(name: &'static str, raw: &str) -> Result<Id, FieldError> {
    Id::parse(name, raw).map_err(|e| FieldError::new(name, e.to_string()))
}

/// `limit` of `GET /v1/orders`: 1 to `max`, default 10.
///
/// # Errors
/// Anything but a whole number in range.
pub fn list_limit(raw: Option<&str>, max: usize) -> Result<usize, FieldError> {
    let Some(v) = raw else { return Ok(10) };
    v.parse::<usize>()
        .ok()
        .filter(|l| (1..=max).contains(l))
        .ok_or_else(|| {
            FieldError::new(
                "limit",
                format!("limit: must be a whole number from 1 to {max}"),
            )
        })
}

/// `Idempotency-Key` of `POST /v1/orders` (optional): 1 to 255 printable ASCII bytes.
///
/// # Errors
/// Empty, too long, or with a byte outside printable ASCII.
pub fn idempotency_key(raw: Option<String>) -> Result<Option<String>, FieldError> {
    let Some(key) = raw else { return Ok(None) };
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(FieldError::new(
            "Idempotency-Key",
            "Idempotency-Key: must be 1 to 255 printable ASCII characters",
        ));
    }
    Ok(Some(key))
}

/// A digest of the parsed body (keys sorted by `serde_json`'s map), so whitespace or key
/// order does not make a retried create look different.
#[must_use]
pub fn body_fingerprint(map: &Map<String, Value>) -> String {
    let canonical = Value::Object(map.clone()).to_string();
    let digest = crate::crypto::hmac_sha256(b"kassa-idempotency-v1", &[canonical.as_bytes()]);
    data_encoding::HEXLOWER.encode(&digest)
}

/// `notify_url`'s rule, given the URL's parsed `scheme` and `host` (the edge parses):
/// `https://` to a public host only in production (`crate::webhook_target`: no
/// loopback, private or link-local receivers); `http://` and loopback too in
/// development, so tests can run a receiver on loopback.
///
/// # Errors
/// Another scheme, no host, or a host webhooks may not reach.
pub fn notify_url_target(
    scheme: &str,
    host: Option<&str>,
    development: bool,
) -> Result<(), FieldError> {
    let ok = match scheme {
        "https" => true,
        "http" => development,
        _ => false,
    };
    let Some(host) = host.filter(|_| ok) else {
        return Err(FieldError::new(
            "notify_url",
            "notify_url: must be an https:// URL",
        ));
    };
    if !development {
        if let Some(reason) = crate::webhook_target::refused_host(host) {
            return Err(FieldError::new(
                "notify_url",
                format!("notify_url: host {host} {reason}; webhooks go to public hosts only"),
            ));
        }
    }
    Ok(())
}

/// A refund's `amount` as the merchant wrote it, before the order decides its unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundAmount {
    /// Minor units (fiat).
    Minor(u64),
    /// A decimal string (tokens).
    Decimal(String),
}

/// `POST /v1/orders/:id/refunds` `{amount?, reason?}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundAsk {
    /// `None`: everything left.
    pub amount: Option<RefundAmount>,
    pub reason: Option<String>,
}

/// The fields [`RefundAsk::parse`] reads.
pub const REFUND_FIELDS: [&str; 2] = ["amount", "reason"];

impl RefundAsk {
    /// # Errors
    /// `reason` not a string of ≤ 500 characters; `amount` no positive amount at all.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, FieldError> {
        let reason = opt_string(body, "reason", "reason", 500)?;
        let amount = match body.get("amount") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if positive_decimal(s) => {
                Some(RefundAmount::Decimal(s.clone()))
            }
            Some(v) => Some(RefundAmount::Minor(v.as_u64().filter(|m| *m > 0).ok_or_else(
                || {
                    FieldError::new(
                        "amount",
                        "amount: must be a positive whole number of minor units (fiat) or a positive decimal string (tokens)",
                    )
                },
            )?)),
        };
        Ok(Self { amount, reason })
    }
}

/// `POST /v1/orders/:id/refunds/settle` `{refund_id?, outcome?, reference?}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settle {
    pub refund: Option<Id>,
    /// `true`: `succeeded` (the default); `false`: `failed`.
    pub succeeded: bool,
    pub reference: Option<String>,
}

/// The fields [`Settle::parse`] reads.
pub const SETTLE_FIELDS: [&str; 3] = ["refund_id", "outcome", "reference"];

impl Settle {
    /// # Errors
    /// An empty or over-long `reference`, a `refund_id` that is no id, an `outcome`
    /// other than `succeeded` / `failed`.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, FieldError> {
        let reference = opt_string(body, "reference", "reference", 128)?;
        if reference.as_deref() == Some("") {
            return Err(FieldError::new(
                "reference",
                "reference: must not be empty when given",
            ));
        }
        let refund = opt_string(body, "refund_id", "refund_id", 20)?
            .map(|s| id_param("refund_id", &s))
            .transpose()?;
        let succeeded = match opt_string(body, "outcome", "outcome", 16)?.as_deref() {
            None | Some("succeeded") => true,
            Some("failed") => false,
            Some(_) => {
                return Err(FieldError::new(
                    "outcome",
                    "outcome: must be \"succeeded\" or \"failed\"",
                ))
            }
        };
        Ok(Self {
            refund,
            succeeded,
            reference,
        })
    }
}

/// `POST /v1/orders/:id/review/resolve` `{resolution, note?}`.
///
/// # Errors
/// `resolution` absent or not `refunded` / `fulfilled`; `note` over 500 characters.
pub fn review(body: &Map<String, Value>) -> Result<(Resolution, Option<String>), FieldError> {
    let resolution = match opt_string(body, "resolution", "resolution", 16)?.as_deref() {
        Some("refunded") => Resolution::Refunded,
        Some("fulfilled") => Resolution::Fulfilled,
        _ => {
            return Err(FieldError::new(
                "resolution",
                "resolution: must be \"refunded\" or \"fulfilled\"",
            ))
        }
    };
    Ok((resolution, opt_string(body, "note", "note", 500)?))
}

/// The fields [`review`] reads.
pub const REVIEW_FIELDS: [&str; 2] = ["resolution", "note"];

/// `POST /v1/users/:id/trusted` `{trusted}`.
///
/// # Errors
/// Absent, `null`, or not a boolean.
pub fn trusted(body: &Map<String, Value>) -> Result<bool, FieldError> {
    match body.get("trusted") {
        Some(Value::Bool(b)) => Ok(*b),
        None | Some(Value::Null) => Err(FieldError::new("trusted", "trusted: is required")),
        Some(_) => Err(FieldError::new("trusted", "trusted: must be a boolean")),
    }
}

/// `:webhook_id` of a replay: Kassa's own ids (`evt_…`), letters, digits and `_`, as
/// `openapi.json` says.
///
/// # Errors
/// Empty, over 128 bytes, or another byte.
pub fn webhook_id(raw: &str) -> Result<String, FieldError> {
    let well_formed = (1..=128).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !well_formed {
        return Err(FieldError::new(
            "webhook_id",
            "webhook_id: must be 1 to 128 letters, digits or '_'",
        ));
    }
    Ok(raw.to_owned())
}

/// `extend` of `POST /v1/s0/update_info`: an object, or the string S0's table names.
///
/// # Errors
/// Absent, `null`, or another type.
pub fn s0_extend(body: &Map<String, Value>) -> Result<Value, FieldError> {
    match body.get("extend") {
        None | Some(Value::Null) => Err(FieldError::new("extend", "extend: is required")),
        Some(v @ (Value::Object(_) | Value::String(_))) => Ok(v.clone()),
        Some(_) => Err(FieldError::new(
            "extend",
            "extend: must be an object or a string",
        )),
    }
}

/// `ip` of `GET /v1/rejections`: an IPv4 or IPv6 address, or `unknown`, trimmed.
///
/// # Errors
/// Absent, blank, or neither.
pub fn rejections_ip(raw: Option<&str>) -> Result<&str, FieldError> {
    let ip = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| FieldError::new("ip", "ip: is required"))?;
    if ip != crate::risk::client_ip::UNKNOWN && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(FieldError::new(
            "ip",
            "ip: must be an IPv4 or IPv6 address, or \"unknown\"",
        ));
    }
    Ok(ip)
}

/// 201 of `POST /v1/users/:id/ga`: the secret once, with its `otpauth://` URI (Key URI
/// format: the label is percent-encoded; unreserved bytes stay).
#[must_use]
pub fn ga_enrolment(user_id: &str, secret: &str) -> Value {
    let label: String = user_id
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    json!({
        "object": "ga_enrolment",
        "user_id": user_id,
        "secret": secret,
        "otpauth_uri": format!(
            "otpauth://totp/Kassa:{label}?secret={secret}&issuer=Kassa&algorithm=SHA1&digits=6&period=30"
        ),
    })
}

/// A webhook of `GET /v1/orders/:id/webhooks` and of a replay's answer.
#[must_use]
pub fn webhook_view(e: &OutboxEntry) -> Value {
    json!({
        "object": "webhook",
        "id": e.id,
        "type": e.event_type,
        "status": e.status,
        "attempts": e.attempts,
        "created_ms": e.created_ms,
        "next_attempt_ms": e.next_attempt_ms,
        "deliveries": e.log,
    })
}

/// One status-history entry of `GET /v1/orders/:id/events`.
#[must_use]
pub fn history_view(h: &HistoryEntry) -> Value {
    json!({
        "object": "order_event",
        "at_ms": h.at_ms,
        "event_id": h.event.id,
        "type": h.event.kind.name(),
        "from": h.from,
        "to": h.to,
        "disposition": h.disposition,
    })
}

/// One S0 relay the order owes, with its delivery log (`flows::outbox`).
#[must_use]
pub fn relay_view(r: &OutboxEntry) -> Value {
    json!({ "object": "relay", "id": r.id, "status": r.event_type, "delivery": r.status, "created_ms": r.created_ms, "attempts": r.attempts, "deliveries": r.log })
}

/// A list answer: `{object: "list", url, data, has_more}`.
#[must_use]
pub fn list(url: &str, data: Vec<Value>, has_more: bool) -> Value {
    json!({ "object": "list", "url": url, "data": data, "has_more": has_more })
}

/// One audit-log entry of `GET /v1/orders/:id/events`.
#[must_use]
pub fn audit_view(at_ms: u64, reason: &str, detail: &str) -> Value {
    json!({ "object": "audit_entry", "at_ms": at_ms, "reason": reason, "detail": detail })
}

/// `GET /v1/orders/:id/events`: status history (every distinct fact, with what it did),
/// the audit log of rejected requests, and the S0 relays the order owes.
#[must_use]
pub fn events_view(
    order_id: Id,
    history: &[HistoryEntry],
    audit: Vec<Value>,
    relays: &[OutboxEntry],
) -> Value {
    json!({
        "object": "order_events",
        "order_id": order_id.to_string(),
        "history": history.iter().map(history_view).collect::<Vec<_>>(),
        "audit": audit,
        "relays": relays.iter().map(relay_view).collect::<Vec<_>>(),
    })
}

/// `POST /v1/orders/:id/client_secret`'s answer.
#[must_use]
pub fn client_secret_view(order_id: Id, secret: &str, expires_at: u64) -> Value {
    json!({
        "object": "client_secret",
        "order_id": order_id.to_string(),
        "client_secret": secret,
        "expires_at": expires_at,
    })
}

/// `POST /v1/users/:id/trusted`'s answer.
#[must_use]
pub fn trusted_view(user_id: &str, trusted: bool) -> Value {
    json!({ "object": "user", "id": user_id, "trusted": trusted })
}

/// `POST /v1/users/:id/tokens`' answer (201).
#[must_use]
pub fn user_token_view(user_id: &str, token: &str, expires_at: u64) -> Value {
    json!({ "object": "user_token", "user_id": user_id, "token": token, "expires_at": expires_at })
}

/// `POST /v1/users/:id/tokens/revoke`'s answer.
#[must_use]
pub fn revocation_view(user_id: &str, revoked_at: u64) -> Value {
    json!({ "object": "user_token_revocation", "user_id": user_id, "revoked_at": revoked_at })
}

#[cfg(test)]
#[path = "requests_tests.rs"]
pub(crate) mod tests;
