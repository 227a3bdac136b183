//! Refunds waiting on a provider that has a refund status API (Paytm's Refund Status
//! API, the wallet's signed refund state; issue 16 item 7): when to ask, and what the
//! answer does to the order. Ping++ refunds settle by Ping++'s signed webhook (and its
//! retrieve) instead; S3's are made by hand and recorded by the merchant.
//!
//! - A refund is **open** while its own lattice says `Refunding`.
//! - It is asked about a window after it was made (its id is time-ordered, so the id
//!   says when) and again a window after each ask, until the provider decides.
//! - A decision becomes the refund's event with a fixed id per refund and outcome, so
//!   asking twice, or a pull racing a callback, applies it once.
//!
//! What a provider's answer to "refund this" means (the edge records what it is told):
//! accepted → recorded as requested with the provider's id (settled at once if the
//! answer already says so); refused → 502 `refund_refused`, audited, the order unchanged
//! so the merchant may retry; **no answer** (timeout, garbage) → recorded as requested
//! all the same, audited `refund_outcome_unknown`: the provider may have raised it, and
//! the refund id makes asking again harmless while a fresh request could refund twice.
//!
//! **Crash safety.** Every refund asked of a provider is written down first as a
//! [`RefundIntent`] and cleared once the outcome is recorded or refused. If the run dies
//! in between, the next refund request, a Ping++ refund webhook or the order's alarm asks
//! the provider about that refund id ([`recovery`]): known → recorded as if the answer
//! had arrived (audited `refund_recovered`); unknown → the intent is dropped
//! (`refund_intent_dropped`); not askable → kept for the next alarm
//! (`refund_query_failed`). Money a provider moved is never invisible to the order, and
//! a new request cannot refund it twice.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::refund_admit::Refused;
use crate::envelope::ErrorCode;
use crate::id::Id;
use crate::order::{Event, EventKind, Order, RefundStatus};
use crate::providers::refund::{RefundAck, RefundVerdict};
use crate::providers::Provider;

/// How long a refund waits before (and between) asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundPolicy {
    pub query_after_ms: u64,
}

impl Default for RefundPolicy {
    fn default() -> Self {
        Self {
            query_after_ms: 60_000,
        }
    }
}

/// The order's refunds still `Refunding`.
#[must_use]
pub fn open_refunds(order: &Order) -> Vec<Id> {
    order
        .refunds()
        .iter()
        .filter(|(_, r)| r.status() == Some(RefundStatus::Refunding))
        .map(|(id, _)| id)
        .collect()
}

fn due_at(refund: Id, asked: &BTreeMap<Id, u64>, policy: &RefundPolicy) -> u64 {
    asked
        .get(&refund)
        .copied()
        .unwrap_or_else(|| refund.unix_ms())
        .saturating_add(policy.query_after_ms)
}

/// When the next open refund is due to be asked about; `None` when none is open.
#[must_use]
pub fn next_query(order: &Order, asked: &BTreeMap<Id, u64>, policy: &RefundPolicy) -> Option<u64> {
    open_refunds(order)
        .into_iter()
        .map(|r| due_at(r, asked, policy))
        .min()
}

/// The open refunds due to be asked about at `now`.
#[must_use]
pub fn due(order: &Order, asked: &BTreeMap<Id, u64>, policy: &RefundPolicy, now: u64) -> Vec<Id> {
    open_refunds(order)
        .into_iter()
        .filter(|r| due_at(*r, asked, policy) <= now)
        .collect()
}

/// The event a provider's decision about `refund` makes (`None` while it is pending).
/// `amount` is the refund's, in the order's smallest unit.
#[must_use]
pub fn verdict_event(
    refund: Id,
    amount: u128,
    provider: &str,
    verdict: &RefundVerdict,
) -> Option<Event> {
    let kind = match verdict {
        RefundVerdict::Pending => return None,
        RefundVerdict::Succeeded => EventKind::RefundSucceeded {
            refund,
            provider: provider.to_owned(),
            amount: Some(amount),
        },
        RefundVerdict::Failed { .. } => EventKind::RefundFailed { refund },
    };
    let outcome = kind.name();
    Some(Event::new(
        format!("{provider}:refund:{refund}:{outcome}"),
        kind,
    ))
}

/// Whether `channel`'s refunds are settled by asking its refund status API (Paytm, the
/// wallet) rather than by a webhook (Ping++) or by hand (S3).
#[must_use]
pub fn pulls(channel: Provider) -> bool {
    matches!(channel, Provider::Paytm | Provider::Wallet)
}

/// One line for the order's audit log (reason code, never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub reason: &'static str,
    pub detail: String,
}

fn note(reason: &'static str, detail: String) -> Note {
    Note { reason, detail }
}

/// A refund about to be asked of a provider, written before the call (module docs,
/// "Crash safety"): enough to ask the provider about it and to record it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundIntent {
    pub refund: Id,
    pub attempt: Id,
    #[serde(with = "crate::order::refund::units")]
    pub amount: Option<u128>,
    pub reason: Option<String>,
}

/// What asking a provider to refund came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raised {
    /// Accepted, with the provider's id for it and what it already says.
    Accepted {
        reference: String,
        verdict: RefundVerdict,
    },
    /// No answer that says either way (module docs).
    Unknown(String),
    /// Nothing to ask: the merchant makes it by hand (S3).
    Manual,
}

/// A refund API's answer (`Err`: none came) as [`Raised`].
///
/// # Errors
/// The provider's reason when it refused: nothing was raised.
pub fn raised(answer: Result<RefundAck, String>) -> Result<Raised, String> {
    match answer {
        Ok(RefundAck::Accepted {
            provider_refund,
            verdict,
        }) => Ok(Raised::Accepted {
            reference: provider_refund,
            verdict,
        }),
        Ok(RefundAck::Refused { reason }) => Err(reason),
        Err(why) => Ok(Raised::Unknown(why)),
    }
}

/// The answer to a refund `provider` refused (502 `refund_refused`; module docs).
#[must_use]
pub fn refused(provider: Provider, detail: &str) -> Refused {
    Refused::new(
        502,
        "api_error",
        ErrorCode::RefundRefused,
        format!("refund: {provider} did not accept the refund ({detail}); the order is unchanged"),
        None,
    )
}

/// What the order records of a refund once its provider was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub audit: Note,
    /// The provider's id for it, when it answered.
    pub provider_reference: Option<String>,
    /// A decision the answer already carries, applied right after recording.
    pub settle: Option<RefundVerdict>,
}

/// How refund `refund` is recorded after `raised` (module docs).
#[must_use]
pub fn recording(refund: Id, raised: Raised) -> Recording {
    match raised {
        Raised::Accepted { reference, verdict } => Recording {
            audit: note("refund_raised", format!("{refund} {reference}")),
            provider_reference: Some(reference),
            settle: Some(verdict),
        },
        Raised::Unknown(why) => Recording {
            audit: note("refund_outcome_unknown", format!("{refund}: {why}")),
            provider_reference: None,
            settle: None,
        },
        Raised::Manual => Recording {
            audit: note("refund_manual", refund.to_string()),
            provider_reference: None,
            settle: None,
        },
    }
}

/// Why a provider could not say where a refund stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unasked {
    /// It has no such refund (the wallet's 404, none in Ping++'s list): never raised.
    Unknown,
    /// It could not be asked (network, configuration): ask later.
    Failed(String),
}

impl core::fmt::Display for Unasked {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Unknown => f.write_str("the provider has no such refund"),
            Self::Failed(why) => f.write_str(why),
        }
    }
}

/// What the alarm's ask about an open refund comes to: the decision to apply (if any)
/// and what to audit.
#[must_use]
pub fn pulled(
    refund: Id,
    answer: Result<RefundVerdict, Unasked>,
) -> (Option<RefundVerdict>, Option<Note>) {
    match answer {
        Ok(v) => (Some(v), None),
        // Recorded with no answer, and the provider has never heard of it: it was never
        // raised.
        Err(Unasked::Unknown) => (
            Some(RefundVerdict::Failed {
                reason: "the provider has no such refund: it was never raised".into(),
            }),
            None,
        ),
        Err(why) => (
            None,
            Some(note("refund_query_failed", format!("{refund}: {why}"))),
        ),
    }
}

/// What to do with an intent a dead run left, once its provider was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// The provider knows it: record it as requested, then apply `verdict`.
    Record {
        verdict: RefundVerdict,
        provider_reference: Option<String>,
        audit: Note,
    },
    /// Never raised: forget the intent.
    Drop(Note),
    /// Could not be asked: keep the intent for the next alarm.
    Keep(Note),
}

/// Module docs, "Crash safety": `asked` is the provider's word on the intent's refund
/// (with its id for it, where the answer names one).
#[must_use]
pub fn recovery(
    intent: &RefundIntent,
    asked: Result<(RefundVerdict, Option<String>), Unasked>,
) -> Recovery {
    let refund = intent.refund;
    match asked {
        Ok((verdict, provider_reference)) => Recovery::Record {
            verdict,
            provider_reference,
            audit: note("refund_recovered", refund.to_string()),
        },
        Err(Unasked::Unknown) => Recovery::Drop(note("refund_intent_dropped", refund.to_string())),
        Err(Unasked::Failed(why)) => {
            Recovery::Keep(note("refund_query_failed", format!("{refund}: {why}")))
        }
    }
}

/// A decision about a recorded refund, as the order takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct VerdictChange {
    pub event: Event,
    /// The reason it failed, when it did (kept with the refund's details).
    pub failure: Option<String>,
    pub audit: Option<Note>,
}

/// What `verdict` about refund `refund` of `order` changes (`None`: no such refund, or
/// still pending). `by_merchant`: the merchant's report of a refund made by hand, else
/// `channel`'s word.
#[must_use]
pub fn verdict_change(
    order: &Order,
    refund: Id,
    verdict: &RefundVerdict,
    channel: Provider,
    by_merchant: bool,
) -> Option<VerdictChange> {
    let amount = order
        .refunds()
        .get(refund)?
        .amount_of(order.amount().units());
    let by = if by_merchant {
        "merchant"
    } else {
        channel.as_str()
    };
    let event = verdict_event(refund, amount, by, verdict)?;
    let failure = match verdict {
        RefundVerdict::Failed { reason } => Some(reason.clone()),
        _ => None,
    };
    let audit = failure
        .as_ref()
        .map(|reason| note("refund_failed", format!("{refund}: {reason}")));
    Some(VerdictChange {
        event,
        failure,
        audit,
    })
}

/// The event recording refund `refund` of `amount` as requested: a fixed id, so
/// recording it twice is a duplicate.
#[must_use]
pub fn requested_event(refund: Id, amount: u128) -> Event {
    Event::new(
        format!("refund_requested:{refund}"),
        EventKind::RefundRequested {
            refund,
            amount: Some(amount),
        },
    )
}

#[cfg(test)]
#[path = "refunds_tests.rs"]
mod tests;
