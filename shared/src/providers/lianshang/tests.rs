//! `createPayOrder` as values (seed S3, SPEC 4.1, 4.2): the request built, signed (here
//! with the test-side private key; the edge signs through WebCrypto, see
//! `edge/tests/webcrypto.rs`), encrypted to the platform and opened again; the answer
//! verified before it is trusted.

use rand::{rngs::StdRng, SeedableRng};
use serde_json::{json, Value};

use super::wire::ProductSubject;
use super::{sign, PayOrder, S3Config, S3Error};
use crate::callback::ProviderRef;
use crate::crypto::keys::fixtures;
use crate::crypto::SignAlg;
use crate::money::{Currency, Money};
use crate::providers::http::Response;
use crate::serde_util::Redacted;

fn parse(cfg: &S3Config, resp: &Response) -> Result<super::Created, S3Error> {
    super::parse_response(&cfg.platform_public_key, cfg.alg, resp)
}

/// Merchant key = rsa2048 (signs), platform key = rsa1024 (encrypts; test side decrypts).
fn s3_config(gzip: bool, alg: SignAlg) -> S3Config {
    S3Config {
        base_url: "http://127.0.0.1:9/s3".into(),
        cashier_url: "http://127.0.0.1:9/s3/cashier".into(),
        merchant_id: "yx001".into(),
        settlement_id: "st01".into(),
        appid: "1001".into(),
        platform: "H5".into(),
        version: "2".into(),
        pay_way: "CCB_kj,acbc_kj".into(),
        private_key: Redacted::new("only WebCrypto reads it"),
        platform_public_key: fixtures::pub1024(),
        alg,
        allow_rsa1: false,
        gzip,
        notify_url: "http://127.0.0.1:8787/callbacks/lianshang".into(),
        timeout: core::time::Duration::from_secs(2),
    }
}

fn s3_order() -> PayOrder {
    PayOrder {
        reference: ProviderRef::parse("reference", "476682884348973312A476682884348973313")
            .unwrap(),
        amount: Money::new(Currency::Cny, 200),
        user_id: Some("u-1".into()),
        items: vec![ProductSubject {
            channel_goods_code: "yxzb01".into(),
            channel_goods_subject: "钓鱼达人".into(),
            channel_goods_desc: None,
            channel_goods_sum: "1".into(),
            channel_goods_price: "200".into(),
            channel_goods_img: None,
            rights_type: None,
            rights_price: None,
        }],
        merchant_url: "https://shop.example/back".into(),
        callback_url: "https://shop.example/done".into(),
        pay_expire_min: 30,
        request_id: "att-1".into(),
        time_stamp: "20261123120700".into(),
    }
}

/// A platform answer signed on the test side with the platform's (rsa1024) private key.
fn platform_answer(alg: SignAlg, result_code: &str, tamper: bool) -> Response {
    let mut v = json!({
        "newBaseResponseData": {"version": "2", "platform": "H5", "request_id": "att-1",
            "service_name": "CreatePayOrder", "language": 0, "merchant_id": "yx001",
            "time_stamp": "20261123120701", "compress_type": "0"},
        "newBizResponseData": {"result_code": result_code, "pay_token": "tok-1",
            "wk_trade_id": "wk-9", "security_type": "", "sign": ""}
    });
    sign::sign_message(&mut v, &fixtures::priv1024(), alg).unwrap();
    if tamper {
        v["newBizResponseData"]["pay_token"] = json!("tok-evil");
    }
    Response {
        status: 200,
        body: serde_json::to_vec(&v).unwrap(),
    }
}

#[test]
fn s3_answer_is_verified_before_it_is_trusted() {
    // The response is verified with the platform key, so the "platform" here signs with
    // the private half of `platform_public_key` (rsa1024).
    let cfg = s3_config(false, SignAlg::Rsa2);
    let ok = parse(&cfg, &platform_answer(SignAlg::Rsa2, "SUCCESS", false)).unwrap();
    assert_eq!(
        (ok.pay_token.as_str(), ok.wk_trade_id.as_str()),
        ("tok-1", "wk-9")
    );
    assert_eq!(
        parse(&cfg, &platform_answer(SignAlg::Rsa2, "SUCCESS", true)),
        Err(S3Error::BadSignature)
    );
    assert!(matches!(
        parse(&cfg, &platform_answer(SignAlg::Rsa, "SUCCESS", false)),
        Err(S3Error::WeakSignature { .. })
    ));
    assert!(matches!(
        parse(&cfg, &platform_answer(SignAlg::Rsa2, "FAIL_X", false)),
        Err(S3Error::Refused { .. })
    ));
    let legacy = s3_config(false, SignAlg::Rsa);
    assert!(parse(&legacy, &platform_answer(SignAlg::Rsa, "Success", false)).is_ok());
    for (status, body) in [
        (502, b"{}".to_vec()),
        (200, b"not json".to_vec()),
        (200, br#"{"res_data":"AAAA"}"#.to_vec()),
        (200, br#"{"a":1,"a":2}"#.to_vec()),
    ] {
        assert!(parse(&cfg, &Response { status, body }).is_err());
    }
    // Signed by someone else's key (the merchant's own): rejected.
    let mut v: Value =
        serde_json::from_slice(&platform_answer(SignAlg::Rsa2, "SUCCESS", false).body).unwrap();
    sign::sign_message(&mut v, &fixtures::priv2048(), SignAlg::Rsa2).unwrap();
    let wrong_key = Response {
        status: 200,
        body: serde_json::to_vec(&v).unwrap(),
    };
    assert_eq!(parse(&cfg, &wrong_key), Err(S3Error::BadSignature));
}

#[test]
fn request_is_signed_where_shared_says_and_encrypted_to_the_platform() {
    let merchant = fixtures::priv2048();
    let merchant_pub = fixtures::pub2048();
    let mut rng = StdRng::seed_from_u64(7);
    for (gzip, alg) in [
        (false, SignAlg::Rsa2),
        (true, SignAlg::Rsa2),
        (false, SignAlg::Rsa),
    ] {
        let cfg = s3_config(gzip, alg);
        let mut message = super::build_message(&cfg, &s3_order()).unwrap();
        let text = super::signing_string(&message).unwrap();
        let sig = crate::crypto::rsa_sig::sign(&merchant, alg, text.as_bytes()).unwrap();
        super::insert_signature(&mut message, alg, sig).unwrap();
        let exchange = super::create_pay_order(&cfg, &message, &mut rng).unwrap();
        let req = exchange.request();
        assert_eq!(req.url, "http://127.0.0.1:9/s3/pai/createPayOrder");
        let envelope: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
        assert_eq!(envelope.as_object().unwrap().len(), 1);
        let opened = sign::decode_res_data(&envelope, &fixtures::priv1024()).unwrap();
        assert_eq!(sign::verify_message(&opened, &merchant_pub), Ok(alg));
        let biz = &opened["newBizData"];
        assert_eq!(biz["out_trade_id"], "476682884348973312A476682884348973313");
        assert_eq!(biz["pay_amount"], 200);
        assert_eq!(biz["security_type"], alg.security_type());
        assert_eq!(
            opened["newBaseData"]["compress_type"],
            if gzip { "1" } else { "0" }
        );
        // `insert_signature` puts it exactly where `sign::sign_message` would.
        let mut reference = super::build_message(&cfg, &s3_order()).unwrap();
        sign::sign_message(&mut reference, &merchant, alg).unwrap();
        assert_eq!(opened, reference);
    }
    let mut flat = json!({"a": 1});
    assert!(super::insert_signature(&mut flat, SignAlg::Rsa2, "x".into()).is_err());
}

#[test]
fn the_cashier_is_opened_with_the_pay_token_alone() {
    let cfg = s3_config(false, SignAlg::Rsa2);
    let h = super::cashier_handoff(&cfg.cashier_url, "tok/+=1").unwrap();
    assert_eq!(h.method, crate::surfaces::handoff::Method::Get);
    assert_eq!(
        h.url,
        "http://127.0.0.1:9/s3/cashier?pay_token=tok%2F%2B%3D1"
    );
    assert!(h.fields.is_empty());
    assert!(super::cashier_handoff("javascript:x", "t").is_err());
}
