//! Issue 14's regression tests: each finding of the edge's security review, tried from
//! the attacker's side against the real edge under `wrangler dev` (and the sandbox's
//! providers where a provider is involved). Every test here failed on the code the
//! review read and passes now. One module per area; `docs/coverage.md` lists them.

#![allow(clippy::unwrap_used, clippy::panic)]

#[path = "../proof_support/mod.rs"]
mod proof_support;

mod audit_flood;
mod production_default;
mod webhook_outbox;
