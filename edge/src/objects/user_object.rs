//! `UserObject` (SPEC 7): one Durable Object per shopper (named by the merchant's user
//! id). It holds the index of the user's orders for the S2 list (`GET
//! /api/payment/orders`, SPEC 3.1) and the code-send throttle (SPEC 5: 60 s apart, 5 per
//! hour, `second_factor::SendThrottle`); GA enrolment and velocity windows join it next.
//!
//! Storage: key `o:<id as 20 zero-padded digits>` → the id as a string; lexical order of
//! the keys is numeric order of the ids, which is creation order (ids are time-ordered).
//! Key `send_throttle` → the `SendThrottle` (JSON).
//!
//! Internal routes: `POST /orders` `{id}`, `GET /orders?from=&to=`, `POST /send`
//! `{now_ms, limits}` (records a code send or answers 429 with the retry time).

use serde::Deserialize;
use serde_json::json;
use worker::{
    durable_object, DurableObject, Env, ListOptions, Method, Request, Response, Result, State,
};

use kassa_shared::id::Id;
use kassa_shared::second_factor::{SendLimits, SendThrottle};

use crate::error::EdgeError;

/// The most ids one `/orders` call returns: bounds the Worker's per-request order reads.
pub const MAX_SCAN: usize = 200;

const THROTTLE_KEY: &str = "send_throttle";

fn key(id: u64) -> String {
    format!("o:{id:020}")
}

#[durable_object]
pub struct UserObject {
    state: State,
}

impl DurableObject for UserObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        match self.route(req).await {
            Ok(r) => Ok(r),
            Err(e) => e.into_response(),
        }
    }
}

impl UserObject {
    async fn route(&self, mut req: Request) -> Result<Response, EdgeError> {
        let storage = self.state.storage();
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
                let mut opts = ListOptions::new()
                    .prefix("o:")
                    .reverse(true)
                    .limit(MAX_SCAN);
                let start = from.map(key);
                if let Some(start) = start.as_deref() {
                    opts = opts.start(start);
                }
                // `end` is exclusive; the bound is inclusive.
                let end = to.map(|t| key(t.saturating_add(1)));
                if let Some(end) = end.as_deref() {
                    opts = opts.end(end);
                }
                let map = storage.list_with_options(opts).await?;
                let mut ids = Vec::new();
                for v in map.values() {
                    let v = v.map_err(|e| EdgeError::Internal(format!("{e:?}")))?;
                    if let Some(s) = v.as_string() {
                        ids.push(s);
                    }
                }
                Ok(Response::from_json(&json!({ "ids": ids }))?)
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
            _ => Err(EdgeError::RouteNotFound),
        }
    }
}
