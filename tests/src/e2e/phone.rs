//! A phone-sized headless Chromium for the widget's own browser test
//! (`tests/tests/e2e_widget.rs`): [`super::webdriver::Browser`] started with a 375 px
//! wide viewport (the narrowest common phone), so scripts, awaited scripts, real
//! keyboard input through WebDriver actions (Tab, Shift+Tab, Enter, digits — what a
//! keyboard-only shopper presses) and screenshots are the browser facade's own.

use std::ops::Deref;

use super::webdriver::Browser;

/// The viewport: 375 CSS px wide (iPhone SE to 13 mini), tall enough for every screen.
pub const WIDTH: u32 = 375;
pub const HEIGHT: u32 = 900;

/// WebDriver's key codes for the keys a keyboard-only shopper uses.
pub const TAB: char = '\u{E004}';
pub const ENTER: char = '\u{E007}';

/// One narrow browser session; it ends on drop.
pub struct Phone(Browser);

impl Phone {
    /// Starts chromedriver and a 375 px wide session in `lang`.
    ///
    /// # Errors
    /// When chromedriver or Chromium does not start.
    pub fn start(lang: &str) -> Result<Self, String> {
        Browser::start_sized(lang, Some((WIDTH, HEIGHT))).map(Self)
    }
}

impl Deref for Phone {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.0
    }
}
