//! Runs the built `kassa` binary for every subcommand, checking stdout and the exit
//! statuses 0 (ok/valid), 1 (invalid) and 2 (bad input, one line on stderr).

// Helpers outside `#[test]` fns are test code too; clippy.toml only covers the latter.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

struct Out {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Out {
    fn text(&self) -> String {
        String::from_utf8(self.stdout.clone()).unwrap()
    }
}

fn kassa(args: &[&str], stdin: &[u8]) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kassa"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command may exit before reading stdin (bad arguments); ignore the broken pipe.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let o = child.wait_with_output().unwrap();
    Out {
        code: o.status.code().unwrap(),
        stdout: o.stdout,
        stderr: String::from_utf8(o.stderr).unwrap(),
    }
}

fn key(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/vectors/crypto/keys")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn assert_bad_input(o: &Out, mentions: &str) {
    assert_eq!(o.code, 2, "stderr: {}", o.stderr);
    assert_eq!(
        o.stderr.trim_end().lines().count(),
        1,
        "one line: {}",
        o.stderr
    );
    assert!(
        o.stderr.contains(mentions),
        "`{mentions}` not in: {}",
        o.stderr
    );
}

const MSG: &str = r#"{"newBaseData":{"compress_type":"0","request_id":"1"},"newBizData":{"pay_amount":200,"sign":""}}"#;

#[test]
fn s3_sign_and_verify() {
    let (priv_, pub_) = (key("rsa2048.pkcs8.pem"), key("rsa2048.spki.pem"));
    let signed = kassa(&["s3", "sign", "--key", &priv_], MSG.as_bytes());
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let v: serde_json::Value = serde_json::from_slice(&signed.stdout).unwrap();
    assert_eq!(v["newBizData"]["security_type"], "RSA2");
    assert_eq!(
        kassa(&["s3", "verify", "--key", &pub_], &signed.stdout).code,
        0
    );

    let rsa = kassa(
        &[
            "s3",
            "sign",
            "--key",
            &key("rsa1024.pkcs1.pem"),
            "--type",
            "RSA",
        ],
        MSG.as_bytes(),
    );
    assert_eq!(rsa.code, 0, "{}", rsa.stderr);
    assert_eq!(
        kassa(
            &["s3", "verify", "--key", &key("rsa1024.spki.b64")],
            &rsa.stdout
        )
        .code,
        0
    );

    let tampered = signed.text().replace("200", "201");
    let bad = kassa(&["s3", "verify", "--key", &pub_], tampered.as_bytes());
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    let unsigned = kassa(&["s3", "verify", "--key", &pub_], MSG.as_bytes());
    assert_eq!(
        unsigned.code, 1,
        "empty sign does not verify: {}",
        unsigned.stderr
    );

    assert_bad_input(
        &kassa(&["s3", "sign", "--key", &priv_], b"{not json"),
        "stdin",
    );
    assert_bad_input(
        &kassa(
            &["s3", "sign", "--key", &priv_, "--type", "MD5"],
            MSG.as_bytes(),
        ),
        "--type",
    );
    assert_bad_input(
        &kassa(&["s3", "sign", "--key", "/nonexistent.pem"], MSG.as_bytes()),
        "--key",
    );
    assert_bad_input(
        &kassa(&["s3", "sign", "--key", &pub_], MSG.as_bytes()),
        "--key: private key",
    );
    assert_bad_input(&kassa(&["s3", "verify", "--key", &pub_], b"[1]"), "object");
    let dup = signed.text().replacen('{', r#"{"newBaseData":{},"#, 1);
    assert_bad_input(
        &kassa(&["s3", "verify", "--key", &pub_], dup.as_bytes()),
        "duplicate member",
    );
    assert_bad_input(&kassa(&["s3", "sign"], MSG.as_bytes()), "--key: required");
}

#[test]
fn s3_encrypt_and_decrypt() {
    let plain: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
    for (gzip, k) in [(false, "1024"), (true, "2048")] {
        let flag: &[&str] = if gzip { &["--gzip"] } else { &[] };
        let pub_ = key(&format!("rsa{k}.spki.pem"));
        let priv_ = key(&format!("rsa{k}.pkcs8.pem"));
        let enc = kassa(
            &[&["s3", "encrypt", "--key", pub_.as_str()], flag].concat(),
            &plain,
        );
        assert_eq!(enc.code, 0, "{}", enc.stderr);
        let dec = kassa(
            &[&["s3", "decrypt", "--key", priv_.as_str()], flag].concat(),
            &enc.stdout,
        );
        assert_eq!(dec.code, 0, "{}", dec.stderr);
        assert_eq!(dec.stdout, plain);
    }
    let priv_ = key("rsa1024.pkcs8.pem");
    assert_bad_input(
        &kassa(&["s3", "decrypt", "--key", &priv_], b"AAAA"),
        "multiple",
    );
    assert_bad_input(
        &kassa(&["s3", "decrypt", "--key", &priv_], b"%%%"),
        "base64",
    );
    assert_bad_input(
        &kassa(
            &["s3", "encrypt", "--key", &key("rsa1024.spki.pem"), "--zip"],
            b"x",
        ),
        "--zip",
    );
}

#[test]
fn paytm_checksum_and_verify() {
    let params =
        br#"{"MID":"SHAREI30408276217840","ORDER_ID":"USHARE-1","TXN_AMOUNT":"2","EMAIL":null}"#;
    let key16 = "kbzk1DSbJiV_O3p5";
    let c = kassa(&["paytm", "checksum", "--key", key16], params);
    assert_eq!(c.code, 0, "{}", c.stderr);
    let checksum = c.text().trim().to_owned();
    assert_eq!(checksum.len(), 108);
    assert_eq!(
        kassa(
            &["paytm", "verify", "--key", key16, "--checksum", &checksum],
            params
        )
        .code,
        0
    );
    let changed =
        br#"{"MID":"SHAREI30408276217840","ORDER_ID":"USHARE-1","TXN_AMOUNT":"3","EMAIL":null}"#;
    assert_eq!(
        kassa(
            &["paytm", "verify", "--key", key16, "--checksum", &checksum],
            changed
        )
        .code,
        1
    );
    // A known vector from Python (tests/vectors/crypto/paytm_checksum.json).
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/vectors/crypto/paytm_checksum.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let case = &v["cases"][0];
    let out = kassa(
        &[
            "paytm",
            "verify",
            "--key",
            case["merchant_key"].as_str().unwrap(),
            "--checksum",
            case["checksum"].as_str().unwrap(),
        ],
        case["params"].to_string().as_bytes(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);

    assert_bad_input(
        &kassa(&["paytm", "checksum", "--key", "short"], params),
        "--key",
    );
    assert_bad_input(
        &kassa(&["paytm", "checksum", "--key", key16], br#"{"A":1}"#),
        "params.A",
    );
    assert_bad_input(
        &kassa(&["paytm", "verify", "--key", key16], params),
        "--checksum",
    );
}

#[test]
fn pingpp_verify() {
    let body = br#"{"type":"charge.succeeded"}"#;
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/vectors/crypto/rsa_signatures.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let case = v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["security_type"] == "RSA2" && c["message"] == "hello")
        .unwrap();
    let pub_ = key(case["public_key"].as_str().unwrap());
    let sig = case["signature"].as_str().unwrap();
    assert_eq!(
        kassa(
            &["pingpp", "verify", "--key", &pub_, "--signature", sig],
            b"hello"
        )
        .code,
        0
    );
    assert_eq!(
        kassa(
            &["pingpp", "verify", "--key", &pub_, "--signature", sig],
            body
        )
        .code,
        1
    );
    assert_eq!(
        kassa(
            &["pingpp", "verify", "--key", &pub_, "--signature", "!!"],
            b"hello"
        )
        .code,
        1
    );
    assert_bad_input(
        &kassa(&["pingpp", "verify", "--key", &pub_], b"hello"),
        "--signature",
    );
}

#[test]
fn webhook_sign_and_verify() {
    let body = br#"{"id":"evt_1"}"#;
    let s = kassa(
        &[
            "webhook",
            "sign",
            "--secret",
            "whsec",
            "--timestamp",
            "1700000000",
        ],
        body,
    );
    assert_eq!(s.code, 0, "{}", s.stderr);
    let header = s.text().trim().to_owned();
    assert!(header.starts_with("t=1700000000,v1="));
    let verify = |now: &str, extra: &[&str], body: &[u8]| {
        kassa(
            &[
                &[
                    "webhook",
                    "verify",
                    "--secret",
                    "whsec",
                    "--header",
                    header.as_str(),
                    "--now",
                    now,
                ],
                extra,
            ]
            .concat(),
            body,
        )
    };
    assert_eq!(verify("1700000100", &[], body).code, 0);
    assert_eq!(verify("1700000301", &[], body).code, 1);
    assert_eq!(verify("1700000301", &["--tolerance", "600"], body).code, 0);
    assert_eq!(verify("1700000000", &[], b"{}").code, 1);
    // No --now: the real clock makes a 2023 timestamp stale.
    assert_eq!(
        kassa(
            &["webhook", "verify", "--secret", "whsec", "--header", &header],
            body
        )
        .code,
        1
    );
    assert_bad_input(
        &kassa(
            &["webhook", "verify", "--secret", "s", "--header", "t=x"],
            body,
        ),
        "--header",
    );
    assert_bad_input(
        &kassa(
            &["webhook", "sign", "--secret", "s", "--timestamp", "-5"],
            body,
        ),
        "--timestamp",
    );
}

#[test]
fn totp_codes() {
    // RFC 6238 secret; the 8-digit RFC value 94287082 ends in the 6-digit code 287082.
    let o = kassa(
        &[
            "totp",
            "--secret",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "--time",
            "59",
        ],
        b"",
    );
    assert_eq!(
        (o.code, o.text()),
        (0, "287082\n".to_owned()),
        "{}",
        o.stderr
    );
    let lower = kassa(
        &[
            "totp",
            "--secret",
            "gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
            "--time=1111111109",
        ],
        b"",
    );
    assert_eq!(lower.text(), "081804\n");
    assert_bad_input(
        &kassa(&["totp", "--secret", "01!", "--time", "59"], b""),
        "--secret",
    );
    assert_bad_input(&kassa(&["totp", "--secret", "GEZDGNBV"], b""), "--time");
}

#[test]
fn canon_is_rfc8785() {
    let o = kassa(&["canon"], br#"{ "b": 1E30, "a": [4.50, "\u20ac"] }"#);
    assert_eq!(
        (o.code, o.text()),
        (0, "{\"a\":[4.5,\"€\"],\"b\":1e+30}".to_owned())
    );
    assert_bad_input(&kassa(&["canon"], b"{"), "stdin");
}

#[test]
fn keygen_writes_loadable_keys() {
    let dir = std::env::temp_dir().join(format!("kassa-keygen-{}", std::process::id()));
    let out = dir.to_string_lossy().into_owned();
    let o = kassa(&["keygen", "--bits", "1024", "--out", &out], b"");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let private = std::fs::read_to_string(dir.join("private.pem")).unwrap();
    let public = std::fs::read_to_string(dir.join("public.pem")).unwrap();
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("private.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "private key must not be group/world readable"
        );
    }
    let signed = kassa(
        &[
            "s3",
            "sign",
            "--key",
            &dir.join("private.pem").to_string_lossy(),
        ],
        MSG.as_bytes(),
    );
    let ok = kassa(
        &[
            "s3",
            "verify",
            "--key",
            &dir.join("public.pem").to_string_lossy(),
        ],
        &signed.stdout,
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_bad_input(
        &kassa(&["keygen", "--bits", "512", "--out", &out], b""),
        "--bits",
    );
}

#[test]
fn usage_errors() {
    assert_bad_input(&kassa(&[], b""), "no command");
    let help = kassa(&["help"], b"");
    assert_eq!(help.code, 0);
    assert!(help.text().contains("kassa webhook verify"));
    assert_bad_input(&kassa(&["s3", "frobnicate"], b""), "unknown command");
    assert_bad_input(&kassa(&["canon", "extra"], b"{}"), "unexpected argument");
    assert_bad_input(
        &kassa(
            &["totp", "--secret", "A", "--secret", "B", "--time", "1"],
            b"",
        ),
        "more than once",
    );
}
