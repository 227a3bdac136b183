//! `cargo xtask <command>` — Kassa's tooling, instead of shell scripts.
//!
//! - `setup`  install what is missing, pinned and idempotent (also run by `dev` and `test`)
//! - `dev`    set-up, build, and run the demo: edge under `wrangler dev`, sandbox, shop page
//! - `test`   set-up and every test: native, wasm in headless Chromium, edge integration
//! - `edge`   build the Worker with worker-build into `edge/build/`
//! - `deploy-check` `wrangler deploy --dry-run` of the production configuration: size and
//!   no development variables (also a step of `test`)
//! - `widget` build the release widget bundle into `www/kassa/`
//! - `bench`  benchmarks; figures into `bench/`
//! - `soak`   the long fuzz and crash-loop runs, bounded in time (default 15 min)

mod bench;
mod cmd;
mod deploy;
mod dev;
mod devvars;
mod setup;
mod soak;
mod test;
#[cfg(test)]
mod tidy;
mod widget;

use std::process::ExitCode;

fn main() -> ExitCode {
    if let Some(code) = cmd::rerun_if_foreign_binary() {
        return code;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(),
        Some("dev") => dev::run(),
        Some("test") => test::run(),
        Some("edge") => setup::run().and_then(|()| widget::build_edge()),
        Some("deploy-check") => setup::run()
            .and_then(|()| widget::build_edge())
            .and_then(|()| deploy::run()),
        Some("widget") => setup::run().and_then(|()| widget::build_bundle().map(|_| ())),
        Some("bench") => bench::run(&args[1..]),
        Some("soak") => soak::run(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <setup|dev|test|edge|deploy-check|widget|bench|soak>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}
