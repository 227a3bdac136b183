//! `OrderObject`: the Durable Object that owns one order (SPEC 7). Every mutation of an
//! order goes through it, so concurrent requests and callbacks are serialised.

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, State};

use kassa_shared::id::Id;
use kassa_shared::money::Currency;
use kassa_shared::order::OrderStatus;

const ORDER_KEY: &str = "order";

/// What the object stores under `order`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredOrder {
    pub id: Id,
    pub amount: u64,
    pub currency: Currency,
    pub user_id: String,
    pub description: Option<String>,
    pub status: OrderStatus,
    pub created_ms: u64,
}

#[durable_object]
pub struct OrderObject {
    state: State,
}

impl DurableObject for OrderObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let storage = self.state.storage();
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/create") => {
                // Create-if-absent: a second create with the same id is a conflict, which
                // also turns an (unlikely) id collision into a retry instead of an overwrite.
                if storage.get::<StoredOrder>(ORDER_KEY).await?.is_some() {
                    return Response::error("exists", 409);
                }
                let order: StoredOrder = req.json().await?;
                storage.put(ORDER_KEY, &order).await?;
                Response::from_json(&order)
            }
            (Method::Get, "/") => match storage.get::<StoredOrder>(ORDER_KEY).await? {
                Some(order) => Response::from_json(&order),
                None => Response::error("not found", 404),
            },
            _ => Response::error("not found", 404),
        }
    }
}
