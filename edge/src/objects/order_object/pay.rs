//! `pay` / `quick_pay` inside the order's object, the driver of `kassa_shared::flows::pay`
//! (the gates), `flows::pay_answer` (idempotent replays, the answer) and `flows::charge`
//! (the provider request and what its answer does): this loads, carries out the storage
//! writes, user/IP object calls, S0 and provider calls they ask for, and saves.

use kassa_shared::callback::ProviderRef;
use kassa_shared::flows::charge;
use kassa_shared::flows::pay::{
    CodeCheck, Outcome, PayFlow, PayRequest, RiskFacts, S0Answer, Step,
};
use kassa_shared::flows::pay_answer::{
    check_sent_code, need_2fa_answer, payment_in_progress, quick_answer, with_extras, PayRecord,
    SentCode,
};
use kassa_shared::risk;
use kassa_shared::second_factor::WrongCodeLock;
use kassa_shared::surfaces::handoff::Handoff;

use super::*;
use crate::channels::sign::{prepare, Prepared};
use crate::channels::ChannelConfig;
use crate::objects::ip_object::IpWindow;
use crate::objects::user_object::{RiskProfile, UserClient};

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

impl OrderObject {
    /// `pay` (SPEC 3.1, 5, 6): idempotency and the one-attempt-at-a-time lock are taken
    /// with storage operations only between check and write, so the Durable Object's
    /// input gate makes them atomic: concurrent duplicates see the first one's record.
    /// Then code → risk (audited) → S0 `prePayCheck` (fail closed) → `AttemptStarted` →
    /// the channel → `AttemptProcessing` / `AttemptFailed`. The answer (success or error)
    /// is stored under the key and replayed for a retry with the same body.
    pub(super) async fn pay(&self, p: PayIn) -> Result<Response, EdgeError> {
        // Keys expire and are bounded per order (`idempotency.rs`).
        let started = now_ms();
        if let Some(key) = &p.key {
            if let Some(rec) = self.idem_lookup(key, started).await? {
                let (status, body) = rec.replay(&p.fingerprint)?;
                return Ok(Response::from_json(body)?.with_status(status));
            }
        }
        let busy = payment_in_progress().into();
        self.take_lock(PAY_LOCK_KEY, PAY_LOCK_STALE_MS, busy)
            .await?;
        if let Some(key) = &p.key {
            self.idem_start(key, &p.fingerprint, started).await?;
        }
        let (status, body) = match self.pay_inner(&p).await {
            Ok(body) => (200, body),
            Err(e) => e.into_body(),
        };
        // The lock goes first, so a failing write below cannot leave the order blocked
        // for a minute.
        self.state.storage().delete(PAY_LOCK_KEY).await?;
        if let Some(key) = &p.key {
            let rec = PayRecord::finished(&p.fingerprint, status, body.clone());
            self.idem_finish(key, rec).await?;
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
                    let v = user.verify_ga(p.code.clone(), now, limits).await?;
                    Outcome::Code(CodeCheck::of_ga(v.ok, v.attempts_left, v.locked_until_ms))
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
                    let facts = RiskFacts {
                        user_velocity: &profile.velocity,
                        ip_velocity: &window.velocity,
                        device_id: p.device_id.as_deref(),
                        known_devices: &profile.devices,
                        user_trusted: profile.trusted,
                    };
                    let decision = flow.evaluate(&stored.order, &facts, &config);
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
                    let answer = ask_s0(&loaded, fail_open, &stored).await;
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
                Step::Need2fa => return Ok(serde_json::to_value(need_2fa_answer())?),
                Step::Refuse(r) => return Err(r.told().into()),
            };
            flow.handle(outcome);
        }
        let channels =
            channels.ok_or_else(|| EdgeError::Internal("pay flow: charge before S0".into()))?;
        let (stored, handoff) = self.charge(stored, p, &channels).await?;
        let answer = if p.quick {
            serde_json::to_value(quick_answer(stored.order.status()))?
        } else {
            let locale = if p.english {
                kassa_shared::surfaces::s2::status::Locale::EnUs
            } else {
                kassa_shared::surfaces::s2::status::Locale::ZhCn
            };
            serde_json::to_value(crate::resources::s2_order(&stored, locale))?
        };
        Ok(with_extras(answer, handoff.as_ref(), device_token)?)
    }

    /// Checks `p.code` against the order's code send `send_id` (stored as MACs only); a
    /// code that verified is stored used up.
    async fn check_sent_code(
        &self,
        order: Id,
        p: &PayIn,
        send_id: Id,
        now: u64,
    ) -> Result<CodeCheck, EdgeError> {
        let mut codes: Vec<StoredCode> = self.load(CODES_KEY).await?.unwrap_or_default();
        let pepper = crate::config::code_pepper(&self.env)?;
        let pepper = kassa_shared::crypto::Secret::from(pepper.as_str());
        let sent = SentCode {
            order,
            user: p.user_binding,
            send_id,
            code: &p.code,
            now,
        };
        let (check, changed) = check_sent_code(&mut codes, &sent, &pepper);
        if changed {
            self.state
                .storage()
                .put(CODES_KEY, serde_json::to_string(&codes)?)
                .await?;
        }
        Ok(check)
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

    /// Every gate passed: the channel's request is built (`flows::charge`) and prepared
    /// — everything that can fail for configuration reasons (keys, URLs) fails here,
    /// before `AttemptStarted` is recorded — then sent; the provider's answer moves the
    /// attempt on. The provider is given the attempt's own reference
    /// (`callback::reference`), so its callbacks name this attempt. Returns the order and
    /// what the widget opens next.
    async fn charge(
        &self,
        stored: StoredOrder,
        p: &PayIn,
        channels: &ChannelConfig,
    ) -> Result<(StoredOrder, Option<Handoff>), EdgeError> {
        let provider = charge::provider_for(stored.meta.channel, stored.order.amount())?;
        let settings = charge::ChannelSettings::of(channels, provider)
            .map_err(|e| crate::config::channel_refused(provider.as_str(), &e))?;
        let attempt = crate::objects::random_id()?;
        let reference = ProviderRef::new(stored.order.id(), attempt);
        let input = charge_input(&stored, p);
        let request = charge::charge_request(&input, settings, reference, now_ms())?;
        let prepared = prepare(request).await.map_err(EdgeError::Internal)?;
        let back = charge::back_url(&input).map(str::to_owned);
        let event = Event::new(
            format!("attempt_started_{attempt}"),
            EventKind::AttemptStarted { attempt },
        );
        let stored = self.apply(stored, event).await?;
        if let Some(url) = back {
            self.record_return_url(attempt, &url).await?;
        }
        let answer = match prepared {
            // Paytm (S1): no request leaves the edge; the widget posts the signed form to
            // Paytm's process page (SPEC 3.3) and the callback moves the attempt on.
            Prepared::Paytm(handoff) => return Ok((stored, Some(handoff))),
            call => self.call_channel(call, attempt).await?,
        };
        let handoff = answer.as_ref().ok().cloned().flatten();
        let outcome = charge::charge_outcome(attempt, answer.map(|_| ()));
        if let Some(a) = &outcome.audit {
            self.audit(&a.reason, &a.detail).await?;
        }
        let stored = self.apply(stored, outcome.event).await?;
        match outcome.refusal {
            Some(r) => Err(r.into()),
            None => Ok((stored, handoff)),
        }
    }

    /// Sends the prepared request. `Ok(Err(reason))` is the provider refusing (or
    /// answering garbage, or a signature that does not verify); `Ok(Ok(handoff))` is
    /// acceptance, with what the widget opens next.
    async fn call_channel(
        &self,
        prepared: Prepared<'_>,
        attempt: Id,
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

/// What the charge is built from, as the stored order and the shopper's request have it.
fn charge_input<'a>(stored: &'a StoredOrder, p: &'a PayIn) -> charge::ChargeInput<'a> {
    charge::ChargeInput {
        order: &stored.order,
        channel: stored.meta.channel,
        user: &stored.meta.user,
        metadata: &stored.meta.metadata,
        description: stored.meta.description.as_deref(),
        user_id: &p.user_id,
        client_ip: p.client_ip.as_deref(),
        return_url: p.return_url.as_deref(),
    }
}

/// S0 `prePayCheck` for the order (`S0Answer::of_pre_pay` reads the answer; an S0 that
/// is not configured refuses). The `uid` is the order's user (`s0::Uid`). S0 hears the
/// amount as the relay states it (shared builder): fiat minor units with their
/// currency, a token's exact decimal with its symbol.
async fn ask_s0(channels: &ChannelConfig, fail_open: bool, stored: &StoredOrder) -> S0Answer {
    use kassa_shared::providers::s0;
    let cfg = match channels.s0() {
        Ok(c) => c,
        Err(e) => return S0Answer::NotConfigured(e.to_string()),
    };
    let body = s0::pre_pay_check_body(stored.order.id(), stored.order.amount());
    let uid = s0::Uid::of_user(&stored.meta.user.id);
    let answer = crate::channels::exchange(s0::pre_pay_check(cfg, &uid, &body)).await;
    S0Answer::of_pre_pay(answer, fail_open)
}
