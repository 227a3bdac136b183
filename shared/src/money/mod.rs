//! Money (SPEC 2, "Money"): fiat amounts as integers in the currency's minor unit and
//! token amounts as exact integers of base units with the token's own precision.
//!
//! This module owns every conversion between the seeds' amount strings and integers:
//!
//! - fiat: S0 `price`, S1 `amount`, S3 `pay_amount`, S4 `amount` are minor units
//!   ([`Money::parse_minor`]); Paytm's `TXN_AMOUNT` is rupees with up to two decimals
//!   ([`Money::parse_major`], "2" and "2.00" are both 200 paise, formatted "2.00");
//! - S1 `currencyType` (1 INR, 2 CNY, 3 USD): [`Currency::from_s1_currency_type`] and
//!   [`Currency::s1_currency_type`];
//! - tokens: S2 `amount`, `paidAmount`… are decimal strings with the token's precision
//!   from a [`TokenTable`] (BTC 8, USDT 6, ETH 18, extended by configuration).
//!
//! There is no floating point anywhere. One grammar (see [`decimal`]) serves every
//! parser, and every rejection is a [`MoneyError`] naming the caller's field and the
//! reason, so the edge can answer "amount: has an exponent" instead of "bad request".

mod currency;
pub mod decimal;
mod token;

pub use currency::{Currency, Money};
pub use token::{TokenAmount, TokenTable, MAX_TOKEN_PRECISION};

/// Why an amount, currency or token was rejected. `field` is the name the caller gave
/// (the wire field, e.g. `"amount"` or `"TXN_AMOUNT"`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{field}: must not be empty")]
    Empty { field: &'static str },
    #[error("{field}: must not contain white space")]
    Whitespace { field: &'static str },
    #[error("{field}: must not start with '+'")]
    LeadingPlus { field: &'static str },
    #[error("{field}: must not be negative")]
    Negative { field: &'static str },
    #[error("{field}: exponent notation is not accepted")]
    Exponent { field: &'static str },
    #[error("{field}: digits must be the ASCII digits 0-9")]
    NonAsciiDigit { field: &'static str },
    #[error("{field}: unexpected character {found:?}")]
    InvalidCharacter { field: &'static str, found: char },
    #[error("{field}: a lone '.' is not a number")]
    LoneDot { field: &'static str },
    #[error("{field}: more than one '.'")]
    MultipleDots { field: &'static str },
    #[error("{field}: needs a digit before the '.'")]
    MissingIntegerPart { field: &'static str },
    #[error("{field}: needs a digit after the '.'")]
    MissingFraction { field: &'static str },
    #[error("{field}: leading zeros are not accepted")]
    LeadingZero { field: &'static str },
    #[error("{field}: must be a whole number of minor units (no '.')")]
    NotAnInteger { field: &'static str },
    #[error("{field}: more than {max} decimals")]
    TooManyDecimals { field: &'static str, max: u32 },
    #[error("{field}: too large")]
    Overflow { field: &'static str },
    #[error("{field}: unknown currency {code:?}")]
    UnknownCurrency { field: &'static str, code: String },
    #[error("{field}: unknown currencyType {value} (1 INR, 2 CNY, 3 USD)")]
    UnknownCurrencyType { field: &'static str, value: i64 },
    #[error("{field}: unknown token {symbol:?}")]
    UnknownToken { field: &'static str, symbol: String },
    #[error("{field}: token symbol {symbol:?} must be 1-16 ASCII letters or digits")]
    InvalidTokenSymbol { field: &'static str, symbol: String },
    #[error("{field}: token precision {precision} is above {MAX_TOKEN_PRECISION}")]
    InvalidTokenPrecision { field: &'static str, precision: u32 },
    #[error("{field}: token {symbol:?} is already defined with precision {existing}")]
    TokenRedefined {
        field: &'static str,
        symbol: String,
        existing: u32,
    },
}
