//! Mount options as the page passes them (a plain JS object, camelCase keys), read with
//! `Reflect` (no serde in the bundle, see `json.rs`). The `<kassa-checkout>` element
//! builds the same object from its attributes.

use wasm_bindgen::{JsError, JsValue};

use kassa_shared::id::Id;
use kassa_shared::surfaces::s2::status::Locale;

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
    /// `returnUrl`: the page the provider sends the shopper back to (SPEC 8); the
    /// current page when absent. The edge takes only a page of an allowed origin.
    pub return_url: Option<String>,
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

/// The edge the widget may talk to: `https://` anywhere; `http://` only on this machine
/// (`localhost`, `127.0.0.0/8`, `[::1]`), for development. Over plain HTTP anyone on the
/// shopper's network could read the `client_secret` and the codes and rewrite the
/// answers (issue 14), so a page that passes an `http://` edge elsewhere gets an error,
/// not a checkout.
///
/// # Errors
/// The reason, for the message `options.edge: <reason>`.
pub fn check_edge(edge: &str) -> Result<(), &'static str> {
    if edge.starts_with("https://") {
        return Ok(());
    }
    let Some(rest) = edge.strip_prefix("http://") else {
        return Err("must be an https:// URL");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    let loopback = !authority.contains('@')
        && (host.eq_ignore_ascii_case("localhost")
            || host == "::1"
            || host.strip_prefix("127.").is_some_and(|r| {
                r.split('.').count() == 3 && r.split('.').all(|p| p.parse::<u8>().is_ok())
            }));
    if loopback {
        Ok(())
    } else {
        Err("must be an https:// URL (http:// only for localhost)")
    }
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
        check_edge(&edge).map_err(|reason| JsError::new(&format!("options.edge: {reason}")))?;
        let locale = match o.get("locale").opt_string().map_err(|e| err(&e))? {
            None => Locale::EnUs,
            Some(tag) => Locale::from_tag(&tag).ok_or_else(|| {
                JsError::new(&format!(
                    "options.locale: unsupported locale {tag} (zh-CN, en-US)"
                ))
            })?,
        };
        let return_url = o.get("returnUrl").opt_string().map_err(|e| err(&e))?;
        if let Some(url) = &return_url {
            if !kassa_shared::surfaces::handoff::is_web_url(url) {
                return Err(JsError::new(
                    "options.returnUrl: must be an absolute http(s) URL",
                ));
            }
        }
        Ok(Self {
            order_id,
            client_secret,
            edge,
            locale,
            theme: theme(&o.get("theme"))?,
            return_url,
        })
    }
}
