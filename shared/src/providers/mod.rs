//! One module per provider protocol (seeds S0–S4 plus the token wallet): its wire types,
//! its signature scheme and its status mapping side by side. Nothing outside a provider's
//! module knows that provider's format.

pub mod s0;
pub mod s1_paytm;
pub mod s2_wallet;
pub mod s3_lianshang;
pub mod s4_pingpp;
pub mod serde_util;
