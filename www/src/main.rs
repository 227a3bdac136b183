//! `kassa-demo`: the demo shop and its tiny backend on its own (see the library docs).
//! `cargo xtask dev` runs the same code in-process, wired to the edge and the sandbox.
//!
//! Usage: `KASSA_MERCHANT_KEY=… [KASSA_WEBHOOK_SECRET=…] kassa-demo --port 8080
//! --edge http://127.0.0.1:8787 --dir www [--form-action URL]`

use std::path::{Path, PathBuf};

fn main() {
    match config().and_then(kassa_www::start) {
        Ok(_demo) => {
            eprintln!("kassa-demo listening on {}", _demo.url());
            loop {
                std::thread::park();
            }
        }
        Err(e) => {
            eprintln!("kassa-demo: {e}");
            std::process::exit(2);
        }
    }
}

fn config() -> Result<kassa_www::Config, String> {
    let mut port = 8080u16;
    let mut edge = "http://127.0.0.1:8787".to_owned();
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    let mut form_action = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().ok_or_else(|| format!("{a}: needs a value"))?;
        match a.as_str() {
            "--port" => port = v.parse().map_err(|_| format!("--port: not a port: {v}"))?,
            "--edge" => edge = v.trim_end_matches('/').to_owned(),
            "--dir" => dir = PathBuf::from(v),
            "--form-action" => form_action.push(v),
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    let merchant_key = std::env::var("KASSA_MERCHANT_KEY")
        .map_err(|_| "KASSA_MERCHANT_KEY: not set".to_owned())?;
    Ok(kassa_www::Config {
        port,
        edge,
        merchant_key,
        webhook_secret: std::env::var("KASSA_WEBHOOK_SECRET").ok(),
        dir,
        form_action,
    })
}
