//! The S4 pay record (`GET /rest/pay/:pay_id`, seed §1) of a stored order: what the
//! Ping++ app's client SDK reads. Amounts in the order's own form (fen for fiat, a
//! decimal string for tokens) with the currency or token lower-cased as the seed writes
//! it; `money` (实际支付金额) is what was paid, zero before the order succeeded; the
//! charge Ping++ answered is embedded whole (`{}` before any exists); the ids the seed
//! shows that Kassa does not own come from the order's metadata, `""` when absent.

use serde_json::{json, Value};

use crate::civil_time::UTC;
use crate::flows::attempts::shown_status;
use crate::order::OrderAmount;
use crate::surfaces::merchant::resource::StoredOrder;
use crate::surfaces::s4::status::{ClientStatus, Status};
use crate::surfaces::s4::wire::{Amount, PayInfo, PayKind};

/// The Ping++ channel a pay is shown with: the charge's, else the merchant's choice in
/// the order's metadata, else `alipay_wap` (the default the charge would be made with).
#[must_use]
pub fn channel(s: &StoredOrder, charge: Option<&Value>) -> String {
    charge
        .and_then(|c| c.get("channel"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| s.meta.metadata.get("pingpp_channel").cloned())
        .unwrap_or_else(|| "alipay_wap".to_owned())
}

/// The pay record of `s`, with the charge Ping++ answered (if any) and what the client
/// last reported.
#[must_use]
pub fn pay_info(s: &StoredOrder, charge: Option<Value>, client_status: ClientStatus) -> PayInfo {
    let o = &s.order;
    let id = o.id();
    let channel = channel(s, charge.as_ref());
    let (amount, currency) = match o.amount() {
        OrderAmount::Fiat(m) => (Amount::Minor(m.minor()), m.currency().code().to_lowercase()),
        OrderAmount::Token { token, amount } => {
            (Amount::Decimal(amount.to_string()), token.to_lowercase())
        }
    };
    let money = match (&amount, o.paid()) {
        (a, true) => a.clone(),
        (Amount::Minor(_), false) => Amount::Minor(0),
        (Amount::Decimal(_), false) => Amount::Decimal("0".into()),
    };
    let iso = |ms: u64| UTC.civil(ms).iso_utc(ms);
    let updated = o.history().last().map_or(o.created_ms(), |h| h.at_ms);
    let subject = s
        .meta
        .description
        .clone()
        .unwrap_or_else(|| format!("Order {id}"));
    let merchant_id = |key: &str| s.meta.metadata.get(key).cloned().unwrap_or_default();
    PayInfo {
        updated_at: iso(updated),
        created_at: iso(o.created_ms()),
        o_id: Some(id.to_string()),
        note_id: Some(merchant_id("note_id")),
        expert_id: merchant_id("expert_id"),
        user_id: s.meta.user.id.clone(),
        amount,
        money,
        charge: Some(charge.unwrap_or_else(|| json!({}))),
        desc: Some(s.meta.description.clone().unwrap_or_default()),
        client_status,
        status: Status::from_canonical(shown_status(o)),
        subject,
        currency,
        channel,
        kind: PayKind::Order,
        pay_id: id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::id::Id;
    use crate::money::{Currency, Money};
    use crate::order::Order;
    use crate::providers::Provider;
    use crate::surfaces::merchant::resource::{Item, OrderMeta, User, UserProfile};

    fn stored(
        amount: OrderAmount,
        metadata: &[(&str, &str)],
        description: Option<&str>,
    ) -> StoredOrder {
        let id = Id::new(1_234).unwrap();
        StoredOrder {
            order: Order::new(id, amount, 1_796_000_000_000, 1_796_000_900_000),
            meta: OrderMeta {
                channel: Provider::Pingpp,
                items: vec![Item {
                    name: "Tea".into(),
                    quantity: 1,
                }],
                user: User {
                    id: "u-1".into(),
                    mobile: None,
                    email: None,
                    profile: UserProfile::default(),
                },
                notify_url: None,
                metadata: metadata
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                description: description.map(str::to_owned),
                payee_user_id: None,
            },
            refunds: BTreeMap::new(),
        }
    }

    #[test]
    fn an_unpaid_fiat_pay_shows_its_amount_and_nothing_paid() {
        let s = stored(
            OrderAmount::Fiat(Money::new(Currency::Cny, 1_000)),
            &[("note_id", "n-7")],
            Some("Tea"),
        );
        let p = pay_info(&s, None, ClientStatus::Pending);
        assert_eq!(
            (p.amount, p.money),
            (Amount::Minor(1_000), Amount::Minor(0))
        );
        assert_eq!(p.currency, "cny");
        assert_eq!(p.channel, "alipay_wap");
        assert_eq!(p.charge, Some(json!({})));
        assert_eq!(
            (p.note_id.as_deref(), p.expert_id.as_str()),
            (Some("n-7"), "")
        );
        assert_eq!(
            (p.subject.as_str(), p.desc.as_deref()),
            ("Tea", Some("Tea"))
        );
        assert_eq!(
            (p.pay_id.as_str(), p.o_id.as_deref()),
            ("1234", Some("1234"))
        );
        assert_eq!(
            p.created_at,
            UTC.civil(1_796_000_000_000).iso_utc(1_796_000_000_000)
        );
        assert_eq!(p.updated_at, p.created_at);
    }

    #[test]
    fn the_channel_is_the_charges_then_the_merchants_choice() {
        let s = stored(
            OrderAmount::Fiat(Money::new(Currency::Cny, 1)),
            &[("pingpp_channel", "wx_pub")],
            None,
        );
        assert_eq!(channel(&s, None), "wx_pub");
        let charge = json!({"channel": "alipay_qr"});
        assert_eq!(channel(&s, Some(&charge)), "alipay_qr");
        let p = pay_info(&s, Some(charge.clone()), ClientStatus::Pending);
        assert_eq!(p.charge, Some(charge));
        assert_eq!(p.subject, "Order 1234");
        assert_eq!(p.desc.as_deref(), Some(""));
    }

    #[test]
    fn a_token_pay_is_a_decimal_string() {
        let amount = crate::money::TokenAmount::parse("amount", "12.5", 6).unwrap();
        let s = stored(
            OrderAmount::Token {
                token: "USDT".into(),
                amount,
            },
            &[],
            None,
        );
        let p = pay_info(&s, None, ClientStatus::Pending);
        assert_eq!(p.amount, Amount::Decimal(amount.to_string()));
        assert_eq!(p.money, Amount::Decimal("0".into()));
        assert_eq!(p.currency, "usdt");
    }
}
