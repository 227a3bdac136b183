//! RFC 8785 JSON Canonicalization Scheme (SPEC 4.1: the S3 and wallet strings to sign),
//! through the `serde_jcs` crate: members sorted by their UTF-16 code units, no white
//! space, numbers in their shortest ECMAScript form (RFC 8785 §3.2.2.3), strings with the
//! minimal escapes of §3.2.2.2.
//!
//! RFC 8785 §3.1 requires I-JSON input (RFC 7493), which forbids duplicate member names.
//! [`parse_strict`] enforces that: `{"amount":1,"amount":1000}` means different things to
//! different parsers, so a signed message must not be allowed to carry it.

use core::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Serialize;
use serde_json::{Map, Number, Value};

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
    to_string(&parse_strict(json.as_bytes())?)
}

/// Parses JSON like `serde_json::from_slice`, but refuses duplicate member names at any
/// depth (I-JSON, RFC 7493 §2.3).
pub fn parse_strict(json: &[u8]) -> Result<Value, JcsError> {
    serde_json::from_slice::<Strict>(json)
        .map(|s| s.0)
        .map_err(|e| JcsError::Parse {
            reason: e.to_string(),
        })
}

/// A `Value` whose deserialisation rejects duplicate member names.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Strict, E> {
        Number::from_f64(v)
            .map(|n| Strict(Value::Number(n)))
            .ok_or_else(|| E::custom("number is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
        Ok(Strict(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Strict, E> {
        Ok(Strict(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Strict, A::Error> {
        let mut v = Vec::new();
        while let Some(Strict(x)) = a.next_element()? {
            v.push(x);
        }
        Ok(Strict(Value::Array(v)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Strict, A::Error> {
        let mut m = Map::new();
        while let Some(k) = a.next_key::<String>()? {
            if m.contains_key(&k) {
                let shown: String = k.chars().take(40).collect();
                return Err(de::Error::custom(format!(
                    "duplicate member name `{shown}`"
                )));
            }
            let Strict(v) = a.next_value()?;
            m.insert(k, v);
        }
        Ok(Strict(Value::Object(m)))
    }
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
    fn refuses_duplicate_members_at_any_depth() {
        for dup in [r#"{"a":1,"a":2}"#, r#"{"x":[{"b":1,"c":0,"b":1}]}"#] {
            let e = parse_strict(dup.as_bytes()).unwrap_err().to_string();
            assert!(e.contains("duplicate member name"), "{e}");
        }
        let ok = parse_strict(br#"{"a":{"a":1},"b":[{"a":2},{"a":3}]}"#).unwrap();
        assert_eq!(
            ok,
            serde_json::from_str::<Value>(r#"{"a":{"a":1},"b":[{"a":2},{"a":3}]}"#).unwrap()
        );
        // Integers beyond 2^53 are doubles in RFC 8785.
        assert_eq!(
            canonicalize_str("[9007199254740993]").unwrap(),
            "[9007199254740992]"
        );
    }

    #[test]
    fn names_parse_errors() {
        let e = canonicalize_str("{").unwrap_err();
        assert!(e.to_string().starts_with("json: not valid JSON"), "{e}");
    }
}
