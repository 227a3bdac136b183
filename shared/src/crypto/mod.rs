//! Cryptographic profiles (SPEC 4).

pub mod ct;
