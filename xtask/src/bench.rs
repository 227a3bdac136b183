//! `cargo xtask bench [widget]`: measurable figures into `bench/results.json` and a table
//! in `bench/REPORT.md`. Today: the widget bundle's bytes (raw / gzip -9 / brotli).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::cmd::{root, Result};
use crate::{setup, widget};

/// file, raw bytes, gzip -9 bytes, brotli bytes (when brotli is installed).
type Row = (&'static str, usize, usize, Option<usize>);

pub fn run(args: &[String]) -> Result {
    match args.first().map(String::as_str) {
        None | Some("widget") => {}
        Some(other) => return Err(format!("bench: unknown suite {other:?} (widget)")),
    }
    setup::run()?;
    let out = widget::build_bundle()?;
    let mut rows: Vec<Row> = Vec::new();
    for file in ["kassa_bg.wasm", "kassa.js"] {
        let bytes = std::fs::read(out.join(file)).map_err(|e| format!("{file}: {e}"))?;
        rows.push((
            file,
            bytes.len(),
            compressed("gzip", &["-9", "-c"], &bytes)?,
            brotli(&bytes),
        ));
    }
    let total = |f: fn(&Row) -> usize| rows.iter().map(f).sum::<usize>();
    let files: Vec<serde_json::Value> = rows
        .iter()
        .map(
            |(f, raw, gz, br)| serde_json::json!({"file": f, "raw": raw, "gzip": gz, "brotli": br}),
        )
        .collect();
    let json = serde_json::json!({
        "widget": {
            "files": files,
            "total": {"raw": total(|r| r.1), "gzip": total(|r| r.2)},
            "target_gzip_total": 120 * 1024,
        }
    });
    let dir = root().join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("bench/: {e}"))?;
    let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
    write(&dir.join("results.json"), &text)?;
    let mut md = String::from(
        "# Kassa benchmark report\n\nWritten by `cargo xtask bench`.\n\n## Widget bundle\n\n\
         | file | raw | gzip -9 | brotli |\n|---|---:|---:|---:|\n",
    );
    for (f, raw, gz, br) in &rows {
        let br = br.map_or_else(|| "n/a".to_owned(), |b| b.to_string());
        let _ = writeln!(md, "| {f} | {raw} | {gz} | {br} |");
    }
    let _ = writeln!(
        md,
        "| **total** | {} | {} | |",
        total(|r| r.1),
        total(|r| r.2)
    );
    write(&dir.join("REPORT.md"), &md)?;
    print!("{md}");
    Ok(())
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
