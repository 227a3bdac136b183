//! The GA second factor (SPEC 6): RFC 6238 TOTP — SHA-1, 6 digits, 30 s, ±1 step —
//! through [`crate::crypto::totp`], plus the replay guard RFC 6238 §5.2 asks for: the
//! last accepted time step is stored per user (`UserObject`, SPEC 7) and a code for that
//! step or an earlier one is refused, so an observed code cannot be replayed within its
//! ±30 s window.

use serde::{Deserialize, Serialize};

use crate::crypto::totp::{Totp, TotpError, DEFAULT_WINDOW};
use crate::risk::ReasonCode;

/// Why a GA code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GaError {
    #[error("verify_code: must be exactly 6 ASCII digits")]
    Format,
    #[error("verify_code: does not match")]
    Invalid,
    #[error("verify_code: time step {step} was already used (last accepted {last_step})")]
    Reused { step: u64, last_step: u64 },
}

impl GaError {
    /// The audit-log reason code.
    #[must_use]
    pub fn reason_code(&self) -> ReasonCode {
        match self {
            Self::Format => ReasonCode::CodeFormat,
            Self::Invalid => ReasonCode::CodeInvalid,
            Self::Reused { .. } => ReasonCode::GaCodeReused,
        }
    }
}

/// Per-user GA replay state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GaState {
    /// The last time step whose code was accepted.
    pub last_step: Option<u64>,
}

impl GaState {
    /// Verifies `code` at `now_ms` (unix ms) against the user's enrolled `totp` with ±1
    /// step and records the matched step. Returns that step.
    ///
    /// # Errors
    /// [`GaError::Format`], [`GaError::Invalid`] or [`GaError::Reused`]; the state is
    /// unchanged then.
    pub fn verify(&mut self, totp: &Totp, code: &str, now_ms: u64) -> Result<u64, GaError> {
        let step = totp
            .verify(code, now_ms / 1000, DEFAULT_WINDOW)
            .map_err(|e| match e {
                TotpError::CodeFormat { .. } => GaError::Format,
                _ => GaError::Invalid,
            })?;
        if let Some(last_step) = self.last_step {
            if step <= last_step {
                return Err(GaError::Reused { step, last_step });
            }
        }
        self.last_step = Some(step);
        Ok(step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B: the SHA-1 secret, T = 59 s → 94287082 (8 digits), so the
    /// 6-digit code is 287082.
    #[test]
    fn rfc6238_known_answer_and_replay() {
        let totp = Totp::new(b"12345678901234567890".to_vec()).unwrap();
        let mut s = GaState::default();
        assert_eq!(s.verify(&totp, "287082", 59_000), Ok(1));
        assert_eq!(s.last_step, Some(1));
        let err = s.verify(&totp, "287082", 59_000).unwrap_err();
        assert_eq!(
            err,
            GaError::Reused {
                step: 1,
                last_step: 1
            }
        );
        assert_eq!(err.reason_code(), ReasonCode::GaCodeReused);
        // The previous step's code is still within ±1 but earlier than the accepted one.
        let step0 = totp.code_for_step(0);
        assert_eq!(
            s.verify(&totp, &step0, 59_000).unwrap_err().reason_code(),
            ReasonCode::GaCodeReused
        );
        // The next step is accepted (clock drift forward).
        assert_eq!(s.verify(&totp, &totp.code_for_step(2), 59_000), Ok(2));
        // Two steps away: invalid, state unchanged.
        let far = totp.code_for_step(5);
        assert_eq!(s.verify(&totp, &far, 59_000), Err(GaError::Invalid));
        assert_eq!(s.last_step, Some(2));
        assert_eq!(
            s.verify(&totp, "28708", 59_000).unwrap_err().reason_code(),
            ReasonCode::CodeFormat
        );
        assert_eq!(GaError::Invalid.reason_code(), ReasonCode::CodeInvalid);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"last_step":2}"#);
    }
}
