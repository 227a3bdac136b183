//! Every setting and secret the edge reads from the Worker environment, by name, here and
//! nowhere else (issue 15; the tidy test holds it): `.dev.vars` in development,
//! `wrangler secret put` in production, plain settings in `[vars]`. The providers' part
//! is `channels/config.rs` (also a config module) and the risk engine's is
//! `kassa_shared::risk::config`, which takes a lookup from here.
//!
//! Secrets are required: a missing one is [`EdgeError::Config`], never a default.
//! Numeric settings fall back to their default when unset or unparsable rather than
//! failing every request. Production is the default configuration: development
//! behaviour needs `KASSA_ENV = "development"` (set by the test harness and
//! `cargo xtask dev`, never by `wrangler.toml`).

use kassa_shared::civil_time::FixedZone;
use kassa_shared::crypto::{device_token, PublicKey};
use kassa_shared::money::TokenTable;
use kassa_shared::risk::RiskConfig;
use worker::Env;

use crate::channels::{ChannelConfig, ConfigError, FromEnv};
use crate::error::EdgeError;
use crate::webcrypto::{OaepDecryptionKey, OaepPublicKey};

/// A secret's value; a missing secret is a configuration error, never a default.
fn secret(env: &Env, name: &'static str) -> Result<String, EdgeError> {
    env.secret(name)
        .map(|s| s.to_string())
        .map_err(|_| EdgeError::Config(name))
}

/// A plain setting, `None` when unset or empty.
fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .filter(|v| !v.is_empty())
}

/// A numeric setting with its default.
fn var_u64(env: &Env, name: &str, default: u64) -> u64 {
    var(env, name)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The providers' configuration (`channels/config.rs`); a refused one is an internal
/// error naming the provider.
pub fn channels(env: &Env) -> Result<ChannelConfig, EdgeError> {
    ChannelConfig::from_env(env)
        .map_err(|e| EdgeError::Internal(format!("channel configuration: {e}")))
}

/// One channel's part of the configuration was refused (`name` as in the message:
/// `paytm`, `pingpp`, …).
pub fn channel_refused(name: &str, e: &ConfigError) -> EdgeError {
    EdgeError::Internal(format!("{name} configuration: {e}"))
}

/// True under `wrangler dev` (`KASSA_ENV = "development"`): allows `http://` notify URLs
/// so tests can run a receiver on loopback, and keeps sent codes in a dev outbox.
pub fn is_development(env: &Env) -> bool {
    var(env, "KASSA_ENV").as_deref() == Some("development")
}

/// `KASSA_TEST_HELPERS = "enabled"`: the test-only merchant routes exist.
pub fn test_helpers_enabled(env: &Env) -> bool {
    var(env, "KASSA_TEST_HELPERS").as_deref() == Some("enabled")
}

/// The merchant's secret key (merchant API bearer, S1 merchant status, webhooks' S1 key).
pub fn merchant_key(env: &Env) -> Result<String, EdgeError> {
    secret(env, "KASSA_MERCHANT_KEY")
}

/// The HMAC key of `client_secret`s and user tokens.
pub fn client_secret_key(env: &Env) -> Result<String, EdgeError> {
    secret(env, "KASSA_CLIENT_SECRET_KEY")
}

/// The key of the edge-signed device tokens (`kassa_shared::crypto::device_token`),
/// derived from the client-secret key under its own label.
pub fn device_key(env: &Env) -> Result<[u8; 32], EdgeError> {
    Ok(device_token::derive_key(client_secret_key(env)?.as_bytes()))
}

/// The pepper of stored verification-code hashes.
pub fn code_pepper(env: &Env) -> Result<String, EdgeError> {
    secret(env, "KASSA_CODE_PEPPER")
}

/// The RSA-OAEP private key the sealed S4 fields are opened with, imported into
/// WebCrypto (SPEC 4.5).
pub async fn oaep_private_key(env: &Env) -> Result<OaepDecryptionKey, EdgeError> {
    OaepDecryptionKey::import(&secret(env, "KASSA_OAEP_PRIVATE_KEY")?)
        .await
        .map_err(|_| EdgeError::Config("KASSA_OAEP_PRIVATE_KEY: not an RSA private key"))
}

/// The matching public key, published at `/.well-known/kassa-key.json`.
pub async fn oaep_public_key(env: &Env) -> Result<OaepPublicKey, EdgeError> {
    OaepPublicKey::import(&secret(env, "KASSA_OAEP_PUBLIC_KEY")?)
        .await
        .map_err(|_| EdgeError::Config("KASSA_OAEP_PUBLIC_KEY: not an RSA public key"))
}

/// The merchant's page origins allowed to call the widget API (comma-separated).
pub fn allowed_origins(env: &Env) -> Option<String> {
    var(env, "KASSA_ALLOWED_ORIGINS")
}

/// The risk engine's configuration from the `KASSA_RISK_*` variables.
pub fn risk(env: &Env) -> Result<RiskConfig, EdgeError> {
    RiskConfig::from_lookup(|name| var(env, name), &TokenTable::builtin())
        .map_err(|e| EdgeError::Internal(format!("risk configuration: {e}")))
}

/// How long and how many `Idempotency-Key`s an order honours.
pub fn idempotency(env: &Env, default_ttl_secs: u64, default_max: u64) -> (u64, u64) {
    (
        var_u64(env, "KASSA_IDEMPOTENCY_TTL_SECS", default_ttl_secs),
        var_u64(env, "KASSA_IDEMPOTENCY_MAX_KEYS", default_max),
    )
}

/// True when S0 is configured, so relays are delivered.
pub fn s0_enabled(env: &Env) -> bool {
    s0_url(env).is_some()
}

/// S0's base URL, for delivery records.
pub fn s0_url(env: &Env) -> Option<String> {
    var(env, "KASSA_S0_URL")
}

/// How long S0 relays are retried, in ms (`KASSA_S0_RELAY_RETRY_SECS`: whole seconds,
/// or `forever`: until delivered or the operator sets a finite window).
pub fn s0_relay_window_ms(env: &Env, default_secs: u64) -> u64 {
    if var(env, "KASSA_S0_RELAY_RETRY_SECS").is_some_and(|v| v.trim() == "forever") {
        return u64::MAX;
    }
    var_u64(env, "KASSA_S0_RELAY_RETRY_SECS", default_secs).saturating_mul(1000)
}

/// `KASSA_S0_FAIL_OPEN = "true"`: an S0 `prePayCheck` that gives no answer (timeout,
/// network, a non-2xx or unreadable answer) lets the pay go on, audited. Anything else,
/// unset included, fails closed: production's default (SPEC 3.5). A denial always
/// refuses.
pub fn s0_fail_open(env: &Env) -> bool {
    var(env, "KASSA_S0_FAIL_OPEN").is_some_and(|v| v.trim() == "true")
}

/// How old an attempt without an outcome must be before the alarm asks its provider
/// (`KASSA_ATTEMPT_QUERY_AFTER_SECS`, whole seconds ≥ 1; `None`: the default).
pub fn attempt_query_after_ms(env: &Env) -> Option<u64> {
    var(env, "KASSA_ATTEMPT_QUERY_AFTER_SECS")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s >= 1)
        .map(|s| s.saturating_mul(1000))
}

/// How long a refund waits before its provider's refund status API is asked about it,
/// and between asks (`KASSA_REFUND_QUERY_AFTER_SECS`, whole seconds ≥ 1; `None`: the
/// default, 60 s).
pub fn refund_query_after_ms(env: &Env) -> Option<u64> {
    var(env, "KASSA_REFUND_QUERY_AFTER_SECS")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s >= 1)
        .map(|s| s.saturating_mul(1000))
}

/// Where webhooks go when the order names no `notify_url`.
pub fn webhook_url(env: &Env) -> Option<String> {
    var(env, "KASSA_WEBHOOK_URL")
}

/// The HMAC key of `Kassa-Signature`.
pub fn webhook_secret(env: &Env) -> Result<String, EdgeError> {
    secret(env, "KASSA_WEBHOOK_SECRET")
}

/// The first webhook retry delay (ms, doubled per try) and the retry window (ms).
pub fn webhook_retry(env: &Env) -> (u64, u64) {
    (
        var_u64(env, "KASSA_WEBHOOK_BACKOFF_MS", 10_000).max(1),
        var_u64(env, "KASSA_WEBHOOK_RETRY_SECS", 86_400).saturating_mul(1000),
    )
}

/// The ceiling of one S4 withdrawal, in fen.
pub fn s4_withdraw_max_fen(env: &Env, default: u64) -> u64 {
    var_u64(env, "KASSA_S4_WITHDRAW_MAX_FEN", default)
}

/// The time zone whose calendar month bounds S4 withdrawals.
pub fn s4_time_zone(env: &Env, default: &str) -> Result<FixedZone, EdgeError> {
    let name = var(env, "KASSA_S4_TIME_ZONE").unwrap_or_else(|| default.to_owned());
    FixedZone::named(&name).ok_or(EdgeError::Config("KASSA_S4_TIME_ZONE"))
}

/// Ping++'s webhook public key: a plain setting (it is public) or a secret.
pub fn pingpp_public_key(env: &Env) -> Result<PublicKey, EdgeError> {
    let pem = var(env, "KASSA_PINGPP_PUBLIC_KEY")
        .or_else(|| {
            env.secret("KASSA_PINGPP_PUBLIC_KEY")
                .ok()
                .map(|s| s.to_string())
        })
        .ok_or(EdgeError::Config("KASSA_PINGPP_PUBLIC_KEY"))?;
    PublicKey::parse(&pem)
        .map_err(|_| EdgeError::Config("KASSA_PINGPP_PUBLIC_KEY: not an RSA public key"))
}
