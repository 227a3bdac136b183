//! The framing both HMAC tokens share — the order's `client_secret` (`kcs_`) and the
//! user token (`kut_`):
//!
//! ```text
//! <prefix><base64url(payload)>.<base64url(mac)>
//! payload = "1" "." <field> "." <expiry, unix seconds> "." <user id>
//! mac     = HMAC-SHA256(secret, <prefix> + base64url(payload))     (32 bytes)
//! ```
//!
//! The MAC covers the prefix, so one kind can never verify as the other under the same
//! key. [`open`] checks the framing, then the MAC (constant time), and only then decodes
//! the payload, so a forger learns nothing but "bad mac". Each token module keeps its
//! own claims, field meaning and error type; this one only frames.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::{ct, hmac_sha256};

/// The longest user id a token carries; keeps tokens inside URL and header limits.
pub const MAX_USER_ID_LEN: usize = 256;
const VERSION: &str = "1";

/// Why a frame did not open. `BadMac` carries no detail on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FrameError {
    Malformed(&'static str),
    BadMac,
    Field {
        field: &'static str,
        reason: &'static str,
    },
}

/// Why claims cannot be issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IssueError {
    UserId(&'static str),
    Expired,
    TooLong,
}

pub(super) fn mac_of(secret: &[u8], signed_part: &str) -> [u8; 32] {
    hmac_sha256(secret, &[signed_part.as_bytes()])
}

pub(super) fn check_user_id(user_id: &str) -> Result<(), &'static str> {
    if user_id.is_empty() {
        return Err("must not be empty");
    }
    if user_id.len() > MAX_USER_ID_LEN {
        return Err("longer than 256 bytes");
    }
    Ok(())
}

/// Signs `field`, `expires_at` and `user_id` under `prefix`, refusing an expiry that has
/// passed or lies more than `max_lifetime` seconds after `now`.
pub(super) fn seal(
    prefix: &str,
    secret: &[u8],
    field: &str,
    expires_at: u64,
    user_id: &str,
    now: u64,
    max_lifetime: u64,
) -> Result<String, IssueError> {
    check_user_id(user_id).map_err(IssueError::UserId)?;
    if expires_at <= now {
        return Err(IssueError::Expired);
    }
    if expires_at - now > max_lifetime {
        return Err(IssueError::TooLong);
    }
    let payload = format!("{VERSION}.{field}.{expires_at}.{user_id}");
    let signed = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(payload));
    let mac = URL_SAFE_NO_PAD.encode(mac_of(secret, &signed));
    Ok(format!("{signed}.{mac}"))
}

/// A decimal field of an opened payload.
pub(super) fn parse_u64(field: &'static str, s: &str) -> Result<u64, FrameError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FrameError::Field {
            field,
            reason: "not a decimal number",
        });
    }
    s.parse().map_err(|_| FrameError::Field {
        field,
        reason: "out of range",
    })
}

/// What an opened token holds: its first field (as text, named `field` in errors), the
/// expiry and the user id. The expiry is the caller's to compare with its clock.
pub(super) struct Opened {
    pub field: String,
    pub expires_at: u64,
    pub user_id: String,
}

/// Checks `token`'s framing and MAC under `prefix`, then reads its payload.
pub(super) fn open(
    prefix: &str,
    missing_prefix: &'static str,
    secret: &[u8],
    token: &str,
    field: &'static str,
) -> Result<Opened, FrameError> {
    if !token.starts_with(prefix) {
        return Err(FrameError::Malformed(missing_prefix));
    }
    let (signed, mac_b64) = token
        .rsplit_once('.')
        .ok_or(FrameError::Malformed("missing `.` before the mac"))?;
    let mac = URL_SAFE_NO_PAD
        .decode(mac_b64)
        .map_err(|_| FrameError::Malformed("mac is not base64url"))?;
    if !ct::eq(&mac_of(secret, signed), &mac) {
        return Err(FrameError::BadMac);
    }
    // From here on the token is ours; errors point at our own bugs or old formats.
    let payload = URL_SAFE_NO_PAD
        .decode(signed.strip_prefix(prefix).unwrap_or_default())
        .map_err(|_| FrameError::Field {
            field: "payload",
            reason: "not base64url",
        })?;
    let payload = String::from_utf8(payload).map_err(|_| FrameError::Field {
        field: "payload",
        reason: "not UTF-8",
    })?;
    let mut parts = payload.splitn(4, '.');
    let mut next = |field| {
        parts.next().ok_or(FrameError::Field {
            field,
            reason: "missing",
        })
    };
    if next("version")? != VERSION {
        return Err(FrameError::Field {
            field: "version",
            reason: "unsupported",
        });
    }
    let first = next(field)?.to_owned();
    let expires_at = parse_u64("expires_at", next("expires_at")?)?;
    let user_id = next("user_id")?.to_owned();
    check_user_id(&user_id).map_err(|reason| FrameError::Field {
        field: "user_id",
        reason,
    })?;
    Ok(Opened {
        field: first,
        expires_at,
        user_id,
    })
}
