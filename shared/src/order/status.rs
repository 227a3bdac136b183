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
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 9] = [
        Self::Pending,
        Self::Processing,
        Self::Succeeded,
        Self::Failed,
        Self::Expired,
        Self::Cancelled,
        Self::Refunding,
        Self::Refunded,
        Self::RefundFailed,
    ];
}
