//! Issue 7, adversarial callbacks (SPEC 3.4: verified before parsing, checked against
//! the order, refused and logged, order untouched): for each channel (paytm,
//! lianshang, pingpp, wallet) at least 40 hostile variants of a genuine callback are
//! sent to the real edge. The genuine callback is for an open order whose provider
//! would confirm it — so any variant the edge wrongly accepted would move that order.
//!
//! Variants, generated per channel from the genuine message: signatures flipped,
//! truncated, emptied, re-encoded (bad base64, URL-safe alphabet, spaces), missing, or
//! made with another key; fields (amount, currency, order id, status) changed after
//! signing; bodies bit-flipped and truncated at spread positions, over 64 KiB, with bad
//! UTF-8, broken JSON / form encoding, a duplicated member; wrong content types;
//! duplicated and folded headers sent over a raw socket; and validly signed messages
//! that must still be refused: wrong amount, wrong currency, unknown order, another
//! channel's order. Each must be answered with a non-2xx status and change nothing
//! (`GET /v1/orders/:id` and `/events`). Replays of old genuine events for an order in
//! another state are answered as success (SPEC 3.4: providers retry until they see
//! it) and must change nothing either. At the end the sandbox has received no webhook
//! and no S0 relay beyond those owed before the attack.
#![allow(clippy::unwrap_used, clippy::panic)]

mod callbacks_support;

use std::io::{Read, Write};
use std::net::TcpStream;

use base64::Engine as _;
use callbacks_support::{
    json_msg, lianshang_notify, paytm_fields, paytm_resigned, paytm_signed, Msg, World,
};
use kassa_shared::crypto::{rsa_sig, signed_json, PrivateKey, SignAlg};
use kassa_tests::sandbox::config::{fixture_pem, fixtures as f};
use serde_json::{json, Value};

/// One hostile request: a message, or raw bytes for a raw socket.
struct Case {
    name: String,
    msg: Msg,
    raw: Option<Vec<u8>>,
}

fn case(name: impl Into<String>, msg: Msg) -> Case {
    Case {
        name: name.into(),
        msg,
        raw: None,
    }
}

fn key(path: &str) -> PrivateKey {
    PrivateKey::parse(&fixture_pem(path).unwrap()).unwrap()
}

/// Where a channel's signature lives, and how to put another one there.
#[derive(Clone, Copy)]
enum Sig {
    /// Paytm: the `CHECKSUMHASH` form field.
    Form,
    /// Lianshang, wallet: the `sign` member.
    Member,
    /// Ping++: the `X-Pingplusplus-Signature` header.
    Header,
}

fn get_sig(m: &Msg, sig: Sig) -> String {
    match sig {
        Sig::Form => form_urlencoded::parse(&m.body)
            .find(|(k, _)| k == "CHECKSUMHASH")
            .map(|(_, v)| v.into_owned())
            .unwrap(),
        Sig::Member => serde_json::from_slice::<Value>(&m.body).unwrap()["sign"]
            .as_str()
            .unwrap()
            .to_owned(),
        Sig::Header => m.headers[0].1.clone(),
    }
}

/// `m` with its signature replaced by `s` (`None`: removed).
fn set_sig(m: &Msg, sig: Sig, s: Option<&str>) -> Msg {
    let mut out = m.clone();
    match sig {
        Sig::Form => {
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (k, v) in paytm_fields(m) {
                ser.append_pair(&k, &v);
            }
            if let Some(s) = s {
                ser.append_pair("CHECKSUMHASH", s);
            }
            out.body = ser.finish().into_bytes();
        }
        Sig::Member => {
            let mut v: Value = serde_json::from_slice(&m.body).unwrap();
            match s {
                Some(s) => v["sign"] = json!(s),
                None => {
                    v.as_object_mut().unwrap().remove("sign");
                }
            }
            out.body = v.to_string().into_bytes();
        }
        Sig::Header => match s {
            Some(s) => out.headers[0].1 = s.to_owned(),
            None => out.headers.clear(),
        },
    }
    out
}

fn replace_char(s: &str, at: usize) -> String {
    s.char_indices()
        .map(|(i, c)| {
            if i == at {
                if c == 'A' {
                    'B'
                } else {
                    'A'
                }
            } else {
                c
            }
        })
        .collect()
}

/// Signature variants: flipped at spread positions, truncated, emptied, re-encoded,
/// missing, and one made with another key (`impostor`).
fn signature_cases(m: &Msg, sig: Sig, impostor: Msg) -> Vec<Case> {
    let s = get_sig(m, sig);
    let n = s.trim_end_matches('=').len();
    let mut cases: Vec<Case> = [0, 1, 2, n / 3, n / 2, n - 3]
        .into_iter()
        .map(|at| {
            case(
                format!("signature flipped at {at}"),
                set_sig(m, sig, Some(&replace_char(&s, at))),
            )
        })
        .collect();
    for (name, t) in [
        ("signature truncated to half", s[..s.len() / 2].to_owned()),
        (
            "signature minus its last 4 characters",
            s[..s.len() - 4].to_owned(),
        ),
        // White space and missing `=` padding are tolerated on purpose (Java signers'
        // MIME output, `rsa_sig::verify`): the same signature bytes, not a forgery. A
        // missing *data* character is a broken signature.
        (
            "signature minus its last data character",
            s.trim_end_matches('=')[..n - 1].to_owned(),
        ),
        ("signature empty", String::new()),
        ("signature not base64", format!("!!{}", &s[2..])),
        (
            "signature with a `*` inside",
            format!("{}*{}", &s[..10], &s[10..]),
        ),
        (
            "signature in the URL-safe alphabet",
            s.replace('+', "-").replace('/', "_") + "-",
        ),
        ("signature doubled", format!("{s}{s}")),
    ] {
        cases.push(case(name, set_sig(m, sig, Some(&t))));
    }
    cases.push(case("signature missing", set_sig(m, sig, None)));
    cases.push(case("signed with another key", impostor));
    cases
}

/// Body variants: bit flips and truncations at spread positions, oversized, bad UTF-8,
/// wrong content types.
fn body_cases(m: &Msg, json_body: bool) -> Vec<Case> {
    let len = m.body.len();
    let mut cases = Vec::new();
    for k in 0..10 {
        let at = k * (len - 1) / 9;
        let mut b = m.clone();
        // Bit 0: never maps a character to an equivalent spelling (hex digit case is
        // bit 5), so every flip changes what the message says.
        b.body[at] ^= 1;
        cases.push(case(format!("bit 0 flipped at byte {at}"), b));
    }
    for k in 1..=6 {
        let mut b = m.clone();
        b.body.truncate(len * k / 7);
        cases.push(case(format!("truncated to {}/7", k), b));
    }
    let mut b = m.clone();
    b.body.truncate(len - 1);
    cases.push(case("last byte cut", b));
    for (name, size) in [
        ("body of 64 KiB + 1", 64 * 1024 + 1),
        ("body of 200 KiB", 200 * 1024),
    ] {
        let mut b = m.clone();
        let pad = if json_body { b' ' } else { b'&' };
        b.body.resize(size, pad);
        cases.push(case(name, b));
    }
    let mut b = m.clone();
    let at = b.body.iter().position(|&c| c.is_ascii_digit()).unwrap();
    b.body.splice(at..at, [0xFF, 0xFE]);
    cases.push(case("invalid UTF-8 inside a value", b));
    let mut b = m.clone();
    b.body.insert(len / 2, 0);
    cases.push(case("NUL byte in the body", b));
    let wrong_types: &[&str] = if json_body {
        &[
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
        ]
    } else {
        &[
            "text/plain",
            "application/json",
            "multipart/form-data; boundary=x",
            "application/octet-stream",
        ]
    };
    for ct in wrong_types {
        let mut b = m.clone();
        b.content_type = (*ct).to_owned();
        cases.push(case(format!("content type {ct}"), b));
    }
    cases
}

/// Raw-socket variants: duplicated and folded headers, a declared length that cuts the
/// body, chunked framing beside a length; for Ping++ also a second signature header.
fn header_cases(m: &Msg, path: &str, host: &str, sig: Sig) -> Vec<Case> {
    let raw = |name: &str, length: usize, extra_headers: &str| {
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {length}\r\n{extra_headers}"
        );
        for (k, v) in &m.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&m.body);
        Case {
            name: name.to_owned(),
            msg: m.clone(),
            raw: Some(bytes),
        }
    };
    let (ct, len) = (&m.content_type, m.body.len());
    let mut cases = vec![
        raw(
            "Content-Type twice",
            len,
            &format!("Content-Type: {ct}\r\nContent-Type: text/plain\r\n"),
        ),
        raw(
            "Content-Type folded onto a second line",
            len,
            &format!("Content-Type: text/plain\r\n {ct}\r\n"),
        ),
        raw(
            "Content-Length 5 short",
            len - 5,
            &format!("Content-Type: {ct}\r\n"),
        ),
        raw(
            "Transfer-Encoding beside Content-Length",
            len,
            &format!("Content-Type: {ct}\r\nTransfer-Encoding: chunked\r\n"),
        ),
    ];
    if let Sig::Header = sig {
        cases.push(raw(
            "a second signature header",
            len,
            &format!("Content-Type: {ct}\r\nX-Pingplusplus-Signature: AAAA\r\n"),
        ));
    }
    cases
}

/// Sends a raw request; returns the status of the first answer (0 when the server
/// closed without one). Reads only the status line: the server may keep the socket.
fn send_raw(url: &str, bytes: &[u8]) -> u16 {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    s.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let mut chunk = [0u8; 512];
    while !out.windows(2).any(|w| w == b"\r\n") {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
        }
    }
    let text = String::from_utf8_lossy(&out);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Sends every case at `target`, each refused with nothing changed.
fn attack(w: &World, channel: &str, target: &str, cases: &[Case]) {
    assert!(cases.len() >= 40, "{channel}: only {} cases", cases.len());
    let before = w.snapshot(target);
    for c in cases {
        let started = std::time::Instant::now();
        let (status, answer) = match &c.raw {
            Some(raw) => (send_raw(&w.url, raw), String::new()),
            None => w.send(&c.msg),
        };
        assert!(
            !(200..300).contains(&status),
            "{channel}: {}: accepted ({status} {answer}): {}",
            c.name,
            String::from_utf8_lossy(&c.msg.body)
        );
        if started.elapsed().as_secs() >= 1 {
            println!("{channel}: {}: {:?} ({status})", c.name, started.elapsed());
        }
        assert_eq!(
            w.snapshot(target),
            before,
            "{channel}: {}: order changed",
            c.name
        );
    }
    println!("{channel}: {} hostile callbacks refused", cases.len());
}

/// Replays of genuine, already applied events: answered as success, nothing changes.
fn replays(w: &World, channel: &str, order: &str, msgs: &[Msg]) {
    let before = w.snapshot(order);
    for m in msgs {
        let (s, body) = w.send(m);
        assert_eq!(s, 200, "{channel}: replay: {body}");
        assert_eq!(
            w.snapshot(order),
            before,
            "{channel}: a replay changed the order"
        );
    }
}

fn pingpp_sign(body: &[u8], key: &PrivateKey) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(rsa_sig::sign_raw(key, SignAlg::Rsa2, body).unwrap())
}

fn signed_json_msg(path: &str, mut v: Value, key: &PrivateKey) -> Msg {
    v.as_object_mut().unwrap().remove("sign");
    signed_json::sign(&mut v, None, key, SignAlg::Rsa2).unwrap();
    json_msg(path, &v)
}

/// Field tampering after signing (the signature stays), for JSON messages.
fn tampered_json(m: &Msg, edits: &[(&str, &str, Value)]) -> Vec<Case> {
    edits
        .iter()
        .map(|(name, pointer, value)| {
            let mut v: Value = serde_json::from_slice(&m.body).unwrap();
            *v.pointer_mut(pointer).unwrap() = value.clone();
            let mut b = m.clone();
            b.body = v.to_string().into_bytes();
            case(format!("{name} changed after signing"), b)
        })
        .collect()
}

#[test]
fn hostile_callbacks_change_nothing() {
    let w = World::start("proof-adversarial", &[]);
    let impostor = key(f::IMPOSTOR_PRIVATE);
    let host = w.url.trim_start_matches("http://").to_owned();

    // ---- Paytm.
    let paytm_target = w.create("paytm", &json!({"amount": 200, "currency": "INR"}));
    let r = w.start_attempt(&paytm_target, 11);
    w.paytm_txn(&r, "2.00");
    let genuine = w.paytm_callback(&r, "success");
    // Another order, paid after a failed attempt: its old events get replayed.
    let paytm_old = w.create("paytm", &json!({"amount": 200, "currency": "INR"}));
    let (o1, o2) = (
        w.start_attempt(&paytm_old, 21),
        w.start_attempt(&paytm_old, 22),
    );
    w.paytm_txn(&o1, "2.00");
    let old_fail = w.paytm_callback(&o1, "fail");
    w.paytm_txn(&o2, "2.00");
    let old_ok = w.paytm_callback(&o2, "success");
    assert_eq!(w.send(&old_fail).0, 200);
    assert_eq!(w.send(&old_ok).0, 200);
    assert_eq!(w.order(&paytm_old)["status"], "succeeded");
    let other_key = vec![b'w'; f::PAYTM_KEY.len()];
    let mut paytm_cases = signature_cases(
        &genuine,
        Sig::Form,
        paytm_signed(&paytm_fields(&genuine), &other_key),
    );
    paytm_cases.extend(body_cases(&genuine, false));
    paytm_cases.extend(header_cases(&genuine, "/callbacks/paytm", &host, Sig::Form));
    let hash = get_sig(&genuine, Sig::Form);
    for (field, value) in [
        ("TXNAMOUNT", "20.00"),
        ("CURRENCY", "USD"),
        ("ORDERID", paytm_old.as_str()),
        ("STATUS", "TXN_FAILURE"),
    ] {
        let mut fields = paytm_fields(&genuine);
        fields.iter_mut().find(|(k, _)| k == field).unwrap().1 = value.to_owned();
        let mut m = paytm_signed(&fields, f::PAYTM_KEY.as_bytes());
        m = set_sig(&m, Sig::Form, Some(&hash));
        paytm_cases.push(case(format!("{field} changed after signing"), m));
    }
    let mut dup = genuine.clone();
    dup.body
        .extend_from_slice(format!("&ORDERID={paytm_old}").as_bytes());
    paytm_cases.push(case("ORDERID twice", dup));
    let mut bad_pct = genuine.clone();
    bad_pct.body.extend_from_slice(b"&X=%zz");
    paytm_cases.push(case("bad percent-encoding", bad_pct));
    let unknown = format!("{}A1", 476_682_884_348_973_312_u64);
    for (name, changes) in [
        ("validly signed, wrong amount", vec![("TXNAMOUNT", "2.01")]),
        ("validly signed, wrong currency", vec![("CURRENCY", "USD")]),
        (
            "validly signed, unknown order",
            vec![("ORDERID", unknown.as_str())],
        ),
        // The status API knows this transaction under another TXNID: not confirmed.
        (
            "validly signed, unconfirmed TXNID",
            vec![("TXNID", "T-forged")],
        ),
    ] {
        paytm_cases.push(case(name, paytm_resigned(&genuine, &changes)));
    }

    // ---- Lianshang.
    let ls_target = w.create("lianshang", &json!({"amount": 700, "currency": "CNY"}));
    let r = w.start_s3_attempt(&ls_target, 11);
    let ls = |r: &str, fen, status, id: &str, k| {
        json_msg(
            "/callbacks/lianshang",
            &lianshang_notify(r, fen, status, id, k),
        )
    };
    let genuine_ls = ls(&r, 700, "SUCCESS", "ln_t", None);
    let ls_old = w.create("lianshang", &json!({"amount": 700, "currency": "CNY"}));
    let (o1, o2) = (
        w.start_s3_attempt(&ls_old, 21),
        w.start_s3_attempt(&ls_old, 22),
    );
    let ls_old_msgs = [
        ls(&o1, 700, "FAIL", "ln_o1", None),
        ls(&o2, 700, "SUCCESS", "ln_o2", None),
    ];
    for m in &ls_old_msgs {
        assert_eq!(w.send(m).0, 200);
    }
    let mut ls_cases = signature_cases(
        &genuine_ls,
        Sig::Member,
        ls(&r, 700, "SUCCESS", "ln_t", Some(&impostor)),
    );
    ls_cases.extend(body_cases(&genuine_ls, true));
    ls_cases.extend(header_cases(
        &genuine_ls,
        "/callbacks/lianshang",
        &host,
        Sig::Member,
    ));
    ls_cases.extend(tampered_json(
        &genuine_ls,
        &[
            ("pay_amount", "/pay_amount", json!(70)),
            ("pay_currency", "/pay_currency", json!("USD")),
            ("out_trade_id", "/out_trade_id", json!(o2)),
            ("trade_status", "/trade_status", json!("FAIL")),
        ],
    ));
    let platform = key(f::S3_PLATFORM_PRIVATE);
    let ls_v: Value = serde_json::from_slice(&genuine_ls.body).unwrap();
    for (name, member, value) in [
        ("validly signed, wrong amount", "pay_amount", json!(701)),
        (
            "validly signed, wrong currency",
            "pay_currency",
            json!("USD"),
        ),
        (
            "validly signed, unknown order",
            "out_trade_id",
            json!(unknown),
        ),
        (
            "validly signed, unknown status",
            "trade_status",
            json!("MAYBE"),
        ),
        (
            "validly signed, paytm order",
            "out_trade_id",
            json!(format!("{paytm_target}A11")),
        ),
    ] {
        let mut v = ls_v.clone();
        v[member] = value;
        ls_cases.push(case(
            name,
            signed_json_msg("/callbacks/lianshang", v, &platform),
        ));
    }
    let mut dup = genuine_ls.clone();
    let text = String::from_utf8(dup.body.clone()).unwrap();
    dup.body = text.replacen('{', "{\"pay_amount\":1,", 1).into_bytes();
    ls_cases.push(case("a member twice", dup));

    // ---- Ping++.
    let pp_target = w.create("pingpp", &json!({"amount": 500, "currency": "CNY"}));
    let r = w.start_attempt(&pp_target, 11);
    let charge = w.pingpp_charge(&r, 500, "cny");
    let genuine_pp = w.pingpp_event(&charge, "charge.succeeded");
    // Paid through the edge, then refunded through it: a refund settles an order only
    // when Kassa asked Ping++ for it (issue 14).
    let (pp_old, pp_old_secret) =
        w.create_with_secret("pingpp", &json!({"amount": 500, "currency": "CNY"}));
    w.pay(&pp_old, &pp_old_secret);
    let o1 = w.last_record("pingpp/charges", "order_no", &pp_old)["order_no"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_paid = w.pingpp_event(&pp_old, "charge.succeeded");
    assert_eq!(w.send(&old_paid).0, 200);
    let pp_old_msgs = [old_paid, w.requested_refund(&pp_old)];
    assert_eq!(w.send(&pp_old_msgs[1]).0, 200);
    assert_eq!(w.order(&pp_old)["status"], "refunded");
    let mut forged = genuine_pp.clone();
    forged.headers[0].1 = pingpp_sign(&genuine_pp.body, &impostor);
    let mut pp_cases = signature_cases(&genuine_pp, Sig::Header, forged);
    pp_cases.extend(body_cases(&genuine_pp, true));
    pp_cases.extend(header_cases(
        &genuine_pp,
        "/callbacks/pingpp",
        &host,
        Sig::Header,
    ));
    pp_cases.extend(tampered_json(
        &genuine_pp,
        &[
            ("amount", "/data/object/amount", json!(5)),
            ("currency", "/data/object/currency", json!("usd")),
            ("order_no", "/data/object/order_no", json!(o1)),
            ("paid", "/data/object/paid", json!(false)),
        ],
    ));
    let pingpp_key = key(f::PINGPP_PRIVATE);
    let pp_v: Value = serde_json::from_slice(&genuine_pp.body).unwrap();
    for (name, pointer, value) in [
        (
            "validly signed, wrong amount",
            "/data/object/amount",
            json!(501),
        ),
        (
            "validly signed, wrong currency",
            "/data/object/currency",
            json!("usd"),
        ),
        (
            "validly signed, unknown order",
            "/data/object/order_no",
            json!(unknown),
        ),
        (
            "validly signed, unpaid charge",
            "/data/object/paid",
            json!(false),
        ),
        (
            "validly signed, unknown charge",
            "/data/object/id",
            json!("ch_forged"),
        ),
    ] {
        let mut v = pp_v.clone();
        v["id"] = json!(format!("evt_forged_{name}").replace([' ', ','], "_"));
        *v.pointer_mut(pointer).unwrap() = value;
        let mut m = genuine_pp.clone();
        m.body = v.to_string().into_bytes();
        m.headers[0].1 = pingpp_sign(&m.body, &pingpp_key);
        pp_cases.push(case(name, m));
    }

    // ---- Wallet.
    let token = json!({"amount": "12.5", "token": "USDT"});
    let wl_target = w.create("wallet", &token);
    let r = w.start_attempt(&wl_target, 11);
    w.wallet_payment(&r, "USDT", "12.5");
    let genuine_wl = w.wallet_notify(&wl_target, "success");
    let wl_old = w.create("wallet", &token);
    let r = w.start_attempt(&wl_old, 21);
    w.wallet_payment(&r, "USDT", "12.5");
    let wl_old_msgs = [w.wallet_notify(&wl_old, "success")];
    assert_eq!(w.send(&wl_old_msgs[0]).0, 200);
    let wl_v: Value = serde_json::from_slice(&genuine_wl.body).unwrap();
    let mut wl_cases = signature_cases(
        &genuine_wl,
        Sig::Member,
        signed_json_msg("/callbacks/wallet", wl_v.clone(), &impostor),
    );
    wl_cases.extend(body_cases(&genuine_wl, true));
    wl_cases.extend(header_cases(
        &genuine_wl,
        "/callbacks/wallet",
        &host,
        Sig::Member,
    ));
    wl_cases.extend(tampered_json(
        &genuine_wl,
        &[
            ("amount", "/amount", json!("1.5")),
            ("token_id", "/token_id", json!("BTC")),
            ("order_id", "/order_id", json!(wl_old)),
            ("status", "/status", json!("FAILED")),
        ],
    ));
    let wallet_key = key(f::WALLET_PRIVATE);
    for (name, member, value) in [
        ("validly signed, wrong amount", "amount", json!("12.51")),
        ("validly signed, wrong token", "token_id", json!("ETH")),
        (
            "validly signed, unknown order",
            "order_id",
            json!("476682884348973312"),
        ),
        (
            "validly signed, paytm order",
            "order_id",
            json!(paytm_target),
        ),
        (
            "validly signed, amount with an exponent",
            "amount",
            json!("1.25e1"),
        ),
    ] {
        let mut v = wl_v.clone();
        v[member] = value;
        v["notify_id"] = json!(format!("n_forged_{member}"));
        wl_cases.push(case(
            name,
            signed_json_msg("/callbacks/wallet", v, &wallet_key),
        ));
    }

    // Quiet first: everything owed so far has arrived.
    for id in [
        &paytm_target,
        &paytm_old,
        &ls_target,
        &ls_old,
        &pp_target,
        &pp_old,
        &wl_target,
        &wl_old,
    ] {
        w.settle(id);
    }
    let hooks_before = w.counter("merchant.webhook_received");
    let relays_before = w.counter("s0.relay");

    attack(&w, "paytm", &paytm_target, &paytm_cases);
    attack(&w, "lianshang", &ls_target, &ls_cases);
    attack(&w, "pingpp", &pp_target, &pp_cases);
    attack(&w, "wallet", &wl_target, &wl_cases);
    replays(&w, "paytm", &paytm_old, &[old_fail, old_ok]);
    replays(&w, "lianshang", &ls_old, &ls_old_msgs);
    replays(&w, "pingpp", &pp_old, &pp_old_msgs);
    replays(&w, "wallet", &wl_old, &wl_old_msgs);

    // Nothing was owed, so nothing more may arrive (give stray deliveries a moment).
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(w.counter("merchant.webhook_received"), hooks_before);
    assert_eq!(w.counter("s0.relay"), relays_before);
    // The genuine callbacks still work: the targets were only ever one message away.
    assert_eq!(w.send(&genuine_ls).0, 200);
    assert_eq!(w.order(&ls_target)["status"], "succeeded");
    // Refusals of an existing order are audited.
    let audit = w.events(&paytm_target)["audit"].as_array().unwrap().len();
    // Not every case can name its order (a truncated or oversized body, a broken
    // socket request), but most do.
    assert!(audit >= 30, "paytm target audit: {audit}");
}
