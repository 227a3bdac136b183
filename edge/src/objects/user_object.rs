//! `UserObject` (SPEC 7): one Durable Object per shopper (named by the merchant's user
//! id). It holds the index of the user's orders for the S2 list (`GET
//! /api/payment/orders`, SPEC 3.1) and the code-send throttle (SPEC 5: 60 s apart, 5 per
//! hour, `second_factor::SendThrottle`) and the user's GA enrolment (SPEC 6: the TOTP
//! secret, base32, set once through `POST /v1/users/:id/ga`, with its `GaState` replay
//! guard), and the user's velocity window (SPEC 5; the per-IP one is `IpObject`'s).
//!
//! Storage: the order index is a SQLite table (`orders.rs`: id, S2 status, created ms),
//! so the S2 list's filters are exact queries over the whole history. Key `send_throttle` → the `SendThrottle` (JSON). Key `ga` → [`GaEnrolment`] (JSON).
//!
//! Requests ([`UserRequest`], the typed seam in `request.rs`): the order index
//! (`AddOrder` at creation, `OrderStatus` on each S2 status change, `ListOrders`), the code-send throttle (`RecordSend`: records a send or
//! answers 429 with the retry time), GA (`EnrolGa` once, 409 when enrolled; `VerifyGa`:
//! TOTP ±1 step, no reuse of an accepted step, wrong codes counted per user across all
//! their orders under `ga_lock`, a `WrongCodeLock`: after `limits.max_wrong` the
//! authenticator is locked and answers `locked_until_ms` without checking the code), the
//! risk engine's view (`Profile`: `ga_enrolled`, `trusted`, `devices`, `velocity`,
//! `trade_pwd_set` for S2's `bindTradePwd`; never the secret), `RecordAttempt {now_ms, limit?}` for each attempt that passed risk and S0
//! (with `limit` the window is checked again where it is recorded and `ok: false` means
//! full, nothing recorded — so concurrent pays of one user on several orders, which all
//! read the window before any records, cannot overshoot it), `SetTrusted` (the
//! merchant's decision), `AddDevice` (after a code-verified pay), and the S4 wallet
//! (`S4Request`, `s4_wallet.rs`). `TokenEpoch` and `RevokeTokens` keep the user's token
//! generation (key `token_epoch`, 0 until the first revocation): a user token is
//! accepted only while it carries the current one (`auth.rs`), so a revocation voids
//! every user token issued before it.

use serde::Deserialize;
use worker::{Method, Request, Response, Result};

use kassa_shared::crypto::totp::Totp;
use kassa_shared::envelope::ErrorCode;
use kassa_shared::risk::ReasonCode;
use kassa_shared::second_factor::{GaCheck, GaState, SendThrottle, WrongCodeLock};

use super::{reply, Done};
use crate::error::EdgeError;

mod orders;
mod request;
mod s4_wallet;

pub use kassa_shared::surfaces::s4::wallet::{Account, Proof};
pub use orders::OrderFilter;
pub use request::OrderIds;
use request::{Epoch, Recorded, UserRequest};
pub use request::{GaVerdict, RiskProfile, S4Request, UserClient};
pub use s4_wallet::{Proven, SealedNonce};

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

routed_object!(UserObject);

impl UserObject {
    async fn route(&self, mut req: Request) -> Result<Response, EdgeError> {
        match (req.method(), req.path().as_str()) {
            (Method::Post, super::RPC_PATH) => {
                let request: UserRequest = super::read_request(&mut req).await?;
                self.handle(request).await
            }
            _ => Err(EdgeError::RouteNotFound),
        }
    }

    async fn handle(&self, request: UserRequest) -> Result<Response, EdgeError> {
        let storage = self.state.storage();
        match request {
            UserRequest::AddOrder {
                id,
                created_ms,
                status,
            } => {
                orders::add(&storage.sql(), id, created_ms, status)?;
                reply(&Done {})
            }
            UserRequest::OrderStatus { id, status } => {
                orders::set_status(&storage.sql(), id, status)?;
                reply(&Done {})
            }
            UserRequest::ListOrders { filter } => {
                orders::migrate_legacy(&storage).await?;
                let unresolved = orders::unread(&storage.sql(), 100)?;
                let ids = if unresolved.is_empty() {
                    orders::list(&storage.sql(), &filter)?
                } else {
                    Vec::new()
                };
                reply(&OrderIds { ids, unresolved })
            }
            UserRequest::PlantLegacyIndex { ids } => {
                let (rows, legacy_keys) = orders::plant_legacy(&storage, &ids).await?;
                reply(&request::Planted { rows, legacy_keys })
            }
            UserRequest::TokenEpoch => {
                let epoch = storage.get::<u64>(TOKEN_EPOCH_KEY).await?.unwrap_or(0);
                reply(&Epoch { epoch })
            }
            UserRequest::RevokeTokens => {
                // Read and write with no other await between: concurrent revocations
                // each bump the generation, none is lost.
                let epoch = storage.get::<u64>(TOKEN_EPOCH_KEY).await?.unwrap_or(0) + 1;
                storage.put(TOKEN_EPOCH_KEY, epoch).await?;
                reply(&Epoch { epoch })
            }
            UserRequest::RecordSend { now_ms, limits } => {
                let mut throttle: SendThrottle = match storage.get::<String>(THROTTLE_KEY).await? {
                    Some(s) => serde_json::from_str(&s)?,
                    None => SendThrottle::default(),
                };
                // Check and record with no await in between: a Durable Object runs this
                // without interleaving, so two concurrent sends cannot both pass.
                throttle
                    .try_send(&limits, now_ms)
                    .map_err(|e| EdgeError::TooManyRequests {
                        // The throttle refuses only with its two send codes.
                        code: ErrorCode::from_reason(e.reason_code)
                            .unwrap_or(ErrorCode::CodeSendTooSoon),
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
                reply(&Done {})
            }
            UserRequest::EnrolGa { secret, now_ms } => {
                // Check and write with no await in between (see `RecordSend`).
                if storage.get::<String>(GA_KEY).await?.is_some() {
                    return Err(EdgeError::Conflict {
                        code: ErrorCode::GaAlreadyEnrolled,
                        message: "user: already has an authenticator enrolled".into(),
                    });
                }
                let g = GaEnrolment {
                    secret,
                    enrolled_at_ms: now_ms,
                    state: GaState::default(),
                };
                storage.put(GA_KEY, serde_json::to_string(&g)?).await?;
                reply(&Done {})
            }
            UserRequest::VerifyGa {
                code,
                now_ms,
                limits,
            } => {
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
                    .verify_locked(&mut lock, &limits, &totp, &code, now_ms);
                let verdict = match check {
                    GaCheck::Accepted { .. } => {
                        storage.put(GA_KEY, serde_json::to_string(&g)?).await?;
                        GaVerdict {
                            ok: true,
                            ..GaVerdict::default()
                        }
                    }
                    GaCheck::Wrong {
                        error,
                        attempts_left,
                    } => GaVerdict {
                        ok: false,
                        reason: Some(error.reason_code().as_str().to_owned()),
                        attempts_left: Some(attempts_left),
                        locked_until_ms: None,
                    },
                    GaCheck::Locked { until_ms } => GaVerdict {
                        ok: false,
                        reason: Some(ReasonCode::GaLocked.as_str().to_owned()),
                        attempts_left: None,
                        locked_until_ms: Some(until_ms),
                    },
                };
                storage
                    .put(GA_LOCK_KEY, serde_json::to_string(&lock)?)
                    .await?;
                reply(&verdict)
            }
            UserRequest::Profile => {
                let devices: Vec<String> = match storage.get::<String>(DEVICES_KEY).await? {
                    Some(s) => serde_json::from_str(&s)?,
                    None => Vec::new(),
                };
                reply(&RiskProfile {
                    ga_enrolled: storage.get::<String>(GA_KEY).await?.is_some(),
                    trusted: storage.get::<bool>(TRUSTED_KEY).await?.unwrap_or(false),
                    devices,
                    velocity: super::velocity(&storage).await?,
                    trade_pwd_set: s4_wallet::has_passwd(&storage).await?,
                })
            }
            UserRequest::RecordAttempt { now_ms, limit } => {
                // The per-user velocity limit, checked again as the attempt is recorded
                // (as `IpObject` does); absent when the rule is disabled.
                let limit = limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX));
                let ok = super::record_attempt(&storage, now_ms, limit).await?;
                reply(&Recorded { ok })
            }
            UserRequest::SetTrusted { trusted } => {
                storage.put(TRUSTED_KEY, trusted).await?;
                reply(&Done {})
            }
            UserRequest::AddDevice { device_id } => {
                let mut devices: Vec<String> = match storage.get::<String>(DEVICES_KEY).await? {
                    Some(s) => serde_json::from_str(&s)?,
                    None => Vec::new(),
                };
                if !devices.contains(&device_id) {
                    devices.push(device_id);
                    if devices.len() > MAX_DEVICES {
                        let excess = devices.len() - MAX_DEVICES;
                        devices.drain(..excess);
                    }
                    storage
                        .put(DEVICES_KEY, serde_json::to_string(&devices)?)
                        .await?;
                }
                reply(&Done {})
            }
            UserRequest::S4(r) => s4_wallet::handle(&storage, r).await,
        }
    }
}
