//! Webhook delivery: one signed POST of what the outbox machine
//! (`kassa_shared::flows::outbox`) hands out. Which webhooks are owed, their ids, body,
//! retries and the alarm are the machine's; this file is the socket.

use worker::RequestRedirect;

use kassa_shared::flows::outbox::Transmit;

use super::*;

impl OrderObject {
    /// One POST of a webhook to the order's notify URL (or the merchant default).
    pub(super) async fn deliver(&self, stored: &StoredOrder, entry: &Transmit) -> DeliveryAttempt {
        let at_ms = now_ms();
        let url = stored
            .meta
            .notify_url
            .clone()
            .or_else(|| config::webhook_url(&self.env));
        let Some(url) = url else {
            return DeliveryAttempt {
                at_ms,
                url: None,
                status_code: None,
                error: Some("no notify_url and no KASSA_WEBHOOK_URL".to_owned()),
            };
        };
        let result = async {
            let secret = config::webhook_secret(&self.env)?;
            let signature =
                webhook_sig::sign(secret.as_bytes(), at_ms / 1000, entry.body.as_bytes());
            let headers = Headers::new();
            headers.set("Content-Type", "application/json")?;
            headers.set(webhook_sig::HEADER, &signature)?;
            headers.set("User-Agent", "Kassa-Webhooks/1")?;
            let mut init = RequestInit::new();
            // No redirects: a receiver that moved answers 3xx, which is a failed attempt
            // the merchant sees, not a signed body forwarded to wherever it points
            // (issue 14; a redirect could aim at an address the notify URL check refused).
            init.with_method(Method::Post)
                .with_headers(headers)
                .with_redirect(RequestRedirect::Manual)
                .with_body(Some(entry.body.clone().into()));
            let req = Request::new_with_init(&url, &init)?;
            // A receiver that never answers must not hold the alarm: abort after
            // DELIVERY_TIMEOUT and count it as a failed attempt (retried with backoff).
            let controller = AbortController::default();
            let signal = controller.signal();
            wasm_bindgen_futures::spawn_local(async move {
                Delay::from(DELIVERY_TIMEOUT).await;
                controller.abort();
            });
            let resp = Fetch::Request(req).send_with_signal(&signal).await?;
            Ok::<u16, EdgeError>(resp.status_code())
        }
        .await;
        match result {
            Ok(code) => DeliveryAttempt {
                at_ms,
                url: Some(url),
                status_code: Some(code),
                error: (!(200..300).contains(&code)).then(|| format!("receiver answered {code}")),
            },
            Err(e) => DeliveryAttempt {
                at_ms,
                url: Some(url),
                status_code: None,
                error: Some(format!("{}: {e:?}", e.code())),
            },
        }
    }
}
