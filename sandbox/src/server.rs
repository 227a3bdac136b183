//! The HTTP shell: binds 127.0.0.1, serves it with [`kassa_httpd`] (as the demo
//! backend does), turns each request into a [`Req`], routes it to the upstream's module and
//! writes the [`Resp`] back. Modules never see the wire, so each handler is a plain
//! function of the shared [`State`] and the request.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use kassa_httpd as httpd;
use serde::Deserialize;
use serde_json::{json, Value};

use super::config::{ConfigError, Keys, SandboxConfig};
use super::{control, merchant, outbound, paytm, pingpp, pingpp_pages, s0, s3, wallet};

/// SPEC 3: bodies over 64 KiB are refused (413).
pub const MAX_BODY: usize = 64 * 1024;

/// One parsed request.
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: String,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    /// Builds a request (used by the server and by unit tests).
    #[must_use]
    pub fn new(method: &str, url: &str, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body,
        }
    }

    /// A header, case-insensitively.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        httpd::header(&self.headers, name)
    }

    /// A query parameter.
    #[must_use]
    pub fn query_param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The body as JSON, or a reason naming what is wrong.
    pub fn json(&self) -> Result<Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| format!("body is not JSON: {e}"))
    }
}

/// One response.
pub struct Resp {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    #[must_use]
    pub fn json(status: u16, v: &Value) -> Self {
        Self {
            status,
            content_type: "application/json; charset=utf-8",
            headers: Vec::new(),
            body: v.to_string().into_bytes(),
        }
    }
    #[must_use]
    pub fn text(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
        }
    }
    #[must_use]
    pub fn html(status: u16, body: String) -> Self {
        Self::text(status, "text/html; charset=utf-8", body)
    }
    #[must_use]
    pub fn redirect(location: &str) -> Self {
        let mut r = Self::text(303, "text/plain; charset=utf-8", format!("see {location}"));
        r.headers.push(("Location".into(), location.to_owned()));
        r
    }
    #[must_use]
    pub fn not_found(path: &str) -> Self {
        Self::json(404, &json!({"error": format!("no such route: {path}")}))
    }
    #[must_use]
    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::json(
            405,
            &json!({"error": format!("method {method} not allowed on {path}")}),
        )
    }
}

/// A scripted answer for the next request(s) of an upstream (see [`control`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Answer normally (approve, succeed, accept).
    #[serde(alias = "succeed", alias = "ok", alias = "accept")]
    Approve,
    /// A well-formed refusal in the provider's style (S0 deny, S3 error code, …).
    #[serde(alias = "fail", alias = "reject")]
    Deny,
    /// Sleep `ms`, then answer normally (a time-out for a caller with a shorter one).
    #[serde(alias = "timeout")]
    Slow { ms: u64 },
    /// HTTP 500.
    Error,
    /// 200 with a body that is not what the caller expects.
    Garbage,
}

/// How refunds raised from now on settle (`/_control/{paytm,wallet}/refund_outcome`):
/// `pending` holds them until `/_control/…/refund_complete` decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundOutcome {
    #[default]
    Success,
    Failure,
    Pending,
}

/// Runs `f` on a background thread `ms` after now (a provider settling by itself).
pub fn after(state: &Arc<State>, ms: u64, f: impl FnOnce(&Arc<State>) + Send + 'static) {
    let state = state.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(ms));
        f(&state);
    });
}

/// A default outcome plus one-shot outcomes queued in front of it.
#[derive(Debug, Clone)]
pub struct Script {
    default: Outcome,
    queue: VecDeque<Outcome>,
}

impl Default for Script {
    fn default() -> Self {
        Self {
            default: Outcome::Approve,
            queue: VecDeque::new(),
        }
    }
}

impl Script {
    /// The outcome for the next request.
    pub fn take_next(&mut self) -> Outcome {
        self.queue.pop_front().unwrap_or(self.default)
    }
    /// `count` = `Some(n)`: the next n requests; `None`: every request from now on.
    pub fn set(&mut self, outcome: Outcome, count: Option<u32>) {
        match count {
            Some(n) => self.queue.extend((0..n).map(|_| outcome)),
            None => {
                self.queue.clear();
                self.default = outcome;
            }
        }
    }
}

/// Everything mutable, behind one lock (the sandbox is not a load generator).
#[derive(Default)]
pub struct Inner {
    pub counters: BTreeMap<String, u64>,
    pub s0: s0::S0State,
    pub s3: s3::S3State,
    pub paytm: paytm::PaytmState,
    pub pingpp: pingpp::PingppState,
    pub wallet: wallet::WalletState,
    pub merchant: merchant::MerchantState,
    pub outbound: outbound::OutboundState,
    seq: u64,
}

impl Inner {
    pub fn bump(&mut self, counter: &str) {
        *self.counters.entry(counter.to_owned()).or_default() += 1;
    }
    /// A process-unique id with a prefix, e.g. `ch_3`.
    pub fn next_id(&mut self, prefix: &str) -> String {
        self.seq += 1;
        format!("{prefix}{}{:04}", unix_ms(), self.seq)
    }
}

/// Configuration, parsed keys and mutable state, shared by all workers.
pub struct State {
    pub config: SandboxConfig,
    pub(crate) keys: Keys,
    pub base_url: String,
    inner: Mutex<Inner>,
}

impl State {
    /// Runs `f` under the lock. A panicking handler must not wedge the sandbox, so a
    /// poisoned lock is simply taken over.
    pub fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut g)
    }
}

/// Current unix time in milliseconds.
#[must_use]
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Why the sandbox did not start.
#[derive(Debug)]
pub enum SandboxError {
    Config(ConfigError),
    Bind(String),
}

impl fmt::Display for SandboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(e) => e.fmt(f),
            Self::Bind(e) => write!(f, "sandbox: cannot bind 127.0.0.1: {e}"),
        }
    }
}

impl std::error::Error for SandboxError {}

impl From<ConfigError> for SandboxError {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}

/// Entry point.
pub struct Sandbox;

impl Sandbox {
    /// Starts on an ephemeral port of 127.0.0.1.
    pub fn start(config: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
        Self::start_on(config, 0)
    }

    /// Starts on `port` of 127.0.0.1 (0 = ephemeral).
    pub fn start_on(config: SandboxConfig, port: u16) -> Result<SandboxHandle, SandboxError> {
        let keys = config.keys()?;
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| SandboxError::Bind(e.to_string()))?;
        let addr = listener
            .local_addr()
            .map_err(|e| SandboxError::Bind(e.to_string()))?;
        let url = format!("http://{addr}");
        let state = Arc::new(State {
            config,
            keys,
            base_url: url.clone(),
            inner: Mutex::new(Inner::default()),
        });
        let routed = state.clone();
        let handler = move |rq: httpd::Request| {
            let req = Req::new(&rq.method, &rq.target, rq.headers, rq.body);
            let resp = route(&routed, &req);
            let mut out = httpd::Response::new(resp.status, resp.content_type, resp.body);
            out.headers.extend(resp.headers);
            out
        };
        let listener = httpd::Listener::spawn(listener, MAX_BODY, Arc::new(handler))
            .map_err(|e| SandboxError::Bind(e.to_string()))?;
        Ok(SandboxHandle {
            url,
            listener,
            state,
        })
    }
}

/// A running sandbox; stops on [`SandboxHandle::shutdown`] or drop.
pub struct SandboxHandle {
    url: String,
    listener: httpd::Listener,
    state: Arc<State>,
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Shared state, for in-process assertions.
    #[must_use]
    pub fn state(&self) -> &Arc<State> {
        &self.state
    }

    /// A counter of the control API (`/_control/counters`), read in process.
    #[must_use]
    pub fn counter(&self, name: &str) -> u64 {
        self.state
            .with(|i| i.counters.get(name).copied().unwrap_or(0))
    }

    /// Stops serving and closes every connection (dropping the handle does the same).
    pub fn shutdown(mut self) {
        self.listener.stop();
    }
}

/// Routes by URL prefix (see the module map in [`super`]).
pub fn route(state: &Arc<State>, req: &Req) -> Resp {
    let path = req.path.as_str();
    if let Some(op) = path.strip_prefix("/s0/platform/pay/") {
        s0::handle(state, req, op)
    } else if let Some(rest) = path.strip_prefix("/s3/") {
        s3::handle(state, req, rest)
    } else if let Some(rest) = path.strip_prefix("/paytm/") {
        paytm::handle(state, req, rest)
    } else if let Some(rest) = path.strip_prefix("/pingpp/v1/") {
        pingpp::handle(state, req, rest)
    } else if path == "/pingpp/mock.php" || path == "/pingpp/alipay/gateway.do" {
        pingpp_pages::handle(state, req)
    } else if let Some(rest) = path.strip_prefix("/wallet/") {
        wallet::handle(state, req, rest)
    } else if path == "/merchant/webhooks" {
        merchant::handle(state, req)
    } else if let Some(rest) = path.strip_prefix("/_control/") {
        control::handle(state, req, rest)
    } else if path == "/" || path == "/healthz" {
        Resp::text(200, "text/plain; charset=utf-8", "kassa-sandbox ok\n")
    } else {
        Resp::not_found(path)
    }
}
