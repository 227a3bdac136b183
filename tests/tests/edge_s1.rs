//! The S1 compatibility surface under a real `wrangler dev` (seed S1, SPEC 3.3, 4.3):
//! `preOrder` (JSON and form-encoded, ints plain or quoted) creates a Paytm order and
//! answers the Paytm form whose `CHECKSUMHASH` verifies with the merchant key through
//! `kassa_shared` (and fails once a value is changed); `getOrderStatus` (GET and POST,
//! merchant key or the order's `client_secret`) answers S1 codes 0 and 7; every refusal
//! is `{code: 400, message}` naming the field; S0 denial refuses the form.

#![allow(clippy::unwrap_used, clippy::panic)]

use kassa_shared::providers::paytm::checksum::{self, Params};
use kassa_tests::edge_client::{merchant_order, s0_vars};
use kassa_tests::harness::{agent, read_json, Edge, TempDir, MERCHANT_KEY};
use kassa_tests::sandbox::config::fixtures as f;
use kassa_tests::sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

const AUTH: &str = "Authorization";

#[test]
fn s1_pre_order_and_status() {
    let sandbox = Sandbox::start(SandboxConfig::for_tests().unwrap()).unwrap();
    let sb = sandbox.url().to_owned();
    let dir = TempDir::new("edge-s1").unwrap();
    let s0_url = format!("{sb}/s0");
    let paytm_url = format!("{sb}/paytm");
    let mut vars = s0_vars(&s0_url).to_vec();
    vars.extend([
        ("KASSA_PUBLIC_URL", "http://127.0.0.1:9"),
        ("KASSA_PAYTM_URL", &paytm_url),
        ("KASSA_PAYTM_MID", f::PAYTM_MID),
        ("KASSA_PAYTM_MERCHANT_KEY", f::PAYTM_KEY),
        ("KASSA_PAYTM_WEBSITE", "APP_STAGING"),
    ]);
    let edge = Edge::start_with(dir.path(), &vars).unwrap();
    let http = agent();
    let url = edge.url();
    let merchant = format!("Bearer {MERCHANT_KEY}");
    let pre_order = |body: &Value| {
        read_json(
            http.post(format!("{url}/pay/preOrder"))
                .header(AUTH, &merchant)
                .send_json(body),
        )
        .unwrap()
    };
    let good = json!({
        "version": "v1.0", "clientVersion": "3.2.1", "userId": "u-s1", "payType": 1,
        "productId": "p-1", "productType": 4, "productName": "Top-up", "currencyType": 1,
        "amount": 200,
    });

    // preOrder: the form, signed with the merchant key.
    let (s, v) = pre_order(&good);
    assert_eq!(s, 200, "{v} / {}", edge.log_tail());
    assert_eq!(
        (v["code"].as_u64(), v["message"].as_str()),
        (Some(200), Some("success"))
    );
    let form = v["data"].as_object().unwrap();
    assert_eq!(form["TXN_AMOUNT"], "2.00");
    assert_eq!(form["MID"], f::PAYTM_MID);
    assert_eq!(form["CUST_ID"], "u-s1");
    assert_eq!(form["WEBSITE"], "APP_STAGING");
    assert_eq!(form["CALLBACK_URL"], "http://127.0.0.1:9/callbacks/paytm");
    let order_id = form["ORDER_ID"].as_str().unwrap().to_owned();
    let params: Params = form
        .iter()
        .filter(|(k, _)| k.as_str() != "CHECKSUMHASH")
        .map(|(k, v)| (k.clone(), Some(v.as_str().unwrap().to_owned())))
        .collect();
    let hash = form["CHECKSUMHASH"].as_str().unwrap();
    checksum::verify(&params, f::PAYTM_KEY.as_bytes(), hash).unwrap();
    let mut tampered = params.clone();
    tampered.insert("TXN_AMOUNT".into(), Some("200.00".into()));
    assert!(checksum::verify(&tampered, f::PAYTM_KEY.as_bytes(), hash).is_err());
    assert!(checksum::verify(&params, b"another_key_16b!", hash).is_err());
    // The order exists at the merchant API, in INR, with its attempt started.
    let o = merchant_order(&http, &url, &order_id).unwrap();
    assert_eq!(
        (o["amount"].as_u64(), o["currency"].as_str()),
        (Some(200), Some("INR"))
    );
    assert_eq!(o["channel"], "paytm");
    assert_eq!(o["status"], "processing");
    assert_eq!(o["metadata"]["s1_product_id"], "p-1");

    // The same as a form post with quoted ints.
    let (s, v) = read_json(
        http.post(format!("{url}/pay/preOrder"))
            .header(AUTH, &merchant)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(
                "version=v1.0&userId=u-s1-form&payType=1&productId=p-2&productType=2\
                 &productName=Video+pack&currencyType=1&amount=1999",
            ),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["data"]["TXN_AMOUNT"], "19.99");
    let (s, v) = pre_order(&{
        let mut b = good.clone();
        b["amount"] = json!("350");
        b["payType"] = json!("1");
        b
    });
    assert_eq!((s, &v["data"]["TXN_AMOUNT"]), (200, &json!("3.50")), "{v}");

    // Every refusal names its field, S1 code 400, nothing created.
    let (_, before) = read_json(
        http.get(format!("{url}/v1/orders?limit=100"))
            .header(AUTH, &merchant)
            .call(),
    )
    .unwrap();
    let count = before["data"].as_array().unwrap().len();
    let cases: Vec<(&str, Value)> = vec![
        ("userId", json!(null)),
        ("payType", json!(0)),
        ("payType", json!(2)),
        ("currencyType", json!(2)),
        ("currencyType", json!(9)),
        ("amount", json!(0)),
        ("amount", json!("12.5")),
        ("amount", json!(-3)),
        ("productType", json!(5)),
        ("productName", json!("")),
        ("version", json!("v2.0")),
        ("bogus", json!(1)),
    ];
    for (field, value) in cases {
        let mut b = good.clone();
        if value.is_null() {
            b.as_object_mut().unwrap().remove(field);
        } else {
            b[field] = value.clone();
        }
        let (s, v) = pre_order(&b);
        assert_eq!(
            (s, v["code"].as_u64()),
            (400, Some(400)),
            "{field}={value}: {v}"
        );
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{field}:")),
            "{field}={value}: {v}"
        );
        assert!(v.get("data").is_none(), "{v}");
    }
    let (s, v) = read_json(http.post(format!("{url}/pay/preOrder")).send_json(&good)).unwrap();
    assert_eq!((s, v["code"].as_u64()), (401, Some(400)), "{v}");
    let (s, v) = read_json(
        http.post(format!("{url}/pay/preOrder"))
            .header(AUTH, &merchant)
            .header("Content-Type", "application/json")
            .send("{\"version\":"),
    )
    .unwrap();
    assert_eq!((s, v["code"].as_u64()), (400, Some(400)), "{v}");
    let (_, after) = read_json(
        http.get(format!("{url}/v1/orders?limit=100"))
            .header(AUTH, &merchant)
            .call(),
    )
    .unwrap();
    assert_eq!(after["data"].as_array().unwrap().len(), count);

    let (s, v) = read_json(http.get(format!("{url}/pay/preOrder")).call()).unwrap();
    assert_eq!((s, v["code"].as_u64()), (405, Some(400)), "{v}");

    // S0 denies: no form.
    let (s, _) = read_json(
        http.post(format!("{sb}/_control/s0/prepay"))
            .send_json(json!({"outcome": "deny", "count": 1})),
    )
    .unwrap();
    assert_eq!(s, 200);
    let (s, v) = pre_order(&good);
    assert_eq!((s, v["code"].as_u64()), (409, Some(400)), "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("platform check"),
        "{v}"
    );
    assert!(v.get("data").is_none());

    // getOrderStatus, POST and GET, merchant key: processing is S1 0.
    let status_body = json!({"version": "v1.0", "userId": "u-s1", "orderId": order_id});
    let (s, v) = read_json(
        http.post(format!("{url}/pay/getOrderStatus"))
            .header(AUTH, &merchant)
            .send_json(&status_body),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v,
        json!({"code": 200, "data": {"status": 0}, "message": "success"})
    );
    let get = |auth: &str, user: &str, id: &str| {
        read_json(
            http.get(format!(
                "{url}/pay/getOrderStatus?version=v1.0&userId={user}&orderId={id}"
            ))
            .header(AUTH, auth)
            .call(),
        )
        .unwrap()
    };
    let (s, v) = get(&merchant, "u-s1", &order_id);
    assert_eq!((s, &v["data"]["status"]), (200, &json!(0)), "{v}");

    // A cancelled order is S1 7; asked with the order's own client_secret.
    let (s, o) = read_json(
        http.post(format!("{url}/v1/orders"))
            .header(AUTH, &merchant)
            .send_json(json!({"channel": "paytm", "amount": 500, "currency": "INR",
                              "user": {"id": "u-s1-c"}})),
    )
    .unwrap();
    assert_eq!(s, 201, "{o}");
    let id = o["id"].as_str().unwrap().to_owned();
    let client = format!("Bearer {}", o["client_secret"].as_str().unwrap());
    let (s, v) = get(&client, "u-s1-c", &id);
    assert_eq!((s, &v["data"]["status"]), (200, &json!(0)), "{v}");
    let (s, _) = read_json(
        http.post(format!("{url}/v1/orders/{id}/cancel"))
            .header(AUTH, &merchant)
            .send_empty(),
    )
    .unwrap();
    assert_eq!(s, 200);
    let (s, v) = get(&client, "u-s1-c", &id);
    assert_eq!((s, &v["data"]["status"]), (200, &json!(7)), "{v}");

    // Refusals name the field: another user, another order's secret, a bad id.
    let (s, v) = get(&client, "u-other", &id);
    assert_eq!((s, v["code"].as_u64()), (400, Some(400)), "{v}");
    assert!(v["message"].as_str().unwrap().starts_with("userId:"), "{v}");
    let (s, v) = get(&merchant, "u-other", &order_id);
    assert!(
        v["message"].as_str().unwrap().starts_with("userId:"),
        "{s} {v}"
    );
    let (s, v) = get(&client, "u-s1", &order_id);
    assert_eq!((s, v["code"].as_u64()), (403, Some(400)), "{v}");
    let (s, v) = get(&merchant, "u-s1", "12x");
    assert_eq!((s, v["code"].as_u64()), (400, Some(400)), "{v}");
    assert!(
        v["message"].as_str().unwrap().starts_with("orderId:"),
        "{v}"
    );
    let (s, v) = get("Bearer nope", "u-s1", &order_id);
    assert_eq!((s, v["code"].as_u64()), (401, Some(400)), "{v}");
    let (s, v) = read_json(
        http.get(format!("{url}/pay/getOrderStatus?version=v1.0&userId=u-s1"))
            .header(AUTH, &merchant)
            .call(),
    )
    .unwrap();
    assert_eq!((s, v["code"].as_u64()), (400, Some(400)), "{v}");
    assert!(
        v["message"].as_str().unwrap().starts_with("orderId:"),
        "{v}"
    );
}
