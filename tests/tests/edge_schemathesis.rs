//! Property-based testing of the merchant API from `edge/openapi.json` with Schemathesis
//! (PyPI, pinned in `tests/python/requirements.txt`, installed into a venv by
//! `cargo xtask setup`), against the real edge under `wrangler dev` (issue 17): the
//! edge answers no 5xx and nothing outside the document (status, content type, headers,
//! schema), `Allow` on every 405 (unknown methods too), refuses data the document
//! calls invalid, and accepts data the document calls valid: every check is on. For
//! that the document states each constraint the edge enforces — `POST /v1/orders` is
//! one schema per kind of amount (fiat in minor units with a `currency` enum; BTC,
//! USDT and ETH each with its decimal pattern), digit-only cursors, addresses, lengths.
//! One rule JSON Schema cannot say: a money `amount` is a JSON integer *as written*
//! (`17179869185.0` satisfies `integer` but is refused: money is never read from a
//! float, SPEC 2). The document says so in words, and `tests/python/schemathesis_hooks.py`
//! keeps generated bodies to it (it drops only float-written amounts; `edge_http` and
//! `CreateOrder`'s unit tests show the refusal).
//!
//! The venv is `KASSA_VENV` or `~/.cache/kassa/venv-<hash>` (`harness::venv_dir`;
//! shared by clones with the same requirements, like the target dir). The run is bounded by examples per operation, not by time, so CI and a
//! developer run the same cases; `SCHEMATHESIS_SEED` (default fixed) makes a failure
//! reproducible.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::process::Command;

use kassa_tests::edge_client::s0_vars;
use kassa_tests::harness::{root, Edge, TempDir, MERCHANT_KEY};
use kassa_tests::sandbox::config::fixtures as f;
use kassa_tests::sandbox::{Sandbox, SandboxConfig};

#[test]
fn schemathesis_finds_nothing() {
    let bin = kassa_tests::harness::venv_dir().join("bin/schemathesis");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo xtask setup` (it installs tests/python/requirements.txt)",
        bin.display()
    );
    let sandbox = Sandbox::start(SandboxConfig::for_tests().unwrap()).unwrap();
    let s0_url = format!("{}/s0", sandbox.url());
    let webhook_url = format!("{}/merchant/webhooks", sandbox.url());
    let dir = TempDir::new("edge-schemathesis").unwrap();
    let mut vars = s0_vars(&s0_url).to_vec();
    vars.extend([
        ("KASSA_WEBHOOK_URL", webhook_url.as_str()),
        ("KASSA_WEBHOOK_SECRET", f::MERCHANT_WEBHOOK_SECRET),
    ]);
    let edge = Edge::start_with(dir.path(), &vars).unwrap();
    let seed = std::env::var("SCHEMATHESIS_SEED").unwrap_or_else(|_| "1515".to_owned());
    let out = Command::new(&bin)
        .current_dir(root())
        .args([
            "run",
            "edge/openapi.json",
            "--url",
            &edge.url(),
            "--header",
            &format!("Authorization: Bearer {MERCHANT_KEY}"),
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "25",
            "--seed",
            &seed,
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--no-color",
        ])
        .env("SCHEMATHESIS_HOOKS", "tests.python.schemathesis_hooks")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schemathesis found problems (seed {seed}):\n{stdout}\n{stderr}\n--- edge log ---\n{}",
        edge.log_tail()
    );
    // A run that tested nothing would also exit 0: read "N generated, N passed".
    let counts = stdout
        .lines()
        .find(|l| l.contains(" generated, "))
        .unwrap_or_else(|| panic!("no case count in schemathesis' summary:\n{stdout}"));
    let number = |word: &str| -> u64 {
        counts
            .split(',')
            .find(|part| part.trim().ends_with(word))
            .and_then(|part| part.trim().split(' ').next()?.parse().ok())
            .unwrap_or(0)
    };
    assert!(number("passed") >= 500, "too few cases passed: {counts}");
    assert_eq!(number("generated"), number("passed"), "{counts}");
}
