//! A payment attempt and its lattice (SPEC 2, "Order status": each `pay` or `quick_pay`
//! that reaches a provider is an attempt, `Started < Processing < {Succeeded, Failed}`).
//!
//! The attempt keeps the *observations* made about it (processing seen, failure seen,
//! success verified by which provider) rather than one status, so that applying the same
//! observations in any order gives the same attempt: each field is its own join
//! (boolean or, min of provider names) and [`Attempt::status`] is derived.
//!
//! Conflict rule: `Succeeded ⊔ Failed = Succeeded`. A success is only ever recorded when
//! a provider's callback verified it, i.e. money moved; a failure may be local (a
//! timeout) or a provider's earlier word. The conflict itself stays visible
//! ([`Attempt::conflicted`]) because the shopper may have been told "failed" and paid
//! again — the order flags it for review.

use serde::{Deserialize, Serialize};

/// Where an attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    Started,
    Processing,
    Failed,
    Succeeded,
}

impl AttemptStatus {
    /// The least upper bound. `Failed ⊔ Succeeded = Succeeded` (see the module docs), so
    /// the lattice is the chain `Started < Processing < Failed < Succeeded`.
    #[must_use]
    pub fn join(self, other: Self) -> Self {
        if self.rank() >= other.rank() {
            self
        } else {
            other
        }
    }

    /// `self ≤ other` in the lattice.
    #[must_use]
    pub fn le(self, other: Self) -> bool {
        self.join(other) == other
    }

    /// True for `Failed` and `Succeeded` (nothing the shopper does changes them).
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(self, Self::Failed | Self::Succeeded)
    }

    fn rank(self) -> u8 {
        match self {
            Self::Started => 0,
            Self::Processing => 1,
            Self::Failed => 2,
            Self::Succeeded => 3,
        }
    }
}

/// What has been observed about one attempt. Construct with [`Attempt::default`] (an
/// attempt exists once any event names it: `Started`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    processing: bool,
    failed: bool,
    /// The provider that verified the success; the smallest name when several did, so
    /// the value does not depend on arrival order.
    verified_by: Option<String>,
}

impl Attempt {
    #[must_use]
    pub fn status(&self) -> AttemptStatus {
        if self.verified_by.is_some() {
            AttemptStatus::Succeeded
        } else if self.failed {
            AttemptStatus::Failed
        } else if self.processing {
            AttemptStatus::Processing
        } else {
            AttemptStatus::Started
        }
    }

    /// Started or Processing: a provider may still answer.
    #[must_use]
    pub fn in_flight(&self) -> bool {
        !self.status().is_final()
    }

    #[must_use]
    pub fn succeeded(&self) -> bool {
        self.verified_by.is_some()
    }

    /// A failure was observed and a verified success too.
    #[must_use]
    pub fn conflicted(&self) -> bool {
        self.failed && self.verified_by.is_some()
    }

    #[must_use]
    pub fn verified_by(&self) -> Option<&str> {
        self.verified_by.as_deref()
    }

    pub(crate) fn observe_processing(&mut self) {
        self.processing = true;
    }

    pub(crate) fn observe_failed(&mut self) {
        self.failed = true;
    }

    pub(crate) fn observe_succeeded(&mut self, provider: &str) {
        match &self.verified_by {
            Some(p) if p.as_str() <= provider => {}
            _ => self.verified_by = Some(provider.to_owned()),
        }
    }

    /// The join of two observation sets of the same attempt.
    #[must_use]
    pub fn join(&self, other: &Self) -> Self {
        let verified_by = match (&self.verified_by, &other.verified_by) {
            (Some(a), Some(b)) => Some(a.min(b).clone()),
            (a, b) => a.clone().or_else(|| b.clone()),
        };
        Self {
            processing: self.processing || other.processing,
            failed: self.failed || other.failed,
            verified_by,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AttemptStatus as S;
    use super::*;

    const ALL: [S; 4] = [S::Started, S::Processing, S::Failed, S::Succeeded];

    #[test]
    fn join_is_a_semilattice() {
        for a in ALL {
            assert_eq!(a.join(a), a);
            assert_eq!(a.join(S::Started), a);
            for b in ALL {
                assert_eq!(a.join(b), b.join(a));
                assert!(a.le(a.join(b)) && b.le(a.join(b)));
                for c in ALL {
                    assert_eq!(a.join(b).join(c), a.join(b.join(c)));
                }
            }
        }
    }

    #[test]
    fn the_spec_chain_and_the_conflict_rule() {
        assert!(S::Started.le(S::Processing));
        assert!(S::Processing.le(S::Failed));
        assert!(S::Processing.le(S::Succeeded));
        assert!(!S::Succeeded.le(S::Processing));
        assert_eq!(S::Failed.join(S::Succeeded), S::Succeeded);
    }

    #[test]
    fn observations_in_any_order() {
        let mut a = Attempt::default();
        assert_eq!(a.status(), S::Started);
        a.observe_succeeded("pingpp");
        a.observe_processing();
        a.observe_failed();
        a.observe_succeeded("paytm");
        let mut b = Attempt::default();
        b.observe_failed();
        b.observe_succeeded("paytm");
        b.observe_processing();
        assert_eq!(a, b);
        assert_eq!(a.status(), S::Succeeded);
        assert!(a.conflicted());
        assert_eq!(a.verified_by(), Some("paytm"));
        assert_eq!(a.join(&Attempt::default()), a);
    }
}
