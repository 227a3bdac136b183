//! S0 `orderCallBack.orderStatus` (seed S0 §2) and its mapping to and from the canonical
//! [`OrderStatus`] (SPEC 2 table, column "S0 orderCallBack").
//!
//! S0 is a relay target: Kassa tells the platform what happened. Three canonical states
//! (`Pending`, `Refunding`, `RefundFailed`, `PartiallyRefunded`) have no S0 word and are simply not relayed.

use serde::{Deserialize, Serialize};

use crate::order::OrderStatus;

/// The four values the seed's `orderStatus` table lists. The seed's field table says
/// `number`, but both the table of values and the example use these strings, so strings
/// it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallbackStatus {
    /// 订单支付中
    PayIng,
    /// 支付成功
    PaySuccess,
    /// 退款成功
    RefundSuccess,
    /// 交易关闭
    TradeClose,
}

impl CallbackStatus {
    /// What to relay for a canonical status; `None` means "nothing to tell S0".
    #[must_use]
    pub fn from_canonical(status: OrderStatus) -> Option<Self> {
        match status {
            OrderStatus::Pending
            | OrderStatus::Refunding
            | OrderStatus::RefundFailed
            | OrderStatus::PartiallyRefunded => None,
            OrderStatus::Processing => Some(Self::PayIng),
            OrderStatus::Succeeded => Some(Self::PaySuccess),
            OrderStatus::Failed | OrderStatus::Expired | OrderStatus::Cancelled => {
                Some(Self::TradeClose)
            }
            OrderStatus::Refunded => Some(Self::RefundSuccess),
        }
    }

    /// The canonical reading of an S0 word. `TRADE_CLOSE` stands for Failed, Expired or
    /// Cancelled; it reads as `Cancelled`: "closed" is literally what S1's 7 (订单关闭)
    /// says, which the table maps to Cancelled, and it claims no reason (a provider's
    /// failure verdict) and no time (expiry) that the word does not carry.
    #[must_use]
    pub fn to_canonical(self) -> OrderStatus {
        match self {
            Self::PayIng => OrderStatus::Processing,
            Self::PaySuccess => OrderStatus::Succeeded,
            Self::RefundSuccess => OrderStatus::Refunded,
            Self::TradeClose => OrderStatus::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus as O;

    /// SPEC 2's table, column S0, row by row.
    const TABLE: [(O, Option<CallbackStatus>); 10] = [
        (O::Pending, None),
        (O::Processing, Some(CallbackStatus::PayIng)),
        (O::Succeeded, Some(CallbackStatus::PaySuccess)),
        (O::Failed, Some(CallbackStatus::TradeClose)),
        (O::Expired, Some(CallbackStatus::TradeClose)),
        (O::Cancelled, Some(CallbackStatus::TradeClose)),
        (O::Refunding, None),
        (O::Refunded, Some(CallbackStatus::RefundSuccess)),
        (O::RefundFailed, None),
        (O::PartiallyRefunded, None),
    ];

    #[test]
    fn every_row_both_ways() {
        assert_eq!(TABLE.map(|r| r.0), O::ALL);
        for (canonical, s0) in TABLE {
            assert_eq!(
                CallbackStatus::from_canonical(canonical),
                s0,
                "{canonical:?}"
            );
            if let Some(s0) = s0 {
                // Many-to-one: the way back lands on a row that maps to the same word.
                let back = s0.to_canonical();
                assert_eq!(CallbackStatus::from_canonical(back), Some(s0), "{s0:?}");
            }
        }
        assert_eq!(CallbackStatus::TradeClose.to_canonical(), O::Cancelled);
        assert_eq!(CallbackStatus::PayIng.to_canonical(), O::Processing);
        assert_eq!(CallbackStatus::PaySuccess.to_canonical(), O::Succeeded);
        assert_eq!(CallbackStatus::RefundSuccess.to_canonical(), O::Refunded);
    }

    #[test]
    fn wire_names() {
        for (s, v) in [
            ("\"PAY_ING\"", CallbackStatus::PayIng),
            ("\"PAY_SUCCESS\"", CallbackStatus::PaySuccess),
            ("\"REFUND_SUCCESS\"", CallbackStatus::RefundSuccess),
            ("\"TRADE_CLOSE\"", CallbackStatus::TradeClose),
        ] {
            assert_eq!(serde_json::from_str::<CallbackStatus>(s).unwrap(), v);
            assert_eq!(serde_json::to_string(&v).unwrap(), s);
        }
        assert!(serde_json::from_str::<CallbackStatus>("\"PAYING\"").is_err());
    }
}
