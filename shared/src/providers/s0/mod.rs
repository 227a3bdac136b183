//! S0: the platform's risk check (`prePayCheck`), order-status relay (`orderCallBack`)
//! and user-info completion (`updateInfo`).

pub mod status;
pub mod wire;
