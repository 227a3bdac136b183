//! What the shell must carry out after [`crate::order::Order::apply`] (SPEC 3.5, SPEC 7).
//!
//! Effects are values; the edge turns them into pushes, relays and webhooks and keeps the
//! un-acknowledged ones as Durable Object alarms. Each effect has an identity
//! ([`Effect::key`]) and the order emits each identity at most once in its whole life,
//! tracked in the order's own state, so a retried or reordered callback can never
//! produce a second webhook, relay or review request:
//!
//! - [`Effect::StatusChanged`] is keyed by `seq`, the number of the status change
//!   (1, 2, …): push it to the widget and send the merchant webhook (webhook id =
//!   order id + `seq`).
//! - [`Effect::Relay`] is keyed by the S0 status: each of `PAY_ING`, `PAY_SUCCESS`,
//!   `REFUND_SUCCESS`, `TRADE_CLOSE` is relayed to S0 `orderCallBack` at most once.
//! - [`Effect::NeedsReview`] is keyed by the reason: the merchant must refund or ship.
//! - [`Effect::RefundChanged`] is keyed by refund and status: each refund's lattice only
//!   climbs (`Refunding < RefundFailed < Refunded`), so each status of each refund is
//!   announced (`refund.*` webhook) at most once.

use serde::{Deserialize, Serialize};

use super::refund::RefundStatus;
use super::status::OrderStatus;
use crate::id::Id;

/// The S0 `orderCallBack` `orderStatus` vocabulary (S0 §2). The S0 wire types live in
/// `crate::providers::s0`; this is the order's side of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RelayStatus {
    /// 订单支付中 — the order went to Processing.
    PayIng,
    /// 支付成功 — a verified success.
    PaySuccess,
    /// 退款成功 — the refund went through.
    RefundSuccess,
    /// 交易关闭 — Failed, Expired or Cancelled.
    TradeClose,
}

impl RelayStatus {
    /// The S0 wire string, e.g. `"PAY_ING"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PayIng => "PAY_ING",
            Self::PaySuccess => "PAY_SUCCESS",
            Self::RefundSuccess => "REFUND_SUCCESS",
            Self::TradeClose => "TRADE_CLOSE",
        }
    }

    /// The relay a status announces (SPEC 2 table, S0 column); `None` for the statuses
    /// S0 has no word for (Pending, Refunding, `RefundFailed`).
    #[must_use]
    pub const fn for_status(status: OrderStatus) -> Option<Self> {
        match status {
            OrderStatus::Processing => Some(Self::PayIng),
            OrderStatus::Succeeded => Some(Self::PaySuccess),
            OrderStatus::Refunded => Some(Self::RefundSuccess),
            OrderStatus::Failed | OrderStatus::Expired | OrderStatus::Cancelled => {
                Some(Self::TradeClose)
            }
            OrderStatus::Pending
            | OrderStatus::Refunding
            | OrderStatus::RefundFailed
            | OrderStatus::PartiallyRefunded => None,
        }
    }
}

/// Why the merchant must look at an order: money moved when it should not have, or
/// more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    /// A verified success and a closing decision (Expired, Cancelled, `ProviderClosed`)
    /// were both observed, in whichever order: the shopper may have been told the order
    /// was closed, the merchant may have released the goods.
    PaidAfterClose,
    /// The same attempt was reported failed and then verified paid (or the other way
    /// round): the shopper may have paid again.
    PaidAfterAttemptFailed,
    /// Two or more attempts were verified paid: refund all but one.
    PaidTwice,
    /// The provider confirmed a refund of this order that Kassa never asked for (e.g.
    /// made from the provider's dashboard): the money went back, the order still says
    /// succeeded; the merchant decides what the order is now.
    UnrequestedRefund,
}

/// What the merchant did about an order that needed review (SPEC 3.2 "resolve a
/// `needs_review`").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// The merchant gave the money back (through Kassa's refunds or otherwise).
    Refunded,
    /// The merchant keeps the money and ships (or already did).
    Fulfilled,
}

impl Resolution {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Refunded => "refunded",
            Self::Fulfilled => "fulfilled",
        }
    }
}

/// One thing the shell must do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Effect {
    /// The order's status changed: push it to the widget, send the merchant webhook.
    StatusChanged {
        seq: u32,
        from: OrderStatus,
        to: OrderStatus,
    },
    /// Relay this status to S0 `orderCallBack` (retried until S0 answers `status: 0`).
    Relay { status: RelayStatus },
    /// Tell the merchant the order needs a decision (refund or ship).
    NeedsReview { reason: ReviewReason },
    /// Refund `refund` reached `status`: send the merchant's `refund.*` webhook.
    RefundChanged { refund: Id, status: RefundStatus },
    /// The merchant resolved review `reason`: send `order.review_resolved`.
    ReviewResolved { reason: ReviewReason },
}

/// The identity of an effect: two effects with the same key are the same effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EffectKey {
    StatusChanged(u32),
    Relay(RelayStatus),
    NeedsReview(ReviewReason),
    Refund(Id, RefundStatus),
    ReviewResolved(ReviewReason),
}

impl Effect {
    #[must_use]
    pub fn key(&self) -> EffectKey {
        match *self {
            Self::StatusChanged { seq, .. } => EffectKey::StatusChanged(seq),
            Self::Relay { status } => EffectKey::Relay(status),
            Self::NeedsReview { reason } => EffectKey::NeedsReview(reason),
            Self::RefundChanged { refund, status } => EffectKey::Refund(refund, status),
            Self::ReviewResolved { reason } => EffectKey::ReviewResolved(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_follows_the_spec_table() {
        use OrderStatus as S;
        let want = [
            (S::Pending, None),
            (S::Processing, Some("PAY_ING")),
            (S::Succeeded, Some("PAY_SUCCESS")),
            (S::Failed, Some("TRADE_CLOSE")),
            (S::Expired, Some("TRADE_CLOSE")),
            (S::Cancelled, Some("TRADE_CLOSE")),
            (S::Refunding, None),
            (S::Refunded, Some("REFUND_SUCCESS")),
            (S::RefundFailed, None),
            (S::PartiallyRefunded, None),
        ];
        assert_eq!(want.len(), OrderStatus::ALL.len());
        for (s, w) in want {
            assert_eq!(
                RelayStatus::for_status(s).map(RelayStatus::as_str),
                w,
                "{s:?}"
            );
        }
    }

    #[test]
    fn serde_uses_s0_strings() {
        let e = Effect::Relay {
            status: RelayStatus::PayIng,
        };
        let json = serde_json::to_string(&e).unwrap_or_default();
        assert_eq!(json, r#"{"type":"relay","status":"PAY_ING"}"#);
    }
}
