//! The one place the edge talks to the providers: [`send`] turns a
//! `kassa_shared::providers::http::Request` value into a `worker::Fetch`, races it
//! against a `worker::Delay`, and aborts the fetch through an `AbortController` when the
//! timer wins (SPEC 3.5: every call out has a timeout; S0's default is 2 s). [`run`]
//! carries out a provider's [`Exchange`]: the request, its timeout and its parser all
//! come from `shared`, so nothing here knows any provider's format.

use core::time::Duration;

use futures_util::future::{select, Either};
use kassa_shared::providers::http::{
    Exchange, Method as HttpMethod, Request as OutboundRequest, Response as OutboundResponse,
    TransportError, MAX_RESPONSE_BYTES,
};
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

fn build(req: &OutboundRequest) -> Result<Fetch, TransportError> {
    let err = |e: worker::Error| TransportError::Build {
        reason: e.to_string(),
    };
    let headers = Headers::new();
    for (name, value) in &req.headers {
        headers.set(name, value).map_err(err)?;
    }
    let mut init = RequestInit::new();
    init.with_method(match req.method {
        HttpMethod::Get => Method::Get,
        HttpMethod::Post => Method::Post,
    })
    .with_headers(headers)
    .with_body(
        req.body
            .as_deref()
            .map(|b| js_sys::Uint8Array::from(b).into()),
    );
    let request = Request::new_with_init(&req.url, &init).map_err(err)?;
    Ok(Fetch::Request(request))
}

/// Sends `req` and reads the whole answer within `timeout`. On timeout the fetch is
/// aborted, so a slow upstream does not keep running against the isolate's limits.
pub async fn send(
    req: &OutboundRequest,
    timeout: Duration,
) -> Result<OutboundResponse, TransportError> {
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = build(req)?;
    let exchange = async {
        let mut resp =
            fetch
                .send_with_signal(&signal)
                .await
                .map_err(|e| TransportError::Network {
                    reason: e.to_string(),
                })?;
        let status = resp.status_code();
        let body = resp.bytes().await.map_err(|e| TransportError::Network {
            reason: e.to_string(),
        })?;
        if body.len() > MAX_RESPONSE_BYTES {
            return Err(TransportError::TooLarge {
                max: MAX_RESPONSE_BYTES,
            });
        }
        Ok(OutboundResponse { status, body })
    };
    let outcome = select(Box::pin(exchange), Box::pin(Delay::from(timeout))).await;
    match outcome {
        Either::Left((result, _timer)) => result,
        Either::Right(((), _exchange)) => {
            controller.abort();
            Err(TransportError::Timeout {
                ms: timeout.as_millis(),
            })
        }
    }
}

/// Carries out one provider call built in `shared`.
///
/// # Errors
/// The provider's own error: no answer, or an answer its parser refuses.
pub async fn run<T, E>(exchange: Exchange<T, E>) -> Result<T, E> {
    let outcome = send(exchange.request(), exchange.timeout()).await;
    exchange.finish(outcome)
}

/// [`run`] for a builder that can fail before anything is sent: its error is the call's.
///
/// # Errors
/// The builder's error, or [`run`]'s.
pub async fn exchange<T, E>(built: Result<Exchange<T, E>, E>) -> Result<T, E> {
    run(built?).await
}
