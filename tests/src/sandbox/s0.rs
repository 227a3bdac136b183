//! S0 platform (seed S0 §1–§3, SPEC 3.5): `prePayCheck`, `orderCallBack` and
//! `updateInfo` under `/s0/platform/pay/`. Every call must carry the `accessToken`,
//! `uid` and `orgSecret` headers from the config, compared in constant time (SPEC 4.4);
//! bodies are parsed with `kassa_shared`'s S0 wire types; answers use the seed's
//! `{status, success, message}` envelope (`status` 0 = success, 10000 = failure).
//!
//! Scripting: `prePayCheck` follows the S0 [`Script`] (approve / deny / slow / error /
//! garbage); `orderCallBack` records every relay and fails the next N on request.

use std::sync::Arc;
use std::time::Duration;

use kassa_shared::crypto::ct;
use kassa_shared::providers::s0::wire::{
    Headers, OrderCallBackRequest, PrePayCheckRequest, UpdateInfoRequest,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

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
    // `&`, not `&&`: all three are compared whatever the first says.
    ct::eq(h(Headers::ACCESS_TOKEN), c.access_token.as_bytes())
        & ct::eq(h(Headers::UID), c.uid.as_bytes())
        & ct::eq(h(Headers::ORG_SECRET), c.org_secret.as_bytes())
}

fn parse<T: DeserializeOwned>(req: &Req) -> Result<T, Resp> {
    serde_json::from_slice(&req.body).map_err(|e| fail(400, &format!("body: {e}")))
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
        return fail(401, "invalid accessToken / uid / orgSecret");
    }
    let raw = req.json().unwrap_or(Value::Null);
    match op {
        "prePayCheck" => {
            if let Err(r) = parse::<PrePayCheckRequest>(req) {
                return r;
            }
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
            if let Err(r) = parse::<OrderCallBackRequest>(req) {
                return r;
            }
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
            if let Err(r) = parse::<UpdateInfoRequest>(req) {
                return r;
            }
            state.with(|i| {
                i.bump("s0.update_info");
                i.s0.update_infos.push(raw);
            });
            Resp::json(200, &envelope(0, None))
        }
    }
}
