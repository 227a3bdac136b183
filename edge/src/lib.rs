//! The Kassa edge: a Cloudflare Worker. This file only builds the router; handlers live in
//! `routes/`, state in `objects/` (Durable Objects), errors in `error.rs`.

use worker::{event, Context, Env, Method, Request, Response, Result, Router};

mod auth;
mod channels;
mod env;
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
    if let Err(e) = input::check_content_length(&req) {
        return e.into_response();
    }
    // SPEC 3.1: the widget API is called cross-origin from the merchant's page; CORS is
    // decided here once for the whole surface (see `routes/widget_api.rs`).
    let widget = req.path().starts_with(w::PREFIX);
    // The compatibility surfaces answer the router's 404 / 405 in their own envelopes.
    let s1_surface = req.path().starts_with("/pay/");
    let s4_surface = req.path().starts_with("/rest/");
    let origin = if widget {
        w::allowed_origin(&req, &env)
    } else {
        None
    };
    if widget && req.method() == Method::Options {
        return w::preflight(origin.as_deref());
    }
    let resp = Router::new()
        .get("/health", |_, _| routes::health::health())
        .post_async("/v1/orders", m::create_order)
        .get_async("/v1/orders", m::list_orders)
        .get_async("/v1/orders/:id", m::get_order)
        .post_async("/v1/orders/:id/cancel", m::cancel_order)
        .post_async("/v1/orders/:id/refunds", m::refund_order)
        .get_async("/v1/orders/:id/events", m::order_events)
        .get_async("/v1/orders/:id/webhooks", m::order_webhooks)
        .post_async(
            "/v1/orders/:id/webhooks/:webhook_id/replay",
            m::replay_webhook,
        )
        .post_async("/v1/orders/:id/client_secret", m::issue_secret)
        .post_async("/v1/test_helpers/orders/:id/events", m::test_apply_event)
        .post_async(
            "/v1/test_helpers/orders/:id/s3_trades",
            m::test_record_s3_trade,
        )
        .get_async("/api/payment/order/events", live::order_events_socket)
        .get_async("/v1/dev/outbox", m::dev_outbox)
        .post_async("/v1/users/:id/ga", m::enrol_ga)
        .post_async("/v1/users/:id/trusted", m::set_trusted)
        .post_async("/v1/users/:id/tokens", m::issue_user_token)
        .post_async("/v1/users/:id/tokens/revoke", m::revoke_user_tokens)
        .post_async("/v1/s0/update_info", routes::merchant_s0::update_info)
        .get_async("/v1/rejections", routes::rejections::list)
        .get_async("/api/payment/orders", w::list_orders)
        .post_async(
            "/api/payment/order/send_payment_verify_code",
            w::send_verify_code,
        )
        .post_async("/api/payment/order/pay", w::pay)
        .post_async("/api/payment/order/quick_pay", w::quick_pay)
        .get_async("/api/payment/order/load_pay_data", w::load_pay_data)
        .post_async("/api/payment/order/load_pay_data", w::load_pay_data)
        .get_async("/.well-known/kassa-key.json", w::public_key)
        .post_async("/callbacks/paytm", cb::paytm)
        .post_async("/callback/paytm", cb::paytm)
        .post_async("/callbacks/lianshang", cb::lianshang)
        .post_async("/callbacks/pingpp", cb::pingpp)
        .post_async("/callbacks/wallet", cb::wallet)
        .post_async("/pay/preOrder", s1::pre_order)
        .get_async("/pay/getOrderStatus", s1::get_order_status)
        .post_async("/pay/getOrderStatus", s1::get_order_status)
        .post_async("/rest/pay/withdraw", s4::withdraw)
        .post_async("/rest/pay/passwd", s4::passwd)
        .post_async("/rest/pay/question", s4::question)
        .post_async("/rest/pay/smscode", s4::smscode)
        .get_async("/rest/pay/withdrawInfo", s4::get_withdraw_info)
        .post_async("/rest/pay/withdrawInfo", s4::post_withdraw_info)
        .get_async("/rest/pay/checkInfo", s4::check_info)
        .get_async("/rest/pay/:pay_id", s4::get_pay)
        .get_async("/rest/pay/:pay_id/status", s4::get_status)
        .post_async("/rest/pay/:pay_id/status", s4::post_status)
        .run(req, env)
        .await?;
    // The router answers unknown routes and wrong methods in plain text; every handler
    // answers JSON, so a non-JSON 404 / 405 is the router's and gets the envelope.
    let is_json = resp
        .headers()
        .get("Content-Type")
        .ok()
        .flatten()
        .is_some_and(|c| c.starts_with("application/json"));
    let resp = match (resp.status_code(), widget) {
        (404, _) if !is_json && s1_surface => EdgeError::RouteNotFound.into_s1_response(),
        (405, _) if !is_json && s1_surface => EdgeError::MethodNotAllowed.into_s1_response(),
        (404, _) if !is_json && s4_surface => EdgeError::RouteNotFound.into_s4_response(),
        (405, _) if !is_json && s4_surface => EdgeError::MethodNotAllowed.into_s4_response(),
        (404, false) if !is_json => EdgeError::RouteNotFound.into_response(),
        (405, false) if !is_json => EdgeError::MethodNotAllowed.into_response(),
        (404, true) if !is_json => EdgeError::RouteNotFound.into_s2_response(),
        (405, true) if !is_json => EdgeError::MethodNotAllowed.into_s2_response(),
        _ => Ok(resp),
    }?;
    // A 101 WebSocket answer carries no CORS (WebSockets are not subject to it).
    if widget && resp.status_code() != 101 {
        return w::with_cors(resp, origin.as_deref());
    }
    Ok(resp)
}
