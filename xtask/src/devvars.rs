//! Development secrets in `edge/.dev.vars` and the provider sandbox's side of them in
//! `edge/.dev.sandbox.json` (both git-ignored, generated once by set-up).
//!
//! Existing values are kept; only missing variables are added, so re-running is safe and
//! secrets never change under a running demo. The two files are made together: every
//! credential the edge sends to a provider has its counterpart in the sandbox's
//! configuration (`kassa_tests::sandbox::SandboxConfig`), and every key the edge
//! verifies a provider with is the public half of a pair whose private half only the
//! sandbox holds. Base URLs are not here: they depend on the ports the demo or a test
//! picks and are passed as `--var` by `kassa_tests::e2e::stack` (the one place that
//! wires a running demo together).

use std::fmt::Write as _;
use std::io::Read;
use std::path::PathBuf;

use serde_json::json;

use crate::cmd::{cargo, exec, root, Result};

/// Edge secrets of its own and the prefix of their generated value.
const VARS: &[(&str, &str)] = &[
    ("KASSA_MERCHANT_KEY", "sk_dev_"),
    ("KASSA_WEBHOOK_SECRET", "whsec_dev_"),
    ("KASSA_CLIENT_SECRET_KEY", ""),
    ("KASSA_CODE_PEPPER", ""),
];

/// RSA key pairs the edge holds (2048-bit, made by our own `kassa keygen`), stored as
/// single-line bare base64 DER, a form `shared::crypto::keys` accepts:
/// `<NAME>_PRIVATE_KEY` (PKCS#8) and `<NAME>_PUBLIC_KEY` (SPKI). S3: the merchant key the
/// edge signs `createPayOrder` with (the sandbox verifies with the public half); OAEP:
/// the key the widget encrypts S4 secrets to (SPEC 4.5).
const KEY_PAIRS: &[&str] = &["KASSA_S3", "KASSA_OAEP"];

/// Credentials shared between the edge and a provider: (edge variable, generated value
/// prefix, hex bytes). The Paytm merchant key is 16 ASCII bytes (AES-128, SPEC 4.3).
const SHARED: &[(&str, &str, usize)] = &[
    ("KASSA_S0_ACCESS_TOKEN", "s0_dev_", 16),
    ("KASSA_S0_ORG_SECRET", "org_dev_", 16),
    ("KASSA_PAYTM_MERCHANT_KEY", "", 8),
    ("KASSA_PINGPP_SECRET_KEY", "sk_test_dev_", 16),
    ("KASSA_WALLET_API_KEY", "wk_dev_", 16),
];

/// Provider key pairs: the edge gets `<var>` (the public half), the sandbox the private
/// half under `<sandbox field>`.
const PROVIDER_PAIRS: &[(&str, &str)] = &[
    ("KASSA_S3_PLATFORM_PUBLIC_KEY", "s3.platform_private_key"),
    ("KASSA_PINGPP_PUBLIC_KEY", "pingpp.private_key"),
    ("KASSA_WALLET_PUBLIC_KEY", "wallet.private_key"),
];

fn vars_path() -> PathBuf {
    root().join("edge").join(".dev.vars")
}

/// Where the sandbox configuration for `cargo xtask dev` (and the browser tests) lives.
pub fn sandbox_config_path() -> PathBuf {
    root().join("edge").join(".dev.sandbox.json")
}

/// `.dev.vars` as ordered (name, value) pairs.
fn parse(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        .collect()
}

pub fn ensure() -> Result {
    let path = vars_path();
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let mut vars = parse(&existing);
    let has = |vars: &[(String, String)], name: &str| vars.iter().any(|(k, _)| k == name);
    let mut added = Vec::new();
    for (name, prefix) in VARS {
        if !has(&vars, name) {
            added.push(((*name).to_owned(), format!("{prefix}{}", random_hex(32)?)));
        }
    }
    for pair in KEY_PAIRS {
        let (private, public) = (format!("{pair}_PRIVATE_KEY"), format!("{pair}_PUBLIC_KEY"));
        if !has(&vars, &private) || !has(&vars, &public) {
            let (sk, pk) = keygen()?;
            added.push((private, sk));
            added.push((public, pk));
        }
    }
    vars.extend(added.iter().cloned());
    // The provider side: made (again) as one set when the sandbox file or any edge half
    // is missing, so the two files always match.
    let sandbox_path = sandbox_config_path();
    let complete = sandbox_path.exists()
        && SHARED.iter().all(|(n, _, _)| has(&vars, n))
        && PROVIDER_PAIRS.iter().all(|(n, _)| has(&vars, n));
    let mut provider = Vec::new();
    if !complete {
        let mut sandbox_keys = Vec::new();
        for (name, prefix, bytes) in SHARED {
            provider.push((
                (*name).to_owned(),
                format!("{prefix}{}", random_hex(*bytes)?),
            ));
        }
        for (name, field) in PROVIDER_PAIRS {
            let (sk, pk) = keygen()?;
            provider.push(((*name).to_owned(), pk));
            sandbox_keys.push((*field, sk));
        }
        vars.retain(|(k, _)| !provider.iter().any(|(p, _)| p == k));
        vars.extend(provider.iter().cloned());
        write_sandbox_config(&vars, &sandbox_keys)?;
    }
    if !added.is_empty() || !provider.is_empty() {
        let mut out = String::new();
        for (k, v) in &vars {
            let _ = writeln!(out, "{k}=\"{v}\"");
        }
        std::fs::write(&path, out).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("xtask: wrote development secrets to {}", path.display());
    }
    Ok(())
}

/// The sandbox's counterpart of `.dev.vars` (`SandboxConfig` JSON; URLs are filled in at
/// start by the stack, which knows the ports).
fn write_sandbox_config(vars: &[(String, String)], keys: &[(&str, String)]) -> Result {
    let var = |name: &str| -> Result<String> {
        vars.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("{name}: missing"))
    };
    let key = |field: &str| -> Result<String> {
        keys.iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("{field}: missing"))
    };
    let config = json!({
        "s0": {
            "access_token": var("KASSA_S0_ACCESS_TOKEN")?,
            "org_secret": var("KASSA_S0_ORG_SECRET")?,
        },
        "s3": {
            "merchant_public_key": var("KASSA_S3_PUBLIC_KEY")?,
            "platform_private_key": key("s3.platform_private_key")?,
        },
        "paytm": {"mid": DEV_PAYTM_MID, "merchant_key": var("KASSA_PAYTM_MERCHANT_KEY")?},
        "pingpp": {
            "private_key": key("pingpp.private_key")?,
            "api_key": var("KASSA_PINGPP_SECRET_KEY")?,
            "app_id": DEV_PINGPP_APP_ID,
        },
        "wallet": {
            "private_key": key("wallet.private_key")?,
            "api_key": var("KASSA_WALLET_API_KEY")?,
        },
        "merchant": {"webhook_secret": var("KASSA_WEBHOOK_SECRET")?},
    });
    let path = sandbox_config_path();
    let text = serde_json::to_string_pretty(&config).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!(
        "xtask: wrote the sandbox's development keys to {}",
        path.display()
    );
    Ok(())
}

/// Identifiers, not secrets: the same in `kassa_tests::e2e::stack`.
const DEV_PAYTM_MID: &str = "KASSADEV00000001";
const DEV_PINGPP_APP_ID: &str = "app_kassa_dev";

/// A fresh 2048-bit pair from `kassa keygen`, as bare base64 DER (private, public).
fn keygen() -> Result<(String, String)> {
    let dir = std::env::temp_dir().join(format!("kassa-keygen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    exec(
        cargo()
            .args([
                "run",
                "-q",
                "-p",
                "kassa-cli",
                "--bin",
                "kassa",
                "--",
                "keygen",
                "--bits",
                "2048",
            ])
            .arg("--out")
            .arg(&dir),
    )?;
    let read = |f: &str| {
        std::fs::read_to_string(dir.join(f))
            .map(|pem| bare_base64(&pem))
            .map_err(|e| format!("{f}: {e}"))
    };
    let pair = (read("private.pem")?, read("public.pem")?);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(pair)
}

/// PEM → the base64 body on one line (header, footer and line breaks dropped).
fn bare_base64(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect()
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(buf.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}
