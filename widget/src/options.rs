//! Mount options as the page passes them (a plain JS object, camelCase keys).

use serde::Deserialize;
use wasm_bindgen::{JsError, JsValue};

use kassa_shared::id::Id;
use kassa_shared::providers::s2_wallet::status::Locale;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOptions {
    order_id: Id,
    client_secret: String,
    edge: String,
    #[serde(default)]
    locale: Option<String>,
}

/// Validated mount options.
#[derive(Debug, Clone, PartialEq)]
pub struct MountOptions {
    pub order_id: Id,
    pub client_secret: String,
    pub edge: String,
    pub locale: Locale,
}

impl MountOptions {
    /// # Errors
    /// Names the option that is missing or invalid.
    pub fn from_js(value: JsValue) -> Result<Self, JsError> {
        let raw: RawOptions = serde_wasm_bindgen::from_value(value)
            .map_err(|e| JsError::new(&format!("options: {e}")))?;
        if raw.client_secret.is_empty() {
            return Err(JsError::new("options.clientSecret: must not be empty"));
        }
        if !(raw.edge.starts_with("https://") || raw.edge.starts_with("http://")) {
            return Err(JsError::new("options.edge: must be an http(s) URL"));
        }
        let locale = match raw.locale.as_deref() {
            None => Locale::EnUs,
            Some(tag) => Locale::from_tag(tag).ok_or_else(|| {
                JsError::new(&format!(
                    "options.locale: unsupported locale {tag:?} (zh-CN, en-US)"
                ))
            })?,
        };
        Ok(Self {
            order_id: raw.order_id,
            client_secret: raw.client_secret,
            edge: raw.edge,
            locale,
        })
    }
}
