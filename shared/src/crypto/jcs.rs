//! RFC 8785 JSON Canonicalization Scheme (SPEC 4.1: the S3 and wallet strings to sign),
//! through the `serde_jcs` crate: members sorted by their UTF-16 code units, no white
//! space, numbers in their shortest ECMAScript form (RFC 8785 §3.2.2.3), strings with the
//! minimal escapes of §3.2.2.2.

use serde::Serialize;

/// Why a value could not be canonicalised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JcsError {
    #[error("json: not valid JSON ({reason})")]
    Parse { reason: String },
    #[error("json: cannot be canonicalised ({reason})")]
    Serialize { reason: String },
}

/// The canonical form of any serialisable value.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, JcsError> {
    serde_jcs::to_string(value).map_err(|e| JcsError::Serialize {
        reason: e.to_string(),
    })
}

/// Parses JSON text and returns its canonical form.
pub fn canonicalize_str(json: &str) -> Result<String, JcsError> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| JcsError::Parse {
        reason: e.to_string(),
    })?;
    to_string(&v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_and_strips() {
        assert_eq!(
            canonicalize_str(r#"{ "b": [1, 2.50, 1e3], "a": {"d": null, "c": "é\n"} }"#).unwrap(),
            "{\"a\":{\"c\":\"é\\n\",\"d\":null},\"b\":[1,2.5,1000]}"
        );
    }

    #[test]
    fn names_parse_errors() {
        let e = canonicalize_str("{").unwrap_err();
        assert!(e.to_string().starts_with("json: not valid JSON"), "{e}");
    }
}
