//! S0 platform header auth and scripted outcomes; the merchant webhook receiver;
//! control counters and routing errors.
#![allow(clippy::unwrap_used)]

mod sandbox_support;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kassa_shared::crypto::webhook_sig;
use kassa_shared::providers::s0::wire::Response as S0Response;
use kassa_tests::sandbox::config::fixtures as f;
use sandbox_support::{control, counter, get, json, post_json, start};
use serde_json::json;

const GOOD: [(&str, &str); 3] = [
    ("accessToken", f::S0_ACCESS_TOKEN),
    ("uid", f::S0_UID),
    ("orgSecret", f::S0_ORG_SECRET),
];

fn prepay(url: &str, headers: &[(&str, &str)]) -> (u16, String) {
    post_json(
        &format!("{url}/s0/platform/pay/prePayCheck"),
        headers,
        &json!({"orderId": "476682884348973312", "price": 100, "extend": {"orderStatus": "PAY_ING"}}),
    )
}

#[test]
fn s0_header_auth_and_scripted_outcomes() {
    let sb = start();
    let (status, body) = prepay(sb.url(), &GOOD);
    assert_eq!(status, 200);
    let r: S0Response = serde_json::from_str(&body).unwrap();
    assert!(r.is_ok(), "{body}");

    // Wrong orgSecret (right length and wrong content, then missing) is rejected.
    let mut bad = GOOD;
    bad[2] = ("orgSecret", "s0-org-secreX");
    let (status, body) = prepay(sb.url(), &bad);
    assert_eq!(status, 401, "{body}");
    let r: S0Response = serde_json::from_str(&body).unwrap();
    assert!(!r.is_ok() && r.message.is_some());
    assert_eq!(prepay(sb.url(), &GOOD[..2]).0, 401);
    assert_eq!(counter(&sb, "s0.auth_rejected"), 2);

    // Deny once, then the default (approve) resumes.
    control(&sb, "s0/prepay", &json!({"outcome": "deny", "count": 1}));
    let r: S0Response = serde_json::from_str(&prepay(sb.url(), &GOOD).1).unwrap();
    assert_eq!((r.status, r.success), (10000, false));
    let r: S0Response = serde_json::from_str(&prepay(sb.url(), &GOOD).1).unwrap();
    assert!(r.is_ok());

    control(&sb, "s0/prepay", &json!({"outcome": "error", "count": 1}));
    assert_eq!(prepay(sb.url(), &GOOD).0, 500);
    control(&sb, "s0/prepay", &json!({"outcome": "garbage", "count": 1}));
    assert!(serde_json::from_str::<S0Response>(&prepay(sb.url(), &GOOD).1).is_err());
    control(
        &sb,
        "s0/prepay",
        &json!({"outcome": "slow", "ms": 300, "count": 1}),
    );
    let t = Instant::now();
    assert_eq!(prepay(sb.url(), &GOOD).0, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(counter(&sb, "s0.prepay_check"), 6);

    // Malformed body: an S0 envelope naming the problem, not a panic.
    let (status, body) = post_json(
        &format!("{}/s0/platform/pay/prePayCheck", sb.url()),
        &GOOD,
        &json!({"orderId": 5}),
    );
    assert_eq!(status, 400);
    assert!(json(&body)["message"].as_str().unwrap().contains("body"));
}

#[test]
fn s0_relays_are_recorded_and_can_fail() {
    let sb = start();
    let relay = |status: &str| {
        let (_, body) = post_json(
            &format!("{}/s0/platform/pay/orderCallBack", sb.url()),
            &GOOD,
            &json!({"orderId": "1", "orderStatus": status, "price": 100}),
        );
        serde_json::from_str::<S0Response>(&body).unwrap()
    };
    control(&sb, "s0/relay_fail", &json!({"count": 2}));
    assert!(!relay("PAY_ING").is_ok());
    assert!(!relay("PAY_ING").is_ok());
    assert!(relay("PAY_ING").is_ok());
    assert!(relay("PAY_SUCCESS").is_ok());
    let (_, body) = get(&format!("{}/_control/s0/relays", sb.url()), &[]);
    let items = json(&body)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 4);
    assert_eq!(items[3]["orderStatus"], "PAY_SUCCESS");
    assert_eq!(counter(&sb, "s0.relay"), 4);
    assert_eq!(sb.counter("s0.relay"), 4);

    let (_, body) = post_json(
        &format!("{}/s0/platform/pay/updateInfo", sb.url()),
        &GOOD,
        &json!({"extend": {"name": "x"}}),
    );
    assert!(serde_json::from_str::<S0Response>(&body).unwrap().is_ok());

    // `uid` names the user (seed S0: 用户id): any non-empty value, recorded per call.
    let (status, _) = post_json(
        &format!("{}/s0/platform/pay/updateInfo", sb.url()),
        &[GOOD[0], ("uid", "another-user"), GOOD[2]],
        &json!({"extend": "x"}),
    );
    assert_eq!(status, 200);
    let (status, _) = post_json(
        &format!("{}/s0/platform/pay/updateInfo", sb.url()),
        &[GOOD[0], GOOD[2]],
        &json!({"extend": "x"}),
    );
    assert_eq!(status, 401);
    let (_, body) = get(&format!("{}/_control/s0/received", sb.url()), &[]);
    let items = json(&body)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 6, "the refused call is not recorded");
    assert_eq!(items[3]["call"], "orderCallBack");
    assert_eq!(items[3]["body"]["orderStatus"], "PAY_SUCCESS");
    assert_eq!(items[5]["uid"], "another-user");
    assert_eq!(items[5]["call"], "updateInfo");
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn deliver(url: &str, sig: &str, body: &str) -> u16 {
    let mut r = sandbox_support::agent()
        .post(&format!("{url}/merchant/webhooks"))
        .header("Content-Type", "application/json")
        .header(webhook_sig::HEADER, sig)
        .send(body.as_bytes())
        .unwrap();
    let _ = r.body_mut().read_to_string();
    r.status().as_u16()
}

#[test]
fn merchant_receiver_verifies_kassa_signature() {
    let sb = start();
    let body = json!({"id": "evt_1", "type": "order.succeeded", "created": now(), "data": {"order_id": "1"}})
        .to_string();
    let good = webhook_sig::sign(
        f::MERCHANT_WEBHOOK_SECRET.as_bytes(),
        now(),
        body.as_bytes(),
    );
    assert_eq!(deliver(sb.url(), &good, &body), 200);
    let forged = webhook_sig::sign(b"not-the-secret", now(), body.as_bytes());
    assert_eq!(deliver(sb.url(), &forged, &body), 400);
    let stale = webhook_sig::sign(
        f::MERCHANT_WEBHOOK_SECRET.as_bytes(),
        now() - 301,
        body.as_bytes(),
    );
    assert_eq!(deliver(sb.url(), &stale, &body), 400);

    // Down for the next delivery, then up again.
    control(
        &sb,
        "merchant/script",
        &json!({"outcome": "error", "count": 1}),
    );
    assert_eq!(deliver(sb.url(), &good, &body), 500);
    assert_eq!(deliver(sb.url(), &good, &body), 200);

    // "Time out": the receiver sleeps longer than the sender waits, then recovers.
    control(
        &sb,
        "merchant/script",
        &json!({"outcome": "timeout", "ms": 400, "count": 1}),
    );
    let impatient: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_millis(100)))
        .build()
        .into();
    let r = impatient
        .post(&format!("{}/merchant/webhooks", sb.url()))
        .header(webhook_sig::HEADER, &good)
        .send(body.as_bytes());
    assert!(r.is_err(), "expected a time-out");
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(deliver(sb.url(), &good, &body), 200);

    let (_, list) = get(&format!("{}/merchant/webhooks", sb.url()), &[]);
    let list = json(&list)["webhooks"].as_array().unwrap().clone();
    let flags: Vec<(bool, u64)> = list
        .iter()
        .map(|w| {
            (
                w["verified"].as_bool().unwrap(),
                w["answered"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [
            (true, 200),
            (false, 400),
            (false, 400),
            (true, 500),
            (true, 200),
            (true, 200),
            (true, 200)
        ]
    );
    assert_eq!(list[0]["type"], "order.succeeded");
    assert_eq!(counter(&sb, "merchant.webhook_received"), 7);
    assert_eq!(counter(&sb, "merchant.webhook_accepted"), 4);
}

#[test]
fn malformed_input_is_answered_never_a_panic() {
    let sb = start();
    let routes = [
        "/s0/platform/pay/prePayCheck",
        "/s0/platform/pay/orderCallBack",
        "/s0/platform/pay/updateInfo",
        "/s3/pai/createPayOrder",
        "/paytm/theia/processTransaction",
        "/paytm/theia/complete",
        "/paytm/merchant-status/getTxnStatus",
        "/pingpp/v1/charges",
        "/wallet/pay",
        "/merchant/webhooks",
        "/_control/s3/complete",
        "/_control/paytm/complete",
        "/_control/pingpp/complete",
        "/_control/wallet/complete",
        "/_control/merchant/script",
        "/_control/s3/auto",
        "/_control/outbox/release",
        "/_control/s0/relay_fail",
    ];
    let bodies: [&[u8]; 6] = [
        b"",
        b"{",
        b"[]",
        b"null",
        b"\xff\xfe\x00",
        b"{\"res_data\": 5, \"id\": []}",
    ];
    for route in routes {
        for body in bodies {
            let mut rq = sandbox_support::agent()
                .post(&format!("{}{route}", sb.url()))
                .header("Content-Type", "application/json");
            for (k, v) in GOOD {
                rq = rq.header(k, v);
            }
            let mut r = rq.send(body).unwrap();
            let status = r.status().as_u16();
            let text = r.body_mut().read_to_string().unwrap_or_default();
            assert!(status < 500, "{route} {body:?}: {status} {text}");
        }
    }
    assert_eq!(get(&format!("{}/healthz", sb.url()), &[]).0, 200);
}

#[test]
fn routing_errors_and_reset() {
    let sb = start();
    assert_eq!(get(&format!("{}/nope", sb.url()), &[]).0, 404);
    assert_eq!(
        get(&format!("{}/s0/platform/pay/prePayCheck", sb.url()), &[]).0,
        405
    );
    let big = "x".repeat(70 * 1024);
    let (status, _) = post_json(&format!("{}/pingpp/v1/charges", sb.url()), &[], &json!(big));
    assert_eq!(status, 413);
    let (status, body) = post_json(
        &format!("{}/_control/s0/prepay", sb.url()),
        &[],
        &json!({"outcome": "maybe"}),
    );
    assert_eq!(status, 400, "{body}");
    prepay(sb.url(), &GOOD);
    assert_eq!(counter(&sb, "s0.prepay_check"), 1);
    control(&sb, "reset", &json!({}));
    assert_eq!(counter(&sb, "s0.prepay_check"), 0);
}
