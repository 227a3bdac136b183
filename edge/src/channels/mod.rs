//! Requests out to the providers (SPEC 3.5, issue 5 "Channels out"), the edge's half:
//! only the transport and what needs the Worker's runtime. Every request, answer
//! parser and rule is `kassa_shared::providers::<name>`'s; here are
//!
//! - [`http`]: [`http::send`] (`worker::Fetch` raced against a timeout) and
//!   [`http::run`], which carries out a provider's `Exchange`;
//! - [`sign`]: what needs the runtime's secrets or randomness — the S3 `createPayOrder`
//!   signature through WebCrypto (SPEC 4.4), the Paytm checksum salt;
//! - [`config`]: reading the channels' settings (`kassa_shared::providers::config`)
//!   from the Worker environment.

pub mod config;
pub mod http;
pub mod sign;

pub use config::{ChannelConfig, ConfigError, FromEnv};
pub use http::{exchange, run};
