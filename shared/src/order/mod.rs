//! The order and its payment attempts (SPEC 2, "Order status"; SPEC 7).
//!
//! - [`status`]: the canonical [`OrderStatus`] every seed maps to and from;
//! - [`attempt`]: one payment attempt's lattice;
//! - [`refund`]: the refunds of a paid order, each with its own lattice;
//! - [`event`]: what an order accepts; [`effect`]: what the shell must do;
//! - [`machine`]: [`Order`] and `Order::apply(now_ms, event) -> Vec<Effect>`, with the
//!   product rules (verified success wins, needs review, effects exactly once).

pub mod attempt;
pub mod effect;
pub mod event;
pub mod machine;
pub mod refund;
pub mod status;

pub use attempt::{Attempt, AttemptStatus};
pub use effect::{Effect, EffectKey, RelayStatus, Resolution, ReviewReason};
pub use event::{Event, EventKind};
pub use machine::{Disposition, HistoryEntry, Lifecycle, Order, OrderAmount};
pub use refund::{OrderRefundStatus, Refund, RefundStatus, Refunds, LEGACY_REFUND};
pub use status::OrderStatus;
