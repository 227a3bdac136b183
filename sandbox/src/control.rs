//! The control API under `/_control/` (JSON in, JSON out): scripts each upstream's
//! outcomes, drives completions (notifies, callbacks, webhooks) and exposes counters
//! and records, so tests and the demo can drive every path and assert, e.g., "exactly
//! one charge".
//!
//! **Scripts** — body `{"outcome": O, "ms": N?, "count": N?}`, O one of `approve`
//! (aliases `succeed`, `ok`, `accept`), `deny` (`fail`, `reject`), `slow` (`timeout`;
//! needs `ms`), `error` (HTTP 500), `garbage` (200 with a body that is not the
//! provider's). With `count` the outcome applies to the next `count` requests, then the
//! default resumes; without it, it becomes the default.
//! - `POST /_control/s0/prepay` — S0 `prePayCheck` (deny = `{status: 10000}`).
//! - `POST /_control/s3/script` — S3 `createPayOrder` (deny = signed `SYSTEM_ERROR`).
//! - `POST /_control/pingpp/script` — Ping++ charge creation (deny = 402 `channel_error`).
//! - `POST /_control/wallet/script` — wallet `pay` (deny = 402).
//! - `POST /_control/merchant/script` — merchant receiver (error = 500, slow = sleep,
//!   deny = 400).
//! - `POST /_control/s0/relay_fail` `{"count": N}` — the next N `orderCallBack`s answer
//!   `{status: 10000, success: false}`.
//!
//! **Completions** — body `{"id", "result": "success"|"fail", "tamper":
//! "none"|"signature"|"amount"|"order_id"|"wrong_key", "delay_ms", "duplicate",
//! "hold"}`. `tamper: signature` flips a character of the signature after signing;
//! `amount` / `order_id` change the field *before* signing (valid signature, wrong
//! data); `wrong_key` signs with `impostor_private_key` (Paytm: another merchant key).
//! `duplicate: N` sends N extra copies; `delay_ms` sends later on a background thread;
//! `hold` queues the message until `/_control/outbox/release`. The answer is
//! `{"messages": [what was signed], "sent": [{label, url, status, response, error}]}`.
//! - `POST /_control/s3/complete` — `id` = `wk_trade_id` or `out_trade_id`.
//! - `POST /_control/paytm/complete` — `id` = ORDERID or TXNID.
//! - `POST /_control/pingpp/complete` — `id` = charge id or `order_no`; plus `"event":
//!   "charge.succeeded" | "refund.succeeded"` (default the former); `result` ignored.
//! - `POST /_control/wallet/complete` — `id` = order id or trade id.
//! - `POST /_control/{s3,pingpp,wallet}/auto` — **fault tests only** (the demo and the
//!   end-to-end tests pay through the shopper pages: `/pingpp/mock.php`,
//!   `/s3/cashier`, `/paytm/theia/processTransaction`, and the wallet settles by
//!   itself). The same body without `id` (plus `event` for Ping++), or `{"off": true}`:
//!   every *new* trade is then completed that way on a background thread. The trade's
//!   status changes at once; use `delay_ms` so the notify follows the create answer
//!   (with 0 it may overtake it — a race worth testing).
//! - `POST /_control/wallet/balance` `{"token_id": "USDT", "balance": "5.0" | null}` —
//!   the token's balance for the wallet's own settlement (`null`: ample, the default);
//!   a charge it does not cover settles FAILED. `GET /_control/wallet/balances` →
//!   `{"balances": {token_id: "decimal"}}`.
//! - `POST /_control/wallet/settle` `{"ms": N | null}` — overrides `wallet.settle_ms`:
//!   settle each new charge N ms after it is accepted, or (`null`) hold every charge
//!   until `/_control/wallet/complete`.
//! - `POST /_control/paytm/refund_outcome`, `POST /_control/wallet/refund_outcome`
//!   `{"outcome": "success" | "failure" | "pending"}` — how refunds raised from then on
//!   settle (default success), `paytm.refund_settle_ms` / `wallet.settle_ms` after they
//!   were raised; `pending` holds them (as does a settle delay of `null`, the
//!   `SandboxConfig::for_tests` setting).
//! - `POST /_control/paytm/refund_complete` `{"ref_id", "outcome": "success" |
//!   "failure"}`, `POST /_control/wallet/refund_complete` `{"refund_id", "outcome"}` —
//!   settles one held (still `PENDING` / `PROCESSING`) refund; answers the record, 404
//!   when unknown, 409 when already settled. Nothing is sent: both providers' refunds
//!   are pulled (Refund Status API, `GET /wallet/refunds/{refund_id}`).
//! - `POST /_control/pingpp/refund_webhooks` `{"hold": true|false}` — the
//!   `refund.succeeded` webhooks that follow refunds made through the refund API are
//!   queued in the outbox (`hold: true`) instead of sent 300 ms later.
//! - `POST /_control/outbox/release` `{"order": "fifo" | "reverse"}` — sends the held
//!   messages (reverse = out of order); `GET /_control/outbox` lists them.
//!
//! **Reading** — `GET /_control/counters` (`{"counters": {name: n}}`; a counter never
//! bumped is absent, i.e. 0): `s0.prepay_check`, `s0.relay`, `s0.update_info`,
//! `s0.auth_rejected`; `s3.create_pay_order` (verified calls), `s3.trade_created`
//! (distinct trades), `s3.error.<RESULT_CODE>`, `s3.cashier_shown`,
//! `s3.cashier_decided`; `paytm.process`, `paytm.checksum_rejected`,
//! `paytm.form_rejected`, `paytm.status_query`, `paytm.browser_return`;
//! `paytm.refund_apply` (every Refund API call), `paytm.refund_created`,
//! `paytm.refund_rejected` (every `TXN_FAILURE` answer, `617` included),
//! `paytm.refund_settled`, `paytm.refund_failed`, `paytm.refund_status`;
//! `pingpp.charge_request`, `pingpp.charge_created`, `pingpp.signature_rejected`,
//! `pingpp.page_shown`, `pingpp.page_approved`, `pingpp.page_declined`,
//! `pingpp.alipay_sign_rejected`; `wallet.pay`, `wallet.payment_created`,
//! `wallet.settled`, `wallet.declined`, `wallet.refund` (every refund request),
//! `wallet.refund_created`, `wallet.refund_settled`, `wallet.refund_failed`,
//! `wallet.refund_status`; `merchant.webhook_received`, `merchant.webhook_accepted`
//! (verified and answered 200); `<label>.sent` per outbound attempt (`s3.notify`,
//! `paytm.callback`, `pingpp.webhook`, `wallet.notify`). Records, each answering
//! `{"items": [...]}`: `GET /_control/sent` (every outbound attempt),
//! `/_control/s0/relays`, `/_control/s0/prepay_checks`, `/_control/s0/update_infos`,
//! `/_control/s0/received` (every accepted S0 call with its `uid` header),
//! `/_control/s3/trades`, `/_control/paytm/txns`, `/_control/pingpp/charges`,
//! `/_control/wallet/payments`, `/_control/paytm/refunds`, `/_control/wallet/refunds`;
//! and `/_control/merchant/webhooks` (=
//! `GET /merchant/webhooks`, `{"webhooks": [...]}`).
//!
//! `POST /_control/reset` clears scripts, records, counters and held messages (created
//! trades included).

use std::sync::Arc;

use serde_json::{json, Value};

use super::outbound::{self, Complete};
use super::server::{Inner, Outcome, RefundOutcome, Req, Resp, State};
use super::{merchant, paytm, paytm_refund, pingpp, s3, wallet, wallet_refund};

fn bad(msg: &str) -> Resp {
    Resp::json(400, &json!({"error": msg}))
}

fn ok() -> Resp {
    Resp::json(200, &json!({"ok": true}))
}

fn script(state: &State, req: &Req, pick: fn(&mut Inner) -> &mut super::server::Script) -> Resp {
    let v = match req.json() {
        Ok(v) => v,
        Err(e) => return bad(&e),
    };
    let outcome: Outcome = match serde_json::from_value(v.clone()) {
        Ok(o) => o,
        Err(e) => return bad(&format!("outcome: {e}")),
    };
    let count = match v.get("count") {
        None | Some(Value::Null) => None,
        Some(c) => match c.as_u64().and_then(|c| u32::try_from(c).ok()) {
            Some(c) => Some(c),
            None => return bad("count: must be a non-negative integer"),
        },
    };
    state.with(|i| pick(i).set(outcome, count));
    ok()
}

fn auto(state: &State, req: &Req, pick: fn(&mut Inner) -> &mut Option<outbound::Auto>) -> Resp {
    let v = match req.json() {
        Ok(v) => v,
        Err(e) => return bad(&e),
    };
    if v.get("off").and_then(Value::as_bool) == Some(true) {
        state.with(|i| *pick(i) = None);
        return ok();
    }
    match serde_json::from_value::<outbound::Auto>(v) {
        Ok(a) => {
            state.with(|i| *pick(i) = Some(a));
            ok()
        }
        Err(e) => bad(&format!("body: {e}")),
    }
}

/// `POST /_control/wallet/balance {"token_id", "balance": "5.0" | null}`.
fn wallet_balance(state: &State, req: &Req) -> Resp {
    let v = match req.json() {
        Ok(v) => v,
        Err(e) => return bad(&e),
    };
    let Some(token) = v
        .get("token_id")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    else {
        return bad("token_id: a non-empty string is required");
    };
    match v.get("balance") {
        Some(Value::Null) => {
            state.with(|i| i.wallet.balances.remove(token));
            ok()
        }
        Some(Value::String(b)) => match wallet::units(b) {
            Ok(u) => {
                state.with(|i| i.wallet.balances.insert(token.to_owned(), u));
                ok()
            }
            Err(e) => bad(&format!("balance: {e}")),
        },
        _ => bad("balance: a decimal string or null (ample) is required"),
    }
}

/// `{"outcome": "success" | "failure" | "pending"}`.
fn refund_outcome(req: &Req) -> Result<RefundOutcome, Resp> {
    let v = req.json().map_err(|e| bad(&e))?;
    serde_json::from_value(v.get("outcome").cloned().unwrap_or(Value::Null))
        .map_err(|_| bad("outcome: one of \"success\", \"failure\", \"pending\" is required"))
}

/// `{"<id_field>": id, "outcome": "success" | "failure"}` → settle with `settle`.
fn refund_complete<T: serde::Serialize>(
    state: &State,
    req: &Req,
    id_field: &str,
    settle: fn(&State, &str, RefundOutcome) -> Result<T, String>,
) -> Resp {
    let outcome = match refund_outcome(req) {
        Ok(RefundOutcome::Pending) => return bad("outcome: must be \"success\" or \"failure\""),
        Ok(o) => o,
        Err(r) => return r,
    };
    let Some(id) = req
        .json()
        .ok()
        .and_then(|v| v.get(id_field).and_then(Value::as_str).map(str::to_owned))
    else {
        return bad(&format!("{id_field}: a string is required"));
    };
    match settle(state, &id, outcome) {
        Ok(r) => match serde_json::to_value(r) {
            Ok(v) => Resp::json(200, &json!({"refund": v})),
            Err(e) => Resp::json(500, &json!({"error": e.to_string()})),
        },
        Err(e) if e.contains("already") => Resp::json(409, &json!({"error": e})),
        Err(e) => Resp::json(404, &json!({"error": e})),
    }
}

fn list<T: serde::Serialize>(items: &T) -> Resp {
    match serde_json::to_value(items) {
        Ok(v) => Resp::json(200, &json!({"items": v})),
        Err(e) => Resp::json(500, &json!({"error": e.to_string()})),
    }
}

/// `/_control/{rest}`.
pub fn handle(state: &Arc<State>, req: &Req, rest: &str) -> Resp {
    let post = req.method == "POST";
    let complete = || -> Result<Complete, Resp> {
        serde_json::from_slice(&req.body).map_err(|e| bad(&format!("body: {e}")))
    };
    match (rest, post) {
        ("counters", false) => Resp::json(
            200,
            &json!({"counters": state.with(|i| i.counters.clone())}),
        ),
        ("sent", false) => list(&state.with(|i| i.outbound.sent.clone())),
        ("outbox", false) => list(&state.with(|i| i.outbound.held.clone())),
        ("reset", true) => {
            state.with(|i| *i = Inner::default());
            ok()
        }
        ("outbox/release", true) => {
            let order = req
                .json()
                .ok()
                .and_then(|v| v.get("order").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| "fifo".into());
            let reverse = match order.as_str() {
                "fifo" => false,
                "reverse" => true,
                other => return bad(&format!("order: expected fifo|reverse, got {other:?}")),
            };
            let sent = outbound::release(state, reverse);
            Resp::json(200, &json!({"sent": sent}))
        }
        ("s0/prepay", true) => script(state, req, |i| &mut i.s0.prepay),
        ("s3/script", true) => script(state, req, |i| &mut i.s3.script),
        ("pingpp/script", true) => script(state, req, |i| &mut i.pingpp.script),
        ("wallet/script", true) => script(state, req, |i| &mut i.wallet.script),
        ("merchant/script", true) => script(state, req, |i| &mut i.merchant.script),
        ("s3/auto", true) => auto(state, req, |i| &mut i.s3.auto),
        ("pingpp/auto", true) => auto(state, req, |i| &mut i.pingpp.auto),
        ("wallet/auto", true) => auto(state, req, |i| &mut i.wallet.auto),
        ("s0/relay_fail", true) => {
            let Some(n) = req
                .json()
                .ok()
                .and_then(|v| v.get("count").and_then(Value::as_u64))
                .and_then(|n| u32::try_from(n).ok())
            else {
                return bad("count: a non-negative integer is required");
            };
            state.with(|i| i.s0.relay_fail_next = n);
            ok()
        }
        ("pingpp/refund_webhooks", true) => {
            let Some(hold) = req
                .json()
                .ok()
                .and_then(|v| v.get("hold").and_then(Value::as_bool))
            else {
                return bad("hold: true or false is required");
            };
            state.with(|i| i.pingpp.hold_refund_webhooks = hold);
            ok()
        }
        ("wallet/balance", true) => wallet_balance(state, req),
        ("wallet/balances", false) => {
            let b: std::collections::BTreeMap<String, String> = state.with(|i| {
                i.wallet
                    .balances
                    .iter()
                    .map(|(k, v)| (k.clone(), wallet::format_units(*v)))
                    .collect()
            });
            Resp::json(200, &json!({"balances": b}))
        }
        ("wallet/settle", true) => {
            let v = match req.json() {
                Ok(v) => v,
                Err(e) => return bad(&e),
            };
            let ms = match v.get("ms") {
                Some(Value::Null) => None,
                Some(n) => match n.as_u64() {
                    Some(n) => Some(n),
                    None => return bad("ms: a non-negative integer or null is required"),
                },
                None => return bad("ms: a non-negative integer or null is required"),
            };
            state.with(|i| i.wallet.settle_override = Some(ms));
            ok()
        }
        ("paytm/refund_outcome", true) => match refund_outcome(req) {
            Ok(o) => {
                state.with(|i| i.paytm.refund_outcome = o);
                ok()
            }
            Err(r) => r,
        },
        ("wallet/refund_outcome", true) => match refund_outcome(req) {
            Ok(o) => {
                state.with(|i| i.wallet.refund_outcome = o);
                ok()
            }
            Err(r) => r,
        },
        ("paytm/refund_complete", true) => {
            refund_complete(state, req, "ref_id", paytm_refund::settle)
        }
        ("wallet/refund_complete", true) => {
            refund_complete(state, req, "refund_id", wallet_refund::settle)
        }
        ("paytm/refunds", false) => list(&state.with(|i| i.paytm.refunds.clone())),
        ("wallet/refunds", false) => list(&state.with(|i| i.wallet.refunds.clone())),
        ("s0/relays", false) => list(&state.with(|i| i.s0.relays.clone())),
        ("s0/prepay_checks", false) => list(&state.with(|i| i.s0.prepay_checks.clone())),
        ("s0/update_infos", false) => list(&state.with(|i| i.s0.update_infos.clone())),
        ("s0/received", false) => list(&state.with(|i| i.s0.received.clone())),
        ("s3/trades", false) => list(&state.with(|i| i.s3.trades.clone())),
        ("paytm/txns", false) => list(&state.with(|i| i.paytm.txns.clone())),
        ("pingpp/charges", false) => list(&state.with(|i| i.pingpp.charges.clone())),
        ("wallet/payments", false) => list(&state.with(|i| i.wallet.payments.clone())),
        ("merchant/webhooks", false) => merchant::list(state),
        ("s3/complete", true) => complete().map_or_else(|r| r, |c| s3::complete(state, &c)),
        ("paytm/complete", true) => complete().map_or_else(|r| r, |c| paytm::complete(state, &c)),
        ("wallet/complete", true) => complete().map_or_else(|r| r, |c| wallet::complete(state, &c)),
        ("pingpp/complete", true) => {
            let event = req
                .json()
                .ok()
                .and_then(|v| v.get("event").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| "charge.succeeded".into());
            complete().map_or_else(|r| r, |c| pingpp::complete(state, &c, &event))
        }
        _ => Resp::not_found(&req.path),
    }
}
