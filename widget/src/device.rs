//! This browser's device token, for the edge's "new device" rule (SPEC 5: a new device
//! needs a second factor). The edge issues it — `kd1.<device id>.<MAC>`, signed with an
//! edge secret and bound to the user (`kassa_shared::crypto::device_token`) — in the
//! answer to a pay that passed a code; the widget keeps it in `localStorage` under
//! [`STORAGE_KEY`] and sends it back as `device_id` with `load_pay_data`, `pay` and
//! `quick_pay`, so a trusted shopper's small orders in this browser `quick_pay` without
//! a code. The widget never makes one up: a browser without a token is a new device,
//! and a string it chose would not verify at the edge anyway.
//!
//! It identifies the browser profile, not the person, and only the edge reads it. Where
//! storage is blocked (third-party frames, private modes) the token lives as long as
//! the page: the shopper is then asked for a code each visit, which is the safe side.

use std::cell::RefCell;

/// The `localStorage` key (the `kassa:` prefix keeps clear of the merchant's own keys).
pub const STORAGE_KEY: &str = "kassa:device";

thread_local! {
    static CURRENT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The token's shape (`kd1.` + 32 + `.` + 64 lower-case hex digits): anything else in
/// storage is ignored. Only the edge can tell whether it is genuine.
#[must_use]
pub fn is_valid(token: &str) -> bool {
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    token
        .strip_prefix("kd1.")
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(id, mac)| hex(id, 32) && hex(mac, 64))
}

fn storage() -> Option<web_sys::Storage> {
    // `localStorage` throws (SecurityError) where the browser blocks it.
    web_sys::window()?.local_storage().ok().flatten()
}

/// The device token: the stored one, else the one this page was given, else `None`
/// (a new device).
#[must_use]
pub fn id() -> Option<String> {
    let stored = storage()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .filter(|v| is_valid(v));
    stored.or_else(|| CURRENT.with(|c| c.borrow().clone()))
}

/// Keeps a token the edge issued (ignored unless it has the token's shape).
pub fn remember(token: &str) {
    if !is_valid(token) {
        return;
    }
    if let Some(s) = storage() {
        // Quota or a blocked write: the token still serves this page.
        let _ = s.set_item(STORAGE_KEY, token);
    }
    CURRENT.with(|c| *c.borrow_mut() = Some(token.to_owned()));
}
