//! Whether a verified callback that matches its order may settle the attempt (or refund)
//! it names (SPEC 3.4): the refusals the providers' binding and confirmation rules share.
//! The rules themselves are in each provider's `callback` module (binding: Lianshang
//! and Ping++, whose keys sign for every tenant of the platform; confirmation: the
//! provider's status query about the same attempt); the edge only loads what they
//! compare with (the trade or charge it recorded, the status query's answer).

use super::Provider;

/// Why a verified callback may not settle. Messages name the field and never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettleError {
    /// The message names another account of the provider than this edge's.
    #[error("{field}: names another {provider} account than this edge's")]
    WrongAccount {
        field: &'static str,
        provider: Provider,
    },
    /// The message is about a trade / charge Kassa did not create for the attempt.
    #[error("{reason}")]
    WrongTrade { reason: &'static str },
    /// The provider's status query does not back the callback up.
    #[error("status: the provider's status query does not confirm this success ({reason})")]
    Unconfirmed { reason: String },
}

impl SettleError {
    pub(crate) fn unconfirmed(reason: impl Into<String>) -> Self {
        Self::Unconfirmed {
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
#[path = "settle_tests.rs"]
mod tests;
