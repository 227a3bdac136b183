//! Builds the two wasm artefacts: the edge Worker (worker-build) and the widget bundle
//! (cargo → wasm-bindgen --target web → wasm-opt -O1 -s 1 → esbuild --minify on the JS),
//! then what a merchant takes: the self-hosted bundle's Subresource Integrity hashes
//! (printed, and in `www/kassa/integrity.json`; [`integrity`]) with a self-initialising
//! entry module that pins the wasm too, and the npm package (`www/kassa/npm/`, packed by
//! `npm pack`; [`npm_package`]).

use std::path::PathBuf;
use std::process::Command;

use crate::cmd::{cargo, exec, npm_bin, output, root, target_dir, Result};

mod imports;

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

/// Builds the widget's wasm (`wasm-release`) with `cargo` (the caller may add
/// environment, e.g. to keep names for twiggy) and runs wasm-bindgen on it into `out`
/// (`kassa.js`, `kassa_bg.wasm`, `snippets/`). The bundle and the bench share it.
///
/// The standard library is rebuilt for it (`-Zbuild-std`, on the stable toolchain through
/// `RUSTC_BOOTSTRAP=1`, for this one cargo call; `cargo xtask setup` installs the
/// toolchain's `rust-src`) with `optimize_for_size` and `-Cpanic=immediate-abort`: a
/// panic traps at once instead of formatting its message and location, so no panic
/// machinery, message or location string is linked. Measured and decided in
/// `docs/decisions.md` ("Widget bundle").
pub fn bindgen(cargo: &mut Command, out: &std::path::Path) -> Result {
    exec(
        cargo
            .env("CARGO_ENCODED_RUSTFLAGS", rustflags())
            .env("RUSTC_BOOTSTRAP", "1")
            .args([
                "build",
                "-p",
                "kassa-widget",
                "--target",
                "wasm32-unknown-unknown",
                "--profile",
                "wasm-release",
                "-Zbuild-std=std,panic_abort",
                "-Zbuild-std-features=optimize_for_size",
            ]),
    )?;
    let wasm = target_dir().join("wasm32-unknown-unknown/wasm-release/kassa_widget.wasm");
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
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
            .arg(out)
            .arg(&wasm),
    )
}

/// `rustc` flags for the widget's wasm only, set through `CARGO_ENCODED_RUSTFLAGS` on the
/// one cargo call that builds the bundle: with `--target`, cargo applies them to that
/// target's artefacts only (not to build scripts and proc macros), and only this build
/// uses the `wasm-release` profile, so no other build sharing the target dir sees them
/// or is rebuilt by them.
///
/// - `-Cpanic=immediate-abort` (unstable, with `-Zbuild-std`; see [`bindgen`]).
/// - `-Zlocation-detail=none`: `#[track_caller]` locations (what wasm-bindgen's
///   `unwrap_throw` adds to its message) without file, line and column.
/// - `--remap-path-prefix`: any source path left (`yew-0.23.0/src/scheduler.rs`) without
///   the directory it was built in (`/root/.cargo/registry/src/index.crates.io-…/`, the
///   toolchain's `…/lib/rustlib/src/rust/`, this checkout).
fn rustflags() -> String {
    let mut prefixes = vec![root()];
    let cargo_home = std::env::var_os("CARGO_HOME").map_or_else(
        || std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"),
        std::path::PathBuf::from,
    );
    for dir in ["registry/src", "git/checkouts"] {
        if let Ok(entries) = std::fs::read_dir(cargo_home.join(dir)) {
            prefixes.extend(entries.flatten().map(|e| e.path()));
        }
    }
    if let Some(sysroot) = output(Command::new("rustc").args(["--print", "sysroot"])) {
        prefixes.push(std::path::Path::new(&sysroot).join("lib/rustlib/src/rust"));
    }
    // The standard library's own paths, as its build already remapped them.
    if let Some(hash) = output(Command::new("rustc").arg("-vV")).and_then(|v| {
        v.lines()
            .find_map(|l| l.strip_prefix("commit-hash: ").map(str::to_owned))
    }) {
        prefixes.push(std::path::PathBuf::from(format!("/rustc/{hash}")));
    }
    let mut flags = vec![
        "-Zunstable-options".to_owned(),
        "-Cpanic=immediate-abort".to_owned(),
        "-Zlocation-detail=none".to_owned(),
    ];
    flags.extend(
        prefixes
            .iter()
            .map(|p| format!("--remap-path-prefix={}/=", p.display())),
    );
    flags.join("\x1f")
}

/// `www/kassa/{kassa.js, kassa_bg.wasm}`; returns the output directory.
pub fn build_bundle() -> Result<PathBuf> {
    let out = root().join("www").join("kassa");
    bindgen(&mut cargo(), &out)?;
    let bundle = out.join("kassa_bg.wasm");
    // -O2 without inlining (`-fimfs 0 -ocimfs 0`: no function is inlined for being small
    // or having one caller): what a shopper downloads is the gzip, and inlining makes the
    // module smaller raw but larger gzipped (copies of a body compress worse than calls
    // to one). Measured on this bundle before the import renaming (2026-12-06, wasm
    // gzip -9): -O1 -s 1 --converge --rse --vacuum --code-folding (the passes used
    // before) 129 167 B; -Oz --converge 138 270; -Oz without inlining 128 408; -Os
    // without inlining 128 198; -O3 without inlining 128 146; these 127 877.
    exec(
        Command::new(npm_bin("wasm-opt"))
            .args([
                "-O2",
                "--converge",
                "-fimfs",
                "0",
                "-ocimfs",
                "0",
                // Nothing reads them: the toolchain's versions and the features
                // (wasm-opt is told those below).
                "--strip-producers",
                "--strip-target-features",
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
    imports::shorten(&bundle, &out.join("kassa.js"))?;
    let dts = root().join("widget").join("kassa.d.ts");
    if dts.exists() {
        std::fs::copy(&dts, out.join("kassa.d.ts")).map_err(|e| format!("kassa.d.ts: {e}"))?;
    }
    let pins = integrity(&out)?;
    npm_package(&out)?;
    print_tags(&pins);
    Ok(out)
}

/// The entry a page loads with `<script type="module" integrity=…>`: it fetches the wasm
/// with its own `integrity` (a hash the entry carries, so pinning the entry pins the
/// wasm), initialises it (which defines `<kassa-checkout>`), and re-exports the module.
const ENTRY: &str = "kassa-checkout.js";

/// `sha384-…` of each file a page loads (the module, the snippets, the wasm, the entry);
/// writes the entry and `integrity.json` (`{file: hash}`), and answers the pairs.
///
/// # Errors
/// When a file cannot be read or written, or `openssl` fails.
pub fn integrity(out: &std::path::Path) -> Result<Vec<(String, String)>> {
    let wasm = sri(&out.join("kassa_bg.wasm"))?;
    let entry = format!(
        "// Generated by `cargo xtask widget`: load this with <script type=\"module\" \
         integrity=…>.\n\
         // The wasm is fetched with its own hash, so the entry's hash pins it too.\n\
         import init from \"./kassa.js\";\n\
         await init({{ module_or_path: fetch(new URL(\"./kassa_bg.wasm\", import.meta.url), \
         {{ integrity: \"{wasm}\" }}) }});\n\
         export * from \"./kassa.js\";\n"
    );
    std::fs::write(out.join(ENTRY), entry).map_err(|e| format!("{ENTRY}: {e}"))?;
    let mut files = vec![ENTRY.to_owned(), "kassa.js".to_owned()];
    let mut snippets: Vec<String> = snippet_scripts(&out.join("snippets"))?
        .iter()
        .map(|p| p.strip_prefix(out).unwrap_or(p).display().to_string())
        .collect();
    snippets.sort();
    files.extend(snippets);
    files.push("kassa_bg.wasm".to_owned());
    let mut pins = Vec::new();
    let mut json = serde_json::Map::new();
    for file in files {
        let hash = sri(&out.join(&file))?;
        json.insert(file.clone(), serde_json::Value::String(hash.clone()));
        pins.push((file, hash));
    }
    let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
    std::fs::write(out.join("integrity.json"), text).map_err(|e| format!("integrity.json: {e}"))?;
    Ok(pins)
}

/// `sha384-<base64>` of a file (W3C SRI), through `openssl dgst`.
fn sri(path: &std::path::Path) -> Result<String> {
    let out = Command::new("openssl")
        .args(["dgst", "-sha384", "-binary"])
        .arg(path)
        .output()
        .map_err(|e| format!("openssl: {e}"))?;
    if !out.status.success() || out.stdout.len() != 48 {
        return Err(format!("openssl dgst -sha384 {}: failed", path.display()));
    }
    Ok(format!("sha384-{}", base64(&out.stdout)))
}

/// RFC 4648 base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// The tags a merchant's page uses to load the self-hosted bundle pinned (README
/// "Self-hosted, pinned").
#[must_use]
pub fn tags(pins: &[(String, String)], base: &str) -> String {
    let mut html = String::new();
    for (file, hash) in pins {
        if file == "kassa.js" || file.starts_with("snippets/") {
            html.push_str(&format!(
                "<link rel=\"modulepreload\" href=\"{base}/{file}\" integrity=\"{hash}\">\n"
            ));
        }
    }
    for (file, hash) in pins {
        if file == ENTRY {
            html.push_str(&format!(
                "<script type=\"module\" src=\"{base}/{file}\" integrity=\"{hash}\"></script>\n"
            ));
        }
    }
    html
}

fn print_tags(pins: &[(String, String)]) {
    eprintln!("xtask: Subresource Integrity of www/kassa/ (also in www/kassa/integrity.json):");
    for (file, hash) in pins {
        eprintln!("  {hash}  {file}");
    }
    eprintln!("xtask: the tags for a page serving www/kassa/ at /kassa:");
    eprint!("{}", tags(pins, "/kassa"));
}

/// `www/kassa/npm/kassa-widget-<version>.tgz`: the bundle as an npm package
/// (`@kassa/widget`, an ES module with its types and README), made by `npm pack` from a
/// staging folder, so the tarball is what `npm publish` would upload.
///
/// # Errors
/// When a file cannot be copied or `npm pack` fails.
pub fn npm_package(out: &std::path::Path) -> Result<PathBuf> {
    let (version, license) = workspace_package()?;
    let dir = out.join("npm");
    let stage = dir.join("package");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&stage).map_err(|e| format!("{}: {e}", stage.display()))?;
    let copy = |from: &std::path::Path, to: &str| {
        let to = stage.join(to);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::copy(from, &to)
            .map(drop)
            .map_err(|e| format!("{}: {e}", from.display()))
    };
    for file in ["kassa.js", "kassa_bg.wasm", "kassa.d.ts", ENTRY] {
        copy(&out.join(file), file)?;
    }
    for snippet in snippet_scripts(&out.join("snippets"))? {
        let rel = snippet
            .strip_prefix(out)
            .unwrap_or(&snippet)
            .display()
            .to_string();
        copy(&snippet, &rel)?;
    }
    copy(&root().join("widget/README.md"), "README.md")?;
    let manifest = serde_json::json!({
        "name": "@kassa/widget",
        "version": version,
        "description": "The Kassa checkout widget: a drop-in payment form (WebAssembly, shadow DOM, zh-CN and en-US).",
        "license": license,
        "type": "module",
        "main": "./kassa.js",
        "types": "./kassa.d.ts",
        "exports": {
            ".": {"types": "./kassa.d.ts", "default": "./kassa.js"},
            "./kassa-checkout.js": "./kassa-checkout.js",
            "./kassa_bg.wasm": "./kassa_bg.wasm",
            "./package.json": "./package.json"
        },
        "files": ["kassa.js", "kassa_bg.wasm", "kassa.d.ts", ENTRY, "snippets/", "README.md"],
        // Loading the module defines `<kassa-checkout>` (the element snippet).
        "sideEffects": true,
    });
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    std::fs::write(stage.join("package.json"), text).map_err(|e| format!("package.json: {e}"))?;
    exec(
        Command::new("npm")
            .args(["pack", "--silent", "--pack-destination"])
            .arg(&dir)
            .current_dir(&stage),
    )?;
    let tarball = dir.join(format!("kassa-widget-{version}.tgz"));
    if !tarball.exists() {
        return Err(format!("npm pack: no {}", tarball.display()));
    }
    eprintln!("xtask: npm package {}", tarball.display());
    Ok(tarball)
}

/// `version` and `license` of `[workspace.package]`.
fn workspace_package() -> Result<(String, String)> {
    let text = std::fs::read_to_string(root().join("Cargo.toml"))
        .map_err(|e| format!("Cargo.toml: {e}"))?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| {
                let v = l
                    .trim()
                    .strip_prefix(name)?
                    .trim_start()
                    .strip_prefix('=')?;
                Some(v.trim().trim_matches('"').to_owned())
            })
            .ok_or_else(|| format!("Cargo.toml: no {name}"))
    };
    Ok((field("version")?, field("license")?))
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
