//! S3 Lianshang (seed S3 "创建订单" and "签名、加密机制"; SPEC 3.5, 4.1, 4.2):
//! `POST /s3/pai/createPayOrder`.
//!
//! The request `{"res_data": "..."}` is decrypted with the platform private key (k−11
//! blocks, gunzipped when `compress_type` is "1", which must agree with the payload),
//! then the merchant's signature is verified with the merchant public key — all with the
//! sandbox's own [`crate::crypto`] and [`crate::signed_json`], from seed 003. The answer is plain JSON
//! `{"newBaseResponseData": {...}, "newBizResponseData": {result_code, pay_token,
//! wk_trade_id, security_type, sign}}` signed with the platform private key — RSA2,
//! unless the request itself used "RSA". Failures are signed too, with `result_code`:
//! `DECRYPT_ERROR` (undecryptable / not JSON), `SIGN_ERROR` (bad signature),
//! `PARAM_ERROR` (missing field), `SYSTEM_ERROR` (scripted).
//!
//! **Cashier (Kassa's decision; the seed defines no cashier URL).** `createPayOrder`
//! answers a `pay_token`; the shopper's browser goes to **`GET
//! /s3/cashier?pay_token=…`**, which shows the trade (merchant order `out_trade_id`,
//! amount, the `product_subject` names) with **Approve** and **Decline** buttons (plain
//! forms `POST /s3/cashier`, fields `pay_token` and `result` = `success` | `fail`) and an
//! **Abandon** link to the request's `merchant_url` (seed: "放弃支付,返回前一页", so no
//! notify). Approve: the trade becomes SUCCESS and the signed notify below goes server
//! to server to `notify_url`, then the browser is sent (303) to `callback_url` (seed:
//! "支付完成跳转地址"); Decline: the trade FAILs, the FAIL notify goes, then 303 to
//! `callback_url`. Without a usable `callback_url` the answer is a 200 page. An unknown
//! `pay_token` is a 404 page, a finished trade 409.
//!
//! **Notify (Kassa's decision; the seed defines none).** On the cashier's Approve /
//! Decline, or `/_control/s3/complete`, the sandbox POSTs this JSON to the request's
//! `notify_url`:
//!
//! ```json
//! {"notify_id": "ln_..", "merchant_id": "yx001", "out_trade_id": "..",
//!  "wk_trade_id": "wk_..", "pay_amount": 200, "pay_currency": "CNY",
//!  "trade_status": "SUCCESS" | "FAIL", "notify_time": "<unix ms>",
//!  "security_type": "RSA2", "sign": "<base64>"}
//! ```
//!
//! signed as SPEC 4.1 (the message minus `sign`/`security_type`, RFC 8785, with the
//! platform private key, `sign`/`security_type` at top level), verifiable with the
//! platform public key. `notify_id` is
//! stable per trade and outcome, so duplicates are recognisable.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};

use super::crypto::{gunzip, is_gzip, PrivateKey, SignAlg};
use super::outbound::{Delivery, Sent};
use super::pages::{button_form, esc, major, page, redirectable};
use super::signed_json;

use super::outbound::{self, Complete, Tamper};
use super::server::{Outcome, Req, Resp, Script, State};

/// A created trade.
#[derive(Debug, Clone, Serialize)]
pub struct Trade {
    pub wk_trade_id: String,
    pub pay_token: String,
    pub merchant_id: String,
    pub out_trade_id: String,
    pub pay_amount: u64,
    pub pay_currency: String,
    pub notify_url: String,
    /// Where an abandoning shopper goes back to (seed: `merchant_url`).
    pub merchant_url: Option<String>,
    /// Where the browser goes after the cashier (seed: `callback_url`).
    pub callback_url: Option<String>,
    /// `product_subject[].channel_goods_subject`, shown on the cashier.
    pub goods: Vec<String>,
    pub security_type: &'static str,
    pub trade_status: Option<String>,
}

#[derive(Default)]
pub struct S3State {
    pub script: Script,
    pub auto: Option<outbound::Auto>,
    pub trades: Vec<Trade>,
}

/// `/s3/{rest}`.
pub fn handle(state: &Arc<State>, req: &Req, rest: &str) -> Resp {
    if rest == "cashier" {
        return match req.method.as_str() {
            "GET" => cashier(state, req),
            "POST" => cashier_decide(state, req),
            _ => Resp::method_not_allowed(&req.method, &req.path),
        };
    }
    if rest != "pai/createPayOrder" {
        return Resp::not_found(&req.path);
    }
    if req.method != "POST" {
        return Resp::method_not_allowed(&req.method, &req.path);
    }
    create_pay_order(state, req)
}

/// A signed answer; `base` echoes the request's `newBaseData` when there was one.
fn answer(state: &State, base: Option<&Value>, biz: Value, alg: SignAlg) -> Resp {
    let mut base = base.cloned().unwrap_or_else(|| {
        json!({"version": "", "platform": "", "request_id": "", "service_name": "CreatePayOrder",
               "language": 0, "merchant_id": "", "time_stamp": "", "compress_type": "0"})
    });
    // The response itself travels uncompressed and in clear.
    if let Some(b) = base.as_object_mut() {
        b.insert("compress_type".into(), Value::String("0".into()));
    }
    let mut msg = json!({ "newBaseResponseData": base });
    msg["newBizResponseData"] = biz;
    match signed_json::sign(
        &mut msg,
        Some("newBizResponseData"),
        &state.keys.s3_platform_priv,
        alg,
    ) {
        Ok(()) => Resp::json(200, &msg),
        Err(e) => Resp::json(
            500,
            &json!({"error": format!("sandbox could not sign: {e}")}),
        ),
    }
}

fn error(state: &State, base: Option<&Value>, code: &str, msg: &str, alg: SignAlg) -> Resp {
    state.with(|i| i.bump(&format!("s3.error.{code}")));
    answer(
        state,
        base,
        json!({"result_code": code, "result_msg": msg}),
        alg,
    )
}

fn create_pay_order(state: &Arc<State>, req: &Req) -> Resp {
    let envelope = match req.json() {
        Ok(v) => v,
        Err(e) => return error(state, None, "DECRYPT_ERROR", &e, SignAlg::Rsa2),
    };
    let msg = match decode_res_data(&envelope, &state.keys.s3_platform_priv) {
        Ok(m) => m,
        Err(e) => return error(state, None, "DECRYPT_ERROR", &e, SignAlg::Rsa2),
    };
    let base = msg.get("newBaseData");
    // Answer in the algorithm the request named, so a legacy "RSA" merchant can verify.
    let named = msg
        .get("newBizData")
        .and_then(|b| b.get("security_type"))
        .and_then(Value::as_str);
    let alg = named.and_then(SignAlg::parse).unwrap_or_default();
    if let Err(e) = signed_json::verify(&msg, &state.keys.s3_merchant_pub) {
        return error(state, base, "SIGN_ERROR", &e, alg);
    }
    let biz = msg.get("newBizData").cloned().unwrap_or(Value::Null);
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let (Some(out_trade_id), Some(pay_amount), Some(pay_currency), Some(notify_url)) = (
        s(biz.get("out_trade_id")),
        biz.get("pay_amount").and_then(Value::as_u64),
        s(biz.get("pay_currency")),
        s(biz.get("notify_url")),
    ) else {
        return error(
            state,
            base,
            "PARAM_ERROR",
            "newBizData: out_trade_id, pay_amount (integer), pay_currency and notify_url are required",
            alg,
        );
    };
    let merchant_id = s(base.and_then(|b| b.get("merchant_id"))).unwrap_or_default();
    let (merchant_url, callback_url) = (s(biz.get("merchant_url")), s(biz.get("callback_url")));
    let goods = biz
        .get("product_subject")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|g| g.get("channel_goods_subject").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let outcome = state.with(|i| {
        i.bump("s3.create_pay_order");
        i.s3.script.take_next()
    });
    match outcome {
        Outcome::Approve => {}
        Outcome::Slow { ms } => std::thread::sleep(Duration::from_millis(ms)),
        Outcome::Deny => return error(state, base, "SYSTEM_ERROR", "scripted failure", alg),
        Outcome::Error => return Resp::json(500, &json!({"error": "scripted 500"})),
        Outcome::Garbage => return Resp::text(200, "text/html", "<html>busy</html>"),
    }
    let (trade, auto) = state.with(|i| {
        // Same out_trade_id again: the platform answers with the same trade (idempotent).
        if let Some(t) = i.s3.trades.iter().find(|t| t.out_trade_id == out_trade_id) {
            return (t.clone(), None);
        }
        let t = Trade {
            wk_trade_id: i.next_id("wk"),
            pay_token: i.next_id("pt_"),
            merchant_id,
            out_trade_id,
            pay_amount,
            pay_currency,
            notify_url,
            merchant_url,
            callback_url,
            goods,
            security_type: alg.security_type(),
            trade_status: None,
        };
        i.bump("s3.trade_created");
        i.s3.trades.push(t.clone());
        (t, i.s3.auto.clone())
    });
    if let Some(a) = auto {
        outbound::spawn_auto(state, a.for_id(&trade.wk_trade_id), complete);
    }
    answer(
        state,
        base,
        json!({"result_code": "SUCCESS", "result_msg": "success",
               "pay_token": trade.pay_token, "wk_trade_id": trade.wk_trade_id}),
        alg,
    )
}

/// Opens `{"res_data": "..."}` (seed 003, SPEC 4.2): base64, RSA PKCS#1 v1.5 block by
/// block with the platform key, gunzip when the plaintext is gzip; the plaintext must be
/// a JSON object whose `newBaseData.compress_type` agrees ("1" exactly when gzipped).
pub fn decode_res_data(envelope: &Value, key: &PrivateKey) -> Result<Value, String> {
    let res_data = envelope
        .get("res_data")
        .and_then(Value::as_str)
        .ok_or("res_data: the body must be an object with a string res_data")?;
    let mut plain = key.decrypt_blocks(res_data)?;
    let gzip = is_gzip(&plain);
    if gzip {
        plain = gunzip(&plain)?;
    }
    let msg: Value = serde_json::from_slice(&plain)
        .map_err(|e| format!("res_data: decrypted payload is not JSON: {e}"))?;
    if !msg.is_object() {
        return Err("res_data: decrypted payload is not a JSON object".into());
    }
    let declared = msg
        .get("newBaseData")
        .and_then(|b| b.get("compress_type"))
        .and_then(Value::as_str);
    if let Some(ct) = declared {
        if (ct == "1") != gzip {
            return Err(format!(
                "newBaseData.compress_type: {ct:?} disagrees with the payload (gzip: {gzip})"
            ));
        }
    }
    Ok(msg)
}

fn trade_by_token(state: &State, token: &str) -> Option<Trade> {
    state.with(|i| i.s3.trades.iter().find(|t| t.pay_token == token).cloned())
}

fn cashier_error(state: &State, token: &str) -> Result<Trade, Resp> {
    let t = trade_by_token(state, token).ok_or_else(|| {
        page(
            404,
            "Lianshang",
            "Unknown pay_token",
            &format!("<p>No trade has pay_token {}.</p>", esc(token)),
        )
    })?;
    if let Some(status) = &t.trade_status {
        return Err(page(
            409,
            "Lianshang",
            "Trade already finished",
            &format!("<p>Trade {} is {}.</p>", esc(&t.wk_trade_id), esc(status)),
        ));
    }
    Ok(t)
}

/// `GET /s3/cashier?pay_token=…` (module docs).
fn cashier(state: &Arc<State>, req: &Req) -> Resp {
    let token = req.query_param("pay_token").unwrap_or_default();
    let t = match cashier_error(state, &token) {
        Ok(t) => t,
        Err(r) => return r,
    };
    state.with(|i| i.bump("s3.cashier_shown"));
    let amount = format!("{} {}", major(t.pay_amount), t.pay_currency);
    let goods: String = t
        .goods
        .iter()
        .map(|g| format!("<li>{}</li>", esc(g)))
        .collect();
    let abandon = t
        .merchant_url
        .as_deref()
        .filter(|u| redirectable(u))
        .map(|u| {
            format!(
                "<p><a id=\"abandon\" href=\"{}\">Abandon — back to the merchant</a></p>",
                esc(u)
            )
        })
        .unwrap_or_default();
    let fields = |result| [("pay_token", t.pay_token.as_str()), ("result", result)];
    page(
        200,
        "Lianshang",
        &format!("连尚收银台 Lianshang cashier — pay {amount}"),
        &format!(
            "<p>Merchant order <code id=\"out_trade_id\">{}</code></p>\
             <p>Amount <strong id=\"amount\">{}</strong></p><ul>{goods}</ul>{}{}{abandon}",
            esc(&t.out_trade_id),
            esc(&amount),
            button_form("/s3/cashier", &fields("success"), "Approve"),
            button_form("/s3/cashier", &fields("fail"), "Decline"),
        ),
    )
}

/// `POST /s3/cashier` (module docs).
fn cashier_decide(state: &Arc<State>, req: &Req) -> Resp {
    let form: std::collections::BTreeMap<String, String> = form_urlencoded::parse(&req.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let t = match cashier_error(state, &field("pay_token")) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let c = Complete {
        id: t.wk_trade_id.clone(),
        result: field("result"),
        tamper: Tamper::None,
        delivery: Delivery::default(),
    };
    if let Err(e) = c.success() {
        return page(
            400,
            "Lianshang",
            "Invalid request",
            &format!("<p>{}</p>", esc(&e)),
        );
    }
    let (done, _, _) = match run_complete(state, &c) {
        Ok(x) => x,
        Err(r) => return r,
    };
    state.with(|i| i.bump("s3.cashier_decided"));
    match done.callback_url.as_deref().filter(|u| redirectable(u)) {
        Some(url) => Resp::redirect(url),
        None => page(
            200,
            "Lianshang",
            "Payment finished",
            "<p>You can return to the merchant now.</p>",
        ),
    }
}

/// `/_control/s3/complete`: `id` is a `wk_trade_id` or `out_trade_id`.
pub fn complete(state: &Arc<State>, c: &Complete) -> Resp {
    match run_complete(state, c) {
        Ok((_, msg, sent)) => Resp::json(200, &outbound::report(&[msg], &sent)),
        Err(r) => r,
    }
}

/// Settles the trade and sends its signed notify as `c` says.
fn run_complete(state: &Arc<State>, c: &Complete) -> Result<(Trade, Value, Vec<Sent>), Resp> {
    let ok = c
        .success()
        .map_err(|e| Resp::json(400, &json!({"error": e})))?;
    let status = if ok { "SUCCESS" } else { "FAIL" };
    let Some(t) = state.with(|i| {
        let t =
            i.s3.trades
                .iter_mut()
                .find(|t| t.wk_trade_id == c.id || t.out_trade_id == c.id)?;
        t.trade_status = Some(status.to_owned());
        Some(t.clone())
    }) else {
        return Err(Resp::json(
            404,
            &json!({"error": format!("no S3 trade {}", c.id)}),
        ));
    };
    let mut msg = json!({
        "notify_id": format!("ln_{}_{status}", t.wk_trade_id),
        "merchant_id": t.merchant_id,
        "out_trade_id": t.out_trade_id,
        "wk_trade_id": t.wk_trade_id,
        "pay_amount": t.pay_amount,
        "pay_currency": t.pay_currency,
        "trade_status": status,
        "notify_time": super::server::unix_ms().to_string(),
    });
    match c.tamper {
        Tamper::Amount => msg["pay_amount"] = json!(t.pay_amount + 1),
        Tamper::OrderId => msg["out_trade_id"] = json!(format!("{}x", t.out_trade_id)),
        Tamper::None | Tamper::Signature | Tamper::WrongKey => {}
    }
    let alg = if t.security_type == "RSA" {
        SignAlg::Rsa
    } else {
        SignAlg::Rsa2
    };
    let key = outbound::signing_key(state, &state.keys.s3_platform_priv, c.tamper)?;
    signed_json::sign(&mut msg, None, key, alg)
        .map_err(|e| Resp::json(500, &json!({"error": format!("sign: {e}")})))?;
    outbound::tamper_sign_member(&mut msg, c.tamper);
    let out = outbound::json_message("s3.notify", &t.notify_url, &msg, Vec::new());
    let sent = outbound::dispatch(state, out, &c.delivery);
    Ok((t, msg, sent))
}
