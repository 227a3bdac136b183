//! Reading one field of a JSON object body: present or absent (`null` is absent), its
//! type and its bounds, each refusal naming the field's path (`items[2].name`).

use serde_json::{Map, Value};

/// A field that was missing or invalid: `param` is its path in the body, `message`
/// starts with it and says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    pub param: String,
    pub message: String,
}

impl FieldError {
    /// A refusal of `param`; `message` should start with the field's name.
    pub fn new(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            param: param.into(),
            message: message.into(),
        }
    }
}

/// The first key of `map` outside `allowed`, refused by name (a misspelt field never
/// passes silently); `prefix` is the object's path (`"user."`, or `""` for the body).
///
/// # Errors
/// `{prefix}{key}: unknown parameter`.
pub fn known_keys(
    map: &Map<String, Value>,
    allowed: &[&str],
    prefix: &str,
) -> Result<(), FieldError> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => {
            let p = format!("{prefix}{k}");
            Err(FieldError::new(
                p.clone(),
                format!("{p}: unknown parameter"),
            ))
        }
        None => Ok(()),
    }
}

/// A required non-empty string of at most `max` characters.
///
/// # Errors
/// Absent, `null`, empty, too long, or not a string.
pub fn string(
    map: &Map<String, Value>,
    field: &str,
    param: &str,
    max: usize,
) -> Result<String, FieldError> {
    match map.get(field) {
        None | Some(Value::Null) => Err(FieldError::new(param, format!("{param}: is required"))),
        Some(v) => string_value(v, param, max),
    }
}

/// An optional string (absent or null → `None`).
///
/// # Errors
/// Present and empty, too long, or not a string.
pub fn opt_string(
    map: &Map<String, Value>,
    field: &str,
    param: &str,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => string_value(v, param, max).map(Some),
    }
}

/// `v` as a non-empty string of at most `max` characters.
///
/// # Errors
/// Empty, too long, or not a string.
pub fn string_value(v: &Value, param: &str, max: usize) -> Result<String, FieldError> {
    match v {
        Value::String(s) if s.is_empty() => Err(FieldError::new(
            param,
            format!("{param}: must not be empty"),
        )),
        Value::String(s) if s.chars().count() > max => Err(FieldError::new(
            param,
            format!("{param}: longer than {max} characters"),
        )),
        Value::String(s) => Ok(s.clone()),
        _ => Err(FieldError::new(param, format!("{param}: must be a string"))),
    }
}

/// `v` as a whole number: an integer, or a number written with a zero fraction
/// (`726.0`) up to 2^53, where a float still holds every integer exactly. Never for
/// money ([`super::order`] reads amounts only as written integers).
#[must_use]
pub fn whole(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        let f = v.as_f64()?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = f as u64;
        (f.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(&f)).then_some(n)
    })
}

/// An optional whole number in `min..=max` (absent or null → `None`).
///
/// JSON Schema's `integer` (and SPEC 2: "reject a number that is not an exact integer")
/// admits `726.0`: a whole number written with a zero fraction is that number. Never
/// used for money, whose amounts are read more strictly ([`super::order`]).
///
/// # Errors
/// Not a whole number, or outside the range.
pub fn opt_integer(
    map: &Map<String, Value>,
    field: &str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, FieldError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match whole(v) {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(FieldError::new(
                field,
                format!("{field}: must be a whole number from {min} to {max}"),
            )),
        },
    }
}

/// A positive decimal written without sign, exponent or leading zeros (`12`, `0.5`,
/// `1.50`), at most 40 characters: the form every money string of the merchant API
/// takes before the order decides its unit (`openapi.json` states the same pattern).
#[must_use]
pub fn positive_decimal(s: &str) -> bool {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let int_ok = digits(int) && (int == "0" || !int.starts_with('0'));
    let frac_ok = frac.is_none_or(digits);
    let nonzero = s.bytes().any(|b| (b'1'..=b'9').contains(&b));
    s.len() <= 40 && int_ok && frac_ok && nonzero
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn each_refusal_names_the_field() {
        let m = obj(json!({"a": "", "b": 5, "c": "x".repeat(9), "n": 600.5, "w": 600.0}));
        assert_eq!(
            string(&m, "z", "z", 8).unwrap_err().message,
            "z: is required"
        );
        assert_eq!(
            string(&m, "a", "a", 8).unwrap_err().message,
            "a: must not be empty"
        );
        assert_eq!(string(&m, "b", "p.b", 8).unwrap_err().param, "p.b");
        assert_eq!(
            string(&m, "c", "c", 8).unwrap_err().message,
            "c: longer than 8 characters"
        );
        assert_eq!(opt_string(&m, "z", "z", 8), Ok(None));
        assert_eq!(opt_integer(&m, "w", 1, 900), Ok(Some(600)));
        assert!(opt_integer(&m, "n", 1, 900).is_err());
        assert!(opt_integer(&m, "b", 6, 900).is_err());
        assert_eq!(
            known_keys(&m, &["a", "b", "c", "n"], "user.")
                .unwrap_err()
                .param,
            "user.w"
        );
        assert_eq!(known_keys(&m, &["a", "b", "c", "n", "w"], ""), Ok(()));
    }

    #[test]
    fn positive_decimals() {
        for ok in ["1", "12", "0.5", "1.50", "0.001", "10"] {
            assert!(positive_decimal(ok), "{ok}");
        }
        let long = "1".repeat(41);
        for bad in [
            "0", "0.0", "00.1", "01", ".5", "5.", "-1", "+1", "1e3", "", " 1", "1.2.3", &long,
        ] {
            assert!(!positive_decimal(bad), "{bad}");
        }
    }
}
