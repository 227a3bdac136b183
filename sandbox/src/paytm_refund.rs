//! Paytm's Refund API and Refund Status API (the wire is described in [`crate::paytm`]):
//! the refunds raised against transactions of [`crate::paytm::PaytmState`], their
//! settlement and the `/_control/paytm/refund_*` controls.
//!
//! Decisions:
//! - `head.signature` is verified over the **raw text** of the request's `body` member
//!   (`serde_json::value::RawValue`), never a re-serialisation: Paytm's samples sign
//!   `json.dumps(body)` (spaces after `:` and `,`), Kassa's edge sends compact JSON, and
//!   both must verify. The answer is written as text too, `head` first, so its
//!   `head.signature` covers exactly the `body` text the caller receives.
//! - `refId` is unique per merchant, as Paytm's "unique refund reference": the same one
//!   again answers `617` with the **existing** refund's `refundId`, `orderId`, `txnId`
//!   and `refundAmount`, so a retried request is harmless.
//! - What is left to refund is the transaction's amount less every earlier refund that
//!   did not fail (pending ones count), in paise; amounts are rupees with at most two
//!   decimals.
//! - `txnTimestamp` is the refunded transaction's `TXNDATE` (now when unknown).
//! - The answer's `body` of a failure leaves `refundId` out (there is no refund), except
//!   `617`, which names the existing one.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::checksum;
use super::crypto::ct_eq;
use super::paytm::{txn_date, Txn};
use super::server::{after, unix_ms, RefundOutcome, Req, Resp, State};

/// One refund raised through `/paytm/refund/apply`.
#[derive(Debug, Clone, Serialize)]
pub struct Refund {
    pub ref_id: String,
    pub refund_id: String,
    pub order_id: String,
    pub txn_id: String,
    pub txn_amount: String,
    /// As the merchant wrote it (`"2"`, `"2.0"`, `"2.00"`).
    pub refund_amount: String,
    pub paise: u64,
    /// `PENDING`, then `TXN_SUCCESS` or `TXN_FAILURE`.
    pub status: String,
    /// How it settles by itself; `Pending` = held for `refund_complete`.
    pub outcome: RefundOutcome,
    pub txn_timestamp: String,
}

/// Rupees with at most two decimals (`"2"`, `"2.5"`, `"2.00"`) in paise.
#[must_use]
pub fn paise(amount: &str) -> Option<u64> {
    let (int, frac) = amount.split_once('.').unwrap_or((amount, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ok = !int.is_empty()
        && int.len() <= 12
        && digits(int)
        && digits(frac)
        && frac.len() <= 2
        && !(amount.contains('.') && frac.is_empty());
    if !ok {
        return None;
    }
    let rupees: u64 = int.parse().ok()?;
    let frac: u64 = format!("{frac:0<2}").parse().ok()?;
    rupees.checked_mul(100)?.checked_add(frac)
}

/// Paise as rupees with two decimals (`REFUNDAMT`).
#[must_use]
pub fn rupees(paise: u64) -> String {
    format!("{}.{:02}", paise / 100, paise % 100)
}

/// The settled refunds of a transaction, in paise (the status API's `REFUNDAMT`).
#[must_use]
pub fn refunded(refunds: &[Refund], txn_id: &str) -> u64 {
    refunds
        .iter()
        .filter(|r| r.txn_id == txn_id && r.status == "TXN_SUCCESS")
        .map(|r| r.paise)
        .sum()
}

#[derive(Serialize)]
struct ResultInfo<'a> {
    #[serde(rename = "resultStatus")]
    status: &'a str,
    #[serde(rename = "resultCode")]
    code: &'a str,
    #[serde(rename = "resultMsg")]
    msg: &'a str,
}

/// The `body` of a `/refund/apply` answer, in Paytm's member order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApplyBody<'a> {
    txn_timestamp: String,
    order_id: String,
    mid: String,
    ref_id: String,
    result_info: ResultInfo<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund_id: Option<String>,
    txn_id: String,
    refund_amount: String,
}

/// The `body` of a `/v2/refund/status` answer.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct StatusBody<'a> {
    order_id: String,
    mid: String,
    ref_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    txn_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    txn_amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund_amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result_info: Option<ResultInfo<'a>>,
}

/// `{"head": {responseTimestamp, version, signature}, "body": <text>}`, HTTP 200 (Paytm
/// answers every outcome with 200), the signature over the body's exact text.
fn signed_answer(state: &State, body: &impl Serialize) -> Resp {
    let text = match serde_json::to_string(body) {
        Ok(t) => t,
        Err(e) => return Resp::json(500, &json!({"error": format!("body: {e}")})),
    };
    let signature = match checksum::generate_string(&text, &state.keys.paytm_key) {
        Ok(s) => s,
        Err(e) => return Resp::json(500, &json!({"error": format!("checksum: {e}")})),
    };
    let head = json!({
        "responseTimestamp": unix_ms().to_string(),
        "version": "v1",
        "signature": signature,
    });
    Resp::text(
        200,
        "application/json; charset=utf-8",
        format!("{{\"head\":{head},\"body\":{text}}}"),
    )
}

#[derive(Deserialize)]
struct Envelope {
    body: Box<RawValue>,
    head: Option<Value>,
}

/// The request's `body` as JSON once its `head.signature` verified over its raw text;
/// else Paytm's code and message (`501` malformed, `330` checksum).
fn verified_body(state: &State, req: &Req) -> Result<Value, (&'static str, String)> {
    let env: Envelope = serde_json::from_slice(&req.body)
        .map_err(|e| ("501", format!("Invalid request: body: {e}")))?;
    let signature = env
        .head
        .as_ref()
        .and_then(|h| h.get("signature"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or((
            "501",
            "Invalid request: head.signature is required".to_owned(),
        ))?;
    if !checksum::verify_string(env.body.get(), &state.keys.paytm_key, signature) {
        return Err(("330", "Paytm checksum mismatch".to_owned()));
    }
    let body: Value = serde_json::from_str(env.body.get())
        .map_err(|e| ("501", format!("Invalid request: body: {e}")))?;
    if body.is_object() {
        Ok(body)
    } else {
        Err((
            "501",
            "Invalid request: body must be a JSON object".to_owned(),
        ))
    }
}

/// The string members `names` of `body`, or `501` naming the first missing one.
fn members<const N: usize>(
    body: &Value,
    names: [&str; N],
) -> Result<[String; N], (&'static str, String)> {
    let mut out = [const { String::new() }; N];
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = body
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                (
                    "501",
                    format!("Invalid request: {name} is required (a non-empty string)"),
                )
            })?
            .to_owned();
    }
    Ok(out)
}

/// The request's `body` members as sent, verified or not (`""` when absent), to echo
/// in an answer that refuses it.
fn echo(req: &Req) -> impl Fn(&str) -> String {
    let body = serde_json::from_slice::<Value>(&req.body)
        .ok()
        .and_then(|v| v.get("body").cloned())
        .unwrap_or(Value::Null);
    move |k| body.get(k).and_then(Value::as_str).unwrap_or("").to_owned()
}

/// `POST /paytm/refund/apply`.
pub fn apply(state: &Arc<State>, req: &Req) -> Resp {
    state.with(|i| i.bump("paytm.refund_apply"));
    let text = echo(req);
    let fail = |code: &str, msg: &str| {
        state.with(|i| i.bump("paytm.refund_rejected"));
        let b = ApplyBody {
            txn_timestamp: txn_date(unix_ms()),
            order_id: text("orderId"),
            mid: text("mid"),
            ref_id: text("refId"),
            result_info: ResultInfo {
                status: "TXN_FAILURE",
                code,
                msg,
            },
            refund_id: None,
            txn_id: text("txnId"),
            refund_amount: text("refundAmount"),
        };
        signed_answer(state, &b)
    };
    let body = match verified_body(state, req) {
        Ok(b) => b,
        Err((code, msg)) => return fail(code, &msg),
    };
    let names = [
        "mid",
        "txnType",
        "orderId",
        "txnId",
        "refId",
        "refundAmount",
    ];
    let [mid, txn_type, order_id, txn_id, ref_id, amount] = match members(&body, names) {
        Ok(m) => m,
        Err((code, msg)) => return fail(code, &msg),
    };
    if txn_type != "REFUND" {
        return fail("501", "Invalid request: txnType must be \"REFUND\"");
    }
    if !ct_eq(mid.as_bytes(), state.config.paytm.mid.as_bytes()) {
        return fail("335", "Invalid MID");
    }
    let outcome = state.with(|i| i.paytm.refund_outcome);
    let decided = state.with(
        // The refusal: Paytm's code and message, and for 617 the existing refund.
        |i| -> Result<Refund, (&'static str, &'static str, Option<Box<Refund>>)> {
            if let Some(r) = i.paytm.refunds.iter().find(|r| r.ref_id == ref_id) {
                return Err(("617", "Refund Already Raised", Some(Box::new(r.clone()))));
            }
            let txn: Txn = i
                .paytm
                .txns
                .iter()
                .find(|t| t.order_id == order_id && t.txn_id == txn_id)
                .cloned()
                .ok_or(("334", "Invalid Order Id", None))?;
            if txn.status != "TXN_SUCCESS" {
                return Err(("626", "Txn not in success state", None));
            }
            let want =
                paise(&amount)
                    .filter(|p| *p > 0)
                    .ok_or(("619", "Invalid refund amount", None))?;
            let taken: u64 = i
                .paytm
                .refunds
                .iter()
                .filter(|r| r.txn_id == txn.txn_id && r.status != "TXN_FAILURE")
                .map(|r| r.paise)
                .sum();
            let left = paise(&txn.txn_amount).unwrap_or(0).saturating_sub(taken);
            if want > left {
                return Err(("619", "Invalid refund amount", None));
            }
            let r = Refund {
                ref_id: ref_id.clone(),
                refund_id: i.next_id("REF"),
                order_id: order_id.clone(),
                txn_id: txn.txn_id.clone(),
                txn_amount: txn.txn_amount.clone(),
                refund_amount: amount.clone(),
                paise: want,
                status: "PENDING".into(),
                outcome,
                txn_timestamp: txn.txn_date.clone(),
            };
            i.paytm.refunds.push(r.clone());
            i.bump("paytm.refund_created");
            Ok(r)
        },
    );
    let r = match decided {
        Ok(r) => r,
        Err(("617", msg, Some(existing))) => {
            state.with(|i| i.bump("paytm.refund_rejected"));
            return signed_answer(
                state,
                &apply_body(state, &existing, "TXN_FAILURE", "617", msg),
            );
        }
        Err((code, msg, _)) => return fail(code, msg),
    };
    if let (Some(ms), false) = (
        state.config.paytm.refund_settle_ms,
        outcome == RefundOutcome::Pending,
    ) {
        let ref_id = r.ref_id.clone();
        after(state, ms, move |s| {
            // A control may have settled it first; that is fine.
            let _ = settle(s, &ref_id, outcome);
        });
    }
    signed_answer(
        state,
        &apply_body(
            state,
            &r,
            "PENDING",
            "601",
            "Refund request was raised for this transaction. But it is pending state",
        ),
    )
}

fn apply_body<'a>(
    state: &State,
    r: &Refund,
    status: &'a str,
    code: &'a str,
    msg: &'a str,
) -> ApplyBody<'a> {
    ApplyBody {
        txn_timestamp: r.txn_timestamp.clone(),
        order_id: r.order_id.clone(),
        mid: state.config.paytm.mid.clone(),
        ref_id: r.ref_id.clone(),
        result_info: ResultInfo { status, code, msg },
        refund_id: Some(r.refund_id.clone()),
        txn_id: r.txn_id.clone(),
        refund_amount: r.refund_amount.clone(),
    }
}

/// Settles the still-pending refund `ref_id` to `outcome` (`Pending` leaves it); the
/// settled record, or why not.
pub fn settle(state: &State, ref_id: &str, outcome: RefundOutcome) -> Result<Refund, String> {
    let status = match outcome {
        RefundOutcome::Success => "TXN_SUCCESS",
        RefundOutcome::Failure => "TXN_FAILURE",
        RefundOutcome::Pending => return Err("outcome: must be success or failure".into()),
    };
    state.with(|i| {
        let r = i
            .paytm
            .refunds
            .iter_mut()
            .find(|r| r.ref_id == ref_id)
            .ok_or_else(|| format!("ref_id: no Paytm refund {ref_id}"))?;
        // Decided under the lock: a control and the timer cannot both settle it.
        if r.status != "PENDING" {
            return Err(format!("ref_id: refund {ref_id} is already {}", r.status));
        }
        status.clone_into(&mut r.status);
        let r = r.clone();
        i.bump(if outcome == RefundOutcome::Success {
            "paytm.refund_settled"
        } else {
            "paytm.refund_failed"
        });
        Ok(r)
    })
}

/// `POST /paytm/v2/refund/status`.
pub fn status(state: &Arc<State>, req: &Req) -> Resp {
    state.with(|i| i.bump("paytm.refund_status"));
    let text = echo(req);
    let fail = |code: &str, msg: &str| {
        let b = StatusBody {
            order_id: text("orderId"),
            mid: text("mid"),
            ref_id: text("refId"),
            result_info: Some(ResultInfo {
                status: "TXN_FAILURE",
                code,
                msg,
            }),
            ..StatusBody::default()
        };
        signed_answer(state, &b)
    };
    let body = match verified_body(state, req) {
        Ok(b) => b,
        Err((code, msg)) => return fail(code, &msg),
    };
    let [mid, order_id, ref_id] = match members(&body, ["mid", "orderId", "refId"]) {
        Ok(m) => m,
        Err((code, msg)) => return fail(code, &msg),
    };
    if !ct_eq(mid.as_bytes(), state.config.paytm.mid.as_bytes()) {
        return fail("335", "Invalid MID");
    }
    let found = state.with(|i| {
        i.paytm
            .refunds
            .iter()
            .find(|r| r.ref_id == ref_id && r.order_id == order_id)
            .cloned()
    });
    let Some(r) = found else {
        return fail("631", "Record not found");
    };
    let (status, code, msg) = match r.status.as_str() {
        "TXN_SUCCESS" => ("TXN_SUCCESS", "10", "Refund Successfull"),
        "TXN_FAILURE" => ("TXN_FAILURE", "631", "Refund failed at bank"),
        _ => (
            "PENDING",
            "601",
            "Refund request was raised for this transaction. But it is pending state",
        ),
    };
    let b = StatusBody {
        order_id: r.order_id.clone(),
        mid: state.config.paytm.mid.clone(),
        ref_id: r.ref_id.clone(),
        refund_id: Some(r.refund_id.clone()),
        txn_id: Some(r.txn_id.clone()),
        txn_amount: Some(r.txn_amount.clone()),
        refund_amount: Some(r.refund_amount.clone()),
        result_info: Some(ResultInfo { status, code, msg }),
    };
    signed_answer(state, &b)
}

#[cfg(test)]
mod tests {
    use super::{paise, rupees};
    use crate::checksum::{generate_string_with_salt, verify_string};
    use crate::vectors::{case_str, cases};

    /// `head.signature` as Paytm's own library makes it over a body's text
    /// (`tests/vectors/crypto/paytm_checksum_text.json`, paytmchecksum 1.7.0).
    #[test]
    fn string_checksums_match_paytms_library() {
        let all = cases("paytm_checksum_text.json");
        assert!(all.len() >= 20);
        for c in all {
            let (text, key) = (
                case_str(&c, "text"),
                case_str(&c, "merchant_key").as_bytes(),
            );
            let want = case_str(&c, "checksum");
            assert_eq!(
                generate_string_with_salt(text, key, case_str(&c, "salt")).unwrap(),
                want,
                "{c}"
            );
            assert!(verify_string(text, key, want));
            assert!(!verify_string(&format!("{text} "), key, want));
        }
    }

    #[test]
    fn rupee_amounts() {
        for (s, p) in [
            ("2", 200),
            ("2.0", 200),
            ("2.00", 200),
            ("0.5", 50),
            ("10.05", 1005),
        ] {
            assert_eq!(paise(s), Some(p), "{s}");
        }
        for s in ["", "2.", ".5", "-1", "2.001", "1e3", " 2", "2,00", "１"] {
            assert_eq!(paise(s), None, "{s:?}");
        }
        assert_eq!(rupees(1005), "10.05");
        assert_eq!(rupees(0), "0.00");
    }
}
