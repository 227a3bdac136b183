//! The root component: owns the [`CheckoutState`], sends the request the reducer asks
//! for, follows the order live while it processes, and tells the host page.

use std::rc::Rc;

use web_sys::Element;
use yew::{function_component, html, use_effect_with, use_reducer, Callback, Html, Properties};

use kassa_shared::surfaces::s2::status::Locale;
use kassa_shared::surfaces::s2::wire::{LoadPayDataResponse, SendVerifyCodeResponse};

use crate::api::{self, ApiError, Client, FirstLoad, IdempotencyKey};
use crate::events;
use crate::hooks::{now_ms, use_order_events};
use crate::i18n::{bcp47, t, Key};
use crate::screens::code_entry::{status as code_status, CodeEntry, NOTICE_ID};
use crate::screens::done::{done, outcome_key};
use crate::screens::error::network_error;
use crate::screens::loading::loading;
use crate::screens::paying::paying;
use crate::screens::processing::processing;
use crate::screens::summary::{order_lines, summary};
use crate::state::{Action, CheckoutState, CodeNotice, Request, Screen, Terminal};
use crate::wire::{PayAnswer, QuickPayAnswer};
use crate::MountOptions;

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub options: MountOptions,
    /// The edge client `mount` made (with the device id and the return page).
    pub client: Rc<Client>,
    /// The order, already on its way (`mount` sent the first `load_pay_data`).
    pub first_load: FirstLoad,
    /// The mount element, where host events are dispatched.
    pub host: Element,
}

/// The one status line: what is happening, in words. It is the only place a status is
/// written, visible and announced (`role="status"`), so a screen reader says each status
/// once.
#[must_use]
pub fn status_text(state: &CheckoutState, locale: Locale) -> String {
    match &state.screen {
        Screen::Loading => t(locale, Key::Loading).to_owned(),
        Screen::Ready => state
            .data
            .as_ref()
            .map(|d| d.order_info.status.label(locale).to_owned())
            .unwrap_or_default(),
        Screen::CodeEntry => state
            .data
            .as_ref()
            .map(|d| code_status(d, &state.code_notice, state.resend_at_ms, locale, now_ms()))
            .unwrap_or_default(),
        Screen::Paying => t(locale, Key::Paying).to_owned(),
        Screen::Processing => t(locale, Key::Processing).to_owned(),
        Screen::Redirecting => t(locale, Key::Redirecting).to_owned(),
        Screen::Terminal(outcome) => t(locale, outcome_key(outcome)).to_owned(),
        Screen::NetworkError { .. } => t(locale, Key::NetworkError).to_owned(),
    }
}

async fn run(
    client: &Client,
    first_load: &FirstLoad,
    state: &CheckoutState,
    request: Request,
) -> Action {
    let failed = |error: ApiError| Action::RequestFailed {
        error,
        now_ms: now_ms(),
    };
    match request {
        Request::Load => {
            let answer = match first_load.take().await {
                Some(answer) => answer,
                None => {
                    api::send::<LoadPayDataResponse>(&client.load_pay_data(), "load_pay_data").await
                }
            };
            match answer {
                Ok(data) => Action::Loaded {
                    data,
                    now_ms: now_ms(),
                },
                Err(e) => failed(e),
            }
        }
        Request::SendCode => match api::send::<SendVerifyCodeResponse>(
            &client.send_verify_code(),
            "send_payment_verify_code",
        )
        .await
        {
            Ok(r) => Action::CodeSent {
                send_id: r.order_id,
                now_ms: now_ms(),
            },
            Err(e) => failed(e),
        },
        Request::QuickPay | Request::Pay { .. } => {
            let Some(key) = state.intent.clone() else {
                return failed(ApiError::Random("no pay intent".to_owned()));
            };
            if let Request::Pay { code } = request {
                let req = client.pay(&key, &code, state.code_send_id);
                let answer = api::send::<PayAnswer>(&req, "pay").await;
                if let Ok(PayAnswer {
                    device_token: Some(t),
                    ..
                }) = &answer
                {
                    crate::device::remember(t);
                }
                match answer {
                    Ok(PayAnswer {
                        handoff: Some(handoff),
                        ..
                    }) => Action::Handoff { handoff },
                    Ok(PayAnswer { order, .. }) => Action::PayAnswered {
                        order,
                        now_ms: now_ms(),
                    },
                    Err(e) => failed(e),
                }
            } else {
                let answer =
                    api::send::<QuickPayAnswer>(&client.quick_pay(&key), "quick_pay").await;
                if let Ok(QuickPayAnswer {
                    device_token: Some(t),
                    ..
                }) = &answer
                {
                    crate::device::remember(t);
                }
                match answer {
                    Ok(QuickPayAnswer {
                        handoff: Some(handoff),
                        ..
                    }) => Action::Handoff { handoff },
                    Ok(r) => Action::QuickPaid(r.answer),
                    Err(e) => failed(e),
                }
            }
        }
    }
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let opts = &props.options;
    let l = opts.locale;
    let state = use_reducer(CheckoutState::new);
    let client = props.client.clone();

    // Send whatever the reducer asks for; the sequence number makes a retry of the
    // same request a new effect.
    {
        let dispatcher = state.dispatcher();
        let snapshot = (*state).clone();
        let client = client.clone();
        let first_load = props.first_load.clone();
        use_effect_with(state.pending.as_ref().map(|(seq, _)| *seq), move |_| {
            if let Some((_, request)) = snapshot.pending.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    let action = run(&client, &first_load, &snapshot, request).await;
                    dispatcher.dispatch(action);
                });
            }
        });
    }

    // Tell the host page.
    {
        let host = props.host.clone();
        let order_id = opts.order_id.to_string();
        let snapshot = (*state).clone();
        use_effect_with(state.event.as_ref().map(|(seq, _)| *seq), move |_| {
            if let Some((_, event)) = &snapshot.event {
                events::dispatch(
                    &host,
                    event.name(),
                    &events::detail(&order_id, &snapshot, event),
                );
            }
        });
    }

    // The channel's hand-off: the browser goes to the provider's page itself.
    {
        let host = props.host.clone();
        let handoff = state.redirect.clone();
        use_effect_with(handoff, move |handoff| {
            if let Some(handoff) = handoff {
                crate::redirect::go(&host, handoff);
            }
        });
    }

    let on_status = {
        let dispatcher = state.dispatcher();
        Callback::from(move |status| {
            dispatcher.dispatch(Action::StatusChanged {
                status,
                now_ms: now_ms(),
            });
        })
    };
    use_order_events(client, state.screen == Screen::Processing, on_status);

    let cb = |action: fn() -> Action| {
        let dispatcher = state.dispatcher();
        Callback::from(move |()| dispatcher.dispatch(action()))
    };
    let onpay = {
        let dispatcher = state.dispatcher();
        Callback::from(move |()| {
            // One key per pay intent; retries of this intent reuse it (state.intent).
            match IdempotencyKey::generate() {
                Ok(key) => dispatcher.dispatch(Action::StartPay { key }),
                Err(error) => dispatcher.dispatch(Action::RequestFailed {
                    error,
                    now_ms: now_ms(),
                }),
            }
        })
    };
    let oncancel = cb(|| Action::Cancel);
    let onexpired = cb(|| Action::Expire);
    let onretry = cb(|| Action::Retry);
    let onresend = cb(|| Action::ResendCode);
    let onsubmit = {
        let dispatcher = state.dispatcher();
        Callback::from(move |code| dispatcher.dispatch(Action::SubmitCode { code }))
    };

    let screen = match &state.screen {
        Screen::Loading => "loading",
        Screen::Ready => "ready",
        Screen::CodeEntry => "code",
        Screen::Paying => "paying",
        Screen::Processing => "processing",
        Screen::Redirecting => "redirecting",
        Screen::Terminal(t) => crate::screens::done::outcome_name(t),
        Screen::NetworkError { .. } => "error",
    };
    let body = match (&state.screen, state.data.clone()) {
        (Screen::Loading, _) => loading(),
        (Screen::Ready, Some(data)) => summary(&data, l, &onpay, &oncancel, &onexpired),
        (Screen::CodeEntry, Some(data)) => html! {
            <CodeEntry {data} locale={l} notice={state.code_notice.clone()}
                resend_at_ms={state.resend_at_ms}
                sending={matches!(state.pending, Some((_, Request::SendCode)))}
                {onsubmit} {onresend} {oncancel} />
        },
        (Screen::Paying | Screen::Redirecting, _) => paying(),
        (Screen::Processing, data) => processing(
            l,
            data.map(|d| d.order_info.status),
            state.resumed.then_some(&onpay),
        ),
        (Screen::Terminal(outcome), _) => done(l, outcome, &onpay),
        (Screen::NetworkError { message, .. }, _) => network_error(l, message, &onretry),
        // Ready / CodeEntry always have data (the reducer sets it first).
        (_, None) => loading(),
    };
    // The amount and the items on every screen past loading (the ready screen has them
    // in its summary).
    let lines = match (&state.screen, &state.data) {
        (Screen::Loading | Screen::Ready, _) | (_, None) => html! {},
        (screen, Some(data)) => order_lines(
            &data.order_info,
            l,
            *screen == Screen::Terminal(Terminal::Paid),
        ),
    };
    let status = status_text(&state, l);
    let tone = match &state.screen {
        Screen::Terminal(Terminal::Paid) => "kassa-status kassa-ok",
        Screen::Terminal(_) | Screen::NetworkError { .. } => "kassa-status kassa-bad",
        Screen::CodeEntry if state.code_notice != CodeNotice::None => "kassa-status kassa-bad",
        _ => "kassa-status",
    };
    // On the code step with a notice, the status line is what the code field's
    // `aria-describedby` points at.
    let status_id = if state.screen == Screen::CodeEntry && state.code_notice != CodeNotice::None {
        NOTICE_ID
    } else {
        "kassa-status"
    };
    html! {
        <section class="kassa-card" lang={bcp47(l)} aria-labelledby="kassa-title"
            aria-busy={if matches!(state.screen, Screen::Loading) { "true" } else { "false" }}>
            <header class="kassa-header">
                if let Some(name) = &opts.merchant_name {
                    <p class="kassa-merchant" data-kassa="merchant">{ name }</p>
                }
                <h2 id="kassa-title">{ t(l, Key::Title) }</h2>
                <p class="kassa-order" data-order-id={opts.order_id.to_string()}>
                    { format!("{} #{}", t(l, Key::OrderRef), opts.order_id) }
                </p>
            </header>
            <p id={status_id} class={tone} role="status" aria-live="polite" aria-atomic="true" data-kassa="status">{ status }</p>
            { lines }
            // Stable hooks for end-to-end tests and pages: `data-screen` names the step.
            <div data-kassa="screen" data-screen={screen}>{ body }</div>
        </section>
    }
}
