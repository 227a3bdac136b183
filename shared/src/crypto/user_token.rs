//! The user-scoped token (issue 14 item 8): an HMAC-SHA256-signed credential for one
//! shopper, which the merchant obtains server-side (`POST /v1/users/:id/tokens`) and
//! hands to its own wallet pages. It reaches what belongs to the user rather than to one
//! order — the S2 order list and the S4 wallet settings and withdrawals — and nothing an
//! order's `client_secret` reaches: it never pays or watches an order.
//!
//! # Format
//!
//! ```text
//! kut_<base64url(payload)>.<base64url(mac)>
//! payload = "1" "." <epoch, decimal> "." <expiry, unix seconds, decimal> "." <user id>
//! mac     = HMAC-SHA256(secret, "kut_" + base64url(payload))     (32 bytes)
//! ```
//!
//! The framing is `signed_token.rs`, shared with [`super::client_secret`] (the user id last so it
//! may hold any character), with its own prefix. The MAC covers the prefix, so a
//! `client_secret` (`kcs_`) can never verify as a user token nor the reverse, even under
//! the same key: turning one into the other changes the MACed bytes.
//!
//! **Expiry.** At most [`MAX_LIFETIME_SECS`] (24 h) after issue; the edge's default is
//! [`DEFAULT_LIFETIME_SECS`] (1 h). A wallet session is short, and 24 h bounds what a
//! token leaked from a merchant's page is worth even if nobody revokes it.
//!
//! **Revocation.** `epoch` is the user's token generation when the token was issued. The
//! edge keeps the current generation in the user's `UserObject` and accepts a token
//! only while its epoch equals it; revoking bumps the generation, which voids every user
//! token issued before, at the cost of one counter per user (no list of revoked ids to
//! bound). Checking the epoch is the edge's business: [`verify`] checks the MAC and the
//! expiry only.
//!
//! Verification checks the framing, then the MAC (constant time), and only then parses
//! the fields and the expiry, so a forged token learns nothing but "bad mac".

#[cfg(test)]
use super::signed_token::MAX_USER_ID_LEN;
use super::signed_token::{self, FrameError, IssueError};

/// Token prefix: names the token type wherever one turns up, and keeps the two kinds
/// apart (module docs).
pub const PREFIX: &str = "kut_";
/// The longest a user token lives (24 h).
pub const MAX_LIFETIME_SECS: u64 = 24 * 3600;
/// The lifetime when the merchant names none (1 h).
pub const DEFAULT_LIFETIME_SECS: u64 = 3600;

/// What a valid user token asserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserClaims {
    pub user_id: String,
    /// The user's token generation at issue; the edge refuses it once revoked (bumped).
    pub epoch: u64,
    /// Unix seconds after which the token is refused.
    pub expires_at: u64,
}

/// Why a token was not issued or not accepted. `BadMac` carries no detail on purpose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserTokenError {
    #[error("user_token: malformed ({reason})")]
    Malformed { reason: &'static str },
    #[error("user_token: bad signature")]
    BadMac,
    #[error("user_token: field {field} is malformed ({reason})")]
    MalformedField {
        field: &'static str,
        reason: &'static str,
    },
    #[error("user_token: expired at {expires_at} (now {now})")]
    Expired { expires_at: u64, now: u64 },
    #[error("expires_at: {expires_at} is more than {max} s after now ({now})")]
    LifetimeTooLong { expires_at: u64, now: u64, max: u64 },
    #[error("user_id: {reason}")]
    UserId { reason: &'static str },
}

impl From<FrameError> for UserTokenError {
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
///
/// # Errors
/// [`UserTokenError::UserId`], [`UserTokenError::Expired`] or
/// [`UserTokenError::LifetimeTooLong`].
pub fn issue(secret: &[u8], claims: &UserClaims, now: u64) -> Result<String, UserTokenError> {
    let expires_at = claims.expires_at;
    signed_token::seal(
        PREFIX,
        secret,
        &claims.epoch.to_string(),
        expires_at,
        &claims.user_id,
        now,
        MAX_LIFETIME_SECS,
    )
    .map_err(|e| match e {
        IssueError::UserId(reason) => UserTokenError::UserId { reason },
        IssueError::Expired => UserTokenError::Expired { expires_at, now },
        IssueError::TooLong => UserTokenError::LifetimeTooLong {
            expires_at,
            now,
            max: MAX_LIFETIME_SECS,
        },
    })
}

/// Whether `token` is shaped as a user token (its prefix): lets a caller tell which kind
/// of credential it was handed before verifying it.
#[must_use]
pub fn looks_like(token: &str) -> bool {
    token.starts_with(PREFIX)
}

/// Verifies `token` at `now` and returns its claims (MAC and expiry; the epoch is the
/// caller's to check).
///
/// # Errors
/// Any [`UserTokenError`] but the issuing ones.
pub fn verify(secret: &[u8], token: &str, now: u64) -> Result<UserClaims, UserTokenError> {
    let o = signed_token::open(PREFIX, "missing kut_ prefix", secret, token, "epoch")?;
    let epoch = signed_token::parse_u64("epoch", &o.field)?;
    if now >= o.expires_at {
        return Err(UserTokenError::Expired {
            expires_at: o.expires_at,
            now,
        });
    }
    Ok(UserClaims {
        user_id: o.user_id,
        epoch,
        expires_at: o.expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::client_secret::{self, Claims};
    use crate::crypto::signed_token::mac_of;
    use crate::id::Id;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use proptest::prelude::*;

    const NOW: u64 = 1_700_000_000;
    const KEY: &[u8] = b"kassa-client-secret-key";

    fn claims(user: &str, epoch: u64, exp: u64) -> UserClaims {
        UserClaims {
            user_id: user.into(),
            epoch,
            expires_at: exp,
        }
    }

    #[test]
    fn issues_and_verifies() {
        let c = claims("u.1|x", 7, NOW + 900);
        let t = issue(KEY, &c, NOW).unwrap();
        assert!(
            t.starts_with("kut_") && looks_like(&t) && t.len() < 100,
            "{t}"
        );
        assert!(t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)));
        assert_eq!(verify(KEY, &t, NOW + 899).unwrap(), c);
        assert_eq!(
            verify(KEY, &t, NOW + 900),
            Err(UserTokenError::Expired {
                expires_at: NOW + 900,
                now: NOW + 900
            })
        );
        assert_eq!(verify(b"other key", &t, NOW), Err(UserTokenError::BadMac));
    }

    #[test]
    fn refuses_long_lifetimes_and_bad_users() {
        assert!(issue(KEY, &claims("u", 0, NOW + 86_400), NOW).is_ok());
        assert_eq!(
            issue(KEY, &claims("u", 0, NOW + 86_401), NOW),
            Err(UserTokenError::LifetimeTooLong {
                expires_at: NOW + 86_401,
                now: NOW,
                max: 86_400
            })
        );
        assert!(matches!(
            issue(KEY, &claims("u", 0, NOW), NOW),
            Err(UserTokenError::Expired { .. })
        ));
        assert!(matches!(
            issue(KEY, &claims("", 0, NOW + 1), NOW),
            Err(UserTokenError::UserId { .. })
        ));
        let long = "x".repeat(MAX_USER_ID_LEN + 1);
        assert!(matches!(
            issue(KEY, &claims(&long, 0, NOW + 1), NOW),
            Err(UserTokenError::UserId { .. })
        ));
    }

    /// The two kinds never pass for each other, under the same key, whichever way the
    /// prefix is swapped.
    #[test]
    fn a_client_secret_is_not_a_user_token_nor_the_reverse() {
        let order = Claims {
            order_id: Id::new(476_682_884_348_973_312).unwrap(),
            user_id: "u".into(),
            expires_at: NOW + 600,
        };
        let kcs = client_secret::issue(KEY, &order, NOW).unwrap();
        assert!(!looks_like(&kcs));
        assert!(matches!(
            verify(KEY, &kcs, NOW),
            Err(UserTokenError::Malformed { .. })
        ));
        let renamed = format!("{PREFIX}{}", &kcs[4..]);
        assert_eq!(verify(KEY, &renamed, NOW), Err(UserTokenError::BadMac));

        let kut = issue(KEY, &claims("u", 0, NOW + 600), NOW).unwrap();
        assert!(client_secret::verify(KEY, &kut, NOW).is_err());
        let renamed = format!("{}{}", client_secret::PREFIX, &kut[4..]);
        assert_eq!(
            client_secret::verify(KEY, &renamed, NOW),
            Err(client_secret::TokenError::BadMac)
        );
    }

    #[test]
    fn malformed_tokens_name_the_problem() {
        assert_eq!(
            verify(KEY, "abc", NOW),
            Err(UserTokenError::Malformed {
                reason: "missing kut_ prefix"
            })
        );
        assert!(matches!(
            verify(KEY, "kut_abc", NOW),
            Err(UserTokenError::Malformed { .. })
        ));
        assert!(matches!(
            verify(KEY, "kut_abc.!!", NOW),
            Err(UserTokenError::Malformed { .. })
        ));
        assert_eq!(
            verify(KEY, "kut_abc.AAAA", NOW),
            Err(UserTokenError::BadMac)
        );
        // A correctly MACed token with a broken field (e.g. from a future format).
        let mint = |payload: &str| {
            let signed = format!("kut_{}", URL_SAFE_NO_PAD.encode(payload));
            format!("{signed}.{}", URL_SAFE_NO_PAD.encode(mac_of(KEY, &signed)))
        };
        assert_eq!(
            verify(KEY, &mint("1.x.5.u"), NOW),
            Err(UserTokenError::MalformedField {
                field: "epoch",
                reason: "not a decimal number"
            })
        );
        assert_eq!(
            verify(KEY, &mint("2.0.5.u"), NOW),
            Err(UserTokenError::MalformedField {
                field: "version",
                reason: "unsupported"
            })
        );
        assert_eq!(
            verify(KEY, &mint("1.0.99999999999"), NOW),
            Err(UserTokenError::MalformedField {
                field: "user_id",
                reason: "missing"
            })
        );
    }

    proptest! {
        #[test]
        fn round_trip_and_tamper(user in "[^\u{0}]{1,40}", epoch in any::<u64>(),
                                 life in 1u64..=86_400, at in any::<usize>(),
                                 key in proptest::collection::vec(any::<u8>(), 1..80)) {
            let c = UserClaims { user_id: user, epoch, expires_at: NOW + life };
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
