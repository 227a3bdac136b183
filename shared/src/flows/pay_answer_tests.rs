//! Tests of what a pay answers around its gates: an `Idempotency-Key`'s record and
//! replay, a code checked against the order's sends, and the success bodies.

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::second_factor::code::issue;

fn id(n: u64) -> Id {
    Id::new(n).unwrap()
}

#[test]
fn a_running_record_refuses_a_retry_until_it_is_done() {
    let rec = PayRecord::running("fp");
    assert_eq!(
        rec.replay("fp"),
        Err(PayError::Conflict {
            code: ErrorCode::IdempotencyInProgress,
            message: "Idempotency-Key: the first request with this key is still running".into(),
        })
    );
}

#[test]
fn another_body_under_the_same_key_is_refused_running_or_done() {
    let reused = Err(PayError::Conflict {
        code: ErrorCode::IdempotencyKeyReused,
        message: "Idempotency-Key: already used with a different request body".into(),
    });
    assert_eq!(PayRecord::running("fp").replay("other"), reused);
    let done = PayRecord::finished("fp", 200, json!({"a": 1})).unwrap();
    assert_eq!(done.replay("fp2"), reused);
}

#[test]
fn a_finished_answer_is_replayed_a_5xx_is_forgotten() {
    let ok = PayRecord::finished("fp", 200, json!({"status": 1})).unwrap();
    assert_eq!(ok.replay("fp"), Ok((200, &json!({"status": 1}))));
    let refused = PayRecord::finished("fp", 409, json!({"error": {}})).unwrap();
    assert_eq!(refused.replay("fp"), Ok((409, &json!({"error": {}}))));
    assert!(PayRecord::finished("fp", 499, Value::Null).is_some());
    assert_eq!(PayRecord::finished("fp", 500, Value::Null), None);
    assert_eq!(PayRecord::finished("fp", 502, Value::Null), None);
}

#[test]
fn a_record_reads_back_as_written() {
    let rec = PayRecord::finished("fp", 200, json!({"k": "v"})).unwrap();
    let text = serde_json::to_string(&rec).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({"fingerprint": "fp", "done": true, "status": 200, "body": {"k": "v"}})
    );
    assert_eq!(serde_json::from_str::<PayRecord>(&text).unwrap(), rec);
}

#[test]
fn a_second_pay_while_one_runs_is_a_conflict() {
    assert_eq!(
        payment_in_progress(),
        PayError::Conflict {
            code: ErrorCode::PaymentInProgress,
            message: "order_id: a payment attempt for this order is already running".into(),
        }
    );
}

const NOW: u64 = 5_000_000;

fn pepper() -> Secret {
    Secret::from("pepper-for-tests")
}

/// One send `7` for order 1 / user 2, and its code.
fn sends() -> (Vec<StoredCode>, String) {
    let (code, stored) =
        issue(&[0, 0x01, 0xe2, 0x40], id(1), id(2), id(7), NOW, &pepper()).unwrap();
    (vec![stored], code.expose().to_owned())
}

fn sent(send_id: u64, code: &str, now: u64) -> SentCode<'_> {
    SentCode {
        order: id(1),
        user: id(2),
        send_id: id(send_id),
        code,
        now,
    }
}

#[test]
fn the_right_code_passes_once_and_is_stored_used() {
    let (mut codes, code) = sends();
    let got = check_sent_code(&mut codes, &sent(7, &code, NOW + 1), &pepper());
    assert_eq!(got, (CodeCheck::Ok, true));
    assert!(codes[0].used);
    // Used up: a second use counts as a wrong code.
    let again = check_sent_code(&mut codes, &sent(7, &code, NOW + 2), &pepper());
    assert_eq!(again, (wrong_code(), false));
}

fn wrong_code() -> CodeCheck {
    CodeCheck::Wrong {
        message: "verify_code: wrong code",
        ga_left: None,
    }
}

#[test]
fn an_unknown_send_or_a_wrong_code_counts_as_wrong() {
    let (mut codes, code) = sends();
    assert_eq!(
        check_sent_code(&mut codes, &sent(8, &code, NOW + 1), &pepper()),
        (
            CodeCheck::Wrong {
                message: "verify_code_order_id: no such code send for this order",
                ga_left: None,
            },
            false
        )
    );
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        check_sent_code(&mut codes, &sent(7, wrong, NOW + 1), &pepper()),
        (wrong_code(), false)
    );
    assert!(!codes[0].used);
}

#[test]
fn an_expired_a_malformed_or_a_misbound_code_counts_as_wrong() {
    let (mut codes, code) = sends();
    let late = codes[0].expires_at_ms;
    for (sent, why) in [
        (sent(7, &code, late), "expired"),
        (sent(7, "12ab56", NOW + 1), "malformed"),
        (
            SentCode {
                user: id(3),
                ..sent(7, &code, NOW + 1)
            },
            "another user",
        ),
    ] {
        assert_eq!(
            check_sent_code(&mut codes, &sent, &pepper()),
            (wrong_code(), false),
            "{why}"
        );
    }
    assert!(!codes[0].used);
}

#[test]
fn quick_pay_is_finished_only_when_the_order_succeeded() {
    for status in [
        OrderStatus::Pending,
        OrderStatus::Processing,
        OrderStatus::Succeeded,
        OrderStatus::Failed,
        OrderStatus::Expired,
        OrderStatus::Cancelled,
    ] {
        assert_eq!(
            quick_answer(status),
            QuickPayResponse {
                process_is_end: status == OrderStatus::Succeeded,
                need_2fa: false,
            }
        );
    }
    assert_eq!(
        need_2fa_answer(),
        QuickPayResponse {
            process_is_end: false,
            need_2fa: true,
        }
    );
}

#[test]
fn the_answer_carries_the_handoff_and_a_new_device_token() {
    let handoff = Handoff::navigate("handoff", "https://pay.example/c", [("t", "1")]).unwrap();
    let v = with_extras(json!({"status": 1}), Some(&handoff), Some("tok".into())).unwrap();
    assert_eq!(v["status"], 1);
    assert_eq!(v["handoff"], serde_json::to_value(&handoff).unwrap());
    assert_eq!(v["deviceToken"], "tok");
    let bare = with_extras(json!({"status": 1}), None, None).unwrap();
    assert_eq!(bare, json!({"status": 1}));
}

proptest! {
    /// A record replays its answer to exactly its own fingerprint, and only once done.
    #[test]
    fn replay_answers_only_the_same_body(
        fp in "[0-9a-f]{0,16}",
        other in "[0-9a-f]{0,16}",
        status in 200u16..500,
    ) {
        let done = PayRecord::finished(&fp, status, json!({"s": status})).unwrap();
        let running = PayRecord::running(&fp);
        if fp == other {
            prop_assert_eq!(done.replay(&other).map(|(s, _)| s), Ok(status));
            prop_assert!(running.replay(&other).is_err());
        } else {
            prop_assert!(done.replay(&other).is_err());
            prop_assert!(running.replay(&other).is_err());
        }
    }
}
