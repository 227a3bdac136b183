//! `IpObject` (SPEC 5 "per-IP velocity", SPEC 7): one Durable Object per client-address
//! bucket — the IPv4 address, the IPv6 /64, or `unknown` when `CF-Connecting-IP` is
//! missing (`kassa_shared::risk::client_ip`, which also says why no other header is
//! trusted) — holding that bucket's sliding 10-minute `VelocityWindow`.
//!
//! Its own class, not a `UserObject` named `ip:<addr>`: user objects are named by the
//! merchant's user ids, free strings, so a user called `ip:203.0.113.7` would share (and
//! could fill) an address's window. A separate namespace cannot collide.
//!
//! What counts: like the user's window, each pay attempt that passed the local rules and
//! S0 `prePayCheck` (an attempt that reaches a provider, SPEC 2). `pay` reads the window
//! for `risk::evaluate`, then records through `POST /attempts` with the limit: the object
//! checks and writes with only storage operations in between (the input gate makes that
//! atomic), so concurrent pays from one address on different orders cannot all slip
//! under the limit after reading the same window.
//!
//! It also counts the bucket's refusals of unauthenticated input (a `client_secret` that
//! does not verify, a callback that does not verify), which must not write to the order
//! they claim (issue 14 item 4): a bounded `kassa_shared::risk::RejectionLog`, read by
//! the merchant at `GET /v1/rejections?ip=` ([`record_rejection`]).
//!
//! Storage: key `velocity` → the `VelocityWindow` (JSON); key `rejections` → the
//! `RejectionLog` (JSON, bounded). Requests ([`IpRequest`], the typed seam): `Velocity`
//! → the window; `RecordAttempt {now_ms, limit}` → `{ok}` (`false`: the window is full,
//! nothing recorded); `RecordRejection {now_ms, reason, detail}`; `Rejections` → the log.

use serde::{Deserialize, Serialize};
use worker::{Date, Env, Method, Request, Response, Result, Storage, Stub};

use kassa_shared::risk::{client_ip, RejectionLog, VelocityWindow};

use super::{ask, reply, tell, Done};
use crate::error::EdgeError;

/// What is asked of an address bucket's object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum IpRequest {
    Velocity,
    RecordAttempt {
        now_ms: u64,
        limit: u32,
    },
    RecordRejection {
        now_ms: u64,
        reason: String,
        detail: String,
    },
    Rejections,
}

/// Whether the window had room (and the attempt was counted).
#[derive(Debug, Serialize, Deserialize)]
struct Recorded {
    ok: bool,
}

/// One address bucket's window as `pay` sees it; `stub` is `None` when the per-IP rule
/// is disabled (nothing read, nothing recorded).
pub struct IpWindow {
    stub: Option<Stub>,
    pub velocity: VelocityWindow,
}

impl IpWindow {
    /// The window of the bucket `cf_connecting_ip` falls in.
    pub async fn load(
        env: &Env,
        cf_connecting_ip: Option<&str>,
        enabled: bool,
    ) -> Result<Self, EdgeError> {
        if !enabled {
            return Ok(Self {
                stub: None,
                velocity: VelocityWindow::default(),
            });
        }
        let stub = bucket_stub(env, cf_connecting_ip)?;
        let velocity = ask(&stub, &IpRequest::Velocity).await?;
        Ok(Self {
            stub: Some(stub),
            velocity,
        })
    }

    /// Records an attempt unless `limit` attempts already fill the window; `false` means
    /// refused (another attempt from the bucket got in since [`IpWindow::load`]).
    pub async fn record(&self, now_ms: u64, limit: u32) -> Result<bool, EdgeError> {
        let Some(stub) = &self.stub else {
            return Ok(true);
        };
        let r: Recorded = ask(stub, &IpRequest::RecordAttempt { now_ms, limit }).await?;
        Ok(r.ok)
    }
}

const REJECTIONS_KEY: &str = "rejections";

/// The `IpObject` of the bucket `cf_connecting_ip` falls in.
fn bucket_stub(env: &Env, cf_connecting_ip: Option<&str>) -> Result<Stub, EdgeError> {
    Ok(env
        .durable_object("IPS")?
        .id_from_name(&client_ip::bucket(cf_connecting_ip))?
        .get_stub()?)
}

/// Counts a refusal of unauthenticated input in the sender's address bucket (module
/// docs). Best effort: a failed count must not turn the refusal into a 500. `detail`
/// holds only the edge's own words (route, provider, claimed id), never the request's
/// body or credentials.
pub async fn record_rejection(req: &Request, env: &Env, reason: &str, detail: &str) {
    let ip = req.headers().get("CF-Connecting-IP").ok().flatten();
    worker::console_warn!("refused unauthenticated input: {reason} ({detail})");
    let Ok(stub) = bucket_stub(env, ip.as_deref()) else {
        return;
    };
    let r = IpRequest::RecordRejection {
        now_ms: Date::now().as_millis(),
        reason: reason.to_owned(),
        detail: detail.to_owned(),
    };
    let _ = tell(&stub, &r).await;
}

/// The refusals counted in the bucket of address `ip` (`GET /v1/rejections`).
pub async fn rejections(env: &Env, ip: &str) -> Result<RejectionLog, EdgeError> {
    let stub = bucket_stub(env, Some(ip))?;
    ask(&stub, &IpRequest::Rejections).await
}

async fn rejection_log(storage: &Storage) -> Result<RejectionLog, EdgeError> {
    Ok(match storage.get::<String>(REJECTIONS_KEY).await? {
        Some(s) => serde_json::from_str(&s)?,
        None => RejectionLog::default(),
    })
}

routed_object!(IpObject);

impl IpObject {
    async fn route(&self, req: Request) -> Result<Response, EdgeError> {
        route(&self.state.storage(), req).await
    }
}

async fn route(storage: &Storage, mut req: Request) -> Result<Response, EdgeError> {
    if (req.method(), req.path().as_str()) != (Method::Post, super::RPC_PATH) {
        return Err(EdgeError::RouteNotFound);
    }
    match super::read_request(&mut req).await? {
        IpRequest::Velocity => reply(&super::velocity(storage).await?),
        IpRequest::RecordAttempt { now_ms, limit } => {
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            let ok = super::record_attempt(storage, now_ms, Some(limit)).await?;
            reply(&Recorded { ok })
        }
        IpRequest::RecordRejection {
            now_ms,
            reason,
            detail,
        } => {
            let mut log = rejection_log(storage).await?;
            log.record(now_ms, &reason, &detail);
            storage
                .put(REJECTIONS_KEY, serde_json::to_string(&log)?)
                .await?;
            reply(&Done {})
        }
        IpRequest::Rejections => reply(&rejection_log(storage).await?),
    }
}
