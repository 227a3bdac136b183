//! Issue 14 item 3: Ping++ `refund.succeeded` bound, confirmed and requested (SPEC 3.4
//! "pingpp").
//!
//! Ping++'s key signs the webhooks of every Ping++ app, so a genuine signature says
//! nothing about *whose* refund it is. Before the fix any signed `refund.succeeded`
//! whose `charge_order_no` named one of our attempts moved our paid order to
//! `refunded` (an `order.refunded` webhook: the merchant would cancel the shipment of
//! goods the shopper paid for). Here every message is signed with the Ping++ key as
//! Ping++ signs them; our orders are paid for real (`pay` creates the charge at the
//! sandbox, which the edge records per attempt):
//!
//! - a co-tenant Ping++ app holding a charge with our `order_no` (unique only per app):
//!   its `charge.succeeded` → 409 `callback_wrong_account`; its refund →
//!   409 `callback_wrong_trade` (not the charge Kassa created for the attempt);
//! - a genuine refund of another of our charges, cross-wired to this order's reference
//!   → 409 `callback_wrong_trade`;
//! - a refund of our charge that Ping++ does not know (refund retrieve: 404) → 409
//!   `callback_unconfirmed`;
//! - a genuine refund of our charge that Kassa never asked for (Ping++'s dashboard),
//!   confirmed by the retrieve → accepted, but the order stays `succeeded` and needs
//!   review (`unrequested_refund`, visible on `GET /v1/orders/:id`, an
//!   `order.needs_review` webhook), no `order.refunded` webhook, no `REFUND_SUCCESS`;
//! - the refund Kassa asked for, confirmed by the retrieve, still settles `refunded`.

use base64::Engine as _;
use kassa_shared::crypto::{rsa_sig, PrivateKey, SignAlg};
use kassa_tests::harness::read_json;
use kassa_tests::sandbox::config::{fixture_pem, fixtures as f};
use serde_json::{json, Value};

use crate::callbacks_support::{Msg, World};

const COTENANT_APP: &str = "app_cotenant_42";

fn order(w: &World, id: &str) -> Value {
    w.order(id)
}

/// A Ping++ order paid through the edge and settled by its confirmed
/// `charge.succeeded`: (order id, attempt reference, charge id).
fn paid_pingpp(w: &World, fen: u64) -> (String, String, String) {
    let (id, secret) = w.create_with_secret("pingpp", &json!({"amount": fen, "currency": "CNY"}));
    w.pay(&id, &secret);
    let charge = w.last_record("pingpp/charges", "order_no", &id);
    let paid = w.pingpp_event(&id, "charge.succeeded");
    assert_eq!(w.send(&paid).0, 200, "{}", w.edge.log_tail());
    assert_eq!(order(w, &id)["status"], "succeeded");
    (
        id,
        charge["order_no"].as_str().unwrap().to_owned(),
        charge["id"].as_str().unwrap().to_owned(),
    )
}

/// The webhook Ping++ sends for `event` on charge `charge_id`, held, then read back.
fn event_for_charge(w: &World, charge_id: &str, event: &str) -> Msg {
    w.control(
        "pingpp/complete",
        &json!({"id": charge_id, "event": event, "hold": true}),
    );
    w.control_outbox_last()
}

/// `m` with its event edited (and a fresh event id), signed again with Ping++'s key:
/// a message Ping++'s signature vouches for.
fn resigned(m: &Msg, event_id: &str, edit: impl FnOnce(&mut Value)) -> Msg {
    let key = PrivateKey::parse(&fixture_pem(f::PINGPP_PRIVATE).unwrap()).unwrap();
    let mut v: Value = serde_json::from_slice(&m.body).unwrap();
    v["id"] = json!(event_id);
    edit(&mut v["data"]["object"]);
    let mut out = m.clone();
    out.body = v.to_string().into_bytes();
    out.headers[0].1 = base64::engine::general_purpose::STANDARD
        .encode(rsa_sig::sign_raw(&key, SignAlg::Rsa2, &out.body).unwrap());
    out
}

/// `m` is refused with `want`, changes nothing, and is audited as `reason`.
fn refused(w: &World, id: &str, m: &Msg, want: u16, reason: &str) {
    let before = w.snapshot(id);
    let (s, body) = w.send(m);
    assert_eq!(s, want, "{body}\n{}", w.edge.log_tail());
    assert_eq!(w.snapshot(id), before, "a refused webhook changes nothing");
    let audit = w.audit_reasons(id);
    assert!(
        audit.iter().any(|r| r == reason),
        "{reason} not in {audit:?}"
    );
}

fn webhook_types(w: &World, id: &str) -> Vec<String> {
    w.webhooks(id)
        .iter()
        .map(|b| b["type"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn refunds_must_be_ours_confirmed_and_requested() {
    let w = World::start("proof-security-pingpp", &[]);
    let (id, reference, charge) = paid_pingpp(&w, 500);

    // ---- Another Ping++ app holds a charge with our order_no, paid and refunded there.
    let (s, other) = read_json(
        w.http
            .post(format!("{}/pingpp/v1/charges", w.sb))
            .header("Authorization", &format!("Bearer {}", f::PINGPP_API_KEY))
            .send_json(
                json!({"order_no": reference, "amount": 500, "currency": "cny",
                "channel": "alipay_wap", "app": {"id": COTENANT_APP}}),
            ),
    )
    .unwrap();
    assert_eq!(s, 200, "{other}");
    let other_charge = other["id"].as_str().unwrap().to_owned();
    assert_ne!(other_charge, charge, "order_no is unique per app only");
    assert_eq!(other["app"], COTENANT_APP);
    let other_paid = event_for_charge(&w, &other_charge, "charge.succeeded");
    refused(&w, &id, &other_paid, 409, "callback_wrong_account");
    let other_refund = event_for_charge(&w, &other_charge, "refund.succeeded");
    let v: Value = serde_json::from_slice(&other_refund.body).unwrap();
    assert_eq!(v["data"]["object"]["charge_order_no"], reference.as_str());
    refused(&w, &id, &other_refund, 409, "callback_wrong_trade");

    // ---- A genuine refund of another of our charges, cross-wired to this order.
    let (p, _, _) = paid_pingpp(&w, 500);
    let p_refund = event_for_charge(&w, &p, "refund.succeeded");
    let crossed = resigned(&p_refund, "evt_crossed_refund", |o| {
        o["order_no"] = json!(reference);
        o["charge_order_no"] = json!(reference);
    });
    refused(&w, &id, &crossed, 409, "callback_wrong_trade");

    // ---- Our charge, but a refund Ping++ does not know: its retrieve does not confirm.
    let unknown = resigned(&p_refund, "evt_unknown_refund", |o| {
        o["id"] = json!("re_forged_by_nobody");
        o["charge"] = json!(charge);
        o["order_no"] = json!(reference);
        o["charge_order_no"] = json!(reference);
    });
    refused(&w, &id, &unknown, 409, "callback_unconfirmed");

    let o = order(&w, &id);
    assert_eq!(
        (o["status"].as_str(), &o["needs_review"]),
        (Some("succeeded"), &json!(false))
    );
    assert!(!webhook_types(&w, &id).iter().any(|t| t == "order.refunded"));

    // ---- Refunded from Ping++'s dashboard: genuine, ours, confirmed — but never asked
    // for. The order stays succeeded and needs review; no `order.refunded`.
    let dashboard = event_for_charge(&w, &charge, "refund.succeeded");
    let (s, body) = w.send(&dashboard);
    assert_eq!(s, 200, "{body}\n{}", w.edge.log_tail());
    let o = order(&w, &id);
    assert_eq!(o["status"], "succeeded", "{o}");
    assert_eq!(o["needs_review"], true, "{o}");
    assert_eq!(o["review_reasons"], json!(["unrequested_refund"]), "{o}");
    assert!(w
        .audit_reasons(&id)
        .contains(&"refund_unrequested".to_owned()));
    // Ping++ retries until it sees success: the same webhook again changes nothing.
    let before = w.snapshot(&id);
    assert_eq!(w.send(&dashboard).0, 200);
    assert_eq!(w.snapshot(&id), before);
    w.wait("the order.needs_review webhook", || {
        webhook_types(&w, &id)
            .iter()
            .any(|t| t == "order.needs_review")
            .then_some(())
    });
    let (_, relays) = w.settle(&id);
    assert_eq!(relays, ["PAY_ING", "PAY_SUCCESS"]);
    assert!(
        !webhook_types(&w, &id).iter().any(|t| t == "order.refunded"),
        "{:?}",
        webhook_types(&w, &id)
    );

    // ---- The refund Kassa asked for, confirmed by Ping++'s retrieve: refunded, once.
    let (q, _, _) = paid_pingpp(&w, 700);
    let requested = w.requested_refund(&q);
    assert_eq!(w.send(&requested).0, 200, "{}", w.edge.log_tail());
    let o = order(&w, &q);
    assert_eq!(
        (o["status"].as_str(), &o["needs_review"]),
        (Some("refunded"), &json!(false))
    );
    w.effects_once(&q, &["PAY_ING", "PAY_SUCCESS", "REFUND_SUCCESS"]);
    let refunded = webhook_types(&w, &q)
        .iter()
        .filter(|t| *t == "order.refunded")
        .count();
    assert_eq!(refunded, 1);
}
