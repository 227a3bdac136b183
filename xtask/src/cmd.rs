//! Running commands and finding the workspace's paths.

use std::path::{Path, PathBuf};
use std::process::Command;

pub type Result<T = ()> = std::result::Result<T, String>;

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.to_path_buf(), Path::to_path_buf)
}

/// Cargo's target directory, honouring `CARGO_TARGET_DIR` as cargo does.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                root().join(dir)
            }
        }
        _ => root().join("target"),
    }
}

/// `node_modules/.bin/<tool>` of the pinned npm packages.
pub fn npm_bin(tool: &str) -> PathBuf {
    root().join("node_modules").join(".bin").join(tool)
}

pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

/// Runs `cmd` to completion, echoing it; non-zero exit is an error naming the command.
pub fn exec(cmd: &mut Command) -> Result {
    let shown = format!("{cmd:?}");
    eprintln!("xtask: $ {shown}");
    let status = cmd
        .status()
        .map_err(|e| format!("{shown}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown}: exited with {status}"))
    }
}

/// Runs `cmd` and returns its trimmed stdout, or `None` when it cannot run or fails.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A target dir shared by two clones of this repository holds one `xtask` binary (cargo
/// names binaries without a hash), so `cargo xtask` in one clone can run the binary built
/// in the other, with that clone's paths baked in. Detect it (cargo sets
/// `CARGO_MANIFEST_DIR` for the program it runs), touch our source so cargo rebuilds it
/// for this clone, and run that instead. `Some(code)` = we re-ran; exit with it.
pub fn rerun_if_foreign_binary() -> Option<std::process::ExitCode> {
    let runtime = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    if runtime == Path::new(env!("CARGO_MANIFEST_DIR"))
        || std::env::var_os("KASSA_XTASK_RERUN").is_some()
    {
        return None;
    }
    eprintln!(
        "xtask: this binary was built for {}; rebuilding for {}",
        env!("CARGO_MANIFEST_DIR"),
        runtime.display()
    );
    let main = runtime.join("src/main.rs");
    let touched = std::fs::File::options()
        .append(true)
        .open(&main)
        .and_then(|f| f.set_modified(std::time::SystemTime::now()));
    if let Err(e) = touched {
        eprintln!("xtask: cannot touch {}: {e}", main.display());
        return Some(std::process::ExitCode::FAILURE);
    }
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["run", "--quiet", "--package", "xtask", "--"])
        .args(std::env::args_os().skip(1))
        .current_dir(&runtime)
        .env("KASSA_XTASK_RERUN", "1")
        .status();
    Some(match status {
        Ok(s) if s.success() => std::process::ExitCode::SUCCESS,
        Ok(s) => std::process::ExitCode::from(u8::try_from(s.code().unwrap_or(1)).unwrap_or(1)),
        Err(e) => {
            eprintln!("xtask: cannot re-run cargo: {e}");
            std::process::ExitCode::FAILURE
        }
    })
}
