//! Issue 14 (security review of the edge): the regression tests, one module per area,
//! each over real HTTP against `wrangler dev` and the provider sandbox, written from the
//! attacker's side, and each failing on the code before its fix. `docs/coverage.md`
//! ("Security regression tests (issue 14)") lists them by item.

#![allow(clippy::unwrap_used, clippy::panic)]

#[path = "../proof_support/mod.rs"]
mod proof_support;

mod device_token;
mod idempotency;
mod s0_amount;
mod totp_per_user;
mod velocity_user;
