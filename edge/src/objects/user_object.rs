//! `UserObject` (SPEC 7): one Durable Object per shopper (named by the merchant's user
//! id). For now it holds the index of the user's orders for the S2 list
//! (`GET /api/payment/orders`, SPEC 3.1); 2FA enrolment, code-send throttles and velocity
//! windows join it next (issue 4).
//!
//! Storage: key `o:<id as 20 zero-padded digits>` → the id as a string; lexical order of
//! the keys is numeric order of the ids, which is creation order (ids are time-ordered).

use serde::Deserialize;
use serde_json::json;
use worker::{
    durable_object, DurableObject, Env, ListOptions, Method, Request, Response, Result, State,
};

use kassa_shared::id::Id;

use crate::error::EdgeError;

/// The most ids one `/orders` call returns: bounds the Worker's per-request order reads.
pub const MAX_SCAN: usize = 200;

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
            _ => Err(EdgeError::RouteNotFound),
        }
    }
}
