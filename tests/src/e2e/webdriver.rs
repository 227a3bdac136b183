//! A small W3C WebDriver client over `ureq`, enough for the browser tests: one
//! chromedriver process, one headless Chromium session, navigation, script execution,
//! element clicks and keystrokes, screenshots.
//!
//! Why not `fantoccini` / `thirtyfour`: both are async over tokio and hyper, a large
//! compile for the dozen commands used here; the W3C protocol is plain JSON over HTTP
//! (<https://www.w3.org/TR/webdriver2/>).
//!
//! The widget renders in an (open) shadow root, so elements are located with a script
//! (`host.shadowRoot.querySelector`) that returns a WebDriver element reference, which
//! the click and send-keys commands then use — real input events, as a shopper's.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

use crate::harness::free_port;

/// The W3C element reference key.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Chromium's flags: headless, no sandbox (tests run as root), nothing fetched from the
/// network on its own.
pub const CHROME_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--window-size=1200,900",
];

/// A chromedriver process and one browser session; both end on drop.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: ureq::Agent,
    _profile: crate::harness::TempDir,
}

/// An element reference.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Browser {
    /// Starts `/usr/bin/chromedriver` on a free port and a session with a fresh profile
    /// and `lang` as the browser's language.
    ///
    /// # Errors
    /// When chromedriver or Chromium does not start.
    pub fn start(lang: &str) -> Result<Self, String> {
        let port = free_port()?;
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("/usr/bin/chromedriver: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("chromedriver did not listen within 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = crate::harness::TempDir::new("chromium")?;
        let mut args: Vec<String> = CHROME_ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!("--lang={lang}"));
        let http: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let base = format!("http://127.0.0.1:{port}");
        let mut browser = Self {
            driver,
            base,
            session: String::new(),
            http,
            _profile: profile,
        };
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"args": args, "prefs": {"intl.accept_languages": lang}},
        }}});
        let v = browser.cmd("POST", "/session", Some(&caps))?;
        browser.session = v["sessionId"]
            .as_str()
            .ok_or_else(|| format!("new session: no sessionId in {v}"))?
            .to_owned();
        Ok(browser)
    }

    /// One command; answers `value`, or the WebDriver error as text.
    fn cmd(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let resp = match (method, body) {
            ("GET", _) => self.http.get(&url).call(),
            ("DELETE", _) => self.http.delete(&url).call(),
            (_, Some(b)) => self.http.post(&url).send_json(b),
            (_, None) => self.http.post(&url).send_json(json!({})),
        };
        let mut resp = resp.map_err(|e| format!("webdriver {path}: {e}"))?;
        let ok = resp.status().is_success();
        let v: Value = resp
            .body_mut()
            .read_json()
            .map_err(|e| format!("webdriver {path}: {e}"))?;
        let value = v.get("value").cloned().unwrap_or(Value::Null);
        if ok {
            Ok(value)
        } else {
            Err(format!(
                "webdriver {path}: {} {}",
                value["error"],
                value["message"].as_str().unwrap_or_default()
            ))
        }
    }

    fn s(&self, path: &str) -> String {
        format!("/session/{}{path}", self.session)
    }

    /// Navigates and waits for the load.
    ///
    /// # Errors
    /// On a WebDriver error.
    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.cmd("POST", &self.s("/url"), Some(&json!({"url": url})))
            .map(drop)
    }

    /// The current URL.
    ///
    /// # Errors
    /// On a WebDriver error.
    pub fn url(&self) -> Result<String, String> {
        Ok(self
            .cmd("GET", &self.s("/url"), None)?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and answers its value.
    ///
    /// # Errors
    /// On a WebDriver or script error.
    pub fn exec(&self, script: &str, args: &[Value]) -> Result<Value, String> {
        self.cmd(
            "POST",
            &self.s("/execute/sync"),
            Some(&json!({"script": script, "args": args})),
        )
    }

    /// The element a script returns, if any.
    ///
    /// # Errors
    /// On a WebDriver or script error.
    pub fn find_by_script(&self, script: &str, args: &[Value]) -> Result<Option<Element>, String> {
        let v = self.exec(script, args)?;
        Ok(v.get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .map(|id| Element(id.to_owned())))
    }

    /// Clicks an element (scrolled into view first, as WebDriver does).
    ///
    /// # Errors
    /// On a WebDriver error (e.g. the element is not interactable).
    pub fn click(&self, el: &Element) -> Result<(), String> {
        self.cmd("POST", &self.s(&format!("/element/{}/click", el.0)), None)
            .map(drop)
    }

    /// Types `text` into an element, key by key.
    ///
    /// # Errors
    /// On a WebDriver error.
    pub fn type_text(&self, el: &Element, text: &str) -> Result<(), String> {
        self.cmd(
            "POST",
            &self.s(&format!("/element/{}/value", el.0)),
            Some(&json!({"text": text})),
        )
        .map(drop)
    }

    /// Polls `script` every 100 ms until it answers something truthy (not `null`,
    /// `false`, `""`, 0); answers that value. The error says what was awaited.
    ///
    /// # Errors
    /// After `timeout`, or on a WebDriver error.
    pub fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        script: &str,
        args: &[Value],
    ) -> Result<Value, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.exec(script, args)?;
            let truthy = match &v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::String(s) => !s.is_empty(),
                Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
                _ => true,
            };
            if truthy {
                return Ok(v);
            }
            if Instant::now() > deadline {
                return Err(format!("timed out after {timeout:?} waiting for {what}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Saves a PNG screenshot of the viewport.
    ///
    /// # Errors
    /// On a WebDriver or file error.
    pub fn screenshot(&self, path: &Path) -> Result<(), String> {
        let v = self.cmd("GET", &self.s("/screenshot"), None)?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .map_err(|e| format!("screenshot: {e}"))?;
        if !png.starts_with(b"\x89PNG") {
            return Err("screenshot: not a PNG".into());
        }
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.cmd("DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
