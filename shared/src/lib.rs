//! Kassa's sans-IO core.
//!
//! Everything here is a pure function of its inputs: no network, no clock, no randomness
//! of its own (callers pass `now` and an RNG in). It compiles for native targets and for
//! `wasm32-unknown-unknown`, and is used by the edge Worker, the widget, the CLI and the
//! test sandbox alike. See `ARCHITECTURE.md` for the invariants.

pub mod callback;
pub mod civil_time;
pub mod crypto;
pub mod envelope;
pub mod envelope_render;
pub mod flows;
pub mod id;
pub mod idempotency;
pub mod mask;
pub mod money;
pub mod order;
pub mod providers;
pub mod reason;
pub mod risk;
pub mod second_factor;
pub mod serde_util;
pub mod surfaces;
pub mod webhook_target;
