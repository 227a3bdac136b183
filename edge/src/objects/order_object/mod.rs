//! `OrderObject`: the Durable Object that owns one order (SPEC 7). Every mutation of an
//! order goes through it, so concurrent requests, callbacks and alarms are serialised.
//! The lattice and exactly-once effects are `kassa_shared::order::Order::apply`'s; this
//! object stores the result and carries the effects out (STYLE: quinn over quinn-proto):
//!
//! - `StatusChanged` → a push to every live-status WebSocket of the order (SPEC 3.1,
//!   hibernation API) and a merchant webhook in the outbox (SPEC 3.5);
//! - `NeedsReview` → a merchant webhook `order.needs_review`;
//! - `Relay` → an S0 relay in the outbox, sent as S0 `orderCallBack` from the alarm
//!   (see `relay.rs`).
//! - a change of the order's S2 status code → its user's `UserObject` is told after the
//!   commit (`index_status`), so the S2 list's `status` filter is exact.
//!
//! Provider callbacks arrive verified from the Worker (`routes/callbacks.rs`) and are
//! matched, confirmed and applied once here (see `callback.rs`).
//!
//! # Storage (one key each, values are JSON strings)
//! - `order`: [`StoredOrder`] — the shared `Order` (observations, applied event ids,
//!   status history) plus the merchant's metadata;
//! - `outbox`: `kassa_shared::flows::outbox::Outbox` — webhooks and relays with their
//!   delivery log;
//! - `codes`: `Vec<StoredCode>` — verify-code sends (MACs only), newest last;
//! - `dev_outbox` (development only): the codes in clear, for tests and the demo; in
//!   production the code goes out instead as a `verification_code.requested` webhook;
//! - `wrong_codes`: the order's `WrongCodeLock` (SPEC 5: 5 wrong codes → 15 min);
//! - `pay_lock`: the unix ms a `pay` began, while one runs (one attempt at a time);
//! - `idem:<Idempotency-Key>`: `PayRecord` — fingerprint and, once done, the answer;
//!   `idem_keys`: which keys are still honoured (24 h, 100 per order; `idempotency.rs`);
//! - `pingpp_charges`: attempt id → Ping++ charge id; `refund_lock` while a refund call
//!   runs and `refund_intent` until its answer is recorded (see `refund.rs`); each
//!   refund's details (`RefundMeta`: attempt, reason, provider reference, failure) live
//!   in the `order` record beside the machine's refund lattice;
//! - `return_urls`, `pingpp_charge`: the page each attempt's shopper comes back to and
//!   the latest Ping++ charge (`handoff.rs`);
//! - `s3_trades`: attempt id → the `wk_trade_id` S3 createPayOrder answered (`pay.rs`;
//!   a notify must name it, `callback.rs`);
//! - `audit`: `Vec<AuditEntry>` — rejected requests (reason code, no secrets), newest
//!   last, capped at [`MAX_AUDIT`].
//!
//! `order` and `outbox` change together in one `put_multiple`, so an applied event and
//! the effects it owes are committed atomically.
//!
//! # The alarm
//! One alarm, always set to the earliest pending thing: the expiry of an open order, the
//! next retry of a pending webhook, or the next try of the first pending S0 relay. When it fires it applies `Expired` if due
//! (event id `expired`, so a second firing is a no-op in the machine), delivers every due
//! webhook, and re-arms itself. Webhooks retry with exponential backoff
//! (`KASSA_WEBHOOK_BACKOFF_MS` · 2ⁿ, capped at one hour) for `KASSA_WEBHOOK_RETRY_SECS`
//! (default 24 h) after the first attempt, then stay `failed` until replayed.
//!
//! # Internal routes (only the Worker can reach a Durable Object)
//! `POST /create` (create-if-absent), `GET /order`, `POST /apply` (an `Event`),
//! `POST /callback` (a `VerifiedCallback`), `POST /cancel`, `POST /refund`, `GET /events`, `GET /webhooks`,
//! `POST /webhooks/replay`, `POST /audit`, `POST /codes` (a verify-code send: its MAC,
//! and in development the clear code for the dev outbox), `POST /notify {id, type,
//! data}` (a webhook that is not a status change, e.g. S4's `withdrawal.requested`;
//! once per id), `GET /dev_outbox`, `POST /s3_trade {attempt, wk_trade_id}` (the test
//! helper's stand-in for createPayOrder's answer), `POST /pay`
//! (see [`OrderObject::pay`]), `GET /ws` (WebSocket upgrade; the Worker has
//! already checked the `client_secret`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{
    durable_object, wasm_bindgen_futures, AbortController, Delay, DurableObject, Env, Fetch,
    Headers, Method, Request, RequestInit, Response, Result, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair,
};

use kassa_shared::crypto::webhook_sig;
use kassa_shared::envelope::ErrorCode;
use kassa_shared::flows::outbox::{
    self as flow, DeliveryAttempt, Outbox, OutboxKind, OutboxPolicy, RetryPolicy, StatusPush,
};
use kassa_shared::id::Id;
use kassa_shared::order::{Event, EventKind, OrderStatus, Resolution};
use kassa_shared::second_factor::StoredCode;

use crate::config;
use crate::error::EdgeError;
use crate::resources::{order_view, s2_code, StoredOrder};

mod attempts;
mod callback;
mod handoff;
mod idempotency;
mod outbox;
mod pay;
mod refund;
mod relay;
mod request;

use crate::objects::{reply, Done};
pub use pay::PayIn;
pub use refund::{AmountIn, ManualOutcome, RefundIn, RefundIntent, RefundReply};
use request::OrderRequest;
pub use request::{CallbackOutcome, CallbackResult, OrderClient, OrderEvents};

const ORDER_KEY: &str = "order";
const OUTBOX_KEY: &str = "outbox";
const AUDIT_KEY: &str = "audit";
/// The order's verify-code sends (`second_factor::StoredCode`: MACs, never codes).
const CODES_KEY: &str = "codes";
/// Development only: the codes in clear, for `GET /v1/dev/outbox` (SPEC 6, "the
/// sandbox's outbox in development"). Never written unless `KASSA_ENV=development`.
const DEV_OUTBOX_KEY: &str = "dev_outbox";
/// Code sends kept per order; the throttle allows far fewer within their 5 min life.
const MAX_CODES: usize = 20;
/// The audit log keeps the newest entries; a flood of bad requests cannot grow an order
/// past its storage limits.
pub const MAX_AUDIT: usize = 500;
const DELIVERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// One rejected request or (later) risk decision.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at_ms: u64,
    /// Machine-readable reason, e.g. `order_not_cancellable`.
    pub reason: String,
    /// What was asked, never a secret.
    pub detail: String,
}

/// The Worker forwards the one subprotocol it accepts (never the `bearer.` entry) on the
/// internal `/ws` request; the object echoes it in its 101. workerd refuses a 101 naming a
/// protocol the request did not offer, so it has to travel on the inner request.
pub const WS_PROTOCOL_HEADER: &str = "Sec-WebSocket-Protocol";

#[durable_object]
pub struct OrderObject {
    state: State,
    env: Env,
}

impl DurableObject for OrderObject {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        match self.route(req).await {
            Ok(resp) => Ok(resp),
            Err(e) => e.into_response(),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        match self.on_alarm().await {
            Ok(()) => Response::ok("ok"),
            // Returning an error makes the runtime retry the alarm, which is what an
            // unexpected storage failure wants.
            Err(e) => Err(worker::Error::RustError(format!("alarm: {e:?}"))),
        }
    }

    async fn websocket_message(&self, ws: WebSocket, msg: WebSocketIncomingMessage) -> Result<()> {
        // The socket is push-only; a "ping" text gets the current status back so a
        // client can check liveness without waiting for a change.
        if let WebSocketIncomingMessage::String(s) = msg {
            if s == "ping" {
                if let Ok(Some(stored)) = self.load_order().await {
                    let _ = ws.send_with_str(status_message(&stored).to_string());
                }
            }
        }
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        _code: usize,
        _reason: String,
        _was_clean: bool,
    ) -> Result<()> {
        let _ = ws.close(Some(1000), Some("closed"));
        Ok(())
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> Result<()> {
        let _ = ws.close(Some(1011), Some("error"));
        Ok(())
    }
}

/// The live-status message (SPEC 3.1): `{order_id, status, s2_status, seq}`.
fn live_message(order_id: Id, status: OrderStatus, seq: u32) -> Value {
    json!({
        "order_id": order_id.to_string(),
        "status": status,
        "s2_status": s2_code(status),
        "seq": seq,
    })
}

fn status_message(s: &StoredOrder) -> Value {
    live_message(s.order.id(), s.order.status(), s.order.status_seq())
}

impl OrderObject {
    async fn route(&self, mut req: Request) -> Result<Response, EdgeError> {
        let path = req.path();
        match (req.method(), path.as_str()) {
            (Method::Post, crate::objects::RPC_PATH) => {
                let request: OrderRequest = crate::objects::read_request(&mut req).await?;
                self.handle(request).await
            }
            (Method::Get, "/ws") => {
                let protocol = req.headers().get(WS_PROTOCOL_HEADER).ok().flatten();
                self.accept_socket(protocol).await
            }
            _ => Err(EdgeError::RouteNotFound),
        }
    }

    async fn handle(&self, request: OrderRequest) -> Result<Response, EdgeError> {
        match request {
            OrderRequest::Create { order } => self.create(order).await,
            OrderRequest::Get => reply(&self.require_order().await?),
            OrderRequest::Apply { event } => {
                let stored = self.require_order().await?;
                let stored = self.apply(stored, event).await?;
                reply(&stored)
            }
            OrderRequest::Callback { callback } => self.callback(callback).await,
            OrderRequest::Cancel => self.cancel().await,
            OrderRequest::Refund(ask) => self.refund(ask).await,
            OrderRequest::Events => {
                let stored = self.require_order().await?;
                let audit: Vec<AuditEntry> = self.load(AUDIT_KEY).await?.unwrap_or_default();
                let outbox = self.load_outbox().await?;
                let events = OrderEvents {
                    history: stored.order.history().to_vec(),
                    audit,
                    relays: outbox.relays().cloned().collect(),
                };
                reply(&events)
            }
            OrderRequest::Webhooks => {
                self.require_order().await?;
                reply(&self.load_outbox().await?)
            }
            OrderRequest::ReplayWebhook { id } => self.replay(&id).await,
            OrderRequest::Audit { reason, detail } => {
                // Only an existing order keeps an audit log: a rejection aimed at an id
                // that was never created must not create storage.
                if self.load_order().await?.is_some() {
                    self.audit(&reason, &detail).await?;
                }
                reply(&Done {})
            }
            OrderRequest::Code { stored, dev } => {
                self.record_code(stored, dev).await?;
                reply(&Done {})
            }
            OrderRequest::Notify {
                id,
                event_type,
                data,
            } => {
                self.notify(id, &event_type, data).await?;
                reply(&Done {})
            }
            OrderRequest::PlantRefundIntent(intent) => {
                let stored = self.require_order().await?;
                self.plant_refund_intent(intent).await?;
                self.reschedule(&stored, &self.load_outbox().await?).await?;
                reply(&Done {})
            }
            OrderRequest::S3Trade {
                attempt,
                wk_trade_id,
            } => {
                self.require_order().await?;
                self.record_s3_trade(attempt, &wk_trade_id).await?;
                reply(&Done {})
            }
            OrderRequest::DevOutbox => {
                self.require_order().await?;
                let outbox: Vec<Value> = self.load(DEV_OUTBOX_KEY).await?.unwrap_or_default();
                reply(&outbox)
            }
            OrderRequest::Pay(p) => self.pay(p).await,
            OrderRequest::Charge => reply(&self.last_charge().await?),
            OrderRequest::ResolveReview { resolution, note } => {
                self.resolve_review(resolution, note).await
            }
            OrderRequest::SettleRefund {
                refund,
                outcome,
                reference,
            } => self.settle_refund(refund, outcome, reference).await,
            OrderRequest::Refresh => {
                let stored = self.require_order().await?;
                reply(&self.refresh_open_attempts(stored).await?)
            }
        }
    }

    /// A verify-code send: its MAC in `codes`; in development the clear code in the dev
    /// outbox, in production (SPEC 6) a signed `verification_code.requested` webhook for
    /// the merchant to deliver (retried like every webhook; the id is per send, so a
    /// redelivery is the same).
    async fn record_code(&self, stored: StoredCode, dev: Option<Value>) -> Result<(), EdgeError> {
        let order = self.require_order().await?;
        let mut codes: Vec<StoredCode> = self.load(CODES_KEY).await?.unwrap_or_default();
        codes.push(stored);
        if codes.len() > MAX_CODES {
            let excess = codes.len() - MAX_CODES;
            codes.drain(..excess);
        }
        let storage = self.state.storage();
        storage
            .put(CODES_KEY, serde_json::to_string(&codes)?)
            .await?;
        let Some(message) = dev else {
            return Ok(());
        };
        if config::is_development(&self.env) {
            let mut outbox: Vec<Value> = self.load(DEV_OUTBOX_KEY).await?.unwrap_or_default();
            outbox.push(message);
            if outbox.len() > MAX_CODES {
                let excess = outbox.len() - MAX_CODES;
                outbox.drain(..excess);
            }
            storage
                .put(DEV_OUTBOX_KEY, serde_json::to_string(&outbox)?)
                .await?;
        } else {
            let id = format!(
                "evt_{}_code_{}",
                order.order.id(),
                message["send_id"].as_str().unwrap_or("0")
            );
            self.notify(id, flow::CODE_WEBHOOK, message).await?;
        }
        Ok(())
    }

    async fn load<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Result<Option<T>, EdgeError> {
        match self.state.storage().get::<String>(key).await? {
            Some(s) => Ok(Some(serde_json::from_str(&s)?)),
            None => Ok(None),
        }
    }

    async fn load_order(&self) -> Result<Option<StoredOrder>, EdgeError> {
        self.load(ORDER_KEY).await
    }

    async fn require_order(&self) -> Result<StoredOrder, EdgeError> {
        self.load_order().await?.ok_or(EdgeError::NotFound("order"))
    }

    async fn load_outbox(&self) -> Result<Outbox, EdgeError> {
        Ok(self.load(OUTBOX_KEY).await?.unwrap_or_default())
    }

    /// Writes the order and its outbox in one atomic `put_multiple`.
    /// Writes the order alone (what the object keeps beside the machine changed; the
    /// machine did not, so nothing is owed).
    async fn save_order(&self, stored: &StoredOrder) -> Result<(), EdgeError> {
        self.state
            .storage()
            .put(ORDER_KEY, serde_json::to_string(stored)?)
            .await?;
        Ok(())
    }

    async fn save(&self, stored: &StoredOrder, outbox: &Outbox) -> Result<(), EdgeError> {
        // A struct serialises to a plain JS object (a `json!` map would become a JS
        // `Map`, which `putMultiple` does not read); field names are the storage keys.
        #[derive(Serialize)]
        struct Record {
            order: String,
            outbox: String,
        }
        let values = Record {
            order: serde_json::to_string(stored)?,
            outbox: serde_json::to_string(outbox)?,
        };
        self.state.storage().put_multiple(values).await?;
        Ok(())
    }

    async fn audit(&self, reason: &str, detail: &str) -> Result<(), EdgeError> {
        let mut audit: Vec<AuditEntry> = self.load(AUDIT_KEY).await?.unwrap_or_default();
        audit.push(AuditEntry {
            at_ms: now_ms(),
            reason: reason.to_owned(),
            detail: detail.to_owned(),
        });
        if audit.len() > MAX_AUDIT {
            let excess = audit.len() - MAX_AUDIT;
            audit.drain(..excess);
        }
        self.state
            .storage()
            .put(AUDIT_KEY, serde_json::to_string(&audit)?)
            .await?;
        Ok(())
    }

    /// Records a rejection in the audit log and returns it as the error.
    async fn reject(&self, error: EdgeError, detail: &str) -> Result<Response, EdgeError> {
        self.audit(error.code(), detail).await?;
        Err(error)
    }

    async fn create(&self, stored: StoredOrder) -> Result<Response, EdgeError> {
        // Create-if-absent: a second create with the same id is a conflict, which also
        // turns an (unlikely) id collision into a retry instead of an overwrite.
        if self.load_order().await?.is_some() {
            return Err(EdgeError::Conflict {
                code: ErrorCode::OrderExists,
                message: "id: an order with this id exists".to_owned(),
            });
        }
        let outbox = Outbox::default();
        self.save(&stored, &outbox).await?;
        self.reschedule(&stored, &outbox).await?;
        reply(&stored)
    }

    /// Applies one event through the shared machine, commits the state and the effects
    /// it owes together, then pushes and re-arms the alarm.
    ///
    /// The caller's `stale` copy may be out of date: any await on a fetch (S0, a
    /// provider) lets other requests — a callback, a cancel — run and commit in between,
    /// so the event is applied to the order as stored now, never to the caller's copy
    /// (which would silently undo what they committed).
    async fn apply(&self, stale: StoredOrder, event: Event) -> Result<StoredOrder, EdgeError> {
        self.apply_with(stale, event, |_| {}).await
    }

    /// [`Self::apply`], with `edit` made to the freshly read order first (what the object
    /// keeps beside the machine, e.g. a refund's details), saved together with it.
    async fn apply_with(
        &self,
        stale: StoredOrder,
        event: Event,
        edit: impl FnOnce(&mut StoredOrder),
    ) -> Result<StoredOrder, EdgeError> {
        let mut stored = self.load_order().await?.unwrap_or(stale);
        edit(&mut stored);
        let now = now_ms();
        let s2_before = crate::resources::s2_code(stored.order.status());
        // A duplicate id changes nothing, not even the history; anything else (moved,
        // recorded or ignored) is kept, so the history shows every distinct fact.
        let effects = stored.order.apply(now, event);
        let mut outbox = self.load_outbox().await?;
        let pushes = outbox.enqueue_effects(now, stored.order.id(), &effects, &order_view(&stored));
        self.save(&stored, &outbox).await?;
        self.push(stored.order.id(), &pushes);
        self.reschedule(&stored, &outbox).await?;
        let s2_after = crate::resources::s2_code(stored.order.status());
        if s2_after != s2_before {
            self.index_status(&stored, s2_after).await;
        }
        Ok(stored)
    }

    /// `POST /review/resolve`: the merchant decided what an order that needed review is
    /// (money given back, or kept and shipped). Resolves the reasons open now (a fixed
    /// event id per reason set makes a retry a no-op); 409 when none is open.
    async fn resolve_review(
        &self,
        resolution: Resolution,
        note: Option<String>,
    ) -> Result<Response, EdgeError> {
        let stored = self.require_order().await?;
        let reasons = stored.order.open_review_reasons();
        if reasons.is_empty() {
            let error = EdgeError::Conflict {
                code: ErrorCode::NoReviewNeeded,
                message: "order: does not need review".into(),
            };
            return self.reject(error, "POST review/resolve").await;
        }
        let names: Vec<String> = reasons
            .iter()
            .filter_map(|r| serde_json::to_value(r).ok())
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let detail = format!(
            "{} {} {}",
            resolution.as_str(),
            names.join(","),
            note.as_deref().unwrap_or("")
        );
        self.audit("review_resolved", detail.trim_end()).await?;
        let id = format!("review_resolved:{}", names.join(","));
        let event = Event::new(
            id,
            EventKind::ReviewResolved {
                reasons,
                resolution,
            },
        );
        let stored = self.apply(stored, event).await?;
        reply(&stored)
    }

    /// Tells the user's `UserObject` the order's new S2 status (its S2 list filters by
    /// it). After the commit, so the index never shows a status the order does not
    /// have; a failed write is logged, not returned (the change itself stands).
    async fn index_status(&self, stored: &StoredOrder, s2_code: u8) {
        let id = stored.order.id();
        let told = async {
            crate::objects::user_object::UserClient::new(&self.env, &stored.meta.user.id)?
                .order_status(id, s2_code)
                .await
        };
        if let Err(e) = told.await {
            worker::console_error!("user index status failed for {id}: {e:?}");
        }
    }

    async fn cancel(&self) -> Result<Response, EdgeError> {
        let stored = self.require_order().await?;
        // The machine would resolve a cancel of a paid order deterministically (and flag
        // a review), but the merchant asking to cancel a paid order is a mistake to
        // refuse, not a fact to record (machine.rs, rule 2).
        if !stored.order.is_open() {
            let status = stored.order.status().as_str();
            return self
                .reject(
                    EdgeError::Conflict {
                        code: ErrorCode::OrderNotCancellable,
                        message: format!("order: is {status}; only pending or processing orders can be cancelled"),
                    },
                    "POST cancel",
                )
                .await;
        }
        // One cancel fact per order: a fixed event id makes a retried cancel a no-op.
        let stored = self
            .apply(stored, Event::new("cancelled", EventKind::Cancelled))
            .await?;
        reply(&stored)
    }

    async fn replay(&self, id: &str) -> Result<Response, EdgeError> {
        let stored = self.require_order().await?;
        let mut outbox = self.load_outbox().await?;
        let view = outbox
            .replay(id, now_ms())
            .cloned()
            .ok_or(EdgeError::NotFound("webhook"))?;
        self.save(&stored, &outbox).await?;
        self.reschedule(&stored, &outbox).await?;
        reply(&view)
    }

    /// `protocol`: the subprotocol the client offered and the edge picked, echoed in the
    /// 101 answer (a browser closes the socket otherwise).
    async fn accept_socket(&self, protocol: Option<String>) -> Result<Response, EdgeError> {
        let stored = self.require_order().await?;
        let pair = WebSocketPair::new()?;
        // Hibernation API: the runtime holds the socket; this object may be evicted while
        // it is idle and is woken for messages, closes and our pushes.
        self.state.accept_web_socket(&pair.server);
        pair.server
            .send_with_str(status_message(&stored).to_string())?;
        let resp = Response::from_websocket(pair.client)?;
        Ok(match protocol {
            Some(p) => {
                let headers = worker::Headers::new();
                headers.set("Sec-WebSocket-Protocol", &p)?;
                resp.with_headers(headers)
            }
            None => resp,
        })
    }

    fn push(&self, order_id: Id, pushes: &[StatusPush]) {
        if pushes.is_empty() {
            return;
        }
        let messages: Vec<String> = pushes
            .iter()
            .map(|p| live_message(order_id, p.status, p.seq).to_string())
            .collect();
        for ws in self.state.get_websockets() {
            for m in &messages {
                // A socket that is closing is not an error for the order.
                let _ = ws.send_with_str(m);
            }
        }
    }

    /// Queues a merchant webhook that is not a status change of the order (a code to
    /// deliver, an S4 withdrawal) in the order's outbox: once per `id`, however often it
    /// is asked for, then signed and retried like every webhook.
    async fn notify(&self, id: String, event_type: &str, data: Value) -> Result<(), EdgeError> {
        let stored = self.require_order().await?;
        let mut outbox = self.load_outbox().await?;
        if !outbox.webhook(now_ms(), id, event_type, data) {
            return Ok(());
        }
        self.save(&stored, &outbox).await?;
        self.reschedule(&stored, &outbox).await
    }

    /// The outbox's retry schedule from the environment (`config`).
    fn outbox_policy(&self) -> OutboxPolicy {
        let (backoff_ms, window_ms) = config::webhook_retry(&self.env);
        OutboxPolicy {
            webhooks: RetryPolicy {
                backoff_ms,
                window_ms,
            },
            relays: config::s0_enabled(&self.env).then(|| RetryPolicy {
                backoff_ms,
                window_ms: relay::window_ms(&self.env),
            }),
        }
    }

    /// Sets the alarm to the earliest pending thing (`flows::outbox::next_alarm`), or
    /// clears it.
    async fn reschedule(&self, stored: &StoredOrder, outbox: &Outbox) -> Result<(), EdgeError> {
        let storage = self.state.storage();
        let asked = self.attempts_asked().await?;
        let query = kassa_shared::flows::attempts::next_query(
            &stored.order,
            &asked,
            &self.attempt_policy(),
        );
        let refund_query = refund::next_refund_query(stored, &self.refund_policy())
            .into_iter()
            .chain(self.refund_intent_due().await?)
            .min();
        let next = flow::next_alarm(&stored.order, outbox, &self.outbox_policy())
            .into_iter()
            .chain(query)
            .chain(refund_query)
            .min();
        match next {
            Some(at) => {
                let offset =
                    i64::try_from(at).unwrap_or(i64::MAX) - i64::try_from(now_ms()).unwrap_or(0);
                storage.set_alarm(offset.max(0)).await?;
            }
            None => storage.delete_alarm().await?,
        }
        Ok(())
    }

    async fn on_alarm(&self) -> Result<(), EdgeError> {
        let Some(mut stored) = self.load_order().await? else {
            return Ok(());
        };
        let now = now_ms();
        if stored.order.is_due_to_expire(now) {
            // Fixed id: a second firing (or a racing second alarm) is a duplicate.
            stored = self
                .apply(stored, Event::new("expired", EventKind::Expired))
                .await?;
        } else {
            // Attempts a window old without an outcome: ask their providers.
            stored = self.settle_open_attempts(stored, Some(now)).await?;
        }
        // Refunds a window old that their provider has not decided: ask it; and a refund a
        // dead run may have raised without recording it.
        stored = self.settle_open_refunds(stored, now).await?;
        stored = self.recover_refund_intent(stored).await?;
        let policy = self.outbox_policy();
        let mut run = self.load_outbox().await?.start_delivery(now, &policy);
        while let Some(t) = run.poll_transmit() {
            let attempt = match t.kind {
                OutboxKind::Webhook => self.deliver(&stored, &t).await,
                OutboxKind::Relay => self.relay_once(&stored, &t).await,
            };
            run.handle_result(&t, attempt);
        }
        // Other requests may have run while we awaited the receivers: re-read, then fold
        // in only the delivery results, so a webhook enqueued meanwhile is not lost.
        let stored = self.require_order().await?;
        let mut outbox = self.load_outbox().await?;
        run.finish(&mut outbox, &policy);
        self.save(&stored, &outbox).await?;
        self.reschedule(&stored, &outbox).await
    }
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}
