//! Test-only access to the repository's known-answer vectors (`tests/vectors/crypto/`,
//! written by Python, pycryptodome and openssl — see its README), so the sandbox's own
//! implementations are checked against a third source, as the `shared` crate's are.

use std::path::PathBuf;

use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/crypto")
}

/// The `cases` of a vector file.
pub fn cases(file: &str) -> Vec<Value> {
    let path = dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    v["cases"].as_array().cloned().unwrap_or_default()
}

/// A string member of a case.
pub fn case_str<'a>(c: &'a Value, k: &str) -> &'a str {
    c[k].as_str()
        .unwrap_or_else(|| panic!("case without string {k}: {c}"))
}

/// A key fixture from `tests/vectors/crypto/keys/`.
pub fn key_text(name: &str) -> String {
    let path = dir().join("keys").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
