//! S0 relay delivery (SPEC 3.5, seed S0 §2): one S0 `orderCallBack` for a relay the
//! outbox machine (`kassa_shared::flows::outbox`) hands out, with the `accessToken` /
//! `orgSecret` headers from the environment and the order's user as `uid`
//! (`kassa_shared::providers::s0::Uid`: the merchant's user id).
//!
//! The rules are the machine's: relays in order, a failed one holding back the rest,
//! retried with the webhooks' backoff (`KASSA_WEBHOOK_BACKOFF_MS` · 2ⁿ, capped at one
//! hour) until S0 answers `status: 0, success: true`, or until the operator gives up:
//! `KASSA_S0_RELAY_RETRY_SECS` is the cut-off (default 7 days; `forever` for none). The
//! window is measured from a relay's first try and read at every try, so lowering the
//! setting is how an operator gives up on relays already pending (they fail at their
//! next try and stay listed as failed). Relays wait (no alarm) while `KASSA_S0_URL` is
//! unset. Each S0
//! status is relayed at most once per order (`relay_<order>_<STATUS>`): at least once
//! with retries, exactly once unless an answer is lost after S0 recorded the call.

use kassa_shared::flows::outbox::Transmit;
use kassa_shared::order::RelayStatus;
use kassa_shared::providers::s0::status::CallbackStatus;

use super::*;
use crate::channels::{exchange, ChannelConfig, FromEnv};
use kassa_shared::providers::s0;

/// Default relay retry window: S0 is the platform's own record; keep trying a week.
const RELAY_RETRY_SECS: u64 = 7 * 86_400;

/// The relay retry window in ms.
pub(super) fn window_ms(env: &Env) -> u64 {
    config::s0_relay_window_ms(env, RELAY_RETRY_SECS)
}

fn callback_status(status: RelayStatus) -> CallbackStatus {
    match status {
        RelayStatus::PayIng => CallbackStatus::PayIng,
        RelayStatus::PaySuccess => CallbackStatus::PaySuccess,
        RelayStatus::RefundSuccess => CallbackStatus::RefundSuccess,
        RelayStatus::TradeClose => CallbackStatus::TradeClose,
    }
}

impl OrderObject {
    /// One `orderCallBack` for the relay `entry`.
    pub(super) async fn relay_once(
        &self,
        stored: &StoredOrder,
        entry: &Transmit,
    ) -> DeliveryAttempt {
        let at_ms = now_ms();
        let failed = |url: Option<String>, error: String| DeliveryAttempt {
            at_ms,
            url,
            status_code: None,
            error: Some(error),
        };
        let cfg = match ChannelConfig::from_env(&self.env) {
            Ok(c) => c,
            Err(e) => return failed(config::s0_url(&self.env), e.to_string()),
        };
        let cfg = match cfg.s0() {
            Ok(c) => c.clone(),
            Err(e) => return failed(None, e.to_string()),
        };
        let url = Some(format!("{}{}", cfg.base_url, s0::ORDER_CALLBACK_PATH));
        let Some(status) = entry.relay_status().map(callback_status) else {
            // Not an S0 word: nothing will ever deliver it; `url: None` fails it now.
            return failed(None, format!("relay: unknown status {}", entry.event_type));
        };
        let body = s0::order_callback_body(stored.order.id(), status, stored.order.amount());
        let uid = s0::Uid::of_user(&stored.meta.user.id);
        match exchange(s0::order_callback(&cfg, &uid, &body)).await {
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
