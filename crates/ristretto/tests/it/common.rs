//! Helpers shared by the binary's end-to-end tests: running `ristretto` in a
//! clean environment (in a pipe, or in a pseudo-terminal), copies of the
//! examples, readable transcripts.

// Each test binary uses its own subset.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The environment every run gets: nothing of the developer's or CI's own
/// (no AWS profile, no `CI`), a fast local world.
pub const BASE_ENV: [(&str, &str); 2] = [
    ("AWS_EC2_METADATA_DISABLED", "true"),
    ("RISTRETTO_LOCAL_SPEED", "50"),
];

/// `ristretto` in `dir` with a clean environment (see [`BASE_ENV`]).
pub fn ristretto(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ristretto"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(BASE_ENV);
    command
}

/// Exit code, stdout and stderr as one text for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A temp folder holding a copy of `examples/<name>` at the same relative
/// path, its `local-world.yaml` replaced by `world` when given.
pub fn example_copy(name: &str, world: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("examples").join(name);
    std::fs::create_dir_all(&target).expect("mkdir");
    for entry in std::fs::read_dir(repo().join("examples").join(name)).expect("example exists") {
        let entry = entry.expect("entry");
        if entry.path().is_file() {
            std::fs::copy(entry.path(), target.join(entry.file_name())).expect("copy");
        }
    }
    if let Some(world) = world {
        std::fs::write(target.join("local-world.yaml"), world).expect("world");
    }
    dir
}

/// What a run in a terminal printed (stdout and stderr together, as a
/// terminal shows them) and its exit code.
pub struct TerminalRun {
    pub exit: u32,
    pub output: String,
}

/// Runs `ristretto args…` in `dir` inside a pseudo-terminal of `cols`
/// columns, with [`BASE_ENV`], `TERM=xterm-256color` and `env`.
pub fn ristretto_in_terminal(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    cols: u16,
) -> TerminalRun {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal opens");
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_ristretto"));
    command.args(args);
    command.cwd(dir);
    command.env_clear();
    command.env("PATH", std::env::var("PATH").unwrap_or_default());
    command.env("TERM", "xterm-256color");
    for (key, value) in BASE_ENV.iter().chain(env) {
        command.env(key, value);
    }
    let mut child = pair.slave.spawn_command(command).expect("spawns");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("reader");
    let collect = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        // Linux reports EIO once the terminal's other side is closed.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        all
    });
    let status = child.wait().expect("exits");
    drop(pair.master);
    let output = collect.join().expect("reader thread");
    TerminalRun {
        exit: status.exit_code(),
        output: String::from_utf8_lossy(&output).into_owned(),
    }
}
