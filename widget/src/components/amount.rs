//! Amounts as the shopper reads them (SPEC 2 "Money", SPEC 8): fiat through the
//! browser's `Intl.NumberFormat` in the shopper's locale, tokens as exact decimal
//! strings with their symbol. No floating point: `Intl` gets the exact major-unit
//! decimal *string* (`format("123.45")`, Intl.NumberFormat v3), not a float.

use js_sys::{Intl, Object, Reflect};
use wasm_bindgen::JsValue;
use yew::{html, Html};

use kassa_shared::money::{Currency, Money, MoneyError, TokenTable};
use kassa_shared::surfaces::s2::status::Locale;

use crate::i18n::{bcp47, t, Key};

/// `12345 CNY fen` → `"¥123.45"` (zh-CN) / `"CN¥123.45"` (en-US), as `Intl` has it.
/// Falls back to `"123.45 CNY"` if `Intl` refuses the options.
#[must_use]
pub fn format_fiat(money: Money, locale: Locale) -> String {
    let major = money.format_major();
    let code = money.currency().code();
    let opts = Object::new();
    let set = |k: &str, v: &str| Reflect::set(&opts, &k.into(), &v.into()).is_ok();
    if !(set("style", "currency") && set("currency", code)) {
        return format!("{major} {code}");
    }
    let locales = js_sys::Array::of1(&bcp47(locale).into());
    let nf = Intl::NumberFormat::new(&locales, &opts);
    nf.format()
        .call1(&JsValue::NULL, &JsValue::from_str(&major))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| format!("{major} {code}"))
}

/// `"0.1575"` BTC → `"0.1575 BTC"`: the shortest exact decimal, validated against the
/// built-in token's precision.
///
/// # Errors
/// The money parser's error naming `field` (unknown token, too many decimals, …).
pub fn format_token(field: &'static str, symbol: &str, amount: &str) -> Result<String, MoneyError> {
    let value = TokenTable::parse_builtin(field, symbol, amount)?;
    Ok(format!("{value} {symbol}"))
}

/// What an [`Amount`] shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountValue {
    Fiat(Money),
    Token { symbol: String, amount: String },
}

impl AmountValue {
    /// An S2 line's `tokenId` and `amount`: an ISO 4217 code with a major-unit amount
    /// Kassa settles in (`"CNY"`, `"123.45"`) is money, shown through `Intl`; anything
    /// else is a token amount.
    #[must_use]
    pub fn from_line(token_id: &str, amount: &str) -> Self {
        Currency::from_code("tokenId", token_id)
            .and_then(|c| Money::parse_major("amount", c, amount))
            .map_or_else(
                |_| Self::Token {
                    symbol: token_id.to_owned(),
                    amount: amount.to_owned(),
                },
                Self::Fiat,
            )
    }
}

/// A plain function, not a component (no state; a component costs its own lifecycle
/// code in the bundle).
pub fn amount(value: &AmountValue, locale: Locale) -> Html {
    let text = match value {
        AmountValue::Fiat(m) => format_fiat(*m, locale),
        AmountValue::Token { symbol, amount } => {
            format_token("amount", symbol, amount).unwrap_or_else(|_| {
                // An amount we cannot verify is shown as sent, marked, never rounded.
                format!("{amount} {symbol} ({})", t(locale, Key::UnknownToken))
            })
        }
    };
    html! { <span class="kassa-amount">{ text }</span> }
}
