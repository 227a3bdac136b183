//! This browser's device id, for the edge's "new device" rule (SPEC 5: a new device
//! needs a second factor). 128 random bits (`getrandom`, i.e. `crypto.getRandomValues`)
//! as hex, kept in `localStorage` under [`STORAGE_KEY`] so the next checkout in this
//! browser sends the same id; the edge records it after a code-verified pay and lets a
//! trusted shopper's small orders `quick_pay` from it without a code.
//!
//! It identifies the browser profile, not the person, and only the edge sees it. Where
//! storage is blocked (third-party frames, private modes) the id lives as long as the
//! page: the shopper is then asked for a code each visit, which is the safe side.

use std::cell::RefCell;

/// The `localStorage` key (the `kassa:` prefix keeps clear of the merchant's own keys).
pub const STORAGE_KEY: &str = "kassa:device";

thread_local! {
    static CURRENT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A stored value is used only if it is what [`id`] writes: 32 lower-case hex digits.
#[must_use]
pub fn is_valid(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn storage() -> Option<web_sys::Storage> {
    // `localStorage` throws (SecurityError) where the browser blocks it.
    web_sys::window()?.local_storage().ok().flatten()
}

/// The device id: the stored one, else this page's, else a new one — written back to
/// storage when it allows. `None` only without a CSPRNG; the edge then treats every
/// visit as a new device.
#[must_use]
pub fn id() -> Option<String> {
    let store = storage();
    let stored = store
        .as_ref()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .filter(|v| is_valid(v));
    if stored.is_some() {
        return stored;
    }
    let id = match CURRENT.with(|c| c.borrow().clone()) {
        Some(id) => id,
        None => {
            let mut bytes = [0u8; 16];
            getrandom::fill(&mut bytes).ok()?;
            crate::api::hex(&bytes)
        }
    };
    if let Some(s) = &store {
        // Quota or a blocked write: the id still serves this page.
        let _ = s.set_item(STORAGE_KEY, &id);
    }
    CURRENT.with(|c| *c.borrow_mut() = Some(id.clone()));
    Some(id)
}
