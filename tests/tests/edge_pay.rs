//! `pay` (SPEC 3.1, 5, 6) under a real `wrangler dev` against the in-process sandbox:
//! an SMS code read from the dev outbox pays once (one wallet charge at the sandbox);
//! the same `Idempotency-Key` replays, another body with it is 409, concurrent
//! duplicates charge once; five wrong codes lock the order; S0 deny and S0 slow refuse
//! with nothing charged; a GA code pays; `quick_pay` answers `need2FA` without a code; a Paytm order's
//! pay returns the signed form, whose checksum verifies; a Ping++ order's pay creates
//! one charge, and a refused charge fails the attempt; `quick_pay` pays without a code
//! for a trusted user on a known device under the password-free limit; the per-user
//! velocity limit refuses a third attempt.

#![allow(clippy::unwrap_used, clippy::panic)]

use kassa_tests::edge_client::{create_order, merchant_post, sms_code};
use kassa_tests::harness::{agent, read_json, Edge, TempDir, MERCHANT_KEY};
use kassa_tests::sandbox::config::fixtures as f;
use kassa_tests::sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

fn bare_base64(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

fn counter(http: &ureq::Agent, sb: &str, name: &str) -> u64 {
    let (_, v) = read_json(http.get(format!("{sb}/_control/counters")).call()).unwrap();
    v["counters"][name].as_u64().unwrap_or(0)
}

/// A wallet order (12.5 USDT) for `user`: (id, client_secret).
fn create(http: &ureq::Agent, url: &str, user: &str) -> (String, String) {
    let body = json!({
        "channel": "wallet", "amount": "12.5", "token": "USDT",
        "user": {"id": user, "mobile": "18600000001"},
    });
    let o = create_order(http, url, &body).unwrap();
    (
        o["id"].as_str().unwrap().to_owned(),
        o["client_secret"].as_str().unwrap().to_owned(),
    )
}

fn pay(
    http: &ureq::Agent,
    url: &str,
    secret: &str,
    key: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    widget(http, url, "pay", secret, key, body)
}

/// `POST /api/payment/order/<route>` with the order's `client_secret`.
fn widget(
    http: &ureq::Agent,
    url: &str,
    route: &str,
    secret: &str,
    key: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let mut req = http
        .post(format!("{url}/api/payment/order/{route}"))
        .header("Authorization", &format!("Bearer {secret}"));
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    read_json(req.send_json(body)).unwrap()
}

/// A `pay` without `Idempotency-Key`, with a code sent just before and read from the
/// dev outbox.
fn pay_with_code(http: &ureq::Agent, url: &str, id: &str, secret: &str) -> (u16, Value) {
    let (send_id, code) = sms_code(http, url, id, secret).unwrap();
    let b = json!({"order_id": id, "verify_code_order_id": send_id, "verify_code": code});
    pay(http, url, secret, None, &b)
}

#[test]
fn pay_flow_against_the_sandbox() {
    let sandbox = Sandbox::start(SandboxConfig::for_tests().unwrap()).unwrap();
    let sb = sandbox.url().to_owned();
    let wallet_pub = std::fs::read_to_string(
        kassa_tests::harness::root().join("tests/src/sandbox/keys/wallet.spki.pem"),
    )
    .unwrap();
    let dir = TempDir::new("edge-pay").unwrap();
    let s0_url = format!("{sb}/s0");
    let wallet_url = format!("{sb}/wallet");
    let wallet_key = bare_base64(&wallet_pub);
    let paytm_url = format!("{sb}/paytm");
    let pingpp_url = format!("{sb}/pingpp");
    let edge = Edge::start_with(
        dir.path(),
        &[
            ("KASSA_S0_URL", &s0_url),
            ("KASSA_S0_ACCESS_TOKEN", f::S0_ACCESS_TOKEN),
            ("KASSA_S0_ORG_SECRET", f::S0_ORG_SECRET),
            // Generous: the concurrent pays below must not fail closed on a late S0
            // answer under a loaded machine (an Idempotency-Key would replay that).
            ("KASSA_S0_TIMEOUT_MS", "5000"),
            ("KASSA_WALLET_URL", &wallet_url),
            ("KASSA_WALLET_API_KEY", "wallet-key"),
            ("KASSA_WALLET_PUBLIC_KEY", &wallet_key),
            ("KASSA_PUBLIC_URL", "http://127.0.0.1:9"),
            ("KASSA_PAYTM_URL", &paytm_url),
            ("KASSA_PAYTM_MID", f::PAYTM_MID),
            ("KASSA_PAYTM_MERCHANT_KEY", f::PAYTM_KEY),
            ("KASSA_PAYTM_WEBSITE", "WEBSTAGING"),
            ("KASSA_PINGPP_URL", &pingpp_url),
            ("KASSA_PINGPP_SECRET_KEY", f::PINGPP_API_KEY),
            ("KASSA_PINGPP_APP_ID", "app_kassa_sandbox"),
            // Two attempts per user per 10 min: low enough to hit in the test below.
            ("KASSA_RISK_VELOCITY_USER_10M", "2"),
        ],
    )
    .unwrap();
    let http = agent();
    let url = edge.url();

    // SMS pay, idempotent.
    let (id, secret) = create(&http, &url, "u-pay-1");
    let (send_id, code) = sms_code(&http, &url, &id, &secret).unwrap();
    let body = json!({"order_id": id, "verify_code_order_id": send_id, "verify_code": code});
    let (s, v) = pay(&http, &url, &secret, Some("k-1"), &body);
    assert_eq!(s, 200, "{v} / {}", edge.log_tail());
    assert_eq!(v["orderId"], id.as_str());
    assert_eq!(v["status"], "PROCESSING");
    assert_eq!(counter(&http, &sb, "wallet.pay"), 1);
    let (s2, v2) = pay(&http, &url, &secret, Some("k-1"), &body);
    assert_eq!((s2, &v2), (200, &v));
    assert_eq!(counter(&http, &sb, "wallet.pay"), 1);
    let mut other = body.clone();
    other["verify_code"] = json!("000000");
    let (s, v) = pay(&http, &url, &secret, Some("k-1"), &other);
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("idempotency_key_reused")),
        "{v}"
    );
    // A new key on an order already processing: refused, nothing charged.
    let (s, v) = pay(&http, &url, &secret, Some("k-2"), &body);
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("order_not_payable")),
        "{v}"
    );
    assert_eq!(counter(&http, &sb, "wallet.pay"), 1);

    // N concurrent duplicates → one charge.
    let (id, secret) = create(&http, &url, "u-pay-2");
    let (send_id, code) = sms_code(&http, &url, &id, &secret).unwrap();
    let body = json!({"order_id": id, "verify_code_order_id": send_id, "verify_code": code});
    let results: Vec<(u16, Value)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..6)
            .map(|_| s.spawn(|| pay(&agent(), &url, &secret, Some("k-c"), &body)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results.iter().any(|(s, _)| *s == 200), "{results:?}");
    assert!(
        results
            .iter()
            .all(|(s, v)| *s == 200 || v["code"] == "idempotency_in_progress"),
        "{results:?}"
    );
    assert_eq!(counter(&http, &sb, "wallet.pay"), 2);

    // Five wrong codes lock the order; the right code is then refused too.
    let (id, secret) = create(&http, &url, "u-pay-3");
    let (send_id, code) = sms_code(&http, &url, &id, &secret).unwrap();
    let wrong = if code == "123456" { "654321" } else { "123456" };
    for i in 0..5 {
        let b = json!({"order_id": id, "verify_code_order_id": send_id, "verify_code": wrong});
        let (s, v) = pay(&http, &url, &secret, None, &b);
        assert_eq!(
            (s, v["field"].as_str(), v["code"].as_str()),
            (400, Some("verify_code"), Some("wrong_verify_code")),
            "{i}: {v}"
        );
        // What the widget shows: 4, 3, 2, 1 left, then 0 (this one locked the order).
        assert_eq!(v["attempts_left"], json!(4 - i), "{i}: {v}");
    }
    let b = json!({"order_id": id, "verify_code_order_id": send_id, "verify_code": code});
    let (s, v) = pay(&http, &url, &secret, None, &b);
    assert_eq!((s, v["code"].as_str()), (429, Some("order_locked")), "{v}");
    assert_eq!(counter(&http, &sb, "wallet.pay"), 2);

    // S0 deny, then S0 slow (over the 5 s timeout): refused, nothing charged.
    for (outcome, extra) in [("deny", json!({})), ("slow", json!({"ms": 6000}))] {
        let mut script = json!({"outcome": outcome, "count": 1});
        if let Some(ms) = extra.get("ms") {
            script["ms"] = ms.clone();
        }
        let (s, _) = read_json(
            http.post(format!("{sb}/_control/s0/prepay"))
                .send_json(&script),
        )
        .unwrap();
        assert_eq!(s, 200);
        let (id, secret) = create(&http, &url, &format!("u-pay-s0-{outcome}"));
        let (s, v) = pay_with_code(&http, &url, &id, &secret);
        assert_eq!(
            (s, v["code"].as_str()),
            (409, Some("s0_refused")),
            "{outcome}: {v}"
        );
        assert_eq!(counter(&http, &sb, "wallet.pay"), 2, "{outcome}");
    }

    // GA: enrol, then pay with the current TOTP code (no code send).
    let (s, g) = read_json(
        http.post(format!("{url}/v1/users/u-pay-ga/ga"))
            .header("Authorization", &format!("Bearer {MERCHANT_KEY}"))
            .send_empty(),
    )
    .unwrap();
    assert_eq!(s, 201, "{g}");
    let totp =
        kassa_shared::crypto::totp::Totp::from_base32(g["secret"].as_str().unwrap()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (id, secret) = create(&http, &url, "u-pay-ga");
    let b = json!({"order_id": id, "verify_code": totp.code_at(now)});
    let (s, v) = pay(&http, &url, &secret, None, &b);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "PROCESSING");
    assert_eq!(counter(&http, &sb, "wallet.pay"), 3);
    // The same accepted code again, on the user's next order (SPEC 6: no reuse of an
    // accepted TOTP step; the code is still inside its ±1 step window, so only the reuse
    // rule can refuse it): refused as a wrong code, nothing charged.
    let (id, secret) = create(&http, &url, "u-pay-ga");
    let b = json!({"order_id": id, "verify_code": totp.code_at(now)});
    let (s, v) = pay(&http, &url, &secret, None, &b);
    assert_eq!(
        (s, v["code"].as_str()),
        (400, Some("wrong_verify_code")),
        "{v}"
    );
    assert_eq!(counter(&http, &sb, "wallet.pay"), 3);

    // quick_pay: no code and risk wants one (an untrusted user, a new device) → need2FA,
    // nothing attempted; with the code → attempted, not yet finished.
    let (id, secret) = create(&http, &url, "u-quick");
    let quick = |b: &Value| widget(&http, &url, "quick_pay", &secret, None, b);
    let (s, v) = quick(&json!({"order_id": id}));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v, json!({"processIsEnd": "false", "need2FA": "true"}));
    assert_eq!(counter(&http, &sb, "wallet.pay"), 3);
    let (send_id, code) = sms_code(&http, &url, &id, &secret).unwrap();
    let (s, v) =
        quick(&json!({"order_id": id, "verify_code_order_id": send_id, "verify_code": code}));
    assert_eq!(s, 200, "{v}");
    // A code-verified pay from a browser without a device token gets one to keep.
    let token = v["deviceToken"].as_str().unwrap_or_default().to_owned();
    assert!(token.starts_with("kd1."), "{v}");
    assert_eq!(
        v,
        json!({"processIsEnd": "false", "need2FA": "false", "deviceToken": token})
    );
    assert_eq!(counter(&http, &sb, "wallet.pay"), 4);

    // Paytm: pay answers the order plus the signed form for the widget to post; the
    // CHECKSUMHASH verifies with the merchant key (SPEC 4.3).
    let body = json!({
        "channel": "paytm", "amount": 1000, "currency": "INR",
        "user": {"id": "u-paytm", "mobile": "9876543210"},
    });
    let o = create_order(&http, &url, &body).unwrap();
    let id = o["id"].as_str().unwrap().to_owned();
    let secret = o["client_secret"].as_str().unwrap().to_owned();
    let (s, v) = pay_with_code(&http, &url, &id, &secret);
    assert_eq!(s, 200, "{v}");
    let form = &v["handoff"];
    assert_eq!(form["url"], format!("{sb}/paytm/theia/processTransaction"));
    let params = form["fields"].as_object().unwrap();
    // The attempt's reference, `{order}A{attempt}`.
    let order_ref = params["ORDER_ID"].as_str().unwrap().split_once('A');
    assert_eq!(order_ref.map(|r| r.0), Some(id.as_str()), "{v}");
    assert_eq!(params["TXN_AMOUNT"], "10.00");
    assert_eq!(params["MID"], f::PAYTM_MID);
    let checksum = params["CHECKSUMHASH"].as_str().unwrap();
    let signed: kassa_shared::providers::paytm::checksum::Params = params
        .iter()
        .filter(|(k, _)| k.as_str() != "CHECKSUMHASH")
        .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned)))
        .collect();
    kassa_shared::providers::paytm::checksum::verify(&signed, f::PAYTM_KEY.as_bytes(), checksum)
        .unwrap();
    let mut tampered = signed.clone();
    tampered.insert("TXN_AMOUNT".into(), Some("1.00".into()));
    assert!(kassa_shared::providers::paytm::checksum::verify(
        &tampered,
        f::PAYTM_KEY.as_bytes(),
        checksum
    )
    .is_err());

    // Ping++: a charge is created at the sandbox (once), the order is processing; a
    // scripted refusal fails the attempt and leaves the order payable.
    let pingpp_order = |user: &str| {
        let body = json!({
            "channel": "pingpp", "amount": 1000, "currency": "CNY",
            "user": {"id": user, "mobile": "18600000001"},
        });
        let o = create_order(&http, &url, &body).unwrap();
        (
            o["id"].as_str().unwrap().to_owned(),
            o["client_secret"].as_str().unwrap().to_owned(),
        )
    };
    let (id, secret) = pingpp_order("u-pingpp");
    let (send_id, code) = sms_code(&http, &url, &id, &secret).unwrap();
    let b = json!({"order_id": id, "verify_code_order_id": send_id, "verify_code": code});
    let (s, v) = pay(&http, &url, &secret, Some("p-1"), &b);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "PROCESSING");
    assert_eq!(counter(&http, &sb, "pingpp.charge_created"), 1);
    let (s, _) = read_json(
        http.post(format!("{sb}/_control/pingpp/script"))
            .send_json(json!({"outcome": "deny", "count": 1})),
    )
    .unwrap();
    assert_eq!(s, 200);
    let (id, secret) = pingpp_order("u-pingpp-2");
    let (s, v) = pay_with_code(&http, &url, &id, &secret);
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("provider_refused")),
        "{v}"
    );
    assert_eq!(counter(&http, &sb, "pingpp.charge_created"), 1);

    // quick_pay under the password-free limit: a trusted user on a device that passed a
    // code pays without one; an unknown device still gets need2FA.
    let (s, v) = merchant_post(
        &http,
        &url,
        "/v1/users/u-trusted/trusted",
        &json!({"trusted": true}),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");
    let (id, secret) = pingpp_order("u-trusted");
    let (send_id, code) = sms_code(&http, &url, &id, &secret).unwrap();
    // The device is the edge's token from the answer (issue 14: a string the browser
    // chose, like "dev-1", names no device).
    let b = json!({"order_id": id, "verify_code_order_id": send_id, "verify_code": code, "device_id": "dev-1"});
    let (s, v) = pay(&http, &url, &secret, None, &b);
    assert_eq!(s, 200, "{v}");
    assert_eq!(counter(&http, &sb, "pingpp.charge_created"), 2);
    let dev = v["deviceToken"].as_str().unwrap().to_owned();
    let (id, secret) = pingpp_order("u-trusted");
    let quick = |b: &Value| widget(&http, &url, "quick_pay", &secret, None, b);
    let (s, v) = read_json(
        http.get(format!(
            "{url}/api/payment/order/load_pay_data?order_id={id}&device_id={dev}"
        ))
        .header("Authorization", &format!("Bearer {secret}"))
        .call(),
    )
    .unwrap();
    assert_eq!((s, &v["need2FA"]), (200, &json!(false)), "{v}");
    let (s, v) = quick(&json!({"order_id": id, "device_id": "dev-other"}));
    assert_eq!(
        (s, v),
        (200, json!({"processIsEnd": "false", "need2FA": "true"}))
    );
    assert_eq!(counter(&http, &sb, "pingpp.charge_created"), 2);
    let (s, v) = quick(&json!({"order_id": id, "device_id": "dev-1"}));
    assert_eq!(
        (s, v),
        (200, json!({"processIsEnd": "false", "need2FA": "true"}))
    );
    let (s, v) = quick(&json!({"order_id": id, "device_id": dev}));
    assert_eq!(s, 200, "{v}");
    // Charged: the shopper is handed to the Ping++ channel page.
    assert_eq!(
        (&v["processIsEnd"], &v["need2FA"]),
        (&json!("false"), &json!("false")),
        "{v}"
    );
    assert_eq!(v["handoff"]["method"], "GET", "{v}");
    assert_eq!(counter(&http, &sb, "pingpp.charge_created"), 3);

    // Per-user velocity (limit 2 here): that user's third attempt is refused by risk,
    // nothing charged.
    let (id, secret) = pingpp_order("u-trusted");
    let (s, v) = read_json(
        http.post(format!("{url}/api/payment/order/quick_pay"))
            .header("Authorization", &format!("Bearer {secret}"))
            .send_json(json!({"order_id": id, "device_id": dev})),
    )
    .unwrap();
    assert_eq!(s, 403, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("velocity_user"),
        "{v}"
    );
    assert_eq!(counter(&http, &sb, "pingpp.charge_created"), 3);
}
