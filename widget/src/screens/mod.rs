//! One component per screen of the checkout (SPEC 8), each fed by the app's state.

pub mod code_entry;
pub mod done;
pub mod error;
pub mod loading;
pub mod paying;
pub mod processing;
pub mod summary;
