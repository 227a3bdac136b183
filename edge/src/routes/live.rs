//! Live status (SPEC 3.1): `GET /api/payment/order/events?order_id=` upgrades to a
//! WebSocket served by the order's `OrderObject` (hibernation API), which sends the
//! current status once and then every status change as `{order_id, status, s2_status,
//! seq}`.
//!
//! Authenticated by the order's `client_secret`: `Authorization: Bearer <secret>` (server
//! clients), or — because browsers cannot set headers on a WebSocket — the one header a
//! page can set, `Sec-WebSocket-Protocol: kassa.v1, bearer.<secret>` (what the widget
//! sends; the edge answers `kassa.v1`). No query parameter: a secret in a URL ends up in
//! logs and `Referer`s, and the subprotocol already carries it (issue 14).
//!
//! A token that does not verify proves nothing, so it writes nothing to the order it
//! names: it is counted in the sender's address bucket (`ip_object::record_rejection`).
//! A valid token for another order is 403 and lands in the audit log of the order the
//! token *was issued for* (its holder's), never in the one it tried to reach.

use worker::{Headers, Method, Request, RequestInit, Response, Result, RouteContext};

use kassa_shared::id::Id;
use kassa_shared::surfaces::s2::requests;

use crate::auth;
use crate::auth::bearer;
use crate::error::{respond, EdgeError};
use crate::objects::ip_object::record_rejection;
use crate::objects::order_object::{OrderClient, WS_PROTOCOL_HEADER};

/// The subprotocol the widget speaks; `bearer.<secret>` rides beside it.
const WS_PROTOCOL: &str = "kassa.v1";

/// `GET /api/payment/order/events`
pub async fn order_events_socket(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    respond(upgrade(req, &ctx).await)
}

async fn upgrade(req: Request, ctx: &RouteContext<()>) -> Result<Response, EdgeError> {
    let id = requests::socket_order_id(req.url()?.query_pairs())?;
    let protocols = req
        .headers()
        .get("Sec-WebSocket-Protocol")
        .ok()
        .flatten()
        .unwrap_or_default();
    let protocol_secret = requests::protocol_secret(&protocols);
    let token = bearer(&req)
        .or(protocol_secret)
        .ok_or(EdgeError::Unauthorized)?;
    // The same credential rule as the rest of the widget API (`auth.rs`): a user token
    // is 403 naming the scope it lacks; only what does not verify is anonymous.
    let claims = match auth::order_credential(&token, &ctx.env, auth::Field::Authorization) {
        Ok(c) => c,
        Err(EdgeError::Unauthorized) => {
            let detail = format!("{ROUTE} order {id}");
            record_rejection(&req, &ctx.env, "invalid_client_secret", &detail).await;
            return Err(EdgeError::Unauthorized);
        }
        Err(e) => return Err(e),
    };
    if claims.order_id != id {
        audit_wrong_order(&ctx.env, claims.order_id, id, ROUTE).await;
        return Err(EdgeError::Forbidden(
            "client_secret: issued for another order",
        ));
    }
    let order = OrderClient::new(&ctx.env, id)?;
    let upgrade = req
        .headers()
        .get("Upgrade")
        .ok()
        .flatten()
        .unwrap_or_default();
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return Err(EdgeError::bad("Upgrade", "Upgrade: must be websocket"));
    }
    let headers = Headers::new();
    headers.set("Upgrade", "websocket")?;
    // A browser drops the connection unless the server picks one offered protocol; the
    // object echoes it in its 101 (a fetched response's headers are immutable here).
    if requests::offers_protocol(&protocols, WS_PROTOCOL) {
        headers.set(WS_PROTOCOL_HEADER, WS_PROTOCOL)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let inner = Request::new_with_init("https://object/ws", &init)?;
    let resp = order.stub().fetch_with_request(inner).await?;
    if resp.status_code() == 101 {
        return Ok(resp);
    }
    Err(EdgeError::NotFound("order"))
}

const ROUTE: &str = "GET /api/payment/order/events";

/// A valid token used on another order: written to the audit log of the token's own
/// order (module docs). Best effort: an audit failure must not turn a 403 into a 500.
pub async fn audit_wrong_order(env: &worker::Env, own: Id, target: Id, route: &str) {
    let detail = format!("{route}: this order's client_secret used on order {target}");
    if let Ok(order) = OrderClient::new(env, own) {
        let _ = order.audit("client_secret_wrong_order", &detail).await;
    }
}
