//! The browser tests' WebDriver session: one chromedriver process, one headless
//! Chromium session, navigation, script execution, element clicks and keystrokes,
//! screenshots — `fantoccini` behind a blocking facade, so test bodies stay plain
//! sequential code.
//!
//! The facade owns a current-thread tokio runtime and `block_on`s each command: the tests
//! drive one browser step by step, so nothing runs between commands, and fantoccini's
//! session task makes progress whenever a command is awaited. Every command is bounded
//! by [`COMMAND_TIMEOUT`] so a hung chromedriver fails the test instead of hanging it.
//! fantoccini is built without TLS (chromedriver listens on plain loopback HTTP).
//!
//! The widget renders in an (open) shadow root, so elements are located with a script
//! (`host.shadowRoot.querySelector`) that returns a WebDriver element reference, which
//! the click and send-keys commands then use — real input events, as a shopper's.

use std::future::Future;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::ElementRef;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::harness::free_port;

/// The W3C element reference key.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Longest one WebDriver command may take (a navigation waits for the page's load).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

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
    /// `None` only while the session starts, and once [`Drop`] has closed it.
    client: Option<Client>,
    runtime: tokio::runtime::Runtime,
    driver: Child,
    _profile: crate::harness::TempDir,
}

/// An element reference.
#[derive(Debug, Clone)]
pub struct Element(fantoccini::elements::Element);

impl Browser {
    /// Starts `/usr/bin/chromedriver` on a free port and a session with a fresh profile
    /// and `lang` as the browser's language.
    ///
    /// # Errors
    /// When chromedriver or Chromium does not start.
    pub fn start(lang: &str) -> Result<Self, String> {
        Self::start_sized(lang, None)
    }

    /// As [`Browser::start`]; with `viewport` (CSS px, width × height) the page itself
    /// gets exactly that size at device scale 1 and no scrollbars (the phone of
    /// `super::phone`), where `--window-size` alone would size the window around it.
    ///
    /// # Errors
    /// When chromedriver or Chromium does not start.
    pub fn start_sized(lang: &str, viewport: Option<(u32, u32)>) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("webdriver runtime: {e}"))?;
        let port = free_port()?;
        let mut driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("/usr/bin/chromedriver: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                let _ = driver.kill();
                let _ = driver.wait();
                return Err("chromedriver did not listen within 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = crate::harness::TempDir::new("chromium")?;
        let mut args: Vec<String> = CHROME_ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!("--lang={lang}"));
        if let Some((w, h)) = viewport {
            args.retain(|a| !a.starts_with("--window-size="));
            args.push("--hide-scrollbars".to_owned());
            args.push("--force-device-scale-factor=1".to_owned());
            args.push(format!("--window-size={w},{h}"));
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"args": args, "prefs": {"intl.accept_languages": lang}}),
        );
        let mut browser = Self {
            client: None,
            runtime,
            driver,
            _profile: profile,
        };
        let url = format!("http://127.0.0.1:{port}");
        let client = browser.run("new session", async {
            ClientBuilder::new(HttpConnector::new())
                .capabilities(caps)
                .connect(&url)
                .await
        })?;
        browser.client = Some(client);
        if let Some((w, h)) = viewport {
            // `--window-size` sizes the window, not the page: make the viewport `w`.
            let inner = browser.exec("return [window.innerWidth, window.outerWidth];", &[])?;
            let (inner_w, outer_w) = (
                inner[0].as_u64().unwrap_or(0),
                inner[1].as_u64().unwrap_or(0),
            );
            if inner_w != u64::from(w) && outer_w >= inner_w {
                let chrome = u32::try_from(outer_w - inner_w).unwrap_or(0);
                let c = browser.client()?.clone();
                browser.run("window size", c.set_window_size(w + chrome, h))?;
            }
        }
        Ok(browser)
    }

    /// Runs one command to completion on the facade's runtime.
    fn run<T, E: std::fmt::Display>(
        &self,
        what: &str,
        command: impl Future<Output = Result<T, E>>,
    ) -> Result<T, String> {
        // The time-out is made inside `block_on`: its timer needs the runtime's context.
        let bounded = async { tokio::time::timeout(COMMAND_TIMEOUT, command).await };
        match self.runtime.block_on(bounded) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(format!("webdriver {what}: {e}")),
            Err(_) => Err(format!(
                "webdriver {what}: no answer in {COMMAND_TIMEOUT:?}"
            )),
        }
    }

    fn client(&self) -> Result<&Client, String> {
        self.client
            .as_ref()
            .ok_or_else(|| "webdriver: no session".to_owned())
    }

    /// Navigates and waits for the load.
    ///
    /// # Errors
    /// On a WebDriver error.
    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.run("goto", self.client()?.goto(url))
    }

    /// The current URL.
    ///
    /// # Errors
    /// On a WebDriver error.
    pub fn url(&self) -> Result<String, String> {
        self.run("url", self.client()?.current_url())
            .map(String::from)
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and answers its value.
    ///
    /// # Errors
    /// On a WebDriver or script error.
    pub fn exec(&self, script: &str, args: &[Value]) -> Result<Value, String> {
        self.run("execute", self.client()?.execute(script, args.to_vec()))
    }

    /// The element a script returns, if any.
    ///
    /// # Errors
    /// On a WebDriver or script error.
    pub fn find_by_script(&self, script: &str, args: &[Value]) -> Result<Option<Element>, String> {
        let v = self.exec(script, args)?;
        let Some(id) = v.get(ELEMENT_KEY).and_then(Value::as_str) else {
            return Ok(None);
        };
        let el = fantoccini::elements::Element::from_element_id(
            self.client()?.clone(),
            ElementRef::from(id.to_owned()),
        );
        Ok(Some(Element(el)))
    }

    /// Clicks an element (scrolled into view first, as WebDriver does).
    ///
    /// # Errors
    /// On a WebDriver error (e.g. the element is not interactable).
    pub fn click(&self, el: &Element) -> Result<(), String> {
        self.run("click", el.0.click())
    }

    /// Types `text` into an element, key by key.
    ///
    /// # Errors
    /// On a WebDriver error.
    pub fn type_text(&self, el: &Element, text: &str) -> Result<(), String> {
        self.run("send keys", el.0.send_keys(text))
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

    /// Runs `script` whose last argument is a callback, and answers what it is called
    /// with (for promises: `axe.run(…).then(done)`).
    ///
    /// # Errors
    /// On a WebDriver or script error, or after the command time-out.
    pub fn exec_async(&self, script: &str, args: &[Value]) -> Result<Value, String> {
        self.run(
            "execute async",
            self.client()?.execute_async(script, args.to_vec()),
        )
    }

    /// Presses and releases each key in turn, to whatever has the focus (WebDriver
    /// actions: the browser's own keyboard events, as a shopper's).
    ///
    /// # Errors
    /// On a WebDriver error.
    pub fn keys(&self, keys: &str) -> Result<(), String> {
        let mut seq = KeyActions::new("keyboard".to_owned());
        for k in keys.chars() {
            seq = seq
                .then(KeyAction::Down { value: k })
                .then(KeyAction::Up { value: k });
        }
        let c = self.client()?.clone();
        self.run("keys", c.perform_actions(seq))
    }

    /// Shift+Tab: focus back one stop.
    ///
    /// # Errors
    /// On a WebDriver error.
    pub fn shift_tab(&self) -> Result<(), String> {
        const SHIFT: char = '\u{E008}';
        const TAB: char = '\u{E004}';
        let seq = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: SHIFT })
            .then(KeyAction::Down { value: TAB })
            .then(KeyAction::Up { value: TAB })
            .then(KeyAction::Up { value: SHIFT });
        let c = self.client()?.clone();
        self.run("keys", c.perform_actions(seq))
    }

    /// Saves a PNG screenshot of the viewport.
    ///
    /// # Errors
    /// On a WebDriver or file error.
    pub fn screenshot(&self, path: &Path) -> Result<(), String> {
        let png = self.run("screenshot", self.client()?.screenshot())?;
        if !png.starts_with(b"\x89PNG") {
            return Err("screenshot: not a PNG".into());
        }
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            // Ends the session (and Chromium) before its driver goes.
            let _ = self.run("end session", client.close());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
