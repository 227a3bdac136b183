//! A merchant's webhook receiver (SPEC 3.5 "Merchant webhooks"): `POST
//! /merchant/webhooks` verifies `Kassa-Signature: t=..,v1=..` with
//! `merchant.webhook_secret` (tolerance `merchant.tolerance_secs`, default 300 s) through
//! `kassa_shared::crypto::webhook_sig`, records every delivery with its `verified` flag
//! and answers 200 `{"received": true}` (verified) or 400 `{"error"}` (not). The merchant
//! script (`/_control/merchant/script`) can make it answer 500 (`error`), sleep before
//! answering (`slow`/`timeout`, for a caller with a shorter time-out), or refuse (`deny`)
//! — for the next N deliveries or from now on. `GET /merchant/webhooks` lists what it
//! got: `{"webhooks": [{verified, error, answered, id, type, signature, body}]}`.

use std::sync::Arc;
use std::time::Duration;

use kassa_shared::crypto::webhook_sig::{self, HEADER};
use serde::Serialize;
use serde_json::{json, Value};

use super::server::{unix_ms, Outcome, Req, Resp, Script, State};

/// One received delivery.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    pub verified: bool,
    pub error: Option<String>,
    /// HTTP status the receiver answered.
    pub answered: u16,
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub signature: Option<String>,
    pub body: String,
}

#[derive(Default)]
pub struct MerchantState {
    pub script: Script,
    pub received: Vec<Received>,
}

/// `/merchant/webhooks`.
pub fn handle(state: &Arc<State>, req: &Req) -> Resp {
    match req.method.as_str() {
        "GET" => list(state),
        "POST" => receive(state, req),
        _ => Resp::method_not_allowed(&req.method, &req.path),
    }
}

/// The list, also served at `/_control/merchant/webhooks`.
pub fn list(state: &Arc<State>) -> Resp {
    let all = state.with(|i| i.merchant.received.clone());
    Resp::json(200, &json!({"webhooks": all}))
}

fn receive(state: &Arc<State>, req: &Req) -> Resp {
    let cfg = &state.config.merchant;
    let header = req.header(HEADER);
    let verdict = match header {
        None => Err(format!("missing {HEADER}")),
        Some(h) => webhook_sig::verify(
            &[cfg.webhook_secret.as_bytes()],
            h,
            &req.body,
            unix_ms() / 1000,
            cfg.tolerance_secs,
        )
        .map(|_| ())
        .map_err(|e| e.to_string()),
    };
    let outcome = state.with(|i| i.merchant.script.take_next());
    if let Outcome::Slow { ms } = outcome {
        std::thread::sleep(Duration::from_millis(ms));
    }
    let (answered, resp) = match (outcome, &verdict) {
        (Outcome::Error, _) => (
            500,
            Resp::json(500, &json!({"error": "merchant down (scripted)"})),
        ),
        (Outcome::Deny, _) => (
            400,
            Resp::json(400, &json!({"error": "refused (scripted)"})),
        ),
        (Outcome::Garbage, _) => (200, Resp::text(200, "text/html", "<html>ok?</html>")),
        (_, Err(e)) => (400, Resp::json(400, &json!({"error": e}))),
        (_, Ok(())) => (200, Resp::json(200, &json!({"received": true}))),
    };
    let parsed: Option<Value> = serde_json::from_slice(&req.body).ok();
    let field = |k: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let rec = Received {
        verified: verdict.is_ok(),
        error: verdict.err(),
        answered,
        id: field("id"),
        kind: field("type"),
        signature: header.map(str::to_owned),
        body: String::from_utf8_lossy(&req.body).into_owned(),
    };
    state.with(|i| {
        i.bump("merchant.webhook_received");
        if rec.verified && answered == 200 {
            i.bump("merchant.webhook_accepted");
        }
        i.merchant.received.push(rec);
    });
    resp
}
