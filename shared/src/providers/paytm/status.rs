//! Paytm's transaction `STATUS` (SPEC 3.4 "paytm": `TXN_SUCCESS` / `TXN_FAILURE` /
//! `PENDING`), as its callback and its Transaction Status API carry it, with what each
//! says about the order (exhaustive).

use serde::{Deserialize, Serialize};

use crate::order::OrderStatus;

/// Paytm's transaction `STATUS` in the callback it posts (SPEC 3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TxnStatus {
    #[serde(rename = "TXN_SUCCESS")]
    Success,
    #[serde(rename = "TXN_FAILURE")]
    Failure,
    #[serde(rename = "PENDING")]
    Pending,
}

impl TxnStatus {
    /// What one Paytm transaction says about the *order*. A failed transaction is a
    /// failed attempt, and a failed attempt does not end the order (SPEC 2: the shopper
    /// may try again), so `TXN_FAILURE` implies no order status of its own — the order
    /// logic records the attempt and derives the order from its attempts.
    #[must_use]
    pub fn implied_order_status(self) -> Option<OrderStatus> {
        match self {
            Self::Success => Some(OrderStatus::Succeeded),
            Self::Pending => Some(OrderStatus::Processing),
            Self::Failure => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus as O;

    #[test]
    fn txn_status() {
        assert_eq!(
            serde_json::from_str::<TxnStatus>("\"TXN_SUCCESS\"").unwrap(),
            TxnStatus::Success
        );
        assert_eq!(
            serde_json::to_string(&TxnStatus::Failure).unwrap(),
            "\"TXN_FAILURE\""
        );
        assert_eq!(
            serde_json::from_str::<TxnStatus>("\"PENDING\"").unwrap(),
            TxnStatus::Pending
        );
        assert_eq!(
            TxnStatus::Success.implied_order_status(),
            Some(O::Succeeded)
        );
        assert_eq!(
            TxnStatus::Pending.implied_order_status(),
            Some(O::Processing)
        );
        assert_eq!(TxnStatus::Failure.implied_order_status(), None);
    }
}
