//! Tests of the charge step: which channel takes which amount, each provider's request
//! as built from the order and the shopper's request (back URL precedence, Ping++
//! channel extras, the minutes an S3 trade stays open), and what an answer does.

use proptest::prelude::*;

use super::*;
use crate::money::Currency;
use crate::surfaces::merchant::order::UserProfile;

const NOW: u64 = 1_700_000_000_000;
/// 30 min after [`NOW`].
const EXPIRES: u64 = NOW + 30 * 60_000;

fn id(n: u64) -> Id {
    Id::new(n).unwrap()
}

fn reference() -> ProviderRef {
    ProviderRef::new(id(11), id(22))
}

fn cny(minor: u64) -> OrderAmount {
    OrderAmount::Fiat(Money::new(Currency::Cny, minor))
}

fn token() -> OrderAmount {
    OrderAmount::Token {
        token: "USDT".into(),
        amount: TokenAmount::parse("amount", "2.5", 6).unwrap(),
    }
}

fn order(amount: OrderAmount) -> Order {
    Order::new(id(11), amount, NOW - 1_000, EXPIRES)
}

fn user() -> User {
    User {
        id: "u-merchant".into(),
        mobile: Some("9876543210".into()),
        email: Some("a@example.com".into()),
        profile: UserProfile::default(),
    }
}

fn meta(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The shopper's request around `order`: no description, IP, page or metadata unless
/// a test sets them.
fn input<'a>(
    order: &'a Order,
    channel: Provider,
    user: &'a User,
    metadata: &'a BTreeMap<String, String>,
) -> ChargeInput<'a> {
    ChargeInput {
        order,
        channel,
        user,
        metadata,
        description: None,
        user_id: "shopper-1",
        client_ip: None,
        return_url: None,
    }
}

/// Every payment channel configured, as the environment would give them.
fn channels() -> ChannelConfig {
    crate::providers::config::fixtures::all()
}

fn settings(channels: &ChannelConfig, p: Provider) -> ChannelSettings<'_> {
    ChannelSettings::of(channels, p).unwrap()
}

fn unavailable_message() -> PayError {
    PayError::Conflict {
        code: ErrorCode::ChannelUnavailable,
        message: "order_id: this order's channel does not take this kind of amount".into(),
    }
}

const PROVIDERS: [Provider; 4] = [
    Provider::Paytm,
    Provider::Pingpp,
    Provider::Lianshang,
    Provider::Wallet,
];

#[test]
fn each_channel_takes_one_kind_of_amount() {
    for p in PROVIDERS {
        let fiat = provider_for(p, &cny(100));
        let tok = provider_for(p, &token());
        if p == Provider::Wallet {
            assert_eq!(fiat, Err(unavailable_message()), "{p}");
            assert_eq!(tok, Ok(p));
        } else {
            assert_eq!(fiat, Ok(p));
            assert_eq!(tok, Err(unavailable_message()), "{p}");
        }
    }
}

#[test]
fn each_provider_takes_its_own_settings_or_names_the_missing_channel() {
    let (cfg, none) = (channels(), ChannelConfig::default());
    for p in PROVIDERS {
        let got = ChannelSettings::of(&cfg, p).unwrap();
        let own = match got {
            ChannelSettings::Paytm(c) => std::ptr::eq(c, cfg.paytm().unwrap()),
            ChannelSettings::Pingpp(c) => std::ptr::eq(c, cfg.pingpp().unwrap()),
            ChannelSettings::Lianshang(c) => std::ptr::eq(c, cfg.s3().unwrap()),
            ChannelSettings::Wallet(c) => std::ptr::eq(c, cfg.wallet().unwrap()),
        };
        assert!(own, "{p}");
    }
    assert_eq!(
        ChannelSettings::of(&none, Provider::Paytm).err(),
        none.paytm().err()
    );
    assert_eq!(
        ChannelSettings::of(&none, Provider::Pingpp).err(),
        none.pingpp().err()
    );
    assert_eq!(
        ChannelSettings::of(&none, Provider::Lianshang).err(),
        none.s3().err()
    );
    assert_eq!(
        ChannelSettings::of(&none, Provider::Wallet).err(),
        none.wallet().err()
    );
}

#[test]
fn paytm_order_carries_the_shopper_and_the_users_contacts() {
    let (o, u, m, cfg) = (order(cny(1000)), user(), meta(&[]), channels());
    let i = input(&o, Provider::Paytm, &u, &m);
    let Ok(ChargeRequest::Paytm(c, p)) =
        charge_request(&i, settings(&cfg, Provider::Paytm), reference(), NOW)
    else {
        panic!("not a Paytm request");
    };
    assert_eq!(c.mid, "MID");
    assert_eq!(p.reference, reference());
    assert_eq!(p.amount, Money::new(Currency::Cny, 1000));
    assert_eq!(p.cust_id, "shopper-1");
    assert_eq!(p.email.as_deref(), Some("a@example.com"));
    assert_eq!(p.mobile_no.as_deref(), Some("9876543210"));
}

fn pingpp(i: &ChargeInput<'_>) -> Result<pingpp::ChargeOrder, PayError> {
    let cfg = channels();
    match charge_request(i, settings(&cfg, Provider::Pingpp), reference(), NOW)? {
        ChargeRequest::Pingpp(_, c) => Ok(c),
        other => panic!("not a Ping++ request: {other:?}"),
    }
}

#[test]
fn pingpp_charge_defaults_to_alipay_wap_and_dies_with_the_order() {
    let (o, u, m) = (order(cny(250)), user(), meta(&[]));
    let c = pingpp(&input(&o, Provider::Pingpp, &u, &m)).unwrap();
    assert_eq!(c.channel, DEFAULT_PINGPP_CHANNEL);
    assert_eq!(c.reference, reference());
    assert_eq!(c.amount, Money::new(Currency::Cny, 250));
    assert_eq!(c.time_expire, Some(EXPIRES / 1000));
    // No page to come back to: Ping++ decides.
    assert!(c.extra.is_empty());
    assert_eq!(c.client_ip, "127.0.0.1");
    assert_eq!(c.subject, "Order 11");
    assert_eq!(c.body, "Order 11");
}

#[test]
fn pingpp_charge_takes_the_shoppers_ip_the_description_and_the_metadata_channel() {
    let (o, u) = (order(cny(250)), user());
    let m = meta(&[("pingpp_channel", "upacp_wap")]);
    let mut i = input(&o, Provider::Pingpp, &u, &m);
    i.client_ip = Some("203.0.113.9");
    i.description = Some("Fishing rod");
    i.return_url = Some("https://shop.example/back");
    let c = pingpp(&i).unwrap();
    assert_eq!(c.channel, "upacp_wap");
    assert_eq!(c.client_ip, "203.0.113.9");
    assert_eq!(c.subject, "Fishing rod");
    assert_eq!(c.body, "Order 11");
    // A channel without extras gets none, even with a page to come back to.
    assert!(c.extra.is_empty());
}

#[test]
fn pingpp_alipay_wap_comes_back_to_the_page() {
    let (o, u, m) = (order(cny(250)), user(), meta(&[]));
    let mut i = input(&o, Provider::Pingpp, &u, &m);
    i.return_url = Some("https://shop.example/back");
    let c = pingpp(&i).unwrap();
    assert_eq!(
        c.extra,
        meta(&[
            ("cancel_url", "https://shop.example/back"),
            ("success_url", "https://shop.example/back"),
        ])
    );
}

#[test]
fn pingpp_wx_pub_needs_the_open_id() {
    let (o, u) = (order(cny(250)), user());
    let m = meta(&[("pingpp_channel", "wx_pub")]);
    assert_eq!(
        pingpp(&input(&o, Provider::Pingpp, &u, &m)),
        Err(PayError::Conflict {
            code: ErrorCode::ChannelUnavailable,
            message: "metadata.wx_open_id: Ping++ wx_pub needs the shopper's WeChat open_id".into(),
        })
    );
    let m = meta(&[("pingpp_channel", "wx_pub"), ("wx_open_id", "o-123")]);
    let mut i = input(&o, Provider::Pingpp, &u, &m);
    i.return_url = Some("https://shop.example/back");
    let c = pingpp(&i).unwrap();
    assert_eq!(c.extra, meta(&[("open_id", "o-123")]));
}

fn lianshang(i: &ChargeInput<'_>, notify_url: &str, now: u64) -> PayOrder {
    let mut cfg = channels().s3().unwrap().clone();
    cfg.notify_url = notify_url.to_owned();
    match charge_request(i, ChannelSettings::Lianshang(&cfg), reference(), now) {
        Ok(ChargeRequest::Lianshang(_, o)) => o,
        other => panic!("not a Lianshang request: {other:?}"),
    }
}

const NOTIFY: &str = "https://edge.example/callbacks/lianshang";

#[test]
fn lianshang_order_is_one_line_for_the_whole_amount_in_china_time() {
    let (o, u, m) = (order(cny(200)), user(), meta(&[]));
    let mut i = input(&o, Provider::Lianshang, &u, &m);
    i.description = Some("钓鱼达人");
    // 2023-11-14 22:13:20 UTC is 2023-11-15 06:13:20 in Beijing.
    let p = lianshang(&i, NOTIFY, NOW);
    assert_eq!(p.reference, reference());
    assert_eq!(p.amount, Money::new(Currency::Cny, 200));
    assert_eq!(p.user_id.as_deref(), Some("shopper-1"));
    assert_eq!(p.items, lianshang::single_item("钓鱼达人", p.amount));
    assert_eq!(p.request_id, "22");
    assert_eq!(p.time_stamp, "20231115061320");
    assert_eq!(p.pay_expire_min, 30);
}

#[test]
fn lianshang_back_url_prefers_the_widget_then_the_metadata_then_the_edge() {
    let (o, u) = (order(cny(200)), user());
    let m = meta(&[("return_url", "https://merchant.example/r")]);
    let mut i = input(&o, Provider::Lianshang, &u, &m);
    i.return_url = Some("https://widget.example/page");
    let p = lianshang(&i, NOTIFY, NOW);
    assert_eq!(p.merchant_url, "https://widget.example/page");
    assert_eq!(p.callback_url, "https://widget.example/page");

    i.return_url = None;
    let p = lianshang(&i, NOTIFY, NOW);
    assert_eq!(p.merchant_url, "https://merchant.example/r");
    assert_eq!(p.callback_url, "https://merchant.example/r");

    let none = meta(&[]);
    let i = input(&o, Provider::Lianshang, &u, &none);
    let p = lianshang(&i, NOTIFY, NOW);
    assert_eq!(p.merchant_url, "https://edge.example");
    assert_eq!(p.callback_url, "https://edge.example");
    // A notify URL not on the usual path is taken whole.
    let p = lianshang(&i, "https://edge.example/s3", NOW);
    assert_eq!(p.merchant_url, "https://edge.example/s3");
}

#[test]
fn back_url_precedence() {
    let (o, u) = (order(cny(1)), user());
    let m = meta(&[("return_url", "https://m.example")]);
    let mut i = input(&o, Provider::Pingpp, &u, &m);
    assert_eq!(back_url(&i), Some("https://m.example"));
    i.return_url = Some("https://w.example");
    assert_eq!(back_url(&i), Some("https://w.example"));
    let none = meta(&[]);
    assert_eq!(back_url(&input(&o, Provider::Pingpp, &u, &none)), None);
}

#[test]
fn minutes_left_round_up_and_never_reach_zero() {
    assert_eq!(minutes_left(NOW + 60_000, NOW), 1);
    assert_eq!(minutes_left(NOW + 60_001, NOW), 2);
    assert_eq!(minutes_left(NOW + 119_999, NOW), 2);
    assert_eq!(minutes_left(NOW + 1, NOW), 1);
    // Due or past: still a minute, the order's own expiry closes it.
    assert_eq!(minutes_left(NOW, NOW), 1);
    assert_eq!(minutes_left(NOW - 5, NOW), 1);
    assert_eq!(minutes_left(u64::MAX, 0), u32::MAX);
}

#[test]
fn lianshang_trade_closes_no_sooner_than_the_order() {
    let (o, u, m) = (order(cny(200)), user(), meta(&[]));
    let i = input(&o, Provider::Lianshang, &u, &m);
    assert_eq!(lianshang(&i, NOTIFY, EXPIRES - 90_000).pay_expire_min, 2);
    assert_eq!(lianshang(&i, NOTIFY, EXPIRES + 1).pay_expire_min, 1);
}

#[test]
fn wallet_charge_is_the_orders_token_amount() {
    let (o, u, m, cfg) = (order(token()), user(), meta(&[]), channels());
    let i = input(&o, Provider::Wallet, &u, &m);
    let Ok(ChargeRequest::Wallet {
        cfg: c,
        reference: r,
        token: t,
        amount,
    }) = charge_request(&i, settings(&cfg, Provider::Wallet), reference(), NOW)
    else {
        panic!("not a wallet request");
    };
    assert_eq!(c.api_key.expose(), "wk-secret");
    assert_eq!(r, reference());
    assert_eq!(t, "USDT");
    assert_eq!(amount, TokenAmount::parse("amount", "2.5", 6).unwrap());
}

#[test]
fn a_mismatched_channel_amount_or_settings_is_unavailable() {
    let (u, m) = (user(), meta(&[]));
    let cfg = channels();
    let all = PROVIDERS.map(|p| settings(&cfg, p));
    let (fiat, tok) = (order(cny(100)), order(token()));
    for channel in PROVIDERS {
        for amount_order in [&fiat, &tok] {
            for s in all {
                let i = input(amount_order, channel, &u, &m);
                let matches = match s {
                    ChannelSettings::Paytm(_) => channel == Provider::Paytm,
                    ChannelSettings::Pingpp(_) => channel == Provider::Pingpp,
                    ChannelSettings::Lianshang(_) => channel == Provider::Lianshang,
                    ChannelSettings::Wallet(_) => channel == Provider::Wallet,
                } && provider_for(channel, amount_order.amount()).is_ok();
                let got = charge_request(&i, s, reference(), NOW);
                assert_eq!(got.is_ok(), matches, "{channel} {s:?}");
                if !matches {
                    assert_eq!(got.err(), Some(unavailable_message()));
                }
            }
        }
    }
}

#[test]
fn accepted_charge_moves_the_attempt_to_processing() {
    let out = charge_outcome(id(22), Ok(()));
    assert_eq!(
        out,
        ChargeOutcome {
            audit: None,
            event: Event::new(
                "attempt_processing_22",
                EventKind::AttemptProcessing { attempt: id(22) }
            ),
            refusal: None,
        }
    );
}

#[test]
fn refused_charge_is_audited_fails_the_attempt_and_tells_the_shopper() {
    let out = charge_outcome(id(22), Err("pingpp: 402 card declined".into()));
    assert_eq!(
        out.audit,
        Some(Audit {
            reason: "provider_refused".into(),
            detail: "pingpp: 402 card declined".into(),
        })
    );
    assert_eq!(
        out.event,
        Event::new(
            "attempt_failed_22",
            EventKind::AttemptFailed { attempt: id(22) }
        )
    );
    assert_eq!(
        out.refusal,
        Some(PayError::Conflict {
            code: ErrorCode::ProviderRefused,
            message: "order_id: the payment provider refused the payment".into(),
        })
    );
}

proptest! {
    /// The trade stays open at least as long as the order, by less than a minute more.
    #[test]
    fn minutes_left_cover_the_order(now in 0u64..1 << 50, left in 1u64..1 << 40) {
        let m = u64::from(minutes_left(now + left, now));
        prop_assert!(m * 60_000 >= left);
        prop_assert!((m - 1) * 60_000 < left);
    }

    /// Only `alipay_wap` (a page to come back to) and `wx_pub` (the open id) get extras,
    /// and they are exactly what the order and the shopper gave.
    #[test]
    fn pingpp_extras_are_per_channel(
        channel in prop_oneof![
            Just("alipay_wap".to_owned()),
            Just("wx_pub".to_owned()),
            "[a-z_]{0,12}",
        ],
        back in proptest::option::of("[ -~]{0,40}"),
        open_id in proptest::option::of("[ -~]{0,20}"),
    ) {
        let mut m = BTreeMap::new();
        if let Some(o) = &open_id {
            m.insert("wx_open_id".to_owned(), o.clone());
        }
        let got = pingpp_extra(&channel, &m, back.as_deref());
        match channel.as_str() {
            "alipay_wap" => {
                let want = back.iter().flat_map(|b| {
                    [("cancel_url".to_owned(), b.clone()), ("success_url".to_owned(), b.clone())]
                });
                prop_assert_eq!(got, Ok(want.collect()));
            }
            "wx_pub" => match open_id {
                Some(o) => prop_assert_eq!(got, Ok(BTreeMap::from([("open_id".to_owned(), o)]))),
                None => prop_assert!(got.is_err()),
            },
            _ => prop_assert_eq!(got, Ok(BTreeMap::new())),
        }
    }

    /// Whatever the pages given, S3 comes back to the widget's, else the merchant's, else
    /// the edge's.
    #[test]
    fn lianshang_back_url_precedence(
        widget in proptest::option::of("https://w\\.example/[a-z]{0,8}"),
        merchant in proptest::option::of("https://m\\.example/[a-z]{0,8}"),
    ) {
        let (o, u) = (order(cny(200)), user());
        let mut m = BTreeMap::new();
        if let Some(r) = &merchant {
            m.insert("return_url".to_owned(), r.clone());
        }
        let mut i = input(&o, Provider::Lianshang, &u, &m);
        i.return_url = widget.as_deref();
        let p = lianshang(&i, NOTIFY, NOW);
        let want = widget.or(merchant).unwrap_or_else(|| "https://edge.example".to_owned());
        prop_assert_eq!(&p.merchant_url, &want);
        prop_assert_eq!(&p.callback_url, &want);
    }
}
