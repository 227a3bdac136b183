//! Device tokens (SPEC 5 "new device"; issue 14, low item): the "known device" the risk
//! engine trusts is one the **edge** vouched for, not a string the browser chose.
//!
//! After a pay that passed a second factor the edge issues
//! `kd1.<device id: 32 lower-case hex>.<MAC: 64 lower-case hex>`, the MAC an
//! HMAC-SHA256 over the user id and the device id under a key derived from an edge
//! secret ([`derive_key`]). The widget keeps the token and sends it back as
//! `device_id`; the edge believes the device id only when the MAC verifies for the
//! token's user ([`verify`], constant time). Anything else — a random string, a device
//! id copied without its MAC, another user's token — is a new device, so it gets no
//! code-free `quick_pay`.
//!
//! Pure: the device id's random bytes come from the caller.

use super::{ct, hmac_sha256};

/// The token's version prefix.
pub const PREFIX: &str = "kd1.";
/// Bytes of randomness in a device id.
pub const DEVICE_ID_BYTES: usize = 16;

const KEY_LABEL: &[u8] = b"kassa device-token key v1";
const MAC_LABEL: &[u8] = b"kassa device v1";

/// The token key, derived from an edge secret (e.g. `KASSA_CLIENT_SECRET_KEY`) under
/// its own label, so no other MAC made with that secret can pass for a device token.
#[must_use]
pub fn derive_key(secret: &[u8]) -> [u8; 32] {
    hmac_sha256(secret, &[KEY_LABEL])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn mac(key: &[u8; 32], user_id: &str, device: &str) -> String {
    // Lengths first, so (user, device) pairs cannot be re-split.
    let lens = [user_id.len() as u64, device.len() as u64].map(u64::to_be_bytes);
    hex(&hmac_sha256(
        key,
        &[
            MAC_LABEL,
            &lens[0],
            user_id.as_bytes(),
            &lens[1],
            device.as_bytes(),
        ],
    ))
}

/// A token for `user_id` on the device whose id is the hex of `random`.
#[must_use]
pub fn issue(key: &[u8; 32], user_id: &str, random: &[u8; DEVICE_ID_BYTES]) -> String {
    let device = hex(random);
    let tag = mac(key, user_id, &device);
    format!("{PREFIX}{device}.{tag}")
}

/// The token's device id when `token` is one [`issue`] made for `user_id` with `key`;
/// `None` for anything else.
#[must_use]
pub fn verify(key: &[u8; 32], user_id: &str, token: &str) -> Option<String> {
    let rest = token.strip_prefix(PREFIX)?;
    let (device, tag) = rest.split_once('.')?;
    let lower_hex = |s: &str, n: usize| {
        s.len() == n && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    if !lower_hex(device, 2 * DEVICE_ID_BYTES) || !lower_hex(tag, 64) {
        return None;
    }
    ct::eq(mac(key, user_id, device).as_bytes(), tag.as_bytes()).then(|| device.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_for_their_user_only() {
        let key = derive_key(b"edge secret");
        let t = issue(&key, "u-1", &[7; 16]);
        assert!(
            t.starts_with("kd1.07070707070707070707070707070707."),
            "{t}"
        );
        assert_eq!(t.len(), 4 + 32 + 1 + 64);
        assert_eq!(
            verify(&key, "u-1", &t).as_deref(),
            Some("07070707070707070707070707070707")
        );
        // Another user, another key, the bare device id, a flipped MAC character, other
        // shapes: all new devices.
        assert_eq!(verify(&key, "u-2", &t), None);
        assert_eq!(verify(&derive_key(b"other"), "u-1", &t), None);
        assert_eq!(
            verify(&key, "u-1", "07070707070707070707070707070707"),
            None
        );
        let mut flipped = t.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            verify(&key, "u-1", &String::from_utf8(flipped).unwrap()),
            None
        );
        assert_eq!(verify(&key, "u-1", &t.to_uppercase()), None);
        assert_eq!(verify(&key, "u-1", &format!("{t}.x")), None);
        assert_eq!(verify(&key, "u-1", ""), None);
        assert_eq!(verify(&key, "u-1", "kd1.."), None);
        // (user, device) cannot be re-split: "u-1" + device ≠ "u-10" + shorter device.
        assert_ne!(mac(&key, "u-1", "0a"), mac(&key, "u-10", "a"));
    }
}
