//! The user's S4 wallet inside their `UserObject` (seed S4 §4–9, SPEC 3.3, 7): the I/O
//! half of `kassa_shared::surfaces::s4::wallet`, which holds the rules (what a change
//! must prove, the locks, the withdrawal rules, every refusal). Here: the settings in
//! storage, the hashes made with WebCrypto's PBKDF2-HMAC-SHA256 ([`PBKDF2_MIN_ITERATIONS`],
//! a 16-byte random salt) and compared in constant time, the latest S4 SMS code (as
//! `second_factor` stores codes: a MAC only), each pay's `client_status`.
//!
//! Every state change re-reads the state after the slow hash and writes it with only
//! storage operations in between, so the object's input gate makes check-and-write
//! atomic (two withdrawals racing in one month cannot both pass). A refusal writes
//! nothing, except that a wrong password or a wrong answer set counts toward the one
//! wallet-secret lock. A right SMS code is spent (written used) before the pay password
//! is hashed, so two concurrent requests cannot both use it and a wrong password costs
//! the code.
//!
//! Requests: [`S4Request`] (plaintexts arrive already decrypted by the Worker; a
//! `Proven` carries `{proof: {passwd?, answers?}, now_ms, limits}`); `Sealed` checks and
//! records the sealed fields' nonces of one request in one step (`compat_s4.rs`).
//!
//! **Withdrawals (Kassa's decision; the seed stops at "recorded").** A withdrawal is
//! recorded as `requested` with a random id, the amount (fen) and the account it was
//! requested to, and answered `{code: 900}`; paying it out is the merchant's business.
//! The Worker then queues a signed `withdrawal.requested` webhook (id `evt_<withdrawal
//! id>`) through the outbox of the user's newest order, and marks the withdrawal
//! `announced`. If queueing fails, the withdrawal stays unannounced and the user's next
//! `/rest/pay/withdraw` queues it (the same webhook id, so a receiver de-duplicates a
//! repeat).

use serde::{Deserialize, Serialize};
use worker::{Response, Storage};

use kassa_shared::crypto::sealed::NonceLedger;
use kassa_shared::crypto::{ct, Secret};
use kassa_shared::id::Id;
use kassa_shared::second_factor::{LockLimits, StoredCode, WrongCodeLock};
use kassa_shared::surfaces::s4::status::ClientStatus;
use kassa_shared::surfaces::s4::wallet::{
    self, Account, Compare, Guess, Hashed, Proof, ProofFields, Settings, WalletError,
};

use super::request::{ClientStatusAnswer, S4Account, S4Check, S4Request, Withdrawals};
use crate::error::EdgeError;
use crate::objects::{reply, Done};
use crate::webcrypto::{pbkdf2_sha256, PBKDF2_MIN_ITERATIONS};

const SETTINGS_KEY: &str = "s4";
const PW_LOCK_KEY: &str = "s4_pw_lock";
const SMS_KEY: &str = "s4_sms";
/// Wrong S4 SMS codes and their lock (`shared::surfaces::s4::wallet`).
const SMS_LOCK_KEY: &str = "s4_sms_lock";
/// The nonces of the sealed fields this user sent within the window
/// (`kassa_shared::crypto::sealed::NonceLedger`).
const SEALED_KEY: &str = "s4_sealed";

impl From<WalletError> for EdgeError {
    fn from(e: WalletError) -> Self {
        match e {
            WalletError::Bad { field, message } => Self::BadRequest {
                param: field,
                message,
            },
            WalletError::Conflict { code, message } => Self::Conflict { code, message },
            WalletError::Locked {
                code,
                message,
                retry_after_ms,
            } => Self::TooManyRequests {
                code,
                message,
                retry_after_ms,
            },
        }
    }
}

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
    if let Err((i, e)) = ledger.check_and_record(&items, now_ms) {
        let fields: Vec<&str> = nonces.iter().map(|x| x.field.as_str()).collect();
        return Err(wallet::sealed_refusal(&fields, i, &e).into());
    }
    storage
        .put(SEALED_KEY, serde_json::to_string(&ledger)?)
        .await?;
    Ok(())
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

/// Carries out a comparison the rules asked for: every answer hashed and compared, so
/// neither timing nor the answer tells which one was wrong.
async fn compare(c: Compare<'_>) -> Result<bool, EdgeError> {
    match c {
        Compare::Passwd { plain, hash } => matches(plain, hash).await,
        Compare::Answers { plain, hashes } => {
            let mut all = plain.len() == hashes.len();
            for (p, h) in plain.iter().zip(hashes) {
                all &= matches(p, h).await?;
            }
            Ok(all)
        }
    }
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

async fn put<T: Serialize>(storage: &Storage, key: &str, value: &T) -> Result<(), EdgeError> {
    storage.put(key, serde_json::to_string(value)?).await?;
    Ok(())
}

fn ok() -> Result<Response, EdgeError> {
    reply(&Done {})
}

/// Compares `guess` under the wallet-secret lock (`wallet::record_guess`). The lock is
/// read and written with storage operations only around the hash, so a burst of
/// guesses is counted, not lost.
async fn check_locked(
    storage: &Storage,
    guess: &Guess<'_>,
    limits: &LockLimits,
    now: u64,
) -> Result<(), EdgeError> {
    let lock: WrongCodeLock = load(storage, PW_LOCK_KEY).await?.unwrap_or_default();
    wallet::secret_lock_gate(&lock, &guess.field, now)?;
    let good = compare(guess.compare).await?;
    let mut lock: WrongCodeLock = load(storage, PW_LOCK_KEY).await?.unwrap_or_default();
    let outcome = wallet::record_guess(&mut lock, guess, good, limits, now);
    put(storage, PW_LOCK_KEY, &lock).await?;
    Ok(outcome?)
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
    fields: ProofFields,
    plain: &[String],
    apply: impl FnOnce(&mut Settings, Vec<Hashed>),
) -> Result<Response, EdgeError> {
    let before = settings(storage).await?;
    if let Some(guess) = wallet::proof_needed(&before, &proven.proof, fields)? {
        check_locked(storage, &guess, &proven.limits, proven.now_ms).await?;
    }
    let mut hashed = Vec::with_capacity(plain.len());
    for p in plain {
        hashed.push(hash_new(p).await?);
    }
    let mut s = settings(storage).await?;
    wallet::unchanged_since(&before, &s)?;
    apply(&mut s, hashed);
    save(storage, &s).await?;
    ok()
}

/// `POST /s4/account`: the SMS code under its own lock, then (once one is set) the pay
/// password under the wallet-secret lock, then the account.
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
    wallet::account_change_needs(&before, passwd.is_some())?;
    let mut lock: WrongCodeLock = load(storage, SMS_LOCK_KEY).await?.unwrap_or_default();
    wallet::sms_lock_gate(&lock, now)?;
    let mut code: StoredCode = load(storage, SMS_KEY)
        .await?
        .ok_or_else(|| EdgeError::bad("smscode", "smscode: no code was sent; request one first"))?;
    let pepper = Secret::from(pepper);
    let send_id = code.send_id;
    // From the loads above to the writes below only storage operations await, so the
    // object's input gate makes check-and-count atomic: a burst of guesses is counted.
    if let Err(e) = code.verify(binding, binding, send_id, &smscode, now, &pepper) {
        let Some(wrong) = wallet::wrong_sms_code(&mut lock, &e, limits, now) else {
            return Err(EdgeError::Internal(format!("smscode: {e}")));
        };
        if wrong.void_code {
            storage.delete(SMS_KEY).await?;
        }
        put(storage, SMS_LOCK_KEY, &lock).await?;
        return Err(wrong.error.into());
    }
    lock.record_success();
    // Single use: spent now, before the slow password hash, whatever follows.
    put(storage, SMS_KEY, &code).await?;
    put(storage, SMS_LOCK_KEY, &lock).await?;
    if let (Some(plain), Some(hash)) = (passwd, &before.passwd) {
        check_locked(storage, &Guess::passwd("passwd", plain, hash), limits, now).await?;
    }
    let mut s = settings(storage).await?;
    wallet::unchanged_since(&before, &s)?;
    s.account = Some(account);
    save(storage, &s).await?;
    ok()
}

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
            let plain = std::slice::from_ref(&passwd);
            replace(storage, &proven, wallet::PASSWD_PROOF, plain, |s, mut h| {
                s.passwd = h.pop();
            })
            .await
        }
        S4Request::SetQuestions { answers, proven } => {
            replace(
                storage,
                &proven,
                wallet::QUESTION_PROOF,
                &answers,
                |s, h| {
                    s.answers = Some(h);
                },
            )
            .await
        }
        S4Request::SmsCode { stored } => {
            // Only the latest code counts: a new send replaces the one before.
            put(storage, SMS_KEY, &stored).await?;
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
            let hash = wallet::withdraw_prerequisites(&s)?;
            check_locked(
                storage,
                &Guess::passwd("passwd", &passwd, hash),
                &limits,
                now_ms,
            )
            .await?;
            let id = crate::objects::random_id()?;
            // Re-read after the slow hash: from here to the write only storage awaits.
            let mut s = settings(storage).await?;
            s.record_withdrawal(format!("wd_{id}"), month, amount, now_ms)?;
            save(storage, &s).await?;
            ok()
        }
        S4Request::Unannounced => {
            let withdrawals = settings(storage).await?.unannounced();
            reply(&Withdrawals { withdrawals })
        }
        S4Request::Announced { id } => {
            let mut s = settings(storage).await?;
            if s.mark_announced(&id) {
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
            put(storage, &format!("cs:{pay_id}"), &status).await?;
            ok()
        }
    }
}
