//! What `proof_faults.rs` and `proof_abuse.rs` share: an edge under `wrangler dev` wired
//! to the in-process sandbox (S0, wallet, Ping++, and the sandbox's merchant receiver as
//! the webhook URL), and the few widget / merchant calls the suites make.

#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::time::{Duration, Instant};

use kassa_tests::harness::{agent, read_json, Edge, TempDir, MERCHANT_KEY, WEBHOOK_SECRET};
use kassa_tests::sandbox::config::fixtures as f;
use kassa_tests::sandbox::merchant::Received;
use kassa_tests::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use serde_json::{json, Value};

pub struct Rig {
    pub sandbox: SandboxHandle,
    pub edge: Edge,
    pub api: Api,
    _dir: TempDir,
}

/// The HTTP side of a [`Rig`], cloneable into load threads (which must not hold the
/// `Edge` the test kills).
#[derive(Clone)]
pub struct Api {
    pub http: ureq::Agent,
    pub url: String,
    pub sb: String,
}

impl Rig {
    /// Edge + sandbox; `extra` vars are added last (and win).
    pub fn start(tag: &str, extra: &[(&str, &str)]) -> Self {
        let mut config = SandboxConfig::for_tests().unwrap();
        config.merchant.webhook_secret = WEBHOOK_SECRET.into();
        let sandbox = Sandbox::start(config).unwrap();
        let sb = sandbox.url().to_owned();
        let wallet_pub = std::fs::read_to_string(
            kassa_tests::harness::root().join("tests/src/sandbox/keys/wallet.spki.pem"),
        )
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>();
        let urls = [
            format!("{sb}/s0"),
            format!("{sb}/wallet"),
            format!("{sb}/pingpp"),
            format!("{sb}/merchant/webhooks"),
        ];
        let mut vars: Vec<(&str, &str)> = vec![
            ("KASSA_S0_URL", &urls[0]),
            ("KASSA_S0_ACCESS_TOKEN", f::S0_ACCESS_TOKEN),
            ("KASSA_S0_ORG_SECRET", f::S0_ORG_SECRET),
            // No test here is about S0 being slow (edge_pay has that), and under a
            // saturated isolate (100 concurrent pays) an approval can take longer than
            // 1 s to be seen: pay then fails closed, and an `Idempotency-Key` replays
            // that refusal to every copy. A generous budget keeps that out of the way.
            ("KASSA_S0_TIMEOUT_MS", "10000"),
            ("KASSA_WALLET_URL", &urls[1]),
            ("KASSA_WALLET_API_KEY", "wallet-key"),
            ("KASSA_WALLET_PUBLIC_KEY", &wallet_pub),
            ("KASSA_PUBLIC_URL", "http://127.0.0.1:9"),
            ("KASSA_PINGPP_URL", &urls[2]),
            ("KASSA_PINGPP_SECRET_KEY", f::PINGPP_API_KEY),
            ("KASSA_PINGPP_APP_ID", "app_kassa_sandbox"),
            ("KASSA_WEBHOOK_URL", &urls[3]),
            ("KASSA_WEBHOOK_BACKOFF_MS", "200"),
            ("KASSA_TEST_HELPERS", "enabled"),
            // The suites drive many attempts from one user / loopback IP on purpose.
            ("KASSA_RISK_VELOCITY_USER_10M", "10000"),
            ("KASSA_RISK_VELOCITY_USER_1M", "10000"),
            ("KASSA_RISK_VELOCITY_IP_10M", "10000"),
        ];
        vars.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        vars.extend_from_slice(extra);
        let dir = TempDir::new(tag).unwrap();
        let edge = Edge::start_with(dir.path(), &vars).unwrap();
        let url = edge.url();
        Self {
            sandbox,
            edge,
            api: Api {
                http: agent(),
                url,
                sb,
            },
            _dir: dir,
        }
    }

    pub fn webhooks_received(&self) -> Vec<Received> {
        self.sandbox.state().with(|i| i.merchant.received.clone())
    }

    /// Waits until `done(received)` holds (30 s at most), then returns what was received.
    pub fn wait_webhooks(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.webhooks_received();
            if done(&got) {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: {} webhooks so far\n{}",
                got.len(),
                self.edge.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Api {
    pub fn merchant(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.try_merchant(method, path, body).unwrap()
    }

    /// As [`Api::merchant`], with transport errors (a killed edge) as `Err`.
    pub fn try_merchant(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), String> {
        let url = format!("{}{path}", self.url);
        let auth = format!("Bearer {MERCHANT_KEY}");
        let resp = match (method, body) {
            ("GET", _) => self.http.get(&url).header("Authorization", &auth).call(),
            (_, Some(b)) => self
                .http
                .post(&url)
                .header("Authorization", &auth)
                .send_json(b),
            (_, None) => self
                .http
                .post(&url)
                .header("Authorization", &auth)
                .send_empty(),
        };
        read_json(resp)
    }

    /// A wallet order (12.5 USDT) for `user`: (id, client_secret).
    pub fn order(&self, user: &str) -> (String, String) {
        let body = json!({"channel": "wallet", "amount": "12.5", "token": "USDT",
            "user": {"id": user, "mobile": "18600000001"}});
        let (s, o) = self.merchant("POST", "/v1/orders", Some(&body));
        assert_eq!(s, 201, "{o}");
        (
            o["id"].as_str().unwrap().to_owned(),
            o["client_secret"].as_str().unwrap().to_owned(),
        )
    }

    pub fn widget(
        &self,
        path: &str,
        secret: &str,
        key: Option<&str>,
        body: &Value,
    ) -> (u16, Value) {
        self.try_widget(path, secret, key, body).unwrap()
    }

    pub fn try_widget(
        &self,
        path: &str,
        secret: &str,
        key: Option<&str>,
        body: &Value,
    ) -> Result<(u16, Value), String> {
        let mut req = self
            .http
            .post(format!("{}/api/payment/order/{path}", self.url))
            .header("Authorization", &format!("Bearer {secret}"));
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        read_json(req.send_json(body))
    }

    /// Sends a code and reads it from the dev outbox: (send id, code).
    pub fn code(&self, id: &str, secret: &str) -> (String, String) {
        let (s, v) = self.widget(
            "send_payment_verify_code",
            secret,
            None,
            &json!({"order_id": id}),
        );
        assert_eq!(s, 200, "{v}");
        let send_id = v["orderId"].as_str().unwrap().to_owned();
        let (_, o) = self.merchant("GET", &format!("/v1/dev/outbox?order_id={id}"), None);
        let msg = o["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["send_id"] == send_id.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("no outbox message for {send_id}: {o}"));
        (send_id, msg["code"].as_str().unwrap().to_owned())
    }

    /// A `pay` body with a fresh SMS code.
    pub fn pay_body(&self, id: &str, secret: &str) -> Value {
        let (send_id, code) = self.code(id, secret);
        json!({"order_id": id, "verify_code_order_id": send_id, "verify_code": code})
    }

    /// Applies a verified provider event through the test helper.
    pub fn event(&self, id: &str, event: &Value) -> (u16, Value) {
        self.merchant(
            "POST",
            &format!("/v1/test_helpers/orders/{id}/events"),
            Some(event),
        )
    }

    pub fn script(&self, upstream: &str, script: &Value) {
        let (s, v) = read_json(
            self.http
                .post(format!("{}/_control/{upstream}", self.sb))
                .send_json(script),
        )
        .unwrap();
        assert_eq!(s, 200, "{v}");
    }
}
