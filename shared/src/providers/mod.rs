//! The services Kassa **calls**, one module each, hyperswitch-connector style (STYLE.md):
//! everything about a provider — wire types, request builders and answer parsers,
//! signatures and checksums, callback verification, the rules for which answers may
//! settle an attempt or a refund, status mapping, the answer it expects back — lives in
//! its module and nowhere else. The edge only sends the [`http::Request`] values built
//! here and hands the [`http::Response`] back (SPEC 3.5); private-key operations stay at
//! the edge, in WebCrypto (SPEC 4.4), so a builder returns the bytes to sign or takes
//! the signature in.
//!
//! - [`paytm`]: the S1 channel — CHECKSUMHASH (SPEC 4.3), the form, the callback and the
//!   Transaction Status API that confirms it.
//! - [`lianshang`]: the S3 channel — `createPayOrder` (SPEC 4.1, 4.2) and its notify.
//! - [`pingpp`]: the S4 channel — charges, refunds, their retrieves and webhooks.
//! - [`wallet`]: the token wallet — charge, signed status query and notifications.
//! - [`refund`]: what every refund API answers, as values ([`refund::RefundAck`],
//!   [`refund::RefundVerdict`]).
//! - [`s0`]: the S0 platform — `prePayCheck`, `orderCallBack`, `updateInfo`.
//! - [`config`]: each provider's settings from the environment's variables, every
//!   problem named by its variable (the edge reads the Worker's environment).
//!
//! What Kassa *serves* in a seed's shape is in [`crate::surfaces`].

use core::fmt;

use serde::{Deserialize, Serialize};

pub mod config;
pub mod http;
pub mod lianshang;
pub mod paytm;
pub mod pingpp;
pub mod refund;
pub mod s0;
pub mod wallet;

/// A payment provider an order is paid through (SPEC 1): the order's channel, the
/// `/callbacks/<name>` route its callbacks arrive on, its configuration and the
/// namespace of its event ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Paytm,
    Lianshang,
    Pingpp,
    Wallet,
}

impl Provider {
    /// Every name [`Self::parse`] accepts, for error messages.
    pub const NAMES: &'static str = "paytm, lianshang, pingpp, wallet";

    /// The name used in routes (`/callbacks/<name>`), event ids and `EventKind`s.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Paytm => "paytm",
            Self::Lianshang => "lianshang",
            Self::Pingpp => "pingpp",
            Self::Wallet => "wallet",
        }
    }

    /// The provider named `s` (exactly as [`Self::as_str`] spells it).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "paytm" => Some(Self::Paytm),
            "lianshang" => Some(Self::Lianshang),
            "pingpp" => Some(Self::Pingpp),
            "wallet" => Some(Self::Wallet),
            _ => None,
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in [
            Provider::Paytm,
            Provider::Lianshang,
            Provider::Pingpp,
            Provider::Wallet,
        ] {
            assert_eq!(Provider::parse(p.as_str()), Some(p));
            assert!(Provider::NAMES.contains(p.as_str()));
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.as_str())
            );
        }
        assert_eq!(Provider::parse("Paytm"), None);
    }
}
