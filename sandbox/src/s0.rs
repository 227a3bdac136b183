//! S0 platform (seed S0 §1–§3, SPEC 3.5): `prePayCheck`, `orderCallBack` and
//! `updateInfo` under `/s0/platform/pay/`. Every call must carry the `accessToken` and
//! `orgSecret` headers from the config, compared in constant time (SPEC 4.4), and a
//! non-empty `uid`: the seed's 用户id, the user the call is about, which differs per
//! call (so it is recorded, not compared: `/_control/s0/received` lists every accepted
//! call as `{call, uid, body}`, in arrival order);
//! bodies are checked against the seed's tables here ([`check_body`]: `orderId` string
//! and `price` number required, `orderStatus` one of the seed's four, `extend` any JSON);
//! answers use the seed's
//! `{status, success, message}` envelope (`status` 0 = success, 10000 = failure).
//!
//! Scripting: `prePayCheck` follows the S0 [`Script`] (approve / deny / slow / error /
//! garbage); `orderCallBack` records every relay and fails the next N on request.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::crypto::ct_eq;
use super::server::{Outcome, Req, Resp, Script, State};

/// The seed's failure status.
const FAIL: i64 = 10000;

/// Recorded relays and scripts.
#[derive(Default)]
pub struct S0State {
    pub prepay: Script,
    pub relay_fail_next: u32,
    pub prepay_checks: Vec<Value>,
    pub relays: Vec<Value>,
    pub update_infos: Vec<Value>,
    /// Every accepted call: `{"call", "uid", "body"}`.
    pub received: Vec<Value>,
}

fn envelope(status: i64, message: Option<&str>) -> Value {
    match message {
        None => json!({"status": status, "success": status == 0}),
        Some(m) => json!({"status": status, "success": status == 0, "message": m}),
    }
}

fn fail(http: u16, message: &str) -> Resp {
    Resp::json(http, &envelope(FAIL, Some(message)))
}

fn authorised(state: &State, req: &Req) -> bool {
    let c = &state.config.s0;
    let h = |name| req.header(name).unwrap_or("").as_bytes();
    // `&`, not `&&`: both are compared whatever the first says. `uid` names a user, not
    // a credential: it must be there.
    ct_eq(h("accessToken"), c.access_token.as_bytes())
        & ct_eq(h("orgSecret"), c.org_secret.as_bytes())
        & !h("uid").is_empty()
}

/// The seed's `orderStatus` values (seed S0 §2 "orderStatus参数说明").
const ORDER_STATUSES: [&str; 4] = ["PAY_ING", "PAY_SUCCESS", "REFUND_SUCCESS", "TRADE_CLOSE"];

/// Checks a body of `op` against the seed's request table; the error names the field.
pub fn check_body(op: &str, body: &[u8]) -> Result<Value, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("body: not JSON: {e}"))?;
    let Some(m) = v.as_object() else {
        return Err("body: must be a JSON object".into());
    };
    if op != "updateInfo" {
        if !m.get("orderId").is_some_and(Value::is_string) {
            return Err("body: orderId: a string is required".into());
        }
        if m.get("price").and_then(Value::as_u64).is_none() {
            return Err("body: price: a non-negative integer (fen) is required".into());
        }
    }
    if op == "orderCallBack" {
        let status = m.get("orderStatus").and_then(Value::as_str);
        if !status.is_some_and(|s| ORDER_STATUSES.contains(&s)) {
            return Err(format!(
                "body: orderStatus: must be one of {ORDER_STATUSES:?}"
            ));
        }
    }
    Ok(v)
}

/// `/s0/platform/pay/{op}`.
pub fn handle(state: &Arc<State>, req: &Req, op: &str) -> Resp {
    if !matches!(op, "prePayCheck" | "orderCallBack" | "updateInfo") {
        return Resp::not_found(&req.path);
    }
    if req.method != "POST" {
        return Resp::method_not_allowed(&req.method, &req.path);
    }
    if !authorised(state, req) {
        state.with(|i| i.bump("s0.auth_rejected"));
        return fail(401, "invalid accessToken / orgSecret, or no uid");
    }
    let raw = match check_body(op, &req.body) {
        Ok(v) => v,
        Err(e) => return fail(400, &e),
    };
    let uid = req.header("uid").unwrap_or("").to_owned();
    state.with(|i| {
        i.s0.received
            .push(json!({"call": op, "uid": uid, "body": raw.clone()}));
    });
    match op {
        "prePayCheck" => {
            let outcome = state.with(|i| {
                i.bump("s0.prepay_check");
                i.s0.prepay_checks.push(raw);
                i.s0.prepay.take_next()
            });
            match outcome {
                Outcome::Approve => Resp::json(200, &envelope(0, None)),
                Outcome::Deny => Resp::json(200, &envelope(FAIL, Some("risk check: denied"))),
                Outcome::Slow { ms } => {
                    std::thread::sleep(Duration::from_millis(ms));
                    Resp::json(200, &envelope(0, None))
                }
                Outcome::Error => fail(500, "internal error (scripted)"),
                Outcome::Garbage => Resp::text(200, "text/html", "<html>gateway hiccup</html>"),
            }
        }
        "orderCallBack" => {
            let failed = state.with(|i| {
                i.bump("s0.relay");
                i.s0.relays.push(raw);
                if i.s0.relay_fail_next > 0 {
                    i.s0.relay_fail_next -= 1;
                    true
                } else {
                    false
                }
            });
            if failed {
                Resp::json(200, &envelope(FAIL, Some("relay failed (scripted)")))
            } else {
                Resp::json(200, &envelope(0, None))
            }
        }
        _ => {
            state.with(|i| {
                i.bump("s0.update_info");
                i.s0.update_infos.push(raw);
            });
            Resp::json(200, &envelope(0, None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_body;

    #[test]
    fn bodies_follow_the_seed_tables() {
        let ok = br#"{"orderId":"1","price":100,"extend":{"a":1}}"#;
        assert!(check_body("prePayCheck", ok).is_ok());
        assert!(check_body("orderCallBack", ok)
            .unwrap_err()
            .contains("orderStatus"));
        let cb = br#"{"orderId":"1","orderStatus":"PAY_SUCCESS","price":100}"#;
        assert!(check_body("orderCallBack", cb).is_ok());
        assert!(check_body("prePayCheck", br#"{"orderId":1,"price":1}"#)
            .unwrap_err()
            .contains("orderId"));
        assert!(check_body("prePayCheck", br#"{"orderId":"1","price":-1}"#)
            .unwrap_err()
            .contains("price"));
        assert!(check_body("updateInfo", br#"{"extend":"x"}"#).is_ok());
        assert!(check_body("updateInfo", b"[]").is_err());
        assert!(check_body("updateInfo", b"nope")
            .unwrap_err()
            .starts_with("body"));
    }
}
