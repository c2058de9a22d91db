//! The processes measured: the `ristretto` binary and the AWS CLI, both pointed at one
//! simulator with dummy credentials and no shared AWS config.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The binary measured: `RISTRETTO_BIN` (e.g. a copy, while this one is rebuilt), else the one
/// cargo built with this benchmark.
pub fn ristretto_bin() -> String {
    std::env::var("RISTRETTO_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ristretto").to_owned())
}

/// Which build is measured, for the header.
pub fn ristretto_profile() -> String {
    match std::env::var("RISTRETTO_BIN") {
        Ok(bin) => format!("RISTRETTO_BIN={bin} (its profile is whatever built it)"),
        Err(_) if cfg!(debug_assertions) => {
            "this build's ristretto, debug (the dev profile: slower start-up than a release)"
                .to_owned()
        }
        Err(_) => "this build's ristretto, optimised (the release or bench profile)".to_owned(),
    }
}

/// Keeps the user's AWS config and credentials files out of the measurement.
fn isolate(command: &mut Command, dir: &Path) {
    command
        .env("AWS_ACCESS_KEY_ID", "a")
        .env("AWS_SECRET_ACCESS_KEY", "b")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        )
        .env("AWS_PAGER", "")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN");
}

/// `ristretto --endpoint-url <endpoint> --region us-east-1 <args>` in `dir`, output discarded.
pub fn ristretto(dir: &Path, endpoint: &str, args: &[&str]) -> Command {
    let mut command = Command::new(ristretto_bin());
    command
        .current_dir(dir)
        .args(["--endpoint-url", endpoint, "--region", "us-east-1"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    isolate(&mut command, dir);
    command
}

/// `ristretto deploy` of the image tagged `tag`: true when it succeeded.
pub fn ristretto_deploy(dir: &Path, endpoint: &str, tag: &str) -> bool {
    ristretto(dir, endpoint, &["deploy"])
        .env("TAG", tag)
        .status()
        .is_ok_and(|s| s.success())
}

/// `aws --endpoint-url <endpoint> --region us-east-1 <args>`, output discarded.
pub fn aws(cli: &Path, dir: &Path, endpoint: &str, args: &[&str]) -> Command {
    let mut command = Command::new(cli);
    command
        .current_dir(dir)
        .args(["--endpoint-url", endpoint, "--region", "us-east-1"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    isolate(&mut command, dir);
    command
}

/// Runs an AWS CLI waiter until it succeeds, at most 5 times. A waiter gives up after its
/// attempts (`ecs wait services-stable`: 40 × 15 s; `deploy wait deployment-successful`:
/// 120 × 15 s) and exits 255; a pipeline waiting for a longer deployment runs it again, and so
/// does the benchmark (only the `long` shape comes near the ECS waiter's 10 minutes).
pub fn aws_wait(cli: &Path, dir: &Path, endpoint: &str, args: &[&str]) -> bool {
    (0..5).any(|_| {
        aws(cli, dir, endpoint, args)
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// The AWS CLI: `$AWS_CLI`, `aws` on the PATH, or the CI virtualenv's.
pub fn aws_cli() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("AWS_CLI") {
        return Some(PathBuf::from(path));
    }
    let ci_venv = std::env::temp_dir().join("ristretto-ci-venv/bin/aws");
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("aws"))
        .find(|p| p.is_file());
    on_path.or_else(|| ci_venv.is_file().then_some(ci_venv))
}

/// `aws --version`'s first line, for the header.
pub fn aws_version(cli: &Path) -> String {
    Command::new(cli)
        .arg("--version")
        .output()
        .ok()
        .map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text).trim().to_owned()
        })
        .unwrap_or_else(|| "version unknown".to_owned())
}
