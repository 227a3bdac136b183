//! `pay` / `quick_pay` inside the order's object: idempotency, lock, code, risk, S0, channel.

use kassa_shared::callback::ProviderRef;
use kassa_shared::envelope::ErrorCode;
use kassa_shared::flows::pay::{CodeCheck, Outcome, PayFlow, PayRequest, Refusal, S0Answer, Step};
use kassa_shared::risk::{self, RiskInput};
use kassa_shared::second_factor::WrongCodeLock;
use kassa_shared::surfaces::handoff::Handoff;
use kassa_shared::surfaces::s2::wire::QuickPayResponse;

use super::*;
use crate::objects::ip_object::IpWindow;
use crate::objects::user_object::{GaVerdict, RiskProfile, UserClient};

const WRONG_CODES_KEY: &str = "wrong_codes";
const PAY_LOCK_KEY: &str = "pay_lock";
/// A `pay_lock` older than this is from a run that died (isolate evicted mid-call); the
/// outbound calls it guards time out far sooner (S0 2 s, providers 10 s by default).
const PAY_LOCK_STALE_MS: u64 = 60_000;

/// What the Worker hands the order's object for `pay` (the `client_secret` is checked).
#[derive(Debug, Serialize, Deserialize)]
pub struct PayIn {
    pub key: Option<String>,
    /// Hex MAC of the request body: same key + another body is a 409.
    pub fingerprint: String,
    pub user_id: String,
    pub user_binding: kassa_shared::id::Id,
    pub send_id: Option<kassa_shared::id::Id>,
    pub code: String,
    pub device_id: Option<String>,
    pub english: bool,
    /// `quick_pay`: the code is optional and, when risk wants one, the answer is
    /// `{processIsEnd: false, need2FA: true}` with nothing attempted.
    #[serde(default)]
    pub quick: bool,
    /// The shopper's IP (`CF-Connecting-IP`), which Ping++ wants on a charge.
    #[serde(default)]
    pub client_ip: Option<String>,
    /// The merchant page the shopper comes back to from the provider (the widget's
    /// `returnUrl`, already checked against `KASSA_ALLOWED_ORIGINS` by the route).
    #[serde(default)]
    pub return_url: Option<String>,
}

/// One `Idempotency-Key`'s record: the body's fingerprint and, once done, the answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct PayRecord {
    pub fingerprint: String,
    pub done: bool,
    pub status: u16,
    pub body: Value,
}

impl OrderObject {
    /// `pay` (SPEC 3.1, 5, 6): idempotency and the one-attempt-at-a-time lock are taken
    /// with storage operations only between check and write, so the Durable Object's
    /// input gate makes them atomic: concurrent duplicates see the first one's record.
    /// Then code → risk (audited) → S0 `prePayCheck` (fail closed) → `AttemptStarted` →
    /// the channel → `AttemptProcessing` / `AttemptFailed`. The answer (success or error)
    /// is stored under the key and replayed for a retry with the same body.
    pub(super) async fn pay(&self, p: PayIn) -> Result<Response, EdgeError> {
        let storage = self.state.storage();
        let idem = p.key.as_deref().map(super::idempotency::record_key);
        // Keys expire and are bounded per order (`idempotency.rs`).
        let started = now_ms();
        if let Some(key) = &p.key {
            if let Some(rec) = self.idem_lookup(key, started).await? {
                if !kassa_shared::crypto::ct::eq(
                    rec.fingerprint.as_bytes(),
                    p.fingerprint.as_bytes(),
                ) {
                    return Err(EdgeError::Conflict {
                        code: ErrorCode::IdempotencyKeyReused,
                        message: "Idempotency-Key: already used with a different request body"
                            .into(),
                    });
                }
                if rec.done {
                    return Ok(Response::from_json(&rec.body)?.with_status(rec.status));
                }
                return Err(EdgeError::Conflict {
                    code: ErrorCode::IdempotencyInProgress,
                    message: "Idempotency-Key: the first request with this key is still running"
                        .into(),
                });
            }
        }
        let busy = EdgeError::Conflict {
            code: ErrorCode::PaymentInProgress,
            message: "order_id: a payment attempt for this order is already running".into(),
        };
        self.take_lock(PAY_LOCK_KEY, PAY_LOCK_STALE_MS, busy)
            .await?;
        if let (Some(key), Some(k)) = (&p.key, &idem) {
            self.idem_admit(key, started).await?;
            let rec = PayRecord {
                fingerprint: p.fingerprint.clone(),
                done: false,
                status: 0,
                body: Value::Null,
            };
            storage.put(k, serde_json::to_string(&rec)?).await?;
        }
        let (status, body) = match self.pay_inner(&p).await {
            Ok(body) => (200, body),
            Err(e) => e.into_body(),
        };
        // The lock goes first, so a failing write below cannot leave the order blocked
        // for a minute.
        storage.delete(PAY_LOCK_KEY).await?;
        if let Some(k) = &idem {
            if status >= 500 {
                // An internal failure is not the request's answer: a retry with the same
                // key runs again rather than replaying the 5xx. It cannot pay twice: once
                // `AttemptStarted` is stored the order is Processing and the re-run stops
                // at "not payable".
                storage.delete(k).await?;
            } else {
                let rec = PayRecord {
                    fingerprint: p.fingerprint.clone(),
                    done: true,
                    status,
                    body: body.clone(),
                };
                storage.put(k, serde_json::to_string(&rec)?).await?;
            }
        }
        Ok(Response::from_json(&body)?.with_status(status))
    }

    /// Takes the lock `key` (its value: the unix ms it was taken) unless a live one,
    /// younger than `stale_ms`, is held — then `busy`. Only storage operations lie
    /// between check and write, so the object's input gate makes it atomic.
    pub(super) async fn take_lock(
        &self,
        key: &str,
        stale_ms: u64,
        busy: EdgeError,
    ) -> Result<(), EdgeError> {
        let now = now_ms();
        if let Some(started) = self.load::<u64>(key).await? {
            if now.saturating_sub(started) < stale_ms {
                return Err(busy);
            }
        }
        self.state.storage().put(key, now.to_string()).await?;
        Ok(())
    }

    /// Drives the pay gates (`kassa_shared::flows::pay`): the flow decides what comes
    /// next, what is audited and what the shopper is told; this carries each step out.
    async fn pay_inner(&self, p: &PayIn) -> Result<Value, EdgeError> {
        let mut stored = self.require_order().await?;
        // An attempt still open (the shopper left the provider's page, a declined
        // charge): its provider is asked first, so a new pay can go ahead or learns it
        // was paid after all (`attempts.rs`).
        if stored.order.is_open()
            && !kassa_shared::flows::attempts::open_attempts(&stored.order).is_empty()
        {
            stored = self.settle_open_attempts(stored, None).await?;
        }
        let id = stored.order.id();
        let now = now_ms();
        let config = crate::config::risk(&self.env)?;
        let limits = config.lock_limits();
        let lock: WrongCodeLock = self.load(WRONG_CODES_KEY).await?.unwrap_or_default();
        let req = PayRequest {
            quick: p.quick,
            code_given: !p.code.is_empty(),
            send_id: p.send_id,
            device_known: p.device_id.is_some(),
        };
        let mut flow = PayFlow::start(&stored.order, now, req, lock, limits);
        let user = UserClient::new(&self.env, &p.user_id)?;
        let mut ip: Option<IpWindow> = None;
        let mut channels = None;
        let mut device_token = None;
        loop {
            let step = flow.poll();
            for a in flow.take_audits() {
                self.audit(&a.reason, &a.detail).await?;
            }
            let outcome = match step {
                Step::VerifySentCode(send_id) => {
                    Outcome::Code(self.check_sent_code(id, p, send_id, now).await?)
                }
                Step::VerifyGa => {
                    let verdict = user.verify_ga(p.code.clone(), now, limits).await?;
                    Outcome::Code(ga_check(&verdict))
                }
                Step::SaveLock => {
                    self.state
                        .storage()
                        .put(WRONG_CODES_KEY, serde_json::to_string(flow.lock())?)
                        .await?;
                    Outcome::LockSaved
                }
                Step::Evaluate => {
                    // The user's trust flag and known devices come from their
                    // `UserObject`; the per-IP window is the address Cloudflare reports.
                    let profile = RiskProfile::load(&self.env, &p.user_id).await?;
                    let window = IpWindow::load(
                        &self.env,
                        p.client_ip.as_deref(),
                        config.enabled(risk::ReasonCode::VelocityIp),
                    )
                    .await?;
                    let amount = risk::Amount::from(stored.order.amount());
                    let decision = risk::evaluate(
                        &RiskInput {
                            order_amount: &amount,
                            requested_amount: &amount,
                            order_expires_at_ms: stored.order.expires_at_ms(),
                            user_velocity: &profile.velocity,
                            ip_velocity: &window.velocity,
                            wrong_codes: flow.lock(),
                            device_id: p.device_id.as_deref(),
                            known_devices: &profile.devices,
                            user_trusted: profile.trusted,
                            last_failed_attempt_ms: None,
                        },
                        &config,
                        now,
                    );
                    ip = Some(window);
                    Outcome::Evaluated(decision)
                }
                Step::RememberDevice { issue_token } => {
                    device_token = self.remember_device(&user, p, issue_token).await?;
                    Outcome::DeviceRemembered
                }
                Step::AskS0 => {
                    let loaded = crate::config::channels(&self.env)?;
                    let fail_open = crate::config::s0_fail_open(&self.env);
                    let answer = ask_s0(&loaded, fail_open, id, &stored).await;
                    channels = Some(loaded);
                    Outcome::S0(answer)
                }
                Step::RecordIpAttempt => Outcome::Recorded(match &ip {
                    Some(w) => w.record(now, config.velocity_ip_10m).await?,
                    None => true,
                }),
                Step::RecordUserAttempt => {
                    let limit = config
                        .enabled(risk::ReasonCode::VelocityUser)
                        .then_some(config.velocity_user_10m);
                    Outcome::Recorded(user.record_attempt(now, limit).await?)
                }
                Step::Charge => break,
                // S2: `need2FA: true` sends the widget to the code step; nothing was tried.
                Step::Need2fa => {
                    return Ok(serde_json::to_value(QuickPayResponse {
                        process_is_end: false,
                        need_2fa: true,
                    })?)
                }
                Step::Refuse(r) => return Err(refusal(r)),
            };
            flow.handle(outcome);
        }
        let channels =
            channels.ok_or_else(|| EdgeError::Internal("pay flow: charge before S0".into()))?;

        let locale = if p.english {
            kassa_shared::surfaces::s2::status::Locale::EnUs
        } else {
            kassa_shared::surfaces::s2::status::Locale::ZhCn
        };
        // Everything that can fail for configuration reasons (keys, URLs) fails here,
        // before an attempt is recorded. The provider is given the attempt's own
        // reference (`callback::reference`), so its callbacks name this attempt.
        let attempt = crate::objects::random_id()?;
        let reference = ProviderRef::new(id, attempt);
        let prepared = self
            .prepare_channel(&stored, p, &channels, reference)
            .await?;
        let stored = self
            .apply(
                stored,
                Event::new(
                    format!("attempt_started_{attempt}"),
                    EventKind::AttemptStarted { attempt },
                ),
            )
            .await?;
        if let Some(url) = back_url(&stored, p) {
            self.record_return_url(attempt, url).await?;
        }
        let (stored, extra) = match prepared {
            // Paytm (S1): no request leaves the edge; the widget posts the signed form to
            // Paytm's process page (SPEC 3.3) and the callback moves the attempt on.
            Prepared::Paytm(handoff) => (stored, Some(handoff)),
            call => {
                let answer = self.call_channel(call, attempt).await?;
                let extra = answer.as_ref().ok().cloned().flatten();
                let stored = self
                    .record_charge_answer(stored, attempt, answer.map(|_| ()))
                    .await?;
                (stored, extra)
            }
        };
        let mut v = if p.quick {
            // 支付是否完成: only a succeeded order is finished; processing is not.
            serde_json::to_value(QuickPayResponse {
                process_is_end: stored.order.status() == OrderStatus::Succeeded,
                need_2fa: false,
            })?
        } else {
            serde_json::to_value(crate::resources::s2_order(&stored, locale))?
        };
        if let Some(handoff) = extra {
            v["handoff"] = serde_json::to_value(handoff)?;
        }
        if let Some(token) = device_token {
            v["deviceToken"] = json!(token);
        }
        Ok(v)
    }

    /// Checks `p.code` against the order's code send `send_id` (stored as MACs only).
    async fn check_sent_code(
        &self,
        id: kassa_shared::id::Id,
        p: &PayIn,
        send_id: kassa_shared::id::Id,
        now: u64,
    ) -> Result<CodeCheck, EdgeError> {
        let mut codes: Vec<StoredCode> = self.load(CODES_KEY).await?.unwrap_or_default();
        let pepper = crate::config::code_pepper(&self.env)?;
        let pepper = kassa_shared::crypto::Secret::from(pepper.as_str());
        let wrong = |message| CodeCheck::Wrong {
            message,
            ga_left: None,
        };
        let Some(c) = codes.iter_mut().find(|c| c.send_id == send_id) else {
            return Ok(wrong(
                "verify_code_order_id: no such code send for this order",
            ));
        };
        match c.verify(id, p.user_binding, send_id, &p.code, now, &pepper) {
            Ok(()) => {
                self.state
                    .storage()
                    .put(CODES_KEY, serde_json::to_string(&codes)?)
                    .await?;
                Ok(CodeCheck::Ok)
            }
            Err(e) if e.counts_as_wrong_code() => Ok(wrong("verify_code: wrong code")),
            Err(e) => Ok(CodeCheck::Invalid(format!("verify_code: {e}"))),
        }
    }

    /// A device that passed a code is no longer new (best effort: failing to record it
    /// only means the next `quick_pay` asks for a code). `device_id` is already verified
    /// (an edge-signed token, `auth::verified_device`); a browser without one gets a new
    /// device, and its token (returned) to keep.
    async fn remember_device(
        &self,
        user: &UserClient,
        p: &PayIn,
        issue_token: bool,
    ) -> Result<Option<String>, EdgeError> {
        use kassa_shared::crypto::device_token;
        let mut token = None;
        let device = match (&p.device_id, issue_token) {
            (Some(d), false) => Some(d.clone()),
            _ => {
                let mut random = [0u8; device_token::DEVICE_ID_BYTES];
                getrandom::getrandom(&mut random)
                    .map_err(|e| EdgeError::Internal(format!("getrandom: {e}")))?;
                let key = crate::config::device_key(&self.env)?;
                let issued = device_token::issue(&key, &p.user_id, &random);
                let id = device_token::verify(&key, &p.user_id, &issued);
                token = Some(issued);
                id
            }
        };
        if let Some(device) = device {
            let _ = user.add_device(device).await;
        }
        Ok(token)
    }

    /// The order's channel, configured and with its request built for the attempt whose
    /// reference is `reference`. Refuses a channel/amount pair no provider takes.
    async fn prepare_channel<'c>(
        &self,
        stored: &StoredOrder,
        p: &PayIn,
        channels: &'c crate::channels::ChannelConfig,
        reference: ProviderRef,
    ) -> Result<Prepared<'c>, EdgeError> {
        use crate::config::channel_refused;
        use kassa_shared::order::OrderAmount;
        use kassa_shared::providers::Provider;
        use kassa_shared::providers::{lianshang, paytm, pingpp};

        let id = stored.order.id();
        match (stored.meta.channel, stored.order.amount()) {
            (Provider::Paytm, OrderAmount::Fiat(money)) => {
                let cfg = channels.paytm().map_err(|e| channel_refused("paytm", &e))?;
                let order = paytm::PaytmOrder {
                    reference,
                    amount: *money,
                    cust_id: p.user_id.clone(),
                    email: stored.meta.user.email.clone(),
                    mobile_no: stored.meta.user.mobile.clone(),
                };
                let salt = crate::channels::sign::paytm_salt()
                    .map_err(|e| EdgeError::Internal(format!("paytm: {e}")))?;
                let form = paytm::pre_order_form(cfg, &order, &salt)
                    .map_err(|e| EdgeError::Internal(format!("paytm form: {e}")))?;
                let handoff = paytm::handoff(cfg, &form)
                    .map_err(|e| EdgeError::Internal(format!("paytm hand-off: {e}")))?;
                Ok(Prepared::Paytm(handoff))
            }
            (Provider::Pingpp, OrderAmount::Fiat(money)) => {
                let cfg = channels
                    .pingpp()
                    .map_err(|e| channel_refused("pingpp", &e))?;
                // The merchant may pick the Ping++ channel per order in metadata.
                let channel = stored
                    .meta
                    .metadata
                    .get("pingpp_channel")
                    .cloned()
                    .unwrap_or_else(|| "alipay_wap".to_owned());
                let extra = pingpp_extra(&channel, stored, back_url(stored, p))?;
                let order = pingpp::ChargeOrder {
                    reference,
                    amount: *money,
                    channel,
                    time_expire: Some(stored.order.expires_at_ms() / 1000),
                    extra,
                    client_ip: p
                        .client_ip
                        .clone()
                        .unwrap_or_else(|| "127.0.0.1".to_owned()),
                    subject: subject(stored),
                    body: format!("Order {id}"),
                };
                Ok(Prepared::Pingpp(cfg, order))
            }
            (Provider::Lianshang, OrderAmount::Fiat(money)) => {
                let cfg = channels
                    .s3()
                    .map_err(|e| channel_refused("lianshang", &e))?;
                let key = crate::webcrypto::SigningKey::import(cfg.private_key.expose(), cfg.alg)
                    .await
                    .map_err(|e| EdgeError::Internal(format!("lianshang private key: {e}")))?;
                let now = now_ms();
                // Where the platform sends the shopper back (abandon or done): the
                // widget's page, else the merchant's `return_url` from the order's
                // metadata, else the edge's public base URL (what the notify URL is
                // built on).
                let back = back_url(stored, p).map_or_else(
                    || {
                        let n = &cfg.notify_url;
                        n.strip_suffix("/callbacks/lianshang")
                            .unwrap_or(n)
                            .to_owned()
                    },
                    str::to_owned,
                );
                let minutes_left = stored
                    .order
                    .expires_at_ms()
                    .saturating_sub(now)
                    .div_ceil(60_000);
                let order = lianshang::PayOrder {
                    reference,
                    amount: *money,
                    user_id: Some(p.user_id.clone()),
                    items: lianshang::single_item(&subject(stored), *money),
                    merchant_url: back.clone(),
                    callback_url: back,
                    pay_expire_min: u32::try_from(minutes_left.max(1)).unwrap_or(u32::MAX),
                    request_id: reference.attempt.to_string(),
                    time_stamp: kassa_shared::civil_time::CHINA.civil(now).compact(),
                };
                Ok(Prepared::Lianshang(cfg, key, order))
            }
            (Provider::Wallet, OrderAmount::Token { token, amount }) => {
                let cfg = channels
                    .wallet()
                    .map_err(|e| channel_refused("wallet", &e))?;
                Ok(Prepared::Wallet(cfg, reference, token.clone(), *amount))
            }
            _ => Err(EdgeError::Conflict {
                code: ErrorCode::ChannelUnavailable,
                message: "order_id: this order's channel does not take this kind of amount".into(),
            }),
        }
    }

    /// Sends the prepared request. `Ok(Err(reason))` is the provider refusing (or
    /// answering garbage, or a signature that does not verify): the attempt fails and
    /// the order stays payable. `Ok(Ok(extra))` is acceptance, with what the widget needs
    /// next under a name of its own.
    async fn call_channel(
        &self,
        prepared: Prepared<'_>,
        attempt: kassa_shared::id::Id,
    ) -> Result<Result<Option<Handoff>, String>, EdgeError> {
        use crate::channels::exchange;
        use crate::channels::sign::s3_create_pay_order;
        use kassa_shared::providers::{lianshang, pingpp, wallet};

        Ok(match prepared {
            Prepared::Paytm(handoff) => Ok(Some(handoff)),
            // Creating the charge is Ping++'s acceptance; the charge's order number and
            // amount were checked against the attempt by the channel parser. Its id is
            // kept for the refund (`refund.rs`), the charge itself for S4, and the
            // shopper is sent where pingpp-js would send them (`pingpp::handoff`); a
            // charge no web page can open fails the attempt.
            Prepared::Pingpp(cfg, order) => {
                match exchange(pingpp::create_charge(cfg, &order)).await {
                    Ok(charge) => {
                        self.audit("pingpp_charge_created", &charge.id).await?;
                        self.record_charge_id(attempt, &charge.id).await?;
                        self.record_charge(&charge.raw).await?;
                        pingpp::handoff::handoff(&charge.raw, &cfg.mock_url)
                            .map(Some)
                            .map_err(|e| e.to_string())
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            // The trade is created only once the platform's signature over its answer
            // verified; `pay_token` / `wk_trade_id` are what the widget opens S3 with.
            Prepared::Lianshang(cfg, key, order) => {
                match s3_create_pay_order(cfg, &key, &order).await {
                    Ok(created) => {
                        // Kept per attempt: a notify must name this very trade
                        // (`callback.rs`), not merely this attempt's reference.
                        self.record_s3_trade(attempt, &created.wk_trade_id).await?;
                        self.audit("s3_trade_created", &created.wk_trade_id).await?;
                        lianshang::cashier_handoff(&cfg.cashier_url, &created.pay_token)
                            .map(Some)
                            .map_err(|e| e.to_string())
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            // The wallet's acknowledgement moves the attempt to processing.
            Prepared::Wallet(cfg, reference, token, amount) => {
                exchange(wallet::charge(cfg, reference, &token, &amount))
                    .await
                    .map(|_| None)
                    .map_err(|e| e.to_string())
            }
        })
    }
}

/// A channel request ready to go.
enum Prepared<'c> {
    Paytm(Handoff),
    Pingpp(
        &'c kassa_shared::providers::pingpp::PingppConfig,
        kassa_shared::providers::pingpp::ChargeOrder,
    ),
    Lianshang(
        &'c kassa_shared::providers::lianshang::S3Config,
        crate::webcrypto::SigningKey,
        kassa_shared::providers::lianshang::PayOrder,
    ),
    Wallet(
        &'c kassa_shared::providers::wallet::WalletConfig,
        ProviderRef,
        String,
        kassa_shared::money::TokenAmount,
    ),
}

/// The page the shopper comes back to from the provider: the widget's page, else the
/// merchant's `metadata.return_url` (set server-side at order creation).
fn back_url<'a>(stored: &'a StoredOrder, p: &'a PayIn) -> Option<&'a str> {
    p.return_url
        .as_deref()
        .or_else(|| stored.meta.metadata.get("return_url").map(String::as_str))
}

/// Ping++'s per-channel `extra`: `alipay_wap` takes `success_url` and `cancel_url`
/// (the page to come back to; without one — an API caller that names no page — Ping++
/// decides, and refuses if it must), `wx_pub` needs the shopper's `open_id` (the
/// merchant's `metadata.wx_open_id`: only the merchant's WeChat login knows it).
fn pingpp_extra(
    channel: &str,
    stored: &StoredOrder,
    back: Option<&str>,
) -> Result<std::collections::BTreeMap<String, String>, EdgeError> {
    let missing = |message: &str| EdgeError::Conflict {
        code: ErrorCode::ChannelUnavailable,
        message: message.to_owned(),
    };
    let mut extra = std::collections::BTreeMap::new();
    match channel {
        "alipay_wap" => {
            if let Some(back) = back {
                extra.insert("success_url".to_owned(), back.to_owned());
                extra.insert("cancel_url".to_owned(), back.to_owned());
            }
        }
        "wx_pub" => {
            let open_id = stored.meta.metadata.get("wx_open_id").ok_or_else(|| {
                missing("metadata.wx_open_id: Ping++ wx_pub needs the shopper's WeChat open_id")
            })?;
            extra.insert("open_id".to_owned(), open_id.clone());
        }
        _ => {}
    }
    Ok(extra)
}

/// What the provider shows the shopper they are paying for.
fn subject(stored: &StoredOrder) -> String {
    stored
        .meta
        .description
        .clone()
        .unwrap_or_else(|| format!("Order {}", stored.order.id()))
}

/// The user's object's GA verdict as a code check.
fn ga_check(v: &GaVerdict) -> CodeCheck {
    if let Some(until_ms) = v.locked_until_ms {
        return CodeCheck::GaLocked { until_ms };
    }
    if v.ok {
        return CodeCheck::Ok;
    }
    CodeCheck::Wrong {
        message: "verify_code: wrong authenticator code",
        ga_left: v.attempts_left,
    }
}

/// S0 `prePayCheck` for the order, as the pay flow reads it: anything but a clear
/// approval refuses (fail closed), unless the operator set `KASSA_S0_FAIL_OPEN`, which
/// lets an S0 outage (not a denial) through, audited. The `uid` is the order's user
/// (`s0::Uid`). S0 hears the amount as the relay states it (shared
/// builder): fiat minor units with their currency, a token's exact decimal with its
/// symbol.
async fn ask_s0(
    channels: &crate::channels::ChannelConfig,
    fail_open: bool,
    id: kassa_shared::id::Id,
    stored: &StoredOrder,
) -> S0Answer {
    use crate::channels::exchange;
    use kassa_shared::providers::s0;
    let cfg = match channels.s0() {
        Ok(c) => c,
        Err(e) => return S0Answer::NotConfigured(e.to_string()),
    };
    let body = s0::pre_pay_check_body(id, stored.order.amount());
    let uid = s0::Uid::of_user(&stored.meta.user.id);
    match exchange(s0::pre_pay_check(cfg, &uid, &body)).await {
        Ok(s0::PrePayDecision::Approved) => S0Answer::Approved,
        Ok(s0::PrePayDecision::Denied { status, .. }) => S0Answer::Denied { status },
        Err(e) if fail_open => S0Answer::UnavailableFailOpen(e.to_string()),
        Err(e) => S0Answer::Unavailable(e.to_string()),
    }
}

/// What the shopper is told when the flow refuses.
fn refusal(r: Refusal) -> EdgeError {
    match r {
        Refusal::NotPayable(status) => EdgeError::Conflict {
            code: ErrorCode::OrderNotPayable,
            message: format!("order_id: the order is {}", status.as_str()),
        },
        Refusal::OrderLocked { retry_after_ms } => EdgeError::TooManyRequests {
            code: ErrorCode::OrderLocked,
            message: "verify_code: too many wrong codes; the order is locked for now".into(),
            retry_after_ms,
        },
        Refusal::GaLocked { retry_after_ms } => EdgeError::TooManyRequests {
            code: ErrorCode::GaLocked,
            message: "verify_code: too many wrong authenticator codes on this user's orders; \
                      the authenticator is locked for now"
                .into(),
            retry_after_ms,
        },
        Refusal::WrongCode {
            message,
            attempts_left,
        } => EdgeError::WrongCode {
            message,
            attempts_left,
        },
        Refusal::InvalidCode(message) => EdgeError::bad("verify_code", message),
        Refusal::Risk(code) | Refusal::Velocity(code) => EdgeError::Forbidden(code.as_str()),
        Refusal::S0Refused(detail) => EdgeError::Conflict {
            code: ErrorCode::S0Refused,
            message: format!("order_id: payment refused by the platform check ({detail})"),
        },
    }
}
