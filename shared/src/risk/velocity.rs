//! Velocity windows (SPEC 5: "per-user and per-IP velocity (attempts per 10 min)"): the
//! timestamps of recent pay attempts for one user or one IP, as serde state the edge
//! stores (`UserObject` for users; a per-IP key for addresses) and passes to
//! [`super::evaluate`].
//!
//! The window is sliding, not bucketed, so a burst straddling a bucket edge cannot get
//! twice the limit through.

use serde::{Deserialize, Serialize};

/// The velocity window SPEC 5 names.
pub const VELOCITY_WINDOW_MS: u64 = 10 * 60 * 1000;
/// Hard cap on stored timestamps so a flood cannot grow the state without bound; no
/// sensible limit comes near it, and dropping the oldest never lowers a count below the
/// limit.
pub const MAX_ENTRIES: usize = 1024;

/// Recent attempt times (unix ms), oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VelocityWindow {
    attempts_ms: Vec<u64>,
}

impl VelocityWindow {
    /// Attempts inside the sliding window ending at `now_ms` (`now - window < t`). An
    /// attempt stamped after `now` (another isolate's clock ahead) counts too: the
    /// conservative reading.
    #[must_use]
    pub fn count(&self, now_ms: u64, window_ms: u64) -> usize {
        self.attempts_ms
            .iter()
            .filter(|&&t| t > now_ms || now_ms - t < window_ms)
            .count()
    }

    /// When the oldest attempt in the window leaves it: the earliest time the count drops.
    #[must_use]
    pub fn next_expiry(&self, now_ms: u64, window_ms: u64) -> Option<u64> {
        self.attempts_ms
            .iter()
            .filter(|&&t| t > now_ms || now_ms - t < window_ms)
            .min()
            .map(|t| t.saturating_add(window_ms))
    }

    /// Records an attempt at `now_ms` and drops attempts that can no longer count. The
    /// edge records every pay attempt that passed authentication, allowed or refused, so
    /// hammering a refused endpoint keeps the window full.
    pub fn record(&mut self, now_ms: u64, window_ms: u64) {
        self.attempts_ms
            .retain(|&t| t > now_ms || now_ms - t < window_ms);
        let at = self.attempts_ms.partition_point(|&t| t <= now_ms);
        self.attempts_ms.insert(at, now_ms);
        if self.attempts_ms.len() > MAX_ENTRIES {
            let excess = self.attempts_ms.len() - MAX_ENTRIES;
            self.attempts_ms.drain(..excess);
        }
    }

    /// The stored timestamps, oldest first.
    #[must_use]
    pub fn attempts(&self) -> &[u64] {
        &self.attempts_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sliding_window() {
        let w10 = VELOCITY_WINDOW_MS;
        let mut v = VelocityWindow::default();
        assert_eq!(v.count(0, w10), 0);
        v.record(1_000, w10);
        v.record(2_000, w10);
        assert_eq!(v.count(2_000, w10), 2);
        assert_eq!(v.count(1_000 + w10 - 1, w10), 2);
        assert_eq!(v.count(1_000 + w10, w10), 1);
        assert_eq!(v.next_expiry(2_000, w10), Some(1_000 + w10));
        // A timestamp from the future counts, and is kept sorted.
        v.record(500, w10);
        assert_eq!(v.attempts(), &[500, 1_000, 2_000]);
        v.record(2_000 + w10, w10);
        assert_eq!(v.attempts(), &[2_000 + w10]);
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, format!("{{\"attempts_ms\":[{}]}}", 2_000 + w10));
        assert_eq!(serde_json::from_str::<VelocityWindow>(&json).unwrap(), v);
    }

    #[test]
    fn capped() {
        let mut v = VelocityWindow::default();
        for i in 0..(MAX_ENTRIES as u64 + 10) {
            v.record(i, VELOCITY_WINDOW_MS);
        }
        assert_eq!(v.attempts().len(), MAX_ENTRIES);
        assert_eq!(v.attempts()[0], 10);
    }

    proptest! {
        #[test]
        fn count_equals_naive(times in proptest::collection::vec(0u64..3_000_000, 0..50), now in 0u64..3_000_000) {
            let mut v = VelocityWindow::default();
            let mut sorted = times.clone();
            sorted.sort_unstable();
            for t in &sorted {
                v.record(*t, VELOCITY_WINDOW_MS);
            }
            if now >= sorted.last().copied().unwrap_or(0) {
                let naive = sorted.iter().filter(|&&t| now - t < VELOCITY_WINDOW_MS).count();
                prop_assert_eq!(v.count(now, VELOCITY_WINDOW_MS), naive);
            }
        }
    }
}
