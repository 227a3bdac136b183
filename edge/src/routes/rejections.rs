//! `GET /v1/rejections?ip=<address>` — the refusals of unauthenticated input counted in
//! one client-address bucket (issue 14 item 4; `objects/ip_object.rs`,
//! `kassa_shared::risk::rejections`). Merchant-authenticated. `ip` is an IPv4 or IPv6
//! address (its bucket: the address, or the IPv6 /64) or `unknown` (requests that came
//! without `CF-Connecting-IP`).
//!
//! Answer: `{object: "rejections", bucket, total, counts: {reason: n}, recent: [{at_ms,
//! reason, detail}]}`, bounded (`RejectionLog`).

use serde_json::json;
use worker::{Request, Response, Result, RouteContext};

use kassa_shared::risk::client_ip;
use kassa_shared::surfaces::merchant::requests;

use crate::auth::require_merchant;
use crate::error::respond;
use crate::input;
use crate::objects::ip_object;

pub async fn list(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            require_merchant(&req, &ctx.env)?;
            let q = input::query(&req, &["ip"])?;
            let ip = requests::rejections_ip(q.get("ip").map(String::as_str))?;
            let bucket = client_ip::bucket(Some(ip));
            let log = ip_object::rejections(&ctx.env, ip).await?;
            Ok(Response::from_json(&json!({
                "object": "rejections",
                "bucket": bucket,
                "total": log.total(),
                "counts": log.counts,
                "recent": log.recent,
            }))?)
        }
        .await,
    )
}
