//! The order's outbox as a sans-IO machine (SPEC 3.5, SPEC 7; issue 15 "core owns the
//! flows"): the merchant webhooks and S0 relays an order owes, their ids and envelope,
//! their retry schedule and when the order next wants its alarm. The edge's
//! `OrderObject` only stores it, sends what [`DeliveryRun::poll_transmit`] hands out, and
//! feeds each result back (quinn-proto style: time and results in, values out).
//!
//! - **Ids**: derived from the order id and the effect's key (`evt_<order>_s<seq>`,
//!   `evt_<order>_review_<reason>`, `evt_<order>_refund_<refund>_<status>`,
//!   `relay_<order>_<STATUS>`), and an id is queued at
//!   most once, so a redelivery carries the same id and a replayed storage write adds
//!   nothing.
//! - **Envelope**: a webhook body is `{id, object: "event", type, created, data}` (unix
//!   seconds), fixed at creation: the signature covers these exact bytes on every try.
//! - **Backoff**: a failed try is retried after `backoff · 2ⁿ` (capped at one hour) until
//!   the retry window (from the first try) is over, then `failed` until replayed; an entry
//!   with nowhere to go fails at once.
//! - **Relay cut-off**: the relays' window is the shell's setting (SPEC 3.5: retried
//!   until `status: 0`); `u64::MAX` is no cut-off, and the window is read at every try,
//!   so a shorter one given later (an operator giving up) ends a pending relay at its
//!   next failure.
//! - **Relays in order**: S0 hears `PAY_SUCCESS` before `REFUND_SUCCESS`: relays go out in
//!   queue order, a failed one holds back those behind it, and only the first pending
//!   relay sets the alarm. Without S0 configured, relays wait (no alarm).
//! - **Codes**: a `verification_code.requested` webhook keeps no code once it leaves the
//!   queue (delivered, or failed long after the code's 5 minutes): the outbox is readable
//!   by the merchant for the order's life (issue 14).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::id::Id;
use crate::order::{Effect, Order, OrderStatus, RefundStatus, RelayStatus, ReviewReason};

/// Delivery tries kept per entry.
pub const MAX_LOG: usize = 50;
/// The longest wait between two tries.
pub const BACKOFF_CAP_MS: u64 = 3_600_000;
/// The webhook type that carries a verification code in clear (SPEC 6, production).
pub const CODE_WEBHOOK: &str = "verification_code.requested";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxKind {
    /// A merchant webhook (SPEC 3.5).
    Webhook,
    /// An S0 `orderCallBack` relay.
    Relay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

/// One try, as the shell saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    pub at_ms: u64,
    /// Where it went; `None` when there was nowhere to send it (fails the entry).
    pub url: Option<String>,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// Why it did not count as delivered; `None` for a delivery.
    pub error: Option<String>,
}

/// A pending, delivered or failed webhook or relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Derived from order id + effect key, so a redelivery carries the same id.
    pub id: String,
    pub kind: OutboxKind,
    /// `order.succeeded`, … for webhooks; the S0 status for relays.
    pub event_type: String,
    pub created_ms: u64,
    /// The exact bytes sent (the signature covers them), fixed at creation.
    pub body: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    /// Start of the current retry window (reset by a replay).
    pub window_start_ms: Option<u64>,
    pub next_attempt_ms: Option<u64>,
    pub log: Vec<DeliveryAttempt>,
}

impl OutboxEntry {
    /// A new entry, due now.
    fn pending(id: String, kind: OutboxKind, event_type: String, now: u64, body: &Value) -> Self {
        Self {
            id,
            kind,
            event_type,
            created_ms: now,
            body: body.to_string(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            window_start_ms: None,
            next_attempt_ms: Some(now),
            log: Vec::new(),
        }
    }

    fn is_pending(&self, kind: OutboxKind) -> bool {
        self.kind == kind && self.status == DeliveryStatus::Pending
    }
}

/// How long and how often one kind of entry is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first retry's delay; doubled per try, capped at [`BACKOFF_CAP_MS`].
    pub backoff_ms: u64,
    /// How long after the first try an entry is still retried.
    pub window_ms: u64,
}

/// The configuration the outbox runs under (the edge reads it from its environment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxPolicy {
    pub webhooks: RetryPolicy,
    /// `None` while S0 is not configured: relays wait, and set no alarm.
    pub relays: Option<RetryPolicy>,
}

/// A status change to push to the order's live sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusPush {
    pub status: OrderStatus,
    pub seq: u32,
}

/// What the shell is to send now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub id: String,
    pub kind: OutboxKind,
    pub event_type: String,
    /// The bytes to send (a webhook's signed body; a relay's `{order_id, status}`).
    pub body: String,
}

impl Transmit {
    /// A relay's S0 status; `None` for a webhook or a word S0 does not have.
    #[must_use]
    pub fn relay_status(&self) -> Option<RelayStatus> {
        if self.kind != OutboxKind::Relay {
            return None;
        }
        [
            RelayStatus::PayIng,
            RelayStatus::PaySuccess,
            RelayStatus::RefundSuccess,
            RelayStatus::TradeClose,
        ]
        .into_iter()
        .find(|s| s.as_str() == self.event_type)
    }
}

/// The order's webhooks and relays (stored as a JSON array of [`OutboxEntry`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Outbox {
    entries: Vec<OutboxEntry>,
}

impl Outbox {
    #[must_use]
    pub fn entries(&self) -> &[OutboxEntry] {
        &self.entries
    }

    /// The relays, for the merchant's event listing.
    pub fn relays(&self) -> impl Iterator<Item = &OutboxEntry> {
        self.entries.iter().filter(|e| e.kind == OutboxKind::Relay)
    }

    fn has(&self, id: &str) -> bool {
        self.entries.iter().any(|e| e.id == id)
    }

    fn push_pending(
        &mut self,
        now: u64,
        id: String,
        kind: OutboxKind,
        event_type: String,
        body: &Value,
    ) {
        self.entries
            .push(OutboxEntry::pending(id, kind, event_type, now, body));
    }

    /// The webhook envelope (SPEC 3.5): the same shape for every webhook.
    fn envelope(now: u64, id: &str, event_type: &str, data: Value) -> Value {
        json!({
            "id": id,
            "object": "event",
            "type": event_type,
            "created": now / 1000,
            "data": data,
        })
    }

    /// Queues what the machine's effects owe: a webhook per status change and review
    /// reason (carrying `view`, the merchant's order resource after the change), a relay
    /// per S0 status; returns the status changes to push to live sockets. The machine
    /// emits each effect key once per order; the id check here only guards against a
    /// replayed storage write.
    pub fn enqueue_effects(
        &mut self,
        now: u64,
        order_id: Id,
        effects: &[Effect],
        view: &Value,
    ) -> Vec<StatusPush> {
        let mut pushes = Vec::new();
        for effect in effects {
            match effect {
                Effect::StatusChanged { seq, from, to } => {
                    pushes.push(StatusPush {
                        status: *to,
                        seq: *seq,
                    });
                    let id = format!("evt_{order_id}_s{seq}");
                    let event_type = format!("order.{}", to.as_str());
                    let data = json!({ "object": view, "previous_status": from });
                    self.webhook(now, id, &event_type, data);
                }
                Effect::NeedsReview { reason } => {
                    let (id, data) = reason_webhook(order_id, "review", *reason, view);
                    self.webhook(now, id, "order.needs_review", data);
                }
                Effect::ReviewResolved { reason } => {
                    let (id, data) = reason_webhook(order_id, "resolved", *reason, view);
                    self.webhook(now, id, "order.review_resolved", data);
                }
                Effect::RefundChanged { refund, status } => {
                    let id = format!("evt_{order_id}_refund_{refund}_{}", status.as_str());
                    let event_type = match status {
                        RefundStatus::Refunding => "refund.pending",
                        RefundStatus::RefundFailed => "refund.failed",
                        RefundStatus::Refunded => "refund.succeeded",
                    };
                    let data = json!({ "object": refund_in(view, *refund), "order": view });
                    self.webhook(now, id, event_type, data);
                }
                Effect::Relay { status } => {
                    let id = format!("relay_{order_id}_{}", status.as_str());
                    if !self.has(&id) {
                        let body = json!({ "order_id": order_id.to_string(), "status": status });
                        let event_type = status.as_str().to_owned();
                        self.push_pending(now, id, OutboxKind::Relay, event_type, &body);
                    }
                }
            }
        }
        pushes
    }

    /// Queues a webhook once per `id`, however often it is asked for (a code to deliver,
    /// an S4 withdrawal); `false` when `id` was already queued.
    pub fn webhook(&mut self, now: u64, id: String, event_type: &str, data: Value) -> bool {
        if self.has(&id) {
            return false;
        }
        let body = Self::envelope(now, &id, event_type, data);
        self.push_pending(now, id, OutboxKind::Webhook, event_type.to_owned(), &body);
        true
    }

    /// Sends webhook `id` again: same id and body, a fresh retry window starting `now`.
    /// `None` when there is no such webhook.
    pub fn replay(&mut self, id: &str, now: u64) -> Option<&OutboxEntry> {
        let entry = self
            .entries
            .iter_mut()
            .find(|e| e.id == id && e.kind == OutboxKind::Webhook)?;
        entry.status = DeliveryStatus::Pending;
        entry.window_start_ms = None;
        entry.next_attempt_ms = Some(now);
        Some(entry)
    }

    /// When the outbox next wants to run: the earliest pending webhook's next try, and the
    /// first pending relay's (the ones behind it wait for it) when relays are on.
    #[must_use]
    pub fn poll_timeout(&self, policy: &OutboxPolicy) -> Option<u64> {
        let webhook = self
            .entries
            .iter()
            .filter(|e| e.is_pending(OutboxKind::Webhook))
            .filter_map(|e| e.next_attempt_ms)
            .min();
        let relay = policy
            .relays
            .and_then(|_| {
                self.entries
                    .iter()
                    .find(|e| e.is_pending(OutboxKind::Relay))
            })
            .and_then(|e| e.next_attempt_ms);
        webhook.into_iter().chain(relay).min()
    }

    /// What is due at `now`: every due webhook, then the relays in queue order (a failed
    /// one stops the rest: see [`DeliveryRun::handle_result`]).
    #[must_use]
    pub fn start_delivery(&self, now: u64, policy: &OutboxPolicy) -> DeliveryRun {
        let due = |e: &&OutboxEntry| e.next_attempt_ms.is_some_and(|t| t <= now);
        let transmit = |e: &OutboxEntry| Transmit {
            id: e.id.clone(),
            kind: e.kind,
            event_type: e.event_type.clone(),
            body: e.body.clone(),
        };
        let mut queue: VecDeque<Transmit> = self
            .entries
            .iter()
            .filter(|e| e.is_pending(OutboxKind::Webhook))
            .filter(due)
            .map(transmit)
            .collect();
        if policy.relays.is_some() {
            // Relays in order: the first pending one not yet due holds back the rest.
            queue.extend(
                self.entries
                    .iter()
                    .filter(|e| e.is_pending(OutboxKind::Relay))
                    .take_while(due)
                    .map(transmit),
            );
        }
        DeliveryRun {
            queue,
            results: Vec::new(),
        }
    }

    /// Records one try of entry `id`: delivered; retried later with backoff; or failed
    /// when the retry window is over or there was nowhere to send it.
    pub fn record(&mut self, id: &str, attempt: DeliveryAttempt, policy: &OutboxPolicy) {
        let Some(e) = self.entries.iter_mut().find(|e| e.id == id) else {
            return;
        };
        let retry = match e.kind {
            OutboxKind::Webhook => policy.webhooks,
            // A relay result from a run when relays were on; keep the webhooks' backoff.
            OutboxKind::Relay => policy.relays.unwrap_or(policy.webhooks),
        };
        record_attempt(e, attempt, retry);
    }
}

/// The id (`evt_<order>_<kind>_<reason>`) and `data` of a webhook about review reason
/// `reason`: raised or resolved.
fn reason_webhook(order_id: Id, kind: &str, reason: ReviewReason, view: &Value) -> (String, Value) {
    let reason = serde_json::to_value(reason).unwrap_or(Value::Null);
    let id = format!(
        "evt_{order_id}_{kind}_{}",
        reason.as_str().unwrap_or("unknown")
    );
    (id, json!({ "object": view, "reason": reason }))
}

/// Refund `id`'s resource as the order's resource lists it (`view.refunds[]`), so the
/// `refund.*` webhook carries the same object the merchant API shows.
fn refund_in(view: &Value, id: Id) -> Value {
    let id = id.to_string();
    view.get("refunds")
        .and_then(Value::as_array)
        .and_then(|all| all.iter().find(|r| r["id"].as_str() == Some(id.as_str())))
        .cloned()
        .unwrap_or(Value::Null)
}

/// One alarm's deliveries: hand out [`Transmit`]s, take their results, then fold them
/// into the outbox as stored *after* the sends ([`DeliveryRun::finish`]): other requests
/// may have queued entries while the shell awaited the receivers.
#[derive(Debug)]
pub struct DeliveryRun {
    queue: VecDeque<Transmit>,
    results: Vec<(String, DeliveryAttempt)>,
}

impl DeliveryRun {
    /// The next thing to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.queue.pop_front()
    }

    /// The result of sending `transmit`. A failed relay holds back the relays behind it
    /// (S0 must hear the statuses in order).
    pub fn handle_result(&mut self, transmit: &Transmit, attempt: DeliveryAttempt) {
        if transmit.kind == OutboxKind::Relay && attempt.error.is_some() {
            self.queue.retain(|t| t.kind != OutboxKind::Relay);
        }
        self.results.push((transmit.id.clone(), attempt));
    }

    /// Applies every result to `outbox` (freshly loaded by the shell).
    pub fn finish(self, outbox: &mut Outbox, policy: &OutboxPolicy) {
        for (id, attempt) in self.results {
            outbox.record(&id, attempt, policy);
        }
    }
}

fn record_attempt(e: &mut OutboxEntry, a: DeliveryAttempt, retry: RetryPolicy) {
    e.attempts = e.attempts.saturating_add(1);
    let start = *e.window_start_ms.get_or_insert(a.at_ms);
    let delivered = a.error.is_none();
    let nowhere = a.url.is_none();
    let at = a.at_ms;
    e.log.push(a);
    if e.log.len() > MAX_LOG {
        let excess = e.log.len() - MAX_LOG;
        e.log.drain(..excess);
    }
    if delivered {
        e.status = DeliveryStatus::Delivered;
        e.next_attempt_ms = None;
        redact_code(e);
        return;
    }
    let exp = e.attempts.saturating_sub(1).min(32);
    let delay = retry
        .backoff_ms
        .max(1)
        .saturating_mul(1u64 << exp)
        .min(BACKOFF_CAP_MS);
    let next = at.saturating_add(delay);
    if nowhere || next.saturating_sub(start) > retry.window_ms {
        e.status = DeliveryStatus::Failed;
        e.next_attempt_ms = None;
        redact_code(e);
    } else {
        e.next_attempt_ms = Some(next);
    }
}

/// `data.code` becomes `null` with `data.code_redacted: true`; a replay sends that body,
/// newly signed, and a receiver that needs a code asks for a new one (codes are
/// single-use and short-lived anyway).
fn redact_code(e: &mut OutboxEntry) {
    if e.event_type != CODE_WEBHOOK {
        return;
    }
    let Ok(mut body) = serde_json::from_str::<Value>(&e.body) else {
        return;
    };
    if let Some(data) = body.get_mut("data").and_then(Value::as_object_mut) {
        data.insert("code".to_owned(), Value::Null);
        data.insert("code_redacted".to_owned(), Value::Bool(true));
        e.body = body.to_string();
    }
}

/// When the order object next wants its alarm: the expiry of an open order, or the
/// outbox's next try — whichever comes first; `None` clears the alarm.
#[must_use]
pub fn next_alarm(order: &Order, outbox: &Outbox, policy: &OutboxPolicy) -> Option<u64> {
    let expiry = order.is_open().then(|| order.expires_at_ms());
    expiry.into_iter().chain(outbox.poll_timeout(policy)).min()
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
