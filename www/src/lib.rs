//! The demo shop's tiny backend (binary `kassa-demo`, and in-process for
//! `cargo xtask dev` and the browser tests through [`start`]).
//!
//! It serves the shop page and the widget bundle under a strict CSP, and does what a
//! merchant's backend does: it holds the merchant key and talks to the edge's merchant
//! API (create an order, enrol a shopper's authenticator, trust a shopper), and it
//! receives the edge's signed webhooks (SPEC 3.5), verifying `Kassa-Signature` before
//! showing them on the page. In development it also relays the edge's dev outbox (the
//! "SMS" codes), so a person trying the demo can read the code the edge sent.
//!
//! Nothing from the browser reaches the merchant API unchecked: the page picks a product
//! from a fixed catalogue ([`PRODUCTS`]), a shopper id (the merchant's text) and an
//! expiry within bounds; the backend decides prices.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kassa_shared::crypto::webhook_sig;
use serde_json::{json, Value};

use kassa_httpd::{Request, Response};

/// What the backend needs.
#[derive(Clone)]
pub struct Config {
    /// 0 = any free port.
    pub port: u16,
    /// The edge's base URL, as the browser reaches it.
    pub edge: String,
    pub merchant_key: String,
    /// Verifies webhooks; without it `POST /demo/webhooks` answers 503.
    pub webhook_secret: Option<String>,
    /// The `www/` directory (`static/`, `kassa/`).
    pub dir: PathBuf,
    /// Extra `form-action` sources for the CSP (the Paytm process page the widget posts
    /// its signed form to, SPEC 3.3).
    pub form_action: Vec<String>,
}

/// A product of the demo catalogue: (key, merchant API fields).
pub struct Product {
    pub key: &'static str,
    pub channel: &'static str,
    /// `("amount", 12345), ("currency", "CNY")` or a token amount.
    pub price: fn() -> Value,
    pub description: &'static str,
    pub mobile: &'static str,
    /// Order metadata the channel needs (e.g. `pingpp_channel`; `wx_pub` also needs the
    /// shopper's WeChat `open_id`, which only a page inside WeChat has — so the demo, a
    /// desktop page, sells on `alipay_wap`).
    pub metadata: &'static [(&'static str, &'static str)],
}

/// The catalogue. `sticker` is under the default password-free limit (CNY 100.00), so a
/// trusted shopper on a known device pays it with `quick_pay` and no code.
pub const PRODUCTS: &[Product] = &[
    Product {
        key: "tea",
        channel: "pingpp",
        price: || json!({"amount": 12_345, "currency": "CNY"}),
        description: "A pot of oolong tea",
        mobile: "18600000001",
        metadata: &[],
    },
    Product {
        key: "sticker",
        channel: "pingpp",
        price: || json!({"amount": 100, "currency": "CNY"}),
        description: "A Kassa sticker",
        mobile: "18600000001",
        metadata: &[],
    },
    Product {
        key: "usdt",
        channel: "wallet",
        price: || json!({"amount": "12.5", "token": "USDT"}),
        description: "Tea voucher, paid in USDT",
        mobile: "18600000001",
        metadata: &[],
    },
    Product {
        key: "chai",
        channel: "paytm",
        price: || json!({"amount": 1000, "currency": "INR"}),
        description: "Masala chai (Paytm)",
        mobile: "9876543210",
        metadata: &[],
    },
    Product {
        key: "mooncake",
        channel: "lianshang",
        price: || json!({"amount": 8_800, "currency": "CNY"}),
        description: "A box of mooncakes (S3 Lianshang)",
        mobile: "18600000001",
        metadata: &[],
    },
];

/// The running backend; stops when dropped.
pub struct Demo {
    port: u16,
    _listener: kassa_httpd::Listener,
}

impl Demo {
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Webhooks received (newest last), at most [`KEPT_WEBHOOKS`].
type Inbox = Arc<Mutex<VecDeque<Value>>>;
const KEPT_WEBHOOKS: usize = 200;

/// Bodies the backend accepts (webhooks are the largest).
const MAX_BODY: usize = 64 * 1024;

/// Binds 127.0.0.1:`cfg.port` and serves it with [`kassa_httpd`].
///
/// # Errors
/// When the port cannot be bound.
pub fn start(cfg: Config) -> Result<Demo, String> {
    let bind = |e: std::io::Error| format!("kassa-demo: bind: {e}");
    let listener = TcpListener::bind(("127.0.0.1", cfg.port)).map_err(bind)?;
    let inbox: Inbox = Arc::default();
    let listener = kassa_httpd::Listener::spawn(
        listener,
        MAX_BODY,
        Arc::new(move |req| handle(&cfg, &inbox, &req)),
    )
    .map_err(bind)?;
    Ok(Demo {
        port: listener.addr().port(),
        _listener: listener,
    })
}

/// The page's CSP: no inline script or style, wasm allowed to compile, network only to
/// ourselves and the edge, forms only to ourselves and the Paytm process page.
#[must_use]
pub fn csp(edge: &str, form_action: &[String]) -> String {
    let ws = edge.replacen("http", "ws", 1);
    let forms = form_action.join(" ");
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         connect-src 'self' {edge} {ws}; img-src 'self' data:; base-uri 'none'; \
         object-src 'none'; frame-ancestors 'none'; form-action 'self' {forms}"
    )
    .replace("  ", " ")
    .trim_end()
    .to_owned()
}

type Resp = Response;

fn handle(cfg: &Config, inbox: &Inbox, req: &Request) -> Resp {
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    let response = match (req.method.as_str(), path) {
        ("POST", "/demo/orders") => create_order(cfg, req),
        ("POST", "/demo/webhooks") => receive_webhook(cfg, inbox, req),
        ("GET", "/demo/webhooks") => json_resp(
            200,
            &json!({"data": inbox.lock().map(|q| q.iter().cloned().collect::<Vec<_>>()).unwrap_or_default()}),
        ),
        ("GET", "/demo/outbox") => outbox(cfg, query),
        ("POST", p) if p.starts_with("/demo/users/") => user_action(cfg, p),
        ("GET", "/") => file(cfg, "static/index.html"),
        ("GET", "/shop.js") => file(cfg, "static/shop.js"),
        ("GET", "/shop.css") => file(cfg, "static/shop.css"),
        ("GET", "/kassa/kassa.js") => file(cfg, "kassa/kassa.js"),
        ("GET", "/kassa/kassa_bg.wasm") => file(cfg, "kassa/kassa_bg.wasm"),
        ("GET", "/kassa/kassa.d.ts") => file(cfg, "kassa/kassa.d.ts"),
        // wasm-bindgen's module snippets (`<kassa-checkout>`), which `kassa.js` imports.
        ("GET", p) if snippet_path(p) => file(cfg, &p[1..]),
        (_, "/" | "/demo/orders" | "/demo/webhooks" | "/shop.js" | "/shop.css") => {
            text(405, "method not allowed")
        }
        _ => text(404, "not found"),
    };
    let mut response = response;
    for (k, v) in [
        ("Content-Security-Policy", csp(&cfg.edge, &cfg.form_action)),
        ("X-Content-Type-Options", "nosniff".into()),
        ("Referrer-Policy", "no-referrer".into()),
        ("Cache-Control", "no-store".into()),
    ] {
        response.headers.push((k.into(), v));
    }
    response
}

fn text(status: u16, body: &str) -> Resp {
    Response::new(status, "text/plain; charset=utf-8", body)
}

fn json_resp(status: u16, v: &Value) -> Resp {
    Response::new(status, "application/json", v.to_string())
}

fn error(status: u16, field: &str, message: &str) -> Resp {
    json_resp(
        status,
        &json!({"error": {"field": field, "message": format!("{field}: {message}")}}),
    )
}

/// `/kassa/snippets/<crate-hash>/…/<name>.js`, with nothing that could leave the folder.
fn snippet_path(p: &str) -> bool {
    p.strip_prefix("/kassa/snippets/").is_some_and(|rest| {
        rest.ends_with(".js")
            && rest.split('/').all(|seg| {
                !seg.is_empty()
                    && !seg.starts_with('.')
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            })
    })
}

fn file(cfg: &Config, rel: &str) -> Resp {
    let ty = match Path::new(rel).extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        _ => "text/plain; charset=utf-8",
    };
    match std::fs::read(cfg.dir.join(rel)) {
        Ok(bytes) => Response::new(200, ty, bytes),
        Err(_) => text(404, "not built yet: run `cargo xtask widget`"),
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(15)))
        .build()
        .into()
}

/// Calls the merchant API: its status and JSON answer.
fn call_edge(
    cfg: &Config,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<(u16, Value), String> {
    let url = format!("{}{path}", cfg.edge);
    let auth = format!("Bearer {}", cfg.merchant_key);
    let http = agent();
    let result = match (method, body) {
        ("POST", Some(b)) => http.post(&url).header("Authorization", &auth).send_json(b),
        ("POST", None) => http.post(&url).header("Authorization", &auth).send_empty(),
        _ => http.get(&url).header("Authorization", &auth).call(),
    };
    let mut r = result.map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let v = r
        .body_mut()
        .read_json::<Value>()
        .map_err(|e| format!("answer is not JSON: {e}"))?;
    Ok((status, v))
}

/// The merchant API's answer, passed through.
fn merchant_api(cfg: &Config, method: &str, path: &str, body: Option<&Value>) -> Resp {
    match call_edge(cfg, method, path, body) {
        Ok((status, v)) => json_resp(status, &v),
        Err(e) => error(502, "edge", &e),
    }
}

fn read_body(req: &Request) -> Result<Value, Resp> {
    const MAX_ORDER_BODY: usize = 16 * 1024;
    let body = req.body.as_slice();
    if body.len() > MAX_ORDER_BODY {
        return Err(error(413, "body", &format!("over {MAX_ORDER_BODY} bytes")));
    }
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| error(400, "body", &format!("not JSON: {e}")))
}

/// Shopper ids are the merchant's own text (S2 `userId`s reach the widget as strings);
/// the demo keeps them to characters that are safe in a URL path and an e-mail's local
/// part, since it builds both from them.
fn valid_user(id: &str) -> bool {
    // A letter or digit first, so no id is `.` or `..`, a path segment of its own.
    (1..=64).contains(&id.len())
        && id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

const USER_RULE: &str =
    "1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit";

/// `POST /demo/orders` `{product?, user?, expires_in?}` → `{order, edge}`.
fn create_order(cfg: &Config, req: &Request) -> Resp {
    let body = match read_body(req) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let key = body["product"].as_str().unwrap_or("tea");
    let Some(product) = PRODUCTS.iter().find(|p| p.key == key) else {
        return error(400, "product", "not in the catalogue");
    };
    let user = body["user"].as_str().unwrap_or("10001");
    if !valid_user(user) {
        return error(400, "user", USER_RULE);
    }
    let mut order = (product.price)();
    order["channel"] = json!(product.channel);
    order["description"] = json!(product.description);
    order["user"] =
        json!({"id": user, "mobile": product.mobile, "email": format!("{user}@demo.kassa.test")});
    order["items"] = json!([{"name": product.description, "quantity": 1}]);
    if !product.metadata.is_empty() {
        order["metadata"] = product
            .metadata
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
    }
    match &body["expires_in"] {
        Value::Null => {}
        v => match v.as_u64().filter(|s| (10..=3600).contains(s)) {
            Some(s) => order["expires_in"] = json!(s),
            None => return error(400, "expires_in", "must be whole seconds from 10 to 3600"),
        },
    }
    match call_edge(cfg, "POST", "/v1/orders", Some(&order)) {
        Ok((201, o)) => json_resp(201, &json!({"order": o, "edge": cfg.edge})),
        Ok((status, v)) => json_resp(status, &v),
        Err(e) => error(502, "edge", &e),
    }
}

/// `POST /demo/users/:id/ga` (enrol an authenticator, answers the secret once) and
/// `POST /demo/users/:id/trusted` (the merchant trusts the shopper).
fn user_action(cfg: &Config, path: &str) -> Resp {
    let rest = path.trim_start_matches("/demo/users/");
    let Some((user, action)) = rest.split_once('/') else {
        return text(404, "not found");
    };
    if !valid_user(user) {
        return error(400, "user", USER_RULE);
    }
    match action {
        "ga" => merchant_api(cfg, "POST", &format!("/v1/users/{user}/ga"), None),
        "trusted" => merchant_api(
            cfg,
            "POST",
            &format!("/v1/users/{user}/trusted"),
            Some(&json!({"trusted": true})),
        ),
        _ => text(404, "not found"),
    }
}

/// `GET /demo/outbox?order_id=` — the codes the edge "sent" for an order (development
/// only: the edge answers 404 elsewhere).
fn outbox(cfg: &Config, query: &str) -> Resp {
    let id = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("order_id="))
        .unwrap_or("");
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return error(400, "order_id", "must be an order id");
    }
    merchant_api(cfg, "GET", &format!("/v1/dev/outbox?order_id={id}"), None)
}

/// `POST /demo/webhooks` — a merchant's webhook endpoint: verify, then keep.
fn receive_webhook(cfg: &Config, inbox: &Inbox, req: &Request) -> Resp {
    let Some(secret) = &cfg.webhook_secret else {
        return error(503, "webhook_secret", "not configured");
    };
    let sig = req.header(webhook_sig::HEADER).unwrap_or_default();
    let body = req.body.as_slice();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if let Err(e) = webhook_sig::verify(
        &[secret.as_bytes()],
        sig,
        body,
        now,
        webhook_sig::DEFAULT_TOLERANCE_SECS,
    ) {
        return error(400, webhook_sig::HEADER, &e.to_string());
    }
    let Ok(event) = serde_json::from_slice::<Value>(body) else {
        return error(400, "body", "not JSON");
    };
    let kept = json!({
        "id": event["id"],
        "type": event["type"],
        "order_id": event["data"]["object"]["id"],
        "status": event["data"]["object"]["status"],
        "verified": true,
    });
    if let Ok(mut q) = inbox.lock() {
        // Deliveries are retried: keep one entry per event id.
        if !q.iter().any(|e| e["id"] == kept["id"]) {
            q.push_back(kept);
            while q.len() > KEPT_WEBHOOKS {
                q.pop_front();
            }
        }
    }
    json_resp(200, &json!({"received": true}))
}

#[cfg(test)]
mod tests {
    use super::{snippet_path, valid_user};

    #[test]
    fn only_snippet_files_are_served() {
        assert!(snippet_path(
            "/kassa/snippets/kassa-widget-f0874a2bd2ac57d3/src/element.js"
        ));
        for bad in [
            "/kassa/snippets/../../../edge/.dev.vars",
            "/kassa/snippets/a/../b.js",
            "/kassa/snippets/.hidden/x.js",
            "/kassa/snippets/a//b.js",
            "/kassa/snippets/a/b.wasm",
            "/kassa/snippets/",
            "/kassa/kassa.js",
        ] {
            assert!(!snippet_path(bad), "{bad}");
        }
    }

    #[test]
    fn shopper_ids_are_text_safe_in_a_path_and_an_email() {
        for good in ["10001", "alice", "alice-1000", "a.b_c", &"x".repeat(64)] {
            assert!(valid_user(good), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            ".x",
            "-x",
            "a/b",
            "a@b",
            "a b",
            "ä",
            "%2F",
            &"x".repeat(65),
        ] {
            assert!(!valid_user(bad), "{bad}");
        }
    }
}
