//! Which credential each browser-facing surface takes (issue 14 item 8): the rules are
//! the core's (`kassa_shared::surfaces::s2::credentials`); here the key, the clock, the
//! user's token generation (its `UserObject`) and the issue / revoke calls.

use worker::{Date, Env, Request};

use kassa_shared::crypto::client_secret::Claims;
use kassa_shared::crypto::device_token;
use kassa_shared::crypto::user_token::{self, UserClaims};
use kassa_shared::surfaces::s2::credentials;
pub use kassa_shared::surfaces::s2::credentials::Field;

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
    credentials::bearer(req.headers().get("Authorization").ok().flatten().as_deref())
}

/// Checks `Authorization: Bearer <merchant secret key>` in constant time (SPEC 4.4).
pub fn require_merchant(req: &Request, env: &Env) -> Result<(), EdgeError> {
    let expected = config::merchant_key(env)?;
    Ok(credentials::merchant(bearer(req).as_deref(), &expected)?)
}

/// An order's `client_secret`, verified (`credentials::order_credential`).
pub fn order_credential(token: &str, env: &Env, field: Field) -> Result<Claims, EdgeError> {
    let key = key(env)?;
    Ok(credentials::order_credential(
        key.as_bytes(),
        token,
        now_secs(),
        field,
    )?)
}

/// A user token, verified and not revoked (its epoch is the user's current one).
pub async fn user_credential(
    token: &str,
    env: &Env,
    field: Field,
) -> Result<UserClaims, EdgeError> {
    let key = key(env)?;
    let claims = credentials::user_credential(key.as_bytes(), token, now_secs(), field)?;
    let epoch = current_epoch(env, &claims.user_id).await?;
    Ok(credentials::current(claims, epoch)?)
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
