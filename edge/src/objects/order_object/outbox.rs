//! The outbox: merchant webhooks and S0 relays owed by applied events, and their delivery.

use worker::RequestRedirect;

use super::*;

impl OrderObject {
    /// One POST of a webhook to the order's notify URL (or the merchant default).
    pub(super) async fn deliver(
        &self,
        stored: &StoredOrder,
        entry: &OutboxEntry,
    ) -> DeliveryAttempt {
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

/// Updates a webhook after one attempt: delivered, retried later with backoff, or failed
/// when the retry window is over (or nowhere to send it).
pub(super) fn record_attempt(
    e: &mut OutboxEntry,
    a: DeliveryAttempt,
    backoff_ms: u64,
    window_ms: u64,
) {
    e.attempts = e.attempts.saturating_add(1);
    let start = *e.window_start_ms.get_or_insert(a.at_ms);
    let delivered = a.error.is_none();
    let nowhere = a.url.is_none();
    let at = a.at_ms;
    e.log.push(a);
    if e.log.len() > MAX_LOG {
        let excess = e.log.len() - MAX_LOG;
        e.log.drain(..excess);
    }
    if delivered {
        e.status = DeliveryStatus::Delivered;
        e.next_attempt_ms = None;
        redact_code(e);
        return;
    }
    let exp = e.attempts.saturating_sub(1).min(32);
    let delay = backoff_ms.saturating_mul(1u64 << exp).min(BACKOFF_CAP_MS);
    let next = at.saturating_add(delay);
    if nowhere || next.saturating_sub(start) > window_ms {
        e.status = DeliveryStatus::Failed;
        e.next_attempt_ms = None;
        redact_code(e);
    } else {
        e.next_attempt_ms = Some(next);
    }
}

/// The webhook type that carries a verification code in clear (SPEC 6, production).
pub(super) const CODE_WEBHOOK: &str = "verification_code.requested";

/// Once a code webhook has left the queue (delivered, or failed after its retry window,
/// long after the code's 5 minutes), the stored body keeps no code: the outbox is read
/// back by `GET /v1/orders/:id/webhooks` and kept for the order's life, and a code in
/// clear there is a second copy of a secret (issue 14). `data.code` becomes `null` with
/// `data.code_redacted: true`; a replay sends that body, newly signed, and a receiver
/// that needs a code asks for a new one (codes are single-use and short-lived anyway).
fn redact_code(e: &mut OutboxEntry) {
    if e.event_type != CODE_WEBHOOK {
        return;
    }
    let Ok(mut body) = serde_json::from_str::<Value>(&e.body) else {
        return;
    };
    if let Some(data) = body.get_mut("data").and_then(Value::as_object_mut) {
        data.insert("code".to_owned(), Value::Null);
        data.insert("code_redacted".to_owned(), Value::Bool(true));
        e.body = body.to_string();
    }
}

/// Turns the machine's effects into outbox entries and push messages. The machine emits
/// each effect key once per order; the id check here only guards against a replayed
/// storage write.
pub(super) fn enqueue(
    now: u64,
    stored: &StoredOrder,
    effects: &[Effect],
    outbox: &mut Vec<OutboxEntry>,
) -> Vec<String> {
    let order_id = stored.order.id();
    let view = order_view(stored);
    let mut pushes = Vec::new();
    for effect in effects {
        let (id, kind, event_type, body) = match effect {
            Effect::StatusChanged { seq, from, to } => {
                pushes.push(
                    json!({
                        "order_id": order_id.to_string(),
                        "status": to,
                        "s2_status": s2_code(*to),
                        "seq": seq,
                    })
                    .to_string(),
                );
                let id = format!("evt_{order_id}_s{seq}");
                let kind = format!("order.{}", status_name(*to));
                let data = json!({ "object": view, "previous_status": from });
                (id, OutboxKind::Webhook, kind, data)
            }
            Effect::NeedsReview { reason } => {
                let reason = serde_json::to_value(reason).unwrap_or(Value::Null);
                let id = format!(
                    "evt_{order_id}_review_{}",
                    reason.as_str().unwrap_or("unknown")
                );
                let data = json!({ "object": view, "reason": reason });
                (
                    id,
                    OutboxKind::Webhook,
                    "order.needs_review".to_owned(),
                    data,
                )
            }
            Effect::Relay { status } => {
                let id = format!("relay_{order_id}_{}", status.as_str());
                let data = json!({ "order_id": order_id.to_string(), "status": status });
                (id, OutboxKind::Relay, status.as_str().to_owned(), data)
            }
        };
        if outbox.iter().any(|e| e.id == id) {
            continue;
        }
        let body = match kind {
            OutboxKind::Webhook => json!({
                "id": id,
                "object": "event",
                "type": event_type,
                "created": now / 1000,
                "data": body,
            }),
            OutboxKind::Relay => body,
        };
        outbox.push(OutboxEntry::pending(id, kind, event_type, now, &body));
    }
    pushes
}
