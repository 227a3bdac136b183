//! Idempotent, pinned set-up: installs only what is missing or at the wrong version.
//! Nothing here downloads a binary from outside the package registries (crates.io, npm,
//! Debian): worker-build is pointed at our own wasm-bindgen, esbuild and wasm-opt.

use std::path::Path;
use std::process::Command;

use crate::cmd::{cargo, exec, output, root, Result};
use crate::devvars;

pub const WORKER_BUILD_VERSION: &str = "0.8.7";
pub const WASM_PACK_VERSION: &str = "0.15.1";
/// The bench's per-crate size table (`bench.rs`, `crate_costs`).
pub const TWIGGY_VERSION: &str = "0.8.0";
const WASM_TARGET: &str = "wasm32-unknown-unknown";

pub fn run() -> Result {
    rust_target()?;
    let bindgen = wasm_bindgen_version()?;
    cargo_tool("wasm-bindgen-cli", "wasm-bindgen", &bindgen)?;
    cargo_tool("worker-build", "worker-build", WORKER_BUILD_VERSION)?;
    cargo_tool("wasm-pack", "wasm-pack", WASM_PACK_VERSION)?;
    cargo_tool("twiggy", "twiggy", TWIGGY_VERSION)?;
    npm_ci()?;
    chromium()?;
    python_venv()?;
    devvars::ensure()?;
    Ok(())
}

/// The venv of the Python tools the tests drive (Schemathesis; Ping++'s `pingpp` SDK and
/// Paytm's `paytmchecksum`, run against the sandbox), `KASSA_VENV` or
/// `~/.cache/kassa/venv-<hash of tests/python/requirements.txt>`: outside the clone,
/// like the target dir, so clones with the same requirements share it, and a clone with
/// other requirements gets its own instead of rebuilding another's under it
/// (`kassa_tests::harness::venv_dir` computes the same path).
pub fn venv_dir() -> std::path::PathBuf {
    std::env::var_os("KASSA_VENV").map_or_else(
        || {
            let requirements =
                std::fs::read(root().join("tests/python/requirements.txt")).unwrap_or_default();
            std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(format!(".cache/kassa/venv-{:016x}", fnv1a(&requirements)))
        },
        std::path::PathBuf::from,
    )
}

/// FNV-1a, 64 bits: a name for a file's content, not a security property.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Creates the venv from `tests/python/requirements.txt` (every package pinned, the
/// output of `pip freeze`) unless it was made from the same file. Debian's own Python
/// (`python3-venv`), installed by apt when missing.
fn python_venv() -> Result {
    let requirements = root().join("tests/python/requirements.txt");
    let wanted =
        std::fs::read(&requirements).map_err(|e| format!("{}: {e}", requirements.display()))?;
    let venv = venv_dir();
    let stamp = venv.join(".kassa-requirements");
    if std::fs::read(&stamp).is_ok_and(|s| s == wanted) && venv.join("bin/python").exists() {
        return Ok(());
    }
    let python = Path::new("/usr/bin/python3");
    let has_venv = output(Command::new(python).args(["-c", "import venv, ensurepip"])).is_some();
    if !has_venv {
        exec(Command::new("apt-get").arg("update").arg("-qq"))?;
        exec(
            Command::new("apt-get")
                .args(["install", "-y", "-qq", "python3", "python3-venv"])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )?;
    }
    exec(
        Command::new(python)
            .arg("-m")
            .arg("venv")
            .arg("--clear")
            .arg(&venv),
    )?;
    exec(
        Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "--disable-pip-version-check", "-r"])
            .arg(&requirements),
    )?;
    std::fs::write(&stamp, wanted).map_err(|e| format!("{}: {e}", stamp.display()))
}

fn rust_target() -> Result {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == WASM_TARGET) {
        exec(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }
    rust_src()
}

/// The standard library's source for the toolchain that builds (the widget bundle
/// rebuilds std with `-Zbuild-std`, `widget::bindgen`): `rust-src` of the active
/// toolchain, so it is always the source of the compiler in use.
fn rust_src() -> Result {
    let installed = output(Command::new("rustup").args(["component", "list", "--installed"]))
        .unwrap_or_default();
    if installed.lines().any(|l| l.trim() == "rust-src") {
        return Ok(());
    }
    exec(Command::new("rustup").args(["component", "add", "rust-src"]))
}

/// The exact `wasm-bindgen` version in Cargo.lock: the CLI must match it byte for byte.
pub fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
            {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    Err("Cargo.lock: no wasm-bindgen package".to_owned())
}

/// Installs `krate` at exactly `version` unless `bin --version` already reports it.
/// `--locked` first; the crates mirror sometimes lacks a locked dependency version, so
/// fall back to an unlocked install still pinned to `--version`.
fn cargo_tool(krate: &str, bin: &str, version: &str) -> Result {
    if let Some(v) = output(Command::new(bin).arg("--version")) {
        if v.split_whitespace().any(|w| w == version) {
            return Ok(());
        }
    }
    let locked = exec(cargo().args(["install", "--locked", krate, "--version", version]));
    if locked.is_ok() {
        return Ok(());
    }
    eprintln!("xtask: --locked install of {krate} failed; retrying without --locked");
    exec(cargo().args(["install", krate, "--version", version]))
}

/// `npm ci` when `node_modules` does not match `package-lock.json`.
fn npm_ci() -> Result {
    let root = root();
    let lock = std::fs::read(root.join("package-lock.json"))
        .map_err(|e| format!("package-lock.json: {e}"))?;
    let stamp = root.join("node_modules").join(".kassa-lock");
    let fresh = std::fs::read(&stamp).is_ok_and(|s| s == lock)
        && Path::new(&root.join("node_modules/.bin/wrangler")).exists();
    if fresh {
        return Ok(());
    }
    exec(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&root),
    )?;
    std::fs::write(&stamp, lock).map_err(|e| format!("{}: {e}", stamp.display()))
}

/// Debian's Chromium and its driver for the browser tests, brotli for the size report,
/// and a CJK font so the zh-CN screenshots show text rather than empty boxes.
fn chromium() -> Result {
    let needed = [
        "/usr/bin/chromium",
        "/usr/bin/chromedriver",
        "/usr/bin/brotli",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    ];
    if needed.iter().all(|p| Path::new(p).exists()) {
        return Ok(());
    }
    exec(Command::new("apt-get").arg("update").arg("-qq"))?;
    exec(
        Command::new("apt-get")
            .args([
                "install",
                "-y",
                "-qq",
                "chromium",
                "chromium-driver",
                "brotli",
                "fonts-wqy-microhei",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}
