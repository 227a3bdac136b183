//! The token wallet's result notification (SPEC 3.4 "wallet").
//!
//! **Decision.** The seeds define no notification format for the wallet; SPEC 3.4 only
//! says "RSA-SHA256 signed (4.1)". Kassa therefore fixes this JSON message, POSTed to
//! `/callbacks/wallet`:
//!
//! ```json
//! { "notify_id": "n_01", "order_id": "476682884348973312", "trade_id": "w_9",
//!   "status": "SUCCESS", "token_id": "USDT", "amount": "12.500000",
//!   "time": "1700000000000", "security_type": "RSA2", "sign": "<base64>" }
//! ```
//!
//! - `status` is `SUCCESS` | `FAILED` | `PROCESSING`; `order_id` is the order number
//!   Kassa gave the wallet for this payment attempt, a [`ProviderRef`]
//!   `"{order}A{attempt}"` (a bare order id still parses, as the attempt whose id is the
//!   order's); `amount` a plain decimal string in the token's units; `time` unix
//!   milliseconds as a string.
//! - The same signed shape answers the wallet's status query (`GET {base}/charges/
//!   {order_id}`, see the edge's `channels/wallet.rs`), with a `notify_id` of its own.
//! - Signed exactly like S3 ([`crate::crypto::signed_json`]): the message without
//!   `sign`/`security_type`, RFC 8785, SHA256withRSA by default, both members at top
//!   level. Unknown members are allowed and covered by the signature, so the wallet can
//!   add fields without breaking verifiers; [`verify`] therefore checks the JSON value as
//!   received before it deserialises anything.
//! - `notify_id` identifies the delivery for idempotency (SPEC 3.4: a repeated verified
//!   notification is answered as success and changes nothing).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::callback::ProviderRef;
use crate::crypto::jcs;
use crate::crypto::signed_json::{self, SignedJsonError};
#[cfg(feature = "private-keys")]
use crate::crypto::PrivateKey;
use crate::crypto::PublicKey;
#[cfg(feature = "private-keys")]
use crate::crypto::SignAlg;

/// The outcome the wallet reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NotifyStatus {
    Success,
    Failed,
    Processing,
}

/// A wallet notification without its signature members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub notify_id: String,
    /// The attempt's reference (module docs).
    pub order_id: ProviderRef,
    pub trade_id: String,
    pub status: NotifyStatus,
    pub token_id: String,
    /// Decimal string in the token's own precision (SPEC 2 "Money").
    pub amount: String,
    /// Unix milliseconds, as a string.
    pub time: String,
}

/// Why a notification was not produced or not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    #[error("wallet notification: body is not JSON (or repeats a member name)")]
    Json,
    #[error(transparent)]
    Signature(#[from] SignedJsonError),
    #[error("wallet notification: {reason}")]
    Shape { reason: String },
    #[error("wallet notification: {field} {reason}")]
    Field {
        field: &'static str,
        reason: &'static str,
    },
}

fn check_fields(n: &Notification) -> Result<(), NotifyError> {
    let field = |field, reason| Err(NotifyError::Field { field, reason });
    for (name, v) in [
        ("notify_id", &n.notify_id),
        ("trade_id", &n.trade_id),
        ("token_id", &n.token_id),
    ] {
        if v.is_empty() {
            return field(name, "must not be empty");
        }
    }
    let (int, frac) = n.amount.split_once('.').unwrap_or((&n.amount, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || n.amount.ends_with('.') {
        return field(
            "amount",
            "must be a non-negative decimal string like \"12.5\"",
        );
    }
    if n.time.is_empty() || !digits(&n.time) || n.time.len() > 16 {
        return field("time", "must be unix milliseconds as a string of digits");
    }
    Ok(())
}

#[cfg(feature = "private-keys")]
/// Signs a notification (sandbox side) and returns the JSON to POST.
pub fn sign(n: &Notification, key: &PrivateKey, alg: SignAlg) -> Result<Value, NotifyError> {
    check_fields(n)?;
    let mut v = serde_json::to_value(n).map_err(|_| NotifyError::Json)?;
    signed_json::sign(&mut v, None, key, alg)?;
    Ok(v)
}

/// Verifies a raw notification body with the wallet's public key, then parses it.
pub fn verify(body: &[u8], wallet_pub: &PublicKey) -> Result<Notification, NotifyError> {
    // Strict parse: a duplicated member could mean one thing here and another elsewhere.
    let v = jcs::parse_strict(body).map_err(|_| NotifyError::Json)?;
    verify_value(&v, wallet_pub)
}

/// As [`verify`], for an already parsed body.
pub fn verify_value(v: &Value, wallet_pub: &PublicKey) -> Result<Notification, NotifyError> {
    signed_json::verify(v, wallet_pub)?;
    let n: Notification = serde_json::from_value(v.clone()).map_err(|e| NotifyError::Shape {
        reason: e.to_string(),
    })?;
    check_fields(&n)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::fixtures;
    use proptest::prelude::*;

    fn sample() -> Notification {
        Notification {
            notify_id: "n_01".into(),
            order_id: ProviderRef::parse("order_id", "476682884348973312A476682884348973313")
                .unwrap(),
            trade_id: "w_9".into(),
            status: NotifyStatus::Success,
            token_id: "USDT".into(),
            amount: "12.500000".into(),
            time: "1700000000000".into(),
        }
    }

    #[test]
    fn sign_and_verify() {
        let v = sign(&sample(), &fixtures::priv1024(), SignAlg::Rsa2).unwrap();
        assert_eq!(v["order_id"], "476682884348973312A476682884348973313");
        assert_eq!(v["status"], "SUCCESS");
        assert_eq!(v["security_type"], "RSA2");
        let body = serde_json::to_vec(&v).unwrap();
        assert_eq!(verify(&body, &fixtures::pub1024()).unwrap(), sample());
        let mut t = v.clone();
        t["amount"] = "13.5".into();
        assert!(matches!(
            verify_value(&t, &fixtures::pub1024()),
            Err(NotifyError::Signature(SignedJsonError::BadSignature))
        ));
        assert_eq!(verify(b"{", &fixtures::pub1024()), Err(NotifyError::Json));
        // The same body with a member repeated is refused before verification.
        let text = String::from_utf8(body).unwrap();
        let dup = text.replacen('{', "{\"amount\":\"999\",", 1);
        assert_eq!(
            verify(dup.as_bytes(), &fixtures::pub1024()),
            Err(NotifyError::Json)
        );
    }

    #[test]
    fn field_checks_name_the_field() {
        let mut n = sample();
        n.amount = "1e3".into();
        assert!(matches!(
            sign(&n, &fixtures::priv1024(), SignAlg::Rsa2),
            Err(NotifyError::Field {
                field: "amount",
                ..
            })
        ));
        let mut n = sample();
        n.time = "soon".into();
        assert!(matches!(
            sign(&n, &fixtures::priv1024(), SignAlg::Rsa2),
            Err(NotifyError::Field { field: "time", .. })
        ));
        // Signed but with an unknown status: the signature is fine, the shape is not.
        let mut v = serde_json::to_value(sample()).unwrap();
        v["status"] = "DONE".into();
        signed_json::sign(&mut v, None, &fixtures::priv1024(), SignAlg::Rsa2).unwrap();
        assert!(matches!(
            verify_value(&v, &fixtures::pub1024()),
            Err(NotifyError::Shape { .. })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn round_trip(amount in "[0-9]{1,10}(\\.[0-9]{1,8})?", status in 0usize..3, extra in "[a-z]{0,6}") {
            let mut n = sample();
            n.amount = amount;
            n.status = [NotifyStatus::Success, NotifyStatus::Failed, NotifyStatus::Processing][status];
            n.notify_id.push_str(&extra);
            let v = sign(&n, &fixtures::priv1024(), SignAlg::Rsa).unwrap();
            prop_assert_eq!(verify_value(&v, &fixtures::pub1024()).unwrap(), n);
        }
    }
}
