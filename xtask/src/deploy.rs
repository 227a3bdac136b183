//! `cargo xtask deploy-check`: what `wrangler deploy` would upload, checked offline
//! (issue 14 item 5). Runs `wrangler deploy --dry-run --outdir` on `edge/wrangler.toml`
//! exactly as a deploy reads it, then holds two things:
//!
//! - **production is the default**: the configuration binds no `KASSA_ENV` (and no
//!   `KASSA_TEST_HELPERS`), so the deployed edge has no dev outbox, no clear codes and
//!   no `http://` notify URLs; development is switched on only by the local stack's
//!   `--var KASSA_ENV:development`;
//! - **the bundle fits**: the gzip-compressed size of everything in the out dir is under
//!   the Workers limit of the free plan (3 MiB compressed; the paid plan allows 10 MiB).
//!   The figure is printed each run.
//!
//! Needs `edge/build/` (`cargo xtask edge`) and wrangler from `npm ci`; no network.

use std::path::Path;
use std::process::Command;

use crate::cmd::{npm_bin, root, Result};

/// Workers free plan: 3 MiB after compression.
pub const LIMIT_GZIP_BYTES: u64 = 3 * 1024 * 1024;
/// Variables that must never be bound by the deployed configuration.
const DEV_ONLY_VARS: &[&str] = &["KASSA_ENV", "KASSA_TEST_HELPERS"];

pub fn run() -> Result {
    let edge = root().join("edge");
    let out = std::env::temp_dir().join(format!("kassa-deploy-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let shown = "wrangler deploy --dry-run --outdir";
    eprintln!("xtask: $ {shown} {}", out.display());
    let output = Command::new(npm_bin("wrangler"))
        .args(["deploy", "--dry-run", "--outdir"])
        .arg(&out)
        .current_dir(&edge)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CI", "true")
        .output()
        .map_err(|e| format!("{shown}: cannot start: {e}"))?;
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprint!("{printed}");
    if !output.status.success() {
        return Err(format!("{shown}: exited with {}", output.status));
    }
    // wrangler lists every binding it would deploy ("env.KASSA_ENV (...)").
    if let Some(var) = DEV_ONLY_VARS
        .iter()
        .find(|v| printed.contains(&format!("env.{v} ")))
    {
        return Err(format!(
            "edge/wrangler.toml: binds {var}; the deployed configuration must not (production is the default, development only through the local stack's --var)"
        ));
    }
    let (raw, gzip) = sizes(&out)?;
    let _ = std::fs::remove_dir_all(&out);
    eprintln!(
        "xtask: deploy bundle {raw} B raw, {gzip} B gzip ({:.1} % of the {LIMIT_GZIP_BYTES} B free-plan limit)",
        percent(gzip, LIMIT_GZIP_BYTES)
    );
    if gzip > LIMIT_GZIP_BYTES {
        return Err(format!(
            "deploy bundle: {gzip} B gzip is over the Workers limit of {LIMIT_GZIP_BYTES} B"
        ));
    }
    Ok(())
}

#[allow(clippy::cast_precision_loss)] // a percentage for people, of sizes far below 2^52
fn percent(part: u64, whole: u64) -> f64 {
    part as f64 * 100.0 / whole as f64
}

/// Raw and gzip (`gzip -9`) bytes of every file under `dir`.
fn sizes(dir: &Path) -> Result<(u64, u64)> {
    let mut raw = 0;
    let mut gzip = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", d.display()))?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let meta = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            raw += meta.len();
            let z = Command::new("gzip")
                .args(["-9", "-c"])
                .arg(&path)
                .output()
                .map_err(|e| format!("gzip: cannot start: {e}"))?;
            if !z.status.success() {
                return Err(format!("gzip {}: exited with {}", path.display(), z.status));
            }
            gzip += z.stdout.len() as u64;
        }
    }
    if raw == 0 {
        return Err(format!("{}: wrangler wrote nothing", dir.display()));
    }
    Ok((raw, gzip))
}
