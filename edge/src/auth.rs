//! Which credential each browser-facing surface takes (issue 14 item 8).
//!
//! Two kinds of token, both HMAC-signed under `KASSA_CLIENT_SECRET_KEY` and told apart
//! by prefix (`kassa_shared::crypto::{client_secret, user_token}`):
//! - an order's **`client_secret`** (`kcs_`, ≤ 1 h) pays and watches that order only:
//!   S2 `load_pay_data`, `send_payment_verify_code`, `pay`, `quick_pay`, the live
//!   events socket, S1 `getOrderStatus`, and the S4 `/rest/pay/:pay_id` routes of that
//!   order;
//! - a **user token** (`kut_`, ≤ 24 h, default 1 h), issued by the merchant server-side
//!   (`POST /v1/users/:id/tokens`) and revocable (`POST /v1/users/:id/tokens/revoke`),
//!   reaches what is the user's rather than one order's: the S2 order list and the S4
//!   wallet (`passwd`, `question`, `checkInfo`, `withdrawInfo`, `withdraw`, `smscode`).
//!   It never pays or watches an order.
//!
//! A genuine token of the other kind is 403 with a message naming the scope it lacks
//! (the caller holds a real credential, just not this one); anything that does not
//! verify, and a revoked user token, is 401. Revocation is a per-user generation kept
//! in the `UserObject` (`GET /tokens`, `POST /tokens/revoke`) and compared on every use,
//! so a revoked token stops working at once, everywhere.

use worker::{Date, Env};

use kassa_shared::crypto::client_secret::{self, Claims};
use kassa_shared::crypto::user_token::{self, UserClaims};

use kassa_shared::crypto::{ct, device_token};
use worker::Request;

use crate::config;
use crate::error::EdgeError;
use crate::objects::user_object::UserClient;

fn now_secs() -> u64 {
    Date::now().as_millis() / 1000
}

fn key(env: &Env) -> Result<String, EdgeError> {
    config::client_secret_key(env)
}

/// The bearer token of `Authorization: Bearer <token>`, if any.
pub fn bearer(req: &Request) -> Option<String> {
    let header = req.headers().get("Authorization").ok().flatten()?;
    header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Checks `Authorization: Bearer <merchant secret key>` in constant time (SPEC 4.4).
pub fn require_merchant(req: &Request, env: &Env) -> Result<(), EdgeError> {
    let expected = config::merchant_key(env)?;
    let given = bearer(req).unwrap_or_default();
    if given.is_empty() || !ct::eq(given.as_bytes(), expected.as_bytes()) {
        return Err(EdgeError::Unauthorized);
    }
    Ok(())
}

/// Where the credential came from, for the scope messages (each names its field).
#[derive(Clone, Copy)]
pub enum Field {
    /// S2: `Authorization: Bearer …`.
    Authorization,
    /// S4: the `auth` header.
    Auth,
}

impl Field {
    fn user_token_on_order(self) -> &'static str {
        match self {
            Self::Authorization => "Authorization: a user token cannot pay or watch an order; use the order's client_secret",
            Self::Auth => "auth: a user token cannot reach a pay record; use the order's client_secret",
        }
    }

    fn client_secret_on_user(self) -> &'static str {
        match self {
            Self::Authorization => "Authorization: a client_secret reaches only its own order; the user's order list needs a user token (POST /v1/users/{id}/tokens)",
            Self::Auth => "auth: a client_secret reaches only its own order; wallet settings and withdrawals need a user token (POST /v1/users/{id}/tokens)",
        }
    }
}

/// An order's `client_secret`, verified (signature, expiry). A valid user token is 403
/// naming the scope; anything else 401. Which order it is for is the caller's check.
pub fn order_credential(token: &str, env: &Env, field: Field) -> Result<Claims, EdgeError> {
    let key = key(env)?;
    let now = now_secs();
    match client_secret::verify(key.as_bytes(), token, now) {
        Ok(c) => Ok(c),
        Err(_) if user_token::verify(key.as_bytes(), token, now).is_ok() => {
            Err(EdgeError::Forbidden(field.user_token_on_order()))
        }
        Err(_) => Err(EdgeError::Unauthorized),
    }
}

/// A user token, verified (signature, expiry) and not revoked (its epoch is the user's
/// current one). A valid `client_secret` is 403 naming the scope; anything else 401.
pub async fn user_credential(
    token: &str,
    env: &Env,
    field: Field,
) -> Result<UserClaims, EdgeError> {
    let key = key(env)?;
    let now = now_secs();
    let claims = match user_token::verify(key.as_bytes(), token, now) {
        Ok(c) => c,
        Err(_) if client_secret::verify(key.as_bytes(), token, now).is_ok() => {
            return Err(EdgeError::Forbidden(field.client_secret_on_user()))
        }
        Err(_) => return Err(EdgeError::Unauthorized),
    };
    if claims.epoch != current_epoch(env, &claims.user_id).await? {
        return Err(EdgeError::Unauthorized);
    }
    Ok(claims)
}

/// The user's current token generation (0 until the first revocation).
pub async fn current_epoch(env: &Env, user_id: &str) -> Result<u64, EdgeError> {
    UserClient::new(env, user_id)?.token_epoch().await
}

/// Issues a user token for `user_id` at the user's current generation, valid for
/// `lifetime` seconds: `(token, expires_at)`.
pub async fn issue_user_token(
    env: &Env,
    user_id: &str,
    lifetime: u64,
) -> Result<(String, u64), EdgeError> {
    let key = key(env)?;
    let now = now_secs();
    let claims = UserClaims {
        user_id: user_id.to_owned(),
        epoch: current_epoch(env, user_id).await?,
        expires_at: now + lifetime,
    };
    let token = user_token::issue(key.as_bytes(), &claims, now)
        .map_err(|e| EdgeError::bad("expires_in", e.to_string()))?;
    Ok((token, claims.expires_at))
}

/// Voids every user token issued to `user_id` so far: the new generation.
pub async fn revoke_user_tokens(env: &Env, user_id: &str) -> Result<u64, EdgeError> {
    UserClient::new(env, user_id)?.revoke_tokens().await
}

/// The device the browser names in `device_id`, believed only when it is a device token
/// the edge issued to `user_id`: anything else — a string the browser chose, another
/// user's token — is no device, i.e. a new one (issue 14, low item).
pub fn verified_device(
    env: &Env,
    user_id: &str,
    device_id: Option<&str>,
) -> Result<Option<String>, EdgeError> {
    match device_id {
        None => Ok(None),
        Some(token) => Ok(device_token::verify(
            &config::device_key(env)?,
            user_id,
            token,
        )),
    }
}
