//! In Chromium: SPEC 4.5 field sealing against a key pair WebCrypto generates here
//! (sealed with the widget's code, opened with the private key; another key cannot),
//! the key-set reading, and the stored device token (SPEC 5).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use kassa_widget::api::{decode, ApiError};
use kassa_widget::device;
use kassa_widget::seal::{base64, seal, seal_with_jwk, PublicJwk, SealError};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{CryptoKey, SubtleCrypto};

wasm_bindgen_test_configure!(run_in_browser);

fn subtle() -> SubtleCrypto {
    web_sys::window().unwrap().crypto().unwrap().subtle()
}

async fn done(p: Result<Promise, JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(p?).await
}

/// A fresh RSA-OAEP-SHA256 pair: (public JWK, private key).
async fn key_pair() -> (Object, CryptoKey) {
    let alg = Object::new();
    let set = |k: &str, v: JsValue| Reflect::set(&alg, &k.into(), &v).unwrap();
    set("name", "RSA-OAEP".into());
    set("modulusLength", 2048.into());
    set("publicExponent", Uint8Array::from(&[1u8, 0, 1][..]).into());
    set("hash", "SHA-256".into());
    let usages = Array::of2(&"encrypt".into(), &"decrypt".into());
    let pair = done(subtle().generate_key_with_object(&alg, true, &usages))
        .await
        .unwrap();
    let get = |k: &str| Reflect::get(&pair, &k.into()).unwrap();
    let public: CryptoKey = get("publicKey").unchecked_into();
    let jwk = done(subtle().export_key("jwk", &public)).await.unwrap();
    (jwk.unchecked_into(), get("privateKey").unchecked_into())
}

/// Opens a sealed field the way the edge does (`OaepDecryptionKey::decrypt_base64`,
/// then `kassa_shared::crypto::sealed::parse`): the value, after checking the envelope's
/// `ts` is now and its nonce 16 bytes of base64url.
async fn open(private: &CryptoKey, sealed: &str) -> Result<String, JsValue> {
    let binary = web_sys::window().unwrap().atob(sealed)?;
    let bytes: Vec<u8> = binary.chars().map(|c| u8::try_from(c).unwrap()).collect();
    let plain = done(subtle().decrypt_with_str_and_u8_array("RSA-OAEP", private, &bytes)).await?;
    let plain = String::from_utf8(Uint8Array::new(&plain).to_vec()).unwrap();
    let v = js_sys::JSON::parse(&plain)?;
    let get = |k: &str| Reflect::get(&v, &k.into()).unwrap();
    let ts = get("ts").as_f64().unwrap();
    assert!((js_sys::Date::now() - ts).abs() < 60_000.0, "{plain}");
    let n = get("n").as_string().unwrap();
    assert_eq!(n.len(), 22, "{plain}");
    assert!(n
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(
        js_sys::Object::keys(v.unchecked_ref::<Object>()).length(),
        3,
        "{plain}"
    );
    Ok(get("v").as_string().unwrap())
}

#[wasm_bindgen_test]
async fn sealed_fields_open_with_the_private_key_only() {
    let (jwk, private) = key_pair().await;
    let text = "pässwörd 密码 123";
    let a = seal_with_jwk(&jwk, text).await.unwrap();
    // 2048-bit key: 256 bytes of ciphertext, 344 base64 characters.
    assert_eq!(a.len(), 344);
    assert_eq!(open(&private, &a).await.unwrap(), text);
    // OAEP is randomised: the same text seals differently each time.
    let b = seal_with_jwk(&jwk, text).await.unwrap();
    assert_ne!(a, b);
    assert_eq!(open(&private, &b).await.unwrap(), text);

    let (_, other) = key_pair().await;
    assert!(open(&other, &a).await.is_err());

    // One OAEP-SHA256 block of a 2048-bit key holds 256 − 66 = 190 bytes, less the
    // 56-byte `{"v":"…","ts":…,"n":"…"}` envelope around plain ASCII.
    let max = "x".repeat(134);
    let sealed = seal_with_jwk(&jwk, &max).await.unwrap();
    assert_eq!(open(&private, &sealed).await.unwrap(), max);
    let e = seal_with_jwk(&jwk, &"x".repeat(135)).await.unwrap_err();
    assert_eq!(e, SealError::TooLong { max: 134 });
    assert_eq!(e.to_string(), "text: longer than 134 UTF-8 bytes");
    assert_eq!(seal_with_jwk(&jwk, "").await, Err(SealError::Empty));

    // A JWK that is not an RSA key is refused by importKey, named.
    let junk = Object::new();
    Reflect::set(&junk, &"kty".into(), &"oct".into()).unwrap();
    assert_eq!(
        seal_with_jwk(&junk, "secret").await,
        Err(SealError::Crypto("importKey"))
    );
}

/// The edge's set (`edge/src/routes/widget_api.rs` `public_key`): the RSA-OAEP-256
/// encryption key is chosen, whatever else the set holds.
#[wasm_bindgen_test]
fn key_set_picks_the_oaep_key() {
    let set = serde_json::json!({"keys": [
        {"kty": "RSA", "alg": "RS256", "use": "sig", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "alg": "RSA-OAEP-256", "use": "enc", "key_ops": ["encrypt"],
         "n": "q83v", "e": "AQAB", "kid": "k2"},
    ]});
    let PublicJwk(jwk) = decode(&set.to_string(), "kassa-key.json").unwrap();
    assert_eq!(
        Reflect::get(&jwk, &"kid".into())
            .unwrap()
            .as_string()
            .as_deref(),
        Some("k2")
    );
    for bad in [
        serde_json::json!({"keys": [{"kty": "RSA", "alg": "RS256"}]}),
        serde_json::json!({"keys": [{"kty": "RSA", "alg": "RSA-OAEP-256", "use": "sig"}]}),
        serde_json::json!({"keys": []}),
    ] {
        let Err(ApiError::Decode { reason, .. }) =
            decode::<PublicJwk>(&bad.to_string(), "kassa-key.json")
        else {
            panic!("{bad}")
        };
        assert_eq!(
            reason,
            "kassa-key.json.keys: no RSA-OAEP-256 encryption key"
        );
    }
    let Err(ApiError::Decode { reason, .. }) = decode::<PublicJwk>("{}", "kassa-key.json") else {
        panic!()
    };
    assert_eq!(reason, "kassa-key.json.keys: missing");
    // What a page is told: the field once, not the answer's name three times.
    let e = SealError::Key(ApiError::Decode {
        what: "kassa-key.json",
        reason,
    });
    assert_eq!(e.to_string(), "kassa-key.json.keys: missing");
}

#[wasm_bindgen_test]
async fn no_edge_no_seal() {
    let e = seal("http://127.0.0.1:9", "secret").await.unwrap_err();
    assert!(matches!(e, SealError::Key(ApiError::Network(_))), "{e:?}");
    assert!(
        e.to_string().starts_with("kassa-key.json: network: "),
        "{e}"
    );
}

/// RFC 4648 §10 test vectors.
#[wasm_bindgen_test]
fn base64_vectors() {
    for (plain, b64) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(plain.as_bytes()), b64);
    }
    assert_eq!(base64(&[0xfb, 0xff, 0xbf]), "+/+/");
}

#[wasm_bindgen_test]
fn device_token_is_only_what_the_edge_issued() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.remove_item(device::STORAGE_KEY).unwrap();
    // No token yet: a new device; the widget makes none up.
    assert_eq!(device::id(), None);
    let token = format!("kd1.{}.{}", "0a".repeat(16), "5f".repeat(32));
    assert!(device::is_valid(&token), "{token}");
    device::remember(&token);
    assert_eq!(
        storage.get_item(device::STORAGE_KEY).unwrap(),
        Some(token.clone())
    );
    assert_eq!(device::id(), Some(token.clone()));
    // A damaged stored value is not sent; the page's token serves.
    storage.set_item(device::STORAGE_KEY, "<script>").unwrap();
    assert_eq!(device::id(), Some(token.clone()));
    // Something that is not a token is not kept.
    device::remember("0123456789abcdef0123456789abcdef");
    assert_eq!(
        storage.get_item(device::STORAGE_KEY).unwrap().as_deref(),
        Some("<script>")
    );
    // Another tab's token, once stored, is the browser's.
    let other = format!("kd1.{}.{}", "1b".repeat(16), "2c".repeat(32));
    storage.set_item(device::STORAGE_KEY, &other).unwrap();
    assert_eq!(device::id(), Some(other));
    assert!(!device::is_valid(&token.to_uppercase()));
    assert!(!device::is_valid("0123456789abcdef0123456789abcdef"));
    storage.remove_item(device::STORAGE_KEY).unwrap();
}
