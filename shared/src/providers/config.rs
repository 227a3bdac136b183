//! Channel configuration from the environment's variables (SPEC 3.5: "Base URLs of all
//! providers are configuration").
//!
//! A channel is enabled by setting its base URL variable (`KASSA_S0_URL`,
//! `KASSA_S3_URL`, `KASSA_PAYTM_URL`, `KASSA_PINGPP_URL`, `KASSA_WALLET_URL`); once it is
//! set, that channel's other variables are required and every problem is reported with
//! the variable's name. Nothing secret is ever put in an error message.
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
//! Reading the environment is the edge's (`edge/src/channels/config.rs`, secrets first,
//! then plain vars); [`ChannelConfig::from_lookup`] takes any `name -> value` function,
//! so the parsing is tested natively here.

use core::time::Duration;

use crate::crypto::{PublicKey, Secret, SignAlg};
use crate::providers::s0::wire::Headers as S0Headers;
use crate::providers::{lianshang::S3Config, paytm::PaytmConfig, pingpp::PingppConfig};
use crate::providers::{s0::S0Config, wallet::WalletConfig};
use crate::serde_util::Redacted;

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
    /// Every channel, reading each variable through `get` (`None`: unset).
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
            crate::providers::pingpp::handoff::MOCK_URL,
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

/// Every payment channel configured (S0 not), for the tests of what reads the settings.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::collections::BTreeMap;

    use super::ChannelConfig;
    use crate::crypto::keys::fixtures::{PRIV_1024, PUB_1024};

    /// `KASSA_PUBLIC_URL`, so S3 notifies reach `https://edge.example/callbacks/lianshang`.
    pub const PUBLIC_URL: (&str, &str) = ("KASSA_PUBLIC_URL", "https://edge.example");
    pub const S3: [(&str, &str); 7] = [
        ("KASSA_S3_URL", "http://127.0.0.1:9/s3"),
        ("KASSA_S3_MERCHANT_ID", "yx001"),
        ("KASSA_S3_CASHIER_URL", "http://127.0.0.1:9/s3/cashier"),
        ("KASSA_S3_SETTLEMENT_ID", "st1"),
        ("KASSA_S3_APPID", "app1"),
        ("KASSA_S3_PRIVATE_KEY", PRIV_1024),
        ("KASSA_S3_PLATFORM_PUBLIC_KEY", PUB_1024),
    ];
    pub const WALLET: [(&str, &str); 3] = [
        ("KASSA_WALLET_URL", "http://127.0.0.1:9/wallet"),
        ("KASSA_WALLET_API_KEY", "wk-secret"),
        ("KASSA_WALLET_PUBLIC_KEY", PUB_1024),
    ];
    pub const PAYTM: [(&str, &str); 4] = [
        ("KASSA_PAYTM_URL", "https://securegw-stage.paytm.in"),
        ("KASSA_PAYTM_MERCHANT_KEY", "kbzk1DSbJiV_O3p5"),
        ("KASSA_PAYTM_MID", "MID"),
        ("KASSA_PAYTM_WEBSITE", "APP_STAGING"),
    ];
    pub const PINGPP: [(&str, &str); 3] = [
        ("KASSA_PINGPP_URL", "http://127.0.0.1:9/pingpp"),
        ("KASSA_PINGPP_SECRET_KEY", "sk_test"),
        ("KASSA_PINGPP_APP_ID", "app_1"),
    ];

    /// A lookup over `vars` (later pairs win), as the environment would answer.
    pub fn lookup<'a>(
        vars: impl IntoIterator<Item = &'a (&'a str, &'a str)>,
    ) -> impl Fn(&str) -> Option<String> {
        let m: BTreeMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| m.get(k).cloned()
    }

    /// Paytm, Ping++, S3 and the wallet, each with its required variables only.
    pub fn all() -> ChannelConfig {
        let vars = [&[PUBLIC_URL][..], &S3, &WALLET, &PAYTM, &PINGPP];
        ChannelConfig::from_lookup(lookup(vars.into_iter().flatten())).unwrap()
    }
}

#[cfg(test)]
mod tests {
    //! The parsing natively; `edge/tests/channels.rs` runs the same through the edge in
    //! headless Chromium.
    use super::fixtures::{all, lookup, PAYTM, PINGPP, PUBLIC_URL, S3, WALLET};
    use super::*;

    const S0: [(&str, &str); 3] = [
        ("KASSA_S0_URL", "http://127.0.0.1:9/"),
        ("KASSA_S0_ACCESS_TOKEN", "t"),
        ("KASSA_S0_ORG_SECRET", "o"),
    ];

    #[test]
    fn an_unset_channel_is_not_configured_and_names_its_variable() {
        let none = ChannelConfig::from_lookup(lookup(&[])).unwrap();
        for (err, var) in [
            (none.s0().unwrap_err(), "KASSA_S0_URL"),
            (none.s3().unwrap_err(), "KASSA_S3_URL"),
            (none.paytm().unwrap_err(), "KASSA_PAYTM_URL"),
            (none.pingpp().unwrap_err(), "KASSA_PINGPP_URL"),
            (none.wallet().unwrap_err(), "KASSA_WALLET_URL"),
        ] {
            assert_eq!(err, ConfigError::NotConfigured { var });
        }
        // Blank is unset.
        let blank = ChannelConfig::from_lookup(lookup(&[("KASSA_S0_URL", "  ")])).unwrap();
        assert!(blank.s0.is_none());
    }

    #[test]
    fn an_enabled_channel_requires_its_variables_and_checks_them() {
        assert_eq!(
            ChannelConfig::from_lookup(lookup(&[("KASSA_S0_URL", "http://127.0.0.1:9/")]))
                .unwrap_err(),
            ConfigError::Missing {
                var: "KASSA_S0_ACCESS_TOKEN",
                enabled_by: "KASSA_S0_URL"
            }
        );
        let cfg = ChannelConfig::from_lookup(lookup(&S0)).unwrap();
        let s0 = cfg.s0().unwrap();
        assert_eq!(s0.base_url, "http://127.0.0.1:9");
        assert_eq!(s0.timeout, DEFAULT_S0_TIMEOUT);

        for (timeout, ok) in [
            ("soon", false),
            ("0", false),
            ("60001", false),
            ("250", true),
        ] {
            let mut vars = S0.to_vec();
            vars.push(("KASSA_S0_TIMEOUT_MS", timeout));
            match ChannelConfig::from_lookup(lookup(&vars)) {
                Ok(c) => {
                    assert!(ok, "{timeout}");
                    assert_eq!(c.s0().unwrap().timeout, Duration::from_millis(250));
                }
                Err(e) => {
                    assert!(!ok, "{timeout}");
                    assert!(matches!(
                        e,
                        ConfigError::Invalid {
                            var: "KASSA_S0_TIMEOUT_MS",
                            ..
                        }
                    ));
                }
            }
        }
    }

    #[test]
    fn base_urls_are_absolute_http_without_query_or_fragment() {
        for bad in [
            "ftp://x",
            "https://",
            "https:///path",
            "https://a b",
            "https://x/?q=1",
            "https://x/#f",
        ] {
            assert!(
                matches!(
                    ChannelConfig::from_lookup(lookup(&[("KASSA_PAYTM_URL", bad)])),
                    Err(ConfigError::Invalid {
                        var: "KASSA_PAYTM_URL",
                        ..
                    })
                ),
                "{bad}"
            );
        }
        assert_eq!(
            base_url("V", " https://x.example/a/ ").unwrap(),
            "https://x.example/a"
        );
    }

    #[test]
    fn a_paytm_key_must_be_an_aes_key_and_is_never_echoed() {
        let mut vars = PAYTM.to_vec();
        vars.push(("KASSA_PAYTM_MERCHANT_KEY", "short"));
        let err = ChannelConfig::from_lookup(lookup(&vars)).unwrap_err();
        assert!(
            err.to_string().starts_with("KASSA_PAYTM_MERCHANT_KEY:"),
            "{err}"
        );
        assert!(!err.to_string().contains("short"));
        let cfg = all();
        let paytm = cfg.paytm().unwrap();
        assert_eq!(paytm.callback_url, "https://edge.example/callbacks/paytm");
        assert_eq!(paytm.industry_type_id, "Retail");
        assert_eq!(paytm.channel_id, "WAP");
        assert_eq!(paytm.timeout, DEFAULT_PROVIDER_TIMEOUT);
    }

    #[test]
    fn s3_takes_rsa2_notifies_only_unless_rsa1_is_allowed_by_name() {
        let cfg = all();
        let s3 = cfg.s3().unwrap();
        assert!(!s3.allow_rsa1);
        assert_eq!(s3.notify_url, "https://edge.example/callbacks/lianshang");
        assert_eq!((s3.platform.as_str(), s3.version.as_str()), ("H5", "2"));
        for (flag, want) in [
            ("true", Some(true)),
            ("1", Some(true)),
            ("false", Some(false)),
            ("0", Some(false)),
            ("sometimes", None),
        ] {
            let mut vars = S3.to_vec();
            vars.extend([PUBLIC_URL, ("KASSA_S3_ALLOW_RSA1", flag)]);
            match (ChannelConfig::from_lookup(lookup(&vars)), want) {
                (Ok(c), Some(w)) => assert_eq!(c.s3().unwrap().allow_rsa1, w),
                (
                    Err(ConfigError::Invalid {
                        var: "KASSA_S3_ALLOW_RSA1",
                        ..
                    }),
                    None,
                ) => {}
                (other, _) => panic!("{flag}: {other:?}"),
            }
        }
        let mut vars = S3.to_vec();
        vars.extend([PUBLIC_URL, ("KASSA_S3_PLATFORM_PUBLIC_KEY", "not a key")]);
        assert!(matches!(
            ChannelConfig::from_lookup(lookup(&vars)),
            Err(ConfigError::Invalid {
                var: "KASSA_S3_PLATFORM_PUBLIC_KEY",
                ..
            })
        ));
        let mut vars = S3.to_vec();
        vars.extend([PUBLIC_URL, ("KASSA_S3_SECURITY_TYPE", "MD5")]);
        assert!(matches!(
            ChannelConfig::from_lookup(lookup(&vars)),
            Err(ConfigError::Invalid {
                var: "KASSA_S3_SECURITY_TYPE",
                ..
            })
        ));
    }

    #[test]
    fn the_wallet_merchant_id_is_optional_trimmed_and_bounded() {
        assert_eq!(all().wallet().unwrap().merchant_id, None);
        let mut named = WALLET.to_vec();
        named.push(PUBLIC_URL);
        named.push(("KASSA_WALLET_MERCHANT_ID", " 7001 "));
        let cfg = ChannelConfig::from_lookup(lookup(&named)).unwrap();
        assert_eq!(cfg.wallet().unwrap().merchant_id.as_deref(), Some("7001"));
        named.pop();
        let long = "9".repeat(65);
        named.push(("KASSA_WALLET_MERCHANT_ID", &long));
        assert!(matches!(
            ChannelConfig::from_lookup(lookup(&named)),
            Err(ConfigError::Invalid {
                var: "KASSA_WALLET_MERCHANT_ID",
                ..
            })
        ));
    }

    #[test]
    fn pingpp_mock_page_defaults_and_is_checked() {
        assert_eq!(
            all().pingpp().unwrap().mock_url,
            crate::providers::pingpp::handoff::MOCK_URL
        );
        let mut bad = PINGPP.to_vec();
        bad.push(("KASSA_PINGPP_MOCK_URL", "mock"));
        assert!(matches!(
            ChannelConfig::from_lookup(lookup(&bad)),
            Err(ConfigError::Invalid {
                var: "KASSA_PINGPP_MOCK_URL",
                ..
            })
        ));
    }
}
