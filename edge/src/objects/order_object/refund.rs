//! Refunds inside the order's object (`POST /refund`, from the merchant API's
//! `POST /v1/orders/:id/refunds`; `POST /refunds/settle` for S3's refunds made by hand):
//! the driver. What a refund may be, what a provider's answer means, what a dead run's
//! intent comes to and which refund a merchant's report settles are
//! `shared::flows::refund_admit` and `shared::flows::refunds` (their docs state the
//! rules); this loads the order, feeds them, carries out the provider calls (`provider`)
//! and the writes (`store`: the lock, the intent, the Ping++ charges), and saves.
//!
//! A `refund_lock` (storage operations only between check and write, so the object's
//! input gate makes it atomic) keeps two concurrent requests from both reaching a
//! provider with the same remaining amount; the second gets 409 `refund_in_progress`.
//! While it is held, a Ping++ refund webhook naming an unknown refund is answered 503
//! so Ping++ retries once the id is recorded, rather than being taken for a stranger.

mod provider;
mod store;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use kassa_shared::callback::ProviderRef;
use kassa_shared::envelope::ErrorCode;
use kassa_shared::flows::refund_admit::{self as admit, Admission, Refused};
use kassa_shared::flows::refunds::{self, Note, Raised, Recovery, RefundPolicy};
use kassa_shared::id::Id;
use kassa_shared::providers::refund::RefundVerdict;
use kassa_shared::providers::Provider;

use super::*;
use crate::resources::RefundMeta;
pub use kassa_shared::flows::refund_admit::{AmountIn, ManualOutcome, RefundAsk as RefundIn};
pub use kassa_shared::flows::refunds::RefundIntent;
pub(super) use store::RefundStore;

/// What `POST /refund` and `POST /refunds/settle` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefundReply {
    pub refund: Id,
    pub order: StoredOrder,
}

impl OrderObject {
    pub(super) fn refund_store(&self) -> RefundStore {
        RefundStore(self.state.storage())
    }

    async fn note(&self, n: &Note) -> Result<(), EdgeError> {
        self.audit(n.reason, &n.detail).await
    }

    /// Answers `r`, audited when it says so (`detail`: what was asked).
    async fn refuse(&self, r: Refused, detail: &str) -> Result<Response, EdgeError> {
        if r.audited {
            self.audit(r.code(), detail).await?;
        }
        Err(EdgeError::from(r))
    }

    /// Remembers the Ping++ charge created for `attempt` (for its refund).
    pub(super) async fn record_charge_id(
        &self,
        attempt: Id,
        charge: &str,
    ) -> Result<(), EdgeError> {
        self.refund_store().record_charge(attempt, charge).await
    }

    /// Writes `intent` with a lock already stale (the test helper's dead run).
    pub(super) async fn plant_refund_intent(&self, intent: RefundIntent) -> Result<(), EdgeError> {
        self.refund_store().plant(&intent, now_ms()).await
    }

    /// When a left-behind intent may be recovered (its lock gone stale), for the alarm.
    pub(super) async fn refund_intent_due(&self) -> Result<Option<u64>, EdgeError> {
        self.refund_store().intent_due().await
    }

    /// `KASSA_REFUND_QUERY_AFTER_SECS` (default 60).
    pub(super) fn refund_policy(&self) -> RefundPolicy {
        config::refund_query_after_ms(&self.env).map_or_else(RefundPolicy::default, |ms| {
            RefundPolicy { query_after_ms: ms }
        })
    }

    /// `POST /refund` (module docs).
    pub(super) async fn refund(&self, ask: RefundIn) -> Result<Response, EdgeError> {
        let stored = self.require_order().await?;
        // A refund a dead run may have raised counts before anything new is asked (read
        // again after: the recovery may have awaited the provider).
        self.recover_refund_intent(stored).await?;
        let stored = self.require_order().await?;
        let amount = match admit::admit(&stored.order, ask.refund, ask.amount.as_ref()) {
            Ok(Admission::Admit { amount }) => amount,
            // The same request again (the route's id): its refund, unchanged.
            Ok(Admission::Recorded) => {
                return reply(&RefundReply {
                    refund: ask.refund,
                    order: stored,
                })
            }
            Err(r) => return self.refuse(r, "POST refunds").await,
        };
        let busy = EdgeError::Conflict {
            code: ErrorCode::RefundInProgress,
            message: "order: a refund of this order is already being requested".into(),
        };
        self.take_lock(store::LOCK_KEY, store::LOCK_STALE_MS, busy)
            .await?;
        let outcome = self.refund_inner(stored, &ask, amount).await;
        // Recorded, or refused by the provider (nothing raised): the intent has done
        // its work. Anything else may have left a raised refund unrecorded: recovery.
        let store = self.refund_store();
        if outcome.is_ok() {
            store.clear_intent().await?;
        }
        store.release_lock().await?;
        reply(&RefundReply {
            refund: ask.refund,
            order: outcome?.map_err(EdgeError::from)?,
        })
    }

    /// Asks the provider (S3: nobody) and records what it said; `Ok(Err)`: it refused.
    async fn refund_inner(
        &self,
        stored: StoredOrder,
        ask: &RefundIn,
        amount: u128,
    ) -> Result<Result<StoredOrder, Refused>, EdgeError> {
        let channel = stored.meta.channel;
        let attempt = admit::paid_attempt(&stored.order)
            .ok_or_else(|| EdgeError::Internal("a paid order without a paid attempt".into()))?;
        let refund = ask.refund;
        let raised = if admit::settled_by_hand(channel) {
            Raised::Manual
        } else {
            let intent = RefundIntent {
                refund,
                attempt,
                amount: Some(amount),
                reason: ask.reason.clone(),
            };
            let store = self.refund_store();
            store.put_intent(&intent).await?;
            let refund_amount = stored
                .order
                .amount()
                .with_units(amount)
                .ok_or_else(|| EdgeError::Internal("refund amount out of range".into()))?;
            let reference = ProviderRef::new(stored.order.id(), attempt);
            let charge = match channel {
                Provider::Pingpp => store.charge(attempt).await?,
                _ => None,
            };
            let answer = provider::raise(
                &self.env,
                channel,
                &reference,
                charge,
                refund,
                &refund_amount,
            )
            .await?;
            match refunds::raised(answer) {
                Ok(raised) => raised,
                Err(reason) => {
                    self.audit("refund_refused", &reason).await?;
                    return Ok(Err(refunds::refused(channel, &reason)));
                }
            }
        };
        let recording = refunds::recording(refund, raised);
        self.note(&recording.audit).await?;
        let meta = RefundMeta {
            attempt: Some(attempt),
            reason: ask.reason.clone(),
            provider_reference: recording.provider_reference,
            ..RefundMeta::default()
        };
        let stored = self.record_requested(stored, refund, amount, meta).await?;
        Ok(Ok(self
            .apply_refund_verdict(stored, refund, recording.settle, None)
            .await?))
    }

    /// Records refund `refund` of `amount` as requested, with its details `meta`, in one
    /// write.
    async fn record_requested(
        &self,
        stored: StoredOrder,
        refund: Id,
        amount: u128,
        meta: RefundMeta,
    ) -> Result<StoredOrder, EdgeError> {
        let requested = refunds::requested_event(refund, amount);
        self.apply_with(stored, requested, move |s| {
            s.refunds.insert(refund, meta);
        })
        .await
    }

    /// Applies a decision about `refund` (nothing without one or while it is pending):
    /// the provider's, or with `by_merchant` (their reference) the merchant's report of a
    /// refund made by hand.
    async fn apply_refund_verdict(
        &self,
        stored: StoredOrder,
        refund: Id,
        verdict: Option<RefundVerdict>,
        by_merchant: Option<Option<String>>,
    ) -> Result<StoredOrder, EdgeError> {
        let (channel, merchant) = (stored.meta.channel, by_merchant.is_some());
        let change = verdict
            .and_then(|v| refunds::verdict_change(&stored.order, refund, &v, channel, merchant));
        let Some(change) = change else {
            return Ok(stored);
        };
        if let Some(n) = &change.audit {
            self.note(n).await?;
        }
        let failure = change.failure;
        self.apply_with(stored, change.event, move |s| {
            if let Some(m) = s.refunds.get_mut(&refund) {
                // The merchant's report replaces what an earlier one said.
                if let Some(reference) = by_merchant {
                    m.provider_reference = reference;
                    m.failure_reason = failure;
                } else if failure.is_some() {
                    m.failure_reason = failure;
                }
            }
        })
        .await
    }

    /// Asks the providers with a refund status API about the open refunds whose window
    /// has passed (the alarm) and applies their decisions.
    pub(super) async fn settle_open_refunds(
        &self,
        mut stored: StoredOrder,
        now: u64,
    ) -> Result<StoredOrder, EdgeError> {
        if !refunds::pulls(stored.meta.channel) {
            return Ok(stored);
        }
        let asked = refund_asks(&stored);
        for refund in refunds::due(&stored.order, &asked, &self.refund_policy(), now) {
            let meta = stored.refunds.get(&refund).cloned().unwrap_or_default();
            let answer = match meta.attempt {
                Some(attempt) => self.refund_status(&stored, attempt, refund).await,
                None => Err(refunds::Unasked::Failed(
                    "no paid attempt recorded for it".into(),
                )),
            };
            let (verdict, audit) = refunds::pulled(refund, answer);
            if let Some(n) = &audit {
                self.note(n).await?;
            }
            // Recorded either way, so a provider that cannot be asked is asked again a
            // window later, not in a loop.
            stored = self.require_order().await?;
            if let Some(m) = stored.refunds.get_mut(&refund) {
                m.asked_ms = Some(now);
            }
            self.save_order(&stored).await?;
            stored = self
                .apply_refund_verdict(stored, refund, verdict, None)
                .await?;
        }
        Ok(stored)
    }

    /// The status API's word on refund `refund` of `attempt`.
    async fn refund_status(
        &self,
        stored: &StoredOrder,
        attempt: Id,
        refund: Id,
    ) -> Result<RefundVerdict, refunds::Unasked> {
        let r = stored.order.refunds().get(refund).unwrap_or_default();
        let amount = stored.order.amount();
        let units = amount.with_units(r.amount_of(amount.units()));
        let reference = ProviderRef::new(stored.order.id(), attempt);
        provider::status(&self.env, stored.meta.channel, &reference, refund, units).await
    }

    /// `shared::flows::refunds`, "Crash safety": settles an intent a dead run left.
    pub(super) async fn recover_refund_intent(
        &self,
        stored: StoredOrder,
    ) -> Result<StoredOrder, EdgeError> {
        let store = self.refund_store();
        let Some(intent) = store.intent().await? else {
            return Ok(stored);
        };
        if store.in_flight(now_ms()).await? {
            // Its run is alive: it records the outcome itself.
            return Ok(stored);
        }
        if stored.order.refunds().get(intent.refund).is_some() {
            store.clear_intent().await?;
            return Ok(stored);
        }
        let units = intent.amount.unwrap_or(0);
        let channel = stored.meta.channel;
        let reference = ProviderRef::new(stored.order.id(), intent.attempt);
        let amount = stored.order.amount().with_units(units);
        let asked = match store.charge(intent.attempt).await {
            Ok(charge) => {
                let (env, refund) = (&self.env, intent.refund);
                provider::locate(env, channel, &reference, charge, refund, amount).await
            }
            Err(e) => Err(refunds::Unasked::Failed(format!("{e:?}"))),
        };
        let (verdict, provider_reference) = match refunds::recovery(&intent, asked) {
            Recovery::Record {
                verdict,
                provider_reference,
                audit,
            } => {
                self.note(&audit).await?;
                (verdict, provider_reference)
            }
            Recovery::Drop(audit) => {
                self.note(&audit).await?;
                store.clear_intent().await?;
                return Ok(stored);
            }
            Recovery::Keep(audit) => {
                self.note(&audit).await?;
                return Ok(stored);
            }
        };
        let meta = RefundMeta {
            attempt: Some(intent.attempt),
            reason: intent.reason.clone(),
            provider_reference,
            ..RefundMeta::default()
        };
        let refund = intent.refund;
        let stored = self.record_requested(stored, refund, units, meta).await?;
        store.clear_intent().await?;
        self.apply_refund_verdict(stored, refund, Some(verdict), None)
            .await
    }

    /// `POST /refunds/settle`: the merchant reports the outcome of an S3 refund it made
    /// by hand (`shared::flows::refund_admit::settle_target`). A fixed event id per
    /// refund and outcome makes a repeated report a no-op.
    pub(super) async fn settle_refund(
        &self,
        refund: Option<Id>,
        outcome: ManualOutcome,
        reference: Option<String>,
    ) -> Result<Response, EdgeError> {
        let stored = self.require_order().await?;
        let refund = match admit::settle_target(&stored.order, stored.meta.channel, refund) {
            Ok(r) => r,
            Err(r) => return self.refuse(r, "POST refunds/settle").await,
        };
        let detail = admit::settle_detail(refund, reference.as_deref());
        self.audit("refund_settled_by_merchant", &detail).await?;
        let stored = self
            .apply_refund_verdict(stored, refund, Some(outcome.verdict()), Some(reference))
            .await?;
        reply(&RefundReply {
            refund,
            order: stored,
        })
    }
}

/// When each refund's provider was last asked (refunds never asked are absent).
fn refund_asks(stored: &StoredOrder) -> BTreeMap<Id, u64> {
    stored
        .refunds
        .iter()
        .filter_map(|(id, m)| Some((*id, m.asked_ms?)))
        .collect()
}

/// The next time an open refund's provider is due to be asked (the alarm's share).
pub(super) fn next_refund_query(stored: &StoredOrder, policy: &RefundPolicy) -> Option<u64> {
    if !refunds::pulls(stored.meta.channel) {
        return None;
    }
    refunds::next_query(&stored.order, &refund_asks(stored), policy)
}
