//! S4: the REST pay surface built on Ping++ charges (`/rest/pay/...`, `{code: 900}`
//! envelope) and Ping++ webhook verification (`X-Pingplusplus-Signature`).

pub mod callback;
pub mod status;
pub mod webhook;
pub mod wire;
