//! The bad-input corpus (issue 14): every case under `tests/bad-input/<case>/`
//! is bad input — a definition AWS would refuse, a broken config, template,
//! flag, environment variable, local state or world file — and must exit
//! with its code (2), name where the problem is (a substring of stderr such
//! as `ecs-task-def.json:3:3`) and change nothing: no mutating call reaches
//! the simulator (no call at all unless the case allows reads), and no file
//! of the case is modified.
//!
//! Each case holds only the files that differ from `_base/` (a valid rolling
//! service) and a `case.yaml` (see `tests/bad-input/README.md`). One simulator
//! serves every case, run one after the other.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use ristretto_sim::{SimConfig, World};
use serde::Deserialize;

use crate::common::{repo, text};

/// A case's `case.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// What is wrong, in a few words.
    about: String,
    /// The command line after the global `--endpoint-url`.
    args: Vec<String>,
    /// Extra environment variables.
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// Whether to pass `--endpoint-url <simulator>` (default true).
    #[serde(default = "yes")]
    endpoint: bool,
    /// `none` (default): no request at all; `reads`: read-only requests allowed.
    #[serde(default)]
    requests: Requests,
    /// The expected exit code.
    exit: i32,
    /// Substrings stderr must contain (the location first).
    stderr: Vec<String>,
}

#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Requests {
    #[default]
    None,
    Reads,
}

fn yes() -> bool {
    true
}

fn corpus() -> PathBuf {
    repo().join("crates/ristretto/tests/bad-input")
}

fn copy_files(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_files(&entry.path(), &target);
        } else if entry.file_name() != "case.yaml" {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Every file under `dir` and its bytes.
fn snapshot(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            snapshot(&path, out);
        } else {
            out.insert(path.clone(), std::fs::read(&path).expect("read"));
        }
    }
}

fn run(dir: &Path, endpoint: Option<&str>, case: &Case) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ristretto"));
    command.current_dir(dir).env_clear();
    if let Some(url) = endpoint {
        command.arg("--endpoint-url").arg(url);
    }
    command
        .args(&case.args)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("RISTRETTO_LOCAL_SPEED", "50")
        .envs(&case.env);
    command.output().expect("runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_exits_2_names_its_place_and_changes_nothing() {
    let sim = ristretto_sim::start(
        SimConfig {
            world: World::default_world(),
            state_file: None,
            speed: 50.0,
            request_log: None,
        },
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("simulator starts");
    let url = sim.endpoint_url();

    // The base is good: a dry run of it succeeds (so a case fails for its
    // own reason, not because the base is broken).
    let base = tempfile::tempdir().expect("tempdir");
    copy_files(&corpus().join("_base"), base.path());
    let control = Case {
        about: "the valid base".to_owned(),
        args: vec!["deploy".to_owned(), "--dry-run".to_owned()],
        env: BTreeMap::new(),
        endpoint: true,
        requests: Requests::Reads,
        exit: 0,
        stderr: Vec::new(),
    };
    let (dir, url2) = (base.path().to_owned(), url.clone());
    let out = tokio::task::spawn_blocking(move || run(&dir, Some(&url2), &control))
        .await
        .expect("joins");
    assert_eq!(out.status.code(), Some(0), "the base: {}", text(&out));

    let mut names: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("case.yaml").is_file())
        .collect();
    names.sort();
    let mut failures = Vec::new();
    for case_dir in &names {
        let name = case_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let case: Case = yaml_serde::from_str(
            &std::fs::read_to_string(case_dir.join("case.yaml")).expect("case.yaml"),
        )
        .unwrap_or_else(|e| panic!("{name}/case.yaml: {e}"));
        let dir = tempfile::tempdir().expect("tempdir");
        copy_files(&corpus().join("_base"), dir.path());
        copy_files(case_dir, dir.path());
        let mut before = BTreeMap::new();
        snapshot(dir.path(), &mut before);
        let requests_before = sim.requests().len();

        let path = dir.path().to_owned();
        let endpoint = case.endpoint.then(|| url.clone());
        let (out, case) = tokio::task::spawn_blocking(move || {
            let out = run(&path, endpoint.as_deref(), &case);
            (out, case)
        })
        .await
        .expect("joins");

        let requests: Vec<_> = sim.requests().into_iter().skip(requests_before).collect();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut wrong = Vec::new();
        if out.status.code() != Some(case.exit) {
            wrong.push(format!(
                "exit {:?}, expected {}",
                out.status.code(),
                case.exit
            ));
        }
        for expected in &case.stderr {
            if !stderr.contains(expected.as_str()) {
                wrong.push(format!("stderr lacks `{expected}`"));
            }
        }
        if case.exit != 0 && !stderr.contains("error") {
            wrong.push("no error message".to_owned());
        }
        let mutating: Vec<_> = requests.iter().filter(|r| r.mutating).collect();
        if !mutating.is_empty() {
            wrong.push(format!("mutating calls: {mutating:?}"));
        }
        if case.requests == Requests::None && !requests.is_empty() {
            wrong.push(format!("calls made: {requests:?}"));
        }
        let mut after = BTreeMap::new();
        snapshot(dir.path(), &mut after);
        for (file, bytes) in &before {
            if after.get(file) != Some(bytes) {
                wrong.push(format!("changed or removed {}", file.display()));
            }
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{name} ({}): {}\n{}",
                case.about,
                wrong.join("; "),
                text(&out)
            ));
        }
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!("bad-input corpus: {} cases ran", names.len());
    }
    assert!(names.len() >= 100, "the corpus has {} cases", names.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        names.len(),
        failures.join("\n\n")
    );
}

// Issue 14, item 4: `--revision N` of a revision that does not exist named no
// revision and exited 1. API_DescribeTaskDefinition.html: an unknown revision
// is a ClientException.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_of_a_revision_that_does_not_exist_names_it_and_changes_nothing() {
    let sim = ristretto_sim::start(
        SimConfig {
            world: World::default_world(),
            state_file: None,
            speed: 200.0,
            request_log: None,
        },
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("simulator starts");
    let url = sim.endpoint_url();
    let dir = tempfile::tempdir().expect("tempdir");
    copy_files(&corpus().join("_base"), dir.path());
    let case = |args: &[&str]| Case {
        about: String::new(),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        env: BTreeMap::new(),
        endpoint: true,
        requests: Requests::Reads,
        exit: 0,
        stderr: Vec::new(),
    };
    let run_case = |args: &[&str]| {
        let (path, url, case) = (dir.path().to_owned(), url.clone(), case(args));
        tokio::task::spawn_blocking(move || run(&path, Some(&url), &case))
    };
    let deployed = run_case(&["deploy"]).await.expect("joins");
    let mutating_before = sim.requests().iter().filter(|r| r.mutating).count();
    let out = run_case(&["deploy", "--revision", "99"])
        .await
        .expect("joins");
    assert_eq!(deployed.status.code(), Some(0), "{}", text(&deployed));
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("`--revision 99`: task definition web:99 does not exist"),
        "{all}"
    );
    assert_eq!(
        sim.requests().iter().filter(|r| r.mutating).count(),
        mutating_before,
        "no mutating call"
    );
}

// `render` and `diff` change nothing: a definition AWS would refuse is shown,
// with the broken rule as a warning at its place (README, "Checked before
// any call"); `deploy` refuses the same file (the corpus).
#[test]
fn render_and_diff_show_a_refused_definition_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_files(&corpus().join("_base"), dir.path());
    copy_files(&corpus().join("td-network-mode-bridgex"), dir.path());
    let case = Case {
        about: String::new(),
        args: vec![
            "--local".to_owned(),
            "render".to_owned(),
            "taskdef".to_owned(),
        ],
        env: BTreeMap::new(),
        endpoint: false,
        requests: Requests::None,
        exit: 0,
        stderr: Vec::new(),
    };
    let out = run(dir.path(), None, &case);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("\"bridgex\""),
        "{all}"
    );
    assert!(
        all.contains("warning: AWS would refuse this: ")
            && all.contains("ecs-task-def.json:3:3: `networkMode`: `bridgex` is not one of"),
        "{all}"
    );
    let diff = Case {
        args: vec!["--local".to_owned(), "diff".to_owned()],
        ..case
    };
    let out = run(dir.path(), None, &diff);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("warning: AWS would refuse this: "), "{all}");
}

// Issue 14, "order of effects": when the call after RegisterTaskDefinition
// fails without AWS refusing the definition (here CreateService answers
// AccessDeniedException, injected by the simulator's fault rules; a 5xx the
// SDK gives up on is handled alike but costs its retries), ristretto cannot
// tell that nothing happened, so the revision is kept — and the output says
// it was left behind and how to remove it. (API_CreateService.html, "Errors":
// only ClientException and InvalidParameterException say the request itself
// was refused; those deregister the revision, see `rejected.rs`.)
#[test]
fn a_revision_left_behind_by_a_failed_service_change_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_files(&corpus().join("_base"), dir.path());
    std::fs::write(
        dir.path().join("local-world.yaml"),
        "clusters: [default]\nfaults:\n  - {action: \"ecs:CreateService\", status: 400, code: AccessDeniedException, times: 1}\n",
    )
    .expect("world");
    let case = Case {
        about: String::new(),
        args: vec!["--local".to_owned(), "deploy".to_owned()],
        env: BTreeMap::new(),
        endpoint: false,
        requests: Requests::None,
        exit: 1,
        stderr: Vec::new(),
    };
    let out = run(dir.path(), None, &case);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("task definition web:1 registered by this run is left ACTIVE")
            && all.contains("`ristretto deregister --revision 1` removes it"),
        "{all}"
    );
}

// The same for a CODE_DEPLOY service: the revision is registered, then
// CreateDeployment fails (AccessDeniedException from the fault rules), and
// the output names the revision left behind.
#[test]
fn a_revision_left_behind_by_a_failed_codedeploy_deployment_is_named() {
    let dir = crate::common::example_copy("codedeploy", None);
    let example = dir.path().join("examples/codedeploy");
    let config = "examples/codedeploy/config.yaml";
    let first = crate::common::ristretto(dir.path())
        .args(["--local", "--config", config, "deploy"])
        .output()
        .expect("runs");
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let world = std::fs::read_to_string(example.join("local-world.yaml")).expect("world");
    std::fs::write(
        example.join("local-world.yaml"),
        format!(
            "{world}\nfaults:\n  - {{action: \"codedeploy:CreateDeployment\", status: 400, code: AccessDeniedException, times: 1}}\n"
        ),
    )
    .expect("world");
    let out = crate::common::ristretto(dir.path())
        .args(["--local", "--config", config, "deploy"])
        .env("IMAGE_TAG", "1.28")
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("task definition web:2 registered by this run is left ACTIVE")
            && all.contains("`ristretto deregister --revision 2` removes it"),
        "{all}"
    );
}
