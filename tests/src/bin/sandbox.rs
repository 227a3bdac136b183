//! `kassa-sandbox [--config PATH] [--port N]`: runs the provider sandbox on
//! 127.0.0.1 until killed. Without `--config` it uses `SandboxConfig::for_tests()` (the
//! fixture keys). `cargo xtask dev` runs the sandbox in-process instead, with the keys
//! that match `edge/.dev.vars` (`kassa_tests::e2e::stack`); `--config
//! edge/.dev.sandbox.json` gives this binary the same keys.

use std::process::ExitCode;

use kassa_tests::sandbox::{Sandbox, SandboxConfig};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kassa-sandbox: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut config_path = None;
    let mut port: u16 = 0;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--config" => config_path = Some(args.next().ok_or("--config needs a path")?),
            "--port" => {
                port = args
                    .next()
                    .ok_or("--port needs a number")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?;
            }
            "-h" | "--help" => {
                println!("usage: kassa-sandbox [--config PATH] [--port N]");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    let config = match config_path {
        Some(p) => SandboxConfig::from_file(std::path::Path::new(&p)),
        None => SandboxConfig::for_tests(),
    }
    .map_err(|e| e.to_string())?;
    let handle = Sandbox::start_on(config, port).map_err(|e| e.to_string())?;
    println!("kassa-sandbox listening on {}", handle.url());
    loop {
        std::thread::park();
    }
}
