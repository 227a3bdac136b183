//! Issue 7, duplicates and order (SPEC 2 "any permutation, with duplicates, of a set of
//! verified events ends in the same state, and each state change's effects happen
//! exactly once"): for one order, every verified provider event of its life, each
//! duplicated to 1 000 callbacks in all, shuffled with a seeded RNG (seed printed; set
//! `KASSA_PROOF_SEED` to replay one) and sent concurrently over HTTP from 16 threads to
//! the real edge. Each scenario runs twice with different seeds on fresh orders; both
//! runs must end in the same state, every callback must be answered as success, and the
//! sandbox must have received exactly one merchant webhook per webhook the order owes
//! (one per status change, plus review notices) and exactly one S0 relay per S0 status.
//!
//! Scenarios (the channels' whole vocabularies):
//! - Paytm: attempt 1 `TXN_FAILURE`, attempt 2 `PENDING` then `TXN_SUCCESS` (each
//!   success confirmed through the sandbox's Transaction Status API);
//! - Ping++: `charge.succeeded`, `refund.succeeded` (its only events; the refund one
//!   Kassa asked for, so the success is applied once before it is requested);
//! - Lianshang: attempts 1 and 2 `FAIL`, attempt 3 `SUCCESS`;
//! - wallet: attempt 1 `FAILED`, attempt 2 `SUCCESS` (the success confirmed through
//!   the wallet's signed status query).
#![allow(clippy::unwrap_used, clippy::panic)]

mod callbacks_support;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use callbacks_support::{agent, json_msg, lianshang_notify, paytm_resigned, send_with, Msg, World};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde_json::{json, Value};

const CALLBACKS: usize = 1000;
const THREADS: usize = 16;

fn seed() -> u64 {
    std::env::var("KASSA_PROOF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

/// The distinct events of one order's life, for a fresh order of `w`.
type Scenario = fn(&World) -> (String, Vec<Msg>);

fn paytm(w: &World) -> (String, Vec<Msg>) {
    let id = w.create("paytm", &json!({"amount": 200, "currency": "INR"}));
    let r1 = w.start_attempt(&id, 11);
    let r2 = w.start_attempt(&id, 12);
    w.paytm_txn(&r1, "2.00");
    let failed = w.paytm_callback(&r1, "fail");
    w.paytm_txn(&r2, "2.00");
    let succeeded = w.paytm_callback(&r2, "success");
    // What Paytm posts while the bank is still deciding: same transaction, PENDING.
    let pending = paytm_resigned(
        &succeeded,
        &[
            ("STATUS", "PENDING"),
            ("RESPCODE", "402"),
            ("RESPMSG", "pending"),
        ],
    );
    (id, vec![failed, pending, succeeded])
}

fn pingpp(w: &World) -> (String, Vec<Msg>) {
    // A refund settles the order only when Kassa asked for it (issue 14), and Kassa asks
    // only for a succeeded order: the charge's success is applied once first, so in the
    // shuffle it is a duplicate of an applied event, the refund the fact that moves.
    let (id, secret) = w.create_with_secret("pingpp", &json!({"amount": 500, "currency": "CNY"}));
    w.pay(&id, &secret);
    let paid = w.pingpp_event(&id, "charge.succeeded");
    assert_eq!(w.send(&paid).0, 200);
    let refunded = w.requested_refund(&id);
    (id, vec![paid, refunded])
}

fn lianshang(w: &World) -> (String, Vec<Msg>) {
    let id = w.create("lianshang", &json!({"amount": 700, "currency": "CNY"}));
    let msgs = [(11, "FAIL"), (12, "FAIL"), (13, "SUCCESS")]
        .into_iter()
        .map(|(a, status)| {
            let r = w.start_s3_attempt(&id, a);
            let n = lianshang_notify(&r, 700, status, &format!("ln_{id}_{a}_{status}"), None);
            json_msg("/callbacks/lianshang", &n)
        })
        .collect();
    (id, msgs)
}

fn wallet(w: &World) -> (String, Vec<Msg>) {
    let id = w.create("wallet", &json!({"amount": "12.5", "token": "USDT"}));
    let msgs = [(11, "fail"), (12, "success")]
        .into_iter()
        .map(|(a, result)| {
            let r = w.start_attempt(&id, a);
            w.wallet_payment(&r, "USDT", "12.5");
            w.wallet_notify(&r, result)
        })
        .collect();
    (id, msgs)
}

/// What must be equal across runs: status, review, relays and the applied events (by
/// what they are, not by arrival order or sequence numbers).
fn fingerprint(w: &World, id: &str) -> Value {
    let order = w.order(id);
    let ev = w.events(id);
    let mut relays: Vec<&str> = ev["relays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    relays.sort_unstable();
    // Provider ids (TXNID, evt_…) differ between runs; what happened does not.
    let mut applied: Vec<&str> = ev["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["type"].as_str().unwrap())
        .collect();
    applied.sort_unstable();
    json!({
        "status": order["status"],
        "needs_review": order["needs_review"],
        "review_reasons": order["review_reasons"],
        "relays": relays,
        "applied": applied,
    })
}

fn run(w: &World, scenario: Scenario, seed: u64) -> Value {
    let (id, events) = scenario(w);
    let mut all: Vec<&Msg> = (0..CALLBACKS).map(|i| &events[i % events.len()]).collect();
    all.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    let next = AtomicUsize::new(0);
    let answers: Vec<(u16, String)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    let http = agent();
                    let mut got = Vec::new();
                    while let Some(m) = all.get(next.fetch_add(1, Ordering::Relaxed)) {
                        got.push(send_with(&http, &w.url, m));
                    }
                    got
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(answers.len(), CALLBACKS);
    let refused: Vec<_> = answers.iter().filter(|(s, _)| *s != 200).collect();
    assert!(refused.is_empty(), "seed {seed}: refused {refused:?}");

    let (hooks, relays) = w.settle(&id);
    let unique: BTreeSet<&String> = hooks.iter().collect();
    assert_eq!(
        unique.len(),
        hooks.len(),
        "seed {seed}: a webhook twice: {hooks:?}"
    );
    let order = w.order(&id);
    let seq = order["status_seq"].as_u64().unwrap() as usize;
    let reviews = order["review_reasons"].as_array().unwrap().len();
    let order_hooks = hooks.iter().filter(|h| !h.contains("_refund_")).count();
    assert_eq!(order_hooks, seq + reviews, "seed {seed}: {hooks:?}");
    callbacks_support::refund_hooks_match(&order, &hooks);
    let relay_set: BTreeSet<&String> = relays.iter().collect();
    assert_eq!(
        relay_set.len(),
        relays.len(),
        "seed {seed}: a relay twice: {relays:?}"
    );
    let owed = w.events(&id)["relays"].as_array().unwrap().len();
    assert_eq!(relays.len(), owed, "seed {seed}");
    fingerprint(w, &id)
}

#[test]
fn any_permutation_with_duplicates_ends_in_the_same_state() {
    let w = World::start("proof-duplicates", &[]);
    let base = seed();
    let scenarios: [(&str, Scenario, &str); 4] = [
        ("paytm", paytm, "succeeded"),
        ("pingpp", pingpp, "refunded"),
        ("lianshang", lianshang, "succeeded"),
        ("wallet", wallet, "succeeded"),
    ];
    for (k, (name, scenario, want)) in scenarios.into_iter().enumerate() {
        let seeds = [
            base.wrapping_add(2 * k as u64),
            base.wrapping_add(2 * k as u64 + 1),
        ];
        println!("{name}: seeds {seeds:?} (KASSA_PROOF_SEED={base})");
        let first = run(&w, scenario, seeds[0]);
        let second = run(&w, scenario, seeds[1]);
        assert_eq!(first, second, "{name}: seeds {seeds:?} ended differently");
        assert_eq!(first["status"], want, "{name}: {first}");
        assert_eq!(first["needs_review"], false, "{name}: {first}");
    }
}
