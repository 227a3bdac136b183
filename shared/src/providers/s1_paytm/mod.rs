//! S1: the shareit pay system with Paytm (`/pay/preOrder`, `/callback/paytm`,
//! `/pay/getOrderStatus`) and Paytm's CHECKSUMHASH (SPEC 4.3).

pub mod callback;
pub mod checksum;
pub mod status;
pub mod wire;
