//! Ping++ (the S4 channel; SPEC 3.4 "pingpp"), under `/pingpp/v1/`:
//!
//! - `POST /pingpp/v1/charges` — JSON `{order_no, amount (integer, minor units),
//!   currency, channel, subject?, body?, client_ip?}` → a Ping++ charge object
//!   (`id` "ch_…", `object` "charge", `paid` false, …). With `pingpp.api_key` set, the
//!   caller must send `Authorization: Bearer <api_key>`. Errors use Ping++'s shape
//!   `{"error": {"type": "invalid_request_error", "message", "param"}}`.
//! - `GET /pingpp/v1/charges/{id}` — retrieve (status pull).
//! - Webhooks (`/_control/pingpp/complete`, `id` = charge id or `order_no`, `event` =
//!   `charge.succeeded` | `refund.succeeded`): an event object
//!   `{id, object: "event", type, created, livemode, data: {object}, pending_webhooks}`
//!   POSTed to `pingpp.webhook_url` with `X-Pingplusplus-Signature`: base64
//!   RSA-SHA256 over the raw body with the Ping++ private key.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use kassa_shared::crypto::{ct, rsa_sig, SignAlg};
use kassa_shared::providers::s4_pingpp::webhook::SIGNATURE_HEADER;
use serde::Deserialize;
use serde_json::{json, Value};

use super::outbound::{self, Complete, Outbound, Tamper};
use super::server::{unix_ms, Outcome, Req, Resp, Script, State};

#[derive(Default)]
pub struct PingppState {
    pub script: Script,
    pub auto: Option<outbound::Auto>,
    /// Charge objects as JSON (the wire form is the state).
    pub charges: Vec<Value>,
}

fn err(status: u16, kind: &str, message: &str, param: Option<&str>) -> Resp {
    Resp::json(
        status,
        &json!({"error": {"type": kind, "message": message, "param": param}}),
    )
}

fn authorised(state: &State, req: &Req) -> bool {
    let Some(key) = &state.config.pingpp.api_key else {
        return true;
    };
    let header = req.header("Authorization").unwrap_or("");
    // Ping++'s real API takes HTTP Basic with the secret key as user name (what the
    // edge's channel sends); `Bearer <key>` is the sandbox's older shorthand.
    if let Some(basic) = header.strip_prefix("Basic ") {
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .unwrap_or_default();
        let user = decoded.split(|b| *b == b':').next().unwrap_or_default();
        return ct::eq(user, key.as_bytes());
    }
    let got = header.strip_prefix("Bearer ").unwrap_or("");
    ct::eq(got.as_bytes(), key.as_bytes())
}

/// `/pingpp/v1/{rest}`.
pub fn handle(state: &Arc<State>, req: &Req, rest: &str) -> Resp {
    let retrieve = rest
        .strip_prefix("charges/")
        .filter(|id| !id.is_empty() && !id.contains('/'));
    if rest != "charges" && retrieve.is_none() {
        return Resp::not_found(&req.path);
    }
    if !authorised(state, req) {
        return err(401, "invalid_request_error", "invalid API key", None);
    }
    match (req.method.as_str(), retrieve) {
        ("POST", None) => create(state, req),
        ("GET", Some(id)) => {
            match state.with(|i| i.pingpp.charges.iter().find(|c| c["id"] == id).cloned()) {
                Some(c) => Resp::json(200, &c),
                None => err(
                    404,
                    "invalid_request_error",
                    &format!("No such charge: {id}"),
                    Some("id"),
                ),
            }
        }
        _ => Resp::method_not_allowed(&req.method, &req.path),
    }
}

#[derive(Deserialize)]
struct CreateCharge {
    order_no: String,
    amount: u64,
    currency: String,
    channel: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    client_ip: String,
}

fn create(state: &Arc<State>, req: &Req) -> Resp {
    let v = match req.json() {
        Ok(v) => v,
        Err(e) => return err(400, "invalid_request_error", &e, None),
    };
    // Name the first bad parameter, as Ping++ does.
    for (param, ok) in [
        (
            "order_no",
            v["order_no"]
                .as_str()
                .is_some_and(|s| !s.is_empty() && s.len() <= 64),
        ),
        ("amount", v["amount"].as_u64().is_some_and(|a| a > 0)),
        (
            "currency",
            v["currency"].as_str().is_some_and(|s| !s.is_empty()),
        ),
        (
            "channel",
            v["channel"].as_str().is_some_and(|s| !s.is_empty()),
        ),
    ] {
        if !ok {
            return err(
                400,
                "invalid_request_error",
                &format!("invalid or missing parameter: {param}"),
                Some(param),
            );
        }
    }
    let c: CreateCharge = match serde_json::from_value(v) {
        Ok(c) => c,
        Err(e) => return err(400, "invalid_request_error", &e.to_string(), None),
    };
    let outcome = state.with(|i| {
        i.bump("pingpp.charge_request");
        i.pingpp.script.take_next()
    });
    match outcome {
        Outcome::Approve => {}
        Outcome::Slow { ms } => std::thread::sleep(Duration::from_millis(ms)),
        Outcome::Deny => return err(402, "channel_error", "channel declined (scripted)", None),
        Outcome::Error => return err(500, "api_error", "internal error (scripted)", None),
        Outcome::Garbage => return Resp::text(200, "text/html", "<html>busy</html>"),
    }
    let (charge, auto) = state.with(|i| {
        if let Some(existing) = i
            .pingpp
            .charges
            .iter()
            .find(|x| x["order_no"] == c.order_no.as_str())
        {
            return (existing.clone(), None);
        }
        i.bump("pingpp.charge_created");
        let ch = json!({
            "id": i.next_id("ch_"), "object": "charge", "created": unix_ms() / 1000,
            "livemode": false, "paid": false, "refunded": false, "reversed": false,
            "app": state.config.pingpp.app_id, "channel": c.channel, "order_no": c.order_no,
            "client_ip": c.client_ip, "amount": c.amount, "amount_settle": c.amount,
            "currency": c.currency, "subject": c.subject, "body": c.body,
            "time_paid": null, "time_expire": unix_ms() / 1000 + 3600, "transaction_no": null,
            "refunds": {"object": "list", "url": "", "has_more": false, "data": []},
            "amount_refunded": 0, "failure_code": null, "failure_msg": null,
            "metadata": {}, "credential": {}, "description": null
        });
        i.pingpp.charges.push(ch.clone());
        (ch, i.pingpp.auto.clone())
    });
    if let (Some(a), Some(id)) = (auto, charge["id"].as_str()) {
        let (state, c) = (state.clone(), a.for_id(id));
        let event = a.event.unwrap_or_else(|| "charge.succeeded".into());
        // In the background, as `outbound::spawn_auto`: the answer comes first.
        std::thread::spawn(move || complete(&state, &c, &event));
    }
    Resp::json(200, &charge)
}

/// `/_control/pingpp/complete`: `id` is a charge id or `order_no`; `event` is
/// `charge.succeeded` or `refund.succeeded`.
pub fn complete(state: &Arc<State>, c: &Complete, event: &str) -> Resp {
    let Some(url) = state.config.pingpp.webhook_url.clone() else {
        return Resp::json(
            400,
            &json!({"error": "pingpp.webhook_url is not configured"}),
        );
    };
    if !matches!(event, "charge.succeeded" | "refund.succeeded") {
        return Resp::json(
            400,
            &json!({"error": format!("event: expected charge.succeeded|refund.succeeded, got {event:?}")}),
        );
    }
    let now = unix_ms() / 1000;
    let found = state.with(|i| {
        let txn = i.next_id("");
        let ev_id = i.next_id("evt_");
        let re_id = i.next_id("re_");
        let ch = i
            .pingpp
            .charges
            .iter_mut()
            .find(|ch| ch["id"] == c.id.as_str() || ch["order_no"] == c.id.as_str())?;
        let amount = ch["amount"].as_u64().unwrap_or(0);
        let object = if event == "charge.succeeded" {
            ch["paid"] = json!(true);
            ch["time_paid"] = json!(now);
            ch["transaction_no"] = json!(txn);
            ch.clone()
        } else {
            let refund = json!({"id": re_id, "object": "refund", "order_no": ch["order_no"],
                "amount": amount, "created": now, "succeed": true, "status": "succeeded",
                "time_succeed": now, "description": "refund", "failure_code": null,
                "failure_msg": null, "metadata": {}, "charge": ch["id"], "charge_order_no": ch["order_no"],
                "transaction_no": txn});
            ch["refunded"] = json!(true);
            ch["amount_refunded"] = json!(amount);
            refund
        };
        Some((ev_id, object))
    });
    let Some((ev_id, mut object)) = found else {
        return Resp::json(404, &json!({"error": format!("no Ping++ charge {}", c.id)}));
    };
    match c.tamper {
        Tamper::Amount => object["amount"] = json!(object["amount"].as_u64().unwrap_or(0) + 1),
        Tamper::OrderId => {
            object["order_no"] = json!(format!("{}x", object["order_no"].as_str().unwrap_or("")));
        }
        Tamper::None | Tamper::Signature | Tamper::WrongKey => {}
    }
    let key = match outbound::signing_key(state, &state.keys.pingpp_priv, c.tamper) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let event_body = json!({"id": ev_id, "object": "event", "type": event, "created": now,
        "livemode": false, "data": {"object": object}, "pending_webhooks": 0, "request": null});
    let body = event_body.to_string();
    let sig = match rsa_sig::sign_raw(key, SignAlg::Rsa2, body.as_bytes()) {
        Ok(s) => base64::engine::general_purpose::STANDARD.encode(s),
        Err(e) => return Resp::json(500, &json!({"error": format!("sign: {e}")})),
    };
    let sig = if c.tamper == Tamper::Signature {
        outbound::flip_b64(&sig)
    } else {
        sig
    };
    let out = Outbound {
        label: "pingpp.webhook".into(),
        url,
        content_type: "application/json; charset=utf-8".into(),
        headers: vec![(SIGNATURE_HEADER.into(), sig)],
        body,
    };
    let sent = outbound::dispatch(state, out, &c.delivery);
    Resp::json(200, &outbound::report(&[event_body], &sent))
}
