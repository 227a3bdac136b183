//! Durable Objects (SPEC 7): one `OrderObject` per order serialises every mutation of that
//! order; one `OrderIndex` lists the merchant's orders; one `UserObject` per shopper
//! lists theirs; one `IpObject` per client-address bucket keeps the per-IP velocity
//! window. [`ask`] is how the Worker talks to them: each object has one request enum
//! (`OrderRequest`, `UserRequest`, `IpRequest`, `IndexRequest`) posted to its one
//! internal route, a typed answer per request, and errors as the typed `ApiError`.

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Env, Method, Request, RequestInit, Stub};

use kassa_shared::envelope::ErrorEnvelope;
use kassa_shared::id::Id;
use kassa_shared::risk::{VelocityWindow, VELOCITY_WINDOW_MS};

use crate::error::EdgeError;

/// A Durable Object that keeps only its `State` and answers every request through its own
/// `async fn route(&self, Request) -> Result<Response, EdgeError>`, an error rendered as
/// the edge's envelope (which [`call`] passes through). `OrderObject` is not one: it
/// also keeps its `Env`.
macro_rules! routed_object {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        #[worker::durable_object]
        pub struct $name {
            state: worker::State,
        }

        impl worker::DurableObject for $name {
            fn new(state: worker::State, _env: worker::Env) -> Self {
                Self { state }
            }

            async fn fetch(&self, req: worker::Request) -> worker::Result<worker::Response> {
                match self.route(req).await {
                    Ok(r) => Ok(r),
                    Err(e) => e.into_response(),
                }
            }
        }
    };
}

/// The storage key of an order id in an order list (`OrderIndex`, a `UserObject`'s
/// index): zero-padded, so keys sort as the (time-ordered) ids do.
fn order_key(id: u64) -> String {
    format!("o:{id:020}")
}

/// Order ids listed newest first from keys in `[start, end)` (`order_key`), at most
/// `limit`.
async fn list_order_ids(
    storage: &worker::Storage,
    start: Option<&str>,
    end: Option<&str>,
    limit: usize,
) -> Result<Vec<String>, EdgeError> {
    let mut opts = worker::ListOptions::new()
        .prefix("o:")
        .reverse(true)
        .limit(limit);
    if let Some(start) = start {
        opts = opts.start(start);
    }
    if let Some(end) = end {
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
    Ok(ids)
}

/// Where a `UserObject` or an `IpObject` keeps its pay attempts of the sliding 10 min
/// window (SPEC 5 velocity).
const VELOCITY_KEY: &str = "velocity";

/// The object's velocity window (empty when nothing was recorded yet).
async fn velocity(storage: &worker::Storage) -> Result<VelocityWindow, EdgeError> {
    Ok(match storage.get::<String>(VELOCITY_KEY).await? {
        Some(s) => serde_json::from_str(&s)?,
        None => VelocityWindow::default(),
    })
}

/// Records a pay attempt at `now_ms` unless the window already holds `limit` (then
/// `false`, nothing written). Only storage operations stand between the read and the
/// write, which the object's input gate keeps atomic, so concurrent attempts cannot both
/// take the last slot.
async fn record_attempt(
    storage: &worker::Storage,
    now_ms: u64,
    limit: Option<usize>,
) -> Result<bool, EdgeError> {
    let mut window = velocity(storage).await?;
    if limit.is_some_and(|l| window.count(now_ms, VELOCITY_WINDOW_MS) >= l) {
        return Ok(false);
    }
    window.record(now_ms, VELOCITY_WINDOW_MS);
    storage
        .put(VELOCITY_KEY, serde_json::to_string(&window)?)
        .await?;
    Ok(true)
}

pub mod ip_object;
pub mod order_index;
pub mod order_object;
pub mod user_object;

/// The `OrderObject` of order `id` (one per order, named by the id).
pub fn order_stub(env: &Env, id: Id) -> Result<Stub, EdgeError> {
    Ok(env
        .durable_object("ORDERS")?
        .id_from_name(&id.to_string())?
        .get_stub()?)
}

/// The `UserObject` of the merchant's user `user_id` (one per user, named by the id).
pub fn user_stub(env: &Env, user_id: &str) -> Result<Stub, EdgeError> {
    Ok(env
        .durable_object("USERS")?
        .id_from_name(user_id)?
        .get_stub()?)
}

/// The single `OrderIndex` instance (see `order_index.rs` for its limit).
pub fn index_stub(env: &Env) -> Result<Stub, EdgeError> {
    Ok(env
        .durable_object("ORDER_INDEX")?
        .id_from_name("all")?
        .get_stub()?)
}

/// A typed request to a Durable Object (its one `POST /rpc` route) and its typed answer:
/// the seam the objects' request enums travel over (e.g. `OrderRequest`).
pub async fn ask<Req: Serialize, Ans: DeserializeOwned>(
    stub: &Stub,
    request: &Req,
) -> Result<Ans, EdgeError> {
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(request)?.into()));
    let req = Request::new_with_init(&format!("https://object{RPC_PATH}"), &init)?;
    let mut resp = stub.fetch_with_request(req).await?;
    let status = resp.status_code();
    let text = resp.text().await?;
    if (200..300).contains(&status) {
        return Ok(serde_json::from_str(&text)?);
    }
    // Objects answer errors in the typed envelope; anything else is the object failing.
    match serde_json::from_str::<ErrorEnvelope>(&text) {
        Ok(e) => Err(EdgeError::Api {
            status,
            error: e.error,
        }),
        Err(_) => Err(EdgeError::Internal(format!("object answered {status}"))),
    }
}

/// A typed request whose answer carries nothing but success ([`Done`]).
pub async fn tell<Req: Serialize>(stub: &Stub, request: &Req) -> Result<(), EdgeError> {
    ask::<_, Done>(stub, request).await.map(drop)
}

/// An object's answer that carries nothing but success.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct Done {}

/// An object's typed answer (200).
pub fn reply(v: &impl Serialize) -> Result<worker::Response, EdgeError> {
    let headers = worker::Headers::new();
    headers.set("Content-Type", "application/json")?;
    Ok(worker::Response::ok(serde_json::to_string(v)?)?.with_headers(headers))
}

/// The internal route a typed request is posted to.
pub const RPC_PATH: &str = "/rpc";

/// Reads a typed request with `serde_json` (not JavaScript's `JSON.parse`, which would
/// round integers above 2^53).
pub async fn read_request<T: DeserializeOwned>(req: &mut Request) -> Result<T, EdgeError> {
    Ok(serde_json::from_str(&req.text().await?)?)
}

/// A random non-zero 63-bit id (payment attempt ids).
pub fn random_id() -> Result<kassa_shared::id::Id, EdgeError> {
    let mut raw = [0u8; 8];
    getrandom::getrandom(&mut raw).map_err(|e| EdgeError::Internal(format!("getrandom: {e}")))?;
    kassa_shared::id::Id::new((u64::from_be_bytes(raw) >> 1) | 1)
        .map_err(|e| EdgeError::Internal(e.to_string()))
}
