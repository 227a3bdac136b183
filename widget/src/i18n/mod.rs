//! The widget's strings in every locale it speaks (SPEC 8: zh-CN and en-US at least).
//!
//! Tables are data, not `match` arms, so a test can prove each one lists every [`Key`]
//! and a missing translation is a red test rather than a silent fallback. Order status
//! labels are not here: they come from `Status::label`, the one place S2's `statusDesc`
//! vocabulary is localised.

mod en_us;
mod zh_cn;

use kassa_shared::surfaces::s2::status::Locale;

/// Every string the widget shows. Placeholders: `{n}` (a number), `{to}` (a masked
/// contact), `{time}` (a countdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Title,
    Loading,
    OrderRef,
    Pay,
    Cancel,
    PayItems,
    PaidItems,
    ProductItems,
    ExpiresIn,
    Expired,
    CodeTitleGa,
    CodeTitleSms,
    CodeTitleEmail,
    CodeLabel,
    CodeHintGa,
    CodeSentTo,
    SendingCode,
    SendCode,
    Resend,
    ResendIn,
    Submit,
    WrongCode,
    WrongCodeAttempts,
    Locked,
    PasteRefused,
    Paying,
    Processing,
    Redirecting,
    Paid,
    Failed,
    TryAgain,
    PayAgain,
    Cancelled,
    NetworkError,
    Retry,
    UnknownToken,
}

impl Key {
    /// All keys, for the completeness test.
    pub const ALL: [Key; 36] = [
        Key::Title,
        Key::Loading,
        Key::OrderRef,
        Key::Pay,
        Key::Cancel,
        Key::PayItems,
        Key::PaidItems,
        Key::ProductItems,
        Key::ExpiresIn,
        Key::Expired,
        Key::CodeTitleGa,
        Key::CodeTitleSms,
        Key::CodeTitleEmail,
        Key::CodeLabel,
        Key::CodeHintGa,
        Key::CodeSentTo,
        Key::SendingCode,
        Key::SendCode,
        Key::Resend,
        Key::ResendIn,
        Key::Submit,
        Key::WrongCode,
        Key::WrongCodeAttempts,
        Key::Locked,
        Key::PasteRefused,
        Key::Paying,
        Key::Processing,
        Key::Redirecting,
        Key::Paid,
        Key::Failed,
        Key::TryAgain,
        Key::PayAgain,
        Key::Cancelled,
        Key::NetworkError,
        Key::Retry,
        Key::UnknownToken,
    ];
}

/// The table of one locale.
#[must_use]
pub fn table(locale: Locale) -> &'static [(Key, &'static str)] {
    match locale {
        Locale::ZhCn => zh_cn::TABLE,
        Locale::EnUs => en_us::TABLE,
    }
}

/// The string for `key` in `locale`; English if the locale's table lacks it (the
/// completeness test keeps that from shipping), and never an empty screen.
#[must_use]
pub fn t(locale: Locale, key: Key) -> &'static str {
    lookup(table(locale), key)
        .or_else(|| lookup(en_us::TABLE, key))
        .unwrap_or("")
}

/// `t` with `{name}` placeholders filled in; an unknown placeholder stays as written.
/// One pass over the template, splitting at `{` and `}` (chars): a substring search
/// (`str::replace`) would link core's two-way searcher into the bundle for this alone.
#[must_use]
pub fn tf(locale: Locale, key: Key, args: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut rest = t(locale, key);
    while let Some((before, after)) = rest.split_once('{') {
        out.push_str(before);
        let value = after.split_once('}').and_then(|(name, tail)| {
            let (_, value) = args.iter().find(|(n, _)| *n == name)?;
            Some((*value, tail))
        });
        match value {
            Some((value, tail)) => {
                out.push_str(value);
                rest = tail;
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn lookup(table: &[(Key, &'static str)], key: Key) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == key).map(|(_, s)| *s)
}

/// The BCP 47 tag handed to `Intl` and to `<section lang>`.
#[must_use]
pub fn bcp47(locale: Locale) -> &'static str {
    match locale {
        Locale::ZhCn => "zh-CN",
        Locale::EnUs => "en-US",
    }
}
