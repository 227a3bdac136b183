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
//!    API with the callback's `ORDERID` (checked by `s1_paytm::callback::confirmed`),
//!    Ping++'s charge retrieve (`paid`, `order_no` = the reference, amount, currency,
//!    our `app`, and the charge Kassa created for that attempt), the wallet's signed
//!    status query `GET /charges/{reference}` (`SUCCESS`, same trade, token and amount;
//!    Kassa's wallet protocol, `channels/wallet.rs`). Lianshang's seed defines no query
//!    API, so it applies on the verified RSA2 signature and the binding of step 5. A
//!    Ping++ `refund.succeeded` is confirmed with Ping++'s refund retrieve (`GET
//!    /v1/charges/{charge}/refunds/{id}`: `succeed`, that charge, `charge_order_no` =
//!    the reference, the amount). A confirmation that disagrees is refused (409,
//!    audited `callback_unconfirmed`); one that could not be made (network, status API
//!    down) is 503 so the provider retries;
//! 7. a confirmed refund Kassa asked for (its id among those `refund.rs` recorded) must
//!    be of the order's full amount and settles it (`RefundSucceeded`); a confirmed
//!    refund Kassa did not ask for (Ping++'s dashboard) is applied as
//!    `UnrequestedRefund`: the order keeps its status and needs review (audited
//!    `refund_unrequested`, `order.needs_review` webhook, no `order.refunded`);
//! 8. the event is applied through [`OrderObject::apply`], which re-reads the order
//!    (the status query above let other requests run) and commits the order and the
//!    effects it owes (webhook, relay, push) together.

use std::collections::BTreeMap;

use kassa_shared::callback::{self, CallbackAmount, Outcome, Provider, VerifiedCallback};
use kassa_shared::id::Id;
use kassa_shared::providers::s1_paytm::callback as paytm_callback;
use kassa_shared::providers::s2_wallet::notify::NotifyStatus;

use super::*;
use crate::channels::{paytm, pingpp, wallet, ConfigError};
use crate::resources::Channel;

const fn channel_of(p: Provider) -> Channel {
    match p {
        Provider::Paytm => Channel::Paytm,
        Provider::Lianshang => Channel::Lianshang,
        Provider::Pingpp => Channel::Pingpp,
        Provider::Wallet => Channel::Wallet,
    }
}

fn unavailable(provider: Provider, detail: &str) -> EdgeError {
    EdgeError::api(
        503,
        "api_error",
        "provider_unavailable",
        format!("status: {provider}'s status query could not be made ({detail}); retry later"),
        None,
    )
}

/// Attempt id → the `wk_trade_id` S3 createPayOrder answered for it.
const S3_TRADES_KEY: &str = "s3_trades";

fn wrong_account(field: &str, provider: Provider) -> EdgeError {
    EdgeError::Conflict {
        code: "callback_wrong_account",
        message: format!("{field}: names another {provider} account than this edge's"),
    }
}

fn wrong_trade(message: &str) -> EdgeError {
    EdgeError::Conflict {
        code: "callback_wrong_trade",
        message: message.to_owned(),
    }
}

fn unconfirmed(reason: &str) -> EdgeError {
    EdgeError::Conflict {
        code: "callback_unconfirmed",
        message: format!(
            "status: the provider's status query does not confirm this success ({reason})"
        ),
    }
}

impl OrderObject {
    /// `POST /callback` (module docs).
    pub(super) async fn callback(&self, cb: VerifiedCallback) -> Result<Response, EdgeError> {
        let stored = self.require_order().await?;
        // What the audit log may keep: ids the provider chose, never a key or signature.
        let detail = format!("{} {} {}", cb.provider, cb.event_id, cb.reference);
        if stored.meta.channel != channel_of(cb.provider) {
            let error = EdgeError::Conflict {
                code: "callback_wrong_channel",
                message: format!("channel: this order is not paid through {}", cb.provider),
            };
            return self.reject(error, &detail).await;
        }
        if stored.order.has_applied(&cb.event_id) {
            return json_response(
                &CallbackOutcome {
                    result: CallbackResult::Duplicate,
                    status: None,
                    needs_review: None,
                },
                200,
            );
        }
        // Match before confirming, so a mismatching callback costs no status query. A
        // refund's amount is judged once it is known whether Kassa asked for it (step 7).
        let as_confirmed = VerifiedCallback {
            confirm_required: false,
            amount: match cb.outcome {
                Outcome::Refunded => refund_as_matched(stored.order.amount(), &cb.amount),
                _ => cb.amount.clone(),
            },
            ..cb.clone()
        };
        let id = stored.order.id();
        if let Err(e) = callback::to_event(&as_confirmed, id, stored.order.amount()) {
            return self.mismatch(&e, &detail).await;
        }
        if stored.order.attempt(cb.reference.attempt).is_none() {
            let error = EdgeError::Conflict {
                code: "callback_unknown_attempt",
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
        json_response(
            &CallbackOutcome {
                result: CallbackResult::Applied,
                status: Some(stored.order.status()),
                needs_review: None,
            },
            200,
        )
    }

    async fn mismatch(
        &self,
        e: &callback::MismatchError,
        detail: &str,
    ) -> Result<Response, EdgeError> {
        let error = EdgeError::Conflict {
            code: "callback_mismatch",
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
        match cb.provider {
            Provider::Lianshang => {
                let channels = crate::config::channels(&self.env)?;
                let cfg = channels.s3().map_err(internal)?;
                if cb.account.as_deref() != Some(cfg.merchant_id.as_str()) {
                    return Ok(Some(wrong_account("merchant_id", cb.provider)));
                }
                let trades: BTreeMap<Id, String> =
                    self.load(S3_TRADES_KEY).await?.unwrap_or_default();
                Ok(match trades.get(&cb.reference.attempt) {
                    None => Some(wrong_trade(
                        "wk_trade_id: no S3 trade was created for this attempt",
                    )),
                    Some(w) if *w != cb.provider_txn => Some(wrong_trade(
                        "wk_trade_id: is not the trade created for this attempt",
                    )),
                    Some(_) => None,
                })
            }
            Provider::Pingpp => {
                let channels = crate::config::channels(&self.env)?;
                let cfg = channels.pingpp().map_err(internal)?;
                if cb
                    .account
                    .as_deref()
                    .is_some_and(|app| app != cfg.app_id.as_str())
                {
                    return Ok(Some(wrong_account("app", cb.provider)));
                }
                if let Some(charge) = &cb.refunded_txn {
                    let recorded = self.attempt_charge(cb.reference.attempt).await?;
                    if recorded.as_deref() != Some(charge.as_str()) {
                        return Ok(Some(wrong_trade(
                            "charge: is not the Ping++ charge created for this attempt",
                        )));
                    }
                }
                Ok(None)
            }
            Provider::Paytm | Provider::Wallet => Ok(None),
        }
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
            let refund = pulled(
                cb.provider,
                pingpp::retrieve_refund(cfg, &charge, &cb.provider_txn).await,
                |e| matches!(e, pingpp::PingppError::Http { status: 404, .. }),
            )?;
            if !refund.succeed || refund.status != "succeeded" {
                return Err(unconfirmed("the refund has not succeeded at Ping++"));
            }
            if refund.charge_order_no.as_deref() != Some(cb.reference.to_string().as_str()) {
                return Err(unconfirmed("charge_order_no differs"));
            }
            if cb.amount != CallbackAmount::Minor(refund.amount) {
                return Err(unconfirmed("amount differs"));
            }
            Ok::<(), EdgeError>(())
        };
        if let Err(e) = confirmed.await {
            self.audit("callback_unconfirmed", &format!("{detail}: {}", e.code()))
                .await?;
            return Err(e);
        }
        let id = stored.order.id();
        let event = if self.is_requested_refund(&cb.provider_txn).await? {
            match callback::to_event(&cb, id, stored.order.amount()) {
                Ok(event) => event,
                Err(e) => return self.mismatch(&e, detail).await,
            }
        } else {
            if self.refund_in_flight().await? {
                // Possibly the answer to our own request, not yet recorded: retry later.
                return Err(EdgeError::api(
                    503,
                    "api_error",
                    "refund_in_flight",
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
            status: Some(stored.order.status()),
            needs_review: Some(stored.order.needs_review()),
        };
        json_response(&answer, 200)
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
                let body = paytm::status_body(cfg, &cb.reference)
                    .await
                    .map_err(|e| unavailable(cb.provider, &e.to_string()))?;
                paytm_callback::confirmed(cb, &body).map_err(|e| unconfirmed(&e.to_string()))
            }
            Provider::Pingpp => {
                let cfg = channels.pingpp().map_err(internal)?;
                self.confirm_pingpp(cb, cfg).await
            }
            Provider::Wallet => confirm_wallet(cb, channels.wallet().map_err(internal)?).await,
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
        let charge = pulled(
            cb.provider,
            pingpp::retrieve_charge(cfg, &cb.provider_txn).await,
            |e| matches!(e, pingpp::PingppError::Http { status: 404, .. }),
        )?;
        let CallbackAmount::Fiat(amount) = cb.amount else {
            return Err(unconfirmed("amount is not fiat"));
        };
        if !charge.paid {
            return Err(unconfirmed("charge is not paid"));
        }
        if charge.app.as_deref() != Some(cfg.app_id.as_str()) {
            return Err(unconfirmed("the charge belongs to another Ping++ app"));
        }
        if charge.order_no != cb.reference.to_string() {
            return Err(unconfirmed("order_no differs"));
        }
        if !self
            .is_attempt_charge(cb.reference.attempt, &charge.id)
            .await?
        {
            return Err(unconfirmed("not the charge created for this attempt"));
        }
        if charge.amount != amount.minor()
            || !charge
                .currency
                .eq_ignore_ascii_case(amount.currency().code())
        {
            return Err(unconfirmed("amount or currency differs"));
        }
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

/// The wallet's signed status query for the callback's reference: `SUCCESS`, with the
/// callback's trade, token and amount.
async fn confirm_wallet(
    cb: &VerifiedCallback,
    cfg: &wallet::WalletConfig,
) -> Result<VerifiedCallback, EdgeError> {
    let n = pulled(cb.provider, wallet::query(cfg, &cb.reference).await, |e| {
        matches!(e, wallet::WalletError::Http { status: 404, .. })
    })?;
    let CallbackAmount::Token { token, amount } = &cb.amount else {
        return Err(unconfirmed("amount is not a token amount"));
    };
    if n.status != NotifyStatus::Success {
        return Err(unconfirmed("the wallet's payment is not SUCCESS"));
    }
    if n.trade_id != cb.provider_txn {
        return Err(unconfirmed("trade_id differs"));
    }
    let pulled = kassa_shared::money::TokenTable::builtin()
        .parse("amount", &n.token_id, &n.amount)
        .map_err(|e| unconfirmed(&e.to_string()))?;
    if n.token_id != *token || pulled != *amount {
        return Err(unconfirmed("token or amount differs"));
    }
    Ok(cb.clone())
}

/// The amount a refund callback is matched with before it is known whether Kassa asked
/// for it: an unrequested refund may be partial (a dashboard refund of part of the
/// charge still moved money and must reach review), so only a requested one is held to
/// the order's full amount (step 7); the order id is matched either way.
fn refund_as_matched(
    order: &kassa_shared::order::OrderAmount,
    got: &CallbackAmount,
) -> CallbackAmount {
    match order {
        kassa_shared::order::OrderAmount::Fiat(m) => CallbackAmount::Minor(m.minor()),
        kassa_shared::order::OrderAmount::Token { .. } => got.clone(),
    }
}
