//! Refunds inside the order's object (`POST /refund`, from the merchant API's
//! `POST /v1/orders/:id/refunds`; issue 16 item 7, SPEC 3.2): full or partial, several
//! per order, up to the captured amount, each under its own id (Kassa's, made by the
//! route) with its own lattice in the order (`shared::order::refund`).
//!
//! The amount asked for (default: everything left) must be > 0 and at most what is left
//! (captured − refunded − in flight), else 409 `refund_exceeds_refundable` naming
//! `amount` (a form the order does not take: 409 `amount_form_mismatch`). Then, by
//! channel:
//!
//! - **Ping++**: the paid attempt's charge (its id recorded under `pingpp_charges` when
//!   it was created, `pay.rs`) is refunded at Ping++ (`POST {base}/v1/charges/{id}/
//!   refunds`) **before** anything is recorded. Accepted (`pending` / `succeeded`): the
//!   refund is recorded as requested with Ping++'s `re_…` id; its signed
//!   `refund.succeeded` webhook (`callback.rs`, confirmed by Ping++'s retrieve) settles
//!   it. Refused (an error answer, a `failed` refund, garbage, no answer): **502
//!   `refund_refused`**, audited, the order unchanged, so the merchant may retry.
//! - **Paytm**: the payment's `TXNID` from the Transaction Status API, then Paytm's
//!   Refund API with `refId` = the refund id (`shared::providers::paytm::refund`).
//! - **Wallet**: the wallet's refund call with `refund_id` = the refund id
//!   (`shared::providers::wallet::refund`).
//!
//!   For both: accepted → recorded as requested (settled at once if the answer already
//!   says so); refused → 502 `refund_refused`, order unchanged; **no answer** (timeout,
//!   garbage) → recorded as requested all the same, audited `refund_outcome_unknown`:
//!   the provider may have raised it, and the refund id makes asking again harmless
//!   while a fresh request could refund twice. Their refund status APIs are then asked
//!   from the order's alarm (`shared::flows::refunds`: `KASSA_REFUND_QUERY_AFTER_SECS`
//!   after the refund and after each ask) until they decide: success →
//!   `RefundSucceeded`, failure → `RefundFailed` with the provider's reason.
//! - **S3**: its seed says refunds are manual (`pay_type` 0, "暂时人工介入退款"): the
//!   request is recorded and the merchant reports the outcome with `POST
//!   /v1/orders/:id/refunds/settle` (`settle_refund`). Only S3 refunds are settled by
//!   hand: every other channel has a provider that says.
//!
//! **Crash safety.** Every refund asked of a provider is written down as an intent
//! (`refund_intent`: its id, attempt, amount) before the provider is asked, and cleared
//! once the outcome is recorded or refused. If the run dies in between (the provider
//! may have raised the refund), the next refund request, a Ping++ refund webhook, or
//! the order's alarm, once the lock is stale, asks the provider about that refund id
//! (Paytm's and the wallet's refund status with it as `refId` / `refund_id`; Ping++'s
//! refund list of the charge, where Kassa's id is the refund's `metadata.kassa_refund`):
//! known → recorded as if the answer had arrived (audited `refund_recovered`); unknown
//! → the intent is dropped (`refund_intent_dropped`); not askable → kept for the next
//! alarm. Money a provider moved is never invisible to the order, and a new request
//! cannot refund it twice. A Ping++ create that gets no answer at all is recorded as
//! requested, like Paytm's and the wallet's: its webhook is matched by that metadata.
//!
//! A `refund_lock` (storage operations only between check and write, so the object's
//! input gate makes it atomic) keeps two concurrent requests from both reaching a
//! provider with the same remaining amount; the second gets 409 `refund_in_progress`.
//! While it is held, a Ping++ refund webhook naming an unknown refund is answered 503
//! so Ping++ retries once the id is recorded, rather than being taken for a stranger.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use kassa_shared::callback::ProviderRef;
use kassa_shared::envelope::ErrorCode;
use kassa_shared::flows::refunds::{self, RefundPolicy};
use kassa_shared::id::Id;
use kassa_shared::order::{OrderAmount, Refund};
use kassa_shared::providers::refund::{RefundAck, RefundVerdict};
use kassa_shared::providers::{paytm, pingpp, wallet, Provider};

use super::*;
use crate::channels::sign::paytm_salt;
use crate::channels::{exchange, run};
use crate::resources::RefundMeta;

/// Attempt id → Ping++ charge id.
const CHARGES_KEY: &str = "pingpp_charges";
const REFUND_LOCK_KEY: &str = "refund_lock";
/// A refund about to be asked of a provider with a refund status API, written before
/// the call (module docs, "Crash safety").
const REFUND_INTENT_KEY: &str = "refund_intent";
/// As `pay_lock`: older than this, the run that took it died.
const REFUND_LOCK_STALE_MS: u64 = 60_000;

/// A refund the merchant asks for (the route made `refund`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefundIn {
    pub refund: Id,
    /// As the merchant wrote it; `None`: everything left.
    pub amount: Option<AmountIn>,
    pub reason: Option<String>,
}

/// A refund amount in the form the order's `amount` takes: whole minor units (fiat) or
/// a decimal string (tokens), read against the order once it is loaded.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountIn {
    Minor(u64),
    Decimal(String),
}

impl AmountIn {
    /// The amount in the order's smallest unit.
    fn units(&self, order: &OrderAmount) -> Result<u128, EdgeError> {
        // The request was a positive amount (the route checked); whether this order
        // takes it is the order's to say: 409, naming `amount`.
        let mismatch = |message: String| {
            EdgeError::api(
                409,
                "invalid_request_error",
                ErrorCode::AmountFormMismatch,
                message,
                Some("amount"),
            )
        };
        match (self, order) {
            (Self::Minor(m), OrderAmount::Fiat(_)) => Ok(u128::from(*m)),
            (Self::Decimal(s), OrderAmount::Token { amount, .. }) => {
                kassa_shared::money::TokenAmount::parse("amount", s, amount.precision())
                    .map(|a| a.units())
                    .map_err(|e| mismatch(e.to_string()))
            }
            (Self::Minor(_), OrderAmount::Token { .. }) => Err(mismatch(
                "amount: must be a decimal string for a token order".to_owned(),
            )),
            (Self::Decimal(_), OrderAmount::Fiat(_)) => Err(mismatch(
                "amount: must be a whole number of minor units for a fiat order".to_owned(),
            )),
        }
    }
}

/// What `POST /refund` and `POST /refunds/settle` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefundReply {
    pub refund: Id,
    pub order: StoredOrder,
}

/// How a merchant reports a refund made by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManualOutcome {
    Succeeded,
    Failed,
}

fn refused(provider: Provider, detail: &str) -> EdgeError {
    EdgeError::Upstream {
        code: ErrorCode::RefundRefused,
        message: format!(
            "refund: {provider} did not accept the refund ({detail}); the order is unchanged"
        ),
    }
}

fn not_refundable(message: String) -> EdgeError {
    EdgeError::Conflict {
        code: ErrorCode::OrderNotRefundable,
        message,
    }
}

/// What `refund_intent` holds: enough to ask the provider about the refund and to
/// record it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefundIntent {
    pub refund: Id,
    pub attempt: Id,
    #[serde(with = "kassa_shared::order::refund::units")]
    pub amount: Option<u128>,
    pub reason: Option<String>,
}

/// Why a provider could not say where a refund stands.
enum Unasked {
    /// It has no such refund (the wallet's 404): it was never raised.
    Unknown,
    /// It could not be asked (network, configuration): ask later.
    Failed(String),
}

impl std::fmt::Display for Unasked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown => f.write_str("the provider has no such refund"),
            Self::Failed(why) => f.write_str(why),
        }
    }
}

/// What asking a provider to refund came to.
enum Raised {
    /// Accepted, with the provider's id for it and what it already says.
    Accepted {
        reference: String,
        verdict: RefundVerdict,
    },
    /// No answer that says either way (module docs).
    Unknown(String),
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

    /// A refund request of ours is still awaiting its provider's answer (a live lock).
    pub(super) async fn refund_in_flight(&self) -> Result<bool, EdgeError> {
        Ok(self
            .load::<u64>(REFUND_LOCK_KEY)
            .await?
            .is_some_and(|started| now_ms().saturating_sub(started) < REFUND_LOCK_STALE_MS))
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
        if stored.order.refunds().get(ask.refund).is_some() {
            // The same request again (the route's id): its refund, unchanged.
            return reply(&RefundReply {
                refund: ask.refund,
                order: stored,
            });
        }
        let status = stored.order.status().as_str();
        let left = stored.order.refundable_units();
        if !stored.order.paid() || left == 0 {
            let why = if stored.order.paid() {
                format!("order: is {status}; nothing is left to refund")
            } else {
                format!("order: is {status}; only a paid order can be refunded")
            };
            return self.reject(not_refundable(why), "POST refunds").await;
        }
        let amount = match &ask.amount {
            Some(a) => match a.units(stored.order.amount()) {
                Ok(units) => units,
                Err(e) => return self.reject(e, "POST refunds").await,
            },
            None => left,
        };
        if amount == 0 || amount > left {
            let shown = |units| match stored.order.amount().with_units(units) {
                Some(OrderAmount::Fiat(m)) => {
                    format!("{} {}", m.format_major(), m.currency().code())
                }
                Some(OrderAmount::Token { amount, .. }) => amount.to_string(),
                None => units.to_string(),
            };
            let message = if amount == 0 {
                "amount: must be greater than 0".to_owned()
            } else {
                format!(
                    "amount: {} exceeds what is left to refund ({})",
                    shown(amount),
                    shown(left)
                )
            };
            let refused = if amount == 0 {
                EdgeError::bad("amount", message)
            } else {
                EdgeError::api(
                    409,
                    "invalid_request_error",
                    ErrorCode::RefundExceedsRefundable,
                    message,
                    Some("amount"),
                )
            };
            return self.reject(refused, "POST refunds").await;
        }
        let busy = EdgeError::Conflict {
            code: ErrorCode::RefundInProgress,
            message: "order: a refund of this order is already being requested".into(),
        };
        self.take_lock(REFUND_LOCK_KEY, REFUND_LOCK_STALE_MS, busy)
            .await?;
        let outcome = self.refund_inner(stored, &ask, amount).await;
        // Recorded, or refused by the provider (nothing raised): the intent has done
        // its work. Anything else may have left a raised refund unrecorded: recovery.
        let settled = match &outcome {
            Ok(_) => true,
            Err(EdgeError::Upstream { code, .. }) => *code == ErrorCode::RefundRefused,
            Err(_) => false,
        };
        if settled {
            self.state.storage().delete(REFUND_INTENT_KEY).await?;
        }
        self.state.storage().delete(REFUND_LOCK_KEY).await?;
        reply(&RefundReply {
            refund: ask.refund,
            order: outcome?,
        })
    }

    async fn refund_inner(
        &self,
        stored: StoredOrder,
        ask: &RefundIn,
        amount: u128,
    ) -> Result<StoredOrder, EdgeError> {
        let channel = stored.meta.channel;
        // The attempt that paid; with several (a review case) the first by id.
        let attempt = stored
            .order
            .attempts()
            .iter()
            .find(|(_, a)| a.succeeded())
            .map(|(id, _)| *id)
            .ok_or_else(|| EdgeError::Internal("a paid order without a paid attempt".into()))?;
        let refund_amount = stored
            .order
            .amount()
            .with_units(amount)
            .ok_or_else(|| EdgeError::Internal("refund amount out of range".into()))?;
        let mut meta = RefundMeta {
            attempt: Some(attempt),
            reason: ask.reason.clone(),
            ..RefundMeta::default()
        };
        let reference = ProviderRef::new(stored.order.id(), attempt);
        if channel != Provider::Lianshang {
            let intent = RefundIntent {
                refund: ask.refund,
                attempt,
                amount: Some(amount),
                reason: ask.reason.clone(),
            };
            self.state
                .storage()
                .put(REFUND_INTENT_KEY, serde_json::to_string(&intent)?)
                .await?;
        }
        let raised = match channel {
            Provider::Pingpp => Some(
                self.refund_at_pingpp(&stored, attempt, ask.refund, &refund_amount)
                    .await?,
            ),
            Provider::Paytm => Some(
                self.refund_at_paytm(&reference, ask.refund, &refund_amount)
                    .await?,
            ),
            Provider::Wallet => Some(
                self.refund_at_wallet(&reference, ask.refund, &refund_amount)
                    .await?,
            ),
            Provider::Lianshang => None,
        };
        let mut settled = None;
        match raised {
            Some(Raised::Accepted { reference, verdict }) => {
                self.audit("refund_raised", &format!("{} {reference}", ask.refund))
                    .await?;
                meta.provider_reference = Some(reference);
                settled = Some(verdict);
            }
            Some(Raised::Unknown(why)) => {
                self.audit("refund_outcome_unknown", &format!("{}: {why}", ask.refund))
                    .await?;
            }
            None => {
                self.audit("refund_manual", &ask.refund.to_string()).await?;
            }
        }
        let refund = ask.refund;
        let stored = self.record_requested(stored, refund, amount, meta).await?;
        match settled {
            Some(verdict) => {
                self.apply_refund_verdict(stored, refund, &verdict, None)
                    .await
            }
            None => Ok(stored),
        }
    }

    /// Records refund `refund` of `amount` as requested, with its details `meta`, in one
    /// write (a fixed event id: recording it twice is a duplicate).
    async fn record_requested(
        &self,
        stored: StoredOrder,
        refund: Id,
        amount: u128,
        meta: RefundMeta,
    ) -> Result<StoredOrder, EdgeError> {
        let requested = Event::new(
            format!("refund_requested:{refund}"),
            EventKind::RefundRequested {
                refund,
                amount: Some(amount),
            },
        );
        self.apply_with(stored, requested, move |s| {
            s.refunds.insert(refund, meta);
        })
        .await
    }

    /// Applies a decision about `refund` (nothing while it is pending): the provider's,
    /// or with `by_merchant` (their reference) the merchant's report of a refund made by
    /// hand.
    async fn apply_refund_verdict(
        &self,
        stored: StoredOrder,
        refund: Id,
        verdict: &RefundVerdict,
        by_merchant: Option<Option<String>>,
    ) -> Result<StoredOrder, EdgeError> {
        let Some(r) = stored.order.refunds().get(refund) else {
            return Ok(stored);
        };
        let amount = r.amount_of(stored.order.amount().units());
        let by = match by_merchant {
            Some(_) => "merchant",
            None => stored.meta.channel.as_str(),
        };
        let Some(event) = refunds::verdict_event(refund, amount, by, verdict) else {
            return Ok(stored);
        };
        let failure = match verdict {
            RefundVerdict::Failed { reason } => Some(reason.clone()),
            _ => None,
        };
        if let Some(reason) = &failure {
            self.audit("refund_failed", &format!("{refund}: {reason}"))
                .await?;
        }
        self.apply_with(stored, event, move |s| {
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

    /// Asks the providers with a refund status API about the open refunds (`due`: only
    /// those whose window has passed; the alarm) and applies their decisions.
    pub(super) async fn settle_open_refunds(
        &self,
        mut stored: StoredOrder,
        now: u64,
    ) -> Result<StoredOrder, EdgeError> {
        if !matches!(stored.meta.channel, Provider::Paytm | Provider::Wallet) {
            return Ok(stored);
        }
        let asked = refund_asks(&stored);
        for refund in refunds::due(&stored.order, &asked, &self.refund_policy(), now) {
            let verdict = match self.ask_refund(&stored, refund).await {
                Ok(v) => Some(v),
                // Recorded with no answer, and the provider has never heard of it: it
                // was never raised.
                Err(Unasked::Unknown) => Some(RefundVerdict::Failed {
                    reason: "the provider has no such refund: it was never raised".into(),
                }),
                Err(why) => {
                    self.audit("refund_query_failed", &format!("{refund}: {why}"))
                        .await?;
                    None
                }
            };
            // Recorded either way, so a provider that cannot be asked is asked again a
            // window later, not in a loop.
            stored = self.mark_asked(refund, now).await?;
            if let Some(v) = verdict {
                stored = self.apply_refund_verdict(stored, refund, &v, None).await?;
            }
        }
        Ok(stored)
    }

    /// The provider's word on `refund` (`Err`: it could not be asked).
    async fn ask_refund(&self, stored: &StoredOrder, refund: Id) -> Result<RefundVerdict, Unasked> {
        let meta = stored.refunds.get(&refund).cloned().unwrap_or_default();
        let attempt = meta
            .attempt
            .ok_or_else(|| Unasked::Failed("no paid attempt recorded for it".into()))?;
        let r: Refund = stored.order.refunds().get(refund).unwrap_or_default();
        let units = r.amount_of(stored.order.amount().units());
        self.ask_refund_at(stored, attempt, refund, units).await
    }

    /// Asks the channel's refund status API about refund `refund` of `attempt`.
    async fn ask_refund_at(
        &self,
        stored: &StoredOrder,
        attempt: Id,
        refund: Id,
        units: u128,
    ) -> Result<RefundVerdict, Unasked> {
        let failed = |e: String| Unasked::Failed(e);
        let reference = ProviderRef::new(stored.order.id(), attempt);
        let channels = crate::config::channels(&self.env).map_err(|e| failed(format!("{e:?}")))?;
        match (stored.meta.channel, stored.order.amount().with_units(units)) {
            (Provider::Paytm, _) => {
                let cfg = channels.paytm().map_err(|e| failed(e.to_string()))?;
                let salt = paytm_salt().map_err(|e| failed(e.to_owned()))?;
                let ask = paytm::refund::refund_status(cfg, &reference, &refund.to_string(), &salt)
                    .map_err(|e| failed(e.to_string()))?;
                run(ask).await.map_err(|e| failed(e.to_string()))
            }
            (Provider::Wallet, Some(OrderAmount::Token { amount, .. })) => {
                let cfg = channels.wallet().map_err(|e| failed(e.to_string()))?;
                let ask =
                    wallet::refund::refund_status(cfg, &refund.to_string(), &reference, &amount);
                match run(ask).await {
                    Ok(v) => Ok(v),
                    Err(e) if e.is_unknown() => Err(Unasked::Unknown),
                    Err(e) => Err(failed(e.to_string())),
                }
            }
            _ => Err(failed("this channel has no refund status API".to_owned())),
        }
    }

    /// The Ping++ refund whose metadata names Kassa's refund `refund`, among the
    /// refunds of `attempt`'s charge.
    async fn find_pingpp_refund(&self, attempt: Id, refund: Id) -> Result<pingpp::Refund, Unasked> {
        let failed = |e: String| Unasked::Failed(e);
        let charge = self
            .attempt_charge(attempt)
            .await
            .map_err(|e| failed(format!("{e:?}")))?
            .ok_or(Unasked::Unknown)?;
        let channels = crate::config::channels(&self.env).map_err(|e| failed(format!("{e:?}")))?;
        let cfg = channels.pingpp().map_err(|e| failed(e.to_string()))?;
        let list = exchange(pingpp::list_refunds(cfg, &charge))
            .await
            .map_err(|e| failed(e.to_string()))?;
        let id = refund.to_string();
        list.into_iter()
            .find(|r| r.kassa_refund() == Some(id.as_str()))
            .ok_or(Unasked::Unknown)
    }

    /// Module docs, "Crash safety": settles an intent a dead run left behind.
    pub(super) async fn recover_refund_intent(
        &self,
        stored: StoredOrder,
    ) -> Result<StoredOrder, EdgeError> {
        let Some(intent) = self.load::<RefundIntent>(REFUND_INTENT_KEY).await? else {
            return Ok(stored);
        };
        if self.refund_in_flight().await? {
            // Its run is alive: it records the outcome itself.
            return Ok(stored);
        }
        let drop_intent = || async { self.state.storage().delete(REFUND_INTENT_KEY).await };
        if stored.order.refunds().get(intent.refund).is_some() {
            drop_intent().await?;
            return Ok(stored);
        }
        let units = intent.amount.unwrap_or(0);
        let mut provider_reference = None;
        let asked = if stored.meta.channel == Provider::Pingpp {
            self.find_pingpp_refund(intent.attempt, intent.refund)
                .await
                .map(|r| {
                    provider_reference = Some(r.id.clone());
                    match r.status.as_str() {
                        "succeeded" => RefundVerdict::Succeeded,
                        "failed" => RefundVerdict::Failed {
                            reason: "Ping++ reports the refund failed".into(),
                        },
                        _ => RefundVerdict::Pending,
                    }
                })
        } else {
            self.ask_refund_at(&stored, intent.attempt, intent.refund, units)
                .await
        };
        let verdict = match asked {
            Ok(v) => v,
            Err(Unasked::Unknown) => {
                self.audit("refund_intent_dropped", &intent.refund.to_string())
                    .await?;
                drop_intent().await?;
                return Ok(stored);
            }
            Err(Unasked::Failed(why)) => {
                self.audit("refund_query_failed", &format!("{}: {why}", intent.refund))
                    .await?;
                return Ok(stored);
            }
        };
        self.audit("refund_recovered", &intent.refund.to_string())
            .await?;
        let meta = RefundMeta {
            attempt: Some(intent.attempt),
            reason: intent.reason.clone(),
            provider_reference,
            ..RefundMeta::default()
        };
        let refund = intent.refund;
        let stored = self.record_requested(stored, refund, units, meta).await?;
        drop_intent().await?;
        self.apply_refund_verdict(stored, refund, &verdict, None)
            .await
    }

    /// Writes `intent` with a lock already stale (the test helper's dead run).
    pub(super) async fn plant_refund_intent(&self, intent: RefundIntent) -> Result<(), EdgeError> {
        let storage = self.state.storage();
        storage
            .put(REFUND_INTENT_KEY, serde_json::to_string(&intent)?)
            .await?;
        let stale = now_ms().saturating_sub(REFUND_LOCK_STALE_MS + 1);
        storage.put(REFUND_LOCK_KEY, stale.to_string()).await?;
        Ok(())
    }

    /// When a left-behind intent may be recovered (its lock gone stale), for the alarm.
    pub(super) async fn refund_intent_due(&self) -> Result<Option<u64>, EdgeError> {
        if self
            .load::<RefundIntent>(REFUND_INTENT_KEY)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let started = self.load::<u64>(REFUND_LOCK_KEY).await?.unwrap_or(0);
        Ok(Some(started.saturating_add(REFUND_LOCK_STALE_MS)))
    }

    async fn mark_asked(&self, refund: Id, now: u64) -> Result<StoredOrder, EdgeError> {
        let mut stored = self.require_order().await?;
        if let Some(m) = stored.refunds.get_mut(&refund) {
            m.asked_ms = Some(now);
        }
        self.save_order(&stored).await?;
        Ok(stored)
    }

    /// `POST /refunds/settle`: the merchant reports the outcome of an S3 refund it made
    /// by hand (module docs). `refund` may be left out when exactly one is open. A
    /// fixed event id per refund and outcome makes a repeated report a no-op.
    pub(super) async fn settle_refund(
        &self,
        refund: Option<Id>,
        outcome: ManualOutcome,
        reference: Option<String>,
    ) -> Result<Response, EdgeError> {
        let stored = self.require_order().await?;
        if stored.meta.channel != Provider::Lianshang {
            let channel = stored.meta.channel;
            let error = not_refundable(format!(
                "order: {channel} refunds are settled by {channel} itself, not by hand"
            ));
            return self.reject(error, "POST refunds/settle").await;
        }
        let open = refunds::open_refunds(&stored.order);
        let refund = match (refund, open.as_slice()) {
            (Some(r), _) if stored.order.refunds().get(r).is_some() => r,
            (Some(_), _) => {
                return Err(EdgeError::api(
                    404,
                    "invalid_request_error",
                    ErrorCode::ResourceMissing,
                    "refund_id: names no refund of this order",
                    Some("refund_id"),
                ));
            }
            (None, [only]) => *only,
            (None, []) => {
                let status = stored.order.status().as_str();
                let error = not_refundable(format!(
                    "order: is {status}; no refund of it is waiting to be settled"
                ));
                return self.reject(error, "POST refunds/settle").await;
            }
            (None, _) => {
                return Err(EdgeError::bad(
                    "refund_id",
                    "refund_id: required when several refunds are open",
                ))
            }
        };
        let detail = format!(
            "{refund} {}",
            reference.as_deref().unwrap_or("(no reference)")
        );
        self.audit("refund_settled_by_merchant", &detail).await?;
        let verdict = match outcome {
            ManualOutcome::Succeeded => RefundVerdict::Succeeded,
            ManualOutcome::Failed => RefundVerdict::Failed {
                reason: "the merchant reports the refund failed".into(),
            },
        };
        let stored = self
            .apply_refund_verdict(stored, refund, &verdict, Some(reference))
            .await?;
        reply(&RefundReply {
            refund,
            order: stored,
        })
    }

    /// Asks Ping++ to refund `amount` of the paid attempt's charge.
    async fn refund_at_pingpp(
        &self,
        stored: &StoredOrder,
        attempt: Id,
        refund: Id,
        amount: &OrderAmount,
    ) -> Result<Raised, EdgeError> {
        let refuse = |detail: &str| refused(Provider::Pingpp, detail);
        let OrderAmount::Fiat(amount) = amount else {
            return Err(EdgeError::Internal(
                "Ping++ order without a fiat amount".into(),
            ));
        };
        let Some(charge) = self.charges().await?.remove(&attempt) else {
            let detail = "no Ping++ charge is recorded for the paid attempt";
            self.audit("refund_refused", detail).await?;
            return Err(refuse(detail));
        };
        let channels = crate::config::channels(&self.env)?;
        let cfg = channels
            .pingpp()
            .map_err(|e| crate::config::channel_refused("pingpp", &e))?;
        let description = format!("Refund of order {}", stored.order.id());
        let kassa_refund = refund.to_string();
        match exchange(pingpp::create_refund(
            cfg,
            &charge,
            amount.minor(),
            &description,
            &kassa_refund,
        ))
        .await
        {
            // Settled by its webhook (confirmed by Ping++'s retrieve), not by this answer.
            Ok(refund) => Ok(Raised::Accepted {
                reference: refund.id,
                verdict: RefundVerdict::Pending,
            }),
            // No answer: Ping++ may have made it; its webhook names the refund id in the
            // metadata (`callback.rs`), and recovery finds it in the charge's list.
            Err(e) if e.is_transport() => Ok(Raised::Unknown(e.to_string())),
            Err(e) => {
                let detail = e.to_string();
                self.audit("refund_refused", &detail).await?;
                Err(refuse(&detail))
            }
        }
    }

    /// Paytm: the payment's `TXNID`, then the Refund API (module docs).
    async fn refund_at_paytm(
        &self,
        reference: &ProviderRef,
        refund: Id,
        amount: &OrderAmount,
    ) -> Result<Raised, EdgeError> {
        let refuse = |detail: &str| refused(Provider::Paytm, detail);
        let OrderAmount::Fiat(amount) = amount else {
            return Err(EdgeError::Internal(
                "Paytm order without a fiat amount".into(),
            ));
        };
        let channels = crate::config::channels(&self.env)?;
        let cfg = channels
            .paytm()
            .map_err(|e| crate::config::channel_refused("paytm", &e))?;
        let salt = || paytm_salt().map_err(|e| EdgeError::Internal(e.to_owned()));
        let status = paytm::status_body(cfg, reference, &salt()?)
            .map_err(|e| EdgeError::Internal(e.to_string()))?;
        let txn_id = match run(status)
            .await
            .map_err(|e| e.to_string())
            .and_then(|body| {
                paytm::refund::paid_txn_id(reference, &body).map_err(|e| e.to_string())
            }) {
            Ok(txn) => txn,
            Err(detail) => {
                self.audit("refund_refused", &detail).await?;
                return Err(refuse(&detail));
            }
        };
        let ask = paytm::refund::RefundAsk {
            reference: *reference,
            txn_id,
            ref_id: refund.to_string(),
            amount: *amount,
        };
        let call = paytm::refund::refund(cfg, &ask, &salt()?)
            .map_err(|e| EdgeError::Internal(e.to_string()))?;
        self.raised(Provider::Paytm, run(call).await.map_err(|e| e.to_string()))
            .await
    }

    /// The wallet's refund call (module docs).
    async fn refund_at_wallet(
        &self,
        reference: &ProviderRef,
        refund: Id,
        amount: &OrderAmount,
    ) -> Result<Raised, EdgeError> {
        let OrderAmount::Token { amount, .. } = amount else {
            return Err(EdgeError::Internal(
                "wallet order without a token amount".into(),
            ));
        };
        let channels = crate::config::channels(&self.env)?;
        let cfg = channels
            .wallet()
            .map_err(|e| crate::config::channel_refused("wallet", &e))?;
        let call = wallet::refund::refund(cfg, &refund.to_string(), reference, amount)
            .map_err(|e| EdgeError::Internal(e.to_string()))?;
        self.raised(Provider::Wallet, run(call).await.map_err(|e| e.to_string()))
            .await
    }

    /// A refund API's answer as [`Raised`]; a refusal is the 502 (module docs).
    async fn raised(
        &self,
        provider: Provider,
        answer: Result<RefundAck, String>,
    ) -> Result<Raised, EdgeError> {
        match answer {
            Ok(RefundAck::Accepted {
                provider_refund,
                verdict,
            }) => Ok(Raised::Accepted {
                reference: provider_refund,
                verdict,
            }),
            Ok(RefundAck::Refused { reason }) => {
                self.audit("refund_refused", &reason).await?;
                Err(refused(provider, &reason))
            }
            Err(why) => Ok(Raised::Unknown(why)),
        }
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
    if !matches!(stored.meta.channel, Provider::Paytm | Provider::Wallet) {
        return None;
    }
    refunds::next_query(&stored.order, &refund_asks(stored), policy)
}
