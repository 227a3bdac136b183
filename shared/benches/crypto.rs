//! Micro-benchmarks of the crypto profiles (`cargo xtask bench` runs them next to
//! `openssl speed` and writes both into `bench/`). Fixture keys, fixed inputs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kassa_shared::crypto::keys::{PrivateKey, PublicKey};
use kassa_shared::crypto::{chunked, jcs, rsa_sig, webhook_sig};
use kassa_shared::providers::paytm::checksum;
use rand::SeedableRng;

fn key(file: &str) -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/crypto/keys/");
    std::fs::read_to_string(format!("{dir}{file}")).unwrap()
}

/// A ~2 KB S3-like message.
fn message_2k() -> serde_json::Value {
    let items: Vec<_> = (0..12)
        .map(|i| {
            serde_json::json!({
                "channel_goods_code": format!("sku{i:04}"),
                "channel_goods_subject": "钓鱼达人 fishing master",
                "channel_goods_price": "30",
                "channel_goods_sum": "2",
                "rights_price": 3.5,
            })
        })
        .collect();
    serde_json::json!({
        "newBaseData": {"version": "2", "platform": "H5", "merchant_id": "yx001",
                        "time_stamp": "20180329170136", "compress_type": "0"},
        "newBizData": {"pay_type": 1, "out_trade_id": "912679192617639936", "pay_amount": 12345,
                       "pay_currency": "CNY", "product_subject": items,
                       "notify_url": "http://127.0.0.1:8787/callbacks/lianshang"}
    })
}

fn rsa(c: &mut Criterion) {
    let sk = PrivateKey::parse(&key("rsa2048.pkcs8.pem")).unwrap();
    let pk = PublicKey::parse(&key("rsa2048.spki.pem")).unwrap();
    let msg = b"newBaseData and newBizData canonical JSON stand-in";
    let sig = rsa_sig::sign(&sk, rsa_sig::SignAlg::Rsa2, msg).unwrap();
    let mut g = c.benchmark_group("rsa2048");
    g.bench_function("sign_sha256", |b| {
        b.iter(|| rsa_sig::sign(&sk, rsa_sig::SignAlg::Rsa2, black_box(msg)).unwrap());
    });
    g.bench_function("verify_sha256", |b| {
        b.iter(|| rsa_sig::verify(&pk, rsa_sig::SignAlg::Rsa2, black_box(msg), &sig).unwrap());
    });
    let plain = serde_json::to_vec(&message_2k()).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    g.throughput(Throughput::Bytes(plain.len() as u64));
    g.bench_function("chunked_encrypt_2k", |b| {
        b.iter(|| chunked::encrypt(&pk, black_box(&plain), false, &mut rng).unwrap());
    });
    g.finish();
}

fn symmetric(c: &mut Criterion) {
    let mut params = BTreeMap::new();
    for (k, v) in [
        ("MID", "SHAREI30408276217840"),
        ("ORDER_ID", "912679192617639936"),
        ("CUST_ID", "CUS-1111"),
        ("TXN_AMOUNT", "2.00"),
        ("CHANNEL_ID", "WAP"),
        ("WEBSITE", "APP_STAGING"),
        ("INDUSTRY_TYPE_ID", "Retail"),
        ("CALLBACK_URL", "http://127.0.0.1:8787/callbacks/paytm"),
    ] {
        params.insert(k.to_owned(), Some(v.to_owned()));
    }
    let salt = checksum::Salt::new("aB3x").unwrap();
    let key = b"kassa_paytm_key!";
    c.bench_function("paytm_checksum_generate", |b| {
        b.iter(|| checksum::generate(black_box(&params), key, &salt).unwrap());
    });
    let body = serde_json::to_vec(&message_2k()).unwrap();
    c.bench_function("webhook_hmac_sign_2k", |b| {
        b.iter(|| webhook_sig::sign(b"whsec_bench", 1_795_436_476, black_box(&body)));
    });
    let value = message_2k();
    c.bench_function("jcs_2k", |b| {
        b.iter(|| jcs::to_string(black_box(&value)).unwrap())
    });
}

criterion_group!(benches, rsa, symmetric);
criterion_main!(benches);
