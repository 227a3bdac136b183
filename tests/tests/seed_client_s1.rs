//! A seed-S1 app against the real edge (issue 17): written from the seed text alone
//! ("shareit 支付系统协议" v1.1, `/work/shared/seeds/001_*`), with raw JSON paths and no
//! `kassa-shared` type, it does what an app of that era does and reads every field of
//! every answer the seed shows — name, JSON type, quoting:
//!
//! 1. `POST domain/pay/preOrder` → `{"code":200,"data":{CALLBACK_URL, CHANNEL_ID,
//!    CHECKSUMHASH, CUST_ID, EMAIL, INDUSTRY_TYPE_ID, MID, MOBILE_NO, ORDER_ID,
//!    TXN_AMOUNT, WEBSITE},"message":"success"}` (the seed prints the form unquoted; a
//!    form's values are strings, so strings are what the app reads);
//! 2. posts that form to Paytm (the sandbox) and pays;
//! 3. `POST domain/callback/paytm` with Paytm's result passed through as JSON
//!    ("JSON[透传paytm 数据]") → `{"code":200,"data":true,"message":"success"}`;
//! 4. `POST domain/pay/getOrderStatus` → `{"code":200,"data":{"status":1},
//!    "message":"success"}`: the table types `status` `int` and its example quotes it;
//!    Kassa emits the table's int (SPEC 2), which this app reads as a number.
//!
//! Then the same answers are snapshot (`snapshots/seed_client_s1__*.snap`) with the
//! volatile values redacted, so any later drift is a diff in review, and the S0 platform
//! is read from its own side (seed S0, `000_*`): what the sandbox's S0 received for this
//! journey, field by field — headers `accessToken` / `uid` (用户id: this app's `userId`)
//! / `orgSecret`, `prePayCheck` `{orderId: string, price: number, extend: json}` and
//! `orderCallBack` `{orderId: string, orderStatus: one of PAY_ING / PAY_SUCCESS /
//! REFUND_SUCCESS / TRADE_CLOSE, price: number, extend: json}`, and `updateInfo`
//! `{extend}` for the user the merchant names.

#![allow(clippy::unwrap_used, clippy::panic)]

use kassa_tests::edge_client::s0_vars;
use kassa_tests::harness::{agent, free_port, read_json, Edge, TempDir, MERCHANT_KEY};
use kassa_tests::sandbox::config::fixtures as f;
use kassa_tests::sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Map, Value};

/// The eleven form fields of the seed's `preOrder` example, in its order.
const FORM_FIELDS: [&str; 11] = [
    "CALLBACK_URL",
    "CHANNEL_ID",
    "CHECKSUMHASH",
    "CUST_ID",
    "EMAIL",
    "INDUSTRY_TYPE_ID",
    "MID",
    "MOBILE_NO",
    "ORDER_ID",
    "TXN_AMOUNT",
    "WEBSITE",
];

/// The seed's envelope: `code` an int, `message` a string, `data` as the route shows.
fn envelope(v: &Value) -> (u64, &Value, &str) {
    let o = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"));
    let mut keys: Vec<&str> = o.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["code", "data", "message"], "{v}");
    (
        o["code"]
            .as_u64()
            .unwrap_or_else(|| panic!("code: not an int: {v}")),
        &o["data"],
        o["message"]
            .as_str()
            .unwrap_or_else(|| panic!("message: not a string: {v}")),
    )
}

/// `name="…" value="…"` pairs of an HTML page's inputs, entities undone.
fn inputs(page: &str) -> Vec<(String, String)> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let end = tag[at..].find('"')?;
        Some(
            tag[at..at + end]
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        )
    };
    page.split("<input")
        .skip(1)
        .filter_map(|t| {
            let tag = &t[..t.find('>')?];
            Some((attr(tag, "name")?, attr(tag, "value")?))
        })
        .collect()
}

#[test]
fn a_seed_s1_app_pays_and_reads_every_field() {
    let sandbox = Sandbox::start(SandboxConfig::for_tests().unwrap()).unwrap();
    let sb = sandbox.url().to_owned();
    let dir = TempDir::new("seed-s1").unwrap();
    let port = free_port().unwrap();
    let public = format!("http://127.0.0.1:{port}");
    let s0_url = format!("{sb}/s0");
    let paytm_url = format!("{sb}/paytm");
    let mut vars = s0_vars(&s0_url).to_vec();
    vars.extend([
        ("KASSA_PUBLIC_URL", public.as_str()),
        ("KASSA_PAYTM_URL", &paytm_url),
        ("KASSA_PAYTM_MID", f::PAYTM_MID),
        ("KASSA_PAYTM_MERCHANT_KEY", f::PAYTM_KEY),
        ("KASSA_PAYTM_WEBSITE", "APP_STAGING"),
        ("KASSA_WEBHOOK_BACKOFF_MS", "200"),
    ]);
    let edge = Edge::start_on(dir.path(), port, &vars).unwrap();
    let http = agent();
    let url = edge.url();
    // The app's backend holds the merchant key (Kassa's decision: the seed shows no auth).
    let merchant = format!("Bearer {MERCHANT_KEY}");

    // 1. preOrder, as the seed's table lists the parameters.
    let (s, pre) = read_json(
        http.post(format!("{url}/pay/preOrder"))
            .header("Authorization", &merchant)
            .send_json(json!({
                "version": "v1.0", "clientVersion": "4.1.0", "userId": "CUS-1111",
                "payType": 1, "productId": "vip-30", "productType": 4,
                "productName": "VIP 30 days", "currencyType": 1, "amount": 200,
                "email": "test@gmail.com", "mobileNo": "13032038911",
            })),
    )
    .unwrap();
    assert_eq!(s, 200, "{pre} / {}", edge.log_tail());
    let (code, data, message) = envelope(&pre);
    assert_eq!((code, message), (200, "success"), "{pre}");
    let form = data.as_object().unwrap();
    let mut names: Vec<&str> = form.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, FORM_FIELDS, "exactly the seed's fields");
    let field = |name: &str| {
        form[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: not a string: {pre}"))
    };
    assert_eq!(field("CALLBACK_URL"), format!("{public}/callbacks/paytm"));
    assert_eq!(field("CHANNEL_ID"), "WAP");
    assert!(!field("CHECKSUMHASH").is_empty());
    assert_eq!(field("CUST_ID"), "CUS-1111");
    assert_eq!(field("EMAIL"), "test@gmail.com");
    assert_eq!(field("INDUSTRY_TYPE_ID"), "Retail");
    assert_eq!(field("MID"), f::PAYTM_MID);
    assert_eq!(field("MOBILE_NO"), "13032038911");
    let order_id = field("ORDER_ID").to_owned();
    assert!(order_id.bytes().all(|b| b.is_ascii_digit()), "{order_id}");
    assert_eq!(field("TXN_AMOUNT"), "2.00", "200 paise, in rupees");
    assert_eq!(field("WEBSITE"), "APP_STAGING");

    // 2. The app's web view posts the form to Paytm and the shopper pays.
    let fields: Vec<(&str, &str)> = FORM_FIELDS.iter().map(|n| (*n, field(n))).collect();
    let (s, page) = page(
        http.post(format!("{paytm_url}/theia/processTransaction"))
            .send_form(fields),
    );
    assert_eq!(s, 200, "{page}");
    let txn = inputs(&page)
        .into_iter()
        .find(|(k, _)| k == "txn_id")
        .unwrap()
        .1;
    let (s, page) = page_of(
        &http,
        &format!("{paytm_url}/theia/complete"),
        &[("txn_id", txn.as_str()), ("result", "success")],
    );
    assert_eq!(s, 200, "{page}");
    let result: Map<String, Value> = inputs(&page)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    assert_eq!(result["STATUS"], "TXN_SUCCESS", "{page}");

    // 3. The app passes Paytm's data through to the server, as JSON.
    let (s, confirmed) = read_json(
        http.post(format!("{url}/callback/paytm"))
            .send_json(Value::Object(result.clone())),
    )
    .unwrap();
    assert_eq!(s, 200, "{confirmed}");
    let (code, data, message) = envelope(&confirmed);
    assert_eq!((code, data, message), (200, &json!(true), "success"));

    // 4. getOrderStatus: `status` 1 (支付成功), an int.
    let (s, status) = read_json(
        http.post(format!("{url}/pay/getOrderStatus"))
            .header("Authorization", &merchant)
            .send_json(json!({"version": "v1.0", "userId": "CUS-1111", "orderId": order_id})),
    )
    .unwrap();
    assert_eq!(s, 200, "{status}");
    let (code, data, message) = envelope(&status);
    assert_eq!((code, message), (200, "success"));
    let data = data.as_object().unwrap();
    assert_eq!(data.keys().collect::<Vec<_>>(), ["status"]);
    assert_eq!(data["status"].as_u64(), Some(1), "{status}");

    // Snapshots of the answers, volatile values redacted.
    insta::assert_json_snapshot!("pre_order", pre, {
        ".data.CHECKSUMHASH" => "[checksum]",
        ".data.ORDER_ID" => "[order_id]",
        ".data.CALLBACK_URL" => "[public_url]/callbacks/paytm",
    });
    insta::assert_json_snapshot!("callback_paytm", confirmed);
    insta::assert_json_snapshot!("get_order_status", status);

    s0_platform_view(&http, &sb, &order_id);

    // updateInfo (seed S0 §3) through the merchant API, for this app's user.
    let extend = json!({"idCard": "425424196710155420", "sex": "男"});
    let (s, v) = read_json(
        http.post(format!("{url}/v1/s0/update_info"))
            .header("Authorization", &merchant)
            .send_json(json!({"user_id": "CUS-1111", "extend": extend})),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");
    let (_, v) = read_json(http.get(format!("{sb}/_control/s0/received")).call()).unwrap();
    let update = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["call"] == "updateInfo")
        .unwrap()
        .clone();
    assert_eq!(update["uid"], "CUS-1111", "uid: whose data: {update}");
    assert_eq!(
        update["body"],
        json!({ "extend": extend }),
        "exactly {{extend}}"
    );
    insta::assert_json_snapshot!("s0_update_info", update);
}

/// What S0 received for the order, read against seed S0 (`000_*`) field by field.
fn s0_platform_view(http: &ureq::Agent, sb: &str, order_id: &str) {
    // Relays go out from the order's alarm: wait for PAY_SUCCESS.
    let mut calls = Vec::new();
    for _ in 0..100 {
        let (_, v) = read_json(http.get(format!("{sb}/_control/s0/received")).call()).unwrap();
        calls = v["items"].as_array().unwrap().clone();
        if calls
            .iter()
            .any(|c| c["body"]["orderStatus"] == "PAY_SUCCESS")
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (_, cnt) = read_json(http.get(format!("{sb}/_control/counters")).call()).unwrap();
    assert_eq!(
        cnt["counters"]["s0.auth_rejected"].as_u64().unwrap_or(0),
        0,
        "headers accepted: {cnt}"
    );
    let mut redacted = Vec::new();
    for c in &calls {
        // `uid` (用户id): the app's own user id; the sandbox checked the credentials.
        assert_eq!(c["uid"], "CUS-1111", "{c}");
        let body = c["body"].as_object().unwrap();
        assert_eq!(
            body["orderId"].as_str(),
            Some(order_id),
            "orderId: a string: {c}"
        );
        assert!(
            body["price"].is_u64(),
            "price: a number of 分 (here paise): {c}"
        );
        assert_eq!(body["price"], 200, "{c}");
        assert!(body["extend"].is_object(), "extend: json: {c}");
        match c["call"].as_str().unwrap() {
            "prePayCheck" => {
                let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
                keys.sort_unstable();
                assert_eq!(keys, ["extend", "orderId", "price"], "{c}");
            }
            "orderCallBack" => {
                let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
                keys.sort_unstable();
                assert_eq!(keys, ["extend", "orderId", "orderStatus", "price"], "{c}");
                let st = body["orderStatus"].as_str().unwrap();
                assert!(
                    ["PAY_ING", "PAY_SUCCESS", "REFUND_SUCCESS", "TRADE_CLOSE"].contains(&st),
                    "{c}"
                );
            }
            other => panic!("unexpected S0 call {other}"),
        }
        let mut c = c.clone();
        c["body"]["orderId"] = json!("[order_id]");
        redacted.push(c);
    }
    let statuses: Vec<&str> = calls
        .iter()
        .filter_map(|c| c["body"]["orderStatus"].as_str())
        .collect();
    assert_eq!(statuses, ["PAY_ING", "PAY_SUCCESS"], "{calls:?}");
    insta::assert_json_snapshot!("s0_received", redacted);
}

/// Status and body text of an HTML answer.
fn page(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, String) {
    let mut r = resp.unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

/// A form post's page.
fn page_of(http: &ureq::Agent, url: &str, form: &[(&str, &str)]) -> (u16, String) {
    page(http.post(url).send_form(form.iter().copied()))
}
