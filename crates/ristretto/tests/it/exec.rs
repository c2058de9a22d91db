//! `exec` end to end, up to the handover: the real binary against `ristretto local serve` (with
//! a request log), and a recording `session-manager-plugin` first on PATH that writes what it
//! receives — its arguments and the session variable — and exits with a chosen code.
//!
//! What is checked follows the AWS CLI's handover (awscli/customizations/ecs/executecommand.py
//! and awscli/customizations/sessionmanager.py): the plugin is run before any call to prove it
//! is there; then six arguments: the session JSON (or, for a plugin newer than 1.2.497.0, the
//! name of the variable `AWS_SSM_START_SESSION_RESPONSE` that holds it), the region,
//! `StartSession`, the profile, the request parameters JSON with the target
//! `ecs:<cluster>_<task-id>_<container-runtime-id>`, the SSM endpoint.

use std::io::BufRead;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ristretto");

const TASK_DEF: &str = r#"{
  "family": "web",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [
    {"name": "log", "image": "fluent/fluent-bit:3", "essential": false},
    {"name": "app", "image": "nginx:1.27", "essential": true}
  ]
}"#;

fn service_def(count: u32, exec: bool) -> String {
    format!(
        r#"{{
  "launchType": "FARGATE",
  "desiredCount": {count},
  "enableExecuteCommand": {exec},
  "networkConfiguration": {{"awsvpcConfiguration": {{"subnets": ["subnet-1"]}}}}
}}"#
    )
}

/// The recording plugin: `--version` prints `$FAKE_PLUGIN_VERSION`; otherwise it writes one
/// argument per line to `plugin.args`, the session variable to `plugin.env`, and exits with
/// `$FAKE_PLUGIN_EXIT`.
const PLUGIN: &str = r#"#!/bin/sh
if [ "$1" = "--version" ]; then echo "${FAKE_PLUGIN_VERSION:-1.2.707.0}"; exit 0; fi
for a in "$@"; do printf '%s\n' "$a"; done > "$FAKE_PLUGIN_DIR/plugin.args"
printf '%s' "${AWS_SSM_START_SESSION_RESPONSE:-}" > "$FAKE_PLUGIN_DIR/plugin.env"
exit "${FAKE_PLUGIN_EXIT:-0}"
"#;

struct Sim {
    dir: tempfile::TempDir,
    port: u16,
    child: Child,
    seen: usize,
}

impl Sim {
    fn start(count: u32, exec: bool) -> Sim {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        write(
            d,
            "world.yaml",
            "clusters: [default]\ntaskStartDelaySeconds: 2\ntaskStartJitter: 0\n",
        );
        write(
            d,
            "config.yaml",
            "region: us-east-1\ncluster: default\nservice: web\nservice_definition: sd.json\ntask_definition: td.json\ntimeout: 5m\n",
        );
        write(d, "td.json", TASK_DEF);
        write(d, "sd.json", &service_def(count, exec));
        std::fs::create_dir(d.join("bin")).expect("mkdir");
        write(d, "bin/session-manager-plugin", PLUGIN);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                d.join("bin/session-manager-plugin"),
                std::fs::Permissions::from_mode(0o755),
            )
            .expect("chmod");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(BIN)
            .current_dir(d)
            .env_clear()
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .args([
                "local",
                "serve",
                "--state",
                "state.json",
                "--world",
                "world.yaml",
            ])
            .args(["--request-log", "requests.jsonl", "--speed", "20"])
            .args(["--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("local serve starts");
        let sim = Sim {
            dir,
            port,
            child,
            seen: 0,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the simulator did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        sim
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `ristretto <args>` with the recording plugin first on PATH.
    fn command(&self, args: &[&str]) -> Command {
        let path = format!(
            "{}:{}",
            self.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut command = Command::new(BIN);
        command
            .current_dir(self.path())
            .env_clear()
            .env("PATH", path)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("FAKE_PLUGIN_DIR", self.path())
            .args(["--config", "config.yaml", "--color", "never"])
            .args(["--endpoint-url", &self.endpoint()])
            .args(args)
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("runs")
    }

    /// Creates the service and waits until it is stable.
    fn create(&mut self) {
        let out = self.run(&["create"]);
        assert_exit(&out, 0);
        self.calls();
    }

    /// The operations called since the last look.
    fn calls(&mut self) -> Vec<String> {
        let file = std::fs::File::open(self.path().join("requests.jsonl")).expect("request log");
        let lines: Vec<String> = std::io::BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .collect();
        let new = lines[self.seen..]
            .iter()
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("json line");
                v["operation"].as_str().unwrap_or_default().to_owned()
            })
            .collect();
        self.seen = lines.len();
        new
    }

    /// What the plugin received, then forgets it: its arguments and the session variable.
    fn handed(&self) -> (Vec<String>, String) {
        let args = std::fs::read_to_string(self.path().join("plugin.args")).expect("plugin ran");
        let env = std::fs::read_to_string(self.path().join("plugin.env")).unwrap_or_default();
        let _ = std::fs::remove_file(self.path().join("plugin.args"));
        let _ = std::fs::remove_file(self.path().join("plugin.env"));
        (args.lines().map(str::to_owned).collect(), env)
    }

    /// The simulator's record of a session (its saved state).
    fn session(&self, id: &str) -> Value {
        let text = std::fs::read_to_string(self.path().join("state.json")).expect("state");
        let state: Value = serde_json::from_str(&text).expect("state json");
        state["ssm"]["sessions"][id].clone()
    }

    fn plugin_ran(&self) -> bool {
        self.path().join("plugin.args").exists()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[track_caller]
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(out)
    );
}

/// `ecs:default_<task>_<runtime>` split into its task ID and runtime ID.
fn target_parts(parameters: &Value) -> (String, String) {
    let target = parameters["Target"].as_str().expect("Target");
    let rest = target.strip_prefix("ecs:default_").expect("ecs target");
    let (task, runtime) = rest.split_once('_').expect("task_runtime");
    (task.to_owned(), runtime.to_owned())
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn exec_hands_the_ecs_session_to_the_plugin_as_the_aws_cli_does() {
    let mut sim = Sim::start(1, true);
    sim.create();

    // The service's only task, its first essential container (`app`; `log` is not essential),
    // `sh` by default.
    let out = sim.run(&["exec"]);
    assert_exit(&out, 0);
    assert_eq!(
        sim.calls()
            .iter()
            .filter(|c| *c == "ExecuteCommand")
            .count(),
        1
    );
    let (args, env) = sim.handed();
    assert_eq!(args.len(), 6, "{args:?}");
    // A plugin newer than 1.2.497.0 reads the session from the variable its first argument names.
    assert_eq!(args[0], "AWS_SSM_START_SESSION_RESPONSE");
    let session = json(&env);
    let id = session["sessionId"].as_str().expect("sessionId").to_owned();
    assert!(id.starts_with("ecs-execute-command-"), "{id}");
    assert!(
        session["streamUrl"]
            .as_str()
            .is_some_and(|u| u.starts_with("wss://"))
    );
    assert!(
        session["tokenValue"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert_eq!(args[1], "us-east-1");
    assert_eq!(args[2], "StartSession");
    assert_eq!(args[3], "", "no --profile: an empty profile");
    let parameters = json(&args[4]);
    let (task, runtime) = target_parts(&parameters);
    assert_eq!(
        runtime,
        format!("{task}-app"),
        "the simulator's runtime ID of `app`"
    );
    assert_eq!(args[5], sim.endpoint());
    assert_eq!(sim.session(&id)["command"], "sh");
    assert!(
        stderr(&out).contains(&format!("container `app` of task {task}")),
        "{}",
        stderr(&out)
    );

    // --command and --container reach ExecuteCommand; the plugin's exit code is ristretto's.
    let out = sim
        .command(&[
            "exec",
            "--command",
            "ls -l /",
            "--container",
            "log",
            "--id",
            &task,
        ])
        .env("FAKE_PLUGIN_EXIT", "7")
        .env("FAKE_PLUGIN_VERSION", "1.2.497.0")
        .output()
        .expect("runs");
    assert_exit(&out, 7);
    let (args, env) = sim.handed();
    // An older plugin gets the session JSON itself.
    assert!(env.is_empty(), "{env}");
    let session = json(&args[0]);
    let id = session["sessionId"].as_str().expect("sessionId");
    assert_eq!(sim.session(id)["command"], "ls -l /");
    assert_eq!(target_parts(&json(&args[4])).1, format!("{task}-log"));

    // An unknown container is refused before any session, naming the task's containers.
    sim.calls();
    let out = sim.run(&["exec", "--container", "db"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("its containers: log, app"),
        "{}",
        stderr(&out)
    );
    assert!(!sim.calls().contains(&"ExecuteCommand".to_owned()));
    assert!(!sim.plugin_ran());
}

#[test]
fn port_forwarding_hands_an_ssm_session_with_either_document() {
    let mut sim = Sim::start(2, true);
    sim.create();

    // Two tasks: one must be chosen.
    let out = sim.run(&["exec", "--port-forward", "--port", "5432"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("2 tasks match"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--id"), "{}", stderr(&out));
    let calls = sim.calls();
    assert!(!calls.contains(&"StartSession".to_owned()), "{calls:?}");
    let task = {
        let text = std::fs::read_to_string(sim.path().join("state.json")).expect("state");
        let state = json(&text);
        state["ecs"]["clusters"]["default"]["services"]["web"]["tasks"]
            .as_object()
            .expect("tasks")
            .keys()
            .next()
            .expect("a task")
            .clone()
    };

    let out = sim.run(&[
        "exec",
        "--id",
        &task,
        "--port-forward",
        "--port",
        "5432",
        "--local-port",
        "15432",
    ]);
    assert_exit(&out, 0);
    let calls = sim.calls();
    assert!(calls.contains(&"StartSession".to_owned()), "{calls:?}");
    assert!(!calls.contains(&"ExecuteCommand".to_owned()), "{calls:?}");
    let (args, env) = sim.handed();
    assert_eq!(args[0], "AWS_SSM_START_SESSION_RESPONSE");
    let session = json(&env);
    assert!(session["SessionId"].is_string() && session["TokenValue"].is_string());
    assert!(session["StreamUrl"].is_string());
    assert_eq!(args[1..4], ["us-east-1", "StartSession", ""]);
    let parameters = json(&args[4]);
    assert_eq!(parameters["DocumentName"], "AWS-StartPortForwardingSession");
    assert_eq!(
        parameters["Parameters"],
        serde_json::json!({"portNumber": ["5432"], "localPortNumber": ["15432"]})
    );
    assert_eq!(
        target_parts(&parameters),
        (task.clone(), format!("{task}-app"))
    );
    assert_eq!(args[5], sim.endpoint());

    let out = sim.run(&[
        "exec",
        "--id",
        &task,
        "--port-forward",
        "--port",
        "5432",
        "--host",
        "db.internal",
    ]);
    assert_exit(&out, 0);
    let (args, _) = sim.handed();
    let parameters = json(&args[4]);
    assert_eq!(
        parameters["DocumentName"],
        "AWS-StartPortForwardingSessionToRemoteHost"
    );
    assert_eq!(
        parameters["Parameters"],
        serde_json::json!({"portNumber": ["5432"], "host": ["db.internal"]})
    );
}

#[test]
fn exec_without_the_plugin_says_how_to_install_it_and_calls_nothing() {
    let mut sim = Sim::start(1, true);
    let empty: PathBuf = sim.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    for args in [
        &["exec"][..],
        &["exec", "--port-forward", "--port", "80"][..],
    ] {
        let out = sim
            .command(args)
            .env("PATH", &empty)
            .output()
            .expect("runs");
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(
            err.contains("`session-manager-plugin` was not found on PATH"),
            "{err}"
        );
        assert!(
            err.contains("Install the Session Manager plugin for the AWS CLI"),
            "{err}"
        );
    }
    assert!(sim.calls().is_empty(), "no AWS call at all");
}

#[test]
fn exec_on_a_service_without_execute_command_says_how_to_enable_it() {
    let mut sim = Sim::start(1, false);
    sim.create();
    for args in [
        &["exec"][..],
        &["exec", "--port-forward", "--port", "80"][..],
    ] {
        let out = sim.run(args);
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(
            err.contains("execute command is not enabled for service `web`"),
            "{err}"
        );
        assert!(err.contains("\"enableExecuteCommand\": true"), "{err}");
        let calls = sim.calls();
        assert!(
            !calls
                .iter()
                .any(|c| c == "ExecuteCommand" || c == "StartSession"),
            "{calls:?}"
        );
        assert!(!sim.plugin_ran());
    }
}
