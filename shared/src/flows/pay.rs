//! The gates of `pay` / `quick_pay` as a sans-IO machine (SPEC 3.1, 5, 6; issue 15 "core
//! owns the flows"). The edge's `OrderObject` asks [`PayFlow::poll`] what to do next,
//! carries it out (check a code, ask the user's object, ask S0, record a window) and
//! feeds the result back with [`PayFlow::handle`]; the order of the gates, what each
//! result means, what is audited and what the shopper is told are decided here, where
//! they have native tests.
//!
//! The order (each gate only runs when every earlier one passed):
//! 1. the order is payable (Pending) and not locked by wrong codes;
//! 2. the second factor: a sent code (`verify_code_order_id`) or the user's GA; none for
//!    a `quick_pay` without a code. A wrong code counts toward the order's lock (the 5th
//!    locks it 15 min) and is refused naming the attempts left (the nearer of the
//!    order's and the user's GA allowance); the lock is saved either way;
//! 3. risk (SPEC 5), audited with its reason codes: a block refuses; a `quick_pay`
//!    without a code that risk wants a code for answers `need2FA` with nothing tried;
//! 4. a device that passed a code is remembered (a browser without a device token gets
//!    one);
//! 5. S0 `prePayCheck`, failing closed on anything but a clear approval;
//! 6. the attempt is counted in the IP's and then the user's velocity window, checked
//!    again where it is recorded (a concurrent pay may have filled it since risk read it);
//! 7. charge: the shell starts the attempt and calls the channel.

use serde::{Deserialize, Serialize};

use crate::envelope::ErrorCode;
use crate::id::Id;
use crate::order::{Order, OrderStatus};
use crate::providers::s0::PrePayDecision;
use crate::reason::ReasonCode;
use crate::risk::{Amount, RiskConfig, RiskDecision, RiskInput, VelocityWindow};
use crate::second_factor::{LockLimits, WrongCodeLock};

/// What the shopper sent, as far as the gates care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayRequest {
    /// `quick_pay`: a code is optional.
    pub quick: bool,
    /// A code was sent (non-empty).
    pub code_given: bool,
    /// `verify_code_order_id`: the code send the code answers; `None` means GA.
    pub send_id: Option<Id>,
    /// The browser presented a device token the edge issued to this user.
    pub device_known: bool,
}

/// What the shell is to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Check the code against the order's code send `send_id`; answer [`Outcome::Code`].
    VerifySentCode(Id),
    /// Check the code against the user's authenticator (the user's object counts wrong
    /// GA codes across their orders); answer [`Outcome::Code`].
    VerifyGa,
    /// Store [`PayFlow::lock`] as the order's wrong-code lock; answer
    /// [`Outcome::LockSaved`].
    SaveLock,
    /// Gather the risk inputs (the user's profile, the IP's window, [`PayFlow::lock`]),
    /// evaluate, and answer [`Outcome::Evaluated`].
    Evaluate,
    /// Remember the device on the user; `issue_token`: the browser has none, give it one
    /// (in the answer). Answer [`Outcome::DeviceRemembered`].
    RememberDevice { issue_token: bool },
    /// Ask S0 `prePayCheck`; answer [`Outcome::S0`].
    AskS0,
    /// Count the attempt in the IP's window; answer [`Outcome::Recorded`].
    RecordIpAttempt,
    /// Count the attempt in the user's window; answer [`Outcome::Recorded`].
    RecordUserAttempt,
    /// Every gate passed: start the attempt and call the channel.
    Charge,
    /// `quick_pay` needs a code: answer `{processIsEnd: false, need2FA: true}`.
    Need2fa,
    /// Refuse the pay; nothing was attempted.
    Refuse(Refusal),
}

/// A code check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeCheck {
    Ok,
    /// Wrong (or no such send): counts toward the lock. `ga_left`: the user's GA
    /// allowance after this one, when the user's object counted it.
    Wrong {
        message: &'static str,
        ga_left: Option<u32>,
    },
    /// The user's authenticator is locked (refused unchecked: no guess, not counted).
    GaLocked {
        until_ms: u64,
    },
    /// A refusal that is no guess (an expired or used code): 400 naming the reason.
    Invalid(String),
}

/// S0 `prePayCheck`'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S0Answer {
    Approved,
    Denied {
        status: i64,
    },
    /// Timed out, unreachable, unreadable: fail closed.
    Unavailable(String),
    /// As `Unavailable`, under an operator's fail-open setting (SPEC 3.5 fails closed
    /// "by default"; the edge's `KASSA_S0_FAIL_OPEN`): audited, and the pay goes on.
    /// A well-formed denial still refuses, and an S0 that is not configured too.
    UnavailableFailOpen(String),
    /// S0 is not configured: fail closed (not audited: nothing was asked).
    NotConfigured(String),
}

/// What the shell learned carrying out a [`Step`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Code(CodeCheck),
    LockSaved,
    Evaluated(RiskDecision),
    DeviceRemembered,
    S0(S0Answer),
    /// The window had room and the attempt was counted.
    Recorded(bool),
}

/// Why a pay was refused; the edge maps each to its error and HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotPayable(OrderStatus),
    OrderLocked {
        retry_after_ms: u64,
    },
    GaLocked {
        retry_after_ms: u64,
    },
    WrongCode {
        message: String,
        attempts_left: u32,
    },
    InvalidCode(String),
    Risk(ReasonCode),
    /// S0 did not approve; the detail says how.
    S0Refused(String),
    /// A velocity window filled between the risk check and the recording.
    Velocity(ReasonCode),
}

impl Refusal {
    /// What the shopper is told: the error's kind, code and message (the edge gives each
    /// kind its HTTP status and envelope).
    #[must_use]
    pub fn told(self) -> PayError {
        match self {
            Self::NotPayable(status) => PayError::Conflict {
                code: ErrorCode::OrderNotPayable,
                message: format!("order_id: the order is {}", status.as_str()),
            },
            Self::OrderLocked { retry_after_ms } => PayError::Limited {
                code: ErrorCode::OrderLocked,
                message: "verify_code: too many wrong codes; the order is locked for now".into(),
                retry_after_ms,
            },
            Self::GaLocked { retry_after_ms } => PayError::Limited {
                code: ErrorCode::GaLocked,
                message: "verify_code: too many wrong authenticator codes on this user's \
                          orders; the authenticator is locked for now"
                    .into(),
                retry_after_ms,
            },
            Self::WrongCode {
                message,
                attempts_left,
            } => PayError::WrongCode {
                message,
                attempts_left,
            },
            Self::InvalidCode(message) => PayError::Invalid {
                param: "verify_code",
                message,
            },
            Self::Risk(code) | Self::Velocity(code) => PayError::Forbidden(code.as_str()),
            Self::S0Refused(detail) => PayError::Conflict {
                code: ErrorCode::S0Refused,
                message: format!("order_id: payment refused by the platform check ({detail})"),
            },
        }
    }
}

/// What a refused pay (or charge) tells the shopper, by kind: the edge maps each kind to
/// its HTTP status and error envelope, never changing code or message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayError {
    /// The order's state or channel refuses it (409).
    Conflict { code: ErrorCode, message: String },
    /// A lock refuses it for now (429); `retry_after_ms` is when it lifts.
    Limited {
        code: ErrorCode,
        message: String,
        retry_after_ms: u64,
    },
    /// A wrong second-factor code (400 `wrong_verify_code`), with the attempts left.
    WrongCode { message: String, attempts_left: u32 },
    /// A field is refused (400 naming `param`).
    Invalid {
        param: &'static str,
        message: String,
    },
    /// Risk refused (403); the message is the reason code.
    Forbidden(&'static str),
}

impl CodeCheck {
    /// The user's object's verdict on a GA code: `locked_until_ms` (the authenticator
    /// is locked, the code unchecked), else `ok`, else wrong with the user's GA
    /// allowance left.
    #[must_use]
    pub fn of_ga(ok: bool, attempts_left: Option<u32>, locked_until_ms: Option<u64>) -> Self {
        match (locked_until_ms, ok) {
            (Some(until_ms), _) => Self::GaLocked { until_ms },
            (None, true) => Self::Ok,
            (None, false) => Self::Wrong {
                message: "verify_code: wrong authenticator code",
                ga_left: attempts_left,
            },
        }
    }
}

impl S0Answer {
    /// S0 `prePayCheck`'s result as the flow reads it: anything but a clear approval
    /// refuses (fail closed), unless the operator's `fail_open` lets an outage (not a
    /// denial) through.
    #[must_use]
    pub fn of_pre_pay<E: core::fmt::Display>(
        answer: Result<PrePayDecision, E>,
        fail_open: bool,
    ) -> Self {
        match answer {
            Ok(PrePayDecision::Approved) => Self::Approved,
            Ok(PrePayDecision::Denied { status, .. }) => Self::Denied { status },
            Err(e) if fail_open => Self::UnavailableFailOpen(e.to_string()),
            Err(e) => Self::Unavailable(e.to_string()),
        }
    }
}

/// What the user's object and the IP's window know, for the risk gate.
#[derive(Debug, Clone, Copy)]
pub struct RiskFacts<'a> {
    pub user_velocity: &'a VelocityWindow,
    pub ip_velocity: &'a VelocityWindow,
    /// The verified device the browser presented, if any.
    pub device_id: Option<&'a str>,
    pub known_devices: &'a [String],
    pub user_trusted: bool,
}

/// One line for the order's audit log (reason code, never a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audit {
    pub reason: String,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Code,
    SaveLock,
    Evaluate,
    Device,
    S0,
    Ip,
    User,
    Charge,
}

/// One `pay`'s walk through the gates.
#[derive(Debug, Clone)]
pub struct PayFlow {
    req: PayRequest,
    now: u64,
    lock: WrongCodeLock,
    limits: LockLimits,
    stage: Stage,
    /// Set once the flow has ended.
    end: Option<Step>,
    /// The refusal to give once the lock is saved (a wrong code).
    after_save: Option<Refusal>,
    audits: Vec<Audit>,
}

impl PayFlow {
    /// A pay of `order` at `now`, with the order's wrong-code `lock`.
    #[must_use]
    pub fn start(
        order: &Order,
        now: u64,
        req: PayRequest,
        lock: WrongCodeLock,
        limits: LockLimits,
    ) -> Self {
        let mut flow = Self {
            req,
            now,
            lock,
            limits,
            stage: Stage::Code,
            end: None,
            after_save: None,
            audits: Vec::new(),
        };
        if order.status() != OrderStatus::Pending {
            flow.end = Some(Step::Refuse(Refusal::NotPayable(order.status())));
        } else if let Err(e) = flow.lock.check(now) {
            flow.audit(e.reason_code().as_str(), "pay");
            let retry_after_ms = flow
                .lock
                .locked_until(now)
                .map_or(0, |u| u.saturating_sub(now));
            flow.end = Some(Step::Refuse(Refusal::OrderLocked { retry_after_ms }));
        } else if !flow.with_code() {
            flow.stage = Stage::SaveLock;
        }
        flow
    }

    /// Whether a code takes part: always for `pay`, for `quick_pay` only when one was sent.
    #[must_use]
    pub fn with_code(&self) -> bool {
        !self.req.quick || self.req.code_given
    }

    /// The order's wrong-code lock as the flow has it now (to save, or to feed risk).
    #[must_use]
    pub fn lock(&self) -> &WrongCodeLock {
        &self.lock
    }

    /// The risk gate's decision for `order` ([`Step::Evaluate`]) at the flow's `now`: the
    /// amount asked is the order's own (the widget sends none), the wrong codes are the
    /// flow's lock, and no earlier declined attempt is counted.
    #[must_use]
    pub fn evaluate(
        &self,
        order: &Order,
        facts: &RiskFacts<'_>,
        config: &RiskConfig,
    ) -> RiskDecision {
        let amount = Amount::from(order.amount());
        let input = RiskInput {
            order_amount: &amount,
            requested_amount: &amount,
            order_expires_at_ms: order.expires_at_ms(),
            user_velocity: facts.user_velocity,
            ip_velocity: facts.ip_velocity,
            wrong_codes: &self.lock,
            device_id: facts.device_id,
            known_devices: facts.known_devices,
            user_trusted: facts.user_trusted,
            last_failed_attempt_ms: None,
        };
        crate::risk::evaluate(&input, config, self.now)
    }

    /// The audit lines owed so far; the shell writes them before carrying out a step.
    pub fn take_audits(&mut self) -> Vec<Audit> {
        std::mem::take(&mut self.audits)
    }

    fn audit(&mut self, reason: &str, detail: &str) {
        self.audits.push(Audit {
            reason: reason.to_owned(),
            detail: detail.to_owned(),
        });
    }

    fn refuse(&mut self, r: Refusal) {
        self.end = Some(Step::Refuse(r));
    }

    /// What to do next. Once it returns [`Step::Charge`], [`Step::Need2fa`] or
    /// [`Step::Refuse`], it keeps returning it.
    #[must_use]
    pub fn poll(&self) -> Step {
        if let Some(end) = &self.end {
            return end.clone();
        }
        match self.stage {
            Stage::Code => match self.req.send_id {
                Some(id) => Step::VerifySentCode(id),
                None => Step::VerifyGa,
            },
            Stage::SaveLock => Step::SaveLock,
            Stage::Evaluate => Step::Evaluate,
            Stage::Device => Step::RememberDevice {
                issue_token: !self.req.device_known,
            },
            Stage::S0 => Step::AskS0,
            Stage::Ip => Step::RecordIpAttempt,
            Stage::User => Step::RecordUserAttempt,
            Stage::Charge => Step::Charge,
        }
    }

    /// Feeds the result of the step [`PayFlow::poll`] returned. An outcome that does not
    /// answer the current step is ignored (the shell's mistake must not skip a gate).
    pub fn handle(&mut self, outcome: Outcome) {
        if self.end.is_some() {
            return;
        }
        match (self.stage, outcome) {
            (Stage::Code, Outcome::Code(check)) => self.on_code(check),
            (Stage::SaveLock, Outcome::LockSaved) => match self.after_save.take() {
                Some(r) => self.refuse(r),
                None => self.stage = Stage::Evaluate,
            },
            (Stage::Evaluate, Outcome::Evaluated(decision)) => self.on_risk(&decision),
            (Stage::Device, Outcome::DeviceRemembered) => self.stage = Stage::S0,
            (Stage::S0, Outcome::S0(answer)) => self.on_s0(answer),
            (Stage::Ip, Outcome::Recorded(ok)) => {
                self.on_recorded(ok, ReasonCode::VelocityIp, Stage::User);
            }
            (Stage::User, Outcome::Recorded(ok)) => {
                self.on_recorded(ok, ReasonCode::VelocityUser, Stage::Charge);
            }
            _ => {}
        }
    }

    fn on_code(&mut self, check: CodeCheck) {
        match check {
            CodeCheck::Ok => {
                self.lock.record_success();
                self.stage = Stage::SaveLock;
            }
            CodeCheck::Wrong { message, ga_left } => {
                let left = self.lock.record_failure(&self.limits, self.now);
                self.audit("wrong_code", "pay");
                // What the widget shows is the nearer of the two limits (a 0 sends it to
                // the locked screen).
                let (message, attempts_left) = match (left, ga_left) {
                    (Err(_), _) => (format!("{message}; the order is now locked"), 0),
                    (Ok(_), Some(0)) => (format!("{message}; the authenticator is now locked"), 0),
                    (Ok(n), g) => {
                        let n = g.map_or(n, |g| g.min(n));
                        (format!("{message}; {n} attempts left"), n)
                    }
                };
                self.after_save = Some(Refusal::WrongCode {
                    message,
                    attempts_left,
                });
                self.stage = Stage::SaveLock;
            }
            CodeCheck::GaLocked { until_ms } => {
                self.audit(ReasonCode::GaLocked.as_str(), "pay");
                self.refuse(Refusal::GaLocked {
                    retry_after_ms: until_ms.saturating_sub(self.now),
                });
            }
            CodeCheck::Invalid(why) => self.refuse(Refusal::InvalidCode(why)),
        }
    }

    fn on_risk(&mut self, decision: &RiskDecision) {
        let detail = serde_json::to_string(decision).unwrap_or_default();
        self.audit("risk_decision", &detail);
        if let Some(block) = decision.first_block() {
            self.refuse(Refusal::Risk(block));
        } else if !self.with_code() && decision.need_2fa {
            self.end = Some(Step::Need2fa);
        } else if self.with_code() {
            self.stage = Stage::Device;
        } else {
            self.stage = Stage::S0;
        }
    }

    fn on_s0(&mut self, answer: S0Answer) {
        match answer {
            S0Answer::Approved => {
                self.audit("s0_approved", "prePayCheck");
                self.stage = Stage::Ip;
            }
            S0Answer::Denied { status } => {
                self.audit("s0_denied", &format!("prePayCheck status {status}"));
                self.refuse(Refusal::S0Refused(format!("denied, status {status}")));
            }
            S0Answer::Unavailable(why) => {
                self.audit("s0_unavailable", &why);
                self.refuse(Refusal::S0Refused(why));
            }
            S0Answer::UnavailableFailOpen(why) => {
                self.audit("s0_unavailable_fail_open", &why);
                self.stage = Stage::Ip;
            }
            S0Answer::NotConfigured(why) => {
                self.refuse(Refusal::S0Refused(format!("not configured: {why}")));
            }
        }
    }

    fn on_recorded(&mut self, ok: bool, code: ReasonCode, next: Stage) {
        if ok {
            self.stage = next;
        } else {
            self.audit(code.as_str(), "window filled by a concurrent attempt");
            self.refuse(Refusal::Velocity(code));
        }
    }
}

#[cfg(test)]
#[path = "pay_tests.rs"]
mod tests;
