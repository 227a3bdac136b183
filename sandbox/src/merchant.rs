//! A merchant's webhook receiver (SPEC 3.5 "Merchant webhooks"): `POST
//! /merchant/webhooks` verifies `Kassa-Signature: t=..,v1=..` with
//! `merchant.webhook_secret` (tolerance `merchant.tolerance_secs`, default 300 s) as SPEC
//! 3.5 states it — `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`, any
//! `v1` entry may match (secret rotation), other schemes ignored, a second `t` malformed —
//! with its own HMAC ([`verify_signature`]), records every delivery with its `verified` flag
//! and answers 200 `{"received": true}` (verified) or 400 `{"error"}` (not). The merchant
//! script (`/_control/merchant/script`) can make it answer 500 (`error`), sleep before
//! answering (`slow`/`timeout`, for a caller with a shorter time-out), or refuse (`deny`)
//! — for the next N deliveries or from now on. `GET /merchant/webhooks` lists what it
//! got: `{"webhooks": [{verified, error, answered, id, type, signature, body}]}`.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};

use super::crypto::{ct_eq, hex, hmac_sha256};
use super::server::{unix_ms, Outcome, Req, Resp, Script, State};

/// The signature header (SPEC 3.5).
pub const HEADER: &str = "Kassa-Signature";
/// SPEC 3.5: verifiers reject timestamps older than 300 s.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// Verifies a `Kassa-Signature` value over `body` under `secret` at `now` (unix
/// seconds), allowing `tolerance` seconds either way. The error names the reason.
pub fn verify_signature(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: u64,
    tolerance: u64,
) -> Result<u64, String> {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| format!("{HEADER}: malformed entry {part:?} (want k=v)"))?;
        match k {
            "t" if t.is_some() => return Err(format!("{HEADER}: malformed (t appears twice)")),
            "t" => {
                let ok = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
                let parsed = v.parse::<u64>().ok().filter(|_| ok);
                t = Some(parsed.ok_or_else(|| format!("{HEADER}: t={v:?} is not unix seconds"))?);
            }
            "v1" => v1.push(v),
            // Other schemes (v0, v2) may come later; they are not ours to judge.
            _ => {}
        }
    }
    let t = t.ok_or_else(|| format!("{HEADER}: malformed (no t=)"))?;
    if v1.is_empty() {
        return Err(format!("{HEADER}: malformed (no v1=)"));
    }
    let want = hex(&hmac_sha256(
        secret,
        &[t.to_string().as_bytes(), b".", body],
    ));
    // Every entry is compared, so timing does not tell which one matched.
    let matched = v1
        .iter()
        .fold(false, |ok, got| ok | ct_eq(want.as_bytes(), got.as_bytes()));
    if !matched {
        return Err(format!("{HEADER}: signature does not match"));
    }
    if now.abs_diff(t) > tolerance {
        return Err(format!(
            "{HEADER}: timestamp {t} is more than {tolerance} s from now ({now})"
        ));
    }
    Ok(t)
}

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
        Some(h) => verify_signature(
            cfg.webhook_secret.as_bytes(),
            h,
            &req.body,
            unix_ms() / 1000,
            cfg.tolerance_secs,
        )
        .map(|_| ()),
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

#[cfg(test)]
mod tests {
    use super::verify_signature;
    use crate::vectors::{case_str, cases};

    #[test]
    fn python_hmac_vectors_verify() {
        for c in cases("webhook_sig.json") {
            let t = c["timestamp"]
                .as_u64()
                .or_else(|| c["timestamp"].as_str().and_then(|s| s.parse().ok()))
                .unwrap();
            let (secret, body, header) = (
                case_str(&c, "secret").as_bytes(),
                case_str(&c, "body").as_bytes(),
                case_str(&c, "header"),
            );
            assert_eq!(verify_signature(secret, header, body, t, 300), Ok(t));
            assert!(verify_signature(secret, header, b"other", t, 300).is_err());
            assert!(verify_signature(b"wrong", header, body, t, 300).is_err());
            let late = verify_signature(secret, header, body, t + 301, 300);
            assert!(late.unwrap_err().contains("more than 300 s"));
            // Rotation: one matching entry among several is enough.
            let rotated = format!("{header},v1=00,v0=zz");
            assert_eq!(verify_signature(secret, &rotated, body, t, 300), Ok(t));
        }
        assert!(verify_signature(b"s", "t=1,t=1,v1=00", b"", 1, 300)
            .unwrap_err()
            .contains("twice"));
        assert!(verify_signature(b"s", "v1=00", b"", 1, 300)
            .unwrap_err()
            .contains("no t="));
    }
}
