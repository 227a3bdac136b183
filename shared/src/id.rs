//! Time-ordered 63-bit identifiers (SPEC 2, "Identifiers").
//!
//! Layout (most significant first): 1 zero bit, 41 bits of milliseconds since
//! [`EPOCH_MS`], 10 bits of node, 12 bits of sequence — the snowflake shape S2's ids
//! (`476682884348973312`) have. Ids travel in JSON as **strings** because browsers lose
//! integers above 2^53; on input a string or an exact integer number is accepted.

use core::fmt;
use core::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// 2020-01-01T00:00:00Z in Unix milliseconds; 41 bits of ms from here last until 2089.
pub const EPOCH_MS: u64 = 1_577_836_800_000;
const NODE_BITS: u32 = 10;
const SEQ_BITS: u32 = 12;
const MAX_NODE: u16 = (1 << NODE_BITS) - 1;
const MAX_SEQ: u16 = (1 << SEQ_BITS) - 1;
const MAX_TIME: u64 = (1 << 41) - 1;
/// The largest integer an IEEE-754 double holds exactly.
const MAX_SAFE_F64: f64 = 9_007_199_254_740_992.0;

/// Why an id was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{field}: must not be empty")]
    Empty { field: &'static str },
    #[error("{field}: must contain only the ASCII digits 0-9")]
    NotDigits { field: &'static str },
    #[error("{field}: does not fit in 63 bits")]
    Overflow { field: &'static str },
    #[error("{field}: must be an exact non-negative integer")]
    NotInteger { field: &'static str },
}

/// A 63-bit identifier: order ids, attempt ids, code-send ids, event ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(u64);

impl Id {
    /// Wraps a raw value; fails when the top bit is set.
    pub fn new(raw: u64) -> Result<Self, IdError> {
        if raw > i64::MAX as u64 {
            return Err(IdError::Overflow { field: "id" });
        }
        Ok(Self(raw))
    }

    /// A constant id (the top bit is cleared: ids are 63-bit).
    #[must_use]
    pub const fn from_raw(raw: u64) -> Self {
        Self(raw & (i64::MAX as u64))
    }

    #[must_use]
    pub fn get(self) -> u64 {
        self.0
    }

    /// The Unix millisecond at which a generated id was made.
    #[must_use]
    pub fn unix_ms(self) -> u64 {
        (self.0 >> (NODE_BITS + SEQ_BITS)) + EPOCH_MS
    }

    /// Parses a decimal string, naming `field` in the error.
    pub fn parse(field: &'static str, s: &str) -> Result<Self, IdError> {
        if s.is_empty() {
            return Err(IdError::Empty { field });
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::NotDigits { field });
        }
        let raw: u64 = s.parse().map_err(|_| IdError::Overflow { field })?;
        Self::new(raw).map_err(|_| IdError::Overflow { field })
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Id {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("id", s)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a 63-bit id as a decimal string or an exact integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Id::parse("id", v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Id::new(v).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(IdError::NotInteger { field: "id" }))
                    .and_then(|v| Id::new(v).map_err(E::custom))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Id, E> {
                // A float is only an id when it is integral and still exact.
                if v.fract() != 0.0 || !(0.0..=MAX_SAFE_F64).contains(&v) {
                    return Err(E::custom(IdError::NotInteger { field: "id" }));
                }
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Id::new(v as u64).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Makes time-ordered ids from a caller-supplied clock (sans-IO: no clock of its own).
#[derive(Debug, Clone)]
pub struct IdGenerator {
    node: u16,
    last_ms: u64,
    seq: u16,
}

impl IdGenerator {
    /// `node` distinguishes generators that run at once (e.g. one per Durable Object).
    #[must_use]
    pub fn new(node: u16) -> Self {
        Self {
            node: node & MAX_NODE,
            last_ms: 0,
            seq: 0,
        }
    }

    /// The next id at `now_ms` (Unix ms). Ids strictly increase per generator even if the
    /// clock stalls or steps back: the generator then borrows from the future.
    pub fn next(&mut self, now_ms: u64) -> Id {
        let now = now_ms.saturating_sub(EPOCH_MS).min(MAX_TIME);
        if now > self.last_ms {
            self.last_ms = now;
            self.seq = 0;
        } else if self.seq == MAX_SEQ {
            self.last_ms = (self.last_ms + 1).min(MAX_TIME);
            self.seq = 0;
        } else {
            self.seq += 1;
        }
        Id((self.last_ms << (NODE_BITS + SEQ_BITS))
            | (u64::from(self.node) << SEQ_BITS)
            | u64::from(self.seq))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn serialises_as_string() {
        let id = Id::new(476_682_884_348_973_312).unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"476682884348973312\""
        );
    }

    #[test]
    fn accepts_string_and_integer() {
        let a: Id = serde_json::from_str("\"476682884348973312\"").unwrap();
        let b: Id = serde_json::from_str("476682884348973312").unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn rejects_non_integers_and_junk() {
        for bad in [
            "1.5",
            "-1",
            "\"\"",
            "\"12a\"",
            "\"-3\"",
            "\"9223372036854775808\"",
            "true",
        ] {
            assert!(serde_json::from_str::<Id>(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Id::parse("order_id", ""),
            Err(IdError::Empty { field: "order_id" })
        );
        assert_eq!(
            Id::parse("order_id", "1 2"),
            Err(IdError::NotDigits { field: "order_id" })
        );
    }

    #[test]
    fn generator_is_monotonic_and_time_ordered() {
        let mut g = IdGenerator::new(7);
        let t = 1_700_000_000_000;
        let a = g.next(t);
        let b = g.next(t);
        let c = g.next(t - 10_000); // clock stepped back
        let d = g.next(t + 1);
        assert!(a < b && b < c && c < d);
        assert_eq!(a.unix_ms(), t);
    }

    proptest! {
        #[test]
        fn round_trips(raw in 0u64..=i64::MAX as u64) {
            let id = Id::new(raw).unwrap();
            let s = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(serde_json::from_str::<Id>(&s).unwrap(), id);
            prop_assert_eq!(Id::parse("id", &raw.to_string()).unwrap(), id);
        }

        #[test]
        fn generator_never_repeats(steps in proptest::collection::vec(0u64..3, 1..5000)) {
            let mut g = IdGenerator::new(1);
            let mut now = EPOCH_MS + 1000;
            let mut last = None;
            for s in steps {
                now += s;
                let id = g.next(now);
                prop_assert!(last < Some(id));
                last = Some(id);
            }
        }
    }
}
