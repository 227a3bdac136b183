//! The GA second factor (SPEC 6): RFC 6238 TOTP — SHA-1, 6 digits, 30 s, ±1 step —
//! through [`crate::crypto::totp`], plus the replay guard RFC 6238 §5.2 asks for: the
//! last accepted time step is stored per user (`UserObject`, SPEC 7) and a code for that
//! step or an earlier one is refused, so an observed code cannot be replayed within its
//! ±30 s window.
//!
//! # Guesses are limited per user, not only per order (issue 14 item 7)
//! A GA code is the user's, not the order's: the same secret answers on every order of
//! that user. The per-order [`WrongCodeLock`] alone gave an attacker holding N open
//! orders N × 5 guesses per lock period. [`GaState::verify_locked`] checks a code under
//! a second, per-user [`WrongCodeLock`] (kept next to the enrolment in the user's
//! object, same limits: 5 wrong → 15 min): while it is in force no code is checked at
//! all — not even the right one — on any order. Every refusal counts (format, mismatch,
//! reuse), as for sent codes, so shapes of input buy no extra guesses; an accepted code
//! clears the count (only the holder of the secret can produce one). The per-order lock
//! stays as it is.

use serde::{Deserialize, Serialize};

use super::throttle::{LockLimits, WrongCodeLock};
use crate::crypto::totp::{Totp, TotpError, DEFAULT_WINDOW};
use crate::reason::ReasonCode;

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

/// The outcome of [`GaState::verify_locked`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GaCheck {
    /// The code matched time step `step` (recorded; the user's count cleared).
    Accepted { step: u64 },
    /// A wrong code, counted against the user: `attempts_left` more before the lock;
    /// 0 means this guess started it.
    Wrong { error: GaError, attempts_left: u32 },
    /// The user's authenticator is locked until `until_ms`; the code was not checked.
    Locked { until_ms: u64 },
}

impl GaState {
    /// [`GaState::verify`] under the user's wrong-code `lock` (see the module docs):
    /// refused unchecked while the lock is in force, a refusal counted, a match clearing
    /// the count.
    pub fn verify_locked(
        &mut self,
        lock: &mut WrongCodeLock,
        limits: &LockLimits,
        totp: &Totp,
        code: &str,
        now_ms: u64,
    ) -> GaCheck {
        if let Err(e) = lock.check(now_ms) {
            return GaCheck::Locked {
                until_ms: e.until_ms,
            };
        }
        match self.verify(totp, code, now_ms) {
            Ok(step) => {
                lock.record_success();
                GaCheck::Accepted { step }
            }
            Err(error) => GaCheck::Wrong {
                error,
                attempts_left: lock.record_failure(limits, now_ms).unwrap_or(0),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Five wrong codes — whichever orders they were typed on, the user's object sees
    /// them all — lock the user's authenticator: the right code is then refused
    /// unchecked until the lock ends; afterwards it is accepted and clears the count.
    #[test]
    fn wrong_codes_lock_the_user_and_the_right_code_waits() {
        let totp = Totp::new(b"12345678901234567890".to_vec()).unwrap();
        let limits = LockLimits {
            max_wrong: 5,
            lock_ms: 900_000,
        };
        let (mut s, mut lock) = (GaState::default(), WrongCodeLock::default());
        let now = 1_000_000_000;
        let right = totp.code_for_step(now / 30_000);
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        // One right code first: accepted, and it does not bank extra guesses.
        let step = now / 30_000;
        assert_eq!(
            s.verify_locked(&mut lock, &limits, &totp, &right, now),
            GaCheck::Accepted { step }
        );
        let guesses = [wrong, "12345", wrong, right.as_str(), wrong];
        for (i, g) in guesses.into_iter().enumerate() {
            let GaCheck::Wrong { attempts_left, .. } =
                s.verify_locked(&mut lock, &limits, &totp, g, now + 1)
            else {
                panic!("guess {i} accepted");
            };
            assert_eq!(attempts_left, 4 - u32::try_from(i).unwrap(), "guess {i}");
        }
        let next = totp.code_for_step(step + 1);
        assert_eq!(
            s.verify_locked(&mut lock, &limits, &totp, &next, now + 2),
            GaCheck::Locked {
                until_ms: now + 1 + 900_000
            }
        );
        assert_eq!(s.last_step, Some(step), "a locked check records nothing");
        let later = now + 1 + 900_000;
        let fresh = totp.code_for_step(later / 30_000);
        assert_eq!(
            s.verify_locked(&mut lock, &limits, &totp, &fresh, later),
            GaCheck::Accepted {
                step: later / 30_000
            }
        );
        assert_eq!(lock.attempts_left(&limits, later), 5);
    }

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
