//! The fuzz driver shared by `shared/tests/fuzz_*.rs` (issue 7 "Fuzzing").
//!
//! Every target is a function of raw bytes that must not panic, whatever it is fed. One
//! [`fuzz`] call per target:
//! 1. replays every file under `tests/fuzz/corpus/<target>/` (the corpus in the repo:
//!    seed vectors, hand-picked edge cases, and any crash ever found);
//! 2. runs proptest over a mix of arbitrary bytes, arbitrary strings, and structure-aware
//!    mutations of the corpus: byte-level edits plus, for inputs that parse as JSON,
//!    edits of the value tree (a node replaced by a hostile value, a member dropped or
//!    added) before serialising again;
//! 3. on a failure writes the shrunk input to `tests/fuzz/corpus/<target>/crash-<hash>`
//!    so it is replayed by every later run, and fails.
//!
//! Case count: `PROPTEST_CASES` when set (`cargo xtask soak` sets 100 000), otherwise a
//! fast default (a few thousand, divided by a target's cost for RSA-heavy targets) so
//! the ordinary `cargo xtask test` stays in seconds.
//!
//! Why proptest rather than cargo-fuzz: cargo-fuzz needs a nightly toolchain and
//! sanitizer runtimes that CI does not carry; proptest runs on stable, inside `cargo
//! test`, and shrinks what it finds.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestError, TestRunner};
use serde_json::{json, Value};

use kassa_shared::crypto::{PrivateKey, PublicKey};

/// `<workspace>/tests`.
pub fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests")
}

fn corpus_dir(target: &str) -> PathBuf {
    tests_dir().join("fuzz/corpus").join(target)
}

/// Every file of a target's corpus, sorted by name.
pub fn corpus(target: &str) -> Vec<Vec<u8>> {
    let Ok(dir) = std::fs::read_dir(corpus_dir(target)) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = dir.filter_map(|e| Some(e.ok()?.path())).collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

/// The seed vectors (`tests/vectors/seeds/*.json`), raw.
pub fn seed_vectors() -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(tests_dir().join("vectors/seeds"))
        .unwrap()
        .filter_map(|e| Some(e.ok()?.path()))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

fn key_text(name: &str) -> String {
    std::fs::read_to_string(tests_dir().join("vectors/crypto/keys").join(name)).unwrap()
}

/// The 1024-bit fixture pair: fuzz targets sign and decrypt per case, and the key size
/// does not change which code paths run.
pub fn priv1024() -> &'static PrivateKey {
    static K: OnceLock<PrivateKey> = OnceLock::new();
    K.get_or_init(|| PrivateKey::parse(&key_text("rsa1024.pkcs8.pem")).unwrap())
}

pub fn pub1024() -> &'static PublicKey {
    static K: OnceLock<PublicKey> = OnceLock::new();
    K.get_or_init(|| PublicKey::parse(&key_text("rsa1024.spki.pem")).unwrap())
}

/// Cases per target: `PROPTEST_CASES`, else `fast / cost`.
pub fn cases(cost: u32) -> u32 {
    const FAST: u32 = 3000;
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(FAST / cost.max(1))
}

/// Fragments that break parsers more often than random bytes do.
const DICTIONARY: &[&str] = &[
    "",
    "0",
    "-",
    "+",
    ".",
    "e",
    "E",
    "1e999",
    "-1",
    "00",
    "0.0",
    "٣",
    "１",
    "\u{0}",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\"",
    "\\",
    "\\u0000",
    "\\ud800",
    "%",
    "%zz",
    "%00",
    "%ff",
    "&",
    "=",
    "+",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "null",
    "true",
    "{}",
    "[]",
    "ü",
    "用户",
    "\u{FEFF}",
    "18446744073709551616",
    "9223372036854775808",
    "9007199254740993",
    "340282366920938463463374607431768211456",
    "99999999999999999999999999999999999999.99",
    "0.000000000000000000001",
    "A",
    "AA",
    "t=",
    "v1=",
    ",v1=",
    "t=0",
    "kcs_",
    "==",
    "=",
    "/",
    "_",
    "-----BEGIN",
    "\u{1F4B0}",
];

/// Hostile JSON values for tree mutations.
fn hostile(i: usize) -> Value {
    match i % 20 {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(-1),
        3 => json!(u64::MAX),
        4 => json!(i64::MIN),
        5 => json!(1e308),
        6 => json!(0.5),
        7 => json!(9_007_199_254_740_993_u64),
        8 => json!(""),
        9 => json!("-1"),
        10 => json!("1e5"),
        11 => json!("１２"),
        12 => json!("x".repeat(4096)),
        13 => json!({}),
        14 => json!([]),
        15 => json!("null"),
        16 => (0..200).fold(json!(1), |inner, _| json!([inner])),
        17 => json!("2.001"),
        18 => json!("18446744073709551616"),
        _ => json!({"sign": "AAAA", "security_type": "RSA3"}),
    }
}

fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count_nodes).sum(),
        Value::Object(o) => o.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Applies one tree edit at the `k`-th node in pre-order.
fn edit(v: &mut Value, k: &mut usize, action: u8, payload: usize) -> bool {
    if *k == 0 {
        match action % 4 {
            0 | 1 => *v = hostile(payload),
            2 => {
                if let Value::Object(o) = v {
                    if let Some(key) = o.keys().nth(payload % o.len().max(1)).cloned() {
                        o.remove(&key);
                    }
                } else if let Value::Array(a) = v {
                    if !a.is_empty() {
                        a.remove(payload % a.len());
                    }
                }
            }
            _ => {
                if let Value::Object(o) = v {
                    let name = DICTIONARY[payload % DICTIONARY.len()];
                    o.insert(name.to_owned(), hostile(payload / 7));
                } else if let Value::Array(a) = v {
                    a.push(hostile(payload));
                }
            }
        }
        return true;
    }
    *k -= 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|c| edit(c, k, action, payload)),
        Value::Object(o) => o.values_mut().any(|c| edit(c, k, action, payload)),
        _ => false,
    }
}

/// Mutates `base` as JSON when it is JSON (`tree`), then byte by byte (`bytes`).
pub fn mutate(base: &[u8], tree: &[(usize, u8, usize)], bytes: &[(u8, usize, u8)]) -> Vec<u8> {
    let mut out = match serde_json::from_slice::<Value>(base) {
        Ok(mut v) if !tree.is_empty() => {
            for &(node, action, payload) in tree {
                let mut k = node % count_nodes(&v);
                edit(&mut v, &mut k, action, payload);
            }
            serde_json::to_vec(&v).unwrap()
        }
        _ => base.to_vec(),
    };
    for &(op, pos, byte) in bytes {
        let at = if out.is_empty() {
            0
        } else {
            pos % (out.len() + 1)
        };
        match op % 7 {
            0 if at < out.len() => out[at] ^= 1 << (byte % 8),
            1 if at < out.len() => out[at] = byte,
            2 => out.insert(at, byte),
            3 => {
                let end = (at + usize::from(byte % 16) + 1).min(out.len());
                out.drain(at.min(end)..end);
            }
            4 => out.truncate(at),
            5 => {
                let word = DICTIONARY[usize::from(byte) % DICTIONARY.len()].as_bytes();
                out.splice(at..at, word.iter().copied());
            }
            _ => {
                let end = (at + usize::from(byte % 32)).min(out.len());
                let dup = out[at.min(end)..end].to_vec();
                out.splice(at..at, dup);
            }
        }
    }
    out
}

/// Arbitrary bytes, arbitrary strings, and mutations of `bases`.
pub fn inputs(bases: Vec<Vec<u8>>) -> BoxedStrategy<Vec<u8>> {
    let raw = prop::collection::vec(any::<u8>(), 0..300);
    let text = any::<String>().prop_map(String::into_bytes);
    let words = prop::collection::vec(any::<Index>(), 0..12).prop_map(|ix| {
        ix.iter()
            .flat_map(|i| i.get(DICTIONARY).as_bytes().to_vec())
            .collect::<Vec<u8>>()
    });
    if bases.is_empty() {
        return prop_oneof![raw, text, words].boxed();
    }
    let bases = Arc::new(bases);
    let mutated = (
        any::<Index>(),
        prop::collection::vec(any::<(usize, u8, usize)>(), 0..4),
        prop::collection::vec(any::<(u8, usize, u8)>(), 0..5),
    )
        .prop_map(move |(i, tree, bytes)| mutate(i.get::<Vec<u8>>(&bases), &tree, &bytes));
    prop_oneof![1 => raw, 1 => text, 1 => words, 6 => mutated].boxed()
}

/// Runs `target` over its corpus, then over `cases(cost)` generated inputs built from the
/// corpus plus `extra_bases`. See the module docs.
pub fn fuzz(target: &str, cost: u32, extra_bases: Vec<Vec<u8>>, run: impl Fn(&[u8])) {
    let corpus = corpus(target);
    for input in &corpus {
        run(input);
    }
    let mut bases = corpus;
    bases.extend(extra_bases);
    let config = Config {
        cases: cases(cost),
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let started = Instant::now();
    let done = Cell::new(0u64);
    let result = runner.run(&inputs(bases), |input| {
        run(&input);
        done.set(done.get() + 1);
        if done.get().is_multiple_of(PROGRESS_EVERY) {
            progress(target, "", done.get(), started);
        }
        Ok(())
    });
    progress(target, "finished, ", done.get(), started);
    if let Err(TestError::Fail(reason, input)) = result {
        let path = corpus_dir(target).join(format!("crash-{:016x}", fnv(&input)));
        std::fs::create_dir_all(corpus_dir(target)).unwrap();
        std::fs::write(&path, &input).unwrap();
        panic!(
            "fuzz target `{target}` failed: {reason}; input saved to {}",
            path.display()
        );
    } else if let Err(e) = result {
        panic!("fuzz target `{target}`: {e}");
    }
}

/// Long runs (`cargo xtask soak`) print a line every this many cases, so a run cut short
/// by its time bound still tells how far each target got (`--nocapture` shows them).
const PROGRESS_EVERY: u64 = 10_000;

fn progress(target: &str, what: &str, cases: u64, started: Instant) {
    eprintln!(
        "fuzz {target}: {what}{cases} cases, {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The input as text, lossily (string parsers get every byte sequence this way).
pub fn text(input: &[u8]) -> String {
    String::from_utf8_lossy(input).into_owned()
}
