//! The product's flows as sans-IO machines (issue 15, STYLE "quinn-proto"): time and
//! results go in, values come out, and each machine owns its timers. The edge's Durable
//! Objects load one, feed it, carry out what it hands back, and save it.
//!
//! - [`attempts`]: attempts nobody finished — when to ask their provider, and how a
//!   verdict closes them.
//! - [`charge`]: the provider request a paid-for order makes, and what the provider's
//!   answer does to the attempt.
//! - [`outbox`]: the webhooks and S0 relays an order owes, their ids, envelope, backoff,
//!   ordering and the order's next alarm.
//! - [`pay`]: the gates of `pay` / `quick_pay` in their order (lock, code, risk, device,
//!   S0, velocity windows), what each audits and what the shopper is told.
//! - [`pay_answer`]: what a pay answers around the gates (idempotent replays, the sent
//!   code's check, the success body).
//! - [`refund_admit`]: what a merchant may ask of an order's refunds, and the refusals.
//! - [`refunds`]: refunds waiting on a provider's refund status API — when to ask, and
//!   the event a decision makes.

pub mod attempts;
pub mod charge;
pub mod outbox;
pub mod pay;
pub mod pay_answer;
pub mod refund_admit;
pub mod refunds;

pub use refund_admit::Refused;
