//! Signed JSON messages (SPEC 4.1), the scheme S3 (Lianshang) uses and the token wallet's
//! notifications reuse: the string to sign is the whole message with every `sign` and
//! `security_type` member removed **at any depth** (objects inside arrays included),
//! serialised with RFC 8785 (see [`super::jcs`]); the signature is base64 PKCS#1 v1.5 with
//! SHA-256 ("RSA2", default) or SHA-1 ("RSA").
//!
//! Where the two members live is the provider's business (S3 puts them inside
//! `newBizData` / `newBizResponseData`); [`sign`] takes the name of the object to put them
//! in, [`verify`] finds them wherever they are and refuses a message that carries more
//! than one `sign` or `security_type`, so there is never a question which one counts.

#[cfg(feature = "private-keys")]
use serde_json::Map;
use serde_json::Value;

use super::jcs;
#[cfg(feature = "private-keys")]
use super::keys::PrivateKey;
use super::keys::PublicKey;
use super::rsa_sig::{self, SignAlg, SignatureError};

/// The member that carries the base64 signature.
pub const SIGN: &str = "sign";
/// The member that names the algorithm ("RSA2" / "RSA").
pub const SECURITY_TYPE: &str = "security_type";

/// Why a message could not be signed or did not verify. `BadSignature` is opaque.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignedJsonError {
    #[error("message: must be a JSON object")]
    NotObject,
    #[error("message: `{member}` must be a JSON object to hold the signature")]
    TargetNotObject { member: String },
    #[error("message: no `sign` member")]
    MissingSign,
    #[error("message: `{field}` appears more than once")]
    Duplicate { field: &'static str },
    #[error("message: `{field}` must be a string")]
    NotString { field: &'static str },
    #[error(transparent)]
    SecurityType(SignatureError),
    #[error(transparent)]
    Canonical(#[from] jcs::JcsError),
    #[error("private key: signing failed")]
    Sign,
    #[error("sign: signature verification failed")]
    BadSignature,
}

fn strip(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove(SIGN);
            m.remove(SECURITY_TYPE);
            m.values_mut().for_each(strip);
        }
        Value::Array(a) => a.iter_mut().for_each(strip),
        _ => {}
    }
}

/// The exact string that is signed: `message` without any `sign`/`security_type`, in
/// RFC 8785 form.
pub fn signing_string(message: &Value) -> Result<String, SignedJsonError> {
    if !message.is_object() {
        return Err(SignedJsonError::NotObject);
    }
    let mut v = message.clone();
    strip(&mut v);
    Ok(jcs::to_string(&v)?)
}

/// Collects every value of member `name` at any depth.
fn find_all<'a>(v: &'a Value, name: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            if let Some(x) = m.get(name) {
                out.push(x);
            }
            m.values().for_each(|c| find_all(c, name, out));
        }
        Value::Array(a) => a.iter().for_each(|c| find_all(c, name, out)),
        _ => {}
    }
}

fn find_one<'a>(v: &'a Value, field: &'static str) -> Result<Option<&'a str>, SignedJsonError> {
    let mut found = Vec::new();
    find_all(v, field, &mut found);
    match found.as_slice() {
        [] => Ok(None),
        [x] => x
            .as_str()
            .map(Some)
            .ok_or(SignedJsonError::NotString { field }),
        _ => Err(SignedJsonError::Duplicate { field }),
    }
}

#[cfg(feature = "private-keys")]
/// Signs `message` in place: removes every existing `sign`/`security_type`, then sets both
/// in the object member `target` (top level when `target` is `None` or absent).
pub fn sign(
    message: &mut Value,
    target: Option<&str>,
    key: &PrivateKey,
    alg: SignAlg,
) -> Result<(), SignedJsonError> {
    let text = signing_string(message)?;
    let sig = rsa_sig::sign(key, alg, text.as_bytes()).map_err(|_| SignedJsonError::Sign)?;
    strip(message);
    let root = message.as_object_mut().ok_or(SignedJsonError::NotObject)?;
    let holder: &mut Map<String, Value> = match target {
        Some(name) if root.contains_key(name) => root
            .get_mut(name)
            .and_then(Value::as_object_mut)
            .ok_or_else(|| SignedJsonError::TargetNotObject {
                member: name.to_owned(),
            })?,
        _ => root,
    };
    holder.insert(
        SECURITY_TYPE.to_owned(),
        Value::String(alg.security_type().to_owned()),
    );
    holder.insert(SIGN.to_owned(), Value::String(sig));
    Ok(())
}

/// Verifies `message` with `key`. `security_type` defaults to RSA2 when absent. Returns
/// the algorithm that verified.
pub fn verify(message: &Value, key: &PublicKey) -> Result<SignAlg, SignedJsonError> {
    if !message.is_object() {
        return Err(SignedJsonError::NotObject);
    }
    let sig = find_one(message, SIGN)?.ok_or(SignedJsonError::MissingSign)?;
    let alg = match find_one(message, SECURITY_TYPE)? {
        None => SignAlg::default(),
        Some(s) => s.parse().map_err(SignedJsonError::SecurityType)?,
    };
    let text = signing_string(message)?;
    rsa_sig::verify(key, alg, text.as_bytes(), sig).map_err(|_| SignedJsonError::BadSignature)?;
    Ok(alg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::fixtures;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn strips_at_any_depth() {
        let m = json!({"b": {"sign": "x", "k": [{"security_type": "RSA", "v": 1}]}, "a": 2, "sign": "y"});
        assert_eq!(
            signing_string(&m).unwrap(),
            r#"{"a":2,"b":{"k":[{"v":1}]}}"#
        );
        assert_eq!(signing_string(&json!([1])), Err(SignedJsonError::NotObject));
    }

    #[test]
    fn signs_into_target_or_top_level() {
        let k = fixtures::priv1024();
        let mut m = json!({"head": {"v": "1"}, "biz": {"amount": 1}});
        sign(&mut m, Some("biz"), &k, SignAlg::Rsa).unwrap();
        assert_eq!(m["biz"]["security_type"], "RSA");
        assert!(m["biz"]["sign"].is_string() && m.get("sign").is_none());
        assert_eq!(verify(&m, &fixtures::pub1024()), Ok(SignAlg::Rsa));

        let mut flat = json!({"amount": "1.00"});
        sign(&mut flat, Some("biz"), &k, SignAlg::Rsa2).unwrap();
        assert_eq!(flat["security_type"], "RSA2");
        assert_eq!(verify(&flat, &fixtures::pub1024()), Ok(SignAlg::Rsa2));

        let mut bad_target = json!({"biz": 3});
        assert!(matches!(
            sign(&mut bad_target, Some("biz"), &k, SignAlg::Rsa2),
            Err(SignedJsonError::TargetNotObject { .. })
        ));
    }

    #[test]
    fn verify_refusals() {
        let (k, p) = (fixtures::priv1024(), fixtures::pub1024());
        let mut m = json!({"a": 1, "n": {"b": 2}});
        sign(&mut m, None, &k, SignAlg::Rsa2).unwrap();
        // security_type absent → RSA2.
        let mut no_type = m.clone();
        no_type.as_object_mut().unwrap().remove("security_type");
        assert_eq!(verify(&no_type, &p), Ok(SignAlg::Rsa2));
        // Claiming RSA for an RSA2 signature fails opaquely.
        let mut wrong = m.clone();
        wrong["security_type"] = json!("RSA");
        assert_eq!(verify(&wrong, &p), Err(SignedJsonError::BadSignature));
        let mut unknown = m.clone();
        unknown["security_type"] = json!("MD5");
        assert!(matches!(
            verify(&unknown, &p),
            Err(SignedJsonError::SecurityType(_))
        ));
        let mut dup = m.clone();
        dup["n"]["sign"] = m["sign"].clone();
        assert_eq!(
            verify(&dup, &p),
            Err(SignedJsonError::Duplicate { field: "sign" })
        );
        let mut none = m.clone();
        none.as_object_mut().unwrap().remove("sign");
        assert_eq!(verify(&none, &p), Err(SignedJsonError::MissingSign));
        let mut num = m.clone();
        num["sign"] = json!(5);
        assert_eq!(
            verify(&num, &p),
            Err(SignedJsonError::NotString { field: "sign" })
        );
        // Key order and white space do not matter; values do.
        let reordered: Value = serde_json::from_str(&format!(
            "{{ \"n\" : {{\"b\":2}}, \"sign\": {}, \"a\":1 }}",
            m["sign"]
        ))
        .unwrap();
        assert_eq!(verify(&reordered, &p), Ok(SignAlg::Rsa2));
        let mut changed = m.clone();
        changed["n"]["b"] = json!(3);
        assert_eq!(verify(&changed, &p), Err(SignedJsonError::BadSignature));
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[a-z0-9 é中]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn round_trip_and_tamper(body in proptest::collection::btree_map("[a-z_]{1,6}", arb_json(), 1..5)) {
            let (k, p) = (fixtures::priv1024(), fixtures::pub1024());
            let mut m = Value::Object(body.into_iter().collect());
            sign(&mut m, None, &k, SignAlg::Rsa2).unwrap();
            prop_assert_eq!(verify(&m, &p), Ok(SignAlg::Rsa2));
            m.as_object_mut().unwrap().insert("zz_added".into(), json!(1));
            prop_assert_eq!(verify(&m, &p), Err(SignedJsonError::BadSignature));
        }
    }
}
