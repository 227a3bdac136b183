//! The widget API (SPEC 3.1, seed S2 支付接口): `/api/payment/...`, called from the
//! shopper's browser on the merchant's page.
//!
//! - Authentication: `Authorization: Bearer <client_secret>` (SPEC 4.4). A token that does
//!   not verify is 401; a valid token for another order is 403 and is written to the
//!   audit log of the token's own order (the caller holds a real token, so this is a bug
//!   or a probe worth seeing, kept where its holder's trail is; the order it tried to
//!   reach is never written by someone who cannot act on it). An unverified token is not
//!   logged, so nobody can fill an order's log anonymously. Scopes (`auth.rs`, issue 14):
//!   the order routes take that order's `client_secret` only (a user token is 403); the
//!   order list takes a user token only (a `client_secret` is 403).
//! - CORS: only for the origins listed in `KASSA_ALLOWED_ORIGINS` (comma-separated,
//!   exact `scheme://host[:port]` matches); a preflight `OPTIONS` is answered 204 for any
//!   origin, with CORS headers only for a listed one, so the browser blocks the rest.
//! - Errors: the S2-shaped envelope `{status, code, message, field}` (`error.rs`).
//! - `GET /api/payment/orders` reads the user token's user's orders from their
//!   `UserObject` index.
//! - `/.well-known/kassa-key.json` (SPEC 4.5): the edge's RSA-OAEP public key as a JWK
//!   set, read from `KASSA_OAEP_PUBLIC_KEY` (bare base64 SPKI or PEM).

use serde_json::{json, Map, Value};
use worker::{Date, Env, Headers, Method, Request, Response, Result, RouteContext};

use kassa_shared::crypto::client_secret::Claims;
use kassa_shared::crypto::secret::Secret;
use kassa_shared::crypto::user_token::UserClaims;
use kassa_shared::id::Id;
use kassa_shared::risk::{self, RiskInput, VelocityWindow};
use kassa_shared::second_factor::WrongCodeLock;
use kassa_shared::surfaces::s2::status::{Locale, Status as S2Status};
use kassa_shared::surfaces::s2::wire::{
    LoadPayDataResponse, OrdersResponse, SendVerifyCodeResponse,
};
use kassa_shared::surfaces::s2::{answers, requests};

use crate::auth;
use crate::auth::bearer;
use crate::config;
use crate::error::{respond_s2, EdgeError};
use crate::input;
use crate::objects::order_object::{OrderClient, PayIn};
use crate::objects::user_object::RiskProfile;
use crate::objects::user_object::{OrderFilter, UserClient};
use crate::resources::StoredOrder;

type Ctx = RouteContext<()>;

/// The widget API's path prefix: CORS and the S2 envelope apply below it.
pub const PREFIX: &str = "/api/payment/";

const ALLOWED_METHODS: &str = "GET, POST, OPTIONS";
const ALLOWED_HEADERS: &str = "Authorization, Content-Type, Idempotency-Key";
/// Browsers cap this anyway (Chromium at 2 h); 10 min keeps a config change effective soon.
const PREFLIGHT_MAX_AGE: &str = "600";

/// The request's `Origin` when it is one of `KASSA_ALLOWED_ORIGINS`, else `None`.
pub fn allowed_origin(req: &Request, env: &Env) -> Option<String> {
    let origin = req.headers().get("Origin").ok().flatten()?;
    requests::origin_listed(&config::allowed_origins(env)?, &origin).then_some(origin)
}

/// The answer to a preflight `OPTIONS`: 204, with CORS headers only for a listed origin.
pub fn preflight(origin: Option<&str>) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Vary", "Origin")?;
    if let Some(origin) = origin {
        headers.set("Access-Control-Allow-Origin", origin)?;
        headers.set("Access-Control-Allow-Methods", ALLOWED_METHODS)?;
        headers.set("Access-Control-Allow-Headers", ALLOWED_HEADERS)?;
        headers.set("Access-Control-Max-Age", PREFLIGHT_MAX_AGE)?;
    }
    Ok(Response::empty()?.with_status(204).with_headers(headers))
}

/// Adds the CORS headers for `origin` to a widget API answer. Headers are copied into a
/// fresh set because an answer passed through from a Durable Object has immutable ones.
pub fn with_cors(resp: Response, origin: Option<&str>) -> Result<Response> {
    let headers = Headers::new();
    for (k, v) in resp.headers().entries() {
        headers.append(&k, &v)?;
    }
    headers.set("Vary", "Origin")?;
    if let Some(origin) = origin {
        headers.set("Access-Control-Allow-Origin", origin)?;
    }
    Ok(resp.with_headers(headers))
}

/// Verifies the bearer `client_secret` and that it was issued for order `id`.
pub async fn authorize(req: &Request, env: &Env, id: Id, route: &str) -> Result<Claims, EdgeError> {
    let token = bearer(req).ok_or(EdgeError::Unauthorized)?;
    let claims = auth::order_credential(&token, env, auth::Field::Authorization)?;
    if claims.order_id != id {
        // In the token holder's own order's log, never in the one it tried to reach
        // (issue 14 item 4).
        crate::routes::live::audit_wrong_order(env, claims.order_id, id, route).await;
        return Err(EdgeError::Forbidden(
            "client_secret: issued for another order",
        ));
    }
    Ok(claims)
}

/// The request's parameters: the query string for GET, the JSON body for POST (S2 takes
/// both for `load_pay_data`). Unknown parameters are refused by name.
async fn params(req: &mut Request, allowed: &[&str]) -> Result<Map<String, Value>, EdgeError> {
    if req.method() == Method::Post {
        return input::json_object(req, allowed).await;
    }
    let query = input::query(req, allowed)?;
    Ok(query
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect())
}

/// `order_id` as a string or an exact integer (SPEC 2, "Identifiers").
fn order_id(map: &Map<String, Value>) -> Result<Id, EdgeError> {
    Ok(requests::order_id(map)?)
}

/// The stored order, read through its `OrderObject`.
async fn load(env: &Env, id: Id) -> Result<StoredOrder, EdgeError> {
    OrderClient::new(env, id)?.get().await
}

/// The locale of S2 labels, from `Accept-Language` (`requests::locale`).
fn locale(req: &Request) -> Locale {
    requests::locale(
        req.headers()
            .get("Accept-Language")
            .ok()
            .flatten()
            .as_deref(),
    )
}

/// `GET|POST /api/payment/order/load_pay_data`
pub async fn load_pay_data(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond_s2(
        async {
            let map = params(&mut req, &["order_id", "device_id"]).await?;
            let id = order_id(&map)?;
            let device_id = input::opt_string(&map, "device_id", "device_id", 128)?;
            let claims = authorize(&req, &ctx.env, id, "load_pay_data").await?;
            let device_id = auth::verified_device(&ctx.env, &claims.user_id, device_id.as_deref())?;
            let mut stored = load(&ctx.env, id).await?;
            // Back from the provider's page with the attempt still open: its provider
            // is asked now (a declined charge, a cashier left), not a window later.
            if stored.order.status() == kassa_shared::order::OrderStatus::Processing {
                stored = OrderClient::new(&ctx.env, id)?.refresh().await?;
            }
            let profile = RiskProfile::load(&ctx.env, &claims.user_id).await?;
            let config = config::risk(&ctx.env)?;
            let amount = risk::Amount::from(stored.order.amount());
            // Only `need2FA` is read from this decision, and velocity never asks for a
            // code (it refuses at `pay`, which reads the real windows), so empty windows
            // cost no fidelity and save two object round trips per load.
            let empty = VelocityWindow::default();
            let decision = risk::evaluate(
                &RiskInput {
                    order_amount: &amount,
                    requested_amount: &amount,
                    order_expires_at_ms: stored.order.expires_at_ms(),
                    user_velocity: &empty,
                    ip_velocity: &empty,
                    wrong_codes: &WrongCodeLock::default(),
                    device_id: device_id.as_deref(),
                    known_devices: &profile.devices,
                    user_trusted: profile.trusted,
                    last_failed_attempt_ms: None,
                },
                &config,
                Date::now().as_millis(),
            );
            let user = &stored.meta.user;
            let bind_ga = profile.ga_enrolled;
            let auth_type = requests::auth_type(
                bind_ga,
                user.mobile.is_some(),
                user.email.is_some(),
                decision.need_2fa,
            )?;
            Ok(Response::from_json(&LoadPayDataResponse {
                order_info: crate::resources::s2_order(&stored, locale(&req)),
                user_info: answers::user_info(user, bind_ga, profile.trade_pwd_set),
                need_2fa: decision.need_2fa,
                auth_type,
            })?)
        }
        .await,
    )
}

/// `GET /.well-known/kassa-key.json` — `{ "keys": [<RSA-OAEP-256 public JWK>] }`.
pub async fn public_key(_req: Request, ctx: Ctx) -> Result<Response> {
    crate::error::respond(
        async {
            let key = config::oaep_public_key(&ctx.env).await?;
            let jwk = key
                .to_jwk()
                .await
                .map_err(|e| EdgeError::Internal(format!("to_jwk: {e:?}")))?;
            let mut resp = Response::from_json(&json!({ "keys": [jwk] }))?;
            // Public and rarely rotated; any page may fetch it.
            resp.headers_mut()
                .set("Cache-Control", "public, max-age=300")?;
            resp.headers_mut().set("Access-Control-Allow-Origin", "*")?;
            Ok(resp)
        }
        .await,
    )
}

/// Verifies the bearer user token for a request that names no order (the S2 list): the
/// token's user is the caller. An order's `client_secret` is 403 here (`auth.rs`): one
/// order's credential does not reveal the user's other orders.
async fn authenticate(req: &Request, env: &Env) -> Result<UserClaims, EdgeError> {
    let token = bearer(req).ok_or(EdgeError::Unauthorized)?;
    auth::user_credential(&token, env, auth::Field::Authorization).await
}

/// `GET /api/payment/orders` — the caller's orders (the user token's user), newest
/// first, in the S2 list envelope `{status: 0, data}`. Filters: `status` (S2 code 0–4),
/// `from_id` / `to_id` (inclusive id bounds), `start_time` / `end_time` (13-digit ms,
/// closed interval on `created`), `limit` (default 20; above 100 → 100, as the seed's
/// "最大100" reads; 0 → 400). Each is an exact query of the user's index in their
/// `UserObject` (`user_object/orders.rs`), over their whole history; to page, pass the
/// last id seen minus one as `to_id`.
pub async fn list_orders(req: Request, ctx: Ctx) -> Result<Response> {
    respond_s2(
        async {
            let q = requests::orders_query(req.url()?.query_pairs())?;
            let claims = authenticate(&req, &ctx.env).await?;
            let filter = OrderFilter {
                status: q.status.map(S2Status::code),
                from: q.from_id,
                to: q.to_id,
                start_ms: q.start_time,
                end_ms: q.end_time,
                limit: q.effective_limit(),
            };
            let ids = UserClient::new(&ctx.env, &claims.user_id)?
                .list_orders(&ctx.env, filter)
                .await?;
            let locale = locale(&req);
            let mut data = Vec::with_capacity(ids.len());
            for id in ids {
                // Sequential on purpose: at most 100 Durable Object reads.
                data.push(crate::resources::s2_order(
                    &load(&ctx.env, id).await?,
                    locale,
                ));
            }
            Ok(Response::from_json(&OrdersResponse { status: 0, data })?)
        }
        .await,
    )
}

/// The user id as the `Id` a stored code binds (`requests::user_binding`).
fn user_binding(user_id: &str) -> Result<Id, EdgeError> {
    requests::user_binding(user_id).map_err(|e| EdgeError::Internal(e.to_string()))
}

/// `POST /api/payment/order/send_payment_verify_code` `{order_id}` → `{orderId}` (the
/// code-send id, sent back by `pay` as `verify_code_order_id`). MOBILE when the order's
/// user has a mobile, else EMAIL; throttled per user in their `UserObject` (429 with
/// `retry_after_ms` and `Retry-After`). The code is stored only as a MAC in the order's
/// object; delivery: the dev outbox under `KASSA_ENV=development`, else a signed merchant
/// webhook `verification_code.requested` through the order's outbox.
pub async fn send_verify_code(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond_s2(
        async {
            let map = params(&mut req, &["order_id"]).await?;
            let id = order_id(&map)?;
            let claims = authorize(&req, &ctx.env, id, "send_payment_verify_code").await?;
            let stored = load(&ctx.env, id).await?;
            if !stored.order.is_open() {
                return Err(requests::not_payable().into());
            }
            let user = &stored.meta.user;
            let channel = requests::code_channel(user.mobile.as_deref(), user.email.as_deref())?;
            let pepper = config::code_pepper(&ctx.env)?;
            let now = Date::now().as_millis();
            let config = config::risk(&ctx.env)?;
            UserClient::new(&ctx.env, &claims.user_id)?
                .record_send(now, config.send_limits())
                .await?;
            let mut random = [0u8; 40];
            getrandom::getrandom(&mut random)
                .map_err(|e| EdgeError::Internal(format!("getrandom: {e}")))?;
            let pepper = Secret::from(pepper.as_str());
            let (code, dev) =
                answers::code_send(&random, id, &claims.user_id, now, &pepper, channel)?;
            let send_id = code.send_id;
            OrderClient::new(&ctx.env, id)?
                .code(code, Some(dev))
                .await?;
            Ok(Response::from_json(&SendVerifyCodeResponse {
                order_id: send_id,
            })?)
        }
        .await,
    )
}

/// `POST /api/payment/order/pay` `{order_id, verify_code_order_id?, verify_code}` with an
/// optional `Idempotency-Key` header → the S2 order. Everything after authentication
/// runs in the order's `OrderObject` (`OrderObject::pay`), which serialises it.
pub async fn pay(req: Request, ctx: Ctx) -> Result<Response> {
    respond_s2(pay_or_quick(req, &ctx, false).await)
}

/// `POST /api/payment/order/quick_pay` — as `pay`, the code optional → `{processIsEnd,
/// need2FA}`; `need2FA: true` (nothing attempted) when risk wants a code and none came.
pub async fn quick_pay(req: Request, ctx: Ctx) -> Result<Response> {
    respond_s2(pay_or_quick(req, &ctx, true).await)
}

async fn pay_or_quick(mut req: Request, ctx: &Ctx, quick: bool) -> Result<Response, EdgeError> {
    let map = input::json_object(&mut req, &requests::PAY_FIELDS).await?;
    let return_url = requests::return_url(&map, config::allowed_origins(&ctx.env).as_deref())?;
    let id = order_id(&map)?;
    let code = if quick {
        input::opt_string(&map, "verify_code", "verify_code", 16)?.unwrap_or_default()
    } else {
        input::string(&map, "verify_code", "verify_code", 16)?
    };
    let send_id = requests::verify_code_order_id(&map)?;
    let device_id = input::opt_string(&map, "device_id", "device_id", 128)?;
    let key = requests::pay_idempotency_key(
        req.headers()
            .get("Idempotency-Key")
            .ok()
            .flatten()
            .as_deref(),
    )?;
    let claims = authorize(&req, &ctx.env, id, "pay").await?;
    // Only an edge-issued device token for this user names a device (the fingerprint
    // below still covers what the browser sent).
    let device_id = auth::verified_device(&ctx.env, &claims.user_id, device_id.as_deref())?;
    let fingerprint = requests::pay_fingerprint(&map);
    let english = matches!(locale(&req), Locale::EnUs);
    let pay = PayIn {
        key,
        fingerprint,
        user_binding: user_binding(&claims.user_id)?,
        user_id: claims.user_id,
        send_id,
        code,
        device_id,
        english,
        quick,
        client_ip: req.headers().get("CF-Connecting-IP").ok().flatten(),
        return_url,
    };
    let v = OrderClient::new(&ctx.env, id)?.pay(pay).await?;
    Ok(Response::from_json(&v)?)
}
