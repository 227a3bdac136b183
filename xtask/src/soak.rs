//! `cargo xtask soak [MINUTES]`: the long half of issue 7's suites, bounded in time
//! (default 15 min, or `KASSA_SOAK_MINUTES`); every step is killed at the deadline.
//!
//! 1. The fuzz targets (`shared/tests/fuzz_*.rs`) with `PROPTEST_CASES` = 100 000 per
//!    target (`KASSA_SOAK_CASES` overrides), optimised but with overflow checks and debug
//!    assertions on, so arithmetic bugs still panic. Gets up to 60 % of the budget.
//!    Each target prints a progress line every 10 000 cases, so a run the deadline cuts
//!    short still says how many cases each target got through. 100 000 per target took
//!    38 min on the shared 2-core machine (figures in `bench/FUZZ.md`): give `soak` at
//!    least 65 minutes for the full count.
//! 2. The crash loop: `proof_faults::sigkill_mid_load_loses_nothing` again and again with
//!    a longer load (`KASSA_PROOF_LOAD_SECS`, 20 s) until the deadline.
//!
//! A step cut short by the deadline is reported as such, not as a pass.

use std::os::unix::process::CommandExt as _;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::cmd::{cargo, exec, root, Result};
use crate::{setup, widget};

const FUZZ_TESTS: [&str; 4] = [
    "fuzz_money_ids",
    "fuzz_wire",
    "fuzz_crypto",
    "fuzz_callbacks",
];

enum Outcome {
    Passed,
    TimedOut,
}

/// Runs `cmd` in its own process group; kills the group at `deadline`.
fn run_until(cmd: &mut Command, deadline: Instant) -> Result<Outcome> {
    let shown = format!("{cmd:?}");
    eprintln!("xtask: $ {shown}");
    let mut child = cmd
        .process_group(0)
        .spawn()
        .map_err(|e| format!("{shown}: cannot start: {e}"))?;
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return if status.success() {
                Ok(Outcome::Passed)
            } else {
                Err(format!("{shown}: exited with {status}"))
            };
        }
        if Instant::now() >= deadline {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = child.wait();
            return Ok(Outcome::TimedOut);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Optimised, with overflow checks and debug assertions kept so arithmetic bugs panic.
fn fuzz_command(cases: &str) -> Command {
    let mut cmd = cargo();
    cmd.current_dir(root())
        .args(["test", "--release", "-p", "kassa-shared"])
        .args(FUZZ_TESTS.iter().flat_map(|t| ["--test", t]))
        .env("PROPTEST_CASES", cases)
        .env("CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS", "true")
        .env("CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS", "true");
    cmd
}

fn crash_command() -> Command {
    let mut cmd = cargo();
    cmd.current_dir(root())
        .args(["test", "-p", "kassa-tests", "--test", "proof_faults"]);
    cmd
}

pub fn run(args: &[String]) -> Result {
    let minutes: u64 = args
        .first()
        .cloned()
        .or_else(|| std::env::var("KASSA_SOAK_MINUTES").ok())
        .map_or(Ok(15), |m| {
            m.parse()
                .map_err(|_| format!("soak: minutes: {m:?} is not a whole number"))
        })?;
    let cases = std::env::var("KASSA_SOAK_CASES").unwrap_or_else(|_| "100000".to_owned());
    setup::run()?;
    widget::build_edge()?;
    // Builds first, outside the time budget, so the budget is spent running.
    exec(fuzz_command(&cases).arg("--no-run"))?;
    exec(crash_command().arg("--no-run"))?;
    let start = Instant::now();
    let budget = Duration::from_secs(minutes * 60);
    let mut report = Vec::new();

    let fuzz_deadline = start + budget.mul_f64(0.6);
    // `--nocapture` shows the targets' progress lines: how far a cut-short run got.
    let mut fuzz = fuzz_command(&cases);
    fuzz.args(["--", "--nocapture"]);
    match run_until(&mut fuzz, fuzz_deadline)? {
        Outcome::Passed => report.push(format!("fuzz: {cases} cases per target, no failure")),
        Outcome::TimedOut => report.push(format!(
            "fuzz: stopped at the time bound before {cases} cases per target finished (no failure until then)"
        )),
    }

    let deadline = start + budget;
    let mut rounds = 0;
    while Instant::now() + Duration::from_secs(60) < deadline {
        let mut crash = crash_command();
        crash
            .args(["--", "--exact", "sigkill_mid_load_loses_nothing"])
            .env("KASSA_PROOF_LOAD_SECS", "20");
        match run_until(&mut crash, deadline)? {
            Outcome::Passed => rounds += 1,
            Outcome::TimedOut => break,
        }
    }
    report.push(format!(
        "crash loop: {rounds} SIGKILL rounds under 20 s of load, nothing lost"
    ));
    for line in &report {
        println!("soak: {line}");
    }
    println!("soak: {:.1} min", start.elapsed().as_secs_f64() / 60.0);
    Ok(())
}
