//! Paytm (seed S1 payType 1, SPEC 3.3, 3.4 "paytm", 4.3), under `/paytm/`:
//!
//! - `POST /paytm/theia/processTransaction` — the form the widget posts (the params of
//!   S1 `preOrder`: `MID`, `ORDER_ID`, `CUST_ID`, `TXN_AMOUNT`, `CALLBACK_URL`, …,
//!   `CHECKSUMHASH`).
//!   The checksum is verified with the merchant key and MID checked against the config;
//!   the answer is the shopper's page, headed "Paytm — pay ₹{TXN_AMOUNT}" with the
//!   merchant order, and "Pay" and "Fail" buttons (plain forms, no script, so it works
//!   under any CSP). A bad checksum gets an error page (400). `GET` answers 405, as
//!   there is nothing to show without a form.
//! - `POST /paytm/theia/complete` (`txn_id`, `result` = success|fail, form-encoded) —
//!   what the buttons post. The transaction is settled first (so the Transaction Status
//!   API already answers the outcome), then **the shopper's browser** carries Paytm's
//!   result, as in Paytm's form-post integration: the answer is an HTML page whose one
//!   form (`method="post"`, `action` = the form's `CALLBACK_URL`) holds the signed
//!   callback fields as hidden inputs (ORDERID, TXNID, TXNAMOUNT, STATUS, RESPCODE,
//!   RESPMSG, MID, CURRENCY, GATEWAYNAME, BANKTXNID, TXNDATE, PAYMENTMODE, BANKNAME,
//!   CHECKSUMHASH), submitted by a one-line inline script `document.forms[0].submit()`
//!   and by a visible "Return to the merchant" button without script. Nothing is posted
//!   server to server. A finished transaction answers 409; an unknown one 404.
//!   (`paytm.return_url` is no longer used: the merchant's `CALLBACK_URL` decides where
//!   the shopper lands.)
//! - `POST /paytm/merchant-status/getTxnStatus` — the Transaction Status API: JSON
//!   `{MID, ORDERID, CHECKSUMHASH}` (checksum over MID and ORDERID) →
//!   `{TXNID, BANKTXNID, ORDERID, TXNAMOUNT, STATUS, TXNTYPE, GATEWAYNAME, RESPCODE,
//!   RESPMSG, BANKNAME, MID, PAYMENTMODE, REFUNDAMT, TXNDATE}` (also accepted
//!   form-encoded as `JsonData=<json>`, as Paytm does). Errors keep that shape with
//!   `STATUS` `TXN_FAILURE` and `RESPCODE` 330 (checksum), 334 (unknown order), 335
//!   (MID), 501 (malformed). Paytm requires merchants
//!   to call it after every callback; the edge does. `REFUNDAMT` is the sum of the
//!   transaction's **settled** refunds, rupees with two decimals (`"0.00"` when none).
//! - `POST /paytm/refund/apply` — Paytm's Refund API: JSON `{"body": {"mid", "txnType":
//!   "REFUND", "orderId", "txnId", "refId", "refundAmount"}, "head": {"signature"}}`,
//!   `head.signature` being Paytm's checksum of **the exact text of `body` as sent**
//!   (`PaytmChecksum.generateSignature(json.dumps(body), key)`, i.e.
//!   `generateSignatureByString`, [`checksum::generate_string`]); `refundAmount` rupees
//!   with up to two decimals. Always HTTP 200: `{"head": {"responseTimestamp" (unix ms
//!   string), "version": "v1", "signature" (checksum of the answer's `body` text)},
//!   "body": {"txnTimestamp", "orderId", "mid", "refId", "resultInfo": {"resultStatus",
//!   "resultCode", "resultMsg"}, "refundId", "txnId", "refundAmount"}}`. `PENDING` /
//!   `601` "Refund request was raised for this transaction. But it is pending state"
//!   with a new `refundId` (`REF…`); else `TXN_FAILURE` with `330` "Paytm checksum
//!   mismatch", `335` "Invalid MID", `334` "Invalid Order Id" (no such order, or the
//!   `txnId` is not its), `626` "Txn not in success state", `617` "Refund Already
//!   Raised" (the same `refId` again: the existing refund's `refundId`, so a retry is
//!   harmless), `619` "Invalid refund amount" (zero, malformed, or over the
//!   transaction's amount less every earlier refund that did not fail), `501` naming
//!   the field of a malformed request. A failure other than `617` has no `refundId`.
//! - `POST /paytm/v2/refund/status` — Paytm's Refund Status API: `{"body": {"mid",
//!   "orderId", "refId"}, "head": {"signature"}}` (signed as above) → `{"head": {…},
//!   "body": {"orderId", "mid", "refId", "refundId", "txnId", "txnAmount",
//!   "refundAmount", "resultInfo"}}`, `resultStatus` `TXN_SUCCESS` (`10` "Refund
//!   Successfull"), `PENDING` (`601`) or `TXN_FAILURE` (`631` "Refund failed at bank");
//!   an unknown refund is `TXN_FAILURE` `631` "Record not found" (with only `orderId`,
//!   `mid`, `refId`, `resultInfo`), a bad signature `330`, a wrong MID `335`.
//! - **Refund settlement**: a refund is `PENDING` when raised and settles by itself
//!   `paytm.refund_settle_ms` later (default 300 ms; `null`, as in
//!   `SandboxConfig::for_tests`, holds every refund) to the outcome
//!   `/_control/paytm/refund_outcome` set when it was raised (default success;
//!   `pending` holds it); `/_control/paytm/refund_complete {"ref_id", "outcome"}`
//!   settles a held one. Code and decisions: [`crate::paytm_refund`].
//!
//! `ORDER_ID` is whatever the merchant chose — Kassa's edge sends the attempt's
//! reference `"{order}A{attempt}"` (S1 `/pay/preOrder` the bare order id) — and the
//! status API looks it up exactly, as Paytm does.
//!
//! Fault tests drive server-to-server callbacks from `/_control/paytm/complete` (with
//! tamper, delay, duplicate, hold): a duplicate or a retry as a server would send it.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};

use super::checksum::{self, Params, CHECKSUMHASH};
use super::crypto::ct_eq;
use super::outbound::{self, Complete, Delivery, Outbound, Tamper};
use super::pages::{self, esc};
use super::paytm_refund::{self, Refund};
use super::server::{unix_ms, RefundOutcome, Req, Resp, State};

/// A transaction started by a process-page form.
#[derive(Debug, Clone, Serialize)]
pub struct Txn {
    pub txn_id: String,
    pub bank_txn_id: String,
    pub order_id: String,
    pub txn_amount: String,
    pub callback_url: String,
    /// `PENDING` until completed, then `TXN_SUCCESS` / `TXN_FAILURE`.
    pub status: String,
    pub txn_date: String,
}

#[derive(Default)]
pub struct PaytmState {
    pub txns: Vec<Txn>,
    pub refunds: Vec<Refund>,
    /// How refunds raised from now on settle (`/_control/paytm/refund_outcome`).
    pub refund_outcome: RefundOutcome,
}

/// `/paytm/{rest}`.
pub fn handle(state: &Arc<State>, req: &Req, rest: &str) -> Resp {
    let known = matches!(
        rest,
        "theia/processTransaction"
            | "theia/complete"
            | "merchant-status/getTxnStatus"
            | "refund/apply"
            | "v2/refund/status"
    );
    if !known {
        return Resp::not_found(&req.path);
    }
    if req.method != "POST" {
        return Resp::method_not_allowed(&req.method, &req.path);
    }
    match rest {
        "theia/processTransaction" => process(state, req),
        "theia/complete" => complete_from_page(state, req),
        "refund/apply" => paytm_refund::apply(state, req),
        "v2/refund/status" => paytm_refund::status(state, req),
        _ => txn_status(state, req),
    }
}

fn form(body: &[u8]) -> Params {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn get<'a>(p: &'a Params, k: &str) -> &'a str {
    p.get(k).map_or("", String::as_str)
}

fn page(status: u16, title: &str, body: &str) -> Resp {
    pages::page(status, "Paytm", title, body)
}

fn process(state: &Arc<State>, req: &Req) -> Resp {
    let p = form(&req.body);
    for k in [
        "MID",
        "ORDER_ID",
        "TXN_AMOUNT",
        "CALLBACK_URL",
        CHECKSUMHASH,
    ] {
        if get(&p, k).is_empty() {
            state.with(|i| i.bump("paytm.form_rejected"));
            return page(
                400,
                "Invalid request",
                &format!("<p>Missing parameter {}.</p>", esc(k)),
            );
        }
    }
    if !ct_eq(get(&p, "MID").as_bytes(), state.config.paytm.mid.as_bytes()) {
        state.with(|i| i.bump("paytm.form_rejected"));
        return page(400, "Invalid request", "<p>Invalid MID.</p>");
    }
    if !checksum::verify(&p, &state.keys.paytm_key, get(&p, CHECKSUMHASH)) {
        state.with(|i| i.bump("paytm.checksum_rejected"));
        return page(
            400,
            "Checksum mismatch",
            "<p>Paytm checksum mismatch (RESPCODE 330).</p>",
        );
    }
    // Refuse here rather than fail silently later: the callback could never be posted.
    let callback = get(&p, "CALLBACK_URL");
    if !outbound::allowed(state, callback) {
        state.with(|i| i.bump("paytm.form_rejected"));
        return page(
            400,
            "Invalid request",
            "<p>CALLBACK_URL is not allowed by the sandbox's outbound_allow.</p>",
        );
    }
    let order_id = get(&p, "ORDER_ID").to_owned();
    let txn = state.with(|i| {
        i.bump("paytm.process");
        // A second form for the same order starts a new transaction, as Paytm does.
        let t = Txn {
            txn_id: i.next_id(""),
            bank_txn_id: i.next_id("B"),
            order_id: order_id.clone(),
            txn_amount: get(&p, "TXN_AMOUNT").to_owned(),
            callback_url: get(&p, "CALLBACK_URL").to_owned(),
            status: "PENDING".into(),
            txn_date: txn_date(unix_ms()),
        };
        i.paytm.txns.push(t.clone());
        t
    });
    let button = |result: &str, label: &str| {
        format!(
            "<form method=\"post\" action=\"/paytm/theia/complete\">\
             <input type=\"hidden\" name=\"txn_id\" value=\"{}\">\
             <input type=\"hidden\" name=\"result\" value=\"{result}\">\
             <button type=\"submit\">{label}</button></form>",
            esc(&txn.txn_id)
        )
    };
    page(
        200,
        &format!("Paytm — pay ₹{}", txn.txn_amount),
        &format!(
            "<p>Merchant order <code id=\"order_id\">{}</code></p>\
             <p>Amount <strong id=\"amount\">₹{}</strong></p>{}{}",
            esc(&txn.order_id),
            esc(&txn.txn_amount),
            button("success", "Pay"),
            button("fail", "Fail")
        ),
    )
}

fn complete_from_page(state: &Arc<State>, req: &Req) -> Resp {
    let p = form(&req.body);
    let c = Complete {
        id: get(&p, "txn_id").to_owned(),
        result: get(&p, "result").to_owned(),
        tamper: Tamper::None,
        delivery: Delivery::default(),
    };
    if let Err(e) = c.success() {
        return page(400, "Invalid request", &format!("<p>{}</p>", esc(&e)));
    }
    // Only the exact transaction of this page, and only once: a page is not a control.
    let current = state.with(|i| {
        i.paytm
            .txns
            .iter()
            .find(|t| t.txn_id == c.id)
            .map(|t| t.status.clone())
    });
    match current.as_deref() {
        None => {
            return page(
                404,
                "Unknown transaction",
                &format!("<p>No transaction {}.</p>", esc(&c.id)),
            )
        }
        Some("PENDING") => {}
        Some(done) => {
            return page(
                409,
                "Transaction already completed",
                &format!("<p>Transaction {} is {}.</p>", esc(&c.id), esc(done)),
            )
        }
    }
    let txn = match settle(state, &c) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let fields = match signed_params(state, &txn, Tamper::None) {
        Ok(f) => f,
        Err(r) => return r,
    };
    state.with(|i| i.bump("paytm.browser_return"));
    let hidden = pages::hidden_inputs(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let heading = if txn.status == "TXN_SUCCESS" {
        format!("Paytm — paid ₹{}", txn.txn_amount)
    } else {
        format!("Paytm — payment of ₹{} failed", txn.txn_amount)
    };
    page(
        200,
        &heading,
        &format!(
            "<p>Merchant order <code>{}</code>: returning you to the merchant…</p>\
             <form method=\"post\" action=\"{}\">{hidden}\
             <button type=\"submit\">Return to the merchant</button></form>\
             <script>document.forms[0].submit()</script>",
            esc(&txn.order_id),
            esc(&txn.callback_url),
        ),
    )
}

/// `/_control/paytm/complete`: `id` is a TXNID, an ORDERID (its latest transaction), or
/// a Kassa order id (the latest transaction of any of its attempts' `{order}A{attempt}`).
pub fn complete(state: &Arc<State>, c: &Complete) -> Resp {
    match run_complete(state, c) {
        Ok((_, msg, sent)) => Resp::json(200, &outbound::report(&[msg], &sent)),
        Err(r) => r,
    }
}

/// Settles the transaction `c` names with `c.result`.
fn settle(state: &Arc<State>, c: &Complete) -> Result<Txn, Resp> {
    let ok = c
        .success()
        .map_err(|e| Resp::json(400, &json!({"error": e})))?;
    let status = if ok { "TXN_SUCCESS" } else { "TXN_FAILURE" };
    state
        .with(|i| {
            let t = i.paytm.txns.iter_mut().rev().find(|t| {
                t.txn_id == c.id
                    || t.order_id == c.id
                    || t.order_id.split_once('A').is_some_and(|(o, _)| o == c.id)
            })?;
            status.clone_into(&mut t.status);
            Some(t.clone())
        })
        .ok_or_else(|| {
            Resp::json(
                404,
                &json!({"error": format!("no Paytm transaction {}", c.id)}),
            )
        })
}

/// The callback fields of `txn` with their `CHECKSUMHASH`, tampered as asked.
fn signed_params(state: &State, txn: &Txn, tamper: Tamper) -> Result<Params, Resp> {
    let mut p = callback_params(state, txn);
    match tamper {
        Tamper::Amount => {
            p.insert("TXNAMOUNT".into(), format!("{}1", txn.txn_amount));
        }
        Tamper::OrderId => {
            p.insert("ORDERID".into(), format!("{}x", txn.order_id));
        }
        Tamper::None | Tamper::Signature | Tamper::WrongKey => {}
    }
    // Paytm's key is symmetric: "wrong key" is another merchant's key of the same size.
    let wrong_key = vec![b'w'; state.keys.paytm_key.len()];
    let key = if tamper == Tamper::WrongKey {
        &wrong_key
    } else {
        &state.keys.paytm_key
    };
    let mut hash = checksum::generate(&p, key)
        .map_err(|e| Resp::json(500, &json!({"error": format!("checksum: {e}")})))?;
    if tamper == Tamper::Signature {
        hash = outbound::flip_b64(&hash);
    }
    p.insert(CHECKSUMHASH.into(), hash);
    Ok(p)
}

fn run_complete(
    state: &Arc<State>,
    c: &Complete,
) -> Result<(Txn, Value, Vec<outbound::Sent>), Resp> {
    let txn = settle(state, c)?;
    let p = signed_params(state, &txn, c.tamper)?;
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &p {
        ser.append_pair(k, v);
    }
    let body = ser.finish();
    let msg = json!(p);
    let out = Outbound {
        label: "paytm.callback".into(),
        url: txn.callback_url.clone(),
        content_type: "application/x-www-form-urlencoded".into(),
        headers: Vec::new(),
        body,
    };
    let sent = outbound::dispatch(state, out, &c.delivery);
    Ok((txn, msg, sent))
}

/// The fields Paytm posts to `CALLBACK_URL` (and, most of them, answers in the status API).
fn callback_params(state: &State, t: &Txn) -> Params {
    let ok = t.status == "TXN_SUCCESS";
    let pending = t.status == "PENDING";
    let (code, msg) = if ok {
        ("01", "Txn Success")
    } else if pending {
        ("402", "Looks like the payment is not complete. Please wait while we confirm the status with your bank.")
    } else {
        ("227", "Your payment has been declined by your bank.")
    };
    [
        ("ORDERID", t.order_id.as_str()),
        ("TXNID", t.txn_id.as_str()),
        ("TXNAMOUNT", t.txn_amount.as_str()),
        ("STATUS", t.status.as_str()),
        ("RESPCODE", code),
        ("RESPMSG", msg),
        ("MID", state.config.paytm.mid.as_str()),
        ("CURRENCY", "INR"),
        ("GATEWAYNAME", "WALLET"),
        ("BANKTXNID", t.bank_txn_id.as_str()),
        ("TXNDATE", t.txn_date.as_str()),
        ("PAYMENTMODE", "PPI"),
        ("BANKNAME", "WALLET"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn txn_status(state: &Arc<State>, req: &Req) -> Resp {
    state.with(|i| i.bump("paytm.status_query"));
    let fail = |code: &str, msg: &str, order: &str| {
        Resp::json(
            200,
            &json!({"ORDERID": order, "STATUS": "TXN_FAILURE", "RESPCODE": code, "RESPMSG": msg}),
        )
    };
    // Paytm accepts the JSON as the body or, form-encoded, as `JsonData=<json>`.
    let json_data = form_urlencoded::parse(&req.body)
        .find(|(k, _)| k == "JsonData")
        .map(|(_, v)| v.into_owned());
    let parsed = match json_data {
        Some(j) => serde_json::from_str(&j).map_err(|e| format!("JsonData is not JSON: {e}")),
        None => req.json(),
    };
    let v = match parsed {
        Ok(v) => v,
        Err(e) => return fail("501", &e, ""),
    };
    let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let (mid, order_id, hash) = (field("MID"), field("ORDERID"), field(CHECKSUMHASH));
    if mid.is_empty() || order_id.is_empty() || hash.is_empty() {
        return fail(
            "501",
            "MID, ORDERID and CHECKSUMHASH are required",
            &order_id,
        );
    }
    let p: Params = [("MID", &mid), ("ORDERID", &order_id)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect();
    if !checksum::verify(&p, &state.keys.paytm_key, &hash) {
        return fail("330", "Checksum provided is invalid", &order_id);
    }
    if !ct_eq(mid.as_bytes(), state.config.paytm.mid.as_bytes()) {
        return fail("335", "Invalid MID", &order_id);
    }
    let Some((t, refunded)) = state.with(|i| {
        let t = i
            .paytm
            .txns
            .iter()
            .rev()
            .find(|t| t.order_id == order_id)
            .cloned()?;
        let refunded = paytm_refund::refunded(&i.paytm.refunds, &t.txn_id);
        Some((t, refunded))
    }) else {
        return fail("334", "Invalid Order Id.", &order_id);
    };
    let p = callback_params(state, &t);
    let mut out: serde_json::Map<String, Value> = p
        .into_iter()
        .filter(|(k, _)| k != "CURRENCY")
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    out.insert("TXNTYPE".into(), json!("SALE"));
    // Settled refunds only: a pending or failed one has returned nothing yet.
    out.insert("REFUNDAMT".into(), json!(paytm_refund::rupees(refunded)));
    Resp::json(200, &Value::Object(out))
}

/// `yyyy-MM-dd HH:mm:ss.0` in UTC, Paytm's TXNDATE shape.
pub(crate) fn txn_date(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil-from-days (H. Hinnant), days since 1970-01-01.
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.0",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn txn_date_is_utc_civil() {
        assert_eq!(super::txn_date(0), "1970-01-01 00:00:00.0");
        assert_eq!(super::txn_date(1_700_000_000_000), "2023-11-14 22:13:20.0");
    }
}
