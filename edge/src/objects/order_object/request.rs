//! The typed seam between the Worker and an order's object (issue 15): every request is
//! an [`OrderRequest`] value, posted as JSON to the object's one internal route
//! (`POST /rpc`), and every answer is read into its own type by [`OrderClient`]. No path
//! strings or `json!` bodies travel between them; errors come back as the typed
//! `ApiError` (`objects::ask`). The live-status socket is the one exception: a WebSocket
//! upgrade is a `GET /ws` with the upgrade's headers.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{Env, Stub};

use kassa_shared::callback::VerifiedCallback;
use kassa_shared::flows::outbox::{Outbox, OutboxEntry};
use kassa_shared::id::Id;
use kassa_shared::order::{Event, HistoryEntry, OrderStatus, Resolution};
use kassa_shared::second_factor::StoredCode;

use super::{AuditEntry, ManualOutcome, PayIn, RefundIn, RefundIntent, RefundReply};
use crate::error::EdgeError;
use crate::objects::{ask, order_stub, tell};
use crate::resources::StoredOrder;

/// What the Worker asks of an order's object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum OrderRequest {
    /// Create-if-absent: 409 `order_exists` when the id is taken.
    Create {
        order: StoredOrder,
    },
    Get,
    /// Apply a shared-core event (the test helper; provider events come as callbacks).
    Apply {
        event: Event,
    },
    /// A verified provider callback, to match, confirm and apply once.
    Callback {
        callback: VerifiedCallback,
    },
    Cancel,
    /// A refund the merchant asks for (`refund.rs`).
    Refund(RefundIn),
    Events,
    Webhooks,
    ReplayWebhook {
        id: String,
    },
    /// A rejected request, for the order's audit log (ignored for an unknown order).
    Audit {
        reason: String,
        detail: String,
    },
    /// A verify-code send: its MAC, and in development the clear code for the dev outbox.
    Code {
        stored: StoredCode,
        dev: Option<Value>,
    },
    /// A webhook that is not a status change (a code to deliver, an S4 withdrawal), once
    /// per id.
    Notify {
        id: String,
        event_type: String,
        data: Value,
    },
    /// The test helper's stand-in for a run that died mid-refund (`refund.rs`).
    PlantRefundIntent(RefundIntent),
    /// The test helper's stand-in for createPayOrder's answer.
    S3Trade {
        attempt: Id,
        wk_trade_id: String,
    },
    DevOutbox,
    Pay(PayIn),
    /// The latest Ping++ charge (S4 `GET /rest/pay/:id`), `null` when none.
    Charge,
    /// The outcome of an S3 refund the merchant made by hand (`refund.rs`).
    SettleRefund {
        refund: Option<Id>,
        outcome: ManualOutcome,
        reference: Option<String>,
    },
    /// The merchant resolves the order's open review reasons (`mod.rs`).
    ResolveReview {
        resolution: Resolution,
        note: Option<String>,
    },
    /// The order, after asking the providers of its open attempts (at most every few
    /// seconds per attempt): the shopper is back on the merchant's page.
    Refresh,
}

/// Whether a callback changed the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackResult {
    Applied,
    Duplicate,
}

/// The object's answer to a callback.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallbackOutcome {
    pub result: CallbackResult,
    /// The page the attempt's shopper comes back to (Paytm's browser return).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OrderStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs_review: Option<bool>,
}

/// The order's history, audit log and S0 relays (`GET /v1/orders/:id/events`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderEvents {
    pub history: Vec<HistoryEntry>,
    pub audit: Vec<AuditEntry>,
    pub relays: Vec<OutboxEntry>,
}

/// The Worker's handle on one order's object.
pub struct OrderClient {
    stub: Stub,
}

impl OrderClient {
    pub fn new(env: &Env, id: Id) -> Result<Self, EdgeError> {
        Ok(Self {
            stub: order_stub(env, id)?,
        })
    }

    /// The stub, for the WebSocket upgrade (`GET /ws`).
    pub fn stub(&self) -> &Stub {
        &self.stub
    }

    async fn done(&self, r: &OrderRequest) -> Result<(), EdgeError> {
        tell(&self.stub, r).await
    }

    /// `None` when an order with that id exists.
    pub async fn create(&self, order: StoredOrder) -> Result<Option<StoredOrder>, EdgeError> {
        match ask(&self.stub, &OrderRequest::Create { order }).await {
            Ok(stored) => Ok(Some(stored)),
            Err(EdgeError::Api { status: 409, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn get(&self) -> Result<StoredOrder, EdgeError> {
        ask(&self.stub, &OrderRequest::Get).await
    }

    pub async fn apply(&self, event: Event) -> Result<StoredOrder, EdgeError> {
        ask(&self.stub, &OrderRequest::Apply { event }).await
    }

    pub async fn callback(&self, callback: VerifiedCallback) -> Result<CallbackOutcome, EdgeError> {
        ask(&self.stub, &OrderRequest::Callback { callback }).await
    }

    pub async fn cancel(&self) -> Result<StoredOrder, EdgeError> {
        ask(&self.stub, &OrderRequest::Cancel).await
    }

    pub async fn refund(&self, ask_for: RefundIn) -> Result<RefundReply, EdgeError> {
        ask(&self.stub, &OrderRequest::Refund(ask_for)).await
    }

    pub async fn events(&self) -> Result<OrderEvents, EdgeError> {
        ask(&self.stub, &OrderRequest::Events).await
    }

    pub async fn webhooks(&self) -> Result<Outbox, EdgeError> {
        ask(&self.stub, &OrderRequest::Webhooks).await
    }

    pub async fn replay_webhook(&self, id: String) -> Result<OutboxEntry, EdgeError> {
        ask(&self.stub, &OrderRequest::ReplayWebhook { id }).await
    }

    pub async fn audit(&self, reason: &str, detail: &str) -> Result<(), EdgeError> {
        let r = OrderRequest::Audit {
            reason: reason.to_owned(),
            detail: detail.to_owned(),
        };
        self.done(&r).await
    }

    pub async fn code(&self, stored: StoredCode, dev: Option<Value>) -> Result<(), EdgeError> {
        self.done(&OrderRequest::Code { stored, dev }).await
    }

    pub async fn notify(&self, id: String, event_type: &str, data: Value) -> Result<(), EdgeError> {
        let r = OrderRequest::Notify {
            id,
            event_type: event_type.to_owned(),
            data,
        };
        self.done(&r).await
    }

    pub async fn plant_refund_intent(&self, intent: RefundIntent) -> Result<(), EdgeError> {
        self.done(&OrderRequest::PlantRefundIntent(intent)).await
    }

    pub async fn s3_trade(&self, attempt: Id, wk_trade_id: String) -> Result<(), EdgeError> {
        let r = OrderRequest::S3Trade {
            attempt,
            wk_trade_id,
        };
        self.done(&r).await
    }

    pub async fn dev_outbox(&self) -> Result<Vec<Value>, EdgeError> {
        ask(&self.stub, &OrderRequest::DevOutbox).await
    }

    /// The S2 answer of `pay` / `quick_pay` (an error comes back as the `ApiError`).
    pub async fn pay(&self, p: PayIn) -> Result<Value, EdgeError> {
        ask(&self.stub, &OrderRequest::Pay(p)).await
    }

    /// Records the outcome of an S3 refund the merchant made by hand.
    pub async fn settle_refund(
        &self,
        refund: Option<Id>,
        outcome: ManualOutcome,
        reference: Option<String>,
    ) -> Result<RefundReply, EdgeError> {
        let r = OrderRequest::SettleRefund {
            refund,
            outcome,
            reference,
        };
        ask(&self.stub, &r).await
    }

    /// Resolves the order's open review reasons.
    pub async fn resolve_review(
        &self,
        resolution: Resolution,
        note: Option<String>,
    ) -> Result<StoredOrder, EdgeError> {
        ask(
            &self.stub,
            &OrderRequest::ResolveReview { resolution, note },
        )
        .await
    }

    /// The order after its open attempts' providers were asked (`attempts.rs`).
    pub async fn refresh(&self) -> Result<StoredOrder, EdgeError> {
        ask(&self.stub, &OrderRequest::Refresh).await
    }

    /// The latest Ping++ charge as Ping++ answered it, if the order has one.
    pub async fn charge(&self) -> Result<Option<Value>, EdgeError> {
        ask(&self.stub, &OrderRequest::Charge).await
    }
}
