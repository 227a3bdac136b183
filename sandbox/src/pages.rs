//! The HTML the shopper sees on the providers' pages (Ping++'s mock page and Alipay
//! gateway, the S3 cashier, Paytm's checkout and its return form): plain forms that work
//! without script, every page headed by the provider, the amount and the merchant's
//! order, and every value HTML-escaped (it comes from requests).

use super::server::Resp;

/// Escapes text for HTML content and double- or single-quoted attributes.
#[must_use]
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A whole page: `<title>` and `<h1>` are `title` (escaped); `body` is trusted HTML
/// built by the caller from escaped parts.
#[must_use]
pub fn page(status: u16, provider: &str, title: &str, body: &str) -> Resp {
    Resp::html(
        status,
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{t} — {p} sandbox</title></head>\
             <body><h1>{t}</h1>{body}</body></html>",
            t = esc(title),
            p = esc(provider),
        ),
    )
}

/// `fields` as hidden inputs, escaped.
pub fn hidden_inputs<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    fields
        .into_iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                esc(k),
                esc(v)
            )
        })
        .collect()
}

/// A form posting `fields` (hidden) to `action` with one submit button.
#[must_use]
pub fn button_form(action: &str, fields: &[(&str, &str)], label: &str) -> String {
    let hidden = hidden_inputs(fields.iter().copied());
    format!(
        "<form method=\"post\" action=\"{}\">{hidden}<button type=\"submit\">{}</button></form>",
        esc(action),
        esc(label)
    )
}

/// `minor` units of a two-decimal currency as `12.34`.
#[must_use]
pub fn major(minor: u64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// Whether `url` may be a redirect target: absolute http(s) only, so a page can never
/// be sent to `javascript:` or a relative path of the sandbox.
#[must_use]
pub fn redirectable(url: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://"))
        && !url.contains(['\r', '\n', ' ', '"', '<', '>'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_formats() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(major(0), "0.00");
        assert_eq!(major(12345), "123.45");
        assert!(redirectable("http://127.0.0.1:9/done?x=1"));
        assert!(!redirectable("javascript:alert(1)"));
        assert!(!redirectable("/relative"));
        assert!(!redirectable("http://a/\r\nSet-Cookie: x"));
        let f = button_form("/p", &[("k", "\"v\"")], "Pay");
        assert!(f.contains("value=\"&quot;v&quot;\"") && f.contains(">Pay</button>"));
    }
}
