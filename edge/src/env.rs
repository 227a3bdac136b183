//! Secrets and configuration read from the Worker environment (`.dev.vars` in
//! development, `wrangler secret put` in production; plain settings in `[vars]`).

use kassa_shared::crypto::ct;
use worker::{Env, Request};

use crate::channels::{ChannelConfig, ConfigError};
use crate::error::EdgeError;

/// The providers' configuration (`channels/config.rs`); a refused one is an internal
/// error naming the variable. Here, not in `channels/`, which stays free of the edge's
/// error type so the browser tests can compile it alone.
pub fn channels(env: &Env) -> Result<ChannelConfig, EdgeError> {
    ChannelConfig::from_env(env)
        .map_err(|e| EdgeError::Internal(format!("channel configuration: {e}")))
}

/// One channel's part of the configuration was refused (`name` as in the message:
/// `paytm`, `pingpp`, …).
pub fn channel_refused(name: &str, e: &ConfigError) -> EdgeError {
    EdgeError::Internal(format!("{name} configuration: {e}"))
}

/// A secret's value; a missing secret is a configuration error, never a default.
pub fn secret(env: &Env, name: &'static str) -> Result<String, EdgeError> {
    env.secret(name)
        .map(|s| s.to_string())
        .map_err(|_| EdgeError::Config(name))
}

/// A plain setting, `None` when unset or empty.
pub fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .filter(|v| !v.is_empty())
}

/// A numeric setting with its default (an unparsable value falls back to the default
/// rather than failing every request).
pub fn var_u64(env: &Env, name: &str, default: u64) -> u64 {
    var(env, name)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// True under `wrangler dev` (`KASSA_ENV = "development"`): allows `http://` notify URLs
/// so tests can run a receiver on loopback.
pub fn is_development(env: &Env) -> bool {
    var(env, "KASSA_ENV").as_deref() == Some("development")
}

/// The bearer token of `Authorization: Bearer <token>`, if any.
pub fn bearer(req: &Request) -> Option<String> {
    let header = req.headers().get("Authorization").ok().flatten()?;
    header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Checks `Authorization: Bearer <merchant secret key>` in constant time (SPEC 4.4).
pub fn require_merchant(req: &Request, env: &Env) -> Result<(), EdgeError> {
    let expected = secret(env, "KASSA_MERCHANT_KEY")?;
    let given = bearer(req).unwrap_or_default();
    if given.is_empty() || !ct::eq(given.as_bytes(), expected.as_bytes()) {
        return Err(EdgeError::Unauthorized);
    }
    Ok(())
}
