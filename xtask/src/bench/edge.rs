//! The edge suite: runs `tests/examples/bench_edge.rs` (wrangler dev + sandbox + headless
//! Chromium, all on 127.0.0.1; see that file for what is measured and how) and turns its
//! JSON into the report's tables. Latencies are end-to-end over loopback HTTP/1.1 from a
//! blocking client, so they include the client's share of the 2 cores.

use std::fmt::Write as _;
use std::process::Stdio;

use serde_json::Value;

use crate::cmd::{cargo, root, Result};
use crate::widget;

pub const ROUTES: [(&str, &str); 4] = [
    ("health", "`GET /health` (trivial route)"),
    ("load_pay_data", "`GET /api/payment/order/load_pay_data`"),
    ("pay", "`POST /api/payment/order/pay` (SMS code)"),
    ("callback_event", "verified provider event → OrderObject"),
];
pub const CONCURRENCY: [&str; 3] = ["1", "10", "50"];

/// Builds what the suite needs, runs it, returns its JSON.
pub fn measure() -> Result<Value> {
    widget::build_edge()?;
    if !root().join("www/kassa/kassa_bg.wasm").exists() {
        widget::build_bundle()?;
    }
    let mut cmd = cargo();
    cmd.args(["run", "-q", "-p", "kassa-tests", "--example", "bench_edge"])
        .current_dir(root())
        .stderr(Stdio::inherit());
    eprintln!("xtask: $ {cmd:?}");
    let out = cmd.output().map_err(|e| format!("bench_edge: {e}"))?;
    if !out.status.success() {
        return Err(format!("bench_edge: exited with {}", out.status));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("bench_edge output: {e}"))
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// The report's section for the edge suite.
pub fn table(v: &Value) -> String {
    let mut md = String::from(
        "\n## Edge under `wrangler dev` (127.0.0.1)\n\n\
         Requests/s and latency (ms) by concurrent connections, all in one run.\n\n\
         | route | conns | req/s | p50 ms | p99 ms | requests | errors |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for (key, label) in ROUTES {
        for c in CONCURRENCY {
            let r = &v["routes"][key][c];
            let _ = writeln!(
                md,
                "| {label} | {c} | {:.0} | {:.1} | {:.1} | {} | {} |",
                num(&r["rps"]),
                num(&r["p50_ms"]),
                num(&r["p99_ms"]),
                r["requests"],
                r["errors"]
            );
        }
    }
    md.push_str(
        "\n`errors` counts answers other than 200 (their codes are in `results.json` under \
         `error_codes` from this version of the runner on). `pay` calls S0 `prePayCheck` and \
         the wallet before answering, so its latency includes two loopback round trips to \
         the sandbox, which shares the same 2 cores.\n",
    );
    md.push_str(
        "\n### `pay` latency by order history\n\n\
         Each order first receives N verified events (failed attempts), then one `pay`.\n\n\
         | events before pay | p50 ms | p99 ms | samples |\n|---:|---:|---:|---:|\n",
    );
    for n in ["10", "100", "1000"] {
        let r = &v["history"][n];
        let _ = writeln!(
            md,
            "| {n} | {:.1} | {:.1} | {} |",
            num(&r["p50_ms"]),
            num(&r["p99_ms"]),
            r["requests"]
        );
    }
    let r = &v["ready"];
    let _ = write!(
        md,
        "\n### Time to `kassa:ready` (headless Chromium)\n\n\
         Median of {} fresh-browser navigations each, `performance.now()` at the event:\n\n\
         | page | median ms |\n|---|---:|\n\
         | blank page (module script only) | {:.0} |\n\
         | widget: load bundle, `load_pay_data`, render → `kassa:ready` | {:.0} |\n",
        r["runs"],
        num(&r["blank_ms"]),
        num(&r["ready_ms"])
    );
    md.push_str("\n![edge throughput and latency](edge.svg)\n");
    md
}
