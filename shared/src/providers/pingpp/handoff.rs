//! Where a Ping++ charge sends the shopper, exactly as Ping++'s browser SDK `pingpp-js`
//! (`createPayment(charge)`) decides it, so the widget needs no Ping++ script:
//!
//! - `livemode: false` (a test key's charge): every channel goes to Ping++'s mock
//!   payment page, `{mock}?ch_id=…&scheme=http&channel=…&order_no=…&time_expire=…&extra=<JSON>`
//!   (`src/testmode.js`; `extra` is the charge's `extra` as JSON text). `{mock}` is
//!   `http://sissi.pingxx.com/mock.php` in pingpp-js; Kassa makes it configuration so
//!   the sandbox can stand in for it.
//! - `livemode: true`, `alipay_wap`: Alipay's gateway, `credential.alipay_wap.channel_url`
//!   when the credential names one, else `https://mapi.alipay.com/gateway.do` (or the
//!   old `wappaygw` URL for a `req_data` credential), with every credential member but
//!   `channel_url` as the query (`src/channels/alipay_wap.js`).
//! - `livemode: true`, `wx_pub`: WeChat's JSAPI inside the WeChat app only — not a web
//!   page, so [`HandoffError::Unsupported`].
//!
//! Only the charge's public members are read; a charge holds no secret of the merchant.

use serde_json::Value;

use crate::surfaces::handoff::{Handoff, HandoffError};

/// Ping++'s own mock page, as pingpp-js names it.
pub const MOCK_URL: &str = "http://sissi.pingxx.com/mock.php";
const ALIPAY_WAP_URL: &str = "https://mapi.alipay.com/gateway.do";
const ALIPAY_WAP_URL_OLD: &str = "https://wappaygw.alipay.com/service/rest.htm";

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn field<'a>(charge: &'a Value, name: &'static str) -> Result<&'a Value, HandoffError> {
    charge.get(name).ok_or(HandoffError::Charge {
        field: name,
        reason: "missing from the charge",
    })
}

/// The hand-off for `charge` (the object Ping++ answered charge creation with).
///
/// # Errors
/// A charge without the members pingpp-js requires (`id`, `channel`, `livemode`,
/// `credential`), a mock or channel URL that is not a web URL, or a live channel that
/// needs an app.
pub fn handoff(charge: &Value, mock_url: &str) -> Result<Handoff, HandoffError> {
    let id = field(charge, "id")?.as_str().ok_or(HandoffError::Charge {
        field: "id",
        reason: "must be a string",
    })?;
    let channel = field(charge, "channel")?
        .as_str()
        .ok_or(HandoffError::Charge {
            field: "channel",
            reason: "must be a string",
        })?;
    let livemode = field(charge, "livemode")?
        .as_bool()
        .ok_or(HandoffError::Charge {
            field: "livemode",
            reason: "must be a boolean",
        })?;
    let credential = field(charge, "credential")?;
    if !livemode {
        let mut query = vec![
            ("ch_id", id.to_owned()),
            ("scheme", "http".to_owned()),
            ("channel", channel.to_owned()),
        ];
        if let Some(no) = charge.get("order_no").and_then(text) {
            query.push(("order_no", no));
        }
        if let Some(t) = charge.get("time_expire").and_then(text) {
            query.push(("time_expire", t));
        }
        if let Some(extra) = charge.get("extra") {
            query.push(("extra", extra.to_string()));
        }
        return Handoff::navigate(
            "pingpp mock url",
            mock_url,
            query.iter().map(|(k, v)| (*k, v.as_str())),
        );
    }
    match channel {
        "alipay_wap" => {
            let c = credential
                .get("alipay_wap")
                .and_then(Value::as_object)
                .ok_or(HandoffError::Charge {
                    field: "credential.alipay_wap",
                    reason: "missing or not an object",
                })?;
            let base = if c.contains_key("req_data") {
                ALIPAY_WAP_URL_OLD.to_owned()
            } else if let Some(url) = c.get("channel_url").and_then(Value::as_str) {
                url.to_owned()
            } else {
                ALIPAY_WAP_URL.to_owned()
            };
            let mut query: Vec<(String, String)> = c
                .iter()
                .filter(|(k, _)| k.as_str() != "channel_url")
                .filter_map(|(k, v)| text(v).map(|v| (k.clone(), v)))
                .collect();
            let wap_service = c.get("service").and_then(Value::as_str)
                == Some("alipay.wap.create.direct.pay.by.user");
            if !c.contains_key("_input_charset") && (wap_service || c.contains_key("req_data")) {
                query.push(("_input_charset".to_owned(), "utf-8".to_owned()));
            }
            Handoff::navigate(
                "credential.alipay_wap.channel_url",
                &base,
                query.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            )
        }
        other => Err(HandoffError::Unsupported {
            channel: other.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::surfaces::handoff::Method;

    fn query(url: &str) -> Vec<(String, String)> {
        let q = url.split_once('?').map_or("", |(_, q)| q);
        form_urlencoded::parse(q.as_bytes()).into_owned().collect()
    }

    #[test]
    fn a_test_mode_charge_goes_to_the_mock_page_with_what_pingpp_js_sends() {
        let charge = json!({
            "id": "ch_1", "object": "charge", "livemode": false, "channel": "wx_pub",
            "order_no": "7A9", "time_expire": 1_800_000_000,
            "extra": {"open_id": "o_1"}, "credential": {"object": "credential", "wx_pub": {}},
        });
        let h = handoff(&charge, "http://127.0.0.1:9/pingpp/mock.php").unwrap();
        assert_eq!(h.method, Method::Get);
        assert!(h.url.starts_with("http://127.0.0.1:9/pingpp/mock.php?"));
        assert_eq!(
            query(&h.url),
            [
                ("ch_id", "ch_1"),
                ("scheme", "http"),
                ("channel", "wx_pub"),
                ("order_no", "7A9"),
                ("time_expire", "1800000000"),
                ("extra", r#"{"open_id":"o_1"}"#),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn a_live_alipay_wap_charge_goes_to_its_channel_url_without_it_in_the_query() {
        let charge = json!({
            "id": "ch_2", "livemode": true, "channel": "alipay_wap",
            "credential": {"object": "credential", "alipay_wap": {
                "channel_url": "https://pay.example/gateway.do",
                "service": "alipay.wap.create.direct.pay.by.user",
                "out_trade_no": "7A9", "total_fee": "1.00", "sign": "s+/=",
            }},
        });
        let h = handoff(&charge, MOCK_URL).unwrap();
        assert!(h.url.starts_with("https://pay.example/gateway.do?"));
        let q = query(&h.url);
        assert!(q.iter().all(|(k, _)| k != "channel_url"));
        assert!(q.contains(&("sign".into(), "s+/=".into())));
        assert!(q.contains(&("_input_charset".into(), "utf-8".into())));
        let without_url = json!({"id": "ch_3", "livemode": true, "channel": "alipay_wap",
            "credential": {"alipay_wap": {"out_trade_no": "1"}}});
        assert!(handoff(&without_url, MOCK_URL)
            .unwrap()
            .url
            .starts_with(ALIPAY_WAP_URL));
    }

    #[test]
    fn what_a_web_page_cannot_open_is_refused_by_name() {
        let live_wx = json!({"id": "ch_4", "livemode": true, "channel": "wx_pub",
            "credential": {"wx_pub": {}}});
        assert_eq!(
            handoff(&live_wx, MOCK_URL),
            Err(HandoffError::Unsupported {
                channel: "wx_pub".into()
            })
        );
        let no_credential = json!({"id": "ch_5", "livemode": false, "channel": "alipay_wap"});
        assert_eq!(
            handoff(&no_credential, MOCK_URL),
            Err(HandoffError::Charge {
                field: "credential",
                reason: "missing from the charge"
            })
        );
        let bad_mock = json!({"id": "ch_6", "livemode": false, "channel": "alipay_wap",
            "credential": {}});
        assert!(matches!(
            handoff(&bad_mock, "javascript:x"),
            Err(HandoffError::Url { .. })
        ));
    }
}
