//! The demo's wiring, without a browser: the stack `cargo xtask dev` runs
//! (`kassa_tests::e2e::stack`, same files, same code, free ports) lets a shopper really
//! pay on every channel — which proves the generated development keys on both sides
//! match (`edge/.dev.vars` ⇄ `edge/.dev.sandbox.json`): S0 accepts the edge's
//! credentials, the wallet and Ping++ accept its API keys and their signed callbacks
//! verify at the edge, Paytm's form checksum verifies at the sandbox and the sandbox's
//! callback verifies at the edge, and the demo backend verifies the edge's webhooks.
//! The requests go the way the page sends them: through the demo backend
//! (`/demo/orders`, `/demo/outbox`) and to the widget API with the demo's `Origin`.

#![allow(clippy::unwrap_used)]

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
/// backend's view of the dev outbox; then pays. Answers the pay answer.
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
        &json!({"order_id": id, "verify_code_order_id": sent["orderId"], "verify_code": code}),
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

#[test]
fn dev_stack_pays_on_every_channel() {
    let dir = TempDir::new("e2e-stack").unwrap();
    let stack = Stack::start(Ports::free().unwrap(), dir.path(), true).unwrap();

    // Wallet (USDT) and Ping++ (CNY): the sandbox completes them on its own a moment
    // later, as `cargo xtask dev` has it, with signed notifications the edge verifies.
    let (id, secret) = order(&stack, "usdt", "20001");
    let paid = pay_with_sms(&stack, &id, &secret);
    assert_eq!(paid["status"], "PROCESSING", "{paid}");
    wait_paid(&stack, &id);
    assert_eq!(counter(&stack, "wallet.payment_created"), 1);
    assert!(counter(&stack, "wallet.notify.sent") >= 1);

    let (id, secret) = order(&stack, "tea", "20002");
    pay_with_sms(&stack, &id, &secret);
    wait_paid(&stack, &id);
    assert_eq!(counter(&stack, "pingpp.charge_created"), 1);

    // Paytm: the signed form goes to the sandbox's process page (checksum verified
    // there), the shopper presses Pay, the sandbox calls the edge back (verified there,
    // confirmed through the status API) and sends the shopper back to the shop.
    let (id, secret) = order(&stack, "chai", "20003");
    let paid = pay_with_sms(&stack, &id, &secret);
    let form = &paid["handoff"];
    assert_eq!(
        form["url"],
        format!("{}/paytm/theia/processTransaction", stack.sandbox.url())
    );
    let params: Vec<(String, String)> = form["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let no_redirects: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut page = no_redirects
        .post(form["url"].as_str().unwrap())
        .send_form(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.body_mut().read_to_string().unwrap();
    let txn_id = html
        .split("name=\"txn_id\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let back = no_redirects
        .post(format!("{}/paytm/theia/complete", stack.sandbox.url()))
        .send_form([("txn_id", txn_id.as_str()), ("result", "success")])
        .unwrap();
    assert_eq!(back.status(), 303);
    let location = back
        .headers()
        .get("Location")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_owned();
    assert!(
        location.starts_with(&format!("{}/?ORDERID={id}", stack.demo_url())),
        "{location}"
    );
    wait_paid(&stack, &id);
    assert_eq!(counter(&stack, "paytm.checksum_rejected"), 0);

    // S0 saw a risk check per pay with the edge's credentials, and none refused.
    assert_eq!(counter(&stack, "s0.prepay_check"), 3);
    assert_eq!(counter(&stack, "s0.auth_rejected"), 0);
}
