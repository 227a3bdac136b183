//! S3: Lianshang open platform `createPayOrder` — RSA signature over the canonical JSON
//! (SPEC 4.1) and chunked RSA encryption of `res_data` (SPEC 4.2).

pub mod callback;
pub mod sign;
pub mod status;
pub mod wire;
