//! Driving the demo shop page and the widget inside it, as a shopper does: pick a
//! product, buy, press the widget's buttons, type codes. Every wait polls the DOM
//! (the widget's shadow root, the page's event list) for a condition; nothing sleeps a
//! fixed time in place of checking.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};

use super::webdriver::{Browser, Element};

/// How long a screen may take to appear (the edge and the providers run locally).
pub const STEP: Duration = Duration::from_secs(30);

/// The widget's current screen, from its DOM: the `data-screen` attribute when the
/// widget sets one, else its screens' classes: `loading`, `ready`, `code`, `progress`
/// (paying or processing), `paid`, `failed` (with a retry button) / `ended` (other
/// terminal screens), `network-error`.
const SCREEN_JS: &str = r"
const root = document.getElementById('checkout').shadowRoot;
if (!root) return null;
const tagged = root.querySelector('[data-screen]');
// The widget's `data-screen` values, folded onto this suite's coarser names.
const fold = {paying: 'progress', processing: 'progress', expired: 'ended', cancelled: 'ended', error: 'network-error'};
if (tagged) { const t = tagged.getAttribute('data-screen'); return fold[t] || t; }
if (root.querySelector('.kassa-skeleton')) return 'loading';
if (root.querySelector('.kassa-summary')) return 'ready';
if (root.querySelector('.kassa-code-step')) return 'code';
if (root.querySelector('.kassa-progress')) return 'progress';
if (root.querySelector('.kassa-done.kassa-ok')) return 'paid';
const bad = root.querySelector('.kassa-done.kassa-bad');
if (bad && bad.querySelector('.kassa-detail')) return 'network-error';
if (bad) return bad.querySelector('button') ? 'failed' : 'ended';
return null;
";

/// The shop page in one browser, for one locale; screenshots go to `shots`.
pub struct Shop<'a> {
    pub browser: &'a Browser,
    pub url: String,
    pub locale: &'static str,
    pub shots: PathBuf,
    /// Screenshots taken, in order (file names).
    pub taken: Vec<String>,
}

impl Shop<'_> {
    /// Opens the shop page (fresh state) and waits for its script.
    ///
    /// # Errors
    /// When the page does not load.
    pub fn open(&self) -> Result<(), String> {
        self.browser.goto(&format!("{}/", self.url))?;
        self.browser
            .wait_for("the shop script", STEP, "return !!window.kassaDemo;", &[])
            .map(drop)
    }

    /// The current screen (see [`SCREEN_JS`]).
    ///
    /// # Errors
    /// On a WebDriver error.
    pub fn screen(&self) -> Result<Option<String>, String> {
        Ok(self
            .browser
            .exec(SCREEN_JS, &[])?
            .as_str()
            .map(str::to_owned))
    }

    /// Waits until the widget shows `screen`.
    ///
    /// # Errors
    /// On timeout, naming the screen it stayed on.
    pub fn wait_screen(&self, screen: &str) -> Result<(), String> {
        let script =
            format!("const s = (function() {{ {SCREEN_JS} }})(); return s === arguments[0];");
        self.browser
            .wait_for(&format!("screen {screen}"), STEP, &script, &[json!(screen)])
            .map(drop)
            .map_err(|e| {
                format!(
                    "{e} (on {:?}; events: {}; widget: {})",
                    self.screen(),
                    self.events(),
                    self.widget_html()
                )
            })
    }

    /// The widget's markup (for error messages).
    #[must_use]
    pub fn widget_html(&self) -> String {
        self.browser
            .exec(
                "const r = document.getElementById('checkout').shadowRoot; return r ? r.innerHTML.slice(0, 3000) : '';",
                &[],
            )
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The page's event log, one line per event.
    #[must_use]
    pub fn events(&self) -> String {
        self.browser
            .exec(
                "return [...document.querySelectorAll('#events li')].map(l => l.textContent).join('\\n');",
                &[],
            )
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Waits for a line of `list` (`events`, `webhooks`, `inbox`) containing `needle`.
    ///
    /// # Errors
    /// On timeout.
    pub fn wait_line(&self, list: &str, needle: &str) -> Result<String, String> {
        let v = self.browser.wait_for(
            &format!("{needle:?} in #{list}"),
            STEP,
            "return [...document.querySelectorAll('#' + arguments[0] + ' li')].map(l => l.textContent).find(t => t.includes(arguments[1])) || null;",
            &[json!(list), json!(needle)],
        )?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// CSP violations the page recorded (`securitypolicyviolation` events).
    ///
    /// # Errors
    /// On a WebDriver error.
    pub fn csp_violations(&self) -> Result<Value, String> {
        self.browser.exec(
            "return window.kassaDemo ? window.kassaDemo.cspViolations : [];",
            &[],
        )
    }

    /// An element of the page (`#id`).
    ///
    /// # Errors
    /// When it is not there.
    pub fn page_el(&self, css: &str) -> Result<Element, String> {
        self.browser
            .find_by_script(
                "return document.querySelector(arguments[0]);",
                &[json!(css)],
            )?
            .ok_or_else(|| format!("page: no {css}"))
    }

    /// An element inside the widget's shadow root, waited for.
    ///
    /// # Errors
    /// On timeout.
    pub fn widget_el(&self, css: &str) -> Result<Element, String> {
        let script = "const r = document.getElementById('checkout').shadowRoot; \
                      const e = r && r.querySelector(arguments[0]); \
                      return e && !e.disabled ? e : null;";
        self.browser
            .wait_for(&format!("widget {css}"), STEP, script, &[json!(css)])?;
        self.browser
            .find_by_script(script, &[json!(css)])?
            .ok_or_else(|| format!("widget: no {css}"))
    }

    /// Text of an element inside the widget (empty when absent).
    ///
    /// # Errors
    /// On a WebDriver error.
    pub fn widget_text(&self, css: &str) -> Result<String, String> {
        Ok(self
            .browser
            .exec(
                "const r = document.getElementById('checkout').shadowRoot; \
                 const e = r && r.querySelector(arguments[0]); return e ? e.textContent : '';",
                &[json!(css)],
            )?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Sets a `<select>` of the page.
    ///
    /// # Errors
    /// On a WebDriver error.
    pub fn select(&self, id: &str, value: &str) -> Result<(), String> {
        self.browser
            .exec(
                "const s = document.getElementById(arguments[0]); s.value = arguments[1]; \
                 return s.value === arguments[1];",
                &[json!(id), json!(value)],
            )
            .and_then(|v| {
                if v == json!(true) {
                    Ok(())
                } else {
                    Err(format!("#{id}: no option {value}"))
                }
            })
    }

    /// Types the shopper id into the page's field (replacing what is there).
    ///
    /// # Errors
    /// On a WebDriver error.
    pub fn set_user(&self, user: &str) -> Result<(), String> {
        self.browser
            .exec("document.getElementById('user').value = '';", &[])?;
        let el = self.page_el("#user")?;
        self.browser.type_text(&el, user)
    }

    /// Buys `product` as `user` and waits for the widget's summary; answers the order id.
    ///
    /// # Errors
    /// When the order is not created or the widget does not get ready.
    pub fn buy(
        &self,
        product: &str,
        user: &str,
        expires_in: Option<u32>,
    ) -> Result<String, String> {
        self.select("product", product)?;
        self.select("locale", self.locale)?;
        self.select(
            "expiry",
            &expires_in.map(|s| s.to_string()).unwrap_or_default(),
        )?;
        self.set_user(user)?;
        let before = self.order_id()?;
        self.browser.click(&self.page_el("#buy")?)?;
        let id = self.browser.wait_for(
            "a new order in the widget",
            STEP,
            "const r = document.getElementById('checkout').shadowRoot; \
             const e = r && r.querySelector('[data-order-id]'); \
             const id = e && e.getAttribute('data-order-id'); \
             return id && id !== arguments[0] ? id : null;",
            &[json!(before)],
        )?;
        self.wait_screen("ready")?;
        Ok(id.as_str().unwrap_or_default().to_owned())
    }

    fn order_id(&self) -> Result<String, String> {
        Ok(self
            .browser
            .exec(
                "const r = document.getElementById('checkout').shadowRoot; \
                 const e = r && r.querySelector('[data-order-id]'); \
                 return e ? e.getAttribute('data-order-id') : '';",
                &[],
            )?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Clicks a page button (`#enrol-ga`, `#trust`) and answers the notice it shows.
    ///
    /// # Errors
    /// When no notice appears.
    pub fn tool(&self, id: &str, expect: &str) -> Result<String, String> {
        self.browser
            .exec("document.getElementById('notice').textContent = '';", &[])?;
        self.browser.click(&self.page_el(&format!("#{id}"))?)?;
        let v = self.browser.wait_for(
            &format!("the notice of #{id}"),
            STEP,
            "const t = document.getElementById('notice').textContent; return t.includes(arguments[0]) ? t : null;",
            &[json!(expect)],
        )?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// Presses the summary's pay button.
    ///
    /// # Errors
    /// When it is not there.
    pub fn pay(&self) -> Result<(), String> {
        self.browser
            .click(&self.widget_el(".kassa-summary .kassa-primary")?)
    }

    /// Types a 6-digit code into the code field (clearing it first) and submits.
    ///
    /// # Errors
    /// When the field or the button is not there.
    pub fn submit_code(&self, code: &str) -> Result<(), String> {
        let input = self.widget_el("#kassa-code")?;
        // Backspaces, not a script: the widget's input handler sees real edits.
        self.browser.type_text(&input, &"\u{E003}".repeat(6))?;
        self.browser.type_text(&input, code)?;
        self.browser
            .click(&self.widget_el(".kassa-code-step button[type=submit]")?)
    }

    /// Saves `docs/screenshots/<locale>-<flow>-<screen>.png`.
    ///
    /// # Errors
    /// On a WebDriver or file error.
    pub fn shot(&mut self, flow: &str, screen: &str) -> Result<(), String> {
        let name = format!("{}-{flow}-{screen}.png", self.locale);
        self.browser.screenshot(&self.shots.join(&name))?;
        self.taken.push(name);
        Ok(())
    }
}
