//! The storage keys the refund flow owns, typed: `pingpp_charges` (attempt id → the
//! Ping++ charge Kassa created for it, for its refund and its callbacks), `refund_lock`
//! (the unix ms a refund call began, while one runs) and `refund_intent` (a refund about
//! to be asked of a provider, until its outcome is recorded; `shared::flows::refunds`,
//! "Crash safety").

use std::collections::BTreeMap;

use worker::Storage;

use kassa_shared::flows::refunds::RefundIntent;
use kassa_shared::id::Id;

use crate::error::EdgeError;

const CHARGES_KEY: &str = "pingpp_charges";
pub(super) const LOCK_KEY: &str = "refund_lock";
const INTENT_KEY: &str = "refund_intent";
/// As `pay_lock`: older than this, the run that took it died.
pub(super) const LOCK_STALE_MS: u64 = 60_000;

/// The refund flow's keys in the order object's storage.
pub(in crate::objects::order_object) struct RefundStore(pub Storage);

impl RefundStore {
    async fn load<T: for<'de> serde::Deserialize<'de>>(
        &self,
        key: &str,
    ) -> Result<Option<T>, EdgeError> {
        match self.0.get::<String>(key).await? {
            Some(s) => Ok(Some(serde_json::from_str(&s)?)),
            None => Ok(None),
        }
    }

    async fn charges(&self) -> Result<BTreeMap<Id, String>, EdgeError> {
        Ok(self.load(CHARGES_KEY).await?.unwrap_or_default())
    }

    /// The Ping++ charge Kassa created for `attempt`, if any.
    pub async fn charge(&self, attempt: Id) -> Result<Option<String>, EdgeError> {
        Ok(self.charges().await?.remove(&attempt))
    }

    /// Remembers the Ping++ charge created for `attempt`.
    pub async fn record_charge(&self, attempt: Id, charge: &str) -> Result<(), EdgeError> {
        let mut charges = self.charges().await?;
        charges.insert(attempt, charge.to_owned());
        self.0
            .put(CHARGES_KEY, serde_json::to_string(&charges)?)
            .await?;
        Ok(())
    }

    /// A refund request of ours is still awaiting its provider's answer (a live lock).
    pub async fn in_flight(&self, now: u64) -> Result<bool, EdgeError> {
        Ok(self
            .load::<u64>(LOCK_KEY)
            .await?
            .is_some_and(|started| now.saturating_sub(started) < LOCK_STALE_MS))
    }

    pub async fn release_lock(&self) -> Result<(), EdgeError> {
        self.0.delete(LOCK_KEY).await?;
        Ok(())
    }

    pub async fn intent(&self) -> Result<Option<RefundIntent>, EdgeError> {
        self.load(INTENT_KEY).await
    }

    pub async fn put_intent(&self, intent: &RefundIntent) -> Result<(), EdgeError> {
        self.0
            .put(INTENT_KEY, serde_json::to_string(intent)?)
            .await?;
        Ok(())
    }

    pub async fn clear_intent(&self) -> Result<(), EdgeError> {
        self.0.delete(INTENT_KEY).await?;
        Ok(())
    }

    /// Writes `intent` with a lock already stale at `now` (the test helper's dead run).
    pub async fn plant(&self, intent: &RefundIntent, now: u64) -> Result<(), EdgeError> {
        self.put_intent(intent).await?;
        let stale = now.saturating_sub(LOCK_STALE_MS + 1);
        self.0.put(LOCK_KEY, stale.to_string()).await?;
        Ok(())
    }

    /// When a left-behind intent may be recovered (its lock gone stale), for the alarm.
    pub async fn intent_due(&self) -> Result<Option<u64>, EdgeError> {
        if self.intent().await?.is_none() {
            return Ok(None);
        }
        let started = self.load::<u64>(LOCK_KEY).await?.unwrap_or(0);
        Ok(Some(started.saturating_add(LOCK_STALE_MS)))
    }
}
