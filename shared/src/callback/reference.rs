//! [`ProviderRef`]: the order number Kassa gives a provider for one payment *attempt*.
//!
//! Format `"{order}A{attempt}"`, both decimal 63-bit [`Id`]s without leading zeros, e.g.
//! `476682884348973312A476682884348973313`. Why this shape:
//! - alphanumeric only: Ping++'s `order_no` accepts only letters and digits, and no
//!   provider escapes it differently;
//! - at most 19 + 1 + 19 = 39 characters: fits Paytm's `ORDER_ID` (50) and S3's
//!   `out_trade_id` (64);
//! - one reference per attempt, so a retry after a failed attempt is a new provider
//!   order (Paytm and Ping++ refuse a reused order number), and a callback names both
//!   the order to route to and the attempt it settles;
//! - canonical (no leading zeros, upper-case `A` only), so parse → format is the
//!   identity and one reference has exactly one spelling.
//!
//! A **bare order id** (`"476682884348973312"`, no `A`) is also accepted, and names the
//! attempt whose id *is* the order id: `{order, attempt: order}`. It formats back to the
//! bare id (`"{o}A{o}"` is refused as the non-canonical spelling). Only one pay flow
//! hands out a bare order id: S1 `/pay/preOrder` (seed S1), whose Paytm form's
//! `ORDER_ID` is the only order number the S1 client ever gets back — it polls
//! `/pay/getOrderStatus` with it — so that flow creates a fresh order per call and
//! starts its single attempt with the order id as attempt id. Every other channel is
//! given `"{order}A{attempt}"`. The edge routes a callback to exactly the attempt its
//! reference names and refuses a reference naming an attempt the order never started;
//! there is no "latest attempt" guess, so a late callback of an old attempt can never
//! land on a newer one.

use core::fmt;

use crate::id::Id;

/// The longest valid reference.
pub const MAX_LEN: usize = 39;

/// A parsed provider reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProviderRef {
    pub order: Id,
    pub attempt: Id,
}

/// Why a reference was refused; `field` is the wire field it came from (e.g. `ORDERID`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct RefError {
    pub field: &'static str,
    pub reason: &'static str,
}

fn part(field: &'static str, s: &str, which: &'static str) -> Result<Id, RefError> {
    let err = |reason| RefError { field, reason };
    if s.is_empty() {
        return Err(err(if which == "order" {
            "order part is empty"
        } else {
            "attempt part is empty"
        }));
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("must be <order digits>A<attempt digits>"));
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(err("leading zeros are not accepted"));
    }
    Id::parse(field, s).map_err(|_| err("id does not fit in 63 bits"))
}

impl ProviderRef {
    #[must_use]
    pub const fn new(order: Id, attempt: Id) -> Self {
        Self { order, attempt }
    }

    /// Parses `"{order}A{attempt}"` strictly; `field` names the wire field in errors.
    ///
    /// # Errors
    /// [`RefError`] naming `field` and what was wrong.
    pub fn parse(field: &'static str, s: &str) -> Result<Self, RefError> {
        if s.len() > MAX_LEN {
            return Err(RefError {
                field,
                reason: "longer than 39 characters",
            });
        }
        let Some((order, attempt)) = s.split_once('A') else {
            let order = part(field, s, "order")?;
            return Ok(Self::bare(order));
        };
        let r = Self {
            order: part(field, order, "order")?,
            attempt: part(field, attempt, "attempt")?,
        };
        if r.is_bare() {
            return Err(RefError {
                field,
                reason: "attempt equals order: write the bare order id",
            });
        }
        Ok(r)
    }

    /// The reference of an order whose provider knows no attempt (module docs).
    #[must_use]
    pub const fn bare(order: Id) -> Self {
        Self {
            order,
            attempt: order,
        }
    }

    /// True when the reference names the order only, not one of its attempts.
    #[must_use]
    pub fn is_bare(&self) -> bool {
        self.order == self.attempt
    }
}

/// As its string (the form providers carry), so it can travel inside the edge.
impl serde::Serialize for ProviderRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ProviderRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse("reference", &s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for ProviderRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_bare() {
            write!(f, "{}", self.order)
        } else {
            write!(f, "{}A{}", self.order, self.attempt)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(n: u64) -> Id {
        Id::new(n).unwrap()
    }

    #[test]
    fn formats_and_parses() {
        let r = ProviderRef::new(id(476_682_884_348_973_312), id(476_682_884_348_973_313));
        let s = r.to_string();
        assert_eq!(s, "476682884348973312A476682884348973313");
        assert_eq!(ProviderRef::parse("ORDERID", &s), Ok(r));
        let max = ProviderRef::new(id(i64::MAX as u64), id(i64::MAX as u64 - 1)).to_string();
        assert_eq!(max.len(), MAX_LEN);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn refuses_non_canonical() {
        for bad in [
            "",
            "A",
            "1A",
            "A1",
            "1a2",
            "1A2A3",
            "01A2",
            "1A02",
            "1 A2",
            "+1A2",
            "1A-2",
            "1x",
            "012",
            "5A5",
            "9223372036854775808A1",
            "1A9223372036854775808",
            "1234567890123456789012345678901234567890A1",
        ] {
            let e = ProviderRef::parse("out_trade_id", bad).unwrap_err();
            assert_eq!(e.field, "out_trade_id", "{bad}");
        }
        assert!(ProviderRef::parse("ORDERID", "0A1").is_ok());
    }

    #[test]
    fn bare_order_ids() {
        let r = ProviderRef::parse("ORDERID", "476682884348973312").unwrap();
        assert_eq!(r, ProviderRef::bare(id(476_682_884_348_973_312)));
        assert!(r.is_bare());
        assert_eq!(r.to_string(), "476682884348973312");
        assert!(!ProviderRef::new(id(1), id(2)).is_bare());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,50}") {
            let _ = ProviderRef::parse("f", &s);
        }

        #[test]
        fn never_panics_near_valid(s in "[0-9A]{0,45}") {
            let _ = ProviderRef::parse("f", &s);
        }

        #[test]
        fn round_trips(o in 0u64..=i64::MAX as u64, a in 0u64..=i64::MAX as u64) {
            // Both spellings: `{o}A{a}`, and the bare order id when a == o.
            let r = ProviderRef::new(id(o), id(a));
            prop_assert_eq!(ProviderRef::parse("f", &r.to_string()), Ok(r));
        }
    }
}
