//! The checkout's one state and its pure reducer (STYLE: one `Reducible` owned by the
//! app, children get callbacks).
//!
//! Screens (SPEC 8): `Loading → Ready → [CodeEntry] → Paying → Processing → Terminal`,
//! with `NetworkError { retry }` reachable from any request and leading back to it.
//! The reducer does no I/O and reads no clock: actions carry `now_ms`, and the request
//! the app must send next is a value ([`Request`] in `pending`), as are the events for
//! the host page (`event`). The app carries both out; tests drive the reducer directly.

use std::rc::Rc;

use yew::Reducible;

use kassa_shared::id::Id;
use kassa_shared::surfaces::s2::status::Status;
use kassa_shared::surfaces::s2::wire::{AuthType, LoadPayDataResponse, Order, QuickPayResponse};

use crate::api::{ApiError, IdempotencyKey};
use crate::wire::Handoff;

/// How long the shopper waits between code sends (SPEC 5: sends 60 s apart).
pub const RESEND_AFTER_MS: u64 = 60_000;

/// What ends the checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Terminal {
    Paid,
    /// The attempt failed; `retry` while the order is still open (SPEC 2: a failed
    /// attempt does not end the order).
    Failed {
        retry: bool,
    },
    Expired,
    Cancelled {
        by: Party,
    },
}

/// Who cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The shopper pressed Cancel: the order stays open at the edge.
    Shopper,
    /// The order itself was cancelled (merchant or provider).
    Order,
}

/// A request the app must send to the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Load,
    QuickPay,
    SendCode,
    Pay { code: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Screen {
    #[default]
    Loading,
    Ready,
    CodeEntry,
    Paying,
    Processing,
    /// Leaving for the provider's page (the hand-off in `redirect`).
    Redirecting,
    Terminal(Terminal),
    /// Recoverable: `retry` is sent again as it was (same idempotency key).
    NetworkError {
        retry: Request,
        message: String,
    },
}

/// Feedback on the code step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CodeNotice {
    #[default]
    None,
    Wrong {
        attempts_left: Option<u32>,
    },
    /// Locked until `until_ms` when the edge said how long.
    Locked {
        until_ms: Option<u64>,
    },
}

/// An event for the host page (dispatched on the mount element as `kassa:<name>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostEvent {
    Ready,
    Paid,
    Failed {
        retry: bool,
        reason: String,
    },
    Expired,
    Cancelled {
        by: Party,
    },
    Error {
        code: String,
        message: String,
        retryable: bool,
    },
}

impl HostEvent {
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ready => "kassa:ready",
            Self::Paid => "kassa:paid",
            Self::Failed { .. } => "kassa:failed",
            Self::Expired => "kassa:expired",
            Self::Cancelled { .. } => "kassa:cancelled",
            Self::Error { .. } => "kassa:error",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `load_pay_data` answered.
    Loaded {
        data: LoadPayDataResponse,
        now_ms: u64,
    },
    /// The shopper pressed Pay (or Try again): a new pay intent with a fresh key.
    StartPay {
        key: IdempotencyKey,
    },
    QuickPaid(QuickPayResponse),
    CodeSent {
        send_id: Id,
        now_ms: u64,
    },
    /// The shopper asked for another code.
    ResendCode,
    SubmitCode {
        code: String,
    },
    /// `pay` answered with the order.
    PayAnswered {
        order: Order,
        now_ms: u64,
    },
    /// `pay` / `quick_pay` answered with a hand-off: the browser goes to the provider.
    Handoff {
        handoff: Handoff,
    },
    /// Live status (WebSocket push or a poll).
    StatusChanged {
        status: Status,
        now_ms: u64,
    },
    /// The pending request failed.
    RequestFailed {
        error: ApiError,
        now_ms: u64,
    },
    Retry,
    /// The expiry countdown reached zero.
    Expire,
    /// The shopper pressed Cancel.
    Cancel,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckoutState {
    pub screen: Screen,
    pub data: Option<Rc<LoadPayDataResponse>>,
    /// The current pay intent's key, reused by every retry of that intent.
    pub intent: Option<IdempotencyKey>,
    pub code_send_id: Option<Id>,
    pub resend_at_ms: Option<u64>,
    pub code_notice: CodeNotice,
    /// The request to send, numbered so the same request asked twice is sent twice.
    pub pending: Option<(u32, Request)>,
    /// The last host event, numbered likewise.
    pub event: Option<(u32, HostEvent)>,
    /// Where the app must send the browser (a top-level navigation), once.
    pub redirect: Option<Handoff>,
    /// Mounted on an order already processing: the shopper came back from the
    /// provider's page without an outcome (abandoned it, or is still paying in another
    /// tab). The processing screen then offers a new pay; the edge asks the provider
    /// about the open attempt before it starts another (issue 16 item 5).
    pub resumed: bool,
    seq: u32,
    ready_sent: bool,
}

impl CheckoutState {
    /// The initial state: loading, with the load request pending.
    #[must_use]
    pub fn new() -> Self {
        let mut s = Self::default();
        s.request(Request::Load);
        s
    }

    #[must_use]
    pub fn auth_type(&self) -> Option<AuthType> {
        self.data.as_ref().map(|d| d.auth_type)
    }

    /// The order's expiry (Unix ms), once loaded.
    #[must_use]
    pub fn expires_ms(&self) -> Option<u64> {
        self.data.as_ref().map(|d| d.order_info.expired)
    }

    fn is_open(&self, now_ms: u64) -> bool {
        self.expires_ms().is_none_or(|e| now_ms < e)
    }

    fn request(&mut self, req: Request) {
        self.seq = self.seq.wrapping_add(1);
        self.pending = Some((self.seq, req));
    }

    fn emit(&mut self, event: HostEvent) {
        self.seq = self.seq.wrapping_add(1);
        self.event = Some((self.seq, event));
    }

    fn terminal(&mut self, t: Terminal, reason: &str) {
        if self.screen == Screen::Terminal(t.clone()) {
            return;
        }
        let event = match &t {
            Terminal::Paid => HostEvent::Paid,
            Terminal::Failed { retry } => HostEvent::Failed {
                retry: *retry,
                reason: reason.to_owned(),
            },
            Terminal::Expired => HostEvent::Expired,
            Terminal::Cancelled { by } => HostEvent::Cancelled { by: *by },
        };
        self.screen = Screen::Terminal(t);
        self.pending = None;
        self.emit(event);
    }

    fn enter_code_step(&mut self) {
        self.screen = Screen::CodeEntry;
        self.code_notice = CodeNotice::None;
        // SMS / e-mail: send the first code at once rather than make the shopper ask.
        if self.auth_type().is_some_and(AuthType::needs_code_sent) && self.code_send_id.is_none() {
            self.request(Request::SendCode);
        } else {
            self.pending = None;
        }
    }

    /// Applies an order status learnt from the edge (load, pay answer, push, poll).
    fn apply_status(&mut self, status: Status, now_ms: u64) {
        if let Some(data) = self.data.as_mut() {
            let data = Rc::make_mut(data);
            data.order_info.status = status;
        }
        match (&self.screen, status) {
            // A success beats a local failure: money moved (SPEC 2).
            (Screen::Terminal(Terminal::Paid), _) => {}
            (_, Status::Completed) => self.terminal(Terminal::Paid, ""),
            (Screen::Terminal(_), _) => {}
            (_, Status::Expired) => self.terminal(Terminal::Expired, ""),
            (_, Status::Cancelled) => self.terminal(Terminal::Cancelled { by: Party::Order }, ""),
            (Screen::Paying | Screen::Processing, Status::Processing) => {
                self.screen = Screen::Processing;
            }
            // Back to waiting while an attempt was in flight: that attempt failed.
            (Screen::Processing, Status::WaitForPayment) => {
                let retry = self.is_open(now_ms);
                self.terminal(Terminal::Failed { retry }, "attempt_failed");
            }
            _ => {}
        }
    }

    /// The pure transition function.
    #[allow(clippy::too_many_lines)] // One match over every action reads best whole.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::Loaded { data, now_ms } => {
                let status = data.order_info.status;
                let last_failed =
                    data.order_info.last_attempt_failed && matches!(self.screen, Screen::Loading);
                let expired = data.order_info.expired;
                self.data = Some(Rc::new(data));
                if !self.ready_sent {
                    self.ready_sent = true;
                    self.emit(HostEvent::Ready);
                }
                if matches!(self.screen, Screen::Loading) {
                    self.pending = None;
                    self.screen = match status {
                        Status::Processing => Screen::Processing,
                        _ => Screen::Ready,
                    };
                    self.resumed = status == Status::Processing;
                }
                self.apply_status(status, now_ms);
                if status == Status::WaitForPayment && now_ms >= expired {
                    self.terminal(Terminal::Expired, "");
                } else if status == Status::WaitForPayment && last_failed {
                    // Mounted after a declined attempt (back from the provider's page):
                    // say so and offer the retry.
                    let retry = self.is_open(now_ms);
                    self.terminal(Terminal::Failed { retry }, "attempt_failed");
                }
            }
            Action::StartPay { key } => {
                let can = matches!(
                    self.screen,
                    Screen::Ready | Screen::Terminal(Terminal::Failed { retry: true })
                ) || (self.screen == Screen::Processing && self.resumed);
                if !can {
                    return;
                }
                self.intent = Some(key);
                self.resumed = false;
                // Codes are single use (SPEC 6): a new intent needs a new one.
                self.code_send_id = None;
                let need_2fa = self.data.as_ref().is_some_and(|d| d.need_2fa);
                if need_2fa {
                    self.enter_code_step();
                } else {
                    self.screen = Screen::Paying;
                    self.request(Request::QuickPay);
                }
            }
            Action::QuickPaid(answer) => {
                if self.screen != Screen::Paying {
                    return;
                }
                if answer.need_2fa {
                    self.enter_code_step();
                } else {
                    // Even `processIsEnd` is confirmed by the order's status, which the
                    // live channel delivers: the quick_pay answer alone moves no money.
                    self.pending = None;
                    self.screen = Screen::Processing;
                }
            }
            Action::CodeSent { send_id, now_ms } => {
                self.pending = None;
                self.code_send_id = Some(send_id);
                self.resend_at_ms = Some(now_ms.saturating_add(RESEND_AFTER_MS));
                if matches!(self.screen, Screen::NetworkError { .. }) {
                    self.screen = Screen::CodeEntry;
                }
            }
            Action::ResendCode => {
                if self.screen == Screen::CodeEntry {
                    self.code_notice = CodeNotice::None;
                    self.request(Request::SendCode);
                }
            }
            Action::SubmitCode { code } => {
                let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
                let locked = matches!(self.code_notice, CodeNotice::Locked { .. });
                if self.screen != Screen::CodeEntry || !well_formed || locked {
                    return;
                }
                self.code_notice = CodeNotice::None;
                self.screen = Screen::Paying;
                self.request(Request::Pay { code });
            }
            Action::PayAnswered { order, now_ms } => {
                if self.screen != Screen::Paying {
                    return;
                }
                self.pending = None;
                let status = order.status;
                if let Some(data) = self.data.as_mut() {
                    Rc::make_mut(data).order_info = order;
                }
                self.screen = Screen::Processing;
                if status != Status::WaitForPayment {
                    self.apply_status(status, now_ms);
                }
            }
            Action::Handoff { handoff } => {
                if self.screen == Screen::Paying {
                    self.pending = None;
                    self.screen = Screen::Redirecting;
                    self.redirect = Some(handoff);
                }
            }
            Action::StatusChanged { status, now_ms } => self.apply_status(status, now_ms),
            Action::RequestFailed { error, now_ms } => self.request_failed(error, now_ms),
            Action::Retry => {
                if let Screen::NetworkError { retry, .. } = &self.screen {
                    let retry = retry.clone();
                    self.screen = match retry {
                        Request::Load => Screen::Loading,
                        Request::SendCode => Screen::CodeEntry,
                        Request::QuickPay | Request::Pay { .. } => Screen::Paying,
                    };
                    self.request(retry);
                }
            }
            Action::Expire => {
                // Paying/Processing: money may be moving; the edge's status decides.
                if matches!(self.screen, Screen::Ready | Screen::CodeEntry)
                    || matches!(self.screen, Screen::Terminal(Terminal::Failed { .. }))
                {
                    self.terminal(Terminal::Expired, "");
                }
            }
            Action::Cancel => {
                if matches!(
                    self.screen,
                    Screen::Ready | Screen::CodeEntry | Screen::Terminal(Terminal::Failed { .. })
                ) {
                    self.terminal(Terminal::Cancelled { by: Party::Shopper }, "");
                }
            }
        }
    }

    fn request_failed(&mut self, error: ApiError, now_ms: u64) {
        let Some((_, request)) = self.pending.take() else {
            // Nothing in flight (e.g. no randomness for a key): tell the page, keep
            // the screen the shopper is on.
            self.emit(HostEvent::Error {
                code: error.code().to_owned(),
                message: error.to_string(),
                retryable: error.retryable(),
            });
            return;
        };
        match error {
            ApiError::WrongCode { attempts_left } => {
                self.intent = self.intent.as_ref().map(IdempotencyKey::next);
                self.screen = Screen::CodeEntry;
                self.code_notice = CodeNotice::Wrong { attempts_left };
            }
            ApiError::Locked { retry_after_ms } => {
                self.screen = Screen::CodeEntry;
                self.code_notice = CodeNotice::Locked {
                    until_ms: retry_after_ms.map(|ms| now_ms.saturating_add(ms)),
                };
            }
            // Sent too often: the resend countdown runs to when the edge allows one.
            ApiError::Throttled { retry_after_ms } if request == Request::SendCode => {
                self.screen = Screen::CodeEntry;
                self.resend_at_ms =
                    Some(now_ms.saturating_add(retry_after_ms.unwrap_or(RESEND_AFTER_MS)));
            }
            ApiError::Declined { code, .. } => {
                let retry = self.is_open(now_ms);
                self.terminal(Terminal::Failed { retry }, &code);
            }
            // The edge knows better than we do how it ended: reload and show that.
            ApiError::OrderClosed { .. } => {
                self.screen = Screen::Loading;
                self.request(Request::Load);
            }
            other => {
                self.emit(HostEvent::Error {
                    code: other.code().to_owned(),
                    message: other.to_string(),
                    retryable: other.retryable(),
                });
                self.screen = Screen::NetworkError {
                    retry: request,
                    message: other.to_string(),
                };
            }
        }
    }
}

impl Reducible for CheckoutState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}
