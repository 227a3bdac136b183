//! A strict `application/x-www-form-urlencoded` parser for provider callbacks (Paytm posts
//! its callback this way, SPEC 3.4 "paytm").
//!
//! Strict on purpose, because the result feeds a checksum and then money decisions:
//! - a repeated name is refused (`ORDERID=1&ORDERID=2` means different things to
//!   different parsers — the same reason `jcs::parse_strict` refuses duplicate members);
//! - `%` must be followed by two hex digits, and the decoded bytes must be UTF-8;
//! - every pair needs a non-empty name and a `=`; empty pairs (`a=1&&b=2`, a trailing
//!   `&`) are refused rather than skipped.
//!
//! `+` decodes to a space, as the WHATWG URL standard says; Paytm's own form posts
//! encode a literal `+` as `%2B`.

use std::collections::BTreeMap;

/// Why a form body was refused. `key` is the (decoded, when possible) name involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("form: empty pair at position {index}")]
    EmptyPair { index: usize },
    #[error("form: pair {index} has no '='")]
    MissingEquals { index: usize },
    #[error("form: pair {index} has an empty name")]
    EmptyName { index: usize },
    #[error("form: malformed percent-encoding in pair {index}")]
    BadPercent { index: usize },
    #[error("form: pair {index} is not UTF-8 after decoding")]
    NotUtf8 { index: usize },
    #[error("form: {key}: appears more than once")]
    Duplicate { key: String },
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn decode(raw: &[u8], index: usize) -> Result<String, FormError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = raw.get(i + 1).copied().and_then(hex);
                let lo = raw.get(i + 2).copied().and_then(hex);
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(FormError::BadPercent { index });
                };
                out.push(hi << 4 | lo);
                i += 2;
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| FormError::NotUtf8 { index })
}

/// Parses a form body into name → value. An empty body is an empty form.
///
/// # Errors
/// Any [`FormError`]; the first problem found, in body order.
pub fn parse(body: &[u8]) -> Result<BTreeMap<String, String>, FormError> {
    let mut out = BTreeMap::new();
    if body.is_empty() {
        return Ok(out);
    }
    for (index, pair) in body.split(|&b| b == b'&').enumerate() {
        if pair.is_empty() {
            return Err(FormError::EmptyPair { index });
        }
        let eq = pair
            .iter()
            .position(|&b| b == b'=')
            .ok_or(FormError::MissingEquals { index })?;
        let (name, value) = (&pair[..eq], &pair[eq + 1..]);
        let name = decode(name, index)?;
        if name.is_empty() {
            return Err(FormError::EmptyName { index });
        }
        let value = decode(value, index)?;
        if out.contains_key(&name) {
            return Err(FormError::Duplicate { key: name });
        }
        out.insert(name, value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_decodes() {
        let f = parse(b"A=1&B=a+b%2Bc%3D&C=&D=%E2%82%B9").unwrap();
        assert_eq!(f["A"], "1");
        assert_eq!(f["B"], "a b+c=");
        assert_eq!(f["C"], "");
        assert_eq!(f["D"], "\u{20b9}");
        assert!(parse(b"").unwrap().is_empty());
    }

    #[test]
    fn refuses_what_is_ambiguous() {
        assert_eq!(
            parse(b"ORDERID=1&ORDERID=2"),
            Err(FormError::Duplicate {
                key: "ORDERID".into()
            })
        );
        // Duplicate after decoding is still a duplicate.
        assert!(matches!(
            parse(b"A=1&%41=2"),
            Err(FormError::Duplicate { .. })
        ));
        assert_eq!(parse(b"A=%4"), Err(FormError::BadPercent { index: 0 }));
        assert_eq!(parse(b"A=1&B=%zz"), Err(FormError::BadPercent { index: 1 }));
        assert_eq!(parse(b"A=%FF"), Err(FormError::NotUtf8 { index: 0 }));
        assert_eq!(parse(b"A=1&&B=2"), Err(FormError::EmptyPair { index: 1 }));
        assert_eq!(parse(b"A=1&"), Err(FormError::EmptyPair { index: 1 }));
        assert_eq!(parse(b"A"), Err(FormError::MissingEquals { index: 0 }));
        assert_eq!(parse(b"=1"), Err(FormError::EmptyName { index: 0 }));
    }

    proptest! {
        #[test]
        fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse(&body);
        }

        #[test]
        fn round_trips_encoded_pairs(
            pairs in proptest::collection::btree_map("[A-Za-z_]{1,8}", "\\PC{0,12}", 0..6)
        ) {
            let body = pairs
                .iter()
                .map(|(k, v)| format!("{k}={}", encode(v)))
                .collect::<Vec<_>>()
                .join("&");
            prop_assert_eq!(parse(body.as_bytes()).unwrap(), pairs);
        }
    }

    fn encode(s: &str) -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }
}
