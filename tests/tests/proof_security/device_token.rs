//! Issue 14, low item "the known device is an edge-signed device token, not a string the
//! browser chooses": before, `device_id` was whatever the browser sent, and the edge
//! learnt it after a code-verified pay — so anyone who saw or guessed a shopper's id
//! (it sat in `localStorage`, in every request body) could claim the known device and
//! `quick_pay` a trusted shopper's small order without a code. Now the edge issues a
//! device token (HMAC over user and device id, key from edge secrets) in the answer to a
//! code-verified pay, and only that token, for that user, names a known device.

use serde_json::{json, Value};

use super::proof_support::{Api, Rig};

/// A small Ping++ order (well under the password-free limit) for `user`.
fn small_order(api: &Api, user: &str) -> (String, String) {
    let body = json!({"channel": "pingpp", "amount": 1000, "currency": "CNY",
        "user": {"id": user, "mobile": "18600000001"}});
    let (s, o) = api.merchant("POST", "/v1/orders", Some(&body));
    assert_eq!(s, 201, "{o}");
    (
        o["id"].as_str().unwrap().to_owned(),
        o["client_secret"].as_str().unwrap().to_owned(),
    )
}

fn quick(api: &Api, secret: &str, id: &str, device: &str) -> (u16, Value) {
    api.widget(
        "quick_pay",
        secret,
        None,
        &json!({"order_id": id, "device_id": device}),
    )
}

#[test]
fn a_chosen_device_string_does_not_skip_2fa() {
    let rig = Rig::start("sec-device", &[("KASSA_RISK_CODE_SEND_MIN_GAP_SECS", "0")]);
    let api = &rig.api;
    for user in ["u-victim", "u-attacker"] {
        let (s, v) = api.merchant(
            "POST",
            &format!("/v1/users/{user}/trusted"),
            Some(&json!({"trusted": true})),
        );
        assert_eq!(s, 200, "{v}");
    }
    // The victim pays once with a code from their browser, whose id the attacker knows.
    let chosen = "0123456789abcdef0123456789abcdef";
    let (id, secret) = small_order(api, "u-victim");
    let mut body = api.pay_body(&id, &secret);
    body["device_id"] = json!(chosen);
    let (s, v) = api.widget("pay", &secret, None, &body);
    assert_eq!(s, 200, "{v}");
    let token = v["deviceToken"].as_str().unwrap().to_owned();
    assert_eq!(rig.sandbox.counter("pingpp.charge_created"), 1);

    // The attacker, holding the victim's next order, claims the known device with
    // chosen strings: the browser's id, the device id inside the token without its MAC,
    // the token with a flipped MAC character, and a token the edge issued to another
    // user. Every one is a new device: need2FA, nothing charged.
    let (id, secret) = small_order(api, "u-victim");
    let device_part = token.split('.').nth(1).unwrap().to_owned();
    let mut flipped = token.clone();
    let last = if flipped.ends_with('0') { "1" } else { "0" };
    flipped.replace_range(flipped.len() - 1.., last);
    let (aid, asecret) = small_order(api, "u-attacker");
    let mut abody = api.pay_body(&aid, &asecret);
    abody["device_id"] = json!(chosen);
    let (s, v) = api.widget("pay", &asecret, None, &abody);
    assert_eq!(s, 200, "{v}");
    let foreign = v["deviceToken"].as_str().unwrap().to_owned();
    assert_eq!(rig.sandbox.counter("pingpp.charge_created"), 2);
    for claimed in [chosen, &device_part, &flipped, &foreign, "kd1.x.y"] {
        let (s, v) = quick(api, &secret, &id, claimed);
        assert_eq!(
            (s, &v),
            (200, &json!({"processIsEnd": "false", "need2FA": "true"})),
            "{claimed}"
        );
    }
    assert_eq!(rig.sandbox.counter("pingpp.charge_created"), 2);

    // The victim's own token (the widget kept it) is the known device.
    let (s, v) = quick(api, &secret, &id, &token);
    assert_eq!(s, 200, "{v}");
    // Charged: the shopper is handed to the Ping++ channel page.
    assert_eq!(
        (&v["processIsEnd"], &v["need2FA"]),
        (&json!("false"), &json!("false")),
        "{v}"
    );
    assert_eq!(v["handoff"]["method"], "GET", "{v}");
    assert_eq!(rig.sandbox.counter("pingpp.charge_created"), 3);
}
