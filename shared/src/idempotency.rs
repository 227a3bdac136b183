//! The `Idempotency-Key` ledger of one order (SPEC 3.1: `pay` and `quick_pay` take an
//! `Idempotency-Key`; a retry with the same key returns the first result): which keys
//! are still honoured, and which stored answers to forget.
//!
//! Decisions (issue 14, low item):
//! - **Keys expire** [`DEFAULT_TTL_MS`] (24 h) after first use, as Stripe keeps them: a
//!   key reused later is a new request. A retry that matters (a lost answer, a network
//!   error) comes within seconds or minutes; after a day an order is long settled or
//!   expired, and an unbounded key store only gives a caller a way to grow the object.
//! - **Keys are bounded per order** ([`DEFAULT_MAX_KEYS`], 100): the oldest is evicted
//!   first. A legitimate widget uses a handful per order (one per pay, the same one for
//!   its retries); a caller cycling keys cannot make the order's storage grow without
//!   bound.
//! - A key that expired or was evicted is simply unknown: its request runs as new. It
//!   cannot pay twice — an order that an attempt already moved is not payable.
//!
//! Pure: the caller (the order's Durable Object) passes `now_ms` and the limits, stores
//! the ledger and deletes the answers [`KeyLedger::admit`] names.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// How long a key is honoured after its first use: 24 h.
pub const DEFAULT_TTL_MS: u64 = 24 * 3_600_000;
/// Keys kept per order.
pub const DEFAULT_MAX_KEYS: usize = 100;

/// The ledger's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerLimits {
    pub ttl_ms: u64,
    /// At least 1 (a 0 is read as 1: the key being admitted is always kept).
    pub max_keys: usize,
}

impl Default for LedgerLimits {
    fn default() -> Self {
        Self {
            ttl_ms: DEFAULT_TTL_MS,
            max_keys: DEFAULT_MAX_KEYS,
        }
    }
}

/// One order's keys with the time each was first used, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLedger {
    keys: VecDeque<(String, u64)>,
}

impl KeyLedger {
    /// True when `key` was admitted less than `ttl_ms` ago and not evicted since: its
    /// stored answer (if any) is still the answer.
    #[must_use]
    pub fn is_live(&self, key: &str, now_ms: u64, limits: &LedgerLimits) -> bool {
        self.keys
            .iter()
            .any(|(k, at)| k == key && now_ms.saturating_sub(*at) < limits.ttl_ms)
    }

    /// Records `key` as first used at `now_ms` (replacing an expired entry of the same
    /// key) and returns the keys whose stored answers must now be deleted: the expired
    /// ones, then the oldest beyond `max_keys`. `key` itself is never among them.
    pub fn admit(&mut self, key: &str, now_ms: u64, limits: &LedgerLimits) -> Vec<String> {
        let mut gone = Vec::new();
        self.keys.retain(|(k, at)| {
            let keep = k != key && now_ms.saturating_sub(*at) < limits.ttl_ms;
            if !keep && k != key {
                gone.push(k.clone());
            }
            keep
        });
        self.keys.push_back((key.to_owned(), now_ms));
        while self.keys.len() > limits.max_keys.max(1) {
            if let Some((k, _)) = self.keys.pop_front() {
                gone.push(k);
            }
        }
        gone
    }

    /// Keys held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: u64 = 3_600_000;

    #[test]
    fn keys_expire_after_a_day() {
        let l = LedgerLimits::default();
        let mut ledger = KeyLedger::default();
        assert!(ledger.admit("a", 0, &l).is_empty());
        assert!(ledger.is_live("a", 24 * H - 1, &l));
        assert!(
            !ledger.is_live("a", 24 * H, &l),
            "24 h later the key is new"
        );
        assert!(!ledger.is_live("b", 0, &l));
        // Re-admitting the expired key starts its day again, and drops nothing else.
        assert!(ledger.admit("a", 24 * H, &l).is_empty());
        assert!(ledger.is_live("a", 47 * H, &l));
        assert_eq!(ledger.len(), 1);
        // Another key admitted later sweeps the expired one.
        assert_eq!(ledger.admit("b", 49 * H, &l), vec!["a".to_owned()]);
        assert_eq!(ledger.len(), 1);
    }

    #[test]
    fn oldest_keys_are_evicted_beyond_the_bound() {
        let l = LedgerLimits {
            ttl_ms: DEFAULT_TTL_MS,
            max_keys: 3,
        };
        let mut ledger = KeyLedger::default();
        for (i, k) in ["k1", "k2", "k3"].into_iter().enumerate() {
            assert!(ledger.admit(k, i as u64, &l).is_empty());
        }
        assert_eq!(ledger.admit("k4", 10, &l), vec!["k1".to_owned()]);
        assert!(!ledger.is_live("k1", 10, &l));
        assert!(ledger.is_live("k2", 10, &l) && ledger.is_live("k4", 10, &l));
        // A zero bound still keeps the key being admitted.
        let zero = LedgerLimits { max_keys: 0, ..l };
        assert_eq!(ledger.admit("k5", 11, &zero).len(), 3);
        assert!(ledger.is_live("k5", 11, &zero));
    }

    proptest! {
        /// Whatever the sequence of keys and times: never more than `max_keys` held, the
        /// admitted key is live right after, and every key dropped is reported exactly
        /// once (so its stored answer is deleted, not leaked).
        #[test]
        fn bounded_and_nothing_leaks(
            ops in proptest::collection::vec((0u8..12, 0u64..(30 * H)), 1..200),
            max in 1usize..8,
        ) {
            let l = LedgerLimits { ttl_ms: 24 * H, max_keys: max };
            let mut ledger = KeyLedger::default();
            let mut held = std::collections::BTreeSet::new();
            let mut now = 0;
            for (k, dt) in ops {
                now += dt / 10;
                let key = format!("k{k}");
                let gone = ledger.admit(&key, now, &l);
                prop_assert!(ledger.len() <= max);
                prop_assert!(ledger.is_live(&key, now, &l));
                prop_assert!(!gone.contains(&key));
                for g in &gone {
                    prop_assert!(held.remove(g), "{} dropped twice or never held", g);
                }
                held.insert(key);
                prop_assert_eq!(held.len(), ledger.len());
            }
        }
    }
}
