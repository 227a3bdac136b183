//! The user's S4 wallet settings and the rules over them (seed S4 §4–9, SPEC 3.3): what
//! is stored (the pay password and the three security answers only as slow salted
//! hashes, the withdrawal account, the withdrawal log), what a change must prove, how
//! wrong guesses count toward a lock, when a withdrawal may be recorded, and every
//! refusal's field, code and words. The edge's `UserObject` keeps these settings in
//! storage, hashes with WebCrypto's PBKDF2 and compares in constant time; it asks here
//! what to hash, what to compare and what to answer.
//!
//! **Where the security answers are checked (Kassa's decision; the seed only sets
//! them).** 密保问题 protect the wallet's secrets, so: once a pay password or answers are
//! set, replacing either needs one of them proven — the current pay password or all
//! three current answers ([`proof_needed`]). `/rest/pay/passwd` takes `old_passwd` or
//! `answer1..3` (the forgotten-password path); `/rest/pay/question` takes `passwd` or
//! `old_answer1..3`. Without that rule a stolen session could set answers and then reset
//! the pay password with them. Withdrawals need the pay password (seed §4), not the
//! answers; the account change needs the SMS code (seed §7) and, once a pay password is
//! set, the pay password too (issue 14 item 1: the code alone proves only the phone).
//!
//! Wrong pay passwords and wrong answer sets share one lock (the risk configuration's
//! code-lock limits, 5 wrong → 15 min), so alternating between them buys no extra
//! guesses; wrong S4 SMS codes have a lock of their own, and the guess that reaches its
//! limit voids the code ([`wrong_sms_code`]).

use serde::{Deserialize, Serialize};

use crate::crypto::sealed::SealedError;
use crate::envelope::ErrorCode;
use crate::id::{Id, IdError};
use crate::second_factor::{CodeError, LockLimits, WrongCodeLock};

/// Withdrawals kept in the log (oldest dropped first); the month rule needs only the
/// latest.
pub const MAX_WITHDRAWALS: usize = 36;

/// A wallet request refused: the edge answers it in its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalletError {
    /// 400 naming `field`.
    Bad { field: String, message: String },
    /// 409: the wallet's state refuses it.
    Conflict { code: ErrorCode, message: String },
    /// 429 until `retry_after_ms` from now.
    Locked {
        code: ErrorCode,
        message: String,
        retry_after_ms: u64,
    },
}

impl WalletError {
    fn bad(field: &str, message: String) -> Self {
        Self::Bad {
            field: field.to_owned(),
            message,
        }
    }

    fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }
}

/// A slow salted hash of a secret the user chose (PBKDF2-HMAC-SHA256, base64; the
/// iteration count kept with each hash so it can be raised).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hashed {
    pub iterations: u32,
    pub salt: String,
    pub hash: String,
}

/// `type` / `id` / `name` of the account withdrawals go to (seed §7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub name: String,
}

/// One withdrawal request (seed §4). Kassa moves no money here: the merchant pays out
/// to `account` and learns of the request from the `withdrawal.requested` webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    /// `wd_<random id>`; the webhook's id is derived from it. Empty for records made
    /// before withdrawals had ids (never announced).
    #[serde(default)]
    pub id: String,
    /// `yyyy-MM` in the configured zone.
    pub month: String,
    /// Minor units (fen).
    pub amount: u64,
    pub at_ms: u64,
    /// `requested`, the only state Kassa sets (the payout is the merchant's).
    #[serde(default = "requested")]
    pub status: String,
    /// The account when it was requested: a later change does not redirect it.
    #[serde(default)]
    pub account: Option<Account>,
    /// The merchant's webhook is queued.
    #[serde(default)]
    pub announced: bool,
}

fn requested() -> String {
    "requested".to_owned()
}

/// Everything the wallet keeps for one user (one storage value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub passwd: Option<Hashed>,
    pub answers: Option<Vec<Hashed>>,
    pub account: Option<Account>,
    #[serde(default)]
    pub withdrawals: Vec<Withdrawal>,
}

/// What a request offers to prove it may replace a wallet secret: the current pay
/// password or the three current security answers, already decrypted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    pub passwd: Option<String>,
    pub answers: Option<Vec<String>>,
}

/// The request fields a [`Proof`] arrived in, for errors: the password's name and the
/// answers' prefix (`answer` → `answer1..answer3`).
#[derive(Debug, Clone, Copy)]
pub struct ProofFields {
    pub passwd: &'static str,
    pub answers: &'static str,
}

/// `/rest/pay/passwd`: the old password, or the answers (the forgotten-password path).
pub const PASSWD_PROOF: ProofFields = ProofFields {
    passwd: "old_passwd",
    answers: "answer",
};

/// `/rest/pay/question`: answers can reset the pay password, so setting them is as
/// sensitive as the password itself.
pub const QUESTION_PROOF: ProofFields = ProofFields {
    passwd: "passwd",
    answers: "old_answer",
};

/// One secret to compare (slowly, in constant time) under the wallet-secret lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare<'a> {
    Passwd {
        plain: &'a str,
        hash: &'a Hashed,
    },
    /// All answers are always hashed and compared, so neither timing nor the error
    /// tells which one was wrong; a count that differs from the stored one is wrong.
    Answers {
        plain: &'a [String],
        hashes: &'a [Hashed],
    },
}

/// A guess at a wallet secret: what to compare, and the field and words a wrong one is
/// refused with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guess<'a> {
    pub field: String,
    pub what: &'static str,
    pub compare: Compare<'a>,
}

impl<'a> Guess<'a> {
    /// The pay password in `field` against the stored hash.
    #[must_use]
    pub fn passwd(field: &str, plain: &'a str, hash: &'a Hashed) -> Self {
        Self {
            field: field.to_owned(),
            what: "pay password",
            compare: Compare::Passwd { plain, hash },
        }
    }
}

/// What replacing a wallet secret must prove first: nothing before any secret is set;
/// after, the current pay password or the three current answers — one of them, never
/// both. The refusal names the field the request should have used.
///
/// # Errors
/// [`WalletError::Bad`] when the proof is missing, doubled or of a kind not set.
pub fn proof_needed<'a>(
    s: &'a Settings,
    proof: &'a Proof,
    f: ProofFields,
) -> Result<Option<Guess<'a>>, WalletError> {
    if s.passwd.is_none() && s.answers.is_none() {
        return Ok(None);
    }
    let (pw, a) = (f.passwd, f.answers);
    let first = format!("{a}1");
    match (&proof.passwd, &proof.answers, &s.passwd, &s.answers) {
        (Some(_), Some(_), _, _) => Err(WalletError::bad(
            pw,
            format!("{pw}: give either {pw} or {a}1..{a}3, not both"),
        )),
        (Some(plain), None, Some(h), _) => Ok(Some(Guess::passwd(pw, plain, h))),
        (Some(_), None, None, _) => Err(WalletError::bad(
            pw,
            format!("{pw}: no pay password is set; prove with {a}1..{a}3 instead"),
        )),
        (None, Some(plain), _, Some(h)) => Ok(Some(Guess {
            field: first,
            what: "security answers",
            compare: Compare::Answers {
                plain,
                hashes: h,
            },
        })),
        (None, Some(_), _, None) => Err(WalletError::bad(
            &first,
            format!("{first}: no security questions are set; prove with {pw} instead"),
        )),
        (None, None, Some(_), _) => Err(WalletError::bad(
            pw,
            format!("{pw}: required (the pay password, or {a}1..{a}3, the security answers) to change wallet secrets already set"),
        )),
        // Only answers are set: they are the one proof there is.
        (None, None, None, Some(_)) => Err(WalletError::bad(
            &first,
            format!("{first}: required ({a}1..{a}3, the security answers already set)"),
        )),
        (None, None, None, None) => Ok(None),
    }
}

/// Before a guess at a wallet secret is compared: refused while the lock is in force.
///
/// # Errors
/// [`WalletError::Locked`] `passwd_locked` naming `field`.
pub fn secret_lock_gate(lock: &WrongCodeLock, field: &str, now: u64) -> Result<(), WalletError> {
    match lock.locked_until(now) {
        None => Ok(()),
        Some(until) => Err(WalletError::Locked {
            code: ErrorCode::PasswdLocked,
            message: format!(
                "{field}: too many wrong pay passwords or security answers; locked for now"
            ),
            retry_after_ms: until.saturating_sub(now),
        }),
    }
}

/// Records a compared guess on the lock (read again after the slow hash): right clears
/// the count; wrong counts, maybe locks, and is refused saying how many are left.
///
/// # Errors
/// [`WalletError::Bad`] naming the guess's field when it was wrong.
pub fn record_guess(
    lock: &mut WrongCodeLock,
    guess: &Guess<'_>,
    good: bool,
    limits: &LockLimits,
    now: u64,
) -> Result<(), WalletError> {
    if good {
        lock.record_success();
        return Ok(());
    }
    let (field, what) = (&guess.field, guess.what);
    Err(WalletError::bad(
        field,
        match lock.record_failure(limits, now) {
            Ok(n) => format!("{field}: wrong {what}; {n} attempts left"),
            Err(_) => format!("{field}: wrong {what}; now locked"),
        },
    ))
}

/// Another change of a wallet secret landed while this one hashed: what was proven (or
/// that there was nothing to prove) no longer holds.
///
/// # Errors
/// [`WalletError::Conflict`] `wallet_secret_changed_concurrently`.
pub fn unchanged_since(before: &Settings, now: &Settings) -> Result<(), WalletError> {
    if (&now.passwd, &now.answers) == (&before.passwd, &before.answers) {
        return Ok(());
    }
    Err(WalletError::conflict(
        ErrorCode::WalletSecretChangedConcurrently,
        "passwd: the pay password or security answers changed meanwhile; retry",
    ))
}

/// Changing the withdrawal account: the pay password comes exactly when one is set.
/// What is missing is said before any guess is counted.
///
/// # Errors
/// [`WalletError::Bad`] naming `passwd`.
pub fn account_change_needs(s: &Settings, passwd_given: bool) -> Result<(), WalletError> {
    match (s.passwd.is_some(), passwd_given) {
        (true, false) => Err(WalletError::bad(
            "passwd",
            "passwd: required (sealed) to change the withdrawal account once a pay password is set"
                .into(),
        )),
        (false, true) => Err(WalletError::bad(
            "passwd",
            "passwd: no pay password is set; send only smscode".into(),
        )),
        _ => Ok(()),
    }
}

/// While the S4 SMS-code lock is in force, every account change is refused before any
/// code is looked at, so the code space cannot be walked.
///
/// # Errors
/// [`WalletError::Locked`] `smscode_locked`.
pub fn sms_lock_gate(lock: &WrongCodeLock, now: u64) -> Result<(), WalletError> {
    match lock.locked_until(now) {
        None => Ok(()),
        Some(until) => Err(WalletError::Locked {
            code: ErrorCode::SmscodeLocked,
            message: "smscode: too many wrong codes; request a new one once the lock ends".into(),
            retry_after_ms: until.saturating_sub(now),
        }),
    }
}

/// A refused S4 SMS code, counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongSms {
    /// This guess reached the limit: the code is void (deleted).
    pub void_code: bool,
    pub error: WalletError,
}

/// Counts a refused SMS code on `lock`; `None` when the failure is not a guess (the
/// code could not be checked at all: an internal error, nothing counted).
#[must_use]
pub fn wrong_sms_code(
    lock: &mut WrongCodeLock,
    e: &CodeError,
    limits: &LockLimits,
    now: u64,
) -> Option<WrongSms> {
    if !e.counts_as_wrong_code() {
        return None;
    }
    let left = lock.record_failure(limits, now);
    // The shared error names `verify_code`; here the field is `smscode`.
    let reason = e.to_string();
    let reason = reason.strip_prefix("verify_code: ").unwrap_or(&reason);
    let message = match left {
        Ok(n) => format!("smscode: {reason}; {n} attempts left"),
        Err(_) => format!("smscode: {reason}; the code is void and changes are locked"),
    };
    Some(WrongSms {
        void_code: left.is_err(),
        error: WalletError::bad("smscode", message),
    })
}

/// A withdrawal needs a pay password, the security questions and an account (seed §4);
/// the pay password's hash is what the request's password is compared with.
///
/// # Errors
/// [`WalletError::Conflict`] `withdraw_prerequisites`.
pub fn withdraw_prerequisites(s: &Settings) -> Result<&Hashed, WalletError> {
    match (&s.passwd, s.answers.is_some(), s.account.is_some()) {
        (Some(hash), true, true) => Ok(hash),
        _ => Err(WalletError::conflict(
            ErrorCode::WithdrawPrerequisites,
            "passwd: withdrawing needs a pay password, the security questions and a withdrawal account (see /rest/pay/checkInfo)",
        )),
    }
}

impl Settings {
    /// Records a withdrawal of `amount` fen as `requested`, to the account set now: at
    /// most one per calendar month (`month`, `yyyy-MM` in the configured zone); the log
    /// keeps the newest [`MAX_WITHDRAWALS`].
    ///
    /// # Errors
    /// [`WalletError::Conflict`] `withdraw_monthly_limit` naming `amount`.
    pub fn record_withdrawal(
        &mut self,
        id: String,
        month: String,
        amount: u64,
        now_ms: u64,
    ) -> Result<(), WalletError> {
        if self.withdrawals.iter().any(|w| w.month == month) {
            return Err(WalletError::conflict(
                ErrorCode::WithdrawMonthlyLimit,
                format!("amount: one withdrawal per calendar month; {month} already has one"),
            ));
        }
        self.withdrawals.push(Withdrawal {
            id,
            month,
            amount,
            at_ms: now_ms,
            status: requested(),
            account: self.account.clone(),
            announced: false,
        });
        if self.withdrawals.len() > MAX_WITHDRAWALS {
            let excess = self.withdrawals.len() - MAX_WITHDRAWALS;
            self.withdrawals.drain(..excess);
        }
        Ok(())
    }

    /// Withdrawals whose `withdrawal.requested` webhook is not queued yet (records from
    /// before withdrawals had ids are never announced).
    #[must_use]
    pub fn unannounced(&self) -> Vec<Withdrawal> {
        self.withdrawals
            .iter()
            .filter(|w| !w.announced && !w.id.is_empty())
            .cloned()
            .collect()
    }

    /// Marks withdrawal `id` announced; false when there is none (nothing to save).
    pub fn mark_announced(&mut self, id: &str) -> bool {
        match self.withdrawals.iter_mut().find(|w| w.id == id) {
            Some(w) => {
                w.announced = true;
                true
            }
            None => false,
        }
    }
}

/// The refusal of a request's sealed fields (SPEC 4.5) whose nonce check failed at
/// `index` of `fields` (the fields in the request's order).
#[must_use]
pub fn sealed_refusal(fields: &[&str], index: usize, e: &SealedError) -> WalletError {
    if *e == SealedError::Full {
        return WalletError::Locked {
            code: ErrorCode::SealedBusy,
            message: format!("{}: {e}", fields.first().copied().unwrap_or("passwd")),
            retry_after_ms: 60_000,
        };
    }
    let field = fields.get(index).copied().unwrap_or("passwd");
    WalletError::bad(field, format!("{field}: {e}"))
}

/// `amount` of `/rest/pay/withdraw`: a string of digits (fen), 1 to `max`. A JSON
/// number is refused: amounts travel as strings (the seed's form), so none is ever
/// rounded through a float.
///
/// # Errors
/// [`WalletError::Bad`] naming `amount`.
pub fn withdraw_amount(v: Option<&serde_json::Value>, max: u64) -> Result<u64, WalletError> {
    use serde_json::Value;
    let bad = |why: String| WalletError::bad("amount", format!("amount: {why}"));
    let text = match v {
        None | Some(Value::Null) => return Err(bad("is required".into())),
        Some(Value::String(s)) => s,
        Some(_) => return Err(bad("must be a string of digits (fen), not a number".into())),
    };
    // Bounded before parsing; a longer run of digits than a u64 holds is over `max`.
    if text.is_empty() || text.len() > 32 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(
            "must be a positive whole number of fen (a string of digits)".into(),
        ));
    }
    match text.parse::<u64>() {
        Ok(n) if n > 0 && n <= max => Ok(n),
        Ok(0) => Err(bad("must be at least 1 fen".into())),
        _ => Err(bad(format!(
            "must be at most {max} fen (KASSA_S4_WITHDRAW_MAX_FEN)"
        ))),
    }
}

/// The id S4 SMS codes are bound to: the user alone, under its own domain, so such a
/// code never matches a `pay` code's (order, user) binding (whose ids are order ids).
///
/// # Errors
/// None in practice: the value is odd and below 2^63, a valid id.
pub fn sms_binding(user_id: &str) -> Result<Id, IdError> {
    let h = crate::crypto::hmac_sha256(b"kassa s4 sms binding v1", &[user_id.as_bytes()]);
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    Id::new((u64::from_be_bytes(b) >> 1) | 1)
}

/// The `withdrawal.requested` webhook's `data` (module docs of the edge's S4 routes):
/// the amount a string of fen, as amounts travel here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WithdrawalRequested<'a> {
    pub object: &'static str,
    pub id: &'a str,
    pub user_id: &'a str,
    pub amount: String,
    pub currency: &'static str,
    pub account: &'a Option<Account>,
    pub month: &'a str,
    pub status: &'a str,
    pub created_ms: u64,
    pub order_id: String,
}

impl<'a> WithdrawalRequested<'a> {
    /// The webhook of `w`, the user's, announced through order `order_id`.
    #[must_use]
    pub fn new(w: &'a Withdrawal, user_id: &'a str, order_id: Id) -> Self {
        Self {
            object: "withdrawal",
            id: &w.id,
            user_id,
            amount: w.amount.to_string(),
            currency: "CNY",
            account: &w.account,
            month: &w.month,
            status: &w.status,
            created_ms: w.at_ms,
            order_id: order_id.to_string(),
        }
    }
}

#[cfg(test)]
#[path = "wallet_tests.rs"]
mod tests;
