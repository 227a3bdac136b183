//! The refund calls to each provider, as I/O only: what their answers mean is
//! `shared::flows::refunds` and the providers' own modules.
//!
//! - **Ping++**: the paid attempt's charge (recorded under `pingpp_charges` when it was
//!   created) is refunded (`POST {base}/v1/charges/{id}/refunds`, Kassa's refund id in
//!   its metadata); its signed `refund.succeeded` webhook settles it (`callback.rs`).
//! - **Paytm**: the payment's `TXNID` from the Transaction Status API, then Paytm's
//!   Refund API with `refId` = the refund id (`shared::providers::paytm::refund`).
//! - **Wallet**: the wallet's refund call with `refund_id` = the refund id
//!   (`shared::providers::wallet::refund`).
//!
//! Paytm's and the wallet's refund status APIs (and Ping++'s refund list of the charge,
//! where Kassa's id is the refund's `metadata.kassa_refund`) say where a refund stands.

use worker::Env;

use kassa_shared::callback::ProviderRef;
use kassa_shared::flows::refunds::Unasked;
use kassa_shared::id::Id;
use kassa_shared::order::OrderAmount;
use kassa_shared::providers::refund::{RefundAck, RefundVerdict};
use kassa_shared::providers::{paytm, pingpp, wallet, Provider};

use crate::channels::sign::paytm_salt;
use crate::channels::{exchange, run};
use crate::config::{channel_refused, channels};
use crate::error::EdgeError;

fn internal(e: impl ToString) -> EdgeError {
    EdgeError::Internal(e.to_string())
}

/// Asks `channel` to refund `amount` of the payment `reference` names (Ping++: of
/// `charge`). `Ok(Err)`: no answer that says either way. `Err`: the edge's own failure
/// (configuration); nothing was asked.
pub(super) async fn raise(
    env: &Env,
    channel: Provider,
    reference: &ProviderRef,
    charge: Option<String>,
    refund: Id,
    amount: &OrderAmount,
) -> Result<Result<RefundAck, String>, EdgeError> {
    let refused = |reason: &str| {
        Ok(Ok(RefundAck::Refused {
            reason: reason.to_owned(),
        }))
    };
    let channels = channels(env)?;
    match (channel, amount) {
        (Provider::Pingpp, OrderAmount::Fiat(amount)) => {
            let Some(charge) = charge else {
                return refused("no Ping++ charge is recorded for the paid attempt");
            };
            let cfg = channels
                .pingpp()
                .map_err(|e| channel_refused("pingpp", &e))?;
            let description = format!("Refund of order {}", reference.order);
            let call = pingpp::create_refund(
                cfg,
                &charge,
                amount.minor(),
                &description,
                &refund.to_string(),
            );
            Ok(pingpp::refund::create_ack(exchange(call).await))
        }
        (Provider::Paytm, OrderAmount::Fiat(amount)) => {
            let cfg = channels.paytm().map_err(|e| channel_refused("paytm", &e))?;
            let salt = || paytm_salt().map_err(internal);
            let status = paytm::status_body(cfg, reference, &salt()?).map_err(internal)?;
            let paid = run(status)
                .await
                .map_err(|e| e.to_string())
                .and_then(|body| {
                    paytm::refund::paid_txn_id(reference, &body).map_err(|e| e.to_string())
                });
            let txn_id = match paid {
                Ok(txn) => txn,
                Err(detail) => return refused(&detail),
            };
            let ask = paytm::refund::RefundAsk {
                reference: *reference,
                txn_id,
                ref_id: refund.to_string(),
                amount: *amount,
            };
            let call = paytm::refund::refund(cfg, &ask, &salt()?).map_err(internal)?;
            Ok(run(call).await.map_err(|e| e.to_string()))
        }
        (Provider::Wallet, OrderAmount::Token { amount, .. }) => {
            let cfg = channels
                .wallet()
                .map_err(|e| channel_refused("wallet", &e))?;
            let call = wallet::refund::refund(cfg, &refund.to_string(), reference, amount)
                .map_err(internal)?;
            Ok(run(call).await.map_err(|e| e.to_string()))
        }
        (channel, _) => Err(EdgeError::Internal(format!(
            "{channel} refund of an order in the wrong amount form"
        ))),
    }
}

/// Asks `channel`'s refund status API about refund `refund` of the payment `reference`
/// names, of `amount`.
pub(super) async fn status(
    env: &Env,
    channel: Provider,
    reference: &ProviderRef,
    refund: Id,
    amount: Option<OrderAmount>,
) -> Result<RefundVerdict, Unasked> {
    let failed = |e: String| Unasked::Failed(e);
    let channels = channels(env).map_err(|e| failed(format!("{e:?}")))?;
    match (channel, amount) {
        (Provider::Paytm, _) => {
            let cfg = channels.paytm().map_err(|e| failed(e.to_string()))?;
            let salt = paytm_salt().map_err(|e| failed(e.to_owned()))?;
            let ask = paytm::refund::refund_status(cfg, reference, &refund.to_string(), &salt)
                .map_err(|e| failed(e.to_string()))?;
            run(ask).await.map_err(|e| failed(e.to_string()))
        }
        (Provider::Wallet, Some(OrderAmount::Token { amount, .. })) => {
            let cfg = channels.wallet().map_err(|e| failed(e.to_string()))?;
            let ask = wallet::refund::refund_status(cfg, &refund.to_string(), reference, &amount);
            match run(ask).await {
                Ok(v) => Ok(v),
                Err(e) if e.is_unknown() => Err(Unasked::Unknown),
                Err(e) => Err(failed(e.to_string())),
            }
        }
        _ => Err(failed("this channel has no refund status API".to_owned())),
    }
}

/// Where refund `refund` of the payment `reference` names stands at `channel`, and the
/// provider's id for it where the answer names one: Ping++'s refund list of `charge`
/// (Kassa's id in the refund's metadata), else the refund status API.
pub(super) async fn locate(
    env: &Env,
    channel: Provider,
    reference: &ProviderRef,
    charge: Option<String>,
    refund: Id,
    amount: Option<OrderAmount>,
) -> Result<(RefundVerdict, Option<String>), Unasked> {
    if channel != Provider::Pingpp {
        let verdict = status(env, channel, reference, refund, amount).await?;
        return Ok((verdict, None));
    }
    let failed = |e: String| Unasked::Failed(e);
    let charge = charge.ok_or(Unasked::Unknown)?;
    let channels = channels(env).map_err(|e| failed(format!("{e:?}")))?;
    let cfg = channels.pingpp().map_err(|e| failed(e.to_string()))?;
    let list = exchange(pingpp::list_refunds(cfg, &charge))
        .await
        .map_err(|e| failed(e.to_string()))?;
    let found = pingpp::refund::find_ours(list, &refund.to_string()).ok_or(Unasked::Unknown)?;
    Ok((pingpp::refund::verdict(&found), Some(found.id)))
}
