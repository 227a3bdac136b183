//! S1 vocabularies (seed S1): the shareit order `status` 0–7 of `/pay/getOrderStatus`
//! with its mapping to and from the canonical [`OrderStatus`] (SPEC 2 table, column
//! "S1 status"). Paytm's own transaction `STATUS` is `providers::paytm::status`.

use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::order::OrderStatus;
use crate::serde_util::int_or_str;

/// S1 order status. The seed's table says `int`, its example sends `"status":"1"`: both
/// are read, an integer is written (SPEC 2, "Identifiers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// 0 待支付
    Unpaid,
    /// 1 支付成功
    Paid,
    /// 2 支付失败
    PayFailed,
    /// 3 支付超时
    TimedOut,
    /// 4 退款中
    Refunding,
    /// 5 退款成功
    Refunded,
    /// 6 退款失败
    RefundFailed,
    /// 7 订单关闭
    Closed,
}

/// An S1 status code outside 0–7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("status: unknown S1 order status {0} (expected 0-7)")]
pub struct UnknownStatus(pub i64);

impl Status {
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::Unpaid => 0,
            Self::Paid => 1,
            Self::PayFailed => 2,
            Self::TimedOut => 3,
            Self::Refunding => 4,
            Self::Refunded => 5,
            Self::RefundFailed => 6,
            Self::Closed => 7,
        }
    }

    /// # Errors
    /// [`UnknownStatus`] outside 0–7.
    pub fn from_code(code: i64) -> Result<Self, UnknownStatus> {
        Ok(match code {
            0 => Self::Unpaid,
            1 => Self::Paid,
            2 => Self::PayFailed,
            3 => Self::TimedOut,
            4 => Self::Refunding,
            5 => Self::Refunded,
            6 => Self::RefundFailed,
            7 => Self::Closed,
            other => return Err(UnknownStatus(other)),
        })
    }

    #[must_use]
    pub fn from_canonical(status: OrderStatus) -> Self {
        match status {
            // S1 has no "in flight": a Paytm form posted but not confirmed is still 待支付.
            OrderStatus::Pending | OrderStatus::Processing => Self::Unpaid,
            // S1 has no word for a partial refund: the order stays paid for what it kept
            // (docs/decisions.md, "Partial refunds").
            OrderStatus::Succeeded | OrderStatus::PartiallyRefunded => Self::Paid,
            OrderStatus::Failed => Self::PayFailed,
            OrderStatus::Expired => Self::TimedOut,
            OrderStatus::Cancelled => Self::Closed,
            OrderStatus::Refunding => Self::Refunding,
            OrderStatus::Refunded => Self::Refunded,
            OrderStatus::RefundFailed => Self::RefundFailed,
        }
    }

    /// 0 stands for Pending or Processing and reads as `Pending`: the lowest state
    /// claims nothing, and since the order lattice ignores downward moves it can never
    /// erase a Processing the order already knows.
    #[must_use]
    pub fn to_canonical(self) -> OrderStatus {
        match self {
            Self::Unpaid => OrderStatus::Pending,
            Self::Paid => OrderStatus::Succeeded,
            Self::PayFailed => OrderStatus::Failed,
            Self::TimedOut => OrderStatus::Expired,
            Self::Refunding => OrderStatus::Refunding,
            Self::Refunded => OrderStatus::Refunded,
            Self::RefundFailed => OrderStatus::RefundFailed,
            Self::Closed => OrderStatus::Cancelled,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.code(), f)
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code: i64 = int_or_str::deserialize(d)?;
        Self::from_code(code).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus as O;

    /// SPEC 2's table, column S1, row by row.
    const TABLE: [(O, u8); 10] = [
        (O::Pending, 0),
        (O::Processing, 0),
        (O::Succeeded, 1),
        (O::Failed, 2),
        (O::Expired, 3),
        (O::Cancelled, 7),
        (O::Refunding, 4),
        (O::Refunded, 5),
        (O::RefundFailed, 6),
        (O::PartiallyRefunded, 1),
    ];

    #[test]
    fn every_row_both_ways() {
        assert_eq!(TABLE.map(|r| r.0), O::ALL);
        for (canonical, code) in TABLE {
            let s1 = Status::from_code(i64::from(code)).unwrap();
            assert_eq!(Status::from_canonical(canonical), s1, "{canonical:?}");
            let back = s1.to_canonical();
            assert_eq!(Status::from_canonical(back), s1, "{code}");
            // The many-to-one rows resolve to the lower state.
            if !matches!(canonical, O::Processing | O::PartiallyRefunded) {
                assert_eq!(back, canonical, "{code}");
            }
        }
        assert_eq!(Status::Unpaid.to_canonical(), O::Pending);
        for code in 0..=7 {
            assert_eq!(i64::from(Status::from_code(code).unwrap().code()), code);
        }
        assert_eq!(Status::from_code(8), Err(UnknownStatus(8)));
        assert_eq!(Status::from_code(-1), Err(UnknownStatus(-1)));
    }

    #[test]
    fn status_reads_int_or_quoted_and_writes_int() {
        assert_eq!(
            serde_json::from_str::<Status>("\"1\"").unwrap(),
            Status::Paid
        );
        assert_eq!(serde_json::from_str::<Status>("7").unwrap(), Status::Closed);
        assert_eq!(serde_json::to_string(&Status::Paid).unwrap(), "1");
        for bad in ["8", "\"8\"", "1.5", "\"x\"", "null"] {
            assert!(serde_json::from_str::<Status>(bad).is_err(), "{bad}");
        }
        let e = serde_json::from_str::<Status>("9").unwrap_err().to_string();
        assert!(e.contains("unknown S1 order status 9"), "{e}");
    }
}
