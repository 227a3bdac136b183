//! Fuzz targets (see `fuzz_support`) for the scalar parsers every surface uses: fiat
//! amounts (minor units, major units, Paytm rupee strings), token amounts, currency codes
//! and S1 currency types, ids (string and JSON number forms), provider references, masks
//! and media types. Besides "no panic", each checks a round trip where one is defined.

#![allow(clippy::unwrap_used, clippy::panic)]

mod fuzz_support;

use fuzz_support::{fuzz, text};
use kassa_shared::callback::{media_type, ProviderRef};
use kassa_shared::id::Id;
use kassa_shared::mask;
use kassa_shared::money::decimal::parse_units;
use kassa_shared::money::{Currency, Money, TokenAmount, TokenTable, MAX_TOKEN_PRECISION};

#[test]
fn fuzz_fiat_money() {
    fuzz("money", 1, Vec::new(), |input| {
        let s = text(input);
        for currency in Currency::ALL {
            if let Ok(m) = Money::parse_major("amount", currency, &s) {
                let again = Money::parse_major("amount", currency, &m.format_major()).unwrap();
                assert_eq!(again, m, "{s:?} → {}", m.format_major());
            }
            if let Ok(m) = Money::parse_minor("amount", currency, &s) {
                let again = Money::parse_minor("amount", currency, &m.format_minor()).unwrap();
                assert_eq!(again, m, "{s:?} → {}", m.format_minor());
            }
        }
        let _ = Currency::from_code("currency", &s);
        if let Ok(n) = s.trim().parse::<i64>() {
            let _ = Currency::from_s1_currency_type("currencyType", n);
        }
        for scale in [0, 2, 8, 18, 38, 40, u32::MAX] {
            let _ = parse_units("amount", &s, scale, true);
            let _ = parse_units("amount", &s, scale, false);
        }
    });
}

#[test]
fn fuzz_token_money() {
    let table = TokenTable::builtin();
    fuzz("token", 1, Vec::new(), |input| {
        let s = text(input);
        for precision in [0, 1, 6, 8, 18, MAX_TOKEN_PRECISION, MAX_TOKEN_PRECISION + 1] {
            if let Ok(t) = TokenAmount::parse("amount", &s, precision) {
                let again = TokenAmount::parse("amount", &t.to_string(), precision).unwrap();
                assert_eq!(again, t, "{s:?} → {t}");
            }
        }
        // "<symbol> <amount>" exercises the table lookup with hostile symbols.
        let (symbol, amount) = s.split_once(' ').unwrap_or(("USDT", &s));
        let _ = table.parse("amount", symbol, amount);
    });
}

#[test]
fn fuzz_ids_and_references() {
    fuzz("ids", 1, Vec::new(), |input| {
        let s = text(input);
        if let Ok(id) = Id::parse("order_id", &s) {
            assert_eq!(Id::parse("order_id", &id.to_string()), Ok(id));
        }
        // S2 `long` fields: a string or a number on input, always a string on output.
        if let Ok(id) = serde_json::from_slice::<Id>(input) {
            let out = serde_json::to_string(&id).unwrap();
            assert_eq!(serde_json::from_str::<Id>(&out).unwrap(), id);
        }
        if let Ok(r) = ProviderRef::parse("ORDERID", &s) {
            assert_eq!(ProviderRef::parse("ORDERID", &r.to_string()), Ok(r));
        }
        let _ = mask::mobile(&s);
        let _ = mask::email(&s);
        let _ = media_type(&s);
    });
}
