//! Every branch of the credential rules: each kind of token on each kind of route.

use super::*;
use crate::id::Id;

const KEY: &[u8] = b"a test key of the client secrets";
const NOW: u64 = 1_700_000_000;

fn secret() -> String {
    let claims = Claims {
        order_id: Id::new(42).unwrap_or_else(|e| panic!("{e}")),
        user_id: "u1".into(),
        expires_at: NOW + 600,
    };
    client_secret::issue(KEY, &claims, NOW).unwrap_or_else(|e| panic!("{e}"))
}

fn user(epoch: u64) -> String {
    let claims = UserClaims {
        user_id: "u1".into(),
        epoch,
        expires_at: NOW + 600,
    };
    user_token::issue(KEY, &claims, NOW).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn bearer_headers() {
    assert_eq!(bearer(Some("Bearer abc ")), Some("abc".into()));
    assert_eq!(bearer(Some("Bearer   ")), None);
    assert_eq!(bearer(Some("Basic abc")), None);
    assert_eq!(bearer(None), None);
}

#[test]
fn the_merchant_key() {
    assert_eq!(merchant(Some("sk"), "sk"), Ok(()));
    assert_eq!(merchant(Some("sx"), "sk"), Err(Failure::Unauthorized));
    assert_eq!(merchant(Some(""), ""), Err(Failure::Unauthorized));
    assert_eq!(merchant(None, "sk"), Err(Failure::Unauthorized));
}

#[test]
fn order_routes_take_a_client_secret_only() {
    let c = order_credential(KEY, &secret(), NOW, Field::Authorization);
    assert_eq!(c.map(|c| c.user_id), Ok("u1".into()));
    for field in [Field::Authorization, Field::Auth] {
        assert_eq!(
            order_credential(KEY, &user(0), NOW, field),
            Err(Failure::Forbidden(field.user_token_on_order()))
        );
    }
    assert_eq!(
        order_credential(KEY, "kcs_forged", NOW, Field::Auth),
        Err(Failure::Unauthorized)
    );
    assert_eq!(
        order_credential(KEY, &secret(), NOW + 601, Field::Auth),
        Err(Failure::Unauthorized)
    );
}

#[test]
fn user_routes_take_a_current_user_token_only() {
    let c = user_credential(KEY, &user(3), NOW, Field::Auth).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(c.epoch, 3);
    assert_eq!(current(c.clone(), 3).map(|c| c.user_id), Ok("u1".into()));
    assert_eq!(current(c, 4), Err(Failure::Unauthorized));
    for field in [Field::Authorization, Field::Auth] {
        assert_eq!(
            user_credential(KEY, &secret(), NOW, field),
            Err(Failure::Forbidden(field.client_secret_on_user()))
        );
    }
    assert_eq!(
        user_credential(KEY, "kut_forged", NOW, Field::Authorization),
        Err(Failure::Unauthorized)
    );
    assert!(Field::Auth.client_secret_on_user().starts_with("auth: "));
    assert!(Field::Authorization
        .user_token_on_order()
        .starts_with("Authorization: "));
}
