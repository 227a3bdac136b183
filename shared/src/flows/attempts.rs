//! Attempts nobody finished (issue 16 item 5): a shopper who closes the provider's page,
//! a Paytm form never submitted, an S3 cashier abandoned. Without this an order stays
//! `processing` and refuses every new `pay` until it expires.
//!
//! The rule, as values for the shell to carry out:
//! - an attempt still in flight is **asked about at its provider** (Paytm's Transaction
//!   Status API, Ping++'s charge retrieve, the wallet's status pull) when a new `pay`
//!   arrives, and from the order's alarm once it is [`AttemptPolicy::query_after_ms`]
//!   old, again every window while the provider says it is in flight;
//! - the provider's word decides: a verified success is applied like a callback; a
//!   failure fails the attempt; **no outcome** (no such transaction, an unpaid charge,
//!   or S3, which has no query) abandons it — the attempt fails with an event of its
//!   own, so the shopper can pay again. A success that arrives later still wins: the
//!   order's lattice takes it and flags the order for review
//!   (`ReviewReason::PaidAfterAttemptFailed`);
//! - "in flight" (Paytm `PENDING`: the bank has not answered) leaves the attempt open,
//!   and a new `pay` is refused meanwhile: that money may still move.

use std::collections::BTreeMap;

use crate::callback::{to_event, VerifiedCallback};
use crate::flows::refunds::Note;
use crate::id::Id;
use crate::order::{Event, EventKind, Order};

/// A returning shopper's page asks the providers again at most this often per attempt
/// (reloads must not turn into a flood of status queries).
pub const REFRESH_GAP_MS: u64 = 5_000;

/// How long an attempt may go without an outcome before the alarm asks about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptPolicy {
    pub query_after_ms: u64,
}

impl Default for AttemptPolicy {
    /// Ten minutes: longer than a shopper takes on a provider's page, well inside the
    /// 15 min default order life.
    fn default() -> Self {
        Self {
            query_after_ms: 10 * 60 * 1000,
        }
    }
}

/// What the provider says about an attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Paid: the provider's own status answer, as a verified callback would carry it.
    Succeeded(Box<VerifiedCallback>),
    /// Declined or closed at the provider.
    Failed,
    /// The provider knows of no outcome (no transaction, an unpaid charge, no query).
    NoOutcome,
    /// Still being decided at the provider (Paytm `PENDING`).
    InFlight,
}

/// Why an attempt is being closed without the provider's success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// The provider declined it.
    Declined,
    /// Nobody finished it.
    Abandoned,
}

/// Whether the order's latest attempt failed (declined or abandoned).
#[must_use]
pub fn last_attempt_failed(order: &Order) -> bool {
    let last = order
        .history()
        .iter()
        .rev()
        .find_map(|h| match h.event.kind {
            EventKind::AttemptStarted { attempt } => Some(attempt),
            _ => None,
        });
    last.and_then(|a| order.attempt(a))
        .is_some_and(|a| a.status() == crate::order::AttemptStatus::Failed)
}

/// The status the seed surfaces that have a word for failure show (S1
/// `getOrderStatus` 2, S4 `fail`): a pending order whose latest attempt failed reads
/// `Failed`, so a seed-era client can tell "declined, try again" from "not paid yet";
/// the order itself stays payable and any other status is shown as it is.
#[must_use]
pub fn shown_status(order: &Order) -> crate::order::OrderStatus {
    use crate::order::OrderStatus;
    match order.status() {
        OrderStatus::Pending if last_attempt_failed(order) => OrderStatus::Failed,
        other => other,
    }
}

/// The attempts of `order` still in flight, with the time each started (its
/// `AttemptStarted` in the history), oldest first.
#[must_use]
pub fn open_attempts(order: &Order) -> Vec<(Id, u64)> {
    let mut open: Vec<(Id, u64)> = order
        .history()
        .iter()
        .filter_map(|h| match h.event.kind {
            EventKind::AttemptStarted { attempt } => Some((attempt, h.at_ms)),
            _ => None,
        })
        .filter(|(a, _)| order.attempt(*a).is_some_and(|x| x.in_flight()))
        .collect();
    open.sort_by_key(|(_, at)| *at);
    open.dedup_by_key(|(a, _)| *a);
    open
}

/// When the alarm should next ask about an open attempt: `asked` holds, per attempt, the
/// last time it was asked (absent: never), and each is due a window after that (or after
/// it started). `None` when nothing is open or the order is closed.
#[must_use]
pub fn next_query(order: &Order, asked: &BTreeMap<Id, u64>, policy: &AttemptPolicy) -> Option<u64> {
    if !order.is_open() {
        return None;
    }
    open_attempts(order)
        .into_iter()
        .map(|(a, started)| asked.get(&a).copied().unwrap_or(started) + policy.query_after_ms)
        .min()
}

/// The attempts the alarm asks about at `now`.
#[must_use]
pub fn due(order: &Order, asked: &BTreeMap<Id, u64>, policy: &AttemptPolicy, now: u64) -> Vec<Id> {
    if !order.is_open() {
        return Vec::new();
    }
    open_attempts(order)
        .into_iter()
        .filter(|(a, started)| {
            asked.get(a).copied().unwrap_or(*started) + policy.query_after_ms <= now
        })
        .map(|(a, _)| a)
        .collect()
}

/// The event that closes `attempt` for `closing`. Its id is fixed per attempt, so asking
/// twice (a retried `pay`, a second alarm) applies it once.
#[must_use]
pub fn closing_event(attempt: Id, closing: Closing) -> Event {
    let why = match closing {
        Closing::Declined => "declined",
        Closing::Abandoned => "abandoned",
    };
    Event::new(
        format!("attempt_{why}_{attempt}"),
        EventKind::AttemptFailed { attempt },
    )
}

/// What to do with a verdict: `Some(closing)` to close the attempt, `None` to leave it
/// (a success is applied through the callback path instead, and an in-flight attempt
/// stays open).
#[must_use]
pub fn closing(verdict: &Verdict) -> Option<Closing> {
    match verdict {
        Verdict::Failed => Some(Closing::Declined),
        Verdict::NoOutcome => Some(Closing::Abandoned),
        Verdict::Succeeded(_) | Verdict::InFlight => None,
    }
}

/// The open attempts a returning shopper's page asks about at `now`: those not asked
/// within [`REFRESH_GAP_MS`], counted from the last ask only (a new attempt is asked at
/// once: the shopper just came back from its page). None once the order is closed.
#[must_use]
pub fn refresh_due(order: &Order, asked: &BTreeMap<Id, u64>, now: u64) -> Vec<Id> {
    if !order.is_open() {
        return Vec::new();
    }
    open_attempts(order)
        .into_iter()
        .map(|(a, _)| a)
        .filter(|a| asked.get(a).is_none_or(|at| at + REFRESH_GAP_MS <= now))
        .collect()
}

/// What a provider's verdict about `attempt` does to `order`.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Apply `event` (a verified success as its callback would be, or the closing),
    /// audited.
    Apply { event: Event, audit: Note },
    /// Change nothing; audit when `Some` (a paid transaction that does not match the
    /// order: someone should look).
    Leave(Option<Note>),
}

/// What `verdict` about `attempt` comes to. `abandon`: "no outcome" closes the attempt
/// (a new `pay`, the alarm); a returning shopper's page only applies decisions, since an
/// attempt with no outcome yet may be one still being paid in another tab.
#[must_use]
pub fn action(order: &Order, attempt: Id, verdict: &Verdict, abandon: bool) -> Action {
    let note = |reason, detail| Note { reason, detail };
    if let Verdict::Succeeded(cb) = verdict {
        return match to_event(cb, order.id(), order.amount()) {
            Ok(event) => Action::Apply {
                event,
                audit: note(
                    "attempt_query_paid",
                    format!("{attempt} {}", cb.provider_txn),
                ),
            },
            Err(e) => Action::Leave(Some(note(
                "attempt_query_mismatch",
                format!("{attempt}: {e}"),
            ))),
        };
    }
    if *verdict == Verdict::NoOutcome && !abandon {
        return Action::Leave(None);
    }
    let Some(closing) = closing(verdict) else {
        return Action::Leave(None);
    };
    let reason = match closing {
        Closing::Declined => "attempt_declined",
        Closing::Abandoned => "attempt_abandoned",
    };
    Action::Apply {
        event: closing_event(attempt, closing),
        audit: note(reason, attempt.to_string()),
    }
}

/// `asked` kept for the attempts of `order` still in flight only.
pub fn keep_asked(order: &Order, asked: &mut BTreeMap<Id, u64>) {
    asked.retain(|a, _| order.attempt(*a).is_some_and(|x| x.in_flight()));
}

#[cfg(test)]
#[path = "attempts_tests.rs"]
mod tests;
