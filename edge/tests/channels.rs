//! The channels' configuration in headless Chromium, through the edge's `channels`
//! module as the Worker uses it (keys parsed on wasm32): `cd edge &&
//! CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p
//! kassa-edge --test channels`. Every variable's rules are
//! `kassa_shared::providers::config`'s and tested natively there (this file's other
//! cases moved there); the providers' requests and answers are
//! `kassa_shared::providers`' and tested natively too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(target_arch = "wasm32")]

// Compiled into the test crate rather than linked, for the reason `webcrypto.rs` gives.
#[allow(dead_code, unused_imports)]
#[path = "../src/channels/mod.rs"]
mod channels;
#[allow(dead_code, unused_imports)]
#[path = "../src/webcrypto.rs"]
mod webcrypto;

use std::collections::BTreeMap;

use crate::channels::{ChannelConfig, ConfigError};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const PRIV_1024: &str = include_str!("../../tests/vectors/crypto/keys/rsa1024.pkcs8.pem");
const PUB_1024: &str = include_str!("../../tests/vectors/crypto/keys/rsa1024.spki.pem");

fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let m: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k| m.get(k).cloned()
}

#[wasm_bindgen_test]
fn config_names_the_variable() {
    let none = ChannelConfig::from_lookup(lookup(&[])).unwrap();
    assert_eq!(
        none.s0().unwrap_err(),
        ConfigError::NotConfigured {
            var: "KASSA_S0_URL"
        }
    );

    let err =
        ChannelConfig::from_lookup(lookup(&[("KASSA_S0_URL", "http://127.0.0.1:9/")])).unwrap_err();
    assert_eq!(
        err,
        ConfigError::Missing {
            var: "KASSA_S0_ACCESS_TOKEN",
            enabled_by: "KASSA_S0_URL"
        }
    );
    // The keys parse on wasm32 as natively; S3 notifies are RSA2 only by default.
    let s3_vars = [
        ("KASSA_S3_PRIVATE_KEY", PRIV_1024),
        ("KASSA_S3_PLATFORM_PUBLIC_KEY", PUB_1024),
        ("KASSA_S3_URL", "http://127.0.0.1:9/s3"),
        ("KASSA_PUBLIC_URL", "http://127.0.0.1:8"),
        ("KASSA_S3_MERCHANT_ID", "yx001"),
        ("KASSA_S3_CASHIER_URL", "http://127.0.0.1:9/s3/cashier"),
        ("KASSA_S3_SETTLEMENT_ID", "st1"),
        ("KASSA_S3_APPID", "app1"),
    ];
    let cfg = ChannelConfig::from_lookup(lookup(&s3_vars)).unwrap();
    let s3 = cfg.s3().unwrap();
    assert!(!s3.allow_rsa1);
    assert_eq!(s3.notify_url, "http://127.0.0.1:8/callbacks/lianshang");
}
