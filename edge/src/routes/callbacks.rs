//! Callbacks in (SPEC 3.4): `POST /callbacks/{paytm,lianshang,pingpp,wallet}` (and S1's
//! `/callback/paytm`, the same handler). Thin shells over `kassa_shared::callback`:
//!
//! 1. read the raw body (64 KiB, `input::body_bytes`; over → 413);
//! 2. verify it with the configured key **before** parsing anything beyond what
//!    verification needs — Paytm's `CHECKSUMHASH` with the merchant key
//!    (`KASSA_PAYTM_MERCHANT_KEY`), Lianshang's RSA `sign` with the platform key
//!    (`KASSA_S3_PLATFORM_PUBLIC_KEY`), Ping++'s `X-Pingplusplus-Signature` with the
//!    Ping++ public key (`KASSA_PINGPP_PUBLIC_KEY`), the wallet's RSA `sign` with the
//!    wallet key (`KASSA_WALLET_PUBLIC_KEY`). The JSON channels accept only
//!    `application/json` (415 otherwise); Paytm form-encoded or JSON;
//! 3. hand the `VerifiedCallback` to the `OrderObject` of the order its reference names
//!    (`order_object/callback.rs`: de-dup, match, route to the attempt the reference
//!    names, confirm with the provider's status query, apply once);
//! 4. answer in the provider's form (`callback::answer` / `callback::reject`).
//!
//! A callback that does not verify (401), is malformed after verification (400), names
//! an unknown order (404), or does not match its order (409) is refused in the provider's
//! error form and changes nothing. Who learns of the refusal depends on what the body
//! proves (issue 14 item 4): a body that does not verify, or arrives in a media type no
//! provider sends, proves nothing — anyone can name any order — so it writes nothing to
//! the order it claims and is counted in the sender's address bucket instead
//! (`ip_object::record_rejection`, bounded); a verified body that is malformed is the
//! provider's word and goes to the audit log of the order it names (reason code and
//! provider, never the body's secrets); the order object audits its own refusals
//! (unknown attempt, mismatch, unconfirmed).
//! A verified Ping++ event of a type Kassa does not subscribe to is answered 200 so
//! Ping++ stops sending it.

use kassa_shared::callback::{self, Answer, CallbackError, Provider, VerifiedCallback};
use kassa_shared::envelope::ErrorCode;
use kassa_shared::money::TokenTable;
use kassa_shared::providers::pingpp::webhook::SIGNATURE_HEADER;
use kassa_shared::providers::{lianshang, paytm, pingpp, wallet};

use worker::{Env, Headers, Request, Response, Result, RouteContext};

use crate::config;
use crate::error::EdgeError;
use crate::input;
use crate::objects::ip_object::record_rejection;
use crate::objects::order_object::OrderClient;

type Ctx = RouteContext<()>;

/// `POST /callbacks/paytm` and S1's `/callback/paytm`.
pub async fn paytm(req: Request, ctx: Ctx) -> Result<Response> {
    handle(Provider::Paytm, req, &ctx.env).await
}

/// `POST /callbacks/lianshang` (S3 `notify_url`).
pub async fn lianshang(req: Request, ctx: Ctx) -> Result<Response> {
    handle(Provider::Lianshang, req, &ctx.env).await
}

/// `POST /callbacks/pingpp` (Ping++ webhooks).
pub async fn pingpp(req: Request, ctx: Ctx) -> Result<Response> {
    handle(Provider::Pingpp, req, &ctx.env).await
}

/// `POST /callbacks/wallet` (token wallet notifications).
pub async fn wallet(req: Request, ctx: Ctx) -> Result<Response> {
    handle(Provider::Wallet, req, &ctx.env).await
}

async fn handle(provider: Provider, mut req: Request, env: &Env) -> Result<Response> {
    // Paytm's result comes back through the shopper's browser (its form-post
    // integration): the browser gets a page, a server the provider's answer.
    let browser = provider == Provider::Paytm && is_navigation(&req);
    let received = receive(provider, &mut req, env).await;
    if browser {
        return browser_answer(received);
    }
    let answer = match received {
        Ok(_) => callback::answer(provider),
        Err(e) => refusal(provider, e),
    };
    let headers = Headers::new();
    if let Some(ct) = answer.content_type {
        headers.set("Content-Type", ct)?;
    }
    Ok(Response::ok(answer.body)?
        .with_headers(headers)
        .with_status(answer.status))
}

/// The provider's error form for an edge error (status and message of the envelope).
fn refusal(provider: Provider, e: EdgeError) -> Answer {
    let (status, body) = e.into_body();
    let message = body["error"]["message"].as_str().unwrap_or("refused");
    callback::reject(provider, status, message)
}

fn header(req: &Request, name: &str) -> String {
    req.headers().get(name).ok().flatten().unwrap_or_default()
}

fn not_configured(e: impl std::fmt::Display) -> EdgeError {
    EdgeError::Internal(format!("callback channel: {e}"))
}

/// A top-level navigation (the shopper's browser), not a server: `Sec-Fetch-Mode:
/// navigate`, or, from a browser too old to send it, an `Accept` that asks for HTML.
fn is_navigation(req: &Request) -> bool {
    match req.headers().get("Sec-Fetch-Mode").ok().flatten() {
        Some(mode) => mode.eq_ignore_ascii_case("navigate"),
        None => header(req, "Accept").contains("text/html"),
    }
}

/// The browser's answer: 303 to the page the attempt's shopper returns to (nothing
/// about the payment in the URL: the page's widget asks the edge), else a short page.
/// A refusal is a page naming the reason, never a redirect.
fn browser_answer(received: Result<Option<String>, EdgeError>) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Cache-Control", "no-store")?;
    headers.set("Referrer-Policy", "no-referrer")?;
    headers.set("Content-Security-Policy", "default-src 'none'")?;
    let (status, title, text) = match received {
        Ok(Some(url)) => {
            headers.set("Location", &url)?;
            return Ok(Response::empty()?.with_status(303).with_headers(headers));
        }
        Ok(None) => (
            200,
            "Payment result received",
            "You can return to the shop.".to_owned(),
        ),
        Err(e) => {
            let status = e.status();
            let (_, body) = e.into_body();
            let message = body["error"]["message"]
                .as_str()
                .unwrap_or("refused")
                .to_owned();
            (status, "Payment result not accepted", message)
        }
    };
    headers.set("Content-Type", "text/html; charset=utf-8")?;
    let page = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>{title}</title><h1>{title}</h1><p>{}</p></html>",
        escape_html(&text)
    );
    Ok(Response::ok(page)?
        .with_status(status)
        .with_headers(headers))
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Receives one callback; `Ok` carries the page the attempt's shopper returns to.
async fn receive(
    provider: Provider,
    req: &mut Request,
    env: &Env,
) -> Result<Option<String>, EdgeError> {
    let body = input::body_bytes(req).await?;
    let content_type = header(req, "Content-Type");
    let json_channel = provider != Provider::Paytm;
    if json_channel && callback::media_type(&content_type) != "application/json" {
        return unauthenticated(req, env, provider, unsupported()).await;
    }
    let verified = verify(provider, req, env, &content_type, &body)?;
    let cb = match verified {
        Ok(cb) => cb,
        // Verified, but an event Kassa does not subscribe to: Ping++ should stop.
        Err(CallbackError::Malformed { field: "type", .. }) if provider == Provider::Pingpp => {
            return Ok(None)
        }
        Err(CallbackError::Unverified) => {
            let field = callback::signature_field(provider);
            let error = rendered(
                401,
                ErrorCode::CallbackUnverified,
                &format!("{field}: does not verify"),
                field,
            );
            return unauthenticated(req, env, provider, error).await;
        }
        Err(CallbackError::UnsupportedContentType) => {
            return unauthenticated(req, env, provider, unsupported()).await
        }
        Err(CallbackError::Malformed { field, reason }) => {
            let error = EdgeError::bad(field, format!("{field}: {reason}"));
            return refuse(env, provider, &content_type, &body, error).await;
        }
    };
    deliver(env, &cb).await
}

/// An error in the merchant envelope with a status `EdgeError` has no variant for.
fn rendered(status: u16, code: ErrorCode, message: &str, param: &str) -> EdgeError {
    EdgeError::api(status, "invalid_request_error", code, message, Some(param))
}

fn unsupported() -> EdgeError {
    rendered(
        415,
        ErrorCode::UnsupportedContentType,
        "Content-Type: not accepted by this callback",
        "Content-Type",
    )
}

/// Verifies with the configured key. The outer error is the edge's (misconfiguration);
/// the inner one the callback's.
fn verify(
    provider: Provider,
    req: &Request,
    env: &Env,
    content_type: &str,
    body: &[u8],
) -> Result<Result<VerifiedCallback, CallbackError>, EdgeError> {
    Ok(match provider {
        Provider::Paytm => {
            let channels = config::channels(env)?;
            let cfg = channels.paytm().map_err(not_configured)?;
            paytm::callback::verify(content_type, body, cfg.merchant_key.as_bytes())
        }
        Provider::Lianshang => {
            let channels = config::channels(env)?;
            let cfg = channels.s3().map_err(not_configured)?;
            // RSA2 only, unless KASSA_S3_ALLOW_RSA1 opts into the legacy SHA-1 profile.
            lianshang::callback::verify_with(body, &cfg.platform_public_key, cfg.allow_rsa1)
        }
        Provider::Pingpp => {
            let key = config::pingpp_public_key(env)?;
            let signature = header(req, SIGNATURE_HEADER);
            pingpp::callback::verify(body, &signature, &key)
        }
        Provider::Wallet => {
            let channels = config::channels(env)?;
            let cfg = channels.wallet().map_err(not_configured)?;
            wallet::callback::verify(body, &cfg.wallet_public_key, &TokenTable::builtin())
        }
    })
}

/// A refusal of a body that proves nothing: counted in the sender's address bucket,
/// never written to the order it claims (module docs).
async fn unauthenticated<T>(
    req: &Request,
    env: &Env,
    provider: Provider,
    error: EdgeError,
) -> Result<T, EdgeError> {
    record_rejection(
        req,
        env,
        error.code(),
        &format!("POST /callbacks/{provider}"),
    )
    .await;
    Err(error)
}

/// Writes the refusal of a *verified* callback to the order it names (if that order
/// exists; the object ignores unknown ids) and returns it.
async fn refuse<T>(
    env: &Env,
    provider: Provider,
    content_type: &str,
    body: &[u8],
    error: EdgeError,
) -> Result<T, EdgeError> {
    if let Some(order) = callback::claimed_order(provider, content_type, body) {
        let message = match &error {
            EdgeError::Api { error, .. } => error.message.clone(),
            other => audit_message(other),
        };
        let detail = format!("callback {provider}: {} {message}", error.status());
        // Best effort: the refusal stands whether or not the audit write succeeds.
        if let Ok(client) = OrderClient::new(env, order) {
            let _ = client.audit(error.code(), &detail).await;
        }
    }
    Err(error)
}

/// The refusal's message (field and reason; verification failures are opaque).
fn audit_message(e: &EdgeError) -> String {
    match e {
        EdgeError::BadRequest { message, .. } | EdgeError::Conflict { message, .. } => {
            message.clone()
        }
        other => other.code().to_owned(),
    }
}

/// Hands a verified callback to its order's object; its error (404 unknown order, 409
/// mismatch, 503 status query unavailable) comes back as rendered.
async fn deliver(env: &Env, cb: &VerifiedCallback) -> Result<Option<String>, EdgeError> {
    let outcome = OrderClient::new(env, cb.reference.order)?
        .callback(cb.clone())
        .await?;
    Ok(outcome.return_url)
}
