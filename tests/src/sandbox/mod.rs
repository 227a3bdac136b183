//! The provider sandbox: every upstream Kassa talks to, simulated over real HTTP on
//! 127.0.0.1 (issue 5; SPEC 3.3–3.5 and 4). Each simulated upstream verifies what it
//! receives with the provider's real algorithm from `kassa_shared` and answers as the
//! provider would, with its own keys, so the edge is exercised exactly as in production.
//!
//! Start it with [`Sandbox::start`] (tests, `cargo xtask dev`) or run the `kassa-sandbox`
//! binary. URL map (one module per upstream):
//!
//! | prefix | upstream | module |
//! |---|---|---|
//! | `/s0/platform/pay/{prePayCheck,orderCallBack,updateInfo}` | S0 platform risk check and relay (seed S0) | [`s0`] |
//! | `/s3/pai/createPayOrder` | Lianshang pay order (seed S3, SPEC 4.1/4.2) | [`s3`] |
//! | `/paytm/theia/processTransaction`, `/paytm/theia/complete`, `/paytm/merchant-status/getTxnStatus` | Paytm checkout and Transaction Status API (seed S1, SPEC 4.3) | [`paytm`] |
//! | `/pingpp/v1/charges`, `/pingpp/v1/charges/{id}`, `…/{id}/refunds`, `…/{id}/refunds/{refund_id}` | Ping++ charges, refunds and webhooks (seed S4, SPEC 3.4) | [`pingpp`] |
//! | `/wallet/charges` (alias `/wallet/pay`), `GET /wallet/charges/{ref}` | token wallet (S2 channel, SPEC 3.4) | [`wallet`] |
//! | `/merchant/webhooks` | a merchant's webhook receiver (SPEC 3.5) | [`merchant`] |
//! | `/_control/...` | scripting and counters | [`control`] |
//!
//! Each prefix stands for the provider's host, and the rest of the path is the
//! provider's own (seed S0 `https://openapi.e.uban360.com/platform/pay/prePayCheck` →
//! `{sandbox}/s0/platform/pay/prePayCheck`; Paytm `securegw…/theia/processTransaction`
//! → `{sandbox}/paytm/theia/processTransaction`; Ping++ `api.pingxx.com/v1/charges` →
//! `{sandbox}/pingpp/v1/charges`), so the edge's configured base URL is simply
//! `{sandbox}/s0`, `{sandbox}/s3`, `{sandbox}/paytm`, `{sandbox}/pingpp`,
//! `{sandbox}/wallet`. The sandbox listens on 127.0.0.1 only and the control API has no
//! authentication: it is a test fixture, never to be exposed.
//!
//! Everything the sandbox sends on its own (notifies, callbacks, webhooks) goes through
//! one function with a timeout and only to URLs allowed by
//! [`SandboxConfig::outbound_allow`] (loopback by default).

pub mod config;
pub mod control;
pub mod merchant;
pub mod outbound;
pub mod paytm;
pub mod pingpp;
pub mod s0;
pub mod s3;
pub mod server;
pub mod wallet;

pub use config::SandboxConfig;
pub use server::{Sandbox, SandboxError, SandboxHandle};
