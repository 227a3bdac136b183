//! Signed JSON messages as seed 003 ("签名、加密机制") and SPEC 4.1 define them, for S3
//! Lianshang (and the token wallet's notifications, which reuse the scheme): the string
//! to sign is the whole message with every `sign` and `security_type` member removed,
//! serialised with RFC 8785 (JCS, here the `serde_jcs` crate — not Kassa's own
//! canonicaliser); the signature is base64 PKCS#1 v1.5, SHA-256 for "RSA2" (default),
//! SHA-1 for "RSA". S3 carries the two members inside `newBizData` /
//! `newBizResponseData`; the sandbox's S3 notify and the wallet put them at top level.

use serde_json::{Map, Value};

use crate::crypto::{PrivateKey, PublicKey, SignAlg};

/// Removes every `sign` / `security_type`, at any depth (seed 003: "完整响应报文去除
/// security_type和sign两个字段后的内容").
fn strip(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("sign");
            m.remove("security_type");
            m.values_mut().for_each(strip);
        }
        Value::Array(a) => a.iter_mut().for_each(strip),
        _ => {}
    }
}

/// The exact text that is signed.
pub fn signing_string(message: &Value) -> Result<String, String> {
    if !message.is_object() {
        return Err("message: must be a JSON object".into());
    }
    let mut v = message.clone();
    strip(&mut v);
    serde_jcs::to_string(&v).map_err(|e| format!("message: not canonicalisable: {e}"))
}

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

/// Signs `message` in place: `sign` and `security_type` go into the object member
/// `holder` (top level when `None`).
pub fn sign(
    message: &mut Value,
    holder: Option<&str>,
    key: &PrivateKey,
    alg: SignAlg,
) -> Result<(), String> {
    strip(message);
    let text = signing_string(message)?;
    let sig = key.sign_b64(alg, text.as_bytes())?;
    let target: &mut Map<String, Value> = match holder {
        None => message.as_object_mut(),
        Some(h) => message.get_mut(h).and_then(Value::as_object_mut),
    }
    .ok_or_else(|| format!("message: {} must be a JSON object", holder.unwrap_or("it")))?;
    target.insert(
        "security_type".into(),
        Value::String(alg.security_type().into()),
    );
    target.insert("sign".into(), Value::String(sig));
    Ok(())
}

/// Verifies `message` with `key`, wherever its one `sign` is; `security_type` (at most
/// one) names the algorithm, RSA2 when absent. Returns the algorithm, or why not.
pub fn verify(message: &Value, key: &PublicKey) -> Result<SignAlg, String> {
    let (mut signs, mut types) = (Vec::new(), Vec::new());
    find_all(message, "sign", &mut signs);
    find_all(message, "security_type", &mut types);
    let sig = match signs.as_slice() {
        [] => return Err("sign: missing".into()),
        [one] => one.as_str().ok_or("sign: must be a string")?,
        _ => return Err("sign: appears more than once".into()),
    };
    let alg = match types.as_slice() {
        [] => SignAlg::Rsa2,
        [one] => {
            let s = one.as_str().ok_or("security_type: must be a string")?;
            SignAlg::parse(s).ok_or_else(|| format!("security_type: unknown {s:?}"))?
        }
        _ => return Err("security_type: appears more than once".into()),
    };
    let text = signing_string(message)?;
    if key.verify_b64(alg, text.as_bytes(), sig) {
        Ok(alg)
    } else {
        Err("sign: signature verification failed".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::{case_str, cases, key_text};
    use serde_json::json;

    #[test]
    fn seed_003_messages_as_python_and_openssl_signed_them() {
        let all = cases("s3_signed_messages.json");
        assert_eq!(all.len(), 4);
        for c in all {
            let public = PublicKey::parse(&key_text(case_str(&c, "public_key"))).unwrap();
            let private = PrivateKey::parse(&key_text(case_str(&c, "private_key"))).unwrap();
            let signed = c["signed"].clone();
            assert_eq!(
                signing_string(&signed).unwrap(),
                case_str(&c, "signing_string")
            );
            let alg = verify(&signed, &public).unwrap();
            // Re-signing where the vector has the members gives openssl's bytes.
            let holder = ["newBizData", "newBizResponseData"]
                .into_iter()
                .find(|h| signed.get(h).is_some());
            let mut again = signed.clone();
            sign(&mut again, holder, &private, alg).unwrap();
            assert_eq!(again, signed, "{}", c["name"]);
            let mut tampered = signed.clone();
            tampered[holder.unwrap_or_default()]["pay_amount"] = json!(201);
            assert!(verify(&tampered, &public).is_err());
        }
    }

    #[test]
    fn jcs_matches_rfc_8785() {
        let all = cases("rfc8785_jcs.json");
        assert!(all.len() > 20);
        for c in all {
            let v: Value = serde_json::from_str(case_str(&c, "input")).unwrap();
            assert_eq!(
                serde_jcs::to_string(&v).unwrap(),
                case_str(&c, "canonical"),
                "{}",
                c["source"]
            );
        }
    }

    #[test]
    fn top_level_round_trip_and_refusals() {
        let key = PrivateKey::parse(&key_text("rsa1024.pkcs8.pem")).unwrap();
        let public = key.public();
        let mut m = json!({"b": [{"x": 1}], "a": "é"});
        sign(&mut m, None, &key, SignAlg::Rsa).unwrap();
        assert_eq!(m["security_type"], "RSA");
        assert_eq!(verify(&m, &public), Ok(SignAlg::Rsa));
        let mut wrong_type = m.clone();
        wrong_type["security_type"] = json!("RSA2");
        assert!(verify(&wrong_type, &public).is_err());
        let mut dup = m.clone();
        dup["b"][0]["sign"] = m["sign"].clone();
        assert_eq!(
            verify(&dup, &public),
            Err("sign: appears more than once".into())
        );
        let mut none = m.clone();
        none.as_object_mut().unwrap().remove("sign");
        assert_eq!(verify(&none, &public), Err("sign: missing".into()));
    }
}
