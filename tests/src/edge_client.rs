//! Small clients of the edge's HTTP surfaces that several integration tests share.

use serde_json::{json, Value};

use crate::harness::{read_json, MERCHANT_KEY};
use crate::sandbox::config::fixtures as f;

/// The S0 variables pointing the edge at the sandbox's S0 under `s0_url` (every pay
/// runs `prePayCheck`, fail closed).
#[must_use]
pub fn s0_vars(s0_url: &str) -> [(&'static str, &str); 3] {
    [
        ("KASSA_S0_URL", s0_url),
        ("KASSA_S0_ACCESS_TOKEN", f::S0_ACCESS_TOKEN),
        ("KASSA_S0_ORG_SECRET", f::S0_ORG_SECRET),
    ]
}

/// Sends a verify code for order `id` and reads it back from the dev outbox:
/// `(send id, code)`.
///
/// # Errors
/// On a transport error, a refused send, or a code missing from the outbox.
pub fn sms_code(
    http: &ureq::Agent,
    url: &str,
    id: &str,
    secret: &str,
) -> Result<(String, String), String> {
    let (s, v) = read_json(
        http.post(format!("{url}/api/payment/order/send_payment_verify_code"))
            .header("Authorization", &format!("Bearer {secret}"))
            .send_json(json!({ "order_id": id })),
    )?;
    let send_id = match (s, v["orderId"].as_str()) {
        (200, Some(send)) => send.to_owned(),
        _ => return Err(format!("code send refused: {s} {v}")),
    };
    let code = dev_code(http, url, id, &send_id)?;
    Ok((send_id, code))
}

/// The code of send `send_id` for order `id`, read from the dev outbox (development
/// only).
///
/// # Errors
/// On a transport error or a code missing from the outbox.
pub fn dev_code(http: &ureq::Agent, url: &str, id: &str, send_id: &str) -> Result<String, String> {
    let (_, outbox) = merchant_get(http, url, &format!("/v1/dev/outbox?order_id={id}"))?;
    outbox["data"]
        .as_array()
        .and_then(|msgs| msgs.iter().find(|m| m["send_id"] == send_id))
        .and_then(|m| m["code"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("no code for send {send_id} in {outbox}"))
}

/// `GET url` with `Authorization: Bearer <token>` (the widget API's credentials):
/// (status, JSON body).
///
/// # Errors
/// On a transport error or a body that is not JSON.
pub fn bearer_get(http: &ureq::Agent, url: &str, token: &str) -> Result<(u16, Value), String> {
    read_json(
        http.get(url)
            .header("Authorization", &format!("Bearer {token}"))
            .call(),
    )
}

/// The newest code for `purpose` (e.g. `s4_withdraw_info`) delivered through order `id`,
/// from the dev outbox.
///
/// # Errors
/// On a transport error or no such code.
pub fn dev_outbox_code(
    http: &ureq::Agent,
    url: &str,
    id: &str,
    purpose: &str,
) -> Result<String, String> {
    let (_, outbox) = merchant_get(http, url, &format!("/v1/dev/outbox?order_id={id}"))?;
    outbox["data"]
        .as_array()
        .and_then(|msgs| msgs.iter().rev().find(|m| m["purpose"] == purpose))
        .and_then(|m| m["code"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("no {purpose} code in {outbox}"))
}

/// The merchant API's view of order `id`.
///
/// # Errors
/// On a transport error or a non-200 answer.
pub fn merchant_order(http: &ureq::Agent, url: &str, id: &str) -> Result<Value, String> {
    match merchant_get(http, url, &format!("/v1/orders/{id}"))? {
        (200, o) => Ok(o),
        (s, o) => Err(format!("GET /v1/orders/{id}: {s} {o}")),
    }
}

/// Creates an order through the merchant API (`POST /v1/orders` with `body`): its JSON.
///
/// # Errors
/// On a transport error or an answer other than 201.
pub fn create_order(http: &ureq::Agent, url: &str, body: &Value) -> Result<Value, String> {
    match merchant_post(http, url, "/v1/orders", body)? {
        (201, o) => Ok(o),
        (s, o) => Err(format!("POST /v1/orders: {s} {o}")),
    }
}

/// `GET {url}{path}` with the merchant key: status and JSON body.
///
/// # Errors
/// On a transport error or a body that is not JSON.
pub fn merchant_get(http: &ureq::Agent, url: &str, path: &str) -> Result<(u16, Value), String> {
    read_json(
        http.get(format!("{url}{path}"))
            .header("Authorization", &format!("Bearer {MERCHANT_KEY}"))
            .call(),
    )
}

/// `POST {url}{path}` with the merchant key and a JSON body: status and JSON body.
///
/// # Errors
/// On a transport error or a body that is not JSON.
pub fn merchant_post(
    http: &ureq::Agent,
    url: &str,
    path: &str,
    body: &Value,
) -> Result<(u16, Value), String> {
    read_json(
        http.post(format!("{url}{path}"))
            .header("Authorization", &format!("Bearer {MERCHANT_KEY}"))
            .send_json(body),
    )
}

/// Member `field` of every element of the JSON array `list`, as strings; `None` when
/// `list` is not an array or an element lacks a string `field`.
#[must_use]
pub fn strings<'a>(list: &'a Value, field: &str) -> Option<Vec<&'a str>> {
    list.as_array()?.iter().map(|o| o[field].as_str()).collect()
}

/// The plaintext an S4 sealed field carries (SPEC 4.5, issue 14): `{v, ts, n}` with
/// `ts` now and a fresh random nonce — what the widget's `sealField` encrypts. Every
/// test that seals encrypts this, never the bare value.
#[must_use]
pub fn sealed_plaintext(value: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    sealed_plaintext_at(value, now)
}

/// [`sealed_plaintext`] sealed at `ts_ms` (a stale value, for the attack tests).
#[must_use]
pub fn sealed_plaintext_at(value: &str, ts_ms: u64) -> String {
    let nonce: [u8; kassa_shared::crypto::sealed::NONCE_BYTES] = rand::random();
    kassa_shared::crypto::sealed::plaintext(value, ts_ms, &nonce)
}
