//! Everything the sandbox sends on its own initiative (S3 notifies, Paytm callbacks,
//! Ping++ webhooks, wallet notifications) goes through [`post`]: one timeout, and only
//! to URLs with a prefix in [`SandboxConfig::outbound_allow`](super::SandboxConfig),
//! because callback URLs arrive inside requests and the sandbox must not be an open
//! relay. Deliveries can be delayed, duplicated or held for a reordered release
//! (see [`super::control`]); every attempt is logged.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::crypto::PrivateKey;

use super::server::{Resp, State};

/// A message ready to POST.
#[derive(Debug, Clone, Serialize)]
pub struct Outbound {
    /// What it is, e.g. `s3.notify`.
    pub label: String,
    pub url: String,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    /// The body as text (all our bodies are JSON or form-encoded).
    pub body: String,
}

/// How to deliver: `delay_ms` before sending (on a background thread), `duplicate`
/// extra copies, or `hold` until `/_control/outbox/release`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Delivery {
    #[serde(default)]
    pub delay_ms: u64,
    #[serde(default)]
    pub duplicate: u32,
    #[serde(default)]
    pub hold: bool,
}

/// One logged attempt.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    pub label: String,
    pub url: String,
    pub status: Option<u16>,
    pub response: String,
    pub error: Option<String>,
}

/// Log and held messages.
#[derive(Default)]
pub struct OutboundState {
    pub sent: Vec<Sent>,
    pub held: Vec<Outbound>,
}

/// Whether the sandbox may POST to `url` (prefix match against `outbound_allow`).
#[must_use]
pub fn allowed(state: &State, url: &str) -> bool {
    state
        .config
        .outbound_allow
        .iter()
        .any(|p| url.starts_with(p.as_str()))
}

/// POSTs `msg` now, logs and returns the attempt.
pub fn post(state: &State, msg: &Outbound) -> Sent {
    let mut sent = Sent {
        label: msg.label.clone(),
        url: msg.url.clone(),
        status: None,
        response: String::new(),
        error: None,
    };
    if allowed(state, &msg.url) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_millis(
                state.config.outbound_timeout_ms,
            )))
            .http_status_as_error(false)
            // A redirect could lead anywhere; only the allowed URL itself is posted to.
            .max_redirects(0)
            .build()
            .into();
        let mut rq = agent
            .post(&msg.url)
            .header("Content-Type", &msg.content_type);
        for (k, v) in &msg.headers {
            rq = rq.header(k, v);
        }
        match rq.send(msg.body.as_bytes()) {
            Ok(mut resp) => {
                sent.status = Some(resp.status().as_u16());
                sent.response = resp
                    .body_mut()
                    .with_config()
                    .limit(64 * 1024)
                    .read_to_string()
                    .unwrap_or_default();
            }
            Err(e) => sent.error = Some(e.to_string()),
        }
    } else {
        sent.error = Some(format!("url not allowed by outbound_allow: {}", msg.url));
    }
    state.with(|i| {
        i.bump(&format!("{}.sent", msg.label));
        i.outbound.sent.push(sent.clone());
    });
    sent
}

/// Delivers `msg` as `how` says. Returns the attempts made synchronously (none when
/// delayed or held).
pub fn dispatch(state: &Arc<State>, msg: Outbound, how: &Delivery) -> Vec<Sent> {
    let copies = 1 + how.duplicate as usize;
    if how.hold {
        state.with(|i| i.outbound.held.extend(std::iter::repeat_n(msg, copies)));
        return Vec::new();
    }
    if how.delay_ms > 0 {
        let (state, delay) = (state.clone(), how.delay_ms);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(delay));
            for _ in 0..copies {
                post(&state, &msg);
            }
        });
        return Vec::new();
    }
    (0..copies).map(|_| post(state, &msg)).collect()
}

/// Sends every held message, in arrival order or reversed (to test out-of-order
/// callbacks).
pub fn release(state: &Arc<State>, reverse: bool) -> Vec<Sent> {
    let mut held = state.with(|i| std::mem::take(&mut i.outbound.held));
    if reverse {
        held.reverse();
    }
    held.iter().map(|m| post(state, m)).collect()
}

/// A JSON message.
#[must_use]
pub fn json_message(
    label: &str,
    url: &str,
    body: &Value,
    headers: Vec<(String, String)>,
) -> Outbound {
    Outbound {
        label: label.to_owned(),
        url: url.to_owned(),
        content_type: "application/json; charset=utf-8".into(),
        headers,
        body: body.to_string(),
    }
}

/// What `/_control/*/complete` answers.
#[must_use]
pub fn report(messages: &[Value], sent: &[Sent]) -> Value {
    json!({"messages": messages, "sent": sent})
}

/// Flips one base64 character so the signature no longer verifies (tamper "signature").
#[must_use]
pub fn flip_b64(sig: &str) -> String {
    let mut chars: Vec<char> = sig.chars().collect();
    if let Some(c) = chars.get_mut(0) {
        *c = if *c == 'A' { 'B' } else { 'A' };
    }
    chars.into_iter().collect()
}

/// Applies tamper "signature" to a signed JSON message: its `sign` member no longer
/// verifies. Other tampers are applied before signing, by the caller.
pub fn tamper_sign_member(msg: &mut serde_json::Value, tamper: Tamper) {
    if tamper == Tamper::Signature {
        let flipped = msg["sign"].as_str().map(flip_b64).unwrap_or_default();
        msg["sign"] = serde_json::Value::String(flipped);
    }
}

/// How a completion tampers with what it sends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tamper {
    #[default]
    None,
    /// Sign correctly, then flip a character of the signature.
    Signature,
    /// Change the amount before signing: a valid signature over the wrong amount.
    Amount,
    /// Change the order id before signing.
    OrderId,
    /// Sign with a key the verifier does not trust (`impostor_private_key`; for Paytm a
    /// different merchant key).
    WrongKey,
}

/// The key to sign with: the upstream's own, or the impostor's for `wrong_key`.
pub fn signing_key<'a>(
    state: &'a State,
    own: &'a PrivateKey,
    tamper: Tamper,
) -> Result<&'a PrivateKey, Resp> {
    if tamper != Tamper::WrongKey {
        return Ok(own);
    }
    state.keys.impostor_priv.as_ref().ok_or_else(|| {
        Resp::json(
            400,
            &json!({"error": "tamper wrong_key needs impostor_private_key in the config"}),
        )
    })
}

/// Automatic completion of every new trade of an upstream (`/_control/<u>/auto`).
#[derive(Debug, Clone, Deserialize)]
pub struct Auto {
    #[serde(default = "default_result")]
    pub result: String,
    #[serde(default)]
    pub tamper: Tamper,
    /// Ping++ only: the event to send.
    #[serde(default)]
    pub event: Option<String>,
    #[serde(flatten)]
    pub delivery: Delivery,
}

impl Auto {
    /// The completion for trade `id`.
    #[must_use]
    pub fn for_id(&self, id: &str) -> Complete {
        Complete {
            id: id.to_owned(),
            result: self.result.clone(),
            tamper: self.tamper,
            delivery: self.delivery.clone(),
        }
    }
}

/// Runs `complete` for a new trade on a background thread, so the notify never holds
/// up the answer to the create call (with `delay_ms` 0 it may even overtake it — a
/// race worth testing; use a delay for the usual order).
pub fn spawn_auto(state: &Arc<State>, c: Complete, complete: fn(&Arc<State>, &Complete) -> Resp) {
    let state = state.clone();
    std::thread::spawn(move || {
        complete(&state, &c);
    });
}

/// The common body of `/_control/<upstream>/complete`.
#[derive(Debug, Clone, Deserialize)]
pub struct Complete {
    /// Which trade (each upstream documents which ids it accepts).
    pub id: String,
    #[serde(default = "default_result")]
    pub result: String,
    #[serde(default)]
    pub tamper: Tamper,
    #[serde(flatten)]
    pub delivery: Delivery,
}

fn default_result() -> String {
    "success".into()
}

impl Complete {
    /// `result` must be `success` or `fail`.
    pub fn success(&self) -> Result<bool, String> {
        match self.result.as_str() {
            "success" => Ok(true),
            "fail" => Ok(false),
            other => Err(format!("result: expected success|fail, got {other:?}")),
        }
    }
}
