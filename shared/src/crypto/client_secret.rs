//! The widget's `client_secret` (SPEC 1 step 1, SPEC 4.4): an HMAC-SHA256-signed token
//! binding an order id, a user id and an expiry at most one hour after issue.
//!
//! # Format
//!
//! ```text
//! kcs_<base64url(payload)>.<base64url(mac)>
//! payload = "1" "." <order id, decimal> "." <expiry, unix seconds, decimal> "." <user id>
//! mac     = HMAC-SHA256(secret, "kcs_" + base64url(payload))     (32 bytes)
//! ```
//!
//! base64url is RFC 4648 §5 without padding, so the token is URL-, header- and
//! attribute-safe. The leading `1` is the format version. The user id comes last so it may
//! contain any character, `.` included. The MAC covers the prefix and the encoded payload
//! exactly as sent, so there is one byte string to authenticate and nothing to
//! canonicalise. A 63-bit id and a 32-character user id give a token of about 120
//! characters.
//!
//! Verification checks the framing, then the MAC (constant time), and only then parses the
//! fields and the expiry, so a forged token learns nothing but "bad mac". The framing is
//! shared with the user token (`signed_token.rs`).

use crate::id::Id;

pub use super::signed_token::MAX_USER_ID_LEN;
use super::signed_token::{self, FrameError, IssueError};

/// Token prefix: names the token type wherever one turns up (logs, bug reports).
pub const PREFIX: &str = "kcs_";
/// SPEC 4.4: a `client_secret` lives at most one hour.
pub const MAX_LIFETIME_SECS: u64 = 3600;

/// What a valid token asserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub order_id: Id,
    pub user_id: String,
    /// Unix seconds after which the token is refused.
    pub expires_at: u64,
}

/// Why a token was not issued or not accepted. `BadMac` carries no detail on purpose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("client_secret: malformed ({reason})")]
    Malformed { reason: &'static str },
    #[error("client_secret: bad signature")]
    BadMac,
    #[error("client_secret: field {field} is malformed ({reason})")]
    MalformedField {
        field: &'static str,
        reason: &'static str,
    },
    #[error("client_secret: expired at {expires_at} (now {now})")]
    Expired { expires_at: u64, now: u64 },
    #[error("expires_at: {expires_at} is more than {max} s after now ({now})")]
    LifetimeTooLong { expires_at: u64, now: u64, max: u64 },
    #[error("user_id: {reason}")]
    UserId { reason: &'static str },
}

impl From<FrameError> for TokenError {
    fn from(e: FrameError) -> Self {
        match e {
            FrameError::Malformed(reason) => Self::Malformed { reason },
            FrameError::BadMac => Self::BadMac,
            FrameError::Field { field, reason } => Self::MalformedField { field, reason },
        }
    }
}

/// Issues a token for `claims` at `now` (unix seconds). Refuses an expiry that has passed
/// or lies more than [`MAX_LIFETIME_SECS`] ahead.
pub fn issue(secret: &[u8], claims: &Claims, now: u64) -> Result<String, TokenError> {
    let (expires_at, order) = (claims.expires_at, claims.order_id.to_string());
    signed_token::seal(
        PREFIX,
        secret,
        &order,
        expires_at,
        &claims.user_id,
        now,
        MAX_LIFETIME_SECS,
    )
    .map_err(|e| match e {
        IssueError::UserId(reason) => TokenError::UserId { reason },
        IssueError::Expired => TokenError::Expired { expires_at, now },
        IssueError::TooLong => TokenError::LifetimeTooLong {
            expires_at,
            now,
            max: MAX_LIFETIME_SECS,
        },
    })
}

/// Verifies `token` at `now` and returns its claims.
pub fn verify(secret: &[u8], token: &str, now: u64) -> Result<Claims, TokenError> {
    let o = signed_token::open(PREFIX, "missing kcs_ prefix", secret, token, "order_id")?;
    let order_id = Id::parse("order_id", &o.field).map_err(|_| TokenError::MalformedField {
        field: "order_id",
        reason: "not a 63-bit id",
    })?;
    if now >= o.expires_at {
        return Err(TokenError::Expired {
            expires_at: o.expires_at,
            now,
        });
    }
    Ok(Claims {
        order_id,
        user_id: o.user_id,
        expires_at: o.expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::signed_token::mac_of;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use proptest::prelude::*;

    const NOW: u64 = 1_700_000_000;
    const KEY: &[u8] = b"kassa-client-secret-key";

    fn claims(user: &str, exp: u64) -> Claims {
        Claims {
            order_id: Id::new(476_682_884_348_973_312).unwrap(),
            user_id: user.into(),
            expires_at: exp,
        }
    }

    #[test]
    fn issues_and_verifies() {
        let c = claims("u.1|x", NOW + 900);
        let t = issue(KEY, &c, NOW).unwrap();
        assert!(t.starts_with("kcs_") && t.len() < 130, "{t}");
        assert!(t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)));
        assert_eq!(verify(KEY, &t, NOW + 899).unwrap(), c);
        assert_eq!(
            verify(KEY, &t, NOW + 900),
            Err(TokenError::Expired {
                expires_at: NOW + 900,
                now: NOW + 900
            })
        );
        assert_eq!(verify(b"other key", &t, NOW), Err(TokenError::BadMac));
    }

    #[test]
    fn refuses_long_lifetimes_and_bad_users() {
        assert!(issue(KEY, &claims("u", NOW + 3600), NOW).is_ok());
        assert_eq!(
            issue(KEY, &claims("u", NOW + 3601), NOW),
            Err(TokenError::LifetimeTooLong {
                expires_at: NOW + 3601,
                now: NOW,
                max: 3600
            })
        );
        assert!(matches!(
            issue(KEY, &claims("u", NOW), NOW),
            Err(TokenError::Expired { .. })
        ));
        assert!(matches!(
            issue(KEY, &claims("", NOW + 1), NOW),
            Err(TokenError::UserId { .. })
        ));
    }

    #[test]
    fn malformed_tokens_name_the_problem() {
        assert_eq!(
            verify(KEY, "abc", NOW),
            Err(TokenError::Malformed {
                reason: "missing kcs_ prefix"
            })
        );
        assert!(matches!(
            verify(KEY, "kcs_abc", NOW),
            Err(TokenError::Malformed { .. })
        ));
        assert!(matches!(
            verify(KEY, "kcs_abc.!!", NOW),
            Err(TokenError::Malformed { .. })
        ));
        assert_eq!(verify(KEY, "kcs_abc.AAAA", NOW), Err(TokenError::BadMac));
        // A correctly MACed token with a broken field (e.g. from a future format).
        let signed = format!("kcs_{}", URL_SAFE_NO_PAD.encode("1.12x.5.u"));
        let t = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(mac_of(KEY, &signed)));
        assert_eq!(
            verify(KEY, &t, NOW),
            Err(TokenError::MalformedField {
                field: "order_id",
                reason: "not a 63-bit id"
            })
        );
    }

    proptest! {
        #[test]
        fn round_trip_and_tamper(user in "[^\u{0}]{1,40}", raw in 0u64..=i64::MAX as u64,
                                 life in 1u64..=3600, at in any::<usize>(), key in proptest::collection::vec(any::<u8>(), 1..80)) {
            let c = Claims { order_id: Id::new(raw).unwrap(), user_id: user, expires_at: NOW + life };
            let t = issue(&key, &c, NOW).unwrap();
            prop_assert_eq!(verify(&key, &t, NOW).unwrap(), c);
            // Change one character anywhere after the prefix: never accepted.
            let mut b = t.clone().into_bytes();
            let i = 4 + at % (b.len() - 4);
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            let t2 = String::from_utf8(b).unwrap();
            if t2 != t {
                prop_assert!(verify(&key, &t2, NOW).is_err());
            }
        }
    }
}
