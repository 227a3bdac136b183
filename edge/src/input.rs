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
    kassa_shared::surfaces::merchant::fields::known_keys(&map, allowed, "")?;
    Ok(map)
}

// The field readers are the core's (`kassa_shared::surfaces::merchant::fields`); their
// `FieldError` becomes a 400 naming the field (`EdgeError: From<FieldError>`).
pub use kassa_shared::surfaces::merchant::fields::{opt_integer, opt_string, string};

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
