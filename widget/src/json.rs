//! What crosses between JavaScript and the widget, through serde and serde-wasm-bindgen
//! (the design card, STYLE.md): answers are parsed by the browser's own `JSON.parse` and
//! deserialised from the `JsValue` ([`from_js`]); request bodies and event details are
//! serialised to JS values ([`to_js`], then `JSON.stringify` for bodies).
//!
//! Every error names the field as a dotted path (`pay.payInfo[0].amount: must be a
//! string`), built from the inside out: a reader gives the reason (`must be a string`),
//! each member's reader is wrapped by [`named!`] to put its name in front, arrays add
//! `[i]`, and [`from_js`] the answer's name. (serde_path_to_error does this for any
//! deserializer, by wrapping every deserializer, visitor and access type it meets; here
//! that was 46 KB of the wasm for the same messages.)
//!
//! Why not `serde_json`: it and the float formatting it drags in were a third of the
//! bundle (SPEC 8 wants ≤ 120 KB gzip). JS numbers are safe here because the edge sends
//! ids as strings (SPEC 2) and token amounts as decimal strings; serde-wasm-bindgen hands
//! a number to serde as an integer only when it is a safe integer, so a number that is
//! not exact is refused by name, never rounded.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

use kassa_shared::id::Id;

/// What was wrong with a value: the field (a dotted path) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub field: String,
    pub reason: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

pub type Decoded<T> = Result<T, DecodeError>;

/// `JSON.parse(text)`.
///
/// # Errors
/// `body: not JSON`.
pub fn parse(text: &str) -> Decoded<JsValue> {
    js_sys::JSON::parse(text).map_err(|_| DecodeError {
        field: "body".to_owned(),
        reason: "not JSON".to_owned(),
    })
}

/// Reads a `T` out of `value` with `read` (a derived `Deserialize`, or a remote one for
/// `kassa_shared`'s types); errors are named `root.path.to.field`.
///
/// # Errors
/// The [`DecodeError`] of the first field that is missing or malformed.
pub fn from_js<T>(
    root: &str,
    value: JsValue,
    read: impl FnOnce(serde_wasm_bindgen::Deserializer) -> Result<T, serde_wasm_bindgen::Error>,
) -> Decoded<T> {
    read(serde_wasm_bindgen::Deserializer::from(value)).map_err(|e| decode_error(root, e))
}

/// The [`DecodeError`] of serde-wasm-bindgen's error `e` while reading the value named
/// `root`. Not generic, so [`from_js`]'s copies (one per type read) share it.
fn decode_error(root: &str, e: serde_wasm_bindgen::Error) -> DecodeError {
    let named = join(root, &js_message(&JsValue::from(e)));
    match named.split_once(':') {
        Some((field, reason)) => DecodeError {
            field: field.to_owned(),
            reason: reason.trim_start().to_owned(),
        },
        None => DecodeError {
            field: root.to_owned(),
            reason: named,
        },
    }
}

/// `inner` (an error of the value named `name`) with `name` in front of its path:
/// `reason` → `name: reason`, `amount: reason` → `name.amount: reason`, `[0]…` →
/// `name[0]…`. serde's own words are put in the widget's first (see [`reason`]).
#[must_use]
pub fn join(name: &str, inner: &str) -> String {
    let inner = reason(inner);
    // A path has no spaces and ends at the first `:`; a bare reason has no `:`.
    let pathed = inner
        .split_once(':')
        .is_some_and(|(path, _)| !path.contains(' '));
    if !pathed {
        return format!("{name}: {inner}");
    }
    if inner.starts_with('[') {
        format!("{name}{inner}")
    } else {
        format!("{name}.{inner}")
    }
}

/// serde's messages for what the readers cannot see, in the widget's words: a member
/// that is not there (`missing field `x`` → `x: missing`) and a value of the wrong
/// kind (`invalid type: …, expected an array` → `must be an array`; a struct is an
/// object in JSON).
fn reason(message: &str) -> String {
    let message = message.strip_prefix("Error: ").unwrap_or(message);
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
    {
        return format!("{name}: missing");
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some(want) = rest
            .rsplit_once(',')
            .and_then(|(_, w)| w.strip_prefix(" expected "))
        {
            return if want.starts_with("struct ") {
                "must be an object".to_owned()
            } else {
                format!("must be {want}")
            };
        }
    }
    message.to_owned()
}

/// `e`, an error of the value named `name`, with the name in its path ([`join`]).
#[must_use]
pub fn at<E: de::Error>(name: &str, e: &E) -> E {
    E::custom(join(name, &e.to_string()))
}

/// Readers that name their member in errors: `named! { fn order_id -> Id = id, "orderId"; }`
/// defines `order_id(d)`, [`id`] whose errors read `orderId: …`.
#[macro_export]
macro_rules! named {
    ($(fn $f:ident -> $t:ty = $read:path, $name:literal;)*) => {$(
        fn $f<'de, D: serde::de::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
            $read(d).map_err(|e| $crate::json::at($name, &e))
        }
    )*};
}

/// A JS value made from `value` (plain objects, camelCase as the types rename them;
/// absent options are left out by `skip_serializing_if`).
///
/// # Errors
/// serde-wasm-bindgen's message: only for values JS cannot hold (a `u64` past 2^53).
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, String> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::new())
        .map_err(|e| js_message(&JsValue::from(e)))
}

/// `JSON.stringify` of [`to_js`]: a request body.
///
/// # Errors
/// As [`to_js`].
pub fn to_json<T: Serialize>(value: &T) -> Result<String, String> {
    let v = to_js(value)?;
    js_sys::JSON::stringify(&v)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| "body: JSON.stringify failed".to_owned())
}

/// An `Error`'s `message`, else the value if it is a string.
#[must_use]
pub fn js_message(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_default()
}

/// One JSON value as the browser parsed it, seen the way the readers below need it.
/// Compound values are skipped, not kept: no reader wants their contents.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Scalar {
    /// Not there, `null` or `undefined`.
    #[default]
    Absent,
    Bool(bool),
    /// A number that is a safe integer (serde-wasm-bindgen's `visit_i64`).
    Int(i64),
    /// Any other number: a fraction, or past 2^53 and already rounded.
    Float,
    Str(String),
    /// An array or an object.
    Compound,
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Absent)
    }
    fn visit_none<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Absent)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(i64::try_from(v).map_or(Scalar::Float, Scalar::Int))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float)
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Compound)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Compound)
    }
}

fn fail<T, E: de::Error>(reason: &str) -> Result<T, E> {
    Err(E::custom(reason))
}

impl Scalar {
    fn absent(&self) -> bool {
        *self == Self::Absent
    }

    /// # Errors
    /// `missing` / `must be a string`.
    pub fn string<E: de::Error>(self) -> Result<String, E> {
        match self {
            Self::Str(s) => Ok(s),
            Self::Absent => fail("missing"),
            _ => fail("must be a string"),
        }
    }

    /// An exact integer: a JSON number that is a safe integer, or a string of digits
    /// (S2 quotes its 13-digit times).
    ///
    /// # Errors
    /// `missing` / `must be an exact integer`.
    pub fn integer<E: de::Error>(self) -> Result<i64, E> {
        match self {
            Self::Int(n) => Ok(n),
            Self::Str(s) => {
                let digits = s.strip_prefix('-').unwrap_or(&s);
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    if let Ok(n) = s.parse() {
                        return Ok(n);
                    }
                }
                fail("must be an exact integer")
            }
            Self::Absent => fail("missing"),
            _ => fail("must be an exact integer"),
        }
    }

    /// # Errors
    /// As [`Scalar::integer`], or `must not be negative`.
    pub fn unsigned<E: de::Error>(self) -> Result<u64, E> {
        u64::try_from(self.integer()?).or_else(|_| fail("must not be negative"))
    }

    /// # Errors
    /// `missing` / `must be a boolean`.
    pub fn boolean<E: de::Error>(self) -> Result<bool, E> {
        match self {
            Self::Bool(b) => Ok(b),
            // The seed's quoted booleans (`"processIsEnd": "false"`).
            Self::Str(s) if s == "true" => Ok(true),
            Self::Str(s) if s == "false" => Ok(false),
            Self::Absent => fail("missing"),
            _ => fail("must be a boolean"),
        }
    }

    /// The index of the string in `names`.
    ///
    /// # Errors
    /// `missing` / `must be a string` / `unknown value`.
    pub fn one_of<E: de::Error>(self, names: &[&str]) -> Result<usize, E> {
        let s = self.string()?;
        names
            .iter()
            .position(|n| *n == s)
            .map_or_else(|| fail("unknown value"), Ok)
    }
}

// The readers, for `#[serde(deserialize_with = "…")]`. A member that is absent is
// serde's `missing field`, which [`from_js`] words as `missing`; one that is `null` is
// missing here.

/// A string, required.
///
/// # Errors
/// `missing` / `must be a string`.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Scalar::deserialize(d)?.string()
}

/// A string or absent / `null` (with `#[serde(default)]`).
///
/// # Errors
/// `must be a string`.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Scalar::deserialize(d)?;
    if v.absent() {
        Ok(None)
    } else {
        v.string().map(Some)
    }
}

/// # Errors
/// As [`Scalar::unsigned`].
pub fn unsigned<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Scalar::deserialize(d)?.unsigned()
}

/// An `i32` (S2's small enums such as `registerType`).
///
/// # Errors
/// As [`Scalar::integer`], or `out of range`.
pub fn int32<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    i32::try_from(Scalar::deserialize(d)?.integer()?).or_else(|_| fail("out of range"))
}

/// A 63-bit id: a decimal string, or a number that is an exact integer (SPEC 2).
///
/// # Errors
/// `missing` / `must be an exact integer` / `must be a 63-bit id`.
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
    let n = Scalar::deserialize(d)?.unsigned()?;
    Id::new(n).or_else(|_| fail("must be a 63-bit id"))
}

/// A user id (`payerUserId`, `userInfo.userId`): the merchant's free text, or a number
/// that is an exact non-negative integer, kept as its digits (SPEC 2; the same rule as
/// `serde_util::user_id` in `shared`).
///
/// # Errors
/// `missing` / `must not be empty` / `must be an exact integer` / `must not be negative`.
pub fn user_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Scalar::deserialize(d)? {
        Scalar::Str(s) if s.is_empty() => fail("must not be empty"),
        Scalar::Str(s) => Ok(s),
        other => other.unsigned().map(|n| n.to_string()),
    }
}

/// A boolean, or the seed's quoted `"true"` / `"false"`.
///
/// # Errors
/// `missing` / `must be a boolean`.
pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Scalar::deserialize(d)?.boolean()
}

/// An array whose elements `T` reads (each named `path[i]` in errors).
///
/// # Errors
/// `missing` / `must be an array`, or the element's own.
pub fn array<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    struct Elements<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for Elements<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq
                .next_element()
                .map_err(|e| at(&format!("[{}]", out.len()), &e))?
            {
                out.push(item);
            }
            Ok(out)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
            fail("missing")
        }
        fn visit_none<E: de::Error>(self) -> Result<Vec<T>, E> {
            fail("missing")
        }
        // Other values: serde's `invalid type …, expected an array`, which [`from_js`]
        // words as `must be an array`.
    }
    d.deserialize_any(Elements(std::marker::PhantomData))
}

/// The members of an object whose values are strings (a Paytm form's parameters, a
/// theme's custom properties), in the object's order.
///
/// # Errors
/// `must be an object of strings`, or `path.member: must be a string`.
pub fn string_map<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    struct Members;
    /// One member's value: a string, named by its path when it is not.
    struct Text(String);
    impl<'de> Deserialize<'de> for Text {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            string(d).map(Text)
        }
    }
    impl<'de> Visitor<'de> for Members {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of strings")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(name) = map.next_key::<String>()? {
                let Text(value) = map.next_value().map_err(|e| at(&name, &e))?;
                out.push((name, value));
            }
            Ok(out)
        }
    }
    // Not an object: `must be an object of strings` (see [`from_js`]).
    d.deserialize_any(Members)
}
