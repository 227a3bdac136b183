//! The user's S4 wallet settings inside their `UserObject` (seed S4 §4–9, SPEC 3.3, 7):
//! the pay password and the three security answers, stored only as PBKDF2-HMAC-SHA256
//! hashes (WebCrypto `deriveBits`, [`PBKDF2_MIN_ITERATIONS`], 16-byte random salt, the
//! iteration count kept with each hash so it can be raised), compared in constant time;
//! the withdrawal account; the withdrawal log (one per calendar month); the latest S4
//! SMS code (as `second_factor` stores codes: a MAC only); each pay's `client_status`.
//!
//! Every state change re-reads the state after the slow hash and writes it with only
//! storage operations in between, so the object's input gate makes check-and-write
//! atomic (two withdrawals racing in one month cannot both pass). A refusal writes
//! nothing, except that a wrong password counts toward the password lock (5 wrong → 15
//! min, the risk configuration's code-lock limits), which is the point of counting.
//!
//! Internal routes (JSON; plaintexts arrive already decrypted by the Worker):
//! `GET /s4/check`, `GET /s4/account`, `POST /s4/passwd {passwd, old_passwd?, now_ms,
//! limits}`, `POST /s4/questions {answers}`, `POST /s4/sms {stored}`, `POST /s4/account
//! {smscode, binding, account, now_ms}`, `POST /s4/withdraw {passwd, amount, month,
//! now_ms, limits}`, `GET /s4/client_status?pay_id=`, `POST /s4/client_status {pay_id,
//! status}`.

use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{Method, Request, Response, Storage};

use kassa_shared::crypto::{ct, Secret};
use kassa_shared::id::Id;
use kassa_shared::providers::s4_pingpp::status::ClientStatus;
use kassa_shared::second_factor::{LockLimits, StoredCode, WrongCodeLock};

use crate::error::EdgeError;
use crate::webcrypto::{pbkdf2_sha256, PBKDF2_MIN_ITERATIONS};

const SETTINGS_KEY: &str = "s4";
const PW_LOCK_KEY: &str = "s4_pw_lock";
const SMS_KEY: &str = "s4_sms";
/// Withdrawals kept in the log (oldest dropped first); the month rule needs only the
/// latest.
const MAX_WITHDRAWALS: usize = 36;

/// A slow salted hash of a secret the user chose.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Withdrawal {
    /// `yyyy-MM` in the configured zone.
    month: String,
    /// Minor units (fen).
    amount: u64,
    at_ms: u64,
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

fn missing(what: &'static str, message: &str) -> EdgeError {
    EdgeError::Conflict {
        code: what,
        message: message.to_owned(),
    }
}

/// Checks the pay password against the lock: wrong → counted (and maybe locked), 400
/// naming `field`. The lock is read and written with storage operations only around
/// the hash, so a burst of guesses is counted, not lost.
async fn check_password(
    storage: &Storage,
    stored: &Hashed,
    plain: &str,
    field: &str,
    limits: &LockLimits,
    now: u64,
) -> Result<(), EdgeError> {
    let lock: WrongCodeLock = load(storage, PW_LOCK_KEY).await?.unwrap_or_default();
    if lock.check(now).is_err() {
        return Err(EdgeError::TooManyRequests {
            code: "passwd_locked",
            message: format!("{field}: too many wrong passwords; locked for now"),
            retry_after_ms: lock.locked_until(now).map_or(0, |u| u.saturating_sub(now)),
        });
    }
    let good = matches(plain, stored).await?;
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
            Ok(n) => format!("{field}: wrong pay password; {n} attempts left"),
            Err(_) => format!("{field}: wrong pay password; now locked"),
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
                old_passwd: Option<String>,
                now_ms: u64,
                limits: LockLimits,
            }
            let a: In = body(req).await?;
            // "需要验证支付密码": changing a password proves the old one.
            let before = settings(storage).await?.passwd;
            if let Some(current) = &before {
                let old = a.old_passwd.as_deref().ok_or_else(|| {
                    EdgeError::bad(
                        "old_passwd",
                        "old_passwd: required to change the pay password",
                    )
                })?;
                check_password(storage, current, old, "old_passwd", &a.limits, a.now_ms).await?;
            }
            let hashed = hash_new(&a.passwd).await?;
            let mut s = settings(storage).await?;
            // Another change landed while this one hashed: what was proven (or that
            // there was nothing to prove) no longer holds.
            if s.passwd.as_ref().map(|h| &h.hash) != before.as_ref().map(|h| &h.hash) {
                return Err(missing(
                    "passwd_changed_concurrently",
                    "passwd: changed by another request meanwhile; retry",
                ));
            }
            s.passwd = Some(hashed);
            save(storage, &s).await?;
            ok()
        }
        (Method::Post, "/s4/questions") => {
            #[derive(Deserialize)]
            struct In {
                answers: Vec<String>,
            }
            let a: In = body(req).await?;
            let mut hashed = Vec::with_capacity(a.answers.len());
            for answer in &a.answers {
                hashed.push(hash_new(answer).await?);
            }
            let mut s = settings(storage).await?;
            s.answers = Some(hashed);
            save(storage, &s).await?;
            ok()
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
                binding: Id,
                pepper: String,
                account: Account,
                now_ms: u64,
            }
            let a: In = body(req).await?;
            let mut code: StoredCode = load(storage, SMS_KEY).await?.ok_or_else(|| {
                EdgeError::bad("smscode", "smscode: no code was sent; request one first")
            })?;
            let pepper = Secret::from(a.pepper.as_str());
            let send_id = code.send_id;
            code.verify(a.binding, a.binding, send_id, &a.smscode, a.now_ms, &pepper)
                .map_err(|e| EdgeError::bad("smscode", format!("smscode: {e}")))?;
            let mut s = settings(storage).await?;
            s.account = Some(a.account);
            // Single use: the code is spent with the write it allowed.
            storage.put(SMS_KEY, serde_json::to_string(&code)?).await?;
            save(storage, &s).await?;
            ok()
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
            check_password(storage, &hash, &a.passwd, "passwd", &a.limits, a.now_ms).await?;
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
            s.withdrawals.push(Withdrawal {
                month: a.month,
                amount: a.amount,
                at_ms: a.now_ms,
            });
            if s.withdrawals.len() > MAX_WITHDRAWALS {
                let excess = s.withdrawals.len() - MAX_WITHDRAWALS;
                s.withdrawals.drain(..excess);
            }
            save(storage, &s).await?;
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
