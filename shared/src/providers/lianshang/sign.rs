//! S3 (Lianshang) message security, seed 003 "签名、加密机制" and SPEC 4.1 / 4.2.
//!
//! - Signature: the whole message minus every `sign` and `security_type` member, RFC 8785,
//!   SHA256withRSA ("RSA2", default) or SHA1withRSA ("RSA", what the seed's examples name).
//!   The seed puts `security_type` and `sign` inside `newBizData` (requests) and
//!   `newBizResponseData` (responses), so that is where [`sign_message`] writes them; a
//!   message with neither object gets them at top level. [`verify_message`] reads them
//!   wherever they are (generic logic in [`crate::crypto::signed_json`]).
//! - Transport: the signed message (gzipped first when `newBaseData.compress_type` is
//!   "1") is RSA-encrypted in blocks with the platform's public key and sent as
//!   `{"res_data": "<base64>"}` ([`encode_res_data`]). [`decode_res_data`] reverses it on
//!   the sandbox side; since `compress_type` sits inside the encrypted payload, gzip is
//!   recognised by its magic bytes (JSON never starts with 0x1f) and then checked against
//!   `compress_type`.

use serde_json::Value;

use crate::crypto::chunked::{self, DecryptError, EncryptError};
#[cfg(feature = "private-keys")]
use crate::crypto::jcs;
use crate::crypto::signed_json::{self, SignedJsonError};
#[cfg(feature = "private-keys")]
use crate::crypto::PrivateKey;
use crate::crypto::{PublicKey, SignAlg};

/// Objects that hold `sign`/`security_type`, request first.
pub const SIGNATURE_HOLDERS: [&str; 2] = ["newBizData", "newBizResponseData"];
/// The envelope member that carries the ciphertext.
pub const RES_DATA: &str = "res_data";

#[cfg(feature = "private-keys")]
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Why a `res_data` envelope could not be built or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResDataError {
    #[error("message: not serialisable JSON")]
    Json,
    #[error("newBaseData.compress_type: `{value}` disagrees with the payload (gzip: {gzip})")]
    CompressType { value: String, gzip: bool },
    #[error("res_data: envelope must be an object with a string `res_data`")]
    Envelope,
    #[error("res_data: decrypted payload is not a JSON object (or repeats a member name)")]
    Payload,
    #[error(transparent)]
    Encrypt(#[from] EncryptError),
    #[error(transparent)]
    Decrypt(#[from] DecryptError),
}

/// The exact string that is signed (useful in logs and vectors).
pub fn signing_string(message: &Value) -> Result<String, SignedJsonError> {
    signed_json::signing_string(message)
}

#[cfg(feature = "private-keys")]
/// Sets `security_type` and `sign` in `newBizData` / `newBizResponseData` (or at top
/// level when the message has neither).
pub fn sign_message(
    message: &mut Value,
    key: &PrivateKey,
    alg: SignAlg,
) -> Result<(), SignedJsonError> {
    let target = SIGNATURE_HOLDERS
        .into_iter()
        .find(|name| message.get(name).is_some());
    signed_json::sign(message, target, key, alg)
}

/// Verifies a message signed by the platform (or, sandbox side, by the merchant).
pub fn verify_message(message: &Value, key: &PublicKey) -> Result<SignAlg, SignedJsonError> {
    signed_json::verify(message, key)
}

/// `newBaseData.compress_type` (or `newBaseResponseData`), when present.
fn compress_type(message: &Value) -> Option<&str> {
    ["newBaseData", "newBaseResponseData"]
        .into_iter()
        .find_map(|b| message.get(b)?.get("compress_type")?.as_str())
}

fn check_compress_type(message: &Value, gzip: bool) -> Result<(), ResDataError> {
    match compress_type(message) {
        Some(v) if (v == "1") != gzip => Err(ResDataError::CompressType {
            value: v.to_owned(),
            gzip,
        }),
        _ => Ok(()),
    }
}

/// Builds `{"res_data": "..."}` for a signed message. `gzip` must agree with the
/// message's `compress_type` when it has one (the signature covers that field).
pub fn encode_res_data(
    message: &Value,
    platform_pub: &PublicKey,
    gzip: bool,
    rng: &mut impl rand_core::CryptoRngCore,
) -> Result<Value, ResDataError> {
    check_compress_type(message, gzip)?;
    let plain = serde_json::to_vec(message).map_err(|_| ResDataError::Json)?;
    let res_data = chunked::encrypt(platform_pub, &plain, gzip, rng)?;
    Ok(serde_json::json!({ RES_DATA: res_data }))
}

#[cfg(feature = "private-keys")]
/// Opens a `{"res_data": "..."}` envelope with the platform's private key (sandbox side)
/// and returns the message, still signed (verify it next).
pub fn decode_res_data(
    envelope: &Value,
    platform_priv: &PrivateKey,
) -> Result<Value, ResDataError> {
    let res_data = envelope
        .get(RES_DATA)
        .and_then(Value::as_str)
        .ok_or(ResDataError::Envelope)?;
    let mut plain = chunked::decrypt(platform_priv, res_data, false)?;
    let gzip = plain.starts_with(&GZIP_MAGIC);
    if gzip {
        plain = chunked::gunzip(&plain)?;
    }
    let message = jcs::parse_strict(&plain).map_err(|_| ResDataError::Payload)?;
    if !message.is_object() {
        return Err(ResDataError::Payload);
    }
    check_compress_type(&message, gzip)?;
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::fixtures;
    use rand::{rngs::StdRng, SeedableRng};
    use serde_json::json;

    fn seed_request(compress: &str) -> Value {
        // Trimmed from seed 003's "加密报文明文 Example".
        json!({
            "newBaseData": {"version": "001", "platform": "H5", "request_id": "000001",
                "service_name": "CreatePayOrder", "language": 0, "merchant_id": "yx001",
                "time_stamp": "20180329170136", "compress_type": compress},
            "newBizData": {"pay_type": 1, "out_trade_id": "yxdd001", "pay_amount": 200,
                "pay_currency": "CNY", "product_subject": [{"channel_goods_code": "yxzb01",
                "channel_goods_subject": "钓鱼达人"}], "pay_expire": 30, "risk_extend": "",
                "security_type": "RSA", "sign": ""}
        })
    }

    #[test]
    fn signs_inside_new_biz_data() {
        let mut m = seed_request("0");
        sign_message(&mut m, &fixtures::priv2048(), SignAlg::Rsa2).unwrap();
        assert_eq!(m["newBizData"]["security_type"], "RSA2");
        assert!(m["newBizData"]["sign"].as_str().unwrap().len() > 300);
        assert_eq!(verify_message(&m, &fixtures::pub2048()), Ok(SignAlg::Rsa2));
        m["newBizData"]["pay_amount"] = json!(201);
        assert_eq!(
            verify_message(&m, &fixtures::pub2048()),
            Err(SignedJsonError::BadSignature)
        );

        let mut resp = json!({"newBaseResponseData": {"compress_type": "0"},
            "newBizResponseData": {"result_code": "SUCCESS", "pay_token": "t"}});
        sign_message(&mut resp, &fixtures::priv1024(), SignAlg::Rsa).unwrap();
        assert_eq!(resp["newBizResponseData"]["security_type"], "RSA");
        assert_eq!(
            verify_message(&resp, &fixtures::pub1024()),
            Ok(SignAlg::Rsa)
        );
    }

    #[test]
    fn res_data_round_trips_with_and_without_gzip() {
        let mut rng = StdRng::seed_from_u64(3);
        for (gzip, ct) in [(false, "0"), (true, "1")] {
            let mut m = seed_request(ct);
            sign_message(&mut m, &fixtures::priv2048(), SignAlg::Rsa2).unwrap();
            let env = encode_res_data(&m, &fixtures::pub1024(), gzip, &mut rng).unwrap();
            let back = decode_res_data(&env, &fixtures::priv1024()).unwrap();
            assert_eq!(back, m);
            assert_eq!(
                verify_message(&back, &fixtures::pub2048()),
                Ok(SignAlg::Rsa2)
            );
        }
    }

    #[test]
    fn compress_type_must_agree() {
        let mut rng = StdRng::seed_from_u64(4);
        let m = seed_request("1");
        assert_eq!(
            encode_res_data(&m, &fixtures::pub1024(), false, &mut rng),
            Err(ResDataError::CompressType {
                value: "1".into(),
                gzip: false
            })
        );
        assert_eq!(
            decode_res_data(&json!({"x": 1}), &fixtures::priv1024()),
            Err(ResDataError::Envelope)
        );
    }
}
