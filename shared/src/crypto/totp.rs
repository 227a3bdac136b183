//! One-time passwords for the GA second factor (SPEC 6): HOTP (RFC 4226) and TOTP
//! (RFC 6238) with HMAC-SHA1, a 30-second step and 6 digits by default.
//!
//! Secrets are the base32 strings authenticator apps use (RFC 4648 §6); lowercase, missing
//! `=` padding and blanks (`JBSW Y3DP …`) are accepted. [`Totp::verify`] returns the
//! matched time step so the caller can store it and refuse a second use of the same or an
//! earlier step (RFC 6238 §5.2).

use core::fmt;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac as _};
use sha1::{Digest as _, Sha1};

use super::ct;

/// RFC 6238 §4: X = 30 s by default.
pub const DEFAULT_STEP_SECS: u64 = 30;
/// SPEC 6: six digits.
pub const DEFAULT_DIGITS: u32 = 6;
/// SPEC 6: one step either side of now.
pub const DEFAULT_WINDOW: u64 = 1;

/// Why a secret, a configuration or a code was refused. `Mismatch` is opaque.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error("totp secret: not valid base32")]
    Base32,
    #[error("totp secret: must not be empty")]
    EmptySecret,
    #[error("totp digits: {digits} is outside 6..=10")]
    Digits { digits: u32 },
    #[error("totp step: must be at least 1 second")]
    Step,
    #[error("code: must be exactly {digits} ASCII digits")]
    CodeFormat { digits: u32 },
    #[error("code: does not match")]
    Mismatch,
}

/// A TOTP generator/verifier. `Debug` hides the secret.
#[derive(Clone)]
pub struct Totp {
    secret: Vec<u8>,
    digits: u32,
    step: u64,
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Totp")
            .field("secret", &"[redacted]")
            .field("digits", &self.digits)
            .field("step", &self.step)
            .finish()
    }
}

/// Decodes an authenticator-app base32 secret.
pub fn decode_base32(s: &str) -> Result<Vec<u8>, TotpError> {
    let cleaned: String = s
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && *c != '-' && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if cleaned.is_empty() {
        return Err(TotpError::EmptySecret);
    }
    data_encoding::BASE32_NOPAD
        .decode(cleaned.as_bytes())
        .map_err(|_| TotpError::Base32)
}

/// HOTP value (RFC 4226 §5.3) of `counter` with `digits` digits, as a number.
#[must_use]
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    // RFC 2104 key block built by hand (long keys hashed, then zero-padded to 64 bytes) so
    // that construction is infallible without an `expect`.
    let mut block = [0u8; 64];
    if secret.len() > block.len() {
        block[..20].copy_from_slice(&Sha1::digest(secret));
    } else {
        block[..secret.len()].copy_from_slice(secret);
    }
    let mut m = <Hmac<Sha1> as KeyInit>::new(&block.into());
    m.update(&counter.to_be_bytes());
    let h = m.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = u32::from_be_bytes([
        h[offset] & 0x7f,
        h[offset + 1],
        h[offset + 2],
        h[offset + 3],
    ]);
    match 10u32.checked_pow(digits) {
        Some(m) => bin % m,
        None => bin,
    }
}

impl Totp {
    /// SHA-1, 30 s, 6 digits over raw secret bytes.
    pub fn new(secret: impl Into<Vec<u8>>) -> Result<Self, TotpError> {
        let secret = secret.into();
        if secret.is_empty() {
            return Err(TotpError::EmptySecret);
        }
        Ok(Self {
            secret,
            digits: DEFAULT_DIGITS,
            step: DEFAULT_STEP_SECS,
        })
    }

    /// SHA-1, 30 s, 6 digits over a base32 secret.
    pub fn from_base32(secret: &str) -> Result<Self, TotpError> {
        Self::new(decode_base32(secret)?)
    }

    /// Sets the number of digits (6..=10; 10 is the most a 31-bit value carries).
    pub fn with_digits(mut self, digits: u32) -> Result<Self, TotpError> {
        if !(6..=10).contains(&digits) {
            return Err(TotpError::Digits { digits });
        }
        self.digits = digits;
        Ok(self)
    }

    /// Sets the time step in seconds.
    pub fn with_step(mut self, step: u64) -> Result<Self, TotpError> {
        if step == 0 {
            return Err(TotpError::Step);
        }
        self.step = step;
        Ok(self)
    }

    #[must_use]
    pub fn digits(&self) -> u32 {
        self.digits
    }

    /// The time step `now` (unix seconds) falls in (RFC 6238 §4.2, T0 = 0).
    #[must_use]
    pub fn step_at(&self, now: u64) -> u64 {
        now / self.step
    }

    /// The zero-padded code of a step.
    #[must_use]
    pub fn code_for_step(&self, step: u64) -> String {
        let width = self.digits as usize;
        format!("{:0width$}", hotp(&self.secret, step, self.digits))
    }

    /// The code valid at `now`.
    #[must_use]
    pub fn code_at(&self, now: u64) -> String {
        self.code_for_step(self.step_at(now))
    }

    /// Checks `code` against the steps `now ± window` and returns the step that matched.
    /// Every candidate is compared (constant time, no early exit).
    pub fn verify(&self, code: &str, now: u64, window: u64) -> Result<u64, TotpError> {
        let code = code.trim();
        if code.len() != self.digits as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TotpError::CodeFormat {
                digits: self.digits,
            });
        }
        let center = self.step_at(now);
        let mut matched = None;
        for step in center.saturating_sub(window)..=center.saturating_add(window) {
            if ct::eq(self.code_for_step(step).as_bytes(), code.as_bytes()) && matched.is_none() {
                matched = Some(step);
            }
        }
        matched.ok_or(TotpError::Mismatch)
    }
}

/// SPEC 6 defaults: verifies a 6-digit `code` for a base32 `secret` at `now`, ±1 step.
pub fn verify(secret_base32: &str, code: &str, now: u64) -> Result<u64, TotpError> {
    Totp::from_base32(secret_base32)?.verify(code, now, DEFAULT_WINDOW)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // RFC 4226 Appendix D.
    #[test]
    fn rfc4226_hotp() {
        let want = [
            755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871,
            520_489,
        ];
        for (c, w) in want.iter().enumerate() {
            assert_eq!(hotp(b"12345678901234567890", c as u64, 6), *w);
        }
    }

    #[test]
    fn base32_is_lenient() {
        let a = decode_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        assert_eq!(a, b"12345678901234567890");
        assert_eq!(
            decode_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap(),
            a
        );
        assert_eq!(
            decode_base32("JBSWY3DPEE======").unwrap(),
            decode_base32("jbswy3dpee").unwrap()
        );
        assert_eq!(decode_base32("01"), Err(TotpError::Base32));
        assert_eq!(decode_base32(" = "), Err(TotpError::EmptySecret));
    }

    #[test]
    fn window_and_reuse_step() {
        let t = Totp::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let now = 1_700_000_015;
        let step = t.step_at(now);
        assert_eq!(t.verify(&t.code_for_step(step - 1), now, 1), Ok(step - 1));
        assert_eq!(t.verify(&t.code_for_step(step + 1), now, 1), Ok(step + 1));
        assert_eq!(
            t.verify(&t.code_for_step(step + 2), now, 1),
            Err(TotpError::Mismatch)
        );
        assert_eq!(
            t.verify("12345", now, 1),
            Err(TotpError::CodeFormat { digits: 6 })
        );
        assert_eq!(
            t.verify("12a456", now, 1),
            Err(TotpError::CodeFormat { digits: 6 })
        );
        assert!(format!("{t:?}").contains("[redacted]"));
        assert_eq!(
            Totp::new(vec![1]).unwrap().with_digits(5).unwrap_err(),
            TotpError::Digits { digits: 5 }
        );
    }

    proptest! {
        #[test]
        fn current_code_verifies(secret in proptest::collection::vec(any::<u8>(), 1..64),
                                 now in 0u64..10_000_000_000, digits in 6u32..=8) {
            let t = Totp::new(secret).unwrap().with_digits(digits).unwrap();
            let code = t.code_at(now);
            prop_assert_eq!(code.len(), digits as usize);
            prop_assert_eq!(t.verify(&code, now, 1), Ok(t.step_at(now)));
        }
    }
}
