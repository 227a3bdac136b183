//! Mount options as the page passes them (a plain JS object, camelCase keys),
//! deserialised with serde-wasm-bindgen ([`crate::json::from_js`]) and then checked.
//! The `<kassa-checkout>` element builds the same object from its attributes. Every
//! error names the option (`options.edge: must be an https:// URL`).

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use wasm_bindgen::{JsError, JsValue};

use kassa_shared::id::Id;
use kassa_shared::surfaces::s2::status::Locale;

use crate::json::{from_js, id, opt_string, string};

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
    /// `merchantName`: who is being paid, shown in the header (SPEC 8, issue 18).
    pub merchant_name: Option<String>,
    /// `earlyLoad`: the order's `load_pay_data`, started by `element.js` before the wasm
    /// was ready.
    pub early_load: Option<crate::api::Early>,
}

/// `theme`, as the page gives it: a scheme name, or custom properties (with an optional
/// `scheme`), checked by [`Theme::check`].
#[derive(Default)]
struct RawTheme {
    /// `theme` was the scheme's name itself (errors name `options.theme`).
    named: bool,
    scheme: Option<String>,
    properties: Vec<(String, String)>,
}

impl<'de> Deserialize<'de> for RawTheme {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawTheme;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"light\", \"dark\" or an object of strings")
            }
            fn visit_unit<E>(self) -> Result<RawTheme, E> {
                Ok(RawTheme::default())
            }
            fn visit_str<E>(self, v: &str) -> Result<RawTheme, E> {
                Ok(RawTheme {
                    named: true,
                    scheme: Some(v.to_owned()),
                    properties: Vec::new(),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawTheme, A::Error> {
                /// A member's value: a string, named by its path when it is not.
                struct Text(String);
                impl<'de> Deserialize<'de> for Text {
                    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                        string(d).map(Text)
                    }
                }
                let mut theme = RawTheme::default();
                while let Some(name) = map.next_key::<String>()? {
                    let Text(value) = map.next_value().map_err(|e| crate::json::at(&name, &e))?;
                    if name == "scheme" {
                        theme.scheme = Some(value);
                    } else {
                        theme.properties.push((name, value));
                    }
                }
                Ok(theme)
            }
        }
        d.deserialize_any(V)
    }
}

crate::named! {
    fn order_id -> Id = id, "orderId";
    fn client_secret -> String = string, "clientSecret";
    fn edge -> String = string, "edge";
    fn locale -> Option<String> = opt_string, "locale";
    fn theme -> RawTheme = RawTheme::deserialize, "theme";
    fn return_url -> Option<String> = opt_string, "returnUrl";
    fn merchant_name -> Option<String> = opt_string, "merchantName";
}

/// `earlyLoad`: what `element.js` started before the wasm was ready (internal between
/// the element and `mount`; `api::FirstLoad` takes it only if it is the request the
/// widget would send).
#[derive(Deserialize)]
struct RawEarly {
    #[serde(deserialize_with = "string")]
    url: String,
    #[serde(deserialize_with = "string")]
    auth: String,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    response: JsValue,
}

/// The options object as the page passes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOptions {
    #[serde(deserialize_with = "order_id")]
    order_id: Id,
    #[serde(deserialize_with = "client_secret")]
    client_secret: String,
    #[serde(deserialize_with = "edge")]
    edge: String,
    #[serde(default, deserialize_with = "locale")]
    locale: Option<String>,
    #[serde(default, deserialize_with = "theme")]
    theme: RawTheme,
    #[serde(default, deserialize_with = "return_url")]
    return_url: Option<String>,
    #[serde(default, deserialize_with = "merchant_name")]
    merchant_name: Option<String>,
    #[serde(default)]
    early_load: Option<RawEarly>,
}

fn scheme(name: &str) -> Result<Scheme, JsError> {
    match name {
        "light" => Ok(Scheme::Light),
        "dark" => Ok(Scheme::Dark),
        _ => Err(JsError::new("options.theme.scheme: unknown value")),
    }
}

impl Theme {
    fn check(raw: RawTheme) -> Result<Self, JsError> {
        let mut theme = Theme {
            scheme: match raw.scheme.as_deref() {
                None => Scheme::Light,
                Some(s) if raw.named => {
                    scheme(s).map_err(|_| JsError::new("options.theme: unknown value"))?
                }
                Some(s) => scheme(s)?,
            },
            properties: Vec::new(),
        };
        for (name, value) in raw.properties {
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
        let o = from_js("options", value, RawOptions::deserialize)
            .map_err(|e| JsError::new(&e.to_string()))?;
        if o.client_secret.is_empty() {
            return Err(JsError::new("options.clientSecret: must not be empty"));
        }
        check_edge(&o.edge).map_err(|reason| JsError::new(&format!("options.edge: {reason}")))?;
        let locale = match o.locale {
            None => Locale::EnUs,
            Some(tag) => Locale::from_tag(&tag).ok_or_else(|| {
                JsError::new(&format!(
                    "options.locale: unsupported locale {tag} (zh-CN, en-US)"
                ))
            })?,
        };
        if let Some(url) = &o.return_url {
            if !kassa_shared::surfaces::handoff::is_web_url(url) {
                return Err(JsError::new(
                    "options.returnUrl: must be an absolute http(s) URL",
                ));
            }
        }
        // Shown in the header: plain text, one line; an empty name is no name.
        let merchant_name = o
            .merchant_name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        if merchant_name
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_MERCHANT_NAME)
        {
            return Err(JsError::new(&format!(
                "options.merchantName: longer than {MAX_MERCHANT_NAME} characters"
            )));
        }
        Ok(Self {
            order_id: o.order_id,
            client_secret: o.client_secret,
            edge: o.edge,
            locale,
            theme: Theme::check(o.theme)?,
            return_url: o.return_url,
            merchant_name,
            early_load: o.early_load.map(|e| crate::api::Early {
                url: e.url,
                auth: e.auth,
                response: e.response,
            }),
        })
    }
}

/// Long enough for any shop's name; short enough for the header at 375 px (it wraps).
pub const MAX_MERCHANT_NAME: usize = 80;
