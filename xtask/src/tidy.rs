//! The tidy test (rust-analyzer's `xtask/src/tidy.rs` habit): the architecture's
//! invariants from `ARCHITECTURE.md`, held mechanically by `cargo test -p xtask` (part of
//! `cargo xtask test`). Each rule is a pure function over file text, so each also has a
//! test showing it fires on a violation: a rule that cannot fail would prove nothing.
//!
//! The rules:
//! - every Rust file starts with a `//!` module doc saying what it owns;
//! - `shared` is sans-IO: no clock, no randomness of its own, no `worker`, no network,
//!   no file system or process in its production code or its normal dependencies;
//! - `KASSA_*` variables are named only in configuration modules (`config.rs` or a
//!   `config/` folder): every other file asks those modules;
//! - dependencies run one way: Durable Objects never import the HTTP routes (the routes
//!   call the objects); in `shared`, the second factor never imports the risk engine
//!   (risk reads the second factor's locks; both use `reason`);
//! - no module-wide `allow(dead_code)` in product code, which would hide dead code;
//! - `edge` and `widget` do not turn on `kassa-shared`'s `private-keys` feature (the
//!   `rsa` crate's private operations are not constant time; SPEC 4.4);
//! - the provider sandbox (`sandbox/`) is an independent oracle (issue 16): no Kassa
//!   crate among its dependencies but the HTTP server `kassa-httpd` (which itself has
//!   none), and no source of it names `kassa_shared`, so a misreading of a provider in
//!   `shared` cannot pass both sides of a test.

use std::path::{Path, PathBuf};

/// The crates whose sources the rules read.
const CRATES: &[&str] = &[
    "shared", "edge", "widget", "www", "httpd", "tests", "sandbox", "cli", "xtask",
];

/// Folders never read: build output and installed packages.
const SKIP_DIRS: &[&str] = &[
    "target",
    "node_modules",
    "build",
    "pkg",
    ".wrangler",
    "kassa",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !SKIP_DIRS.contains(&name.as_str()) && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// Every `.rs` file of `krate`, paths relative to the workspace root.
fn files_of(krate: &str) -> Vec<(String, String)> {
    let root = crate::cmd::root();
    let mut paths = Vec::new();
    rust_files(&root.join(krate), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{rel}: {e}"));
            (rel, text)
        })
        .collect()
}

/// Rule 1: the first non-blank line is a `//!` doc.
fn starts_with_module_doc(text: &str) -> bool {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.starts_with("//!"))
}

/// The production part of a `shared` source: test files are left out, and a file's
/// `#[cfg(test)]` module at column 0 ends what counts.
fn production_part<'a>(path: &str, text: &'a str) -> &'a str {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == "tests.rs" || name.ends_with("_tests.rs") || path.contains("/tests/") {
        return "";
    }
    text.find("\n#[cfg(test)]").map_or(text, |at| &text[..at])
}

/// What sans-IO code must not reach for (clock, randomness, runtime, network, files).
const SANS_IO_FORBIDDEN: &[&str] = &[
    "SystemTime",
    "Instant::now",
    "Date::now",
    "thread_rng",
    "OsRng",
    "getrandom",
    "worker::",
    "js_sys",
    "web_sys",
    "TcpStream",
    "TcpListener",
    "UdpSocket",
    "std::fs",
    "std::process",
    "std::env::var",
    "ureq",
];

/// Rule 2, sources: the forbidden names a production part uses (comments aside).
fn sans_io_violations(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        for word in SANS_IO_FORBIDDEN {
            if line.contains(word) {
                found.push(format!("line {}: {word}", n + 1));
            }
        }
    }
    found
}

/// Crates that bring a clock, randomness, a runtime or the network.
const SANS_IO_FORBIDDEN_DEPS: &[&str] = &[
    "worker",
    "getrandom",
    "rand",
    "ureq",
    "tokio",
    "js-sys",
    "web-sys",
    "wasm-bindgen",
];

/// Rule 2, manifest: forbidden crates in `[dependencies]` (dev-dependencies are tests').
fn sans_io_dependency_violations(manifest: &str) -> Vec<String> {
    normal_dependencies(manifest)
        .filter_map(|line| {
            let name = line
                .split(['=', '.', ' '])
                .next()
                .unwrap_or_default()
                .trim();
            SANS_IO_FORBIDDEN_DEPS
                .contains(&name)
                .then(|| name.to_owned())
        })
        .collect()
}

/// The entry lines of a manifest's `[dependencies]` table (comments left out; the
/// dev-dependencies are tests').
fn normal_dependencies(manifest: &str) -> impl Iterator<Item = &str> {
    let mut in_deps = false;
    manifest.lines().map(str::trim).filter(move |line| {
        if line.starts_with('[') {
            in_deps = *line == "[dependencies]";
            return false;
        }
        in_deps && !line.is_empty() && !line.starts_with('#')
    })
}

/// Rule 3: a configuration module may name `KASSA_*` variables.
fn is_config_module(path: &str) -> bool {
    path.ends_with("/config.rs") || path.contains("/config/")
}

fn names_kassa_variable(text: &str) -> bool {
    text.contains("\"KASSA_")
}

/// Rule 4: (files under this folder, must not use these paths).
const ONE_WAY: &[(&str, &[&str])] = &[
    ("edge/src/objects/", &["crate::routes", "super::routes"]),
    ("shared/src/second_factor/", &["crate::risk"]),
];

/// The forbidden paths `text` uses (comments aside).
fn uses_any(text: &str, paths: &[&str]) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        !l.starts_with("//") && paths.iter().any(|p| l.contains(p))
    })
}

/// Rule 5: `#![allow(dead_code)]`, or `#[allow(dead_code)]` on a `mod` item.
fn module_wide_dead_code(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    lines.iter().enumerate().any(|(i, l)| {
        if l.starts_with("#![allow(") && l.contains("dead_code") {
            return true;
        }
        l.starts_with("#[allow(")
            && l.contains("dead_code")
            && lines[i + 1..]
                .iter()
                .find(|n| !n.starts_with("#[") && !n.starts_with("//"))
                .is_some_and(|n| n.starts_with("mod ") || n.starts_with("pub mod "))
    })
}

/// Rule 6: a manifest whose `[dependencies]` turn on `kassa-shared`'s `private-keys`.
fn enables_private_keys(manifest: &str) -> bool {
    normal_dependencies(manifest)
        .any(|line| line.starts_with("kassa-shared") && line.contains("private-keys"))
}

/// Rule 7, manifests: the Kassa crates a manifest depends on in any table
/// (`[dependencies]`, `[dev-dependencies]`, `[build-dependencies]`, per-target ones),
/// renamed ones (`package = "kassa-…"`) included, except those in `allowed`.
fn kassa_dependencies(manifest: &str, allowed: &[&str]) -> Vec<String> {
    let mut in_deps = false;
    let mut found = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line.trim_matches(['[', ']']).ends_with("dependencies");
            continue;
        }
        if !in_deps || line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name = line
            .split(['=', '.', ' '])
            .next()
            .unwrap_or_default()
            .trim();
        let renamed = line
            .split("package")
            .nth(1)
            .and_then(|rest| rest.split('"').nth(1));
        for dep in [Some(name), renamed].into_iter().flatten() {
            let kassa = dep.starts_with("kassa-") || dep.starts_with("kassa_");
            if kassa && !allowed.contains(&dep) {
                found.push(dep.to_owned());
            }
        }
    }
    found
}

/// Rule 7, sources: a line naming Kassa's shared crate (comments included: the sandbox
/// documents its algorithms from the providers, not from `shared`).
fn names_shared_crate(text: &str) -> bool {
    text.contains("kassa_shared") || text.contains("kassa-shared")
}

fn fail_if_any(rule: &str, offenders: &[String]) {
    assert!(
        offenders.is_empty(),
        "tidy: {rule}:\n  {}",
        offenders.join("\n  ")
    );
}

#[test]
fn every_file_starts_with_a_module_doc() {
    let offenders: Vec<String> = CRATES
        .iter()
        .flat_map(|k| files_of(k))
        .filter(|(_, text)| !starts_with_module_doc(text))
        .map(|(path, _)| path)
        .collect();
    fail_if_any("files without a leading `//!` module doc", &offenders);
}

#[test]
fn shared_is_sans_io() {
    let mut offenders: Vec<String> = files_of("shared")
        .iter()
        .filter(|(path, _)| path.starts_with("shared/src/"))
        .flat_map(|(path, text)| {
            sans_io_violations(production_part(path, text))
                .into_iter()
                .map(move |v| format!("{path} {v}"))
        })
        .collect();
    let manifest = std::fs::read_to_string(crate::cmd::root().join("shared/Cargo.toml"))
        .unwrap_or_else(|e| panic!("shared/Cargo.toml: {e}"));
    offenders.extend(
        sans_io_dependency_violations(&manifest)
            .into_iter()
            .map(|d| format!("shared/Cargo.toml [dependencies] {d}")),
    );
    fail_if_any(
        "clock, randomness, runtime or I/O in shared (pass them in)",
        &offenders,
    );
}

#[test]
fn kassa_variables_are_named_only_in_config_modules() {
    let offenders: Vec<String> = ["shared", "edge", "widget"]
        .iter()
        .flat_map(|k| files_of(k))
        .filter(|(path, text)| {
            path.contains("/src/") && !is_config_module(path) && names_kassa_variable(text)
        })
        .map(|(path, _)| path)
        .collect();
    fail_if_any(
        "KASSA_* variables named outside a config module",
        &offenders,
    );
}

#[test]
fn dependencies_run_one_way() {
    let offenders: Vec<String> = ["edge", "shared"]
        .iter()
        .flat_map(|k| files_of(k))
        .filter(|(path, text)| {
            ONE_WAY
                .iter()
                .any(|(dir, paths)| path.starts_with(dir) && uses_any(text, paths))
        })
        .map(|(path, _)| path)
        .collect();
    fail_if_any("imports against the dependency direction", &offenders);
}

#[test]
fn no_module_wide_dead_code_allowance() {
    // Product sources only: an integration-test support module shared by several test
    // binaries is compiled into each, and each uses a part of it.
    let offenders: Vec<String> = CRATES
        .iter()
        .flat_map(|k| files_of(k))
        .filter(|(path, text)| path.contains("/src/") && module_wide_dead_code(text))
        .map(|(path, _)| path)
        .collect();
    fail_if_any("module-wide allow(dead_code)", &offenders);
}

#[test]
fn the_deployed_crates_have_no_private_key_code() {
    let offenders: Vec<String> = ["edge", "widget"]
        .iter()
        .filter(|k| {
            let path = crate::cmd::root().join(k).join("Cargo.toml");
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            enables_private_keys(&text)
        })
        .map(|k| format!("{k}/Cargo.toml"))
        .collect();
    fail_if_any(
        "kassa-shared's private-keys feature in a deployed crate",
        &offenders,
    );
}

#[test]
fn the_sandbox_is_an_independent_oracle() {
    let manifest = |krate: &str| {
        let path = crate::cmd::root().join(krate).join("Cargo.toml");
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let mut offenders: Vec<String> = kassa_dependencies(&manifest("sandbox"), &["kassa-httpd"])
        .into_iter()
        .map(|d| format!("sandbox/Cargo.toml depends on {d}"))
        .collect();
    offenders.extend(
        kassa_dependencies(&manifest("httpd"), &[])
            .into_iter()
            .map(|d| format!("httpd/Cargo.toml (a sandbox dependency) depends on {d}")),
    );
    offenders.extend(
        files_of("sandbox")
            .into_iter()
            .filter(|(_, text)| names_shared_crate(text))
            .map(|(path, _)| format!("{path} names kassa_shared")),
    );
    fail_if_any(
        "the sandbox must not use Kassa's shared crate (issue 16)",
        &offenders,
    );
}

/// Each rule fires on the violation it exists for.
#[test]
fn the_rules_can_fail() {
    assert!(!starts_with_module_doc("use std::fmt;\n//! late\n"));
    assert!(starts_with_module_doc("\n//! What this owns.\nuse x;\n"));

    let prod = production_part(
        "shared/src/a.rs",
        "fn f() {}\n#[cfg(test)]\nmod tests { std::fs::read(); }",
    );
    assert!(sans_io_violations(prod).is_empty());
    assert_eq!(
        sans_io_violations("// SystemTime in a comment\nlet t = SystemTime::now();"),
        vec!["line 2: SystemTime".to_owned()]
    );
    assert!(production_part("shared/src/order/machine_tests.rs", "std::fs").is_empty());
    assert_eq!(
        sans_io_dependency_violations(
            "[dependencies]\nserde.workspace = true\nworker = \"0.6\"\n[dev-dependencies]\nrand = \"0.8\"\n"
        ),
        vec!["worker".to_owned()]
    );

    assert!(is_config_module("edge/src/config.rs"));
    assert!(is_config_module("edge/src/config/channels.rs"));
    assert!(!is_config_module("edge/src/routes/widget_api.rs"));
    assert!(names_kassa_variable("env.var(\"KASSA_S0_URL\")"));
    assert!(!names_kassa_variable(
        "//! reads `KASSA_S0_URL` through config"
    ));

    let routes = ONE_WAY[0].1;
    assert!(uses_any("use crate::routes::widget_api::s2_order;", routes));
    assert!(!uses_any(
        "// not crate::routes here\nuse crate::config;",
        routes
    ));
    assert!(module_wide_dead_code("#![allow(dead_code)]\n"));
    assert!(module_wide_dead_code(
        "// why\n#[allow(dead_code)]\npub mod channels;\n"
    ));
    assert!(!module_wide_dead_code(
        "#[allow(dead_code)]\nfn helper() {}\n"
    ));

    assert!(enables_private_keys(
        "[dependencies]\nkassa-shared = { workspace = true, features = [\"private-keys\"] }\n"
    ));
    assert!(!enables_private_keys(
        "[dependencies]\nkassa-shared.workspace = true\n[dev-dependencies]\nkassa-shared = { workspace = true, features = [\"private-keys\"] }\n"
    ));

    let ok = "[dependencies]\n# no kassa-shared here\nkassa-httpd.workspace = true\nrsa.workspace = true\n";
    assert!(kassa_dependencies(ok, &["kassa-httpd"]).is_empty());
    assert_eq!(
        kassa_dependencies(
            "[package]\nname = \"kassa-sandbox\"\n[dev-dependencies]\nkassa-shared = { path = \"../shared\" }\n",
            &["kassa-httpd"]
        ),
        vec!["kassa-shared".to_owned()]
    );
    assert_eq!(
        kassa_dependencies(
            "[target.'cfg(unix)'.dependencies]\nproto = { package = \"kassa-shared\", path = \"../shared\" }\n",
            &[]
        ),
        vec!["kassa-shared".to_owned()]
    );
    assert!(names_shared_crate("use kassa_shared::crypto::ct;"));
    assert!(names_shared_crate("//! verified with kassa_shared"));
    assert!(!names_shared_crate(
        "//! Kassa's `shared` crate is not used here"
    ));
}
