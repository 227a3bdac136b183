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
//! forever for now; a TTL sweep by alarm is the obvious next step). S1 `preOrder`
//! reserves `k:s1:key:<Idempotency-Key>` or, without one, `k:s1:auto:<digest of its
//! parameters>`; the latter moves to a new order once the old one can no longer be paid
//! (`Supersede`, compare-and-set on the old id: `routes/compat_s1.rs`).

use serde::{Deserialize, Serialize};
use worker::{Env, Method, Request, Response, Result, Stub};

use kassa_shared::id::Id;

use super::order_key as key;
use super::{ask, reply, tell, Done};
use crate::error::EdgeError;

pub const MAX_LIMIT: usize = 100;

/// What is asked of the index.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum IndexRequest {
    Append {
        id: Id,
    },
    /// The first reservation of `key` wins; every later one answers it.
    Reserve(Reservation),
    /// Moves `key` from the order `stale` to `next.id`, if it still names `stale`;
    /// answers the reservation `key` names afterwards (S1 `preOrder` without a key).
    Supersede {
        stale: Id,
        next: Reservation,
    },
    /// Newest first, strictly before `before`.
    List {
        limit: usize,
        before: Option<Id>,
    },
}

/// An `Idempotency-Key` of `POST /v1/orders` and the order it created.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reservation {
    pub key: String,
    pub id: Id,
    pub fingerprint: String,
}

/// A page of order ids.
#[derive(Debug, Serialize, Deserialize)]
pub struct Page {
    pub ids: Vec<Id>,
    pub has_more: bool,
}

/// The Worker's handle on the index.
pub struct IndexClient {
    stub: Stub,
}

impl IndexClient {
    pub fn new(env: &Env) -> Result<Self, EdgeError> {
        Ok(Self {
            stub: super::index_stub(env)?,
        })
    }

    pub async fn append(&self, id: Id) -> Result<(), EdgeError> {
        tell(&self.stub, &IndexRequest::Append { id }).await
    }

    pub async fn reserve(&self, r: Reservation) -> Result<Reservation, EdgeError> {
        ask(&self.stub, &IndexRequest::Reserve(r)).await
    }

    pub async fn supersede(&self, stale: Id, next: Reservation) -> Result<Reservation, EdgeError> {
        ask(&self.stub, &IndexRequest::Supersede { stale, next }).await
    }

    pub async fn list(&self, limit: usize, before: Option<Id>) -> Result<Page, EdgeError> {
        ask(&self.stub, &IndexRequest::List { limit, before }).await
    }
}

routed_object!(OrderIndex);

impl OrderIndex {
    async fn route(&self, mut req: Request) -> Result<Response, EdgeError> {
        if (req.method(), req.path().as_str()) != (Method::Post, super::RPC_PATH) {
            return Err(EdgeError::RouteNotFound);
        }
        let storage = self.state.storage();
        match super::read_request(&mut req).await? {
            IndexRequest::Append { id } => {
                storage.put(&key(id.get()), id.to_string()).await?;
                reply(&Done {})
            }
            IndexRequest::Reserve(r) => {
                let k = format!("k:{}", r.key);
                // First writer wins; storage ops without other awaits in between run
                // without interleaving in a Durable Object, so this is atomic.
                if let Some(existing) = storage.get::<String>(&k).await? {
                    let existing: Reservation = serde_json::from_str(&existing)?;
                    return reply(&existing);
                }
                storage.put(&k, serde_json::to_string(&r)?).await?;
                reply(&r)
            }
            IndexRequest::Supersede { stale, next } => {
                let k = format!("k:{}", next.key);
                // Compare-and-set, atomic for the same reason as `Reserve`.
                if let Some(existing) = storage.get::<String>(&k).await? {
                    let existing: Reservation = serde_json::from_str(&existing)?;
                    if existing.id != stale {
                        return reply(&existing);
                    }
                }
                storage.put(&k, serde_json::to_string(&next)?).await?;
                reply(&next)
            }
            IndexRequest::List { limit, before } => {
                let limit = limit.clamp(1, MAX_LIMIT);
                let end = before.map(|b| key(b.get()));
                // `end` is exclusive: the page starts strictly after the cursor.
                let mut ids =
                    super::list_order_ids(&storage, None, end.as_deref(), limit + 1).await?;
                let has_more = ids.len() > limit;
                ids.truncate(limit);
                let ids = ids.iter().filter_map(|s| s.parse::<Id>().ok()).collect();
                reply(&Page { ids, has_more })
            }
        }
    }
}
