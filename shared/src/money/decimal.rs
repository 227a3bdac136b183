//! The one decimal grammar every amount parser in [`crate::money`] shares (SPEC 2).
//!
//! Accepted: `0` or a digit string without leading zeros, optionally followed by `.`
//! and at least one and at most `scale` digits — `0`, `2`, `2.5`, `2.50`, `0.1575`.
//! Everything else is a [`MoneyError`] naming the field: empty, white space anywhere,
//! a leading `+` or `-`, exponents (`1e3`), non-ASCII digits (`١٢`), thousands
//! separators, a lone `.`, `.5`, `5.`, `007`, more decimals than `scale` (even zeros:
//! `2.000` is not a rupee amount), or a value that does not fit.
//!
//! Strict on purpose: these strings come from providers and shoppers' browsers, and the
//! cheapest place to catch a malformed amount is before it touches an order.

use super::MoneyError;

/// Parses `s` into an integer of `10^-scale` units ("2.5" at scale 2 → 250).
///
/// With `allow_fraction == false` only whole numbers are accepted (minor-unit fields
/// such as S4 `amount: "1000"`), and a `.` is [`MoneyError::NotAnInteger`].
///
/// # Errors
/// One [`MoneyError`] per rule of the grammar (module docs), naming `field`.
pub fn parse_units(
    field: &'static str,
    s: &str,
    scale: u32,
    allow_fraction: bool,
) -> Result<u128, MoneyError> {
    if s.is_empty() {
        return Err(MoneyError::Empty { field });
    }
    if s.chars().any(char::is_whitespace) {
        return Err(MoneyError::Whitespace { field });
    }
    match s.chars().next() {
        Some('+') => return Err(MoneyError::LeadingPlus { field }),
        // U+2212 is the typographic minus some locales' formatters emit.
        Some('-' | '\u{2212}') => return Err(MoneyError::Negative { field }),
        _ => {}
    }
    let mut prev: Option<char> = None;
    let mut dots = 0usize;
    for c in s.chars() {
        match c {
            '0'..='9' => {}
            '.' => dots += 1,
            'e' | 'E' if matches!(prev, Some('0'..='9' | '.')) => {
                return Err(MoneyError::Exponent { field })
            }
            c if c.is_numeric() => return Err(MoneyError::NonAsciiDigit { field }),
            found => return Err(MoneyError::InvalidCharacter { field, found }),
        }
        prev = Some(c);
    }
    if dots > 1 {
        return Err(MoneyError::MultipleDots { field });
    }
    let (int, frac) = match s.split_once('.') {
        None => (s, ""),
        Some(_) if !allow_fraction => return Err(MoneyError::NotAnInteger { field }),
        Some(("", "")) => return Err(MoneyError::LoneDot { field }),
        Some(("", _)) => return Err(MoneyError::MissingIntegerPart { field }),
        Some((_, "")) => return Err(MoneyError::MissingFraction { field }),
        Some(parts) => parts,
    };
    if int.len() > 1 && int.starts_with('0') {
        return Err(MoneyError::LeadingZero { field });
    }
    if frac.len() > scale as usize {
        return Err(MoneyError::TooManyDecimals { field, max: scale });
    }
    let overflow = || MoneyError::Overflow { field };
    // Only ASCII digits remain, so `len()` counts digits. `frac.len() <= scale`.
    let pad = scale - u32::try_from(frac.len()).map_err(|_| overflow())?;
    let mut units: u128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        units = units
            .checked_mul(10)
            .and_then(|u| u.checked_add(u128::from(b - b'0')))
            .ok_or_else(overflow)?;
    }
    let factor = 10u128.checked_pow(pad).ok_or_else(overflow)?;
    units.checked_mul(factor).ok_or_else(overflow)
}

/// Formats `units` of `10^-scale` as a decimal string.
///
/// `trim == false` keeps all `scale` decimals (fiat: 250 cents → "2.50"); `trim == true`
/// drops trailing fractional zeros and a bare `.` (tokens: `15_750_000` satoshi → "0.1575",
/// 0 → "0"). Either form parses back to the same `units` at the same `scale`.
#[must_use]
pub fn format_units(units: u128, scale: u32, trim: bool) -> String {
    let digits = units.to_string();
    let scale = scale as usize;
    if scale == 0 {
        return digits;
    }
    // Left-pad so there is at least one integer digit.
    let padded = if digits.len() <= scale {
        format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
    } else {
        digits
    };
    let (int, frac) = padded.split_at(padded.len() - scale);
    let frac = if trim {
        frac.trim_end_matches('0')
    } else {
        frac
    };
    if frac.is_empty() {
        int.to_owned()
    } else {
        format!("{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_grammar() {
        let cases: &[(&str, u32, u128)] = &[
            ("0", 2, 0),
            ("2", 2, 200),
            ("2.5", 2, 250),
            ("2.50", 2, 250),
            ("0.01", 2, 1),
            ("0.1575", 8, 15_750_000),
            ("1000", 0, 1000),
            ("340282366920938463463374607431768211455", 0, u128::MAX),
        ];
        for &(s, scale, want) in cases {
            assert_eq!(parse_units("amount", s, scale, true), Ok(want), "{s}");
        }
    }

    #[test]
    fn rejects_with_field_and_reason() {
        use MoneyError as E;
        let f = "amount";
        let cases: Vec<(&str, MoneyError)> = vec![
            ("", E::Empty { field: f }),
            (" 1", E::Whitespace { field: f }),
            ("1 ", E::Whitespace { field: f }),
            ("1\u{a0}000", E::Whitespace { field: f }),
            ("+1", E::LeadingPlus { field: f }),
            ("-1", E::Negative { field: f }),
            ("-0", E::Negative { field: f }),
            ("\u{2212}1", E::Negative { field: f }),
            ("1e3", E::Exponent { field: f }),
            ("1.5E2", E::Exponent { field: f }),
            ("١٢", E::NonAsciiDigit { field: f }),
            ("１２", E::NonAsciiDigit { field: f }),
            (
                "1,000",
                E::InvalidCharacter {
                    field: f,
                    found: ',',
                },
            ),
            (
                "NaN",
                E::InvalidCharacter {
                    field: f,
                    found: 'N',
                },
            ),
            (
                "0x10",
                E::InvalidCharacter {
                    field: f,
                    found: 'x',
                },
            ),
            (".", E::LoneDot { field: f }),
            ("1.2.3", E::MultipleDots { field: f }),
            (".5", E::MissingIntegerPart { field: f }),
            ("5.", E::MissingFraction { field: f }),
            ("007", E::LeadingZero { field: f }),
            ("00.5", E::LeadingZero { field: f }),
            ("1.234", E::TooManyDecimals { field: f, max: 2 }),
            ("2.000", E::TooManyDecimals { field: f, max: 2 }),
            (
                "340282366920938463463374607431768211455",
                E::Overflow { field: f },
            ),
        ];
        for (s, want) in cases {
            assert_eq!(parse_units(f, s, 2, true), Err(want), "{s:?}");
        }
        assert_eq!(
            parse_units(f, "10.5", 2, false),
            Err(E::NotAnInteger { field: f })
        );
        assert_eq!(
            parse_units(f, "99999999999999999999999999999999999999999", 0, false),
            Err(E::Overflow { field: f })
        );
    }

    #[test]
    fn formats() {
        assert_eq!(format_units(250, 2, false), "2.50");
        assert_eq!(format_units(200, 2, false), "2.00");
        assert_eq!(format_units(1, 2, false), "0.01");
        assert_eq!(format_units(0, 2, false), "0.00");
        assert_eq!(format_units(0, 8, true), "0");
        assert_eq!(format_units(15_750_000, 8, true), "0.1575");
        assert_eq!(format_units(10_000_000_000, 8, true), "100");
        assert_eq!(format_units(7, 0, false), "7");
        assert_eq!(format_units(0, 0, true), "0");
        assert_eq!(format_units(1, 18, true), "0.000000000000000001");
        assert_eq!(format_units(100, 2, true), "1");
        assert_eq!(
            format_units(u128::MAX, 0, false),
            "340282366920938463463374607431768211455"
        );
        assert_eq!(
            format_units(u128::MAX, 18, true),
            "340282366920938463463.374607431768211455"
        );
    }

    proptest::proptest! {
        /// The digits agree with core's formatting, and parse back to the same units.
        #[test]
        fn formats_like_core_and_round_trips(units: u128, scale in 0u32..=30, trim: bool) {
            let s = format_units(units, scale, trim);
            let digits: String = s.chars().filter(|&c| c != '.').collect();
            let core = units.to_string();
            proptest::prop_assert!(core.starts_with(digits.trim_start_matches('0')));
            proptest::prop_assert_eq!(parse_units("amount", &s, scale, true), Ok(units));
        }
    }
}
