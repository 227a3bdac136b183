//! Risk configuration (SPEC 5: "each configurable"): limits with defaults, read from
//! the string variables wrangler passes to the Worker (`[vars]` in `wrangler.toml`).
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `KASSA_RISK_MAX_AMOUNT_<CUR>` | per-pay maximum, minor units (`CNY` fen) | CNY 5 000 000, INR 20 000 000, USD/EUR 1 000 000, JPY 1 000 000 |
//! | `KASSA_RISK_MAX_TOKEN_<SYM>` | per-pay maximum, token units (`"0.5"`) | BTC 1, ETH 20, USDT 50 000 |
//! | `KASSA_RISK_PASSWORD_FREE_LIMIT_<CUR>` | `quick_pay` without a code up to (inclusive), minor units | CNY 10 000, INR 100 000, USD/EUR 1 500, JPY 2 000 |
//! | `KASSA_RISK_PASSWORD_FREE_LIMIT_TOKEN_<SYM>` | the same for a token, token units | none: tokens always need a code |
//! | `KASSA_RISK_VELOCITY_USER_10M` | pay attempts per user per sliding 10 min | 5 |
//! | `KASSA_RISK_VELOCITY_IP_10M` | pay attempts per IP per sliding 10 min | 20 |
//! | `KASSA_RISK_MAX_WRONG_CODES` | wrong codes per order before the lock | 5 |
//! | `KASSA_RISK_CODE_LOCK_SECS` | lock duration | 900 |
//! | `KASSA_RISK_CODE_SEND_MIN_GAP_SECS` | minimum gap between code sends per user | 60 |
//! | `KASSA_RISK_CODE_SEND_PER_HOUR` | code sends per user per rolling hour | 5 |
//! | `KASSA_RISK_RECENT_FAILURE_SECS` | a failure this recent forces a code | 3600 |
//! | `KASSA_RISK_DISABLED_RULES` | comma list of rules to switch off: `amount_over_limit`, `velocity_user`, `velocity_ip` | empty |
//!
//! `<CUR>` is an ISO code Kassa knows (`CNY`, `INR`, `USD`, `EUR`, `JPY`); `<SYM>` a
//! symbol of the token table. Numbers are plain ASCII digits (no sign, blanks, `_`).
//! The amount match, expiry and wrong-code lock cannot be disabled: they protect money,
//! not convenience. A bad value is an error naming the variable and the reason, so a
//! mistyped deploy fails at start-up instead of running with a silent default.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::ReasonCode;
use crate::money::{Currency, TokenAmount, TokenTable};
use crate::second_factor::{LockLimits, SendLimits};

/// Prefix of every risk variable; [`RiskConfig::from_vars`] rejects unknown ones.
pub const PREFIX: &str = "KASSA_RISK_";

/// Why the configuration was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{variable}: {reason}")]
    Invalid { variable: String, reason: String },
    #[error("{variable}: unknown risk variable (known: KASSA_RISK_MAX_AMOUNT_<CUR>, KASSA_RISK_MAX_TOKEN_<SYM>, KASSA_RISK_PASSWORD_FREE_LIMIT_<CUR>, KASSA_RISK_PASSWORD_FREE_LIMIT_TOKEN_<SYM>, KASSA_RISK_VELOCITY_USER_10M, KASSA_RISK_VELOCITY_IP_10M, KASSA_RISK_MAX_WRONG_CODES, KASSA_RISK_CODE_LOCK_SECS, KASSA_RISK_CODE_SEND_MIN_GAP_SECS, KASSA_RISK_CODE_SEND_PER_HOUR, KASSA_RISK_RECENT_FAILURE_SECS, KASSA_RISK_DISABLED_RULES)")]
    UnknownVariable { variable: String },
}

fn invalid(variable: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        variable: variable.to_owned(),
        reason: reason.into(),
    }
}

/// Rules that may be switched off with `KASSA_RISK_DISABLED_RULES`.
pub const DISABLEABLE: [ReasonCode; 3] = [
    ReasonCode::AmountOverLimit,
    ReasonCode::VelocityUser,
    ReasonCode::VelocityIp,
];

/// The risk engine's limits. Amounts are integers (minor units) or exact token amounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskConfig {
    pub max_amount: BTreeMap<Currency, u64>,
    pub max_token: BTreeMap<String, TokenAmount>,
    pub password_free_limit: BTreeMap<Currency, u64>,
    pub password_free_limit_token: BTreeMap<String, TokenAmount>,
    pub velocity_user_10m: u32,
    pub velocity_ip_10m: u32,
    pub max_wrong_codes: u32,
    pub code_lock_ms: u64,
    pub code_send_min_gap_ms: u64,
    pub code_send_per_hour: u32,
    pub recent_failure_ms: u64,
    pub disabled: BTreeSet<ReasonCode>,
}

impl Default for RiskConfig {
    fn default() -> Self {
        let tokens = TokenTable::builtin();
        let max_token = [("BTC", 1u128), ("ETH", 20), ("USDT", 50_000)]
            .into_iter()
            .filter_map(|(sym, whole)| {
                let p = tokens.precision(sym)?;
                let units = whole.checked_mul(10u128.checked_pow(p)?)?;
                Some((sym.to_owned(), TokenAmount::new(units, p).ok()?))
            })
            .collect();
        Self {
            max_amount: [
                (Currency::Cny, 5_000_000),
                (Currency::Inr, 20_000_000),
                (Currency::Usd, 1_000_000),
                (Currency::Eur, 1_000_000),
                (Currency::Jpy, 1_000_000),
            ]
            .into(),
            max_token,
            password_free_limit: [
                (Currency::Cny, 10_000),
                (Currency::Inr, 100_000),
                (Currency::Usd, 1_500),
                (Currency::Eur, 1_500),
                (Currency::Jpy, 2_000),
            ]
            .into(),
            password_free_limit_token: BTreeMap::new(),
            velocity_user_10m: 5,
            velocity_ip_10m: 20,
            max_wrong_codes: crate::second_factor::throttle::DEFAULT_MAX_WRONG_CODES,
            code_lock_ms: crate::second_factor::throttle::DEFAULT_LOCK_MS,
            code_send_min_gap_ms: crate::second_factor::throttle::DEFAULT_SEND_MIN_GAP_MS,
            code_send_per_hour: crate::second_factor::throttle::DEFAULT_SENDS_PER_HOUR,
            recent_failure_ms: 60 * 60 * 1000,
            disabled: BTreeSet::new(),
        }
    }
}

fn parse_u64(variable: &str, value: &str, min: u64) -> Result<u64, ConfigError> {
    if value.is_empty() {
        return Err(invalid(variable, "must not be empty"));
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            variable,
            format!(
                "{value:?} must be a whole number of ASCII digits 0-9 (no sign, blanks, '.', '_')"
            ),
        ));
    }
    let n: u64 = value
        .parse()
        .map_err(|_| invalid(variable, format!("{value:?} is too large")))?;
    if n < min {
        return Err(invalid(variable, format!("{n} is below the minimum {min}")));
    }
    Ok(n)
}

fn parse_u32(variable: &str, value: &str, min: u32) -> Result<u32, ConfigError> {
    let n = parse_u64(variable, value, u64::from(min))?;
    u32::try_from(n).map_err(|_| invalid(variable, format!("{n} is too large")))
}

fn secs_to_ms(variable: &str, secs: u64) -> Result<u64, ConfigError> {
    secs.checked_mul(1000)
        .ok_or_else(|| invalid(variable, format!("{secs} seconds is too large")))
}

fn parse_token(
    variable: &str,
    value: &str,
    symbol: &str,
    tokens: &TokenTable,
) -> Result<TokenAmount, ConfigError> {
    // MoneyError names its field; here the field is the variable, so keep only the reason.
    tokens.parse("value", symbol, value).map_err(|e| {
        let msg = e.to_string();
        let reason = msg.strip_prefix("value: ").unwrap_or(&msg).to_owned();
        invalid(variable, reason)
    })
}

fn parse_disabled(variable: &str, value: &str) -> Result<BTreeSet<ReasonCode>, ConfigError> {
    let mut out = BTreeSet::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let code = ReasonCode::from_str_code(part)
            .filter(|c| DISABLEABLE.contains(c))
            .ok_or_else(|| {
                invalid(
                    variable,
                    format!("{part:?} is not a rule that can be disabled (amount_over_limit, velocity_user, velocity_ip)"),
                )
            })?;
        out.insert(code);
    }
    Ok(out)
}

impl RiskConfig {
    /// Reads every known variable through `lookup` (the Worker's `env.var(name)`),
    /// starting from [`RiskConfig::default`]; token variables are looked up for every
    /// symbol of `tokens`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the first bad variable and the reason.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        tokens: &TokenTable,
    ) -> Result<Self, ConfigError> {
        let mut c = Self::default();
        for cur in Currency::ALL {
            let var = format!("{PREFIX}MAX_AMOUNT_{}", cur.code());
            if let Some(v) = lookup(&var) {
                c.max_amount.insert(cur, parse_u64(&var, &v, 0)?);
            }
            let var = format!("{PREFIX}PASSWORD_FREE_LIMIT_{}", cur.code());
            if let Some(v) = lookup(&var) {
                c.password_free_limit.insert(cur, parse_u64(&var, &v, 0)?);
            }
        }
        for (sym, _) in tokens.iter() {
            let var = format!("{PREFIX}MAX_TOKEN_{sym}");
            if let Some(v) = lookup(&var) {
                c.max_token
                    .insert(sym.to_owned(), parse_token(&var, &v, sym, tokens)?);
            }
            let var = format!("{PREFIX}PASSWORD_FREE_LIMIT_TOKEN_{sym}");
            if let Some(v) = lookup(&var) {
                c.password_free_limit_token
                    .insert(sym.to_owned(), parse_token(&var, &v, sym, tokens)?);
            }
        }
        let var = |name: &str| format!("{PREFIX}{name}");
        let get = |name: &str| lookup(&var(name)).map(|v| (var(name), v));
        if let Some((k, v)) = get("VELOCITY_USER_10M") {
            c.velocity_user_10m = parse_u32(&k, &v, 1)?;
        }
        if let Some((k, v)) = get("VELOCITY_IP_10M") {
            c.velocity_ip_10m = parse_u32(&k, &v, 1)?;
        }
        if let Some((k, v)) = get("MAX_WRONG_CODES") {
            c.max_wrong_codes = parse_u32(&k, &v, 1)?;
        }
        if let Some((k, v)) = get("CODE_LOCK_SECS") {
            c.code_lock_ms = secs_to_ms(&k, parse_u64(&k, &v, 1)?)?;
        }
        if let Some((k, v)) = get("CODE_SEND_MIN_GAP_SECS") {
            c.code_send_min_gap_ms = secs_to_ms(&k, parse_u64(&k, &v, 0)?)?;
        }
        if let Some((k, v)) = get("CODE_SEND_PER_HOUR") {
            c.code_send_per_hour = parse_u32(&k, &v, 1)?;
        }
        if let Some((k, v)) = get("RECENT_FAILURE_SECS") {
            c.recent_failure_ms = secs_to_ms(&k, parse_u64(&k, &v, 0)?)?;
        }
        if let Some((k, v)) = get("DISABLED_RULES") {
            c.disabled = parse_disabled(&k, &v)?;
        }
        Ok(c)
    }

    /// Like [`RiskConfig::from_lookup`] over a full list of variables, also rejecting any
    /// `KASSA_RISK_*` name it does not know (a typo would otherwise be ignored). Other
    /// names are skipped.
    ///
    /// # Errors
    /// [`ConfigError::UnknownVariable`] or [`ConfigError::Invalid`].
    pub fn from_vars<K: AsRef<str>, V: AsRef<str>>(
        vars: impl IntoIterator<Item = (K, V)>,
        tokens: &TokenTable,
    ) -> Result<Self, ConfigError> {
        let map: BTreeMap<String, String> = vars
            .into_iter()
            .filter(|(k, _)| k.as_ref().starts_with(PREFIX))
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
            .collect();
        let known = Self::known_variables(tokens);
        if let Some(unknown) = map.keys().find(|k| !known.contains(k.as_str())) {
            return Err(ConfigError::UnknownVariable {
                variable: unknown.clone(),
            });
        }
        Self::from_lookup(|k| map.get(k).cloned(), tokens)
    }

    /// Every variable name this configuration reads for `tokens`.
    #[must_use]
    pub fn known_variables(tokens: &TokenTable) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = [
            "VELOCITY_USER_10M",
            "VELOCITY_IP_10M",
            "MAX_WRONG_CODES",
            "CODE_LOCK_SECS",
            "CODE_SEND_MIN_GAP_SECS",
            "CODE_SEND_PER_HOUR",
            "RECENT_FAILURE_SECS",
            "DISABLED_RULES",
        ]
        .iter()
        .map(|n| format!("{PREFIX}{n}"))
        .collect();
        for cur in Currency::ALL {
            out.insert(format!("{PREFIX}MAX_AMOUNT_{}", cur.code()));
            out.insert(format!("{PREFIX}PASSWORD_FREE_LIMIT_{}", cur.code()));
        }
        for (sym, _) in tokens.iter() {
            out.insert(format!("{PREFIX}MAX_TOKEN_{sym}"));
            out.insert(format!("{PREFIX}PASSWORD_FREE_LIMIT_TOKEN_{sym}"));
        }
        out
    }

    /// The code-send throttle's limits.
    #[must_use]
    pub fn send_limits(&self) -> SendLimits {
        SendLimits {
            min_gap_ms: self.code_send_min_gap_ms,
            per_hour: self.code_send_per_hour,
        }
    }

    /// The wrong-code lock's limits.
    #[must_use]
    pub fn lock_limits(&self) -> LockLimits {
        LockLimits {
            max_wrong: self.max_wrong_codes,
            lock_ms: self.code_lock_ms,
        }
    }

    /// Whether `rule` is switched on.
    #[must_use]
    pub fn enabled(&self, rule: ReasonCode) -> bool {
        !self.disabled.contains(&rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Result<RiskConfig, ConfigError> {
        RiskConfig::from_vars(pairs.iter().copied(), &TokenTable::builtin())
    }

    #[test]
    fn defaults() {
        let c = RiskConfig::default();
        assert_eq!(c.max_amount[&Currency::Cny], 5_000_000);
        assert_eq!(c.password_free_limit[&Currency::Cny], 10_000);
        assert_eq!(c.velocity_user_10m, 5);
        assert_eq!(c.velocity_ip_10m, 20);
        assert_eq!(c.lock_limits(), LockLimits::default());
        assert_eq!(c.send_limits(), SendLimits::default());
        assert_eq!(c.max_token["BTC"].to_string(), "1");
        assert_eq!(vars(&[]).unwrap(), c);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<RiskConfig>(&json).unwrap(), c);
    }

    #[test]
    fn parses_every_variable() {
        let c = vars(&[
            ("KASSA_RISK_MAX_AMOUNT_CNY", "5000000"),
            ("KASSA_RISK_MAX_AMOUNT_USD", "250000"),
            ("KASSA_RISK_MAX_TOKEN_USDT", "1000.5"),
            ("KASSA_RISK_VELOCITY_USER_10M", "3"),
            ("KASSA_RISK_VELOCITY_IP_10M", "40"),
            ("KASSA_RISK_PASSWORD_FREE_LIMIT_CNY", "20000"),
            ("KASSA_RISK_PASSWORD_FREE_LIMIT_TOKEN_USDT", "10"),
            ("KASSA_RISK_MAX_WRONG_CODES", "3"),
            ("KASSA_RISK_CODE_LOCK_SECS", "600"),
            ("KASSA_RISK_CODE_SEND_MIN_GAP_SECS", "30"),
            ("KASSA_RISK_CODE_SEND_PER_HOUR", "10"),
            ("KASSA_RISK_RECENT_FAILURE_SECS", "0"),
            (
                "KASSA_RISK_DISABLED_RULES",
                "velocity_ip, amount_over_limit",
            ),
            ("OTHER_VAR", "ignored"),
        ])
        .unwrap();
        assert_eq!(c.max_amount[&Currency::Usd], 250_000);
        assert_eq!(
            c.max_token["USDT"],
            TokenAmount::new(1_000_500_000, 6).unwrap()
        );
        assert_eq!(c.velocity_user_10m, 3);
        assert_eq!(c.velocity_ip_10m, 40);
        assert_eq!(c.password_free_limit[&Currency::Cny], 20_000);
        assert_eq!(c.password_free_limit_token["USDT"].to_string(), "10");
        assert_eq!(
            c.lock_limits(),
            LockLimits {
                max_wrong: 3,
                lock_ms: 600_000
            }
        );
        assert_eq!(
            c.send_limits(),
            SendLimits {
                min_gap_ms: 30_000,
                per_hour: 10
            }
        );
        assert_eq!(c.recent_failure_ms, 0);
        assert!(!c.enabled(ReasonCode::VelocityIp));
        assert!(!c.enabled(ReasonCode::AmountOverLimit));
        assert!(c.enabled(ReasonCode::VelocityUser));
    }

    #[test]
    fn errors_name_the_variable_and_reason() {
        let cases: &[(&str, &str, &str)] = &[
            ("KASSA_RISK_MAX_AMOUNT_CNY", "", "must not be empty"),
            ("KASSA_RISK_MAX_AMOUNT_CNY", "-1", "ASCII digits"),
            ("KASSA_RISK_MAX_AMOUNT_CNY", "50.00", "ASCII digits"),
            ("KASSA_RISK_MAX_AMOUNT_CNY", " 5", "ASCII digits"),
            (
                "KASSA_RISK_MAX_AMOUNT_CNY",
                "99999999999999999999",
                "too large",
            ),
            ("KASSA_RISK_VELOCITY_USER_10M", "0", "below the minimum 1"),
            ("KASSA_RISK_VELOCITY_IP_10M", "4294967296", "too large"),
            (
                "KASSA_RISK_CODE_LOCK_SECS",
                "18446744073709551615",
                "too large",
            ),
            (
                "KASSA_RISK_MAX_TOKEN_BTC",
                "0.000000001",
                "more than 8 decimals",
            ),
            ("KASSA_RISK_MAX_TOKEN_BTC", "1e3", "exponent"),
            (
                "KASSA_RISK_DISABLED_RULES",
                "order_expired",
                "cannot be disabled",
            ),
            (
                "KASSA_RISK_DISABLED_RULES",
                "velocity_users",
                "cannot be disabled",
            ),
        ];
        for (var, value, reason) in cases {
            let err = vars(&[(var, value)]).unwrap_err();
            let msg = err.to_string();
            assert!(msg.starts_with(&format!("{var}: ")), "{msg}");
            if reason.contains("cannot") {
                assert!(msg.contains("is not a rule that can be disabled"), "{msg}");
            } else {
                assert!(msg.contains(reason), "{var}={value}: {msg}");
            }
        }
        let err = vars(&[("KASSA_RISK_VELOCITY_USER_1M", "5")]).unwrap_err();
        assert_eq!(
            err,
            ConfigError::UnknownVariable {
                variable: "KASSA_RISK_VELOCITY_USER_1M".into()
            }
        );
        assert!(err
            .to_string()
            .starts_with("KASSA_RISK_VELOCITY_USER_1M: unknown"));
    }

    #[test]
    fn lookup_reads_only_known_names() {
        let c = RiskConfig::from_lookup(
            |k| (k == "KASSA_RISK_VELOCITY_IP_10M").then(|| "7".to_owned()),
            &TokenTable::builtin(),
        )
        .unwrap();
        assert_eq!(c.velocity_ip_10m, 7);
        assert!(RiskConfig::known_variables(&TokenTable::builtin())
            .contains("KASSA_RISK_PASSWORD_FREE_LIMIT_TOKEN_ETH"));
    }
}
