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
//! Internal routes (JSON; plaintexts arrive already decrypted by the Worker; `proof` is
//! `{passwd?, answers?}`): `GET /s4/check`, `GET /s4/account`, `POST /s4/passwd {passwd,
//! proof, now_ms, limits}`, `POST /s4/questions {answers, proof, now_ms, limits}`, `POST
//! /s4/sms {stored}`, `POST /s4/account {smscode, passwd?, binding, pepper, account,
//! now_ms, limits}`, `POST
//! /s4/withdraw {passwd, amount, month, now_ms, limits}`, `GET /s4/client_status?pay_id=`,
//! `POST /s4/client_status {pay_id, status}`, `GET /s4/withdrawals/unannounced`, `POST
//! /s4/withdrawals/announced {id}`, `POST /s4/sealed {nonces: [{field, n, ts}], now_ms}`
//! (the sealed fields' nonces, checked and recorded in one step; `compat_s4.rs`).
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
use serde_json::json;
use worker::{Method, Request, Response, Storage};

use kassa_shared::crypto::sealed::{NonceLedger, SealedError};
use kassa_shared::crypto::{ct, Secret};
use kassa_shared::id::Id;
use kassa_shared::second_factor::{CodeError, LockLimits, StoredCode, WrongCodeLock};
use kassa_shared::surfaces::s4::status::ClientStatus;

use crate::error::EdgeError;
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

/// One sealed field's nonce, as `POST /s4/sealed` takes it.
#[derive(Deserialize)]
struct SealedNonce {
    field: String,
    n: String,
    ts: u64,
}

#[derive(Deserialize)]
struct SealedBody {
    nonces: Vec<SealedNonce>,
    now_ms: u64,
}

/// `POST /s4/sealed`: every nonce of one request checked against the user's ledger and
/// recorded, or none. Only storage operations await between the load and the write, so
/// the input gate makes check-and-record atomic: two concurrent replays of one sealed
/// value cannot both pass.
async fn record_sealed(storage: &Storage, b: &SealedBody) -> Result<(), EdgeError> {
    let mut ledger: NonceLedger = load(storage, SEALED_KEY).await?.unwrap_or_default();
    let items: Vec<(&str, u64)> = b.nonces.iter().map(|x| (x.n.as_str(), x.ts)).collect();
    match ledger.check_and_record(&items, b.now_ms) {
        Ok(()) => {
            storage
                .put(SEALED_KEY, serde_json::to_string(&ledger)?)
                .await?;
            Ok(())
        }
        Err((_, SealedError::Full)) => Err(EdgeError::TooManyRequests {
            code: "sealed_busy",
            message: format!(
                "{}: {}",
                b.nonces.first().map_or("passwd", |x| x.field.as_str()),
                SealedError::Full
            ),
            retry_after_ms: 60_000,
        }),
        Err((i, e)) => {
            let field = b.nonces.get(i).map_or("passwd", |x| x.field.as_str());
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
pub(super) struct Account {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub name: String,
}

/// One withdrawal request (seed §4). Kassa moves no money here: the merchant pays out
/// to `account` and learns of the request from the `withdrawal.requested` webhook.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Withdrawal {
    /// `wd_<random id>`; the webhook's id is derived from it. Empty for records made
    /// before withdrawals had ids (never announced).
    #[serde(default)]
    id: String,
    /// `yyyy-MM` in the configured zone.
    month: String,
    /// Minor units (fen).
    amount: u64,
    at_ms: u64,
    /// `requested`, the only state Kassa sets (the payout is the merchant's).
    #[serde(default = "requested")]
    status: String,
    /// The account when it was requested: a later change does not redirect it.
    #[serde(default)]
    account: Option<Account>,
    /// The merchant's webhook is queued.
    #[serde(default)]
    announced: bool,
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
    Ok(Response::from_json(&json!({ "ok": true }))?)
}

/// Another change of a wallet secret landed while this one hashed: what was proven (or
/// that there was nothing to prove) no longer holds.
fn unchanged_since(before: &Settings, now: &Settings) -> Result<(), EdgeError> {
    if (&now.passwd, &now.answers) == (&before.passwd, &before.answers) {
        return Ok(());
    }
    Err(missing(
        "wallet_secret_changed_concurrently",
        "passwd: the pay password or security answers changed meanwhile; retry",
    ))
}

fn missing(what: &'static str, message: &str) -> EdgeError {
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
            code: "passwd_locked",
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
#[derive(Debug, Default, Deserialize)]
struct Proof {
    passwd: Option<String>,
    answers: Option<Vec<String>>,
}

/// What a request replacing a wallet secret carries besides the new value.
#[derive(Deserialize)]
struct Proven {
    #[serde(default)]
    proof: Proof,
    now_ms: u64,
    limits: LockLimits,
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
            code: "smscode_locked",
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
pub async fn route(storage: &Storage, req: &mut Request) -> Option<Result<Response, EdgeError>> {
    let path = req.path();
    if !path.starts_with("/s4/") {
        return None;
    }
    Some(handle(storage, req, &path).await)
}

async fn body<T: for<'de> Deserialize<'de>>(req: &mut Request) -> Result<T, EdgeError> {
    Ok(serde_json::from_str(&req.text().await?)?)
}

async fn handle(storage: &Storage, req: &mut Request, path: &str) -> Result<Response, EdgeError> {
    match (req.method(), path) {
        (Method::Post, "/s4/sealed") => {
            let b: SealedBody = body(req).await?;
            record_sealed(storage, &b).await?;
            ok()
        }
        (Method::Get, "/s4/check") => {
            let s = settings(storage).await?;
            Ok(Response::from_json(&json!({
                "passwd": s.passwd.is_some(),
                "questions": s.answers.is_some(),
                "withdraw": s.account.is_some(),
            }))?)
        }
        (Method::Get, "/s4/account") => {
            let s = settings(storage).await?;
            Ok(Response::from_json(&json!({ "account": s.account }))?)
        }
        (Method::Post, "/s4/passwd") => {
            #[derive(Deserialize)]
            struct In {
                passwd: String,
                #[serde(flatten)]
                proven: Proven,
            }
            let a: In = body(req).await?;
            // "需要验证支付密码": changing a password proves the old one, or — the
            // forgotten-password path security questions exist for — the answers.
            let fields = ProofFields {
                passwd: "old_passwd",
                answers: "answer",
            };
            let plain = std::slice::from_ref(&a.passwd);
            replace(storage, &a.proven, &fields, plain, |s, mut h| {
                s.passwd = h.pop()
            })
            .await
        }
        (Method::Post, "/s4/questions") => {
            #[derive(Deserialize)]
            struct In {
                answers: Vec<String>,
                #[serde(flatten)]
                proven: Proven,
            }
            let a: In = body(req).await?;
            // Answers can reset the pay password, so setting them is as sensitive as
            // the password itself: once either is set, one of them is proven first.
            let fields = ProofFields {
                passwd: "passwd",
                answers: "old_answer",
            };
            replace(storage, &a.proven, &fields, &a.answers, |s, h| {
                s.answers = Some(h);
            })
            .await
        }
        (Method::Post, "/s4/sms") => {
            #[derive(Deserialize)]
            struct In {
                stored: StoredCode,
            }
            let a: In = body(req).await?;
            // Only the latest code counts: a new send replaces the one before.
            storage
                .put(SMS_KEY, serde_json::to_string(&a.stored)?)
                .await?;
            ok()
        }
        (Method::Post, "/s4/account") => {
            #[derive(Deserialize)]
            struct In {
                smscode: String,
                #[serde(default)]
                passwd: Option<String>,
                binding: Id,
                pepper: String,
                account: Account,
                now_ms: u64,
                limits: LockLimits,
            }
            let a: In = body(req).await?;
            change_account(
                storage,
                a.smscode,
                a.passwd.as_deref(),
                a.binding,
                &a.pepper,
                a.account,
                a.now_ms,
                &a.limits,
            )
            .await
        }
        (Method::Post, "/s4/withdraw") => {
            #[derive(Deserialize)]
            struct In {
                passwd: String,
                amount: u64,
                month: String,
                now_ms: u64,
                limits: LockLimits,
            }
            let a: In = body(req).await?;
            let s = settings(storage).await?;
            let (Some(hash), true, true) =
                (s.passwd.clone(), s.answers.is_some(), s.account.is_some())
            else {
                return Err(missing(
                    "withdraw_prerequisites",
                    "passwd: withdrawing needs a pay password, the security questions and a withdrawal account (see /rest/pay/checkInfo)",
                ));
            };
            let compare = matches(&a.passwd, &hash);
            check_locked(
                storage,
                "passwd",
                "pay password",
                &a.limits,
                a.now_ms,
                compare,
            )
            .await?;
            let id = crate::objects::random_id()?;
            // Re-read after the slow hash: from here to the write only storage awaits.
            let mut s = settings(storage).await?;
            if s.withdrawals.iter().any(|w| w.month == a.month) {
                return Err(missing(
                    "withdraw_monthly_limit",
                    &format!(
                        "amount: one withdrawal per calendar month; {} already has one",
                        a.month
                    ),
                ));
            }
            let w = Withdrawal {
                id: format!("wd_{id}"),
                month: a.month,
                amount: a.amount,
                at_ms: a.now_ms,
                status: requested(),
                account: s.account.clone(),
                announced: false,
            };
            s.withdrawals.push(w.clone());
            if s.withdrawals.len() > MAX_WITHDRAWALS {
                let excess = s.withdrawals.len() - MAX_WITHDRAWALS;
                s.withdrawals.drain(..excess);
            }
            save(storage, &s).await?;
            Ok(Response::from_json(
                &json!({ "ok": true, "withdrawal": w }),
            )?)
        }
        (Method::Get, "/s4/withdrawals/unannounced") => {
            let s = settings(storage).await?;
            let list: Vec<&Withdrawal> = s
                .withdrawals
                .iter()
                .filter(|w| !w.announced && !w.id.is_empty())
                .collect();
            Ok(Response::from_json(&json!({ "withdrawals": list }))?)
        }
        (Method::Post, "/s4/withdrawals/announced") => {
            #[derive(Deserialize)]
            struct In {
                id: String,
            }
            let a: In = body(req).await?;
            let mut s = settings(storage).await?;
            if let Some(w) = s.withdrawals.iter_mut().find(|w| w.id == a.id) {
                w.announced = true;
                save(storage, &s).await?;
            }
            ok()
        }
        (Method::Get, "/s4/client_status") => {
            let url = req.url()?;
            let pay_id = url
                .query_pairs()
                .find(|(k, _)| k == "pay_id")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let status: Option<ClientStatus> = load(storage, &format!("cs:{pay_id}")).await?;
            Ok(Response::from_json(
                &json!({ "client_status": status.unwrap_or(ClientStatus::Pending) }),
            )?)
        }
        (Method::Post, "/s4/client_status") => {
            #[derive(Deserialize)]
            struct In {
                pay_id: Id,
                status: ClientStatus,
            }
            let a: In = body(req).await?;
            let key = format!("cs:{}", a.pay_id);
            storage.put(&key, serde_json::to_string(&a.status)?).await?;
            ok()
        }
        _ => Err(EdgeError::RouteNotFound),
    }
}
