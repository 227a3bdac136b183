//! S2: the token-wallet order API the widget speaks (`/api/payment/...`) and the
//! wallet's RSA-SHA256 signed result notifications (SPEC 3.4).

pub mod callback;
pub mod notify;
pub mod status;
pub mod wire;
