//! `kassa-demo`: serves the demo shop page and the widget bundle, and is the shop's tiny
//! backend — it holds the merchant key and creates orders through the merchant API, so the
//! key never reaches the browser.
//!
//! Usage: `KASSA_MERCHANT_KEY=… kassa-demo --port 8080 --edge http://127.0.0.1:8787 --dir www`

use std::path::{Path, PathBuf};

use tiny_http::{Header, Method, Request, Response, Server};

struct Config {
    port: u16,
    edge: String,
    merchant_key: String,
    dir: PathBuf,
}

fn main() {
    match config().and_then(serve) {
        Ok(()) => {}
        Err(e) => {
            eprintln!("kassa-demo: {e}");
            std::process::exit(2);
        }
    }
}

fn config() -> Result<Config, String> {
    let mut port = 8080u16;
    let mut edge = "http://127.0.0.1:8787".to_owned();
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().ok_or_else(|| format!("{a}: needs a value"))?;
        match a.as_str() {
            "--port" => port = v.parse().map_err(|_| format!("--port: not a port: {v}"))?,
            "--edge" => edge = v.trim_end_matches('/').to_owned(),
            "--dir" => dir = PathBuf::from(v),
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    let merchant_key = std::env::var("KASSA_MERCHANT_KEY")
        .map_err(|_| "KASSA_MERCHANT_KEY: not set".to_owned())?;
    Ok(Config {
        port,
        edge,
        merchant_key,
        dir,
    })
}

fn serve(cfg: Config) -> Result<(), String> {
    let server = Server::http(("127.0.0.1", cfg.port)).map_err(|e| format!("bind: {e}"))?;
    eprintln!("kassa-demo listening on http://127.0.0.1:{}/", cfg.port);
    for req in server.incoming_requests() {
        handle(&cfg, req);
    }
    Ok(())
}

fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

/// The page's CSP: no inline script or style, wasm allowed to compile, network only to
/// ourselves and the edge.
fn csp(edge: &str) -> String {
    let ws = edge.replacen("http", "ws", 1);
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         connect-src 'self' {edge} {ws}; img-src 'self' data:; base-uri 'none'; \
         object-src 'none'; frame-ancestors 'none'"
    )
}

fn handle(cfg: &Config, mut req: Request) {
    let path = req.url().split('?').next().unwrap_or("/").to_owned();
    let response = match (req.method(), path.as_str()) {
        (Method::Post, "/demo/orders") => create_order(cfg, &mut req),
        (Method::Get, "/") => file(cfg, "static/index.html"),
        (Method::Get, "/shop.js") => file(cfg, "static/shop.js"),
        (Method::Get, "/shop.css") => file(cfg, "static/shop.css"),
        (Method::Get, "/kassa/kassa.js") => file(cfg, "kassa/kassa.js"),
        (Method::Get, "/kassa/kassa_bg.wasm") => file(cfg, "kassa/kassa_bg.wasm"),
        (Method::Get, "/kassa/kassa.d.ts") => file(cfg, "kassa/kassa.d.ts"),
        (_, "/" | "/demo/orders" | "/shop.js" | "/shop.css") => text(405, "method not allowed"),
        _ => text(404, "not found"),
    };
    let mut response = response;
    for h in [
        header("Content-Security-Policy", &csp(&cfg.edge)),
        header("X-Content-Type-Options", "nosniff"),
        header("Referrer-Policy", "no-referrer"),
    ]
    .into_iter()
    .flatten()
    {
        response.add_header(h);
    }
    let _ = req.respond(response);
}

type Resp = Response<std::io::Cursor<Vec<u8>>>;

fn text(status: u16, body: &str) -> Resp {
    Response::from_string(body).with_status_code(status)
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
        Ok(bytes) => {
            let mut r = Response::from_data(bytes);
            if let Some(h) = header("Content-Type", ty) {
                r.add_header(h);
            }
            r
        }
        Err(_) => text(404, "not built yet: run `cargo xtask widget`"),
    }
}

/// Creates a demo order at the edge with the merchant key and returns what the page
/// needs to mount the widget. The request body is ignored: the shop decides the price.
fn create_order(cfg: &Config, req: &mut Request) -> Resp {
    let mut sink = Vec::new();
    let _ = std::io::Read::read_to_end(&mut req.as_reader(), &mut sink);
    let body = serde_json::json!({
        "amount": 12_345,
        "currency": "CNY",
        "user_id": "demo-shopper",
        "description": "Kassa demo: a cup of tea",
    });
    let result = ureq::post(&format!("{}/v1/orders", cfg.edge))
        .header("Authorization", &format!("Bearer {}", cfg.merchant_key))
        .send_json(&body);
    match result.and_then(|mut r| r.body_mut().read_json::<serde_json::Value>()) {
        Ok(order) => {
            let out = serde_json::json!({ "order": order, "edge": cfg.edge });
            let mut r = Response::from_string(out.to_string()).with_status_code(201);
            if let Some(h) = header("Content-Type", "application/json") {
                r.add_header(h);
            }
            r
        }
        Err(e) => text(502, &format!("edge: {e}")),
    }
}
