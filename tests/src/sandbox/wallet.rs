//! The token wallet (the S2 channel; SPEC 3.4 "wallet"), under `/wallet/`:
//!
//! - `POST /wallet/pay` — JSON `{order_id (string or number), token_id, amount
//!   (decimal string), notify_url}` → `{code: 0, message, trade_id, status:
//!   "PROCESSING"}`; errors `{code: 400, message}` naming the field. With
//!   `wallet.api_key` set, `Authorization: Bearer <api_key>` is required.
//! - `GET /wallet/status?order_id=..` (or `trade_id=..`) → `{code: 0, order_id,
//!   trade_id, status, token_id, amount}`.
//! - `/_control/wallet/complete` (`id` = order id or trade id) POSTs a signed
//!   `kassa_shared::providers::s2_wallet::notify::Notification` (RSA-SHA256 with the
//!   wallet private key, SPEC 4.1) to the payment's `notify_url`.

use std::sync::Arc;
use std::time::Duration;

use kassa_shared::crypto::{ct, SignAlg};
use kassa_shared::id::Id;
use kassa_shared::providers::s2_wallet::notify::{self, Notification, NotifyStatus};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::outbound::{self, Complete, Tamper};
use super::server::{unix_ms, Outcome, Req, Resp, Script, State};

/// A payment the edge asked for.
#[derive(Debug, Clone, Serialize)]
pub struct Payment {
    pub order_id: Id,
    pub trade_id: String,
    pub token_id: String,
    pub amount: String,
    pub notify_url: String,
    pub status: NotifyStatus,
}

#[derive(Default)]
pub struct WalletState {
    pub script: Script,
    pub auto: Option<outbound::Auto>,
    pub payments: Vec<Payment>,
}

#[derive(Deserialize)]
struct PayRequest {
    order_id: Id,
    token_id: String,
    amount: String,
    notify_url: String,
}

fn err(status: u16, message: &str) -> Resp {
    Resp::json(status, &json!({"code": status, "message": message}))
}

/// `/wallet/{rest}`.
pub fn handle(state: &Arc<State>, req: &Req, rest: &str) -> Resp {
    // `charges` is the path the edge's wallet channel documents (edge/src/channels/
    // wallet.rs); `pay` the sandbox's original name. Both create a payment.
    if !matches!(rest, "pay" | "charges" | "status") {
        return Resp::not_found(&req.path);
    }
    if let Some(key) = &state.config.wallet.api_key {
        let got = req
            .header("Authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or("");
        if !ct::eq(got.as_bytes(), key.as_bytes()) {
            return err(401, "invalid API key");
        }
    }
    match (rest, req.method.as_str()) {
        ("pay" | "charges", "POST") => pay(state, req),
        ("status", "GET") => status(state, req),
        _ => Resp::method_not_allowed(&req.method, &req.path),
    }
}

fn valid_amount(a: &str) -> bool {
    let (int, frac) = a.split_once('.').unwrap_or((a, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !int.is_empty() && digits(int) && digits(frac) && !a.ends_with('.')
}

fn pay(state: &Arc<State>, req: &Req) -> Resp {
    let r: PayRequest = match serde_json::from_slice(&req.body) {
        Ok(r) => r,
        Err(e) => return err(400, &format!("body: {e}")),
    };
    if !valid_amount(&r.amount) {
        return err(400, "amount: must be a decimal string like \"12.5\"");
    }
    if r.token_id.is_empty() {
        return err(400, "token_id: must not be empty");
    }
    if r.notify_url.is_empty() {
        return err(400, "notify_url: must not be empty");
    }
    match state.with(|i| {
        i.bump("wallet.pay");
        i.wallet.script.take_next()
    }) {
        Outcome::Approve => {}
        Outcome::Slow { ms } => std::thread::sleep(Duration::from_millis(ms)),
        Outcome::Deny => return err(402, "payment refused (scripted)"),
        Outcome::Error => return err(500, "internal error (scripted)"),
        Outcome::Garbage => return Resp::text(200, "text/html", "<html>busy</html>"),
    }
    let (p, auto) = state.with(|i| {
        if let Some(p) = i.wallet.payments.iter().find(|p| p.order_id == r.order_id) {
            return (p.clone(), None);
        }
        i.bump("wallet.payment_created");
        let p = Payment {
            order_id: r.order_id,
            trade_id: i.next_id("w_"),
            token_id: r.token_id,
            amount: r.amount,
            notify_url: r.notify_url,
            status: NotifyStatus::Processing,
        };
        i.wallet.payments.push(p.clone());
        (p, i.wallet.auto.clone())
    });
    if let Some(a) = auto {
        outbound::spawn_auto(state, a.for_id(&p.trade_id), complete);
    }
    Resp::json(
        200,
        &json!({"code": 0, "message": "accepted", "trade_id": p.trade_id, "status": p.status}),
    )
}

fn find(state: &State, id: &str) -> Option<Payment> {
    state.with(|i| {
        i.wallet
            .payments
            .iter()
            .find(|p| p.trade_id == id || p.order_id.to_string() == id)
            .cloned()
    })
}

fn status(state: &Arc<State>, req: &Req) -> Resp {
    let Some(id) = req
        .query_param("order_id")
        .or_else(|| req.query_param("trade_id"))
    else {
        return err(400, "order_id or trade_id is required");
    };
    match find(state, &id) {
        Some(p) => Resp::json(
            200,
            &json!({"code": 0, "order_id": p.order_id, "trade_id": p.trade_id, "status": p.status,
                     "token_id": p.token_id, "amount": p.amount}),
        ),
        None => err(404, &format!("no wallet payment {id}")),
    }
}

/// `/_control/wallet/complete`.
pub fn complete(state: &Arc<State>, c: &Complete) -> Resp {
    let ok = match c.success() {
        Ok(ok) => ok,
        Err(e) => return Resp::json(400, &json!({"error": e})),
    };
    let status = if ok {
        NotifyStatus::Success
    } else {
        NotifyStatus::Failed
    };
    let Some(p) = state.with(|i| {
        let p = i
            .wallet
            .payments
            .iter_mut()
            .find(|p| p.trade_id == c.id || p.order_id.to_string() == c.id)?;
        p.status = status;
        Some(p.clone())
    }) else {
        return Resp::json(
            404,
            &json!({"error": format!("no wallet payment {}", c.id)}),
        );
    };
    let mut n = Notification {
        notify_id: format!("wn_{}_{}", p.trade_id, if ok { "s" } else { "f" }),
        order_id: p.order_id,
        trade_id: p.trade_id.clone(),
        status,
        token_id: p.token_id.clone(),
        amount: p.amount.clone(),
        time: unix_ms().to_string(),
    };
    match c.tamper {
        Tamper::Amount => n.amount = format!("{}1", p.amount),
        Tamper::OrderId => {
            n.order_id = Id::new(p.order_id.get() ^ 1).unwrap_or(p.order_id);
        }
        Tamper::None | Tamper::Signature | Tamper::WrongKey => {}
    }
    let key = match outbound::signing_key(state, &state.keys.wallet_priv, c.tamper) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let mut msg: Value = match notify::sign(&n, key, SignAlg::Rsa2) {
        Ok(v) => v,
        Err(e) => return Resp::json(500, &json!({"error": format!("sign: {e}")})),
    };
    outbound::tamper_sign_member(&mut msg, c.tamper);
    let out = outbound::json_message("wallet.notify", &p.notify_url, &msg, Vec::new());
    let sent = outbound::dispatch(state, out, &c.delivery);
    Resp::json(200, &outbound::report(&[msg], &sent))
}
