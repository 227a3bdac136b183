//! The S4 compatibility surface (seed S4, SPEC 3.3, 4.5): the Ping++ app's REST API
//! under `/rest/pay/...`. Success is `{code: 900, ...}` in the seed's shapes; errors are
//! `{code: <HTTP-style status>, msg, error, field}`, and every answer is HTTP 200: the
//! seed carries the outcome in `code` (the decision and why: `error.rs`).
//!
//! **`auth` (Kassa's decision; the seed only says "required"; scopes per issue 14,
//! `auth.rs`).** `/rest/pay/:pay_id` (the pay id is the Kassa order id) takes that
//! order's `client_secret` (SPEC 4.4). The wallet routes — `passwd`, `question`,
//! `checkInfo`, `withdrawInfo`, `withdraw`, `smscode` — take a user token the merchant
//! issued server-side (`POST /v1/users/:id/tokens`, ≤ 24 h, revocable): one order's
//! `client_secret` must not set a user's first pay password, answers or withdrawal
//! account. The user is the token's user, never an id the client states. Unsigned,
//! expired or revoked tokens → 401; a genuine token of the other kind, or another
//! order's `client_secret` → 403 naming the scope.
//!
//! **Encrypted fields (SPEC 4.5).** `passwd`, `old_passwd`, `answer1..3`,
//! `old_answer1..3` and `withdrawInfo`'s `smscode` arrive as
//! base64 RSA-OAEP-SHA256 ciphertexts under the key published at
//! `/.well-known/kassa-key.json`, and are decrypted through WebCrypto
//! (`KASSA_OAEP_PRIVATE_KEY`). The plaintext is the JSON `{"v": value, "ts": unix ms,
//! "n": 16 random bytes, base64url}` (`kassa_shared::crypto::sealed`, issue 14), the value
//! UTF-8 (passwords 6–64 characters, answers 1–128, trimmed). Every sealed field of a
//! request is opened and checked before any is used: a bare string is 400 "malformed
//! sealed value", a `ts` more than 5 min from the edge's clock 400 "stale", a nonce the
//! user already sent within the window 400 "replayed" (each naming the field), and
//! nothing is changed or counted toward a lock. The nonces are checked and recorded in
//! one `UserObject` request (`POST /s4/sealed`), so two concurrent replays cannot both
//! pass; a ledger full of live nonces (256 in 5 min) is 429 `sealed_busy`. The `UserObject` keeps only PBKDF2 hashes
//! (`objects/user_object/s4_wallet.rs`), and decides where the security answers are
//! checked: once a pay password or answers are set, replacing either proves one of them
//! (`passwd` takes `old_passwd` or `answer1..3`; `question` takes `passwd` or
//! `old_answer1..3`), wrong answers counting toward the pay-password lock.
//!
//! **Withdrawals.** At most one per calendar month in `KASSA_S4_TIME_ZONE` (default
//! Asia/Shanghai; fixed-offset zones only, see `shared::civil_time`), and only with a
//! pay password, the security questions and a withdrawal account set; the pay password
//! is checked (5 wrong → locked 15 min). `amount` is a string of fen (seed; a JSON
//! number is refused, so no amount passes through a float), at most
//! `KASSA_S4_WITHDRAW_MAX_FEN` (default 5 000 000 fen, ¥50 000: a stolen wallet session
//! cannot ask for more in one request); the webhook carries it as a string too. A withdrawal is recorded as `requested` in the user's log and announced
//! to the merchant, who pays it out, as a signed `withdrawal.requested` webhook through
//! the outbox of the user's newest order (a user token names no order; that order's
//! notify URL is the merchant's latest word on where to reach it;
//! `objects/user_object/s4_wallet.rs`).
//!
//! **SMS code (Kassa's extension; S4 has no send route).** `POST /rest/pay/smscode`
//! sends a 6-digit code to the mobile of the user's newest order, throttled like every
//! code send (SPEC 5), delivered like every code through that order (dev outbox in
//! development, signed merchant webhook otherwise) and stored only as a MAC in the
//! user's object; it is bound to the user alone, so it cannot serve as a `pay` code.
//! `POST /rest/pay/withdrawInfo` needs the latest one (5 min, single use), sealed, and
//! once a pay password is set also `passwd` (sealed; issue 14 item 1). Wrong codes are
//! counted per user: after 5 (the risk configuration's code-lock limits) the code is
//! void and account changes are locked for 15 min, 429 `smscode_locked` with
//! `Retry-After`; wrong passwords count toward the pay-password lock.

use serde_json::{json, Map, Value};
use worker::{Date, Env, Request, Response, Result, RouteContext};

use kassa_shared::crypto::client_secret::Claims;
use kassa_shared::crypto::sealed::{self, SealedError};
use kassa_shared::crypto::user_token::UserClaims;
use kassa_shared::crypto::Secret;
use kassa_shared::envelope::ErrorCode;
use kassa_shared::id::Id;
use kassa_shared::second_factor::{self, LockLimits};
use kassa_shared::surfaces::s4::pay_view;
use kassa_shared::surfaces::s4::status::{ClientReport, ClientStatus, Status};
use kassa_shared::surfaces::s4::wallet::{self, WithdrawalRequested};
use kassa_shared::surfaces::s4::wire;

use crate::auth::{self, Field};
use crate::config;
use crate::error::{respond_s4, EdgeError};
use crate::input;
use crate::objects::order_object::OrderClient;
use crate::objects::user_object::{Account, Proof, Proven, S4Request, SealedNonce, UserClient};
use crate::resources::StoredOrder;

type Ctx = RouteContext<()>;

const DEFAULT_ZONE: &str = "Asia/Shanghai";
/// The default ceiling of one withdrawal, in fen (¥50 000); `KASSA_S4_WITHDRAW_MAX_FEN`
/// sets another.
const DEFAULT_WITHDRAW_MAX_FEN: u64 = 5_000_000;

fn now_ms() -> u64 {
    Date::now().as_millis()
}

/// The `auth` header, trimmed; 401 when absent or blank.
fn auth_header(req: &Request) -> Result<String, EdgeError> {
    req.headers()
        .get("auth")
        .ok()
        .flatten()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or(EdgeError::Unauthorized)
}

/// The `auth` header's `client_secret`, verified (the pay-record routes).
fn claims(req: &Request, env: &Env) -> Result<Claims, EdgeError> {
    auth::order_credential(&auth_header(req)?, env, Field::Auth)
}

/// The `auth` header's user token, verified and not revoked (the wallet routes).
async fn user(req: &Request, env: &Env) -> Result<UserClaims, EdgeError> {
    auth::user_credential(&auth_header(req)?, env, Field::Auth).await
}

/// `pay_id` from the path; the token must be that order's.
fn pay_id(ctx: &Ctx, claims: &Claims) -> Result<Id, EdgeError> {
    let raw = ctx.param("pay_id").map_or("", String::as_str);
    // `GET /rest/pay/withdraw` reaches this route by its shape; it is a wrong method on
    // a POST-only path, not a bad pay id.
    if ["withdraw", "passwd", "question", "smscode"].contains(&raw) {
        return Err(EdgeError::MethodNotAllowed);
    }
    let id = Id::parse("pay_id", raw).map_err(|e| EdgeError::bad("pay_id", e.to_string()))?;
    if id != claims.order_id {
        return Err(EdgeError::Forbidden("auth: issued for another pay_id"));
    }
    Ok(id)
}

/// The token's user's `UserObject`.
fn to_user(env: &Env, user_id: &str) -> Result<UserClient, EdgeError> {
    UserClient::new(env, user_id)
}

/// The user's newest order: what a user token's S4 requests deliver codes and announce
/// withdrawals through (module docs). 409 `no_order` when the user has none.
async fn newest_order(env: &Env, user_id: &str) -> Result<StoredOrder, EdgeError> {
    let newest = crate::objects::user_object::OrderFilter {
        limit: 1,
        ..Default::default()
    };
    let ids = to_user(env, user_id)?.list_orders(env, newest).await?;
    let id = ids.first().copied().ok_or_else(|| EdgeError::Conflict {
        code: ErrorCode::NoOrder,
        message: "auth: the user has no order to deliver through".into(),
    })?;
    load_order(env, id).await
}

async fn load_order(env: &Env, id: Id) -> Result<StoredOrder, EdgeError> {
    OrderClient::new(env, id)?.get().await
}

async fn client_status(env: &Env, user: &str, id: Id) -> Result<ClientStatus, EdgeError> {
    to_user(env, user)?.s4_client_status(id).await
}

/// A success answer: one of `shared`'s S4 wire types (never a parallel shape here).
fn ok(body: &impl serde::Serialize) -> Result<Response, EdgeError> {
    Ok(Response::from_json(body)?)
}

/// `{"code": 900}`.
fn ack() -> Result<Response, EdgeError> {
    ok(&wire::Ack::ok_empty())
}

/// The sealed fields of one request, opened: each fresh, its nonce recorded in the
/// user's ledger (module docs).
struct Opened(Vec<(&'static str, String)>);

/// Opens every sealed field of `fields` present in `map` and checks them all — the
/// format, the `ts` against the clock, then every nonce against the user's ledger in
/// one object request — before any value is used.
async fn open_sealed(
    env: &Env,
    map: &Map<String, Value>,
    fields: &[&'static str],
    user_id: &str,
) -> Result<Opened, EdgeError> {
    let present: Vec<&'static str> = fields
        .iter()
        .copied()
        .filter(|f| !matches!(map.get(*f), None | Some(Value::Null)))
        .collect();
    if present.is_empty() {
        return Ok(Opened(Vec::new()));
    }
    let key = config::oaep_private_key(env).await?;
    let now = now_ms();
    let mut opened = Vec::with_capacity(present.len());
    let mut nonces = Vec::with_capacity(present.len());
    for field in present {
        let b64 = input::string(map, field, field, 2048)?;
        let plain = key.decrypt_base64(&b64).await.map_err(|_| {
            EdgeError::bad(
                field,
                format!("{field}: cannot be decrypted (base64 RSA-OAEP-SHA256 under /.well-known/kassa-key.json expected)"),
            )
        })?;
        let refused = |e: SealedError| EdgeError::bad(field, format!("{field}: {e}"));
        let s = sealed::parse(&plain).map_err(refused)?;
        sealed::check_fresh(s.ts_ms, now).map_err(refused)?;
        nonces.push(SealedNonce {
            field: field.to_owned(),
            n: s.nonce,
            ts: s.ts_ms,
        });
        opened.push((field, s.value));
    }
    to_user(env, user_id)?.s4_sealed(nonces, now).await?;
    Ok(Opened(opened))
}

/// One opened field as text of `min..=max` characters (trimmed); a missing one is the
/// usual "required" error.
fn decrypt(
    opened: &Opened,
    map: &Map<String, Value>,
    field: &str,
    min: usize,
    max: usize,
) -> Result<String, EdgeError> {
    let Some((_, text)) = opened.0.iter().find(|(f, _)| *f == field) else {
        input::string(map, field, field, 2048)?;
        return Err(EdgeError::Internal(format!("{field}: not opened")));
    };
    let text = text.trim().to_owned();
    let n = text.chars().count();
    if n < min || n > max {
        return Err(EdgeError::bad(
            field,
            format!("{field}: must be {min} to {max} characters once decrypted"),
        ));
    }
    Ok(text)
}

fn limits(env: &Env) -> Result<LockLimits, EdgeError> {
    Ok(config::risk(env)?.lock_limits())
}

/// `GET /rest/pay/:pay_id` — the pay record (seed §1).
pub async fn get_pay(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond_s4(get_pay_inner(&mut req, &ctx).await)
}

async fn get_pay_inner(req: &mut Request, ctx: &Ctx) -> Result<Response, EdgeError> {
    let c = claims(req, &ctx.env)?;
    let id = pay_id(ctx, &c)?;
    let s = load_order(&ctx.env, id).await?;
    let cs = client_status(&ctx.env, &c.user_id, id).await?;
    // The charge Ping++ answered (seed S4 embeds it whole, for the client SDK).
    let charge = OrderClient::new(&ctx.env, id)?.charge().await?;
    ok(&wire::PayInfoResponse::ok(pay_view::pay_info(
        &s, charge, cs,
    )))
}

/// `GET /rest/pay/:pay_id/status` — the real status and what the client reported.
pub async fn get_status(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond_s4(get_status_inner(&mut req, &ctx).await)
}

async fn get_status_inner(req: &mut Request, ctx: &Ctx) -> Result<Response, EdgeError> {
    let c = claims(req, &ctx.env)?;
    let id = pay_id(ctx, &c)?;
    let s = load_order(&ctx.env, id).await?;
    let cs = client_status(&ctx.env, &c.user_id, id).await?;
    let shown = kassa_shared::flows::attempts::shown_status(&s.order);
    ok(&wire::StatusResponse {
        code: wire::CODE_OK,
        status: Status::from_canonical(shown),
        client_status: cs,
        msg: None,
    })
}

/// `POST /rest/pay/:pay_id/status {status}` — stores what the client reports; the real
/// status never moves because of it (SPEC 2).
pub async fn post_status(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond_s4(post_status_inner(&mut req, &ctx).await)
}

async fn post_status_inner(req: &mut Request, ctx: &Ctx) -> Result<Response, EdgeError> {
    let c = claims(req, &ctx.env)?;
    let id = pay_id(ctx, &c)?;
    let map = input::json_object(req, &["status"]).await?;
    let raw = input::string(&map, "status", "status", 16)?;
    let report: ClientReport = serde_json::from_value(json!(raw)).map_err(|_| {
        EdgeError::bad("status", "status: must be success, fail, cancel or invalid")
    })?;
    // The order must exist before anything is recorded for it.
    load_order(&ctx.env, id).await?;
    let status = ClientStatus::from(report);
    to_user(&ctx.env, &c.user_id)?
        .s4_do(S4Request::SetClientStatus { pay_id: id, status })
        .await?;
    ack()
}

/// The three answers `{prefix}1..{prefix}3`, decrypted; `None` when none of them came.
/// One or two of them is an error naming the first missing.
fn answers(
    opened: &Opened,
    map: &Map<String, Value>,
    prefix: &str,
) -> Result<Option<Vec<String>>, EdgeError> {
    let fields = [1, 2, 3].map(|n| format!("{prefix}{n}"));
    if fields
        .iter()
        .all(|f| matches!(map.get(f), None | Some(Value::Null)))
    {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(3);
    for f in &fields {
        out.push(decrypt(opened, map, f, 1, 128)?);
    }
    Ok(Some(out))
}

/// An optional encrypted field: absent or `null` is `None`.
fn optional(
    opened: &Opened,
    map: &Map<String, Value>,
    field: &str,
) -> Result<Option<String>, EdgeError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => Ok(Some(decrypt(opened, map, field, 1, 64)?)),
    }
}

/// `POST /rest/pay/passwd {passwd, old_passwd? | answer1..3?}` — sets the pay password,
/// or changes it proving the old one or the security answers (`s4_wallet.rs`).
pub async fn passwd(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond_s4(passwd_inner(&mut req, &ctx).await)
}

/// What a request offers to prove it may replace a wallet secret: the opened
/// `passwd_field`, or the three opened answers `<answers_prefix>1..3` (`s4_wallet.rs`).
fn proven(
    env: &Env,
    opened: &Opened,
    map: &Map<String, Value>,
    passwd_field: &str,
    answers_prefix: &str,
) -> Result<Proven, EdgeError> {
    Ok(Proven {
        proof: Proof {
            passwd: optional(opened, map, passwd_field)?,
            answers: answers(opened, map, answers_prefix)?,
        },
        now_ms: now_ms(),
        limits: limits(env)?,
    })
}

async fn passwd_inner(req: &mut Request, ctx: &Ctx) -> Result<Response, EdgeError> {
    let c = user(req, &ctx.env).await?;
    let fields = ["passwd", "old_passwd", "answer1", "answer2", "answer3"];
    let map = input::json_object(req, &fields).await?;
    let opened = open_sealed(&ctx.env, &map, &fields, &c.user_id).await?;
    let new = decrypt(&opened, &map, "passwd", 6, 64)?;
    let proven = proven(&ctx.env, &opened, &map, "old_passwd", "answer")?;
    to_user(&ctx.env, &c.user_id)?
        .s4_do(S4Request::SetPasswd {
            passwd: new,
            proven,
        })
        .await?;
    ack()
}

/// `POST /rest/pay/question {answer1, answer2, answer3, passwd? | old_answer1..3?}` —
/// sets the security answers; replacing them, or setting them once a pay password
/// exists, proves the pay password or the current answers (`s4_wallet.rs`).
pub async fn question(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond_s4(question_inner(&mut req, &ctx).await)
}

async fn question_inner(req: &mut Request, ctx: &Ctx) -> Result<Response, EdgeError> {
    let c = user(req, &ctx.env).await?;
    let fields = [
        "answer1",
        "answer2",
        "answer3",
        "passwd",
        "old_answer1",
        "old_answer2",
        "old_answer3",
    ];
    let map = input::json_object(req, &fields).await?;
    let opened = open_sealed(&ctx.env, &map, &fields, &c.user_id).await?;
    let new = answers(&opened, &map, "answer")?
        .ok_or_else(|| EdgeError::bad("answer1", "answer1: required"))?;
    let proven = proven(&ctx.env, &opened, &map, "passwd", "old_answer")?;
    to_user(&ctx.env, &c.user_id)?
        .s4_do(S4Request::SetQuestions {
            answers: new,
            proven,
        })
        .await?;
    ack()
}

/// The id S4 SMS codes are bound to (`wallet::sms_binding`).
fn sms_binding(user_id: &str) -> Result<Id, EdgeError> {
    wallet::sms_binding(user_id).map_err(|e| EdgeError::Internal(e.to_string()))
}

/// `POST /rest/pay/smscode` — Kassa's extension (module docs).
pub async fn smscode(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond_s4(smscode_inner(&mut req, &ctx).await)
}

async fn smscode_inner(req: &mut Request, ctx: &Ctx) -> Result<Response, EdgeError> {
    let c = user(req, &ctx.env).await?;
    let order = newest_order(&ctx.env, &c.user_id).await?;
    let order_id = order.order.id();
    let Some(mobile) = order.meta.user.mobile.clone() else {
        return Err(EdgeError::Conflict {
            code: ErrorCode::NoCodeChannel,
            message: "auth: the user has no mobile to send a code to".into(),
        });
    };
    let now = now_ms();
    let user = to_user(&ctx.env, &c.user_id)?;
    let config = config::risk(&ctx.env)?;
    user.record_send(now, config.send_limits()).await?;
    let mut random = [0u8; 32];
    getrandom::getrandom(&mut random)
        .map_err(|e| EdgeError::Internal(format!("getrandom: {e}")))?;
    let send_id = crate::objects::random_id()?;
    let binding = sms_binding(&c.user_id)?;
    let pepper = config::code_pepper(&ctx.env)?;
    let (plain, code) = second_factor::issue(
        &random,
        binding,
        binding,
        send_id,
        now,
        &Secret::from(pepper.as_str()),
    )
    .map_err(|e| EdgeError::Internal(format!("code issue: {e}")))?;
    user.s4_do(S4Request::SmsCode {
        stored: code.clone(),
    })
    .await?;
    // Delivered through the order's notifier, like every code (SPEC 6).
    let message = json!({
        "purpose": "s4_withdraw_info",
        "order_id": order_id.to_string(),
        "send_id": send_id.to_string(),
        "auth_type": "MOBILE",
        "to": mobile,
        "code": plain.expose(),
        "at_ms": now,
        "expires_at_ms": code.expires_at_ms,
    });
    OrderClient::new(&ctx.env, order_id)?
        .code(code, Some(message))
        .await?;
    ack()
}

/// `GET /rest/pay/withdrawInfo` — the withdrawal account (empty strings when unset, as
/// in the seed's example).
pub async fn get_withdraw_info(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond_s4(get_withdraw_info_inner(&mut req, &ctx).await)
}

async fn get_withdraw_info_inner(req: &mut Request, ctx: &Ctx) -> Result<Response, EdgeError> {
    let c = user(req, &ctx.env).await?;
    // Only `alipay` is ever stored (`type` is checked on the way in).
    let info = match to_user(&ctx.env, &c.user_id)?.s4_account().await? {
        None => wire::WithdrawInfo {
            kind: wire::AccountType::Alipay,
            id: String::new(),
            name: String::new(),
        },
        Some(a) => wire::WithdrawInfo {
            kind: wire::AccountType::Alipay,
            id: a.id,
            name: a.name,
        },
    };
    ok(&wire::WithdrawInfoResponse::ok(info))
}

/// `POST /rest/pay/withdrawInfo {smscode, type, id, name, passwd?}` — `smscode` and
/// `passwd` sealed; `passwd` required once a pay password is set (module docs).
pub async fn post_withdraw_info(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond_s4(post_withdraw_info_inner(&mut req, &ctx).await)
}

async fn post_withdraw_info_inner(req: &mut Request, ctx: &Ctx) -> Result<Response, EdgeError> {
    let c = user(req, &ctx.env).await?;
    let map = input::json_object(req, &["smscode", "type", "id", "name", "passwd"]).await?;
    let opened = open_sealed(&ctx.env, &map, &["smscode", "passwd"], &c.user_id).await?;
    // Any length once opened: a malformed code is a guess too, counted by the object.
    let smscode = decrypt(&opened, &map, "smscode", 1, 16)?;
    let passwd = optional(&opened, &map, "passwd")?;
    let kind = input::string(&map, "type", "type", 16)?;
    if kind != "alipay" {
        return Err(EdgeError::bad("type", "type: only alipay is supported"));
    }
    let id = input::string(&map, "id", "id", 128)?;
    let name = input::string(&map, "name", "name", 128)?;
    let change = S4Request::ChangeAccount {
        smscode,
        passwd,
        binding: sms_binding(&c.user_id)?,
        pepper: config::code_pepper(&ctx.env)?,
        account: Account { kind, id, name },
        now_ms: now_ms(),
        limits: limits(&ctx.env)?,
    };
    to_user(&ctx.env, &c.user_id)?.s4_do(change).await?;
    ack()
}

/// `GET /rest/pay/checkInfo`.
pub async fn check_info(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond_s4(check_info_inner(&mut req, &ctx).await)
}

async fn check_info_inner(req: &mut Request, ctx: &Ctx) -> Result<Response, EdgeError> {
    let c = user(req, &ctx.env).await?;
    let check = to_user(&ctx.env, &c.user_id)?.s4_check().await?;
    ok(&wire::CheckInfoResponse {
        code: wire::CODE_OK,
        passwd: check.passwd,
        questions: check.questions,
        withdraw: check.withdraw,
        msg: None,
    })
}

/// `POST /rest/pay/withdraw {passwd, amount}`.
pub async fn withdraw(mut req: Request, ctx: Ctx) -> Result<Response> {
    respond_s4(withdraw_inner(&mut req, &ctx).await)
}

async fn withdraw_inner(req: &mut Request, ctx: &Ctx) -> Result<Response, EdgeError> {
    let c = user(req, &ctx.env).await?;
    let map = input::json_object(req, &["passwd", "amount"]).await?;
    let max = config::s4_withdraw_max_fen(&ctx.env, DEFAULT_WITHDRAW_MAX_FEN);
    let amount = wallet::withdraw_amount(map.get("amount"), max)?;
    let zone = config::s4_time_zone(&ctx.env, DEFAULT_ZONE)?;
    let opened = open_sealed(&ctx.env, &map, &["passwd"], &c.user_id).await?;
    let passwd = decrypt(&opened, &map, "passwd", 1, 64)?;
    let now = now_ms();
    let request = S4Request::Withdraw {
        passwd,
        amount,
        month: zone.civil(now).month_key(),
        now_ms: now,
        limits: limits(&ctx.env)?,
    };
    let recorded = to_user(&ctx.env, &c.user_id)?.s4_do(request).await;
    announce_withdrawals(&ctx.env, &c).await?;
    recorded?;
    ack()
}

/// Queues `withdrawal.requested` for each of the user's withdrawals not yet announced —
/// this request's, or an earlier one whose queueing failed — through the outbox of the
/// user's newest order, then marks it announced (`s4_wallet.rs` docs).
async fn announce_withdrawals(env: &Env, c: &UserClaims) -> Result<(), EdgeError> {
    let user = to_user(env, &c.user_id)?;
    let pending = user.s4_unannounced().await?;
    if pending.is_empty() {
        return Ok(());
    }
    let order_id = newest_order(env, &c.user_id).await?.order.id();
    let order = OrderClient::new(env, order_id)?;
    for w in pending {
        let data = WithdrawalRequested::new(&w, &c.user_id, order_id);
        let data = serde_json::to_value(data)?;
        order
            .notify(format!("evt_{}", w.id), "withdrawal.requested", data)
            .await?;
        user.s4_do(S4Request::Announced { id: w.id }).await?;
    }
    Ok(())
}
