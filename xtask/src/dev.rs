//! `cargo xtask dev`: set-up, build, then run the demo — `kassa-dev` (tests crate,
//! `kassa_tests::e2e::stack`): the edge under `wrangler dev` (state persisted in
//! `edge/.wrangler/state`) with every channel pointed at the provider sandbox, the
//! sandbox itself, and the demo shop with its tiny backend — and print the URL once
//! everything answers. The browser tests start the very same stack, so what they prove
//! is what a person trying the demo gets.
//!
//! Runs until interrupted; Ctrl-C reaches `kassa-dev` and wrangler (they share our
//! process group). Ports: `KASSA_EDGE_PORT` (8787), `KASSA_SANDBOX_PORT` (8788),
//! `KASSA_DEMO_PORT` (8080).

use std::process::Command;

use crate::cmd::{cargo, exec, target_dir, Result};
use crate::{setup, widget};

pub fn run() -> Result {
    setup::run()?;
    widget::build_edge()?;
    widget::build_bundle()?;
    exec(cargo().args(["build", "-p", "kassa-tests", "--bin", "kassa-dev"]))?;
    exec(&mut Command::new(
        target_dir().join("debug").join("kassa-dev"),
    ))
}
