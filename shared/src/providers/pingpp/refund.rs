//! What Ping++'s refund answers mean for a refund Kassa asked for (the requests and their
//! readers are in the parent module): a create's answer as a [`RefundAck`], a refund's
//! `status` as a [`RefundVerdict`], and which refund of a charge is Kassa's.

use super::{PingppError, Refund};
use crate::providers::refund::{RefundAck, RefundVerdict};

/// A refund create's answer (`Err`: no answer that says either way — the network, a
/// 5xx — so Ping++ may have made it; its webhook and the charge's refund list name it
/// by Kassa's id in the metadata). A refund object is accepted and pending: its signed
/// webhook, confirmed by Ping++'s retrieve, settles it, not this answer.
///
/// # Errors
/// Why no answer came.
pub fn create_ack(answer: Result<Refund, PingppError>) -> Result<RefundAck, String> {
    match answer {
        Ok(refund) => Ok(RefundAck::Accepted {
            provider_refund: refund.id,
            verdict: RefundVerdict::Pending,
        }),
        Err(e) if e.is_transport() => Err(e.to_string()),
        Err(e) => Ok(RefundAck::Refused {
            reason: e.to_string(),
        }),
    }
}

/// Where a refund stands by its `status` (`succeeded`, `failed`, anything else pending).
#[must_use]
pub fn verdict(refund: &Refund) -> RefundVerdict {
    match refund.status.as_str() {
        "succeeded" => RefundVerdict::Succeeded,
        "failed" => RefundVerdict::Failed {
            reason: "Ping++ reports the refund failed".into(),
        },
        _ => RefundVerdict::Pending,
    }
}

/// The refund among a charge's `refunds` whose metadata names Kassa's refund `kassa`.
#[must_use]
pub fn find_ours(refunds: Vec<Refund>, kassa: &str) -> Option<Refund> {
    refunds
        .into_iter()
        .find(|r| r.kassa_refund() == Some(kassa))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn refund(id: &str, status: &str, kassa: Option<&str>) -> Refund {
        Refund {
            id: id.to_owned(),
            amount: 500,
            status: status.to_owned(),
            charge: "ch_1".to_owned(),
            succeed: status == "succeeded",
            charge_order_no: None,
            metadata: kassa.map_or(serde_json::Value::Null, |k| json!({ "kassa_refund": k })),
        }
    }

    #[test]
    fn a_created_refund_is_accepted_and_pending() {
        let ack = create_ack(Ok(refund("re_1", "succeeded", Some("7"))));
        assert_eq!(
            ack,
            Ok(RefundAck::Accepted {
                provider_refund: "re_1".into(),
                verdict: RefundVerdict::Pending
            })
        );
    }

    #[test]
    fn an_error_answer_refuses_and_no_answer_is_unknown() {
        let refused = create_ack(Err(PingppError::Http {
            call: "create refund",
            status: 400,
            error_type: "invalid_request_error".into(),
        }));
        assert!(matches!(refused, Ok(RefundAck::Refused { .. })));
        let down = create_ack(Err(PingppError::Http {
            call: "create refund",
            status: 503,
            error_type: "api_error".into(),
        }));
        assert!(down.is_err(), "a 5xx says nothing either way");
    }

    #[test]
    fn status_maps_to_a_verdict() {
        assert_eq!(
            verdict(&refund("re_1", "succeeded", None)),
            RefundVerdict::Succeeded
        );
        assert!(matches!(
            verdict(&refund("re_1", "failed", None)),
            RefundVerdict::Failed { .. }
        ));
        assert_eq!(
            verdict(&refund("re_1", "pending", None)),
            RefundVerdict::Pending
        );
    }

    #[test]
    fn ours_is_found_by_the_metadata_only() {
        let list = vec![
            refund("re_1", "pending", None),
            refund("re_2", "pending", Some("8")),
            refund("re_3", "succeeded", Some("7")),
        ];
        assert_eq!(
            find_ours(list.clone(), "7").map(|r| r.id),
            Some("re_3".into())
        );
        assert_eq!(find_ours(list, "9"), None);
    }
}
