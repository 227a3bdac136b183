//! The refund lattice that applies after an order succeeded (SPEC 2: `Refunding <
//! {Refunded, RefundFailed}`).
//!
//! Like [`super::attempt`], the state is the set of observations and the status is
//! derived. Conflict rule: `RefundFailed ⊔ Refunded = Refunded` — a verified refund means
//! money went back, whatever an earlier refusal said (a merchant may retry a refused
//! refund; the retry's success must win). Kassa refunds an order in full, once; partial
//! refunds would need a refund id per event and are not modelled.
//!
//! `unrequested` is a separate observation: a provider-confirmed refund Kassa did not ask
//! for (`EventKind::UnrequestedRefund`). It plays no part in the status — the merchant
//! did not decide it, so the order is not `Refunded` on its word — and makes the order
//! need review once it is paid (`ReviewReason::UnrequestedRefund`).

use serde::{Deserialize, Serialize};

/// Where the refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Refunding,
    RefundFailed,
    Refunded,
}

/// What has been observed about the order's refund.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundState {
    pub requested: bool,
    pub failed: bool,
    pub succeeded: bool,
    /// A confirmed refund nobody asked Kassa for was observed (orders stored before
    /// this field existed read it as `false`).
    #[serde(default)]
    pub unrequested: bool,
}

impl RefundState {
    /// `None` until any refund event was observed.
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

    #[must_use]
    pub fn join(self, other: Self) -> Self {
        Self {
            requested: self.requested || other.requested,
            failed: self.failed || other.failed,
            succeeded: self.succeeded || other.succeeded,
            unrequested: self.unrequested || other.unrequested,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refunded_wins() {
        let failed = RefundState {
            failed: true,
            ..RefundState::default()
        };
        let ok = RefundState {
            succeeded: true,
            ..RefundState::default()
        };
        assert_eq!(failed.join(ok).status(), Some(RefundStatus::Refunded));
        assert_eq!(ok.join(failed), failed.join(ok));
        assert_eq!(RefundState::default().status(), None);
    }

    #[test]
    fn unrequested_does_not_move_the_status() {
        let unrequested = RefundState {
            unrequested: true,
            ..RefundState::default()
        };
        assert_eq!(unrequested.status(), None);
        let requested = RefundState {
            requested: true,
            ..RefundState::default()
        };
        assert_eq!(
            unrequested.join(requested).status(),
            Some(RefundStatus::Refunding)
        );
        assert!(requested.join(unrequested).unrequested);
        // Stored before the field existed.
        let old: RefundState =
            serde_json::from_str(r#"{"requested":true,"failed":false,"succeeded":false}"#)
                .unwrap_or_default();
        assert_eq!(old, requested);
    }
}
