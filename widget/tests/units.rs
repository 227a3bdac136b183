//! Formatting, i18n tables, code sanitising and request building: the pure parts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kassa_shared::id::Id;
use kassa_shared::money::{Currency, Money};
use kassa_shared::surfaces::s2::status::{Locale, Status};
use kassa_shared::surfaces::s2::wire::{LoadPayDataResponse, Order};
use kassa_widget::api::{classify_error, decode, ApiError, Client, IdempotencyKey, Method};
use kassa_widget::components::amount::{format_fiat, format_token, AmountValue};
use kassa_widget::components::code_input::{sanitize_pasted_code, sanitize_typed_code};
use kassa_widget::components::countdown::format_remaining;
use kassa_widget::hooks::parse_status_message;
use kassa_widget::i18n::{t, table, tf, Key};
use kassa_widget::options::check_edge;
use kassa_widget::wire::{PayAnswer, QuickPayAnswer};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn fiat_through_intl() {
    let m = Money::new(Currency::Cny, 12_345);
    assert_eq!(format_fiat(m, Locale::ZhCn), "¥123.45");
    assert_eq!(format_fiat(m, Locale::EnUs), "CN¥123.45");
    assert_eq!(
        format_fiat(Money::new(Currency::Usd, 250), Locale::EnUs),
        "$2.50"
    );
    // JPY has no minor unit; grouping from Intl, no float anywhere.
    assert_eq!(
        format_fiat(Money::new(Currency::Jpy, 1_234_567), Locale::EnUs),
        "¥1,234,567"
    );
    // Exact beyond f64's 2^53: the string goes to Intl, not a number.
    assert_eq!(
        format_fiat(
            Money::new(Currency::Usd, 9_007_199_254_740_993),
            Locale::EnUs
        ),
        "$90,071,992,547,409.93"
    );
}

/// An S2 line names fiat by its ISO code (`tokenId: "CNY"`, `amount: "123.45"`): that
/// is money for `Intl`, not a token the table does not know (the shipped summary once
/// read "123.45 CNY (unknown amount)").
#[wasm_bindgen_test]
fn fiat_lines_are_money() {
    assert_eq!(
        AmountValue::from_line("CNY", "123.45"),
        AmountValue::Fiat(Money::new(Currency::Cny, 12_345))
    );
    assert_eq!(
        AmountValue::from_line("INR", "10.00"),
        AmountValue::Fiat(Money::new(Currency::Inr, 1_000))
    );
    assert_eq!(
        AmountValue::from_line("JPY", "1000"),
        AmountValue::Fiat(Money::new(Currency::Jpy, 1_000))
    );
    assert_eq!(
        format_fiat(Money::new(Currency::Inr, 1_000), Locale::EnUs),
        "₹10.00"
    );
    assert_eq!(
        format_fiat(Money::new(Currency::Jpy, 1_000), Locale::ZhCn),
        "JP¥1,000"
    );
    // A token, and fiat with more decimals than the currency has, stay as sent.
    assert_eq!(
        AmountValue::from_line("USDT", "12.5"),
        AmountValue::Token {
            symbol: "USDT".into(),
            amount: "12.5".into()
        }
    );
    assert!(matches!(
        AmountValue::from_line("CNY", "1.234"),
        AmountValue::Token { .. }
    ));
}

#[wasm_bindgen_test]
fn tokens_exact() {
    assert_eq!(
        format_token("amount", "BTC", "0.1575").unwrap(),
        "0.1575 BTC"
    );
    assert_eq!(format_token("amount", "USDT", "100").unwrap(), "100 USDT");
    assert_eq!(
        format_token("amount", "ETH", "0.000000000000000001").unwrap(),
        "0.000000000000000001 ETH"
    );
    let err = format_token("amount", "BTC", "0.123456789")
        .unwrap_err()
        .to_string();
    assert!(err.contains("amount"), "{err}");
    assert!(format_token("amount", "DOGE", "1").is_err());
}

#[wasm_bindgen_test]
fn i18n_tables_complete() {
    for locale in [Locale::ZhCn, Locale::EnUs] {
        let tab = table(locale);
        for key in Key::ALL {
            let n = tab.iter().filter(|(k, _)| *k == key).count();
            assert_eq!(n, 1, "{locale:?} has {n} entries for {key:?}");
            assert!(!t(locale, key).is_empty(), "{locale:?} {key:?} is empty");
        }
        assert_eq!(tab.len(), Key::ALL.len(), "{locale:?}: extra entries");
    }
    // Placeholders survive translation.
    for locale in [Locale::ZhCn, Locale::EnUs] {
        let s = tf(locale, Key::WrongCodeAttempts, &[("n", "3")]);
        assert!(s.contains('3') && !s.contains("{n}"), "{s}");
    }
    // A value is inserted as text (never expanded again); an unknown or missing
    // placeholder stays as written.
    assert_eq!(
        tf(Locale::EnUs, Key::CodeSentTo, &[("to", "a{to}b")]),
        "Code sent to a{to}b."
    );
    assert_eq!(tf(Locale::EnUs, Key::CodeSentTo, &[]), "Code sent to {to}.");
    assert_eq!(
        tf(
            Locale::EnUs,
            Key::ExpiresIn,
            &[("to", "x"), ("time", "1:00")]
        ),
        "Expires in 1:00"
    );
    assert_eq!(Status::WaitForPayment.label(Locale::ZhCn), "待支付");
}

#[wasm_bindgen_test]
fn code_paste_and_typing() {
    assert_eq!(sanitize_pasted_code("123456").as_deref(), Some("123456"));
    assert_eq!(
        sanitize_pasted_code(" 123 456\n").as_deref(),
        Some("123456")
    );
    assert_eq!(sanitize_pasted_code("123-456").as_deref(), Some("123456"));
    assert_eq!(sanitize_pasted_code("12a456"), None);
    assert_eq!(sanitize_pasted_code("12345"), None);
    assert_eq!(sanitize_pasted_code("1234567"), None);
    assert_eq!(sanitize_pasted_code("١٢٣٤٥٦"), None, "non-ASCII digits");
    assert_eq!(sanitize_typed_code("12ab34567"), "123456");
}

#[wasm_bindgen_test]
fn countdown_text() {
    assert_eq!(format_remaining(0), "0:00");
    assert_eq!(format_remaining(65), "1:05");
    assert_eq!(format_remaining(3_601), "1:00:01");
}

fn client() -> Client {
    Client::new(
        "https://edge.example/",
        "kcs_test",
        Id::parse("order_id", "476682884348973312").unwrap(),
    )
}

fn header<'a>(h: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
}

#[wasm_bindgen_test]
fn request_building() {
    let c = client();
    let r = c.load_pay_data();
    assert_eq!(r.method, Method::Get);
    assert_eq!(
        r.href(),
        "https://edge.example/api/payment/order/load_pay_data?order_id=476682884348973312"
    );
    assert_eq!(header(&r.headers, "Authorization"), Some("Bearer kcs_test"));
    assert_eq!(r.body, None);

    let r = c.send_verify_code();
    assert_eq!(r.method, Method::Post);
    assert_eq!(
        r.url,
        "https://edge.example/api/payment/order/send_payment_verify_code"
    );
    assert_eq!(
        r.body.as_deref(),
        Some(r#"{"order_id":"476682884348973312"}"#)
    );
    assert_eq!(header(&r.headers, "Idempotency-Key"), None);

    let key = IdempotencyKey::from_bytes([0xab; 16]);
    let r = c.pay(&key, "123456", Some(Id::new(1_532_327_586_794).unwrap()));
    assert_eq!(r.url, "https://edge.example/api/payment/order/pay");
    assert_eq!(
        header(&r.headers, "Idempotency-Key"),
        Some("abababababababababababababababab")
    );
    assert_eq!(header(&r.headers, "Content-Type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"order_id": "476682884348973312",
            "verify_code_order_id": "1532327586794", "verify_code": "123456"})
    );
    // GA: no code-send id at all.
    let r = c.pay(&key, "123456", None);
    let body: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"order_id": "476682884348973312", "verify_code": "123456"})
    );

    let r = c.quick_pay(&key);
    assert_eq!(r.url, "https://edge.example/api/payment/order/quick_pay");
    assert_eq!(
        r.body.as_deref(),
        Some(r#"{"order_id":"476682884348973312"}"#)
    );
    assert_eq!(header(&r.headers, "Idempotency-Key"), Some(key.as_str()));

    assert_eq!(
        c.events_url(),
        "wss://edge.example/api/payment/order/events?order_id=476682884348973312"
    );
    let local = Client::new("http://127.0.0.1:8787", "s", Id::new(1).unwrap());
    assert!(local
        .events_url()
        .starts_with("ws://127.0.0.1:8787/api/payment/order/events?order_id="));

    // The device id rides on what the risk engine reads (load, pay, quick_pay), and
    // only there; escaped in the query.
    let d = client().with_device(Some("0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f".to_owned()));
    assert_eq!(
        d.load_pay_data().href(),
        "https://edge.example/api/payment/order/load_pay_data?order_id=476682884348973312\
         &device_id=0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
    );
    let with_device = |r: kassa_widget::api::ApiRequest| {
        let body: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
        body["device_id"].clone()
    };
    assert_eq!(
        with_device(d.quick_pay(&key)),
        "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
    );
    assert_eq!(
        with_device(d.pay(&key, "123456", None)),
        "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
    );
    assert_eq!(with_device(d.send_verify_code()), serde_json::Value::Null);
    let odd = client().with_device(Some("a b&c".to_owned()));
    assert!(odd.load_pay_data().href().ends_with("&device_id=a+b%26c"));
}

#[wasm_bindgen_test]
fn idempotency_keys_are_random() {
    let a = IdempotencyKey::generate().unwrap();
    let b = IdempotencyKey::generate().unwrap();
    assert_eq!(a.as_str().len(), 32);
    assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(a, b);
}

/// The edge's real envelope (`edge/src/error.rs`): `{status, code, message, field,
/// retry_after_ms?, attempts_left?}`.
#[wasm_bindgen_test]
fn error_classification() {
    assert_eq!(
        classify_error(
            400,
            r#"{"status":400,"code":"wrong_verify_code","message":"verify_code: wrong code; 3 attempts left","field":"verify_code","attempts_left":3}"#
        ),
        ApiError::WrongCode {
            attempts_left: Some(3)
        }
    );
    // The wrong code that used the last attempt locked the order.
    assert_eq!(
        classify_error(
            400,
            r#"{"status":400,"code":"wrong_verify_code","field":"verify_code","attempts_left":0}"#
        ),
        ApiError::Locked {
            retry_after_ms: None
        }
    );
    // An expired or used code: back to the code step, no count.
    assert_eq!(
        classify_error(
            400,
            r#"{"status":400,"code":"parameter_invalid","message":"verify_code: expired","field":"verify_code"}"#
        ),
        ApiError::WrongCode {
            attempts_left: None
        }
    );
    assert_eq!(
        classify_error(
            429,
            r#"{"status":429,"code":"order_locked","message":"verify_code: locked","field":null,"retry_after_ms":899000}"#
        ),
        ApiError::Locked {
            retry_after_ms: Some(899_000)
        }
    );
    assert_eq!(
        classify_error(
            429,
            r#"{"status":429,"code":"code_send_too_soon","field":null,"retry_after_ms":41000}"#
        ),
        ApiError::Throttled {
            retry_after_ms: Some(41_000)
        }
    );
    assert!(matches!(
        classify_error(
            409,
            r#"{"status":409,"code":"order_not_payable","message":"order_id: the order is expired","field":null}"#
        ),
        ApiError::OrderClosed { .. }
    ));
    assert!(matches!(
        classify_error(409, r#"{"status":409,"code":"s0_refused","field":null}"#),
        ApiError::Declined { .. }
    ));
    assert!(matches!(
        classify_error(
            403,
            r#"{"status":403,"code":"forbidden","message":"velocity_user"}"#
        ),
        ApiError::Declined { .. }
    ));
    let e = classify_error(409, r#"{"status":409,"code":"payment_in_progress"}"#);
    assert!(e.retryable(), "{e}");
    let e = classify_error(502, "<html>bad gateway</html>");
    assert!(e.retryable(), "{e}");
    assert!(matches!(e, ApiError::Http { status: 502, .. }));
    // A retry_after_ms that is not an exact integer is ignored, never rounded.
    assert_eq!(
        classify_error(429, r#"{"code":"order_locked","retry_after_ms":1.5}"#),
        ApiError::Locked {
            retry_after_ms: None
        }
    );
    assert!(!classify_error(400, r#"{"code":"parameter_invalid","field":"order_id"}"#).retryable());
    // The user's authenticator locked across orders: the locked screen, with its wait.
    assert_eq!(
        classify_error(429, r#"{"code":"ga_locked","retry_after_ms":899000}"#),
        ApiError::Locked {
            retry_after_ms: Some(899_000)
        }
    );
}

fn order_json() -> serde_json::Value {
    serde_json::json!({
        "orderId": "476682884348973312", "clientOrderId": "A1",
        "payerUserId": 83_214_971_450_163_u64, "payeeUserId": "231215678785585152",
        "isMapping": false,
        "payInfo": [{"itemId": "1", "payType": "PAY", "tokenId": "USDT", "amount": "100",
            "paidAmount": "0", "refundedAmount": "0", "unlockedAmount": "0"}],
        "productInfo": [], "status": "WAIT_FOR_PAYMENT", "statusDesc": "待支付",
        "expired": "1571561027984", "created": 1_571_560_000_000_u64, "updated": "1571560000000"
    })
}

/// `JSON.parse` + `wire.rs`: the S2 rules (ids and times from strings or exact
/// integers, amounts only as strings), errors naming the field.
#[wasm_bindgen_test]
fn decoding_answers() {
    let o: Order = decode(&order_json().to_string(), "pay").unwrap();
    assert_eq!(o.order_id.get(), 476_682_884_348_973_312);
    assert_eq!(o.payer_user_id, "83214971450163");
    assert_eq!(o.payee_user_id, "231215678785585152");
    assert_eq!(
        (o.expired, o.created),
        (1_571_561_027_984, 1_571_560_000_000)
    );
    assert_eq!(o.pay_info[0].amount, "100");
    assert_eq!(o.status, Status::WaitForPayment);

    let bad = |path: &str, value: serde_json::Value| {
        let mut j = order_json();
        let mut at = &mut j;
        let parts: Vec<&str> = path.split('.').collect();
        for p in &parts[..parts.len() - 1] {
            at = match p.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[*p],
            };
        }
        at[parts[parts.len() - 1]] = value;
        let e = decode::<Order>(&j.to_string(), "pay").unwrap_err();
        let ApiError::Decode { reason, .. } = e else {
            unreachable!("{path}: {e:?}")
        };
        reason
    };
    assert_eq!(
        bad("payInfo.0.amount", serde_json::json!(100)),
        "pay.payInfo[0].amount: must be a string"
    );
    assert_eq!(
        bad("expired", serde_json::json!(1.5)),
        "pay.expired: must be an exact integer"
    );
    // Above 2^53 a JSON number has already lost digits: refused.
    assert_eq!(
        bad("orderId", serde_json::json!(476_682_884_348_973_312_u64)),
        "pay.orderId: must be an exact integer"
    );
    assert_eq!(
        bad("status", serde_json::json!("PAID")),
        "pay.status: unknown value"
    );
    assert_eq!(
        bad("clientOrderId", serde_json::Value::Null),
        "pay.clientOrderId: missing"
    );
    // User ids are the merchant's text; a number only when exact (SPEC 2).
    assert_eq!(
        bad("payerUserId", serde_json::json!("")),
        "pay.payerUserId: must not be empty"
    );
    assert_eq!(
        bad("payerUserId", serde_json::json!(83_214_971_450_163_201_u64)),
        "pay.payerUserId: must be an exact integer"
    );
    assert_eq!(
        bad("payerUserId", serde_json::json!(-3)),
        "pay.payerUserId: must not be negative"
    );
    assert_eq!(
        bad("payeeUserId", serde_json::Value::Null),
        "pay.payeeUserId: missing"
    );
    assert!(matches!(
        decode::<Order>("<html>", "pay"),
        Err(ApiError::Decode { what: "pay", .. })
    ));

    // quick_pay: quoted booleans as the seed's example has them; a hand-off.
    let q: QuickPayAnswer =
        decode(r#"{"processIsEnd":"false","need2FA":"true"}"#, "quick_pay").unwrap();
    assert!(q.answer.need_2fa && !q.answer.process_is_end && q.handoff.is_none());
    let mut j = order_json();
    j["handoff"] = serde_json::json!({"method": "POST",
        "url": "http://127.0.0.1:9/theia/processTransaction",
        "fields": {"MID": "m1", "CHECKSUMHASH": "a+b/c="}});
    let p: PayAnswer = decode(&j.to_string(), "pay").unwrap();
    let form = p.handoff.unwrap();
    assert!(form.post);
    assert_eq!(form.url, "http://127.0.0.1:9/theia/processTransaction");
    assert!(form
        .fields
        .contains(&("CHECKSUMHASH".into(), "a+b/c=".into())));
    // A navigation has no fields; only web pages are destinations.
    j["handoff"] = serde_json::json!({"method": "GET", "url": "http://127.0.0.1:9/pingpp/mock.php?ch_id=ch_1"});
    let p: PayAnswer = decode(&j.to_string(), "pay").unwrap();
    let nav = p.handoff.unwrap();
    assert!(!nav.post && nav.fields.is_empty());
    j["handoff"]["url"] = "javascript:alert(1)".into();
    assert!(decode::<PayAnswer>(&j.to_string(), "pay").is_err());
    j["handoff"] = serde_json::json!({"method": "PUT", "url": "http://127.0.0.1:9/"});
    assert!(decode::<PayAnswer>(&j.to_string(), "pay").is_err());
}

/// An order for a merchant's text user id (`alice`, as the edge's merchant API allows)
/// loads: `payerUserId` and `userInfo.userId` are text, the order id stays exact.
#[wasm_bindgen_test]
fn text_user_ids_load() {
    let mut order = order_json();
    order["payerUserId"] = "alice@shop.example".into();
    order["payeeUserId"] = "0".into();
    let text = serde_json::json!({
        "orderInfo": order,
        "userInfo": {"userId": "alice@shop.example", "registerType": 0, "email": "a***@shop.example",
            "bindGA": false, "bindTradePwd": false, "userType": 0, "verifyStatus": 0},
        "need2FA": true, "authType": "EMAIL"
    })
    .to_string();
    let d: LoadPayDataResponse = decode(&text, "load_pay_data").unwrap();
    assert_eq!(d.user_info.user_id, "alice@shop.example");
    assert_eq!(d.order_info.payer_user_id, "alice@shop.example");
    assert_eq!(d.order_info.order_id.get(), 476_682_884_348_973_312);
}

/// Bodies are serialised by serde (serde-wasm-bindgen, then `JSON.stringify`): a code
/// or return page with quotes, backslashes and control characters arrives intact.
#[wasm_bindgen_test]
fn request_bodies_escape_strings() {
    let key = IdempotencyKey::from_bytes([1; 16]);
    let odd = "x\"y\\z\n\u{1}é";
    let r = client().pay(&key, odd, None);
    let body = r.body.unwrap();
    assert!(
        body.contains(r#""verify_code":"x\"y\\z\n\u0001é""#),
        "{body}"
    );
    let back: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(back["verify_code"], odd);
}

#[wasm_bindgen_test]
fn pushed_status_messages() {
    assert_eq!(
        parse_status_message(r#"{"status":"COMPLETED","statusDesc":"已完成"}"#),
        Some(Status::Completed)
    );
    // The edge's push: its canonical status beside the S2 code (outbox.rs).
    assert_eq!(
        parse_status_message(r#"{"order_id":"1","status":"succeeded","s2_status":1,"seq":2}"#),
        Some(Status::Completed)
    );
    assert_eq!(parse_status_message(r#"{"type":"ping"}"#), None);
    assert_eq!(parse_status_message("not json"), None);
}

/// The hex default of `--kassa-<name>` in `css` (minified by `build.rs`): the first
/// `var(--kassa-name,#xxxxxx)`, or for `dark` the `.kassa-dark` block's `--kassa-name:#xxxxxx`.
fn colour(css: &str, name: &str, dark: bool) -> [f64; 3] {
    let hex = if dark {
        let block = &css[css.find(".kassa-dark{").unwrap()..];
        let block = &block[..block.find('}').unwrap()];
        let needle = format!("--kassa-{name}:#");
        let at = block.find(&needle).unwrap() + needle.len();
        &block[at..at + 6]
    } else {
        let needle = format!("var(--kassa-{name},#");
        let at = css.find(&needle).unwrap() + needle.len();
        &css[at..at + 6]
    };
    let c = |i: usize| f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
    [c(0), c(2), c(4)]
}

/// WCAG 2.x relative luminance and contrast ratio.
fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
    let lum = |c: [f64; 3]| {
        let l = c.map(|v| {
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        });
        0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2]
    };
    let (x, y) = (lum(a), lum(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// SPEC 8 / issue: text ≥ 4.5:1 (WCAG AA), borders and focus ring ≥ 3:1 (non-text), in
/// both schemes, computed from the stylesheet the widget adopts.
#[wasm_bindgen_test]
fn default_theme_contrast() {
    let css = kassa_widget::STYLE;
    for dark in [false, true] {
        let c = |n: &str| colour(css, n, dark);
        for (fg, bg, min) in [
            ("fg", "bg", 4.5),
            ("muted", "bg", 4.5),
            ("ok", "bg", 4.5),
            ("error", "bg", 4.5),
            ("accent-fg", "accent", 4.5),
            ("border", "bg", 3.0),
            ("focus", "bg", 3.0),
        ] {
            let ratio = contrast(c(fg), c(bg));
            assert!(ratio >= min, "dark={dark}: {fg} on {bg} is {ratio:.2}:1");
        }
    }
}

/// Issue 14: the widget refuses a plain-HTTP edge outside this machine.
#[wasm_bindgen_test]
fn edge_must_be_https_outside_localhost() {
    for ok in [
        "https://edge.example",
        "https://10.0.0.1:8443/",
        "http://localhost:8787",
        "http://LOCALHOST/",
        "http://127.0.0.1:8787/",
        "http://127.1.2.3",
        "http://[::1]:8787",
    ] {
        assert_eq!(check_edge(ok), Ok(()), "{ok}");
    }
    for bad in [
        "http://edge.example",
        "http://192.168.1.10:8787",
        "http://localhost.attacker.example",
        "http://127.0.0.1.attacker.example/",
        "http://localhost@attacker.example/",
        "http://[::2]/",
        "ftp://edge.example",
        "//edge.example",
        "",
    ] {
        assert!(check_edge(bad).is_err(), "{bad}");
    }
}
