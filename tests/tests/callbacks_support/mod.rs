//! Shared by `edge_callbacks`, `proof_duplicates` and `proof_adversarial_callbacks`: a
//! real edge under `wrangler dev` wired to the in-process sandbox (S0, Paytm, Ping++,
//! the wallet, S3's keys, the merchant receiver), merchant-API helpers, and genuine
//! provider messages to send to `/callbacks/<channel>` — produced by the sandbox itself
//! (held with `hold: true`, so the test decides when and how often they are sent) or,
//! for Lianshang attempts started by the test helper (their S3 trade recorded through
//! the helper too), signed here with the sandbox's platform key exactly as the sandbox
//! signs its notifies.
#![allow(clippy::unwrap_used, clippy::panic, dead_code)]

use std::time::{Duration, Instant};

use kassa_shared::crypto::{PrivateKey, SignAlg};
use kassa_shared::providers::lianshang::sign::sign_message;
use kassa_shared::providers::paytm::checksum::{self, Params, Salt, CHECKSUMHASH};
use kassa_tests::harness::{free_port, read_json, Edge, TempDir, MERCHANT_KEY};
use kassa_tests::sandbox::config::{fixture_pem, fixtures as f};
use kassa_tests::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use serde_json::{json, Value};

/// A provider message ready to send: where, with which headers, which bytes.
#[derive(Debug, Clone)]
pub struct Msg {
    pub path: String,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

pub struct World {
    pub sandbox: SandboxHandle,
    pub edge: Edge,
    pub url: String,
    pub sb: String,
    pub http: ureq::Agent,
    _dir: TempDir,
}

pub fn bare_base64(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

impl World {
    /// Sandbox + edge; `extra` edge variables override the defaults.
    pub fn start(tag: &str, extra: &[(&str, &str)]) -> Self {
        let dir = TempDir::new(tag).unwrap();
        let port = free_port().unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let mut cfg = SandboxConfig::for_tests().unwrap();
        cfg.pingpp.webhook_url = Some(format!("{url}/callbacks/pingpp"));
        let sandbox = Sandbox::start(cfg).unwrap();
        let sb = sandbox.url().to_owned();
        let pem = |p: &str| bare_base64(&fixture_pem(p).unwrap());
        let owned: Vec<(String, String)> = vec![
            ("KASSA_PUBLIC_URL".into(), url.clone()),
            (
                "KASSA_WEBHOOK_SECRET".into(),
                f::MERCHANT_WEBHOOK_SECRET.into(),
            ),
            ("KASSA_WEBHOOK_BACKOFF_MS".into(), "200".into()),
            ("KASSA_TEST_HELPERS".into(), "enabled".into()),
            // The shop whose pages the shopper returns to (`return_url`).
            ("KASSA_ALLOWED_ORIGINS".into(), SHOP_ORIGIN.into()),
            ("KASSA_S0_URL".into(), format!("{sb}/s0")),
            ("KASSA_S0_ACCESS_TOKEN".into(), f::S0_ACCESS_TOKEN.into()),
            ("KASSA_S0_ORG_SECRET".into(), f::S0_ORG_SECRET.into()),
            ("KASSA_WALLET_URL".into(), format!("{sb}/wallet")),
            ("KASSA_WALLET_API_KEY".into(), "wallet-key".into()),
            ("KASSA_WALLET_PUBLIC_KEY".into(), pem(f::WALLET_PUBLIC)),
            ("KASSA_PAYTM_URL".into(), format!("{sb}/paytm")),
            ("KASSA_PAYTM_MID".into(), f::PAYTM_MID.into()),
            ("KASSA_PAYTM_MERCHANT_KEY".into(), f::PAYTM_KEY.into()),
            ("KASSA_PAYTM_WEBSITE".into(), "WEBSTAGING".into()),
            ("KASSA_PINGPP_URL".into(), format!("{sb}/pingpp")),
            ("KASSA_PINGPP_SECRET_KEY".into(), f::PINGPP_API_KEY.into()),
            ("KASSA_PINGPP_APP_ID".into(), "app_kassa_sandbox".into()),
            (
                "KASSA_PINGPP_MOCK_URL".into(),
                format!("{sb}/pingpp/mock.php"),
            ),
            ("KASSA_PINGPP_PUBLIC_KEY".into(), pem(f::PINGPP_PUBLIC)),
            ("KASSA_S3_URL".into(), format!("{sb}/s3")),
            ("KASSA_S3_MERCHANT_ID".into(), S3_MERCHANT_ID.into()),
            ("KASSA_S3_CASHIER_URL".into(), format!("{sb}/s3/cashier")),
            ("KASSA_S3_SETTLEMENT_ID".into(), "st1".into()),
            ("KASSA_S3_APPID".into(), "app1".into()),
            ("KASSA_S3_PRIVATE_KEY".into(), pem(f::S3_MERCHANT_PRIVATE)),
            (
                "KASSA_S3_PLATFORM_PUBLIC_KEY".into(),
                pem(f::S3_PLATFORM_PUBLIC),
            ),
        ];
        let mut vars: Vec<(&str, &str)> = owned
            .iter()
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        vars.extend_from_slice(extra);
        let edge = Edge::start_on(dir.path(), port, &vars).unwrap();
        Self {
            sandbox,
            edge,
            url,
            sb,
            http: agent(),
            _dir: dir,
        }
    }

    pub fn merchant(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.url);
        let auth = format!("Bearer {MERCHANT_KEY}");
        match (method, body) {
            ("GET", _) => read_json(self.http.get(&url).header("Authorization", &auth).call()),
            (_, b) => read_json(
                self.http
                    .post(&url)
                    .header("Authorization", &auth)
                    .send_json(b.cloned().unwrap_or_else(|| json!({}))),
            ),
        }
        .unwrap()
    }

    /// Creates an order whose webhooks go to the sandbox's merchant receiver; returns
    /// its id and `client_secret`.
    pub fn create_with_secret(&self, channel: &str, amount: &Value) -> (String, String) {
        static USER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = USER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut body = json!({
            "channel": channel,
            "user": {"id": format!("u-{channel}-{n}"), "mobile": "18600000001"},
            "notify_url": format!("{}/merchant/webhooks", self.sb),
        });
        for (k, v) in amount.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, o) = self.merchant("POST", "/v1/orders", Some(&body));
        assert_eq!(s, 201, "{o}");
        (
            o["id"].as_str().unwrap().to_owned(),
            o["client_secret"].as_str().unwrap().to_owned(),
        )
    }

    pub fn create(&self, channel: &str, amount: &Value) -> String {
        self.create_with_secret(channel, amount).0
    }

    /// Pays `order` through the widget API with an SMS code read from the dev outbox
    /// (S0 `prePayCheck` at the sandbox approves); returns the S2 answer.
    pub fn pay(&self, order: &str, secret: &str) -> Value {
        let (s, v) = self.try_pay(order, secret);
        assert_eq!(s, 200, "{v}\n{}", self.edge.log_tail());
        v
    }

    /// As [`World::pay`], for a pay that may be refused: (status, answer).
    pub fn try_pay(&self, order: &str, secret: &str) -> (u16, Value) {
        self.try_pay_with(order, secret, &json!({}))
    }

    /// As [`World::try_pay`], with `more` fields in the `pay` body (`return_url`).
    pub fn try_pay_with(&self, order: &str, secret: &str, more: &Value) -> (u16, Value) {
        let bearer = format!("Bearer {secret}");
        let widget = |path: &str, body: &Value| {
            read_json(
                self.http
                    .post(format!("{}/api/payment/order/{path}", self.url))
                    .header("Authorization", &bearer)
                    .send_json(body),
            )
            .unwrap()
        };
        let (s, v) = widget("send_payment_verify_code", &json!({"order_id": order}));
        assert_eq!(s, 200, "{v}");
        let send_id = v["orderId"].as_str().unwrap().to_owned();
        let (_, outbox) = self.merchant("GET", &format!("/v1/dev/outbox?order_id={order}"), None);
        let sent = outbox["data"].as_array().unwrap();
        let code = sent
            .iter()
            .find(|m| m["send_id"] == send_id.as_str())
            .unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut body =
            json!({"order_id": order, "verify_code_order_id": send_id, "verify_code": code});
        for (k, v) in more.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        widget("pay", &body)
    }

    /// Applies a shared-core event through the test helper (e.g. `AttemptStarted`).
    pub fn event(&self, order: &str, event: &Value) {
        let (s, v) = self.merchant(
            "POST",
            &format!("/v1/test_helpers/orders/{order}/events"),
            Some(event),
        );
        assert_eq!(s, 200, "{v}");
    }

    /// Starts attempt `attempt` of `order` (as a pay would) and returns its reference.
    pub fn start_attempt(&self, order: &str, attempt: u64) -> String {
        self.event(
            order,
            &json!({"id": format!("attempt_started_{attempt}"), "type": "attempt_started",
                    "attempt": attempt.to_string()}),
        );
        format!("{order}A{attempt}")
    }

    /// As [`World::start_attempt`] for a Lianshang order, and records the attempt's S3
    /// trade ([`wk_for`]) through the test helper, as createPayOrder's answer does for a
    /// real pay: notifies must name it (issue 14).
    pub fn start_s3_attempt(&self, order: &str, attempt: u64) -> String {
        let r = self.start_attempt(order, attempt);
        let (s, v) = self.merchant(
            "POST",
            &format!("/v1/test_helpers/orders/{order}/s3_trades"),
            Some(&json!({"attempt": attempt.to_string(), "wk_trade_id": wk_for(&r)})),
        );
        assert_eq!(s, 200, "{v}");
        r
    }

    /// S1 `getOrderStatus`'s `status` for `id`, asked with the merchant key.
    pub fn s1_status(&self, id: &str) -> Value {
        let user = self.order(id)["user"]["id"].as_str().unwrap().to_owned();
        let (s, v) = self.merchant(
            "GET",
            &format!("/pay/getOrderStatus?version=v1.0&userId={user}&orderId={id}"),
            None,
        );
        assert_eq!(s, 200, "{v}");
        v["data"]["status"].clone()
    }

    pub fn order(&self, id: &str) -> Value {
        let (s, v) = self.merchant("GET", &format!("/v1/orders/{id}"), None);
        assert_eq!(s, 200, "{v}");
        v
    }

    pub fn events(&self, id: &str) -> Value {
        let (s, v) = self.merchant("GET", &format!("/v1/orders/{id}/events"), None);
        assert_eq!(s, 200, "{v}");
        v
    }

    /// The reason codes of the order's audit log, oldest first.
    pub fn audit_reasons(&self, id: &str) -> Vec<String> {
        self.events(id)["audit"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["reason"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Everything about an order that a refused callback must leave as it was: the
    /// merchant object, the history and the relays owed (not the audit log, which
    /// records the refusal, nor delivery progress).
    pub fn snapshot(&self, id: &str) -> Value {
        let ev = self.events(id);
        // Relays by what they announce: their delivery progresses on its own.
        let relays: Vec<Value> = ev["relays"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].clone())
            .collect();
        json!({"order": self.order(id), "history": ev["history"], "relays": relays})
    }

    pub fn control_get(&self, path: &str) -> Value {
        read_json(self.http.get(format!("{}/_control/{path}", self.sb)).call())
            .unwrap()
            .1
    }

    pub fn control(&self, path: &str, body: &Value) -> Value {
        let (s, v) = read_json(
            self.http
                .post(format!("{}/_control/{path}", self.sb))
                .send_json(body),
        )
        .unwrap();
        assert_eq!(s, 200, "{path}: {v}");
        v
    }

    pub fn counter(&self, name: &str) -> u64 {
        self.control_get("counters")["counters"][name]
            .as_u64()
            .unwrap_or(0)
    }

    /// Verified webhooks the merchant receiver accepted for `order` (its own and its
    /// refunds').
    pub fn webhooks(&self, order: &str) -> Vec<Value> {
        let all = self.control_get("merchant/webhooks");
        all["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["verified"] == true && w["answered"] == 200)
            .filter_map(|w| serde_json::from_str::<Value>(w["body"].as_str()?).ok())
            // `order.*`: the order is the object; `refund.*`: the refund is, with its order.
            .filter(|b| b["data"]["object"]["id"] == order || b["data"]["order"]["id"] == order)
            .collect()
    }

    /// The `orderStatus` of every `orderCallBack` S0 received for `order`.
    pub fn relays(&self, order: &str) -> Vec<String> {
        self.control_get("s0/relays")["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["orderId"] == order)
            .map(|r| r["orderStatus"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    /// Polls `f` until it returns `Some` (30 s).
    pub fn wait<T>(&self, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(t) = f() {
                return t;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out waiting for {what}\n{}",
                self.edge.log_tail()
            );
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Waits until every webhook and relay the order owes has arrived, then returns
    /// (webhook ids, relay statuses) as received.
    pub fn settle(&self, order: &str) -> (Vec<String>, Vec<String>) {
        self.wait("webhooks and relays", || {
            let ev = self.events(order);
            let owed_relays = ev["relays"].as_array().unwrap().len();
            let (s, hooks) = self.merchant("GET", &format!("/v1/orders/{order}/webhooks"), None);
            assert_eq!(s, 200, "{hooks}");
            let owed_hooks = hooks["data"].as_array().map_or(0, |a| {
                a.iter()
                    .filter(|h| h["type"] != "verification_code.requested")
                    .count()
            });
            let got_hooks: Vec<String> = self
                .webhooks(order)
                .iter()
                .map(|b| b["id"].as_str().unwrap().to_owned())
                .collect();
            let got_relays = self.relays(order);
            (got_hooks.len() >= owed_hooks && got_relays.len() >= owed_relays)
                .then_some((got_hooks, got_relays))
        })
    }

    /// Effects of a settled order: each webhook id once, one per status change, and
    /// the S0 relays `want_relays`, each as owed.
    pub fn effects_once(&self, id: &str, want_relays: &[&str]) {
        let (hooks, relays) = self.settle(id);
        let mut unique = hooks.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            hooks.len(),
            "a webhook arrived twice: {hooks:?}"
        );
        let order = self.order(id);
        let seq = order["status_seq"].as_u64().unwrap() as usize;
        let state_hooks = hooks
            .iter()
            .filter(|h| !h.contains("_review_") && !h.contains("_refund_"))
            .count();
        assert_eq!(state_hooks, seq, "one webhook per status change: {hooks:?}");
        refund_hooks_match(&order, &hooks);
        assert_eq!(relays, want_relays, "one relay per S0 status");
    }

    /// The last record in `/_control/{list}` whose `field` names an attempt of `order`
    /// (`{order}A…`): what the provider holds for the latest attempt.
    pub fn last_record(&self, list: &str, field: &str, order: &str) -> Value {
        let prefix = format!("{order}A");
        let all = self.control_get(list);
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|t| t[field].as_str().is_some_and(|v| v.starts_with(&prefix)))
            .cloned()
            .unwrap_or_else(|| panic!("no {list} record for {order}: {all}"))
    }

    /// POSTs `m` to the edge: (status, body text).
    pub fn send(&self, m: &Msg) -> (u16, String) {
        send_with(&self.http, &self.url, m)
    }

    /// The message the sandbox holds last (after a `complete` with `hold: true`).
    pub fn control_outbox_last(&self) -> Msg {
        let held = self.control_get("outbox");
        let last = held["items"].as_array().unwrap().last().unwrap().clone();
        self.held_msg(&last)
    }

    /// A message as the sandbox's control API shows a held one (`url`, `content_type`,
    /// `headers` as pairs, `body`).
    fn held_msg(&self, m: &Value) -> Msg {
        Msg {
            path: m["url"]
                .as_str()
                .unwrap()
                .trim_start_matches(&self.url)
                .to_owned(),
            content_type: m["content_type"].as_str().unwrap().to_owned(),
            headers: m["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    (
                        h[0].as_str().unwrap().to_owned(),
                        h[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect(),
            body: m["body"].as_str().unwrap().as_bytes().to_vec(),
        }
    }

    /// Posts the Paytm form of a `pay` answer to the sandbox's process page, as the
    /// shopper's browser does: one Paytm transaction for that form's `ORDER_ID`. Returns
    /// the `ORDER_ID` and the new transaction's `TXNID`.
    pub fn paytm_process(&self, paid: &Value) -> (String, String) {
        let form = &paid["handoff"];
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in form["fields"].as_object().unwrap() {
            if let Some(v) = v.as_str() {
                ser.append_pair(k, v);
            }
        }
        let r = self
            .http
            .post(form["url"].as_str().unwrap())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(ser.finish().as_bytes())
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let reference = form["fields"]["ORDER_ID"].as_str().unwrap().to_owned();
        let txns = self.control_get("paytm/txns");
        let txn = txns["items"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|t| t["order_id"] == reference.as_str())
            .unwrap()["txn_id"]
            .as_str()
            .unwrap()
            .to_owned();
        (reference, txn)
    }

    /// A Paytm transaction for `reference` (the process page's form, signed with the
    /// merchant key as the edge's `preOrder` form is).
    pub fn paytm_txn(&self, reference: &str, rupees: &str) {
        let pairs = [
            ("MID", f::PAYTM_MID.to_owned()),
            ("ORDER_ID", reference.to_owned()),
            ("CUST_ID", "u1".to_owned()),
            ("INDUSTRY_TYPE_ID", "Retail".to_owned()),
            ("CHANNEL_ID", "WAP".to_owned()),
            ("TXN_AMOUNT", rupees.to_owned()),
            ("WEBSITE", "WEBSTAGING".to_owned()),
            ("CALLBACK_URL", format!("{}/callbacks/paytm", self.url)),
        ];
        let mut p: Params = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Some(v.clone())))
            .collect();
        let hash =
            checksum::generate(&p, f::PAYTM_KEY.as_bytes(), &Salt::new("aB3d").unwrap()).unwrap();
        p.insert(CHECKSUMHASH.to_owned(), Some(hash));
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &p {
            ser.append_pair(k, v.as_deref().unwrap_or(""));
        }
        let mut r = self
            .http
            .post(format!("{}/paytm/theia/processTransaction", self.sb))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(ser.finish().as_bytes())
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            200,
            "{}",
            r.body_mut().read_to_string().unwrap()
        );
    }

    /// The callback Paytm posts when transaction `id` (ORDERID or TXNID) completes.
    pub fn paytm_callback(&self, id: &str, result: &str) -> Msg {
        self.control(
            "paytm/complete",
            &json!({"id": id, "result": result, "hold": true}),
        );
        self.control_outbox_last()
    }

    /// A Ping++ charge for `reference` (`minor` units of `currency`).
    pub fn pingpp_charge(&self, reference: &str, minor: u64, currency: &str) -> String {
        let (s, v) = read_json(
            self.http
                .post(format!("{}/pingpp/v1/charges", self.sb))
                .header("Authorization", &format!("Bearer {}", f::PINGPP_API_KEY))
                .send_json(json!({"order_no": reference, "amount": minor,
                    "currency": currency, "channel": "alipay_wap"})),
        )
        .unwrap();
        assert_eq!(s, 200, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }

    /// The webhook Ping++ sends for charge (or `order_no`) `id`.
    pub fn pingpp_event(&self, id: &str, event: &str) -> Msg {
        self.control(
            "pingpp/complete",
            &json!({"id": id, "event": event, "hold": true}),
        );
        self.control_outbox_last()
    }

    /// Refunds paid Ping++ order `order` through the merchant API — Kassa asks Ping++'s
    /// refund API, which records the refund id — and returns Ping++'s `refund.succeeded`
    /// webhook for it, held by the sandbox so the test decides when and how often it is
    /// sent.
    pub fn requested_refund(&self, order: &str) -> Msg {
        self.control("pingpp/refund_webhooks", &json!({"hold": true}));
        let (s, r) = self.merchant(
            "POST",
            &format!("/v1/orders/{order}/refunds"),
            Some(&json!({"reason": "customer asked"})),
        );
        assert_eq!(s, 200, "{r}\n{}", self.edge.log_tail());
        let msg = self.held_refund_webhook(order);
        self.control("pingpp/refund_webhooks", &json!({"hold": false}));
        msg
    }

    /// Ping++'s `refund.succeeded` webhook for a refund of `order`, held by the sandbox
    /// (`pingpp/refund_webhooks` `{"hold": true}` first).
    pub fn held_refund_webhook(&self, order: &str) -> Msg {
        let reference = format!("{order}A");
        let msg = self.wait("the held refund.succeeded webhook", || {
            let held = self.control_get("outbox");
            held["items"]
                .as_array()
                .unwrap()
                .iter()
                .rev()
                .find_map(|m| {
                    let body = m["body"].as_str()?;
                    (body.contains("refund.succeeded") && body.contains(&reference))
                        .then(|| m.clone())
                })
        });
        self.held_msg(&msg)
    }

    /// A wallet payment for attempt `reference` (`{order}A{attempt}`) whose
    /// notifications go to the edge.
    pub fn wallet_payment(&self, reference: &str, token: &str, amount: &str) {
        let (s, v) = read_json(self.http.post(format!("{}/wallet/pay", self.sb)).send_json(
            json!({"order_id": reference, "token_id": token, "amount": amount,
                   "notify_url": format!("{}/callbacks/wallet", self.url)}),
        ))
        .unwrap();
        assert_eq!(s, 200, "{v}");
    }

    /// The wallet's notification for `order`'s payment.
    pub fn wallet_notify(&self, order: &str, result: &str) -> Msg {
        self.control(
            "wallet/complete",
            &json!({"id": order, "result": result, "hold": true}),
        );
        self.control_outbox_last()
    }
}

/// Each `refund.*` webhook (`evt_<order>_refund_<refund>_<status>`) names a refund of
/// `order`, and each refund's current status was announced.
pub fn refund_hooks_match(order: &Value, hooks: &[String]) {
    let refunds = order["refunds"].as_array().cloned().unwrap_or_default();
    let refund_hooks: Vec<&String> = hooks.iter().filter(|h| h.contains("_refund_")).collect();
    for h in &refund_hooks {
        assert!(
            refunds
                .iter()
                .any(|r| h.contains(&format!("_refund_{}_", r["id"].as_str().unwrap_or("-")))),
            "a refund webhook for no refund of the order: {h} {order}"
        );
    }
    for r in &refunds {
        let want = format!(
            "_refund_{}_{}",
            r["id"].as_str().unwrap_or("-"),
            r["status"].as_str().unwrap_or("-")
        );
        assert!(
            refund_hooks.iter().any(|h| h.ends_with(&want)),
            "refund {r} was not announced: {hooks:?}"
        );
    }
}

/// The merchant page origin [`World`] allows (`KASSA_ALLOWED_ORIGINS`).
pub const SHOP_ORIGIN: &str = "http://shop.test";

/// The S3 merchant id [`World`] configures (`KASSA_S3_MERCHANT_ID`).
pub const S3_MERCHANT_ID: &str = "yx001";

/// The `wk_trade_id` of the S3 trade of attempt `reference` in these tests
/// ([`World::start_s3_attempt`] records it, [`lianshang_notify`] names it).
pub fn wk_for(reference: &str) -> String {
    format!("wk_{reference}")
}

/// A Lianshang notify for `reference` (our merchant, the attempt's trade [`wk_for`]),
/// signed with the platform key as the sandbox signs them (`sandbox/src/s3.rs`);
/// `key` overrides the key (impostor tests).
pub fn lianshang_notify(
    reference: &str,
    fen: u64,
    status: &str,
    notify_id: &str,
    key: Option<&PrivateKey>,
) -> Value {
    let own = PrivateKey::parse(&fixture_pem(f::S3_PLATFORM_PRIVATE).unwrap()).unwrap();
    let mut m = json!({
        "notify_id": notify_id, "merchant_id": S3_MERCHANT_ID, "out_trade_id": reference,
        "wk_trade_id": wk_for(reference), "pay_amount": fen, "pay_currency": "CNY",
        "trade_status": status, "notify_time": "1763899200000",
    });
    sign_message(&mut m, key.unwrap_or(&own), SignAlg::Rsa2).unwrap();
    m
}

/// A Paytm callback form: its fields, in order, without `CHECKSUMHASH`.
pub fn paytm_fields(m: &Msg) -> Vec<(String, String)> {
    form_urlencoded::parse(&m.body)
        .filter(|(k, _)| k != CHECKSUMHASH)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `m` with `changes` applied (a field with an empty name is removed) and a *valid*
/// checksum made with `key` — the merchant key unless an impostor's is given.
pub fn paytm_signed(fields: &[(String, String)], key: &[u8]) -> Msg {
    let p: Params = fields
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    let hash = checksum::generate(&p, key, &Salt::new("zZ9x").unwrap()).unwrap();
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        ser.append_pair(k, v);
    }
    ser.append_pair(CHECKSUMHASH, &hash);
    Msg {
        path: "/callbacks/paytm".into(),
        content_type: "application/x-www-form-urlencoded".into(),
        headers: Vec::new(),
        body: ser.finish().into_bytes(),
    }
}

/// A genuine Paytm callback with some fields changed and re-signed with the merchant key.
pub fn paytm_resigned(m: &Msg, changes: &[(&str, &str)]) -> Msg {
    let mut fields = paytm_fields(m);
    for (k, v) in changes {
        match fields.iter_mut().find(|(f, _)| f == k) {
            Some(f) => f.1 = (*v).to_owned(),
            None => fields.push(((*k).to_owned(), (*v).to_owned())),
        }
    }
    paytm_signed(&fields, f::PAYTM_KEY.as_bytes())
}

pub fn json_msg(path: &str, v: &Value) -> Msg {
    Msg {
        path: path.to_owned(),
        content_type: "application/json; charset=utf-8".into(),
        headers: Vec::new(),
        body: v.to_string().into_bytes(),
    }
}

/// POSTs `m` to `base`: (status, body text).
pub fn send_with(http: &ureq::Agent, base: &str, m: &Msg) -> (u16, String) {
    let mut rq = http
        .post(format!("{base}{}", m.path))
        .header("Content-Type", &m.content_type);
    for (k, v) in &m.headers {
        rq = rq.header(k, v);
    }
    let mut r = rq.send(&m.body[..]).unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

/// Posts `m` as the shopper's browser does (a top-level navigation, no redirects
/// followed): (status, `Location`, body).
pub fn send_as_browser(base: &str, m: &Msg) -> (u16, Option<String>, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut r = agent
        .post(format!("{base}{}", m.path))
        .header("Content-Type", &m.content_type)
        .header("Accept", "text/html,application/xhtml+xml")
        .header("Sec-Fetch-Mode", "navigate")
        .header("Sec-Fetch-Dest", "document")
        .send(&m.body[..])
        .unwrap();
    let location = r
        .headers()
        .get("Location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (
        r.status().as_u16(),
        location,
        r.body_mut().read_to_string().unwrap_or_default(),
    )
}
