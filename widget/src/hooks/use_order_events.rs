//! Live order status while a payment is processing (SPEC 3.1): the edge's WebSocket
//! `GET /api/payment/order/events?order_id=`, and polling `load_pay_data` every 2 s
//! whenever the socket cannot be opened or drops.

use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::Message;
use yew::{hook, use_effect_with, Callback};

use kassa_shared::providers::s2_wallet::status::Status;
use kassa_shared::providers::s2_wallet::wire::LoadPayDataResponse;

use crate::api::{self, Client};

const POLL_EVERY: Duration = Duration::from_secs(2);

/// The status in a pushed text frame (the S2 order or any object with its `status`;
/// other fields are ignored so the edge may add some), `None` for frames without one.
#[must_use]
pub fn parse_status_message(text: &str) -> Option<Status> {
    crate::wire::pushed_status(text)
}

/// While `active`, reports each status the edge knows for the order to `on_status`.
#[hook]
pub fn use_order_events(client: Rc<Client>, active: bool, on_status: Callback<Status>) {
    use_effect_with(active, move |active| {
        let (stop, stopped) = futures_channel::oneshot::channel::<()>();
        if *active {
            wasm_bindgen_futures::spawn_local(follow(client, on_status, stopped));
        }
        move || {
            let _ = stop.send(());
        }
    });
}

async fn follow(
    client: Rc<Client>,
    on_status: Callback<Status>,
    mut stopped: futures_channel::oneshot::Receiver<()>,
) {
    // One poll first: a status may have changed before the socket is up.
    poll_once(&client, &on_status).await;
    let protocols = client.events_protocols();
    if let Ok(mut ws) = WebSocket::open_with_protocols(&client.events_url(), &protocols) {
        loop {
            match select(ws.next(), &mut stopped).await {
                Either::Left((Some(Ok(Message::Text(text))), _)) => {
                    if let Some(status) = parse_status_message(&text) {
                        on_status.emit(status);
                    }
                }
                Either::Left((Some(Ok(Message::Bytes(_))), _)) => {}
                // Closed or failed: fall through to polling.
                Either::Left((Some(Err(_)) | None, _)) => break,
                Either::Right(_) => {
                    let _ = ws.close(None, None);
                    return;
                }
            }
        }
    }
    loop {
        let sleep = Box::pin(yew::platform::time::sleep(POLL_EVERY));
        if let Either::Right(_) = select(sleep, &mut stopped).await {
            return;
        }
        poll_once(&client, &on_status).await;
    }
}

async fn poll_once(client: &Client, on_status: &Callback<Status>) {
    // A failed poll is not shown: the next one, 2 s later, is the retry.
    if let Ok(data) =
        api::send::<LoadPayDataResponse>(&client.load_pay_data(), "load_pay_data").await
    {
        on_status.emit(data.order_info.status);
    }
}
