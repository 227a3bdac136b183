//! The local risk engine (SPEC 5) the edge runs before every `pay` / `quick_pay`, ahead
//! of S0 `prePayCheck`, and the `need2FA` decision of `load_pay_data` / `quick_pay`
//! (SPEC 3.1).
//!
//! Pure: the edge gathers the facts (order, velocity windows, wrong-code lock, device,
//! trust) into a [`RiskInput`], passes `now`, stores the [`RiskDecision`] with its
//! [`ReasonCode`]s in the order's audit log, and records the attempt in the velocity
//! windows afterwards.
//!
//! - [`config`]: limits, defaults, parsing from wrangler's string variables.
//! - [`rules`]: [`evaluate`] and [`try_code_send`].
//! - [`velocity`]: the sliding 10-minute [`VelocityWindow`].
//! - [`ReasonCode`] (in [`crate::reason`], below both this module and
//!   [`crate::second_factor`]): the stable reason-code vocabulary.
//! - [`client_ip`]: which per-IP window an attempt counts in (`CF-Connecting-IP` only).
//! - [`rejections`]: the bounded per-address count of refused unauthenticated input.

pub mod client_ip;
pub mod config;
pub mod rejections;
pub mod rules;
pub mod velocity;

pub use crate::reason::ReasonCode;
pub use config::{ConfigError, RiskConfig};
pub use rejections::RejectionLog;
pub use rules::{evaluate, try_code_send, Amount, RiskDecision, RiskInput};
pub use velocity::{VelocityWindow, VELOCITY_WINDOW_MS};

#[cfg(test)]
mod tests;
