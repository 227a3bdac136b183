//! The S1 compatibility surface (seed S1 "shareit 支付系统协议", SPEC 3.3): `POST
//! /pay/preOrder` and `GET|POST /pay/getOrderStatus`, in S1's `{code, data, message}`
//! envelope (`code` 200 / 400 / 500; errors in `error.rs`). `/callback/paytm` is an alias
//! of the verified Paytm callback and lives with the callbacks.
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
//! **`preOrder` is a pay.** It creates a Paytm order (INR only: Paytm charges rupees),
//! runs S0 `prePayCheck` (fail closed, as before every pay, SPEC 3.5), records the
//! attempt, and only then hands out the form with its `CHECKSUMHASH` (SPEC 4.3). The
//! merchant vouches for the shopper here (there is no second factor in S1), so the
//! widget's local risk rules for codes do not apply; the Paytm callback, verified and
//! confirmed with Paytm's Transaction Status API, is what moves the order.

use serde_json::{json, Map, Value};
use worker::{Method, Request, Response, Result, RouteContext};

use kassa_shared::crypto::ct;
use kassa_shared::envelope::ErrorCode;
use kassa_shared::id::Id;
use kassa_shared::money::{Currency, Money};
use kassa_shared::order::{Event, EventKind, OrderAmount};
use kassa_shared::surfaces::s1::status::Status;
use kassa_shared::surfaces::s1::wire::{Envelope, PreOrderRequest};

use crate::auth::bearer;
use crate::channels::exchange;
use crate::channels::sign::paytm_salt;
use crate::config;
use crate::error::{respond_s1, EdgeError};
use crate::input;
use crate::objects::order_object::OrderClient;
use crate::resources::{Item, OrderMeta, User};
use kassa_shared::providers::Provider;
use kassa_shared::providers::{paytm, s0};

type Ctx = RouteContext<()>;

const PRE_ORDER_FIELDS: &[&str] = &[
    "version",
    "clientVersion",
    "userId",
    "payType",
    "productId",
    "productType",
    "productName",
    "currencyType",
    "amount",
];
const STATUS_FIELDS: &[&str] = &["version", "clientVersion", "userId", "orderId"];
/// The interface versions S1 clients send ("当前v1.0").
const VERSIONS: &[&str] = &["v1.0", "1.0"];

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
    let map = params(req, PRE_ORDER_FIELDS).await?;
    version(&map)?;
    let client_version = input::opt_string(&map, "clientVersion", "clientVersion", 32)?;
    let user_id = input::string(&map, "userId", "userId", 128)?;
    let pay_type = int(&map, "payType", 0, 1)?;
    let product_id = input::string(&map, "productId", "productId", 128)?;
    let product_type = int(&map, "productType", 0, 4)?;
    let product_name = input::string(&map, "productName", "productName", 200)?;
    let currency_type = int(&map, "currencyType", 1, 3)?;
    let amount = int(&map, "amount", 1, u64::MAX)?;
    if pay_type != u64::from(PreOrderRequest::PAY_TYPE_PAYTM.unsigned_abs()) {
        return Err(EdgeError::bad(
            "payType",
            "payType: 0 (unknown) cannot be paid; only 1 (Paytm) is supported",
        ));
    }
    if currency_type != u64::from(PreOrderRequest::CURRENCY_INR.unsigned_abs()) {
        return Err(EdgeError::bad(
            "currencyType",
            "currencyType: Paytm (payType 1) charges INR only (currencyType 1)",
        ));
    }
    let money = Money::new(Currency::Inr, amount);
    // Configuration is checked before anything is created.
    let channels = config::channels(&ctx.env)?;
    let paytm_cfg = channels
        .paytm()
        .map_err(|e| config::channel_refused("paytm", &e))?;
    let s0_cfg = channels
        .s0()
        .map_err(|e| config::channel_refused("S0", &e))?;

    let mut metadata = std::collections::BTreeMap::new();
    metadata.insert("s1_product_id".to_owned(), product_id);
    metadata.insert("s1_product_type".to_owned(), product_type.to_string());
    if let Some(v) = client_version {
        metadata.insert("s1_client_version".to_owned(), v);
    }
    let meta = OrderMeta {
        channel: Provider::Paytm,
        items: vec![Item {
            name: product_name.clone(),
            quantity: 1,
        }],
        user: User {
            id: user_id.clone(),
            mobile: None,
            email: None,
        },
        notify_url: None,
        metadata,
        description: Some(product_name),
    };
    let stored = super::merchant_api::create_listed(
        ctx,
        OrderAmount::Fiat(money),
        meta,
        super::merchant_api::DEFAULT_EXPIRES_IN,
    )
    .await?;
    let id = stored.order.id();
    let order = OrderClient::new(&ctx.env, id)?;

    // S0 prePayCheck, fail closed: the order exists but no form leaves the edge.
    let refused = |detail: String| EdgeError::Conflict {
        code: ErrorCode::S0Refused,
        message: format!("orderId: payment refused by the platform check ({detail})"),
    };
    let decision = exchange(s0::pre_pay_check(
        s0_cfg,
        &s0::pre_pay_check_body(id, &OrderAmount::Fiat(money)),
    ))
    .await;
    match decision {
        Ok(s0::PrePayDecision::Approved) => {
            order
                .audit("s0_approved", "prePayCheck (S1 preOrder)")
                .await?;
        }
        Ok(s0::PrePayDecision::Denied { status, .. }) => {
            order
                .audit("s0_denied", &format!("prePayCheck status {status}"))
                .await?;
            return Err(refused(format!("denied, status {status}")));
        }
        Err(e) => {
            order.audit("s0_unavailable", &e.to_string()).await?;
            return Err(refused(e.to_string()));
        }
    }

    let salt = paytm_salt().map_err(|e| EdgeError::Internal(format!("paytm: {e}")))?;
    // `ORDER_ID` is the only order number the S1 client gets back (it polls
    // `getOrderStatus` with it), so it stays the bare order id, which names the attempt
    // whose id is the order's (`shared::callback::reference`): this order's only one.
    let paytm_order = paytm::PaytmOrder {
        reference: kassa_shared::callback::ProviderRef::bare(id),
        amount: money,
        cust_id: user_id,
        email: None,
        mobile_no: None,
    };
    let form = paytm::pre_order_form(paytm_cfg, &paytm_order, &salt)
        .map_err(|e| EdgeError::Internal(format!("paytm form: {e}")))?;
    let attempt = id;
    let started = Event::new(
        format!("attempt_started_{attempt}"),
        EventKind::AttemptStarted { attempt },
    );
    order.apply(started).await?;
    Ok(Response::from_json(&Envelope::ok(form))?)
}

async fn status_inner(req: &mut Request, ctx: &Ctx) -> Result<Response, EdgeError> {
    // Who is asking is settled before the body is read: nothing here is for strangers.
    let token = bearer(req).ok_or(EdgeError::Unauthorized)?;
    let merchant = config::merchant_key(&ctx.env)?;
    let is_merchant = ct::eq(token.as_bytes(), merchant.as_bytes());
    let map = params(req, STATUS_FIELDS).await?;
    version(&map)?;
    input::opt_string(&map, "clientVersion", "clientVersion", 32)?;
    let user_id = input::string(&map, "userId", "userId", 128)?;
    let raw = match map.get("orderId") {
        None | Some(Value::Null) => return Err(EdgeError::bad("orderId", "orderId: is required")),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(EdgeError::bad("orderId", "orderId: must be a string")),
    };
    let id =
        Id::parse("orderId", raw.trim()).map_err(|e| EdgeError::bad("orderId", e.to_string()))?;
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
    Ok(Response::from_json(&Envelope::ok(
        json!({ "status": status.code() }),
    ))?)
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

/// `version`: required, one the surface speaks.
fn version(map: &Map<String, Value>) -> Result<(), EdgeError> {
    let v = input::string(map, "version", "version", 16)?;
    if VERSIONS.contains(&v.as_str()) {
        Ok(())
    } else {
        Err(EdgeError::bad(
            "version",
            format!("version: {v:?} is not supported (v1.0)"),
        ))
    }
}

/// A required S1 `int` in `min..=max`: a JSON number or a quoted one (SPEC 2).
fn int(map: &Map<String, Value>, field: &str, min: u64, max: u64) -> Result<u64, EdgeError> {
    let n = match map.get(field) {
        None | Some(Value::Null) => {
            return Err(EdgeError::bad(field, format!("{field}: is required")))
        }
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        Some(_) => None,
    };
    match n {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ if max == u64::MAX => Err(EdgeError::bad(
            field,
            format!("{field}: must be a whole number of at least {min}"),
        )),
        _ => Err(EdgeError::bad(
            field,
            format!("{field}: must be a whole number from {min} to {max}"),
        )),
    }
}
