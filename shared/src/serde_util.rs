//! Serde helpers for the seeds' loose typing (SPEC 2, "Identifiers").
//!
//! The seeds' tables and examples disagree about JSON types: S1's table says `status` is
//! an `int` but its example sends `"status":"1"`; S2's `quick_pay` example quotes the
//! booleans `"processIsEnd": "false"`; S2 and S4 quote times and amounts. The rule is:
//! accept both forms on input, emit the form the seed's table names (where it has no
//! table, as for `quick_pay`'s answer, the example's). This module owns
//! those lenient readers and the one "number kept as a string" writer, plus
//! [`Redacted`], the string whose `Debug` never prints it.
//!
//! Use with `#[serde(deserialize_with = "...")]` (or `with = "..."` where the output form
//! changes too); the `option` sub-modules need `#[serde(default)]` on the field so an
//! absent key still reads as `None`.

use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The largest integer an IEEE-754 double holds exactly; a JSON number beyond it that
/// arrives as a float has already lost digits.
const MAX_SAFE_F64: f64 = 9_007_199_254_740_992.0;

/// Parses `-?[0-9]+` only: no `+`, no blanks, no exponent, no decimals. Rust's own
/// `i128::from_str` would also accept a leading `+`, which no seed sends.
fn parse_strict_int(s: &str) -> Option<i128> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Visitor for "an integer, or an integer in a string", narrowed to `T`.
struct IntVisitor<T>(PhantomData<T>);

impl<T: TryFrom<i128>> IntVisitor<T> {
    fn narrow<E: de::Error>(v: i128) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format_args!("integer {v} is out of range")))
    }
}

impl<T: TryFrom<i128>> Visitor<'_> for IntVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a quoted integer")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Self::narrow(i128::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Self::narrow(i128::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        // `1.0` is an integer written as a float; `1.5` or `1e300` is not one.
        if v.fract() != 0.0 || !(-MAX_SAFE_F64..=MAX_SAFE_F64).contains(&v) {
            return Err(E::invalid_value(de::Unexpected::Float(v), &self));
        }
        #[allow(clippy::cast_possible_truncation)]
        Self::narrow(v as i128)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        match parse_strict_int(v) {
            Some(n) => Self::narrow(n),
            None => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

/// Newtype used to reuse the lenient readers inside `Option`.
struct Lenient<T>(T);

/// Integers that may arrive quoted; the output stays a JSON number (serde's default).
pub mod int_or_str {
    use super::{Deserialize, Deserializer, IntVisitor, Lenient, PhantomData};

    impl<'de, T: TryFrom<i128>> Deserialize<'de> for Lenient<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(IntVisitor(PhantomData)).map(Lenient)
        }
    }

    /// Reads `1` or `"1"` as `1`.
    ///
    /// # Errors
    /// When the value is in neither accepted form, or does not fit the target type.
    pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D) -> Result<T, D::Error> {
        d.deserialize_any(IntVisitor(PhantomData))
    }

    /// `Option` form; pair with `#[serde(default)]`. `null` reads as `None`.
    pub mod option {
        use super::{Deserialize, Deserializer, Lenient};

        /// # Errors
        /// As [`super::deserialize`].
        pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<i128>>(
            d: D,
        ) -> Result<Option<T>, D::Error> {
            Ok(Option::<Lenient<T>>::deserialize(d)?.map(|l| l.0))
        }
    }
}

/// Unsigned integers the seed carries as JSON strings (S2 `expired`/`created`/`updated`,
/// S4 withdraw `amount`): read from a string or an integer, always written as a string,
/// so values above 2^53 survive a browser.
pub mod u64_as_string {
    use super::{Deserialize, Deserializer, IntVisitor, Lenient, PhantomData, Serializer};

    /// # Errors
    /// Only the serializer's own.
    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    /// # Errors
    /// When the value is not a non-negative integer or a quoted one.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        d.deserialize_any(IntVisitor(PhantomData))
    }

    /// `Option` form; pair with `#[serde(default, skip_serializing_if = "Option::is_none")]`.
    pub mod option {
        use super::{Deserialize, Deserializer, Lenient, Serializer};

        /// # Errors
        /// Only the serializer's own.
        #[allow(clippy::ref_option)] // serde's `with` hands us `&Option<T>`.
        pub fn serialize<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => s.collect_str(v),
                None => s.serialize_none(),
            }
        }

        /// # Errors
        /// As [`super::deserialize`].
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
            Ok(Option::<Lenient<u64>>::deserialize(d)?.map(|l| l.0))
        }
    }
}

/// Visitor for a user id: the merchant's free text (SPEC 3.2, 1 to 256 bytes) or, as
/// S2's `long` user ids arrive, a non-negative integer, kept as its decimal text.
struct UserIdVisitor;

/// The edge's bound on a merchant's user id (`client_secret::MAX_USER_ID_LEN`).
const MAX_USER_ID_BYTES: usize = 256;

impl Visitor<'_> for UserIdVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a user id: 1 to 256 bytes of text, or a non-negative integer")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        u64::try_from(v)
            .map(|v| v.to_string())
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        // Any float here is either fractional or past 2^53 and already rounded.
        Err(E::invalid_value(de::Unexpected::Float(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        if v.is_empty() || v.len() > MAX_USER_ID_BYTES {
            return Err(E::invalid_length(v.len(), &self));
        }
        Ok(v.to_owned())
    }
}

/// User ids (S2 `payerUserId`, `payeeUserId`, `userInfo.userId`): S2 types them `long`,
/// but a merchant names its shoppers in free text (`alice`), so they are text here,
/// read from a string or an exact integer and written as a string (SPEC 2).
pub mod user_id {
    use super::{Deserializer, UserIdVisitor};

    /// # Errors
    /// When the value is not 1 to 256 bytes of text or a non-negative integer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        d.deserialize_any(UserIdVisitor)
    }
}

/// Visitor for `true`/`false` or the strings `"true"`/`"false"` (exactly; no `"1"`,
/// no `"TRUE"` — S2's example only ever quotes the JSON literals).
struct BoolVisitor;

impl Visitor<'_> for BoolVisitor {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean or the string \"true\" or \"false\"")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        match v {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

/// Booleans that may arrive quoted; the output is a JSON boolean (serde's default).
pub mod bool_or_str {
    use super::{BoolVisitor, Deserializer};

    /// # Errors
    /// When the value is not `true`/`false`, quoted or not.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        d.deserialize_any(BoolVisitor)
    }
}

/// A secret string (credentials, encrypted passwords, SMS codes): serialises as itself —
/// it has to reach the wire — but `Debug` prints `[redacted]` so logs never carry it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Redacted(String);

impl Redacted {
    #[must_use]
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself, for the one place that must send or verify it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Lax {
        #[serde(deserialize_with = "int_or_str::deserialize")]
        n: u8,
        #[serde(default, deserialize_with = "int_or_str::option::deserialize")]
        o: Option<i32>,
        #[serde(with = "u64_as_string")]
        t: u64,
        #[serde(deserialize_with = "bool_or_str::deserialize")]
        b: bool,
    }

    fn parse(s: &str) -> Result<Lax, serde_json::Error> {
        serde_json::from_str(s)
    }

    #[test]
    fn accepts_both_forms_and_emits_the_table_form() {
        let a = parse(r#"{"n":"1","o":"-7","t":"1571561027984","b":"true"}"#).unwrap();
        let b = parse(r#"{"n":1,"o":-7,"t":1571561027984,"b":true}"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            serde_json::json!({"n":1,"o":-7,"t":"1571561027984","b":true})
        );
        let c = parse(r#"{"n":1.0,"t":"0","b":false}"#).unwrap();
        assert_eq!((c.n, c.o), (1, None));
        assert!(parse(r#"{"n":1,"o":null,"t":"0","b":"false"}"#)
            .unwrap()
            .o
            .is_none());
    }

    #[test]
    fn rejects_non_integers_and_junk() {
        for bad in [
            r#"{"n":1.5,"t":"0","b":true}"#,
            r#"{"n":"1.0","t":"0","b":true}"#,
            r#"{"n":"+1","t":"0","b":true}"#,
            r#"{"n":" 1","t":"0","b":true}"#,
            r#"{"n":"","t":"0","b":true}"#,
            r#"{"n":256,"t":"0","b":true}"#,
            r#"{"n":1e300,"t":"0","b":true}"#,
            r#"{"n":1,"t":"-1","b":true}"#,
            r#"{"n":1,"t":"1e3","b":true}"#,
            r#"{"n":1,"t":"0","b":"yes"}"#,
            r#"{"n":1,"t":"0","b":1}"#,
            r#"{"n":true,"t":"0","b":true}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let e = parse(r#"{"n":1,"b":true}"#).unwrap_err().to_string();
        assert!(e.contains("missing field `t`"), "{e}");
    }

    #[test]
    fn redacted_hides_itself_from_debug_only() {
        let r = Redacted::new("hunter2");
        assert_eq!(format!("{r:?}"), "[redacted]");
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"hunter2\"");
        assert_eq!(r.expose(), "hunter2");
    }
}
