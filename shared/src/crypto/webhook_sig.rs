//! The `Kassa-Signature` header on merchant webhooks (SPEC 3.5):
//!
//! ```text
//! Kassa-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>
//! ```
//!
//! During a secret rotation the edge sends one `v1=` entry per active secret; a verifier
//! may likewise hold several secrets. A header verifies when any `v1` matches the MAC
//! under any secret (constant-time comparisons) and `t` is within the tolerance of `now`
//! in either direction (default 300 s). Entries with other schemes (`v0=`, `v2=`) are
//! ignored so the scheme can evolve; a second `t=` is malformed.

use core::fmt::Write as _;

use super::ct;

/// The header name.
pub const HEADER: &str = "Kassa-Signature";
/// SPEC 3.5: verifiers reject timestamps older than 300 s.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// Why a header did not verify. `NoMatch` is deliberately opaque.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookSigError {
    #[error("Kassa-Signature: malformed header ({reason})")]
    Malformed { reason: &'static str },
    #[error("Kassa-Signature: no secret configured to verify with")]
    NoSecrets,
    #[error("Kassa-Signature: signature does not match")]
    NoMatch,
    #[error("Kassa-Signature: timestamp {t} is more than {tolerance} s before now ({now})")]
    TooOld { t: u64, now: u64, tolerance: u64 },
    #[error("Kassa-Signature: timestamp {t} is more than {tolerance} s after now ({now})")]
    InFuture { t: u64, now: u64, tolerance: u64 },
}

fn mac(secret: &[u8], t: u64, body: &[u8]) -> [u8; 32] {
    super::hmac_sha256(secret, &[t.to_string().as_bytes(), b".", body])
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The header value for `body` sent at `t` under one secret.
#[must_use]
pub fn sign(secret: &[u8], t: u64, body: &[u8]) -> String {
    format!("t={t},v1={}", hex(&mac(secret, t, body)))
}

/// The header value with one `v1=` entry per secret (secret rotation).
#[must_use]
pub fn sign_rotating<S: AsRef<[u8]>>(secrets: &[S], t: u64, body: &[u8]) -> String {
    let mut h = format!("t={t}");
    for s in secrets {
        let _ = write!(h, ",v1={}", hex(&mac(s.as_ref(), t, body)));
    }
    h
}

struct Parsed {
    t: u64,
    v1: Vec<[u8; 32]>,
}

fn parse(header: &str) -> Result<Parsed, WebhookSigError> {
    let bad = |reason| WebhookSigError::Malformed { reason };
    let mut t = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        let (k, v) = item
            .trim()
            .split_once('=')
            .ok_or(bad("an entry lacks `=`"))?;
        match k {
            "t" => {
                if t.is_some() {
                    return Err(bad("more than one t="));
                }
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad("t= is not unix seconds"));
                }
                t = Some(v.parse::<u64>().map_err(|_| bad("t= is out of range"))?);
            }
            "v1" => v1.push(decode_hex32(v).ok_or(bad("v1= is not 64 hex digits"))?),
            _ => {}
        }
    }
    let t = t.ok_or(bad("no t= entry"))?;
    if v1.is_empty() {
        return Err(bad("no v1= entry"));
    }
    Ok(Parsed { t, v1 })
}

fn decode_hex32(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks(2).enumerate() {
        out[i] = nib(pair[0])? << 4 | nib(pair[1])?;
    }
    Some(out)
}

/// Verifies `header` for `body` at `now` (unix seconds). Returns the header's `t`.
///
/// The signature is checked before the timestamp, so a stale-timestamp error is only ever
/// reported for a genuine (replayed or delayed) delivery.
pub fn verify<S: AsRef<[u8]>>(
    secrets: &[S],
    header: &str,
    body: &[u8],
    now: u64,
    tolerance_secs: u64,
) -> Result<u64, WebhookSigError> {
    let parsed = parse(header)?;
    if secrets.is_empty() {
        return Err(WebhookSigError::NoSecrets);
    }
    let mut ok = false;
    for s in secrets {
        let want = mac(s.as_ref(), parsed.t, body);
        for got in &parsed.v1 {
            // No early exit: every pair is compared so timing does not reveal which.
            ok |= ct::eq(&want, got);
        }
    }
    if !ok {
        return Err(WebhookSigError::NoMatch);
    }
    let t = parsed.t;
    if now > t && now - t > tolerance_secs {
        return Err(WebhookSigError::TooOld {
            t,
            now,
            tolerance: tolerance_secs,
        });
    }
    if t > now && t - now > tolerance_secs {
        return Err(WebhookSigError::InFuture {
            t,
            now,
            tolerance: tolerance_secs,
        });
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: u64 = 1_700_000_000;

    #[test]
    fn known_shape() {
        let h = sign(b"whsec_test", NOW, b"{}");
        assert!(h.starts_with("t=1700000000,v1="));
        assert_eq!(h.len(), "t=1700000000,v1=".len() + 64);
    }

    #[test]
    fn accepts_rotation_on_both_sides() {
        let body = br#"{"id":"evt_1"}"#;
        let h = sign_rotating(&[b"old".as_slice(), b"new"], NOW, body);
        assert_eq!(verify(&[b"new"], &h, body, NOW, 300), Ok(NOW));
        assert_eq!(verify(&[b"old"], &h, body, NOW, 300), Ok(NOW));
        let single = sign(b"new", NOW, body);
        assert_eq!(
            verify(&[b"other".as_slice(), b"new"], &single, body, NOW, 300),
            Ok(NOW)
        );
        // Unknown schemes and blanks around entries are ignored.
        let extra = format!("v0=abc, {single} ,v2=zz");
        assert_eq!(verify(&[b"new"], &extra, body, NOW, 300), Ok(NOW));
    }

    #[test]
    fn rejects_stale_and_future() {
        let h = sign(b"s", NOW, b"x");
        assert_eq!(verify(&[b"s"], &h, b"x", NOW + 300, 300), Ok(NOW));
        assert_eq!(
            verify(&[b"s"], &h, b"x", NOW + 301, 300),
            Err(WebhookSigError::TooOld {
                t: NOW,
                now: NOW + 301,
                tolerance: 300
            })
        );
        assert!(matches!(
            verify(&[b"s"], &h, b"x", NOW - 301, 300),
            Err(WebhookSigError::InFuture { .. })
        ));
    }

    #[test]
    fn rejects_malformed_headers_clearly() {
        let v = "0".repeat(64);
        for (h, reason) in [
            ("", "an entry lacks `=`"),
            (&*format!("v1={v}"), "no t= entry"),
            ("t=1", "no v1= entry"),
            (&*format!("t=1,t=2,v1={v}"), "more than one t="),
            (&*format!("t=-1,v1={v}"), "t= is not unix seconds"),
            ("t=1,v1=abc", "v1= is not 64 hex digits"),
            (
                &*format!("t=99999999999999999999,v1={v}"),
                "t= is out of range",
            ),
        ] {
            assert_eq!(
                verify(&[b"s"], h, b"", 1, 300),
                Err(WebhookSigError::Malformed { reason }),
                "{h}"
            );
        }
        let h = sign(b"s", NOW, b"x");
        assert_eq!(
            verify::<&[u8]>(&[], &h, b"x", NOW, 300),
            Err(WebhookSigError::NoSecrets)
        );
    }

    proptest! {
        #[test]
        fn sign_verify_and_tamper(secret in proptest::collection::vec(any::<u8>(), 1..64),
                                  body in proptest::collection::vec(any::<u8>(), 0..512),
                                  t in 0u64..4_000_000_000, skew in 0u64..=300, flip in any::<usize>()) {
            let h = sign(&secret, t, &body);
            prop_assert_eq!(verify(&[&secret], &h, &body, t + skew, 300), Ok(t));
            let mut other = body.clone();
            other.push(b' ');
            prop_assert_eq!(verify(&[&secret], &h, &other, t, 300), Err(WebhookSigError::NoMatch));
            // Flip one hex digit of the MAC.
            let mut bytes = h.into_bytes();
            let i = bytes.len() - 1 - flip % 64;
            bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
            let h2 = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(verify(&[&secret], &h2, &body, t, 300), Err(WebhookSigError::NoMatch));
        }
    }
}
