//! Where refusals of *unauthenticated* input are counted (issue 14 item 4).
//!
//! A request that proves nothing — a `client_secret` that does not verify, a callback
//! whose signature or checksum does not verify, a callback in a media type no provider
//! sends — must not write to the order it *claims*: anyone can name any order, and each
//! write would cost that order a slot of its bounded audit log (and rewrite it). Such
//! refusals are counted instead per client-address bucket (the edge's `IpObject`, the
//! same bucket as the per-IP velocity, so a flood lands in the flooder's own bucket),
//! in a [`RejectionLog`] whose size is bounded whatever arrives:
//!
//! - `counts`: reason code → how many, at most [`MAX_REASONS`] codes (the edge's codes
//!   are a fixed vocabulary; should more ever arrive they are counted under
//!   [`OVERFLOW_REASON`]), saturating;
//! - `recent`: the newest [`MAX_RECENT`] refusals (time, reason, where), `detail` cut to
//!   [`MAX_DETAIL`] bytes. The edge puts only its own words there (route, provider,
//!   the claimed order id as parsed), never the request's body or credentials.
//!
//! Refusals of authenticated input (a valid token used on another order, a verified
//! callback that does not match its order) stay in the order's audit log: whoever sent
//! them holds a credential or a provider's signature.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Distinct reason codes kept.
pub const MAX_REASONS: usize = 32;
/// Newest refusals kept with their detail.
pub const MAX_RECENT: usize = 20;
/// Longest `detail` kept, in bytes (cut at a character boundary).
pub const MAX_DETAIL: usize = 160;
/// The code counted once [`MAX_REASONS`] distinct codes are present.
pub const OVERFLOW_REASON: &str = "other";

/// One refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub at_ms: u64,
    pub reason: String,
    pub detail: String,
}

/// A client-address bucket's refusals of unauthenticated input (module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectionLog {
    pub counts: BTreeMap<String, u64>,
    pub recent: Vec<Rejection>,
}

impl RejectionLog {
    /// Counts one refusal at `now_ms`.
    pub fn record(&mut self, now_ms: u64, reason: &str, detail: &str) {
        let reason = if self.counts.contains_key(reason) || self.counts.len() < MAX_REASONS - 1 {
            reason
        } else {
            OVERFLOW_REASON
        };
        let n = self.counts.entry(reason.to_owned()).or_insert(0);
        *n = n.saturating_add(1);
        self.recent.push(Rejection {
            at_ms: now_ms,
            reason: reason.to_owned(),
            detail: cut(detail, MAX_DETAIL).to_owned(),
        });
        if self.recent.len() > MAX_RECENT {
            let excess = self.recent.len() - MAX_RECENT;
            self.recent.drain(..excess);
        }
    }

    /// All refusals counted, saturating.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.counts.values().fold(0, |a, n| a.saturating_add(*n))
    }
}

/// The longest prefix of `s` of at most `max` bytes ending at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn counts_by_reason_and_keeps_the_newest() {
        let mut log = RejectionLog::default();
        for i in 0..30 {
            log.record(i, "invalid_client_secret", "GET /api/payment/order/events");
        }
        log.record(99, "callback_unverified", "callback pingpp");
        assert_eq!(log.counts["invalid_client_secret"], 30);
        assert_eq!(log.counts["callback_unverified"], 1);
        assert_eq!(log.total(), 31);
        assert_eq!(log.recent.len(), MAX_RECENT);
        assert_eq!(log.recent.last().map(|r| r.at_ms), Some(99));
        assert_eq!(log.recent.first().map(|r| r.at_ms), Some(11));
    }

    #[test]
    fn details_are_cut_at_a_character_boundary() {
        let mut log = RejectionLog::default();
        log.record(1, "r", &"支".repeat(100));
        let kept = &log.recent[0].detail;
        assert!(kept.len() <= MAX_DETAIL && kept.len() > MAX_DETAIL - 3);
        assert!(kept.chars().all(|c| c == '支'));
    }

    proptest! {
        /// Whatever arrives, the log stays within its bounds and counts every refusal.
        #[test]
        fn stays_bounded(events in proptest::collection::vec(("[a-z]{1,12}", ".{0,300}"), 0..200)) {
            let mut log = RejectionLog::default();
            for (i, (reason, detail)) in events.iter().enumerate() {
                log.record(i as u64, reason, detail);
            }
            prop_assert!(log.counts.len() <= MAX_REASONS);
            prop_assert!(log.recent.len() <= MAX_RECENT);
            prop_assert!(log.recent.iter().all(|r| r.detail.len() <= MAX_DETAIL));
            prop_assert_eq!(log.total(), events.len() as u64);
        }
    }
}
