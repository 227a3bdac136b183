//! The providers' own client libraries against the sandbox (issue 16 item 1): Ping++'s
//! Python SDK (`pingpp` 2.7.2) and Paytm's checksum library (`paytmchecksum` 1.7.0),
//! both from PyPI, pinned in `tests/python/requirements.txt` and installed into the venv
//! by `cargo xtask setup`, run unchanged by `tests/python/test_official_libs.py`. Where
//! a library and the sandbox disagree, the sandbox is wrong.
//!
//! This test starts the sandbox (Ping++ request signatures switched on with the
//! `rsa2048` fixture, webhooks going to a local recorder) and a recorder that keeps
//! every request it gets (Ping++ webhooks, Paytm callbacks posted server to server) and
//! lists them at `GET /recorded`; Paytm refunds settle 200 ms after they are raised;
//! then runs the venv's pytest with their URLs and keys
//! in the environment, and fails unless every Python test passed and none was skipped.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};

use kassa_httpd::{Listener, Request, Response};
use kassa_tests::harness::root;
use kassa_tests::sandbox::config::{fixture_path, fixtures as f};
use kassa_tests::sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

/// Records every request; `GET /recorded` answers them as JSON.
fn recorder() -> (Listener, String) {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = Listener::spawn(
        listener,
        1 << 20,
        Arc::new(move |rq: Request| {
            let mut seen = seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if rq.method == "GET" && rq.target == "/recorded" {
                return Response::new(200, "application/json", json!(*seen).to_string());
            }
            let headers: serde_json::Map<String, Value> = rq
                .headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), json!(v)))
                .collect();
            seen.push(json!({
                "method": rq.method, "path": rq.target, "headers": headers,
                "body": String::from_utf8_lossy(&rq.body),
            }));
            // What the edge answers each provider: Ping++ wants any 2xx, S1's shape
            // for Paytm.
            Response::new(200, "application/json", r#"{"code":200,"data":true}"#)
        }),
    )
    .unwrap();
    let url = format!("http://{}", server.addr());
    (server, url)
}

#[test]
fn official_client_libraries_agree_with_the_sandbox() {
    let python = kassa_tests::harness::venv_dir().join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `cargo xtask setup` (it installs tests/python/requirements.txt, \
         pingpp and paytmchecksum included)",
        python.display()
    );
    let (_recorder, recorder_url) = recorder();
    let key = |name: &str| fixture_path(name).display().to_string();
    let mut config = SandboxConfig::for_tests().unwrap();
    // Paytm refunds settle by themselves, as at Paytm (the fixtures hold them).
    config.paytm.refund_settle_ms = Some(200);
    config.pingpp.webhook_url = Some(format!("{recorder_url}/pingpp/webhooks"));
    config.pingpp.request_public_key = Some(
        std::fs::read_to_string(fixture_path("vectors/crypto/keys/rsa2048.spki.pem")).unwrap(),
    );
    let sandbox = Sandbox::start(config).unwrap();
    let out = Command::new(&python)
        .current_dir(root())
        .args([
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-v",
            "-rfEs",
            "tests/python/test_official_libs.py",
        ])
        .env("KASSA_SANDBOX_URL", sandbox.url())
        .env("KASSA_RECORDER_URL", &recorder_url)
        .env("KASSA_PINGPP_API_KEY", f::PINGPP_API_KEY)
        .env(
            "KASSA_PINGPP_APP_ID",
            &SandboxConfig::for_tests().unwrap().pingpp.app_id,
        )
        .env("KASSA_PINGPP_WEBHOOK_PUBLIC_KEY", key(f::PINGPP_PUBLIC))
        .env(
            "KASSA_PINGPP_REQUEST_PRIVATE_KEY",
            key("vectors/crypto/keys/rsa2048.pkcs8.pem"),
        )
        .env(
            "KASSA_PINGPP_WRONG_PRIVATE_KEY",
            key("vectors/crypto/keys/rsa1024.pkcs8.pem"),
        )
        .env("KASSA_PAYTM_MID", f::PAYTM_MID)
        .env("KASSA_PAYTM_KEY", f::PAYTM_KEY)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Shown with `--nocapture`: which library calls ran.
    println!("{stdout}");
    assert!(out.status.success(), "pytest failed:\n{stdout}\n{stderr}");
    // A run that collected nothing, or skipped, would prove nothing.
    let summary = stdout
        .lines()
        .rev()
        .find(|l| l.contains(" passed"))
        .unwrap_or_else(|| panic!("no pytest summary:\n{stdout}\n{stderr}"));
    let passed: u32 = summary
        .split_whitespace()
        .zip(summary.split_whitespace().skip(1))
        .find(|(_, w)| w.starts_with("passed"))
        .and_then(|(n, _)| n.trim_start_matches('=').parse().ok())
        .unwrap_or(0);
    assert!(passed >= 13, "too few Python tests passed: {summary}");
    for word in ["failed", "skipped", "error", "xfail"] {
        assert!(!summary.contains(word), "{summary}");
    }
}
