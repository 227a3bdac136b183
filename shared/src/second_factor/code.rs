//! MOBILE / EMAIL verification codes (SPEC 6, S2 `send_payment_verify_code` and `pay`).
//!
//! A code is 6 uniform decimal digits drawn by rejection sampling from random bytes the
//! caller supplies (`shared` has no randomness of its own). Only an HMAC-SHA256 under a
//! server-side pepper is stored — over the order id, the user id, the code-send id (S2
//! `verify_code_order_id`) and the code — so a leaked Durable Object snapshot does not
//! reveal codes, and a code is bound to exactly one order, user and send. A code is
//! valid for [`CODE_TTL_MS`] and accepted once.
//!
//! Wrong guesses are *not* counted here: that is the per-order [`super::WrongCodeLock`],
//! which the caller updates with every [`CodeError::counts_as_wrong_code`] error.

use serde::{Deserialize, Serialize};

use crate::crypto::{ct, hmac_sha256, Secret};
use crate::id::Id;
use crate::reason::ReasonCode;

/// Number of digits in a code.
pub const CODE_DIGITS: usize = 6;
/// How long a code is valid (SPEC 6: 5 minutes).
pub const CODE_TTL_MS: u64 = 5 * 60 * 1000;
/// Random bytes per draw.
const DRAW_BYTES: usize = 4;
/// 10^6: the size of the code space.
const CODE_SPACE: u32 = 1_000_000;
/// The largest multiple of 10^6 that fits in a u32 draw; draws at or above it are
/// rejected so every code is exactly equally likely (no modulo bias). A draw is
/// rejected with probability ~1.6e-4, so 32 bytes (8 draws) practically never run out.
const ACCEPT_BELOW: u32 = (u32::MAX / CODE_SPACE) * CODE_SPACE;
/// Random bytes a caller should pass to [`issue`].
pub const RECOMMENDED_RANDOM_BYTES: usize = 32;
/// Domain separation for the stored MAC, versioned so the input layout can change.
const MAC_DOMAIN: &[u8] = b"kassa/second-factor/code/v1";

/// Why issuing or checking a code failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("random_bytes: exhausted after {supplied} bytes without an unbiased draw; pass at least {RECOMMENDED_RANDOM_BYTES}")]
    RandomExhausted { supplied: usize },
    #[error("verify_code: must be exactly 6 ASCII digits")]
    Format,
    #[error("verify_code: does not match")]
    Invalid,
    #[error("verify_code: expired at {expires_at_ms} (unix ms)")]
    Expired { expires_at_ms: u64 },
    #[error("verify_code: already used")]
    Used,
    #[error("verify_code_order_id: code was issued for another {field}")]
    WrongBinding { field: &'static str },
}

impl CodeError {
    /// The audit-log reason code.
    #[must_use]
    pub fn reason_code(&self) -> Option<ReasonCode> {
        match self {
            Self::RandomExhausted { .. } => None,
            Self::Format => Some(ReasonCode::CodeFormat),
            Self::Invalid => Some(ReasonCode::CodeInvalid),
            Self::Expired { .. } => Some(ReasonCode::CodeExpired),
            Self::Used => Some(ReasonCode::CodeUsed),
            Self::WrongBinding { .. } => Some(ReasonCode::CodeWrongBinding),
        }
    }

    /// Whether this failure is a guess that counts towards the order's wrong-code lock.
    /// Everything the shopper typed counts (including a malformed code, a stale one or
    /// one for another send), so retrying shapes of input gains no extra guesses.
    #[must_use]
    pub fn counts_as_wrong_code(&self) -> bool {
        !matches!(self, Self::RandomExhausted { .. })
    }
}

/// Draws a uniform 6-digit code from `random`, 4 bytes per draw, rejecting biased draws.
///
/// # Errors
/// [`CodeError::RandomExhausted`] when every draw was rejected or fewer than 4 bytes
/// were supplied.
pub fn generate_code(random: &[u8]) -> Result<String, CodeError> {
    for chunk in random.chunks_exact(DRAW_BYTES) {
        let draw = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        if draw < ACCEPT_BELOW {
            return Ok(format!("{:06}", draw % CODE_SPACE));
        }
    }
    Err(CodeError::RandomExhausted {
        supplied: random.len(),
    })
}

/// The plaintext code, to hand to the notifier and then drop. `Debug` is redacted so it
/// never lands in a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainCode(String);

impl PlainCode {
    /// The 6 digits, for the SMS / e-mail / outbox message only.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for PlainCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PlainCode([redacted])")
    }
}

/// What the edge stores for one code send: never the code, only its MAC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCode {
    /// The code-send id, returned to the widget as `orderId` and sent back as
    /// `verify_code_order_id`.
    pub send_id: Id,
    pub order_id: Id,
    pub user_id: Id,
    /// Hex HMAC-SHA256(pepper, domain ‖ order ‖ user ‖ send ‖ code).
    pub mac: String,
    pub issued_at_ms: u64,
    pub expires_at_ms: u64,
    /// Set by the first successful [`StoredCode::verify`]: single use.
    pub used: bool,
}

/// Ids are fixed-width big-endian so no two (order, user, send, code) tuples share an
/// input.
fn mac(pepper: &Secret, order_id: Id, user_id: Id, send_id: Id, code: &str) -> [u8; 32] {
    hmac_sha256(
        pepper.as_bytes(),
        &[
            MAC_DOMAIN,
            &order_id.get().to_be_bytes(),
            &user_id.get().to_be_bytes(),
            &send_id.get().to_be_bytes(),
            code.as_bytes(),
        ],
    )
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// Issues a code for `order_id` / `user_id` under the code-send id `send_id`.
///
/// # Errors
/// [`CodeError::RandomExhausted`] when `random` holds no unbiased draw.
pub fn issue(
    random: &[u8],
    order_id: Id,
    user_id: Id,
    send_id: Id,
    now_ms: u64,
    pepper: &Secret,
) -> Result<(PlainCode, StoredCode), CodeError> {
    let code = generate_code(random)?;
    let stored = StoredCode {
        send_id,
        order_id,
        user_id,
        mac: hex(&mac(pepper, order_id, user_id, send_id, &code)),
        issued_at_ms: now_ms,
        expires_at_ms: now_ms.saturating_add(CODE_TTL_MS),
        used: false,
    };
    Ok((PlainCode(code), stored))
}

impl StoredCode {
    /// Checks `code` for `order_id` / `user_id` / `send_id` at `now_ms`; on success marks
    /// the code used.
    ///
    /// # Errors
    /// [`CodeError::Format`], [`CodeError::WrongBinding`], [`CodeError::Used`],
    /// [`CodeError::Expired`] or [`CodeError::Invalid`].
    pub fn verify(
        &mut self,
        order_id: Id,
        user_id: Id,
        send_id: Id,
        code: &str,
        now_ms: u64,
        pepper: &Secret,
    ) -> Result<(), CodeError> {
        let code = code.trim();
        if code.len() != CODE_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::Format);
        }
        if send_id != self.send_id {
            return Err(CodeError::WrongBinding {
                field: "verify_code_order_id",
            });
        }
        if order_id != self.order_id {
            return Err(CodeError::WrongBinding { field: "order_id" });
        }
        if user_id != self.user_id {
            return Err(CodeError::WrongBinding { field: "user_id" });
        }
        if self.used {
            return Err(CodeError::Used);
        }
        if now_ms >= self.expires_at_ms {
            return Err(CodeError::Expired {
                expires_at_ms: self.expires_at_ms,
            });
        }
        let want = mac(pepper, order_id, user_id, send_id, code);
        // Constant time over the hex form so timing reveals nothing about the MAC.
        if !ct::eq(hex(&want).as_bytes(), self.mac.as_bytes()) {
            return Err(CodeError::Invalid);
        }
        self.used = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(n: u64) -> Id {
        Id::new(n).unwrap()
    }

    fn pepper() -> Secret {
        Secret::from("pepper-for-tests")
    }

    #[test]
    fn known_answers() {
        // 0x00000000 → 000000; 0x000F4240 (= 10^6) → 000000; 0x0001E240 (123456).
        assert_eq!(generate_code(&[0, 0, 0, 0]).unwrap(), "000000");
        assert_eq!(generate_code(&[0, 0x0f, 0x42, 0x40]).unwrap(), "000000");
        assert_eq!(generate_code(&[0, 0x01, 0xe2, 0x40]).unwrap(), "123456");
        // ACCEPT_BELOW - 1 = 4_293_999_999 → 999999 is the last accepted draw.
        assert_eq!(ACCEPT_BELOW, 4_294_000_000);
        assert_eq!(
            generate_code(&(ACCEPT_BELOW - 1).to_be_bytes()).unwrap(),
            "999999"
        );
    }

    #[test]
    fn rejection_and_exhaustion() {
        let mut bytes = ACCEPT_BELOW.to_be_bytes().to_vec();
        bytes.extend_from_slice(&[0xff; 4]);
        bytes.extend_from_slice(&[0, 0, 0, 7]);
        assert_eq!(generate_code(&bytes).unwrap(), "000007");
        assert_eq!(
            generate_code(&[0xff; 8]),
            Err(CodeError::RandomExhausted { supplied: 8 })
        );
        assert_eq!(
            generate_code(&[1, 2, 3]),
            Err(CodeError::RandomExhausted { supplied: 3 })
        );
        assert_eq!(
            generate_code(&[]),
            Err(CodeError::RandomExhausted { supplied: 0 })
        );
    }

    #[test]
    fn stored_mac_known_answer_and_no_plaintext() {
        let (code, stored) =
            issue(&[0, 1, 0xe2, 0x40], id(1), id(2), id(3), 1000, &pepper()).unwrap();
        assert_eq!(code.expose(), "123456");
        assert_eq!(format!("{code:?}"), "PlainCode([redacted])");
        assert_eq!(stored.mac.len(), 64);
        let json = serde_json::to_string(&stored).unwrap();
        assert!(!json.contains("123456"));
        // Computed independently: Python `hmac.new(b"pepper-for-tests",
        // b"kassa/second-factor/code/v1" + struct.pack(">QQQ", 1, 2, 3) + b"123456",
        // hashlib.sha256).hexdigest()`.
        assert_eq!(
            stored.mac,
            "4dd14f4d909528caee38ffbddbb8b958c25be725b64fb4d66f804d8fe9f85c14"
        );
        let back: StoredCode = serde_json::from_str(&json).unwrap();
        assert_eq!(back, stored);
        assert_eq!(stored.expires_at_ms, 1000 + 300_000);
    }

    #[test]
    fn every_check_and_its_reason_code() {
        let p = pepper();
        let (code, mut s) = issue(&[0, 1, 0xe2, 0x40], id(1), id(2), id(3), 0, &p).unwrap();
        let c = code.expose();
        let cases: [(Result<(), CodeError>, ReasonCode); 6] = [
            (
                s.clone().verify(id(1), id(2), id(3), "12345", 1, &p),
                ReasonCode::CodeFormat,
            ),
            (
                s.clone().verify(id(1), id(2), id(3), "12345a", 1, &p),
                ReasonCode::CodeFormat,
            ),
            (
                s.clone().verify(id(1), id(2), id(3), "654321", 1, &p),
                ReasonCode::CodeInvalid,
            ),
            (
                s.clone().verify(id(9), id(2), id(3), c, 1, &p),
                ReasonCode::CodeWrongBinding,
            ),
            (
                s.clone().verify(id(1), id(9), id(3), c, 1, &p),
                ReasonCode::CodeWrongBinding,
            ),
            (
                s.clone().verify(id(1), id(2), id(3), c, CODE_TTL_MS, &p),
                ReasonCode::CodeExpired,
            ),
        ];
        for (got, want) in cases {
            let err = got.unwrap_err();
            assert_eq!(err.reason_code(), Some(want), "{err}");
            assert!(err.counts_as_wrong_code());
        }
        assert_eq!(
            s.clone().verify(id(1), id(2), id(4), c, 1, &p),
            Err(CodeError::WrongBinding {
                field: "verify_code_order_id"
            })
        );
        // Another pepper (a rotated or wrong one) never verifies.
        assert_eq!(
            s.clone()
                .verify(id(1), id(2), id(3), c, 1, &Secret::from("other")),
            Err(CodeError::Invalid)
        );
        // Just before expiry, with blanks around: accepted once, then `code_used`.
        assert_eq!(
            s.verify(id(1), id(2), id(3), " 123456 ", CODE_TTL_MS - 1, &p),
            Ok(())
        );
        let err = s
            .verify(id(1), id(2), id(3), c, CODE_TTL_MS - 1, &p)
            .unwrap_err();
        assert_eq!(err.reason_code(), Some(ReasonCode::CodeUsed));
        assert_eq!(
            CodeError::RandomExhausted { supplied: 0 }.reason_code(),
            None
        );
    }

    proptest! {
        /// Exact uniformity: every code has exactly 4294 accepted 4-byte preimages
        /// (`code + k * 10^6`, k < 4294) and the next one is rejected.
        #[test]
        fn each_code_has_the_same_number_of_preimages(code in 0u32..CODE_SPACE, k in 0u32..4294) {
            let want = format!("{code:06}");
            prop_assert_eq!(generate_code(&(code + k * CODE_SPACE).to_be_bytes()), Ok(want));
            if let Ok(next) = u32::try_from(u64::from(code) + 4294 * u64::from(CODE_SPACE)) {
                prop_assert!(generate_code(&next.to_be_bytes()).is_err());
            }
        }

        #[test]
        fn always_six_ascii_digits(bytes in proptest::collection::vec(any::<u8>(), 4..64)) {
            if let Ok(code) = generate_code(&bytes) {
                prop_assert_eq!(code.len(), 6);
                prop_assert!(code.bytes().all(|b| b.is_ascii_digit()));
            }
        }

        #[test]
        fn verify_of_issue_succeeds_exactly_once(
            bytes in proptest::collection::vec(any::<u8>(), 32),
            order in 1u64..1 << 62, user in 1u64..1 << 62, send in 1u64..1 << 62,
            now in 0u64..1 << 50, after in 0u64..CODE_TTL_MS,
        ) {
            let p = pepper();
            let Ok((code, mut s)) = issue(&bytes, id(order), id(user), id(send), now, &p) else {
                return Ok(());
            };
            prop_assert_eq!(s.verify(id(order), id(user), id(send), code.expose(), now + after, &p), Ok(()));
            prop_assert_eq!(s.verify(id(order), id(user), id(send), code.expose(), now + after, &p), Err(CodeError::Used));
        }
    }

    /// Chi-square test of the first digit and of the last digit over 20 000 codes from a
    /// seeded RNG: uniform-ish, deterministic, and fast.
    #[test]
    fn uniform_ish() {
        use rand::{RngCore, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let n = 20_000u32;
        let mut first = [0u32; 10];
        let mut last = [0u32; 10];
        let mut buf = [0u8; 32];
        for _ in 0..n {
            rng.fill_bytes(&mut buf);
            let code = generate_code(&buf).unwrap();
            let b = code.as_bytes();
            first[usize::from(b[0] - b'0')] += 1;
            last[usize::from(b[5] - b'0')] += 1;
        }
        for counts in [first, last] {
            let expect = i64::from(n / 10);
            let chi2: i64 = counts
                .iter()
                .map(|c| (i64::from(*c) - expect).pow(2) * 1000 / expect)
                .sum();
            // 9 degrees of freedom: p = 0.001 at chi² ≈ 27.9 (scaled by 1000 here).
            assert!(chi2 < 27_900, "chi² ×1000 = {chi2}, counts {counts:?}");
        }
    }
}
