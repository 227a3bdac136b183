//! The order's `Idempotency-Key` records (`pay` / `quick_pay`, SPEC 3.1): `idem:<key>`
//! holds a [`PayRecord`], and `idem_keys` the order's [`KeyLedger`] — which keys are
//! still honoured. A key is honoured for `KASSA_IDEMPOTENCY_TTL_SECS` (default 24 h, as
//! Stripe keeps them) and at most `KASSA_IDEMPOTENCY_MAX_KEYS` (default 100) per order,
//! oldest evicted first; an expired or evicted key's record is deleted and the key is
//! new again (decisions in `kassa_shared::idempotency`). Records written before the
//! ledger existed have no entry and count as expired.
//!
//! Lookup and admission use only storage operations, so inside `pay` (between its
//! check and its write) the object's input gate keeps them atomic.

use kassa_shared::idempotency::{KeyLedger, LedgerLimits, DEFAULT_MAX_KEYS, DEFAULT_TTL_MS};

use super::*;
use kassa_shared::flows::pay_answer::PayRecord;

const LEDGER_KEY: &str = "idem_keys";

/// The storage key of `key`'s record.
fn record_key(key: &str) -> String {
    format!("idem:{key}")
}

fn limits(env: &Env) -> LedgerLimits {
    let (ttl_secs, max) = config::idempotency(env, DEFAULT_TTL_MS / 1000, DEFAULT_MAX_KEYS as u64);
    LedgerLimits {
        ttl_ms: ttl_secs.saturating_mul(1000),
        max_keys: usize::try_from(max).unwrap_or(DEFAULT_MAX_KEYS),
    }
}

impl OrderObject {
    /// `key`'s record, if the key is still honoured at `now`.
    pub(super) async fn idem_lookup(
        &self,
        key: &str,
        now: u64,
    ) -> Result<Option<PayRecord>, EdgeError> {
        let ledger: KeyLedger = self.load(LEDGER_KEY).await?.unwrap_or_default();
        if !ledger.is_live(key, now, &limits(&self.env)) {
            return Ok(None);
        }
        self.load(&record_key(key)).await
    }

    /// Admits `key` at `now` with the record of a request with `fingerprint` running, and
    /// deletes the records of the keys that expired or fell off the bound.
    pub(super) async fn idem_start(
        &self,
        key: &str,
        fingerprint: &str,
        now: u64,
    ) -> Result<(), EdgeError> {
        let mut ledger: KeyLedger = self.load(LEDGER_KEY).await?.unwrap_or_default();
        let gone = ledger.admit(key, now, &limits(&self.env));
        let storage = self.state.storage();
        if !gone.is_empty() {
            let keys: Vec<String> = gone.iter().map(|k| record_key(k)).collect();
            storage.delete_multiple(keys).await?;
        }
        storage
            .put(LEDGER_KEY, serde_json::to_string(&ledger)?)
            .await?;
        let rec = PayRecord::running(fingerprint);
        storage
            .put(&record_key(key), serde_json::to_string(&rec)?)
            .await?;
        Ok(())
    }

    /// Stores `key`'s finished record, or deletes it (`PayRecord::finished`: a 5xx is
    /// not the request's answer).
    pub(super) async fn idem_finish(
        &self,
        key: &str,
        rec: Option<PayRecord>,
    ) -> Result<(), EdgeError> {
        let storage = self.state.storage();
        match rec {
            Some(rec) => {
                storage
                    .put(&record_key(key), serde_json::to_string(&rec)?)
                    .await?;
            }
            None => {
                storage.delete(&record_key(key)).await?;
            }
        }
        Ok(())
    }
}
