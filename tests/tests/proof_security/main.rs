//! Regression tests for issue 14 (security review of the edge), one module per area,
//! each written from the attacker's side against a real `wrangler dev`: what the
//! attacker holds, what they try, and that it is refused with nothing changed.

#![allow(clippy::unwrap_used, clippy::panic)]

mod s4_withdraw_account;
mod token_scopes;
