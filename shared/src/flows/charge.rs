//! The charge step of `pay` (issue 15, "core owns the flows"): once every gate passed,
//! which provider request an order makes, built from the stored order, what the shopper
//! sent and the channel's settings, and what the provider's answer does to the attempt.
//! The edge only signs (WebCrypto, a Paytm salt), sends and stores.
//!
//! - [`provider_for`]: the order's channel must take its kind of amount (fiat for Paytm,
//!   Ping++ and Lianshang, a token for the wallet), else `channel_unavailable`;
//! - [`charge_request`]: the provider's request — Paytm's order (the widget posts the
//!   signed form), a Ping++ charge (channel from `metadata.pingpp_channel`, default
//!   `alipay_wap`, with its [`pingpp_extra`]), a Lianshang pay order (the page to come back
//!   to, the minutes the order has left, China civil time), a wallet charge;
//! - [`charge_outcome`]: the provider accepted (→ `AttemptProcessing`) or refused (→
//!   audited, `AttemptFailed`, the shopper told `provider_refused`; the order stays
//!   payable).

use std::collections::BTreeMap;

use crate::callback::ProviderRef;
use crate::civil_time::CHINA;
use crate::envelope::ErrorCode;
use crate::flows::pay::{Audit, PayError};
use crate::id::Id;
use crate::money::{Money, TokenAmount};
use crate::order::{Event, EventKind, Order, OrderAmount};
use crate::providers::config::{ChannelConfig, ConfigError};
use crate::providers::lianshang::{self, PayOrder, S3Config};
use crate::providers::paytm::{PaytmConfig, PaytmOrder};
use crate::providers::pingpp::{self, PingppConfig};
use crate::providers::wallet::WalletConfig;
use crate::providers::Provider;
use crate::surfaces::merchant::order::User;

/// The Ping++ channel when the order's metadata names none.
pub const DEFAULT_PINGPP_CHANNEL: &str = "alipay_wap";
/// Ping++ wants the shopper's IP on a charge; an API caller without one is loopback.
const UNKNOWN_IP: &str = "127.0.0.1";

/// What the charge is built from: the stored order and what the shopper sent.
#[derive(Debug, Clone, Copy)]
pub struct ChargeInput<'a> {
    pub order: &'a Order,
    /// The provider the order is paid through.
    pub channel: Provider,
    /// The order's user (Paytm wants their email and mobile).
    pub user: &'a User,
    /// The merchant's metadata (`pingpp_channel`, `wx_open_id`, `return_url`).
    pub metadata: &'a BTreeMap<String, String>,
    pub description: Option<&'a str>,
    /// The shopper paying (the widget's user).
    pub user_id: &'a str,
    /// The shopper's IP as Cloudflare reports it.
    pub client_ip: Option<&'a str>,
    /// The widget's page to come back to (already checked against the allowed origins).
    pub return_url: Option<&'a str>,
}

/// The order's channel's settings, as the edge found them configured.
#[derive(Debug, Clone, Copy)]
pub enum ChannelSettings<'c> {
    Paytm(&'c PaytmConfig),
    Pingpp(&'c PingppConfig),
    Lianshang(&'c S3Config),
    Wallet(&'c WalletConfig),
}

impl<'c> ChannelSettings<'c> {
    /// `provider`'s settings in `channels`.
    ///
    /// # Errors
    /// The provider's channel is not configured (the error names its variable).
    pub fn of(channels: &'c ChannelConfig, provider: Provider) -> Result<Self, ConfigError> {
        Ok(match provider {
            Provider::Paytm => Self::Paytm(channels.paytm()?),
            Provider::Pingpp => Self::Pingpp(channels.pingpp()?),
            Provider::Lianshang => Self::Lianshang(channels.s3()?),
            Provider::Wallet => Self::Wallet(channels.wallet()?),
        })
    }
}

/// A provider request ready to sign and send.
#[derive(Debug, Clone)]
pub enum ChargeRequest<'c> {
    /// No request leaves the edge: the widget posts the signed form to Paytm (SPEC 3.3).
    Paytm(&'c PaytmConfig, PaytmOrder),
    Pingpp(&'c PingppConfig, pingpp::ChargeOrder),
    /// Signed through WebCrypto before it is sent (SPEC 4.4).
    Lianshang(&'c S3Config, PayOrder),
    Wallet {
        cfg: &'c WalletConfig,
        reference: ProviderRef,
        token: String,
        amount: TokenAmount,
    },
}

/// The refusal of a channel/amount pair no provider takes.
fn unavailable() -> PayError {
    PayError::Conflict {
        code: ErrorCode::ChannelUnavailable,
        message: "order_id: this order's channel does not take this kind of amount".into(),
    }
}

/// The provider to charge `amount` through `channel` (its settings are looked up next).
///
/// # Errors
/// `channel_unavailable`: the channel does not take this kind of amount.
pub fn provider_for(channel: Provider, amount: &OrderAmount) -> Result<Provider, PayError> {
    match (channel, amount) {
        (Provider::Paytm | Provider::Pingpp | Provider::Lianshang, OrderAmount::Fiat(_))
        | (Provider::Wallet, OrderAmount::Token { .. }) => Ok(channel),
        _ => Err(unavailable()),
    }
}

/// The provider request for the attempt whose reference is `reference`, at `now`.
///
/// # Errors
/// `channel_unavailable`: the settings are not the order's channel's or do not take its
/// kind of amount, or Ping++ `wx_pub` without the shopper's `metadata.wx_open_id`.
pub fn charge_request<'c>(
    input: &ChargeInput<'_>,
    settings: ChannelSettings<'c>,
    reference: ProviderRef,
    now: u64,
) -> Result<ChargeRequest<'c>, PayError> {
    let provider = provider_for(input.channel, input.order.amount())?;
    // The settings must be the order's channel's; `provider_for` said it takes fiat.
    let money = |p: Provider| match input.order.amount() {
        OrderAmount::Fiat(m) if provider == p => Ok(*m),
        _ => Err(unavailable()),
    };
    Ok(match settings {
        ChannelSettings::Paytm(cfg) => ChargeRequest::Paytm(
            cfg,
            PaytmOrder {
                reference,
                amount: money(Provider::Paytm)?,
                cust_id: input.user_id.to_owned(),
                email: input.user.email.clone(),
                mobile_no: input.user.mobile.clone(),
            },
        ),
        ChannelSettings::Pingpp(cfg) => ChargeRequest::Pingpp(
            cfg,
            pingpp_charge(input, money(Provider::Pingpp)?, reference)?,
        ),
        ChannelSettings::Lianshang(cfg) => ChargeRequest::Lianshang(
            cfg,
            lianshang_order(input, cfg, money(Provider::Lianshang)?, reference, now),
        ),
        ChannelSettings::Wallet(cfg) => match (input.channel, input.order.amount()) {
            (Provider::Wallet, OrderAmount::Token { token, amount }) => ChargeRequest::Wallet {
                cfg,
                reference,
                token: token.clone(),
                amount: *amount,
            },
            _ => return Err(unavailable()),
        },
    })
}

/// A Ping++ charge: the merchant may pick the Ping++ channel per order in metadata; the
/// charge dies with the order.
fn pingpp_charge(
    input: &ChargeInput<'_>,
    amount: Money,
    reference: ProviderRef,
) -> Result<pingpp::ChargeOrder, PayError> {
    let channel = input
        .metadata
        .get("pingpp_channel")
        .map_or(DEFAULT_PINGPP_CHANNEL, String::as_str);
    Ok(pingpp::ChargeOrder {
        reference,
        amount,
        channel: channel.to_owned(),
        time_expire: Some(input.order.expires_at_ms() / 1000),
        extra: pingpp_extra(channel, input.metadata, back_url(input))?,
        client_ip: input.client_ip.unwrap_or(UNKNOWN_IP).to_owned(),
        subject: subject(input),
        body: format!("Order {}", input.order.id()),
    })
}

/// A Lianshang pay order. Where the platform sends the shopper back (abandon or done):
/// the widget's page, else the merchant's `return_url` from the order's metadata, else
/// the edge's public base URL (what the notify URL is built on).
fn lianshang_order(
    input: &ChargeInput<'_>,
    cfg: &S3Config,
    amount: Money,
    reference: ProviderRef,
    now: u64,
) -> PayOrder {
    let back = back_url(input).map_or_else(
        || {
            let n = &cfg.notify_url;
            n.strip_suffix("/callbacks/lianshang")
                .unwrap_or(n)
                .to_owned()
        },
        str::to_owned,
    );
    PayOrder {
        reference,
        amount,
        user_id: Some(input.user_id.to_owned()),
        items: lianshang::single_item(&subject(input), amount),
        merchant_url: back.clone(),
        callback_url: back,
        pay_expire_min: minutes_left(input.order.expires_at_ms(), now),
        request_id: reference.attempt.to_string(),
        time_stamp: CHINA.civil(now).compact(),
    }
}

/// Whole minutes until `expires_at_ms`, rounded up (the platform must not close the trade
/// before the order expires), at least 1 (an order about to expire still gets its
/// minute).
#[must_use]
pub fn minutes_left(expires_at_ms: u64, now: u64) -> u32 {
    let minutes = expires_at_ms.saturating_sub(now).div_ceil(60_000).max(1);
    u32::try_from(minutes).unwrap_or(u32::MAX)
}

/// The page the shopper comes back to from the provider: the widget's page, else the
/// merchant's `metadata.return_url` (set server-side at order creation).
#[must_use]
pub fn back_url<'a>(input: &ChargeInput<'a>) -> Option<&'a str> {
    input
        .return_url
        .or_else(|| input.metadata.get("return_url").map(String::as_str))
}

/// Ping++'s per-channel `extra`: `alipay_wap` takes `success_url` and `cancel_url` (the
/// page to come back to; without one — an API caller that names no page — Ping++
/// decides, and refuses if it must), `wx_pub` needs the shopper's `open_id` (the
/// merchant's `metadata.wx_open_id`: only the merchant's WeChat login knows it).
///
/// # Errors
/// `channel_unavailable` naming `metadata.wx_open_id` for `wx_pub` without one.
pub fn pingpp_extra(
    channel: &str,
    metadata: &BTreeMap<String, String>,
    back: Option<&str>,
) -> Result<BTreeMap<String, String>, PayError> {
    let mut extra = BTreeMap::new();
    match channel {
        "alipay_wap" => {
            if let Some(back) = back {
                extra.insert("success_url".to_owned(), back.to_owned());
                extra.insert("cancel_url".to_owned(), back.to_owned());
            }
        }
        "wx_pub" => {
            let open_id = metadata
                .get("wx_open_id")
                .ok_or_else(|| PayError::Conflict {
                    code: ErrorCode::ChannelUnavailable,
                    message:
                        "metadata.wx_open_id: Ping++ wx_pub needs the shopper's WeChat open_id"
                            .to_owned(),
                })?;
            extra.insert("open_id".to_owned(), open_id.clone());
        }
        _ => {}
    }
    Ok(extra)
}

/// What the provider shows the shopper they are paying for.
#[must_use]
pub fn subject(input: &ChargeInput<'_>) -> String {
    input
        .description
        .map_or_else(|| format!("Order {}", input.order.id()), str::to_owned)
}

/// What a provider's answer to the charge does to the attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeOutcome {
    /// Written before the event is applied.
    pub audit: Option<Audit>,
    pub event: Event,
    /// What the shopper is told, after the event is applied; `None`: the pay's answer.
    pub refusal: Option<PayError>,
}

/// The provider's answer to `attempt`'s charge: `Ok` is acceptance (the callback or a
/// status pull settles it later); `Err(reason)` is the provider refusing, answering
/// garbage or a signature that does not verify: the attempt fails and the order stays
/// payable.
#[must_use]
pub fn charge_outcome(attempt: Id, answer: Result<(), String>) -> ChargeOutcome {
    match answer {
        Ok(()) => ChargeOutcome {
            audit: None,
            event: Event::new(
                format!("attempt_processing_{attempt}"),
                EventKind::AttemptProcessing { attempt },
            ),
            refusal: None,
        },
        Err(reason) => ChargeOutcome {
            audit: Some(Audit {
                reason: "provider_refused".to_owned(),
                detail: reason,
            }),
            event: Event::new(
                format!("attempt_failed_{attempt}"),
                EventKind::AttemptFailed { attempt },
            ),
            refusal: Some(PayError::Conflict {
                code: ErrorCode::ProviderRefused,
                message: "order_id: the payment provider refused the payment".into(),
            }),
        },
    }
}

#[cfg(test)]
#[path = "charge_tests.rs"]
mod tests;
