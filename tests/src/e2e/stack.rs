//! The whole demo wired together — the one definition `cargo xtask dev` (through the
//! `kassa-dev` binary) and the browser tests both run, so the tests exercise exactly
//! what a person trying the demo gets.
//!
//! - the provider sandbox (in-process) with the keys from `edge/.dev.sandbox.json`;
//! - the demo shop backend (in-process, `kassa_www`), holding the merchant key from
//!   `edge/.dev.vars` and receiving the edge's webhooks at `/demo/webhooks`;
//! - the edge under `wrangler dev`, reading its secrets from `edge/.dev.vars` and given
//!   here, as `--var`, everything that depends on the ports: every channel's base URL
//!   pointing at the sandbox, the identifiers that must match the sandbox's, its own
//!   public URL (providers' notify URLs), the demo's origin for CORS and the demo's
//!   webhook endpoint.
//!
//! Both files are made by `cargo xtask setup` (xtask `devvars.rs`); a missing one is an
//! error naming the command, never a skip.

use std::path::{Path, PathBuf};

use crate::harness::{agent, free_port, read_json, root, Edge};
use crate::sandbox::{Sandbox, SandboxConfig, SandboxHandle};

/// Identifiers (not secrets) that the edge and the sandbox must agree on; the sandbox's
/// copies are written by xtask `devvars.rs`.
pub const PAYTM_MID: &str = "KASSADEV00000001";
pub const PINGPP_APP_ID: &str = "app_kassa_dev";

/// The three listening ports.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub edge: u16,
    pub sandbox: u16,
    pub demo: u16,
}

impl Ports {
    /// `cargo xtask dev`'s ports (the README's URLs).
    pub const DEV: Self = Self {
        edge: 8787,
        sandbox: 8788,
        demo: 8080,
    };

    /// Free ports, for tests that run beside a developer's demo.
    ///
    /// # Errors
    /// When no port can be bound.
    pub fn free() -> Result<Self, String> {
        Ok(Self {
            edge: free_port()?,
            sandbox: free_port()?,
            demo: free_port()?,
        })
    }
}

fn loopback(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// `edge/.dev.vars`, the edge's development secrets.
#[must_use]
pub fn dev_vars_path() -> PathBuf {
    root().join("edge/.dev.vars")
}

/// `edge/.dev.sandbox.json`, the sandbox's side of them.
#[must_use]
pub fn sandbox_config_path() -> PathBuf {
    root().join("edge/.dev.sandbox.json")
}

/// Every (name, value) of `edge/.dev.vars`.
///
/// # Errors
/// When the file is missing (run `cargo xtask setup`).
pub fn dev_vars() -> Result<Vec<(String, String)>, String> {
    let path = dev_vars_path();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e}; run `cargo xtask setup`", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        .collect())
}

/// One variable of `edge/.dev.vars`.
///
/// # Errors
/// When the file or the variable is missing.
pub fn dev_var(name: &str) -> Result<String, String> {
    dev_vars()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .ok_or_else(|| format!("edge/.dev.vars: {name} is not set; run `cargo xtask setup`"))
}

/// The port-dependent settings the edge runs with (over `edge/.dev.vars`).
#[must_use]
pub fn edge_vars(ports: Ports) -> Vec<(String, String)> {
    let sb = loopback(ports.sandbox);
    let demo = loopback(ports.demo);
    [
        // The local stack is the one place development is switched on (wrangler.toml
        // is the production configuration).
        ("KASSA_ENV", "development".to_owned()),
        ("KASSA_PUBLIC_URL", loopback(ports.edge)),
        (
            "KASSA_ALLOWED_ORIGINS",
            format!("{demo},http://localhost:{}", ports.demo),
        ),
        ("KASSA_WEBHOOK_URL", format!("{demo}/demo/webhooks")),
        ("KASSA_WEBHOOK_BACKOFF_MS", "2000".to_owned()),
        ("KASSA_S0_URL", format!("{sb}/s0")),
        ("KASSA_S3_URL", format!("{sb}/s3")),
        ("KASSA_S3_MERCHANT_ID", "kassa-dev-merchant".to_owned()),
        ("KASSA_S3_CASHIER_URL", format!("{sb}/s3/cashier")),
        ("KASSA_S3_SETTLEMENT_ID", "kassa-dev-settlement".to_owned()),
        ("KASSA_S3_APPID", "kassa-dev-app".to_owned()),
        ("KASSA_PAYTM_URL", format!("{sb}/paytm")),
        ("KASSA_PAYTM_MID", PAYTM_MID.to_owned()),
        ("KASSA_PAYTM_WEBSITE", "WEBSTAGING".to_owned()),
        ("KASSA_PINGPP_URL", format!("{sb}/pingpp")),
        ("KASSA_PINGPP_APP_ID", PINGPP_APP_ID.to_owned()),
        // The sandbox stands in for Ping++'s mock page (test-mode charges).
        ("KASSA_PINGPP_MOCK_URL", format!("{sb}/pingpp/mock.php")),
        ("KASSA_WALLET_URL", format!("{sb}/wallet")),
        // The default 60 s between code sends per user would refuse the new code a
        // shopper needs right after a failed attempt (and the demo's quick retries); the
        // hourly cap still applies and the widget keeps its own 60 s resend countdown.
        ("KASSA_RISK_CODE_SEND_MIN_GAP_SECS", "0".to_owned()),
        // Every shopper of the local stack is 127.0.0.1, one per-IP velocity bucket: the
        // default 20 pays per 10 min would stop a developer (and the browser suite)
        // trying the demo. The per-user window still applies.
        ("KASSA_RISK_VELOCITY_IP_10M", "1000".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The sandbox's configuration: `edge/.dev.sandbox.json` plus the URLs it calls back.
///
/// # Errors
/// When the file is missing or not a `SandboxConfig`.
pub fn sandbox_config(ports: Ports) -> Result<SandboxConfig, String> {
    let path = sandbox_config_path();
    if !path.exists() {
        return Err(format!(
            "{}: missing; run `cargo xtask setup`",
            path.display()
        ));
    }
    let mut config = SandboxConfig::from_file(&path).map_err(|e| e.to_string())?;
    config.pingpp.webhook_url = Some(format!("{}/callbacks/pingpp", loopback(ports.edge)));
    // After the Paytm page the shopper comes back to the shop, which shows the order.
    config.paytm.return_url = Some(format!("{}/", loopback(ports.demo)));
    Ok(config)
}

/// The running demo. Dropping it stops everything.
pub struct Stack {
    pub ports: Ports,
    pub sandbox: SandboxHandle,
    pub demo: kassa_www::Demo,
    pub edge: Edge,
}

impl Stack {
    /// Starts the sandbox, the demo backend and the edge (state in `persist`), and
    /// switches the sandbox to complete every wallet and Ping++ payment successfully a
    /// moment after it is created, as a shopper's bank would (tests re-script it through
    /// `/_control`). `own_group`: see [`Edge::start_custom`].
    ///
    /// # Errors
    /// When a piece is missing or does not start.
    pub fn start(ports: Ports, persist: &Path, own_group: bool) -> Result<Self, String> {
        let sandbox =
            Sandbox::start_on(sandbox_config(ports)?, ports.sandbox).map_err(|e| e.to_string())?;
        let demo = kassa_www::start(kassa_www::Config {
            port: ports.demo,
            edge: loopback(ports.edge),
            merchant_key: dev_var("KASSA_MERCHANT_KEY")?,
            webhook_secret: Some(dev_var("KASSA_WEBHOOK_SECRET")?),
            dir: root().join("www"),
            form_action: vec![format!("{}/paytm/theia/processTransaction", sandbox.url())],
        })?;
        let edge = Edge::start_custom(persist, ports.edge, edge_vars(ports), own_group)?;
        // Nothing completes on its own: a shopper approves on the provider's page (the
        // wallet settles by itself, as a wallet does; `sandbox::wallet`).
        Ok(Self {
            ports,
            sandbox,
            demo,
            edge,
        })
    }

    /// The `nth` code (1-based) the edge "sent" for `order`, read from its dev outbox
    /// with the merchant key, waiting up to `within` for it to appear.
    ///
    /// # Errors
    /// When the outbox cannot be read, or no `nth` code arrived in time (with what the
    /// outbox held).
    pub fn sent_code(
        &self,
        order: &str,
        nth: usize,
        within: std::time::Duration,
    ) -> Result<String, String> {
        let key = dev_var("KASSA_MERCHANT_KEY")?;
        let url = format!("{}/v1/dev/outbox?order_id={order}", self.edge.url());
        let deadline = std::time::Instant::now() + within;
        loop {
            let (s, v) = read_json(
                agent()
                    .get(&url)
                    .header("Authorization", &format!("Bearer {key}"))
                    .call(),
            )?;
            if s != 200 {
                return Err(format!("dev outbox: {s} {v}"));
            }
            let sends = v["data"].as_array().cloned().unwrap_or_default();
            if let Some(code) = nth
                .checked_sub(1)
                .and_then(|i| sends.get(i))
                .and_then(|m| m["code"].as_str())
            {
                return Ok(code.to_owned());
            }
            if std::time::Instant::now() >= deadline {
                return Err(format!("no code #{nth} for {order}: {v}"));
            }
            std::thread::sleep(std::time::Duration::from_millis(150));
        }
    }

    /// The shop page's URL.
    #[must_use]
    pub fn demo_url(&self) -> String {
        self.demo.url()
    }

    /// POSTs to the sandbox's `/_control/{path}`.
    ///
    /// # Errors
    /// When the sandbox refuses.
    pub fn control(&self, path: &str, body: &serde_json::Value) -> Result<(), String> {
        let url = format!("{}/_control/{path}", self.sandbox.url());
        crate::harness::agent()
            .post(&url)
            .send_json(body)
            .map_err(|e| format!("{url}: {e}"))
            .and_then(|r| {
                if r.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("{url}: {}", r.status()))
                }
            })
    }
}
