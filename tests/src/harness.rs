//! The edge under `wrangler dev` for integration tests: a real workerd process on
//! 127.0.0.1 with Durable Object state persisted to a directory the test owns, so a test
//! can stop and restart it and read its state back.
//!
//! Needs `cargo xtask edge` to have built `edge/build/` and `npm ci` to have installed
//! wrangler (both done by `cargo xtask test`). A missing piece is an error, never a skip.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Secrets the test edge runs with (passed as `--var`, overriding `edge/.dev.vars`).
pub const MERCHANT_KEY: &str = "sk_test_harness_merchant_key_0123456789";
pub const CLIENT_SECRET_KEY: &str = "harness-client-secret-key-0123456789abcdef";
pub const WEBHOOK_SECRET: &str = "whsec_test_harness";

const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// The Python venv `cargo xtask setup` made from this tree's
/// `tests/python/requirements.txt`: `KASSA_VENV`, or `~/.cache/kassa/venv-<FNV-1a of the
/// file>` (the path `xtask/src/setup.rs` computes), so trees with other requirements do
/// not share one.
#[must_use]
pub fn venv_dir() -> PathBuf {
    std::env::var_os("KASSA_VENV").map_or_else(
        || {
            let requirements = include_bytes!("../python/requirements.txt");
            let hash = requirements.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
            });
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(format!(".cache/kassa/venv-{hash:016x}"))
        },
        PathBuf::from,
    )
}

/// The workspace root: of the checkout `cargo test` runs in (cargo sets
/// `CARGO_MANIFEST_DIR` for the test process), else of the one this binary was built
/// in. Checkouts that share a target dir can share a test binary whose sources are
/// byte-identical, and its built-in path would then name the other checkout's edge.
#[must_use]
pub fn root() -> PathBuf {
    let here = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    here.parent()
        .map_or_else(|| here.clone(), Path::to_path_buf)
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// # Errors
    /// When the directory cannot be created.
    pub fn new(tag: &str) -> Result<Self, String> {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("kassa-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        Ok(Self(p))
    }

    #[must_use]
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A free TCP port on 127.0.0.1 (bound and released; fine for tests on one machine).
///
/// # Errors
/// When no port can be bound.
pub fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("local_addr: {e}"))
}

/// A running `wrangler dev`.
pub struct Edge {
    child: Option<Child>,
    port: u16,
    persist: PathBuf,
    log: PathBuf,
    vars: Vec<(String, String)>,
    own_group: bool,
}

impl Edge {
    /// Starts the edge with state in `persist` and waits until `/health` answers.
    ///
    /// # Errors
    /// When the build or wrangler is missing, or the edge does not become ready.
    pub fn start(persist: &Path) -> Result<Self, String> {
        Self::start_with(persist, &[])
    }

    /// Like [`Edge::start`] with extra `--var NAME:VALUE` settings.
    ///
    /// # Errors
    /// As [`Edge::start`].
    pub fn start_with(persist: &Path, extra: &[(&str, &str)]) -> Result<Self, String> {
        Self::start_on(persist, free_port()?, extra)
    }

    /// Like [`Edge::start_with`] on a given port, for tests that must know the edge's
    /// URL before it starts (callback URLs configured into the sandbox and the edge).
    ///
    /// # Errors
    /// As [`Edge::start`].
    pub fn start_on(persist: &Path, port: u16, extra: &[(&str, &str)]) -> Result<Self, String> {
        let mut vars: Vec<(String, String)> = [
            // Development is explicit (the deployed configuration has no KASSA_ENV);
            // an `extra` entry of the same name replaces a default.
            ("KASSA_ENV", "development"),
            ("KASSA_MERCHANT_KEY", MERCHANT_KEY),
            ("KASSA_CLIENT_SECRET_KEY", CLIENT_SECRET_KEY),
            ("KASSA_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ]
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        vars.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        Self::start_custom(persist, port, vars, true)
    }

    /// The edge as `wrangler deploy` configures it: no `KASSA_ENV` at all (production by
    /// default), the harness's secrets and `extra`.
    ///
    /// # Errors
    /// As [`Edge::start`].
    pub fn start_production(persist: &Path, extra: &[(&str, &str)]) -> Result<Self, String> {
        let vars = [
            ("KASSA_MERCHANT_KEY", MERCHANT_KEY),
            ("KASSA_CLIENT_SECRET_KEY", CLIENT_SECRET_KEY),
            ("KASSA_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        Self::start_custom(persist, free_port()?, vars, true)
    }

    /// The edge with exactly `vars` over `edge/.dev.vars` (no test secrets), on `port`.
    /// With `own_group` false wrangler stays in our process group, so a Ctrl-C at the
    /// terminal reaches it (`cargo xtask dev`); tests keep it apart and stop the group.
    ///
    /// # Errors
    /// As [`Edge::start`].
    pub fn start_custom(
        persist: &Path,
        port: u16,
        vars: Vec<(String, String)>,
        own_group: bool,
    ) -> Result<Self, String> {
        let mut edge = Self {
            child: None,
            port,
            persist: persist.join("state"),
            log: persist.join("wrangler.log"),
            vars,
            own_group,
        };
        edge.spawn()?;
        Ok(edge)
    }

    /// `http://127.0.0.1:PORT`
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops wrangler and workerd (the whole process group) and starts them again on the
    /// same port with the same state directory.
    ///
    /// # Errors
    /// As [`Edge::start`].
    pub fn restart(&mut self) -> Result<(), String> {
        self.stop();
        self.spawn()
    }

    /// Kills wrangler and workerd at once (SIGKILL to the process group, no chance to
    /// flush anything), as a crash or an OOM kill would; [`Edge::restart`] brings the
    /// edge back on the same state directory.
    pub fn kill(&mut self) {
        if let Some(child) = self.child.as_ref() {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        }
        self.stop();
    }

    /// Stops the edge: SIGTERM to the process group, SIGKILL after 5 s.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let group = if self.own_group {
            format!("-{}", child.id())
        } else {
            child.id().to_string()
        };
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = child.wait();
        // workerd may outlive its parent for a moment; wait for the port to be free.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && TcpListener::bind(("127.0.0.1", self.port)).is_err() {
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Starts wrangler; when the Workers runtime itself fails to start (seen under load
    /// on two cores: workerd exits at once, with nothing of ours in the log — a port
    /// picked by [`free_port`] taken again in between), tries again, up to 3 times. A
    /// start that fails the same way three times, or any other failure, is the error.
    fn spawn(&mut self) -> Result<(), String> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.spawn_once() {
                Err(e) if tries < 3 && e.contains("The Workers runtime failed to start") => {
                    eprintln!(
                        "harness: wrangler dev did not start (try {tries}); starting it again"
                    );
                    self.stop();
                    std::thread::sleep(Duration::from_millis(500));
                }
                other => return other,
            }
        }
    }

    fn spawn_once(&mut self) -> Result<(), String> {
        let root = root();
        let wrangler = root.join("node_modules/.bin/wrangler");
        if !wrangler.exists() {
            return Err(format!(
                "{}: missing; run `cargo xtask setup`",
                wrangler.display()
            ));
        }
        let build = root.join("edge/build/index.js");
        if !build.exists() {
            return Err(format!(
                "{}: missing; run `cargo xtask edge`",
                build.display()
            ));
        }
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| format!("{}: {e}", self.log.display()))?;
        let log2 = log.try_clone().map_err(|e| format!("log: {e}"))?;
        let mut cmd = Command::new(&wrangler);
        cmd.current_dir(root.join("edge"))
            .args(["dev", "--ip", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--inspector-port", &free_port()?.to_string()])
            .arg("--persist-to")
            .arg(&self.persist)
            .args([
                "--log-level",
                "warn",
                "--show-interactive-dev-session=false",
            ])
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CI", "true")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        if self.own_group {
            cmd.process_group(0);
        }
        for (k, v) in &self.vars {
            cmd.arg("--var").arg(format!("{k}:{v}"));
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("wrangler dev: cannot start: {e}"))?;
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let url = format!("{}/health", self.url());
        let started = Instant::now();
        while started.elapsed() < READY_TIMEOUT {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!(
                        "wrangler dev exited with {status}: {}",
                        self.log_tail()
                    ));
                }
            }
            if ureq::get(&url).call().is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(format!(
            "edge not ready after {READY_TIMEOUT:?}: {}",
            self.log_tail()
        ))
    }

    /// The last lines wrangler printed, for error messages.
    #[must_use]
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An HTTP client that returns 4xx/5xx responses instead of errors, so tests can read
/// error envelopes.
#[must_use]
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// Status and JSON body (`Value::Null` when the body is not JSON).
///
/// # Errors
/// On a transport error.
pub fn read_json(
    resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<(u16, serde_json::Value), String> {
    let mut resp = resp.map_err(|e| format!("http: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("body: {e}"))?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    ))
}
