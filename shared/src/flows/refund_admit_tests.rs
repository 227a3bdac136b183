//! What a merchant may ask of an order's refunds: every refusal with its status, code,
//! field and message, the amount forms, manual settling, and (proptest) that no sequence
//! of asks admits more than was captured.

use proptest::prelude::*;

use super::*;
use crate::flows::refunds::{requested_event, verdict_event};
use crate::money::{Currency, Money};
use crate::order::{Event, EventKind, OrderStatus};

fn id(n: u64) -> Id {
    Id::new(n).unwrap_or_else(|e| panic!("{e}"))
}

const ATTEMPT: u64 = 7;

fn order_of(amount: OrderAmount, paid: bool) -> Order {
    let mut o = Order::new(id(1), amount, 0, 3_600_000);
    let started = EventKind::AttemptStarted {
        attempt: id(ATTEMPT),
    };
    o.apply(1, Event::new("started", started));
    if paid {
        let paid = EventKind::AttemptSucceeded {
            attempt: id(ATTEMPT),
            provider: "paytm".into(),
        };
        o.apply(2, Event::new("paid", paid));
    }
    o
}

fn inr(minor: u64) -> OrderAmount {
    OrderAmount::Fiat(Money::new(Currency::Inr, minor))
}

fn eth(units: u128) -> OrderAmount {
    OrderAmount::Token {
        token: "ETH".into(),
        amount: TokenAmount::new(units, 18).unwrap_or_else(|e| panic!("{e}")),
    }
}

fn paid_inr(minor: u64) -> Order {
    order_of(inr(minor), true)
}

/// Records refund `n` of `amount` as requested.
fn request(o: &mut Order, n: u64, amount: u128) {
    o.apply(10, requested_event(id(n), amount));
}

fn settle(o: &mut Order, n: u64, amount: u128, verdict: &RefundVerdict) {
    if let Some(e) = verdict_event(id(n), amount, "paytm", verdict) {
        o.apply(20, e);
    }
}

fn refusal(r: Result<Admission, Refused>) -> Refused {
    match r {
        Err(r) => r,
        Ok(a) => panic!("admitted: {a:?}"),
    }
}

fn assert_refused(r: &Refused, status: u16, code: ErrorCode, param: Option<&str>, message: &str) {
    assert_eq!(r.status, status);
    assert_eq!(r.error.code, code.as_str());
    assert_eq!(r.error.kind, "invalid_request_error");
    assert_eq!(r.error.param.as_deref(), param);
    assert_eq!(r.error.message, message);
}

/// Refund 100 of `amount` asked of `o`.
fn ask(o: &Order, amount: AmountIn) -> Result<Admission, Refused> {
    admit(o, id(100), Some(&amount))
}

/// A 409 naming `amount` with `code` and `message`.
fn assert_amount_conflict(r: Result<Admission, Refused>, code: ErrorCode, message: &str) {
    assert_refused(&refusal(r), 409, code, Some("amount"), message);
}

#[test]
fn a_refund_id_already_recorded_is_the_same_request_again() {
    let mut o = paid_inr(1000);
    request(&mut o, 100, 1000);
    // Nothing is left, yet the same id answers as before rather than being refused.
    let again = ask(&o, AmountIn::Minor(5));
    assert_eq!(again, Ok(Admission::Recorded));
}

#[test]
fn only_a_paid_order_with_something_left_is_refundable() {
    let unpaid = order_of(inr(1000), false);
    let r = refusal(admit(&unpaid, id(100), None));
    let message = "order: is processing; only a paid order can be refunded";
    assert_refused(&r, 409, ErrorCode::OrderNotRefundable, None, message);
    assert!(r.audited);

    let mut o = paid_inr(1000);
    request(&mut o, 100, 1000);
    settle(&mut o, 100, 1000, &RefundVerdict::Succeeded);
    assert_eq!(o.status(), OrderStatus::Refunded);
    let r = refusal(admit(&o, id(101), None));
    let message = "order: is refunded; nothing is left to refund";
    assert_refused(&r, 409, ErrorCode::OrderNotRefundable, None, message);
}

#[test]
fn the_default_amount_is_everything_left() {
    let mut o = paid_inr(1000);
    assert_eq!(
        admit(&o, id(100), None),
        Ok(Admission::Admit { amount: 1000 })
    );
    request(&mut o, 100, 300);
    assert_eq!(
        admit(&o, id(101), None),
        Ok(Admission::Admit { amount: 700 })
    );
    // A failed refund gives its amount back.
    settle(
        &mut o,
        100,
        300,
        &RefundVerdict::Failed {
            reason: "bank".into(),
        },
    );
    assert_eq!(
        admit(&o, id(101), None),
        Ok(Admission::Admit { amount: 1000 })
    );
}

#[test]
fn the_amount_must_be_in_the_orders_form() {
    let fiat = paid_inr(1000);
    let message = "amount: must be a whole number of minor units for a fiat order";
    assert_amount_conflict(
        ask(&fiat, AmountIn::Decimal("1.5".into())),
        ErrorCode::AmountFormMismatch,
        message,
    );

    let token = order_of(eth(2_000_000_000_000_000_000), true);
    let message = "amount: must be a decimal string for a token order";
    assert_amount_conflict(
        ask(&token, AmountIn::Minor(5)),
        ErrorCode::AmountFormMismatch,
        message,
    );

    // More decimals than the token has: the money parser's message, same code.
    let r = refusal(ask(
        &token,
        AmountIn::Decimal("0.0000000000000000001".into()),
    ));
    assert_eq!(r.error.code, ErrorCode::AmountFormMismatch.as_str());
    assert!(r.error.message.starts_with("amount"), "{}", r.error.message);

    let half = ask(&token, AmountIn::Decimal("0.5".into()));
    assert_eq!(
        half,
        Ok(Admission::Admit {
            amount: 500_000_000_000_000_000
        })
    );
}

#[test]
fn zero_is_a_bad_amount_and_more_than_is_left_a_conflict() {
    let o = paid_inr(1000);
    let r = refusal(ask(&o, AmountIn::Minor(0)));
    assert_refused(
        &r,
        400,
        ErrorCode::ParameterInvalid,
        Some("amount"),
        "amount: must be greater than 0",
    );
    let message = "amount: 10.01 INR exceeds what is left to refund (10.00 INR)";
    assert_amount_conflict(
        ask(&o, AmountIn::Minor(1001)),
        ErrorCode::RefundExceedsRefundable,
        message,
    );
    assert_eq!(
        ask(&o, AmountIn::Minor(1000)),
        Ok(Admission::Admit { amount: 1000 })
    );

    let token = order_of(eth(1_000_000_000_000_000_000), true);
    let message = "amount: 1.5 exceeds what is left to refund (1)";
    assert_amount_conflict(
        ask(&token, AmountIn::Decimal("1.5".into())),
        ErrorCode::RefundExceedsRefundable,
        message,
    );
}

#[test]
fn the_paid_attempt_is_the_one_that_succeeded() {
    assert_eq!(paid_attempt(&paid_inr(1000)), Some(id(ATTEMPT)));
    assert_eq!(paid_attempt(&order_of(inr(1000), false)), None);
}

#[test]
fn only_s3_refunds_are_settled_by_hand() {
    let mut o = paid_inr(1000);
    request(&mut o, 100, 300);
    for channel in [Provider::Paytm, Provider::Pingpp, Provider::Wallet] {
        assert!(!settled_by_hand(channel));
        let Err(r) = settle_target(&o, channel, Some(id(100))) else {
            panic!("{channel} settled by hand")
        };
        let message =
            format!("order: {channel} refunds are settled by {channel} itself, not by hand");
        assert_refused(&r, 409, ErrorCode::OrderNotRefundable, None, &message);
        assert!(r.audited);
    }
    assert!(settled_by_hand(Provider::Lianshang));
}

#[test]
fn a_report_settles_the_named_refund_or_the_only_open_one() {
    let s3 = Provider::Lianshang;
    let mut o = paid_inr(1000);
    let Err(r) = settle_target(&o, s3, None) else {
        panic!("nothing is open")
    };
    let message = "order: is succeeded; no refund of it is waiting to be settled";
    assert_refused(&r, 409, ErrorCode::OrderNotRefundable, None, message);
    assert!(r.audited);

    request(&mut o, 100, 300);
    assert_eq!(settle_target(&o, s3, None), Ok(id(100)));
    assert_eq!(settle_target(&o, s3, Some(id(100))), Ok(id(100)));
    let Err(r) = settle_target(&o, s3, Some(id(999))) else {
        panic!("no such refund")
    };
    let message = "refund_id: names no refund of this order";
    assert_refused(
        &r,
        404,
        ErrorCode::ResourceMissing,
        Some("refund_id"),
        message,
    );
    assert!(!r.audited, "a wrong name is answered, not audited");

    request(&mut o, 101, 300);
    let Err(r) = settle_target(&o, s3, None) else {
        panic!("two are open")
    };
    let message = "refund_id: required when several refunds are open";
    assert_refused(
        &r,
        400,
        ErrorCode::ParameterInvalid,
        Some("refund_id"),
        message,
    );
    assert!(!r.audited);
    // A settled refund may still be named (a repeated report is the machine's no-op).
    settle(&mut o, 100, 300, &RefundVerdict::Succeeded);
    assert_eq!(settle_target(&o, s3, Some(id(100))), Ok(id(100)));
    assert_eq!(settle_target(&o, s3, None), Ok(id(101)));
}

#[test]
fn a_manual_outcome_is_a_verdict_and_an_audit_line() {
    assert_eq!(ManualOutcome::Succeeded.verdict(), RefundVerdict::Succeeded);
    assert_eq!(
        ManualOutcome::Failed.verdict(),
        RefundVerdict::Failed {
            reason: "the merchant reports the refund failed".into()
        }
    );
    assert_eq!(settle_detail(id(100), Some("bank-7")), "100 bank-7");
    assert_eq!(settle_detail(id(100), None), "100 (no reference)");
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn wire_forms_are_snake_case() {
    assert_eq!(json(&AmountIn::Minor(5)), r#"{"minor":5}"#);
    assert_eq!(
        json(&AmountIn::Decimal("1.5".into())),
        r#"{"decimal":"1.5"}"#
    );
    assert_eq!(json(&ManualOutcome::Failed), r#""failed""#);
}

/// One step of a merchant's session: ask for a refund (`None`: everything left), then
/// the provider settles it one way or the other, or not yet.
#[derive(Debug, Clone)]
enum Act {
    Ask(Option<u64>),
    Succeed,
    Fail,
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => proptest::option::of(0u64..1_500).prop_map(Act::Ask),
        1 => Just(Act::Succeed),
        1 => Just(Act::Fail),
    ]
}

proptest! {
    /// However the asks and the provider's decisions interleave, what is refunded or
    /// being refunded never exceeds what was captured, and every refusal is one of the
    /// admission's own.
    #[test]
    fn no_sequence_of_asks_admits_more_than_captured(
        captured in 1u64..1_200,
        acts in proptest::collection::vec(act(), 0..30),
    ) {
        let mut o = paid_inr(captured);
        let mut open: Vec<(u64, u128)> = Vec::new();
        let mut next = 100u64;
        for a in acts {
            match a {
                Act::Ask(amount) => {
                    let left = o.refundable_units();
                    let asked = amount.map(AmountIn::Minor);
                    match admit(&o, id(next), asked.as_ref()) {
                        Ok(Admission::Admit { amount }) => {
                            prop_assert!(amount > 0 && amount <= left);
                            request(&mut o, next, amount);
                            open.push((next, amount));
                        }
                        Ok(Admission::Recorded) => prop_assert!(false, "fresh id recorded"),
                        Err(r) => prop_assert!([
                            ErrorCode::OrderNotRefundable,
                            ErrorCode::ParameterInvalid,
                            ErrorCode::RefundExceedsRefundable,
                        ]
                        .iter()
                        .any(|c| r.error.code == c.as_str())),
                    }
                    next += 1;
                }
                Act::Succeed | Act::Fail => {
                    if let Some((n, amount)) = open.pop() {
                        let verdict = if matches!(a, Act::Succeed) {
                            RefundVerdict::Succeeded
                        } else {
                            RefundVerdict::Failed { reason: "bank".into() }
                        };
                        settle(&mut o, n, amount, &verdict);
                    }
                }
            }
            let in_flight: u128 = open.iter().map(|(_, a)| a).sum();
            prop_assert!(o.refunded_units() + in_flight <= u128::from(captured));
            prop_assert_eq!(
                o.refundable_units(),
                u128::from(captured) - o.refunded_units() - in_flight
            );
        }
    }
}
