//! The checkout reducer, driven directly: every screen, retries, expiry.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kassa_shared::id::Id;
use kassa_shared::surfaces::s2::status::Status;
use kassa_shared::surfaces::s2::wire::{LoadPayDataResponse, Order, QuickPayResponse};
use kassa_widget::api::{decode, ApiError, IdempotencyKey};
use kassa_widget::state::{
    Action, CheckoutState, CodeNotice, HostEvent, Party, Request, Screen, Terminal, RESEND_AFTER_MS,
};
use kassa_widget::wire::Handoff;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const EXPIRES: u64 = 1_571_561_027_984;
const BEFORE: u64 = EXPIRES - 600_000;

fn order(status: &str) -> serde_json::Value {
    serde_json::json!({
        "orderId": "476682884348973312", "clientOrderId": "Activity201910200001",
        "payerUserId": "83214971450163200", "payeeUserId": "231215678785585152",
        "isMapping": true,
        "payInfo": [{"itemId": "428843489733161027", "payType": "PAY", "tokenId": "USDT",
            "amount": "100", "paidAmount": "0", "refundedAmount": "0", "unlockedAmount": "0"}],
        "productInfo": [{"itemId": "428828843489762083", "payType": "PAY", "tokenId": "BTC",
            "amount": "0.1575", "paidAmount": "0", "refundedAmount": "0", "unlockedAmount": "0"}],
        "status": status, "statusDesc": "待支付", "expired": EXPIRES.to_string(),
        "created": "1571560000000", "updated": "1571560000000"
    })
}

/// Through the widget's own decoder (`JSON.parse` + `wire.rs`), as the app reads it.
fn data(need_2fa: bool, auth: &str, status: &str) -> LoadPayDataResponse {
    let text = serde_json::json!({
        "orderInfo": order(status),
        "userInfo": {"userId": "83214971450163200", "registerType": 1, "mobile": "186****0001",
            "bindGA": true, "bindTradePwd": false, "userType": 1, "verifyStatus": 1},
        "need2FA": need_2fa, "authType": auth
    })
    .to_string();
    decode(&text, "load_pay_data").unwrap()
}

fn pay_order(status: &str) -> Order {
    decode(&order(status).to_string(), "pay").unwrap()
}

fn key(b: u8) -> IdempotencyKey {
    IdempotencyKey::from_bytes([b; 16])
}

fn loaded(need_2fa: bool, auth: &str) -> CheckoutState {
    let mut s = CheckoutState::new();
    assert_eq!(s.screen, Screen::Loading);
    assert_eq!(s.pending.as_ref().map(|p| &p.1), Some(&Request::Load));
    s.apply(Action::Loaded {
        data: data(need_2fa, auth, "WAIT_FOR_PAYMENT"),
        now_ms: BEFORE,
    });
    s
}

fn last_event(s: &CheckoutState) -> Option<&HostEvent> {
    s.event.as_ref().map(|(_, e)| e)
}

fn pending(s: &CheckoutState) -> Option<&Request> {
    s.pending.as_ref().map(|(_, r)| r)
}

#[wasm_bindgen_test]
fn load_then_ready_emits_ready_once() {
    let mut s = loaded(false, "GA");
    assert_eq!(s.screen, Screen::Ready);
    assert_eq!(last_event(&s), Some(&HostEvent::Ready));
    assert_eq!(pending(&s), None);
    let seq = s.event.as_ref().unwrap().0;
    s.apply(Action::StatusChanged {
        status: Status::WaitForPayment,
        now_ms: BEFORE,
    });
    assert_eq!(s.event.as_ref().unwrap().0, seq, "no second ready");
}

#[wasm_bindgen_test]
fn quick_pay_then_processing_then_paid() {
    let mut s = loaded(false, "GA");
    s.apply(Action::StartPay { key: key(1) });
    assert_eq!(s.screen, Screen::Paying);
    assert_eq!(pending(&s), Some(&Request::QuickPay));
    assert_eq!(s.intent, Some(key(1)));
    s.apply(Action::QuickPaid(QuickPayResponse {
        process_is_end: false,
        need_2fa: false,
    }));
    assert_eq!(s.screen, Screen::Processing);
    s.apply(Action::StatusChanged {
        status: Status::Processing,
        now_ms: BEFORE,
    });
    assert_eq!(s.screen, Screen::Processing);
    s.apply(Action::StatusChanged {
        status: Status::Completed,
        now_ms: BEFORE,
    });
    assert_eq!(s.screen, Screen::Terminal(Terminal::Paid));
    assert_eq!(last_event(&s), Some(&HostEvent::Paid));
    // A late push changes nothing and emits nothing.
    let seq = s.event.as_ref().unwrap().0;
    s.apply(Action::StatusChanged {
        status: Status::Expired,
        now_ms: EXPIRES,
    });
    assert_eq!(s.screen, Screen::Terminal(Terminal::Paid));
    assert_eq!(s.event.as_ref().unwrap().0, seq);
}

#[wasm_bindgen_test]
fn quick_pay_needing_2fa_goes_to_code_step_ga() {
    let mut s = loaded(false, "GA");
    s.apply(Action::StartPay { key: key(1) });
    s.apply(Action::QuickPaid(QuickPayResponse {
        process_is_end: false,
        need_2fa: true,
    }));
    assert_eq!(s.screen, Screen::CodeEntry);
    // GA: nothing to send first.
    assert_eq!(pending(&s), None);
    s.apply(Action::SubmitCode {
        code: "12345".into(),
    });
    assert_eq!(
        s.screen,
        Screen::CodeEntry,
        "a 5-digit code is not submitted"
    );
    s.apply(Action::SubmitCode {
        code: "123456".into(),
    });
    assert_eq!(s.screen, Screen::Paying);
    assert_eq!(
        pending(&s),
        Some(&Request::Pay {
            code: "123456".into()
        })
    );
    assert_eq!(s.intent, Some(key(1)), "the same intent's key");
    s.apply(Action::PayAnswered {
        order: pay_order("COMPLETED"),
        now_ms: BEFORE,
    });
    assert_eq!(s.screen, Screen::Terminal(Terminal::Paid));
}

#[wasm_bindgen_test]
fn sms_sends_code_first_then_resend_countdown() {
    let mut s = loaded(true, "MOBILE");
    s.apply(Action::StartPay { key: key(2) });
    // need2FA from load_pay_data: straight to the code step, quick_pay skipped.
    assert_eq!(s.screen, Screen::CodeEntry);
    assert_eq!(pending(&s), Some(&Request::SendCode));
    let send_id = Id::new(1_532_327_586_794).unwrap();
    s.apply(Action::CodeSent {
        send_id,
        now_ms: BEFORE,
    });
    assert_eq!(s.code_send_id, Some(send_id));
    assert_eq!(s.resend_at_ms, Some(BEFORE + RESEND_AFTER_MS));
    assert_eq!(pending(&s), None);
    s.apply(Action::ResendCode);
    assert_eq!(pending(&s), Some(&Request::SendCode));
}

#[wasm_bindgen_test]
fn wrong_code_then_right_code_then_lockout() {
    let mut s = loaded(true, "GA");
    s.apply(Action::StartPay { key: key(3) });
    s.apply(Action::SubmitCode {
        code: "000000".into(),
    });
    s.apply(Action::RequestFailed {
        error: ApiError::WrongCode {
            attempts_left: Some(4),
        },
        now_ms: BEFORE,
    });
    assert_eq!(s.screen, Screen::CodeEntry);
    assert_eq!(
        s.code_notice,
        CodeNotice::Wrong {
            attempts_left: Some(4)
        }
    );
    // The edge replays a key's first answer (the wrong code) and refuses the key with
    // another body: the corrected code goes out under a key of its own.
    assert_eq!(s.intent, Some(key(3).next()));
    assert_ne!(key(3).next(), key(3));
    assert_eq!(
        key(3).next().next().as_str(),
        format!("{}.2", key(3).as_str())
    );
    s.apply(Action::SubmitCode {
        code: "111111".into(),
    });
    assert_eq!(s.screen, Screen::Paying);
    assert_eq!(s.code_notice, CodeNotice::None);
    s.apply(Action::RequestFailed {
        error: ApiError::Locked {
            retry_after_ms: Some(900_000),
        },
        now_ms: BEFORE,
    });
    assert_eq!(
        s.code_notice,
        CodeNotice::Locked {
            until_ms: Some(BEFORE + 900_000)
        }
    );
    s.apply(Action::SubmitCode {
        code: "222222".into(),
    });
    assert_eq!(s.screen, Screen::CodeEntry, "locked: no submit");
}

#[wasm_bindgen_test]
fn failed_attempt_then_retry_with_a_new_key_while_open() {
    let mut s = loaded(false, "GA");
    s.apply(Action::StartPay { key: key(4) });
    s.apply(Action::QuickPaid(QuickPayResponse {
        process_is_end: true,
        need_2fa: false,
    }));
    assert_eq!(s.screen, Screen::Processing);
    // Back to waiting: the attempt failed, the order is still open.
    s.apply(Action::StatusChanged {
        status: Status::WaitForPayment,
        now_ms: BEFORE,
    });
    assert_eq!(s.screen, Screen::Terminal(Terminal::Failed { retry: true }));
    assert_eq!(
        last_event(&s),
        Some(&HostEvent::Failed {
            retry: true,
            reason: "attempt_failed".into()
        })
    );
    s.apply(Action::StartPay { key: key(5) });
    assert_eq!(s.screen, Screen::Paying);
    assert_eq!(s.intent, Some(key(5)), "a new intent, a new key");
    // Declined after expiry: no retry offered.
    s.apply(Action::RequestFailed {
        error: ApiError::Declined {
            code: "declined".into(),
            message: "insufficient balance".into(),
        },
        now_ms: EXPIRES,
    });
    assert_eq!(
        s.screen,
        Screen::Terminal(Terminal::Failed { retry: false })
    );
    s.apply(Action::StartPay { key: key(6) });
    assert_eq!(
        s.screen,
        Screen::Terminal(Terminal::Failed { retry: false })
    );
}

#[wasm_bindgen_test]
fn network_error_retries_the_same_request_with_the_same_key() {
    let mut s = loaded(false, "GA");
    s.apply(Action::StartPay { key: key(7) });
    let first_seq = s.pending.as_ref().unwrap().0;
    s.apply(Action::RequestFailed {
        error: ApiError::Network("Failed to fetch".into()),
        now_ms: BEFORE,
    });
    assert!(matches!(
        &s.screen,
        Screen::NetworkError {
            retry: Request::QuickPay,
            ..
        }
    ));
    assert!(matches!(
        last_event(&s),
        Some(HostEvent::Error {
            retryable: true,
            ..
        })
    ));
    s.apply(Action::Retry);
    assert_eq!(s.screen, Screen::Paying);
    let (seq, req) = s.pending.clone().unwrap();
    assert_eq!(req, Request::QuickPay);
    assert_ne!(seq, first_seq, "a retry is a new send");
    assert_eq!(s.intent, Some(key(7)), "same idempotency key on retry");
}

#[wasm_bindgen_test]
fn load_failure_retries_load() {
    let mut s = CheckoutState::new();
    s.apply(Action::RequestFailed {
        error: ApiError::Http {
            status: 503,
            code: String::new(),
            message: "unavailable".into(),
        },
        now_ms: BEFORE,
    });
    assert!(matches!(
        s.screen,
        Screen::NetworkError {
            retry: Request::Load,
            ..
        }
    ));
    s.apply(Action::Retry);
    assert_eq!(s.screen, Screen::Loading);
    assert_eq!(pending(&s), Some(&Request::Load));
}

#[wasm_bindgen_test]
fn expiry_from_countdown_and_from_load() {
    let mut s = loaded(false, "GA");
    s.apply(Action::Expire);
    assert_eq!(s.screen, Screen::Terminal(Terminal::Expired));
    assert_eq!(last_event(&s), Some(&HostEvent::Expired));

    // Loaded after `expired` while still WAIT_FOR_PAYMENT: expired at once.
    let mut s = CheckoutState::new();
    s.apply(Action::Loaded {
        data: data(false, "GA", "WAIT_FOR_PAYMENT"),
        now_ms: EXPIRES,
    });
    assert_eq!(s.screen, Screen::Terminal(Terminal::Expired));

    // While processing, the countdown does not decide: the edge does.
    let mut s = loaded(false, "GA");
    s.apply(Action::StartPay { key: key(8) });
    s.apply(Action::QuickPaid(QuickPayResponse {
        process_is_end: false,
        need_2fa: false,
    }));
    s.apply(Action::Expire);
    assert_eq!(s.screen, Screen::Processing);
}

#[wasm_bindgen_test]
fn cancelled_by_shopper_and_by_order() {
    let mut s = loaded(false, "GA");
    s.apply(Action::Cancel);
    assert_eq!(
        s.screen,
        Screen::Terminal(Terminal::Cancelled { by: Party::Shopper })
    );
    let mut s = loaded(false, "GA");
    s.apply(Action::StatusChanged {
        status: Status::Cancelled,
        now_ms: BEFORE,
    });
    assert_eq!(
        s.screen,
        Screen::Terminal(Terminal::Cancelled { by: Party::Order })
    );
    assert_eq!(
        last_event(&s),
        Some(&HostEvent::Cancelled { by: Party::Order })
    );
}

#[wasm_bindgen_test]
fn terminal_states_from_load() {
    for (status, screen) in [
        ("COMPLETED", Screen::Terminal(Terminal::Paid)),
        ("PROCESSING", Screen::Processing),
        ("EXPIRED", Screen::Terminal(Terminal::Expired)),
    ] {
        let mut s = CheckoutState::new();
        s.apply(Action::Loaded {
            data: data(false, "GA", status),
            now_ms: BEFORE,
        });
        assert_eq!(s.screen, screen, "{status}");
    }
}

#[wasm_bindgen_test]
fn order_closed_on_pay_reloads() {
    let mut s = loaded(false, "GA");
    s.apply(Action::StartPay { key: key(9) });
    s.apply(Action::RequestFailed {
        error: ApiError::OrderClosed {
            code: "order_expired".into(),
            message: String::new(),
        },
        now_ms: BEFORE,
    });
    assert_eq!(s.screen, Screen::Loading);
    assert_eq!(pending(&s), Some(&Request::Load));
}

#[wasm_bindgen_test]
fn a_handoff_leaves_for_the_provider_once() {
    let mut s = loaded(false, "GA");
    s.apply(Action::StartPay { key: key(10) });
    let handoff = Handoff {
        post: true,
        url: "http://127.0.0.1:9/theia/processTransaction".into(),
        fields: vec![("MID".into(), "m1".into())],
    };
    s.apply(Action::Handoff {
        handoff: handoff.clone(),
    });
    assert_eq!(s.screen, Screen::Redirecting);
    assert_eq!(s.redirect, Some(handoff.clone()));
    assert_eq!(pending(&s), None);
    // A late or duplicate answer changes nothing once the shopper is on their way.
    s.apply(Action::Handoff { handoff });
    assert_eq!(s.screen, Screen::Redirecting);
}

#[wasm_bindgen_test]
fn throttled_code_send_restarts_the_resend_countdown() {
    let mut s = loaded(true, "MOBILE");
    s.apply(Action::StartPay { key: key(11) });
    assert_eq!(pending(&s), Some(&Request::SendCode));
    s.apply(Action::RequestFailed {
        error: ApiError::Throttled {
            retry_after_ms: Some(41_000),
        },
        now_ms: BEFORE,
    });
    assert_eq!(s.screen, Screen::CodeEntry);
    assert_eq!(s.resend_at_ms, Some(BEFORE + 41_000));
    assert_eq!(pending(&s), None);
}

/// Mounted again on the merchant's page after the shopper declined at the provider:
/// the order is open and says its latest attempt failed — the failed screen with its
/// retry, and `kassa:failed`; the retry starts a new pay.
#[wasm_bindgen_test]
fn mounted_after_a_declined_attempt_offers_the_retry() {
    let mut s = CheckoutState::new();
    let mut data = data(false, "GA", "WAIT_FOR_PAYMENT");
    data.order_info.last_attempt_failed = true;
    s.apply(Action::Loaded {
        data,
        now_ms: BEFORE,
    });
    assert_eq!(s.screen, Screen::Terminal(Terminal::Failed { retry: true }));
    assert_eq!(
        last_event(&s),
        Some(&HostEvent::Failed {
            retry: true,
            reason: "attempt_failed".into()
        })
    );
    s.apply(Action::StartPay { key: key(40) });
    assert_eq!(s.screen, Screen::Paying);
    // Without the flag, the same load is simply ready.
    assert_eq!(loaded(false, "GA").screen, Screen::Ready);
}

#[wasm_bindgen_test]
fn back_from_the_provider_without_an_outcome_offers_a_new_pay() {
    // Mounted on a processing order: the shopper left the provider's page unpaid.
    let mut s = CheckoutState::new();
    s.apply(Action::Loaded {
        data: data(true, "MOBILE", "PROCESSING"),
        now_ms: BEFORE,
    });
    assert_eq!(s.screen, Screen::Processing);
    assert!(s.resumed);
    s.apply(Action::StartPay { key: key(41) });
    assert_eq!(s.screen, Screen::CodeEntry, "a new pay: its code step");
    assert!(!s.resumed);
    assert_eq!(pending(&s), Some(&Request::SendCode));

    // Processing after the shopper's own pay in this page: no second pay offered.
    let mut s = loaded(false, "GA");
    s.apply(Action::StartPay { key: key(42) });
    s.apply(Action::QuickPaid(QuickPayResponse {
        process_is_end: false,
        need_2fa: false,
    }));
    assert_eq!(s.screen, Screen::Processing);
    assert!(!s.resumed);
    s.apply(Action::StartPay { key: key(43) });
    assert_eq!(s.screen, Screen::Processing, "ignored");
}
