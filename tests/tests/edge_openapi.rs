//! `edge/openapi.json` against the real edge: every documented path and method is called,
//! answers a documented status, and its body has the documented required fields with the
//! documented types (a small JSON Schema subset: `$ref`, `allOf`, `oneOf`, `type`,
//! `required`, `properties`, `additionalProperties`, `items`, `enum`). Errors are checked
//! against the error schema too.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;

use kassa_tests::harness::{agent, read_json, root, Edge, TempDir, MERCHANT_KEY};
use kassa_tests::sandbox::config::fixtures as f;
use kassa_tests::sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

struct Checker {
    spec: Value,
    seen: BTreeSet<(String, String)>,
}

impl Checker {
    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let ptr = r.trim_start_matches('#');
                self.resolve(
                    self.spec
                        .pointer(ptr)
                        .unwrap_or_else(|| panic!("bad $ref {r}")),
                )
            }
            None => schema,
        }
    }

    fn validate(&self, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for s in all {
                self.validate(s, v, at, errors);
            }
        }
        if let Some(any) = schema.get("oneOf").and_then(Value::as_array) {
            let ok = any.iter().any(|s| {
                let mut e = Vec::new();
                self.validate(s, v, at, &mut e);
                e.is_empty()
            });
            if !ok {
                errors.push(format!("{at}: matches no oneOf branch: {v}"));
            }
        }
        if let Some(t) = schema.get("type") {
            let types: Vec<&str> = match t {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            let actual = match v {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            let ok = types.contains(&actual) || (actual == "integer" && types.contains(&"number"));
            if !ok {
                errors.push(format!("{at}: is {actual}, documented {types:?}"));
                return;
            }
        }
        if let Some(e) = schema.get("enum").and_then(Value::as_array) {
            if !e.contains(v) {
                errors.push(format!("{at}: {v} not in {e:?}"));
            }
        }
        if let Value::Object(map) = v {
            for r in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let r = r.as_str().unwrap();
                if !map.contains_key(r) {
                    errors.push(format!("{at}: missing required field {r}"));
                }
            }
            let props = schema.get("properties").and_then(Value::as_object);
            for (k, val) in map {
                if let Some(s) = props.and_then(|p| p.get(k)) {
                    self.validate(s, val, &format!("{at}.{k}"), errors);
                } else if let Some(s) = schema.get("additionalProperties").filter(|s| s.is_object())
                {
                    self.validate(s, val, &format!("{at}.{k}"), errors);
                }
            }
        }
        if let (Value::Array(items), Some(s)) = (v, schema.get("items")) {
            for (i, item) in items.iter().enumerate() {
                self.validate(s, item, &format!("{at}[{i}]"), errors);
            }
        }
    }

    /// Checks one real response against the operation `method template`.
    fn check(&mut self, method: &str, template: &str, status: u16, body: &Value) {
        let op = self
            .spec
            .pointer(&format!("/paths/{}/{method}", template.replace('/', "~1")))
            .unwrap_or_else(|| panic!("{method} {template} is not documented"))
            .clone();
        let resp = op["responses"].get(status.to_string()).unwrap_or_else(|| {
            panic!("{method} {template} answered undocumented {status}: {body}")
        });
        let schema = &resp["content"]["application/json"]["schema"];
        let mut errors = Vec::new();
        self.validate(schema, body, "body", &mut errors);
        assert!(
            errors.is_empty(),
            "{method} {template} {status}: {errors:#?}\n{body}"
        );
        self.seen.insert((method.to_owned(), template.to_owned()));
    }
}

#[test]
fn merchant_api_conforms_to_openapi() {
    let text = std::fs::read_to_string(root().join("edge/openapi.json")).unwrap();
    let spec: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    let mut c = Checker {
        spec,
        seen: BTreeSet::new(),
    };

    // S0 for `/v1/s0/update_info`: the sandbox, which records what it received.
    let sandbox = Sandbox::start(SandboxConfig::for_tests().unwrap()).unwrap();
    let s0_url = format!("{}/s0", sandbox.url());
    // Webhooks go to the sandbox's merchant receiver, so their bodies are checked too.
    let webhook_url = format!("{}/merchant/webhooks", sandbox.url());
    let dir = TempDir::new("edge-openapi").unwrap();
    let edge = Edge::start_with(
        dir.path(),
        &[
            ("KASSA_TEST_HELPERS", "enabled"),
            ("KASSA_S0_URL", &s0_url),
            ("KASSA_S0_ACCESS_TOKEN", f::S0_ACCESS_TOKEN),
            ("KASSA_S0_ORG_SECRET", f::S0_ORG_SECRET),
            ("KASSA_WEBHOOK_URL", &webhook_url),
            ("KASSA_WEBHOOK_SECRET", f::MERCHANT_WEBHOOK_SECRET),
        ],
    )
    .unwrap();
    let http = agent();
    let url = edge.url();
    let auth = format!("Bearer {MERCHANT_KEY}");
    let call = |method: &str, path: &str, body: Option<Value>| -> (u16, Value) {
        let full = format!("{url}{path}");
        let r = match (method, body) {
            ("get", _) => http.get(&full).header("Authorization", &auth).call(),
            (_, Some(b)) => http.post(&full).header("Authorization", &auth).send_json(b),
            (_, None) => http.post(&full).header("Authorization", &auth).send_empty(),
        };
        read_json(r).unwrap()
    };

    let (s, order) = call(
        "post",
        "/v1/orders",
        Some(
            json!({"channel": "lianshang", "amount": 990, "currency": "CNY", "user": {"id": "u-o"},
                    "items": [{"name": "Tea", "quantity": 1}], "metadata": {"a": "b"}}),
        ),
    );
    c.check("post", "/v1/orders", s, &order);
    let id = order["id"].as_str().unwrap().to_owned();
    let (s, token_order) = call(
        "post",
        "/v1/orders",
        Some(json!({"channel": "wallet", "amount": "1.5", "token": "ETH", "user": {"id": "u-t"}})),
    );
    c.check("post", "/v1/orders", s, &token_order);
    let tid = token_order["id"].as_str().unwrap().to_owned();

    let (s, b) = call("get", &format!("/v1/orders/{id}"), None);
    c.check("get", "/v1/orders/{id}", s, &b);
    let (s, b) = call("get", "/v1/orders?limit=1", None);
    c.check("get", "/v1/orders", s, &b);
    assert_eq!(b["has_more"], true);
    let (s, b) = call("post", &format!("/v1/orders/{id}/client_secret"), None);
    c.check("post", "/v1/orders/{id}/client_secret", s, &b);

    // Pay the fiat order (test helper), refund it; cancel the token order.
    let (s, _) = call(
        "post",
        &format!("/v1/test_helpers/orders/{id}/events"),
        Some(json!({"id": "T1", "type": "attempt_succeeded", "attempt": "5", "provider": "paytm"})),
    );
    assert_eq!(s, 200);
    let (s, b) = call(
        "post",
        &format!("/v1/orders/{id}/refunds"),
        Some(json!({"reason": "r"})),
    );
    c.check("post", "/v1/orders/{id}/refunds", s, &b);
    // An S3 order's refund is made by hand and reported; a second report is refused.
    let settle = format!("/v1/orders/{id}/refunds/settle");
    let (s, b) = call("post", &settle, Some(json!({"reference": "bank 1"})));
    assert_eq!(s, 200, "{b}");
    c.check("post", "/v1/orders/{id}/refunds/settle", s, &b);
    let (s, b) = call("post", &settle, None);
    assert_eq!(s, 409, "{b}");
    c.check("post", "/v1/orders/{id}/refunds/settle", s, &b);
    // A second attempt paid too: the order needs review; the merchant resolves it.
    let (s, _) = call(
        "post",
        &format!("/v1/test_helpers/orders/{id}/events"),
        Some(
            json!({"id": "T2", "type": "attempt_succeeded", "attempt": "6", "provider": "lianshang"}),
        ),
    );
    assert_eq!(s, 200);
    let resolve = format!("/v1/orders/{id}/review/resolve");
    let (s, b) = call("post", &resolve, Some(json!({"resolution": "fulfilled"})));
    assert_eq!((s, &b["needs_review"]), (200, &json!(false)), "{b}");
    c.check("post", "/v1/orders/{id}/review/resolve", s, &b);
    let (s, b) = call("post", &resolve, Some(json!({"resolution": "fulfilled"})));
    assert_eq!(s, 409, "{b}");
    c.check("post", "/v1/orders/{id}/review/resolve", s, &b);
    let (s, b) = call("post", &format!("/v1/orders/{tid}/cancel"), None);
    c.check("post", "/v1/orders/{id}/cancel", s, &b);
    let (s, b) = call("post", &format!("/v1/orders/{tid}/cancel"), None);
    assert_eq!(s, 409);
    c.check("post", "/v1/orders/{id}/cancel", s, &b);

    let (s, b) = call("get", &format!("/v1/orders/{tid}/events"), None);
    c.check("get", "/v1/orders/{id}/events", s, &b);
    assert!(!b["history"].as_array().unwrap().is_empty());
    assert!(!b["audit"].as_array().unwrap().is_empty());
    let (s, hooks) = call("get", &format!("/v1/orders/{tid}/webhooks"), None);
    c.check("get", "/v1/orders/{id}/webhooks", s, &hooks);
    let hook_id = hooks["data"][0]["id"].as_str().unwrap().to_owned();
    let (s, b) = call(
        "post",
        &format!("/v1/orders/{tid}/webhooks/{hook_id}/replay"),
        None,
    );
    c.check(
        "post",
        "/v1/orders/{id}/webhooks/{webhook_id}/replay",
        s,
        &b,
    );

    // Users: a user token (then 400 for a lifetime over 24 h), its revocation.
    let (s, b) = call("post", "/v1/users/u-openapi/tokens", None);
    c.check("post", "/v1/users/{id}/tokens", s, &b);
    assert_eq!(s, 201, "{b}");
    let (s, b) = call(
        "post",
        "/v1/users/u-openapi/tokens",
        Some(json!({"expires_in": 86_401})),
    );
    assert_eq!(s, 400, "{b}");
    c.check("post", "/v1/users/{id}/tokens", s, &b);
    let (s, b) = call("post", "/v1/users/u-openapi/tokens/revoke", None);
    c.check("post", "/v1/users/{id}/tokens/revoke", s, &b);

    // Users: GA enrolment (then 409), trust flag (then 400), the dev outbox.
    let (s, b) = call("post", "/v1/users/u-openapi/ga", None);
    c.check("post", "/v1/users/{id}/ga", s, &b);
    let (s, b) = call("post", "/v1/users/u-openapi/ga", None);
    assert_eq!(s, 409);
    c.check("post", "/v1/users/{id}/ga", s, &b);
    let (s, b) = call(
        "post",
        "/v1/users/u-openapi/trusted",
        Some(json!({"trusted": true})),
    );
    c.check("post", "/v1/users/{id}/trusted", s, &b);
    let (s, b) = call(
        "post",
        "/v1/users/u-openapi/trusted",
        Some(json!({"trusted": "yes"})),
    );
    assert_eq!(s, 400);
    c.check("post", "/v1/users/{id}/trusted", s, &b);
    let (s, b) = call("get", &format!("/v1/dev/outbox?order_id={tid}"), None);
    c.check("get", "/v1/dev/outbox", s, &b);
    // Refusals of unauthenticated input, per address bucket (a forged token first).
    let (s, _) = read_json(
        http.get(format!("{url}/api/payment/order/events?order_id={tid}"))
            .header("CF-Connecting-IP", "203.0.114.9")
            .header("Authorization", "Bearer kcs_forged.AAAA")
            .call(),
    )
    .unwrap();
    assert_eq!(s, 401);
    let (s, b) = call("get", "/v1/rejections?ip=203.0.114.9", None);
    assert_eq!(
        (s, b["counts"]["invalid_client_secret"].as_u64()),
        (200, Some(1)),
        "{b}"
    );
    c.check("get", "/v1/rejections", s, &b);
    let (s, b) = call("get", "/v1/rejections?ip=nowhere", None);
    assert_eq!((s, b["error"]["param"].as_str()), (400, Some("ip")), "{b}");
    c.check("get", "/v1/rejections", s, &b);

    // S0 updateInfo: forwarded with the edge's S0 credentials (the sandbox checks them),
    // for the named user (the `uid` header), `extend` unchanged; a missing `user_id` or a
    // bad `extend` is a 400 naming it, and S0 is not called.
    let extend = json!({"idCard": "425424196710155420", "sex": "男"});
    let (s, b) = call(
        "post",
        "/v1/s0/update_info",
        Some(json!({ "user_id": "u-openapi", "extend": extend })),
    );
    assert_eq!(s, 200, "{b}");
    c.check("post", "/v1/s0/update_info", s, &b);
    for (body, param) in [
        (json!({"user_id": "u-openapi", "extend": 7}), "extend"),
        (json!({ "extend": extend }), "user_id"),
    ] {
        let (s, b) = call("post", "/v1/s0/update_info", Some(body));
        assert_eq!((s, b["error"]["param"].as_str()), (400, Some(param)), "{b}");
        c.check("post", "/v1/s0/update_info", s, &b);
    }
    assert_eq!(sandbox.counter("s0.update_info"), 1);
    let (_, got) = read_json(
        http.get(format!("{}/_control/s0/update_infos", sandbox.url()))
            .call(),
    )
    .unwrap();
    assert_eq!(got["items"][0]["extend"], extend, "{got}");
    let (_, got) = read_json(
        http.get(format!("{}/_control/s0/received", sandbox.url()))
            .call(),
    )
    .unwrap();
    let update = got["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["call"] == "updateInfo");
    assert_eq!(update.unwrap()["uid"], "u-openapi", "{got}");
    assert_eq!(sandbox.counter("s0.auth_rejected"), 0);

    // Errors in the documented envelope.
    let (s, b) = call("get", "/v1/orders/1", None);
    c.check("get", "/v1/orders/{id}", s, &b);
    let (s, b) = call("post", "/v1/orders", Some(json!({"channel": "x"})));
    c.check("post", "/v1/orders", s, &b);
    let (s, b) = read_json(http.get(format!("{url}/v1/orders")).call()).unwrap();
    c.check("get", "/v1/orders", s, &b);

    // Every documented operation was exercised.
    let mut documented = BTreeSet::new();
    for (path, item) in c.spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    assert_eq!(documented, c.seen, "documented vs exercised operations");

    // The webhooks the order's life sent: verified by the receiver, each body a
    // documented `WebhookEvent`.
    let got = (0..100)
        .find_map(|_| {
            let (_, v) = read_json(
                http.get(format!("{}/merchant/webhooks", sandbox.url()))
                    .call(),
            )
            .unwrap();
            let hooks = v["webhooks"].as_array().cloned().unwrap_or_default();
            if hooks.is_empty() {
                std::thread::sleep(std::time::Duration::from_millis(100));
                return None;
            }
            Some(hooks)
        })
        .expect("no webhook reached the merchant receiver within 10 s");
    let schema = json!({"$ref": "#/components/schemas/WebhookEvent"});
    for hook in &got {
        assert_eq!(hook["verified"], true, "{hook}");
        let body: Value = serde_json::from_str(hook["body"].as_str().unwrap()).unwrap();
        let mut errors = Vec::new();
        c.validate(&schema, &body, "webhook", &mut errors);
        assert!(errors.is_empty(), "{errors:?}\n{body}");
    }
}

/// The checker itself catches what it claims to: a missing required field, a wrong type,
/// a value outside an enum (so a green conformance test means something).
#[test]
fn the_checker_rejects_mismatches() {
    let text = std::fs::read_to_string(root().join("edge/openapi.json")).unwrap();
    let c = Checker {
        spec: serde_json::from_str(&text).unwrap(),
        seen: BTreeSet::new(),
    };
    let schema = json!({"$ref": "#/components/schemas/ClientSecret"});
    let good = json!({"object": "client_secret", "order_id": "1", "client_secret": "kcs_x", "expires_at": 1});
    let mut errors = Vec::new();
    c.validate(&schema, &good, "body", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    // The two webhooks that are not order status changes.
    let event = json!({"$ref": "#/components/schemas/WebhookEvent"});
    let code = json!({"id": "evt_1_code_2", "object": "event", "type": "verification_code.requested",
        "created": 1, "data": {"order_id": "1", "send_id": "2", "auth_type": "MOBILE",
        "to": "18600000001", "code": "123456", "at_ms": 1, "expires_at_ms": 2}});
    let withdrawal = json!({"id": "evt_wd_1", "object": "event", "type": "withdrawal.requested",
        "created": 1, "data": {"object": "withdrawal", "id": "wd_1", "user_id": "u", "amount": "100",
        "currency": "CNY", "account": {}, "month": "2026-11", "status": "requested",
        "created_ms": 1, "order_id": "1"}});
    for good in [&code, &withdrawal] {
        let mut errors = Vec::new();
        c.validate(&event, good, "webhook", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
    }
    let mut no_code = code.clone();
    no_code["data"].as_object_mut().unwrap().remove("code");
    let mut errors = Vec::new();
    c.validate(&event, &no_code, "webhook", &mut errors);
    assert!(!errors.is_empty(), "accepted {no_code}");
    for bad in [
        json!({"object": "client_secret", "order_id": "1", "client_secret": "kcs_x"}),
        json!({"object": "client_secret", "order_id": 1, "client_secret": "kcs_x", "expires_at": 1}),
        json!({"object": "order", "order_id": "1", "client_secret": "kcs_x", "expires_at": 1}),
    ] {
        let mut errors = Vec::new();
        c.validate(&schema, &bad, "body", &mut errors);
        assert!(!errors.is_empty(), "accepted {bad}");
    }
}
