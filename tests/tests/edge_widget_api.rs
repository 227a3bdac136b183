//! The widget API (SPEC 3.1) under a real `wrangler dev`: `client_secret` auth (none,
//! forged, expired, another order's → 401 / 403, in the S2 envelope), CORS for listed
//! origins only, `load_pay_data`'s S2 shape with masked contacts and `need2FA`, and
//! `/.well-known/kassa-key.json` (SPEC 4.5); the orders list's filters and limit rules;
//! verify-code sends, their throttle and the development outbox (SPEC 5, 6); GA
//! enrolment through the merchant API.

#![allow(clippy::unwrap_used, clippy::panic)]

use kassa_shared::crypto::client_secret::{self, Claims};
use kassa_shared::id::Id;
use kassa_shared::surfaces::s2::wire::{LoadPayDataResponse, OrdersResponse};
use kassa_tests::edge_client::{create_order, merchant_get, merchant_post};
use kassa_tests::harness::{agent, read_json, Edge, TempDir, CLIENT_SECRET_KEY, MERCHANT_KEY};
use serde_json::{json, Value};

const SHOP: &str = "https://shop.example";

fn create(http: &ureq::Agent, url: &str, user: &Value) -> Value {
    let body = json!({"channel": "wallet", "amount": 1000, "currency": "CNY", "user": user});
    create_order(http, url, &body).unwrap()
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn header(resp: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[test]
fn widget_api_auth_cors_load_pay_data_and_key() {
    let dir = TempDir::new("edge-widget").unwrap();
    let edge = Edge::start_with(
        dir.path(),
        &[(
            "KASSA_ALLOWED_ORIGINS",
            "https://other.example, https://shop.example",
        )],
    )
    .unwrap();
    let http = agent();
    let url = edge.url();
    let user =
        json!({"id": "83214971450163200", "mobile": "18600000001", "email": "zhangsan@163.com"});
    let order = create(&http, &url, &user);
    let id = order["id"].as_str().unwrap().to_owned();
    let secret = order["client_secret"].as_str().unwrap().to_owned();
    let other = create(&http, &url, &json!({"id": "2"}));
    let other_secret = other["client_secret"].as_str().unwrap().to_owned();
    let lpd = format!("{url}/api/payment/order/load_pay_data");

    // GET with the order's own token: the S2 shape.
    let (s, v) = read_json(
        http.get(format!("{lpd}?order_id={id}"))
            .header("Authorization", &format!("Bearer {secret}"))
            .call(),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");
    let info = &v["orderInfo"];
    assert_eq!(info["orderId"], id.as_str());
    assert_eq!(info["status"], "WAIT_FOR_PAYMENT");
    assert_eq!(info["statusDesc"], "待支付");
    assert_eq!(info["payInfo"][0]["amount"], "10.00");
    assert_eq!(info["payInfo"][0]["tokenId"], "CNY");
    assert_eq!(info["payInfo"][0]["paidAmount"], "0");
    // Nothing refunded is "0" too, as the seed writes it, not the currency's "0.00".
    assert_eq!(info["payInfo"][0]["refundedAmount"], "0");
    assert!(info["expired"].as_str().unwrap().len() == 13, "{info}");
    assert_eq!(info["payerUserId"], "83214971450163200");
    assert_eq!(v["userInfo"]["mobile"], "186****0001");
    assert_eq!(
        v["userInfo"]["email"],
        kassa_shared::mask::email("zhangsan@163.com")
    );
    assert!(!v.to_string().contains("18600000001"));
    assert!(!v.to_string().contains("zhangsan@"));
    // An untrusted user on a new device needs a code; the code goes to the phone.
    assert_eq!(v["need2FA"], true);
    assert_eq!(v["authType"], "MOBILE");
    // The answer is `shared`'s S2 type, field for field (issue 17: no parallel shapes).
    let typed: LoadPayDataResponse = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), v);

    // POST body, with English labels.
    let (s, v) = read_json(
        http.post(&lpd)
            .header("Authorization", &format!("Bearer {secret}"))
            .header("Accept-Language", "en-US")
            .send_json(json!({"order_id": id})),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["orderInfo"]["statusDesc"], "Awaiting payment");

    // No token, a forged token, an expired token → 401; another order's token → 403.
    let (s, v) = read_json(http.get(format!("{lpd}?order_id={id}")).call()).unwrap();
    assert_eq!((s, v["status"].as_u64()), (401, Some(401)), "{v}");
    let forged = format!("{}x", &secret[..secret.len() - 1]);
    let (s, v) = read_json(
        http.get(format!("{lpd}?order_id={id}"))
            .header("Authorization", &format!("Bearer {forged}"))
            .call(),
    )
    .unwrap();
    assert_eq!(s, 401, "{v}");
    let now = now_secs();
    let expired = client_secret::issue(
        CLIENT_SECRET_KEY.as_bytes(),
        &Claims {
            order_id: id.parse::<Id>().unwrap(),
            user_id: "83214971450163200".into(),
            expires_at: now - 5,
        },
        now - 100,
    )
    .unwrap();
    let (s, v) = read_json(
        http.get(format!("{lpd}?order_id={id}"))
            .header("Authorization", &format!("Bearer {expired}"))
            .call(),
    )
    .unwrap();
    assert_eq!(s, 401, "{v}");
    let (s, v) = read_json(
        http.get(format!("{lpd}?order_id={id}"))
            .header("Authorization", &format!("Bearer {other_secret}"))
            .call(),
    )
    .unwrap();
    assert_eq!((s, v["status"].as_u64()), (403, Some(403)), "{v}");
    assert_eq!(v["code"], "forbidden");

    // Bad input names the field, in the S2 envelope.
    let (s, v) = read_json(
        http.get(format!("{lpd}?order_id={id}&bogus=1"))
            .header("Authorization", &format!("Bearer {secret}"))
            .call(),
    )
    .unwrap();
    assert_eq!((s, v["field"].as_str()), (400, Some("bogus")), "{v}");
    let (s, v) = read_json(
        http.get(&lpd)
            .header("Authorization", &format!("Bearer {secret}"))
            .call(),
    )
    .unwrap();
    assert_eq!((s, v["field"].as_str()), (400, Some("order_id")), "{v}");
    let (s, v) = read_json(http.get(format!("{url}/api/payment/nope")).call()).unwrap();
    assert_eq!((s, v["status"].as_u64()), (404, Some(404)), "{v}");
    let (s, v) = read_json(http.delete(&lpd).call()).unwrap();
    assert_eq!((s, v["status"].as_u64()), (405, Some(405)), "{v}");

    // CORS: a listed origin gets the headers (preflight and actual), another none.
    let resp = http
        .options(&lpd)
        .header("Origin", SHOP)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(
        header(&resp, "access-control-allow-origin").as_deref(),
        Some(SHOP)
    );
    assert!(header(&resp, "access-control-allow-headers")
        .unwrap()
        .contains("Authorization"));
    let resp = http
        .options(&lpd)
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .call()
        .unwrap();
    assert_eq!(header(&resp, "access-control-allow-origin"), None);
    let resp = http
        .get(format!("{lpd}?order_id={id}"))
        .header("Origin", SHOP)
        .header("Authorization", &format!("Bearer {secret}"))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        header(&resp, "access-control-allow-origin").as_deref(),
        Some(SHOP)
    );
    // Errors carry CORS too, so the widget can read them.
    let resp = http
        .get(format!("{lpd}?order_id={id}"))
        .header("Origin", SHOP)
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(
        header(&resp, "access-control-allow-origin").as_deref(),
        Some(SHOP)
    );
    let resp = http
        .get(format!("{lpd}?order_id={id}"))
        .header("Origin", "https://evil.example")
        .header("Authorization", &format!("Bearer {secret}"))
        .call()
        .unwrap();
    assert_eq!(header(&resp, "access-control-allow-origin"), None);
    // The merchant API never answers CORS.
    let resp = http
        .get(format!("{url}/v1/orders/{id}"))
        .header("Origin", SHOP)
        .header("Authorization", &format!("Bearer {MERCHANT_KEY}"))
        .call()
        .unwrap();
    assert_eq!(header(&resp, "access-control-allow-origin"), None);

    // The OAEP public key as a JWK.
    let (s, v) = read_json(http.get(format!("{url}/.well-known/kassa-key.json")).call()).unwrap();
    assert_eq!(s, 200, "{v}");
    let k = &v["keys"][0];
    assert_eq!(k["kty"], "RSA");
    assert_eq!(k["alg"], "RSA-OAEP-256");
    assert_eq!(k["e"], "AQAB");
    assert!(k["n"].as_str().unwrap().len() >= 342, "{k}");
    assert!(k.get("d").is_none());
}

fn list(http: &ureq::Agent, url: &str, secret: &str, query: &str) -> (u16, Value) {
    read_json(
        http.get(format!("{url}/api/payment/orders?{query}"))
            .header("Authorization", &format!("Bearer {secret}"))
            .call(),
    )
    .unwrap()
}

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderId"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn orders_list_filters_and_limits() {
    let dir = TempDir::new("edge-widget-list").unwrap();
    // Not development: the dev outbox does not exist.
    let edge = Edge::start_with(dir.path(), &[("KASSA_ENV", "production")]).unwrap();
    let http = agent();
    let url = edge.url();
    let (s, v) = merchant_get(&http, &url, "/v1/dev/outbox?order_id=1").unwrap();
    assert_eq!(s, 404, "{v}");
    // ... and a verify code goes to the merchant as a signed webhook instead.
    let order = create(
        &http,
        &url,
        &json!({"id": "u-prod", "mobile": "18600000003"}),
    );
    let (s, v) = read_json(
        http.post(format!("{url}/api/payment/order/send_payment_verify_code"))
            .header(
                "Authorization",
                &format!("Bearer {}", order["client_secret"].as_str().unwrap()),
            )
            .send_json(json!({"order_id": order["id"]})),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");
    let (s, w) = read_json(
        http.get(format!(
            "{url}/v1/orders/{}/webhooks",
            order["id"].as_str().unwrap()
        ))
        .header("Authorization", &format!("Bearer {MERCHANT_KEY}"))
        .call(),
    )
    .unwrap();
    assert_eq!(s, 200, "{w}");
    assert!(w.to_string().contains("verification_code.requested"), "{w}");
    let me = json!({"id": "7001"});
    let o: Vec<Value> = (0..3).map(|_| create(&http, &url, &me)).collect();
    let _other = create(&http, &url, &json!({"id": "7002"}));
    let id = |i: usize| o[i]["id"].as_str().unwrap().to_owned();
    // The list is the user's: it takes a user token from the merchant, not an order's
    // client_secret (issue 14 item 8).
    let (s, t) = merchant_post(&http, &url, "/v1/users/7001/tokens", &json!({})).unwrap();
    assert_eq!(s, 201, "{t}");
    let secret = t["token"].as_str().unwrap().to_owned();
    let (s, v) = list(&http, &url, o[0]["client_secret"].as_str().unwrap(), "");
    assert_eq!((s, v["code"].as_str()), (403, Some("forbidden")), "{v}");
    let (s, v) = read_json(
        http.post(format!("{url}/v1/orders/{}/cancel", id(1)))
            .header("Authorization", &format!("Bearer {MERCHANT_KEY}"))
            .send_empty(),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");

    // Newest first, only the token's user.
    let (s, v) = list(&http, &url, &secret, "");
    assert_eq!((s, v["status"].as_i64()), (200, Some(0)), "{v}");
    let typed: OrdersResponse = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), v);
    assert_eq!(ids(&v), vec![id(2), id(1), id(0)]);
    assert!(v["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["payerUserId"] == "7001"));

    // limit: default 20, above 100 clamps to 100, 0 and garbage are refused.
    assert_eq!(
        ids(&list(&http, &url, &secret, "limit=2").1),
        vec![id(2), id(1)]
    );
    assert_eq!(ids(&list(&http, &url, &secret, "limit=1000").1).len(), 3);
    let (s, v) = list(&http, &url, &secret, "limit=0");
    assert_eq!((s, v["field"].as_str()), (400, Some("limit")), "{v}");
    let (s, v) = list(&http, &url, &secret, "limit=ten");
    assert_eq!((s, v["field"].as_str()), (400, Some("limit")), "{v}");

    // status (S2 codes).
    assert_eq!(ids(&list(&http, &url, &secret, "status=4").1), vec![id(1)]);
    assert_eq!(
        ids(&list(&http, &url, &secret, "status=0").1),
        vec![id(2), id(0)]
    );
    let (s, v) = list(&http, &url, &secret, "status=9");
    assert_eq!((s, v["field"].as_str()), (400, Some("status")), "{v}");

    // Id bounds, inclusive.
    let q = format!("from_id={}", id(1));
    assert_eq!(ids(&list(&http, &url, &secret, &q).1), vec![id(2), id(1)]);
    let q = format!("to_id={}", id(1));
    assert_eq!(ids(&list(&http, &url, &secret, &q).1), vec![id(1), id(0)]);
    let (s, v) = list(&http, &url, &secret, "from_id=abc");
    assert_eq!((s, v["field"].as_str()), (400, Some("from_id")), "{v}");

    // Time: a closed interval on `created`.
    let created = o[1]["created_ms"].as_u64().unwrap();
    let q = format!("start_time={created}&end_time={created}");
    let got = ids(&list(&http, &url, &secret, &q).1);
    assert!(got.contains(&id(1)), "{got:?}");
    let q = format!("start_time={}", created + 1);
    assert!(!ids(&list(&http, &url, &secret, &q).1).contains(&id(1)));

    // Unknown parameter; no token.
    let (s, v) = list(&http, &url, &secret, "sort=asc");
    assert_eq!((s, v["field"].as_str()), (400, Some("sort")), "{v}");
    let (s, v) = read_json(http.get(format!("{url}/api/payment/orders")).call()).unwrap();
    assert_eq!((s, v["status"].as_u64()), (401, Some(401)), "{v}");
}

#[test]
fn verify_code_send_throttle_and_dev_outbox() {
    let dir = TempDir::new("edge-widget-code").unwrap();
    let edge = Edge::start(dir.path()).unwrap();
    let http = agent();
    let url = edge.url();
    let order = create(
        &http,
        &url,
        &json!({"id": "u-code", "mobile": "18600000001"}),
    );
    let id = order["id"].as_str().unwrap().to_owned();
    let secret = order["client_secret"].as_str().unwrap().to_owned();
    let send = |token: &str| {
        read_json(
            http.post(format!("{url}/api/payment/order/send_payment_verify_code"))
                .header("Authorization", &format!("Bearer {token}"))
                .send_json(json!({"order_id": id})),
        )
        .unwrap()
    };
    let (s, v) = send(&secret);
    assert_eq!(s, 200, "{v}");
    let send_id = v["orderId"].as_str().unwrap().to_owned();
    assert!(send_id.parse::<u64>().unwrap() > 0);

    // The dev outbox has the code, in clear, for that send (merchant key only).
    let outbox = format!("{url}/v1/dev/outbox?order_id={id}");
    let (s, v) = read_json(http.get(&outbox).call()).unwrap();
    assert_eq!(s, 401, "{v}");
    let (s, v) = read_json(
        http.get(&outbox)
            .header("Authorization", &format!("Bearer {MERCHANT_KEY}"))
            .call(),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");
    let msg = &v["data"][0];
    assert_eq!(msg["send_id"], send_id.as_str());
    assert_eq!(msg["auth_type"], "MOBILE");
    let code = msg["code"].as_str().unwrap();
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{msg}"
    );

    // A second send within 60 s: 429 with the wait.
    let resp = http
        .post(format!("{url}/api/payment/order/send_payment_verify_code"))
        .header("Authorization", &format!("Bearer {secret}"))
        .send_json(json!({"order_id": id}))
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    let retry: u64 = header(&resp, "retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let (s, v) = send(&secret);
    assert_eq!((s, v["status"].as_u64()), (429, Some(429)), "{v}");
    assert_eq!(v["code"], "code_send_too_soon");
    assert!(v["retry_after_ms"].as_u64().unwrap() <= 60_000);

    // Auth and input rules hold here too.
    let (s, _) = send("kcs_forged.token");
    assert_eq!(s, 401);
    let (s, v) = read_json(
        http.post(format!("{url}/api/payment/order/send_payment_verify_code"))
            .header("Authorization", &format!("Bearer {secret}"))
            .send_json(json!({"order_id": id, "to": "x"})),
    )
    .unwrap();
    assert_eq!((s, v["field"].as_str()), (400, Some("to")), "{v}");

    // GA enrolment through the merchant API: the secret once, then load_pay_data says GA.
    let ga = format!("{url}/v1/users/u-ga/ga");
    let (s, _) = read_json(http.post(&ga).send_empty()).unwrap();
    assert_eq!(s, 401);
    let merchant = format!("Bearer {MERCHANT_KEY}");
    let (s, v) = read_json(
        http.post(&ga)
            .header("Authorization", &merchant)
            .send_empty(),
    )
    .unwrap();
    assert_eq!(s, 201, "{v}");
    let b32 = v["secret"].as_str().unwrap();
    assert!(kassa_shared::crypto::totp::Totp::from_base32(b32).is_ok());
    assert!(v["otpauth_uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/Kassa:u-ga?secret="));
    let (s, v) = read_json(
        http.post(&ga)
            .header("Authorization", &merchant)
            .send_empty(),
    )
    .unwrap();
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("ga_already_enrolled")),
        "{v}"
    );
    let order = create(&http, &url, &json!({"id": "u-ga", "mobile": "18600000002"}));
    let (s, v) = read_json(
        http.get(format!(
            "{url}/api/payment/order/load_pay_data?order_id={}",
            order["id"].as_str().unwrap()
        ))
        .header(
            "Authorization",
            &format!("Bearer {}", order["client_secret"].as_str().unwrap()),
        )
        .call(),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["authType"], "GA");
    assert_eq!(v["userInfo"]["bindGA"], true);
    assert!(!v.to_string().contains(b32));
}
