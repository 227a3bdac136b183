//! S2 order status (seed S2, "订单状态取值说明"): name, numeric code and the localised
//! `statusDesc` label, with the mapping to and from the canonical [`OrderStatus`]
//! (SPEC 2 table, column "S2 status (code)").
//!
//! The order object carries the *name* (`"status": "WAIT_FOR_PAYMENT"`); the list
//! filter `status` is the *code* (`int`).

use serde::{Deserialize, Serialize};

use crate::order::OrderStatus;

/// S2's five order states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    WaitForPayment,
    Completed,
    Processing,
    Expired,
    Cancelled,
}

/// The locales `statusDesc` is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    /// The seed's own language.
    #[default]
    ZhCn,
    EnUs,
}

impl Locale {
    /// Reads a BCP 47 tag by its primary language (`zh-CN`, `zh`, `en-GB` …); `None`
    /// for languages Kassa has no labels for, so the caller picks its fallback.
    #[must_use]
    pub fn from_tag(tag: &str) -> Option<Self> {
        let lang = tag.split(['-', '_']).next().unwrap_or(tag);
        if lang.eq_ignore_ascii_case("zh") {
            Some(Self::ZhCn)
        } else if lang.eq_ignore_ascii_case("en") {
            Some(Self::EnUs)
        } else {
            None
        }
    }
}

impl Status {
    /// The numeric code (取值) of the seed's table.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::WaitForPayment => 0,
            Self::Completed => 1,
            Self::Processing => 2,
            Self::Expired => 3,
            Self::Cancelled => 4,
        }
    }

    #[must_use]
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => Self::WaitForPayment,
            1 => Self::Completed,
            2 => Self::Processing,
            3 => Self::Expired,
            4 => Self::Cancelled,
            _ => return None,
        })
    }

    /// `statusDesc`. zh-CN follows what the seed's examples put on the wire: 待支付 and
    /// 已完成 (the table's "状态" column says 支付完成 for COMPLETED, but the `pay`
    /// example answers 已完成, and the wire is what clients saw).
    #[must_use]
    pub fn label(self, locale: Locale) -> &'static str {
        match (locale, self) {
            (Locale::ZhCn, Self::WaitForPayment) => "待支付",
            (Locale::ZhCn, Self::Completed) => "已完成",
            (Locale::ZhCn, Self::Processing) => "支付中",
            (Locale::ZhCn, Self::Expired) => "已失效",
            (Locale::ZhCn, Self::Cancelled) => "已撤销",
            (Locale::EnUs, Self::WaitForPayment) => "Awaiting payment",
            (Locale::EnUs, Self::Completed) => "Completed",
            (Locale::EnUs, Self::Processing) => "Processing",
            (Locale::EnUs, Self::Expired) => "Expired",
            (Locale::EnUs, Self::Cancelled) => "Cancelled",
        }
    }

    /// S2 shows the payment, not the refund: every refund state is still COMPLETED.
    #[must_use]
    pub fn from_canonical(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Pending => Self::WaitForPayment,
            OrderStatus::Processing => Self::Processing,
            OrderStatus::Succeeded
            | OrderStatus::Refunding
            | OrderStatus::Refunded
            | OrderStatus::RefundFailed
            | OrderStatus::PartiallyRefunded => Self::Completed,
            OrderStatus::Failed | OrderStatus::Cancelled => Self::Cancelled,
            OrderStatus::Expired => Self::Expired,
        }
    }

    /// COMPLETED reads as `Succeeded`, the lowest of its rows: the refund states sit
    /// above it in the lattice and only a refund event may claim them. CANCELLED reads
    /// as `Cancelled`: it is what the word (已撤销, revoked) says, while `Failed` is a
    /// provider's verdict on the order that S2's word does not carry.
    #[must_use]
    pub fn to_canonical(self) -> OrderStatus {
        match self {
            Self::WaitForPayment => OrderStatus::Pending,
            Self::Completed => OrderStatus::Succeeded,
            Self::Processing => OrderStatus::Processing,
            Self::Expired => OrderStatus::Expired,
            Self::Cancelled => OrderStatus::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus as O;

    /// SPEC 2's table, column S2, row by row: (canonical, name, code).
    const TABLE: [(O, &str, u8); 10] = [
        (O::Pending, "WAIT_FOR_PAYMENT", 0),
        (O::Processing, "PROCESSING", 2),
        (O::Succeeded, "COMPLETED", 1),
        (O::Failed, "CANCELLED", 4),
        (O::Expired, "EXPIRED", 3),
        (O::Cancelled, "CANCELLED", 4),
        (O::Refunding, "COMPLETED", 1),
        (O::Refunded, "COMPLETED", 1),
        (O::RefundFailed, "COMPLETED", 1),
        (O::PartiallyRefunded, "COMPLETED", 1),
    ];

    #[test]
    fn every_row_both_ways() {
        assert_eq!(TABLE.map(|r| r.0), O::ALL);
        for (canonical, name, code) in TABLE {
            let s2 = Status::from_canonical(canonical);
            assert_eq!(serde_json::to_value(s2).unwrap(), name, "{canonical:?}");
            assert_eq!(s2.code(), code, "{canonical:?}");
            assert_eq!(Status::from_code(i64::from(code)), Some(s2));
            let parsed: Status = serde_json::from_value(name.into()).unwrap();
            assert_eq!(parsed, s2);
            assert_eq!(Status::from_canonical(parsed.to_canonical()), s2, "{name}");
        }
        assert_eq!(Status::WaitForPayment.to_canonical(), O::Pending);
        assert_eq!(Status::Processing.to_canonical(), O::Processing);
        assert_eq!(Status::Completed.to_canonical(), O::Succeeded);
        assert_eq!(Status::Expired.to_canonical(), O::Expired);
        assert_eq!(Status::Cancelled.to_canonical(), O::Cancelled);
        assert_eq!(Status::from_code(5), None);
        assert_eq!(Status::from_code(-1), None);
    }

    #[test]
    fn labels() {
        assert_eq!(Status::WaitForPayment.label(Locale::ZhCn), "待支付");
        assert_eq!(Status::Completed.label(Locale::ZhCn), "已完成");
        assert_eq!(Status::Completed.label(Locale::EnUs), "Completed");
        assert_eq!(Status::Cancelled.label(Locale::ZhCn), "已撤销");
        assert_eq!(Locale::from_tag("zh-CN"), Some(Locale::ZhCn));
        assert_eq!(Locale::from_tag("en_US"), Some(Locale::EnUs));
        assert_eq!(Locale::from_tag("EN"), Some(Locale::EnUs));
        assert_eq!(Locale::from_tag("fr-FR"), None);
    }
}
