//! S2, served: the token-wallet order API the widget speaks (`/api/payment/...`, seed S2,
//! SPEC 3.1). The token wallet Kassa *calls* is `providers::wallet`.

pub mod answers;
pub mod credentials;
pub mod order_view;
pub mod requests;
pub mod status;
pub mod wire;
