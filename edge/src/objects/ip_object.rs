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
//! Storage: key `velocity` → the `VelocityWindow` (JSON). Internal routes: `GET
//! /velocity` → the window; `POST /attempts {now_ms, limit}` → `{ok: true}` (recorded) or
//! `{ok: false}` (the window is full; nothing recorded).

use serde::Deserialize;
use serde_json::json;
use worker::{Env, Method, Request, Response, Result, Storage, Stub};

use kassa_shared::risk::{client_ip, VelocityWindow};

use crate::error::EdgeError;

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
        let stub = env
            .durable_object("IPS")?
            .id_from_name(&client_ip::bucket(cf_connecting_ip))?
            .get_stub()?;
        let v = super::call(&stub, Method::Get, "/velocity", None).await?;
        Ok(Self {
            stub: Some(stub),
            velocity: serde_json::from_value(v).unwrap_or_default(),
        })
    }

    /// Records an attempt unless `limit` attempts already fill the window; `false` means
    /// refused (another attempt from the bucket got in since [`IpWindow::load`]).
    pub async fn record(&self, now_ms: u64, limit: u32) -> Result<bool, EdgeError> {
        let Some(stub) = &self.stub else {
            return Ok(true);
        };
        let body = json!({ "now_ms": now_ms, "limit": limit });
        let v = super::call(stub, Method::Post, "/attempts", Some(&body)).await?;
        Ok(v["ok"].as_bool() == Some(true))
    }
}

routed_object!(IpObject);

impl IpObject {
    async fn route(&self, req: Request) -> Result<Response, EdgeError> {
        route(&self.state.storage(), req).await
    }
}

async fn route(storage: &Storage, mut req: Request) -> Result<Response, EdgeError> {
    match (req.method(), req.path().as_str()) {
        (Method::Get, "/velocity") => Ok(Response::from_json(&super::velocity(storage).await?)?),
        (Method::Post, "/attempts") => {
            #[derive(Deserialize)]
            struct Attempt {
                now_ms: u64,
                limit: u32,
            }
            let a: Attempt = serde_json::from_str(&req.text().await?)?;
            let limit = usize::try_from(a.limit).unwrap_or(usize::MAX);
            let ok = super::record_attempt(storage, a.now_ms, Some(limit)).await?;
            Ok(Response::from_json(&json!({ "ok": ok }))?)
        }
        _ => Err(EdgeError::RouteNotFound),
    }
}
