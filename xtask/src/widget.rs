//! Builds the two wasm artefacts: the edge Worker (worker-build) and the widget bundle
//! (cargo → wasm-bindgen --target web → wasm-opt -O1 -s 1 → esbuild --minify on the JS).

use std::path::PathBuf;
use std::process::Command;

use crate::cmd::{cargo, exec, npm_bin, root, target_dir, Result};

/// wasm features rustc enables by default for wasm32-unknown-unknown; wasm-opt must be told.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
    "--enable-mutable-globals",
];

/// `edge/build/` with worker-build, using our pinned tools instead of its downloads.
pub fn build_edge() -> Result {
    exec(
        Command::new("worker-build")
            .arg("--release")
            .current_dir(root().join("edge"))
            .env("WASM_BINDGEN_BIN", "wasm-bindgen")
            .env("ESBUILD_BIN", npm_bin("esbuild"))
            .env("WASM_OPT_BIN", npm_bin("wasm-opt")),
    )
}

/// `www/kassa/{kassa.js, kassa_bg.wasm}`; returns the output directory.
pub fn build_bundle() -> Result<PathBuf> {
    exec(cargo().args([
        "build",
        "-p",
        "kassa-widget",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]))?;
    let wasm = target_dir().join("wasm32-unknown-unknown/wasm-release/kassa_widget.wasm");
    let out = root().join("www").join("kassa");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    exec(
        Command::new("wasm-bindgen")
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                "kassa",
                "--out-dir",
            ])
            .arg(&out)
            .arg(&wasm),
    )?;
    let bundle = out.join("kassa_bg.wasm");
    // -O1 (shrink level 1, plus redundant-set elimination and tail folding), not -Oz:
    // what a shopper downloads is the gzip, and -Oz's heavier inlining makes the module
    // smaller raw but larger gzipped. Measured on this bundle (2026-11-23): -Oz 268 603 B
    // / 115 054 B gz; -O1 --converge 289 460 / 109 812; these passes 287 827 / 109 369
    // (bench/REPORT.md has the current figures).
    exec(
        Command::new(npm_bin("wasm-opt"))
            .args([
                "-O1",
                "-s",
                "1",
                "--converge",
                "--rse",
                "--vacuum",
                "--code-folding",
            ])
            .args(WASM_FEATURES)
            .arg(&bundle)
            .arg("-o")
            .arg(&bundle),
    )?;
    // wasm-bindgen's glue is readable JS with long names; minified (same ES module, same
    // exports) it is ~2.8 KB less gzipped. The snippets the glue imports likewise.
    let mut scripts = vec![out.join("kassa.js")];
    scripts.extend(snippet_scripts(&out.join("snippets"))?);
    for js in &scripts {
        exec(
            Command::new(npm_bin("esbuild"))
                .arg(js)
                .args([
                    "--minify",
                    "--format=esm",
                    "--allow-overwrite",
                    "--log-level=warning",
                ])
                .arg(format!("--outfile={}", js.display())),
        )?;
    }
    let dts = root().join("widget").join("kassa.d.ts");
    if dts.exists() {
        std::fs::copy(&dts, out.join("kassa.d.ts")).map_err(|e| format!("kassa.d.ts: {e}"))?;
    }
    Ok(out)
}

/// The `.js` files under `dir` (wasm-bindgen's `snippets/<crate>/src/…`).
pub fn snippet_scripts(dir: &std::path::Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(found);
    };
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.is_dir() {
            found.extend(snippet_scripts(&path)?);
        } else if path.extension().is_some_and(|x| x == "js") {
            found.push(path);
        }
    }
    Ok(found)
}
