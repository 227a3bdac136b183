//! Live order status while a payment is processing (SPEC 3.1): the edge's WebSocket
//! `GET /api/payment/order/events?order_id=`, and polling `load_pay_data` every 2 s
//! whenever the socket cannot be opened or drops.

use std::rc::Rc;
use std::time::Duration;

use yew::{hook, use_effect_with, Callback};

use kassa_shared::surfaces::s2::status::Status;
use kassa_shared::surfaces::s2::wire::LoadPayDataResponse;

use crate::api::net::{Inbox, Next, Socket};
use crate::api::{self, Client};

const POLL_EVERY: Duration = Duration::from_secs(2);

/// The status in a pushed text frame (the S2 order or any object with its `status`;
/// other fields are ignored so the edge may add some), `None` for frames without one.
#[must_use]
pub fn parse_status_message(text: &str) -> Option<Status> {
    crate::wire::pushed_status(text)
}

/// While `active`, reports each status the edge knows for the order to `on_status`.
/// Tearing the effect down stops the task: the socket is detached and closed, the poll
/// timer cleared, and no status is reported after that.
#[hook]
pub fn use_order_events(client: Rc<Client>, active: bool, on_status: Callback<Status>) {
    use_effect_with(active, move |active| {
        let inbox = Inbox::default();
        if *active {
            wasm_bindgen_futures::spawn_local(follow(client, on_status, inbox.clone()));
        }
        move || inbox.stop()
    });
}

async fn follow(client: Rc<Client>, on_status: Callback<Status>, inbox: Inbox) {
    // One poll first: a status may have changed before the socket is up.
    poll_once(&client, &on_status, &inbox).await;
    if let Some(mut socket) = Socket::open(&client.events_url(), &client.events_protocols()) {
        loop {
            match inbox.next(&mut socket).await {
                Next::Frame(text) => {
                    if let Some(status) = parse_status_message(&text) {
                        on_status.emit(status);
                    }
                }
                // Failed or closed: the socket is dropped and polling takes over.
                Next::Ended => break,
                Next::Stopped => return,
            }
        }
    }
    while !inbox.sleep(POLL_EVERY).await {
        poll_once(&client, &on_status, &inbox).await;
    }
}

async fn poll_once(client: &Client, on_status: &Callback<Status>, inbox: &Inbox) {
    // A failed poll is not shown: the next one, 2 s later, is the retry.
    let answer = api::send::<LoadPayDataResponse>(&client.load_pay_data(), "load_pay_data").await;
    // An answer that lands after the stop is dropped: the widget may be gone.
    if let (Ok(data), false) = (answer, inbox.stopped()) {
        on_status.emit(data.order_info.status);
    }
}
