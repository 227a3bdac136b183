//! Merchant API `/v1` (SPEC 3.2): server-to-server, Bearer merchant secret key.

use serde::Deserialize;
use serde_json::Value;
use worker::{Date, Method, Request, RequestInit, Response, Result, RouteContext};

use kassa_shared::crypto::client_secret::{self, Claims};
use kassa_shared::id::{Id, IdGenerator};
use kassa_shared::money::{Currency, Money};
use kassa_shared::order::OrderStatus;

use crate::env::require_merchant;
use crate::error::{respond, EdgeError};
use crate::objects::order_object::StoredOrder;

#[derive(Deserialize)]
struct CreateOrder {
    amount: Value,
    currency: Value,
    user_id: Value,
    description: Option<String>,
}

fn field_str(v: &Value, param: &'static str) -> Result<String, EdgeError> {
    match v {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        _ => Err(EdgeError::BadRequest {
            param,
            message: format!("{param}: must be a non-empty string"),
        }),
    }
}

fn parse_create(body: &[u8]) -> Result<CreateOrder, EdgeError> {
    serde_json::from_slice(body).map_err(|e| EdgeError::BadRequest {
        param: "body",
        message: format!("body: {e}"),
    })
}

pub async fn create_order(mut req: Request, ctx: RouteContext<()>) -> Result<Response> {
    let result = async {
        require_merchant(&req, &ctx.env)?;
        let body = req.bytes().await?;
        let input = parse_create(&body)?;
        let amount = input
            .amount
            .as_u64()
            .filter(|a| *a > 0)
            .ok_or(EdgeError::BadRequest {
                param: "amount",
                message: "amount: must be a positive integer in minor units".to_owned(),
            })?;
        let currency = field_str(&input.currency, "currency")?;
        let currency =
            Currency::from_code("currency", &currency).map_err(|e| EdgeError::BadRequest {
                param: "currency",
                message: e.to_string(),
            })?;
        let user_id = field_str(&input.user_id, "user_id")?;
        let now = Date::now().as_millis();
        let ns = ctx.env.durable_object("ORDERS")?;
        let mut ids = IdGenerator::new(random_node());
        // Retry on the astronomically unlikely id collision (create-if-absent answers 409).
        for _ in 0..3 {
            let id = ids.next(now);
            let order = StoredOrder {
                id,
                amount,
                currency,
                user_id: user_id.clone(),
                description: input.description.clone(),
                status: OrderStatus::Pending,
                created_ms: now,
            };
            let stub = ns.id_from_name(&id.to_string())?.get_stub()?;
            let mut init = RequestInit::new();
            init.with_method(Method::Post)
                .with_body(Some(serde_json::to_string(&order)?.into()));
            let inner = Request::new_with_init("https://order/create", &init)?;
            let mut resp = stub.fetch_with_request(inner).await?;
            if resp.status_code() == 200 {
                let stored: StoredOrder = resp.json().await?;
                let secret = issue_client_secret(&ctx.env, &stored, now)?;
                return Ok(
                    Response::from_json(&OrderView::new(stored, Some(secret)))?.with_status(201)
                );
            }
        }
        Err(EdgeError::Conflict(
            "could not allocate an order id".to_owned(),
        ))
    }
    .await;
    respond(result)
}

pub async fn get_order(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    let result = async {
        require_merchant(&req, &ctx.env)?;
        let raw = ctx.param("id").map(String::as_str).unwrap_or("");
        let id = Id::parse("id", raw).map_err(|e| EdgeError::BadRequest {
            param: "id",
            message: e.to_string(),
        })?;
        let stub = ctx
            .env
            .durable_object("ORDERS")?
            .id_from_name(&id.to_string())?
            .get_stub()?;
        let mut resp = stub.fetch_with_str("https://order/").await?;
        if resp.status_code() == 404 {
            return Err(EdgeError::NotFound("order"));
        }
        let stored: StoredOrder = resp.json().await?;
        Ok(Response::from_json(&OrderView::new(stored, None))?)
    }
    .await;
    respond(result)
}

/// The merchant API's order resource.
#[derive(serde::Serialize)]
struct OrderView {
    object: &'static str,
    id: Id,
    amount: u64,
    /// `amount` formatted in major units, e.g. "123.45".
    amount_display: String,
    currency: Currency,
    user_id: String,
    description: Option<String>,
    status: OrderStatus,
    created_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

impl OrderView {
    fn new(o: StoredOrder, client_secret: Option<String>) -> Self {
        Self {
            object: "order",
            id: o.id,
            amount: o.amount,
            amount_display: Money::new(o.currency, o.amount).format_major(),
            currency: o.currency,
            user_id: o.user_id,
            description: o.description,
            status: o.status,
            created_ms: o.created_ms,
            client_secret,
        }
    }
}

/// A `client_secret` for the widget: bound to order and user, valid one hour (SPEC 4.4).
fn issue_client_secret(
    env: &worker::Env,
    o: &StoredOrder,
    now_ms: u64,
) -> Result<String, EdgeError> {
    let key = env
        .secret("KASSA_CLIENT_SECRET_KEY")
        .map_err(|_| EdgeError::Config("KASSA_CLIENT_SECRET_KEY is not set"))?
        .to_string();
    let now = now_ms / 1000;
    let claims = Claims {
        order_id: o.id,
        user_id: o.user_id.clone(),
        expires_at: now + client_secret::MAX_LIFETIME_SECS,
    };
    client_secret::issue(key.as_bytes(), &claims, now).map_err(|e| EdgeError::BadRequest {
        param: "user_id",
        message: e.to_string(),
    })
}

/// A node id for this isolate's id generator: ids from concurrent isolates differ in it.
fn random_node() -> u16 {
    let mut b = [0u8; 2];
    // crypto.getRandomValues is always present in workerd.
    if getrandom::getrandom(&mut b).is_err() {
        return 0;
    }
    u16::from_le_bytes(b)
}
