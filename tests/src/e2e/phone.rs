//! A phone-sized headless Chromium for the widget's own browser test
//! (`tests/tests/e2e_widget.rs`): a 375 px wide window (the narrowest common phone),
//! scripts run synchronously or awaited, real keyboard input through WebDriver actions
//! (Tab, Shift+Tab, Enter, digits — what a keyboard-only shopper presses), and
//! screenshots of that window.
//!
//! It is its own session rather than [`super::webdriver::Browser`] because the window
//! size is part of a session's start (`--window-size`), and keyboard actions need the
//! client; like `Browser`, it blocks on a current-thread runtime and bounds every
//! command, so a hung chromedriver fails the test instead of hanging it.

use std::future::Future;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::harness::{free_port, TempDir};

/// The window: 375 CSS px wide (iPhone SE to 13 mini), tall enough for every screen.
pub const WIDTH: u32 = 375;
pub const HEIGHT: u32 = 900;

const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// WebDriver's key codes for the keys a keyboard-only shopper uses.
pub const TAB: char = '\u{E004}';
pub const ENTER: char = '\u{E007}';
pub const SHIFT: char = '\u{E008}';

/// A chromedriver process and one narrow session; both end on drop.
pub struct Phone {
    client: Option<Client>,
    runtime: tokio::runtime::Runtime,
    driver: Child,
    _profile: TempDir,
}

impl Phone {
    /// Starts chromedriver and a 375 px wide session in `lang`.
    ///
    /// # Errors
    /// When chromedriver or Chromium does not start.
    pub fn start(lang: &str) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("phone runtime: {e}"))?;
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
        let profile = TempDir::new("phone")?;
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--no-first-run".to_owned(),
            "--hide-scrollbars".to_owned(),
            "--force-device-scale-factor=1".to_owned(),
            format!("--window-size={WIDTH},{HEIGHT}"),
            format!("--user-data-dir={}", profile.path().display()),
            format!("--lang={lang}"),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"args": args, "prefs": {"intl.accept_languages": lang}}),
        );
        let mut phone = Self {
            client: None,
            runtime,
            driver,
            _profile: profile,
        };
        let url = format!("http://127.0.0.1:{port}");
        let client = phone.run("new session", async {
            ClientBuilder::new(HttpConnector::new())
                .capabilities(caps)
                .connect(&url)
                .await
        })?;
        phone.client = Some(client);
        // `--window-size` sizes the window, not the page: make the viewport itself 375.
        let inner = phone.exec("return [window.innerWidth, window.outerWidth];", &[])?;
        let (inner_w, outer_w) = (
            inner[0].as_u64().unwrap_or(0),
            inner[1].as_u64().unwrap_or(0),
        );
        if inner_w != u64::from(WIDTH) && outer_w >= inner_w {
            let chrome = u32::try_from(outer_w - inner_w).unwrap_or(0);
            let c = phone.client()?.clone();
            phone.run("window size", c.set_window_size(WIDTH + chrome, HEIGHT))?;
        }
        Ok(phone)
    }

    fn run<T, E: std::fmt::Display>(
        &self,
        what: &str,
        command: impl Future<Output = Result<T, E>>,
    ) -> Result<T, String> {
        let bounded = async { tokio::time::timeout(COMMAND_TIMEOUT, command).await };
        match self.runtime.block_on(bounded) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(format!("phone {what}: {e}")),
            Err(_) => Err(format!("phone {what}: no answer in {COMMAND_TIMEOUT:?}")),
        }
    }

    fn client(&self) -> Result<&Client, String> {
        self.client
            .as_ref()
            .ok_or_else(|| "phone: no session".to_owned())
    }

    /// Navigates and waits for the load.
    ///
    /// # Errors
    /// On a WebDriver error.
    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.run("goto", self.client()?.goto(url))
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and answers its value.
    ///
    /// # Errors
    /// On a WebDriver or script error.
    pub fn exec(&self, script: &str, args: &[Value]) -> Result<Value, String> {
        self.run("execute", self.client()?.execute(script, args.to_vec()))
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

    /// Polls `script` every 50 ms until it answers something truthy; answers it.
    ///
    /// # Errors
    /// After `timeout` (naming `what`), or on a WebDriver error.
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
            std::thread::sleep(Duration::from_millis(50));
        }
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
        let seq = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: SHIFT })
            .then(KeyAction::Down { value: TAB })
            .then(KeyAction::Up { value: TAB })
            .then(KeyAction::Up { value: SHIFT });
        let c = self.client()?.clone();
        self.run("keys", c.perform_actions(seq))
    }

    /// Saves a PNG of the window.
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

impl Drop for Phone {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.run("end session", client.close());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
