//! `cargo xtask bench [widget|crypto|edge]`: measurable figures into `bench/results.json`
//! and a table in `bench/REPORT.md`: the widget bundle's bytes (raw / gzip -9 / brotli),
//! the shared crypto profiles' speed (criterion) next to `openssl speed`, and the edge
//! under `wrangler dev` (route throughput and latency by connection count next to a
//! trivial route, pay latency by order history, time to `kassa:ready` next to a blank
//! page; [`edge`]) with a chart in `bench/edge.svg` ([`chart`]).

mod chart;
mod edge;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::cmd::{cargo, exec, root, target_dir, Result};
use crate::{setup, widget};

/// file, raw bytes, gzip -9 bytes, brotli bytes (when brotli is installed).
type Row = (String, usize, usize, Option<usize>);

pub fn run(args: &[String]) -> Result {
    let (widget, crypto, edge) = match args.first().map(String::as_str) {
        None => (true, true, true),
        Some("widget") => (true, false, false),
        Some("crypto") => (false, true, false),
        Some("edge") => (false, false, true),
        Some(other) => {
            return Err(format!(
                "bench: unknown suite {other:?} (widget, crypto, edge)"
            ))
        }
    };
    setup::run()?;
    let mut results = serde_json::Map::new();
    if widget {
        results.insert("widget".to_owned(), widget_sizes()?);
    }
    if crypto {
        results.insert("crypto".to_owned(), crypto_ops()?);
    }
    let dir = root().join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("bench/: {e}"))?;
    if edge {
        let json = edge::measure()?;
        write(&dir.join("edge.svg"), &chart::edge_svg(&json))?;
        results.insert("edge".to_owned(), json);
    }
    // Merge into the existing file, and write the report from the merged figures, so
    // `bench widget` neither erases nor drops from the report the crypto and edge ones.
    let path = dir.join("results.json");
    let mut all: serde_json::Map<String, serde_json::Value> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    all.extend(results);
    let text = serde_json::to_string_pretty(&all).map_err(|e| e.to_string())?;
    write(&path, &text)?;
    let mut md = String::from("# Kassa benchmark report\n\nWritten by `cargo xtask bench`.\n");
    if let Some(json) = all.get("widget") {
        md.push_str(&widget_table(json));
    }
    if let Some(json) = all.get("crypto") {
        md.push_str(&crypto_table(json));
    }
    if let Some(json) = all.get("edge") {
        md.push_str(&edge::table(json));
    }
    md.push_str(
        "\nFuzzing (issue 7): cases per target, times and findings of the last long run are \
         in [FUZZ.md](FUZZ.md).\n",
    );
    write(&dir.join("REPORT.md"), &md)?;
    print!("{md}");
    Ok(())
}

/// The shared crypto profiles in criterion.
const CRYPTO_OPS: [&str; 6] = [
    "rsa2048/sign_sha256",
    "rsa2048/verify_sha256",
    "rsa2048/chunked_encrypt_2k",
    "paytm_checksum_generate",
    "webhook_hmac_sign_2k",
    "jcs_2k",
];

/// Criterion means of the shared crypto profiles, next to `openssl speed` in the same run.
fn crypto_ops() -> Result<serde_json::Value> {
    exec(cargo().args([
        "bench",
        "-p",
        "kassa-shared",
        "--bench",
        "crypto",
        "--",
        "--warm-up-time",
        "1",
        "--measurement-time",
        "3",
    ]))?;
    let mut ops = serde_json::Map::new();
    for name in CRYPTO_OPS {
        let est = target_dir()
            .join("criterion")
            .join(name)
            .join("new/estimates.json");
        let text = std::fs::read_to_string(&est).map_err(|e| format!("{}: {e}", est.display()))?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let ns = v["mean"]["point_estimate"]
            .as_f64()
            .ok_or(format!("{name}: no mean"))?;
        ops.insert(
            name.to_owned(),
            serde_json::json!({"mean_ns": ns, "ops_per_sec": 1e9 / ns}),
        );
    }
    let openssl = openssl_rsa2048();
    Ok(serde_json::json!({
        "ops": ops,
        "openssl_rsa2048": openssl.map(|(s, v)| serde_json::json!({"sign_per_sec": s, "verify_per_sec": v})),
    }))
}

fn crypto_table(json: &serde_json::Value) -> String {
    let mut table = String::from(
        "\n## shared crypto (criterion mean)\n\n| operation | mean µs | ops/s |\n|---|---:|---:|\n",
    );
    for name in CRYPTO_OPS {
        let op = &json["ops"][name];
        if let (Some(ns), Some(per_sec)) = (op["mean_ns"].as_f64(), op["ops_per_sec"].as_f64()) {
            let _ = writeln!(table, "| {name} | {:.1} | {per_sec:.0} |", ns / 1e3);
        }
    }
    let openssl = &json["openssl_rsa2048"];
    if let (Some(sign), Some(verify)) = (
        openssl["sign_per_sec"].as_f64(),
        openssl["verify_per_sec"].as_f64(),
    ) {
        let _ = writeln!(
            table,
            "\n`openssl speed rsa2048` in the same run: {sign:.0} sign/s, {verify:.0} verify/s \
             (the edge signs through WebCrypto, which runs at this native speed; the `rsa` \
             crate's private operations are for tests, the sandbox and the CLI only)."
        );
    }
    table
}

/// `openssl speed -seconds 2 rsa2048` → (sign/s, verify/s), when openssl is installed.
fn openssl_rsa2048() -> Option<(f64, f64)> {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", "2", "rsa2048"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "rsa 2048 bits 0.000690s 0.000020s   1449.3  49000.1" (older) or with encrypt/decrypt
    // columns (OpenSSL 3): the sign/s and verify/s are the first two numbers after the times.
    let line = text.lines().find(|l| {
        l.trim_start().starts_with("rsa 2048 bits") || l.trim_start().starts_with("rsa  2048 bits")
    })?;
    let nums: Vec<f64> = line
        .split_whitespace()
        .filter(|w| !w.ends_with('s'))
        .filter_map(|w| w.parse().ok())
        .collect();
    // nums = [2048, sign/s, verify/s, ...]
    Some((*nums.get(1)?, *nums.get(2)?))
}

fn widget_sizes() -> Result<serde_json::Value> {
    let out = widget::build_bundle()?;
    let mut rows: Vec<Row> = Vec::new();
    // Everything a page loads: the module, the wasm, and the module snippets it imports
    // (`<kassa-checkout>`'s `element.js`).
    let mut files = vec!["kassa_bg.wasm".to_owned(), "kassa.js".to_owned()];
    let mut snippets: Vec<String> = widget::snippet_scripts(&out.join("snippets"))?
        .iter()
        .map(|p| p.strip_prefix(&out).unwrap_or(p).display().to_string())
        .collect();
    snippets.sort();
    files.extend(snippets);
    for file in files {
        let bytes = std::fs::read(out.join(&file)).map_err(|e| format!("{file}: {e}"))?;
        rows.push((
            file,
            bytes.len(),
            compressed("gzip", &["-9", "-c"], &bytes)?,
            brotli(&bytes),
        ));
    }
    let total = |f: fn(&Row) -> usize| rows.iter().map(f).sum::<usize>();
    let brotli_total: Option<usize> = rows.iter().map(|r| r.3).sum();
    let json_row = |(f, raw, gz, br): &Row| serde_json::json!({"file": f, "raw": raw, "gzip": gz, "brotli": br});
    let files: Vec<serde_json::Value> = rows.iter().map(json_row).collect();
    // The stylesheet travels inside the wasm (a constructable sheet made from a string, so
    // a strict CSP allows it); its own figures say what of the wasm is CSS.
    let css = embedded_css()?;
    let css = (
        "style.css (inside kassa_bg.wasm)".to_owned(),
        css.len(),
        compressed("gzip", &["-9", "-c"], &css)?,
        brotli(&css),
    );
    let wasm_gzip = rows.first().map_or(0, |r| r.2);
    Ok(serde_json::json!({
        "files": files,
        "css": json_row(&css),
        "total": {"raw": total(|r| r.1), "gzip": total(|r| r.2), "brotli": brotli_total},
        "target_gzip_total": WIDGET_TARGET_GZIP,
        "crates": crate_costs(wasm_gzip)?,
    }))
}

/// The crates that make up the wasm, measured with twiggy: each crate's bytes of code and
/// data in a build of the same bundle that keeps its function names (before wasm-opt),
/// and its share of the shipped wasm's gzip in proportion (an estimate: gzip does not
/// compress every crate's code equally). Monomorphised code is counted for the crate
/// whose function it is (`serde_wasm_bindgen::…::deserialize_struct` holds the derived
/// visitors it inlines), data segments together as `(data)`.
fn crate_costs(wasm_gzip: usize) -> Result<serde_json::Value> {
    let dir = target_dir().join("kassa-bench-names");
    crate::widget::bindgen(
        cargo().env("CARGO_PROFILE_WASM_RELEASE_STRIP", "false"),
        &dir,
    )?;
    let out = Command::new("twiggy")
        .args(["top", "-n", "1000000", "--format", "json"])
        .arg(dir.join("kassa_bg.wasm"))
        .output()
        .map_err(|e| format!("twiggy: {e} (cargo xtask setup installs it)"))?;
    if !out.status.success() {
        return Err(format!("twiggy: exited with {}", out.status));
    }
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("twiggy output: {e}"))?;
    let mut by_crate: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for item in &items {
        let (Some(name), Some(size)) = (item["name"].as_str(), item["shallow_size"].as_u64())
        else {
            continue;
        };
        if let Some(krate) = crate_of(name) {
            *by_crate.entry(krate).or_default() += size;
        }
    }
    let counted: u64 = by_crate.values().sum();
    let mut rows: Vec<(String, u64)> = by_crate.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let gzip = u64::try_from(wasm_gzip).unwrap_or(0);
    Ok(serde_json::Value::Array(
        rows.into_iter()
            .map(|(krate, raw)| {
                let share = (gzip * raw).checked_div(counted).unwrap_or(0);
                serde_json::json!({"crate": krate, "raw": raw, "gzip_share": share})
            })
            .collect(),
    ))
}

/// The crate a twiggy item belongs to: the first path segment of its (demangled) name,
/// `(data)` for data segments, `None` for what is not shipped code (custom sections,
/// the names subsection itself).
fn crate_of(name: &str) -> Option<String> {
    if name.starts_with("custom section") || name.contains("subsection") {
        return None;
    }
    if name.starts_with("data segment") {
        return Some("(data)".to_owned());
    }
    // `<kassa_widget::app::App as yew::…>::run` → `kassa_widget`; `core[1a2b]::fmt` → `core`.
    let trimmed = name.trim_start_matches(['<', '&', '*', '(', ' ']);
    let trimmed = trimmed.strip_prefix("mut ").unwrap_or(trimmed);
    let end = trimmed
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(trimmed.len());
    let head = &trimmed[..end];
    // `core[c5930c85a12de822]::…`: a crate with its disambiguator.
    let rest = match trimmed[end..].strip_prefix('[') {
        Some(r) => r.split_once(']').map_or("", |(_, after)| after),
        None => &trimmed[end..],
    };
    if head.is_empty() || head.starts_with("__") {
        return Some("(other)".to_owned());
    }
    if !rest.starts_with("::") {
        // The module's own tables: `elem[0]`, `type[3]`, `global[0]`, `table[0]`,
        // `memory[0]`, `code section headers`; and wasm-bindgen's glue shims.
        return Some("(wasm sections, glue)".to_owned());
    }
    // Primitive impls (`<u128>::fmt`, `<str>::…`) are core's.
    let primitive = [
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
        "f32", "f64", "str", "char", "bool",
    ];
    if primitive.contains(&head) {
        return Some("core".to_owned());
    }
    Some(head.to_owned())
}

/// The minified stylesheet `widget/build.rs` wrote for the bundle just built (the newest
/// `style.min.css` of the `wasm-release` build).
fn embedded_css() -> Result<Vec<u8>> {
    let build = target_dir().join("wasm32-unknown-unknown/wasm-release/build");
    let entries = std::fs::read_dir(&build).map_err(|e| format!("{}: {e}", build.display()))?;
    let newest = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("kassa-widget-"))
        .map(|e| e.path().join("out/style.min.css"))
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max()
        .ok_or_else(|| format!("{}: no kassa-widget style.min.css", build.display()))?;
    std::fs::read(&newest.1).map_err(|e| format!("{}: {e}", newest.1.display()))
}

/// Issue 6: at most 120 KB gzip for everything the widget transfers.
const WIDGET_TARGET_GZIP: u64 = 120 * 1024;

fn widget_table(json: &serde_json::Value) -> String {
    let n = |v: &serde_json::Value| {
        v.as_u64()
            .map_or_else(|| "n/a".to_owned(), |n| n.to_string())
    };
    let mut md = String::from(
        "\n## Widget bundle (bytes)\n\n| file | raw | gzip -9 | brotli |\n|---|---:|---:|---:|\n",
    );
    let total = &json["total"];
    let total_row = serde_json::json!({
        "file": "**total** (files transferred)",
        "raw": total["raw"], "gzip": total["gzip"], "brotli": total["brotli"],
    });
    let rows = json["files"].as_array().into_iter().flatten();
    for f in rows.chain([&json["css"], &total_row]) {
        if let Some(name) = f["file"].as_str() {
            let _ = writeln!(
                md,
                "| {name} | {} | {} | {} |",
                n(&f["raw"]),
                n(&f["gzip"]),
                n(&f["brotli"])
            );
        }
    }
    if let Some(gz) = total["gzip"].as_u64() {
        let verdict = if gz <= WIDGET_TARGET_GZIP {
            "within"
        } else {
            "over"
        };
        let _ = writeln!(
            md,
            "\nTarget: ≤ {WIDGET_TARGET_GZIP} B (120 KB) gzip for everything the widget transfers: \
             {gz} B, {verdict} it."
        );
    }
    if let Some(crates) = json["crates"].as_array() {
        md.push_str(
            "\n### What each crate costs (twiggy)\n\n\
             Bytes of each crate's functions and of the data segments in the same bundle \
             built with its names kept (before wasm-opt), and that share of the shipped \
             wasm's gzip (proportional, an estimate). Monomorphised code counts for the crate \
             whose function it is: serde's derived visitors are inlined into \
             `serde_wasm_bindgen`'s `deserialize_struct`. Core's float formatting is not \
             linked (the vendored serde-wasm-bindgen names a float in its errors instead of \
             printing it), nor std's panic machinery (std rebuilt for size, panics abort at \
             once; `docs/decisions.md`, \"Widget bundle\").\n\n\
             | crate | raw bytes | gzip share |\n|---|---:|---:|\n",
        );
        for c in crates {
            if let Some(name) = c["crate"].as_str() {
                let _ = writeln!(
                    md,
                    "| {name} | {} | {} |",
                    n(&c["raw"]),
                    n(&c["gzip_share"])
                );
            }
        }
    }
    md
}

fn write(path: &Path, text: &str) -> Result {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Size of `bytes` through `tool args` (stdin → stdout).
fn compressed(tool: &str, args: &[&str], bytes: &[u8]) -> Result<usize> {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{tool}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(bytes).map_err(|e| format!("{tool}: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{tool}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{tool}: exited with {}", out.status));
    }
    Ok(out.stdout.len())
}

/// Brotli size when Debian's `brotli` is installed (`apt-get install brotli`).
fn brotli(bytes: &[u8]) -> Option<usize> {
    compressed("brotli", &["-q", "11", "-c"], bytes).ok()
}
