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
//! 5. a success is confirmed with the provider's status query, asked about the same
//!    attempt, before it can move the order to Succeeded: Paytm's Transaction Status
//!    API with the callback's `ORDERID` (checked by `s1_paytm::callback::confirmed`),
//!    Ping++'s charge retrieve (`paid`, `order_no` = the reference, amount, currency,
//!    and the charge Kassa created for that attempt), the wallet's signed status query
//!    `GET /charges/{reference}` (`SUCCESS`, same trade, token and amount; Kassa's
//!    wallet protocol, `channels/wallet.rs`). Lianshang's seed defines no query API, so
//!    it applies on the verified RSA signature alone. A confirmation that disagrees is
//!    refused (409, audited `callback_unconfirmed`); one that could not be made
//!    (network, status API down) is 503 so the provider retries;
//! 6. the event is applied through [`OrderObject::apply`], which re-reads the order
//!    (the status query above let other requests run) and commits the order and the
//!    effects it owes (webhook, relay, push) together.

use kassa_shared::callback::{self, CallbackAmount, Outcome, Provider, VerifiedCallback};
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
    EdgeError::Rendered {
        status: 503,
        body: json!({ "error": {
            "type": "api_error",
            "code": "provider_unavailable",
            "message": format!("status: {provider}'s status query could not be made ({detail}); retry later"),
            "param": null,
        }}),
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
            return json_response(&json!({ "result": "duplicate" }), 200);
        }
        // Match before confirming, so a mismatching callback costs no status query.
        let as_confirmed = VerifiedCallback {
            confirm_required: false,
            ..cb.clone()
        };
        let id = stored.order.id();
        if let Err(e) = callback::to_event(&as_confirmed, id, stored.order.amount()) {
            let error = EdgeError::Conflict {
                code: "callback_mismatch",
                message: format!("{}: does not match the order", e.field()),
            };
            return self.reject(error, &format!("{detail}: {e}")).await;
        }
        if stored.order.attempt(cb.reference.attempt).is_none() {
            let error = EdgeError::Conflict {
                code: "callback_unknown_attempt",
                message: "reference: names no payment attempt of this order".into(),
            };
            return self.reject(error, &detail).await;
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
            &json!({ "result": "applied", "status": stored.order.status() }),
            200,
        )
    }

    /// The provider's own word on a success (module docs, step 5).
    async fn confirm(&self, cb: &VerifiedCallback) -> Result<VerifiedCallback, EdgeError> {
        if cb.provider == Provider::Lianshang {
            return Ok(cb.clone());
        }
        let channels = crate::env::channels(&self.env)?;
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
