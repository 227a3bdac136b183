//! The channel hand-off (SPEC 8 "Provider hand-off"): where the widget sends the shopper
//! when a channel needs them at the provider, as one value the edge answers `pay` /
//! `quick_pay` with (`"handoff": {...}`) and the widget carries out without knowing the
//! provider. Each provider builds its own (`providers::paytm::handoff`,
//! `providers::pingpp::handoff`, `providers::lianshang::cashier_handoff`).
//!
//! Wire shape (a Kassa extension of the S2 answers):
//! `{"method": "GET", "url": "https://…?…"}` — a top-level navigation; or
//! `{"method": "POST", "url": "https://…", "fields": {"MID": "…", …}}` — a form the
//! browser posts itself. The URL is always `http(s)`: never `javascript:` or `data:`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How the browser goes to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `location.assign(url)`.
    Get,
    /// A hidden `<form method="post">` with one input per field, submitted.
    Post,
}

/// Where and how the shopper goes next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoff {
    pub method: Method,
    pub url: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

/// Why no hand-off could be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandoffError {
    #[error("{field}: must be an absolute http(s) URL")]
    Url { field: &'static str },
    #[error("{field}: {reason}")]
    Charge {
        field: &'static str,
        reason: &'static str,
    },
    /// The channel needs an app the browser is not (Ping++ `wx_pub` in live mode runs
    /// inside WeChat's JSAPI only).
    #[error("channel {channel}: cannot be opened from a web page")]
    Unsupported { channel: String },
}

/// `url` is an absolute `http://` or `https://` URL with a host.
#[must_use]
pub fn is_web_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !r.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

/// The origin (`scheme://host[:port]`) of a web URL, as a browser's `Origin` header
/// spells it, or `None` for anything else.
#[must_use]
pub fn origin(url: &str) -> Option<&str> {
    if !is_web_url(url) {
        return None;
    }
    let scheme_end = url.find("://")? + 3;
    let end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    let origin = &url[..end];
    // A user-info part (`https://shop@evil/`) would make the host something else.
    (!origin[scheme_end..].contains('@')).then_some(origin)
}

impl Handoff {
    /// A navigation to `base` with `query` appended (form-urlencoded; `base` may carry a
    /// query of its own).
    ///
    /// # Errors
    /// [`HandoffError::Url`] naming `field` when `base` is not a web URL.
    pub fn navigate<'a>(
        field: &'static str,
        base: &str,
        query: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, HandoffError> {
        if !is_web_url(base) {
            return Err(HandoffError::Url { field });
        }
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.extend_pairs(query);
        let q = q.finish();
        let url = if q.is_empty() {
            base.to_owned()
        } else if base.contains('?') {
            format!("{base}&{q}")
        } else {
            format!("{base}?{q}")
        };
        Ok(Self {
            method: Method::Get,
            url,
            fields: BTreeMap::new(),
        })
    }

    /// A form post of `fields` to `url`.
    ///
    /// # Errors
    /// [`HandoffError::Url`] naming `field` when `url` is not a web URL.
    pub fn form_post(
        field: &'static str,
        url: &str,
        fields: BTreeMap<String, String>,
    ) -> Result<Self, HandoffError> {
        if !is_web_url(url) {
            return Err(HandoffError::Url { field });
        }
        Ok(Self {
            method: Method::Post,
            url: url.to_owned(),
            fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_are_destinations() {
        for ok in ["https://a.example/x?y=1", "http://127.0.0.1:8/p"] {
            assert!(is_web_url(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "https://",
            "//a.example/",
            "https://a b/",
            "ftp://a.example/",
        ] {
            assert!(!is_web_url(bad), "{bad}");
            assert_eq!(
                Handoff::navigate("url", bad, []),
                Err(HandoffError::Url { field: "url" })
            );
        }
    }

    #[test]
    fn an_origin_is_scheme_host_and_port() {
        assert_eq!(
            origin("https://shop.example/pay?x=1"),
            Some("https://shop.example")
        );
        assert_eq!(
            origin("http://127.0.0.1:8080"),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin("http://127.0.0.1:8080#f"),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin("https://shop.example@evil.example/"), None);
        assert_eq!(origin("javascript:alert(1)//https://shop.example"), None);
    }

    #[test]
    fn a_navigation_appends_its_query_encoded() {
        let h = Handoff::navigate("url", "https://p.example/c?x=1", [("t", "a b&c")]).unwrap();
        assert_eq!(h.url, "https://p.example/c?x=1&t=a+b%26c");
        let json = serde_json::to_value(&h).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"method": "GET", "url": "https://p.example/c?x=1&t=a+b%26c"})
        );
    }

    #[test]
    fn a_form_post_carries_its_fields() {
        let fields = BTreeMap::from([("MID".to_owned(), "m1".to_owned())]);
        let h = Handoff::form_post("url", "https://p.example/t", fields).unwrap();
        assert_eq!(
            serde_json::to_value(&h).unwrap(),
            serde_json::json!({"method": "POST", "url": "https://p.example/t", "fields": {"MID": "m1"}})
        );
    }
}
