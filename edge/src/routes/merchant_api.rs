//! Merchant API `/v1` (SPEC 3.2): server-to-server, `Authorization: Bearer <merchant
//! key>` compared in constant time. Shaped like the best payment APIs: resources carry an
//! `object` field, ids are strings, lists are `{object: "list", data, has_more}` with a
//! `starting_after` cursor, errors are `{error: {type, code, message, param}}`.
//! Documented in `edge/openapi.json`, which `tests/tests/edge_openapi.rs` checks against
//! the real responses.
//!
//! Every handler authenticates first, validates everything, and only then talks to the
//! order's Durable Object, so a request that fails validation writes nothing.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use worker::{Date, Request, Response, Result, RouteContext, Url};

use kassa_shared::crypto::client_secret::{self, Claims};
use kassa_shared::envelope::ErrorCode;
use kassa_shared::flows::outbox::OutboxKind;
use kassa_shared::id::{Id, IdGenerator};
use kassa_shared::order::{Order, OrderAmount};

use crate::auth::require_merchant;
use crate::config;
use crate::error::{respond, EdgeError};
use crate::input::{self, json_object, opt_integer};
use crate::objects::order_index::{IndexClient, Reservation, MAX_LIMIT};
use crate::objects::order_object::{AmountIn, ManualOutcome, OrderClient, RefundIn, RefundReply};
use crate::objects::user_object::UserClient;
use crate::resources::{order_view, refund_view, OrderMeta, StoredOrder};
use kassa_shared::providers::Provider;
use kassa_shared::surfaces::merchant::order::{CreateOrder, FIELDS as CREATE_FIELDS};
use kassa_shared::surfaces::merchant::requests::{
    self, webhook_view, RefundAmount, RefundAsk, Settle,
};

pub(super) type Ctx = RouteContext<()>;

pub(crate) use kassa_shared::surfaces::merchant::order::DEFAULT_EXPIRES_IN;

pub(crate) fn now_ms() -> u64 {
    Date::now().as_millis()
}

fn path_id(ctx: &Ctx, name: &'static str) -> Result<Id, EdgeError> {
    Ok(requests::id_param(
        name,
        ctx.param(name).map_or("", String::as_str),
    )?)
}

/// The merchant's credentials, then the order id of the path (`:id`): every `/v1/orders/:id`
/// route starts so, and in that order (a stranger learns nothing from a 400).
pub(super) fn merchant_order_id(req: &Request, ctx: &Ctx) -> Result<Id, EdgeError> {
    require_merchant(req, &ctx.env)?;
    path_id(ctx, "id")
}

/// Order `id`'s object.
pub(super) fn order(ctx: &Ctx, id: Id) -> Result<OrderClient, EdgeError> {
    OrderClient::new(&ctx.env, id)
}

/// `POST /v1/orders`
pub async fn create_order(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond(create(&mut req, &ctx).await)
}

async fn create(req: &mut Request, ctx: &Ctx) -> Result<Response, EdgeError> {
    require_merchant(req, &ctx.env)?;
    let idempotency_key = idempotency_key(req)?;
    let map = json_object(req, &CREATE_FIELDS).await?;
    let CreateOrder {
        channel,
        amount,
        items,
        user,
        expires_in,
        notify_url,
        metadata,
        description,
        payee_user_id,
    } = CreateOrder::parse(&map)?;
    let notify_url = check_notify_url(notify_url, &ctx.env)?;
    let payee_user_id = payee_user_id.or_else(|| channel_merchant_id(&ctx.env, channel));

    let now = now_ms();
    let meta = OrderMeta {
        channel,
        items,
        user,
        notify_url,
        metadata,
        description,
        payee_user_id,
    };
    let mut ids = IdGenerator::new(random_node());
    let new_order = |id: Id| StoredOrder {
        order: Order::new(id, amount.clone(), now, now + expires_in * 1000),
        meta: meta.clone(),
        refunds: BTreeMap::new(),
    };
    if let Some(key) = idempotency_key {
        // Reserve the key with a fresh id; a key seen before answers with its first id.
        let fingerprint = requests::body_fingerprint(&map);
        let fresh = ids.next(now);
        let r = IndexClient::new(&ctx.env)?
            .reserve(Reservation {
                key,
                id: fresh,
                fingerprint: fingerprint.clone(),
            })
            .await?;
        if !kassa_shared::crypto::ct::eq(r.fingerprint.as_bytes(), fingerprint.as_bytes()) {
            return Err(EdgeError::Conflict {
                code: ErrorCode::IdempotencyKeyReused,
                message: "Idempotency-Key: was used with a different request body".to_owned(),
            });
        }
        let id = r.id;
        // The first request may have stopped between the reservation and the create,
        // or may be running right now: create-if-absent, and on "exists" read it back.
        if let Some(stored) = create_in_object(ctx, &new_order(id)).await? {
            return finish_create(ctx, &stored, now).await;
        }
        let stored = order(ctx, id)?.get().await?;
        return finish_create(ctx, &stored, now).await;
    }
    let stored = create_listed(ctx, amount, meta, expires_in).await?;
    created(ctx, &stored, now)
}

/// `Idempotency-Key` (optional): a retried create with the same key and body returns the
/// first order instead of creating a second one; the same key with another body is 409.
pub(crate) fn idempotency_key(req: &Request) -> Result<Option<String>, EdgeError> {
    let raw = req.headers().get("Idempotency-Key").ok().flatten();
    Ok(requests::idempotency_key(raw)?)
}

/// Creates an order under a fresh id and lists it (`POST /v1/orders` without an
/// `Idempotency-Key`).
async fn create_listed(
    ctx: &Ctx,
    amount: OrderAmount,
    meta: OrderMeta,
    expires_in_secs: u64,
) -> Result<StoredOrder, EdgeError> {
    let now = now_ms();
    let mut ids = IdGenerator::new(random_node());
    // Retry on the astronomically unlikely id collision (create-if-absent answers 409).
    for _ in 0..3 {
        let stored = StoredOrder {
            order: Order::new(
                ids.next(now),
                amount.clone(),
                now,
                now + expires_in_secs * 1000,
            ),
            meta: meta.clone(),
            refunds: BTreeMap::new(),
        };
        if let Some(stored) = create_in_object(ctx, &stored).await? {
            index_order(ctx, &stored).await;
            return Ok(stored);
        }
    }
    Err(EdgeError::Internal("could not allocate an order id".into()))
}

/// Adds a new order to the merchant's index and the shopper's own (S2 list). The order
/// exists already; a failed index write must not make the caller retry and create a
/// second order, so it is logged, not returned (appending twice writes the same key).
pub(crate) async fn index_order(ctx: &Ctx, stored: &StoredOrder) {
    let id = stored.order.id();
    let index = async { IndexClient::new(&ctx.env)?.append(id).await };
    if let Err(e) = index.await {
        worker::console_error!("order index append failed for {id}: {e:?}");
    }
    let user = async {
        UserClient::new(&ctx.env, &stored.meta.user.id)?
            .add_order(
                id,
                stored.order.created_ms(),
                crate::resources::s2_code(stored.order.status()),
            )
            .await
    };
    if let Err(e) = user.await {
        worker::console_error!("user index add failed for {id}: {e:?}");
    }
}

/// Create-if-absent in the order's object: `None` when an order with that id exists.
async fn create_in_object(
    ctx: &Ctx,
    stored: &StoredOrder,
) -> Result<Option<StoredOrder>, EdgeError> {
    order(ctx, stored.order.id())?.create(stored.clone()).await
}

/// Lists the order and answers 201 with a `client_secret`.
async fn finish_create(ctx: &Ctx, stored: &StoredOrder, now: u64) -> Result<Response, EdgeError> {
    index_order(ctx, stored).await;
    created(ctx, stored, now)
}

/// 201 with the order and its `client_secret`.
fn created(ctx: &Ctx, stored: &StoredOrder, now: u64) -> Result<Response, EdgeError> {
    let secret = issue_client_secret(&ctx.env, stored, now, None)?;
    let mut view = order_view(stored);
    view["client_secret"] = json!(secret.0);
    Ok(Response::from_json(&view)?.with_status(201))
}

/// The merchant's own id at `channel` (S2 `payeeUserId` when the merchant names none):
/// S3's merchant id, Paytm's MID, Ping++'s app id, the wallet's `KASSA_WALLET_MERCHANT_ID`
/// (the wallet knows the merchant by its API key, so its id is a setting; unset, S2 shows
/// `"0"`). A channel not configured has none either (the pay refuses it later, with the
/// variable's name).
fn channel_merchant_id(env: &worker::Env, channel: Provider) -> Option<String> {
    let channels = config::channels(env).ok()?;
    match channel {
        Provider::Lianshang => channels.s3.map(|c| c.merchant_id),
        Provider::Paytm => channels.paytm.map(|c| c.mid),
        Provider::Pingpp => channels.pingpp.map(|c| c.app_id),
        Provider::Wallet => channels.wallet.and_then(|c| c.merchant_id),
    }
}

/// `notify_url`: a URL (parsed here), whose scheme and host `requests::notify_url_target`
/// judges (development allows `http://` and loopback).
fn check_notify_url(raw: Option<String>, env: &worker::Env) -> Result<Option<String>, EdgeError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let url = Url::parse(&raw)
        .map_err(|e| EdgeError::bad("notify_url", format!("notify_url: not a URL ({e})")))?;
    requests::notify_url_target(url.scheme(), url.host_str(), config::is_development(env))?;
    Ok(Some(raw))
}

/// `GET /v1/orders/:id`
pub async fn get_order(req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            let id = merchant_order_id(&req, &ctx)?;
            let stored = order(&ctx, id)?.get().await?;
            Ok(Response::from_json(&order_view(&stored))?)
        }
        .await,
    )
}

/// Query parameter `name` as an id, when present.
fn query_id(q: &BTreeMap<String, String>, name: &'static str) -> Result<Option<Id>, EdgeError> {
    Ok(q.get(name)
        .map(|v| requests::id_param(name, v))
        .transpose()?)
}

/// `GET /v1/orders?limit=&starting_after=` — newest first.
pub async fn list_orders(req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            require_merchant(&req, &ctx.env)?;
            let q = input::query(&req, &["limit", "starting_after"])?;
            let limit = requests::list_limit(q.get("limit").map(String::as_str), MAX_LIMIT)?;
            let starting_after = query_id(&q, "starting_after")?;
            let page = IndexClient::new(&ctx.env)?
                .list(limit, starting_after)
                .await?;
            let mut data = Vec::new();
            for id in page.ids {
                // Sequential on purpose: at most `MAX_LIMIT` subrequests, each a
                // Durable Object read (see README, "limits").
                let stored = order(&ctx, id)?.get().await?;
                data.push(order_view(&stored));
            }
            Ok(Response::from_json(&requests::list(
                "/v1/orders",
                data,
                page.has_more,
            ))?)
        }
        .await,
    )
}

/// `POST /v1/orders/:id/cancel`
pub async fn cancel_order(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            let id = merchant_order_id(&req, &ctx)?;
            json_object(&mut req, &[]).await?;
            let stored = order(&ctx, id)?.cancel().await?;
            Ok(Response::from_json(&order_view(&stored))?)
        }
        .await,
    )
}

/// `POST /v1/orders/:id/refunds` — one refund of a paid order, full or partial
/// (`amount`: minor units for fiat, a decimal string for tokens; default everything
/// left), run by its `OrderObject` (`order_object/refund.rs`): through Ping++'s refund
/// API, Paytm's Refund API, the wallet's refund call, or recorded for the merchant to
/// make by hand (S3, whose seed says refunds are manual). Answers the refund with its
/// order. 400 names an `amount` that is no positive amount at all; 409 names one this
/// order cannot take (`amount_form_mismatch`: a string for fiat, an integer or more
/// decimals than the token has for tokens) or more than is left
/// (`refund_exceeds_refundable`), both depending on the order, not on the request
/// alone; 409 `order_not_refundable` when nothing is left (or `refund_in_progress` while another request waits for its provider); 502
/// `refund_refused` when the provider refuses, with nothing recorded.
pub async fn refund_order(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            let id = merchant_order_id(&req, &ctx)?;
            let body = json_object(&mut req, &requests::REFUND_FIELDS).await?;
            let RefundAsk { amount, reason } = RefundAsk::parse(&body)?;
            let amount = amount.map(|a| match a {
                RefundAmount::Minor(m) => AmountIn::Minor(m),
                RefundAmount::Decimal(d) => AmountIn::Decimal(d),
            });
            let refund = IdGenerator::new(random_node()).next(now_ms());
            let ask = RefundIn {
                refund,
                amount,
                reason,
            };
            let reply = order(&ctx, id)?.refund(ask).await?;
            Ok(Response::from_json(&refund_answer(&reply))?)
        }
        .await,
    )
}

/// A refund resource with the order it belongs to (`order`).
fn refund_answer(reply: &RefundReply) -> Value {
    let order = &reply.order;
    let r = order.order.refunds().get(reply.refund).unwrap_or_default();
    let mut view = refund_view(order, reply.refund, r);
    view["order"] = order_view(order);
    view
}

/// `POST /v1/orders/:id/refunds/settle` — the merchant reports the outcome of an S3
/// refund it made by hand (`outcome` `succeeded`, the default, or `failed`; `refund_id`
/// when several wait; `reference` ≤ 128 characters, the bank's or platform's reference,
/// kept as the refund's `provider_reference`). Every other channel's refunds are
/// settled by their provider (409).
pub async fn settle_refund(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            let id = merchant_order_id(&req, &ctx)?;
            let body = json_object(&mut req, &requests::SETTLE_FIELDS).await?;
            let Settle {
                refund,
                succeeded,
                reference,
            } = Settle::parse(&body)?;
            let outcome = if succeeded {
                ManualOutcome::Succeeded
            } else {
                ManualOutcome::Failed
            };
            let reply = order(&ctx, id)?
                .settle_refund(refund, outcome, reference)
                .await?;
            Ok(Response::from_json(&refund_answer(&reply))?)
        }
        .await,
    )
}

/// `POST /v1/orders/:id/review/resolve` — the merchant decided what an order that
/// needed review is: `resolution` `refunded` (the money went back: through
/// `POST /v1/orders/:id/refunds` or outside Kassa) or `fulfilled` (kept and shipped);
/// `note` (≤ 500 characters) goes to the audit log. The order's open review reasons
/// are resolved (`needs_review` false, `order.review_resolved` once per reason); a
/// reason that arises later needs review again. 409 `no_review_needed` otherwise.
pub async fn resolve_review(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            let id = merchant_order_id(&req, &ctx)?;
            let body = json_object(&mut req, &requests::REVIEW_FIELDS).await?;
            let (resolution, note) = requests::review(&body)?;
            let stored = order(&ctx, id)?.resolve_review(resolution, note).await?;
            Ok(Response::from_json(&order_view(&stored))?)
        }
        .await,
    )
}

/// `GET /v1/orders/:id/events` — status history (every distinct fact, with what it did),
/// the audit log of rejected requests, and the S0 relays the order owes.
pub async fn order_events(req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            let id = merchant_order_id(&req, &ctx)?;
            let events = order(&ctx, id)?.events().await?;
            let audit = events.audit.iter();
            let audit = audit.map(|a| requests::audit_view(a.at_ms, &a.reason, &a.detail));
            Ok(Response::from_json(&requests::events_view(
                id,
                &events.history,
                audit.collect(),
                &events.relays,
            ))?)
        }
        .await,
    )
}

/// `GET /v1/orders/:id/webhooks` — the delivery log.
pub async fn order_webhooks(req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            let id = merchant_order_id(&req, &ctx)?;
            let outbox = order(&ctx, id)?.webhooks().await?;
            let data: Vec<Value> = outbox
                .entries()
                .iter()
                .filter(|e| e.kind == OutboxKind::Webhook)
                .map(webhook_view)
                .collect();
            let url = format!("/v1/orders/{id}/webhooks");
            Ok(Response::from_json(&requests::list(&url, data, false))?)
        }
        .await,
    )
}

/// `POST /v1/orders/:id/webhooks/:webhook_id/replay` — same id and body, a fresh retry
/// window; the next alarm (now) delivers it.
pub async fn replay_webhook(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            let id = merchant_order_id(&req, &ctx)?;
            let webhook_id =
                requests::webhook_id(ctx.param("webhook_id").map_or("", String::as_str))?;
            json_object(&mut req, &[]).await?;
            let entry = order(&ctx, id)?.replay_webhook(webhook_id).await?;
            Ok(Response::from_json(&webhook_view(&entry))?)
        }
        .await,
    )
}

/// `POST /v1/orders/:id/client_secret` — a fresh `client_secret` (≤ 1 h, SPEC 4.4).
pub async fn issue_secret(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            let id = merchant_order_id(&req, &ctx)?;
            let body = json_object(&mut req, &["expires_in"]).await?;
            let expires_in =
                opt_integer(&body, "expires_in", 60, client_secret::MAX_LIFETIME_SECS)?;
            let stored = order(&ctx, id)?.get().await?;
            let (secret, expires_at) =
                issue_client_secret(&ctx.env, &stored, now_ms(), expires_in)?;
            Ok(Response::from_json(&requests::client_secret_view(
                id, &secret, expires_at,
            ))?)
        }
        .await,
    )
}

/// A `client_secret` for the widget: bound to order and user, valid at most one hour.
fn issue_client_secret(
    env: &worker::Env,
    s: &StoredOrder,
    now_ms: u64,
    lifetime: Option<u64>,
) -> Result<(String, u64), EdgeError> {
    let key = config::client_secret_key(env)?;
    let now = now_ms / 1000;
    let expires_at = now + lifetime.unwrap_or(client_secret::MAX_LIFETIME_SECS);
    let claims = Claims {
        order_id: s.order.id(),
        user_id: s.meta.user.id.clone(),
        expires_at,
    };
    let token = client_secret::issue(key.as_bytes(), &claims, now)
        .map_err(|e| EdgeError::bad("user.id", e.to_string()))?;
    Ok((token, expires_at))
}

/// A node id for this isolate's id generator: ids from concurrent isolates differ in it.
pub(crate) fn random_node() -> u16 {
    let mut b = [0u8; 2];
    // crypto.getRandomValues is always present in workerd.
    if getrandom::getrandom(&mut b).is_err() {
        return 0;
    }
    u16::from_le_bytes(b)
}

/// `GET /v1/dev/outbox?order_id=` — the verify codes "sent" for an order, in clear
/// (SPEC 6: the notifier in development). 404 unless `KASSA_ENV=development`.
pub async fn dev_outbox(req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            if !crate::config::is_development(&ctx.env) {
                return Err(EdgeError::RouteNotFound);
            }
            require_merchant(&req, &ctx.env)?;
            let id = query_id(&input::query(&req, &["order_id"])?, "order_id")?;
            let id = id.ok_or_else(|| EdgeError::bad("order_id", "order_id: is required"))?;
            let data = order(&ctx, id)?.dev_outbox().await?;
            Ok(Response::from_json(
                &json!({ "object": "list", "data": data }),
            )?)
        }
        .await,
    )
}

/// `POST /v1/users/:id/ga` — enrols an authenticator (GA, SPEC 6) for the merchant's user
/// `id`: a fresh 160-bit secret (RFC 4226's recommended length) from `getrandom`,
/// answered **once** with its `otpauth://` URI; a second enrolment is 409.
pub async fn enrol_ga(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            require_merchant(&req, &ctx.env)?;
            // No parameters; a body, if any, must be an empty object.
            json_object(&mut req, &[]).await?;
            let user_id = path_user(&ctx)?;
            let mut raw = [0u8; 20];
            getrandom::getrandom(&mut raw)
                .map_err(|e| EdgeError::Internal(format!("getrandom: {e}")))?;
            let secret = data_encoding::BASE32_NOPAD.encode(&raw);
            UserClient::new(&ctx.env, &user_id)?
                .enrol_ga(secret.clone(), now_ms())
                .await?;
            Ok(Response::from_json(&requests::ga_enrolment(&user_id, &secret))?.with_status(201))
        }
        .await,
    )
}

/// `POST /v1/users/:id/trusted` `{"trusted": bool}` — the merchant's decision that a user
/// is trusted (SPEC 5): with a known device and an amount under the password-free limit,
/// `quick_pay` then pays without a code.
pub async fn set_trusted(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            require_merchant(&req, &ctx.env)?;
            let body = json_object(&mut req, &["trusted"]).await?;
            let trusted = requests::trusted(&body)?;
            let user_id = path_user(&ctx)?;
            UserClient::new(&ctx.env, &user_id)?
                .set_trusted(trusted)
                .await?;
            Ok(Response::from_json(&requests::trusted_view(
                &user_id, trusted,
            ))?)
        }
        .await,
    )
}

/// The path's user id (`:id`), percent-decoded (a path carries `张三` as
/// `%E5%BC%A0%E4%B8%89`, and the user is the order's `user.id` as given), then held to
/// the same rule as `user.id` at order creation.
fn path_user(ctx: &Ctx) -> Result<String, EdgeError> {
    let raw = ctx.param("id").map_or("", String::as_str);
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| EdgeError::bad("id", "id: must be UTF-8 once percent-decoded"))?;
    Ok(kassa_shared::surfaces::merchant::order::user_id(
        "id", &decoded,
    )?)
}

/// `POST /v1/users/:id/tokens` `{expires_in?}` — a user-scoped token (`auth.rs`) for the
/// merchant's wallet pages: the S2 order list and the S4 wallet settings and
/// withdrawals of user `id`, never an order's payment. `expires_in` 60 s to 24 h,
/// default 1 h. 201 `{object: "user_token", user_id, token, expires_at}`.
pub async fn issue_user_token(mut req: Request, ctx: Ctx) -> Result<Response> {
    use kassa_shared::crypto::user_token;
    respond(
        async {
            require_merchant(&req, &ctx.env)?;
            let body = json_object(&mut req, &["expires_in"]).await?;
            let lifetime = opt_integer(&body, "expires_in", 60, user_token::MAX_LIFETIME_SECS)?
                .unwrap_or(user_token::DEFAULT_LIFETIME_SECS);
            let user_id = path_user(&ctx)?;
            let (token, expires_at) =
                crate::auth::issue_user_token(&ctx.env, &user_id, lifetime).await?;
            let view = requests::user_token_view(&user_id, &token, expires_at);
            Ok(Response::from_json(&view)?.with_status(201))
        }
        .await,
    )
}

/// `POST /v1/users/:id/tokens/revoke` — voids every user token issued to user `id` so
/// far (their next use is 401); tokens issued afterwards work. Order `client_secret`s
/// are not affected. 200 `{object: "user_token_revocation", user_id, revoked_at}`.
pub async fn revoke_user_tokens(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            require_merchant(&req, &ctx.env)?;
            json_object(&mut req, &[]).await?;
            let user_id = path_user(&ctx)?;
            crate::auth::revoke_user_tokens(&ctx.env, &user_id).await?;
            let view = requests::revocation_view(&user_id, now_ms() / 1000);
            Ok(Response::from_json(&view)?)
        }
        .await,
    )
}
