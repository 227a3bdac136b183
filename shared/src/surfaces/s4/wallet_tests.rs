//! The wallet's rules, branch by branch: what a change must prove, the locks, the
//! withdrawal rules, the `amount` parser (with properties), the SMS binding.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

fn hashed(tag: &str) -> Hashed {
    Hashed {
        iterations: 600_000,
        salt: format!("salt-{tag}"),
        hash: format!("hash-{tag}"),
    }
}

fn settings(passwd: bool, answers: bool, account: bool) -> Settings {
    Settings {
        passwd: passwd.then(|| hashed("pw")),
        answers: answers.then(|| vec![hashed("a1"), hashed("a2"), hashed("a3")]),
        account: account.then(|| Account {
            kind: "alipay".into(),
            id: "13800000000".into(),
            name: "Li Lei".into(),
        }),
        withdrawals: Vec::new(),
    }
}

fn proof(passwd: Option<&str>, answers: bool) -> Proof {
    Proof {
        passwd: passwd.map(str::to_owned),
        answers: answers.then(|| vec!["x".into(), "y".into(), "z".into()]),
    }
}

fn bad(field: &str, message: &str) -> WalletError {
    WalletError::Bad {
        field: field.into(),
        message: message.into(),
    }
}

const LIMITS: LockLimits = LockLimits {
    max_wrong: 5,
    lock_ms: 900_000,
};

#[test]
fn nothing_to_prove_before_any_secret_is_set() {
    let s = settings(false, false, true);
    for p in [
        proof(None, false),
        proof(Some("old"), false),
        proof(None, true),
    ] {
        assert_eq!(proof_needed(&s, &p, PASSWD_PROOF), Ok(None));
    }
}

#[test]
fn a_set_password_is_proven_by_itself_or_the_answers() {
    let s = settings(true, true, false);
    let by_pw = proof(Some("old"), false);
    let g = proof_needed(&s, &by_pw, PASSWD_PROOF).unwrap().unwrap();
    assert_eq!(g.field, "old_passwd");
    assert_eq!(g.what, "pay password");
    assert!(matches!(g.compare, Compare::Passwd { plain: "old", .. }));
    let by_answers = proof(None, true);
    let g = proof_needed(&s, &by_answers, PASSWD_PROOF)
        .unwrap()
        .unwrap();
    assert_eq!(g.field, "answer1");
    assert_eq!(g.what, "security answers");
    assert!(
        matches!(g.compare, Compare::Answers { plain, hashes } if plain.len() == 3 && hashes.len() == 3)
    );
}

#[test]
fn proofs_refused_name_the_field_to_use() {
    let both = proof(Some("old"), true);
    assert_eq!(
        proof_needed(&settings(true, true, false), &both, PASSWD_PROOF),
        Err(bad(
            "old_passwd",
            "old_passwd: give either old_passwd or answer1..answer3, not both"
        ))
    );
    let pw = proof(Some("old"), false);
    assert_eq!(
        proof_needed(&settings(false, true, false), &pw, QUESTION_PROOF),
        Err(bad(
            "passwd",
            "passwd: no pay password is set; prove with old_answer1..old_answer3 instead"
        ))
    );
    let answers = proof(None, true);
    assert_eq!(
        proof_needed(&settings(true, false, false), &answers, QUESTION_PROOF),
        Err(bad(
            "old_answer1",
            "old_answer1: no security questions are set; prove with passwd instead"
        ))
    );
    let none = proof(None, false);
    assert_eq!(
        proof_needed(&settings(true, false, false), &none, PASSWD_PROOF),
        Err(bad("old_passwd", "old_passwd: required (the pay password, or answer1..answer3, the security answers) to change wallet secrets already set"))
    );
    assert_eq!(
        proof_needed(&settings(false, true, false), &none, QUESTION_PROOF),
        Err(bad(
            "old_answer1",
            "old_answer1: required (old_answer1..old_answer3, the security answers already set)"
        ))
    );
}

#[test]
fn wrong_guesses_count_to_one_lock_and_a_right_one_clears_the_count() {
    let h = hashed("pw");
    let guess = Guess::passwd("passwd", "guess", &h);
    let mut lock = WrongCodeLock::default();
    let t = 1_000;
    for left in (1..5).rev() {
        assert_eq!(secret_lock_gate(&lock, "passwd", t), Ok(()));
        assert_eq!(
            record_guess(&mut lock, &guess, false, &LIMITS, t),
            Err(bad(
                "passwd",
                &format!("passwd: wrong pay password; {left} attempts left")
            ))
        );
    }
    // A right guess clears the count: four more wrong ones do not lock.
    assert_eq!(record_guess(&mut lock, &guess, true, &LIMITS, t), Ok(()));
    for _ in 0..4 {
        assert!(record_guess(&mut lock, &guess, false, &LIMITS, t).is_err());
    }
    assert_eq!(
        record_guess(&mut lock, &guess, false, &LIMITS, t),
        Err(bad("passwd", "passwd: wrong pay password; now locked"))
    );
    assert_eq!(
        secret_lock_gate(&lock, "answer1", t + 1),
        Err(WalletError::Locked {
            code: ErrorCode::PasswdLocked,
            message: "answer1: too many wrong pay passwords or security answers; locked for now"
                .into(),
            retry_after_ms: 899_999,
        })
    );
    assert_eq!(secret_lock_gate(&lock, "passwd", t + 900_000), Ok(()));
}

#[test]
fn a_secret_changed_while_hashing_refuses_the_change() {
    let before = settings(true, false, false);
    assert_eq!(unchanged_since(&before, &before.clone()), Ok(()));
    let mut account_only = before.clone();
    account_only.account = settings(false, false, true).account;
    assert_eq!(unchanged_since(&before, &account_only), Ok(()));
    let after = settings(true, true, false);
    assert!(matches!(
        unchanged_since(&before, &after),
        Err(WalletError::Conflict {
            code: ErrorCode::WalletSecretChangedConcurrently,
            ..
        })
    ));
}

#[test]
fn an_account_change_takes_the_password_exactly_when_one_is_set() {
    assert_eq!(
        account_change_needs(&settings(false, false, false), false),
        Ok(())
    );
    assert_eq!(
        account_change_needs(&settings(true, false, false), true),
        Ok(())
    );
    assert_eq!(
        account_change_needs(&settings(true, false, false), false),
        Err(bad(
            "passwd",
            "passwd: required (sealed) to change the withdrawal account once a pay password is set"
        ))
    );
    assert_eq!(
        account_change_needs(&settings(false, false, false), true),
        Err(bad(
            "passwd",
            "passwd: no pay password is set; send only smscode"
        ))
    );
}

#[test]
fn the_fifth_wrong_sms_code_voids_the_code_and_locks_changes() {
    let mut lock = WrongCodeLock::default();
    let t = 5_000;
    for left in (1..5).rev() {
        assert_eq!(sms_lock_gate(&lock, t), Ok(()));
        let w = wrong_sms_code(&mut lock, &CodeError::Invalid, &LIMITS, t).unwrap();
        assert!(!w.void_code);
        assert_eq!(
            w.error,
            bad(
                "smscode",
                &format!("smscode: does not match; {left} attempts left")
            )
        );
    }
    let w = wrong_sms_code(&mut lock, &CodeError::Format, &LIMITS, t).unwrap();
    assert!(w.void_code);
    assert_eq!(
        w.error,
        bad(
            "smscode",
            "smscode: must be exactly 6 ASCII digits; the code is void and changes are locked"
        )
    );
    assert!(matches!(
        sms_lock_gate(&lock, t),
        Err(WalletError::Locked {
            code: ErrorCode::SmscodeLocked,
            retry_after_ms: 900_000,
            ..
        })
    ));
    // Not a guess: nothing counted.
    let mut fresh = WrongCodeLock::default();
    let e = CodeError::RandomExhausted { supplied: 0 };
    assert_eq!(wrong_sms_code(&mut fresh, &e, &LIMITS, t), None);
    assert_eq!(fresh, WrongCodeLock::default());
}

#[test]
fn a_withdrawal_needs_all_three_settings() {
    for (p, a, c) in [
        (false, true, true),
        (true, false, true),
        (true, true, false),
        (false, false, false),
    ] {
        assert!(matches!(
            withdraw_prerequisites(&settings(p, a, c)),
            Err(WalletError::Conflict {
                code: ErrorCode::WithdrawPrerequisites,
                ..
            })
        ));
    }
    let s = settings(true, true, true);
    assert_eq!(withdraw_prerequisites(&s), Ok(&hashed("pw")));
}

#[test]
fn one_withdrawal_per_month_to_the_account_of_the_moment() {
    let mut s = settings(true, true, true);
    s.record_withdrawal("wd_1".into(), "2026-12".into(), 100, 7)
        .unwrap();
    assert_eq!(
        s.record_withdrawal("wd_2".into(), "2026-12".into(), 5, 8),
        Err(WalletError::Conflict {
            code: ErrorCode::WithdrawMonthlyLimit,
            message: "amount: one withdrawal per calendar month; 2026-12 already has one".into(),
        })
    );
    assert_eq!(s.withdrawals.len(), 1);
    let w = &s.withdrawals[0];
    assert_eq!(
        (w.status.as_str(), w.amount, w.at_ms),
        ("requested", 100, 7)
    );
    assert_eq!(w.account, s.account);
    // A later account change does not redirect it.
    s.account = None;
    assert!(s.withdrawals[0].account.is_some());
}

#[test]
fn the_log_keeps_the_newest_and_announces_each_once() {
    let mut s = settings(true, true, true);
    for m in 0..40u64 {
        let month = format!("{:04}-{:02}", 2020 + m / 12, m % 12 + 1);
        s.record_withdrawal(format!("wd_{m}"), month, m + 1, m)
            .unwrap();
    }
    assert_eq!(s.withdrawals.len(), MAX_WITHDRAWALS);
    assert_eq!(s.withdrawals[0].id, "wd_4");
    s.withdrawals[0].id.clear(); // a record from before ids: never announced
    assert_eq!(s.unannounced().len(), MAX_WITHDRAWALS - 1);
    assert!(s.mark_announced("wd_39"));
    assert!(!s.mark_announced("wd_0"));
    let left: Vec<String> = s.unannounced().into_iter().map(|w| w.id).collect();
    assert_eq!(left.len(), MAX_WITHDRAWALS - 2);
    assert!(!left.contains(&"wd_39".to_owned()));
}

#[test]
fn sealed_refusals_name_the_field() {
    let fields = ["smscode", "passwd"];
    assert_eq!(
        sealed_refusal(&fields, 1, &SealedError::Replayed),
        bad(
            "passwd",
            "passwd: replayed (this sealed value was already used)"
        )
    );
    assert_eq!(
        sealed_refusal(&fields, 0, &SealedError::Stale),
        bad(
            "smscode",
            "smscode: stale (sealed more than 5 min from the server's clock)"
        )
    );
    assert_eq!(
        sealed_refusal(&fields, 1, &SealedError::Full),
        WalletError::Locked {
            code: ErrorCode::SealedBusy,
            message: "smscode: too many sealed values in 5 min".into(),
            retry_after_ms: 60_000,
        }
    );
}

#[test]
fn withdraw_amounts_are_strings_of_fen() {
    let max = 5_000_000;
    let refused = |v: Option<Value>, why: &str| {
        assert_eq!(
            withdraw_amount(v.as_ref(), max),
            Err(bad("amount", &format!("amount: {why}"))),
            "{v:?}"
        );
    };
    refused(None, "is required");
    refused(Some(Value::Null), "is required");
    refused(
        Some(json!(100)),
        "must be a string of digits (fen), not a number",
    );
    refused(
        Some(json!(1.5)),
        "must be a string of digits (fen), not a number",
    );
    for text in ["", "-1", "1.0", " 1", "1e3", "１"] {
        refused(
            Some(json!(text)),
            "must be a positive whole number of fen (a string of digits)",
        );
    }
    refused(Some(json!("0")), "must be at least 1 fen");
    refused(
        Some(json!("5000001")),
        "must be at most 5000000 fen (KASSA_S4_WITHDRAW_MAX_FEN)",
    );
    refused(
        Some(json!("99999999999999999999")),
        "must be at most 5000000 fen (KASSA_S4_WITHDRAW_MAX_FEN)",
    );
    refused(
        Some(json!("1".repeat(33))),
        "must be a positive whole number of fen (a string of digits)",
    );
    assert_eq!(withdraw_amount(Some(&json!("5000000")), max), Ok(5_000_000));
    assert_eq!(withdraw_amount(Some(&json!("0001")), max), Ok(1));
}

proptest! {
    #[test]
    fn any_amount_in_range_reads_back_and_none_above(n in 1u64..=u64::MAX, max in 1u64..=u64::MAX) {
        let got = withdraw_amount(Some(&Value::String(n.to_string())), max);
        if n <= max {
            prop_assert_eq!(got, Ok(n));
        } else {
            prop_assert!(got.is_err());
        }
    }

    #[test]
    fn any_text_is_read_or_refused_naming_amount(text in ".{0,24}") {
        match withdraw_amount(Some(&Value::String(text.clone())), u64::MAX) {
            Ok(n) => prop_assert_eq!(text.parse::<u64>().ok(), Some(n)),
            Err(WalletError::Bad { field, message }) => {
                prop_assert_eq!(field, "amount");
                prop_assert!(message.starts_with("amount: "));
            }
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    }

    #[test]
    fn sms_bindings_are_valid_ids_per_user(a in ".{0,40}", b in ".{0,40}") {
        let (x, y) = (sms_binding(&a).unwrap(), sms_binding(&b).unwrap());
        prop_assert_eq!(x.get() % 2, 1);
        prop_assert_eq!(x == y, a == b);
        prop_assert_eq!(sms_binding(&a).unwrap(), x);
    }
}

#[test]
fn the_withdrawal_webhook_carries_the_amount_as_a_string() {
    let mut s = settings(true, true, true);
    s.record_withdrawal("wd_9".into(), "2026-12".into(), 12_345, 77)
        .unwrap();
    let order = Id::new(42).unwrap();
    let data =
        serde_json::to_value(WithdrawalRequested::new(&s.withdrawals[0], "u-1", order)).unwrap();
    assert_eq!(
        data,
        json!({
            "object": "withdrawal",
            "id": "wd_9",
            "user_id": "u-1",
            "amount": "12345",
            "currency": "CNY",
            "account": {"type": "alipay", "id": "13800000000", "name": "Li Lei"},
            "month": "2026-12",
            "status": "requested",
            "created_ms": 77,
            "order_id": "42",
        })
    );
}
