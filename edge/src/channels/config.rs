//! Channel configuration from the Worker environment (SPEC 3.5: "Base URLs of all
//! providers are configuration"): every variable, its rules and its errors are
//! `kassa_shared::providers::config`'s; the edge only reads the values, secrets first,
//! then plain vars, so local `.dev.vars` and production `wrangler secret` work alike.

pub use kassa_shared::providers::config::{ChannelConfig, ConfigError};

/// [`ChannelConfig`] read from the Worker's environment.
pub trait FromEnv: Sized {
    /// Reads every channel from the Worker's secrets and vars.
    ///
    /// # Errors
    /// A channel's variable is missing or refused (the error names it).
    fn from_env(env: &worker::Env) -> Result<Self, ConfigError>;
}

impl FromEnv for ChannelConfig {
    fn from_env(env: &worker::Env) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| {
            env.secret(name)
                .map(|v| v.to_string())
                .or_else(|_| env.var(name).map(|v| v.to_string()))
                .ok()
        })
    }
}
