//! Token amounts (SPEC 2, "Money"; S2 `amount`, `paidAmount`, `refundedAmount`…): exact
//! integers of a token's base unit (satoshi, wei…) with the token's precision, and the
//! [`TokenTable`] that says which precision each token has.
//!
//! Formatting decision: a token amount is written in its shortest exact form — trailing
//! fractional zeros and a bare `.` are dropped — because that is how S2 writes them
//! (`"0.1575"` BTC, `"0"`, `"100"`). So `"0.1575"` round-trips as `"0.1575"`, `"0"` as
//! `"0"`, and `"0.15750000"` parses to the same amount but formats as `"0.1575"`.
//! Nothing that changes the value is ever trimmed.

use core::cmp::Ordering;
use core::fmt;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::decimal::{format_units, parse_units};
use super::MoneyError;

/// The largest precision a token may have. 10^30 base units per token still leaves room
/// for 3.4 × 10^8 whole tokens in a `u128`; real tokens stop at 18 (ETH) or 24.
pub const MAX_TOKEN_PRECISION: u32 = 30;

/// An exact token amount: `units` of `10^-precision` token.
///
/// Equality and ordering are numeric and exact across precisions (`0.1` at precision 6
/// equals `0.1` at precision 8). The token itself is not part of the value; callers keep
/// the `tokenId` beside it, as S2 does.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(try_from = "TokenAmountRepr", into = "TokenAmountRepr")]
pub struct TokenAmount {
    units: u128,
    precision: u32,
}

/// Stored form: `units` as a string because JSON numbers lose integers above 2^53.
#[derive(Serialize, Deserialize)]
struct TokenAmountRepr {
    units: String,
    precision: u32,
}

impl From<TokenAmount> for TokenAmountRepr {
    fn from(a: TokenAmount) -> Self {
        Self {
            units: a.units.to_string(),
            precision: a.precision,
        }
    }
}

impl TryFrom<TokenAmountRepr> for TokenAmount {
    type Error = MoneyError;
    fn try_from(r: TokenAmountRepr) -> Result<Self, MoneyError> {
        let units = parse_units("units", &r.units, 0, false)?;
        Self::new(units, r.precision)
    }
}

impl TokenAmount {
    /// `units` base units at `precision`.
    ///
    /// # Errors
    /// [`MoneyError::InvalidTokenPrecision`] when `precision > MAX_TOKEN_PRECISION`.
    pub fn new(units: u128, precision: u32) -> Result<Self, MoneyError> {
        if precision > MAX_TOKEN_PRECISION {
            return Err(MoneyError::InvalidTokenPrecision {
                field: "precision",
                precision,
            });
        }
        Ok(Self { units, precision })
    }

    /// Parses a decimal with at most `precision` decimals ("0.1575" at 8 → 15 750 000).
    ///
    /// # Errors
    /// Any grammar error of [`crate::money::decimal`], naming `field`;
    /// [`MoneyError::InvalidTokenPrecision`] above `MAX_TOKEN_PRECISION`.
    pub fn parse(field: &'static str, s: &str, precision: u32) -> Result<Self, MoneyError> {
        if precision > MAX_TOKEN_PRECISION {
            return Err(MoneyError::InvalidTokenPrecision { field, precision });
        }
        let units = parse_units(field, s, precision, true)?;
        Ok(Self { units, precision })
    }

    #[must_use]
    pub const fn units(self) -> u128 {
        self.units
    }

    #[must_use]
    pub const fn precision(self) -> u32 {
        self.precision
    }

    #[must_use]
    pub const fn is_zero(self) -> bool {
        self.units == 0
    }

    /// Sum at the same precision; `None` on a precision mismatch or overflow.
    #[must_use]
    pub fn checked_add(self, other: Self) -> Option<Self> {
        (self.precision == other.precision).then_some(())?;
        Some(Self {
            units: self.units.checked_add(other.units)?,
            precision: self.precision,
        })
    }

    /// Difference at the same precision; `None` on a precision mismatch or underflow.
    #[must_use]
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        (self.precision == other.precision).then_some(())?;
        Some(Self {
            units: self.units.checked_sub(other.units)?,
            precision: self.precision,
        })
    }

    /// (whole tokens, fraction scaled to `precision`): exact, no overflow because both
    /// precisions are at most `MAX_TOKEN_PRECISION` and 10^30 fits a `u128`.
    fn split_at(self, precision: u32) -> (u128, u128) {
        let one = 10u128.saturating_pow(self.precision);
        let up = 10u128.saturating_pow(precision.saturating_sub(self.precision));
        (self.units / one, (self.units % one).saturating_mul(up))
    }
}

impl Ord for TokenAmount {
    fn cmp(&self, other: &Self) -> Ordering {
        let p = self.precision.max(other.precision);
        self.split_at(p).cmp(&other.split_at(p))
    }
}

impl PartialOrd for TokenAmount {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for TokenAmount {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for TokenAmount {}

impl fmt::Display for TokenAmount {
    /// The shortest exact decimal (see the module docs): "0.1575", "0", "100".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_units(self.units, self.precision, true))
    }
}

/// The tokens every table starts with (SPEC 2 "Money").
const BUILTIN_TOKENS: [(&str, u32); 3] = [("BTC", 8), ("USDT", 6), ("ETH", 18)];

/// Token symbol → precision. [`TokenTable::builtin`] has BTC 8, USDT 6, ETH 18;
/// configuration adds more with [`TokenTable::insert`]. Symbols are matched exactly
/// (case-sensitive), as S2's `tokenId` is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BTreeMap<String, u32>", into = "BTreeMap<String, u32>")]
pub struct TokenTable {
    tokens: BTreeMap<String, u32>,
}

impl Default for TokenTable {
    fn default() -> Self {
        Self::builtin()
    }
}

impl TokenTable {
    /// BTC 8, USDT 6, ETH 18.
    #[must_use]
    pub fn builtin() -> Self {
        let tokens = BUILTIN_TOKENS
            .iter()
            .map(|&(s, p)| (s.to_owned(), p))
            .collect();
        Self { tokens }
    }

    /// A table with no tokens (configuration lists them all).
    #[must_use]
    pub fn empty() -> Self {
        Self {
            tokens: BTreeMap::new(),
        }
    }

    /// Adds a token. Re-adding one with the same precision is a no-op; changing the
    /// precision of a known token is refused, because every stored amount of it would
    /// silently change value.
    ///
    /// # Errors
    /// [`MoneyError::InvalidTokenSymbol`], [`MoneyError::InvalidTokenPrecision`],
    /// [`MoneyError::TokenRedefined`].
    pub fn insert(
        &mut self,
        field: &'static str,
        symbol: &str,
        precision: u32,
    ) -> Result<(), MoneyError> {
        let valid =
            (1..=16).contains(&symbol.len()) && symbol.bytes().all(|b| b.is_ascii_alphanumeric());
        if !valid {
            return Err(MoneyError::InvalidTokenSymbol {
                field,
                symbol: symbol.to_owned(),
            });
        }
        if precision > MAX_TOKEN_PRECISION {
            return Err(MoneyError::InvalidTokenPrecision { field, precision });
        }
        match self.tokens.get(symbol) {
            Some(&existing) if existing != precision => Err(MoneyError::TokenRedefined {
                field,
                symbol: symbol.to_owned(),
                existing,
            }),
            Some(_) => Ok(()),
            None => {
                self.tokens.insert(symbol.to_owned(), precision);
                Ok(())
            }
        }
    }

    #[must_use]
    pub fn precision(&self, symbol: &str) -> Option<u32> {
        self.tokens.get(symbol).copied()
    }

    /// Symbols and precisions, in symbol order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32)> {
        self.tokens.iter().map(|(s, &p)| (s.as_str(), p))
    }

    /// Parses `s` as an amount of `symbol`; `field` names the amount field.
    ///
    /// # Errors
    /// [`MoneyError::UnknownToken`], or any error of [`TokenAmount::parse`].
    pub fn parse(
        &self,
        field: &'static str,
        symbol: &str,
        s: &str,
    ) -> Result<TokenAmount, MoneyError> {
        parse_at(self.precision(symbol), field, symbol, s)
    }

    /// [`TokenTable::parse`] against the built-in tokens, without building a table: the
    /// widget knows only these, and a map (with its sort and tree code) costs its bundle
    /// bytes.
    ///
    /// # Errors
    /// As [`TokenTable::parse`].
    pub fn parse_builtin(
        field: &'static str,
        symbol: &str,
        s: &str,
    ) -> Result<TokenAmount, MoneyError> {
        let precision = BUILTIN_TOKENS
            .iter()
            .find(|&&(b, _)| b == symbol)
            .map(|&(_, p)| p);
        parse_at(precision, field, symbol, s)
    }
}

/// `s` at `precision`, or [`MoneyError::UnknownToken`] when the symbol has none.
fn parse_at(
    precision: Option<u32>,
    field: &'static str,
    symbol: &str,
    s: &str,
) -> Result<TokenAmount, MoneyError> {
    let precision = precision.ok_or_else(|| MoneyError::UnknownToken {
        field,
        symbol: symbol.to_owned(),
    })?;
    TokenAmount::parse(field, s, precision)
}

impl TryFrom<BTreeMap<String, u32>> for TokenTable {
    type Error = MoneyError;
    fn try_from(map: BTreeMap<String, u32>) -> Result<Self, MoneyError> {
        let mut table = Self::empty();
        for (symbol, precision) in map {
            table.insert("tokens", &symbol, precision)?;
        }
        Ok(table)
    }
}

impl From<TokenTable> for BTreeMap<String, u32> {
    fn from(t: TokenTable) -> Self {
        t.tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn s2_amounts() {
        let t = TokenTable::builtin();
        let a = t.parse("amount", "BTC", "0.1575");
        assert_eq!(a.clone().map(TokenAmount::units), Ok(15_750_000));
        assert_eq!(a.map(|a| a.to_string()), Ok("0.1575".to_owned()));
        assert_eq!(
            t.parse("paidAmount", "BTC", "0").map(|a| a.to_string()),
            Ok("0".to_owned())
        );
        assert_eq!(
            t.parse("amount", "USDT", "100").map(|a| a.to_string()),
            Ok("100".to_owned())
        );
        assert_eq!(
            t.parse("amount", "ETH", "1.000000000000000001")
                .map(TokenAmount::units),
            Ok(1_000_000_000_000_000_001)
        );
        assert_eq!(
            t.parse("amount", "USDT", "0.0000001"),
            Err(MoneyError::TooManyDecimals {
                field: "amount",
                max: 6
            })
        );
        assert_eq!(
            t.parse("amount", "DOGE", "1"),
            Err(MoneyError::UnknownToken {
                field: "amount",
                symbol: "DOGE".to_owned()
            })
        );
        assert_eq!(
            t.parse("amount", "BTC", "1e-3"),
            Err(MoneyError::Exponent { field: "amount" })
        );
    }

    #[test]
    fn parse_builtin_agrees_with_the_builtin_table() {
        let t = TokenTable::builtin();
        for (symbol, amount) in [
            ("BTC", "0.1575"),
            ("USDT", "100"),
            ("ETH", "0.000000000000000001"),
            ("BTC", "0.123456789"),
            ("btc", "1"),
            ("DOGE", "1"),
            ("ETH", ""),
        ] {
            assert_eq!(
                TokenTable::parse_builtin("amount", symbol, amount),
                t.parse("amount", symbol, amount),
                "{symbol} {amount}"
            );
        }
    }

    #[test]
    fn trailing_zeros_parse_equal_and_format_short() {
        let t = TokenTable::builtin();
        let long = t.parse("amount", "BTC", "0.15750000");
        assert_eq!(long, t.parse("amount", "BTC", "0.1575"));
        assert_eq!(long.map(|a| a.to_string()), Ok("0.1575".to_owned()));
    }

    #[test]
    fn exact_comparisons_across_precisions() {
        let p = |s: &str, precision| {
            TokenAmount::parse("amount", s, precision).unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(p("0.1", 6), p("0.10000000", 8));
        assert!(p("0.1", 6) < p("0.10000001", 8));
        assert!(p("2", 0) > p("1.999999", 6));
    }

    #[test]
    fn configuration_extends_the_table() {
        let mut t = TokenTable::builtin();
        assert_eq!(t.insert("tokens", "NEAR", 24), Ok(()));
        assert_eq!(t.insert("tokens", "BTC", 8), Ok(()));
        assert_eq!(
            t.insert("tokens", "BTC", 6),
            Err(MoneyError::TokenRedefined {
                field: "tokens",
                symbol: "BTC".to_owned(),
                existing: 8
            })
        );
        assert!(t.insert("tokens", "", 2).is_err());
        assert!(t.insert("tokens", "B TC", 2).is_err());
        assert!(t.insert("tokens", "BIG", 31).is_err());
        assert_eq!(t.precision("NEAR"), Some(24));
        let json = serde_json::to_string(&t).unwrap_or_default();
        assert_eq!(serde_json::from_str::<TokenTable>(&json).ok(), Some(t));
        assert!(serde_json::from_str::<TokenTable>(r#"{"X":99}"#).is_err());
    }

    #[test]
    fn serde_keeps_units_exact() {
        let a = TokenAmount::parse("amount", "340282366920.938463463374607431768211455", 27);
        let a = a.unwrap_or_else(|e| panic!("{e}"));
        let json = serde_json::to_string(&a).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"units":"340282366920938463463374607431768211455","precision":27}"#
        );
        let back: TokenAmount = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((back.units(), back.precision()), (a.units(), a.precision()));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn format_parse_round_trip_every_token(units in any::<u128>()) {
            let t = TokenTable::builtin();
            for (symbol, precision) in t.iter() {
                let a = TokenAmount::new(units, precision).unwrap_or_else(|e| panic!("{e}"));
                let back = t.parse("amount", symbol, &a.to_string());
                prop_assert_eq!(back.map(|b| (b.units(), b.precision())), Ok((units, precision)));
            }
        }

        #[test]
        fn canonical_strings_round_trip(int in 0u64..1_000_000, frac in "[0-9]{0,7}[1-9]") {
            let s = format!("{int}.{frac}");
            let a = TokenAmount::parse("amount", &s, 8);
            prop_assert_eq!(a.map(|a| a.to_string()), Ok(s));
        }

        #[test]
        fn parse_never_panics(s in any::<String>(), p in 0u32..40) {
            let _ = TokenAmount::parse("amount", &s, p);
            let _ = TokenTable::builtin().parse("amount", "ETH", &s);
        }

        #[test]
        fn ordering_is_numeric(a in any::<u64>(), b in any::<u64>()) {
            // a at precision 6 against b·100 at precision 8: equal values iff a == b.
            let x = TokenAmount::new(u128::from(a), 6).unwrap_or_else(|e| panic!("{e}"));
            let y = TokenAmount::new(u128::from(b) * 100, 8).unwrap_or_else(|e| panic!("{e}"));
            prop_assert_eq!(x.cmp(&y), a.cmp(&b));
        }
    }
}
