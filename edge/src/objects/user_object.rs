//! `UserObject` (SPEC 7): one Durable Object per shopper (named by the merchant's user
//! id). It holds the index of the user's orders for the S2 list (`GET
//! /api/payment/orders`, SPEC 3.1) and the code-send throttle (SPEC 5: 60 s apart, 5 per
//! hour, `second_factor::SendThrottle`) and the user's GA enrolment (SPEC 6: the TOTP
//! secret, base32, set once through `POST /v1/users/:id/ga`, with its `GaState` replay
//! guard), and the user's velocity window (SPEC 5; the per-IP one is `IpObject`'s).
//!
//! Storage: key `o:<id as 20 zero-padded digits>` → the id as a string; lexical order of
//! the keys is numeric order of the ids, which is creation order (ids are time-ordered).
//! Key `send_throttle` → the `SendThrottle` (JSON). Key `ga` → [`GaEnrolment`] (JSON).
//!
//! Internal routes: `POST /orders` `{id}`, `GET /orders?from=&to=`, `POST /send`
//! `{now_ms, limits}` (records a code send or answers 429 with the retry time),
//! `POST /ga` `{secret, now_ms}` (enrols once; 409 when already enrolled), `GET /profile`
//! (`{ga_enrolled}`: what `load_pay_data` needs, never the secret), `POST /ga/verify`
//! `{code, now_ms, limits}` → `{ok, reason?, attempts_left?, locked_until_ms?}` (TOTP
//! ±1 step, no reuse of an accepted step; wrong codes counted per user across all
//! their orders under `ga_lock`, a `WrongCodeLock`: after `limits.max_wrong` the
//! authenticator is locked and answers `locked_until_ms` without checking the code),
//! `POST /trusted` `{trusted}` (the merchant's decision), `POST /devices` `{device_id}`
//! (recorded after a code-verified pay). `/profile` also answers `trusted` and `devices`,
//! the risk engine's `user_trusted` / `known_devices`, and `velocity` (the user's
//! `VelocityWindow`, fed by `POST /attempts` `{now_ms, limit?}` for each attempt that
//! passed risk and S0; with `limit` the window is checked again where it is recorded and
//! `{ok: false}` means full, nothing recorded — so concurrent pays of one user on several
//! orders, which all read the window before any records, cannot overshoot it). The S4
//! wallet settings (pay password, security answers, withdrawal account and log, SMS
//! code, `client_status`) are `s4_wallet`'s, under `/s4/...`. `GET /tokens` → `{epoch}`
//! and `POST /tokens/revoke` → `{epoch}` keep the user's token generation (key
//! `token_epoch`, 0 until the first revocation): a user token is accepted only while it
//! carries the current one (`auth.rs`), so a revocation voids every user token issued
//! before it.

use serde::Deserialize;
use serde_json::json;
use worker::{Env, Method, Request, Response, Result};

use kassa_shared::crypto::totp::Totp;
use kassa_shared::id::Id;
use kassa_shared::risk::ReasonCode;
use kassa_shared::risk::VelocityWindow;
use kassa_shared::second_factor::{
    GaCheck, GaState, LockLimits, SendLimits, SendThrottle, WrongCodeLock,
};

use super::order_key as key;
use crate::error::EdgeError;

mod s4_wallet;

/// The most ids one `/orders` call returns: bounds the Worker's per-request order reads.
pub const MAX_SCAN: usize = 200;

const THROTTLE_KEY: &str = "send_throttle";
/// The user's token generation (`auth.rs`): bumped by each revocation.
const TOKEN_EPOCH_KEY: &str = "token_epoch";
const GA_KEY: &str = "ga";
/// The user's GA wrong-code lock (`WrongCodeLock`): 5 wrong codes across all of the
/// user's orders lock the authenticator for 15 min (issue 14 item 7).
const GA_LOCK_KEY: &str = "ga_lock";
/// The merchant's decision that this user is trusted (SPEC 5, `quick_pay`).
const TRUSTED_KEY: &str = "trusted";
/// Devices that completed a code-verified pay: a `device_id` here is not "new" (SPEC 5).
const DEVICES_KEY: &str = "devices";
/// Known devices kept per user (oldest dropped first).
const MAX_DEVICES: usize = 10;

/// A user's authenticator enrolment. The secret must be kept to verify codes, so it is
/// stored; it leaves the object only once, in the enrolment answer.
#[derive(serde::Serialize, Deserialize)]
pub struct GaEnrolment {
    /// Base32 (RFC 4648, no padding), as authenticator apps take it.
    pub secret: String,
    pub enrolled_at_ms: u64,
    pub state: GaState,
}

/// What the risk engine needs from a user's object (`GET /profile`). Missing or
/// unreadable fields read as "nothing known", so a new user is simply untrusted.
pub struct RiskProfile {
    pub ga_enrolled: bool,
    pub trusted: bool,
    pub devices: Vec<String>,
    pub velocity: VelocityWindow,
}

impl RiskProfile {
    /// Reads `user_id`'s profile through their `UserObject`.
    pub async fn load(env: &Env, user_id: &str) -> Result<Self, EdgeError> {
        let stub = super::user_stub(env, user_id)?;
        let v = super::call(&stub, Method::Get, "/profile", None).await?;
        Ok(Self {
            ga_enrolled: v["ga_enrolled"].as_bool().unwrap_or(false),
            trusted: v["trusted"].as_bool().unwrap_or(false),
            devices: serde_json::from_value(v["devices"].clone()).unwrap_or_default(),
            velocity: serde_json::from_value(v["velocity"].clone()).unwrap_or_default(),
        })
    }
}

routed_object!(UserObject);

impl UserObject {
    async fn route(&self, mut req: Request) -> Result<Response, EdgeError> {
        let storage = self.state.storage();
        if let Some(r) = s4_wallet::route(&storage, &mut req).await {
            return r;
        }
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/orders") => {
                #[derive(Deserialize)]
                struct Add {
                    id: Id,
                }
                let a: Add = serde_json::from_str(&req.text().await?)?;
                // Same key for the same order: adding twice is harmless.
                storage.put(&key(a.id.get()), a.id.to_string()).await?;
                Ok(Response::from_json(&json!({ "ok": true }))?)
            }
            (Method::Get, "/orders") => {
                // `from` / `to`: inclusive id bounds (S2 `from_id` / `to_id`).
                let url = req.url()?;
                let (mut from, mut to) = (None, None);
                for (k, v) in url.query_pairs() {
                    match k.as_ref() {
                        "from" => from = v.parse::<u64>().ok(),
                        "to" => to = v.parse::<u64>().ok(),
                        _ => {}
                    }
                }
                let start = from.map(key);
                // `end` is exclusive; the bound is inclusive.
                let end = to.map(|t| key(t.saturating_add(1)));
                let ids =
                    super::list_order_ids(&storage, start.as_deref(), end.as_deref(), MAX_SCAN)
                        .await?;
                Ok(Response::from_json(&json!({ "ids": ids }))?)
            }
            (Method::Get, "/tokens") => {
                let epoch = storage.get::<u64>(TOKEN_EPOCH_KEY).await?.unwrap_or(0);
                Ok(Response::from_json(&json!({ "epoch": epoch }))?)
            }
            (Method::Post, "/tokens/revoke") => {
                // Read and write with no other await between: concurrent revocations
                // each bump the generation, none is lost.
                let epoch = storage.get::<u64>(TOKEN_EPOCH_KEY).await?.unwrap_or(0) + 1;
                storage.put(TOKEN_EPOCH_KEY, epoch).await?;
                Ok(Response::from_json(&json!({ "epoch": epoch }))?)
            }
            (Method::Post, "/send") => {
                #[derive(Deserialize)]
                struct Send {
                    now_ms: u64,
                    limits: SendLimits,
                }
                let a: Send = serde_json::from_str(&req.text().await?)?;
                let mut throttle: SendThrottle = match storage.get::<String>(THROTTLE_KEY).await? {
                    Some(s) => serde_json::from_str(&s)?,
                    None => SendThrottle::default(),
                };
                // Check and record with no await in between: a Durable Object runs this
                // without interleaving, so two concurrent sends cannot both pass.
                throttle
                    .try_send(&a.limits, a.now_ms)
                    .map_err(|e| EdgeError::TooManyRequests {
                        code: e.reason_code.as_str(),
                        message: format!(
                            "verify code: sent too often ({}); retry in {} s",
                            e.reason_code,
                            e.retry_after_ms.div_ceil(1000)
                        ),
                        retry_after_ms: e.retry_after_ms,
                    })?;
                storage
                    .put(THROTTLE_KEY, serde_json::to_string(&throttle)?)
                    .await?;
                Ok(Response::from_json(&json!({ "ok": true }))?)
            }
            (Method::Post, "/ga") => {
                #[derive(Deserialize)]
                struct Enrol {
                    secret: String,
                    now_ms: u64,
                }
                let e: Enrol = serde_json::from_str(&req.text().await?)?;
                // Check and write with no await in between (see `/send`).
                if storage.get::<String>(GA_KEY).await?.is_some() {
                    return Err(EdgeError::Conflict {
                        code: "ga_already_enrolled",
                        message: "user: already has an authenticator enrolled".into(),
                    });
                }
                let g = GaEnrolment {
                    secret: e.secret,
                    enrolled_at_ms: e.now_ms,
                    state: GaState::default(),
                };
                storage.put(GA_KEY, serde_json::to_string(&g)?).await?;
                Ok(Response::from_json(&json!({ "ok": true }))?)
            }
            (Method::Post, "/ga/verify") => {
                #[derive(Deserialize)]
                struct Verify {
                    code: String,
                    now_ms: u64,
                    /// The risk configuration's wrong-code limits (this object has no
                    /// `Env`); the per-order lock's defaults when absent.
                    #[serde(default)]
                    limits: LockLimits,
                }
                let v: Verify = serde_json::from_str(&req.text().await?)?;
                let Some(text) = storage.get::<String>(GA_KEY).await? else {
                    return Err(EdgeError::bad(
                        "verify_code_order_id",
                        "verify_code_order_id: required (no authenticator enrolled)",
                    ));
                };
                let mut g: GaEnrolment = serde_json::from_str(&text)?;
                let mut lock: WrongCodeLock = match storage.get::<String>(GA_LOCK_KEY).await? {
                    Some(s) => serde_json::from_str(&s)?,
                    None => WrongCodeLock::default(),
                };
                let totp = Totp::from_base32(&g.secret)
                    .map_err(|e| EdgeError::Internal(format!("stored GA secret: {e}")))?;
                // Checked and counted with only storage operations in between (the input
                // gate keeps that atomic): concurrent guesses from several orders all
                // count. The replay guard is saved with a match, so a code works once.
                let check = g
                    .state
                    .verify_locked(&mut lock, &v.limits, &totp, &v.code, v.now_ms);
                let answer = match check {
                    GaCheck::Accepted { .. } => {
                        storage.put(GA_KEY, serde_json::to_string(&g)?).await?;
                        json!({ "ok": true })
                    }
                    GaCheck::Wrong {
                        error,
                        attempts_left,
                    } => json!({
                        "ok": false,
                        "reason": error.reason_code().as_str(),
                        "attempts_left": attempts_left,
                    }),
                    GaCheck::Locked { until_ms } => json!({
                        "ok": false,
                        "reason": ReasonCode::GaLocked.as_str(),
                        "locked_until_ms": until_ms,
                    }),
                };
                storage
                    .put(GA_LOCK_KEY, serde_json::to_string(&lock)?)
                    .await?;
                Ok(Response::from_json(&answer)?)
            }
            (Method::Get, "/profile") => {
                let ga = storage.get::<String>(GA_KEY).await?.is_some();
                let trusted = storage.get::<bool>(TRUSTED_KEY).await?.unwrap_or(false);
                let devices: Vec<String> = match storage.get::<String>(DEVICES_KEY).await? {
                    Some(s) => serde_json::from_str(&s)?,
                    None => Vec::new(),
                };
                let velocity = super::velocity(&storage).await?;
                Ok(Response::from_json(&json!({
                    "ga_enrolled": ga,
                    "trusted": trusted,
                    "devices": devices,
                    "velocity": velocity,
                }))?)
            }
            (Method::Post, "/attempts") => {
                #[derive(Deserialize)]
                struct Attempt {
                    now_ms: u64,
                    /// The per-user velocity limit, checked again as the attempt is
                    /// recorded (as `IpObject` does); absent when the rule is disabled.
                    #[serde(default)]
                    limit: Option<u32>,
                }
                let a: Attempt = serde_json::from_str(&req.text().await?)?;
                let limit = a.limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX));
                let ok = super::record_attempt(&storage, a.now_ms, limit).await?;
                Ok(Response::from_json(&json!({ "ok": ok }))?)
            }
            (Method::Post, "/trusted") => {
                #[derive(Deserialize)]
                struct Trusted {
                    trusted: bool,
                }
                let t: Trusted = serde_json::from_str(&req.text().await?)?;
                storage.put(TRUSTED_KEY, t.trusted).await?;
                Ok(Response::from_json(&json!({ "trusted": t.trusted }))?)
            }
            (Method::Post, "/devices") => {
                #[derive(Deserialize)]
                struct Device {
                    device_id: String,
                }
                let d: Device = serde_json::from_str(&req.text().await?)?;
                let mut devices: Vec<String> = match storage.get::<String>(DEVICES_KEY).await? {
                    Some(s) => serde_json::from_str(&s)?,
                    None => Vec::new(),
                };
                if !devices.contains(&d.device_id) {
                    devices.push(d.device_id);
                    if devices.len() > MAX_DEVICES {
                        let excess = devices.len() - MAX_DEVICES;
                        devices.drain(..excess);
                    }
                    storage
                        .put(DEVICES_KEY, serde_json::to_string(&devices)?)
                        .await?;
                }
                Ok(Response::from_json(&json!({ "ok": true }))?)
            }
            _ => Err(EdgeError::RouteNotFound),
        }
    }
}
