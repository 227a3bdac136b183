//! The sealed-field plaintext (SPEC 4.5, issue 14) and the per-user ledger of the nonces
//! already used, so that a sealed value captured once (a log, a proxy) cannot be sent
//! again.
//!
//! **Format (Kassa's decision).** What RSA-OAEP-SHA256 seals is not the bare value but
//! the JSON object `{"v": <value, a string>, "ts": <unix ms, an integer>, "n": <nonce>}`,
//! the nonce 16 random bytes as base64url without padding (22 characters). No other key
//! is accepted; a bare string (the format before issue 14) is malformed.
//!
//! **Freshness.** A sealed value is accepted when `ts` is at most [`WINDOW_MS`] (5 min)
//! from the edge's clock, either side (a browser's clock drifts), and its nonce has not
//! been used by the same user within the window. [`NonceLedger`] keeps each nonce with
//! its `ts` until `ts + WINDOW_MS` has passed — after that the value is stale anyway —
//! and holds at most [`LEDGER_CAP`] nonces: when full of live nonces it refuses rather
//! than forgetting one (forgetting would reopen a replay); 256 sealed values in 5 min is
//! no shopper's pace. [`NonceLedger::check_and_record`] takes all the nonces of one
//! request: either all are fresh and recorded, or none is recorded.
//!
//! Pure: the caller passes `now`; nothing here reads a clock or draws randomness.

use serde::{Deserialize, Serialize};

/// How far a sealed value's `ts` may be from the edge's clock, and how long its nonce is
/// remembered.
pub const WINDOW_MS: u64 = 5 * 60 * 1000;
/// The most nonces one user's ledger holds.
pub const LEDGER_CAP: usize = 256;
/// The nonce's length once decoded (bytes).
pub const NONCE_BYTES: usize = 16;

/// An opened sealed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The value the shopper typed.
    pub value: String,
    /// When the browser sealed it (unix ms).
    pub ts_ms: u64,
    /// The nonce, as sent (22 base64url characters).
    pub nonce: String,
}

/// Why a sealed value is refused. `Display` is the reason an error names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealedError {
    #[error("malformed sealed value (expected {{\"v\", \"ts\", \"n\"}} JSON)")]
    Malformed,
    #[error("stale (sealed more than 5 min from the server's clock)")]
    Stale,
    #[error("replayed (this sealed value was already used)")]
    Replayed,
    #[error("too many sealed values in 5 min")]
    Full,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    v: String,
    ts: u64,
    n: String,
}

/// Reads the plaintext of a sealed field (module docs).
///
/// # Errors
/// [`SealedError::Malformed`] for anything but the documented object with a 16-byte
/// base64url nonce.
pub fn parse(plain: &[u8]) -> Result<Sealed, SealedError> {
    let w: Wire = serde_json::from_slice(plain).map_err(|_| SealedError::Malformed)?;
    let nonce_ok = w.n.len() == 22
        && w.n
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && data_encoding::BASE64URL_NOPAD
            .decode(w.n.as_bytes())
            .is_ok_and(|b| b.len() == NONCE_BYTES);
    if !nonce_ok {
        return Err(SealedError::Malformed);
    }
    Ok(Sealed {
        value: w.v,
        ts_ms: w.ts,
        nonce: w.n,
    })
}

/// The plaintext [`parse`] reads: what the widget's `sealField` and the tests seal.
#[must_use]
pub fn plaintext(value: &str, ts_ms: u64, nonce: &[u8; NONCE_BYTES]) -> String {
    serde_json::json!({
        "v": value,
        "ts": ts_ms,
        "n": data_encoding::BASE64URL_NOPAD.encode(nonce),
    })
    .to_string()
}

/// `ts` within [`WINDOW_MS`] of `now` (either side).
///
/// # Errors
/// [`SealedError::Stale`].
pub fn check_fresh(ts_ms: u64, now_ms: u64) -> Result<(), SealedError> {
    if ts_ms.abs_diff(now_ms) > WINDOW_MS {
        return Err(SealedError::Stale);
    }
    Ok(())
}

/// One used nonce and the `ts` it was sealed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Used {
    pub n: String,
    pub ts: u64,
}

/// A user's used nonces (module docs), stored as JSON in their `UserObject`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonceLedger {
    pub used: Vec<Used>,
}

impl NonceLedger {
    /// Drops the nonces whose value would be stale by now.
    fn prune(&mut self, now_ms: u64) {
        self.used
            .retain(|u| u.ts.saturating_add(WINDOW_MS) >= now_ms);
    }

    /// Checks that every `(nonce, ts)` of one request is fresh and unused (also among
    /// themselves), then records them all; on any refusal nothing is recorded. Returns
    /// the index of the refused item with the reason.
    ///
    /// # Errors
    /// `(index, Stale | Replayed | Full)`.
    pub fn check_and_record(
        &mut self,
        items: &[(&str, u64)],
        now_ms: u64,
    ) -> Result<(), (usize, SealedError)> {
        self.prune(now_ms);
        for (i, &(n, ts)) in items.iter().enumerate() {
            check_fresh(ts, now_ms).map_err(|e| (i, e))?;
            let seen =
                self.used.iter().any(|u| u.n == n) || items[..i].iter().any(|&(m, _)| m == n);
            if seen {
                return Err((i, SealedError::Replayed));
            }
        }
        if self.used.len() + items.len() > LEDGER_CAP {
            return Err((0, SealedError::Full));
        }
        self.used.extend(items.iter().map(|&(n, ts)| Used {
            n: n.to_owned(),
            ts,
        }));
        Ok(())
    }

    /// How many nonces are held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.used.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.used.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: u64 = 1_800_000_000_000;

    fn nonce(i: u8) -> String {
        data_encoding::BASE64URL_NOPAD.encode(&[i; NONCE_BYTES])
    }

    #[test]
    fn plaintext_round_trips() {
        let p = plaintext("s3cret-密码 \"q\"", NOW, &[7; 16]);
        let s = parse(p.as_bytes()).unwrap();
        assert_eq!(s.value, "s3cret-密码 \"q\"");
        assert_eq!(s.ts_ms, NOW);
        assert_eq!(s.nonce, nonce(7));
    }

    #[test]
    fn bare_and_malformed_values_are_refused() {
        for bad in [
            &b"123456"[..],
            b"\"123456\"",
            b"{\"v\":\"1\",\"ts\":1}",
            b"{\"v\":\"1\",\"ts\":\"1\",\"n\":\"AAAAAAAAAAAAAAAAAAAAAA\"}",
            b"{\"v\":\"1\",\"ts\":1,\"n\":\"AAAA\"}",
            b"{\"v\":\"1\",\"ts\":1,\"n\":\"AAAAAAAAAAAAAAAAAAAAA=\"}",
            b"{\"v\":\"1\",\"ts\":-1,\"n\":\"AAAAAAAAAAAAAAAAAAAAAA\"}",
            b"{\"v\":\"1\",\"ts\":1,\"n\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"x\":1}",
            b"\xff",
        ] {
            assert_eq!(parse(bad), Err(SealedError::Malformed), "{bad:?}");
        }
        assert!(parse(b"{\"v\":\"1\",\"ts\":1,\"n\":\"AAAAAAAAAAAAAAAAAAAAAA\"}").is_ok());
    }

    #[test]
    fn freshness_is_five_minutes_either_side() {
        assert!(check_fresh(NOW - WINDOW_MS, NOW).is_ok());
        assert!(check_fresh(NOW + WINDOW_MS, NOW).is_ok());
        assert_eq!(
            check_fresh(NOW - WINDOW_MS - 1, NOW),
            Err(SealedError::Stale)
        );
        assert_eq!(
            check_fresh(NOW + WINDOW_MS + 1, NOW),
            Err(SealedError::Stale)
        );
        assert_eq!(check_fresh(0, NOW), Err(SealedError::Stale));
    }

    #[test]
    fn a_nonce_is_used_once_and_a_refusal_records_nothing() {
        let mut l = NonceLedger::default();
        let (a, b) = (nonce(1), nonce(2));
        l.check_and_record(&[(&a, NOW)], NOW).unwrap();
        assert_eq!(
            l.check_and_record(&[(&a, NOW)], NOW + 1),
            Err((0, SealedError::Replayed))
        );
        // b fresh, a replayed: b is not recorded either.
        assert_eq!(
            l.check_and_record(&[(&b, NOW), (&a, NOW)], NOW + 1),
            Err((1, SealedError::Replayed))
        );
        assert_eq!(l.len(), 1);
        // The same nonce twice in one request.
        assert_eq!(
            l.check_and_record(&[(&b, NOW), (&b, NOW)], NOW + 1),
            Err((1, SealedError::Replayed))
        );
        let stale = NOW - WINDOW_MS - 1;
        assert_eq!(
            l.check_and_record(&[(&b, NOW), (&nonce(3), stale)], NOW),
            Err((1, SealedError::Stale))
        );
        l.check_and_record(&[(&b, NOW)], NOW + 2).unwrap();
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn old_nonces_are_forgotten_only_once_stale() {
        let mut l = NonceLedger::default();
        let a = nonce(1);
        l.check_and_record(&[(&a, NOW)], NOW).unwrap();
        // Still remembered at the window's edge, where the value is still fresh.
        assert_eq!(
            l.check_and_record(&[(&a, NOW)], NOW + WINDOW_MS),
            Err((0, SealedError::Replayed))
        );
        // Past it, the value is stale: forgotten, and refused as stale.
        assert_eq!(
            l.check_and_record(&[(&a, NOW)], NOW + WINDOW_MS + 1),
            Err((0, SealedError::Stale))
        );
        assert!(l.is_empty());
    }

    #[test]
    fn a_full_ledger_refuses_rather_than_forgets() {
        let mut l = NonceLedger::default();
        for i in 0..LEDGER_CAP {
            let n = format!("{i:0>22}");
            l.check_and_record(&[(&n, NOW)], NOW).unwrap();
        }
        assert_eq!(
            l.check_and_record(&[(&nonce(1), NOW)], NOW),
            Err((0, SealedError::Full))
        );
        assert_eq!(l.len(), LEDGER_CAP);
        assert_eq!(
            l.check_and_record(&[(&format!("{:0>22}", 0), NOW)], NOW),
            Err((0, SealedError::Replayed))
        );
        l.check_and_record(&[(&nonce(1), NOW + WINDOW_MS + 1)], NOW + WINDOW_MS + 1)
            .unwrap();
        assert_eq!(l.len(), 1);
    }

    proptest! {
        /// Whatever the sequence, no nonce is accepted twice while its value is fresh,
        /// the ledger never exceeds its cap, and a refused request records nothing.
        #[test]
        fn no_fresh_nonce_is_accepted_twice(
            steps in proptest::collection::vec((0u8..40, 0u64..(3 * WINDOW_MS), 0u64..60_000), 1..200)
        ) {
            let mut l = NonceLedger::default();
            let mut accepted: Vec<(String, u64)> = Vec::new();
            let mut now = NOW;
            for (id, back, step) in steps {
                now += step;
                let n = nonce(id);
                let ts = now.saturating_sub(back);
                let before = l.clone();
                let r = l.check_and_record(&[(&n, ts)], now);
                if r.is_ok() {
                    prop_assert!(check_fresh(ts, now).is_ok());
                    prop_assert!(!accepted.iter().any(|(m, t)| *m == n && t + WINDOW_MS >= now));
                    accepted.push((n, ts));
                } else {
                    let mut pruned = before;
                    pruned.prune(now);
                    prop_assert_eq!(&l, &pruned);
                }
                prop_assert!(l.len() <= LEDGER_CAP);
            }
        }
    }
}
