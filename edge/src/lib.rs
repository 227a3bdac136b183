//! The Kassa edge: a Cloudflare Worker. This file only builds the router; handlers live in
//! `routes/`, state in `objects/` (Durable Objects), errors in `error.rs`.

use worker::{event, Context, Env, Request, Response, Result, Router};

mod env;
mod error;
mod objects;
mod routes;
// Wired in by the pay flow (issue 4).
#[allow(dead_code)]
pub mod channels;
// Wired in by the pay flow (issue 4).
#[allow(dead_code)]
pub mod webcrypto;

pub use objects::order_object::OrderObject;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get("/health", |_, _| routes::health::health())
        .post_async("/v1/orders", routes::merchant_api::create_order)
        .get_async("/v1/orders/:id", routes::merchant_api::get_order)
        .run(req, env)
        .await
}
