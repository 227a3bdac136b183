//! Which credential each browser-facing surface takes (issue 14 item 8): the widget API
//! (S2), the live-status socket, S1 `getOrderStatus` and S4. Pure: the edge reads the
//! key and the clock, and asks the user's object for the current token generation.
//!
//! Two kinds of token, both HMAC-signed under `KASSA_CLIENT_SECRET_KEY` and told apart
//! by prefix (`crate::crypto::{client_secret, user_token}`):
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
//! in the `UserObject` and compared on every use, so a revoked token stops working at
//! once, everywhere.

use crate::crypto::client_secret::{self, Claims};
use crate::crypto::ct;
use crate::crypto::user_token::{self, UserClaims};
use crate::envelope_render::Failure;

/// The bearer token of an `Authorization: Bearer <token>` header, if any.
#[must_use]
pub fn bearer(header: Option<&str>) -> Option<String> {
    header?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// The merchant's secret key, compared in constant time (SPEC 4.4).
///
/// # Errors
/// [`Failure::Unauthorized`] for no key or another one.
pub fn merchant(given: Option<&str>, expected: &str) -> Result<(), Failure> {
    let given = given.unwrap_or_default();
    if given.is_empty() || !ct::eq(given.as_bytes(), expected.as_bytes()) {
        return Err(Failure::Unauthorized);
    }
    Ok(())
}

/// Where the credential came from, for the scope messages (each names its field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// S2: `Authorization: Bearer …`.
    Authorization,
    /// S4: the `auth` header.
    Auth,
}

impl Field {
    #[must_use]
    pub const fn user_token_on_order(self) -> &'static str {
        match self {
            Self::Authorization => "Authorization: a user token cannot pay or watch an order; use the order's client_secret",
            Self::Auth => "auth: a user token cannot reach a pay record; use the order's client_secret",
        }
    }

    #[must_use]
    pub const fn client_secret_on_user(self) -> &'static str {
        match self {
            Self::Authorization => "Authorization: a client_secret reaches only its own order; the user's order list needs a user token (POST /v1/users/{id}/tokens)",
            Self::Auth => "auth: a client_secret reaches only its own order; wallet settings and withdrawals need a user token (POST /v1/users/{id}/tokens)",
        }
    }
}

/// An order's `client_secret`, verified (signature, expiry) at `now` (seconds). Which
/// order it is for is the caller's check.
///
/// # Errors
/// A valid user token: [`Failure::Forbidden`] naming the scope; anything else 401.
pub fn order_credential(
    key: &[u8],
    token: &str,
    now: u64,
    field: Field,
) -> Result<Claims, Failure> {
    match client_secret::verify(key, token, now) {
        Ok(c) => Ok(c),
        Err(_) if user_token::verify(key, token, now).is_ok() => {
            Err(Failure::Forbidden(field.user_token_on_order()))
        }
        Err(_) => Err(Failure::Unauthorized),
    }
}

/// A user token, verified (signature, expiry) at `now` (seconds); the caller then checks
/// its epoch with [`current`].
///
/// # Errors
/// A valid `client_secret`: [`Failure::Forbidden`] naming the scope; anything else 401.
pub fn user_credential(
    key: &[u8],
    token: &str,
    now: u64,
    field: Field,
) -> Result<UserClaims, Failure> {
    match user_token::verify(key, token, now) {
        Ok(c) => Ok(c),
        Err(_) if client_secret::verify(key, token, now).is_ok() => {
            Err(Failure::Forbidden(field.client_secret_on_user()))
        }
        Err(_) => Err(Failure::Unauthorized),
    }
}

/// A user token of an older generation than the user's `epoch` was revoked.
///
/// # Errors
/// [`Failure::Unauthorized`] for a revoked token.
pub fn current(claims: UserClaims, epoch: u64) -> Result<UserClaims, Failure> {
    if claims.epoch != epoch {
        return Err(Failure::Unauthorized);
    }
    Ok(claims)
}

#[cfg(test)]
#[path = "credentials_tests.rs"]
mod tests;
