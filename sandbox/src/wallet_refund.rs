//! The token wallet's refunds (the protocol is in [`crate::wallet`]'s module docs):
//! `POST /wallet/refunds`, `GET /wallet/refunds/{refund_id}`, their settlement and the
//! `/_control/wallet/refund_*` controls.
//!
//! Decisions:
//! - `trade_id` in the answers is the refunded **payment's** trade id: the refund is
//!   named by the caller's `refund_id`, and the signed state carries `order_id` and
//!   `trade_id` exactly as the payment's notification does, so a client matches the two.
//! - "The same amount" is the same number (`"1.5"` = `"1.50"`); the record keeps the text
//!   of the first request.
//! - What is left to refund is the payment's amount less every earlier refund that did
//!   not fail (processing ones count).
//! - A success credits the token's balance only when one is set
//!   (`/_control/wallet/balance`), mirroring the debit of a charge.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};

use super::crypto::SignAlg;
use super::server::{after, unix_ms, RefundOutcome, Req, Resp, State};
use super::signed_json;
use super::wallet::{settle_ms, units, NotifyStatus, Reference};

/// One refund asked for with `POST /wallet/refunds`.
#[derive(Debug, Clone, Serialize)]
pub struct WalletRefund {
    pub refund_id: String,
    pub order_id: Reference,
    pub trade_id: String,
    pub token_id: String,
    /// As the caller wrote it.
    pub amount: String,
    /// `amount` in 10⁻¹⁸ units.
    #[serde(skip)]
    pub units: u128,
    pub status: NotifyStatus,
    /// How it settles by itself; `Pending` = held for `refund_complete`.
    pub outcome: RefundOutcome,
}

/// The signed state of `GET /wallet/refunds/{refund_id}`, before signing.
#[derive(Serialize)]
struct RefundState<'a> {
    refund_id: &'a str,
    order_id: Reference,
    trade_id: &'a str,
    status: NotifyStatus,
    token_id: &'a str,
    amount: &'a str,
    time: String,
}

fn err(status: u16, message: &str) -> Resp {
    Resp::json(status, &json!({"code": status, "message": message}))
}

fn valid_refund_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The request's three members, or a 400 naming the field.
fn parse(req: &Req) -> Result<(String, Reference, String, u128), Resp> {
    let v: Value =
        serde_json::from_slice(&req.body).map_err(|e| err(400, &format!("body: not JSON: {e}")))?;
    let text = |k: &str| -> Result<String, Resp> {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| err(400, &format!("{k}: a string is required")))
    };
    let refund_id = text("refund_id")?;
    if !valid_refund_id(&refund_id) {
        return Err(err(
            400,
            "refund_id: must be 1 to 64 characters of [A-Za-z0-9_-]",
        ));
    }
    let order_id = Reference::parse(&text("order_id")?).map_err(|e| err(400, &e))?;
    let amount = text("amount")?;
    let u = units(&amount).map_err(|e| err(400, &format!("amount: {e}")))?;
    if u == 0 {
        return Err(err(400, "amount: must be more than zero"));
    }
    Ok((refund_id, order_id, amount, u))
}

fn accepted(r: &WalletRefund) -> Resp {
    Resp::json(
        200,
        &json!({"code": 0, "message": "accepted", "refund_id": r.refund_id,
                "trade_id": r.trade_id, "status": r.status}),
    )
}

/// `POST /wallet/refunds` (authenticated by the caller, [`crate::wallet::handle`]).
pub fn create(state: &Arc<State>, req: &Req) -> Resp {
    state.with(|i| i.bump("wallet.refund"));
    let (refund_id, order_id, amount, want) = match parse(req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let made = state.with(|i| -> Result<(WalletRefund, bool), Resp> {
        let w = &mut i.wallet;
        if let Some(r) = w.refunds.iter().find(|r| r.refund_id == refund_id) {
            if r.order_id == order_id && r.units == want {
                return Ok((r.clone(), false));
            }
            return Err(err(
                409,
                "refund_id: already used for a refund of another order or amount",
            ));
        }
        let p = w
            .payments
            .iter()
            .find(|p| p.order_id == order_id)
            .ok_or_else(|| err(404, &format!("order_id: no wallet payment {order_id}")))?;
        if p.status != NotifyStatus::Success {
            return Err(err(409, "order_id: payment is not SUCCESS"));
        }
        let taken: u128 = w
            .refunds
            .iter()
            .filter(|r| r.order_id == order_id && r.status != NotifyStatus::Failed)
            .map(|r| r.units)
            .sum();
        let left = units(&p.amount).unwrap_or(0).saturating_sub(taken);
        if want > left {
            return Err(err(409, "amount: exceeds what is left to refund"));
        }
        let r = WalletRefund {
            refund_id: refund_id.clone(),
            order_id,
            trade_id: p.trade_id.clone(),
            token_id: p.token_id.clone(),
            amount: amount.clone(),
            units: want,
            status: NotifyStatus::Processing,
            outcome: w.refund_outcome,
        };
        w.refunds.push(r.clone());
        i.bump("wallet.refund_created");
        Ok((r, true))
    });
    let (r, new) = match made {
        Ok(m) => m,
        Err(resp) => return resp,
    };
    if new && r.outcome != RefundOutcome::Pending {
        if let Some(ms) = settle_ms(state) {
            let (id, outcome) = (r.refund_id.clone(), r.outcome);
            after(state, ms, move |s| {
                // A control may have settled it first; that is fine.
                let _ = settle(s, &id, outcome);
            });
        }
    }
    accepted(&r)
}

/// Settles the still-processing refund `refund_id` to `outcome`; a success credits the
/// token's balance when one is set. The settled record, or why not.
pub fn settle(
    state: &State,
    refund_id: &str,
    outcome: RefundOutcome,
) -> Result<WalletRefund, String> {
    let status = match outcome {
        RefundOutcome::Success => NotifyStatus::Success,
        RefundOutcome::Failure => NotifyStatus::Failed,
        RefundOutcome::Pending => return Err("outcome: must be success or failure".into()),
    };
    state.with(|i| {
        let w = &mut i.wallet;
        let r = w
            .refunds
            .iter_mut()
            .find(|r| r.refund_id == refund_id)
            .ok_or_else(|| format!("refund_id: no wallet refund {refund_id}"))?;
        if r.status != NotifyStatus::Processing {
            return Err(format!("refund_id: refund {refund_id} is already settled"));
        }
        r.status = status;
        let r = r.clone();
        if status == NotifyStatus::Success {
            if let Some(b) = w.balances.get_mut(&r.token_id) {
                *b = b.saturating_add(r.units);
            }
        }
        i.bump(if status == NotifyStatus::Success {
            "wallet.refund_settled"
        } else {
            "wallet.refund_failed"
        });
        Ok(r)
    })
}

/// `GET /wallet/refunds/{refund_id}`: the refund's state, signed like a notification.
pub fn status(state: &Arc<State>, refund_id: &str) -> Resp {
    let found = state.with(|i| {
        i.bump("wallet.refund_status");
        i.wallet
            .refunds
            .iter()
            .find(|r| r.refund_id == refund_id)
            .cloned()
    });
    let Some(r) = found else {
        return err(404, &format!("refund_id: no wallet refund {refund_id}"));
    };
    let s = RefundState {
        refund_id: &r.refund_id,
        order_id: r.order_id,
        trade_id: &r.trade_id,
        status: r.status,
        token_id: &r.token_id,
        amount: &r.amount,
        time: unix_ms().to_string(),
    };
    let fail = |e: String| Resp::json(500, &json!({"error": format!("sign: {e}")}));
    let mut v = match serde_json::to_value(&s) {
        Ok(v) => v,
        Err(e) => return fail(e.to_string()),
    };
    match signed_json::sign(&mut v, None, &state.keys.wallet_priv, SignAlg::Rsa2) {
        Ok(()) => Resp::json(200, &v),
        Err(e) => fail(e),
    }
}
