//! Mount options as the page passes them (a plain JS object, camelCase keys), read with
//! `Reflect` (no serde in the bundle, see `json.rs`). The `<kassa-checkout>` element
//! builds the same object from its attributes.

use wasm_bindgen::{JsError, JsValue};

use kassa_shared::id::Id;
use kassa_shared::providers::s2_wallet::status::Locale;

use crate::json::Field;

/// A built-in colour scheme; both keep text at ≥ 4.5:1 (see `style.css`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    #[default]
    Light,
    Dark,
}

/// `theme`: `"light"` / `"dark"`, or an object of custom properties
/// (`{ accent: "#7b1fa2", "--kassa-radius": "0" }`, names with or without `--kassa-`),
/// optionally with `scheme`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Theme {
    pub scheme: Scheme,
    /// `(--kassa-name, value)` pairs, set on the widget's root through the CSSOM (which a
    /// CSP without `unsafe-inline` allows, unlike `style` attributes).
    pub properties: Vec<(String, String)>,
}

/// Validated mount options.
#[derive(Debug, Clone, PartialEq)]
pub struct MountOptions {
    pub order_id: Id,
    pub client_secret: String,
    pub edge: String,
    pub locale: Locale,
    pub theme: Theme,
}

fn err(e: &crate::json::DecodeError) -> JsError {
    JsError::new(&e.to_string())
}

fn scheme(v: &Field) -> Result<Scheme, JsError> {
    match v.one_of(&["light", "dark"]).map_err(|e| err(&e))? {
        0 => Ok(Scheme::Light),
        _ => Ok(Scheme::Dark),
    }
}

fn theme(v: &Field) -> Result<Theme, JsError> {
    if v.is_absent() {
        return Ok(Theme::default());
    }
    if v.value.as_string().is_some() {
        return Ok(Theme {
            scheme: scheme(v)?,
            properties: Vec::new(),
        });
    }
    let mut theme = Theme::default();
    for (name, value) in v.string_map().map_err(|e| err(&e))? {
        if name == "scheme" {
            theme.scheme = scheme(&v.get("scheme"))?;
            continue;
        }
        let bare = name.strip_prefix("--kassa-").unwrap_or(&name);
        let ok = !bare.is_empty()
            && bare
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(JsError::new(&format!(
                "options.theme.{name}: not a --kassa-* custom property name"
            )));
        }
        theme.properties.push((format!("--kassa-{bare}"), value));
    }
    Ok(theme)
}

impl MountOptions {
    /// # Errors
    /// Names the option that is missing or invalid.
    pub fn from_js(value: JsValue) -> Result<Self, JsError> {
        let o = Field::root("options", value)
            .object()
            .map_err(|e| err(&e))?;
        let order_id = o.get("orderId").id().map_err(|e| err(&e))?;
        let client_secret = o.get("clientSecret").string().map_err(|e| err(&e))?;
        let edge = o.get("edge").string().map_err(|e| err(&e))?;
        if client_secret.is_empty() {
            return Err(JsError::new("options.clientSecret: must not be empty"));
        }
        if !(edge.starts_with("https://") || edge.starts_with("http://")) {
            return Err(JsError::new("options.edge: must be an http(s) URL"));
        }
        let locale = match o.get("locale").opt_string().map_err(|e| err(&e))? {
            None => Locale::EnUs,
            Some(tag) => Locale::from_tag(&tag).ok_or_else(|| {
                JsError::new(&format!(
                    "options.locale: unsupported locale {tag} (zh-CN, en-US)"
                ))
            })?,
        };
        Ok(Self {
            order_id,
            client_secret,
            edge,
            locale,
            theme: theme(&o.get("theme"))?,
        })
    }
}
