//! Secrets and configuration read from the Worker environment (`.dev.vars` in
//! development, `wrangler secret put` in production).

use kassa_shared::crypto::ct;
use worker::{Env, Request};

use crate::error::EdgeError;

/// Checks `Authorization: Bearer <merchant secret key>` in constant time (SPEC 4.4).
pub fn require_merchant(req: &Request, env: &Env) -> Result<(), EdgeError> {
    let expected = env
        .secret("KASSA_MERCHANT_KEY")
        .map_err(|_| EdgeError::Config("KASSA_MERCHANT_KEY is not set"))?
        .to_string();
    let header = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .unwrap_or_default();
    let given = header.strip_prefix("Bearer ").unwrap_or("");
    if given.is_empty() || !ct::eq(given.as_bytes(), expected.as_bytes()) {
        return Err(EdgeError::Unauthorized);
    }
    Ok(())
}
