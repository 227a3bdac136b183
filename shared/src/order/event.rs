//! The events an order accepts (SPEC 2 "Order status", SPEC 3.4, SPEC 7).
//!
//! Provider events (`AttemptSucceeded`, `ProviderClosed`, `RefundSucceeded`, and
//! `AttemptProcessing` / `AttemptFailed` when a callback says so) reach
//! [`crate::order::Order::apply`] only after the edge verified the callback's signature and
//! checked its order id, amount and currency against the order (SPEC 3.4); the order
//! trusts them. Local events (`AttemptStarted`, `Expired`, `Cancelled`, `RefundRequested`,
//! a timed-out `AttemptFailed`) come from the edge's own decisions.
//!
//! Every event carries an id unique to the fact it reports, used to drop duplicates:
//! the provider's notification or transaction id for callbacks (providers retry until
//! they see success), the `Idempotency-Key` for pays, an id from
//! [`crate::id::IdGenerator`] for local decisions. Two deliveries of one fact with
//! different ids are still harmless: every event is a lattice join, and every effect is
//! emitted at most once.

use serde::{Deserialize, Serialize};

use std::collections::BTreeSet;

use super::effect::{Resolution, ReviewReason};
use super::refund::{units, LEGACY_REFUND};
use crate::id::Id;

fn legacy_refund() -> Id {
    LEGACY_REFUND
}

/// One event, with the id used for de-duplication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(flatten)]
    pub kind: EventKind,
}

impl Event {
    #[must_use]
    pub fn new(id: impl Into<String>, kind: EventKind) -> Self {
        Self {
            id: id.into(),
            kind,
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A pay / `quick_pay` passed risk and was sent to the provider.
    AttemptStarted { attempt: Id },
    /// The provider acknowledged the attempt and is working on it.
    AttemptProcessing { attempt: Id },
    /// A verified provider callback (or a verified status query) says the attempt was
    /// paid. `provider` names the channel that verified it, e.g. `"paytm"`.
    AttemptSucceeded { attempt: Id, provider: String },
    /// The attempt failed (provider said so, or the edge gave up on it). The order stays
    /// open: the shopper may try again (SPEC 2).
    AttemptFailed { attempt: Id },
    /// The provider declared the order itself failed or closed (S1 status 2 / 7, S0
    /// `TRADE_CLOSE`).
    ProviderClosed { provider: String },
    /// The order's expiry passed (decided locally, by the edge's alarm).
    Expired,
    /// The merchant or shopper cancelled the order (decided locally).
    Cancelled,
    /// The merchant asked for refund `refund` of `amount` (the order's smallest unit)
    /// and the provider accepted the request (or, for manual channels, the edge recorded
    /// it). Events stored before refunds had ids read as the one full refund
    /// [`LEGACY_REFUND`].
    RefundRequested {
        #[serde(default = "legacy_refund")]
        refund: Id,
        #[serde(default, with = "units", skip_serializing_if = "Option::is_none")]
        amount: Option<u128>,
    },
    /// The provider (or the merchant, for refunds made by hand) confirmed that refund
    /// `refund` went through.
    RefundSucceeded {
        #[serde(default = "legacy_refund")]
        refund: Id,
        provider: String,
        #[serde(default, with = "units", skip_serializing_if = "Option::is_none")]
        amount: Option<u128>,
    },
    /// The provider refused refund `refund` (final for that refund; the merchant may ask
    /// again under a new id).
    RefundFailed {
        #[serde(default = "legacy_refund")]
        refund: Id,
    },
    /// A verified refund, confirmed with the provider, that Kassa never asked for (made
    /// e.g. from the provider's dashboard): money went back to the shopper behind the
    /// merchant's back. Recorded and flagged for review; the status does not move,
    /// because the merchant did not decide it (and a partial one would not be a refund
    /// of the order in full).
    UnrequestedRefund { provider: String },
    /// The merchant looked at the order and resolved `reasons` (the review reasons it
    /// had when they did) with `resolution` (decided locally, by the merchant API). A
    /// reason that arises later needs review again.
    ReviewResolved {
        reasons: BTreeSet<ReviewReason>,
        resolution: Resolution,
    },
}

impl EventKind {
    /// True when the fact comes from a provider rather than from the edge's own decision.
    #[must_use]
    pub fn is_from_provider(&self) -> bool {
        matches!(
            self,
            Self::AttemptSucceeded { .. }
                | Self::ProviderClosed { .. }
                | Self::RefundSucceeded { .. }
                | Self::UnrequestedRefund { .. }
        )
    }
}

impl EventKind {
    /// The wire name of the kind (its serde tag, e.g. `attempt_succeeded`).
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::AttemptStarted { .. } => "attempt_started",
            Self::AttemptProcessing { .. } => "attempt_processing",
            Self::AttemptSucceeded { .. } => "attempt_succeeded",
            Self::AttemptFailed { .. } => "attempt_failed",
            Self::ProviderClosed { .. } => "provider_closed",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
            Self::RefundRequested { .. } => "refund_requested",
            Self::RefundSucceeded { .. } => "refund_succeeded",
            Self::RefundFailed { .. } => "refund_failed",
            Self::UnrequestedRefund { .. } => "unrequested_refund",
            Self::ReviewResolved { .. } => "review_resolved",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_is_the_serde_tag() {
        let a = Id::new(1).unwrap_or_else(|e| panic!("{e}"));
        let p = || "pingpp".to_owned();
        for kind in [
            EventKind::AttemptStarted { attempt: a },
            EventKind::AttemptProcessing { attempt: a },
            EventKind::AttemptSucceeded {
                attempt: a,
                provider: p(),
            },
            EventKind::AttemptFailed { attempt: a },
            EventKind::ProviderClosed { provider: p() },
            EventKind::Expired,
            EventKind::Cancelled,
            EventKind::RefundRequested {
                refund: a,
                amount: Some(5),
            },
            EventKind::RefundSucceeded {
                refund: a,
                provider: p(),
                amount: None,
            },
            EventKind::RefundFailed { refund: a },
            EventKind::UnrequestedRefund { provider: p() },
            EventKind::ReviewResolved {
                reasons: BTreeSet::from([ReviewReason::PaidTwice]),
                resolution: Resolution::Refunded,
            },
        ] {
            let v = serde_json::to_value(&kind).unwrap_or_default();
            assert_eq!(v["type"], kind.name());
        }
    }

    #[test]
    fn serde_shape() {
        let attempt = Id::new(476_682_884_348_973_312).unwrap_or_else(|e| panic!("{e}"));
        let e = Event::new(
            "TXN-1",
            EventKind::AttemptSucceeded {
                attempt,
                provider: "paytm".to_owned(),
            },
        );
        let json = serde_json::to_string(&e).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"id":"TXN-1","type":"attempt_succeeded","attempt":"476682884348973312","provider":"paytm"}"#
        );
        assert_eq!(serde_json::from_str::<Event>(&json).ok(), Some(e));
        let json = serde_json::to_string(&Event::new("x", EventKind::Expired)).unwrap_or_default();
        assert_eq!(json, r#"{"id":"x","type":"expired"}"#);
        let e = Event::new(
            "pingpp:evt_1",
            EventKind::UnrequestedRefund {
                provider: "pingpp".to_owned(),
            },
        );
        let json = serde_json::to_string(&e).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"id":"pingpp:evt_1","type":"unrequested_refund","provider":"pingpp"}"#
        );
        assert!(e.kind.is_from_provider());
        assert_eq!(serde_json::from_str::<Event>(&json).ok(), Some(e));
        let e = Event::new(
            "r",
            EventKind::RefundRequested {
                refund: attempt,
                amount: Some(12_345),
            },
        );
        let json = serde_json::to_string(&e).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"id":"r","type":"refund_requested","refund":"476682884348973312","amount":"12345"}"#
        );
        assert_eq!(serde_json::from_str::<Event>(&json).ok(), Some(e));
    }

    #[test]
    fn events_stored_before_refund_ids_read_as_the_legacy_refund() {
        let old = r#"{"id":"refund_requested","type":"refund_requested"}"#;
        let want = EventKind::RefundRequested {
            refund: LEGACY_REFUND,
            amount: None,
        };
        assert_eq!(
            serde_json::from_str::<Event>(old).ok().map(|e| e.kind),
            Some(want)
        );
        let old = r#"{"id":"x","type":"refund_succeeded","provider":"pingpp"}"#;
        let got = serde_json::from_str::<Event>(old).ok().map(|e| e.kind);
        assert!(
            matches!(got, Some(EventKind::RefundSucceeded { refund, amount: None, .. }) if refund == LEGACY_REFUND),
            "{got:?}"
        );
    }
}
