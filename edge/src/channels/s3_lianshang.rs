//! S3 (Lianshang) `POST /pai/createPayOrder` (seed S3, SPEC 3.5, 4.1, 4.2).
//!
//! Request: `newBaseData` + `newBizData` built from the order, signed over the RFC 8785
//! string of the whole message minus `sign`/`security_type` — the signature made by
//! **WebCrypto** (SPEC 4.4), the string by `shared` — then optionally gzipped, encrypted
//! in `k − 11`-byte blocks with the platform's public key (`shared`, RNG from
//! `getrandom`'s JS backend) and posted as `{"res_data": "..."}`.
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

use kassa_shared::callback::ProviderRef;
use kassa_shared::crypto::jcs;
use kassa_shared::crypto::signed_json::{self, SECURITY_TYPE, SIGN};
use kassa_shared::crypto::{PublicKey, SignAlg};
use kassa_shared::money::Money;
use kassa_shared::providers::s3_lianshang::sign::{self as s3sign, RES_DATA};
use kassa_shared::providers::s3_lianshang::wire::{
    BaseData, BizData, CreatePayOrderRequest, CreatePayOrderResponse, ProductSubject,
};
use kassa_shared::providers::serde_util::Redacted;
use serde_json::Value;

use super::http::{self, OutboundRequest, OutboundResponse, TransportError};
use crate::webcrypto::{SigningKey, WebCryptoError};

pub const CREATE_PAY_ORDER_PATH: &str = "/pai/createPayOrder";

/// S3 settings. `Debug` redacts the merchant private key.
#[derive(Debug, Clone)]
pub struct S3Config {
    pub base_url: String,
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
    /// for every merchant (`kassa_shared::providers::s3_lianshang::callback`).
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
    #[error(transparent)]
    WebCrypto(#[from] WebCryptoError),
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

/// Signs `message` in place with WebCrypto: the signing string from `shared`, then
/// `security_type` + `sign` in `newBizData`, exactly where `signed_json::sign` puts them.
pub async fn sign_message(message: &mut Value, key: &SigningKey) -> Result<(), S3Error> {
    let text = signed_json::signing_string(message).map_err(|e| S3Error::Build(e.to_string()))?;
    let sig = key.sign_base64(text.as_bytes()).await?;
    let target = s3sign::SIGNATURE_HOLDERS
        .into_iter()
        .find(|name| message.get(name).is_some_and(Value::is_object))
        .ok_or(S3Error::Build("message has no newBizData object".into()))?;
    let holder = message
        .get_mut(target)
        .and_then(Value::as_object_mut)
        .ok_or(S3Error::Build("message has no newBizData object".into()))?;
    holder.insert(
        SECURITY_TYPE.to_owned(),
        Value::String(key.alg().security_type().to_owned()),
    );
    holder.insert(SIGN.to_owned(), Value::String(sig));
    Ok(())
}

/// `{"res_data": ...}` for a signed message, encrypted to the platform key.
pub fn encrypt_envelope(cfg: &S3Config, signed: &Value) -> Result<Value, S3Error> {
    s3sign::encode_res_data(
        signed,
        &cfg.platform_public_key,
        cfg.gzip,
        &mut rand_core::OsRng,
    )
    .map_err(|e| S3Error::Build(e.to_string()))
}

/// The whole request: build, sign (WebCrypto), encrypt.
pub async fn build_request(
    cfg: &S3Config,
    key: &SigningKey,
    order: &PayOrder,
) -> Result<OutboundRequest, S3Error> {
    let mut message = build_message(cfg, order)?;
    sign_message(&mut message, key).await?;
    let envelope = encrypt_envelope(cfg, &message)?;
    OutboundRequest::post_json(
        format!("{}{CREATE_PAY_ORDER_PATH}", cfg.base_url),
        &envelope,
    )
    .map_err(|_| S3Error::Build("envelope not serialisable".into()))
}

/// Verifies and reads the platform's answer. Order: HTTP status, strict JSON, no
/// `res_data`, signature (and its strength), then `result_code`, then the fields.
pub fn parse_response(cfg: &S3Config, resp: &OutboundResponse) -> Result<Created, S3Error> {
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
    let alg =
        s3sign::verify_message(&v, &cfg.platform_public_key).map_err(|_| S3Error::BadSignature)?;
    if cfg.alg == SignAlg::Rsa2 && alg == SignAlg::Rsa {
        return Err(S3Error::WeakSignature {
            got: alg,
            want: cfg.alg,
        });
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

/// `createPayOrder` end to end.
pub async fn create_pay_order(
    cfg: &S3Config,
    key: &SigningKey,
    order: &PayOrder,
) -> Result<Created, S3Error> {
    let req = build_request(cfg, key, order).await?;
    let resp = http::send(&req, cfg.timeout).await?;
    parse_response(cfg, &resp)
}
