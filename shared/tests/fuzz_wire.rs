//! Fuzz targets (see `fuzz_support`) for every seed message type
//! (`shared/src/providers/*/wire.rs`) and for the strict JSON / RFC 8785 layer they and
//! the signatures sit on. Inputs are arbitrary bytes plus tree and byte mutations of the
//! seed vectors (`tests/vectors/seeds/`). Besides "no panic": a value that parses
//! serialises, and what it serialises to parses back to the same value; canonical JSON
//! is a fixed point of canonicalisation.

#![allow(clippy::unwrap_used, clippy::panic)]

mod fuzz_support;

use serde::de::DeserializeOwned;
use serde::Serialize;

use fuzz_support::{fuzz, seed_vectors, text};
use kassa_shared::crypto::jcs;
use kassa_shared::providers::wallet::notify::Notification;
use kassa_shared::providers::{lianshang as s3, paytm, s0};
use kassa_shared::surfaces::{s1, s2, s4};

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(input: &[u8]) {
    let Ok(parsed) = serde_json::from_slice::<T>(input) else {
        return;
    };
    let out = serde_json::to_vec(&parsed).unwrap();
    let again: T = serde_json::from_slice(&out).unwrap_or_else(|e| {
        panic!(
            "{}: own output does not parse ({e}): {}",
            std::any::type_name::<T>(),
            String::from_utf8_lossy(&out)
        )
    });
    assert_eq!(again, parsed, "{}", std::any::type_name::<T>());
}

/// Every type a seed message is read into, request or response.
const WIRE: &[fn(&[u8])] = &[
    round_trip::<s0::wire::PrePayCheckRequest>,
    round_trip::<s0::wire::OrderCallBackRequest>,
    round_trip::<s0::wire::UpdateInfoRequest>,
    round_trip::<s0::wire::Response>,
    round_trip::<s1::wire::PreOrderRequest>,
    round_trip::<s1::wire::PreOrderResponse>,
    round_trip::<paytm::wire::PaytmCallback>,
    round_trip::<s1::wire::CallbackResponse>,
    round_trip::<s1::wire::GetOrderStatusRequest>,
    round_trip::<s1::wire::GetOrderStatusResponse>,
    round_trip::<s2::wire::OrdersQuery>,
    round_trip::<s2::wire::OrdersResponse>,
    round_trip::<s2::wire::LoadPayDataRequest>,
    round_trip::<s2::wire::LoadPayDataResponse>,
    round_trip::<s2::wire::SendVerifyCodeResponse>,
    round_trip::<s2::wire::PayRequest>,
    round_trip::<s2::wire::PayResponse>,
    round_trip::<s2::wire::QuickPayRequest>,
    round_trip::<s2::wire::QuickPayResponse>,
    round_trip::<Notification>,
    round_trip::<s3::wire::EncryptedEnvelope>,
    round_trip::<s3::wire::CreatePayOrderRequest>,
    round_trip::<s3::wire::CreatePayOrderResponse>,
    round_trip::<s4::wire::PayInfoResponse>,
    round_trip::<s4::wire::StatusResponse>,
    round_trip::<s4::wire::SetClientStatusRequest>,
    round_trip::<s4::wire::Ack>,
    round_trip::<s4::wire::WithdrawRequest>,
    round_trip::<s4::wire::PasswdRequest>,
    round_trip::<s4::wire::QuestionRequest>,
    round_trip::<s4::wire::SetWithdrawInfoRequest>,
    round_trip::<s4::wire::WithdrawInfoResponse>,
    round_trip::<s4::wire::CheckInfoResponse>,
];

#[test]
fn fuzz_seed_messages() {
    fuzz("wire", 2, seed_vectors(), |input| {
        for check in WIRE {
            check(input);
        }
    });
}

#[test]
fn fuzz_jcs() {
    fuzz("jcs", 1, seed_vectors(), |input| {
        let strict = jcs::parse_strict(input);
        if let Ok(canonical) = jcs::canonicalize_str(&text(input)) {
            assert_eq!(jcs::canonicalize_str(&canonical).as_ref(), Ok(&canonical));
            // Strict parsing only adds refusals (duplicate members) to plain parsing.
            if let Ok(v) = &strict {
                assert_eq!(jcs::to_string(v).as_ref(), Ok(&canonical));
            }
        }
    });
}
