//! The edge suite: runs `tests/examples/bench_edge.rs` (wrangler dev + sandbox + headless
//! Chromium, all on 127.0.0.1; see that file for what is measured and how) and turns its
//! JSON into the report's tables. Latencies are end-to-end over loopback HTTP/1.1 from a
//! blocking client, so they include the client's share of the 2 cores.

use std::fmt::Write as _;
use std::process::Stdio;

use serde_json::Value;

use crate::cmd::{cargo, root, Result};
use crate::widget;

pub const ROUTES: [(&str, &str); 5] = [
    ("health", "`GET /health` (trivial route)"),
    ("load_pay_data", "`GET /api/payment/order/load_pay_data`"),
    ("pay", "`POST /api/payment/order/pay` (SMS code)"),
    ("callback_wallet", "`POST /callbacks/wallet` (RSA-signed)"),
    ("callback_event", "same event, test helper (no signature)"),
];
pub const CONCURRENCY: [&str; 3] = ["1", "10", "50"];
/// Issue 18: time to `kassa:ready` at most this many times a blank page's.
const READY_TARGET: f64 = 1.5;

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

/// What the route table needs said; the `pay` paragraph records the diagnosis of the
/// errors an earlier run had at 50 connections (see `tests/examples/bench_edge.rs`).
const ROUTE_NOTES: &str = "
`errors` counts answers other than 200; `results.json` lists them by status, code and \
message under `error_codes`. Every `pay` is for a fresh order of a fresh user and every \
callback carries a fresh `notify_id`, so no velocity rule, attempt-in-flight conflict or \
duplicate is involved.

- **`pay`** calls S0 `prePayCheck` and the wallet before answering, so its latency \
  includes two loopback round trips to the sandbox, which shares the same 2 cores. \
  An earlier run counted 17 errors in 200 at 50 connections. They were all `409 \
  s0_refused … (S0 prePayCheck: network: no answer within 1000 ms)`: with 50 pays in \
  flight the one Worker isolate is saturated, a `prePayCheck` answer waits its turn, \
  and the S0 timeout (1 s in the proof suites' rig) expires, so `pay` fails closed as \
  SPEC 3.5 asks — correct behaviour, not an edge bug. Re-measured while other builds \
  shared the machine: 118 / 200 refused at a 1 s timeout, 45 / 200 at the 2 s \
  production default, with `pay`'s p50 at 2.9–3.4 s. The bench therefore sets \
  `KASSA_S0_TIMEOUT_MS=30000` so that the row measures `pay`'s capacity; on a deployed \
  edge, keep p99 under the S0 timeout by capacity, not by raising the timeout.
- **`POST /callbacks/wallet`** sends distinct wallet notifications (status `FAILED`, \
  signed beforehand with the sandbox wallet key the dev stack trusts). Each one is \
  RSA-SHA256-verified in the Worker, routed to its order's Durable Object, de-duplicated \
  by `notify_id`, matched and applied. The test-helper row applies the same event without \
  the body, signature and matching steps; the gap between the rows is the callback \
  shell's cost.
";

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// The report's section for the edge suite.
pub fn table(v: &Value) -> String {
    let m = &v["machine"];
    let mut md = format!(
        "\n## Edge under `wrangler dev` (127.0.0.1)\n\n\
         Requests/s and latency (ms) by concurrent connections, all in one run, on {} cores \
         that the bench shares with the edge, the sandbox and whatever else runs on the \
         machine (1-minute load average {} at the start of the edge suite, {} at its \
         end). Compare rows of one run; across runs the figures move with that load.\n\n\
         | route | conns | req/s | p50 ms | p99 ms | requests | errors |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
        m["cores"], m["load_average_start"], m["load_average_end"]
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
    md.push_str(ROUTE_NOTES);
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
         | widget: load bundle, `load_pay_data`, render → `kassa:ready` | {:.0} |\n\
         | the same, `mount()` after `init()`, nothing preloaded (for comparison) | {:.0} |\n",
        r["runs"],
        num(&r["blank_ms"]),
        num(&r["ready_ms"]),
        num(&r["mount_ms"])
    );
    // Issue 18: the widget is ready within 1.5 times a blank page, in the same run.
    let (blank, ready) = (num(&r["blank_ms"]), num(&r["ready_ms"]));
    if blank > 0.0 {
        let ratio = ready / blank;
        let verdict = if ratio <= READY_TARGET {
            "within"
        } else {
            "over"
        };
        let _ = writeln!(
            md,
            "\nReady / blank: **{ratio:.2}×** (target ≤ {READY_TARGET}×: {verdict} it; both \
             pages share the machine's load, so compare them within a run). The widget's \
             page embeds it as the README says: the module and the wasm preloaded, the \
             `<kassa-checkout>` element in the page, so `element.js` sends the order's \
             `load_pay_data` while the wasm downloads and compiles."
        );
    }
    md.push_str("\n![edge throughput and latency](edge.svg)\n");
    md
}
