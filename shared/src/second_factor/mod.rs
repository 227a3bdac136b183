//! The second factor (SPEC 6, S2 `send_payment_verify_code` / `pay` / `quick_pay`):
//! pure state and checks the edge runs inside its Durable Objects (SPEC 7).
//!
//! - [`code`]: MOBILE / EMAIL codes — issued from caller-supplied random bytes, stored
//!   only as an HMAC under a pepper, bound to order + user + code-send id, 5 min, single
//!   use, checked in constant time.
//! - [`throttle`]: the per-user send throttle (60 s apart, 5 per rolling hour) and the
//!   per-order wrong-code lock (5 wrong → 15 min).
//! - [`ga`]: TOTP with ±1 step and no reuse of an accepted step, and the per-user
//!   wrong-code lock GA codes are checked under (5 wrong across all of the user's
//!   orders → 15 min), on top of the per-order one.
//!
//! Every refusal maps to a [`crate::reason::ReasonCode`] for the audit log. All state is
//! serde-serialisable; nothing here reads a clock or draws randomness.
//!
//! The edge's order of operations for a `pay` with a code: `WrongCodeLock::check` →
//! `StoredCode::verify` / `GaState::verify` → on a refusal that
//! [`CodeError::counts_as_wrong_code`], `WrongCodeLock::record_failure` (whose
//! `attempts_left` / lock end the widget shows); on success `record_success`.

pub mod code;
pub mod ga;
pub mod throttle;

pub use code::{generate_code, issue, CodeError, PlainCode, StoredCode, CODE_TTL_MS};
pub use ga::{GaCheck, GaError, GaState};
pub use throttle::{
    LockLimits, LockedError, SendLimits, SendThrottle, ThrottleError, WrongCodeLock,
};
