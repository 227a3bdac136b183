//! The S1 compatibility surface (seed S1 "shareit 支付系统协议", SPEC 3.3): `POST
//! /pay/preOrder` and `GET|POST /pay/getOrderStatus`, in S1's `{code, data, message}`
//! envelope (`code` 200 / 400 / 500). Every answer, error or not, is HTTP 200 with the
//! outcome in `code`, as a seed-era app reads it (the decision and its reason are in
//! `error.rs`). `/callback/paytm` is an alias of the verified Paytm callback and lives
//! with the callbacks.
//!
//! Parameters come as a JSON object, as `application/x-www-form-urlencoded` (what a
//! Java servlet client of the seed's era posts) or, for `GET`, the query string. Where
//! the seed types a field `int`, a number or a quoted number is accepted (SPEC 2).
//! Unknown parameters are refused by name, as on every other surface.
//!
//! **Authentication (Kassa's decision; the seed shows none).**
//! - `preOrder` creates an order at a price the caller states, so it is a merchant
//!   server call: `Authorization: Bearer <merchant key>` (constant-time compare). An
//!   app must ask its own backend, which knows the product's real price.
//! - `getOrderStatus` takes the merchant key, or the order's own `client_secret` (so an
//!   app holding one can poll); with a `client_secret`, `userId` must be the user it was
//!   issued to. In both cases `userId` must be the order's user.
//!
//! **Retries (Kassa's decision; the seed carries no order number of the caller).** A
//! retried `preOrder` gets the first answer, byte for byte, with no second order and no
//! second S0 check:
//! - with an `Idempotency-Key` header (1–255 printable ASCII, as on `POST /v1/orders`),
//!   the key names the order for good; the same key with other parameters is refused
//!   (`code` 400, "Idempotency-Key: was used with a different preOrder body");
//! - without one (a seed-era app sends none), the parameters themselves are the key:
//!   the same `userId`, product, amount, … name the same purchase while its order can
//!   still be paid (open and unexpired); once it is paid, closed or expired, the same
//!   parameters start a new order. Parameters compare as parsed (a quoted `1` is `1`).
//!
//! The key is reserved atomically in the `OrderIndex` (`s1:key:<key>` / `s1:auto:<digest>`)
//! before the order exists, so concurrent retries meet on one order id. The form's
//! checksum salt is derived from the merchant key and the order id, so the retry's
//! `CHECKSUMHASH` is the first one. A first request S0 refused left no attempt: its retry
//! asks S0 again (a refusal is an answer about that moment, not a stored outcome).
//!
//! **`EMAIL` / `MOBILE_NO`.** The seed's form carries the shopper's e-mail and mobile;
//! its request has no field for them, so `preOrder` takes two optional ones, `email` and
//! `mobileNo` (checked as the merchant API's `user.email` / `user.mobile`), stores them
//! as the order's user and emits `EMAIL` / `MOBILE_NO` (signed with the rest) when given,
//! omitting them otherwise, as Paytm allows.
//!
//! **`preOrder` is a pay.** It creates a Paytm order (INR only: Paytm charges rupees),
//! runs S0 `prePayCheck` for the order's user (fail closed unless `KASSA_S0_FAIL_OPEN`,
//! as before every pay, SPEC 3.5), records the
//! attempt, and only then hands out the form with its `CHECKSUMHASH` (SPEC 4.3). The
//! merchant vouches for the shopper here (there is no second factor in S1), so the
//! widget's local risk rules for codes do not apply; the Paytm callback, verified and
//! confirmed with Paytm's Transaction Status API, is what moves the order.

use serde_json::{Map, Value};
use worker::{Method, Request, Response, Result, RouteContext};

use kassa_shared::crypto::ct;
use kassa_shared::envelope::ErrorCode;
use kassa_shared::id::Id;
use kassa_shared::order::{Event, EventKind, OrderAmount};
use kassa_shared::surfaces::s1::request::{
    self, fingerprint, PreOrder, StatusQuery, PRE_ORDER_FIELDS, STATUS_FIELDS,
};
use kassa_shared::surfaces::s1::status::Status;
use kassa_shared::surfaces::s1::wire::{Envelope, OrderStatusData};

use crate::auth::bearer;
use crate::channels::exchange;
use crate::config;
use crate::error::{respond_s1, EdgeError};
use crate::input;
use crate::objects::order_index::{IndexClient, Reservation};
use crate::objects::order_object::OrderClient;
use crate::resources::StoredOrder;
use kassa_shared::id::IdGenerator;
use kassa_shared::order::Order;
use kassa_shared::providers::paytm::checksum::Salt;
use kassa_shared::providers::{paytm, s0};

type Ctx = RouteContext<()>;

/// `POST /pay/preOrder`
pub async fn pre_order(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond_s1(pre_order_inner(&mut req, &ctx).await)
}

/// `GET|POST /pay/getOrderStatus`
pub async fn get_order_status(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond_s1(status_inner(&mut req, &ctx).await)
}

async fn pre_order_inner(req: &mut Request, ctx: &Ctx) -> Result<Response, EdgeError> {
    crate::auth::require_merchant(req, &ctx.env)?;
    let key = super::merchant_api::idempotency_key(req)?;
    let map = params(req, PRE_ORDER_FIELDS).await?;
    let mut p = PreOrder::parse(&map)?;
    // Configuration is checked before anything is created.
    let channels = config::channels(&ctx.env)?;
    let paytm_cfg = channels
        .paytm()
        .map_err(|e| config::channel_refused("paytm", &e))?;
    // S2 `payeeUserId`: the merchant's id at Paytm.
    p.meta.payee_user_id = Some(paytm_cfg.mid.clone());
    let s0_cfg = channels
        .s0()
        .map_err(|e| config::channel_refused("S0", &e))?;

    // One order per request, found again by its key (module docs, "Retries").
    let fingerprint = fingerprint(&map);
    let explicit = key.is_some();
    let key = key.map_or_else(
        || format!("s1:auto:{fingerprint}"),
        |k| format!("s1:key:{k}"),
    );
    let index = IndexClient::new(&ctx.env)?;
    let now = super::merchant_api::now_ms();
    let mut ids = IdGenerator::new(super::merchant_api::random_node());
    let fresh = ids.next(now);
    let reserved = index
        .reserve(Reservation {
            key: key.clone(),
            id: fresh,
            fingerprint: fingerprint.clone(),
        })
        .await?;
    if !ct::eq(reserved.fingerprint.as_bytes(), fingerprint.as_bytes()) {
        return Err(EdgeError::Conflict {
            code: ErrorCode::IdempotencyKeyReused,
            message: "Idempotency-Key: was used with a different preOrder body".to_owned(),
        });
    }
    let mut stored = ensure_order(ctx, &p, reserved.id, now).await?;
    // Without a key, identical parameters name the same purchase only while its order can
    // still be paid; after that the same purchase again is a new order under the key.
    if !explicit && !payable(&stored, now) {
        let next = ids.next(now);
        let swapped = index
            .supersede(
                stored.order.id(),
                Reservation {
                    key: key.clone(),
                    id: next,
                    fingerprint,
                },
            )
            .await?;
        stored = ensure_order(ctx, &p, swapped.id, now).await?;
    }
    let id = stored.order.id();
    let order = OrderClient::new(&ctx.env, id)?;
    // `ORDER_ID` is the only order number the S1 client gets back (it polls
    // `getOrderStatus` with it), so it stays the bare order id, which names the attempt
    // whose id is the order's (`shared::callback::reference`): this order's only one.
    let attempt = id;
    if stored.order.attempt(attempt).is_none() {
        // S0 prePayCheck, once per started attempt: a retry of an answered preOrder
        // never reaches here. Fail closed by default (`KASSA_S0_FAIL_OPEN`).
        s0_check(&order, s0_cfg, &stored, config::s0_fail_open(&ctx.env)).await?;
        let started = Event::new(
            format!("attempt_started_{attempt}"),
            EventKind::AttemptStarted { attempt },
        );
        order.apply(started).await?;
    }
    // The salt is derived from the order, so a retry gets the first answer byte for byte.
    let salt = order_salt(&ctx.env, id)?;
    let user = &stored.meta.user;
    let paytm_order = paytm::PaytmOrder {
        reference: kassa_shared::callback::ProviderRef::bare(id),
        amount: p.money,
        cust_id: user.id.clone(),
        email: user.email.clone(),
        mobile_no: user.mobile.clone(),
    };
    let form = paytm::pre_order_form(paytm_cfg, &paytm_order, &salt)
        .map_err(|e| EdgeError::Internal(format!("paytm form: {e}")))?;
    Ok(Response::from_json(&Envelope::ok(form))?)
}

/// The order under `id`, created (and listed) if the reservation is new or its first
/// request stopped before creating it.
async fn ensure_order(ctx: &Ctx, p: &PreOrder, id: Id, now: u64) -> Result<StoredOrder, EdgeError> {
    let stored = StoredOrder {
        order: Order::new(
            id,
            OrderAmount::Fiat(p.money),
            now,
            now + super::merchant_api::DEFAULT_EXPIRES_IN * 1000,
        ),
        meta: p.meta.clone(),
        refunds: std::collections::BTreeMap::new(),
    };
    let order = OrderClient::new(&ctx.env, id)?;
    if let Some(created) = order.create(stored).await? {
        super::merchant_api::index_order(ctx, &created).await;
        return Ok(created);
    }
    let existing = order.get().await?;
    // A reserved id names the order its first request created from the same parameters;
    // anything else would be an id collision, never answered as this purchase.
    if existing.meta != p.meta || existing.order.amount() != &OrderAmount::Fiat(p.money) {
        return Err(EdgeError::Internal(format!(
            "preOrder: order {id} does not match its reservation"
        )));
    }
    Ok(existing)
}

/// Whether a keyless retry may still get this order: open, unexpired, not paid.
fn payable(stored: &StoredOrder, now: u64) -> bool {
    stored.order.is_open() && now < stored.order.expires_at_ms()
}

/// S0 `prePayCheck` for the order; a refusal leaves the order without an attempt, so no
/// form leaves the edge.
async fn s0_check(
    order: &OrderClient,
    s0_cfg: &s0::S0Config,
    stored: &StoredOrder,
    fail_open: bool,
) -> Result<(), EdgeError> {
    let refused = |detail: String| EdgeError::Conflict {
        code: ErrorCode::S0Refused,
        message: format!("orderId: payment refused by the platform check ({detail})"),
    };
    let body = s0::pre_pay_check_body(stored.order.id(), stored.order.amount());
    let uid = s0::Uid::of_user(&stored.meta.user.id);
    match exchange(s0::pre_pay_check(s0_cfg, &uid, &body)).await {
        Ok(s0::PrePayDecision::Approved) => {
            order
                .audit("s0_approved", "prePayCheck (S1 preOrder)")
                .await
        }
        Ok(s0::PrePayDecision::Denied { status, .. }) => {
            order
                .audit("s0_denied", &format!("prePayCheck status {status}"))
                .await?;
            Err(refused(format!("denied, status {status}")))
        }
        Err(e) if fail_open => {
            // The operator chose to keep selling while S0 is down (SPEC 3.5 "by default").
            order
                .audit("s0_unavailable_fail_open", &e.to_string())
                .await
        }
        Err(e) => {
            order.audit("s0_unavailable", &e.to_string()).await?;
            Err(refused(e.to_string()))
        }
    }
}

/// The Paytm salt of order `id`'s form (`request::order_salt`).
fn order_salt(env: &worker::Env, id: Id) -> Result<Salt, EdgeError> {
    Ok(request::order_salt(
        config::merchant_key(env)?.as_bytes(),
        id,
    ))
}

async fn status_inner(req: &mut Request, ctx: &Ctx) -> Result<Response, EdgeError> {
    // Who is asking is settled before the body is read: nothing here is for strangers.
    let token = bearer(req).ok_or(EdgeError::Unauthorized)?;
    let merchant = config::merchant_key(&ctx.env)?;
    let is_merchant = ct::eq(token.as_bytes(), merchant.as_bytes());
    let map = params(req, STATUS_FIELDS).await?;
    let StatusQuery {
        user_id,
        order_id: id,
    } = StatusQuery::parse(&map)?;
    if !is_merchant {
        let claims = super::widget_api::authorize(req, &ctx.env, id, "getOrderStatus").await?;
        if claims.user_id != user_id {
            return Err(EdgeError::bad(
                "userId",
                "userId: is not the user this client_secret was issued to",
            ));
        }
    }
    let stored = OrderClient::new(&ctx.env, id)?.get().await?;
    if stored.meta.user.id != user_id {
        return Err(EdgeError::bad("userId", "userId: is not this order's user"));
    }
    // 2 (支付失败) while the latest attempt failed and the order is still open.
    let status = Status::from_canonical(kassa_shared::flows::attempts::shown_status(&stored.order));
    Ok(Response::from_json(&Envelope::ok(OrderStatusData {
        status,
    }))?)
}

/// The request's parameters: query string for `GET`; for `POST` a form-encoded body
/// when the content type says so, else a JSON object. Unknown names are refused.
async fn params(req: &mut Request, allowed: &[&str]) -> Result<Map<String, Value>, EdgeError> {
    let form = req
        .headers()
        .get("Content-Type")
        .ok()
        .flatten()
        .is_some_and(|c| {
            c.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let pairs: Vec<(String, String)> = if req.method() == Method::Get {
        req.url()?.query_pairs().into_owned().collect()
    } else if form {
        let body = input::body_bytes(req).await?;
        let text = String::from_utf8(body)
            .map_err(|_| EdgeError::InvalidJson("the form body is not UTF-8".into()))?;
        worker::Url::parse(&format!("http://form.invalid/?{text}"))
            .map_err(|_| EdgeError::InvalidJson("the form body is not URL-encoded".into()))?
            .query_pairs()
            .into_owned()
            .collect()
    } else {
        return input::json_object(req, allowed).await;
    };
    let mut map = Map::new();
    for (k, v) in pairs {
        if !allowed.contains(&k.as_str()) {
            return Err(EdgeError::bad(k.clone(), format!("{k}: unknown parameter")));
        }
        if map.insert(k.clone(), Value::String(v)).is_some() {
            return Err(EdgeError::bad(
                k.clone(),
                format!("{k}: given more than once"),
            ));
        }
    }
    Ok(map)
}
