//! The channels' configuration in headless Chromium (it reads the Worker environment's
//! names): `cd edge && CHROMEDRIVER=/usr/bin/chromedriver cargo test --target
//! wasm32-unknown-unknown -p kassa-edge --test channels`. The providers' requests and
//! answers are `kassa_shared::providers`' and tested natively there.
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
    let s0_vars = [
        ("KASSA_S0_URL", "http://127.0.0.1:9/"),
        ("KASSA_S0_ACCESS_TOKEN", "t"),
        ("KASSA_S0_ORG_SECRET", "o"),
    ];
    let cfg = ChannelConfig::from_lookup(lookup(&s0_vars)).unwrap();
    let s0 = cfg.s0().unwrap();
    assert_eq!(s0.base_url, "http://127.0.0.1:9");
    assert_eq!(s0.timeout, core::time::Duration::from_secs(2));

    let mut bad_timeout = s0_vars.to_vec();
    bad_timeout.push(("KASSA_S0_TIMEOUT_MS", "soon"));
    assert!(matches!(
        ChannelConfig::from_lookup(lookup(&bad_timeout)),
        Err(ConfigError::Invalid {
            var: "KASSA_S0_TIMEOUT_MS",
            ..
        })
    ));
    assert!(matches!(
        ChannelConfig::from_lookup(lookup(&[("KASSA_PAYTM_URL", "ftp://x")])),
        Err(ConfigError::Invalid {
            var: "KASSA_PAYTM_URL",
            ..
        })
    ));
    let paytm_short_key = [
        ("KASSA_PAYTM_URL", "https://securegw-stage.paytm.in"),
        ("KASSA_PAYTM_MERCHANT_KEY", "short"),
    ];
    let err = ChannelConfig::from_lookup(lookup(&paytm_short_key)).unwrap_err();
    assert!(
        err.to_string().starts_with("KASSA_PAYTM_MERCHANT_KEY:"),
        "{err}"
    );
    assert!(!err.to_string().contains("short"));

    // S3 notifies: RSA2 only unless the legacy profile is allowed by name.
    let s3_vars = [
        ("KASSA_S3_URL", "http://127.0.0.1:9/s3"),
        ("KASSA_PUBLIC_URL", "http://127.0.0.1:8"),
        ("KASSA_S3_MERCHANT_ID", "yx001"),
        ("KASSA_S3_CASHIER_URL", "http://127.0.0.1:9/s3/cashier"),
        ("KASSA_S3_SETTLEMENT_ID", "st1"),
        ("KASSA_S3_APPID", "app1"),
        ("KASSA_S3_PRIVATE_KEY", PRIV_1024),
        ("KASSA_S3_PLATFORM_PUBLIC_KEY", PUB_1024),
    ];
    let cfg = ChannelConfig::from_lookup(lookup(&s3_vars)).unwrap();
    assert!(!cfg.s3().unwrap().allow_rsa1);
    let mut legacy = s3_vars.to_vec();
    legacy.push(("KASSA_S3_ALLOW_RSA1", "true"));
    let cfg = ChannelConfig::from_lookup(lookup(&legacy)).unwrap();
    assert!(cfg.s3().unwrap().allow_rsa1);
    legacy.pop();
    legacy.push(("KASSA_S3_ALLOW_RSA1", "sometimes"));
    assert!(matches!(
        ChannelConfig::from_lookup(lookup(&legacy)),
        Err(ConfigError::Invalid {
            var: "KASSA_S3_ALLOW_RSA1",
            ..
        })
    ));

    // The wallet knows the merchant by its API key: its id (S2 `payeeUserId`) is an
    // optional setting.
    let wallet_vars = [
        ("KASSA_WALLET_URL", "http://127.0.0.1:9/wallet"),
        ("KASSA_PUBLIC_URL", "http://127.0.0.1:8"),
        ("KASSA_WALLET_API_KEY", "k"),
        ("KASSA_WALLET_PUBLIC_KEY", PUB_1024),
    ];
    let cfg = ChannelConfig::from_lookup(lookup(&wallet_vars)).unwrap();
    assert_eq!(cfg.wallet().unwrap().merchant_id, None);
    let mut named = wallet_vars.to_vec();
    named.push(("KASSA_WALLET_MERCHANT_ID", " 7001 "));
    let cfg = ChannelConfig::from_lookup(lookup(&named)).unwrap();
    assert_eq!(cfg.wallet().unwrap().merchant_id.as_deref(), Some("7001"));
    named.pop();
    let long = "9".repeat(65);
    named.push(("KASSA_WALLET_MERCHANT_ID", &long));
    assert!(matches!(
        ChannelConfig::from_lookup(lookup(&named)),
        Err(ConfigError::Invalid {
            var: "KASSA_WALLET_MERCHANT_ID",
            ..
        })
    ));
}
