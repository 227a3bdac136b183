//! What every refund API Kassa calls answers, as values the order's object acts on
//! (SPEC 3.2 "refund one … on every channel, through the provider's refund API where it
//! has one"). Each provider module builds its own request and parses its own answer
//! into these (`paytm::refund`, `wallet::refund`; Ping++'s refund object has its own
//! reader in `pingpp`).
//!
//! A request whose answer never came (timeout, garbage) is neither: the provider may
//! have raised the refund. The edge then records the refund as requested and lets the
//! status pull decide, so a merchant's retry can never refund twice.

/// The provider's answer to "refund this".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundAck {
    /// Raised (it settles later, or already did): `provider_refund` is the provider's
    /// id for it.
    Accepted {
        provider_refund: String,
        verdict: RefundVerdict,
    },
    /// Refused outright: nothing was raised, the merchant may fix and ask again.
    Refused { reason: String },
}

/// Where one raised refund stands at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundVerdict {
    Pending,
    Succeeded,
    /// Final: the money did not go back (the provider's reason).
    Failed {
        reason: String,
    },
}
