//! Reason codes: the stable, machine-readable vocabulary of every risk and second-factor
//! decision (SPEC 5, SPEC 6). The edge writes them to each order's audit log (issue 4:
//! "an audit log of every risk decision … reason code, no secrets") and the widget may
//! key its messages on them, so a code, once shipped, is never renamed.

use core::fmt;

use serde::{Deserialize, Serialize};

/// Why a pay, a code send or a code check was refused, or why a second factor is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    // --- pay blockers (SPEC 5), in evaluation order ---
    /// The amount in the pay request differs from the order's.
    AmountMismatch,
    /// The pay request's currency or token differs from the order's.
    CurrencyMismatch,
    /// The amount exceeds the configured per-currency / per-token maximum.
    AmountOverLimit,
    /// No maximum is configured for this token: fail closed rather than pay unbounded.
    AmountLimitMissing,
    /// Too many pay attempts by this user in the velocity window.
    VelocityUser,
    /// Too many pay attempts from this IP address in the velocity window.
    VelocityIp,
    /// The order's expiry has passed.
    OrderExpired,
    /// Too many wrong codes on this order; locked for a while.
    OrderLocked,
    // --- code sends (SPEC 5, SPEC 6) ---
    /// Less than the minimum gap since the user's previous code send.
    CodeSendTooSoon,
    /// The user's code sends in the last rolling hour reached the limit.
    CodeSendHourlyLimit,
    // --- code checks (SPEC 6) ---
    /// The code is not 6 ASCII digits.
    CodeFormat,
    /// The code does not match.
    CodeInvalid,
    /// The code's 5 minutes have passed.
    CodeExpired,
    /// The code was already used once.
    CodeUsed,
    /// The code was issued for another order, user or code-send id.
    CodeWrongBinding,
    /// An authenticator code for an already accepted (or earlier) time step.
    GaCodeReused,
    /// Too many wrong authenticator codes by this user, across all their orders; the
    /// user's GA is locked for a while (issue 14 item 7).
    GaLocked,
    // --- need2FA reasons (SPEC 3.1 quick_pay, SPEC 5 last sentence) ---
    /// The amount is above the password-free limit (or none is configured).
    AbovePasswordFreeLimit,
    /// The device id is absent or not among the user's known devices.
    NewDevice,
    /// A wrong code or failed attempt happened recently.
    RecentFailures,
    /// The user is not marked trusted.
    UntrustedUser,
}

impl ReasonCode {
    /// Every code, in declaration order (for docs, tests and exhaustive tables).
    pub const ALL: [ReasonCode; 21] = [
        Self::AmountMismatch,
        Self::CurrencyMismatch,
        Self::AmountOverLimit,
        Self::AmountLimitMissing,
        Self::VelocityUser,
        Self::VelocityIp,
        Self::OrderExpired,
        Self::OrderLocked,
        Self::CodeSendTooSoon,
        Self::CodeSendHourlyLimit,
        Self::CodeFormat,
        Self::CodeInvalid,
        Self::CodeExpired,
        Self::CodeUsed,
        Self::CodeWrongBinding,
        Self::GaCodeReused,
        Self::GaLocked,
        Self::AbovePasswordFreeLimit,
        Self::NewDevice,
        Self::RecentFailures,
        Self::UntrustedUser,
    ];

    /// The wire / audit-log spelling (the same as the serde form).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AmountMismatch => "amount_mismatch",
            Self::CurrencyMismatch => "currency_mismatch",
            Self::AmountOverLimit => "amount_over_limit",
            Self::AmountLimitMissing => "amount_limit_missing",
            Self::VelocityUser => "velocity_user",
            Self::VelocityIp => "velocity_ip",
            Self::OrderExpired => "order_expired",
            Self::OrderLocked => "order_locked",
            Self::CodeSendTooSoon => "code_send_too_soon",
            Self::CodeSendHourlyLimit => "code_send_hourly_limit",
            Self::CodeFormat => "code_format",
            Self::CodeInvalid => "code_invalid",
            Self::CodeExpired => "code_expired",
            Self::CodeUsed => "code_used",
            Self::CodeWrongBinding => "code_wrong_binding",
            Self::GaCodeReused => "ga_code_reused",
            Self::GaLocked => "ga_locked",
            Self::AbovePasswordFreeLimit => "above_password_free_limit",
            Self::NewDevice => "new_device",
            Self::RecentFailures => "recent_failures",
            Self::UntrustedUser => "untrusted_user",
        }
    }

    /// Parses the wire spelling.
    #[must_use]
    pub fn from_str_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ReasonCode;

    #[test]
    fn serde_matches_as_str_and_codes_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for c in ReasonCode::ALL {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(ReasonCode::from_str_code(c.as_str()), Some(c));
            assert!(seen.insert(c.as_str()));
            assert!(c
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
        assert_eq!(ReasonCode::from_str_code("nope"), None);
    }
}
