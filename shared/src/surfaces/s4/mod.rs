//! S4, served: the REST pay surface (`/rest/pay/...`, `{code: 900}` envelope, seed S4,
//! SPEC 3.3). The Ping++ API Kassa *calls* is `providers::pingpp`.

pub mod pay_view;
pub mod status;
pub mod wallet;
pub mod wire;
