//! Throttles around codes (SPEC 5, SPEC 6): the per-user code-send throttle kept in the
//! `UserObject` (≥ 60 s apart, ≤ 5 per rolling hour) and the per-order wrong-code lock
//! kept in the `OrderObject` (5 wrong codes → locked 15 min). Both are plain serde state
//! the edge loads, updates with `now` and stores back (SPEC 7).

use serde::{Deserialize, Serialize};

use crate::reason::ReasonCode;

/// Default minimum gap between two code sends to one user.
pub const DEFAULT_SEND_MIN_GAP_MS: u64 = 60 * 1000;
/// Default maximum code sends to one user per rolling hour.
pub const DEFAULT_SENDS_PER_HOUR: u32 = 5;
/// The rolling window of the hourly limit.
pub const HOUR_MS: u64 = 60 * 60 * 1000;
/// Default wrong codes per order before the lock.
pub const DEFAULT_MAX_WRONG_CODES: u32 = 5;
/// Default lock duration after too many wrong codes.
pub const DEFAULT_LOCK_MS: u64 = 15 * 60 * 1000;

/// A refused code send: the reason code and when the user may try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("code send refused ({reason_code}): retry after {retry_after_ms} ms")]
pub struct ThrottleError {
    /// [`ReasonCode::CodeSendTooSoon`] or [`ReasonCode::CodeSendHourlyLimit`].
    pub reason_code: ReasonCode,
    /// Milliseconds from `now` until a send would be accepted (the widget's countdown).
    pub retry_after_ms: u64,
}

/// The code-send limits (from [`crate::risk::RiskConfig`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendLimits {
    pub min_gap_ms: u64,
    pub per_hour: u32,
}

impl Default for SendLimits {
    fn default() -> Self {
        Self {
            min_gap_ms: DEFAULT_SEND_MIN_GAP_MS,
            per_hour: DEFAULT_SENDS_PER_HOUR,
        }
    }
}

/// One user's recent code sends (unix ms), oldest first, only the last hour kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendThrottle {
    sent_at_ms: Vec<u64>,
}

impl SendThrottle {
    /// Sends still inside the rolling hour, oldest first.
    #[must_use]
    pub fn sends(&self) -> &[u64] {
        &self.sent_at_ms
    }

    /// [`SendThrottle::check_send_with`] under the default limits (60 s, 5 per hour).
    ///
    /// # Errors
    /// [`ThrottleError`] with the reason code and the wait.
    pub fn check_send(&self, now_ms: u64) -> Result<(), ThrottleError> {
        self.check_send_with(&SendLimits::default(), now_ms)
    }

    /// Whether a send at `now_ms` is allowed; changes nothing.
    ///
    /// A `now` earlier than the last send (clocks of two isolates disagreeing) is
    /// treated as too soon: accepted sends are then strictly increasing, which is what
    /// makes the hourly count over a pruned list exact.
    ///
    /// # Errors
    /// [`ThrottleError`] with the reason code and the wait.
    pub fn check_send_with(&self, limits: &SendLimits, now_ms: u64) -> Result<(), ThrottleError> {
        if let Some(&last) = self.sent_at_ms.last() {
            let earliest = last.saturating_add(limits.min_gap_ms);
            if now_ms < earliest {
                return Err(ThrottleError {
                    reason_code: ReasonCode::CodeSendTooSoon,
                    retry_after_ms: earliest - now_ms,
                });
            }
        }
        let in_hour: Vec<u64> = self
            .sent_at_ms
            .iter()
            .copied()
            .filter(|&t| now_ms.saturating_sub(t) < HOUR_MS)
            .collect();
        let limit = usize::try_from(limits.per_hour).unwrap_or(usize::MAX);
        if in_hour.len() >= limit {
            // The send that frees a slot is the one `limit` places back from the newest.
            let freeing = in_hour
                .len()
                .checked_sub(limit)
                .and_then(|i| in_hour.get(i))
                .copied()
                .unwrap_or(now_ms);
            return Err(ThrottleError {
                reason_code: ReasonCode::CodeSendHourlyLimit,
                retry_after_ms: freeing
                    .saturating_add(HOUR_MS)
                    .saturating_sub(now_ms)
                    .max(1),
            });
        }
        Ok(())
    }

    /// Checks and, if allowed, records a send at `now_ms` (the usual call).
    ///
    /// # Errors
    /// [`ThrottleError`]; nothing is recorded then.
    pub fn try_send(&mut self, limits: &SendLimits, now_ms: u64) -> Result<(), ThrottleError> {
        self.check_send_with(limits, now_ms)?;
        self.sent_at_ms
            .retain(|&t| now_ms.saturating_sub(t) < HOUR_MS);
        self.sent_at_ms.push(now_ms);
        Ok(())
    }
}

/// The per-order wrong-code counter and lock.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrongCodeLock {
    /// Wrong codes since the last lock (or success).
    failures: u32,
    /// While `now < locked_until_ms`, no code is checked at all.
    locked_until_ms: Option<u64>,
    /// The last wrong code, for the `recent_failures` need2FA signal.
    last_failure_ms: Option<u64>,
}

/// The lock's limits (from [`crate::risk::RiskConfig`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockLimits {
    pub max_wrong: u32,
    pub lock_ms: u64,
}

impl Default for LockLimits {
    fn default() -> Self {
        Self {
            max_wrong: DEFAULT_MAX_WRONG_CODES,
            lock_ms: DEFAULT_LOCK_MS,
        }
    }
}

/// The order is locked: [`ReasonCode::OrderLocked`] until `until_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("order_id: locked after too many wrong codes until {until_ms} (unix ms)")]
pub struct LockedError {
    pub until_ms: u64,
}

impl LockedError {
    /// Always [`ReasonCode::OrderLocked`].
    #[must_use]
    pub fn reason_code(&self) -> ReasonCode {
        ReasonCode::OrderLocked
    }
}

impl WrongCodeLock {
    /// The lock's end if it is in force at `now_ms`.
    #[must_use]
    pub fn locked_until(&self, now_ms: u64) -> Option<u64> {
        self.locked_until_ms.filter(|&until| now_ms < until)
    }

    /// When the last wrong code was entered.
    #[must_use]
    pub fn last_failure_ms(&self) -> Option<u64> {
        self.last_failure_ms
    }

    /// Codes the shopper may still try before the lock (0 while locked); the widget shows
    /// it ("3 attempts left").
    #[must_use]
    pub fn attempts_left(&self, limits: &LockLimits, now_ms: u64) -> u32 {
        if self.locked_until(now_ms).is_some() {
            return 0;
        }
        limits.max_wrong.saturating_sub(self.live_failures(now_ms))
    }

    /// Failures that still count: a lock that has run out starts a fresh allowance.
    fn live_failures(&self, now_ms: u64) -> u32 {
        match self.locked_until_ms {
            Some(until) if now_ms >= until => 0,
            _ => self.failures,
        }
    }

    /// Call before checking any code.
    ///
    /// # Errors
    /// [`LockedError`] while the lock is in force.
    pub fn check(&self, now_ms: u64) -> Result<(), LockedError> {
        match self.locked_until(now_ms) {
            Some(until_ms) => Err(LockedError { until_ms }),
            None => Ok(()),
        }
    }

    /// Records one wrong code. Returns the attempts left, or the lock this failure (the
    /// `max_wrong`-th) started.
    ///
    /// # Errors
    /// [`LockedError`] when the order is (now) locked.
    pub fn record_failure(&mut self, limits: &LockLimits, now_ms: u64) -> Result<u32, LockedError> {
        self.check(now_ms)?;
        let failures = self.live_failures(now_ms).saturating_add(1);
        self.last_failure_ms = Some(now_ms);
        if failures >= limits.max_wrong {
            let until_ms = now_ms.saturating_add(limits.lock_ms);
            self.failures = 0;
            self.locked_until_ms = Some(until_ms);
            return Err(LockedError { until_ms });
        }
        self.failures = failures;
        if self.locked_until_ms.is_some_and(|u| now_ms >= u) {
            self.locked_until_ms = None;
        }
        Ok(limits.max_wrong - failures)
    }

    /// A correct code clears the counter (the lock, if any, has been checked first).
    pub fn record_success(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MIN: u64 = 60_000;

    #[test]
    fn send_gap_and_hourly_limit() {
        let l = SendLimits::default();
        let mut t = SendThrottle::default();
        assert_eq!(t.check_send(0), Ok(()));
        t.try_send(&l, 1_000).unwrap();
        assert_eq!(
            t.check_send(1_000 + MIN - 1),
            Err(ThrottleError {
                reason_code: ReasonCode::CodeSendTooSoon,
                retry_after_ms: 1
            })
        );
        // A clock behind the last send is "too soon" too.
        assert_eq!(
            t.check_send(500).unwrap_err().reason_code,
            ReasonCode::CodeSendTooSoon
        );
        for i in 1..5 {
            t.try_send(&l, 1_000 + i * MIN).unwrap();
        }
        let err = t.try_send(&l, 1_000 + 5 * MIN).unwrap_err();
        assert_eq!(err.reason_code, ReasonCode::CodeSendHourlyLimit);
        // The first send (at 1 000) leaves the window at 1 000 + 1 h.
        assert_eq!(err.retry_after_ms, HOUR_MS - 5 * MIN);
        assert!(t.try_send(&l, 1_000 + HOUR_MS - 1).is_err());
        t.try_send(&l, 1_000 + HOUR_MS).unwrap();
        assert_eq!(t.sends().len(), 5);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<SendThrottle>(&json).unwrap(), t);
        assert!(err.to_string().contains("code_send_hourly_limit"));
    }

    #[test]
    fn lock_after_five_wrong_codes() {
        let l = LockLimits::default();
        let mut w = WrongCodeLock::default();
        assert_eq!(w.attempts_left(&l, 0), 5);
        for left in [4, 3, 2, 1] {
            assert_eq!(w.record_failure(&l, 10), Ok(left));
            assert_eq!(w.attempts_left(&l, 10), left);
        }
        let until = 10 + DEFAULT_LOCK_MS;
        assert_eq!(
            w.record_failure(&l, 10),
            Err(LockedError { until_ms: until })
        );
        assert_eq!(w.attempts_left(&l, until - 1), 0);
        assert_eq!(w.check(until - 1), Err(LockedError { until_ms: until }));
        assert_eq!(
            w.check(until - 1).unwrap_err().reason_code(),
            ReasonCode::OrderLocked
        );
        assert_eq!(w.locked_until(until - 1), Some(until));
        // Lock over: a fresh allowance of 5.
        assert_eq!(w.check(until), Ok(()));
        assert_eq!(w.attempts_left(&l, until), 5);
        assert_eq!(w.record_failure(&l, until), Ok(4));
        assert_eq!(w.locked_until(until), None);
        w.record_success();
        assert_eq!(w.attempts_left(&l, until), 5);
        assert_eq!(w.last_failure_ms(), Some(until));
    }

    proptest! {
        #[test]
        fn throttle_never_too_close_or_too_many(
            times in proptest::collection::vec(0u64..4 * HOUR_MS, 0..200),
        ) {
            let l = SendLimits::default();
            let mut t = SendThrottle::default();
            let mut accepted = Vec::new();
            for now in times {
                if t.try_send(&l, now).is_ok() {
                    accepted.push(now);
                }
            }
            let mut sorted = accepted.clone();
            sorted.sort_unstable();
            for w in sorted.windows(2) {
                prop_assert!(w[1] - w[0] >= MIN);
            }
            for (i, &start) in sorted.iter().enumerate() {
                let in_hour = sorted[i..].iter().take_while(|&&x| x - start < HOUR_MS).count();
                prop_assert!(in_hour <= 5);
            }
        }

        #[test]
        fn throttle_retry_after_is_honest(
            times in proptest::collection::vec(0u64..3 * HOUR_MS, 1..60),
        ) {
            let l = SendLimits::default();
            let mut t = SendThrottle::default();
            let mut sorted = times;
            sorted.sort_unstable();
            for now in sorted {
                if let Err(e) = t.check_send(now) {
                    prop_assert!(e.retry_after_ms > 0);
                    prop_assert!(t.check_send(now + e.retry_after_ms - 1).is_err());
                } else {
                    t.try_send(&l, now).unwrap();
                }
            }
        }

        #[test]
        fn lock_triggers_at_exactly_the_fifth_failure(
            gaps in proptest::collection::vec(0u64..DEFAULT_LOCK_MS / 10, 5),
            start in 0u64..1 << 40,
        ) {
            let l = LockLimits::default();
            let mut w = WrongCodeLock::default();
            let mut now = start;
            for (i, gap) in gaps.iter().enumerate() {
                now += gap;
                let r = w.record_failure(&l, now);
                if i < 4 {
                    prop_assert_eq!(r, Ok(4 - u32::try_from(i).unwrap()));
                    prop_assert!(w.check(now).is_ok());
                } else {
                    prop_assert_eq!(r, Err(LockedError { until_ms: now + DEFAULT_LOCK_MS }));
                    prop_assert!(w.check(now).is_err());
                }
            }
        }
    }
}
