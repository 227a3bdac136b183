//! S3 (Lianshang) `POST /pai/createPayOrder` (seed S3, SPEC 3.5, 4.1, 4.2).
//!
//! Request: `newBaseData` + `newBizData` built from the order ([`build_message`]),
//! signed over the RFC 8785 string of the whole message minus `sign`/`security_type`
//! ([`signing_string`]) — the signature itself is made at the edge by **WebCrypto**
//! (SPEC 4.4) and put in with [`insert_signature`] — then optionally gzipped, encrypted
//! in `k − 11`-byte blocks with the platform's public key (the caller's RNG) and posted
//! as `{"res_data": "..."}` ([`create_pay_order`]).
//!
//! Response: the platform's signature over its answer is verified with the platform
//! public key **before** `result_code`, `pay_token` or `wk_trade_id` is read. A
//! signature weaker than the configured algorithm (SHA-1 "RSA" when "RSA2" is
//! configured) is refused, so an attacker cannot downgrade us to SHA-1.
//!
//! `out_trade_id` ("must be unique, never repeated", String(64)) is the attempt's
//! `ProviderRef` `"{order}A{attempt}"`, so a retry after a failed attempt is a new trade
//! and the notify names the attempt it settles; `request_id` is the attempt id.
//!
//! Decision: an answer wrapped in `res_data` (encrypted to the merchant) is refused.
//! Opening it would need RSAES-PKCS1-v1_5 decryption with the merchant's private key,
//! which WebCrypto does not offer and the `rsa` crate must not do at the edge (SPEC 4.4,
//! RUSTSEC-2023-0071); the seed's answer example is plaintext.

use core::time::Duration;

use serde_json::Value;

use super::http::{Exchange, Request, Response, TransportError};
use crate::callback::ProviderRef;
use crate::crypto::jcs;
use crate::crypto::signed_json::{self, SECURITY_TYPE, SIGN};
use crate::crypto::{PublicKey, SignAlg};
use crate::money::Money;
use crate::serde_util::Redacted;
use sign::RES_DATA;
use wire::{BaseData, BizData, CreatePayOrderRequest, CreatePayOrderResponse, ProductSubject};

pub mod callback;
pub mod sign;
pub mod status;
pub mod wire;

pub const CREATE_PAY_ORDER_PATH: &str = "/pai/createPayOrder";

/// S3 settings. `Debug` redacts the merchant private key.
#[derive(Debug, Clone)]
pub struct S3Config {
    pub base_url: String,
    /// The platform's cashier page, opened with `?pay_token=…` ([`cashier_handoff`]).
    pub cashier_url: String,
    pub merchant_id: String,
    pub settlement_id: String,
    pub appid: String,
    /// `newBaseData.platform` (H5 by default).
    pub platform: String,
    /// `newBaseData.version` ("2" per the seed's table).
    pub version: String,
    /// `newBizData.pay_way`: brand ids that may pay; empty = any.
    pub pay_way: String,
    /// The merchant's RSA private key text (PKCS#8/PKCS#1, PEM or base64 DER); only ever
    /// handed to WebCrypto.
    pub private_key: Redacted,
    pub platform_public_key: PublicKey,
    /// `security_type` to sign with (RSA2 default) and the minimum accepted back.
    pub alg: SignAlg,
    /// `KASSA_S3_ALLOW_RSA1=true`: accept the legacy SHA1withRSA ("RSA") profile on
    /// notifies too. Off by default: a notify settles money, and the platform key signs
    /// for every merchant ([`callback`]).
    pub allow_rsa1: bool,
    /// `compress_type` "1": gzip before encrypting.
    pub gzip: bool,
    /// `{KASSA_PUBLIC_URL}/callbacks/lianshang`.
    pub notify_url: String,
    pub timeout: Duration,
}

/// The order-specific part of a `createPayOrder`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayOrder {
    /// `out_trade_id`: the attempt's reference.
    pub reference: ProviderRef,
    pub amount: Money,
    /// `out_user_id` (the merchant's user id); `None` sends `guest_id: "GUESTER"`, the
    /// seed's guest value.
    pub user_id: Option<String>,
    pub items: Vec<ProductSubject>,
    /// Where the shopper goes back to when abandoning, and after paying.
    pub merchant_url: String,
    pub callback_url: String,
    /// Minutes until the platform closes the trade.
    pub pay_expire_min: u32,
    /// Unique per attempt (the attempt id is a good one).
    pub request_id: String,
    /// `yyyyMMddHHmmss` of the caller's `now` (no clock here).
    pub time_stamp: String,
}

/// `product_subject` for an order: one line for the whole amount. Kassa's items carry
/// a name and a quantity but no unit price, and the seed prices every line in fen, so
/// a per-item list would have to invent prices; one honest line does not.
#[must_use]
pub fn single_item(subject: &str, amount: Money) -> Vec<ProductSubject> {
    vec![ProductSubject {
        channel_goods_code: "order".to_owned(),
        channel_goods_subject: subject.chars().take(256).collect(),
        channel_goods_desc: None,
        channel_goods_sum: "1".to_owned(),
        channel_goods_price: amount.minor().to_string(),
        channel_goods_img: None,
        rights_type: None,
        rights_price: None,
    }]
}

/// What a successful, verified `createPayOrder` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub pay_token: String,
    pub wk_trade_id: String,
    /// The algorithm the platform's signature verified with.
    pub alg: SignAlg,
}

/// Why a `createPayOrder` failed. `BadSignature` is opaque on purpose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S3Error {
    #[error("S3 request: {0}")]
    Build(String),
    #[error("S3 createPayOrder: {0}")]
    Transport(#[from] TransportError),
    #[error("S3 createPayOrder: HTTP status {status}")]
    Http { status: u16 },
    #[error("S3 response: {reason}")]
    Response { reason: &'static str },
    #[error("S3 response: signature verification failed")]
    BadSignature,
    #[error("S3 response: signed with {got}, weaker than the configured {want}")]
    WeakSignature { got: SignAlg, want: SignAlg },
    #[error("S3 response: result_code `{code}`")]
    Refused { code: String },
    #[error("S3 response: `{field}` missing from a successful answer")]
    Missing { field: &'static str },
}

/// The unsigned plaintext message (`sign` empty, `security_type` set), as a JSON value.
pub fn build_message(cfg: &S3Config, order: &PayOrder) -> Result<Value, S3Error> {
    let (out_user_id, guest_id) = match &order.user_id {
        Some(u) => (Some(u.clone()), None),
        None => (None, Some("GUESTER".to_owned())),
    };
    let msg = CreatePayOrderRequest {
        new_base_data: BaseData {
            version: cfg.version.clone(),
            platform: cfg.platform.clone(),
            request_id: order.request_id.clone(),
            out_user_id,
            guest_id,
            client_user_id: None,
            service_name: BaseData::SERVICE_CREATE_PAY_ORDER.to_owned(),
            language: 0,
            merchant_id: cfg.merchant_id.clone(),
            appid: Some(cfg.appid.clone()),
            time_stamp: order.time_stamp.clone(),
            compress_type: if cfg.gzip {
                BaseData::COMPRESS_GZIP
            } else {
                BaseData::COMPRESS_NONE
            }
            .to_owned(),
        },
        new_biz_data: BizData {
            pay_type: 1,
            pay_way: cfg.pay_way.clone(),
            settlement_id: cfg.settlement_id.clone(),
            appid: cfg.appid.clone(),
            out_trade_id: order.reference.to_string(),
            coin_amount: None,
            coin_type: None,
            pay_amount: order.amount.minor(),
            pay_currency: order.amount.currency().code().to_owned(),
            product_subject: order.items.clone(),
            notify_url: cfg.notify_url.clone(),
            merchant_url: order.merchant_url.clone(),
            callback_url: order.callback_url.clone(),
            pay_expire: order.pay_expire_min,
            risk_extend: None,
            security_type: cfg.alg.security_type().to_owned(),
            sign: String::new(),
            brand_model: None,
        },
    };
    serde_json::to_value(&msg).map_err(|_| S3Error::Build("message not serialisable".into()))
}

/// The exact string the edge signs (WebCrypto) for `message`.
///
/// # Errors
/// The message is not a JSON object that canonicalises.
pub fn signing_string(message: &Value) -> Result<String, S3Error> {
    signed_json::signing_string(message).map_err(|e| S3Error::Build(e.to_string()))
}

/// Puts `security_type` and the base64 signature `sig` into `newBizData`, exactly where
/// `signed_json::sign` puts them.
///
/// # Errors
/// The message has no `newBizData` object.
pub fn insert_signature(message: &mut Value, alg: SignAlg, sig: String) -> Result<(), S3Error> {
    let target = sign::SIGNATURE_HOLDERS
        .into_iter()
        .find(|name| message.get(name).is_some_and(Value::is_object))
        .ok_or(S3Error::Build("message has no newBizData object".into()))?;
    let holder = message
        .get_mut(target)
        .and_then(Value::as_object_mut)
        .ok_or(S3Error::Build("message has no newBizData object".into()))?;
    holder.insert(
        SECURITY_TYPE.to_owned(),
        Value::String(alg.security_type().to_owned()),
    );
    holder.insert(SIGN.to_owned(), Value::String(sig));
    Ok(())
}

/// `{"res_data": ...}` for a signed message, encrypted to the platform key.
///
/// # Errors
/// The message does not serialise or encrypt.
pub fn encrypt_envelope(
    cfg: &S3Config,
    signed: &Value,
    rng: &mut impl rand_core::CryptoRngCore,
) -> Result<Value, S3Error> {
    sign::encode_res_data(signed, &cfg.platform_public_key, cfg.gzip, rng)
        .map_err(|e| S3Error::Build(e.to_string()))
}

/// Verifies and reads the platform's answer. Order: HTTP status, strict JSON, no
/// `res_data`, signature (and its strength), then `result_code`, then the fields.
///
/// # Errors
/// [`S3Error`] naming the first thing wrong; `BadSignature` is opaque.
pub fn parse_response(
    platform_public_key: &PublicKey,
    want: SignAlg,
    resp: &Response,
) -> Result<Created, S3Error> {
    if !resp.is_success() {
        return Err(S3Error::Http {
            status: resp.status,
        });
    }
    // Strict: a repeated member name would let the verifier and the reader see
    // different values.
    let v = jcs::parse_strict(&resp.body).map_err(|_| S3Error::Response {
        reason: "body is not JSON (or repeats a member name)",
    })?;
    if v.get(RES_DATA).is_some() {
        return Err(S3Error::Response {
            reason: "encrypted (res_data) answers are not supported at the edge",
        });
    }
    let alg = sign::verify_message(&v, platform_public_key).map_err(|_| S3Error::BadSignature)?;
    if want == SignAlg::Rsa2 && alg == SignAlg::Rsa {
        return Err(S3Error::WeakSignature { got: alg, want });
    }
    let r: CreatePayOrderResponse = serde_json::from_value(v).map_err(|_| S3Error::Response {
        reason: "not newBaseResponseData + newBizResponseData",
    })?;
    let biz = r.new_biz_response_data;
    if !biz.result_code.is_success() {
        return Err(S3Error::Refused {
            code: biz.result_code.as_str().chars().take(64).collect(),
        });
    }
    let nonempty = |v: Option<String>, field| {
        v.filter(|s| !s.is_empty())
            .ok_or(S3Error::Missing { field })
    };
    Ok(Created {
        pay_token: nonempty(biz.pay_token, "pay_token")?,
        wk_trade_id: nonempty(biz.wk_trade_id, "wk_trade_id")?,
        alg,
    })
}

/// `createPayOrder` for a signed message: encrypted to the platform key, posted, and the
/// answer verified before it is read ([`parse_response`]).
///
/// # Errors
/// The envelope cannot be built.
pub fn create_pay_order(
    cfg: &S3Config,
    signed: &Value,
    rng: &mut impl rand_core::CryptoRngCore,
) -> Result<Exchange<Created, S3Error>, S3Error> {
    let envelope = encrypt_envelope(cfg, signed, rng)?;
    let req = Request::post_json(
        format!("{}{CREATE_PAY_ORDER_PATH}", cfg.base_url),
        &envelope,
    )
    .map_err(|_| S3Error::Build("envelope not serialisable".into()))?;
    let (key, want) = (cfg.platform_public_key.clone(), cfg.alg);
    Ok(Exchange::new(
        req,
        cfg.timeout,
        S3Error::Transport,
        move |r| parse_response(&key, want, r),
    ))
}

#[cfg(test)]
mod tests;

/// The hand-off to the platform's cashier: `{cashier_url}?pay_token=…`. Seed S3 returns
/// `pay_token` ("支付凭证PayToken，在支付请求服务中使用") but names no cashier address,
/// so the address is configuration (`KASSA_S3_CASHIER_URL`) and the token its one
/// parameter (docs/decisions.md). The cashier sends the shopper back to the order's
/// `callback_url` when done and to `merchant_url` on abandon.
///
/// # Errors
/// [`HandoffError`] when `cashier_url` is not a web URL.
pub fn cashier_handoff(
    cashier_url: &str,
    pay_token: &str,
) -> Result<crate::surfaces::handoff::Handoff, crate::surfaces::handoff::HandoffError> {
    crate::surfaces::handoff::Handoff::navigate(
        "cashier_url",
        cashier_url,
        [("pay_token", pay_token)],
    )
}
