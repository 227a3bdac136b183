//! Reading request bodies and fields (SPEC 3: 413 over 64 KiB, 400 for malformed JSON,
//! 400 naming the missing or invalid field). Every handler reads its body through
//! [`json_object`], so the limits hold on every route.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use worker::Request;

use crate::error::{EdgeError, MAX_BODY_BYTES};

/// Refuses a declared `Content-Length` over the limit before reading anything.
pub fn check_content_length(req: &Request) -> Result<(), EdgeError> {
    let declared = req.headers().get("Content-Length").ok().flatten();
    if let Some(len) = declared.and_then(|v| v.trim().parse::<u64>().ok()) {
        if len > MAX_BODY_BYTES as u64 {
            return Err(EdgeError::PayloadTooLarge);
        }
    }
    Ok(())
}

/// The body's bytes, refusing more than the limit whatever `Content-Length` said (a
/// chunked body has none).
pub async fn body_bytes(req: &mut Request) -> Result<Vec<u8>, EdgeError> {
    check_content_length(req)?;
    let body = req.bytes().await?;
    if body.len() > MAX_BODY_BYTES {
        return Err(EdgeError::PayloadTooLarge);
    }
    Ok(body)
}

/// The body as a JSON object; an empty body is an empty object (for `POST .../cancel`).
/// Fields outside `allowed` are refused by name, so a typo never passes silently.
pub async fn json_object(
    req: &mut Request,
    allowed: &[&str],
) -> Result<Map<String, Value>, EdgeError> {
    let body = body_bytes(req).await?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let value: Value =
        serde_json::from_slice(&body).map_err(|e| EdgeError::InvalidJson(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(EdgeError::InvalidJson(
            "the body must be a JSON object".into(),
        ));
    };
    if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(EdgeError::bad(
            unknown.clone(),
            format!("{unknown}: unknown parameter"),
        ));
    }
    Ok(map)
}

/// A required non-empty string of at most `max` characters.
pub fn string(
    map: &Map<String, Value>,
    field: &str,
    param: &str,
    max: usize,
) -> Result<String, EdgeError> {
    match map.get(field) {
        None | Some(Value::Null) => Err(EdgeError::bad(param, format!("{param}: is required"))),
        Some(v) => string_value(v, param, max),
    }
}

/// An optional string (absent or null → `None`).
pub fn opt_string(
    map: &Map<String, Value>,
    field: &str,
    param: &str,
    max: usize,
) -> Result<Option<String>, EdgeError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => string_value(v, param, max).map(Some),
    }
}

pub fn string_value(v: &Value, param: &str, max: usize) -> Result<String, EdgeError> {
    match v {
        Value::String(s) if s.is_empty() => {
            Err(EdgeError::bad(param, format!("{param}: must not be empty")))
        }
        Value::String(s) if s.chars().count() > max => Err(EdgeError::bad(
            param,
            format!("{param}: longer than {max} characters"),
        )),
        Value::String(s) => Ok(s.clone()),
        _ => Err(EdgeError::bad(param, format!("{param}: must be a string"))),
    }
}

/// An optional whole number in `min..=max` (absent or null → `None`).
pub fn opt_integer(
    map: &Map<String, Value>,
    field: &str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, EdgeError> {
    // JSON Schema's `integer` (and SPEC 2: "reject a number that is not an exact
    // integer") admits `726.0`: a whole number written with a zero fraction is that
    // number. Never used for money, whose amounts are read more strictly.
    let whole = |v: &Value| {
        v.as_u64().or_else(|| {
            let f = v.as_f64()?;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = f as u64;
            (f.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(&f)).then_some(n)
        })
    };
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match whole(v) {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(EdgeError::bad(
                field,
                format!("{field}: must be a whole number from {min} to {max}"),
            )),
        },
    }
}

/// The query string's parameters, each one of `known` (any other is a 400 naming it,
/// so a misspelt filter is not silently ignored); a repeated one keeps its last value.
pub fn query(req: &Request, known: &[&str]) -> Result<BTreeMap<String, String>, EdgeError> {
    let mut out = BTreeMap::new();
    for (k, v) in req.url()?.query_pairs() {
        if !known.contains(&k.as_ref()) {
            return Err(EdgeError::bad(
                k.as_ref(),
                format!("{k}: unknown parameter"),
            ));
        }
        out.insert(k.into_owned(), v.into_owned());
    }
    Ok(out)
}
