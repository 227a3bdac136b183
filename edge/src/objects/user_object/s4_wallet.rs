//! The user's S4 wallet settings inside their `UserObject` (seed S4 §4–9, SPEC 3.3, 7):
//! the pay password and the three security answers, stored only as PBKDF2-HMAC-SHA256
//! hashes (WebCrypto `deriveBits`, [`PBKDF2_MIN_ITERATIONS`], 16-byte random salt, the
//! iteration count kept with each hash so it can be raised), compared in constant time;
//! the withdrawal account; the withdrawal log (one per calendar month); the latest S4
//! SMS code (as `second_factor` stores codes: a MAC only); each pay's `client_status`.
//!
//! **Where the security answers are checked (Kassa's decision; the seed only sets
//! them).** 密保问题 protect the wallet's secrets, so: once a pay password or answers are
//! set, replacing either needs one of them proven — the current pay password or all
//! three current answers. `/rest/pay/passwd` takes `old_passwd` or `answer1..3` (the
//! forgotten-password path); `/rest/pay/question` takes `passwd` or `old_answer1..3`.
//! Without that rule a stolen `client_secret` could set answers and then reset the pay
//! password with them. All three answers are always hashed and compared (constant time
//! each), so neither timing nor the error tells which was wrong; the error names the
//! first answer field. Answers compare exactly as set (trimmed, case-sensitive).
//! Withdrawals need the pay password (seed §4), not the answers; the account change
//! needs the SMS code (seed §7) and, once a pay password is set, the pay password too
//! (issue 14 item 1: the code alone proves only the phone).
//!
//! **Wrong SMS codes (issue 14 item 1).** Counted per user in their own
//! `WrongCodeLock` (key `s4_sms_lock`, the risk configuration's code-lock limits, 5 →
//! 15 min), every refused guess counting (`CodeError::counts_as_wrong_code`): the
//! guess that reaches the limit voids the code, and until the lock ends every account
//! change is 429 `smscode_locked` before any code is looked at, so 10^6 codes cannot be
//! walked. A right code is spent (written used) before the pay password is hashed, so
//! two concurrent requests cannot both use it and a wrong password costs the code.
//!
//! Every state change re-reads the state after the slow hash and writes it with only
//! storage operations in between, so the object's input gate makes check-and-write
//! atomic (two withdrawals racing in one month cannot both pass). A refusal writes
//! nothing, except that a wrong password or a wrong answer set counts toward the one
//! wallet-secret lock (5 wrong → 15 min, the risk configuration's code-lock limits;
//! shared so that alternating between the two buys no extra guesses).
//!
//! Requests: [`S4Request`] (plaintexts arrive already decrypted by the Worker; a
//! `Proven` carries `{proof: {passwd?, answers?}, now_ms, limits}`); `Sealed` checks and
//! records the sealed fields' nonces of one request in one step (`compat_s4.rs`).
//!
//! **Withdrawals (Kassa's decision; the seed stops at "recorded").** A withdrawal is
//! recorded as `requested` with a random id, the amount (fen) and the account it was
//! requested to, and answered `{code: 900}`; paying it out is the merchant's business.
//! The Worker then queues a signed `withdrawal.requested` webhook (id `evt_<withdrawal
//! id>`) through the outbox of the order whose `client_secret` made the request, and
//! marks the withdrawal `announced`. If queueing fails, the withdrawal stays unannounced
//! and the user's next `/rest/pay/withdraw` queues it (the same webhook id, so a
//! receiver de-duplicates a repeat).

use serde::{Deserialize, Serialize};
use worker::{Response, Storage};

use kassa_shared::crypto::sealed::{NonceLedger, SealedError};
use kassa_shared::crypto::{ct, Secret};
use kassa_shared::envelope::ErrorCode;
use kassa_shared::id::Id;
use kassa_shared::second_factor::{CodeError, LockLimits, StoredCode, WrongCodeLock};
use kassa_shared::surfaces::s4::status::ClientStatus;

use super::request::{ClientStatusAnswer, S4Account, S4Check, S4Request, Withdrawals};
use crate::error::EdgeError;
use crate::objects::{reply, Done};
use crate::webcrypto::{pbkdf2_sha256, PBKDF2_MIN_ITERATIONS};

const SETTINGS_KEY: &str = "s4";
const PW_LOCK_KEY: &str = "s4_pw_lock";
const SMS_KEY: &str = "s4_sms";
/// Wrong S4 SMS codes and their lock (module docs).
const SMS_LOCK_KEY: &str = "s4_sms_lock";
/// Withdrawals kept in the log (oldest dropped first); the month rule needs only the
/// latest.
const MAX_WITHDRAWALS: usize = 36;
/// The nonces of the sealed fields this user sent within the window
/// (`kassa_shared::crypto::sealed::NonceLedger`).
const SEALED_KEY: &str = "s4_sealed";

/// One sealed field's nonce, as `S4Request::Sealed` carries it.
#[derive(Debug, Serialize, Deserialize)]
pub struct SealedNonce {
    pub field: String,
    pub n: String,
    pub ts: u64,
}

/// `S4Request::Sealed`: every nonce of one request checked against the user's ledger and
/// recorded, or none. Only storage operations await between the load and the write, so
/// the input gate makes check-and-record atomic: two concurrent replays of one sealed
/// value cannot both pass.
async fn record_sealed(
    storage: &Storage,
    nonces: &[SealedNonce],
    now_ms: u64,
) -> Result<(), EdgeError> {
    let mut ledger: NonceLedger = load(storage, SEALED_KEY).await?.unwrap_or_default();
    let items: Vec<(&str, u64)> = nonces.iter().map(|x| (x.n.as_str(), x.ts)).collect();
    match ledger.check_and_record(&items, now_ms) {
        Ok(()) => {
            storage
                .put(SEALED_KEY, serde_json::to_string(&ledger)?)
                .await?;
            Ok(())
        }
        Err((_, SealedError::Full)) => Err(EdgeError::TooManyRequests {
            code: ErrorCode::SealedBusy,
            message: format!(
                "{}: {}",
                nonces.first().map_or("passwd", |x| x.field.as_str()),
                SealedError::Full
            ),
            retry_after_ms: 60_000,
        }),
        Err((i, e)) => {
            let field = nonces.get(i).map_or("passwd", |x| x.field.as_str());
            Err(EdgeError::bad(field, format!("{field}: {e}")))
        }
    }
}

/// A slow salted hash of a secret the user chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Hashed {
    iterations: u32,
    salt: String,
    hash: String,
}

/// `type` / `id` / `name` of the account withdrawals go to (seed §7).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub name: String,
}

/// One withdrawal request (seed §4). Kassa moves no money here: the merchant pays out
/// to `account` and learns of the request from the `withdrawal.requested` webhook.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Settings {
    passwd: Option<Hashed>,
    answers: Option<Vec<Hashed>>,
    account: Option<Account>,
    #[serde(default)]
    withdrawals: Vec<Withdrawal>,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

async fn hash_with(plain: &str, salt: &[u8], iterations: u32) -> Result<Vec<u8>, EdgeError> {
    pbkdf2_sha256(plain.as_bytes(), salt, iterations, 32)
        .await
        .map_err(|e| EdgeError::Internal(format!("pbkdf2: {e}")))
}

async fn hash_new(plain: &str) -> Result<Hashed, EdgeError> {
    use base64::Engine as _;
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| EdgeError::Internal(format!("getrandom: {e}")))?;
    let hash = hash_with(plain, &salt, PBKDF2_MIN_ITERATIONS).await?;
    Ok(Hashed {
        iterations: PBKDF2_MIN_ITERATIONS,
        salt: b64().encode(salt),
        hash: b64().encode(hash),
    })
}

async fn matches(plain: &str, h: &Hashed) -> Result<bool, EdgeError> {
    use base64::Engine as _;
    let salt = b64()
        .decode(&h.salt)
        .map_err(|e| EdgeError::Internal(format!("stored salt: {e}")))?;
    let want = b64()
        .decode(&h.hash)
        .map_err(|e| EdgeError::Internal(format!("stored hash: {e}")))?;
    let got = hash_with(plain, &salt, h.iterations).await?;
    Ok(ct::eq(&got, &want))
}

/// Whether the user has set an S4 pay password (S2 `userInfo.bindTradePwd`).
pub(super) async fn has_passwd(storage: &Storage) -> Result<bool, EdgeError> {
    let settings: Option<Settings> = load(storage, SETTINGS_KEY).await?;
    Ok(settings.is_some_and(|s| s.passwd.is_some()))
}

async fn load<T: for<'de> Deserialize<'de>>(
    storage: &Storage,
    key: &str,
) -> Result<Option<T>, EdgeError> {
    match storage.get::<String>(key).await? {
        Some(s) => Ok(Some(serde_json::from_str(&s)?)),
        None => Ok(None),
    }
}

async fn settings(storage: &Storage) -> Result<Settings, EdgeError> {
    Ok(load(storage, SETTINGS_KEY).await?.unwrap_or_default())
}

async fn save(storage: &Storage, s: &Settings) -> Result<(), EdgeError> {
    storage.put(SETTINGS_KEY, serde_json::to_string(s)?).await?;
    Ok(())
}

fn ok() -> Result<Response, EdgeError> {
    reply(&Done {})
}

/// Another change of a wallet secret landed while this one hashed: what was proven (or
/// that there was nothing to prove) no longer holds.
fn unchanged_since(before: &Settings, now: &Settings) -> Result<(), EdgeError> {
    if (&now.passwd, &now.answers) == (&before.passwd, &before.answers) {
        return Ok(());
    }
    Err(missing(
        ErrorCode::WalletSecretChangedConcurrently,
        "passwd: the pay password or security answers changed meanwhile; retry",
    ))
}

fn missing(what: ErrorCode, message: &str) -> EdgeError {
    EdgeError::Conflict {
        code: what,
        message: message.to_owned(),
    }
}

/// Runs `compare` (a slow hash check of a wallet secret) under the wallet-secret lock:
/// wrong → counted (and maybe locked), 400 naming `field`. Wrong pay passwords and wrong
/// answer sets share one lock, so alternating between them buys no extra guesses. The
/// lock is read and written with storage operations only around the hash, so a burst of
/// guesses is counted, not lost.
async fn check_locked(
    storage: &Storage,
    field: &str,
    what: &str,
    limits: &LockLimits,
    now: u64,
    compare: impl core::future::Future<Output = Result<bool, EdgeError>>,
) -> Result<(), EdgeError> {
    let lock: WrongCodeLock = load(storage, PW_LOCK_KEY).await?.unwrap_or_default();
    if lock.check(now).is_err() {
        return Err(EdgeError::TooManyRequests {
            code: ErrorCode::PasswdLocked,
            message: format!(
                "{field}: too many wrong pay passwords or security answers; locked for now"
            ),
            retry_after_ms: lock.locked_until(now).map_or(0, |u| u.saturating_sub(now)),
        });
    }
    let good = compare.await?;
    let mut lock: WrongCodeLock = load(storage, PW_LOCK_KEY).await?.unwrap_or_default();
    if good {
        lock.record_success();
        storage
            .put(PW_LOCK_KEY, serde_json::to_string(&lock)?)
            .await?;
        return Ok(());
    }
    let left = lock.record_failure(limits, now);
    storage
        .put(PW_LOCK_KEY, serde_json::to_string(&lock)?)
        .await?;
    Err(EdgeError::bad(
        field,
        match left {
            Ok(n) => format!("{field}: wrong {what}; {n} attempts left"),
            Err(_) => format!("{field}: wrong {what}; now locked"),
        },
    ))
}

/// All answers match, each compared in constant time and all of them always hashed, so
/// neither timing nor the answer tells which one was wrong.
async fn answers_match(plain: &[String], stored: &[Hashed]) -> Result<bool, EdgeError> {
    let mut all = plain.len() == stored.len();
    for (p, h) in plain.iter().zip(stored) {
        all &= matches(p, h).await?;
    }
    Ok(all)
}

/// What a request offers to prove it may replace a wallet secret (module docs): the
/// current pay password or the three current security answers, already decrypted.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Proof {
    pub passwd: Option<String>,
    pub answers: Option<Vec<String>>,
}

/// What a request replacing a wallet secret carries besides the new value.
#[derive(Debug, Serialize, Deserialize)]
pub struct Proven {
    #[serde(default)]
    pub proof: Proof,
    pub now_ms: u64,
    pub limits: LockLimits,
}

/// Replaces a wallet secret with the hashes of `plain` once `proven` holds (hashing only
/// then: a wrong guess costs no PBKDF2), refusing if the settings changed meanwhile.
async fn replace(
    storage: &Storage,
    proven: &Proven,
    fields: &ProofFields,
    plain: &[String],
    apply: impl FnOnce(&mut Settings, Vec<Hashed>),
) -> Result<Response, EdgeError> {
    let before = settings(storage).await?;
    let (limits, now) = (&proven.limits, proven.now_ms);
    prove(storage, &before, &proven.proof, fields, limits, now).await?;
    let mut hashed = Vec::with_capacity(plain.len());
    for p in plain {
        hashed.push(hash_new(p).await?);
    }
    let mut s = settings(storage).await?;
    unchanged_since(&before, &s)?;
    apply(&mut s, hashed);
    save(storage, &s).await?;
    ok()
}

/// The request fields a [`Proof`] arrived in, for errors: the password's name and the
/// answers' prefix (`answer` → `answer1..answer3`).
struct ProofFields {
    passwd: &'static str,
    answers: &'static str,
}

/// Once a pay password or security answers are set, replacing either needs one of them
/// proven (checked under the lock); before that there is nothing to prove.
async fn prove(
    storage: &Storage,
    s: &Settings,
    proof: &Proof,
    f: &ProofFields,
    limits: &LockLimits,
    now: u64,
) -> Result<(), EdgeError> {
    if s.passwd.is_none() && s.answers.is_none() {
        return Ok(());
    }
    let (pw, a) = (f.passwd, f.answers);
    let first = format!("{a}1");
    match (&proof.passwd, &proof.answers, &s.passwd, &s.answers) {
        (Some(_), Some(_), _, _) => Err(EdgeError::bad(
            pw,
            format!("{pw}: give either {pw} or {a}1..{a}3, not both"),
        )),
        (Some(plain), None, Some(h), _) => {
            check_locked(storage, pw, "pay password", limits, now, matches(plain, h)).await
        }
        (Some(_), None, None, _) => Err(EdgeError::bad(
            pw,
            format!("{pw}: no pay password is set; prove with {a}1..{a}3 instead"),
        )),
        (None, Some(plain), _, Some(h)) => {
            let compare = answers_match(plain, h);
            check_locked(storage, &first, "security answers", limits, now, compare).await
        }
        (None, Some(_), _, None) => Err(EdgeError::bad(
            first.clone(),
            format!("{first}: no security questions are set; prove with {pw} instead"),
        )),
        (None, None, Some(_), _) => Err(EdgeError::bad(
            pw,
            format!("{pw}: required (the pay password, or {a}1..{a}3, the security answers) to change wallet secrets already set"),
        )),
        // Only answers are set: they are the one proof there is.
        (None, None, None, Some(_)) => Err(EdgeError::bad(
            first.clone(),
            format!("{first}: required ({a}1..{a}3, the security answers already set)"),
        )),
        (None, None, None, None) => Ok(()),
    }
}

/// `POST /s4/account`: the SMS code under its own lock, then (once one is set) the pay
/// password under the wallet-secret lock, then the account (module docs).
#[allow(clippy::too_many_arguments)]
async fn change_account(
    storage: &Storage,
    smscode: String,
    passwd: Option<&str>,
    binding: Id,
    pepper: &str,
    account: Account,
    now: u64,
    limits: &LockLimits,
) -> Result<Response, EdgeError> {
    let before = settings(storage).await?;
    // What is missing is said before any guess is counted.
    match (&before.passwd, passwd) {
        (Some(_), None) => return Err(EdgeError::bad(
            "passwd",
            "passwd: required (sealed) to change the withdrawal account once a pay password is set",
        )),
        (None, Some(_)) => {
            return Err(EdgeError::bad(
                "passwd",
                "passwd: no pay password is set; send only smscode",
            ))
        }
        _ => {}
    }
    let mut lock: WrongCodeLock = load(storage, SMS_LOCK_KEY).await?.unwrap_or_default();
    if let Some(until) = lock.locked_until(now) {
        return Err(EdgeError::TooManyRequests {
            code: ErrorCode::SmscodeLocked,
            message: "smscode: too many wrong codes; request a new one once the lock ends".into(),
            retry_after_ms: until.saturating_sub(now),
        });
    }
    let mut code: StoredCode = load(storage, SMS_KEY)
        .await?
        .ok_or_else(|| EdgeError::bad("smscode", "smscode: no code was sent; request one first"))?;
    let pepper = Secret::from(pepper);
    let send_id = code.send_id;
    // From the loads above to the writes below only storage operations await, so the
    // object's input gate makes check-and-count atomic: a burst of guesses is counted.
    if let Err(e) = code.verify(binding, binding, send_id, &smscode, now, &pepper) {
        return Err(wrong_sms_code(storage, &mut lock, &e, limits, now).await?);
    }
    lock.record_success();
    // Single use: spent now, before the slow password hash, whatever follows.
    storage.put(SMS_KEY, serde_json::to_string(&code)?).await?;
    storage
        .put(SMS_LOCK_KEY, serde_json::to_string(&lock)?)
        .await?;
    if let (Some(plain), Some(hash)) = (passwd, &before.passwd) {
        let compare = matches(plain, hash);
        check_locked(storage, "passwd", "pay password", limits, now, compare).await?;
    }
    let mut s = settings(storage).await?;
    unchanged_since(&before, &s)?;
    s.account = Some(account);
    save(storage, &s).await?;
    ok()
}

/// Counts a refused SMS code; the guess that reaches the limit voids the code. Returns
/// the error to answer with.
async fn wrong_sms_code(
    storage: &Storage,
    lock: &mut WrongCodeLock,
    e: &CodeError,
    limits: &LockLimits,
    now: u64,
) -> Result<EdgeError, EdgeError> {
    if !e.counts_as_wrong_code() {
        return Ok(EdgeError::Internal(format!("smscode: {e}")));
    }
    let left = lock.record_failure(limits, now);
    if left.is_err() {
        storage.delete(SMS_KEY).await?;
    }
    storage
        .put(SMS_LOCK_KEY, serde_json::to_string(&lock)?)
        .await?;
    // The shared error names `verify_code`; here the field is `smscode`.
    let reason = e.to_string();
    let reason = reason.strip_prefix("verify_code: ").unwrap_or(&reason);
    Ok(EdgeError::bad(
        "smscode",
        match left {
            Ok(n) => format!("smscode: {reason}; {n} attempts left"),
            Err(_) => format!("smscode: {reason}; the code is void and changes are locked"),
        },
    ))
}

/// The S4 routes of the `UserObject`; `None` when the path is not one of them.
/// Carries out one wallet request.
pub(super) async fn handle(storage: &Storage, request: S4Request) -> Result<Response, EdgeError> {
    match request {
        S4Request::Sealed { nonces, now_ms } => {
            record_sealed(storage, &nonces, now_ms).await?;
            ok()
        }
        S4Request::Check => {
            let s = settings(storage).await?;
            reply(&S4Check {
                passwd: s.passwd.is_some(),
                questions: s.answers.is_some(),
                withdraw: s.account.is_some(),
            })
        }
        S4Request::Account => {
            let s = settings(storage).await?;
            reply(&S4Account { account: s.account })
        }
        S4Request::SetPasswd { passwd, proven } => {
            // "需要验证支付密码": changing a password proves the old one, or — the
            // forgotten-password path security questions exist for — the answers.
            let fields = ProofFields {
                passwd: "old_passwd",
                answers: "answer",
            };
            let plain = std::slice::from_ref(&passwd);
            replace(storage, &proven, &fields, plain, |s, mut h| {
                s.passwd = h.pop()
            })
            .await
        }
        S4Request::SetQuestions { answers, proven } => {
            // Answers can reset the pay password, so setting them is as sensitive as
            // the password itself: once either is set, one of them is proven first.
            let fields = ProofFields {
                passwd: "passwd",
                answers: "old_answer",
            };
            replace(storage, &proven, &fields, &answers, |s, h| {
                s.answers = Some(h);
            })
            .await
        }
        S4Request::SmsCode { stored } => {
            // Only the latest code counts: a new send replaces the one before.
            storage
                .put(SMS_KEY, serde_json::to_string(&stored)?)
                .await?;
            ok()
        }
        S4Request::ChangeAccount {
            smscode,
            passwd,
            binding,
            pepper,
            account,
            now_ms,
            limits,
        } => {
            change_account(
                storage,
                smscode,
                passwd.as_deref(),
                binding,
                &pepper,
                account,
                now_ms,
                &limits,
            )
            .await
        }
        S4Request::Withdraw {
            passwd,
            amount,
            month,
            now_ms,
            limits,
        } => {
            let s = settings(storage).await?;
            let (Some(hash), true, true) =
                (s.passwd.clone(), s.answers.is_some(), s.account.is_some())
            else {
                return Err(missing(
                    ErrorCode::WithdrawPrerequisites,
                    "passwd: withdrawing needs a pay password, the security questions and a withdrawal account (see /rest/pay/checkInfo)",
                ));
            };
            let compare = matches(&passwd, &hash);
            check_locked(storage, "passwd", "pay password", &limits, now_ms, compare).await?;
            let id = crate::objects::random_id()?;
            // Re-read after the slow hash: from here to the write only storage awaits.
            let mut s = settings(storage).await?;
            if s.withdrawals.iter().any(|w| w.month == month) {
                return Err(missing(
                    ErrorCode::WithdrawMonthlyLimit,
                    &format!("amount: one withdrawal per calendar month; {month} already has one"),
                ));
            }
            let w = Withdrawal {
                id: format!("wd_{id}"),
                month,
                amount,
                at_ms: now_ms,
                status: requested(),
                account: s.account.clone(),
                announced: false,
            };
            s.withdrawals.push(w);
            if s.withdrawals.len() > MAX_WITHDRAWALS {
                let excess = s.withdrawals.len() - MAX_WITHDRAWALS;
                s.withdrawals.drain(..excess);
            }
            save(storage, &s).await?;
            ok()
        }
        S4Request::Unannounced => {
            let s = settings(storage).await?;
            let withdrawals: Vec<Withdrawal> = s
                .withdrawals
                .into_iter()
                .filter(|w| !w.announced && !w.id.is_empty())
                .collect();
            reply(&Withdrawals { withdrawals })
        }
        S4Request::Announced { id } => {
            let mut s = settings(storage).await?;
            if let Some(w) = s.withdrawals.iter_mut().find(|w| w.id == id) {
                w.announced = true;
                save(storage, &s).await?;
            }
            ok()
        }
        S4Request::ClientStatus { pay_id } => {
            let status: Option<ClientStatus> = load(storage, &format!("cs:{pay_id}")).await?;
            reply(&ClientStatusAnswer {
                client_status: status.unwrap_or(ClientStatus::Pending),
            })
        }
        S4Request::SetClientStatus { pay_id, status } => {
            let key = format!("cs:{pay_id}");
            storage.put(&key, serde_json::to_string(&status)?).await?;
            ok()
        }
    }
}
