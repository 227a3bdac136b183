//! The order and its payment attempts (SPEC 2, "Order status").

pub mod status;

pub use status::OrderStatus;
