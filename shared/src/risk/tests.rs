//! Every rule and every reason code of [`super::evaluate`], one focused case each, plus
//! properties of the decision.

use proptest::prelude::*;

use super::*;
use crate::money::{Currency, Money, TokenAmount};
use crate::second_factor::{LockLimits, SendThrottle, WrongCodeLock};

const NOW: u64 = 1_700_000_000_000;
const MIN: u64 = 60_000;

fn cny(minor: u64) -> Amount {
    Amount::Fiat(Money::new(Currency::Cny, minor))
}

fn usdt(s: &str) -> Amount {
    Amount::Token {
        symbol: "USDT".into(),
        amount: TokenAmount::parse("amount", s, 6).unwrap(),
    }
}

/// The facts of a happy quick pay: small amount, known device, trusted, fresh windows.
struct Facts {
    order: Amount,
    requested: Amount,
    expires: u64,
    user: VelocityWindow,
    ip: VelocityWindow,
    lock: WrongCodeLock,
    device: Option<String>,
    known: Vec<String>,
    trusted: bool,
    last_failed: Option<u64>,
}

impl Facts {
    fn happy() -> Self {
        Self {
            order: cny(5_000),
            requested: cny(5_000),
            expires: NOW + 15 * MIN,
            user: VelocityWindow::default(),
            ip: VelocityWindow::default(),
            lock: WrongCodeLock::default(),
            device: Some("dev-1".into()),
            known: vec!["dev-0".into(), "dev-1".into()],
            trusted: true,
            last_failed: None,
        }
    }

    fn eval(&self, config: &RiskConfig) -> RiskDecision {
        let input = RiskInput {
            order_amount: &self.order,
            requested_amount: &self.requested,
            order_expires_at_ms: self.expires,
            user_velocity: &self.user,
            ip_velocity: &self.ip,
            wrong_codes: &self.lock,
            device_id: self.device.as_deref(),
            known_devices: &self.known,
            user_trusted: self.trusted,
            last_failed_attempt_ms: self.last_failed,
        };
        evaluate(&input, config, NOW)
    }
}

fn window(times: impl IntoIterator<Item = u64>) -> VelocityWindow {
    let mut w = VelocityWindow::default();
    for t in times {
        w.record(t, VELOCITY_WINDOW_MS);
    }
    w
}

#[test]
fn happy_path_allows_quick_pay() {
    let d = Facts::happy().eval(&RiskConfig::default());
    assert!(d.allowed());
    assert!(!d.need_2fa);
    assert!(d.quick_pay_allowed());
    assert_eq!(d.first_block(), None);
    assert_eq!(d.retry_at_ms, None);
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        r#"{"blocked":[],"need_2fa":false,"need_2fa_reasons":[]}"#
    );
}

#[test]
fn amount_mismatch_and_currency_mismatch() {
    let c = RiskConfig::default();
    let mut f = Facts::happy();
    f.requested = cny(4_999);
    assert_eq!(f.eval(&c).blocked, [ReasonCode::AmountMismatch]);
    f.requested = Amount::Fiat(Money::new(Currency::Usd, 5_000));
    assert_eq!(f.eval(&c).blocked, [ReasonCode::CurrencyMismatch]);
    f.requested = usdt("50");
    assert_eq!(f.eval(&c).blocked, [ReasonCode::CurrencyMismatch]);

    f.order = usdt("10");
    f.requested = usdt("10.000001");
    assert_eq!(f.eval(&c).blocked, [ReasonCode::AmountMismatch]);
    // Same value at another precision is the same amount.
    f.requested = Amount::Token {
        symbol: "USDT".into(),
        amount: TokenAmount::parse("amount", "10.00000000", 8).unwrap(),
    };
    assert!(f.eval(&c).allowed());
    f.requested = Amount::Token {
        symbol: "BTC".into(),
        amount: TokenAmount::parse("amount", "10", 8).unwrap(),
    };
    assert_eq!(f.eval(&c).blocked, [ReasonCode::CurrencyMismatch]);
    f.requested = cny(10);
    assert_eq!(f.eval(&c).blocked, [ReasonCode::CurrencyMismatch]);
}

#[test]
fn amount_over_limit_and_limit_missing() {
    let mut c = RiskConfig::default();
    let mut f = Facts::happy();
    f.order = cny(5_000_000);
    f.requested = cny(5_000_000);
    assert!(f.eval(&c).allowed(), "the maximum itself is allowed");
    f.order = cny(5_000_001);
    f.requested = cny(5_000_001);
    let d = f.eval(&c);
    assert_eq!(d.blocked, [ReasonCode::AmountOverLimit]);
    assert_eq!(d.retry_at_ms, None);
    c.max_amount.remove(&Currency::Cny);
    assert_eq!(f.eval(&c).blocked, [ReasonCode::AmountLimitMissing]);
    c.disabled.insert(ReasonCode::AmountOverLimit);
    assert!(f.eval(&c).allowed());

    let c = RiskConfig::default();
    f.order = usdt("50000");
    f.requested = usdt("50000");
    assert!(f.eval(&c).allowed());
    f.order = usdt("50000.000001");
    f.requested = usdt("50000.000001");
    assert_eq!(f.eval(&c).blocked, [ReasonCode::AmountOverLimit]);
    f.order = Amount::Token {
        symbol: "DOGE".into(),
        amount: TokenAmount::parse("amount", "1", 8).unwrap(),
    };
    f.requested = f.order.clone();
    assert_eq!(f.eval(&c).blocked, [ReasonCode::AmountLimitMissing]);
}

#[test]
fn velocity_user_and_ip() {
    let mut c = RiskConfig::default();
    let mut f = Facts::happy();
    // 4 earlier attempts: the 5th is allowed.
    f.user = window((1..=4).map(|i| NOW - i * MIN));
    assert!(f.eval(&c).allowed());
    // 5 earlier attempts within 10 min: the 6th is refused until the oldest leaves.
    f.user = window((1..=5).map(|i| NOW - i * MIN));
    let d = f.eval(&c);
    assert_eq!(d.blocked, [ReasonCode::VelocityUser]);
    assert_eq!(d.retry_at_ms, Some(NOW - 5 * MIN + VELOCITY_WINDOW_MS));
    // Attempts exactly 10 min old no longer count.
    f.user = window(
        (1..=4)
            .map(|i| NOW - i * MIN)
            .chain([NOW - VELOCITY_WINDOW_MS]),
    );
    assert!(f.eval(&c).allowed());

    f.user = VelocityWindow::default();
    f.ip = window((0..20).map(|i| NOW - 9 * MIN + i * 1000));
    let d = f.eval(&c);
    assert_eq!(d.blocked, [ReasonCode::VelocityIp]);
    assert_eq!(d.retry_at_ms, Some(NOW - 9 * MIN + VELOCITY_WINDOW_MS));
    c.disabled.insert(ReasonCode::VelocityIp);
    assert!(f.eval(&c).allowed());
    c.velocity_ip_10m = 21;
    c.disabled.clear();
    assert!(f.eval(&c).allowed());
    c.velocity_user_10m = 1;
    f.user = window([NOW - 1]);
    c.disabled.insert(ReasonCode::VelocityUser);
    assert!(f.eval(&c).allowed());
}

#[test]
fn order_expired() {
    let c = RiskConfig::default();
    let mut f = Facts::happy();
    f.expires = NOW + 1;
    assert!(f.eval(&c).allowed());
    f.expires = NOW;
    let d = f.eval(&c);
    assert_eq!(d.blocked, [ReasonCode::OrderExpired]);
    assert_eq!(d.retry_at_ms, None);
}

#[test]
fn order_locked_and_recent_failures() {
    let c = RiskConfig::default();
    let mut f = Facts::happy();
    let l = LockLimits::default();
    for _ in 0..4 {
        f.lock.record_failure(&l, NOW - MIN).unwrap();
    }
    let d = f.eval(&c);
    assert!(d.allowed());
    assert_eq!(d.need_2fa_reasons, [ReasonCode::RecentFailures]);
    let until = f.lock.record_failure(&l, NOW - MIN).unwrap_err().until_ms;
    let d = f.eval(&c);
    assert_eq!(d.blocked, [ReasonCode::OrderLocked]);
    assert_eq!(d.retry_at_ms, Some(until));
    assert!(!d.quick_pay_allowed());
}

#[test]
fn all_blockers_recorded_in_rule_order() {
    let c = RiskConfig::default();
    let mut f = Facts::happy();
    f.order = cny(9_000_000);
    f.requested = cny(1);
    f.user = window((0..5).map(|i| NOW - i));
    f.ip = window((0..20).map(|i| NOW - i));
    f.expires = NOW - 1;
    for _ in 0..5 {
        let _ = f.lock.record_failure(&LockLimits::default(), NOW);
    }
    let d = f.eval(&c);
    assert_eq!(
        d.blocked,
        [
            ReasonCode::AmountMismatch,
            ReasonCode::AmountOverLimit,
            ReasonCode::VelocityUser,
            ReasonCode::VelocityIp,
            ReasonCode::OrderExpired,
            ReasonCode::OrderLocked,
        ]
    );
    assert_eq!(d.first_block(), Some(ReasonCode::AmountMismatch));
    // Expiry cannot be waited out, so no retry time is offered.
    assert_eq!(d.retry_at_ms, None);
}

/// One change to the happy facts.
type Tweak = Box<dyn Fn(&mut Facts)>;

#[test]
fn need_2fa_reasons_each() {
    let c = RiskConfig::default();
    let cases: Vec<(Tweak, ReasonCode)> = vec![
        (
            Box::new(|f| {
                f.order = cny(10_001);
                f.requested = cny(10_001);
            }),
            ReasonCode::AbovePasswordFreeLimit,
        ),
        (
            Box::new(|f| {
                f.order = usdt("1");
                f.requested = usdt("1");
            }),
            ReasonCode::AbovePasswordFreeLimit,
        ),
        (Box::new(|f| f.device = None), ReasonCode::NewDevice),
        (
            Box::new(|f| f.device = Some(String::new())),
            ReasonCode::NewDevice,
        ),
        (
            Box::new(|f| f.device = Some("dev-9".into())),
            ReasonCode::NewDevice,
        ),
        (
            Box::new(|f| f.last_failed = Some(NOW - 59 * MIN)),
            ReasonCode::RecentFailures,
        ),
        (Box::new(|f| f.trusted = false), ReasonCode::UntrustedUser),
    ];
    for (tweak, want) in cases {
        let mut f = Facts::happy();
        tweak(&mut f);
        let d = f.eval(&c);
        assert!(d.allowed(), "{want}");
        assert!(d.need_2fa, "{want}");
        assert_eq!(d.need_2fa_reasons, [want]);
        assert!(!d.quick_pay_allowed());
    }
    // Boundaries: the free limit itself, and a failure exactly `recent_failure_ms` ago.
    let mut f = Facts::happy();
    f.order = cny(10_000);
    f.requested = cny(10_000);
    f.last_failed = Some(NOW - 60 * MIN);
    assert!(f.eval(&c).quick_pay_allowed());
    // A token with a configured free limit.
    let mut c2 = c.clone();
    c2.password_free_limit_token
        .insert("USDT".into(), TokenAmount::parse("v", "5", 6).unwrap());
    f.order = usdt("5");
    f.requested = usdt("5");
    assert!(f.eval(&c2).quick_pay_allowed());
    // Everything at once, in the documented order.
    let mut f = Facts::happy();
    f.order = cny(20_000);
    f.requested = cny(20_000);
    f.device = None;
    f.last_failed = Some(NOW);
    f.trusted = false;
    assert_eq!(
        f.eval(&c).need_2fa_reasons,
        [
            ReasonCode::AbovePasswordFreeLimit,
            ReasonCode::NewDevice,
            ReasonCode::RecentFailures,
            ReasonCode::UntrustedUser
        ]
    );
}

#[test]
fn code_send_rule_uses_configured_limits() {
    let mut c = RiskConfig::default();
    let mut t = SendThrottle::default();
    try_code_send(&mut t, &c, NOW).unwrap();
    let e = try_code_send(&mut t, &c, NOW + 59_999).unwrap_err();
    assert_eq!(e.reason_code, ReasonCode::CodeSendTooSoon);
    assert_eq!(e.retry_after_ms, 1);
    c.code_send_min_gap_ms = 0;
    c.code_send_per_hour = 2;
    try_code_send(&mut t, &c, NOW + 1).unwrap();
    let e = try_code_send(&mut t, &c, NOW + 2).unwrap_err();
    assert_eq!(e.reason_code, ReasonCode::CodeSendHourlyLimit);
    assert_eq!(e.retry_after_ms, 60 * MIN - 2);
}

/// The decision is a pure function: the same input and `now` always give the same
/// answer, and the decision round-trips through the audit log's JSON.
#[test]
fn decision_round_trips() {
    let mut f = Facts::happy();
    f.trusted = false;
    f.expires = 0;
    let d = f.eval(&RiskConfig::default());
    let json = serde_json::to_string(&d).unwrap();
    assert_eq!(
        json,
        r#"{"blocked":["order_expired"],"need_2fa":true,"need_2fa_reasons":["untrusted_user"]}"#
    );
    assert_eq!(serde_json::from_str::<RiskDecision>(&json).unwrap(), d);
    assert_eq!(f.eval(&RiskConfig::default()), d);
}

proptest! {
    /// A mismatched amount is always blocked; a matching one never for that reason.
    #[test]
    fn amount_rule(order in 0u64..10_000_000, req in 0u64..10_000_000) {
        let mut f = Facts::happy();
        f.order = cny(order);
        f.requested = cny(req);
        let d = f.eval(&RiskConfig::default());
        prop_assert_eq!(d.blocked.contains(&ReasonCode::AmountMismatch), order != req);
        prop_assert_eq!(d.blocked.contains(&ReasonCode::AmountOverLimit), order > 5_000_000);
        prop_assert_eq!(d.need_2fa_reasons.contains(&ReasonCode::AbovePasswordFreeLimit), order > 10_000);
        prop_assert_eq!(d.need_2fa, !d.need_2fa_reasons.is_empty());
    }

    /// Velocity never lets more than the limit of attempts through in any 10 minutes
    /// when the edge records every attempt.
    #[test]
    fn velocity_bounds_attempts(gaps in proptest::collection::vec(0u64..120_000, 1..80)) {
        let c = RiskConfig::default();
        let mut f = Facts::happy();
        f.expires = u64::MAX;
        let mut now = NOW;
        let mut allowed = Vec::new();
        for g in gaps {
            now += g;
            let input = RiskInput {
                order_amount: &f.order,
                requested_amount: &f.requested,
                order_expires_at_ms: f.expires,
                user_velocity: &f.user,
                ip_velocity: &f.ip,
                wrong_codes: &f.lock,
                device_id: None,
                known_devices: &[],
                user_trusted: true,
                last_failed_attempt_ms: None,
            };
            if evaluate(&input, &c, now).allowed() {
                allowed.push(now);
            }
            f.user.record(now, VELOCITY_WINDOW_MS);
        }
        for (i, &start) in allowed.iter().enumerate() {
            let n = allowed[i..].iter().take_while(|&&t| t - start < VELOCITY_WINDOW_MS).count();
            prop_assert!(n <= 5);
        }
    }
}

#[test]
fn amount_serde_shape() {
    let a = cny(5_000);
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(json, r#"{"kind":"fiat","currency":"CNY","minor":5000}"#);
    assert_eq!(serde_json::from_str::<Amount>(&json).unwrap(), a);
    let t = usdt("1.5");
    let json = serde_json::to_string(&t).unwrap();
    assert_eq!(serde_json::from_str::<Amount>(&json).unwrap(), t);
    assert!(
        json.starts_with(r#"{"kind":"token","symbol":"USDT""#),
        "{json}"
    );
}
