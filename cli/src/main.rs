//! `kassa`: Kassa's crypto profiles (SPEC 4) for shell scripts, ops and test tooling.
//!
//! Input on stdin, result on stdout. Exit status: 0 success / valid, 1 invalid signature
//! or checksum, 2 bad input (one line on stderr naming what was wrong). All the crypto is
//! in `kassa-shared`; this binary only reads files, stdin, the clock and OS randomness —
//! the I/O that `shared` must not do. Private-key operations here use the pure-Rust `rsa`
//! crate, which is fine for a local tool (SPEC 4.4).

mod opts;

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::ExitCode;

use kassa_shared::crypto::signed_json::SignedJsonError;
use kassa_shared::crypto::{chunked, jcs, rsa_sig::SignatureError, totp, webhook_sig};
use kassa_shared::crypto::{PrivateKey, PublicKey, SignAlg};
use kassa_shared::providers::lianshang::sign as s3;
use kassa_shared::providers::paytm::checksum::{self, ChecksumError, Params, Salt};
use kassa_shared::providers::pingpp::webhook as pingpp;
use opts::Opts;
use rand::rngs::OsRng;
use rand::RngCore as _;

const USAGE: &str = "usage:
  kassa keygen --bits N --out DIR
  kassa s3 sign --key PRIV [--type RSA2|RSA]      < message.json
  kassa s3 verify --key PUB                       < message.json
  kassa s3 encrypt --key PUB [--gzip]             < plaintext
  kassa s3 decrypt --key PRIV [--gzip]            < res_data
  kassa paytm checksum --key MERCHANT_KEY         < params.json
  kassa paytm verify --key MERCHANT_KEY --checksum C < params.json
  kassa pingpp verify --key PUB --signature B64   < body
  kassa webhook sign --secret S --timestamp T     < body
  kassa webhook verify --secret S --header H [--now T] [--tolerance SECS] < body
  kassa totp --secret BASE32 --time UNIX_SECONDS
  kassa canon                                     < json
exit: 0 ok/valid, 1 invalid signature or checksum, 2 bad input";

/// Why a command did not succeed, and so which exit status it gets.
#[derive(Debug)]
pub enum Failure {
    /// Exit 1: the input was well formed but does not verify.
    Invalid(String),
    /// Exit 2: the input or the invocation is wrong.
    BadInput(String),
}

impl Failure {
    pub fn input(msg: impl Into<String>) -> Self {
        Self::BadInput(msg.into())
    }
    fn invalid(msg: impl ToString) -> Self {
        Self::Invalid(msg.to_string())
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Invalid(msg)) => {
            eprintln!("kassa: invalid: {msg}");
            ExitCode::from(1)
        }
        Err(Failure::BadInput(msg)) => {
            eprintln!("kassa: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<(), Failure> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["keygen", ..] => keygen(&args[1..]),
        ["s3", "sign", ..] => s3_sign(&args[2..]),
        ["s3", "verify", ..] => s3_verify(&args[2..]),
        ["s3", "encrypt", ..] => s3_encrypt(&args[2..]),
        ["s3", "decrypt", ..] => s3_decrypt(&args[2..]),
        ["paytm", "checksum", ..] => paytm_checksum(&args[2..]),
        ["paytm", "verify", ..] => paytm_verify(&args[2..]),
        ["pingpp", "verify", ..] => pingpp_verify(&args[2..]),
        ["webhook", "sign", ..] => webhook_sign(&args[2..]),
        ["webhook", "verify", ..] => webhook_verify(&args[2..]),
        ["totp", ..] => totp_code(&args[1..]),
        ["canon", ..] => canon(&args[1..]),
        ["help" | "--help" | "-h"] => stdout(format!("{USAGE}\n").as_bytes()),
        [] => Err(Failure::input("no command (run `kassa help`)")),
        _ => Err(Failure::input(format!(
            "unknown command `{}` (run `kassa help`)",
            words.join(" ")
        ))),
    }
}

// ---- I/O helpers ----------------------------------------------------------------------

fn stdin_bytes() -> Result<Vec<u8>, Failure> {
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .map_err(|e| Failure::input(format!("stdin: cannot read ({e})")))?;
    Ok(buf)
}

fn stdin_text() -> Result<String, Failure> {
    String::from_utf8(stdin_bytes()?).map_err(|_| Failure::input("stdin: not UTF-8"))
}

fn stdin_json() -> Result<serde_json::Value, Failure> {
    // Strict: duplicate member names are refused (RFC 8785 §3.1, I-JSON).
    jcs::parse_strict(&stdin_bytes()?).map_err(|e| Failure::input(format!("stdin: {e}")))
}

fn stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| Failure::input(format!("stdout: cannot write ({e})")))
}

fn read_key_file(path: &str) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::input(format!("--key: cannot read `{path}` ({e})")))
}

fn public_key(o: &Opts) -> Result<PublicKey, Failure> {
    PublicKey::parse(&read_key_file(o.required("key")?)?)
        .map_err(|e| Failure::input(format!("--key: {e}")))
}

fn private_key(o: &Opts) -> Result<PrivateKey, Failure> {
    PrivateKey::parse(&read_key_file(o.required("key")?)?)
        .map_err(|e| Failure::input(format!("--key: {e}")))
}

// ---- commands --------------------------------------------------------------------------

fn keygen(args: &[String]) -> Result<(), Failure> {
    let o = Opts::parse(args, &["bits", "out"], &[])?;
    let bits = o.u64_req("bits")?;
    if !(1024..=8192).contains(&bits) {
        return Err(Failure::input(format!(
            "--bits: {bits} is outside 1024..=8192"
        )));
    }
    let dir = Path::new(o.required("out")?);
    let bits = usize::try_from(bits).map_err(|_| Failure::input("--bits: too large"))?;
    let key = PrivateKey::generate(&mut OsRng, bits).map_err(|e| Failure::input(e.to_string()))?;
    let private_pem = key.to_pem().map_err(|e| Failure::input(e.to_string()))?;
    let public_pem = key
        .public_key()
        .to_pem()
        .map_err(|e| Failure::input(e.to_string()))?;
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::input(format!("--out: cannot create directory ({e})")))?;
    write_private(&dir.join("private.pem"), private_pem.as_bytes())?;
    std::fs::write(dir.join("public.pem"), public_pem)
        .map_err(|e| Failure::input(format!("--out: cannot write public.pem ({e})")))
}

/// Writes the private key readable by the owner only.
fn write_private(path: &Path, pem: &[u8]) -> Result<(), Failure> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    opts.open(path)
        .and_then(|mut f| f.write_all(pem))
        .map_err(|e| Failure::input(format!("--out: cannot write private.pem ({e})")))
}

fn s3_sign(args: &[String]) -> Result<(), Failure> {
    let o = Opts::parse(args, &["key", "type"], &[])?;
    let alg = match o.optional("type") {
        None => SignAlg::default(),
        Some(t) => t
            .parse()
            .map_err(|e: SignatureError| Failure::input(format!("--type: {e}")))?,
    };
    let key = private_key(&o)?;
    let mut msg = stdin_json()?;
    s3::sign_message(&mut msg, &key, alg).map_err(|e| Failure::input(e.to_string()))?;
    stdout(format!("{msg}\n").as_bytes())
}

fn s3_verify(args: &[String]) -> Result<(), Failure> {
    let o = Opts::parse(args, &["key"], &[])?;
    let key = public_key(&o)?;
    let msg = stdin_json()?;
    match s3::verify_message(&msg, &key) {
        Ok(_) => Ok(()),
        Err(e @ (SignedJsonError::NotObject | SignedJsonError::Canonical(_))) => {
            Err(Failure::input(e.to_string()))
        }
        Err(e) => Err(Failure::invalid(e)),
    }
}

fn s3_encrypt(args: &[String]) -> Result<(), Failure> {
    let o = Opts::parse(args, &["key"], &["gzip"])?;
    let key = public_key(&o)?;
    let plain = stdin_bytes()?;
    let b64 = chunked::encrypt(&key, &plain, o.flag("gzip"), &mut OsRng)
        .map_err(|e| Failure::input(e.to_string()))?;
    stdout(format!("{b64}\n").as_bytes())
}

fn s3_decrypt(args: &[String]) -> Result<(), Failure> {
    let o = Opts::parse(args, &["key"], &["gzip"])?;
    let key = private_key(&o)?;
    let b64 = stdin_text()?;
    let plain =
        chunked::decrypt(&key, &b64, o.flag("gzip")).map_err(|e| Failure::input(e.to_string()))?;
    stdout(&plain)
}

fn paytm_params() -> Result<Params, Failure> {
    let v = stdin_json()?;
    let obj = v
        .as_object()
        .ok_or_else(|| Failure::input("stdin: params must be a JSON object"))?;
    obj.iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k.clone(), Some(s.clone()))),
            serde_json::Value::Null => Ok((k.clone(), None)),
            _ => Err(Failure::input(format!(
                "params.{k}: must be a string or null"
            ))),
        })
        .collect()
}

fn paytm_error(e: ChecksumError) -> Failure {
    match e {
        ChecksumError::Mismatch => Failure::invalid(e),
        ChecksumError::KeyLength { .. } | ChecksumError::Salt => {
            Failure::input(format!("--key: {e}"))
        }
    }
}

fn paytm_checksum(args: &[String]) -> Result<(), Failure> {
    let o = Opts::parse(args, &["key"], &[])?;
    let key = o.required("key")?;
    let params = paytm_params()?;
    let mut salt = [0u8; 4];
    OsRng.fill_bytes(&mut salt);
    let c = checksum::generate(&params, key.as_bytes(), &Salt::from_random_bytes(salt))
        .map_err(paytm_error)?;
    stdout(format!("{c}\n").as_bytes())
}

fn paytm_verify(args: &[String]) -> Result<(), Failure> {
    let o = Opts::parse(args, &["key", "checksum"], &[])?;
    let key = o.required("key")?;
    let c = o.required("checksum")?;
    let params = paytm_params()?;
    checksum::verify(&params, key.as_bytes(), c).map_err(paytm_error)
}

fn pingpp_verify(args: &[String]) -> Result<(), Failure> {
    let o = Opts::parse(args, &["key", "signature"], &[])?;
    let key = public_key(&o)?;
    let sig = o.required("signature")?;
    let body = stdin_bytes()?;
    pingpp::verify(&body, sig, &key).map_err(Failure::invalid)
}

fn webhook_sign(args: &[String]) -> Result<(), Failure> {
    let o = Opts::parse(args, &["secret", "timestamp"], &[])?;
    let secret = o.required("secret")?;
    let t = o.u64_req("timestamp")?;
    let body = stdin_bytes()?;
    stdout(format!("{}\n", webhook_sig::sign(secret.as_bytes(), t, &body)).as_bytes())
}

fn webhook_verify(args: &[String]) -> Result<(), Failure> {
    let o = Opts::parse(args, &["secret", "header", "now", "tolerance"], &[])?;
    let secret = o.required("secret")?;
    let header = o.required("header")?;
    let now = match o.u64_opt("now")? {
        Some(n) => n,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| Failure::input("clock: before 1970"))?
            .as_secs(),
    };
    let tolerance = o
        .u64_opt("tolerance")?
        .unwrap_or(webhook_sig::DEFAULT_TOLERANCE_SECS);
    let body = stdin_bytes()?;
    match webhook_sig::verify(&[secret.as_bytes()], header, &body, now, tolerance) {
        Ok(_) => Ok(()),
        Err(e @ webhook_sig::WebhookSigError::Malformed { .. }) => {
            Err(Failure::input(format!("--header: {e}")))
        }
        Err(e) => Err(Failure::invalid(e)),
    }
}

fn totp_code(args: &[String]) -> Result<(), Failure> {
    let o = Opts::parse(args, &["secret", "time"], &[])?;
    let t = totp::Totp::from_base32(o.required("secret")?)
        .map_err(|e| Failure::input(format!("--secret: {e}")))?;
    let now = o.u64_req("time")?;
    stdout(format!("{}\n", t.code_at(now)).as_bytes())
}

fn canon(args: &[String]) -> Result<(), Failure> {
    Opts::parse(args, &[], &[])?;
    let text = stdin_text()?;
    // No trailing newline: the output is the exact byte string that gets signed.
    let c = jcs::canonicalize_str(&text).map_err(|e| Failure::input(format!("stdin: {e}")))?;
    stdout(c.as_bytes())
}
