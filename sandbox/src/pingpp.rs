//! Ping++ (the S4 channel; SPEC 3.4 "pingpp"), under `/pingpp/v1/`:
//!
//! - `POST /pingpp/v1/charges` — JSON `{order_no, amount (integer, minor units),
//!   currency, channel, subject?, body?, client_ip?, extra?}` → a Ping++ charge object
//!   (`id` "ch_…", `object` "charge", `livemode` (true only under an `sk_live_` key),
//!   `paid` false, `extra` as sent, `refunds` a list whose `url` is
//!   `/v1/charges/{id}/refunds`, …). With `pingpp.api_key` set, the caller must send
//!   `Authorization: Bearer <api_key>` (what Ping++'s SDKs send) or HTTP Basic with the
//!   key as user name. With `pingpp.request_public_key` set, every request must also
//!   carry a valid `Pingplusplus-Signature` (see [`request_signature_ok`]; 401
//!   otherwise), as on a Ping++ app with request signing switched on; without it the
//!   header is ignored. Errors use Ping++'s shape `{"error": {"type":
//!   "invalid_request_error", "message", "param"}}`, which the SDKs turn into
//!   `InvalidRequestError` (400/404) or `AuthenticationError` (401).
//!   The charge belongs to the app the request names (`app: {id}`, as Ping++ requires;
//!   the configured `pingpp.app_id` when absent) and `order_no` is unique per app, so a
//!   co-tenant app can hold a charge with the same `order_no` as ours (issue 14).
//! - `GET /pingpp/v1/charges/{id}` — retrieve (status pull).
//! - `GET /pingpp/v1/charges/{id}/refunds` — the charge's refund list (`{object:
//!   "list", url, has_more, data}`).
//! - `GET /pingpp/v1/charges/{id}/refunds/{refund_id}` — retrieve a refund of that
//!   charge (Ping++'s refund object as it stands; 404 in Ping++'s error shape when the
//!   charge has no such refund).
//! - `POST /pingpp/v1/charges/{id}/refunds` — JSON `{amount?, description?, metadata?}` (amount
//!   defaults to what is left): refused (400, Ping++'s error shape naming the
//!   parameter) unless the charge is paid and `0 < amount ≤ amount − amount_refunded`;
//!   otherwise the refund is recorded on the charge (`refunds.data`, `amount_refunded`)
//!   and answered as a refund object `{id: "re_…", object: "refund", amount, succeed:
//!   false, status: "pending", charge, charge_order_no, …}`. Ping++ settles refunds
//!   asynchronously, and so does the sandbox: 300 ms later (with `pingpp.webhook_url`
//!   set) it posts the signed `refund.succeeded` webhook for that refund — or queues it
//!   in the outbox after `/_control/pingpp/refund_webhooks {"hold": true}`, so a test
//!   decides when and how often it arrives.
//! - Webhooks (`/_control/pingpp/complete`, `id` = charge id or `order_no`, `event` =
//!   `charge.succeeded` | `refund.succeeded` — the latter settles the charge's pending
//!   refund, or refunds it in full when none is pending, as a refund made from Ping++'s
//!   dashboard would be, recorded on the charge like any other): an event object
//!   `{id, object: "event", type, created, livemode, data: {object}, pending_webhooks}`
//!   POSTed to `pingpp.webhook_url` with `X-Pingplusplus-Signature`: base64
//!   RSA-SHA256 over the raw body with the Ping++ private key.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use super::crypto::{ct_eq, SignAlg};
use super::outbound::{self, Complete, Delivery, Outbound, Tamper};

/// The header carrying the webhook signature (Ping++ "Webhooks 验证").
pub const SIGNATURE_HEADER: &str = "X-Pingplusplus-Signature";
use super::server::{unix_ms, Outcome, Req, Resp, Script, State};

#[derive(Default)]
pub struct PingppState {
    pub script: Script,
    pub auto: Option<outbound::Auto>,
    /// Charge objects as JSON (the wire form is the state).
    pub charges: Vec<Value>,
    /// Queue the refund API's `refund.succeeded` webhooks instead of sending them.
    pub hold_refund_webhooks: bool,
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
        return ct_eq(user, key.as_bytes());
    }
    let got = header.strip_prefix("Bearer ").unwrap_or("");
    ct_eq(got.as_bytes(), key.as_bytes())
}

/// `/pingpp/v1/{rest}`.
pub fn handle(state: &Arc<State>, req: &Req, rest: &str) -> Resp {
    let charge = rest.strip_prefix("charges/");
    let plain = |id: &&str| !id.is_empty() && !id.contains('/');
    let refunds = charge
        .and_then(|c| c.strip_suffix("/refunds"))
        .filter(plain);
    let refund_retrieve = charge
        .and_then(|c| c.split_once("/refunds/"))
        .filter(|(c, r)| plain(c) && plain(r));
    let retrieve = charge.filter(plain);
    if rest != "charges" && retrieve.is_none() && refunds.is_none() && refund_retrieve.is_none() {
        return Resp::not_found(&req.path);
    }
    if !authorised(state, req) {
        return err(401, "invalid_request_error", "invalid API key", None);
    }
    if let Err(e) = request_signature_ok(state, req) {
        state.with(|i| i.bump("pingpp.signature_rejected"));
        return err(401, "invalid_request_error", &e, None);
    }
    if let Some((charge_id, refund_id)) = refund_retrieve {
        if req.method != "GET" {
            return Resp::method_not_allowed(&req.method, &req.path);
        }
        let found = state.with(|i| {
            let ch = i.pingpp.charges.iter().find(|c| c["id"] == charge_id)?;
            ch["refunds"]["data"]
                .as_array()?
                .iter()
                .find(|r| r["id"] == refund_id)
                .cloned()
        });
        return match found {
            Some(r) => Resp::json(200, &r),
            None => err(
                404,
                "invalid_request_error",
                &format!("No such refund: {refund_id}"),
                Some("id"),
            ),
        };
    }
    if let Some(id) = refunds {
        return match req.method.as_str() {
            "POST" => refund(state, req, id),
            "GET" => match find_charge(state, id) {
                Ok(c) => Resp::json(200, &c["refunds"]),
                Err(r) => r,
            },
            _ => Resp::method_not_allowed(&req.method, &req.path),
        };
    }
    match (req.method.as_str(), retrieve) {
        ("POST", None) => create(state, req),
        ("GET", Some(id)) => match find_charge(state, id) {
            Ok(c) => Resp::json(200, &c),
            Err(r) => r,
        },
        _ => Resp::method_not_allowed(&req.method, &req.path),
    }
}

/// Ping++'s request signature, as its SDKs make it (`pingpp-python` 2.7.2
/// `APIRequestor.get_rsa_verify_data` / `rsa_sign`): base64 RSA-SHA256 over the JSON
/// body (absent for GET), then the request URI relative to the API base (path and
/// query, here without the sandbox's `/pingpp` prefix), then the
/// `Pingplusplus-Request-Timestamp` value, concatenated. Checked only when
/// `pingpp.request_public_key` is configured; the timestamp must be within 300 s.
fn request_signature_ok(state: &State, req: &Req) -> Result<(), String> {
    let Some(key) = &state.keys.pingpp_request_pub else {
        return Ok(());
    };
    let sig = req
        .header("Pingplusplus-Signature")
        .ok_or("Pingplusplus-Signature: missing (this app verifies request signatures)")?;
    let ts = req
        .header("Pingplusplus-Request-Timestamp")
        .ok_or("Pingplusplus-Request-Timestamp: missing")?;
    let t: u64 = ts
        .parse()
        .map_err(|_| format!("Pingplusplus-Request-Timestamp: {ts:?} is not unix seconds"))?;
    let now = unix_ms() / 1000;
    if now.abs_diff(t) > 300 {
        return Err(format!(
            "Pingplusplus-Request-Timestamp: {t} is more than 300 s from now ({now})"
        ));
    }
    let uri = req.path.strip_prefix("/pingpp").unwrap_or(&req.path);
    let mut data = req.body.clone();
    data.extend_from_slice(uri.as_bytes());
    if !req.query.is_empty() {
        data.push(b'?');
        data.extend_from_slice(req.query.as_bytes());
    }
    data.extend_from_slice(ts.as_bytes());
    if key.verify_b64(SignAlg::Rsa2, &data, sig.trim()) {
        Ok(())
    } else {
        Err("Pingplusplus-Signature: does not verify with the app's public key".into())
    }
}

/// `livemode` of what a key makes: Ping++'s `sk_live_` keys make live objects,
/// `sk_test_` keys (and the sandbox without a key) test ones.
fn livemode(state: &State) -> bool {
    state
        .config
        .pingpp
        .api_key
        .as_deref()
        .is_some_and(|k| k.starts_with("sk_live_"))
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
    #[serde(default)]
    app: Option<AppRef>,
    /// Channel-specific parameters (`success_url` for `alipay_wap`, `open_id` for
    /// `wx_pub`, …), kept on the charge as Ping++ does.
    #[serde(default)]
    extra: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
struct AppRef {
    id: String,
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
    // Ping++ refuses a wx_pub charge without the payer's openid: WeChat cannot make the
    // JSAPI order without it.
    let open_id = c.extra.get("open_id").and_then(Value::as_str).unwrap_or("");
    if c.channel == "wx_pub" && open_id.is_empty() {
        return err(
            400,
            "invalid_request_error",
            "extra[open_id]: required for channel wx_pub",
            Some("extra[open_id]"),
        );
    }
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
    let live = livemode(state);
    let app = c
        .app
        .as_ref()
        .map_or_else(|| state.config.pingpp.app_id.clone(), |a| a.id.clone());
    let (charge, auto) = state.with(|i| {
        // `order_no` is unique within an app: the same one again is the same charge.
        if let Some(existing) = i
            .pingpp
            .charges
            .iter()
            .find(|x| x["order_no"] == c.order_no.as_str() && x["app"] == app.as_str())
        {
            return (existing.clone(), None);
        }
        i.bump("pingpp.charge_created");
        let id = i.next_id("ch_");
        let ch = json!({
            "id": id, "object": "charge", "created": unix_ms() / 1000,
            "livemode": live, "paid": false, "refunded": false, "reversed": false,
            "app": app, "channel": c.channel, "order_no": c.order_no,
            "client_ip": c.client_ip, "amount": c.amount, "amount_settle": c.amount,
            "currency": c.currency, "subject": c.subject, "body": c.body,
            "extra": c.extra, "time_paid": null, "time_expire": unix_ms() / 1000 + 3600,
            "time_settle": null, "transaction_no": null,
            // The list's `url` is what the SDKs' `charge.refunds.create()` /
            // `.list()` / `.retrieve()` post to (pingpp-python `ListObject`).
            "refunds": {"object": "list", "url": format!("/v1/charges/{id}/refunds"),
                        "has_more": false, "data": []},
            "amount_refunded": 0, "failure_code": null, "failure_msg": null,
            "metadata": {}, "credential": {}, "description": null
        });
        let mut ch = ch;
        ch["credential"] = super::pingpp_pages::credential(state, &ch);
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

/// A refund object for `amount` of charge `ch`, pending until settled; `metadata` as
/// the caller sent it (Ping++ keeps and echoes it).
fn refund_object(
    ch: &Value,
    id: String,
    (amount, description, metadata): (u64, &str, &Value),
    now: u64,
) -> Value {
    json!({"id": id, "object": "refund", "order_no": ch["order_no"], "amount": amount,
        "created": now, "succeed": false, "status": "pending", "time_succeed": null,
        "description": description, "failure_code": null, "failure_msg": null,
        "metadata": metadata, "charge": ch["id"], "charge_order_no": ch["order_no"],
        "transaction_no": null})
}

/// Marks `refund` succeeded (in the charge's list too) and returns it.
fn settle_refund(ch: &mut Value, refund: &Value, txn: String, now: u64) -> Value {
    let mut done = refund.clone();
    done["succeed"] = json!(true);
    done["status"] = json!("succeeded");
    done["time_succeed"] = json!(now);
    done["transaction_no"] = json!(txn);
    if let Some(list) = ch["refunds"]["data"].as_array_mut() {
        for r in list.iter_mut().filter(|r| r["id"] == done["id"]) {
            *r = done.clone();
        }
    }
    let refunded = ch["amount_refunded"].as_u64().unwrap_or(0);
    ch["refunded"] = json!(refunded >= ch["amount"].as_u64().unwrap_or(0));
    done
}

#[derive(Deserialize)]
struct CreateRefund {
    #[serde(default)]
    amount: Option<u64>,
    #[serde(default)]
    description: String,
    /// Kept and echoed on the refund object, as Ping++ does (a JSON object).
    #[serde(default)]
    metadata: Option<Value>,
}

/// Charge `id`, or Ping++'s 404 naming it.
fn find_charge(state: &State, id: &str) -> Result<Value, Resp> {
    state
        .with(|i| i.pingpp.charges.iter().find(|c| c["id"] == id).cloned())
        .ok_or_else(|| {
            err(
                404,
                "invalid_request_error",
                &format!("No such charge: {id}"),
                Some("id"),
            )
        })
}

/// `POST /pingpp/v1/charges/{id}/refunds` (module docs).
fn refund(state: &Arc<State>, req: &Req, charge_id: &str) -> Resp {
    let r: CreateRefund = match serde_json::from_slice(&req.body) {
        Ok(r) => r,
        Err(e) => return err(400, "invalid_request_error", &format!("body: {e}"), None),
    };
    let now = unix_ms() / 1000;
    let answer = state.with(|i| {
        i.bump("pingpp.refund_request");
        let re_id = i.next_id("re_");
        let Some(ch) = i.pingpp.charges.iter_mut().find(|c| c["id"] == charge_id) else {
            return Err((404, format!("No such charge: {charge_id}"), "id"));
        };
        if ch["paid"] != true {
            return Err((400, "charge is not paid".to_owned(), "charge"));
        }
        let charged = ch["amount"].as_u64().unwrap_or(0);
        let left = charged.saturating_sub(ch["amount_refunded"].as_u64().unwrap_or(0));
        let amount = r.amount.unwrap_or(left);
        if amount == 0 || amount > left {
            let msg =
                format!("amount: must be between 1 and {left}, the charge's unrefunded amount");
            return Err((400, msg, "amount"));
        }
        let metadata = r.metadata.clone().unwrap_or_else(|| json!({}));
        let refund = refund_object(ch, re_id, (amount, &r.description, &metadata), now);
        ch["amount_refunded"] = json!(charged - left + amount);
        if let Some(list) = ch["refunds"]["data"].as_array_mut() {
            list.push(refund.clone());
        }
        i.bump("pingpp.refund_created");
        Ok(refund)
    });
    let refund = match answer {
        Ok(r) => r,
        Err((status, message, param)) => {
            return err(status, "invalid_request_error", &message, Some(param))
        }
    };
    if state.config.pingpp.webhook_url.is_some() {
        let (state, refund) = (state.clone(), refund.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            let object = state.with(|i| {
                let txn = i.next_id("");
                let ch = i
                    .pingpp
                    .charges
                    .iter_mut()
                    .find(|c| c["id"] == refund["charge"])?;
                Some(settle_refund(ch, &refund, txn, unix_ms() / 1000))
            });
            if let Some(object) = object {
                let delivery = Delivery {
                    hold: state.with(|i| i.pingpp.hold_refund_webhooks),
                    ..Delivery::default()
                };
                send_event(&state, "refund.succeeded", object, Tamper::None, &delivery);
            }
        });
    }
    Resp::json(200, &refund)
}

/// `/_control/pingpp/complete`: `id` is a charge id, an `order_no`, or a Kassa order id
/// (the latest charge of its attempts' `{order}A{attempt}`); `event` is
/// `charge.succeeded` or `refund.succeeded`.
pub fn complete(state: &Arc<State>, c: &Complete, event: &str) -> Resp {
    if state.config.pingpp.webhook_url.is_none() {
        return Resp::json(
            400,
            &json!({"error": "pingpp.webhook_url is not configured"}),
        );
    }
    if !matches!(event, "charge.succeeded" | "refund.succeeded") {
        return Resp::json(
            400,
            &json!({"error": format!("event: expected charge.succeeded|refund.succeeded, got {event:?}")}),
        );
    }
    let now = unix_ms() / 1000;
    let found = state.with(|i| {
        let txn = i.next_id("");
        let re_id = i.next_id("re_");
        let ch = i.pingpp.charges.iter_mut().rev().find(|ch| {
            let order_no = ch["order_no"].as_str().unwrap_or("");
            ch["id"] == c.id.as_str()
                || order_no == c.id
                || order_no.split_once('A').is_some_and(|(o, _)| o == c.id)
        })?;
        let amount = ch["amount"].as_u64().unwrap_or(0);
        Some(if event == "charge.succeeded" {
            ch["paid"] = json!(true);
            ch["time_paid"] = json!(now);
            ch["transaction_no"] = json!(txn);
            ch.clone()
        } else {
            let pending = ch["refunds"]["data"]
                .as_array()
                .and_then(|l| l.iter().find(|r| r["status"] == "pending").cloned());
            let refund = pending.unwrap_or_else(|| {
                // Refunded at Ping++ without a refund request (its dashboard): on the
                // charge like any refund, so the refund retrieve knows it.
                ch["amount_refunded"] = json!(amount);
                let r = refund_object(ch, re_id, (amount, "refund", &json!({})), now);
                if let Some(list) = ch["refunds"]["data"].as_array_mut() {
                    list.push(r.clone());
                }
                r
            });
            settle_refund(ch, &refund, txn, now)
        })
    });
    let Some(mut object) = found else {
        return Resp::json(404, &json!({"error": format!("no Ping++ charge {}", c.id)}));
    };
    match c.tamper {
        Tamper::Amount => object["amount"] = json!(object["amount"].as_u64().unwrap_or(0) + 1),
        Tamper::OrderId => {
            object["order_no"] = json!(format!("{}x", object["order_no"].as_str().unwrap_or("")));
        }
        Tamper::None | Tamper::Signature | Tamper::WrongKey => {}
    }
    send_event(state, event, object, c.tamper, &c.delivery)
}

/// Posts the signed webhook `{type: event, data: {object}}` to `pingpp.webhook_url`.
pub(crate) fn send_event(
    state: &Arc<State>,
    event: &str,
    object: Value,
    tamper: Tamper,
    delivery: &Delivery,
) -> Resp {
    let Some(url) = state.config.pingpp.webhook_url.clone() else {
        return Resp::json(
            400,
            &json!({"error": "pingpp.webhook_url is not configured"}),
        );
    };
    let key = match outbound::signing_key(state, &state.keys.pingpp_priv, tamper) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let now = unix_ms() / 1000;
    let ev_id = state.with(|i| i.next_id("evt_"));
    let event_body = json!({"id": ev_id, "object": "event", "type": event, "created": now,
        "livemode": livemode(state), "data": {"object": object}, "pending_webhooks": 0, "request": null});
    let body = event_body.to_string();
    let sig = match key.sign_b64(SignAlg::Rsa2, body.as_bytes()) {
        Ok(s) => s,
        Err(e) => return Resp::json(500, &json!({"error": format!("sign: {e}")})),
    };
    let sig = if tamper == Tamper::Signature {
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
    let sent = outbound::dispatch(state, out, delivery);
    Resp::json(200, &outbound::report(&[event_body], &sent))
}
