//! `cargo xtask test`: set-up, then every suite; the first failure stops the run with a
//! non-zero exit. No suite is skipped for a missing tool: set-up installs it or fails.

use std::process::Command;

use crate::cmd::{cargo, exec, root, Result};
use crate::{deploy, setup, widget};

fn run_all() -> Result {
    setup::run()?;
    step("format", || exec(cargo().args(["fmt", "--all", "--check"])))?;
    step("build edge (worker-build)", widget::build_edge)?;
    step(
        "deploy dry-run of the production configuration (size, no dev vars)",
        deploy::run,
    )?;
    // The browser end-to-end tests (tests/tests/e2e_*.rs, run with the native tests
    // below) drive the demo shop with the release bundle and grep it for secrets.
    step("build widget bundle (www/kassa/)", || {
        widget::build_bundle().map(drop)
    })?;
    step(
        "native unit, property, CLI, sandbox, edge integration and browser end-to-end tests",
        || {
            exec(cargo().args([
                "test",
                "--workspace",
                "--exclude",
                "kassa-widget",
                "--exclude",
                "kassa-edge",
            ]))
        },
    )?;
    step(
        "widget tests in headless Chromium (wasm-bindgen-test-runner)",
        || exec(&mut browser_tests("kassa-widget", "widget")),
    )?;
    step(
        "edge WebCrypto and channel tests in headless Chromium",
        || {
            exec(browser_tests("kassa-edge", "edge").args([
                "--test",
                "webcrypto",
                "--test",
                "channels",
            ]))
        },
    )?;
    step("widget tests through wasm-pack", || {
        exec(
            Command::new("wasm-pack")
                .args(["test", "--headless", "--chrome", "widget"])
                .current_dir(root())
                .env("CHROMEDRIVER", "/usr/bin/chromedriver"),
        )
    })?;
    step("lints (native)", || {
        exec(cargo().args(["clippy", "--all-targets", "--", "-D", "warnings"]))
    })?;
    step("lints (wasm crates)", || {
        exec(cargo().args([
            "clippy",
            "-p",
            "kassa-widget",
            "-p",
            "kassa-edge",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    eprintln!("xtask: all test suites passed");
    Ok(())
}

pub fn run() -> Result {
    run_all()
}

fn step(name: &str, f: impl FnOnce() -> Result) -> Result {
    eprintln!("\nxtask: ==== {name} ====");
    let started = std::time::Instant::now();
    let result = f();
    eprintln!(
        "xtask: ==== {name}: {} in {:.0?}",
        if result.is_ok() { "ok" } else { "FAILED" },
        started.elapsed()
    );
    result.map_err(|e| format!("{name}: {e}"))
}

/// `cargo test` of `package` for wasm in headless Chromium, run from `dir` (where its
/// `webdriver.json` with Chromium's flags lies).
fn browser_tests(package: &str, dir: &str) -> Command {
    let mut cmd = cargo();
    cmd.args(["test", "-p", package, "--target", "wasm32-unknown-unknown"])
        .current_dir(root().join(dir))
        .env("CHROMEDRIVER", "/usr/bin/chromedriver");
    cmd
}
