//! Requests out to the providers (SPEC 3.5, issue 5 "Channels out"): one file per
//! outbound protocol. Each builds a request *value* ([`http::OutboundRequest`]) from
//! `shared` types and parses a response *value* ([`http::OutboundResponse`]); only the
//! thin `async fn`s at the bottom of each file touch the network, through
//! [`http::send`] (`worker::Fetch` raced against a timeout). So everything but the
//! socket is testable in a browser or natively.
//!
//! - [`s0`]: `prePayCheck` (fail closed), `orderCallBack`, `updateInfo` (seed S0).
//! - [`s3_lianshang`]: `createPayOrder`, signed through WebCrypto, encrypted with the
//!   platform key, answer verified before it is trusted (SPEC 4.1, 4.2).
//! - [`paytm`]: the S1 `preOrder` form with `CHECKSUMHASH` and the Transaction Status
//!   API that confirms callbacks (SPEC 3.3, 4.3).
//! - [`pingpp`]: create and retrieve a Ping++ charge (S4).
//! - [`wallet`]: ask the token wallet to charge, and query it (S2 channel).
//! - [`config`]: base URLs, credentials and timeouts from the Worker environment.

pub mod config;
pub mod http;
pub mod paytm;
pub mod pingpp;
pub mod s0;
pub mod s3_lianshang;
pub mod wallet;

pub use config::{ChannelConfig, ConfigError};
pub use http::{OutboundRequest, OutboundResponse, TransportError};
