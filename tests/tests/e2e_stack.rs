//! The demo's wiring, without a browser: the stack `cargo xtask dev` runs
//! (`kassa_tests::e2e::stack`, same files, same code, free ports) lets a shopper really
//! pay on every channel — which proves the generated development keys on both sides
//! match (`edge/.dev.vars` ⇄ `edge/.dev.sandbox.json`): S0 accepts the edge's
//! credentials, the wallet and Ping++ accept its API keys and their signed callbacks
//! verify at the edge, Paytm's form checksum verifies at the sandbox and the result the
//! shopper's browser carries back verifies at the edge, S3's cashier takes the edge's
//! `pay_token`, and the demo backend verifies the edge's webhooks. Nothing completes on
//! its own: the test acts as the shopper on each provider's page (plain HTTP, no
//! redirects followed, so every hop is checked). The requests go the way the page sends
//! them: through the demo backend (`/demo/orders`, `/demo/outbox`) and to the widget API
//! with the demo's `Origin`.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::{Duration, Instant};

use kassa_tests::e2e::stack::{Ports, Stack};
use kassa_tests::harness::{agent, read_json, TempDir};
use serde_json::{json, Value};

fn counter(stack: &Stack, name: &str) -> u64 {
    stack.sandbox.counter(name)
}

/// Creates an order through the demo backend: (id, client_secret).
fn order(stack: &Stack, product: &str, user: &str) -> (String, String) {
    let (s, v) = read_json(
        agent()
            .post(format!("{}/demo/orders", stack.demo_url()))
            .send_json(json!({"product": product, "user": user})),
    )
    .unwrap();
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["edge"], stack.edge.url());
    (
        v["order"]["id"].as_str().unwrap().to_owned(),
        v["order"]["client_secret"].as_str().unwrap().to_owned(),
    )
}

/// Sends a code (as the widget does, from the demo's origin) and reads it from the demo
/// backend's view of the dev outbox; then pays, naming the shop's page `/?order={id}` as
/// the page to come back to. Answers the pay answer.
fn pay_with_sms(stack: &Stack, id: &str, secret: &str) -> Value {
    let http = agent();
    let origin = stack.demo_url();
    let widget = |path: &str, body: &Value| {
        let resp = http
            .post(format!("{}/api/payment/order/{path}", stack.edge.url()))
            .header("Authorization", &format!("Bearer {secret}"))
            .header("Origin", &origin)
            .send_json(body)
            .unwrap();
        let allowed = resp
            .headers()
            .get("Access-Control-Allow-Origin")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        assert_eq!(allowed.as_deref(), Some(origin.as_str()), "CORS for {path}");
        read_json(Ok(resp)).unwrap()
    };
    let (s, sent) = widget("send_payment_verify_code", &json!({"order_id": id}));
    assert_eq!(s, 200, "{sent}");
    let (s, outbox) = read_json(
        http.get(format!("{}/demo/outbox?order_id={id}", stack.demo_url()))
            .call(),
    )
    .unwrap();
    assert_eq!(s, 200, "{outbox}");
    let code = outbox["data"][0]["code"].as_str().unwrap().to_owned();
    let (s, paid) = widget(
        "pay",
        &json!({"order_id": id, "verify_code_order_id": sent["orderId"], "verify_code": code,
            "return_url": back_url(stack, id)}),
    );
    assert_eq!(s, 200, "{paid}");
    paid
}

/// Waits until the demo backend has received and verified `order.succeeded` for `id`,
/// and the edge says succeeded.
fn wait_paid(stack: &Stack, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, hooks) = read_json(
            agent()
                .get(format!("{}/demo/webhooks", stack.demo_url()))
                .call(),
        )
        .unwrap();
        let got = hooks["data"].as_array().unwrap().iter().any(|w| {
            w["type"] == "order.succeeded" && w["order_id"] == id && w["verified"] == true
        });
        if got {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no order.succeeded webhook for {id}: {hooks}; sandbox sent: {:?}",
            read_json(
                agent()
                    .get(format!("{}/_control/sent", stack.sandbox.url()))
                    .call()
            )
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The shop page the providers send the shopper back to.
fn back_url(stack: &Stack, id: &str) -> String {
    format!("{}/?order={id}", stack.demo_url())
}

/// An agent that follows no redirect and treats no status as an error: each hop of the
/// shopper's journey is looked at.
fn browser() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// (status, `Location`, body) of a response.
fn seen(mut r: ureq::http::Response<ureq::Body>) -> (u16, String, String) {
    let location = r
        .headers()
        .get("Location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = r.body_mut().read_to_string().unwrap_or_default();
    (r.status().as_u16(), location, body)
}

/// The hidden inputs of the first form in `html`, unescaped: (name, value).
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let unescape = |v: &str| {
        v.replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let attr = |tag: &str, name: &str| {
        tag.split(&format!("{name}=\""))
            .nth(1)
            .and_then(|r| r.split('"').next())
            .map(unescape)
    };
    html.split("<input")
        .skip(1)
        .filter_map(|tag| {
            let tag = tag.split('>').next().unwrap_or_default();
            Some((attr(tag, "name")?, attr(tag, "value")?))
        })
        .collect()
}

/// The shopper on a provider's page: opens `url` (GET), then presses the page's button
/// that posts `result=success`; answers where the provider sends the browser next.
fn approve_on_page(url: &str, action: &str, key: &str) -> (u16, String, String) {
    let (s, _, page) = seen(browser().get(url).call().unwrap());
    assert_eq!(s, 200, "{url}: {page}");
    let value = hidden_inputs(&page)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {key} on {url}: {page}"));
    seen(
        browser()
            .post(action)
            .send_form([(key, value.as_str()), ("result", "success")])
            .unwrap(),
    )
}

#[test]
fn dev_stack_pays_on_every_channel() {
    let dir = TempDir::new("e2e-stack").unwrap();
    let stack = Stack::start(Ports::free().unwrap(), dir.path(), true).unwrap();
    let sb = stack.sandbox.url().to_owned();

    // Wallet (USDT): the wallet settles the charge itself a moment later, with a signed
    // notification the edge verifies.
    let (id, secret) = order(&stack, "usdt", "20001");
    let paid = pay_with_sms(&stack, &id, &secret);
    assert_eq!(paid["status"], "PROCESSING", "{paid}");
    assert!(
        paid.get("handoff").is_none(),
        "the wallet needs no page: {paid}"
    );
    wait_paid(&stack, &id);
    assert_eq!(counter(&stack, "wallet.payment_created"), 1);
    assert!(counter(&stack, "wallet.notify.sent") >= 1);

    // Ping++ (CNY, a test-mode charge): to Ping++'s mock page as pingpp-js would go;
    // approved there, Ping++ sends its webhook and the shopper back to the shop.
    let (id, secret) = order(&stack, "tea", "20002");
    let paid = pay_with_sms(&stack, &id, &secret);
    let url = paid["handoff"]["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{sb}/pingpp/mock.php?ch_id=ch_")),
        "{paid}"
    );
    let (s, location, page) = approve_on_page(url, &format!("{sb}/pingpp/mock.php"), "ch_id");
    assert_eq!(
        (s, location.as_str()),
        (303, back_url(&stack, &id).as_str()),
        "{page}"
    );
    wait_paid(&stack, &id);
    assert_eq!(counter(&stack, "pingpp.charge_created"), 1);

    // S3 (CNY): to the cashier with the trade's pay_token; approved there, the platform
    // notifies the edge and sends the shopper to the order's callback_url.
    let (id, secret) = order(&stack, "mooncake", "20004");
    let paid = pay_with_sms(&stack, &id, &secret);
    let url = paid["handoff"]["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{sb}/s3/cashier?pay_token=")),
        "{paid}"
    );
    let (s, location, page) = approve_on_page(url, &format!("{sb}/s3/cashier"), "pay_token");
    assert_eq!(
        (s, location.as_str()),
        (303, back_url(&stack, &id).as_str()),
        "{page}"
    );
    wait_paid(&stack, &id);

    // Paytm: the signed form goes to the sandbox's process page (checksum verified
    // there), the shopper presses Pay, and Paytm's answer page posts the signed result
    // from the shopper's browser to the edge's CALLBACK_URL; the edge verifies it,
    // confirms it with the status API and sends the browser back to the shop.
    let (id, secret) = order(&stack, "chai", "20003");
    let paid = pay_with_sms(&stack, &id, &secret);
    let form = &paid["handoff"];
    assert_eq!(form["method"], "POST");
    assert_eq!(form["url"], format!("{sb}/paytm/theia/processTransaction"));
    let params: Vec<(String, String)> = form["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let (s, _, page) = seen(
        browser()
            .post(form["url"].as_str().unwrap())
            .send_form(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .unwrap(),
    );
    assert_eq!(s, 200, "{page}");
    let txn_id = hidden_inputs(&page)
        .into_iter()
        .find(|(k, _)| k == "txn_id")
        .map(|(_, v)| v)
        .unwrap();
    let (s, _, answer) = seen(
        browser()
            .post(format!("{sb}/paytm/theia/complete"))
            .send_form([("txn_id", txn_id.as_str()), ("result", "success")])
            .unwrap(),
    );
    assert_eq!(s, 200, "{answer}");
    let callback_url = format!("{}/callbacks/paytm", stack.edge.url());
    assert!(
        answer.contains(&format!("action=\"{callback_url}\"")),
        "{answer}"
    );
    let result = hidden_inputs(&answer);
    assert!(
        result
            .iter()
            .any(|(k, v)| k == "STATUS" && v == "TXN_SUCCESS"),
        "{answer}"
    );
    let (s, location, page) = seen(
        browser()
            .post(&callback_url)
            .header("Accept", "text/html")
            .header("Sec-Fetch-Mode", "navigate")
            .send_form(result.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .unwrap(),
    );
    assert_eq!(
        (s, location.as_str()),
        (303, back_url(&stack, &id).as_str()),
        "{page}"
    );
    wait_paid(&stack, &id);
    assert_eq!(counter(&stack, "paytm.checksum_rejected"), 0);

    // S0 saw a risk check per pay with the edge's credentials, and none refused.
    assert_eq!(counter(&stack, "s0.prepay_check"), 4);
    assert_eq!(counter(&stack, "s0.auth_rejected"), 0);
}
