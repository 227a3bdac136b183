//! No secret of the merchant or the edge reaches the widget bundle (SPEC 8): every file
//! `cargo xtask widget` put in `www/kassa/` is searched for every value of
//! `edge/.dev.vars` (the merchant key among them), the sandbox's development keys, and
//! the integration tests' merchant key. Long values (RSA keys) are also searched in
//! 48-character pieces, so a key re-wrapped into PEM lines would still be found.

#![allow(clippy::unwrap_used, clippy::panic)]

use kassa_tests::e2e::stack::{dev_var, dev_vars, sandbox_config_path};
use kassa_tests::harness::{root, MERCHANT_KEY};

const PIECE: usize = 48;

fn needles() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = dev_vars().unwrap();
    out.push((
        "KASSA_MERCHANT_KEY".into(),
        dev_var("KASSA_MERCHANT_KEY").unwrap(),
    ));
    out.push(("harness MERCHANT_KEY".into(), MERCHANT_KEY.to_owned()));
    let sandbox: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sandbox_config_path()).unwrap()).unwrap();
    for (upstream, fields) in sandbox.as_object().unwrap() {
        for (field, v) in fields.as_object().into_iter().flatten() {
            if let Some(s) = v.as_str() {
                out.push((format!("sandbox {upstream}.{field}"), s.to_owned()));
            }
        }
    }
    out
}

#[test]
fn bundle_holds_no_development_secret() {
    let dir = root().join("www/kassa");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask widget`", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n == "kassa.js") && names.iter().any(|n| n == "kassa_bg.wasm"),
        "{names:?}"
    );
    let needles = needles();
    // Every secret the edge holds is there to be searched for.
    for must in [
        "KASSA_MERCHANT_KEY",
        "KASSA_WEBHOOK_SECRET",
        "KASSA_CLIENT_SECRET_KEY",
        "KASSA_CODE_PEPPER",
        "KASSA_S3_PRIVATE_KEY",
        "KASSA_OAEP_PRIVATE_KEY",
        "KASSA_PAYTM_MERCHANT_KEY",
        "KASSA_PINGPP_SECRET_KEY",
        "KASSA_WALLET_API_KEY",
        "KASSA_S0_ORG_SECRET",
    ] {
        assert!(
            needles.iter().any(|(n, _)| n == must),
            "{must} not in .dev.vars"
        );
    }
    let mut searched = 0;
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        assert!(!bytes.is_empty(), "{}", file.display());
        for (name, value) in &needles {
            assert!(value.len() >= 8, "{name}: too short to search for");
            let mut pieces = vec![value.as_bytes()];
            if value.len() > 2 * PIECE {
                pieces.extend(value.as_bytes().chunks_exact(PIECE));
            }
            for piece in pieces {
                searched += 1;
                assert!(
                    !bytes.windows(piece.len()).any(|w| w == piece),
                    "{} contains {name}",
                    file.display()
                );
            }
        }
    }
    assert!(searched > needles.len(), "{searched}");
}
