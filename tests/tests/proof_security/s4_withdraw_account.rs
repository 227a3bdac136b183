//! Issue 14 item 1: the S4 withdrawal-account SMS code cannot be walked.
//!
//! The attacker holds a stolen wallet credential (the user token a merchant page was
//! given) and wants their own Alipay account on the victim's next withdrawal. Before the
//! fix `POST /rest/pay/withdrawInfo` counted no wrong `smscode`, took it in clear and
//! asked for nothing else, so 10^6 guesses per 5-minute code would do. Now: five wrong
//! codes void the code and lock account changes for 15 min (429 + `Retry-After`, even
//! for the right code), the code must arrive sealed (RSA-OAEP, SPEC 4.5), and once a pay
//! password is set the change proves it too.
//!
//! Also holds the S4 helpers `token_scopes` uses: an edge in development (dev outbox),
//! orders, user tokens, sealing against the published key.

use base64::Engine as _;
use rsa::{BigUint, Oaep, RsaPublicKey};
use serde_json::{json, Value};

use kassa_tests::edge_client::sealed_plaintext;
use kassa_tests::harness::{agent, read_json, Edge, TempDir, MERCHANT_KEY};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// An edge under `wrangler dev` (development: codes in the dev outbox; code sends not
/// throttled so a test can send several) and the calls the S4 tests make.
pub struct S4 {
    /// Kept alive for the test; stopped on drop.
    _edge: Edge,
    pub http: ureq::Agent,
    pub url: String,
    key: RsaPublicKey,
    _dir: TempDir,
}

/// One S4 answer: status, `Retry-After` header, JSON body. S4 answers every request
/// with HTTP 200 and the outcome in `code` (900 success, else the failure's HTTP-style
/// status: `edge/src/error.rs`); `status` is that outcome, 200 for success.
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: Value,
}

impl S4 {
    pub fn start(tag: &str) -> Self {
        let dir = TempDir::new(tag).unwrap();
        let edge = Edge::start_with(
            dir.path(),
            &[
                ("KASSA_ENV", "development"),
                ("KASSA_RISK_CODE_SEND_MIN_GAP_SECS", "0"),
                ("KASSA_RISK_CODE_SEND_PER_HOUR", "100"),
            ],
        )
        .unwrap();
        let http = agent();
        let url = edge.url();
        let (s, jwks) =
            read_json(http.get(format!("{url}/.well-known/kassa-key.json")).call()).unwrap();
        assert_eq!(s, 200, "{jwks}");
        let k = &jwks["keys"][0];
        let n = B64URL.decode(k["n"].as_str().unwrap()).unwrap();
        let e = B64URL.decode(k["e"].as_str().unwrap()).unwrap();
        let key =
            RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).unwrap();
        Self {
            _edge: edge,
            http,
            url,
            key,
            _dir: dir,
        }
    }

    /// Base64 RSA-OAEP-SHA256 of `plain` under the edge's published key, as the widget's
    /// `sealField` makes it: the `{v, ts, n}` plaintext, sealed now with a fresh nonce.
    pub fn seal(&self, plain: &str) -> String {
        self.seal_raw(&sealed_plaintext(plain))
    }

    /// Base64 RSA-OAEP-SHA256 of exactly `plaintext` (a forged or stale envelope, a
    /// bare legacy value).
    pub fn seal_raw(&self, plaintext: &str) -> String {
        let ct = self
            .key
            .encrypt(
                &mut rand::rngs::OsRng,
                Oaep::new::<sha2::Sha256>(),
                plaintext.as_bytes(),
            )
            .unwrap();
        B64.encode(ct)
    }

    pub fn merchant(&self, path: &str, body: &Value) -> (u16, Value) {
        read_json(
            self.http
                .post(format!("{}{path}", self.url))
                .header("Authorization", &format!("Bearer {MERCHANT_KEY}"))
                .send_json(body),
        )
        .unwrap()
    }

    /// A Ping++ order for `user` (with a mobile): (id, client_secret).
    pub fn order(&self, user: &str) -> (String, String) {
        let (s, o) = self.merchant(
            "/v1/orders",
            &json!({"channel": "pingpp", "amount": 12356, "currency": "CNY",
                    "user": {"id": user, "mobile": "18600000001"}}),
        );
        assert_eq!(s, 201, "{o}");
        (
            o["id"].as_str().unwrap().to_owned(),
            o["client_secret"].as_str().unwrap().to_owned(),
        )
    }

    /// A user token for `user` from the merchant API.
    pub fn user_token(&self, user: &str) -> String {
        let (s, t) = self.merchant(&format!("/v1/users/{user}/tokens"), &json!({}));
        assert_eq!(s, 201, "{t}");
        t["token"].as_str().unwrap().to_owned()
    }

    fn answer(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
        let mut resp = resp.unwrap();
        let retry_after = resp
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let http = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap();
        assert_eq!(http, 200, "S4 answers HTTP 200: {text}");
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let status = match body["code"].as_u64() {
            Some(900) => 200,
            Some(code) => u16::try_from(code).unwrap(),
            None => panic!("S4 answer without a code: {text}"),
        };
        Answer {
            status,
            retry_after,
            body,
        }
    }

    /// `POST /rest/pay/{path}` with `auth`.
    pub fn post(&self, path: &str, auth: &str, body: &Value) -> Answer {
        Self::answer(
            self.http
                .post(format!("{}/rest/pay/{path}", self.url))
                .header("auth", auth)
                .send_json(body),
        )
    }

    /// `GET /rest/pay/{path}` with `auth`.
    pub fn get(&self, path: &str, auth: &str) -> Answer {
        Self::answer(
            self.http
                .get(format!("{}/rest/pay/{path}", self.url))
                .header("auth", auth)
                .call(),
        )
    }

    /// Sends an S4 SMS code with `token` and reads it from the dev outbox of `order`.
    pub fn sms(&self, token: &str, order: &str) -> String {
        let a = self.post("smscode", token, &json!({}));
        assert_eq!(a.status, 200, "{}", a.body);
        let (_, outbox) = read_json(
            self.http
                .get(format!("{}/v1/dev/outbox?order_id={order}", self.url))
                .header("Authorization", &format!("Bearer {MERCHANT_KEY}"))
                .call(),
        )
        .unwrap();
        outbox["data"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|m| m["purpose"] == "s4_withdraw_info")
            .unwrap_or_else(|| panic!("no S4 code in {outbox}"))["code"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The withdrawal account as `GET /rest/pay/withdrawInfo` shows it.
    pub fn account(&self, token: &str) -> Value {
        let a = self.get("withdrawInfo", token);
        assert_eq!(a.status, 200, "{}", a.body);
        a.body["info"].clone()
    }
}

/// A 6-digit code that is not `code`.
fn wrong(code: &str, n: u32) -> String {
    let c: u32 = code.parse().unwrap();
    format!("{:06}", (c + 1 + n) % 1_000_000)
}

fn unset() -> Value {
    json!({"type": "alipay", "id": "", "name": ""})
}

fn attacker_account(smscode: &str) -> Value {
    json!({"smscode": smscode, "type": "alipay", "id": "attacker@example.com", "name": "Mallory"})
}

#[test]
fn wrong_sms_codes_lock_the_account_change_and_void_the_code() {
    let s4 = S4::start("sec-s4-guess");
    let (order, _) = s4.order("victim-guess");
    let stolen = s4.user_token("victim-guess");
    let code = s4.sms(&stolen, &order);

    // Five wrong guesses: each refused naming smscode; the fifth voids the code.
    for n in 0..5 {
        let a = s4.post(
            "withdrawInfo",
            &stolen,
            &attacker_account(&s4.seal(&wrong(&code, n))),
        );
        assert_eq!(
            (a.status, a.body["field"].as_str()),
            (400, Some("smscode")),
            "{n}: {}",
            a.body
        );
        if n == 4 {
            let msg = a.body["msg"].as_str().unwrap();
            assert!(msg.contains("void") && msg.contains("locked"), "{msg}");
        }
    }
    // The sixth, even the right code, is 429 with Retry-After (≤ 15 min).
    let a = s4.post("withdrawInfo", &stolen, &attacker_account(&s4.seal(&code)));
    assert_eq!(
        (a.status, a.body["error"].as_str()),
        (429, Some("smscode_locked")),
        "{}",
        a.body
    );
    let wait = a.retry_after.expect("Retry-After");
    assert!((1..=900).contains(&wait), "Retry-After {wait}");
    assert_eq!(
        a.body["retry_after_ms"]
            .as_u64()
            .map(|ms| ms.div_ceil(1000)),
        Some(wait)
    );
    // A fresh code does not reopen the lock either.
    let fresh = s4.sms(&stolen, &order);
    let a = s4.post("withdrawInfo", &stolen, &attacker_account(&s4.seal(&fresh)));
    assert_eq!(a.status, 429, "{}", a.body);
    assert_eq!(s4.account(&stolen), unset());

    // Another user is not locked by it.
    let (other_order, _) = s4.order("bystander-guess");
    let other = s4.user_token("bystander-guess");
    let code = s4.sms(&other, &other_order);
    let mine =
        json!({"smscode": s4.seal(&code), "type": "alipay", "id": "b@example.com", "name": "B"});
    let a = s4.post("withdrawInfo", &other, &mine);
    assert_eq!((a.status, &a.body), (200, &json!({"code": 900})));
}

#[test]
fn a_clear_text_smscode_is_refused() {
    let s4 = S4::start("sec-s4-clear");
    let (order, _) = s4.order("victim-clear");
    let token = s4.user_token("victim-clear");
    let code = s4.sms(&token, &order);
    let a = s4.post("withdrawInfo", &token, &attacker_account(&code));
    assert_eq!(
        (a.status, a.body["field"].as_str()),
        (400, Some("smscode")),
        "{}",
        a.body
    );
    assert!(
        a.body["msg"]
            .as_str()
            .unwrap()
            .contains("cannot be decrypted"),
        "{}",
        a.body
    );
    assert_eq!(s4.account(&token), unset());
    // Sealed, the same code is accepted: the clear one was refused before any check.
    let a = s4.post("withdrawInfo", &token, &attacker_account(&s4.seal(&code)));
    assert_eq!(
        (a.status, &a.body),
        (200, &json!({"code": 900})),
        "{}",
        a.body
    );
}

#[test]
fn once_a_pay_password_is_set_the_account_change_proves_it() {
    let s4 = S4::start("sec-s4-passwd");
    let (order, _) = s4.order("victim-pw");
    let token = s4.user_token("victim-pw");
    let a = s4.post("passwd", &token, &json!({"passwd": s4.seal("246810")}));
    assert_eq!(a.status, 200, "{}", a.body);

    // The right code without the password: refused naming passwd, nothing changed.
    let code = s4.sms(&token, &order);
    let a = s4.post("withdrawInfo", &token, &attacker_account(&s4.seal(&code)));
    assert_eq!(
        (a.status, a.body["field"].as_str()),
        (400, Some("passwd")),
        "{}",
        a.body
    );
    assert_eq!(s4.account(&token), unset());
    // A clear-text password is refused too.
    let mut body = attacker_account(&s4.seal(&code));
    body["passwd"] = json!("246810");
    let a = s4.post("withdrawInfo", &token, &body);
    assert_eq!(
        (a.status, a.body["field"].as_str()),
        (400, Some("passwd")),
        "{}",
        a.body
    );
    assert_eq!(s4.account(&token), unset());

    // Wrong passwords (each with a right, fresh code) count toward the pay-password
    // lock: the fifth locks it, and then the password cannot be changed either.
    for n in 0..5 {
        let code = s4.sms(&token, &order);
        let mut body = attacker_account(&s4.seal(&code));
        body["passwd"] = json!(s4.seal(&format!("00000{n}")));
        let a = s4.post("withdrawInfo", &token, &body);
        assert_eq!(
            (a.status, a.body["field"].as_str()),
            (400, Some("passwd")),
            "{n}: {}",
            a.body
        );
    }
    assert_eq!(s4.account(&token), unset());
    let code = s4.sms(&token, &order);
    let mut body = attacker_account(&s4.seal(&code));
    body["passwd"] = json!(s4.seal("246810"));
    let a = s4.post("withdrawInfo", &token, &body);
    assert_eq!(
        (a.status, a.body["error"].as_str()),
        (429, Some("passwd_locked")),
        "{}",
        a.body
    );
    assert!(a.retry_after.is_some(), "{}", a.body);
    assert_eq!(s4.account(&token), unset());

    // The owner, with code and password, on a user not locked: accepted.
    let (order, _) = s4.order("owner-pw");
    let token = s4.user_token("owner-pw");
    let a = s4.post("passwd", &token, &json!({"passwd": s4.seal("135790")}));
    assert_eq!(a.status, 200, "{}", a.body);
    let code = s4.sms(&token, &order);
    let body = json!({"smscode": s4.seal(&code), "passwd": s4.seal("135790"),
                      "type": "alipay", "id": "owner@example.com", "name": "Owner"});
    let a = s4.post("withdrawInfo", &token, &body);
    assert_eq!(
        (a.status, &a.body),
        (200, &json!({"code": 900})),
        "{}",
        a.body
    );
    assert_eq!(s4.account(&token)["id"], "owner@example.com");
}
