//! Durable Objects: one `OrderObject` per order serialises every mutation of that order.

pub mod order_object;
