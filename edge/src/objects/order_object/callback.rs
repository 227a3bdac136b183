//! Callbacks in, the order's half (SPEC 3.4): the Worker (`routes/callbacks.rs`) has
//! verified the provider's signature over the raw body and hands the
//! [`VerifiedCallback`] here, the driver: it loads the order and what it recorded, asks
//! `shared::callback::order` what the callback may do (channel, duplicate, matching,
//! attempt; a refund's match), carries out each provider's binding (`bind`: the S3 trade
//! `pay.rs` kept under `s3_trades`, our Ping++ app and charge) and confirmation (the
//! provider's status query about the same attempt: Paytm's Transaction Status API,
//! Ping++'s charge or refund retrieve, the wallet's signed status query; Lianshang's seed
//! has none, so its RSA2 signature and binding stand), and applies the event **once**
//! through [`OrderObject::apply`], which re-reads the order (the status query let other
//! requests run) and commits it with the effects it owes (webhook, relay, push).

use core::fmt::Display;
use std::collections::BTreeMap;

use kassa_shared::callback::order::{self as rules, RefundMatch, Rejection, Step};
use kassa_shared::callback::{self, Provider, SettleError, VerifiedCallback};
use kassa_shared::flows::refund_admit::Refused;
use kassa_shared::id::Id;
use kassa_shared::providers::pingpp::PingppError;
use kassa_shared::providers::{lianshang, paytm, pingpp, wallet};

use super::*;
use crate::channels::run;
use crate::channels::sign::paytm_salt;

/// Attempt id → the `wk_trade_id` S3 createPayOrder answered for it.
const S3_TRADES_KEY: &str = "s3_trades";

fn internal(e: impl ToString) -> EdgeError {
    EdgeError::Internal(e.to_string())
}

impl OrderObject {
    /// `POST /callback` (module docs).
    pub(super) async fn callback(&self, cb: VerifiedCallback) -> Result<Response, EdgeError> {
        let stored = self.require_order().await?;
        let detail = rules::audit_detail(&cb);
        let step = match rules::admit(&stored.order, stored.meta.channel, &cb) {
            Ok(step) => step,
            Err(r) => return self.rejected(r, &detail).await,
        };
        let confirm = match step {
            Step::Duplicate => {
                return reply(&CallbackOutcome {
                    result: CallbackResult::Duplicate,
                    return_url: self.return_url(cb.reference.attempt).await?,
                    status: None,
                    needs_review: None,
                })
            }
            Step::Refund => false,
            Step::Apply { confirm } => confirm,
        };
        if let Err(r) = self.bind(&cb).await? {
            return self.rejected(r.into(), &detail).await;
        }
        if step == Step::Refund {
            return self.refund_callback(cb, &detail).await;
        }
        let cb = if confirm {
            match self.confirm(&cb).await {
                Ok(cb) => cb,
                Err(e) => {
                    let reason = format!("{detail}: {}", e.code());
                    self.audit("callback_unconfirmed", &reason).await?;
                    return Err(e);
                }
            }
        } else {
            cb
        };
        let id = stored.order.id();
        let event = callback::to_event(&cb, id, stored.order.amount())
            .map_err(|e| EdgeError::from(rules::unconfirmed(&e.to_string())))?;
        // The status query awaited the network: `apply` reads the order as it is now.
        let stored = self.apply(stored, event).await?;
        reply(&CallbackOutcome {
            result: CallbackResult::Applied,
            return_url: self.return_url(cb.reference.attempt).await?,
            status: Some(stored.order.status()),
            needs_review: None,
        })
    }

    /// Answers a refused callback, audited (with what differed) when it says so.
    async fn rejected(&self, r: Rejection, detail: &str) -> Result<Response, EdgeError> {
        if r.refused.audited {
            let detail = match &r.why {
                Some(why) => format!("{detail}: {why}"),
                None => detail.to_owned(),
            };
            self.audit(r.refused.code(), &detail).await?;
        }
        Err(EdgeError::from(r.refused))
    }

    /// Remembers the S3 trade createPayOrder answered for `attempt` (`pay.rs`).
    pub(super) async fn record_s3_trade(
        &self,
        attempt: Id,
        wk_trade_id: &str,
    ) -> Result<(), EdgeError> {
        let mut trades: BTreeMap<Id, String> = self.load(S3_TRADES_KEY).await?.unwrap_or_default();
        trades.insert(attempt, wk_trade_id.to_owned());
        self.state
            .storage()
            .put(S3_TRADES_KEY, serde_json::to_string(&trades)?)
            .await?;
        Ok(())
    }

    /// Binding (`shared::callback::order`, step 5): whether the message is about our
    /// account and this attempt's trade (the outer error is the edge's own).
    async fn bind(&self, cb: &VerifiedCallback) -> Result<Result<(), Refused>, EdgeError> {
        let bound = match cb.provider {
            Provider::Lianshang => {
                let channels = crate::config::channels(&self.env)?;
                let cfg = channels.s3().map_err(internal)?;
                let trades: BTreeMap<Id, String> =
                    self.load(S3_TRADES_KEY).await?.unwrap_or_default();
                let trade = trades.get(&cb.reference.attempt).map(String::as_str);
                lianshang::callback::bind(cb, &cfg.merchant_id, trade)
            }
            Provider::Pingpp => {
                let channels = crate::config::channels(&self.env)?;
                let cfg = channels.pingpp().map_err(internal)?;
                let recorded = match cb.refunded_txn {
                    Some(_) => self.refund_store().charge(cb.reference.attempt).await?,
                    None => None,
                };
                pingpp::callback::bind(cb, &cfg.app_id, recorded.as_deref())
            }
            Provider::Paytm | Provider::Wallet => Ok(()),
        };
        Ok(bound.map_err(|e| rules::settle_refused(&e)))
    }

    /// Steps 6–8 for a Ping++ `refund.succeeded` whose charge is the attempt's.
    async fn refund_callback(
        &self,
        cb: VerifiedCallback,
        detail: &str,
    ) -> Result<Response, EdgeError> {
        let retrieved = match self.confirm_refund(&cb).await {
            Ok(r) => r,
            Err(e) => {
                self.audit("callback_unconfirmed", &format!("{detail}: {}", e.code()))
                    .await?;
                return Err(e);
            }
        };
        // A refund a dead run raised (`refund.rs`) is recorded first, so it is
        // recognised below rather than taken for a stranger's.
        let stored = self.require_order().await?;
        self.recover_refund_intent(stored).await?;
        // Read again: the retrieve and the recovery awaited the network, and another run
        // (the alarm's recovery) may have recorded the refund meanwhile.
        let stored = self.require_order().await?;
        let in_flight = self.refund_store().in_flight(now_ms()).await?;
        let recorded = stored
            .refunds
            .iter()
            .map(|(id, m)| (*id, m.provider_reference.as_deref()));
        let kassa = retrieved.kassa_refund();
        let event = match rules::refund_match(&stored.order, recorded, &cb, kassa, in_flight) {
            Ok(RefundMatch::Ours(event)) => event,
            Ok(RefundMatch::Unrequested(event)) => {
                self.audit("refund_unrequested", detail).await?;
                event
            }
            Err(r) => return self.rejected(r, detail).await,
        };
        let stored = self.apply(stored, event).await?;
        reply(&CallbackOutcome {
            result: CallbackResult::Applied,
            return_url: None,
            status: Some(stored.order.status()),
            needs_review: Some(stored.order.needs_review()),
        })
    }

    /// Ping++'s refund retrieve, checked against the callback.
    async fn confirm_refund(&self, cb: &VerifiedCallback) -> Result<pingpp::Refund, EdgeError> {
        let down =
            |e: &dyn Display| EdgeError::from(rules::unavailable(cb.provider, &e.to_string()));
        let charge = cb.refunded_txn.clone().unwrap_or_default();
        let channels = crate::config::channels(&self.env)?;
        let cfg = channels.pingpp().map_err(internal)?;
        let retrieve =
            pingpp::retrieve_refund(cfg, &charge, &cb.provider_txn).map_err(|e| down(&e))?;
        let refund = rules::pulled(cb.provider, run(retrieve).await, PingppError::is_unknown)
            .map_err(EdgeError::from)?;
        pingpp::callback::confirm_refund(cb, &refund).map_err(|e| refused(&e))?;
        Ok(refund)
    }

    /// The provider's own word on a success (step 6; Lianshang has no query): the
    /// callback as confirmed.
    async fn confirm(&self, cb: &VerifiedCallback) -> Result<VerifiedCallback, EdgeError> {
        let down =
            |e: &dyn Display| EdgeError::from(rules::unavailable(cb.provider, &e.to_string()));
        let channels = crate::config::channels(&self.env)?;
        match cb.provider {
            Provider::Paytm => {
                let cfg = channels.paytm().map_err(internal)?;
                let salt = paytm_salt().map_err(|e| down(&e))?;
                let status = paytm::status_body(cfg, &cb.reference, &salt).map_err(|e| down(&e))?;
                let body = run(status).await.map_err(|e| down(&e))?;
                paytm::callback::confirmed(cb, &body)
                    .map_err(|e| EdgeError::from(rules::unconfirmed(&e.to_string())))
            }
            Provider::Pingpp => {
                let cfg = channels.pingpp().map_err(internal)?;
                let retrieve =
                    pingpp::retrieve_charge(cfg, &cb.provider_txn).map_err(|e| down(&e))?;
                let charge =
                    rules::pulled(cb.provider, run(retrieve).await, PingppError::is_unknown)
                        .map_err(EdgeError::from)?;
                // Attempts the test helper started have no recorded charge.
                let recorded = self.refund_store().charge(cb.reference.attempt).await?;
                let ours = recorded.is_none_or(|c| c == charge.id);
                pingpp::callback::confirm_charge(cb, &charge, &cfg.app_id, ours)
                    .map_err(|e| refused(&e))?;
                Ok(cb.clone())
            }
            Provider::Wallet => {
                let cfg = channels.wallet().map_err(internal)?;
                let answer = run(wallet::query(cfg, &cb.reference)).await;
                let pulled = rules::pulled(cb.provider, answer, wallet::WalletError::is_unknown)
                    .map_err(EdgeError::from)?;
                wallet::callback::confirm(cb, &pulled).map_err(|e| refused(&e))?;
                Ok(cb.clone())
            }
            Provider::Lianshang => Ok(cb.clone()),
        }
    }
}

fn refused(e: &SettleError) -> EdgeError {
    EdgeError::from(rules::settle_refused(e))
}
