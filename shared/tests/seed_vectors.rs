//! Every JSON example in the seeds (stored under `tests/vectors/seeds/`, see its
//! README) parses into its wire type and serialises back to the same JSON value — or to
//! `<name>.expected.json` where Kassa's output form legitimately differs. Plus the
//! SPEC 2 input rules: unknown fields tolerated, missing required fields named, long ids
//! as numbers accepted, float ids rejected.

// Helpers outside `#[test]` fns are test code too; clippy's test exemption misses them.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use kassa_shared::providers::{lianshang as s3, paytm, s0};
use kassa_shared::surfaces::{s1, s2, s4};

/// Parses a value as `T` and serialises it back.
type Codec = fn(Value) -> Result<Value, serde_json::Error>;

fn codec<T: DeserializeOwned + Serialize>(v: Value) -> Result<Value, serde_json::Error> {
    serde_json::to_value(serde_json::from_value::<T>(v)?)
}

/// (file stem under `tests/vectors/seeds/`, wire type).
const VECTORS: &[(&str, Codec)] = &[
    (
        "s0_pre_pay_check.request",
        codec::<s0::wire::PrePayCheckRequest>,
    ),
    ("s0_pre_pay_check.response", codec::<s0::wire::Response>),
    (
        "s0_pre_pay_check.response_error",
        codec::<s0::wire::Response>,
    ),
    (
        "s0_order_call_back.request",
        codec::<s0::wire::OrderCallBackRequest>,
    ),
    ("s0_order_call_back.response", codec::<s0::wire::Response>),
    (
        "s0_order_call_back.response_error",
        codec::<s0::wire::Response>,
    ),
    (
        "s0_update_info.request",
        codec::<s0::wire::UpdateInfoRequest>,
    ),
    ("s0_update_info.response", codec::<s0::wire::Response>),
    ("s0_update_info.response_error", codec::<s0::wire::Response>),
    ("s1_pre_order.response", codec::<s1::wire::PreOrderResponse>),
    (
        "s1_callback_paytm.response",
        codec::<s1::wire::CallbackResponse>,
    ),
    (
        "s1_get_order_status.response",
        codec::<s1::wire::GetOrderStatusResponse>,
    ),
    ("s2_orders.response", codec::<s2::wire::OrdersResponse>),
    (
        "s2_load_pay_data.response",
        codec::<s2::wire::LoadPayDataResponse>,
    ),
    (
        "s2_send_payment_verify_code.response",
        codec::<s2::wire::SendVerifyCodeResponse>,
    ),
    ("s2_pay.response", codec::<s2::wire::PayResponse>),
    ("s2_quick_pay.response", codec::<s2::wire::QuickPayResponse>),
    (
        "s3_create_pay_order.request",
        codec::<s3::wire::EncryptedEnvelope>,
    ),
    (
        "s3_create_pay_order.request_plain",
        codec::<s3::wire::CreatePayOrderRequest>,
    ),
    (
        "s3_create_pay_order.response",
        codec::<s3::wire::CreatePayOrderResponse>,
    ),
    ("s4_pay_info.response", codec::<s4::wire::PayInfoResponse>),
    ("s4_status.response", codec::<s4::wire::StatusResponse>),
    (
        "s4_status_post.request",
        codec::<s4::wire::SetClientStatusRequest>,
    ),
    ("s4_status_post.response", codec::<s4::wire::Ack>),
    ("s4_withdraw.request", codec::<s4::wire::WithdrawRequest>),
    ("s4_withdraw.response", codec::<s4::wire::Ack>),
    ("s4_passwd.request", codec::<s4::wire::PasswdRequest>),
    ("s4_passwd.response", codec::<s4::wire::Ack>),
    ("s4_question.request", codec::<s4::wire::QuestionRequest>),
    ("s4_question.response", codec::<s4::wire::Ack>),
    (
        "s4_withdraw_info_post.request",
        codec::<s4::wire::SetWithdrawInfoRequest>,
    ),
    ("s4_withdraw_info_post.response", codec::<s4::wire::Ack>),
    (
        "s4_withdraw_info.response",
        codec::<s4::wire::WithdrawInfoResponse>,
    ),
    (
        "s4_check_info.response",
        codec::<s4::wire::CheckInfoResponse>,
    ),
];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/seeds")
}

fn load(stem: &str) -> Option<Value> {
    let text = std::fs::read_to_string(dir().join(format!("{stem}.json"))).ok()?;
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{stem}.json: {e}")))
}

fn vector(stem: &str) -> Value {
    load(stem).unwrap_or_else(|| panic!("{stem}.json missing"))
}

fn codec_for(stem: &str) -> Codec {
    VECTORS
        .iter()
        .find(|(s, _)| *s == stem)
        .map(|(_, c)| *c)
        .unwrap()
}

#[test]
fn every_seed_example_round_trips() {
    let mut failures = Vec::new();
    for (stem, codec) in VECTORS {
        let input = vector(stem);
        let want = load(&format!("{stem}.expected")).unwrap_or_else(|| input.clone());
        match codec(input) {
            Ok(got) if got == want => {}
            Ok(got) => failures.push(format!("{stem}: got {got}\n  want {want}")),
            Err(e) => failures.push(format!("{stem}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn expected_outputs_are_stable() {
    // The `.expected` form is Kassa's own output form: it must parse and reproduce itself.
    for (stem, codec) in VECTORS {
        if let Some(want) = load(&format!("{stem}.expected")) {
            assert_eq!(codec(want.clone()).unwrap(), want, "{stem}.expected");
        }
    }
}

#[test]
fn every_vector_file_is_listed() {
    let mut n = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let stem = name
            .strip_suffix(".json")
            .unwrap_or_else(|| panic!("stray file {name}"));
        let stem = stem.strip_suffix(".expected").unwrap_or(stem);
        assert!(
            VECTORS.iter().any(|(s, _)| *s == stem),
            "{name} is not in VECTORS"
        );
        n += 1;
    }
    assert_eq!(n, VECTORS.len() + 1, "one .expected file: S1 status");
}

/// Adds an unknown key to every object in the value, at every depth.
fn sprinkle_unknown(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.values_mut().for_each(sprinkle_unknown);
            m.insert("kassaUnknownField".into(), json!({"x": [1, "y"]}));
        }
        Value::Array(a) => a.iter_mut().for_each(sprinkle_unknown),
        _ => {}
    }
}

fn strip_unknown(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("kassaUnknownField");
            m.values_mut().for_each(strip_unknown);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_unknown),
        _ => {}
    }
}

#[test]
fn unknown_fields_are_tolerated_at_every_depth() {
    for (stem, codec) in VECTORS {
        let mut input = vector(stem);
        sprinkle_unknown(&mut input);
        let mut got = codec(input).unwrap_or_else(|e| panic!("{stem}: {e}"));
        // Opaque JSON (S0 `extend`, S4 `charge`) keeps them; typed structs drop them.
        strip_unknown(&mut got);
        let want = load(&format!("{stem}.expected")).unwrap_or_else(|| vector(stem));
        assert_eq!(got, want, "{stem}");
    }
}

#[test]
fn a_missing_required_field_is_named() {
    // Remove each top-level key in turn: either the type allows its absence, or the
    // error names exactly that key.
    let mut named = 0;
    for (stem, codec) in VECTORS {
        let input = vector(stem);
        let Value::Object(map) = &input else { continue };
        for key in map.keys() {
            let mut v = input.clone();
            v.as_object_mut().unwrap().remove(key);
            if let Err(e) = codec(v) {
                let e = e.to_string();
                assert!(
                    e.contains(&format!("missing field `{key}`")),
                    "{stem} without {key}: {e}"
                );
                named += 1;
            }
        }
    }
    assert!(named > 50, "only {named} required fields seen");
}

#[test]
fn required_fields_by_name() {
    let cases: &[(&str, &[&str], &str)] = &[
        ("s0_pre_pay_check.request", &["price"], "price"),
        (
            "s0_order_call_back.request",
            &["orderStatus"],
            "orderStatus",
        ),
        (
            "s1_pre_order.response",
            &["data", "CHECKSUMHASH"],
            "CHECKSUMHASH",
        ),
        (
            "s2_load_pay_data.response",
            &["orderInfo", "orderId"],
            "orderId",
        ),
        (
            "s2_orders.response",
            &["data", "0", "payInfo", "0", "tokenId"],
            "tokenId",
        ),
        ("s2_load_pay_data.response", &["need2FA"], "need2FA"),
        (
            "s3_create_pay_order.request_plain",
            &["newBizData", "pay_amount"],
            "pay_amount",
        ),
        (
            "s3_create_pay_order.request_plain",
            &["newBizData", "product_subject", "1", "channel_goods_price"],
            "channel_goods_price",
        ),
        (
            "s3_create_pay_order.response",
            &["newBizResponseData", "result_code"],
            "result_code",
        ),
        ("s4_pay_info.response", &["info", "status"], "status"),
        ("s4_withdraw.request", &["amount"], "amount"),
    ];
    for (stem, path, field) in cases {
        let mut v = vector(stem);
        let (last, parents) = path.split_last().unwrap();
        let mut at = &mut v;
        for p in parents {
            at = match at {
                Value::Array(a) => &mut a[p.parse::<usize>().unwrap()],
                other => &mut other[*p],
            };
        }
        assert!(
            at.as_object_mut().unwrap().remove(*last).is_some(),
            "{stem} {path:?}"
        );
        let e = codec_for(stem)(v).unwrap_err().to_string();
        assert!(
            e.contains(&format!("missing field `{field}`")),
            "{stem}: {e}"
        );
    }
}

#[test]
fn long_ids_accept_numbers_and_write_strings() {
    let mut v = vector("s2_load_pay_data.response");
    v["orderInfo"]["orderId"] = json!(476_682_884_348_973_312_u64);
    v["orderInfo"]["payInfo"][0]["itemId"] = json!(428_843_489_733_161_027_u64);
    v["userInfo"]["userId"] = json!(83_214_971_450_163_200_u64);
    let got = codec_for("s2_load_pay_data.response")(v).unwrap();
    assert_eq!(got, vector("s2_load_pay_data.response"));

    let r: s2::wire::PayRequest = serde_json::from_value(
        json!({"order_id": 476_682_884_348_973_312_u64, "verify_code": "123456"}),
    )
    .unwrap();
    assert_eq!(r.order_id.get(), 476_682_884_348_973_312);
    assert_eq!(
        serde_json::to_value(&r).unwrap()["order_id"],
        "476682884348973312"
    );
}

#[test]
fn float_and_malformed_ids_are_rejected() {
    // 4.76682884348973312e17 is what a browser would send after rounding the id.
    for bad in [
        json!(1.5),
        json!(4.766_828_843_489_733e17),
        json!(-1),
        json!("12a"),
        json!(""),
        json!(true),
    ] {
        let mut v = vector("s2_pay.response");
        v["orderId"] = bad.clone();
        assert!(codec_for("s2_pay.response")(v).is_err(), "orderId {bad}");
        let r = serde_json::from_value::<s2::wire::PayRequest>(
            json!({"order_id": bad, "verify_code": "1"}),
        );
        assert!(r.is_err(), "order_id {bad}");
    }
}

#[test]
fn quoted_ints_and_bools_read_both_forms() {
    // S1 status: the seed's example quotes it, its table says int.
    let want = vector("s1_get_order_status.response.expected");
    assert_eq!(
        codec_for("s1_get_order_status.response")(want.clone()).unwrap(),
        want
    );
    let st: s1::wire::GetOrderStatusResponse =
        serde_json::from_value(vector("s1_get_order_status.response")).unwrap();
    assert_eq!(st.data.unwrap().status, s1::status::Status::Paid);
    // S2 quick_pay: quoted booleans in the seed, written as quoted; JSON booleans
    // accepted too.
    let q: s2::wire::QuickPayResponse =
        serde_json::from_value(vector("s2_quick_pay.response")).unwrap();
    assert!(!q.process_is_end && q.need_2fa);
    let bare: s2::wire::QuickPayResponse =
        serde_json::from_value(json!({"processIsEnd": false, "need2FA": true})).unwrap();
    assert_eq!(bare, q);
    assert!(serde_json::from_value::<s2::wire::QuickPayResponse>(
        json!({"processIsEnd": "no", "need2FA": true})
    )
    .is_err());
    // S1 preOrder request: every int field may be quoted.
    let p: s1::wire::PreOrderRequest = serde_json::from_value(json!({
        "version": "v1.0", "userId": "u1", "payType": "1", "productId": "p1",
        "productType": 4, "productName": "top-up", "currencyType": "1", "amount": "200"
    }))
    .unwrap();
    assert_eq!((p.pay_type, p.currency_type, p.amount), (1, 1, 200));
    assert_eq!(serde_json::to_value(&p).unwrap()["amount"], 200);
}

#[test]
fn token_amounts_must_be_strings_and_fiat_amounts_integers() {
    let mut v = vector("s2_pay.response");
    v["payInfo"][0]["amount"] = json!(0.1575);
    assert!(
        codec_for("s2_pay.response")(v).is_err(),
        "float token amount"
    );
    let mut v = vector("s0_pre_pay_check.request");
    v["price"] = json!(1.5);
    assert!(
        codec_for("s0_pre_pay_check.request")(v).is_err(),
        "float fiat price"
    );
    let mut v = vector("s3_create_pay_order.request_plain");
    v["newBizData"]["pay_amount"] = json!(-200);
    assert!(
        codec_for("s3_create_pay_order.request_plain")(v).is_err(),
        "negative pay_amount"
    );
}

#[test]
fn paytm_callback_keeps_unknown_fields() {
    let posted = json!({
        "ORDERID": "USHARE-1514986162370", "MID": "SHAREI30408276217840",
        "TXNID": "20180103111212800110168527300011234", "TXNAMOUNT": "2.00",
        "PAYMENTMODE": "PPI", "CURRENCY": "INR", "TXNDATE": "2018-01-03 18:59:22.0",
        "STATUS": "TXN_SUCCESS", "RESPCODE": "01", "RESPMSG": "Txn Success",
        "GATEWAYNAME": "WALLET", "BANKTXNID": "", "BANKNAME": "WALLET",
        "CHECKSUMHASH": "abc=", "PROMO_CAMP_ID": "x", "IS_CHECKSUM_VALID": "Y"
    });
    let cb: paytm::wire::PaytmCallback = serde_json::from_value(posted.clone()).unwrap();
    assert_eq!(cb.status, paytm::status::TxnStatus::Success);
    assert_eq!(cb.extra.len(), 2);
    assert_eq!(serde_json::to_value(&cb).unwrap(), posted);
    let mut v = posted;
    v.as_object_mut().unwrap().remove("STATUS");
    let e = serde_json::from_value::<paytm::wire::PaytmCallback>(v)
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing field `STATUS`"), "{e}");
}

#[test]
fn status_words_match_the_labels_the_seed_sends() {
    let o: s2::wire::Order = serde_json::from_value(vector("s2_pay.response")).unwrap();
    assert_eq!(o.status.label(s2::status::Locale::ZhCn), o.status_desc);
    let l: s2::wire::LoadPayDataResponse =
        serde_json::from_value(vector("s2_load_pay_data.response")).unwrap();
    assert_eq!(
        l.order_info.status.label(s2::status::Locale::ZhCn),
        l.order_info.status_desc
    );
}
