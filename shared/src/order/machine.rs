//! The order state machine (SPEC 2 "Order status", SPEC 3.4, SPEC 7):
//! `Order::apply(now_ms, event) -> Vec<Effect>`, sans-IO — the edge's `OrderObject`
//! passes the clock in, stores the serialised [`Order`] and carries out the effects.
//!
//! # The state is a join of observations
//! An order stores what it has *observed* — per attempt (processing / failed / verified
//! success), lifecycle flags (expired, cancelled, provider closed) and refund flags — and
//! every event only adds observations. Each component is a join-semilattice (booleans
//! under "or", provider names under "min"), so applying any permutation of a set of
//! events, with duplicates, yields the same observations. [`Order::status`] and
//! [`Order::review_reasons`] are pure functions of the observations, hence the same too.
//! Nothing about arrival order is part of the derived state (only `history` records it).
//!
//! # Product rules the edge relies on
//! 1. **Status** (first rule that matches):
//!    - an attempt has a verified success → `Succeeded`, or along the refund lattice
//!      `Refunding`, `RefundFailed`, `Refunded` (see [`super::refund`]);
//!    - the provider closed the order → `Failed`; else cancelled → `Cancelled`; else
//!      expired → `Expired`. Several closing decisions resolve by this fixed precedence
//!      (provider's word over the merchant's over the timer), not by arrival time, so
//!      the result cannot depend on arrival order;
//!    - an attempt is Started or Processing → `Processing`;
//!    - otherwise `Pending` (a failed attempt does not end the order: the shopper may
//!      pay again until it expires).
//! 2. **A verified provider success beats everything local** — Expired, Cancelled, a
//!    failed attempt — and also a provider's close: money moved. Then the order needs
//!    review ([`ReviewReason`]): success and a closing decision both observed (in either
//!    order: a success that arrives after the expiry alarm fired and the alarm that fires
//!    after the success look the same to the order, and a spurious review is cheap where
//!    a missed one loses money), the same attempt both failed and paid, or two attempts
//!    paid. The shell should not issue Expired / Cancelled against a paid order, but if a
//!    race does, the result is still deterministic. A provider-confirmed refund Kassa did
//!    not ask for (`UnrequestedRefund`, e.g. from the provider's dashboard) also needs
//!    review and moves no status: it is an observation like the others (refund lattice,
//!    [`super::refund`]), so it may arrive before the success and count once it does.
//!    The merchant resolves a review (`ReviewResolved`, the merchant API): the reasons
//!    it names stop counting for [`Order::needs_review`] (they stay in
//!    [`Order::review_reasons`], the record), each announced once; a reason that
//!    arises later needs review again.
//! 3. **Down or sideways moves are recorded and ignored**: an event whose lattice value
//!    is already covered (`AttemptProcessing` after success, `RefundFailed` after Refunded,
//!    Expired after Cancelled, any event on an order that is already past it) is kept in
//!    `history` with [`Disposition::Ignored`] or [`Disposition::Recorded`] and changes
//!    no status. Status only moves up its lattices, with one deliberate exception:
//!    `Processing → Pending` when the last in-flight attempt fails.
//! 4. **Refund events may arrive before the success** (providers reorder callbacks): they
//!    are stored and count once the success arrives (e.g. `Pending → Refunded` in one
//!    step, relaying `PAY_SUCCESS` then `REFUND_SUCCESS`).
//! 5. **Duplicates**: an event id already applied changes nothing — not even `history` —
//!    and yields no effects. The same fact under a new id adds no observation and yields
//!    no effects either.
//!
//! # Effects happen exactly once
//! Effects are keyed ([`super::effect::EffectKey`]) and the keys are tracked in the state:
//! `StatusChanged` carries the sequence number of the change; each [`RelayStatus`] is
//! relayed at most once (`relayed`); each [`ReviewReason`] is announced when it first
//! becomes true, and reasons never become false again. Terminal statuses are entered at
//! most once because after a closure or a success the status only climbs its chain.
//! The set of effects does depend on arrival order where the order's history really
//! differed (Expired then success relays `TRADE_CLOSE` and `PAY_SUCCESS`; success then
//! Expired relays only `PAY_SUCCESS`), but never contains an effect twice.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::attempt::{Attempt, AttemptStatus};
use super::effect::{Effect, RelayStatus, Resolution, ReviewReason};
use super::event::{Event, EventKind};
use super::refund::{OrderRefundStatus, Refund, RefundStatus, Refunds};
use super::status::OrderStatus;
use crate::id::Id;
use crate::money::{Money, TokenAmount};

/// What the order asks to be paid: fiat in minor units, or a token amount (S2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderAmount {
    Fiat(Money),
    Token { token: String, amount: TokenAmount },
}

impl OrderAmount {
    /// The amount in its smallest unit (fiat minor units, token units): what refunds
    /// are counted in.
    #[must_use]
    pub fn units(&self) -> u128 {
        match self {
            Self::Fiat(m) => u128::from(m.minor()),
            Self::Token { amount, .. } => amount.units(),
        }
    }

    /// `units` of the smallest unit in this amount's currency or token (a refund's
    /// amount in the order's form); `None` when it does not fit.
    #[must_use]
    pub fn with_units(&self, units: u128) -> Option<Self> {
        Some(match self {
            Self::Fiat(m) => Self::Fiat(Money::new(m.currency(), u64::try_from(units).ok()?)),
            Self::Token { token, amount } => Self::Token {
                token: token.clone(),
                amount: TokenAmount::new(units, amount.precision()).ok()?,
            },
        })
    }
}

/// The order's own closing decisions, each observed or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// The expiry alarm fired (local).
    pub expired: bool,
    /// The merchant or shopper cancelled (local).
    pub cancelled: bool,
    /// A provider declared the order failed or closed (S1 2 / 7, S0 `TRADE_CLOSE`).
    pub provider_closed: bool,
}

impl Lifecycle {
    /// The closing status by precedence, if any decision was observed.
    #[must_use]
    pub fn closed_status(self) -> Option<OrderStatus> {
        if self.provider_closed {
            Some(OrderStatus::Failed)
        } else if self.cancelled {
            Some(OrderStatus::Cancelled)
        } else if self.expired {
            Some(OrderStatus::Expired)
        } else {
            None
        }
    }
}

/// What an event did, as kept in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// The order's status changed.
    Moved,
    /// A new observation (e.g. a refund awaiting its success, an Expired after the
    /// success that raises a review) that did not change the status.
    Recorded,
    /// Nothing new: the event's lattice value was already covered.
    Ignored,
}

/// One applied event, in arrival order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at_ms: u64,
    pub event: Event,
    pub from: OrderStatus,
    pub to: OrderStatus,
    pub disposition: Disposition,
}

/// One order: its terms, what has been observed about it, and what was announced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    id: Id,
    amount: OrderAmount,
    created_ms: u64,
    expires_at_ms: u64,
    attempts: BTreeMap<Id, Attempt>,
    lifecycle: Lifecycle,
    /// Stored as `refund` (four flags) before refunds had ids: see [`super::refund`].
    #[serde(alias = "refund")]
    refunds: Refunds,
    /// Review reasons the merchant resolved, with how (orders stored before resolutions
    /// existed have none).
    #[serde(default)]
    resolved: BTreeMap<ReviewReason, Resolution>,
    /// S0 relays already emitted.
    relayed: BTreeSet<RelayStatus>,
    /// Number of status changes so far (`seq` of the last `StatusChanged`).
    status_seq: u32,
    applied: BTreeSet<String>,
    history: Vec<HistoryEntry>,
}

/// The derived view whose change decides an event's [`Disposition`].
#[derive(PartialEq, Eq)]
struct View {
    status: OrderStatus,
    attempts: Vec<(Id, AttemptStatus)>,
    lifecycle: Lifecycle,
    refunds: Vec<(Id, RefundStatus)>,
    unrequested_refund: bool,
    reasons: BTreeSet<ReviewReason>,
    resolved: BTreeSet<ReviewReason>,
}

impl Order {
    #[must_use]
    pub fn new(id: Id, amount: OrderAmount, created_ms: u64, expires_at_ms: u64) -> Self {
        Self {
            id,
            amount,
            created_ms,
            expires_at_ms,
            attempts: BTreeMap::new(),
            lifecycle: Lifecycle::default(),
            refunds: Refunds::default(),
            resolved: BTreeMap::new(),
            relayed: BTreeSet::new(),
            status_seq: 0,
            applied: BTreeSet::new(),
            history: Vec::new(),
        }
    }

    /// Applies one event at `now_ms` and returns what the shell must carry out, in order.
    /// See the module docs for the rules.
    pub fn apply(&mut self, now_ms: u64, event: Event) -> Vec<Effect> {
        if self.applied.contains(&event.id) {
            return Vec::new();
        }
        let before = self.view();
        self.observe(&event.kind);
        self.applied.insert(event.id.clone());
        let after = self.view();

        let mut effects = Vec::new();
        let disposition = if after.status != before.status {
            self.status_seq = self.status_seq.saturating_add(1);
            effects.push(Effect::StatusChanged {
                seq: self.status_seq,
                from: before.status,
                to: after.status,
            });
            Disposition::Moved
        } else if after != before {
            Disposition::Recorded
        } else {
            Disposition::Ignored
        };
        for &(refund, status) in &after.refunds {
            if !before.refunds.contains(&(refund, status)) {
                effects.push(Effect::RefundChanged { refund, status });
            }
        }
        for status in self.earned_relays(after.status) {
            if self.relayed.insert(status) {
                effects.push(Effect::Relay { status });
            }
        }
        for &reason in after.reasons.difference(&before.reasons) {
            effects.push(Effect::NeedsReview { reason });
        }
        for &reason in after.resolved.difference(&before.resolved) {
            effects.push(Effect::ReviewResolved { reason });
        }
        self.history.push(HistoryEntry {
            at_ms: now_ms,
            event,
            from: before.status,
            to: after.status,
            disposition,
        });
        effects
    }

    /// The canonical status, derived from the observations (module docs, rule 1).
    #[must_use]
    pub fn status(&self) -> OrderStatus {
        if self.paid() {
            return match self.refunds.order_status(self.amount.units()) {
                None => OrderStatus::Succeeded,
                Some(OrderRefundStatus::Refunding) => OrderStatus::Refunding,
                Some(OrderRefundStatus::RefundFailed) => OrderStatus::RefundFailed,
                Some(OrderRefundStatus::PartiallyRefunded) => OrderStatus::PartiallyRefunded,
                Some(OrderRefundStatus::Refunded) => OrderStatus::Refunded,
            };
        }
        if let Some(closed) = self.lifecycle.closed_status() {
            return closed;
        }
        if self.attempts.values().any(Attempt::in_flight) {
            OrderStatus::Processing
        } else {
            OrderStatus::Pending
        }
    }

    /// Why the merchant must refund or ship (module docs, rule 2); empty when not paid.
    #[must_use]
    pub fn review_reasons(&self) -> BTreeSet<ReviewReason> {
        let mut reasons = BTreeSet::new();
        if !self.paid() {
            return reasons;
        }
        let l = self.lifecycle;
        if l.expired || l.cancelled || l.provider_closed {
            reasons.insert(ReviewReason::PaidAfterClose);
        }
        if self.attempts.values().any(Attempt::conflicted) {
            reasons.insert(ReviewReason::PaidAfterAttemptFailed);
        }
        if self.attempts.values().filter(|a| a.succeeded()).count() > 1 {
            reasons.insert(ReviewReason::PaidTwice);
        }
        if self.refunds.unrequested() {
            reasons.insert(ReviewReason::UnrequestedRefund);
        }
        reasons
    }

    /// True while a review reason is not resolved by the merchant.
    #[must_use]
    pub fn needs_review(&self) -> bool {
        !self.open_review_reasons().is_empty()
    }

    /// The review reasons the merchant has not resolved yet.
    #[must_use]
    pub fn open_review_reasons(&self) -> BTreeSet<ReviewReason> {
        let mut open = self.review_reasons();
        open.retain(|r| !self.resolved.contains_key(r));
        open
    }

    /// The merchant's resolutions, by reason.
    #[must_use]
    pub fn resolved(&self) -> &BTreeMap<ReviewReason, Resolution> {
        &self.resolved
    }

    /// A provider verified a success for at least one attempt.
    #[must_use]
    pub fn paid(&self) -> bool {
        self.attempts.values().any(Attempt::succeeded)
    }

    /// Pending or Processing: the shopper may still pay.
    #[must_use]
    pub fn is_open(&self) -> bool {
        matches!(
            self.status(),
            OrderStatus::Pending | OrderStatus::Processing
        )
    }

    /// True when the shell should apply `Expired` now: the order is open and its
    /// expiry has passed.
    #[must_use]
    pub fn is_due_to_expire(&self, now_ms: u64) -> bool {
        self.is_open() && now_ms >= self.expires_at_ms
    }

    #[must_use]
    pub fn id(&self) -> Id {
        self.id
    }

    #[must_use]
    pub fn amount(&self) -> &OrderAmount {
        &self.amount
    }

    #[must_use]
    pub fn created_ms(&self) -> u64 {
        self.created_ms
    }

    #[must_use]
    pub fn expires_at_ms(&self) -> u64 {
        self.expires_at_ms
    }

    #[must_use]
    pub fn attempts(&self) -> &BTreeMap<Id, Attempt> {
        &self.attempts
    }

    #[must_use]
    pub fn attempt(&self, id: Id) -> Option<&Attempt> {
        self.attempts.get(&id)
    }

    #[must_use]
    pub fn lifecycle(&self) -> Lifecycle {
        self.lifecycle
    }

    #[must_use]
    pub fn refunds(&self) -> &Refunds {
        &self.refunds
    }

    /// What went back to the shopper so far, in the amount's smallest unit.
    #[must_use]
    pub fn refunded_units(&self) -> u128 {
        self.refunds.refunded(self.amount.units())
    }

    /// What the merchant may still refund: nothing before the order is paid, then the
    /// captured amount less what was refunded or is being refunded.
    #[must_use]
    pub fn refundable_units(&self) -> u128 {
        if self.paid() {
            self.refunds.refundable(self.amount.units())
        } else {
            0
        }
    }

    /// The S0 relays emitted so far.
    #[must_use]
    pub fn relayed(&self) -> &BTreeSet<RelayStatus> {
        &self.relayed
    }

    /// The `seq` of the last `StatusChanged` (0 before any change).
    #[must_use]
    pub fn status_seq(&self) -> u32 {
        self.status_seq
    }

    #[must_use]
    pub fn has_applied(&self, event_id: &str) -> bool {
        self.applied.contains(event_id)
    }

    #[must_use]
    pub fn applied(&self) -> &BTreeSet<String> {
        &self.applied
    }

    /// Every applied (non-duplicate) event in arrival order, with what it did.
    #[must_use]
    pub fn history(&self) -> &[HistoryEntry] {
        &self.history
    }

    fn observe(&mut self, kind: &EventKind) {
        match kind {
            EventKind::AttemptStarted { attempt } => {
                self.attempts.entry(*attempt).or_default();
            }
            EventKind::AttemptProcessing { attempt } => {
                self.attempts
                    .entry(*attempt)
                    .or_default()
                    .observe_processing();
            }
            EventKind::AttemptSucceeded { attempt, provider } => {
                self.attempts
                    .entry(*attempt)
                    .or_default()
                    .observe_succeeded(provider);
            }
            EventKind::AttemptFailed { attempt } => {
                self.attempts.entry(*attempt).or_default().observe_failed();
            }
            EventKind::ProviderClosed { .. } => self.lifecycle.provider_closed = true,
            EventKind::Expired => self.lifecycle.expired = true,
            EventKind::Cancelled => self.lifecycle.cancelled = true,
            EventKind::RefundRequested { refund, amount } => {
                let seen = Refund {
                    amount: *amount,
                    requested: true,
                    ..Refund::default()
                };
                self.refunds.observe(*refund, seen);
            }
            EventKind::RefundSucceeded { refund, amount, .. } => {
                let seen = Refund {
                    amount: *amount,
                    succeeded: true,
                    ..Refund::default()
                };
                self.refunds.observe(*refund, seen);
            }
            EventKind::RefundFailed { refund } => {
                let seen = Refund {
                    failed: true,
                    ..Refund::default()
                };
                self.refunds.observe(*refund, seen);
            }
            EventKind::UnrequestedRefund { .. } => self.refunds.observe_unrequested(),
            EventKind::ReviewResolved {
                reasons,
                resolution,
            } => {
                // A join, so arrival order cannot matter: of two resolutions of one
                // reason the greater (`Fulfilled`) stands. The edge resolves only open
                // reasons, so in practice the first one stands.
                for r in reasons {
                    let e = self.resolved.entry(*r).or_insert(*resolution);
                    *e = (*e).max(*resolution);
                }
            }
        }
    }

    /// The relays the current state has earned, in the order S0 should hear them.
    fn earned_relays(&self, status: OrderStatus) -> Vec<RelayStatus> {
        let mut earned = Vec::with_capacity(2);
        if self.paid() {
            // Refunded implies paid: S0 hears PAY_SUCCESS before REFUND_SUCCESS even
            // when the refund callback arrived first.
            earned.push(RelayStatus::PaySuccess);
        }
        if let Some(r) = RelayStatus::for_status(status) {
            if !earned.contains(&r) {
                earned.push(r);
            }
        }
        earned
    }

    fn view(&self) -> View {
        let reasons = self.review_reasons();
        // Only a resolution of a reason the order has counts (and is announced).
        let resolved = reasons
            .iter()
            .filter(|r| self.resolved.contains_key(r))
            .copied()
            .collect();
        View {
            status: self.status(),
            attempts: self
                .attempts
                .iter()
                .map(|(id, a)| (*id, a.status()))
                .collect(),
            lifecycle: self.lifecycle,
            refunds: self
                .refunds
                .iter()
                .filter_map(|(id, r)| Some((id, r.status()?)))
                .collect(),
            unrequested_refund: self.refunds.unrequested(),
            reasons,
            resolved,
        }
    }
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;
