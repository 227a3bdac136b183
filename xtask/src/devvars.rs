//! Development secrets in `edge/.dev.vars` (git-ignored), generated once by set-up.
//! Existing values are kept; only missing variables are added, so re-running is safe and
//! secrets never change under a running demo.

use std::fmt::Write as _;
use std::io::Read;

use crate::cmd::{cargo, exec, root, Result};

/// Variables and the prefix of their generated value.
const VARS: &[(&str, &str)] = &[
    ("KASSA_MERCHANT_KEY", "sk_dev_"),
    ("KASSA_WEBHOOK_SECRET", "whsec_dev_"),
    ("KASSA_CLIENT_SECRET_KEY", ""),
    ("KASSA_CODE_PEPPER", ""),
];

/// RSA key pairs (2048-bit, made by our own `kassa keygen`), stored as single-line bare
/// base64 DER, a form `shared::crypto::keys` accepts: `<NAME>_PRIVATE_KEY` (PKCS#8) and
/// `<NAME>_PUBLIC_KEY` (SPKI). S3: the merchant key the edge signs `createPayOrder` with;
/// OAEP: the key the widget encrypts S4 secrets to (SPEC 4.5).
const KEY_PAIRS: &[&str] = &["KASSA_S3", "KASSA_OAEP"];

pub fn ensure() -> Result {
    let path = root().join("edge").join(".dev.vars");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let present = |name: &str| {
        existing
            .lines()
            .any(|l| l.split('=').next().map(str::trim) == Some(name))
    };
    let mut out = existing.clone();
    let mut add = |name: &str, value: &str| {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        let _ = writeln!(out, "{name}=\"{value}\"");
    };
    for (name, prefix) in VARS {
        if !present(name) {
            add(name, &format!("{prefix}{}", random_hex(32)?));
        }
    }
    for pair in KEY_PAIRS {
        let (private, public) = (format!("{pair}_PRIVATE_KEY"), format!("{pair}_PUBLIC_KEY"));
        if !present(&private) || !present(&public) {
            let (sk, pk) = keygen()?;
            add(&private, &sk);
            add(&public, &pk);
        }
    }
    if out != existing {
        std::fs::write(&path, out).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("xtask: wrote development secrets to {}", path.display());
    }
    Ok(())
}

/// Reads one variable from `edge/.dev.vars`.
pub fn get(name: &str) -> Result<String> {
    let path = root().join("edge").join(".dev.vars");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .ok_or_else(|| format!("{}: {name} is not set", path.display()))
}

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
