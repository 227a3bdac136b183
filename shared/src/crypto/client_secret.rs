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
//! fields and the expiry, so a forged token learns nothing but "bad mac".

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::id::Id;

use super::{ct, hmac_sha256};

/// Token prefix: names the token type wherever one turns up (logs, bug reports).
pub const PREFIX: &str = "kcs_";
/// SPEC 4.4: a `client_secret` lives at most one hour.
pub const MAX_LIFETIME_SECS: u64 = 3600;
/// The longest user id a token carries; keeps tokens inside URL and header limits.
pub const MAX_USER_ID_LEN: usize = 256;
const VERSION: &str = "1";

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

fn mac_of(secret: &[u8], signed_part: &str) -> [u8; 32] {
    hmac_sha256(secret, &[signed_part.as_bytes()])
}

fn check_user_id(user_id: &str) -> Result<(), &'static str> {
    if user_id.is_empty() {
        return Err("must not be empty");
    }
    if user_id.len() > MAX_USER_ID_LEN {
        return Err("longer than 256 bytes");
    }
    Ok(())
}

/// Issues a token for `claims` at `now` (unix seconds). Refuses an expiry that has passed
/// or lies more than [`MAX_LIFETIME_SECS`] ahead.
pub fn issue(secret: &[u8], claims: &Claims, now: u64) -> Result<String, TokenError> {
    check_user_id(&claims.user_id).map_err(|reason| TokenError::UserId { reason })?;
    if claims.expires_at <= now {
        return Err(TokenError::Expired {
            expires_at: claims.expires_at,
            now,
        });
    }
    if claims.expires_at - now > MAX_LIFETIME_SECS {
        return Err(TokenError::LifetimeTooLong {
            expires_at: claims.expires_at,
            now,
            max: MAX_LIFETIME_SECS,
        });
    }
    let payload = format!(
        "{VERSION}.{}.{}.{}",
        claims.order_id, claims.expires_at, claims.user_id
    );
    let signed = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(payload));
    let mac = URL_SAFE_NO_PAD.encode(mac_of(secret, &signed));
    Ok(format!("{signed}.{mac}"))
}

fn parse_u64(field: &'static str, s: &str) -> Result<u64, TokenError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TokenError::MalformedField {
            field,
            reason: "not a decimal number",
        });
    }
    s.parse().map_err(|_| TokenError::MalformedField {
        field,
        reason: "out of range",
    })
}

/// Verifies `token` at `now` and returns its claims.
pub fn verify(secret: &[u8], token: &str, now: u64) -> Result<Claims, TokenError> {
    let bad = |reason| TokenError::Malformed { reason };
    if !token.starts_with(PREFIX) {
        return Err(bad("missing kcs_ prefix"));
    }
    let (signed, mac_b64) = token
        .rsplit_once('.')
        .ok_or(bad("missing `.` before the mac"))?;
    let mac = URL_SAFE_NO_PAD
        .decode(mac_b64)
        .map_err(|_| bad("mac is not base64url"))?;
    if !ct::eq(&mac_of(secret, signed), &mac) {
        return Err(TokenError::BadMac);
    }
    // From here on the token is ours; errors point at our own bugs or old formats.
    let payload = URL_SAFE_NO_PAD
        .decode(signed.strip_prefix(PREFIX).unwrap_or_default())
        .map_err(|_| TokenError::MalformedField {
            field: "payload",
            reason: "not base64url",
        })?;
    let payload = String::from_utf8(payload).map_err(|_| TokenError::MalformedField {
        field: "payload",
        reason: "not UTF-8",
    })?;
    let mut parts = payload.splitn(4, '.');
    let mut next = |field| {
        parts.next().ok_or(TokenError::MalformedField {
            field,
            reason: "missing",
        })
    };
    if next("version")? != VERSION {
        return Err(TokenError::MalformedField {
            field: "version",
            reason: "unsupported",
        });
    }
    let order_id =
        Id::parse("order_id", next("order_id")?).map_err(|_| TokenError::MalformedField {
            field: "order_id",
            reason: "not a 63-bit id",
        })?;
    let expires_at = parse_u64("expires_at", next("expires_at")?)?;
    let user_id = next("user_id")?.to_owned();
    check_user_id(&user_id).map_err(|reason| TokenError::MalformedField {
        field: "user_id",
        reason,
    })?;
    if now >= expires_at {
        return Err(TokenError::Expired { expires_at, now });
    }
    Ok(Claims {
        order_id,
        user_id,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
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
