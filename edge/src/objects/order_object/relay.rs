//! S0 relay delivery (SPEC 3.5, seed S0 §2): every status change the machine announces
//! with `Effect::Relay` waits in the outbox as a `relay` entry and goes out as S0
//! `orderCallBack` from the order's alarm, with the `accessToken` / `uid` / `orgSecret`
//! headers from the environment (`kassa_shared::providers::s0`).
//!
//! - Retried with the webhooks' backoff (`record_attempt`: `KASSA_WEBHOOK_BACKOFF_MS` ·
//!   2ⁿ, capped at one hour) until S0 answers `status: 0, success: true`, for
//!   `KASSA_S0_RELAY_RETRY_SECS` (default 7 days) after the first try; then `failed`.
//!   Every try is in the entry's delivery log (`GET /v1/orders/:id/events`, `relays`).
//! - **In order**: S0 hears `PAY_SUCCESS` before `REFUND_SUCCESS`. Relays go out in
//!   outbox order and a relay that fails holds back the ones after it; only the first
//!   pending relay sets the alarm.
//! - **Once**: the machine emits each S0 status at most once per order and the entry id
//!   (`relay_<order>_<STATUS>`) is unique in the outbox, so S0 hears each status change
//!   once — at least once with retries, and exactly once unless an answer is lost after
//!   S0 recorded the call.
//! - Without `KASSA_S0_URL` relays are not attempted: they stay `pending` (and set no
//!   alarm) until S0 is configured and the order's alarm next runs.

use kassa_shared::providers::s0::status::CallbackStatus;

use super::*;
use crate::channels::{exchange, ChannelConfig};
use kassa_shared::providers::s0;

/// Default relay retry window: S0 is the platform's own record; keep trying a week.
const RELAY_RETRY_SECS: u64 = 7 * 86_400;

/// True when S0 is configured, so relays are delivered.
pub(super) fn enabled(env: &Env) -> bool {
    env::var(env, "KASSA_S0_URL").is_some()
}

/// The relay retry window in ms.
pub(super) fn window_ms(env: &Env) -> u64 {
    env::var_u64(env, "KASSA_S0_RELAY_RETRY_SECS", RELAY_RETRY_SECS).saturating_mul(1000)
}

/// When the relay queue next wants the alarm: the first pending relay's next try (the
/// ones behind it wait for it).
pub(super) fn next_at(outbox: &[OutboxEntry]) -> Option<u64> {
    outbox
        .iter()
        .find(|e| e.kind == OutboxKind::Relay && e.status == DeliveryStatus::Pending)
        .and_then(|e| e.next_attempt_ms)
}

fn callback_status(event_type: &str) -> Option<CallbackStatus> {
    match event_type {
        "PAY_ING" => Some(CallbackStatus::PayIng),
        "PAY_SUCCESS" => Some(CallbackStatus::PaySuccess),
        "REFUND_SUCCESS" => Some(CallbackStatus::RefundSuccess),
        "TRADE_CLOSE" => Some(CallbackStatus::TradeClose),
        _ => None,
    }
}

impl OrderObject {
    /// Sends the due relays of `outbox` in order, stopping at the first failure. Returns
    /// each try, for `record_attempt`.
    pub(super) async fn deliver_relays(
        &self,
        stored: &StoredOrder,
        outbox: &[OutboxEntry],
        now: u64,
    ) -> Vec<(String, DeliveryAttempt)> {
        let mut tries = Vec::new();
        if !enabled(&self.env) {
            return tries;
        }
        let pending = outbox
            .iter()
            .filter(|e| e.kind == OutboxKind::Relay && e.status == DeliveryStatus::Pending);
        for entry in pending {
            if entry.next_attempt_ms.is_none_or(|t| t > now) {
                break;
            }
            let attempt = self.relay_once(stored, entry).await;
            let failed = attempt.error.is_some();
            tries.push((entry.id.clone(), attempt));
            if failed {
                break;
            }
        }
        tries
    }

    async fn relay_once(&self, stored: &StoredOrder, entry: &OutboxEntry) -> DeliveryAttempt {
        let at_ms = now_ms();
        let failed = |url: Option<String>, error: String| DeliveryAttempt {
            at_ms,
            url,
            status_code: None,
            error: Some(error),
        };
        let cfg = match ChannelConfig::from_env(&self.env) {
            Ok(c) => c,
            Err(e) => return failed(env::var(&self.env, "KASSA_S0_URL"), e.to_string()),
        };
        let cfg = match cfg.s0() {
            Ok(c) => c.clone(),
            Err(e) => return failed(None, e.to_string()),
        };
        let url = Some(format!("{}{}", cfg.base_url, s0::ORDER_CALLBACK_PATH));
        let Some(status) = callback_status(&entry.event_type) else {
            // Not an S0 word: nothing will ever deliver it; `url: None` fails it now.
            return failed(None, format!("relay: unknown status {}", entry.event_type));
        };
        let body = s0::order_callback_body(stored.order.id(), status, stored.order.amount());
        match exchange(s0::order_callback(&cfg, &body)).await {
            Ok(()) => DeliveryAttempt {
                at_ms,
                url,
                status_code: Some(200),
                error: None,
            },
            Err(e) => {
                let status_code = match e {
                    s0::S0Error::Http { status, .. } => Some(status),
                    _ => None,
                };
                DeliveryAttempt {
                    at_ms,
                    url,
                    status_code,
                    error: Some(e.to_string()),
                }
            }
        }
    }
}
