//! Tests of the pay gates: each gate's order, what it audits and what the shopper is
//! told, and the property that nothing reaches the channel without passing every gate.

use proptest::prelude::*;

use super::*;
use crate::money::{Currency, Money};
use crate::order::{Event, EventKind, OrderAmount};

const NOW: u64 = 1_000_000;
const LIMITS: LockLimits = LockLimits {
    max_wrong: 5,
    lock_ms: 900_000,
};

fn id(n: u64) -> Id {
    Id::new(n).unwrap_or_else(|e| panic!("{e}"))
}

fn order() -> Order {
    Order::new(
        id(1),
        OrderAmount::Fiat(Money::new(Currency::Cny, 100)),
        0,
        NOW * 10,
    )
}

fn pay_with_sent_code() -> PayRequest {
    PayRequest {
        quick: false,
        code_given: true,
        send_id: Some(id(77)),
        device_known: false,
    }
}

fn quick_without_code() -> PayRequest {
    PayRequest {
        quick: true,
        code_given: false,
        send_id: None,
        device_known: true,
    }
}

/// A pay of the test order now, with no wrong codes so far.
fn start(req: PayRequest) -> PayFlow {
    PayFlow::start(&order(), NOW, req, WrongCodeLock::default(), LIMITS)
}

fn allowed() -> RiskDecision {
    RiskDecision::default()
}

fn wants_code() -> RiskDecision {
    RiskDecision {
        need_2fa: true,
        need_2fa_reasons: vec![ReasonCode::NewDevice],
        ..RiskDecision::default()
    }
}

fn reasons(flow: &mut PayFlow) -> Vec<String> {
    flow.take_audits().into_iter().map(|a| a.reason).collect()
}

/// Steps the flow, answering each step from `answer`, until it ends; returns the steps.
fn walk(flow: &mut PayFlow, answer: impl Fn(&Step) -> Outcome) -> Vec<Step> {
    let mut steps = Vec::new();
    for _ in 0..20 {
        let step = flow.poll();
        steps.push(step.clone());
        if matches!(step, Step::Charge | Step::Need2fa | Step::Refuse(_)) {
            return steps;
        }
        flow.handle(answer(&step));
    }
    panic!("the flow did not end: {steps:?}");
}

fn all_pass(step: &Step) -> Outcome {
    match step {
        Step::VerifySentCode(_) | Step::VerifyGa => Outcome::Code(CodeCheck::Ok),
        Step::SaveLock => Outcome::LockSaved,
        Step::Evaluate => Outcome::Evaluated(allowed()),
        Step::RememberDevice { .. } => Outcome::DeviceRemembered,
        Step::AskS0 => Outcome::S0(S0Answer::Approved),
        _ => Outcome::Recorded(true),
    }
}

#[test]
fn a_pay_passes_every_gate_in_order() {
    let mut flow = start(pay_with_sent_code());
    let steps = walk(&mut flow, all_pass);
    assert_eq!(
        steps,
        vec![
            Step::VerifySentCode(id(77)),
            Step::SaveLock,
            Step::Evaluate,
            Step::RememberDevice { issue_token: true },
            Step::AskS0,
            Step::RecordIpAttempt,
            Step::RecordUserAttempt,
            Step::Charge,
        ]
    );
    assert_eq!(reasons(&mut flow), ["risk_decision", "s0_approved"]);
}

#[test]
fn a_quick_pay_without_a_code_skips_the_code_and_the_device() {
    let mut flow = start(quick_without_code());
    assert!(!flow.with_code());
    let steps = walk(&mut flow, all_pass);
    assert_eq!(
        steps,
        vec![
            Step::SaveLock,
            Step::Evaluate,
            Step::AskS0,
            Step::RecordIpAttempt,
            Step::RecordUserAttempt,
            Step::Charge,
        ]
    );
}

#[test]
fn a_quick_pay_that_risk_wants_a_code_for_answers_need_2fa_and_tries_nothing() {
    let mut flow = start(quick_without_code());
    let steps = walk(&mut flow, |s| match s {
        Step::Evaluate => Outcome::Evaluated(wants_code()),
        s => all_pass(s),
    });
    assert_eq!(steps.last(), Some(&Step::Need2fa));
    assert!(!steps.contains(&Step::AskS0));
    assert_eq!(reasons(&mut flow), ["risk_decision"]);
}

#[test]
fn a_quick_pay_with_a_code_is_a_pay() {
    let req = PayRequest {
        code_given: true,
        ..quick_without_code()
    };
    let mut flow = PayFlow::start(&order(), NOW, req, WrongCodeLock::default(), LIMITS);
    let steps = walk(&mut flow, |s| match s {
        Step::Evaluate => Outcome::Evaluated(wants_code()),
        s => all_pass(s),
    });
    assert_eq!(steps[0], Step::VerifyGa);
    assert!(steps.contains(&Step::RememberDevice { issue_token: false }));
    assert_eq!(steps.last(), Some(&Step::Charge));
}

#[test]
fn only_a_pending_order_is_payable() {
    let mut o = order();
    o.apply(1, Event::new("cancelled", EventKind::Cancelled));
    let mut flow = PayFlow::start(
        &o,
        NOW,
        pay_with_sent_code(),
        WrongCodeLock::default(),
        LIMITS,
    );
    assert_eq!(
        flow.poll(),
        Step::Refuse(Refusal::NotPayable(OrderStatus::Cancelled))
    );
    assert!(reasons(&mut flow).is_empty());
}

#[test]
fn a_wrong_code_is_counted_saved_and_refused_with_the_attempts_left() {
    let mut flow = start(pay_with_sent_code());
    let steps = walk(&mut flow, |s| match s {
        Step::VerifySentCode(_) => Outcome::Code(CodeCheck::Wrong {
            message: "verify_code: wrong code",
            ga_left: None,
        }),
        s => all_pass(s),
    });
    assert_eq!(
        steps,
        vec![
            Step::VerifySentCode(id(77)),
            Step::SaveLock,
            Step::Refuse(Refusal::WrongCode {
                message: "verify_code: wrong code; 4 attempts left".into(),
                attempts_left: 4,
            }),
        ]
    );
    assert_eq!(flow.lock().attempts_left(&LIMITS, NOW), 4);
    assert_eq!(reasons(&mut flow), ["wrong_code"]);
}

#[test]
fn the_fifth_wrong_code_locks_the_order_and_then_nothing_is_checked() {
    let mut lock = WrongCodeLock::default();
    for _ in 0..4 {
        lock.record_failure(&LIMITS, NOW)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let mut flow = PayFlow::start(&order(), NOW, pay_with_sent_code(), lock, LIMITS);
    let steps = walk(&mut flow, |s| match s {
        Step::VerifySentCode(_) => Outcome::Code(CodeCheck::Wrong {
            message: "verify_code: wrong code",
            ga_left: None,
        }),
        s => all_pass(s),
    });
    assert_eq!(
        steps.last(),
        Some(&Step::Refuse(Refusal::WrongCode {
            message: "verify_code: wrong code; the order is now locked".into(),
            attempts_left: 0,
        }))
    );
    // The next pay, even with the right code, stops before any code is checked.
    let mut next = PayFlow::start(
        &order(),
        NOW + 1,
        pay_with_sent_code(),
        flow.lock().clone(),
        LIMITS,
    );
    assert_eq!(
        next.poll(),
        Step::Refuse(Refusal::OrderLocked {
            retry_after_ms: LIMITS.lock_ms - 1
        })
    );
    assert_eq!(reasons(&mut next), ["order_locked"]);
}

#[test]
fn the_nearer_of_the_order_and_ga_allowances_is_shown() {
    let ga = PayRequest {
        send_id: None,
        ..pay_with_sent_code()
    };
    for (ga_left, expected) in [
        (Some(2), ("; 2 attempts left", 2)),
        (Some(0), ("; the authenticator is now locked", 0)),
        (None, ("; 4 attempts left", 4)),
    ] {
        let mut flow = PayFlow::start(&order(), NOW, ga, WrongCodeLock::default(), LIMITS);
        flow.handle(Outcome::Code(CodeCheck::Wrong {
            message: "verify_code: wrong authenticator code",
            ga_left,
        }));
        flow.handle(Outcome::LockSaved);
        assert_eq!(
            flow.poll(),
            Step::Refuse(Refusal::WrongCode {
                message: format!("verify_code: wrong authenticator code{}", expected.0),
                attempts_left: expected.1,
            })
        );
    }
}

#[test]
fn a_locked_authenticator_refuses_without_counting_on_the_order() {
    let ga = PayRequest {
        send_id: None,
        ..pay_with_sent_code()
    };
    let mut flow = PayFlow::start(&order(), NOW, ga, WrongCodeLock::default(), LIMITS);
    flow.handle(Outcome::Code(CodeCheck::GaLocked {
        until_ms: NOW + 5_000,
    }));
    assert_eq!(
        flow.poll(),
        Step::Refuse(Refusal::GaLocked {
            retry_after_ms: 5_000
        })
    );
    assert_eq!(flow.lock(), &WrongCodeLock::default());
    assert_eq!(reasons(&mut flow), ["ga_locked"]);
}

#[test]
fn an_invalid_code_is_a_plain_refusal() {
    let mut flow = start(pay_with_sent_code());
    flow.handle(Outcome::Code(CodeCheck::Invalid(
        "verify_code: expired".into(),
    )));
    assert_eq!(
        flow.poll(),
        Step::Refuse(Refusal::InvalidCode("verify_code: expired".into()))
    );
    assert!(reasons(&mut flow).is_empty());
}

#[test]
fn a_risk_block_never_reaches_s0() {
    let mut flow = start(pay_with_sent_code());
    let steps = walk(&mut flow, |s| match s {
        Step::Evaluate => Outcome::Evaluated(RiskDecision {
            blocked: vec![ReasonCode::VelocityUser],
            ..RiskDecision::default()
        }),
        s => all_pass(s),
    });
    assert_eq!(
        steps.last(),
        Some(&Step::Refuse(Refusal::Risk(ReasonCode::VelocityUser)))
    );
    assert!(!steps.contains(&Step::AskS0));
}

#[test]
fn s0_fails_closed() {
    for (answer, detail, audited) in [
        (
            S0Answer::Denied { status: 3 },
            "denied, status 3",
            Some("s0_denied"),
        ),
        (
            S0Answer::Unavailable("timed out".into()),
            "timed out",
            Some("s0_unavailable"),
        ),
        (
            S0Answer::NotConfigured("no KASSA_S0_URL".into()),
            "not configured: no KASSA_S0_URL",
            None,
        ),
    ] {
        let mut flow = start(pay_with_sent_code());
        let steps = walk(&mut flow, |s| match s {
            Step::AskS0 => Outcome::S0(answer.clone()),
            s => all_pass(s),
        });
        assert_eq!(
            steps.last(),
            Some(&Step::Refuse(Refusal::S0Refused(detail.into())))
        );
        let r = reasons(&mut flow);
        assert_eq!(
            r.last().map(String::as_str),
            audited.or(Some("risk_decision"))
        );
    }
}

#[test]
fn a_filled_window_refuses_and_the_user_window_is_not_touched() {
    let mut flow = start(pay_with_sent_code());
    let steps = walk(&mut flow, |s| match s {
        Step::RecordIpAttempt => Outcome::Recorded(false),
        s => all_pass(s),
    });
    assert_eq!(
        steps.last(),
        Some(&Step::Refuse(Refusal::Velocity(ReasonCode::VelocityIp)))
    );
    assert!(!steps.contains(&Step::RecordUserAttempt));
}

#[test]
fn an_outcome_for_another_step_skips_nothing() {
    let mut flow = start(pay_with_sent_code());
    flow.handle(Outcome::S0(S0Answer::Approved));
    flow.handle(Outcome::Recorded(true));
    assert_eq!(flow.poll(), Step::VerifySentCode(id(77)));
}

#[test]
fn each_refusal_tells_the_shopper_its_code_and_message() {
    let cases = [
        (
            Refusal::NotPayable(OrderStatus::Processing),
            PayError::Conflict {
                code: ErrorCode::OrderNotPayable,
                message: "order_id: the order is processing".into(),
            },
        ),
        (
            Refusal::OrderLocked { retry_after_ms: 9 },
            PayError::Limited {
                code: ErrorCode::OrderLocked,
                message: "verify_code: too many wrong codes; the order is locked for now".into(),
                retry_after_ms: 9,
            },
        ),
        (
            Refusal::GaLocked { retry_after_ms: 7 },
            PayError::Limited {
                code: ErrorCode::GaLocked,
                message: "verify_code: too many wrong authenticator codes on this user's orders; \
                          the authenticator is locked for now"
                    .into(),
                retry_after_ms: 7,
            },
        ),
        (
            Refusal::WrongCode {
                message: "verify_code: wrong code; 3 attempts left".into(),
                attempts_left: 3,
            },
            PayError::WrongCode {
                message: "verify_code: wrong code; 3 attempts left".into(),
                attempts_left: 3,
            },
        ),
        (
            Refusal::InvalidCode("verify_code: expired".into()),
            PayError::Invalid {
                param: "verify_code",
                message: "verify_code: expired".into(),
            },
        ),
        (
            Refusal::Risk(ReasonCode::AmountOverLimit),
            PayError::Forbidden(ReasonCode::AmountOverLimit.as_str()),
        ),
        (
            Refusal::Velocity(ReasonCode::VelocityIp),
            PayError::Forbidden(ReasonCode::VelocityIp.as_str()),
        ),
        (
            Refusal::S0Refused("denied, status 3".into()),
            PayError::Conflict {
                code: ErrorCode::S0Refused,
                message: "order_id: payment refused by the platform check (denied, status 3)"
                    .into(),
            },
        ),
    ];
    for (refusal, told) in cases {
        assert_eq!(refusal.clone().told(), told, "{refusal:?}");
    }
}

#[test]
fn the_users_ga_verdict_as_a_code_check() {
    assert_eq!(CodeCheck::of_ga(true, None, None), CodeCheck::Ok);
    assert_eq!(
        CodeCheck::of_ga(false, Some(2), None),
        CodeCheck::Wrong {
            message: "verify_code: wrong authenticator code",
            ga_left: Some(2),
        }
    );
    assert_eq!(
        CodeCheck::of_ga(false, None, None),
        CodeCheck::Wrong {
            message: "verify_code: wrong authenticator code",
            ga_left: None,
        }
    );
    // A locked authenticator wins over anything else the verdict says.
    for ok in [true, false] {
        assert_eq!(
            CodeCheck::of_ga(ok, Some(0), Some(NOW)),
            CodeCheck::GaLocked { until_ms: NOW }
        );
    }
}

#[test]
fn s0_answers_fail_closed_unless_an_outage_may_fail_open() {
    use crate::providers::s0::PrePayDecision;
    let approved: Result<PrePayDecision, &str> = Ok(PrePayDecision::Approved);
    let denied: Result<PrePayDecision, &str> = Ok(PrePayDecision::Denied {
        status: 4,
        message: Some("no".into()),
    });
    let down: Result<PrePayDecision, &str> = Err("s0: timed out after 2000 ms");
    for fail_open in [false, true] {
        assert_eq!(
            S0Answer::of_pre_pay(approved.clone(), fail_open),
            S0Answer::Approved
        );
        assert_eq!(
            S0Answer::of_pre_pay(denied.clone(), fail_open),
            S0Answer::Denied { status: 4 }
        );
    }
    assert_eq!(
        S0Answer::of_pre_pay(down.clone(), false),
        S0Answer::Unavailable("s0: timed out after 2000 ms".into())
    );
    assert_eq!(
        S0Answer::of_pre_pay(down, true),
        S0Answer::UnavailableFailOpen("s0: timed out after 2000 ms".into())
    );
}

#[test]
fn risk_is_asked_about_the_orders_own_amount_with_the_flows_lock() {
    use crate::risk::{Amount, RiskConfig, RiskInput, VelocityWindow};
    let config = RiskConfig::default();
    let window = VelocityWindow::default();
    let devices = vec!["d1".to_owned()];
    for (device_id, trusted, now) in [
        (Some("d1"), false, NOW),
        (Some("d2"), false, NOW),
        (None, true, NOW),
        (Some("d1"), false, NOW * 10),
    ] {
        let flow = PayFlow::start(
            &order(),
            now,
            pay_with_sent_code(),
            WrongCodeLock::default(),
            LIMITS,
        );
        let facts = RiskFacts {
            user_velocity: &window,
            ip_velocity: &window,
            device_id,
            known_devices: &devices,
            user_trusted: trusted,
        };
        let amount = Amount::from(order().amount());
        let want = crate::risk::evaluate(
            &RiskInput {
                order_amount: &amount,
                requested_amount: &amount,
                order_expires_at_ms: order().expires_at_ms(),
                user_velocity: &window,
                ip_velocity: &window,
                wrong_codes: flow.lock(),
                device_id,
                known_devices: &devices,
                user_trusted: trusted,
                last_failed_attempt_ms: None,
            },
            &config,
            now,
        );
        let got = flow.evaluate(&order(), &facts, &config);
        assert_eq!(got, want);
        assert!(!got.blocked.contains(&ReasonCode::AmountMismatch));
        // At the flow's own time: the order is past its expiry at `NOW * 10`.
        assert_eq!(
            got.blocked.contains(&ReasonCode::OrderExpired),
            now >= order().expires_at_ms()
        );
    }
}

fn any_outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        Just(Outcome::Code(CodeCheck::Ok)),
        Just(Outcome::Code(CodeCheck::Wrong {
            message: "verify_code: wrong code",
            ga_left: None
        })),
        Just(Outcome::Code(CodeCheck::GaLocked { until_ms: NOW + 1 })),
        Just(Outcome::LockSaved),
        Just(Outcome::Evaluated(allowed())),
        Just(Outcome::Evaluated(wants_code())),
        Just(Outcome::Evaluated(RiskDecision {
            blocked: vec![ReasonCode::AmountOverLimit],
            ..RiskDecision::default()
        })),
        Just(Outcome::DeviceRemembered),
        Just(Outcome::S0(S0Answer::Approved)),
        Just(Outcome::S0(S0Answer::Denied { status: 1 })),
        Just(Outcome::Recorded(true)),
        Just(Outcome::Recorded(false)),
    ]
}

proptest! {
    /// Whatever the shell feeds, in whatever order, the flow charges only after a
    /// good code (when one takes part), an allowing risk decision, S0's approval and
    /// both windows recorded; and it never asks for a step after it ended.
    #[test]
    fn nothing_is_charged_without_passing_every_gate(
        quick in any::<bool>(),
        code_given in any::<bool>(),
        outcomes in proptest::collection::vec(any_outcome(), 0..40),
    ) {
        let req = PayRequest { quick, code_given, send_id: Some(id(5)), device_known: false };
        let mut flow = PayFlow::start(&order(), NOW, req, WrongCodeLock::default(), LIMITS);
        let mut seen: Vec<(Step, Outcome)> = Vec::new();
        for o in outcomes {
            let step = flow.poll();
            if matches!(step, Step::Charge | Step::Need2fa | Step::Refuse(_)) {
                break;
            }
            seen.push((step, o.clone()));
            flow.handle(o);
        }
        if flow.poll() == Step::Charge {
            let passed = |want: &dyn Fn(&Step, &Outcome) -> bool| seen.iter().any(|(s, o)| want(s, o));
            if flow.with_code() {
                prop_assert!(passed(&|s, o| matches!(s, Step::VerifySentCode(_)) && *o == Outcome::Code(CodeCheck::Ok)));
            }
            prop_assert!(passed(&|s, o| *s == Step::Evaluate && matches!(o, Outcome::Evaluated(d) if d.allowed())));
            prop_assert!(passed(&|s, o| *s == Step::AskS0 && *o == Outcome::S0(S0Answer::Approved)));
            prop_assert!(passed(&|s, o| *s == Step::RecordIpAttempt && *o == Outcome::Recorded(true)));
            prop_assert!(passed(&|s, o| *s == Step::RecordUserAttempt && *o == Outcome::Recorded(true)));
        }
    }
}
