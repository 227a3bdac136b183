//! Reusable pieces the screens are built from.

pub mod amount;
pub mod code_input;
pub mod countdown;
