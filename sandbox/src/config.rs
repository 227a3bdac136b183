//! [`SandboxConfig`]: the sandbox's credentials and keys, as JSON (`kassa-sandbox
//! --config PATH`). Every secret the edge holds has its counterpart here: the S0 header
//! credentials, the S3 merchant public key and platform private key, the Paytm merchant
//! key, the Ping++ and wallet private keys and the merchant webhook secret.
//!
//! ```json
//! { "s0": {"access_token": "..", "uid": "..", "org_secret": ".."},
//!   "s3": {"merchant_public_key": "PEM or base64 DER", "platform_private_key": "PEM"},
//!   "paytm": {"mid": "KASSA0000000001", "merchant_key": "16 or 32 chars",
//!             "return_url": "http://127.0.0.1:8080/paid", "refund_settle_ms": 300},
//!   "pingpp": {"private_key": "PEM", "api_key": "sk_test_..", "webhook_url": "http://127.0.0.1:8787/callbacks/pingpp",
//!              "app_id": "app_kassa", "request_public_key": "PEM (optional)"},
//!   "wallet": {"private_key": "PEM", "api_key": null, "settle_ms": 300},
//!   "merchant": {"webhook_secret": "whsec_..", "tolerance_secs": 300},
//!   "outbound_allow": ["http://127.0.0.1:", "http://localhost:"],
//!   "outbound_timeout_ms": 5000,
//!   "impostor_private_key": "PEM (optional; signs tamper \"wrong_key\")" }
//! ```

use std::fmt;
use std::path::PathBuf;

use crate::crypto::{PrivateKey, PublicKey};
use serde::{Deserialize, Serialize};

/// The whole sandbox configuration.
#[derive(Clone, Serialize, Deserialize)]
pub struct SandboxConfig {
    pub s0: S0Config,
    pub s3: S3Config,
    pub paytm: PaytmConfig,
    pub pingpp: PingppConfig,
    pub wallet: WalletConfig,
    pub merchant: MerchantConfig,
    /// URL prefixes the sandbox may POST to. Callback URLs come from requests
    /// (`notify_url`, `CALLBACK_URL`), so without this list the sandbox would be an open
    /// relay; the default allows loopback only.
    #[serde(default = "default_allow")]
    pub outbound_allow: Vec<String>,
    /// Timeout of every outbound POST.
    #[serde(default = "default_timeout")]
    pub outbound_timeout_ms: u64,
    /// Signs messages tampered with `wrong_key`; that tamper is refused without it.
    #[serde(default)]
    pub impostor_private_key: Option<String>,
}

/// S0 header credentials the edge must send (`accessToken`, `orgSecret`).
#[derive(Clone, Serialize, Deserialize)]
pub struct S0Config {
    pub access_token: String,
    /// Not compared any more: `uid` is the user each call is about (seed S0's 用户id),
    /// recorded per call; kept so existing configurations load.
    #[serde(default)]
    pub uid: String,
    pub org_secret: String,
}

/// S3: the merchant's public key (verifies requests) and the platform's private key
/// (decrypts `res_data`, signs responses and notifies).
#[derive(Clone, Serialize, Deserialize)]
pub struct S3Config {
    pub merchant_public_key: String,
    pub platform_private_key: String,
}

/// Paytm: the merchant id and key (`CHECKSUMHASH`, SPEC 4.3).
#[derive(Clone, Serialize, Deserialize)]
pub struct PaytmConfig {
    pub mid: String,
    pub merchant_key: String,
    /// No longer used (issue 16): Paytm's result now returns through the shopper's
    /// browser, posted to the form's `CALLBACK_URL`, which decides where the shopper
    /// lands. Still read so existing configurations stay valid.
    #[serde(default)]
    pub return_url: Option<String>,
    /// A refund raised through the Refund API is `PENDING`, then settles by itself this
    /// long after (to the outcome `/_control/paytm/refund_outcome` set when it was
    /// raised). Absent: 300 ms, like `wallet.settle_ms`. `null`: every refund is held
    /// until `/_control/paytm/refund_complete` settles it ([`SandboxConfig::for_tests`],
    /// as for the wallet).
    #[serde(default = "default_settle_ms")]
    pub refund_settle_ms: Option<u64>,
}

/// Ping++: the key that signs webhooks, the API key the edge must present (when set)
/// and the one URL webhooks go to.
#[derive(Clone, Serialize, Deserialize)]
pub struct PingppConfig {
    pub private_key: String,
    #[serde(default)]
    pub api_key: Option<String>,
    #[serde(default)]
    pub webhook_url: Option<String>,
    #[serde(default = "default_app")]
    pub app_id: String,
    /// The merchant's public key for Ping++'s request signatures
    /// (`Pingplusplus-Signature`, what `pingpp.private_key` makes the official SDKs
    /// send). When set, every API request must carry a valid one, as on a Ping++ app
    /// with signature verification switched on; when absent, as on one without it,
    /// the header is ignored.
    #[serde(default)]
    pub request_public_key: Option<String>,
}

/// Token wallet: the key that signs notifications; the API key the edge must present
/// (when set).
#[derive(Clone, Serialize, Deserialize)]
pub struct WalletConfig {
    pub private_key: String,
    #[serde(default)]
    pub api_key: Option<String>,
    /// The wallet debits server side: each accepted charge settles by itself this long
    /// after it was accepted (success if the token's balance covers it, else FAILED).
    /// Absent: 300 ms. `null`: the wallet holds every charge until a control completes
    /// it (`/_control/wallet/complete`) — what the edge's callback and fault tests,
    /// which script every outcome themselves, run with ([`SandboxConfig::for_tests`]).
    #[serde(default = "default_settle_ms")]
    pub settle_ms: Option<u64>,
}

fn default_settle_ms() -> Option<u64> {
    Some(300)
}

/// The merchant receiver's `Kassa-Signature` secret.
#[derive(Clone, Serialize, Deserialize)]
pub struct MerchantConfig {
    pub webhook_secret: String,
    #[serde(default = "default_tolerance")]
    pub tolerance_secs: u64,
}

fn default_allow() -> Vec<String> {
    vec!["http://127.0.0.1:".into(), "http://localhost:".into()]
}
fn default_timeout() -> u64 {
    5000
}
fn default_app() -> String {
    "app_kassa_sandbox".into()
}
fn default_tolerance() -> u64 {
    crate::merchant::DEFAULT_TOLERANCE_SECS
}

// Secrets stay out of logs (STYLE: secrets print `[redacted]`).
impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("s0.uid", &self.s0.uid)
            .field("paytm.mid", &self.paytm.mid)
            .field("pingpp.webhook_url", &self.pingpp.webhook_url)
            .field("outbound_allow", &self.outbound_allow)
            .field("secrets", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// Why a configuration could not be used.
#[derive(Debug)]
pub enum ConfigError {
    Io(String),
    Json(String),
    Key { field: &'static str, reason: String },
    PaytmKey,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "config: {e}"),
            Self::Json(e) => write!(f, "config: not a SandboxConfig: {e}"),
            Self::Key { field, reason } => write!(f, "config: {field}: {reason}"),
            Self::PaytmKey => f.write_str("config: paytm.merchant_key must be 16 or 32 bytes"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Path of a key fixture, relative to the `tests` crate (see [`fixtures`]). The key
/// files stay in `tests/` (`tests/vectors/crypto/keys/`, `tests/src/sandbox/keys/`)
/// because other crates' tests read them there too.
#[must_use]
pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests")
        .join(name)
}

/// Reads a key fixture (tests use the counterparts of the sandbox's keys).
pub fn fixture_pem(name: &str) -> Result<String, ConfigError> {
    std::fs::read_to_string(fixture_path(name)).map_err(|e| ConfigError::Io(format!("{name}: {e}")))
}

/// Which fixture plays which role in [`SandboxConfig::for_tests`] (paths relative to
/// the `tests` crate). S3 uses the shared crypto fixtures (a 1024-bit merchant key and
/// a 2048-bit platform key, so both k−11 block sizes are exercised); Ping++, the wallet
/// and the "impostor" (tamper `wrong_key`) have key pairs of their own in
/// `src/sandbox/keys/`, because the shared fixtures hold only two key pairs and a
/// verifier using the wrong provider's key must fail. All are test keys, never secrets.
pub mod fixtures {
    /// Merchant's S3 key pair (the edge signs with the private half).
    pub const S3_MERCHANT_PRIVATE: &str = "vectors/crypto/keys/rsa1024.pkcs8.pem";
    pub const S3_MERCHANT_PUBLIC: &str = "vectors/crypto/keys/rsa1024.spki.pem";
    /// Platform's S3 key pair (the edge encrypts to and verifies with the public half).
    pub const S3_PLATFORM_PRIVATE: &str = "vectors/crypto/keys/rsa2048.pkcs1.pem";
    pub const S3_PLATFORM_PUBLIC: &str = "vectors/crypto/keys/rsa2048.spki.pem";
    /// Ping++ webhook signing key.
    pub const PINGPP_PRIVATE: &str = "src/sandbox/keys/pingpp.pkcs8.pem";
    pub const PINGPP_PUBLIC: &str = "src/sandbox/keys/pingpp.spki.pem";
    /// Wallet notification signing key.
    pub const WALLET_PRIVATE: &str = "src/sandbox/keys/wallet.pkcs8.pem";
    pub const WALLET_PUBLIC: &str = "src/sandbox/keys/wallet.spki.pem";
    /// Signs tampered `wrong_key` messages (a key no verifier trusts).
    pub const IMPOSTOR_PRIVATE: &str = "src/sandbox/keys/impostor.pkcs8.pem";
    pub const IMPOSTOR_PUBLIC: &str = "src/sandbox/keys/impostor.spki.pem";
    pub const PAYTM_MID: &str = "KASSA0000000001";
    pub const PAYTM_KEY: &str = "kassa_paytm_k16!";
    pub const MERCHANT_WEBHOOK_SECRET: &str = "whsec_kassa_sandbox";
    pub const S0_ACCESS_TOKEN: &str = "s0-access-token";
    pub const S0_UID: &str = "s0-uid-1";
    pub const S0_ORG_SECRET: &str = "s0-org-secret";
    pub const PINGPP_API_KEY: &str = "sk_test_kassa";
}

impl SandboxConfig {
    /// A configuration built from the key fixtures in `tests/vectors/crypto/keys/`
    /// (read at run time, see [`fixtures`] for the roles).
    pub fn for_tests() -> Result<Self, ConfigError> {
        use fixtures as f;
        Ok(Self {
            s0: S0Config {
                access_token: f::S0_ACCESS_TOKEN.into(),
                uid: f::S0_UID.into(),
                org_secret: f::S0_ORG_SECRET.into(),
            },
            s3: S3Config {
                merchant_public_key: fixture_pem(f::S3_MERCHANT_PUBLIC)?,
                platform_private_key: fixture_pem(f::S3_PLATFORM_PRIVATE)?,
            },
            paytm: PaytmConfig {
                mid: f::PAYTM_MID.into(),
                merchant_key: f::PAYTM_KEY.into(),
                return_url: None,
                // As the wallet's: the suites script refund outcomes themselves.
                refund_settle_ms: None,
            },
            pingpp: PingppConfig {
                private_key: fixture_pem(f::PINGPP_PRIVATE)?,
                api_key: Some(f::PINGPP_API_KEY.into()),
                webhook_url: None,
                app_id: default_app(),
                request_public_key: None,
            },
            wallet: WalletConfig {
                private_key: fixture_pem(f::WALLET_PRIVATE)?,
                api_key: None,
                // The suites that use these fixtures script wallet outcomes themselves.
                settle_ms: None,
            },
            merchant: MerchantConfig {
                webhook_secret: f::MERCHANT_WEBHOOK_SECRET.into(),
                tolerance_secs: default_tolerance(),
            },
            outbound_allow: default_allow(),
            outbound_timeout_ms: default_timeout(),
            impostor_private_key: Some(fixture_pem(f::IMPOSTOR_PRIVATE)?),
        })
    }

    /// Reads a JSON configuration file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Io(format!("{}: {e}", path.display())))?;
        serde_json::from_str(&text).map_err(|e| ConfigError::Json(e.to_string()))
    }

    /// Parses every key once, at start, so a bad key fails loudly before serving.
    pub(crate) fn keys(&self) -> Result<Keys, ConfigError> {
        let pk = |field, text: &str| {
            PrivateKey::parse(text).map_err(|e| ConfigError::Key {
                field,
                reason: e.to_string(),
            })
        };
        let paytm_key = self.paytm.merchant_key.as_bytes().to_vec();
        if paytm_key.len() != 16 && paytm_key.len() != 32 {
            return Err(ConfigError::PaytmKey);
        }
        Ok(Keys {
            s3_merchant_pub: PublicKey::parse(&self.s3.merchant_public_key).map_err(|e| {
                ConfigError::Key {
                    field: "s3.merchant_public_key",
                    reason: e.to_string(),
                }
            })?,
            s3_platform_priv: pk("s3.platform_private_key", &self.s3.platform_private_key)?,
            pingpp_priv: pk("pingpp.private_key", &self.pingpp.private_key)?,
            pingpp_request_pub: self
                .pingpp
                .request_public_key
                .as_deref()
                .map(|k| {
                    PublicKey::parse(k).map_err(|e| ConfigError::Key {
                        field: "pingpp.request_public_key",
                        reason: e.to_string(),
                    })
                })
                .transpose()?,
            wallet_priv: pk("wallet.private_key", &self.wallet.private_key)?,
            paytm_key,
            impostor_priv: self
                .impostor_private_key
                .as_deref()
                .map(|k| pk("impostor_private_key", k))
                .transpose()?,
        })
    }
}

/// Parsed keys.
pub(crate) struct Keys {
    pub s3_merchant_pub: PublicKey,
    pub s3_platform_priv: PrivateKey,
    pub pingpp_priv: PrivateKey,
    pub pingpp_request_pub: Option<PublicKey>,
    pub wallet_priv: PrivateKey,
    pub paytm_key: Vec<u8>,
    pub impostor_priv: Option<PrivateKey>,
}
