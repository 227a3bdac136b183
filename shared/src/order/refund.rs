//! The refund lattice that applies after an order succeeded (SPEC 2: `Refunding <
//! {Refunded, RefundFailed}`).
//!
//! Like [`super::attempt`], the state is the set of observations and the status is
//! derived. Conflict rule: `RefundFailed ⊔ Refunded = Refunded` — a verified refund means
//! money went back, whatever an earlier refusal said (a merchant may retry a refused
//! refund; the retry's success must win). Kassa refunds an order in full, once; partial
//! refunds would need a refund id per event and are not modelled.

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
}
