//! `POST /v1/s0/update_info` — the merchant submits S0 `updateInfo` data (SPEC 3.2,
//! seed S0 §3) and the edge forwards it with the S0 credentials it holds, so the merchant
//! never needs them.
//!
//! Decisions where the seed is silent: the body is `{ "user_id": …, "extend": … }`:
//! `user_id` (required) is the merchant's id of the user the data is about, as given at
//! order creation, and travels as the seed's `uid` header (用户id, mapped as
//! `kassa_shared::providers::s0::Uid` says), so S0 files the data under the user it
//! scores in `prePayCheck`; `extend` is passed exactly as S0 takes it (an object, or the
//! string the seed's table names), at most the 64 KiB every body may have; the call goes out once, synchronously (the merchant sees S0's verdict
//! and retries itself — user data is not an order status, so it is not queued in an
//! order's outbox); an S0 that is not configured, unreachable, or answers anything but
//! `{status: 0, success: true}` is a 502 `s0_unavailable` naming the reason.

use serde_json::json;
use worker::{Request, Response, Result, RouteContext};

use kassa_shared::envelope::ErrorCode;
use kassa_shared::providers::s0::wire::UpdateInfoRequest;

use crate::auth::require_merchant;
use crate::channels::exchange;
use crate::error::{respond, EdgeError};
use crate::input::json_object;
use kassa_shared::providers::s0;

pub async fn update_info(mut req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(
        async {
            require_merchant(&req, &ctx.env)?;
            let body = json_object(&mut req, &["user_id", "extend"]).await?;
            let user_id = crate::input::string(
                &body,
                "user_id",
                "user_id",
                kassa_shared::crypto::client_secret::MAX_USER_ID_LEN,
            )?;
            let extend = kassa_shared::surfaces::merchant::requests::s0_extend(&body)?;
            let unavailable = |message: String| EdgeError::Upstream {
                code: ErrorCode::S0Unavailable,
                message,
            };
            let channels = crate::config::channels(&ctx.env)?;
            let cfg = channels
                .s0()
                .map_err(|e| unavailable(format!("S0 updateInfo: {e}")))?;
            exchange(s0::update_info(
                cfg,
                &s0::Uid::of_user(&user_id),
                &UpdateInfoRequest {
                    extend: Some(extend),
                },
            ))
            .await
            .map_err(|e| unavailable(e.to_string()))?;
            Ok(Response::from_json(
                &json!({ "object": "s0_update", "status": "acknowledged" }),
            )?)
        }
        .await,
    )
}
