//! Issue 14 low item: a sealed S4 field carries a timestamp and a nonce, so a ciphertext
//! captured once (a log line, a proxy) cannot be sent again. The attacker holds a
//! genuine sealed `passwd` from the victim's own request — and, with a stolen wallet
//! session, a user token — and replays it: the identical request, or the captured value
//! as the `old_passwd` that proves a pay-password change. Also a value sealed 10 min ago,
//! and the bare value sealed the way it was before the envelope. Each is 400 naming the
//! field, with nothing changed and nothing counted toward the pay-password lock.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use kassa_tests::edge_client::sealed_plaintext_at;

use super::s4_withdraw_account::{Answer, S4};

fn now_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// A 400 naming `field` whose reason contains `why`.
fn refused(a: &Answer, field: &str, why: &str) {
    assert_eq!(
        (a.status, a.body["field"].as_str()),
        (400, Some(field)),
        "{}",
        a.body
    );
    let msg = a.body["msg"].as_str().unwrap_or_default();
    assert!(msg.contains(why), "want {why:?}: {}", a.body);
}

fn has_passwd(s4: &S4, token: &str) -> bool {
    let a = s4.get("checkInfo", token);
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["passwd"].as_bool().unwrap()
}

#[test]
fn a_captured_sealed_passwd_cannot_be_sent_again() {
    let s4 = S4::start("sec-seal-replay");
    s4.order("victim-replay");
    let token = s4.user_token("victim-replay");

    // The victim sets a pay password; the attacker captured the request.
    let captured = json!({"passwd": s4.seal("246810")});
    let a = s4.post("passwd", &token, &captured);
    assert_eq!(a.status, 200, "{}", a.body);

    // The identical request again: replayed.
    let a = s4.post("passwd", &token, &captured);
    refused(&a, "passwd", "replayed");

    // The captured value as the proof of a change to the attacker's password — which the
    // bare format let through — is refused, again and again, without counting toward
    // the lock (5 wrong would lock it).
    for _ in 0..6 {
        let change = json!({"passwd": s4.seal("999999"), "old_passwd": captured["passwd"]});
        let a = s4.post("passwd", &token, &change);
        refused(&a, "old_passwd", "replayed");
    }
    // Nothing changed or locked: the victim's password still proves a change.
    let a = s4.post(
        "passwd",
        &token,
        &json!({"passwd": s4.seal("135790"), "old_passwd": s4.seal("246810")}),
    );
    assert_eq!(a.status, 200, "{}", a.body);
}

#[test]
fn stale_and_bare_sealed_values_are_refused() {
    let s4 = S4::start("sec-seal-stale");
    s4.order("victim-stale");
    let token = s4.user_token("victim-stale");
    let now = now_ms();

    let old = s4.seal_raw(&sealed_plaintext_at("246810", now - 10 * 60 * 1000));
    refused(
        &s4.post("passwd", &token, &json!({"passwd": old})),
        "passwd",
        "stale",
    );
    let future = s4.seal_raw(&sealed_plaintext_at("246810", now + 10 * 60 * 1000));
    refused(
        &s4.post("passwd", &token, &json!({"passwd": future})),
        "passwd",
        "stale",
    );
    // The format before the envelope: the bare value.
    let bare = s4.seal_raw("246810");
    refused(
        &s4.post("passwd", &token, &json!({"passwd": bare})),
        "passwd",
        "malformed sealed value",
    );
    let no_nonce = s4.seal_raw(&json!({"v": "246810", "ts": now}).to_string());
    refused(
        &s4.post("passwd", &token, &json!({"passwd": no_nonce})),
        "passwd",
        "malformed sealed value",
    );
    assert!(!has_passwd(&s4, &token));

    // The withdrawal-account code and a withdrawal's password are sealed the same way.
    let a = s4.post(
        "withdrawInfo",
        &token,
        &json!({"smscode": s4.seal_raw("123456"), "type": "alipay", "id": "m@example.com", "name": "M"}),
    );
    refused(&a, "smscode", "malformed sealed value");
}

#[test]
fn every_sealed_field_is_checked_before_any_is_used() {
    let s4 = S4::start("sec-seal-all");
    s4.order("victim-all");
    let token = s4.user_token("victim-all");
    let first = json!({"passwd": s4.seal("246810")});
    assert_eq!(s4.post("passwd", &token, &first).status, 200);

    // A fresh new password with a replayed proof: refused, and the fresh value's nonce is
    // not spent, so the victim's own request with it still goes through.
    let fresh = s4.seal("135790");
    let a = s4.post(
        "passwd",
        &token,
        &json!({"passwd": fresh, "old_passwd": first["passwd"]}),
    );
    refused(&a, "old_passwd", "replayed");
    let a = s4.post(
        "passwd",
        &token,
        &json!({"passwd": fresh, "old_passwd": s4.seal("246810")}),
    );
    assert_eq!(a.status, 200, "{}", a.body);
}

#[test]
fn concurrent_replays_pass_at_most_once() {
    let s4 = S4::start("sec-seal-race");
    s4.order("victim-race");
    let token = s4.user_token("victim-race");
    let body = json!({"passwd": s4.seal("246810")});
    let answers: Vec<Answer> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| s4.post("passwd", &token, &body)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let passed = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!(
        passed,
        1,
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    for a in answers.iter().filter(|a| a.status != 200) {
        refused(a, "passwd", "replayed");
    }
}
