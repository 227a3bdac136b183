//! The provider sandbox: every upstream Kassa talks to, simulated over real HTTP on
//! 127.0.0.1 (issue 5; SPEC 3.3–3.5 and 4). Each simulated upstream verifies what it
//! receives with the provider's real algorithm and answers as the provider would, with
//! its own keys, so the edge is exercised exactly as in production.
//!
//! **An independent oracle (issue 16).** This crate has no dependency on Kassa's
//! `shared` crate, and no source here names it (a tidy rule holds both): every
//! algorithm is written again from the provider's own documents and the seeds, with
//! RustCrypto crates directly — [`checksum`] from Paytm's `paytmchecksum` library,
//! [`signed_json`] and the S3 envelope from seed 003 and SPEC 4.1/4.2 (`serde_jcs` for
//! RFC 8785), Ping++'s webhook signature from Ping++'s documents, the merchant's
//! `Kassa-Signature` from SPEC 3.5, keys and RSA in [`crypto`]. A misreading in `shared`
//! therefore cannot pass both sides of a test. Each implementation passes the
//! repository's known-answer vectors (`tests/vectors/crypto/`, produced by Python,
//! pycryptodome and openssl), and the providers' own client libraries — `pingpp` and
//! `paytmchecksum` from PyPI — are run against the sandbox by
//! `tests/tests/sandbox_official_libs.rs` (`tests/python/test_official_libs.py`).
//!
//! Start it with [`Sandbox::start`] (tests, `cargo xtask dev`) or run the `kassa-sandbox`
//! binary. URL map (one module per upstream):
//!
//! | prefix | upstream | module |
//! |---|---|---|
//! | `/s0/platform/pay/{prePayCheck,orderCallBack,updateInfo}` | S0 platform risk check and relay (seed S0) | [`s0`] |
//! | `/s3/pai/createPayOrder` | Lianshang pay order (seed S3, SPEC 4.1/4.2) | [`s3`] |
//! | `GET`/`POST /s3/cashier?pay_token=…` | the shopper's Lianshang cashier (approve, decline, abandon) | [`s3`] |
//! | `/paytm/theia/processTransaction`, `/paytm/theia/complete`, `/paytm/merchant-status/getTxnStatus` | Paytm checkout (the shopper's page; the result returns through the browser) and Transaction Status API (seed S1, SPEC 4.3) | [`paytm`] |
//! | `/paytm/refund/apply`, `/paytm/v2/refund/status` | Paytm's Refund and Refund Status APIs (JSON, `head.signature` over the `body` text) | [`paytm`], [`paytm_refund`] |
//! | `/pingpp/v1/charges`, `/pingpp/v1/charges/{id}`, `…/{id}/refunds`, `…/{id}/refunds/{refund_id}` | Ping++ charges, refunds and webhooks (seed S4, SPEC 3.4) | [`pingpp`] |
//! | `GET`/`POST /pingpp/mock.php`, `GET /pingpp/alipay/gateway.do` | the shopper's Ping++ pages, reached as `pingpp-js` reaches them from a charge | [`pingpp_pages`] |
//! | `/wallet/charges` (alias `/wallet/pay`), `GET /wallet/charges/{ref}` | token wallet (S2 channel, SPEC 3.4); settles by itself, no shopper page | [`wallet`] |
//! | `/wallet/refunds`, `GET /wallet/refunds/{refund_id}` | the token wallet's refunds and their signed state | [`wallet`], [`wallet_refund`] |
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
//! **What the official libraries showed** (fixed here; the wire is otherwise as before):
//! Ping++'s charge `refunds.url` was empty, so `pingpp`'s `charge.refunds.create()` /
//! `.retrieve()` / `.list()` posted to the API root — it is now
//! `/v1/charges/{id}/refunds`, and `GET` of that list exists; charges lacked `extra`
//! (`success_url`, `open_id`, …) and `time_settle`; `livemode` ignored the key's
//! `sk_live_` / `sk_test_` prefix. Ping++ request signatures (`Pingplusplus-Signature`,
//! made by the SDKs when `pingpp.private_key` is set) are verified when
//! `pingpp.request_public_key` is configured, ignored otherwise. Paytm's
//! `paytmchecksum` agreed with the sandbox on every checksum in both directions.
//!
//! Everything the sandbox sends on its own (notifies, callbacks, webhooks) goes through
//! one function with a timeout and only to URLs allowed by
//! [`SandboxConfig::outbound_allow`] (loopback by default).

pub mod checksum;
pub mod config;
pub mod control;
pub mod crypto;
pub mod merchant;
pub mod outbound;
pub mod pages;
pub mod paytm;
pub mod paytm_refund;
pub mod pingpp;
pub mod pingpp_pages;
pub mod s0;
pub mod s3;
pub mod server;
pub mod signed_json;
pub mod wallet;
pub mod wallet_refund;

#[cfg(test)]
mod vectors;

pub use config::SandboxConfig;
pub use server::{Sandbox, SandboxError, SandboxHandle};
