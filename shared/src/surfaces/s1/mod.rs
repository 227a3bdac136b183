//! S1, served: the shareit pay system's `/pay/preOrder` and `/pay/getOrderStatus` in the
//! `{code, data, message}` envelope (seed S1, SPEC 3.3). The Paytm form `preOrder` returns
//! and the callback Paytm posts are Paytm's (`providers::paytm`).

pub mod request;
pub mod status;
pub mod wire;
