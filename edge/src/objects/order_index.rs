//! `OrderIndex`: the merchant's list of orders, newest first, for
//! `GET /v1/orders?limit=&starting_after=` (SPEC 3.2).
//!
//! One named instance (`"all"`) for now: every create appends one key, so it serialises
//! order creation at the throughput of one Durable Object (roughly a thousand writes per
//! second). Past that, shard it by creation time (one index per day, listed in order) —
//! ids are time-ordered, so the cursor works across shards unchanged.
//!
//! Storage: key `o:<id as 20 zero-padded digits>` → the id; lexical order of the keys is
//! numeric order of the ids, which is creation order. Key `k:<Idempotency-Key>` → the
//! order id and body fingerprint of the first `POST /v1/orders` with that key (kept
//! forever for now; a TTL sweep by alarm is the obvious next step).

use serde::Deserialize;
use serde_json::json;
use worker::{Method, Request, Response, Result};

use super::order_key as key;
use crate::error::EdgeError;

pub const MAX_LIMIT: usize = 100;

routed_object!(OrderIndex);

impl OrderIndex {
    async fn route(&self, mut req: Request) -> Result<Response, EdgeError> {
        let storage = self.state.storage();
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/append") => {
                #[derive(Deserialize)]
                struct Append {
                    id: kassa_shared::id::Id,
                }
                let a: Append = read_json(&mut req).await?;
                storage.put(&key(a.id.get()), a.id.to_string()).await?;
                Ok(Response::from_json(&json!({ "ok": true }))?)
            }
            (Method::Post, "/reserve") => {
                #[derive(Deserialize, serde::Serialize)]
                struct Reservation {
                    key: String,
                    id: kassa_shared::id::Id,
                    fingerprint: String,
                }
                let r: Reservation = read_json(&mut req).await?;
                let k = format!("k:{}", r.key);
                // First writer wins; storage ops without other awaits in between run
                // without interleaving in a Durable Object, so this is atomic.
                if let Some(existing) = storage.get::<String>(&k).await? {
                    let existing: Reservation = serde_json::from_str(&existing)?;
                    return Ok(Response::from_json(&existing)?);
                }
                storage.put(&k, serde_json::to_string(&r)?).await?;
                Ok(Response::from_json(&r)?)
            }
            (Method::Get, "/list") => {
                let url = req.url()?;
                let mut limit = 10usize;
                let mut before: Option<u64> = None;
                for (k, v) in url.query_pairs() {
                    match k.as_ref() {
                        "limit" => limit = v.parse().unwrap_or(10),
                        "before" => before = v.parse().ok(),
                        _ => {}
                    }
                }
                let limit = limit.clamp(1, MAX_LIMIT);
                let end = before.map(key);
                // `end` is exclusive: the page starts strictly after the cursor.
                let mut ids =
                    super::list_order_ids(&storage, None, end.as_deref(), limit + 1).await?;
                let has_more = ids.len() > limit;
                ids.truncate(limit);
                Ok(Response::from_json(
                    &json!({ "ids": ids, "has_more": has_more }),
                )?)
            }
            _ => Err(EdgeError::RouteNotFound),
        }
    }
}

/// Parses an internal request body with `serde_json` (not JavaScript's `JSON.parse`, which
/// would round integers above 2^53).
async fn read_json<T: serde::de::DeserializeOwned>(req: &mut Request) -> Result<T, EdgeError> {
    Ok(serde_json::from_str(&req.text().await?)?)
}
