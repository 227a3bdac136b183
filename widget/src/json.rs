//! JSON without a JSON library: the browser's own `JSON.parse` reads the edge's answers
//! and [`Field`] reads typed values out of the parsed object with `Reflect`; request
//! bodies are written by [`Object`], a few lines of escaping.
//!
//! Why not `serde_json`: it and the float formatting it drags in were a third of the
//! bundle (SPEC 8 wants ≤ 120 KB gzip for everything the widget transfers). JS numbers
//! are safe here because the edge sends ids as strings (SPEC 2) and token amounts as
//! decimal strings; the only numbers are small integers, and a number that is not an
//! exact (safe) integer is refused by name, never rounded. Nothing here formats a float.

use js_sys::{Array, Number, Reflect};
use wasm_bindgen::JsValue;

use kassa_shared::id::Id;

/// What was wrong with an answer: the field (a dotted path) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub field: String,
    pub reason: &'static str,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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
        reason: "not JSON",
    })
}

/// One value inside a parsed answer, with the path that names it in errors.
#[derive(Clone)]
pub struct Field {
    pub path: String,
    pub value: JsValue,
}

impl Field {
    /// The root of an answer named `what` (`load_pay_data`, …).
    #[must_use]
    pub fn root(what: &str, value: JsValue) -> Self {
        Self {
            path: what.to_owned(),
            value,
        }
    }

    fn fail<T>(&self, reason: &'static str) -> Decoded<T> {
        Err(DecodeError {
            field: self.path.clone(),
            reason,
        })
    }

    /// Absent or `null`.
    #[must_use]
    pub fn is_absent(&self) -> bool {
        self.value.is_undefined() || self.value.is_null()
    }

    /// The member `name` (undefined when this is not an object or lacks it).
    #[must_use]
    pub fn get(&self, name: &str) -> Field {
        let value = if self.value.is_object() && !Array::is_array(&self.value) {
            Reflect::get(&self.value, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
        } else {
            JsValue::UNDEFINED
        };
        Field {
            path: format!("{}.{name}", self.path),
            value,
        }
    }

    /// Requires a JSON object.
    ///
    /// # Errors
    /// `must be an object`.
    pub fn object(self) -> Decoded<Self> {
        if self.value.is_object() && !Array::is_array(&self.value) {
            Ok(self)
        } else {
            self.fail("must be an object")
        }
    }

    /// A string, required.
    ///
    /// # Errors
    /// `missing` / `must be a string`.
    pub fn string(&self) -> Decoded<String> {
        match self.value.as_string() {
            Some(s) => Ok(s),
            None if self.is_absent() => self.fail("missing"),
            None => self.fail("must be a string"),
        }
    }

    /// A string or absent / `null`.
    ///
    /// # Errors
    /// `must be a string`.
    pub fn opt_string(&self) -> Decoded<Option<String>> {
        if self.is_absent() {
            Ok(None)
        } else {
            self.string().map(Some)
        }
    }

    /// An exact integer: a JSON number that is a safe integer, or a string of digits
    /// (S2 quotes its 13-digit times).
    ///
    /// # Errors
    /// `missing` / `must be an exact integer`.
    pub fn integer(&self) -> Decoded<i64> {
        if let Some(s) = self.value.as_string() {
            let digits = s.strip_prefix('-').unwrap_or(&s);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                if let Ok(n) = s.parse() {
                    return Ok(n);
                }
            }
            return self.fail("must be an exact integer");
        }
        match self.value.as_f64() {
            Some(n) if Number::is_safe_integer(&self.value) => {
                // A safe integer (|n| < 2^53) converts to i64 exactly.
                #[allow(clippy::cast_possible_truncation)]
                Ok(n as i64)
            }
            _ if self.is_absent() => self.fail("missing"),
            _ => self.fail("must be an exact integer"),
        }
    }

    /// A non-negative exact integer.
    ///
    /// # Errors
    /// As [`Field::integer`], or `must not be negative`.
    pub fn unsigned(&self) -> Decoded<u64> {
        let n = self.integer()?;
        u64::try_from(n).or_else(|_| self.fail("must not be negative"))
    }

    /// An `i32` (S2's small enums such as `registerType`).
    ///
    /// # Errors
    /// As [`Field::integer`], or `out of range`.
    pub fn int32(&self) -> Decoded<i32> {
        let n = self.integer()?;
        i32::try_from(n).or_else(|_| self.fail("out of range"))
    }

    /// A 63-bit id: a decimal string, or a number that is an exact integer (SPEC 2).
    ///
    /// # Errors
    /// `missing` / `must be an id`.
    pub fn id(&self) -> Decoded<Id> {
        let n = self.unsigned()?;
        Id::new(n).or_else(|_| self.fail("must be a 63-bit id"))
    }

    /// A user id (`payerUserId`, `userInfo.userId`): the merchant's free text, or a
    /// number that is an exact non-negative integer, kept as its digits (SPEC 2; the
    /// same rule as `serde_util::user_id` in `shared`).
    ///
    /// # Errors
    /// `missing` / `must not be empty` / `must be an exact integer` / `must not be negative`.
    pub fn user_id(&self) -> Decoded<String> {
        match self.value.as_string() {
            Some(s) if s.is_empty() => self.fail("must not be empty"),
            Some(s) => Ok(s),
            None => self.unsigned().map(|n| n.to_string()),
        }
    }

    /// An id, or absent / `null`.
    ///
    /// # Errors
    /// As [`Field::id`].
    pub fn opt_id(&self) -> Decoded<Option<Id>> {
        if self.is_absent() {
            Ok(None)
        } else {
            self.id().map(Some)
        }
    }

    /// A boolean, or the seed's quoted `"true"` / `"false"`.
    ///
    /// # Errors
    /// `missing` / `must be a boolean`.
    pub fn boolean(&self) -> Decoded<bool> {
        if let Some(b) = self.value.as_bool() {
            return Ok(b);
        }
        match self.value.as_string().as_deref() {
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            _ if self.is_absent() => self.fail("missing"),
            _ => self.fail("must be a boolean"),
        }
    }

    /// A boolean, `false` when absent.
    ///
    /// # Errors
    /// As [`Field::boolean`].
    pub fn opt_boolean(&self) -> Decoded<bool> {
        if self.is_absent() {
            Ok(false)
        } else {
            self.boolean()
        }
    }

    /// One of `names` (the string at the same index is returned as its index).
    ///
    /// # Errors
    /// `missing` / `unknown value`.
    pub fn one_of(&self, names: &[&str]) -> Decoded<usize> {
        let s = self.string()?;
        names
            .iter()
            .position(|n| *n == s)
            .map_or_else(|| self.fail("unknown value"), Ok)
    }

    /// The elements of an array, each named `path[i]`.
    ///
    /// # Errors
    /// `missing` / `must be an array`.
    pub fn array(&self) -> Decoded<Vec<Field>> {
        if !Array::is_array(&self.value) {
            return if self.is_absent() {
                self.fail("missing")
            } else {
                self.fail("must be an array")
            };
        }
        Ok(Array::from(&self.value)
            .iter()
            .enumerate()
            .map(|(i, value)| Field {
                path: format!("{}[{i}]", self.path),
                value,
            })
            .collect())
    }

    /// The members of an object whose values are strings (a Paytm form's parameters).
    ///
    /// # Errors
    /// `must be an object of strings`.
    pub fn string_map(&self) -> Decoded<Vec<(String, String)>> {
        let obj = self.clone().object()?;
        let mut out = Vec::new();
        for key in js_sys::Object::keys(&obj.value.clone().into()).iter() {
            let Some(name) = key.as_string() else {
                return self.fail("must be an object of strings");
            };
            let value = obj.get(&name).string()?;
            out.push((name, value));
        }
        Ok(out)
    }
}

/// A JSON object being written: `{"a":"b",…}` with strings escaped.
#[derive(Default)]
pub struct Object(String);

impl Object {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn key(mut self, name: &str) -> Self {
        self.0.push(if self.0.is_empty() { '{' } else { ',' });
        push_string(&mut self.0, name);
        self.0.push(':');
        self
    }

    /// `"name": "value"`.
    #[must_use]
    pub fn string(self, name: &str, value: &str) -> Self {
        let mut this = self.key(name);
        push_string(&mut this.0, value);
        this
    }

    /// The JSON text.
    #[must_use]
    pub fn finish(mut self) -> String {
        if self.0.is_empty() {
            self.0.push('{');
        }
        self.0.push('}');
        self.0
    }
}

/// RFC 8259 string escaping: `"` and `\` escaped, control characters as `\u00XX`.
fn push_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let b = usize::from(u8::try_from(u32::from(c)).unwrap_or(0));
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Sets `name` on a JS object (event details, built without serde).
pub fn set(obj: &js_sys::Object, name: &str, value: &JsValue) {
    // Setting a plain data property on a fresh object cannot throw.
    let _ = Reflect::set(obj, &JsValue::from_str(name), value);
}
