//! Callbacks in, the order's half (SPEC 3.4): the Worker (`routes/callbacks.rs`) has
//! verified the provider's signature over the raw body and hands the
//! [`VerifiedCallback`] here, where it is matched, confirmed and applied **once**:
//!
//! 1. the order must exist (404 otherwise, nothing written) and be paid through that
//!    provider's channel;
//! 2. an event id the order already applied (`Order::has_applied`, the provider's
//!    event / notify / transaction id) is a duplicate: answered as success, nothing
//!    changes — providers retry until they see success;
//! 3. `callback::to_event` matches order id, amount and currency; a mismatch is
//!    refused and audited (`callback_mismatch`, what differed; no secrets);
//! 4. the reference must name an attempt the order started (`{order}A{attempt}`, or a
//!    bare order id for the attempt S1 `/pay/preOrder` starts with the order's own id;
//!    `shared::callback::reference`): the event applies to exactly that attempt, so a
//!    late callback of an old attempt never touches a newer one. A reference naming no
//!    started attempt is refused (409 `callback_unknown_attempt`, audited);
//! 5. **binding** (issue 14; SPEC 3.4): Lianshang's platform key and Ping++'s key sign
//!    for every merchant / app on the platform, so a co-tenant's genuine message can
//!    name our reference. A Lianshang notify must name our `merchant_id`
//!    (`KASSA_S3_MERCHANT_ID`) and the `wk_trade_id` createPayOrder returned for that
//!    attempt (kept under `s3_trades` by `pay.rs`; an attempt with none recorded has
//!    no trade a notify could be about). A Ping++ message naming an `app` must name
//!    ours (`KASSA_PINGPP_APP_ID`); a refund must be of the charge Kassa created for the
//!    attempt. Anything else is refused: 409 `callback_wrong_account` /
//!    `callback_wrong_trade`, audited, order untouched;
//! 6. a success is confirmed with the provider's status query, asked about the same
//!    attempt, before it can move the order to Succeeded: Paytm's Transaction Status
//!    API with the callback's `ORDERID` (checked by `paytm::callback::confirmed`),
//!    Ping++'s charge retrieve (`paid`, `order_no` = the reference, amount, currency,
//!    our `app`, and the charge Kassa created for that attempt), the wallet's signed
//!    status query `GET /charges/{reference}` (`SUCCESS`, same trade, token and amount;
//!    Kassa's wallet protocol, `shared::providers::wallet`). Lianshang's seed defines no query
//!    API, so it applies on the verified RSA2 signature and the binding of step 5. A
//!    Ping++ `refund.succeeded` is confirmed with Ping++'s refund retrieve (`GET
//!    /v1/charges/{charge}/refunds/{id}`: `succeed`, that charge, `charge_order_no` =
//!    the reference, the amount). A confirmation that disagrees is refused (409,
//!    audited `callback_unconfirmed`); one that could not be made (network, status API
//!    down) is 503 so the provider retries;
//! 7. a confirmed refund Kassa asked for (its Ping++ id among those `refund.rs`
//!    recorded) must be of that refund's amount and settles it (`RefundSucceeded`); a
//!    confirmed
//!    refund Kassa did not ask for (Ping++'s dashboard) is applied as
//!    `UnrequestedRefund`: the order keeps its status and needs review (audited
//!    `refund_unrequested`, `order.needs_review` webhook, no `order.refunded`);
//! 8. the event is applied through [`OrderObject::apply`], which re-reads the order
//!    (the status query above let other requests run) and commits the order and the
//!    effects it owes (webhook, relay, push) together.

use std::collections::BTreeMap;

use kassa_shared::callback::{self, Outcome, Provider, SettleError, VerifiedCallback};
use kassa_shared::envelope::ErrorCode;
use kassa_shared::id::Id;
use kassa_shared::providers::{lianshang, paytm, pingpp, wallet};

use super::*;
use crate::channels::sign::paytm_salt;
use crate::channels::{run, ConfigError};

fn unavailable(provider: Provider, detail: &str) -> EdgeError {
    EdgeError::api(
        503,
        "api_error",
        ErrorCode::ProviderUnavailable,
        format!("status: {provider}'s status query could not be made ({detail}); retry later"),
        None,
    )
}

/// Attempt id → the `wk_trade_id` S3 createPayOrder answered for it.
const S3_TRADES_KEY: &str = "s3_trades";

fn unconfirmed(reason: &str) -> EdgeError {
    refused(&SettleError::Unconfirmed {
        reason: reason.to_owned(),
    })
}

/// A binding or confirmation refusal (`shared::callback::SettleError`), 409 with its
/// own code; the message is shared's (field and reason).
fn refused(e: &SettleError) -> EdgeError {
    EdgeError::Conflict {
        code: match e {
            SettleError::WrongAccount { .. } => ErrorCode::CallbackWrongAccount,
            SettleError::WrongTrade { .. } => ErrorCode::CallbackWrongTrade,
            SettleError::Unconfirmed { .. } => ErrorCode::CallbackUnconfirmed,
        },
        message: e.to_string(),
    }
}

impl OrderObject {
    /// `POST /callback` (module docs).
    pub(super) async fn callback(&self, cb: VerifiedCallback) -> Result<Response, EdgeError> {
        let stored = self.require_order().await?;
        // What the audit log may keep: ids the provider chose, never a key or signature.
        let detail = format!("{} {} {}", cb.provider, cb.event_id, cb.reference);
        if stored.meta.channel != cb.provider {
            let error = EdgeError::Conflict {
                code: ErrorCode::CallbackWrongChannel,
                message: format!("channel: this order is not paid through {}", cb.provider),
            };
            return self.reject(error, &detail).await;
        }
        if stored.order.has_applied(&cb.event_id) {
            return reply(&CallbackOutcome {
                result: CallbackResult::Duplicate,
                return_url: self.return_url(cb.reference.attempt).await?,
                status: None,
                needs_review: None,
            });
        }
        // Match before confirming, so a mismatching callback costs no status query. A
        // refund's amount is judged once it is known which refund it is (step 7).
        let as_confirmed = VerifiedCallback {
            confirm_required: false,
            ..cb.clone()
        };
        let id = stored.order.id();
        let matched = if cb.outcome == Outcome::Refunded {
            callback::refund_of_order(&as_confirmed, id, stored.order.amount())
        } else {
            callback::to_event(&as_confirmed, id, stored.order.amount()).map(|_| ())
        };
        if let Err(e) = matched {
            return self.mismatch(&e, &detail).await;
        }
        if stored.order.attempt(cb.reference.attempt).is_none() {
            let error = EdgeError::Conflict {
                code: ErrorCode::CallbackUnknownAttempt,
                message: "reference: names no payment attempt of this order".into(),
            };
            return self.reject(error, &detail).await;
        }
        if let Some(refusal) = self.binding_refusal(&cb).await? {
            return self.reject(refusal, &detail).await;
        }
        if cb.outcome == Outcome::Refunded {
            return self.refund_callback(stored, cb, &detail).await;
        }
        let cb = if cb.outcome == Outcome::Succeeded {
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
        let event = callback::to_event(&cb, id, stored.order.amount())
            .map_err(|e| unconfirmed(&e.to_string()))?;
        // The status query awaited the network: `apply` reads the order as it is now.
        let stored = self.apply(stored, event).await?;
        reply(&CallbackOutcome {
            result: CallbackResult::Applied,
            return_url: self.return_url(cb.reference.attempt).await?,
            status: Some(stored.order.status()),
            needs_review: None,
        })
    }

    async fn mismatch(
        &self,
        e: &callback::MismatchError,
        detail: &str,
    ) -> Result<Response, EdgeError> {
        let error = EdgeError::Conflict {
            code: ErrorCode::CallbackMismatch,
            message: format!("{}: does not match the order", e.field()),
        };
        self.reject(error, &format!("{detail}: {e}")).await
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

    /// Step 5 (module docs): why the message is not about our account and this
    /// attempt's trade, if it is not (the outer error is the edge's own).
    async fn binding_refusal(&self, cb: &VerifiedCallback) -> Result<Option<EdgeError>, EdgeError> {
        let internal = |e: ConfigError| EdgeError::Internal(e.to_string());
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
                    Some(_) => self.attempt_charge(cb.reference.attempt).await?,
                    None => None,
                };
                pingpp::callback::bind(cb, &cfg.app_id, recorded.as_deref())
            }
            Provider::Paytm | Provider::Wallet => Ok(()),
        };
        Ok(bound.err().as_ref().map(refused))
    }

    /// Steps 6–8 for a Ping++ `refund.succeeded` whose charge is the attempt's.
    async fn refund_callback(
        &self,
        stored: StoredOrder,
        cb: VerifiedCallback,
        detail: &str,
    ) -> Result<Response, EdgeError> {
        let charge = cb.refunded_txn.clone().unwrap_or_default();
        let confirmed = async {
            let channels = crate::config::channels(&self.env)?;
            let cfg = channels
                .pingpp()
                .map_err(|e| EdgeError::Internal(e.to_string()))?;
            let retrieve = pingpp::retrieve_refund(cfg, &charge, &cb.provider_txn)
                .map_err(|e| unavailable(cb.provider, &e.to_string()))?;
            let refund = pulled(
                cb.provider,
                run(retrieve).await,
                pingpp::PingppError::is_unknown,
            )?;
            pingpp::callback::confirm_refund(&cb, &refund).map_err(|e| refused(&e))?;
            Ok::<pingpp::Refund, EdgeError>(refund)
        };
        let retrieved = match confirmed.await {
            Ok(r) => r,
            Err(e) => {
                self.audit("callback_unconfirmed", &format!("{detail}: {}", e.code()))
                    .await?;
                return Err(e);
            }
        };
        // A refund a dead run raised (`refund.rs`, "Crash safety") is recorded first, so
        // it is recognised below rather than taken for a stranger's.
        self.recover_refund_intent(stored).await?;
        // Read again: the retrieve and the recovery awaited the network, and another run
        // (the alarm's recovery) may have recorded the refund meanwhile.
        let stored = self.require_order().await?;
        let id = stored.order.id();
        // Ours: the `re_…` id Ping++ answered, or the refund id Kassa put in its
        // metadata (a refund whose answer never arrived).
        let ours = stored
            .refunds
            .iter()
            .find(|(refund, m)| {
                m.provider_reference.as_deref() == Some(cb.provider_txn.as_str())
                    || retrieved.kassa_refund() == Some(refund.to_string().as_str())
            })
            .map(|(refund, _)| *refund);
        let event = if let Some(refund) = ours {
            let units = stored
                .order
                .refunds()
                .get(refund)
                .map_or(0, |r| r.amount_of(stored.order.amount().units()));
            let expected = stored
                .order
                .amount()
                .with_units(units)
                .ok_or_else(|| EdgeError::Internal("refund amount out of range".into()))?;
            match callback::refund_event(&cb, id, refund, &expected) {
                Ok(event) => event,
                Err(e) => return self.mismatch(&e, detail).await,
            }
        } else {
            if self.refund_in_flight().await? {
                // Possibly the answer to our own request, not yet recorded: retry later.
                return Err(EdgeError::api(
                    503,
                    "api_error",
                    ErrorCode::RefundInFlight,
                    "refund: a refund request for this order awaits Ping++'s answer; retry later",
                    None,
                ));
            }
            self.audit("refund_unrequested", detail).await?;
            Event::new(
                cb.event_id.clone(),
                EventKind::UnrequestedRefund {
                    provider: cb.provider.as_str().to_owned(),
                },
            )
        };
        let stored = self.apply(stored, event).await?;
        let answer = CallbackOutcome {
            result: CallbackResult::Applied,
            return_url: None,
            status: Some(stored.order.status()),
            needs_review: Some(stored.order.needs_review()),
        };
        reply(&answer)
    }

    /// The provider's own word on a success (module docs, step 6).
    async fn confirm(&self, cb: &VerifiedCallback) -> Result<VerifiedCallback, EdgeError> {
        if cb.provider == Provider::Lianshang {
            return Ok(cb.clone());
        }
        let channels = crate::config::channels(&self.env)?;
        let internal = |e: ConfigError| EdgeError::Internal(e.to_string());
        match cb.provider {
            Provider::Paytm => {
                let cfg = channels.paytm().map_err(internal)?;
                let salt = paytm_salt().map_err(|e| unavailable(cb.provider, e))?;
                let status = paytm::status_body(cfg, &cb.reference, &salt)
                    .map_err(|e| unavailable(cb.provider, &e.to_string()))?;
                let body = run(status)
                    .await
                    .map_err(|e| unavailable(cb.provider, &e.to_string()))?;
                paytm::callback::confirmed(cb, &body).map_err(|e| unconfirmed(&e.to_string()))
            }
            Provider::Pingpp => {
                let cfg = channels.pingpp().map_err(internal)?;
                self.confirm_pingpp(cb, cfg).await
            }
            Provider::Wallet => {
                let cfg = channels.wallet().map_err(internal)?;
                let query = wallet::query(cfg, &cb.reference);
                let pulled = pulled(
                    cb.provider,
                    run(query).await,
                    wallet::WalletError::is_unknown,
                )?;
                wallet::callback::confirm(cb, &pulled).map_err(|e| refused(&e))?;
                Ok(cb.clone())
            }
            Provider::Lianshang => Ok(cb.clone()),
        }
    }

    /// Ping++'s charge retrieve: paid, for this attempt (its `order_no` and the charge
    /// Kassa created for it), with the callback's amount and currency.
    async fn confirm_pingpp(
        &self,
        cb: &VerifiedCallback,
        cfg: &pingpp::PingppConfig,
    ) -> Result<VerifiedCallback, EdgeError> {
        let retrieve = pingpp::retrieve_charge(cfg, &cb.provider_txn)
            .map_err(|e| unavailable(cb.provider, &e.to_string()))?;
        let charge = pulled(
            cb.provider,
            run(retrieve).await,
            pingpp::PingppError::is_unknown,
        )?;
        let ours = self
            .is_attempt_charge(cb.reference.attempt, &charge.id)
            .await?;
        pingpp::callback::confirm_charge(cb, &charge, &cfg.app_id, ours)
            .map_err(|e| refused(&e))?;
        Ok(cb.clone())
    }
}

/// A status query's answer: the provider not knowing the payment (`unknown`, its 404)
/// refuses the callback; any other failure means it could not be asked (503, retried).
fn pulled<T, E: core::fmt::Display>(
    provider: Provider,
    answer: Result<T, E>,
    unknown: impl Fn(&E) -> bool,
) -> Result<T, EdgeError> {
    answer.map_err(|e| {
        if unknown(&e) {
            unconfirmed(&e.to_string())
        } else {
            unavailable(provider, &e.to_string())
        }
    })
}
