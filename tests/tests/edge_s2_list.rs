//! The S2 orders list (`GET /api/payment/orders`, SPEC 3.1) over a long history, under a
//! real `wrangler dev`: one user with 205 orders (more than the 200 newest the list
//! once scanned). The default page is 20 and the cap 100; paging by `to_id` covers every
//! order exactly once, newest first; `status`, `from_id` / `to_id` and `start_time` /
//! `end_time` (closed) are exact over the whole history, so they find the oldest order,
//! cancelled, behind 204 newer pending ones (`user_object/orders.rs`). The same holds
//! for an index kept before the SQLite table, once moved.

#![allow(clippy::unwrap_used, clippy::panic)]

use kassa_tests::edge_client::{bearer_get, create_order, merchant_post, strings};
use kassa_tests::harness::{agent, Edge, TempDir};
use serde_json::{json, Value};

const ORDERS: usize = 205;
const USER: &str = "s2-list-user";

fn list(http: &ureq::Agent, url: &str, token: &str, query: &str) -> Vec<String> {
    let (s, v) = bearer_get(http, &format!("{url}/api/payment/orders?{query}"), token).unwrap();
    assert_eq!((s, v["status"].as_i64()), (200, Some(0)), "{query}: {v}");
    let ids = strings(&v["data"], "orderId").unwrap();
    ids.into_iter().map(str::to_owned).collect()
}

fn num(id: &str) -> u64 {
    id.parse().unwrap()
}

#[test]
fn list_is_exact_over_more_than_two_hundred_orders() {
    let dir = TempDir::new("edge-s2-list").unwrap();
    let edge = Edge::start_with(dir.path(), &[("KASSA_TEST_HELPERS", "enabled")]).unwrap();
    let http = agent();
    let url = edge.url();
    let body = json!({"channel": "wallet", "amount": "1", "token": "USDT", "user": {"id": USER}});
    // Four creators at a time; ids are time-ordered whatever the interleaving.
    let mut orders: Vec<Value> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|t| {
                let (url, body) = (&url, &body);
                s.spawn(move || {
                    let http = agent();
                    (t..ORDERS)
                        .step_by(4)
                        .map(|_| create_order(&http, url, body).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    orders.sort_by_key(|o| num(o["id"].as_str().unwrap()));
    let ids: Vec<String> = orders
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    // Another user's order never shows.
    create_order(
        &http,
        &url,
        &json!({"channel": "wallet", "amount": "1", "token": "USDT", "user": {"id": "someone-else"}}),
    )
    .unwrap();
    // The oldest order is cancelled: its status reaches the index from its object.
    let oldest = ids[0].clone();
    let (s, v) = merchant_post(
        &http,
        &url,
        &format!("/v1/orders/{oldest}/cancel"),
        &json!({}),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");
    let (s, t) =
        merchant_post(&http, &url, &format!("/v1/users/{USER}/tokens"), &json!({})).unwrap();
    assert_eq!(s, 201, "{t}");
    let token = t["token"].as_str().unwrap().to_owned();

    // Default 20, newest first; any larger ask is capped at 100.
    assert_eq!(list(&http, &url, &token, ""), newest_first[..20]);
    assert_eq!(list(&http, &url, &token, "limit=100"), newest_first[..100]);
    assert_eq!(list(&http, &url, &token, "limit=101"), newest_first[..100]);
    assert_eq!(list(&http, &url, &token, "limit=5000"), newest_first[..100]);

    // Paging by `to_id` (the last id seen, minus one): every order once, in order.
    let mut seen = Vec::new();
    let mut query = "limit=100".to_owned();
    loop {
        let page = list(&http, &url, &token, &query);
        let Some(last) = page.last() else { break };
        query = format!("limit=100&to_id={}", num(last) - 1);
        seen.extend(page);
    }
    assert_eq!(seen, newest_first);
    // ... and by `from_id` too, with the upper bound fixed: the oldest 30.
    let q = format!("from_id={}&to_id={}&limit=100", ids[0], ids[29]);
    assert_eq!(list(&http, &url, &token, &q), newest_first[ORDERS - 30..]);

    // Filters are exact over the whole history: the one cancelled order (S2 code 4),
    // older than the 200 newest, is found; the pending ones (0) are the rest.
    assert_eq!(list(&http, &url, &token, "status=4"), vec![oldest.clone()]);
    assert_eq!(
        list(&http, &url, &token, "status=0&limit=100"),
        newest_first[..100]
    );
    let q = format!("status=0&to_id={}&limit=100", ids[4]);
    assert_eq!(
        list(&http, &url, &token, &q),
        newest_first[ORDERS - 5..ORDERS - 1]
    );
    assert!(list(&http, &url, &token, "status=1").is_empty());

    // Time: a closed interval on `created`, also behind the newest 200.
    let created = |i: usize| orders[i]["created_ms"].as_u64().unwrap();
    let q = format!("start_time={0}&end_time={0}&limit=100", created(0));
    let got = list(&http, &url, &token, &q);
    assert!(got.contains(&oldest), "{got:?}");
    for id in &got {
        let i = ids.iter().position(|x| x == id).unwrap();
        assert_eq!(created(i), created(0), "{id}");
    }
    let q = format!("end_time={}&limit=100", created(0) - 1);
    assert!(list(&http, &url, &token, &q).is_empty());
    let q = format!(
        "start_time={}&end_time={}&limit=100",
        created(0),
        created(9)
    );
    let got = list(&http, &url, &token, &q);
    let want: Vec<String> = newest_first
        .iter()
        .filter(|id| {
            let c = created(ids.iter().position(|x| x == *id).unwrap());
            (created(0)..=created(9)).contains(&c)
        })
        .cloned()
        .collect();
    assert_eq!(got, want);
    assert!(got.len() >= 10, "{got:?}");
    // Any whole number is a bound: beyond every real millisecond is no error.
    let max = u64::MAX;
    let q = format!("end_time={max}&limit=100");
    assert_eq!(list(&http, &url, &token, &q), newest_first[..100]);
    assert!(list(&http, &url, &token, &format!("start_time={max}")).is_empty());

    // An index from before the SQLite table (KV keys, no statuses) is moved on the next
    // list and each order's status read from the order: the answers are the same.
    let (s, planted) = merchant_post(
        &http,
        &url,
        &format!("/v1/test_helpers/users/{USER}/legacy_index"),
        &json!({ "order_ids": ids }),
    )
    .unwrap();
    assert_eq!(s, 200, "{planted}");
    assert_eq!(
        (planted["rows"].as_u64(), planted["legacy_keys"].as_u64()),
        (Some(0), Some(ORDERS as u64)),
        "every order is now only in the old index: {planted}"
    );
    assert_eq!(list(&http, &url, &token, "status=4"), vec![oldest.clone()]);
    assert_eq!(
        list(&http, &url, &token, "status=0&limit=100"),
        newest_first[..100]
    );
    assert_eq!(list(&http, &url, &token, ""), newest_first[..20]);
    let q = format!("status=0&to_id={}&limit=100", ids[4]);
    assert_eq!(
        list(&http, &url, &token, &q),
        newest_first[ORDERS - 5..ORDERS - 1]
    );
    // Moved once: planting nothing shows every row back and no old key left.
    let (s, after) = merchant_post(
        &http,
        &url,
        &format!("/v1/test_helpers/users/{USER}/legacy_index"),
        &json!({ "order_ids": [] }),
    )
    .unwrap();
    assert_eq!(s, 200, "{after}");
    assert_eq!(
        (after["rows"].as_u64(), after["legacy_keys"].as_u64()),
        (Some(ORDERS as u64), Some(0)),
        "{after}"
    );
}
