//! The widget itself in a phone-sized headless Chromium (375 px), on the demo shop's
//! page (its origin and its strict CSP) against the demo stack (`kassa_tests::e2e::stack`):
//!
//! - **Every screen, accessible**: loading, error (with retry), ready, each code kind
//!   (SMS, e-mail, authenticator), paying, processing, paid, failed (with retry),
//!   expired and cancelled, in en-US and zh-CN, light and dark, each checked by axe-core
//!   (`node_modules/axe-core`, pinned in `package.json`, injected from the installed
//!   file — nothing is fetched at test time), which must find no violation at all.
//!   Each screen also shows the order's amount and items (past loading), the
//!   merchant's name in the header, and one status line, which is the only live region.
//! - **Keyboard only**: from the first Tab to paid with Tab, Enter and digits.
//! - Screenshots of every screen in `docs/screenshots/widget/` (a folder of its own: the
//!   shop test's index prunes the PNGs it did not take from `docs/screenshots/`), written
//!   when `KASSA_UPDATE_SCREENSHOTS=1`, else into a scratch directory.
//!
//! Most screens are reached the way a shopper reaches them (the wallet product settles
//! on the page; the sandbox is scripted to fail or to take its time). Three cannot be
//! held or reached on the demo and are produced by wrapping the page's `fetch`:
//! loading (the answer is held back), the network error (`fetch` rejects, as offline),
//! paying (the `pay` answer is held back); the e-mail code screen is the real order with
//! `authType` read as `EMAIL` (the demo's shoppers all have a phone number).
//!
//! Needs `cargo xtask setup`, `cargo xtask edge` and `cargo xtask widget`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kassa_shared::crypto::totp::Totp;
use kassa_tests::e2e::phone::{Phone, ENTER, TAB};
use kassa_tests::e2e::stack::{Ports, Stack};
use kassa_tests::harness::{agent, read_json, root, TempDir};
use serde_json::{json, Value};

const STEP: Duration = Duration::from_secs(30);
const MERCHANT: &str = "Tea House 茶馆";

/// An order as the demo backend made it.
struct Order {
    id: String,
    secret: String,
    edge: String,
}

fn new_order(stack: &Stack, product: &str, user: &str, expires_in: Option<u64>) -> Order {
    let mut body = json!({"product": product, "user": user});
    if let Some(s) = expires_in {
        body["expires_in"] = json!(s);
    }
    let (s, v) = read_json(
        agent()
            .post(format!("{}/demo/orders", stack.demo_url()))
            .send_json(&body),
    )
    .unwrap();
    assert_eq!(s, 201, "{v}");
    Order {
        id: v["order"]["id"].as_str().unwrap().to_owned(),
        secret: v["order"]["client_secret"].as_str().unwrap().to_owned(),
        edge: v["edge"].as_str().unwrap().to_owned(),
    }
}

/// The `nth` code the edge "sent" for an order (the dev outbox).
fn sent_code(stack: &Stack, order: &str, nth: usize) -> String {
    stack.sent_code(order, nth, STEP).unwrap()
}

/// Enrols an authenticator for `user` (the demo backend) and answers it.
fn enrol_ga(stack: &Stack, user: &str) -> Totp {
    let (s, v) = read_json(
        agent()
            .post(format!("{}/demo/users/{user}/ga", stack.demo_url()))
            .send_empty(),
    )
    .unwrap();
    assert_eq!(s, 201, "{v}");
    Totp::from_base32(v["secret"].as_str().unwrap()).unwrap()
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Replaces the shop page's content with one `<main>` holding a fresh `#checkout`, and
/// mounts the widget there with `arguments[0]` as its options (from the module the page
/// already loaded, under the page's CSP). `arguments[1]`: how to wrap `fetch`
/// (`hold-load`, `offline`, `hold-pay`, `email`, or null for none). Events are kept in
/// `window.kassaEvents`.
const MOUNT_JS: &str = r"
const [opts, wrap, dark, done] = arguments;
(async () => {
  const m = await import('/kassa/kassa.js');
  await m.default();
  if (window.kassaHandle) { window.kassaHandle.destroy(); window.kassaHandle.free(); }
  window.kassaRealFetch ??= window.fetch;
  const real = window.kassaRealFetch;
  const never = () => new Promise(() => {});
  // gloo-net passes a Request; a page may pass a string.
  const path = (u) => new URL(typeof u === 'string' ? u : u.url).pathname;
  window.fetch = {
    'hold-load': (u, i) => path(u).endsWith('/load_pay_data') ? never() : real(u, i),
    'offline': () => Promise.reject(new TypeError('Failed to fetch')),
    'hold-pay': (u, i) => /\/(quick_)?pay$/.test(path(u)) ? never() : real(u, i),
    'email': async (u, i) => {
      const r = await real(u, i);
      if (!path(u).endsWith('/load_pay_data')) return r;
      const v = await r.json();
      v.authType = 'EMAIL';
      return new Response(JSON.stringify(v), { status: r.status });
    },
  }[wrap] ?? real;
  const host = document.createElement('div');
  host.id = 'checkout';
  const main = document.createElement('main');
  main.append(host);
  document.body.replaceChildren(main);
  // CSSOM, which the page's CSP allows (no style attribute).
  document.body.style.margin = '0';
  document.body.style.background = dark ? '#121212' : '#ffffff';
  window.kassaEvents = [];
  for (const t of ['ready', 'paid', 'failed', 'expired', 'cancelled', 'error']) {
    host.addEventListener('kassa:' + t, (e) => window.kassaEvents.push({ type: t, detail: e.detail }));
  }
  window.kassaHandle = m.mount(host, opts);
  done(true);
})().catch((e) => done(String(e)));
";

const SCREEN_JS: &str = r"
const r = document.getElementById('checkout')?.shadowRoot;
const s = r && r.querySelector('[data-screen]');
return s ? s.getAttribute('data-screen') : null;";

/// The widget's root, one level into its shadow root: the deepest focused element.
const FOCUSED_JS: &str = r"
let a = document.activeElement;
while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
return a ? (a.getAttribute('data-kassa') || a.id || a.tagName.toLowerCase()) : null;";

/// What the shopper can read: the widget's text, and the facts every screen must show.
const FACTS_JS: &str = r"
const r = document.getElementById('checkout').shadowRoot;
const text = (sel) => { const e = r.querySelector(sel); return e ? e.textContent : null; };
return {
  merchant: text('header [data-kassa=merchant]'),
  status: text('[data-kassa=status]'),
  order: text('[data-kassa=order]'),
  live: r.querySelectorAll('[aria-live], [role=status], [role=alert], [role=log]').length,
  all: r.textContent,
};";

/// axe-core on the widget (its host and open shadow root), every rule axe runs by
/// default; answers the violations, each with where and why.
const AXE_JS: &str = r"
const done = arguments[arguments.length - 1];
axe.run(document.getElementById('checkout'), { resultTypes: ['violations'] })
  .then((r) => done(r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
  }))))
  .catch((e) => done({ error: String(e) }));";

/// One locale and theme of the widget on the phone.
struct Run<'a> {
    phone: &'a Phone,
    stack: &'a Stack,
    locale: &'static str,
    dark: bool,
    shots: PathBuf,
    taken: Vec<String>,
    /// Screens checked, with the time axe took.
    checked: Vec<(String, Duration)>,
}

impl Run<'_> {
    fn mount(&self, order: &Order, wrap: Option<&str>) {
        let opts = json!({
            "orderId": order.id, "clientSecret": order.secret, "edge": order.edge,
            "locale": self.locale, "theme": if self.dark { "dark" } else { "light" },
            "merchantName": MERCHANT,
        });
        let v = self
            .phone
            .exec_async(MOUNT_JS, &[opts, json!(wrap), json!(self.dark)])
            .unwrap();
        assert_eq!(v, json!(true), "mount: {v}");
    }

    fn screen(&self) -> Option<String> {
        self.phone
            .exec(SCREEN_JS, &[])
            .unwrap()
            .as_str()
            .map(str::to_owned)
    }

    fn wait_screen(&self, screen: &str) {
        let script =
            format!("const s = (function() {{ {SCREEN_JS} }})(); return s === arguments[0];");
        if let Err(e) =
            self.phone
                .wait_for(&format!("screen {screen}"), STEP, &script, &[json!(screen)])
        {
            let events = self.phone.exec("return window.kassaEvents;", &[]);
            panic!("{e} (on {:?}; events {events:?})", self.screen());
        }
    }

    fn click(&self, hook: &str) {
        let v = self
            .phone
            .exec(
                "const b = document.getElementById('checkout').shadowRoot.querySelector(`[data-kassa=${arguments[0]}]`); \
                 if (!b || b.disabled) return false; b.click(); return true;",
                &[json!(hook)],
            )
            .unwrap();
        assert_eq!(v, json!(true), "no enabled [data-kassa={hook}]");
    }

    /// Types a code into the code field and submits it (as keys, into the field the
    /// widget focused).
    fn submit_code(&self, code: &str) {
        self.phone
            .wait_for(
                "the code field focused",
                STEP,
                &format!("return (function() {{ {FOCUSED_JS} }})() === 'code-input';"),
                &[],
            )
            .unwrap();
        self.phone.keys(&format!("{code}{ENTER}")).unwrap();
    }

    /// axe, the facts every screen shows, a screenshot: `name` is the screen's file name.
    fn check(&mut self, name: &str, with_order: bool) {
        // Let the screen settle (yew renders on the next tick; the countdown ticks).
        std::thread::sleep(Duration::from_millis(150));
        let facts = self.phone.exec(FACTS_JS, &[]).unwrap();
        let all = facts["all"].as_str().unwrap_or_default();
        assert_eq!(facts["merchant"], json!(MERCHANT), "{name}: {facts}");
        assert_eq!(facts["live"], json!(1), "{name}: one live region: {facts}");
        let status = facts["status"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .to_owned();
        assert!(!status.is_empty(), "{name}: no status line: {facts}");
        assert_eq!(
            all.matches(&status).count(),
            1,
            "{name}: status said twice: {all}"
        );
        if with_order {
            let order = facts["order"].as_str().unwrap_or_default();
            assert!(order.contains("12.5 USDT"), "{name}: no amount: {facts}");
            assert!(order.contains("× 1"), "{name}: no items: {facts}");
        }
        let started = Instant::now();
        let found = self.phone.exec_async(AXE_JS, &[]).unwrap();
        assert_eq!(
            found,
            json!([]),
            "axe on {name} ({} {}): {}",
            self.locale,
            if self.dark { "dark" } else { "light" },
            serde_json::to_string_pretty(&found).unwrap()
        );
        self.checked.push((name.to_owned(), started.elapsed()));
        let file = format!(
            "{}-{}-{name}.png",
            self.locale,
            if self.dark { "dark" } else { "light" }
        );
        self.phone.screenshot(&self.shots.join(&file)).unwrap();
        self.taken.push(file);
    }

    /// Every screen, in this locale and theme.
    fn every_screen(&mut self, users: &mut u32) {
        let mut user = || {
            *users += 1;
            users.to_string()
        };
        // Made first, shown last: by then it has expired (10 s is the shortest life).
        let expiring = new_order(self.stack, "usdt", &user(), Some(10));
        let made = Instant::now();

        let o = new_order(self.stack, "usdt", &user(), None);
        self.mount(&o, Some("hold-load"));
        self.wait_screen("loading");
        self.check("loading", false);

        self.mount(&o, Some("offline"));
        self.wait_screen("error");
        self.check("error", false);

        self.mount(&o, None);
        self.wait_screen("ready");
        self.check("ready", true);
        self.click("cancel");
        self.wait_screen("cancelled");
        self.check("cancelled", true);

        // SMS: the code is sent on entering the step.
        let o = new_order(self.stack, "usdt", &user(), None);
        self.mount(&o, None);
        self.wait_screen("ready");
        self.click("pay");
        self.wait_screen("code");
        let sms = sent_code(self.stack, &o.id, 1);
        self.check("code-sms", true);
        // Processing: the wallet holds the charge (it settles by itself otherwise, too
        // fast to look at), then settles it.
        self.stack
            .control("wallet/settle", &json!({"ms": null}))
            .unwrap();
        self.submit_code(&sms);
        self.wait_screen("processing");
        self.check("processing", true);
        self.stack
            .control("wallet/complete", &json!({"id": o.id, "result": "success"}))
            .unwrap();
        self.stack
            .control("wallet/settle", &json!({"ms": 300}))
            .unwrap();
        self.wait_screen("paid");
        self.check("paid", true);

        let o = new_order(self.stack, "usdt", &user(), None);
        self.mount(&o, Some("email"));
        self.wait_screen("ready");
        self.click("pay");
        self.wait_screen("code");
        self.check("code-email", true);

        // The authenticator; the pay answer held back shows paying.
        let ga_user = user();
        let totp = enrol_ga(self.stack, &ga_user);
        let o = new_order(self.stack, "usdt", &ga_user, None);
        self.mount(&o, Some("hold-pay"));
        self.wait_screen("ready");
        self.click("pay");
        self.wait_screen("code");
        self.check("code-ga", true);
        self.submit_code(&totp.code_at(now_s()));
        self.wait_screen("paying");
        self.check("paying", true);

        // The wallet refuses once: failed, with a retry while the order is open.
        self.stack
            .control("wallet/script", &json!({"outcome": "deny", "count": 1}))
            .unwrap();
        let o = new_order(self.stack, "usdt", &user(), None);
        self.mount(&o, None);
        self.wait_screen("ready");
        self.click("pay");
        self.wait_screen("code");
        self.submit_code(&sent_code(self.stack, &o.id, 1));
        self.wait_screen("failed");
        self.check("failed", true);

        let left = Duration::from_secs(11).saturating_sub(made.elapsed());
        std::thread::sleep(left);
        self.mount(&expiring, None);
        self.wait_screen("expired");
        self.check("expired", true);
    }
}

/// Keyboard only, from the first Tab to paid: Tab reaches Pay, Enter pays, the focus
/// is moved to the code field, digits and Enter confirm.
fn keyboard_payment(phone: &Phone, stack: &Stack, user: &str) {
    let o = new_order(stack, "usdt", user, None);
    let run = Run {
        phone,
        stack,
        locale: "en-US",
        dark: false,
        shots: PathBuf::new(),
        taken: Vec::new(),
        checked: Vec::new(),
    };
    run.mount(&o, None);
    run.wait_screen("ready");
    axe_reaches_the_shadow_root(phone);
    let focused = || phone.exec(FOCUSED_JS, &[]).unwrap();
    assert_eq!(
        focused(),
        json!("body"),
        "nothing focused before the first Tab"
    );
    phone.keys(&TAB.to_string()).unwrap();
    assert_eq!(focused(), json!("pay"), "the first Tab reaches Pay");
    phone.keys(&ENTER.to_string()).unwrap();
    run.wait_screen("code");
    let code = sent_code(stack, &o.id, 1);
    run.submit_code(&code);
    run.wait_screen("paid");
    let events = phone
        .exec("return window.kassaEvents.map(e => e.type);", &[])
        .unwrap();
    assert_eq!(events, json!(["ready", "paid"]));
}

fn load_axe() -> String {
    let path = root().join("node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask setup`", path.display()))
}

fn inject_axe(phone: &Phone, axe: &str) {
    // WebDriver's script runs as the browser's DevTools do, outside the page's CSP: the
    // page needs no allowance for the checker.
    let v = phone
        .exec(&format!("{axe}\n;return typeof window.axe.run;"), &[])
        .unwrap();
    assert_eq!(v, json!("function"));
}

/// axe sees inside the widget's shadow root: an image without a text alternative put
/// there is reported, and once it is gone, nothing is.
fn axe_reaches_the_shadow_root(phone: &Phone) {
    let planted = phone
        .exec(
            "const img = document.createElement('img'); img.id = 'kassa-axe-probe';              document.getElementById('checkout').shadowRoot.append(img); return true;",
            &[],
        )
        .unwrap();
    assert_eq!(planted, json!(true));
    let found = phone.exec_async(AXE_JS, &[]).unwrap();
    let ids: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["id"].as_str())
        .collect();
    assert!(ids.contains(&"image-alt"), "axe missed the probe: {found}");
    phone
        .exec("document.getElementById('checkout').shadowRoot.getElementById('kassa-axe-probe').remove();", &[])
        .unwrap();
    assert_eq!(phone.exec_async(AXE_JS, &[]).unwrap(), json!([]));
}

fn write_index(shots: &Path, taken: &[String]) {
    let mut md = String::from(
        "# Widget screenshots\n\n\
         Every screen of the widget at 375 px wide, in both locales, light and dark, \
         each checked by axe-core with no violation — taken by \
         `tests/tests/e2e_widget.rs` (`cargo xtask test`). Names are \
         `<locale>-<theme>-<screen>.png`. To refresh them: \
         `KASSA_UPDATE_SCREENSHOTS=1 cargo test -p kassa-tests --test e2e_widget`.\n\n\
         | locale | theme | screen | file |\n|---|---|---|---|\n",
    );
    for name in taken {
        let stem = name.trim_end_matches(".png");
        let (locale, rest) = stem.split_at(5);
        let (theme, screen) = rest
            .trim_start_matches('-')
            .split_once('-')
            .unwrap_or(("", ""));
        md.push_str(&format!(
            "| {locale} | {theme} | {screen} | [{name}]({name}) |\n"
        ));
    }
    std::fs::write(shots.join("README.md"), md).unwrap();
}

#[test]
fn widget_screens_accessible_and_keyboard_only() {
    let bundle = root().join("www/kassa/kassa.js");
    assert!(
        bundle.exists(),
        "{}: run `cargo xtask widget`",
        bundle.display()
    );
    let axe = load_axe();
    let dir = TempDir::new("e2e-widget").unwrap();
    let stack = Stack::start(Ports::free().unwrap(), dir.path(), true).unwrap();
    let scratch = TempDir::new("e2e-widget-shots").unwrap();
    let shots = if std::env::var_os("KASSA_UPDATE_SCREENSHOTS").is_some() {
        root().join("docs/screenshots/widget")
    } else {
        scratch.path().to_path_buf()
    };
    std::fs::create_dir_all(&shots).unwrap();
    let started = Instant::now();
    let mut taken = Vec::new();
    let mut users = 3000;
    for locale in ["en-US", "zh-CN"] {
        let phone = Phone::start(locale).unwrap();
        phone.goto(&format!("{}/", stack.demo_url())).unwrap();
        phone
            .wait_for("the shop", STEP, "return !!window.kassaDemo;", &[])
            .unwrap();
        inject_axe(&phone, &axe);
        if locale == "en-US" {
            users += 1;
            keyboard_payment(&phone, &stack, &users.to_string());
        }
        for dark in [false, true] {
            let mut run = Run {
                phone: &phone,
                stack: &stack,
                locale,
                dark,
                shots: shots.clone(),
                taken: Vec::new(),
                checked: Vec::new(),
            };
            run.every_screen(&mut users);
            eprintln!(
                "e2e_widget: {locale} {}: axe found nothing on {} screens ({:?})",
                if dark { "dark" } else { "light" },
                run.checked.len(),
                run.checked
            );
            taken.extend(run.taken);
        }
        let violations = phone
            .exec("return window.kassaDemo.cspViolations;", &[])
            .unwrap();
        assert_eq!(violations, json!([]), "CSP violations");
    }
    assert_eq!(taken.len(), 2 * 2 * 12);
    write_index(&shots, &taken);
    eprintln!("e2e_widget: {:?}", started.elapsed());
    drop(stack);
}

/// Serves, with the demo shop's CSP (edge `edge`): `pages` by path, and under each
/// `(prefix, dir)` the files of `dir`.
fn serve(
    pages: Vec<(String, String)>,
    dirs: Vec<(&'static str, PathBuf)>,
    edge: &str,
) -> (kassa_httpd::Listener, String) {
    let port = kassa_tests::harness::free_port().unwrap();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let csp = kassa_www::csp(edge, &[]);
    let handler = move |req: kassa_httpd::Request| {
        let path = req.target.split('?').next().unwrap_or("").to_owned();
        let mut resp = if let Some((_, html)) = pages.iter().find(|(p, _)| *p == path) {
            kassa_httpd::Response::new(200, "text/html; charset=utf-8", html.clone())
        } else if let Some((prefix, dir)) = dirs
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix) && !path.contains(".."))
        {
            let file = dir.join(&path[prefix.len()..]);
            let ctype = match file.extension().and_then(|e| e.to_str()) {
                Some("wasm") => "application/wasm",
                Some("js") => "text/javascript",
                _ => "application/octet-stream",
            };
            match std::fs::read(&file) {
                Ok(bytes) => kassa_httpd::Response::new(200, ctype, bytes),
                Err(_) => kassa_httpd::Response::error(404, "not found"),
            }
        } else {
            kassa_httpd::Response::error(404, "not found")
        };
        resp.headers
            .push(("Content-Security-Policy".to_owned(), csp.clone()));
        resp
    };
    let server =
        kassa_httpd::Listener::spawn(listener, 1 << 20, std::sync::Arc::new(handler)).unwrap();
    (server, format!("http://127.0.0.1:{port}"))
}

/// Port 9 (discard): nothing answers, so a mounted widget shows its network error —
/// proof enough that the module and its wasm ran under the page's CSP.
const DEAD_EDGE: &str = "http://127.0.0.1:9";

/// What the widget on `phone`'s page shows once it has loaded (or failed to): its
/// screen and merchant line (the element may be `#c` or `kassa-checkout`).
fn widget_screen(phone: &Phone, within: Duration) -> Result<Value, String> {
    phone.wait_for(
        "the widget's screen",
        within,
        "const h = document.querySelector('kassa-checkout, #c'); \
         const r = h && h.shadowRoot; const s = r && r.querySelector('[data-screen]'); \
         const m = r && r.querySelector('[data-kassa=merchant]'); \
         const screen = s && s.getAttribute('data-screen'); \
         return screen && screen !== 'loading' ? [screen, m && m.textContent] : null;",
        &[],
    )
}

/// The self-hosted bundle loaded through `<script type="module" integrity=…>` (and
/// `modulepreload` with integrity for what it imports) under the demo's CSP, with the
/// hashes `cargo xtask widget` printed; one wrong hash and nothing runs. Then the npm
/// package: `npm install` of the packed tarball into a scratch project, offline, bundled
/// with esbuild from `import { mount } from "@kassa/widget"`, mounted on a page.
#[test]
fn pinned_bundle_and_npm_package() {
    let kassa = root().join("www/kassa");
    let pins_path = kassa.join("integrity.json");
    let pins: serde_json::Map<String, Value> = serde_json::from_str(
        &std::fs::read_to_string(&pins_path)
            .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask widget`", pins_path.display())),
    )
    .unwrap();
    let tags = |entry_hash: &str| {
        let mut html = String::new();
        for (file, hash) in &pins {
            let hash = hash.as_str().unwrap();
            if file == "kassa.js" || file.starts_with("snippets/") {
                html.push_str(&format!(
                    "<link rel=\"modulepreload\" href=\"/kassa/{file}\" integrity=\"{hash}\">\n"
                ));
            }
        }
        html.push_str(&format!(
            "<script type=\"module\" src=\"/kassa/kassa-checkout.js\" integrity=\"{entry_hash}\"></script>\n"
        ));
        html
    };
    let page = |head: String| {
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Pinned</title>\n{head}</head>\
             <body><main><kassa-checkout order-id=\"476682884348973312\" client-secret=\"kcs_test\" \
             edge=\"{DEAD_EDGE}\" locale=\"en-US\" merchant-name=\"Pinned shop\"></kassa-checkout></main></body></html>"
        )
    };
    let good = pins["kassa-checkout.js"].as_str().unwrap().to_owned();
    // The same length and alphabet, one character off.
    let mut bad = good.clone().into_bytes();
    let last = bad.len() - 2;
    bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bad).unwrap();

    let scratch = TempDir::new("npm-scratch").unwrap();
    let pages = vec![
        ("/pinned.html".to_owned(), page(tags(&good))),
        ("/tampered.html".to_owned(), page(tags(&bad))),
        (
            "/npm.html".to_owned(),
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>npm</title>\
             <script type=\"module\" src=\"/app/app.js\"></script></head>\
             <body><main><div id=\"c\"></div></main></body></html>"
                .to_owned(),
        ),
    ];
    let (_server, base) = serve(
        pages,
        vec![
            ("/kassa/", kassa.clone()),
            ("/app/", scratch.path().to_path_buf()),
        ],
        DEAD_EDGE,
    );
    let started = Instant::now();
    let phone = Phone::start("en-US").unwrap();
    phone.goto(&format!("{base}/pinned.html")).unwrap();
    let seen = widget_screen(&phone, STEP).unwrap();
    assert_eq!(
        seen,
        json!(["error", "Pinned shop"]),
        "the pinned bundle runs"
    );
    phone.goto(&format!("{base}/tampered.html")).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let defined = phone
        .exec("return !!customElements.get('kassa-checkout');", &[])
        .unwrap();
    assert_eq!(defined, json!(false), "a wrong hash must stop the module");
    eprintln!(
        "e2e_widget: pinned bundle checked in {:?}",
        started.elapsed()
    );

    // The npm package, installed offline from the tarball `cargo xtask widget` packed.
    let npm_dir = kassa.join("npm");
    let tarball = std::fs::read_dir(&npm_dir)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask widget`", npm_dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .expect("no npm tarball; run `cargo xtask widget`");
    let started = Instant::now();
    std::fs::write(
        scratch.path().join("package.json"),
        r#"{"name": "scratch-shop", "private": true}"#,
    )
    .unwrap();
    let npm = std::process::Command::new("npm")
        .args([
            "install",
            "--offline",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
        ])
        .arg(&tarball)
        .current_dir(scratch.path())
        .output()
        .unwrap();
    assert!(
        npm.status.success(),
        "npm install: {}",
        String::from_utf8_lossy(&npm.stderr)
    );
    let pkg = scratch.path().join("node_modules/@kassa/widget");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(pkg.join("package.json")).unwrap()).unwrap();
    assert_eq!(manifest["types"], json!("./kassa.d.ts"));
    for file in ["kassa.js", "kassa_bg.wasm", "kassa.d.ts", "README.md"] {
        assert!(pkg.join(file).exists(), "{file} not in the package");
    }
    let dts = std::fs::read_to_string(pkg.join("kassa.d.ts")).unwrap();
    assert!(dts.contains("export function mount(") && dts.contains("merchantName?: string"));
    std::fs::write(
        scratch.path().join("main.js"),
        "import init, { mount } from \"@kassa/widget\";\n\
         await init({ module_or_path: \"/app/node_modules/@kassa/widget/kassa_bg.wasm\" });\n\
         mount(document.getElementById(\"c\"), { orderId: \"476682884348973312\", \
         clientSecret: \"kcs_test\", edge: \"http://127.0.0.1:9\", locale: \"zh-CN\", \
         merchantName: \"npm shop\" });\n",
    )
    .unwrap();
    let esbuild = std::process::Command::new(root().join("node_modules/.bin/esbuild"))
        .args([
            "main.js",
            "--bundle",
            "--format=esm",
            "--outfile=app.js",
            "--log-level=warning",
        ])
        .current_dir(scratch.path())
        .output()
        .unwrap();
    assert!(
        esbuild.status.success(),
        "esbuild: {}",
        String::from_utf8_lossy(&esbuild.stderr)
    );
    phone.goto(&format!("{base}/npm.html")).unwrap();
    let seen = widget_screen(&phone, STEP).unwrap();
    assert_eq!(seen, json!(["error", "npm shop"]), "the npm package mounts");
    eprintln!(
        "e2e_widget: npm package installed and mounted in {:?}",
        started.elapsed()
    );
}
