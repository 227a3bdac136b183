//! S4 statuses (seed S4 §1–3): the real payment `status` (pending / paid / fail /
//! cancel) with its mapping to and from the canonical [`OrderStatus`] (SPEC 2 table,
//! column "S4 status"), and `client_status`, what the browser *reported*.
//!
//! `client_status` is stored and shown and never changes the real status (SPEC 2): it
//! comes from the shopper's device, which Kassa does not trust with money. So it has no
//! mapping to the canonical status at all.

use serde::{Deserialize, Serialize};

use crate::order::OrderStatus;

/// 实际支付状态 — the real payment status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Paid,
    Fail,
    Cancel,
}

impl Status {
    /// S4 has no refund or in-flight words: refunds show as `paid`, in flight as
    /// `pending`.
    #[must_use]
    pub fn from_canonical(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Pending | OrderStatus::Processing => Self::Pending,
            OrderStatus::Succeeded
            | OrderStatus::Refunding
            | OrderStatus::Refunded
            | OrderStatus::RefundFailed
            | OrderStatus::PartiallyRefunded => Self::Paid,
            OrderStatus::Failed => Self::Fail,
            OrderStatus::Expired | OrderStatus::Cancelled => Self::Cancel,
        }
    }

    /// Many-to-one rows read as the lowest state in the lattice that the word allows
    /// (`pending` → Pending, `paid` → Succeeded): a lower reading never erases what the
    /// order knows, since the lattice ignores downward moves. `cancel` reads as
    /// `Cancelled`, which is what the word says; Expired is a fact about time that the
    /// edge decides itself from the order's expiry.
    #[must_use]
    pub fn to_canonical(self) -> OrderStatus {
        match self {
            Self::Pending => OrderStatus::Pending,
            Self::Paid => OrderStatus::Succeeded,
            Self::Fail => OrderStatus::Failed,
            Self::Cancel => OrderStatus::Cancelled,
        }
    }
}

/// 客户端支付状态 — what the client reported. The GET table lists pending / success /
/// cancel / invalid; the POST that sets it accepts success / fail / cancel / invalid.
/// Both are one vocabulary here: `pending` is the initial value, `fail` is storable
/// because a client may report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientStatus {
    Pending,
    Success,
    Fail,
    Cancel,
    Invalid,
}

/// The values `POST /rest/pay/:pay_id/status` accepts (必选，success、fail、cancel、
/// invalid): a client cannot report itself back to `pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientReport {
    Success,
    Fail,
    Cancel,
    Invalid,
}

impl From<ClientReport> for ClientStatus {
    fn from(r: ClientReport) -> Self {
        match r {
            ClientReport::Success => Self::Success,
            ClientReport::Fail => Self::Fail,
            ClientReport::Cancel => Self::Cancel,
            ClientReport::Invalid => Self::Invalid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus as O;

    /// SPEC 2's table, column S4, row by row.
    const TABLE: [(O, &str); 10] = [
        (O::Pending, "pending"),
        (O::Processing, "pending"),
        (O::Succeeded, "paid"),
        (O::Failed, "fail"),
        (O::Expired, "cancel"),
        (O::Cancelled, "cancel"),
        (O::Refunding, "paid"),
        (O::Refunded, "paid"),
        (O::RefundFailed, "paid"),
        (O::PartiallyRefunded, "paid"),
    ];

    #[test]
    fn every_row_both_ways() {
        assert_eq!(TABLE.map(|r| r.0), O::ALL);
        for (canonical, word) in TABLE {
            let s4 = Status::from_canonical(canonical);
            assert_eq!(serde_json::to_value(s4).unwrap(), word, "{canonical:?}");
            let parsed: Status = serde_json::from_value(word.into()).unwrap();
            assert_eq!(Status::from_canonical(parsed.to_canonical()), s4, "{word}");
        }
        assert_eq!(Status::Pending.to_canonical(), O::Pending);
        assert_eq!(Status::Paid.to_canonical(), O::Succeeded);
        assert_eq!(Status::Fail.to_canonical(), O::Failed);
        assert_eq!(Status::Cancel.to_canonical(), O::Cancelled);
    }

    #[test]
    fn client_vocabularies() {
        for w in ["pending", "success", "fail", "cancel", "invalid"] {
            let c: ClientStatus = serde_json::from_value(w.into()).unwrap();
            assert_eq!(serde_json::to_value(c).unwrap(), w);
        }
        assert!(serde_json::from_str::<ClientReport>("\"pending\"").is_err());
        let r: ClientReport = serde_json::from_str("\"fail\"").unwrap();
        assert_eq!(ClientStatus::from(r), ClientStatus::Fail);
        assert!(serde_json::from_str::<Status>("\"paying\"").is_err());
    }
}
