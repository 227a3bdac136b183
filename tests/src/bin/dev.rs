//! `kassa-dev`: the demo as `cargo xtask dev` runs it (`kassa_tests::e2e::stack`) on
//! 127.0.0.1 — edge 8787, sandbox 8788, shop 8080, or `KASSA_EDGE_PORT`,
//! `KASSA_SANDBOX_PORT`, `KASSA_DEMO_PORT` — with the edge's state in
//! `edge/.wrangler/state`. Runs until interrupted; wrangler shares our process group, so
//! Ctrl-C stops it too.

use std::process::ExitCode;

use kassa_tests::e2e::stack::{Ports, Stack};

fn port(var: &str, default: u16) -> Result<u16, String> {
    match std::env::var(var) {
        Ok(v) => v.parse().map_err(|_| format!("{var}: not a port: {v}")),
        Err(_) => Ok(default),
    }
}

fn run() -> Result<(), String> {
    let ports = Ports {
        edge: port("KASSA_EDGE_PORT", Ports::DEV.edge)?,
        sandbox: port("KASSA_SANDBOX_PORT", Ports::DEV.sandbox)?,
        demo: port("KASSA_DEMO_PORT", Ports::DEV.demo)?,
    };
    let persist = kassa_tests::harness::root().join("edge/.wrangler");
    std::fs::create_dir_all(&persist).map_err(|e| format!("{}: {e}", persist.display()))?;
    let stack = Stack::start(ports, &persist, false)?;
    println!(
        "Kassa edge: {}  sandbox providers: {}/  (edge log: {})",
        stack.edge.url(),
        stack.sandbox.url(),
        persist.join("wrangler.log").display()
    );
    println!(
        "Wallet and Ping++ payments succeed 1.5 s after they start (script other outcomes \
         with POST {}/_control/...); Paytm shows its sandbox page. SMS codes appear on the shop page.",
        stack.sandbox.url()
    );
    println!("Kassa demo: {}/", stack.demo_url());
    loop {
        std::thread::park();
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kassa-dev: {e}");
            ExitCode::from(2)
        }
    }
}
