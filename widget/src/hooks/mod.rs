//! Custom hooks (`use_<noun>`, STYLE).

mod use_countdown;
mod use_order_events;

pub use use_countdown::{now_ms, use_countdown};
pub use use_order_events::{parse_status_message, use_order_events};
