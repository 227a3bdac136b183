//! Paytm's wire types (seed S1, SPEC 3.3, 3.4 "paytm"): the form parameters Kassa hands
//! the widget to post to Paytm's process page, and the callback Paytm posts back to
//! `/callback/paytm`. The CHECKSUMHASH over them is [`super::checksum`]'s business.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::status::TxnStatus;

/// The Paytm form parameters `preOrder` returns for `payType` 1; the widget posts them
/// to Paytm's process URL. The seed prints them as a Java `Map.toString()`
/// (`MID=…, ORDER_ID=…`), i.e. a string-to-string map: every value is a JSON string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct PaytmForm {
    pub mid: String,
    pub order_id: String,
    pub cust_id: String,
    pub industry_type_id: String,
    pub channel_id: String,
    /// Rupees with up to two decimals (`"2"` and `"2.00"` are one amount, SPEC 2); kept
    /// as the string that was signed — the money parser reads it.
    pub txn_amount: String,
    pub website: String,
    pub callback_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_no: Option<String>,
    #[serde(rename = "CHECKSUMHASH")]
    pub checksum_hash: String,
}

/// What Paytm posts to `/callback/paytm` (form-encoded or JSON; the seed says only
/// "JSON[透传paytm 数据]", pass-through). Every value is a string, as in a form.
/// Fields Kassa does not name are kept in `extra`: the CHECKSUMHASH covers all of them,
/// so none may be dropped before verification or re-serialisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct PaytmCallback {
    #[serde(rename = "ORDERID")]
    pub order_id: String,
    /// Paytm leaves it out (or empty) when no transaction was created.
    #[serde(rename = "TXNID", default, skip_serializing_if = "Option::is_none")]
    pub txn_id: Option<String>,
    /// Rupees, as [`PaytmForm::txn_amount`].
    #[serde(rename = "TXNAMOUNT")]
    pub txn_amount: String,
    pub status: TxnStatus,
    #[serde(rename = "RESPCODE")]
    pub resp_code: String,
    #[serde(rename = "RESPMSG")]
    pub resp_msg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mid: Option<String>,
    #[serde(rename = "BANKTXNID", default, skip_serializing_if = "Option::is_none")]
    pub bank_txn_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(
        rename = "GATEWAYNAME",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub gateway_name: Option<String>,
    #[serde(
        rename = "PAYMENTMODE",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub payment_mode: Option<String>,
    #[serde(rename = "BANKNAME", default, skip_serializing_if = "Option::is_none")]
    pub bank_name: Option<String>,
    #[serde(rename = "TXNDATE", default, skip_serializing_if = "Option::is_none")]
    pub txn_date: Option<String>,
    #[serde(
        rename = "CHECKSUMHASH",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_hash: Option<String>,
    /// Any other field Paytm sent, verbatim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}
