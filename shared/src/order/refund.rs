//! The refunds of a paid order (SPEC 2: `Refunding < {Refunded, RefundFailed}`; SPEC 3.2:
//! full or partial, several per order, up to the captured amount).
//!
//! Like [`super::attempt`], the state is a set of observations and every status is
//! derived from it, so any permutation of the same events gives the same result.
//!
//! - **Each refund has its own lattice**, keyed by the refund's [`Id`] (Kassa's, made
//!   when the merchant asks): `Refunding < RefundFailed < Refunded`. A refund may be
//!   confirmed after a refusal was seen (the provider retried it): money went back, so
//!   `Refunded` wins. Its amount is in the order's smallest unit (fiat minor units or
//!   token units); the request and the success both carry it and the larger is kept
//!   (they agree: the edge matches the provider's amount with the request's).
//! - **The order's refund status** ([`Refunds::order_status`]), first rule that
//!   matches: everything captured went back → `Refunded`; a refund is in flight →
//!   `Refunding`; the newest refund (ids are time-ordered, so "newest" is a property of
//!   the refunds, not of arrival order) was refused → `RefundFailed`; part went back →
//!   `PartiallyRefunded`; otherwise no refund status (`Succeeded`). A refused refund
//!   the merchant retries successfully is superseded by its retry.
//! - `unrequested` is a separate observation: a provider-confirmed refund Kassa did not
//!   ask for (`EventKind::UnrequestedRefund`). It plays no part in the status — the
//!   merchant did not decide it — and makes the order need review once it is paid
//!   (`ReviewReason::UnrequestedRefund`).
//! - Orders stored before partial refunds existed kept four flags (`requested`,
//!   `failed`, `succeeded`, `unrequested`) for one full refund; they read as one refund
//!   [`LEGACY_REFUND`] of the whole amount (`amount: None`).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::id::Id;

/// The id a refund recorded before refunds had ids reads as (one full refund per order).
pub const LEGACY_REFUND: Id = Id::from_raw(1);

/// Where one refund stands (ordered: a later variant wins the join).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Refunding,
    RefundFailed,
    Refunded,
}

impl RefundStatus {
    /// The wire name, e.g. `refund_failed`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Refunding => "refunding",
            Self::RefundFailed => "refund_failed",
            Self::Refunded => "refunded",
        }
    }
}

/// What has been observed about one refund.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// In the order's smallest unit; `None` only for a legacy full refund (the whole
    /// captured amount).
    #[serde(default, with = "units", skip_serializing_if = "Option::is_none")]
    pub amount: Option<u128>,
    #[serde(default)]
    pub requested: bool,
    #[serde(default)]
    pub failed: bool,
    #[serde(default)]
    pub succeeded: bool,
}

impl Refund {
    /// `None` while only an amount is known (never, for refunds the machine built).
    #[must_use]
    pub fn status(self) -> Option<RefundStatus> {
        if self.succeeded {
            Some(RefundStatus::Refunded)
        } else if self.failed {
            Some(RefundStatus::RefundFailed)
        } else if self.requested {
            Some(RefundStatus::Refunding)
        } else {
            None
        }
    }

    /// Its amount, reading a legacy full refund as `captured`.
    #[must_use]
    pub fn amount_of(self, captured: u128) -> u128 {
        self.amount.unwrap_or(captured)
    }

    #[must_use]
    pub fn join(self, other: Self) -> Self {
        Self {
            amount: self.amount.max(other.amount),
            requested: self.requested || other.requested,
            failed: self.failed || other.failed,
            succeeded: self.succeeded || other.succeeded,
        }
    }
}

/// The order's refund status as the order's status shows it (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderRefundStatus {
    Refunding,
    RefundFailed,
    PartiallyRefunded,
    Refunded,
}

/// Every refund of one order, and whether an unrequested one was seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Refunds {
    refunds: BTreeMap<Id, Refund>,
    unrequested: bool,
}

impl Refunds {
    /// Adds an observation about refund `id`.
    pub fn observe(&mut self, id: Id, seen: Refund) {
        let entry = self.refunds.entry(id).or_default();
        *entry = entry.join(seen);
    }

    pub fn observe_unrequested(&mut self) {
        self.unrequested = true;
    }

    #[must_use]
    pub fn unrequested(&self) -> bool {
        self.unrequested
    }

    #[must_use]
    pub fn get(&self, id: Id) -> Option<Refund> {
        self.refunds.get(&id).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Id, Refund)> + '_ {
        self.refunds.iter().map(|(id, r)| (*id, *r))
    }

    /// What went back to the shopper (capped at `captured`).
    #[must_use]
    pub fn refunded(&self, captured: u128) -> u128 {
        self.sum(captured, |s| s == RefundStatus::Refunded)
            .min(captured)
    }

    /// What is asked for and not yet settled either way.
    #[must_use]
    pub fn in_flight(&self, captured: u128) -> u128 {
        self.sum(captured, |s| s == RefundStatus::Refunding)
    }

    /// What the merchant may still ask to refund: captured less refunded and in flight.
    #[must_use]
    pub fn refundable(&self, captured: u128) -> u128 {
        captured
            .saturating_sub(self.refunded(captured))
            .saturating_sub(self.in_flight(captured))
    }

    /// Module docs; `None` when no refund has a status.
    #[must_use]
    pub fn order_status(&self, captured: u128) -> Option<OrderRefundStatus> {
        let refunded = self.refunded(captured);
        if refunded >= captured && self.iter().any(|(_, r)| r.succeeded) {
            return Some(OrderRefundStatus::Refunded);
        }
        let statuses = || self.refunds.values().filter_map(|r| r.status());
        if statuses().any(|s| s == RefundStatus::Refunding) {
            return Some(OrderRefundStatus::Refunding);
        }
        let newest = self.refunds.values().rev().find_map(|r| r.status());
        if newest == Some(RefundStatus::RefundFailed) {
            return Some(OrderRefundStatus::RefundFailed);
        }
        (refunded > 0).then_some(OrderRefundStatus::PartiallyRefunded)
    }

    fn sum(&self, captured: u128, pick: impl Fn(RefundStatus) -> bool) -> u128 {
        self.refunds
            .values()
            .filter(|r| r.status().is_some_and(&pick))
            .fold(0u128, |acc, r| acc.saturating_add(r.amount_of(captured)))
    }
}

/// The four flags orders kept before refunds had ids (module docs).
#[derive(Deserialize)]
struct LegacyFlags {
    requested: bool,
    failed: bool,
    succeeded: bool,
    #[serde(default)]
    unrequested: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Stored {
    Current {
        refunds: BTreeMap<Id, Refund>,
        #[serde(default)]
        unrequested: bool,
    },
    Legacy(LegacyFlags),
}

impl<'de> Deserialize<'de> for Refunds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Stored::deserialize(d)? {
            Stored::Current {
                refunds,
                unrequested,
            } => Self {
                refunds,
                unrequested,
            },
            Stored::Legacy(f) => {
                let mut refunds = BTreeMap::new();
                if f.requested || f.failed || f.succeeded {
                    let legacy = Refund {
                        amount: None,
                        requested: f.requested,
                        failed: f.failed,
                        succeeded: f.succeeded,
                    };
                    refunds.insert(LEGACY_REFUND, legacy);
                }
                Self {
                    refunds,
                    unrequested: f.unrequested,
                }
            }
        })
    }
}

/// Refund amounts as decimal strings: token units exceed 2^53 (ETH has 18 decimals).
pub mod units {
    use serde::{Deserialize, Deserializer, Serializer};

    /// # Errors
    /// Only the serializer's own.
    #[allow(clippy::ref_option)] // serde's `with` hands us `&Option<T>`.
    pub fn serialize<S: Serializer>(v: &Option<u128>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    /// # Errors
    /// When the value is not a string of ASCII digits that fits in 128 bits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u128>, D::Error> {
        let Some(s) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(serde::de::Error::custom(
                "amount: must be a string of ASCII digits",
            ));
        }
        s.parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("amount: does not fit in 128 bits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> Id {
        Id::new(n).unwrap_or(LEGACY_REFUND)
    }

    fn seen(amount: u128, requested: bool, failed: bool, succeeded: bool) -> Refund {
        Refund {
            amount: Some(amount),
            requested,
            failed,
            succeeded,
        }
    }

    #[test]
    fn refunded_wins_within_one_refund() {
        let failed = seen(5, true, true, false);
        let ok = seen(5, false, false, true);
        assert_eq!(failed.join(ok).status(), Some(RefundStatus::Refunded));
        assert_eq!(ok.join(failed), failed.join(ok));
        assert_eq!(Refund::default().status(), None);
    }

    #[test]
    fn order_status_rules() {
        use OrderRefundStatus as O;
        let mut r = Refunds::default();
        assert_eq!(r.order_status(100), None);
        r.observe(id(10), seen(30, true, false, false));
        assert_eq!(r.order_status(100), Some(O::Refunding));
        assert_eq!(r.refundable(100), 70);
        r.observe(id(10), seen(30, false, false, true));
        assert_eq!(r.order_status(100), Some(O::PartiallyRefunded));
        assert_eq!((r.refunded(100), r.refundable(100)), (30, 70));
        r.observe(id(11), seen(70, true, true, false));
        assert_eq!(r.order_status(100), Some(O::RefundFailed));
        r.observe(id(12), seen(70, true, false, false));
        assert_eq!(r.order_status(100), Some(O::Refunding));
        r.observe(id(12), seen(70, false, false, true));
        assert_eq!(r.order_status(100), Some(O::Refunded));
        assert_eq!(r.refundable(100), 0);
    }

    #[test]
    fn a_failed_refund_superseded_by_a_newer_success() {
        let mut r = Refunds::default();
        r.observe(id(11), seen(20, true, true, false));
        r.observe(id(12), seen(20, true, false, true));
        assert_eq!(
            r.order_status(100),
            Some(OrderRefundStatus::PartiallyRefunded)
        );
    }

    #[test]
    fn unrequested_does_not_move_the_status() {
        let mut r = Refunds::default();
        r.observe_unrequested();
        assert_eq!(r.order_status(100), None);
        assert!(r.unrequested());
    }

    #[test]
    fn legacy_flags_read_as_one_full_refund() {
        let old: Refunds = serde_json::from_str(
            r#"{"requested":true,"failed":false,"succeeded":true,"unrequested":false}"#,
        )
        .unwrap_or_default();
        assert_eq!(old.get(LEGACY_REFUND).map(|r| r.amount_of(500)), Some(500));
        assert_eq!(old.order_status(500), Some(OrderRefundStatus::Refunded));
        let none: Refunds =
            serde_json::from_str(r#"{"requested":false,"failed":false,"succeeded":false}"#)
                .unwrap_or_else(|_| Refunds {
                    unrequested: true,
                    ..Refunds::default()
                });
        assert_eq!(none, Refunds::default());
    }

    #[test]
    fn amounts_travel_as_strings() {
        let mut r = Refunds::default();
        let eth = 10u128.pow(20);
        r.observe(id(10), seen(eth, true, false, false));
        let json = serde_json::to_string(&r).unwrap_or_default();
        assert!(
            json.contains(r#""amount":"100000000000000000000""#),
            "{json}"
        );
        let back: Refunds = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, r);
        let bad = serde_json::from_str::<Refunds>(r#"{"refunds":{"10":{"amount":"-1"}}}"#);
        assert!(bad.is_err());
    }
}
