//! Attempts nobody finished (`shared::flows::attempts`, issue 16 item 5): the object
//! asks each open attempt's provider — when a new `pay` arrives (`pay.rs`) and from the
//! alarm once an attempt is a window old (`mod.rs`) — and applies the verdict: a
//! provider-verified success as that provider's callback would be applied (same
//! matching against the order), a decline or no outcome by closing the attempt so the
//! shopper can pay again. `attempts_asked` (attempt id → unix ms) spaces the alarm's
//! asks a window apart while a provider says "in flight".
//!
//! A provider that cannot be asked (network, 5xx) leaves the attempt as it is: nothing
//! is closed on a guess. When the shopper's page loads a processing order (back from
//! the provider), the providers are asked at once, at most every few seconds per
//! attempt, and only a decision (paid, declined) is applied: "no outcome yet" may be a
//! shopper still paying in another tab.

use std::collections::BTreeMap;

use kassa_shared::callback::{Provider, ProviderRef};
use kassa_shared::flows::attempts::{self, Action, AttemptPolicy, Verdict};
use kassa_shared::id::Id;
use kassa_shared::order::OrderAmount;
use kassa_shared::providers::{paytm, pingpp, wallet};

use super::*;
use crate::channels::sign::paytm_salt;
use crate::channels::{run, ConfigError};

const ASKED_KEY: &str = "attempts_asked";

/// Why the provider could not be asked (kept in the audit log, never a secret).
struct Unasked(String);

impl OrderObject {
    /// `KASSA_ATTEMPT_QUERY_AFTER_SECS` (default 600).
    pub(super) fn attempt_policy(&self) -> AttemptPolicy {
        config::attempt_query_after_ms(&self.env).map_or_else(AttemptPolicy::default, |ms| {
            AttemptPolicy { query_after_ms: ms }
        })
    }

    pub(super) async fn attempts_asked(&self) -> Result<BTreeMap<Id, u64>, EdgeError> {
        Ok(self.load(ASKED_KEY).await?.unwrap_or_default())
    }

    /// Asks about every open attempt of the order (`due`: only those whose window has
    /// passed, for the alarm; `None`: all of them, before a new `pay`) and applies what
    /// the providers say. Returns the order as it stands afterwards.
    pub(super) async fn settle_open_attempts(
        &self,
        stored: StoredOrder,
        due: Option<u64>,
    ) -> Result<StoredOrder, EdgeError> {
        let asked = self.attempts_asked().await?;
        let due: Option<Vec<Id>> =
            due.map(|now| attempts::due(&stored.order, &asked, &self.attempt_policy(), now));
        self.settle_open_attempts_where(
            stored,
            |a| due.as_ref().is_none_or(|d| d.contains(&a)),
            true,
        )
        .await
    }

    /// Asks about the open attempts `pick` chooses and applies the verdicts (a "no
    /// outcome" only when `abandon`).
    async fn settle_open_attempts_where(
        &self,
        mut stored: StoredOrder,
        pick: impl Fn(Id) -> bool,
        abandon: bool,
    ) -> Result<StoredOrder, EdgeError> {
        let mut asked = self.attempts_asked().await?;
        let open: Vec<Id> = attempts::open_attempts(&stored.order)
            .into_iter()
            .map(|(a, _)| a)
            .filter(|a| pick(*a))
            .collect();
        for attempt in open {
            let verdict = match self.ask_provider(&stored, attempt).await? {
                Ok(v) => v,
                Err(Unasked(why)) => {
                    self.audit("attempt_query_failed", &format!("{attempt}: {why}"))
                        .await?;
                    continue;
                }
            };
            asked.insert(attempt, now_ms());
            match attempts::action(&stored.order, attempt, &verdict, abandon) {
                Action::Apply { event, audit } => {
                    self.audit(audit.reason, &audit.detail).await?;
                    stored = self.apply(stored, event).await?;
                }
                Action::Leave(Some(audit)) => self.audit(audit.reason, &audit.detail).await?,
                Action::Leave(None) => {}
            }
        }
        attempts::keep_asked(&stored.order, &mut asked);
        self.state
            .storage()
            .put(ASKED_KEY, serde_json::to_string(&asked)?)
            .await?;
        Ok(stored)
    }

    /// The shopper is back from the provider (`load_pay_data` of a processing order):
    /// asks about each open attempt not asked within `attempts::REFRESH_GAP_MS`; only the
    /// provider's decision counts here (`attempts::action`).
    pub(super) async fn refresh_open_attempts(
        &self,
        stored: StoredOrder,
    ) -> Result<StoredOrder, EdgeError> {
        let asked = self.attempts_asked().await?;
        let due = attempts::refresh_due(&stored.order, &asked, now_ms());
        if due.is_empty() {
            return Ok(stored);
        }
        self.settle_open_attempts_where(stored, |a| due.contains(&a), false)
            .await
    }

    /// The provider's word on `attempt` (`Err` when it could not be asked).
    async fn ask_provider(
        &self,
        stored: &StoredOrder,
        attempt: Id,
    ) -> Result<Result<Verdict, Unasked>, EdgeError> {
        let reference = ProviderRef::new(stored.order.id(), attempt);
        let provider = stored.meta.channel;
        // S3's seed defines no query: an unfinished trade has no outcome to ask for.
        if provider == Provider::Lianshang {
            return Ok(Ok(Verdict::NoOutcome));
        }
        let channels = crate::config::channels(&self.env)?;
        let not_configured = |e: ConfigError| EdgeError::Internal(e.to_string());
        Ok(match provider {
            Provider::Paytm => {
                let OrderAmount::Fiat(money) = stored.order.amount() else {
                    return Ok(Ok(Verdict::NoOutcome));
                };
                let cfg = channels.paytm().map_err(not_configured)?;
                let salt = paytm_salt().map_err(|e| EdgeError::Internal(e.to_string()))?;
                let exchange = paytm::status_body(cfg, &reference, &salt)
                    .map_err(|e| EdgeError::Internal(e.to_string()))?;
                match run(exchange).await {
                    Ok(body) => paytm::callback::query_verdict(&reference, money.currency(), &body)
                        .map_err(|e| Unasked(e.to_string())),
                    Err(e) => Err(Unasked(e.to_string())),
                }
            }
            Provider::Pingpp => {
                let cfg = channels.pingpp().map_err(not_configured)?;
                // No charge recorded: Ping++ never accepted one, so nothing can be paid.
                let Some(charge_id) = self.refund_store().charge(attempt).await? else {
                    return Ok(Ok(Verdict::NoOutcome));
                };
                let exchange = pingpp::retrieve_charge(cfg, &charge_id)
                    .map_err(|e| EdgeError::Internal(e.to_string()))?;
                match run(exchange).await {
                    Ok(charge) => {
                        pingpp::callback::charge_verdict(&reference, &charge, &cfg.app_id)
                            .map_err(|e| Unasked(e.to_string()))
                    }
                    Err(e) if e.is_unknown() => Ok(Verdict::NoOutcome),
                    Err(e) => Err(Unasked(e.to_string())),
                }
            }
            Provider::Wallet => {
                let cfg = channels.wallet().map_err(not_configured)?;
                match run(wallet::query(cfg, &reference)).await {
                    Ok(pulled) => wallet::callback::query_verdict(&reference, &pulled)
                        .map_err(|e| Unasked(e.to_string())),
                    Err(e) if e.is_unknown() => Ok(Verdict::NoOutcome),
                    Err(e) => Err(Unasked(e.to_string())),
                }
            }
            Provider::Lianshang => Ok(Verdict::NoOutcome),
        })
    }
}
