//! The Kassa edge: a Cloudflare Worker. This file only builds the router; handlers live in
//! `routes/`, state in `objects/` (Durable Objects), errors in `error.rs`.

use worker::{event, Context, Env, Method, Request, Response, Result, Router};

mod auth;
mod channels;
mod config;
mod error;
mod input;
mod objects;
mod resources;
mod routes;
mod webcrypto;

pub use objects::ip_object::IpObject;
pub use objects::order_index::OrderIndex;
pub use objects::order_object::OrderObject;
pub use objects::user_object::UserObject;

use error::EdgeError;
use routes::{
    callbacks as cb, compat_s1 as s1, compat_s4 as s4, live, merchant_api as m, widget_api as w,
};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    // SPEC 3: a declared body over 64 KiB is refused before routing or reading it; the
    // handlers check the actual length too (`input::body_bytes`).
    // SPEC 3.1: the widget API is called cross-origin from the merchant's page; CORS is
    // decided here once for the whole surface (see `routes/widget_api.rs`).
    let widget = req.path().starts_with(w::PREFIX);
    // The compatibility surfaces answer the router's 404 / 405 and the 413 in their own
    // envelopes (HTTP 200, outcome in the body: `error.rs`).
    let s1_surface = req.path().starts_with("/pay/");
    let s4_surface = req.path().starts_with("/rest/");
    if let Err(e) = input::check_content_length(&req) {
        return if s1_surface {
            e.into_s1_response()
        } else if s4_surface {
            e.into_s4_response()
        } else {
            e.into_response()
        };
    }
    let origin = if widget {
        w::allowed_origin(&req, &env)
    } else {
        None
    };
    if widget && req.method() == Method::Options {
        return w::preflight(origin.as_deref());
    }
    let path = req.path();
    // The router's own refusals and the unknown-method one, in the surface's envelope.
    let refuse = |e: EdgeError| {
        if s1_surface {
            e.into_s1_response()
        } else if s4_surface {
            e.into_s4_response()
        } else if widget {
            e.into_s2_response()
        } else {
            e.into_response()
        }
    };
    // `worker` reads a method it has no variant for (e.g. `QUERY`) as GET; such a
    // request must not reach a GET handler.
    let mut method_refused = false;
    let mut resp = if KNOWN_METHODS.contains(&req.inner().method().as_str()) {
        let resp = router().run(req, env).await?;
        // The router answers unknown routes and wrong methods in plain text; every
        // handler answers JSON, so a non-JSON 404 / 405 is the router's.
        let is_json = resp
            .headers()
            .get("Content-Type")
            .ok()
            .flatten()
            .is_some_and(|c| c.starts_with("application/json"));
        match resp.status_code() {
            404 if !is_json => refuse(EdgeError::RouteNotFound)?,
            405 if !is_json => {
                method_refused = true;
                refuse(EdgeError::MethodNotAllowed)?
            }
            _ => resp,
        }
    } else {
        method_refused = true;
        refuse(EdgeError::MethodNotAllowed)?
    };
    // RFC 9110 §15.5.6: a 405 names the methods the route has (S1 / S4 send it with
    // their HTTP 200 envelope too).
    if resp.status_code() == 405 || method_refused {
        if let Some(allow) = allowed_methods(&path, widget) {
            resp.headers_mut().set("Allow", &allow)?;
        }
    }
    // A 101 WebSocket answer carries no CORS (WebSockets are not subject to it).
    if widget && resp.status_code() != 101 {
        return w::with_cors(resp, origin.as_deref());
    }
    Ok(resp)
}

/// The methods `worker::Method` represents faithfully.
const KNOWN_METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
];

/// `GET` / `POST` routes, registered with the router and listed in [`ROUTE_TABLE`] from
/// one list, so a 405's `Allow` cannot drift from what the router serves.
macro_rules! routes {
    ($($method:ident $path:literal => $handler:expr,)*) => {
        /// (method, pattern) of every route.
        const ROUTE_TABLE: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        fn router<'a>() -> Router<'a, ()> {
            let r = Router::new();
            $(let r = route!(r, $method, $path, $handler);)*
            r
        }
    };
}

macro_rules! route {
    ($r:ident, GET, $path:literal, $handler:expr) => {
        $r.get_async($path, $handler)
    };
    ($r:ident, POST, $path:literal, $handler:expr) => {
        $r.post_async($path, $handler)
    };
}

async fn health(_: Request, _: worker::RouteContext<()>) -> Result<Response> {
    routes::health::health()
}

routes! {
    GET "/health" => health,
    POST "/v1/orders" => m::create_order,
    GET "/v1/orders" => m::list_orders,
    GET "/v1/orders/:id" => m::get_order,
    POST "/v1/orders/:id/cancel" => m::cancel_order,
    POST "/v1/orders/:id/refunds" => m::refund_order,
    POST "/v1/orders/:id/refunds/settle" => m::settle_refund,
    POST "/v1/orders/:id/review/resolve" => m::resolve_review,
    GET "/v1/orders/:id/events" => m::order_events,
    GET "/v1/orders/:id/webhooks" => m::order_webhooks,
    POST "/v1/orders/:id/webhooks/:webhook_id/replay" => m::replay_webhook,
    POST "/v1/orders/:id/client_secret" => m::issue_secret,
    POST "/v1/test_helpers/orders/:id/events" => routes::test_helpers::test_apply_event,
    POST "/v1/test_helpers/orders/:id/s3_trades" => routes::test_helpers::test_record_s3_trade,
    POST "/v1/test_helpers/orders/:id/refund_intent" => routes::test_helpers::test_refund_intent,
    POST "/v1/test_helpers/users/:id/legacy_index" => routes::test_helpers::test_legacy_index,
    GET "/api/payment/order/events" => live::order_events_socket,
    GET "/v1/dev/outbox" => m::dev_outbox,
    POST "/v1/users/:id/ga" => m::enrol_ga,
    POST "/v1/users/:id/trusted" => m::set_trusted,
    POST "/v1/users/:id/tokens" => m::issue_user_token,
    POST "/v1/users/:id/tokens/revoke" => m::revoke_user_tokens,
    POST "/v1/s0/update_info" => routes::merchant_s0::update_info,
    GET "/v1/rejections" => routes::rejections::list,
    GET "/api/payment/orders" => w::list_orders,
    POST "/api/payment/order/send_payment_verify_code" => w::send_verify_code,
    POST "/api/payment/order/pay" => w::pay,
    POST "/api/payment/order/quick_pay" => w::quick_pay,
    GET "/api/payment/order/load_pay_data" => w::load_pay_data,
    POST "/api/payment/order/load_pay_data" => w::load_pay_data,
    GET "/.well-known/kassa-key.json" => w::public_key,
    POST "/callbacks/paytm" => cb::paytm,
    POST "/callback/paytm" => cb::paytm,
    POST "/callbacks/lianshang" => cb::lianshang,
    POST "/callbacks/pingpp" => cb::pingpp,
    POST "/callbacks/wallet" => cb::wallet,
    POST "/pay/preOrder" => s1::pre_order,
    GET "/pay/getOrderStatus" => s1::get_order_status,
    POST "/pay/getOrderStatus" => s1::get_order_status,
    POST "/rest/pay/withdraw" => s4::withdraw,
    POST "/rest/pay/passwd" => s4::passwd,
    POST "/rest/pay/question" => s4::question,
    POST "/rest/pay/smscode" => s4::smscode,
    GET "/rest/pay/withdrawInfo" => s4::get_withdraw_info,
    POST "/rest/pay/withdrawInfo" => s4::post_withdraw_info,
    GET "/rest/pay/checkInfo" => s4::check_info,
    GET "/rest/pay/:pay_id" => s4::get_pay,
    GET "/rest/pay/:pay_id/status" => s4::get_status,
    POST "/rest/pay/:pay_id/status" => s4::post_status,
}

/// The methods with a route for `path` (the router keeps one tree per method, so each
/// method is matched on its own), `OPTIONS` included on the widget API (CORS preflight).
fn allowed_methods(path: &str, widget: bool) -> Option<String> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let matches = |pattern: &str| {
        let parts: Vec<&str> = pattern.trim_matches('/').split('/').collect();
        parts.len() == segments.len()
            && parts.iter().zip(&segments).all(|(p, s)| {
                if p.starts_with(':') {
                    !s.is_empty()
                } else {
                    p == s
                }
            })
    };
    let mut methods: Vec<&str> = ROUTE_TABLE
        .iter()
        .filter(|(_, p)| matches(p))
        .map(|(m, _)| *m)
        .collect();
    if methods.is_empty() {
        return None;
    }
    if widget {
        methods.push("OPTIONS");
    }
    methods.sort_unstable();
    methods.dedup();
    Some(methods.join(", "))
}
