//! The canonical order status every seed's vocabulary maps to and from (SPEC 2 table).
//! Per-seed mappings live beside each provider in `crate::providers::<name>::status`.

use serde::{Deserialize, Serialize};

/// Kassa's one canonical order status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    Processing,
    Succeeded,
    Failed,
    Expired,
    Cancelled,
    Refunding,
    Refunded,
    RefundFailed,
    /// Part of the captured amount went back and no refund is in flight (SPEC 3.2 allows
    /// several partial refunds; the SPEC 2 table has no row for it: decided in
    /// `docs/decisions.md`). Seeds see it as paid.
    PartiallyRefunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 10] = [
        Self::Pending,
        Self::Processing,
        Self::Succeeded,
        Self::Failed,
        Self::Expired,
        Self::Cancelled,
        Self::Refunding,
        Self::Refunded,
        Self::RefundFailed,
        Self::PartiallyRefunded,
    ];

    /// The wire name (its serde name), e.g. `refund_failed`: webhook types
    /// (`order.<name>`) and messages use it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
            Self::Refunding => "refunding",
            Self::Refunded => "refunded",
            Self::RefundFailed => "refund_failed",
            Self::PartiallyRefunded => "partially_refunded",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus;

    #[test]
    fn as_str_is_the_serde_name() {
        for s in OrderStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap_or_default(), s.as_str());
        }
    }
}
