//! Fiat currencies and [`Money`]: an ISO 4217 currency and an integer of its minor unit.

use core::fmt;

use serde::{Deserialize, Serialize};

use super::decimal::{format_units, parse_units};
use super::MoneyError;

/// A fiat currency Kassa settles in. The first three are the ones S1's `currencyType`
/// names; EUR and JPY are there so nothing assumes two decimals (JPY has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Currency {
    #[serde(rename = "CNY")]
    Cny,
    #[serde(rename = "INR")]
    Inr,
    #[serde(rename = "USD")]
    Usd,
    #[serde(rename = "EUR")]
    Eur,
    #[serde(rename = "JPY")]
    Jpy,
}

impl Currency {
    pub const ALL: [Currency; 5] = [Self::Cny, Self::Inr, Self::Usd, Self::Eur, Self::Jpy];

    /// The ISO 4217 alphabetic code, e.g. `"CNY"`.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Cny => "CNY",
            Self::Inr => "INR",
            Self::Usd => "USD",
            Self::Eur => "EUR",
            Self::Jpy => "JPY",
        }
    }

    /// Decimal places of the minor unit (ISO 4217): fen, paise, cents → 2; yen → 0.
    #[must_use]
    pub const fn exponent(self) -> u32 {
        match self {
            Self::Cny | Self::Inr | Self::Usd | Self::Eur => 2,
            Self::Jpy => 0,
        }
    }

    /// Parses an ISO code. Exact upper case only: codes are machine-written, and a
    /// lower-case one points at a bug upstream worth seeing.
    ///
    /// # Errors
    /// [`MoneyError::UnknownCurrency`] for any other string.
    pub fn from_code(field: &'static str, code: &str) -> Result<Self, MoneyError> {
        Self::ALL
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or_else(|| MoneyError::UnknownCurrency {
                field,
                code: code.to_owned(),
            })
    }

    /// S1 `currencyType`: 1 INR, 2 CNY, 3 USD (S1 "preOrder").
    ///
    /// # Errors
    /// [`MoneyError::UnknownCurrencyType`] for any other number.
    pub fn from_s1_currency_type(field: &'static str, value: i64) -> Result<Self, MoneyError> {
        match value {
            1 => Ok(Self::Inr),
            2 => Ok(Self::Cny),
            3 => Ok(Self::Usd),
            _ => Err(MoneyError::UnknownCurrencyType { field, value }),
        }
    }

    /// The S1 `currencyType` for this currency; `None` for currencies S1 cannot name.
    #[must_use]
    pub const fn s1_currency_type(self) -> Option<u8> {
        match self {
            Self::Inr => Some(1),
            Self::Cny => Some(2),
            Self::Usd => Some(3),
            Self::Eur | Self::Jpy => None,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A fiat amount: a non-negative integer of `currency`'s minor unit.
///
/// `minor` is unsigned because no seed carries a negative amount (refunds are their own
/// messages); a `-` in input is [`MoneyError::Negative`]. There is deliberately no
/// `PartialOrd`: comparing across currencies is a bug; compare `minor()` after checking
/// `currency()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    currency: Currency,
    minor: u64,
}

impl Money {
    #[must_use]
    pub const fn new(currency: Currency, minor: u64) -> Self {
        Self { currency, minor }
    }

    #[must_use]
    pub const fn currency(self) -> Currency {
        self.currency
    }

    /// The amount in minor units (fen, paise, cents).
    #[must_use]
    pub const fn minor(self) -> u64 {
        self.minor
    }

    /// Parses a whole number of minor units: S0 `price`, S1 `amount`, S3 `pay_amount`,
    /// S4 `amount: "1000"` (fen).
    ///
    /// # Errors
    /// Any grammar error of [`crate::money::decimal`], [`MoneyError::NotAnInteger`] for a
    /// `.`, [`MoneyError::Overflow`] above `u64::MAX`.
    pub fn parse_minor(
        field: &'static str,
        currency: Currency,
        s: &str,
    ) -> Result<Self, MoneyError> {
        let units = parse_units(field, s, 0, false)?;
        Self::from_units(field, currency, units)
    }

    /// Parses a major-unit decimal with at most `currency.exponent()` decimals:
    /// "2.50" USD → 250 cents. Paytm `TXN_AMOUNT` is this with INR: "2", "2.0" and
    /// "2.00" are all 200 paise.
    ///
    /// # Errors
    /// Any grammar error of [`crate::money::decimal`], [`MoneyError::TooManyDecimals`],
    /// [`MoneyError::Overflow`] above `u64::MAX` minor units.
    pub fn parse_major(
        field: &'static str,
        currency: Currency,
        s: &str,
    ) -> Result<Self, MoneyError> {
        let units = parse_units(field, s, currency.exponent(), true)?;
        Self::from_units(field, currency, units)
    }

    /// The major-unit string with exactly `exponent()` decimals: 200 INR paise → "2.00"
    /// (Paytm `TXN_AMOUNT`), 250 USD cents → "2.50", 5 JPY → "5".
    #[must_use]
    pub fn format_major(self) -> String {
        format_units(u128::from(self.minor), self.currency.exponent(), false)
    }

    /// The minor-unit integer as a string: 1000 fen → "1000".
    #[must_use]
    pub fn format_minor(self) -> String {
        self.minor.to_string()
    }

    /// Sum of two amounts of the same currency; `None` on a currency mismatch or overflow.
    #[must_use]
    pub fn checked_add(self, other: Self) -> Option<Self> {
        if self.currency != other.currency {
            return None;
        }
        Some(Self::new(
            self.currency,
            self.minor.checked_add(other.minor)?,
        ))
    }

    fn from_units(
        field: &'static str,
        currency: Currency,
        units: u128,
    ) -> Result<Self, MoneyError> {
        let minor = u64::try_from(units).map_err(|_| MoneyError::Overflow { field })?;
        Ok(Self::new(currency, minor))
    }
}

impl fmt::Display for Money {
    /// "2.50 USD".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format_major(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn major_and_minor() {
        let usd = Money::parse_major("amount", Currency::Usd, "2.50");
        assert_eq!(usd, Ok(Money::new(Currency::Usd, 250)));
        assert_eq!(Money::new(Currency::Usd, 250).format_major(), "2.50");
        assert_eq!(Money::new(Currency::Usd, 250).to_string(), "2.50 USD");
        let fen = Money::parse_minor("amount", Currency::Cny, "1000");
        assert_eq!(fen, Ok(Money::new(Currency::Cny, 1000)));
        assert_eq!(Money::new(Currency::Cny, 1000).format_major(), "10.00");
        assert_eq!(Money::new(Currency::Jpy, 5).format_major(), "5");
        assert_eq!(
            Money::parse_major("amount", Currency::Jpy, "5.0"),
            Err(MoneyError::TooManyDecimals {
                field: "amount",
                max: 0
            })
        );
    }

    #[test]
    fn paytm_txn_amount_two_and_two_point_zero_zero_are_equal() {
        let a = Money::parse_major("TXN_AMOUNT", Currency::Inr, "2");
        let b = Money::parse_major("TXN_AMOUNT", Currency::Inr, "2.00");
        assert_eq!(a, Ok(Money::new(Currency::Inr, 200)));
        assert_eq!(a, b);
        assert_eq!(Money::new(Currency::Inr, 200).format_major(), "2.00");
        assert_eq!(
            Money::parse_major("TXN_AMOUNT", Currency::Inr, "2.001"),
            Err(MoneyError::TooManyDecimals {
                field: "TXN_AMOUNT",
                max: 2
            })
        );
    }

    #[test]
    fn minor_rejects_fractions_and_overflow() {
        assert_eq!(
            Money::parse_minor("price", Currency::Cny, "10.0"),
            Err(MoneyError::NotAnInteger { field: "price" })
        );
        assert_eq!(
            Money::parse_minor("price", Currency::Cny, "18446744073709551616"),
            Err(MoneyError::Overflow { field: "price" })
        );
        assert_eq!(
            Money::parse_minor("price", Currency::Cny, "18446744073709551615"),
            Ok(Money::new(Currency::Cny, u64::MAX))
        );
    }

    #[test]
    fn s1_currency_type_both_ways() {
        for (n, c) in [(1, Currency::Inr), (2, Currency::Cny), (3, Currency::Usd)] {
            assert_eq!(Currency::from_s1_currency_type("currencyType", n), Ok(c));
            assert_eq!(c.s1_currency_type().map(i64::from), Some(n));
        }
        for n in [0, 4, -1] {
            assert_eq!(
                Currency::from_s1_currency_type("currencyType", n),
                Err(MoneyError::UnknownCurrencyType {
                    field: "currencyType",
                    value: n
                })
            );
        }
        assert_eq!(Currency::Eur.s1_currency_type(), None);
    }

    #[test]
    fn codes_and_serde() {
        for c in Currency::ALL {
            assert_eq!(Currency::from_code("currency", c.code()), Ok(c));
            let json = serde_json::to_string(&c).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", c.code()));
        }
        assert!(Currency::from_code("currency", "usd").is_err());
        let m = Money::new(Currency::Usd, 250);
        let json = serde_json::to_string(&m).unwrap_or_default();
        assert_eq!(json, r#"{"currency":"USD","minor":250}"#);
        assert_eq!(serde_json::from_str::<Money>(&json).ok(), Some(m));
    }

    #[test]
    fn checked_add_needs_same_currency() {
        let a = Money::new(Currency::Usd, 1);
        assert_eq!(a.checked_add(a), Some(Money::new(Currency::Usd, 2)));
        assert_eq!(a.checked_add(Money::new(Currency::Cny, 1)), None);
        assert_eq!(Money::new(Currency::Usd, u64::MAX).checked_add(a), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn major_round_trips(idx in 0..Currency::ALL.len(), minor in any::<u64>()) {
            let c = Currency::ALL[idx];
            let m = Money::new(c, minor);
            prop_assert_eq!(Money::parse_major("amount", c, &m.format_major()), Ok(m));
            prop_assert_eq!(Money::parse_minor("amount", c, &m.format_minor()), Ok(m));
        }

        #[test]
        fn parsers_never_panic(s in any::<String>(), idx in 0..Currency::ALL.len()) {
            let c = Currency::ALL[idx];
            let _ = Money::parse_major("amount", c, &s);
            let _ = Money::parse_minor("amount", c, &s);
        }

        #[test]
        fn parsers_never_panic_on_number_like(s in "[-+ .0-9eE١]{0,24}") {
            let _ = Money::parse_major("amount", Currency::Usd, &s);
            let _ = Money::parse_minor("amount", Currency::Usd, &s);
        }
    }
}
