//! Channel configuration from the Worker environment (SPEC 3.5: "Base URLs of all
//! providers are configuration").
//!
//! A channel is enabled by setting its base URL variable (`KASSA_S0_URL`,
//! `KASSA_S3_URL`, `KASSA_PAYTM_URL`, `KASSA_PINGPP_URL`, `KASSA_WALLET_URL`); once it is
//! set, that channel's other variables are required and every problem is reported with
//! the variable's name. Values are read from secrets first, then plain vars, so local
//! `.dev.vars` and production `wrangler secret` work alike. Nothing secret is ever put in
//! an error message.
//!
//! S3 notifies are accepted signed with SHA256withRSA ("RSA2") only; the legacy
//! SHA1withRSA ("RSA") profile is refused on them unless `KASSA_S3_ALLOW_RSA1` is
//! `true` (default off; `KASSA_S3_SECURITY_TYPE` chooses what Kassa *signs* with and is
//! separate). Every notify must also name `KASSA_S3_MERCHANT_ID` as its `merchant_id`.
//!
//! `KASSA_WALLET_MERCHANT_ID` (optional, at most 64 bytes): the merchant's own id at the
//! token wallet, which knows the merchant by its API key only; S2 shows it as
//! `payeeUserId` of wallet orders created without `payee_user_id`.
//!
//! Reading the environment is the only impure part; [`ChannelConfig::from_lookup`] takes
//! any `name -> value` function, so the parsing is tested without a Worker.

use core::time::Duration;

use kassa_shared::crypto::{PublicKey, Secret, SignAlg};
use kassa_shared::flows::charge::ChannelSettings;
use kassa_shared::providers::s0::wire::Headers as S0Headers;
use kassa_shared::providers::{lianshang::S3Config, paytm::PaytmConfig, pingpp::PingppConfig};
use kassa_shared::providers::{s0::S0Config, wallet::WalletConfig, Provider};
use kassa_shared::serde_util::Redacted;

/// SPEC 3.5: S0 `prePayCheck` timeout default.
pub const DEFAULT_S0_TIMEOUT: Duration = Duration::from_secs(2);
/// Default timeout for the payment providers' calls.
pub const DEFAULT_PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the configuration was refused. Each names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{var}: not set (required when {enabled_by} is set)")]
    Missing {
        var: &'static str,
        enabled_by: &'static str,
    },
    #[error("{var}: {reason}")]
    Invalid {
        var: &'static str,
        reason: &'static str,
    },
    #[error("{var}: channel not configured")]
    NotConfigured { var: &'static str },
}

/// Every outbound channel; `None` where the channel's URL variable is unset.
#[derive(Debug, Clone, Default)]
pub struct ChannelConfig {
    pub s0: Option<S0Config>,
    pub s3: Option<S3Config>,
    pub paytm: Option<PaytmConfig>,
    pub pingpp: Option<PingppConfig>,
    pub wallet: Option<WalletConfig>,
}

impl ChannelConfig {
    /// Reads every channel from the Worker's secrets and vars.
    pub fn from_env(env: &worker::Env) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| {
            env.secret(name)
                .map(|v| v.to_string())
                .or_else(|_| env.var(name).map(|v| v.to_string()))
                .ok()
        })
    }

    /// As [`Self::from_env`], over any lookup (tests, other runtimes).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let r = Reader { get: &get };
        Ok(Self {
            s0: S0_URL.enabled(&r)?.map(|url| s0(&r, url)).transpose()?,
            s3: S3_URL.enabled(&r)?.map(|url| s3(&r, url)).transpose()?,
            paytm: PAYTM_URL
                .enabled(&r)?
                .map(|url| paytm(&r, url))
                .transpose()?,
            pingpp: PINGPP_URL
                .enabled(&r)?
                .map(|url| pingpp(&r, url))
                .transpose()?,
            wallet: WALLET_URL
                .enabled(&r)?
                .map(|url| wallet(&r, url))
                .transpose()?,
        })
    }

    pub fn s0(&self) -> Result<&S0Config, ConfigError> {
        self.s0
            .as_ref()
            .ok_or(ConfigError::NotConfigured { var: S0_URL.0 })
    }
    pub fn s3(&self) -> Result<&S3Config, ConfigError> {
        self.s3
            .as_ref()
            .ok_or(ConfigError::NotConfigured { var: S3_URL.0 })
    }
    pub fn paytm(&self) -> Result<&PaytmConfig, ConfigError> {
        self.paytm
            .as_ref()
            .ok_or(ConfigError::NotConfigured { var: PAYTM_URL.0 })
    }
    pub fn pingpp(&self) -> Result<&PingppConfig, ConfigError> {
        self.pingpp
            .as_ref()
            .ok_or(ConfigError::NotConfigured { var: PINGPP_URL.0 })
    }
    pub fn wallet(&self) -> Result<&WalletConfig, ConfigError> {
        self.wallet
            .as_ref()
            .ok_or(ConfigError::NotConfigured { var: WALLET_URL.0 })
    }

    /// `provider`'s settings, for the charge `kassa_shared::flows::charge` builds.
    pub fn settings(&self, provider: Provider) -> Result<ChannelSettings<'_>, ConfigError> {
        Ok(match provider {
            Provider::Paytm => ChannelSettings::Paytm(self.paytm()?),
            Provider::Pingpp => ChannelSettings::Pingpp(self.pingpp()?),
            Provider::Lianshang => ChannelSettings::Lianshang(self.s3()?),
            Provider::Wallet => ChannelSettings::Wallet(self.wallet()?),
        })
    }
}

/// A URL variable that switches a channel on.
struct UrlVar(&'static str);

const S0_URL: UrlVar = UrlVar("KASSA_S0_URL");
const S3_URL: UrlVar = UrlVar("KASSA_S3_URL");
const PAYTM_URL: UrlVar = UrlVar("KASSA_PAYTM_URL");
const PINGPP_URL: UrlVar = UrlVar("KASSA_PINGPP_URL");
const WALLET_URL: UrlVar = UrlVar("KASSA_WALLET_URL");
/// The edge's own public base URL; provider notify URLs are built from it.
const PUBLIC_URL: &str = "KASSA_PUBLIC_URL";

impl UrlVar {
    fn enabled(&self, r: &Reader<'_>) -> Result<Option<String>, ConfigError> {
        r.opt(self.0).map(|v| base_url(self.0, &v)).transpose()
    }
}

/// Checks an http(s) base URL and drops a trailing `/`, so paths can be appended.
fn base_url(var: &'static str, v: &str) -> Result<String, ConfigError> {
    let v = v.trim();
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"))
        .ok_or(ConfigError::Invalid {
            var,
            reason: "must start with http:// or https://",
        })?;
    if rest.is_empty() || rest.starts_with('/') || v.chars().any(char::is_whitespace) {
        return Err(ConfigError::Invalid {
            var,
            reason: "must be an absolute URL with a host and no spaces",
        });
    }
    if v.contains('?') || v.contains('#') {
        return Err(ConfigError::Invalid {
            var,
            reason: "must not carry a query or fragment",
        });
    }
    Ok(v.trim_end_matches('/').to_owned())
}

struct Reader<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
}

impl Reader<'_> {
    fn opt(&self, var: &str) -> Option<String> {
        (self.get)(var).filter(|v| !v.trim().is_empty())
    }
    fn req(&self, var: &'static str, enabled_by: &UrlVar) -> Result<String, ConfigError> {
        self.opt(var).ok_or(ConfigError::Missing {
            var,
            enabled_by: enabled_by.0,
        })
    }
    fn or(&self, var: &'static str, default: &str) -> String {
        self.opt(var).unwrap_or_else(|| default.to_owned())
    }
    fn timeout_ms(&self, var: &'static str, default: Duration) -> Result<Duration, ConfigError> {
        match self.opt(var) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<u64>() {
                Ok(ms) if (1..=60_000).contains(&ms) => Ok(Duration::from_millis(ms)),
                _ => Err(ConfigError::Invalid {
                    var,
                    reason: "must be whole milliseconds between 1 and 60000",
                }),
            },
        }
    }
    fn sign_alg(&self, var: &'static str) -> Result<SignAlg, ConfigError> {
        match self.opt(var) {
            None => Ok(SignAlg::default()),
            Some(v) => v.trim().parse().map_err(|_| ConfigError::Invalid {
                var,
                reason: "must be RSA2 or RSA",
            }),
        }
    }
    fn flag(&self, var: &'static str) -> Result<bool, ConfigError> {
        match self.opt(var).as_deref().map(str::trim) {
            None | Some("0" | "false") => Ok(false),
            Some("1" | "true") => Ok(true),
            Some(_) => Err(ConfigError::Invalid {
                var,
                reason: "must be 1/true or 0/false",
            }),
        }
    }
    fn public_key(&self, var: &'static str, enabled_by: &UrlVar) -> Result<PublicKey, ConfigError> {
        PublicKey::parse(&self.req(var, enabled_by)?).map_err(|_| ConfigError::Invalid {
            var,
            reason: "is not an RSA public key (SPKI or PKCS#1, PEM or base64 DER)",
        })
    }
    /// An optional id shown to clients (at most 64 bytes, as the merchant API's
    /// `payee_user_id`).
    fn id_opt(&self, var: &'static str) -> Result<Option<String>, ConfigError> {
        match self.opt(var) {
            Some(v) if v.trim().len() > 64 => Err(ConfigError::Invalid {
                var,
                reason: "must be at most 64 bytes",
            }),
            v => Ok(v.map(|v| v.trim().to_owned())),
        }
    }
    fn notify_url(&self, enabled_by: &UrlVar, path: &str) -> Result<String, ConfigError> {
        let base = base_url(PUBLIC_URL, &self.req(PUBLIC_URL, enabled_by)?)?;
        Ok(format!("{base}{path}"))
    }
}

fn s0(r: &Reader<'_>, base_url: String) -> Result<S0Config, ConfigError> {
    let on = &S0_URL;
    Ok(S0Config {
        base_url,
        headers: S0Headers {
            access_token: Redacted::new(r.req("KASSA_S0_ACCESS_TOKEN", on)?),
            org_secret: Redacted::new(r.req("KASSA_S0_ORG_SECRET", on)?),
        },
        timeout: r.timeout_ms("KASSA_S0_TIMEOUT_MS", DEFAULT_S0_TIMEOUT)?,
    })
}

/// A required URL variable, checked as [`base_url`].
fn base_url_var(r: &Reader<'_>, var: &'static str, on: &UrlVar) -> Result<String, ConfigError> {
    base_url(var, &r.req(var, on)?)
}

/// An optional URL variable, checked as [`base_url`], else `default`.
fn url_or(r: &Reader<'_>, var: &'static str, default: &str) -> Result<String, ConfigError> {
    r.opt(var)
        .map_or_else(|| Ok(default.to_owned()), |v| base_url(var, &v))
}

fn s3(r: &Reader<'_>, base_url: String) -> Result<S3Config, ConfigError> {
    let on = &S3_URL;
    Ok(S3Config {
        base_url,
        cashier_url: base_url_var(r, "KASSA_S3_CASHIER_URL", on)?,
        merchant_id: r.req("KASSA_S3_MERCHANT_ID", on)?,
        settlement_id: r.req("KASSA_S3_SETTLEMENT_ID", on)?,
        appid: r.req("KASSA_S3_APPID", on)?,
        platform: r.or("KASSA_S3_PLATFORM", "H5"),
        version: r.or("KASSA_S3_VERSION", "2"),
        pay_way: r.or("KASSA_S3_PAY_WAY", ""),
        private_key: Redacted::new(r.req("KASSA_S3_PRIVATE_KEY", on)?),
        platform_public_key: r.public_key("KASSA_S3_PLATFORM_PUBLIC_KEY", on)?,
        alg: r.sign_alg("KASSA_S3_SECURITY_TYPE")?,
        allow_rsa1: r.flag("KASSA_S3_ALLOW_RSA1")?,
        gzip: r.flag("KASSA_S3_GZIP")?,
        notify_url: r.notify_url(on, "/callbacks/lianshang")?,
        timeout: r.timeout_ms("KASSA_S3_TIMEOUT_MS", DEFAULT_PROVIDER_TIMEOUT)?,
    })
}

fn paytm(r: &Reader<'_>, base_url: String) -> Result<PaytmConfig, ConfigError> {
    let on = &PAYTM_URL;
    let key = r.req("KASSA_PAYTM_MERCHANT_KEY", on)?;
    if !matches!(key.len(), 16 | 32) {
        return Err(ConfigError::Invalid {
            var: "KASSA_PAYTM_MERCHANT_KEY",
            reason: "must be 16 or 32 bytes (AES-128 / AES-256)",
        });
    }
    Ok(PaytmConfig {
        base_url,
        mid: r.req("KASSA_PAYTM_MID", on)?,
        merchant_key: Secret::new(key.into_bytes()),
        website: r.req("KASSA_PAYTM_WEBSITE", on)?,
        industry_type_id: r.or("KASSA_PAYTM_INDUSTRY_TYPE_ID", "Retail"),
        channel_id: r.or("KASSA_PAYTM_CHANNEL_ID", "WAP"),
        callback_url: r.notify_url(on, "/callbacks/paytm")?,
        timeout: r.timeout_ms("KASSA_PAYTM_TIMEOUT_MS", DEFAULT_PROVIDER_TIMEOUT)?,
    })
}

fn pingpp(r: &Reader<'_>, base_url: String) -> Result<PingppConfig, ConfigError> {
    let on = &PINGPP_URL;
    Ok(PingppConfig {
        base_url,
        mock_url: url_or(
            r,
            "KASSA_PINGPP_MOCK_URL",
            kassa_shared::providers::pingpp::handoff::MOCK_URL,
        )?,
        secret_key: Redacted::new(r.req("KASSA_PINGPP_SECRET_KEY", on)?),
        app_id: r.req("KASSA_PINGPP_APP_ID", on)?,
        timeout: r.timeout_ms("KASSA_PINGPP_TIMEOUT_MS", DEFAULT_PROVIDER_TIMEOUT)?,
    })
}

fn wallet(r: &Reader<'_>, base_url: String) -> Result<WalletConfig, ConfigError> {
    let on = &WALLET_URL;
    Ok(WalletConfig {
        base_url,
        api_key: Redacted::new(r.req("KASSA_WALLET_API_KEY", on)?),
        wallet_public_key: r.public_key("KASSA_WALLET_PUBLIC_KEY", on)?,
        notify_url: r.notify_url(on, "/callbacks/wallet")?,
        timeout: r.timeout_ms("KASSA_WALLET_TIMEOUT_MS", DEFAULT_PROVIDER_TIMEOUT)?,
        merchant_id: r.id_opt("KASSA_WALLET_MERCHANT_ID")?,
    })
}
