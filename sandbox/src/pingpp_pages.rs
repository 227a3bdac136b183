//! The Ping++ pages a shopper meets, reached the way `pingpp-js` reaches them from a
//! charge (`src/main.js`, `src/testmode.js`, `src/channels/alipay_wap.js`), and the
//! `credential` each charge carries for that.
//!
//! - **Test mode** (`livemode: false`, every charge made with an `sk_test_` key):
//!   `pingpp-js` sends the browser to `http://sissi.pingxx.com/mock.php?ch_id=…&scheme=
//!   http&channel=…&order_no=…&time_expire=…&extra=<encodeURIComponent(JSON.stringify(
//!   extra))>`; the sandbox's stand-in is **`GET /pingpp/mock.php`** with the same query
//!   (only `ch_id` is read; the charge itself is the truth). It shows the channel, the
//!   amount and the merchant order, with **Approve** and **Decline** buttons, plain forms
//!   that `POST /pingpp/mock.php` (`ch_id`, `result` = `success` | `fail`, `referer`).
//! - **Live mode, `alipay_wap`**: the charge's `credential.alipay_wap` holds Alipay's
//!   MAPI parameters (`service` `alipay.wap.create.direct.pay.by.user`, `partner`,
//!   `_input_charset`, `notify_url`, `return_url` = `extra.success_url`, `out_trade_no`
//!   = `order_no`, `subject`, `body`, `total_fee`, `payment_type`, `seller_id`,
//!   `it_b_pay`, `sign_type` "RSA", `sign`: RSA-SHA1 with the sandbox's Ping++ key over
//!   the sorted non-empty `k=v` pairs without `sign`/`sign_type`) plus `channel_url` =
//!   `{sandbox}/pingpp/alipay/gateway.do`; `pingpp-js` sends the browser to
//!   `channel_url?<the other parameters, URI-encoded>`. **`GET
//!   /pingpp/alipay/gateway.do`** checks that `sign` (400 page `ILLEGAL_SIGN` if not),
//!   finds the charge by `out_trade_no` and shows the same page as the mock.
//! - `wx_pub` charges carry `credential.wx_pub` = `{appId, timeStamp, nonceStr,
//!   package: "prepay_id=…", signType: "HMAC-SHA256", paySign}` (WeChat JSAPI's
//!   `WeixinJSBridge` parameters; `paySign` = upper-case hex HMAC-SHA256 with the
//!   sandbox's WeChat key over `appId=…&nonceStr=…&package=…&signType=…&timeStamp=…&key=
//!   <key>`). A browser outside WeChat cannot run them, so in test mode `wx_pub` goes to
//!   the mock page like every channel.
//!
//! **Approve**: the charge becomes paid (`paid: true`, `time_paid`, `transaction_no`),
//! the signed `charge.succeeded` webhook goes server to server to
//! `pingpp.webhook_url` (before the browser is answered), then the browser is sent (303)
//! to `extra.success_url`, else to the `Referer` the page was opened from, else to a
//! "return to the merchant" page (200). **Decline**: no webhook (Ping++ sends none for
//! an unpaid charge); the charge stays `paid: false` with `failure_code:
//! "user_cancelled"` and a `failure_msg` (visible on retrieve), and the browser goes to
//! `extra.cancel_url`, else as above. An unknown charge is a 404 page, a paid one 409,
//! a declined one 409 (a retry is a new charge), an expired one (`time_expire` past)
//! 410.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::Rng as _;
use serde_json::{json, Map, Value};

use super::crypto::{hex, hmac_sha256, SignAlg};
use super::outbound::{Delivery, Tamper};
use super::pages::{button_form, esc, major, page, redirectable};
use super::pingpp::send_event;
use super::server::{unix_ms, Req, Resp, State};

/// The sandbox's Alipay partner (seller) id in credentials.
const ALIPAY_PARTNER: &str = "2088000000000001";
/// The sandbox's WeChat official account and its API key (signs `paySign`).
const WX_APP_ID: &str = "wxkassasandbox0001";
const WX_API_KEY: &str = "kassa_sandbox_wechat_api_key_32b";

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Alipay MAPI's string to sign: non-empty parameters but `sign`/`sign_type`, sorted by
/// name, `k=v` joined with `&`, unencoded.
fn alipay_signing_string(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .filter(|(k, v)| !v.is_empty() && k.as_str() != "sign" && k.as_str() != "sign_type")
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The `credential` of a new charge (module docs).
pub fn credential(state: &State, ch: &Value) -> Value {
    let channel = ch["channel"].as_str().unwrap_or_default();
    let extra = &ch["extra"];
    let inner = match channel {
        "alipay_wap" => {
            let mut p: BTreeMap<String, String> = [
                ("service", "alipay.wap.create.direct.pay.by.user".to_owned()),
                ("partner", ALIPAY_PARTNER.to_owned()),
                ("seller_id", ALIPAY_PARTNER.to_owned()),
                ("_input_charset", "utf-8".to_owned()),
                (
                    "notify_url",
                    format!(
                        "https://notify.pingxx.com/notify/charges/{}",
                        text(&ch["id"])
                    ),
                ),
                ("return_url", text(&extra["success_url"])),
                ("out_trade_no", text(&ch["order_no"])),
                ("subject", text(&ch["subject"])),
                ("body", text(&ch["body"])),
                ("total_fee", major(ch["amount"].as_u64().unwrap_or(0))),
                ("payment_type", "1".to_owned()),
                ("it_b_pay", "1h".to_owned()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            let signed = alipay_signing_string(&p);
            let sign = state
                .keys
                .pingpp_priv
                .sign_b64(SignAlg::Rsa, signed.as_bytes())
                .unwrap_or_default();
            p.insert("sign_type".into(), "RSA".into());
            p.insert("sign".into(), sign);
            let mut v: Map<String, Value> = p.into_iter().map(|(k, v)| (k, json!(v))).collect();
            v.insert(
                "channel_url".into(),
                json!(format!("{}/pingpp/alipay/gateway.do", state.base_url)),
            );
            Value::Object(v)
        }
        "wx_pub" => {
            let mut rng = rand::thread_rng();
            let nonce: String = (0..32)
                .map(|_| {
                    char::from(
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                            [rng.gen_range(0..62)],
                    )
                })
                .collect();
            let ts = (unix_ms() / 1000).to_string();
            let package = format!("prepay_id=wx{}", text(&ch["id"]).trim_start_matches("ch_"));
            let signed = format!(
                "appId={WX_APP_ID}&nonceStr={nonce}&package={package}&signType=HMAC-SHA256&timeStamp={ts}&key={WX_API_KEY}"
            );
            let pay_sign =
                hex(&hmac_sha256(WX_API_KEY.as_bytes(), &[signed.as_bytes()])).to_uppercase();
            json!({"appId": WX_APP_ID, "timeStamp": ts, "nonceStr": nonce, "package": package,
                   "signType": "HMAC-SHA256", "paySign": pay_sign})
        }
        _ => json!({}),
    };
    let mut c = Map::new();
    c.insert("object".into(), json!("credential"));
    c.insert(channel.to_owned(), inner);
    Value::Object(c)
}

/// `/pingpp/mock.php` and `/pingpp/alipay/gateway.do`.
pub fn handle(state: &Arc<State>, req: &Req) -> Resp {
    match (req.path.as_str(), req.method.as_str()) {
        ("/pingpp/mock.php", "GET") => {
            let Some(id) = req.query_param("ch_id").filter(|s| !s.is_empty()) else {
                return page(
                    400,
                    "Ping++",
                    "Invalid request",
                    "<p>Missing parameter ch_id.</p>",
                );
            };
            show(state, req, |c| c["id"] == id.as_str(), &id)
        }
        ("/pingpp/mock.php", "POST") => decide(state, req),
        ("/pingpp/alipay/gateway.do", "GET") => alipay_gateway(state, req),
        _ => Resp::method_not_allowed(&req.method, &req.path),
    }
}

fn alipay_gateway(state: &Arc<State>, req: &Req) -> Resp {
    let params: BTreeMap<String, String> = form_urlencoded::parse(req.query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let sign = params.get("sign").map_or("", String::as_str);
    let ok = params.get("sign_type").is_some_and(|t| t == "RSA")
        && state.keys.pingpp_priv.public().verify_b64(
            SignAlg::Rsa,
            alipay_signing_string(&params).as_bytes(),
            sign,
        );
    if !ok {
        state.with(|i| i.bump("pingpp.alipay_sign_rejected"));
        return page(
            400,
            "Alipay",
            "ILLEGAL_SIGN",
            "<p>sign: the parameters' RSA signature does not verify (Alipay error ILLEGAL_SIGN).</p>",
        );
    }
    let out_trade_no = params.get("out_trade_no").cloned().unwrap_or_default();
    show(
        state,
        req,
        |c| c["order_no"] == out_trade_no.as_str() && c["channel"] == "alipay_wap",
        &out_trade_no,
    )
}

/// Why a charge cannot be paid or declined now: (status, title, explanation).
fn closed(c: &Value, now: u64) -> Option<(u16, &'static str, &'static str)> {
    if c["paid"] == true {
        return Some((409, "Already paid", "This charge has been paid already."));
    }
    if !c["failure_code"].is_null() {
        return Some((
            409,
            "Payment cancelled",
            "The shopper declined this charge; a new payment needs a new charge.",
        ));
    }
    if c["time_expire"].as_u64().is_some_and(|t| t < now) {
        return Some((
            410,
            "Charge expired",
            "This charge's time_expire has passed.",
        ));
    }
    None
}

fn show(state: &Arc<State>, req: &Req, pick: impl Fn(&Value) -> bool, what: &str) -> Resp {
    let Some(c) = state.with(|i| i.pingpp.charges.iter().rev().find(|c| pick(c)).cloned()) else {
        return page(
            404,
            "Ping++",
            "No such charge",
            &format!("<p>No charge {}.</p>", esc(what)),
        );
    };
    if let Some((status, title, why)) = closed(&c, unix_ms() / 1000) {
        return page(status, "Ping++", title, &format!("<p>{}</p>", esc(why)));
    }
    state.with(|i| i.bump("pingpp.page_shown"));
    let id = text(&c["id"]);
    let channel = text(&c["channel"]);
    let referer = req
        .header("Referer")
        .filter(|r| redirectable(r))
        .unwrap_or_default();
    let amount = format!(
        "{} {}",
        major(c["amount"].as_u64().unwrap_or(0)),
        text(&c["currency"]).to_uppercase()
    );
    let fields = |result| {
        [
            ("ch_id", id.as_str()),
            ("result", result),
            ("referer", referer),
        ]
    };
    page(
        200,
        "Ping++",
        &format!("Ping++ — pay {amount} with {channel}"),
        &format!(
            "<p>Merchant order <code id=\"order_no\">{}</code></p>\
             <p>Amount <strong id=\"amount\">{}</strong></p><p>{}</p>\
             <p>Charge <code>{}</code> ({})</p>{}{}",
            esc(&text(&c["order_no"])),
            esc(&amount),
            esc(&text(&c["subject"])),
            esc(&id),
            if c["livemode"] == true {
                "live"
            } else {
                "test mode"
            },
            button_form("/pingpp/mock.php", &fields("success"), "Approve"),
            button_form("/pingpp/mock.php", &fields("fail"), "Decline"),
        ),
    )
}

fn decide(state: &Arc<State>, req: &Req) -> Resp {
    let form: BTreeMap<String, String> = form_urlencoded::parse(&req.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let field = |k: &str| form.get(k).map_or("", String::as_str);
    let (id, result) = (field("ch_id"), field("result"));
    let approve = match result {
        "success" => true,
        "fail" => false,
        other => {
            return page(
                400,
                "Ping++",
                "Invalid request",
                &format!(
                    "<p>result: expected success or fail, got {}.</p>",
                    esc(other)
                ),
            )
        }
    };
    let now = unix_ms() / 1000;
    let outcome = state.with(|i| {
        let txn = i.next_id("");
        let c = i.pingpp.charges.iter_mut().find(|c| c["id"] == id)?;
        if let Some(why) = closed(c, now) {
            return Some(Err(why));
        }
        if approve {
            c["paid"] = json!(true);
            c["time_paid"] = json!(now);
            c["transaction_no"] = json!(txn);
        } else {
            c["failure_code"] = json!("user_cancelled");
            c["failure_msg"] = json!("用户取消支付: the shopper declined on the payment page");
        }
        Some(Ok(c.clone()))
    });
    let charge = match outcome {
        None => {
            return page(
                404,
                "Ping++",
                "No such charge",
                &format!("<p>No charge {}.</p>", esc(id)),
            )
        }
        Some(Err((status, title, why))) => {
            return page(status, "Ping++", title, &format!("<p>{}</p>", esc(why)))
        }
        Some(Ok(c)) => c,
    };
    state.with(|i| {
        i.bump(if approve {
            "pingpp.page_approved"
        } else {
            "pingpp.page_declined"
        })
    });
    if approve && state.config.pingpp.webhook_url.is_some() {
        // Server to server, before the browser returns: the merchant usually knows first.
        send_event(
            state,
            "charge.succeeded",
            charge.clone(),
            Tamper::None,
            &Delivery::default(),
        );
    }
    let target = if approve { "success_url" } else { "cancel_url" };
    let back = charge["extra"][target]
        .as_str()
        .filter(|u| redirectable(u))
        .or_else(|| Some(field("referer")).filter(|u| redirectable(u)));
    match back {
        Some(url) => Resp::redirect(url),
        None => page(
            200,
            "Ping++",
            if approve {
                "Payment approved"
            } else {
                "Payment declined"
            },
            "<p>You can return to the merchant now.</p>",
        ),
    }
}
