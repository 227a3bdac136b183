//! Builds the two wasm artefacts: the edge Worker (worker-build) and the widget bundle
//! (cargo → wasm-bindgen --target web → wasm-opt -Oz).

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
    exec(
        Command::new(npm_bin("wasm-opt"))
            .arg("-Oz")
            .args(WASM_FEATURES)
            .arg(&bundle)
            .arg("-o")
            .arg(&bundle),
    )?;
    let dts = root().join("widget").join("kassa.d.ts");
    if dts.exists() {
        std::fs::copy(&dts, out.join("kassa.d.ts")).map_err(|e| format!("kassa.d.ts: {e}"))?;
    }
    Ok(out)
}
