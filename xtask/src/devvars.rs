//! Development secrets in `edge/.dev.vars` (git-ignored), generated once by set-up.
//! Existing values are kept; only missing variables are added, so re-running is safe and
//! secrets never change under a running demo.

use std::fmt::Write as _;
use std::io::Read;

use crate::cmd::{root, Result};

/// Variables and the prefix of their generated value.
const VARS: &[(&str, &str)] = &[
    ("KASSA_MERCHANT_KEY", "sk_dev_"),
    ("KASSA_WEBHOOK_SECRET", "whsec_dev_"),
    ("KASSA_CLIENT_SECRET_KEY", ""),
    ("KASSA_CODE_PEPPER", ""),
];

pub fn ensure() -> Result {
    let path = root().join("edge").join(".dev.vars");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let mut out = existing.clone();
    for (name, prefix) in VARS {
        let present = existing
            .lines()
            .any(|l| l.split('=').next().map(str::trim) == Some(name));
        if !present {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            let _ = writeln!(out, "{name}=\"{prefix}{}\"", random_hex(32)?);
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
