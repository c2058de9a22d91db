//! Helpers shared by the binary's end-to-end tests: running `ristretto` in a
//! clean environment (in a pipe, or in a pseudo-terminal), copies of the
//! examples, readable transcripts, and the one filter that makes snapshots
//! independent of times and generated IDs ([`stable`]).

// The pseudo-terminal helpers serve only the unix-only tests.
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

/// Exit code, stdout and stderr as one text for snapshots, through
/// [`stable`]: the one format every snapshot of a run uses.
pub fn transcript((code, stdout, stderr): &(i32, String, String)) -> String {
    stable(&format!(
        "exit: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}"
    ))
}

/// `text` with what changes from run to run or with the simulator's ID
/// generation replaced by placeholders, so snapshots pin only the output's
/// shape and meaning:
///
/// - times (`2026-11-22T01:36:38Z`, also with fractions of a second or an
///   offset): `[TIME]`;
/// - ECS deployment and task set IDs (`ecs-svc/` and 19 digits):
///   `ecs-svc/[ID1]`, `ecs-svc/[ID2]`, …;
/// - CodeDeploy deployment IDs (`d-` and 9 capitals or digits): `d-[ID1]`, …;
/// - UUIDs: `[UUID1]`, …;
/// - 32 hex digits (task and event IDs): `[HEX1]`, ….
///
/// Each kind is numbered in order of first appearance and the same ID always
/// gets the same placeholder, so a snapshot still shows which lines name the
/// same deployment or task.
pub fn stable(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut seen: Vec<(&'static str, String)> = Vec::new();
    let mut placeholder = |kind: &'static str, id: String| -> String {
        let position = seen.iter().position(|(k, i)| *k == kind && *i == id);
        let index = position.unwrap_or_else(|| {
            seen.push((kind, id));
            seen.len() - 1
        });
        let number = seen[..=index].iter().filter(|(k, _)| *k == kind).count();
        format!("[{kind}{number}]")
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        let after_word = i > 0 && chars[i - 1].is_ascii_alphanumeric();
        if let Some(n) = time_len(rest) {
            out.push_str("[TIME]");
            i += n;
            continue;
        }
        if !after_word {
            if let Some(n) = prefixed_len(rest, "ecs-svc/", 19, |c| c.is_ascii_digit()) {
                out.push_str("ecs-svc/");
                out.push_str(&placeholder("ID", rest[8..n].iter().collect()));
                i += n;
                continue;
            }
            if let Some(n) = prefixed_len(rest, "d-", 9, |c| {
                c.is_ascii_uppercase() || c.is_ascii_digit()
            }) {
                out.push_str("d-");
                out.push_str(&placeholder("ID", rest[2..n].iter().collect()));
                i += n;
                continue;
            }
            if let Some(n) = uuid_len(rest) {
                out.push_str(&placeholder("UUID", rest[..n].iter().collect()));
                i += n;
                continue;
            }
            if let Some(n) = prefixed_len(rest, "", 32, |c| c.is_ascii_hexdigit()) {
                out.push_str(&placeholder("HEX", rest[..n].iter().collect()));
                i += n;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Whether `chars` starts with `pattern`, where `#` is any ASCII digit.
fn shaped(chars: &[char], pattern: &str) -> bool {
    chars.len() >= pattern.len()
        && pattern.chars().zip(chars).all(|(p, &c)| match p {
            '#' => c.is_ascii_digit(),
            _ => c == p,
        })
}

/// Length of the time at the start of `chars`: `YYYY-MM-DDTHH:MM:SS`, an
/// optional fraction, then `Z` or `±HH:MM`.
fn time_len(chars: &[char]) -> Option<usize> {
    if !shaped(chars, "####-##-##T##:##:##") {
        return None;
    }
    let mut n = 19;
    if chars.get(n) == Some(&'.') {
        let digits = chars[n + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits > 0 {
            n += 1 + digits;
        }
    }
    match chars.get(n) {
        Some('Z') => Some(n + 1),
        Some('+' | '-') if shaped(&chars[n + 1..], "##:##") => Some(n + 6),
        _ => None,
    }
}

/// Length of `prefix` followed by exactly `count` characters that are `ok`
/// (no further letter or digit) at the start of `chars`.
fn prefixed_len(
    chars: &[char],
    prefix: &str,
    count: usize,
    ok: impl Fn(char) -> bool,
) -> Option<usize> {
    let p = prefix.chars().count();
    let n = p + count;
    let matches = chars.len() >= n
        && prefix.chars().zip(chars).all(|(a, &b)| a == b)
        && chars[p..n].iter().all(|&c| ok(c))
        && !chars.get(n).is_some_and(char::is_ascii_alphanumeric);
    matches.then_some(n)
}

/// Length of the UUID (8-4-4-4-12 hex digits) at the start of `chars`.
fn uuid_len(chars: &[char]) -> Option<usize> {
    let mut n = 0;
    for (k, group) in [8, 4, 4, 4, 12].into_iter().enumerate() {
        if k > 0 {
            if chars.get(n) != Some(&'-') {
                return None;
            }
            n += 1;
        }
        let end = n + group;
        if chars.len() < end || !chars[n..end].iter().all(char::is_ascii_hexdigit) {
            return None;
        }
        n = end;
    }
    (!chars.get(n).is_some_and(char::is_ascii_alphanumeric)).then_some(n)
}

#[test]
fn stable_replaces_times_and_generated_ids_and_keeps_the_rest() {
    let text = "2026-11-22T01:36:38Z (deployment ecs-svc/0451216379200822465) done\n\
        at 2026-11-22T01:36:38.123+02:00 ecs-svc/1111111111111111111 then ecs-svc/0451216379200822465\n\
        d-ABCDE1234 and d-ABCDE1234 task/default/0123456789abcdef0123456789abcdef\n\
        4f1c2d3e-aaaa-bbbb-cccc-0123456789ab\n\
        kept: sg-0123456789abcdef0 web:1 d-short ecs-svc/12 xd-ABCDE1234 2026-11-22\n";
    assert_eq!(
        stable(text),
        "[TIME] (deployment ecs-svc/[ID1]) done\n\
        at [TIME] ecs-svc/[ID2] then ecs-svc/[ID1]\n\
        d-[ID3] and d-[ID3] task/default/[HEX1]\n\
        [UUID1]\n\
        kept: sg-0123456789abcdef0 web:1 d-short ecs-svc/12 xd-ABCDE1234 2026-11-22\n"
    );
}
