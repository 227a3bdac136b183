//! The routes that exist only with `KASSA_TEST_HELPERS = "enabled"` (integration tests;
//! never in production: `cargo xtask deploy-check` refuses a configuration that sets
//! it). Each answers 404, as an unknown route does, when the setting is off, and each
//! takes the merchant key.

use serde_json::json;
use worker::{Request, Response, Result};

use kassa_shared::id::Id;

use super::merchant_api::{merchant_order_id, order, Ctx};
use crate::auth::require_merchant;
use crate::config;
use crate::error::{respond, EdgeError};
use crate::input::{self, json_object, string};
use crate::objects::order_object::RefundIntent;
use crate::objects::user_object::UserClient;
use crate::resources::order_view;

/// `POST /v1/test_helpers/orders/:id/events` — applies a shared-core `Event` (e.g. a
/// provider's `attempt_succeeded`) to an order, as a verified callback would. Exists only
/// when `KASSA_TEST_HELPERS = "enabled"` (integration tests; never in production), so
/// flows that need a paid order can be tested before the provider adapters land.
pub async fn test_apply_event(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            if !config::test_helpers_enabled(&ctx.env) {
                return Err(EdgeError::RouteNotFound);
            }
            let id = merchant_order_id(&req, &ctx)?;
            let body = input::body_bytes(&mut req).await?;
            let event: kassa_shared::order::Event = serde_json::from_slice(&body)
                .map_err(|e| EdgeError::bad("event", format!("event: {e}")))?;
            let stored = order(&ctx, id)?.apply(event).await?;
            Ok(Response::from_json(&order_view(&stored))?)
        }
        .await,
    )
}

/// `POST /v1/test_helpers/orders/:id/s3_trades` `{attempt, wk_trade_id}` — records the
/// S3 trade of an attempt started through the test helper, as createPayOrder's answer
/// does for a real pay (`order_object/pay.rs`): S3 notifies must name it (issue 14).
/// Exists only when `KASSA_TEST_HELPERS = "enabled"`, like the route above.
pub async fn test_record_s3_trade(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            if !config::test_helpers_enabled(&ctx.env) {
                return Err(EdgeError::RouteNotFound);
            }
            let id = merchant_order_id(&req, &ctx)?;
            let map = json_object(&mut req, &["attempt", "wk_trade_id"]).await?;
            let attempt = string(&map, "attempt", "attempt", 32)?;
            let attempt = Id::parse("attempt", &attempt)
                .map_err(|e| EdgeError::bad("attempt", e.to_string()))?;
            let wk_trade_id = string(&map, "wk_trade_id", "wk_trade_id", 64)?;
            let body = json!({ "attempt": attempt, "wk_trade_id": wk_trade_id });
            order(&ctx, id)?.s3_trade(attempt, wk_trade_id).await?;
            Ok(Response::from_json(&body)?)
        }
        .await,
    )
}

/// `POST /v1/test_helpers/orders/:id/refund_intent` — leaves a refund intent behind
/// as a run that died between asking the provider and recording the answer would
/// (`order_object/refund.rs`, "Crash safety"): `{refund_id, attempt, amount}` (amount
/// in the order's smallest unit, a decimal string), its lock already stale. Exists only
/// with `KASSA_TEST_HELPERS = "enabled"`.
pub async fn test_refund_intent(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            if !config::test_helpers_enabled(&ctx.env) {
                return Err(EdgeError::RouteNotFound);
            }
            let id = merchant_order_id(&req, &ctx)?;
            let map = json_object(&mut req, &["refund_id", "attempt", "amount"]).await?;
            let parse = |field: &'static str| -> Result<Id, EdgeError> {
                let s = string(&map, field, field, 32)?;
                Id::parse(field, &s).map_err(|e| EdgeError::bad(field, e.to_string()))
            };
            let (refund, attempt) = (parse("refund_id")?, parse("attempt")?);
            let amount = string(&map, "amount", "amount", 40)?
                .parse::<u128>()
                .map_err(|_| EdgeError::bad("amount", "amount: must be digits"))?;
            let intent = RefundIntent {
                refund,
                attempt,
                amount: Some(amount),
                reason: None,
            };
            order(&ctx, id)?.plant_refund_intent(intent).await?;
            Ok(Response::from_json(&json!({ "refund_id": refund }))?)
        }
        .await,
    )
}

/// `POST /v1/test_helpers/users/:id/legacy_index {order_ids}` — makes the user's index
/// hold these orders as it did before its SQLite table (KV keys, no status), so the
/// migration that moves them (`user_object/orders.rs`) can be tested; answers
/// `{rows, legacy_keys}`, what the index then holds.
pub async fn test_legacy_index(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond(
        async {
            if !config::test_helpers_enabled(&ctx.env) {
                return Err(EdgeError::RouteNotFound);
            }
            require_merchant(&req, &ctx.env)?;
            let user_id = ctx.param("id").cloned().unwrap_or_default();
            let map = json_object(&mut req, &["order_ids"]).await?;
            let ids = map
                .get("order_ids")
                .and_then(serde_json::Value::as_array)
                .ok_or_else(|| EdgeError::bad("order_ids", "order_ids: must be an array"))?
                .iter()
                .map(|v| {
                    v.as_str()
                        .and_then(|s| s.parse::<Id>().ok())
                        .ok_or_else(|| EdgeError::bad("order_ids", "order_ids: must be id strings"))
                })
                .collect::<core::result::Result<Vec<Id>, EdgeError>>()?;
            let planted = UserClient::new(&ctx.env, &user_id)?
                .plant_legacy_index(ids)
                .await?;
            Ok(Response::from_json(&planted)?)
        }
        .await,
    )
}
