//! What Kassa **serves** in a seed's shape (SPEC 3.1, 3.3): one module per surface, its
//! wire types and status vocabulary. The services Kassa *calls* are in
//! [`crate::providers`]; a surface may carry a provider's object (S1's Paytm form, S4's
//! Ping++ charge) but never speaks that provider's protocol itself.
//!
//! - [`s1`]: the shareit pay API (`/pay/preOrder`, `/pay/getOrderStatus`), seed S1.
//! - [`s2`]: the widget's order API (`/api/payment/...`), seed S2.
//! - [`s4`]: the REST pay and wallet-settings API (`/rest/pay/...`), seed S4.
//! - [`merchant`]: Kassa's own merchant API (`/v1/...`, SPEC 3.2): its request bodies.
//! - [`handoff`]: where the widget sends the shopper for a channel (SPEC 8), a Kassa
//!   extension of the S2 pay answers.

pub mod handoff;
pub mod merchant;
pub mod s1;
pub mod s2;
pub mod s4;
