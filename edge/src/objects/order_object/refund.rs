//! Refunds inside the order's object (`POST /refund`, from the merchant API's
//! `POST /v1/orders/:id/refunds`). Full refunds only: the machine's refund lattice has
//! one refund per order (`Refunding < {Refunded, RefundFailed}`).
//!
//! - **Ping++** (the one channel with a refund API Kassa speaks): the order's paid
//!   attempt's charge — its id recorded under `pingpp_charges` when the charge was
//!   created (`pay.rs`) — is refunded at Ping++ (`POST {base}/v1/charges/{id}/refunds`)
//!   **before** anything is recorded. Ping++ accepting it (refund `pending` or
//!   `succeeded`) applies `RefundRequested` (→ `Refunding`); its signed
//!   `refund.succeeded` webhook (`callback.rs`) then settles the order to `Refunded`.
//!   Ping++ refusing it (an error answer, a `failed` refund, garbage, no answer) is a
//!   **502 `refund_refused`**, audited, with the order unchanged (still `succeeded`), so
//!   the merchant may retry. Not `RefundFailed`: that state is final in the lattice, and
//!   a refusal is often transient (network, balance) or the merchant's to fix.
//! - **Other channels**: S3's seed says refunds are manual (`pay_type` 0, "暂时人工介入
//!   退款"), Paytm (S1) and the token wallet have no refund call Kassa speaks. The request
//!   is recorded (`Refunding`) and the merchant refunds by hand; a provider's refund
//!   callback, or the test helper's `RefundSucceeded`, settles it.
//!
//! A `refund_lock` (storage operations only between check and write, so the object's
//! input gate makes it atomic) keeps two concurrent requests from both reaching Ping++
//! while the first awaits its answer; the second gets 409 `refund_in_progress`. Once
//! the first is recorded, any further request meets `order_not_refundable`.
//!
//! The id of every refund Ping++ accepted is kept under `pingpp_refunds` the moment its
//! answer arrives (before `RefundRequested` is applied): a `refund.succeeded` webhook is
//! a refund Kassa asked for only if it names one of them (`callback.rs`). A genuine
//! refund of the order's charge that is not among them (made from Ping++'s dashboard)
//! flags the order for review instead of settling it; while a refund request is still
//! awaiting Ping++'s answer (the lock is held), an unknown refund is answered 503 so
//! Ping++ retries once the id is recorded, rather than being mistaken for a stranger.

use std::collections::{BTreeMap, BTreeSet};

use kassa_shared::envelope::ErrorCode;
use kassa_shared::id::Id;

use super::*;
use crate::channels::exchange;
use kassa_shared::providers::pingpp;
use kassa_shared::providers::Provider;

/// Attempt id → Ping++ charge id.
const CHARGES_KEY: &str = "pingpp_charges";
/// The ids of the Ping++ refunds Kassa asked for (`re_…`).
const REFUNDS_KEY: &str = "pingpp_refunds";
const REFUND_LOCK_KEY: &str = "refund_lock";
/// As `pay_lock`: older than this, the run that took it died.
const REFUND_LOCK_STALE_MS: u64 = 60_000;

fn refused(detail: &str) -> EdgeError {
    EdgeError::Upstream {
        code: ErrorCode::RefundRefused,
        message: format!(
            "order: Ping++ did not accept the refund ({detail}); the order is unchanged"
        ),
    }
}

impl OrderObject {
    /// The Ping++ charges recorded so far, by attempt.
    async fn charges(&self) -> Result<BTreeMap<Id, String>, EdgeError> {
        Ok(self.load(CHARGES_KEY).await?.unwrap_or_default())
    }

    /// Remembers the Ping++ charge created for `attempt` (for its refund).
    pub(super) async fn record_charge_id(
        &self,
        attempt: Id,
        charge: &str,
    ) -> Result<(), EdgeError> {
        let mut charges = self.charges().await?;
        charges.insert(attempt, charge.to_owned());
        self.state
            .storage()
            .put(CHARGES_KEY, serde_json::to_string(&charges)?)
            .await?;
        Ok(())
    }

    /// False only when a different charge was recorded for `attempt`: a webhook about
    /// another charge with the same `order_no` is not this attempt's payment. (Attempts
    /// started by the test helper have no recorded charge.)
    pub(super) async fn is_attempt_charge(
        &self,
        attempt: Id,
        charge: &str,
    ) -> Result<bool, EdgeError> {
        let charges = self.charges().await?;
        Ok(charges.get(&attempt).is_none_or(|c| c == charge))
    }

    /// The Ping++ charge Kassa created for `attempt`, if any (strict: a refund must be
    /// of exactly this charge).
    pub(super) async fn attempt_charge(&self, attempt: Id) -> Result<Option<String>, EdgeError> {
        Ok(self.charges().await?.remove(&attempt))
    }

    /// Remembers a refund Ping++ accepted from us.
    async fn record_refund_id(&self, refund: &str) -> Result<(), EdgeError> {
        let mut refunds: BTreeSet<String> = self.load(REFUNDS_KEY).await?.unwrap_or_default();
        refunds.insert(refund.to_owned());
        self.state
            .storage()
            .put(REFUNDS_KEY, serde_json::to_string(&refunds)?)
            .await?;
        Ok(())
    }

    /// Whether Kassa asked Ping++ for refund `refund`.
    pub(super) async fn is_requested_refund(&self, refund: &str) -> Result<bool, EdgeError> {
        let refunds: BTreeSet<String> = self.load(REFUNDS_KEY).await?.unwrap_or_default();
        Ok(refunds.contains(refund))
    }

    /// A refund request of ours is still awaiting Ping++'s answer (a live lock).
    pub(super) async fn refund_in_flight(&self) -> Result<bool, EdgeError> {
        Ok(self
            .load::<u64>(REFUND_LOCK_KEY)
            .await?
            .is_some_and(|started| now_ms().saturating_sub(started) < REFUND_LOCK_STALE_MS))
    }

    /// `POST /refund` (module docs).
    pub(super) async fn refund(&self) -> Result<Response, EdgeError> {
        let stored = self.require_order().await?;
        if stored.order.status() != OrderStatus::Succeeded {
            let status = stored.order.status().as_str();
            return self
                .reject(
                    EdgeError::Conflict {
                        code: ErrorCode::OrderNotRefundable,
                        message: format!(
                            "order: is {status}; only succeeded orders can be refunded"
                        ),
                    },
                    "POST refunds",
                )
                .await;
        }
        let busy = EdgeError::Conflict {
            code: ErrorCode::RefundInProgress,
            message: "order: a refund of this order is already being requested".into(),
        };
        self.take_lock(REFUND_LOCK_KEY, REFUND_LOCK_STALE_MS, busy)
            .await?;
        let outcome = self.refund_inner(stored).await;
        self.state.storage().delete(REFUND_LOCK_KEY).await?;
        reply(&outcome?)
    }

    async fn refund_inner(&self, stored: StoredOrder) -> Result<StoredOrder, EdgeError> {
        if stored.meta.channel == Provider::Pingpp {
            let provider_refund = self.refund_at_pingpp(&stored).await?;
            self.audit("pingpp_refund_created", &provider_refund)
                .await?;
        }
        // One refund fact per order: a fixed event id makes a retried request a no-op.
        self.apply(
            stored,
            Event::new("refund_requested", EventKind::RefundRequested),
        )
        .await
    }

    /// `POST /refunds/settle`: the merchant made the refund it requested by hand (every
    /// channel but Ping++, whose own webhook settles its refunds). Only a `refunding`
    /// order; a fixed event id makes a repeated request a no-op.
    pub(super) async fn settle_refund(
        &self,
        reference: Option<String>,
    ) -> Result<Response, EdgeError> {
        let stored = self.require_order().await?;
        if stored.meta.channel == Provider::Pingpp {
            return self
                .reject(
                    EdgeError::Conflict {
                        code: ErrorCode::OrderNotRefundable,
                        message:
                            "order: Ping++ refunds are settled by Ping++'s webhook, not by hand"
                                .into(),
                    },
                    "POST refunds/settle",
                )
                .await;
        }
        if stored.order.status() != OrderStatus::Refunding {
            let status = stored.order.status().as_str();
            return self
                .reject(
                    EdgeError::Conflict {
                        code: ErrorCode::OrderNotRefundable,
                        message: format!(
                            "order: is {status}; only a refunding order's refund can be settled"
                        ),
                    },
                    "POST refunds/settle",
                )
                .await;
        }
        self.audit(
            "refund_settled_by_merchant",
            reference.as_deref().unwrap_or("(no reference)"),
        )
        .await?;
        let stored = self
            .apply(
                stored,
                Event::new(
                    "refund_settled_by_merchant",
                    EventKind::RefundSucceeded {
                        provider: "merchant".to_owned(),
                    },
                ),
            )
            .await?;
        reply(&stored)
    }

    /// Asks Ping++ to refund the paid attempt's charge in full; its refund id.
    async fn refund_at_pingpp(&self, stored: &StoredOrder) -> Result<String, EdgeError> {
        use kassa_shared::order::OrderAmount;

        let OrderAmount::Fiat(amount) = stored.order.amount() else {
            return Err(EdgeError::Internal(
                "Ping++ order without a fiat amount".into(),
            ));
        };
        let charges = self.charges().await?;
        // The attempt that paid; with several (a review case) the first by id, as only
        // one charge can be refunded per order.
        let charge = stored
            .order
            .attempts()
            .iter()
            .filter(|(_, a)| a.succeeded())
            .find_map(|(id, _)| charges.get(id));
        let Some(charge) = charge else {
            let detail = "no Ping++ charge is recorded for the paid attempt";
            self.audit("refund_refused", detail).await?;
            return Err(refused(detail));
        };
        let channels = crate::config::channels(&self.env)?;
        let cfg = channels
            .pingpp()
            .map_err(|e| crate::config::channel_refused("pingpp", &e))?;
        let description = format!("Refund of order {}", stored.order.id());
        match exchange(pingpp::create_refund(
            cfg,
            charge,
            amount.minor(),
            &description,
        ))
        .await
        {
            Ok(refund) => {
                // First, so its `refund.succeeded` is recognised as ours (module docs).
                self.record_refund_id(&refund.id).await?;
                Ok(refund.id)
            }
            Err(e) => {
                let detail = e.to_string();
                self.audit("refund_refused", &detail).await?;
                Err(refused(&detail))
            }
        }
    }
}
