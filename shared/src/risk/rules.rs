//! The rules themselves (SPEC 5) and the `need2FA` decision (SPEC 3.1 `quick_pay`,
//! SPEC 5 last sentence), as one pure function of the facts the edge gathered.
//!
//! Blocking rules, in this order (the first is what the shopper is told; all that fire
//! are recorded for the audit log):
//!
//! 1. `amount_mismatch` / `currency_mismatch` — the pay request's amount is exactly the
//!    order's (a tampered widget cannot pay less).
//! 2. `amount_over_limit` / `amount_limit_missing` — at most the per-currency or
//!    per-token maximum; a token with no configured maximum fails closed.
//! 3. `velocity_user`, 4. `velocity_ip` — fewer than the limit of earlier attempts in
//!    the sliding 10 minutes (the current attempt is recorded after evaluation).
//! 5. `order_expired` — `now < expires_at`.
//! 6. `order_locked` — no wrong-code lock in force.
//!
//! `need2FA` reasons: `above_password_free_limit`, `new_device`, `recent_failures`,
//! `untrusted_user`. With none of them `quick_pay` may proceed without a code.

use serde::{Deserialize, Serialize};

use super::velocity::{VelocityWindow, VELOCITY_WINDOW_MS};
use super::{ReasonCode, RiskConfig};
use crate::money::{Money, TokenAmount};
use crate::order::OrderAmount;
use crate::second_factor::{SendThrottle, ThrottleError, WrongCodeLock};

/// An amount as the order or a request states it: fiat in minor units, or a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Amount {
    Fiat(Money),
    Token { symbol: String, amount: TokenAmount },
}

impl From<&OrderAmount> for Amount {
    fn from(amount: &OrderAmount) -> Self {
        match amount {
            OrderAmount::Fiat(m) => Self::Fiat(*m),
            OrderAmount::Token { token, amount } => Self::Token {
                symbol: token.clone(),
                amount: *amount,
            },
        }
    }
}

/// Everything the rules look at. The edge fills it from the `OrderObject`, the
/// `UserObject`, the per-IP window and the request.
#[derive(Debug, Clone, Copy)]
pub struct RiskInput<'a> {
    /// The order's amount.
    pub order_amount: &'a Amount,
    /// The amount the pay request carries (the widget's view of the order).
    pub requested_amount: &'a Amount,
    /// The order's `expired` (unix ms).
    pub order_expires_at_ms: u64,
    /// The user's earlier pay attempts.
    pub user_velocity: &'a VelocityWindow,
    /// The client IP's earlier pay attempts.
    pub ip_velocity: &'a VelocityWindow,
    /// The order's wrong-code counter and lock.
    pub wrong_codes: &'a WrongCodeLock,
    /// The widget's device id, if it sent one.
    pub device_id: Option<&'a str>,
    /// The user's known device ids.
    pub known_devices: &'a [String],
    /// Whether the user is marked trusted (merchant or operator decision).
    pub user_trusted: bool,
    /// The user's last failed pay attempt (declined by a provider), if any.
    pub last_failed_attempt_ms: Option<u64>,
}

/// The engine's answer, stored as is in the order's audit log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskDecision {
    /// Blocking reasons in rule order; empty means the pay may go on to S0 `prePayCheck`.
    pub blocked: Vec<ReasonCode>,
    /// When the latest time-bound blocker (velocity window, lock) lifts, if any applies;
    /// absent when a blocker never lifts by waiting (amount, expiry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at_ms: Option<u64>,
    /// S2 `need2FA` (the audit log spells its own fields in snake case).
    pub need_2fa: bool,
    /// Why a code is needed; empty iff `need_2fa` is false.
    pub need_2fa_reasons: Vec<ReasonCode>,
}

impl RiskDecision {
    /// No blocking rule fired.
    #[must_use]
    pub fn allowed(&self) -> bool {
        self.blocked.is_empty()
    }

    /// The first blocking reason: what the shopper is told.
    #[must_use]
    pub fn first_block(&self) -> Option<ReasonCode> {
        self.blocked.first().copied()
    }

    /// `quick_pay` may pay without a code.
    #[must_use]
    pub fn quick_pay_allowed(&self) -> bool {
        self.allowed() && !self.need_2fa
    }
}

/// Evaluates every rule at `now_ms`.
#[must_use]
pub fn evaluate(input: &RiskInput<'_>, config: &RiskConfig, now_ms: u64) -> RiskDecision {
    let mut d = RiskDecision::default();
    let mut retry_at: Option<u64> = None;
    let mut later = |t: u64| retry_at = Some(retry_at.map_or(t, |r: u64| r.max(t)));

    // 1. Amount and currency exactly the order's.
    match (input.order_amount, input.requested_amount) {
        (Amount::Fiat(o), Amount::Fiat(r)) if o.currency() != r.currency() => {
            d.blocked.push(ReasonCode::CurrencyMismatch);
        }
        (Amount::Fiat(o), Amount::Fiat(r)) if o.minor() != r.minor() => {
            d.blocked.push(ReasonCode::AmountMismatch);
        }
        (Amount::Token { symbol: os, .. }, Amount::Token { symbol: rs, .. }) if os != rs => {
            d.blocked.push(ReasonCode::CurrencyMismatch);
        }
        (Amount::Token { amount: oa, .. }, Amount::Token { amount: ra, .. }) if oa != ra => {
            d.blocked.push(ReasonCode::AmountMismatch);
        }
        (Amount::Fiat(_), Amount::Token { .. }) | (Amount::Token { .. }, Amount::Fiat(_)) => {
            d.blocked.push(ReasonCode::CurrencyMismatch);
        }
        _ => {}
    }

    // 2. Maximum per currency / token; the order's amount is what would be paid.
    if config.enabled(ReasonCode::AmountOverLimit) {
        match input.order_amount {
            Amount::Fiat(m) => match config.max_amount.get(&m.currency()) {
                Some(max) if m.minor() <= *max => {}
                Some(_) => d.blocked.push(ReasonCode::AmountOverLimit),
                None => d.blocked.push(ReasonCode::AmountLimitMissing),
            },
            Amount::Token { symbol, amount } => match config.max_token.get(symbol) {
                Some(max) if amount <= max => {}
                Some(_) => d.blocked.push(ReasonCode::AmountOverLimit),
                None => d.blocked.push(ReasonCode::AmountLimitMissing),
            },
        }
    }

    // 3, 4. Velocity per user and per IP.
    let windows = [
        (
            ReasonCode::VelocityUser,
            input.user_velocity,
            config.velocity_user_10m,
        ),
        (
            ReasonCode::VelocityIp,
            input.ip_velocity,
            config.velocity_ip_10m,
        ),
    ];
    for (rule, window, limit) in windows {
        if !config.enabled(rule) {
            continue;
        }
        let count = window.count(now_ms, VELOCITY_WINDOW_MS);
        if count >= usize::try_from(limit).unwrap_or(usize::MAX) {
            d.blocked.push(rule);
            // The count drops below the limit when the (count - limit + 1)-th oldest
            // attempt leaves the window.
            let mut inside: Vec<u64> = window
                .attempts()
                .iter()
                .copied()
                .filter(|&t| t > now_ms || now_ms - t < VELOCITY_WINDOW_MS)
                .collect();
            inside.sort_unstable();
            let freeing = usize::try_from(limit)
                .ok()
                .and_then(|l| count.checked_sub(l))
                .and_then(|i| inside.get(i).copied());
            if let Some(t) = freeing {
                later(t.saturating_add(VELOCITY_WINDOW_MS));
            }
        }
    }

    // 5. Expiry.
    if now_ms >= input.order_expires_at_ms {
        d.blocked.push(ReasonCode::OrderExpired);
    }

    // 6. Wrong-code lock.
    if let Some(until) = input.wrong_codes.locked_until(now_ms) {
        d.blocked.push(ReasonCode::OrderLocked);
        later(until);
    }
    // A blocker that waiting cannot lift makes a retry time misleading.
    let permanent = d.blocked.iter().any(|r| {
        matches!(
            r,
            ReasonCode::AmountMismatch
                | ReasonCode::CurrencyMismatch
                | ReasonCode::AmountOverLimit
                | ReasonCode::AmountLimitMissing
                | ReasonCode::OrderExpired
        )
    });
    d.retry_at_ms = if permanent { None } else { retry_at };

    d.need_2fa_reasons = need_2fa_reasons(input, config, now_ms);
    d.need_2fa = !d.need_2fa_reasons.is_empty();
    d
}

fn need_2fa_reasons(input: &RiskInput<'_>, config: &RiskConfig, now_ms: u64) -> Vec<ReasonCode> {
    let mut reasons = Vec::new();
    let within_free_limit = match input.order_amount {
        Amount::Fiat(m) => config
            .password_free_limit
            .get(&m.currency())
            .is_some_and(|limit| m.minor() <= *limit),
        Amount::Token { symbol, amount } => config
            .password_free_limit_token
            .get(symbol)
            .is_some_and(|limit| amount <= limit),
    };
    if !within_free_limit {
        reasons.push(ReasonCode::AbovePasswordFreeLimit);
    }
    let known = input
        .device_id
        .is_some_and(|d| !d.is_empty() && input.known_devices.iter().any(|k| k == d));
    if !known {
        reasons.push(ReasonCode::NewDevice);
    }
    let recent =
        |t: Option<u64>| t.is_some_and(|t| t > now_ms || now_ms - t < config.recent_failure_ms);
    if recent(input.wrong_codes.last_failure_ms()) || recent(input.last_failed_attempt_ms) {
        reasons.push(ReasonCode::RecentFailures);
    }
    if !input.user_trusted {
        reasons.push(ReasonCode::UntrustedUser);
    }
    reasons
}

/// The code-send rule (SPEC 5: 60 s apart, at most 5 per user per hour) under the
/// configured limits: checks and, when allowed, records the send in `throttle`.
///
/// # Errors
/// [`ThrottleError`] with `code_send_too_soon` or `code_send_hourly_limit`.
pub fn try_code_send(
    throttle: &mut SendThrottle,
    config: &RiskConfig,
    now_ms: u64,
) -> Result<(), ThrottleError> {
    throttle.try_send(&config.send_limits(), now_ms)
}
