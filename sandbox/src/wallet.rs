//! The token wallet (the S2 channel; SPEC 3.4 "wallet"), under `/wallet/`, speaking
//! Kassa's token-wallet protocol as the edge's `channels/wallet.rs` documents it:
//!
//! - `POST /wallet/charges` (alias `POST /wallet/pay`, the sandbox's first name) — JSON
//!   `{order_id, token_id, amount (decimal string), notify_url}` → `{code: 0, message,
//!   trade_id, status: "PROCESSING"}`; errors `{code: 400, message}` naming the field.
//!   `order_id` is the attempt's reference `"{order}A{attempt}"` (a bare order id is
//!   accepted too); one payment per `order_id`, so the same one again returns the same
//!   trade. With `wallet.api_key` set, `Authorization: Bearer <api_key>` is required
//!   (on the status query too).
//! - `GET /wallet/charges/{order_id}` — the status query: the payment's state as a
//!   message of the notification's shape, **signed** with the wallet key like a
//!   notification (`notify_id` `wq_<trade>_<n>`); 404 `{code, message}` when unknown.
//! - **Settlement (the wallet's own behaviour; there is no shopper page: a token
//!   wallet debits server side).** Each accepted charge settles by itself
//!   `wallet.settle_ms` after it was accepted (default 300 ms): SUCCESS when the
//!   `token_id`'s balance covers `amount` (balances are ample unless set with
//!   `POST /_control/wallet/balance {"token_id", "balance": "5.0" | null}`; a success
//!   debits a set balance), else FAILED (the payment records `fail_reason:
//!   "INSUFFICIENT_BALANCE"`); either way the signed notification below goes to
//!   `notify_url` and the status query answers the outcome. `settle_ms: null` (as in
//!   `SandboxConfig::for_tests`) or `POST /_control/wallet/settle {"ms": null}` holds
//!   every charge until a control completes it; `{"ms": N}` switches settlement on.
//! - `/_control/wallet/complete` (`id` = reference, trade id, or an order id for that
//!   order's latest payment) marks the payment and POSTs a signed notification to the
//!   payment's `notify_url` (fault tests: tamper, delay, duplicate, hold).
//!
//! The notification (the wallet protocol's, as documented by the edge's
//! `channels/wallet.rs`): `{notify_id, order_id, trade_id, status: "SUCCESS" | "FAILED"
//! | "PROCESSING", token_id, amount, time (unix ms string)}` signed as SPEC 4.1 — the
//! message minus `sign`/`security_type`, RFC 8785, SHA256withRSA with the wallet private
//! key — with `security_type` "RSA2" and `sign` at top level ([`crate::signed_json`]).
//! `order_id` is a reference `"{order}A{attempt}"` of two decimal 63-bit ids without
//! leading zeros, or a bare order id ([`Reference`]).
//!
//! **Refunds** (Kassa's wallet protocol; code in [`crate::wallet_refund`]):
//! - `POST /wallet/refunds` (same Bearer auth as charges), JSON `{"refund_id" (the
//!   caller's id, 1–64 chars of [A-Za-z0-9_-]), "order_id" (the payment's reference,
//!   `"{order}A{attempt}"`), "amount" (decimal string in the token's precision)}` →
//!   `{"code": 0, "message": "accepted", "refund_id", "trade_id", "status":
//!   "PROCESSING"}`. Errors `{code, message}` naming the field: 400 malformed, 404 no
//!   such payment, 409 "amount: exceeds what is left to refund" (the payment's amount
//!   less every earlier refund that did not fail) or "order_id: payment is not
//!   SUCCESS". The same `refund_id` again with the same order and amount answers the
//!   existing refund (idempotent; its `status` is then the refund's current one); with
//!   different ones, 409 naming `refund_id`. `trade_id` is the refunded payment's.
//! - `GET /wallet/refunds/{refund_id}` → the refund's state **signed like a
//!   notification** (the message minus `sign`/`security_type`, RFC 8785,
//!   SHA256withRSA with the wallet key, `security_type` "RSA2", `sign` at top level):
//!   `{"refund_id", "order_id", "trade_id", "status": "SUCCESS" | "FAILED" |
//!   "PROCESSING", "token_id", "amount", "time" (unix ms string)}`; 404 when unknown.
//! - **Settlement**: like charges: `wallet.settle_ms` after acceptance (the same
//!   setting, and its `/_control/wallet/settle` override; `null` holds), to the outcome
//!   of `POST /_control/wallet/refund_outcome {"outcome": "success" | "failure" |
//!   "pending"}` (default success; it applies to refunds accepted from then on;
//!   `pending` holds them); a success credits the token's balance if one is set.
//!   `POST /_control/wallet/refund_complete {"refund_id", "outcome"}` settles a held
//!   one. `GET /_control/wallet/refunds` lists them. Counters `wallet.refund` (every
//!   request), `wallet.refund_created`, `wallet.refund_settled`, `wallet.refund_failed`,
//!   `wallet.refund_status`. No refund notification is sent: the caller pulls.

use std::sync::Arc;
use std::time::Duration;

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::crypto::{ct_eq, PrivateKey, SignAlg};
use super::signed_json;

/// The payment's state, as the wallet names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NotifyStatus {
    Success,
    Failed,
    Processing,
}

/// The merchant's order number for one payment: `"{order}A{attempt}"`, or a bare order
/// id (which names the attempt whose id is the order's; `"{o}A{o}"` is refused as the
/// non-canonical spelling of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    pub order: u64,
    pub attempt: u64,
}

impl Reference {
    /// Parses a reference; the error names `order_id` and the reason.
    pub fn parse(s: &str) -> Result<Self, String> {
        let id = |part: &str| -> Result<u64, String> {
            let digits = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
            if !digits || (part.len() > 1 && part.starts_with('0')) {
                return Err(format!(
                    "order_id: {s:?} must be <order digits>A<attempt digits> without leading zeros"
                ));
            }
            part.parse::<u64>()
                .ok()
                .filter(|n| i64::try_from(*n).is_ok())
                .ok_or_else(|| format!("order_id: {s:?}: an id does not fit in 63 bits"))
        };
        let r = match s.split_once('A') {
            None => {
                let order = id(s)?;
                return Ok(Self {
                    order,
                    attempt: order,
                });
            }
            Some((o, a)) => Self {
                order: id(o)?,
                attempt: id(a)?,
            },
        };
        if r.order == r.attempt {
            return Err(format!(
                "order_id: {s:?}: attempt equals order, write the bare id"
            ));
        }
        Ok(r)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.order == self.attempt {
            write!(f, "{}", self.order)
        } else {
            write!(f, "{}A{}", self.order, self.attempt)
        }
    }
}

impl Serialize for Reference {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A wallet notification before signing.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub notify_id: String,
    pub order_id: Reference,
    pub trade_id: String,
    pub status: NotifyStatus,
    pub token_id: String,
    pub amount: String,
    pub time: String,
}

use super::outbound::{self, Complete, Tamper};
use super::server::{unix_ms, Outcome, RefundOutcome, Req, Resp, Script, State};
use super::wallet_refund::{self, WalletRefund};

/// A payment the edge asked for.
#[derive(Debug, Clone, Serialize)]
pub struct Payment {
    pub order_id: Reference,
    pub trade_id: String,
    pub token_id: String,
    pub amount: String,
    pub notify_url: String,
    pub status: NotifyStatus,
    /// Why the wallet failed it by itself (`INSUFFICIENT_BALANCE`); not in the
    /// notification, whose shape is fixed.
    pub fail_reason: Option<String>,
}

#[derive(Default)]
pub struct WalletState {
    pub script: Script,
    pub auto: Option<outbound::Auto>,
    pub payments: Vec<Payment>,
    /// Balances by `token_id`, in 10⁻¹⁸ units; a token not listed has an ample one.
    pub balances: std::collections::BTreeMap<String, u128>,
    /// `/_control/wallet/settle` overrides `wallet.settle_ms` (outer `Some`).
    pub settle_override: Option<Option<u64>>,
    pub refunds: Vec<WalletRefund>,
    /// How refunds accepted from now on settle (`/_control/wallet/refund_outcome`).
    pub refund_outcome: RefundOutcome,
}

/// Decimal places a balance keeps (amounts with more are refused).
const SCALE: u32 = 18;

/// A non-negative decimal string in 10⁻¹⁸ units.
pub fn units(amount: &str) -> Result<u128, String> {
    if !valid_amount(amount) {
        return Err(format!("{amount:?} is not a decimal string like \"12.5\""));
    }
    let (int, frac) = amount.split_once('.').unwrap_or((amount, ""));
    if frac.len() > SCALE as usize {
        return Err(format!("{amount:?} has more than {SCALE} decimal places"));
    }
    let padded = format!("{frac:0<width$}", width = SCALE as usize);
    let too_big = || format!("{amount:?} is too large");
    let i: u128 = int.parse().map_err(|_| too_big())?;
    let f: u128 = padded.parse().map_err(|_| too_big())?;
    i.checked_mul(10u128.pow(SCALE))
        .and_then(|x| x.checked_add(f))
        .ok_or_else(too_big)
}

/// A balance in 10⁻¹⁸ units as a decimal string without trailing zeros.
#[must_use]
pub fn format_units(u: u128) -> String {
    let scale = 10u128.pow(SCALE);
    let frac = format!("{:018}", u % scale);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{}", u / scale)
    } else {
        format!("{}.{frac}", u / scale)
    }
}

/// The settle delay in force (charges and refunds).
pub(crate) fn settle_ms(state: &State) -> Option<u64> {
    state
        .with(|i| i.wallet.settle_override)
        .unwrap_or(state.config.wallet.settle_ms)
}

/// The wallet's own settlement of a still-processing charge (module docs).
fn settle(state: &Arc<State>, trade_id: &str) {
    let decided = state.with(|i| {
        let w = &mut i.wallet;
        let p = w.payments.iter_mut().find(|p| p.trade_id == trade_id)?;
        if p.status != NotifyStatus::Processing {
            return None; // a control completed it first
        }
        let need = units(&p.amount).unwrap_or(u128::MAX);
        let ok = match w.balances.get_mut(&p.token_id) {
            None => true,
            Some(b) if *b >= need => {
                *b -= need;
                true
            }
            Some(_) => false,
        };
        // Decided under the lock, so a second settle of the same charge does nothing.
        p.status = if ok {
            NotifyStatus::Success
        } else {
            p.fail_reason = Some("INSUFFICIENT_BALANCE".into());
            NotifyStatus::Failed
        };
        Some(ok)
    });
    if let Some(ok) = decided {
        state.with(|i| {
            i.bump(if ok {
                "wallet.settled"
            } else {
                "wallet.declined"
            })
        });
        let c = Complete {
            id: trade_id.to_owned(),
            result: if ok { "success" } else { "fail" }.into(),
            tamper: Tamper::None,
            delivery: outbound::Delivery::default(),
        };
        complete(state, &c);
    }
}

#[derive(Deserialize)]
struct PayRequest {
    order_id: Reference,
    token_id: String,
    amount: String,
    notify_url: String,
}

fn err(status: u16, message: &str) -> Resp {
    Resp::json(status, &json!({"code": status, "message": message}))
}

/// `/wallet/{rest}`.
pub fn handle(state: &Arc<State>, req: &Req, rest: &str) -> Resp {
    let one = |prefix: &str| {
        rest.strip_prefix(prefix)
            .filter(|r| !r.is_empty() && !r.contains('/'))
            .map(str::to_owned)
    };
    let query = one("charges/");
    let refund_query = one("refunds/");
    let known =
        matches!(rest, "pay" | "charges" | "refunds") || query.is_some() || refund_query.is_some();
    if !known {
        return Resp::not_found(&req.path);
    }
    if let Some(key) = &state.config.wallet.api_key {
        let got = req
            .header("Authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or("");
        if !ct_eq(got.as_bytes(), key.as_bytes()) {
            return err(401, "invalid API key");
        }
    }
    match (rest, query, refund_query, req.method.as_str()) {
        ("refunds", _, _, "POST") => wallet_refund::create(state, req),
        (_, _, Some(id), "GET") => wallet_refund::status(state, &id),
        ("pay" | "charges", _, _, "POST") => pay(state, req),
        (_, Some(reference), _, "GET") => status(state, &reference),
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
            fail_reason: None,
        };
        i.wallet.payments.push(p.clone());
        (p, i.wallet.auto.clone())
    });
    if let Some(a) = auto {
        outbound::spawn_auto(state, a.for_id(&p.trade_id), complete);
    } else if let (Some(ms), NotifyStatus::Processing) = (settle_ms(state), p.status) {
        let (state, trade) = (state.clone(), p.trade_id.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(ms));
            settle(&state, &trade);
        });
    }
    Resp::json(
        200,
        &json!({"code": 0, "message": "accepted", "trade_id": p.trade_id, "status": p.status}),
    )
}

/// The payment `id` names: its reference or trade id, or an order id for the order's
/// latest payment.
fn matches(p: &Payment, id: &str) -> bool {
    p.trade_id == id || p.order_id.to_string() == id || p.order_id.order.to_string() == id
}

/// A message of the notification's shape, signed.
fn signed(n: &Notification, key: &PrivateKey) -> Result<Value, Resp> {
    let fail = |e: String| Resp::json(500, &json!({"error": format!("sign: {e}")}));
    let mut v = serde_json::to_value(n).map_err(|e| fail(e.to_string()))?;
    signed_json::sign(&mut v, None, key, SignAlg::Rsa2).map_err(fail)?;
    Ok(v)
}

fn notification(p: &Payment, notify_id: String) -> Notification {
    Notification {
        notify_id,
        order_id: p.order_id,
        trade_id: p.trade_id.clone(),
        status: p.status,
        token_id: p.token_id.clone(),
        amount: p.amount.clone(),
        time: unix_ms().to_string(),
    }
}

/// `GET /wallet/charges/{reference}`: the exact reference only (a status query is about
/// one attempt's payment).
fn status(state: &Arc<State>, reference: &str) -> Resp {
    let found = state.with(|i| {
        i.bump("wallet.status_query");
        let n = i.next_id("");
        let p = i
            .wallet
            .payments
            .iter()
            .find(|p| p.order_id.to_string() == reference)
            .cloned()?;
        Some((p, n))
    });
    let Some((p, n)) = found else {
        return err(404, &format!("no wallet payment {reference}"));
    };
    let n = notification(&p, format!("wq_{}_{n}", p.trade_id));
    match signed(&n, &state.keys.wallet_priv) {
        Ok(v) => Resp::json(200, &v),
        Err(r) => r,
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
            .rev()
            .find(|p| matches(p, &c.id))?;
        p.status = status;
        Some(p.clone())
    }) else {
        return Resp::json(
            404,
            &json!({"error": format!("no wallet payment {}", c.id)}),
        );
    };
    let mut n = notification(
        &p,
        format!("wn_{}_{}", p.trade_id, if ok { "s" } else { "f" }),
    );
    match c.tamper {
        Tamper::Amount => n.amount = format!("{}1", p.amount),
        Tamper::OrderId => {
            // Another order's id: flip the lowest bit (still a valid 63-bit id).
            n.order_id = Reference {
                order: p.order_id.order ^ 1,
                attempt: p.order_id.attempt,
            };
        }
        Tamper::None | Tamper::Signature | Tamper::WrongKey => {}
    }
    let key = match outbound::signing_key(state, &state.keys.wallet_priv, c.tamper) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let mut msg = match signed(&n, key) {
        Ok(v) => v,
        Err(r) => return r,
    };
    outbound::tamper_sign_member(&mut msg, c.tamper);
    let out = outbound::json_message("wallet.notify", &p.notify_url, &msg, Vec::new());
    let sent = outbound::dispatch(state, out, &c.delivery);
    Resp::json(200, &outbound::report(&[msg], &sent))
}

#[cfg(test)]
mod tests {
    use super::{format_units, units, Reference};

    #[test]
    fn amounts_and_references() {
        assert_eq!(units("12.5"), Ok(12_500_000_000_000_000_000));
        assert_eq!(format_units(units("12.5").unwrap()), "12.5");
        assert_eq!(format_units(units("3").unwrap()), "3");
        assert!(
            units("1.").is_err() && units("-1").is_err() && units("0.1234567890123456789").is_err()
        );
        let r = Reference::parse("476682884348973312A476682884348973313").unwrap();
        assert_eq!(r.to_string(), "476682884348973312A476682884348973313");
        assert_eq!(Reference::parse("42").unwrap().to_string(), "42");
        assert!(Reference::parse("42A42").unwrap_err().contains("bare"));
        assert!(Reference::parse("042A1")
            .unwrap_err()
            .contains("leading zeros"));
        assert!(Reference::parse("9223372036854775808")
            .unwrap_err()
            .contains("63 bits"));
    }
}
