//! `cargo xtask dev`: set-up, build, then run the demo — the edge under `wrangler dev`
//! (state persisted in `edge/.wrangler/state`), the provider sandbox, and the demo shop with
//! its tiny backend —
//! and print the URL once everything answers. Runs until interrupted; Ctrl-C reaches every
//! child (they share our process group), and if one child dies the others are stopped.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::cmd::{cargo, exec, npm_bin, root, target_dir, Result};
use crate::{devvars, setup, widget};

fn port(var: &str, default: u16) -> Result<u16> {
    match std::env::var(var) {
        Ok(v) => v.parse().map_err(|_| format!("{var}: not a port: {v}")),
        Err(_) => Ok(default),
    }
}

pub fn run() -> Result {
    setup::run()?;
    let edge_port = port("KASSA_EDGE_PORT", 8787)?;
    let demo_port = port("KASSA_DEMO_PORT", 8080)?;
    widget::build_edge()?;
    widget::build_bundle()?;
    let sandbox_port = port("KASSA_SANDBOX_PORT", 8788)?;
    exec(cargo().args(["build", "-p", "kassa-www", "-p", "kassa-tests", "--bins"]))?;

    let edge_url = format!("http://127.0.0.1:{edge_port}");
    let mut children: Vec<(&str, Child)> = Vec::new();
    let spawned = (|| -> Result {
        let edge = Command::new(npm_bin("wrangler"))
            .current_dir(root().join("edge"))
            .args(["dev", "--ip", "127.0.0.1", "--port", &edge_port.to_string()])
            .args([
                "--persist-to",
                ".wrangler/state",
                "--show-interactive-dev-session=false",
            ])
            .env("WRANGLER_SEND_METRICS", "false")
            .spawn()
            .map_err(|e| format!("wrangler dev: {e}"))?;
        children.push(("wrangler dev", edge));
        let demo = Command::new(target_dir().join("debug").join("kassa-demo"))
            .args(["--port", &demo_port.to_string(), "--edge", &edge_url])
            .arg("--dir")
            .arg(root().join("www"))
            .env("KASSA_MERCHANT_KEY", devvars::get("KASSA_MERCHANT_KEY")?)
            .spawn()
            .map_err(|e| format!("kassa-demo: {e}"))?;
        children.push(("kassa-demo", demo));
        // The simulated providers (S0, S3, Paytm, Ping++, wallet, merchant receiver).
        let sandbox = Command::new(target_dir().join("debug").join("kassa-sandbox"))
            .args(["--port", &sandbox_port.to_string()])
            .spawn()
            .map_err(|e| format!("kassa-sandbox: {e}"))?;
        children.push(("kassa-sandbox", sandbox));
        wait_http(edge_port, "/health")?;
        wait_http(demo_port, "/")?;
        wait_tcp(sandbox_port)?;
        Ok(())
    })();
    if let Err(e) = spawned {
        stop(&mut children);
        return Err(e);
    }
    println!("Kassa edge: {edge_url}  sandbox providers: http://127.0.0.1:{sandbox_port}/");
    println!("Kassa demo: http://127.0.0.1:{demo_port}/");
    loop {
        for (name, child) in &mut children {
            if let Ok(Some(status)) = child.try_wait() {
                let name = *name;
                stop(&mut children);
                return Err(format!("{name} exited with {status}"));
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn stop(children: &mut [(&str, Child)]) {
    for (_, child) in children.iter_mut() {
        let _ = Command::new("kill").arg(child.id().to_string()).status();
    }
    for (_, child) in children.iter_mut() {
        let _ = child.wait();
    }
}

/// Polls `GET path` on 127.0.0.1:port until it answers 2xx (60 s at most).
fn wait_http(port: u16, path: &str) -> Result {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if http_ok(port, path) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Err(format!("127.0.0.1:{port}{path} did not answer within 60 s"))
}

/// Waits until something accepts connections on 127.0.0.1:port (60 s at most).
fn wait_tcp(port: u16) -> Result {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Err(format!(
        "127.0.0.1:{port} did not accept connections within 60 s"
    ))
}

fn http_ok(port: u16, path: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 2")
}
