//! What the widget API answers beyond the order itself: `load_pay_data`'s `userInfo`
//! (masked contact, the merchant's profile fields) and a code send's stored code with
//! the notifier's message. Pure: the edge brings the randomness, the pepper and the clock.

use serde_json::{json, Value};

use super::requests::user_binding;
use super::wire::{AuthType, UserInfo};
use crate::crypto::secret::Secret;
use crate::envelope_render::Failure;
use crate::id::Id;
use crate::mask;
use crate::second_factor::{self, StoredCode};
use crate::surfaces::merchant::order::User;

/// `load_pay_data`'s `userInfo`: contact masked, unset profile numbers 0.
#[must_use]
pub fn user_info(user: &User, bind_ga: bool, bind_trade_pwd: bool) -> UserInfo {
    let p = &user.profile;
    UserInfo {
        user_id: user.id.clone(),
        register_type: p.register_type.unwrap_or(0),
        mobile: user.mobile.as_deref().map(mask::mobile),
        national_code: p.national_code.clone(),
        email: user.email.as_deref().map(mask::email),
        bind_ga,
        bind_trade_pwd,
        user_type: p.user_type.unwrap_or(0),
        verify_status: p.verify_status.unwrap_or(0),
        source: p.source.clone(),
    }
}

/// A code send of order `order` to `user_id` at `now_ms`, from 40 random bytes (32 for
/// the code, 8 for the send id): the code as stored (only its MAC under `pepper`) and
/// the notifier's message — the dev outbox in development, else a signed merchant
/// webhook (the `OrderObject` decides, SPEC 6).
///
/// # Errors
/// [`Failure::Internal`] if the code cannot be made (never with 40 random bytes).
pub fn code_send(
    random: &[u8; 40],
    order: Id,
    user_id: &str,
    now_ms: u64,
    pepper: &Secret,
    (auth_type, to): (AuthType, String),
) -> Result<(StoredCode, Value), Failure> {
    let internal = |e: String| Failure::Internal(e);
    let mut send_bytes = [0u8; 8];
    send_bytes.copy_from_slice(&random[32..]);
    let send_id =
        Id::new((u64::from_be_bytes(send_bytes) >> 1) | 1).map_err(|e| internal(e.to_string()))?;
    let binding = user_binding(user_id).map_err(|e| internal(e.to_string()))?;
    let (plain, code) =
        second_factor::issue(&random[..32], order, binding, send_id, now_ms, pepper)
            .map_err(|e| internal(format!("code issue: {e}")))?;
    let dev = json!({
        "order_id": order.to_string(),
        "send_id": send_id.to_string(),
        "auth_type": auth_type,
        "to": to,
        "code": plain.expose(),
        "at_ms": now_ms,
        "expires_at_ms": code.expires_at_ms,
    });
    Ok((code, dev))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surfaces::merchant::order::UserProfile;

    #[test]
    fn user_info_masks_contact_and_defaults_numbers() {
        let user = User {
            id: "u1".into(),
            mobile: Some("13800138000".into()),
            email: None,
            profile: UserProfile::default(),
        };
        let info = user_info(&user, true, false);
        assert_eq!(
            info.mobile.as_deref(),
            Some(mask::mobile("13800138000").as_str())
        );
        assert_eq!(
            (info.email, info.bind_ga, info.bind_trade_pwd),
            (None, true, false)
        );
        assert_eq!(
            (info.register_type, info.user_type, info.verify_status),
            (0, 0, 0)
        );
    }

    #[test]
    fn a_code_send_stores_a_mac_and_tells_the_notifier_the_code() {
        let random = [7u8; 40];
        let order = Id::new(42).unwrap_or_else(|e| panic!("{e}"));
        let pepper = Secret::from("pepper");
        let to = (AuthType::Mobile, "138".to_owned());
        let (code, dev) = code_send(&random, order, "u1", 1_000, &pepper, to.clone())
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(dev["order_id"], "42");
        assert_eq!(dev["send_id"], code.send_id.to_string());
        assert_eq!(dev["to"], "138");
        assert_eq!(dev["at_ms"], 1_000);
        assert_eq!(dev["expires_at_ms"], code.expires_at_ms);
        let plain = dev["code"].as_str().unwrap_or_default();
        assert!(!plain.is_empty() && !format!("{code:?}").contains(plain));
        let (again, _) =
            code_send(&random, order, "u1", 1_000, &pepper, to).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(again.send_id, code.send_id);
    }
}
