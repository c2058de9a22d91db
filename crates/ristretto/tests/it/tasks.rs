//! `tasks` end to end: the real binary against `ristretto local serve` with a request log:
//! listing (table, JSON, TSV, filters), `--stop` with and without confirmation, the built-in
//! picker and `--filter-command`, and `--trace` of a task whose container crashes.

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::stable;

const BIN: &str = env!("CARGO_BIN_EXE_ristretto");

/// Tasks start 20 world seconds after they are placed (1 s at the server's speed of 20) and an
/// `app:crashloop` container exits with 1 a minute after it is RUNNING.
const WORLD: &str = "clusters: [default]\ntaskStartDelaySeconds: 20\ntaskStopDelaySeconds: 1\n\
taskStartJitter: 0\ncontainers:\n  - {image: \"*:crashloop*\", crashAfterSeconds: 60, exitCode: 1}\n";

const TASK_DEF: &str = r#"{
  "family": "web",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [
    {"name": "app", "image": "nginx:{{ must_env `IMAGE_TAG` }}", "essential": true}
  ]
}"#;

const SERVICE_DEF: &str = r#"{
  "launchType": "FARGATE",
  "desiredCount": 2,
  "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "ENABLED"}}
}"#;

/// A simulator server with its own folder and request log, and a service `web` of two tasks.
struct Sim {
    dir: tempfile::TempDir,
    port: u16,
    child: Child,
}

impl Sim {
    fn start() -> Sim {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        write(d, "world.yaml", WORLD);
        write(
            d,
            "config.yaml",
            "region: us-east-1\ncluster: default\nservice: web\nservice_definition: sd.json\ntask_definition: td.json\ntimeout: 5m\n",
        );
        write(
            d,
            "family.yaml",
            "region: us-east-1\ncluster: default\ntask_definition: td.json\ntimeout: 5m\n",
        );
        write(d, "td.json", TASK_DEF);
        write(d, "sd.json", SERVICE_DEF);
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
        let sim = Sim { dir, port, child };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the simulator did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let created = sim.run(&["create"], "1");
        assert_exit(&created, 0);
        sim
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn env(&self, image_tag: &str) -> Vec<(String, String)> {
        [
            ("PATH", std::env::var("PATH").unwrap_or_default()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            ("IMAGE_TAG", image_tag.to_owned()),
            (
                "RISTRETTO_ENDPOINT_URL",
                format!("http://127.0.0.1:{}", self.port),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    fn command(&self, args: &[&str], image_tag: &str) -> Command {
        let mut command = Command::new(BIN);
        command
            .current_dir(self.path())
            .env_clear()
            .envs(self.env(image_tag))
            .args(["--config", "config.yaml", "--color", "never"])
            .args(args)
            .stdin(Stdio::null());
        command
    }

    /// `ristretto --config config.yaml <args>` against the simulator, not on a terminal.
    fn run(&self, args: &[&str], image_tag: &str) -> Output {
        self.command(args, image_tag).output().expect("runs")
    }

    /// How many times `operation` was called so far.
    fn calls(&self, operation: &str) -> usize {
        let file = std::fs::File::open(self.path().join("requests.jsonl")).expect("request log");
        std::io::BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
            .filter(|v| v["operation"] == operation)
            .count()
    }

    /// The tasks as `tasks --format json` lists them with `extra` flags.
    fn tasks(&self, extra: &[&str]) -> Vec<serde_json::Value> {
        let mut args = vec!["tasks", "--format", "json"];
        args.extend(extra);
        let out = self.run(&args, "1");
        assert_exit(&out, 0);
        serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).expect("a JSON array")
    }

    fn ids(&self, extra: &[&str]) -> Vec<String> {
        self.tasks(extra)
            .iter()
            .map(|t| t["id"].as_str().expect("id").to_owned())
            .collect()
    }

    /// Starts a standalone task of the family (`run --no-wait`); returns its ID.
    fn run_task(&self, image_tag: &str) -> String {
        let out = self.run(&["run", "--no-wait"], image_tag);
        assert_exit(&out, 0);
        let arn = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        arn.rsplit('/').next().expect("an ARN").to_owned()
    }

    /// Runs `ristretto --config config.yaml <args>` in a pseudo-terminal, typing each answer
    /// once the output so far contains its cue; returns the exit code and the whole output.
    fn in_terminal(&self, args: &[&str], answers: &[(&str, &str)]) -> (u32, String) {
        use portable_pty::{CommandBuilder, PtySize, native_pty_system};
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols: 200,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal opens");
        let mut command = CommandBuilder::new(BIN);
        command.args(["--config", "config.yaml", "--color", "never"]);
        command.args(args);
        command.cwd(self.path());
        command.env_clear();
        command.env("TERM", "xterm-256color");
        for (key, value) in self.env("1") {
            command.env(key, value);
        }
        let mut child = pair.slave.spawn_command(command).expect("spawns");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let mut writer = pair.master.take_writer().expect("writer");
        let seen = Arc::new(Mutex::new(Vec::<u8>::new()));
        let collect = {
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                // Linux reports EIO once the terminal's other side is closed.
                while let Ok(n) = reader.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    seen.lock().expect("lock").extend_from_slice(&buf[..n]);
                }
            })
        };
        for (cue, answer) in answers {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let so_far = String::from_utf8_lossy(&seen.lock().expect("lock")).into_owned();
                if so_far.contains(cue) {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "no `{cue}` on the terminal:\n{so_far}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            writer.write_all(answer.as_bytes()).expect("types");
            writer.flush().expect("flush");
        }
        let status = child.wait().expect("exits");
        drop(writer);
        drop(pair.master);
        collect.join().expect("reader thread");
        let output = String::from_utf8_lossy(&seen.lock().expect("lock")).into_owned();
        (status.exit_code(), output)
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

fn out_text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[track_caller]
fn assert_exit(out: &Output, code: i32) {
    let (stdout, stderr) = out_text(out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

// API_ListTasks: `serviceName` lists the service's tasks, `family` the family's (the
// standalone task too), `desiredStatus` STOPPED the stopped ones (API_DescribeTasks: "stopped
// tasks appear in the returned results for at least one hour").
#[test]
fn tasks_lists_the_services_tasks_as_a_table_json_and_tsv_with_filters() {
    let sim = Sim::start();
    let standalone = sim.run_task("1");

    let table = sim.run(&["tasks"], "1");
    assert_exit(&table, 0);
    let (stdout, _) = out_text(&table);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "a header and the service's two tasks:\n{stdout}"
    );
    assert!(lines[0].starts_with("ID "), "{stdout}");
    for column in [
        "TASK DEFINITION",
        "LAST STATUS",
        "DESIRED",
        "HEALTH",
        "STARTED",
        "STOPPED",
        "LAUNCH",
        "STOPPED REASON",
    ] {
        assert!(lines[0].contains(column), "{column}: {stdout}");
    }
    assert!(
        !stdout.contains(&standalone),
        "only the service's tasks:\n{stdout}"
    );
    assert!(
        lines[1].contains("web:1") && lines[1].contains("FARGATE"),
        "{stdout}"
    );

    // The JSON shape, pinned (IDs and times replaced).
    let json = sim.run(&["tasks", "--format", "json"], "1");
    assert_exit(&json, 0);
    insta::assert_snapshot!("tasks_json", stable(&out_text(&json).0));
    // `--output json` selects the same document.
    let output_json = sim.run(&["tasks", "--output", "json"], "1");
    assert_eq!(output_json.stdout, json.stdout);

    let tsv = sim.run(&["tasks", "--format", "tsv"], "1");
    assert_exit(&tsv, 0);
    let (stdout, _) = out_text(&tsv);
    assert_eq!(stdout.lines().count(), 2, "no header:\n{stdout}");
    assert!(
        stdout.lines().all(|l| l.split('\t').count() == 9),
        "nine tab-separated columns:\n{stdout}"
    );

    assert_eq!(sim.ids(&["--family", "web"]).len(), 3, "the family's tasks");
    assert_eq!(
        sim.ids(&["--id", &standalone]),
        std::slice::from_ref(&standalone)
    );
    assert_eq!(sim.ids(&["--status", "stopped"]), Vec::<String>::new());
    assert_eq!(sim.ids(&["--status", "PENDING"]), Vec::<String>::new());

    // A config without a service lists its task definition family's tasks.
    let family = Command::new(BIN)
        .current_dir(sim.path())
        .env_clear()
        .envs(sim.env("1"))
        .args(["--config", "family.yaml", "tasks", "--format", "tsv"])
        .output()
        .expect("runs");
    assert_exit(&family, 0);
    assert_eq!(out_text(&family).0.lines().count(), 3);

    let missing = sim.run(&["tasks", "--id", "0123456789abcdef0123456789abcdef"], "1");
    assert_exit(&missing, 1);
    assert!(
        out_text(&missing).1.contains("is not found"),
        "{}",
        out_text(&missing).1
    );
}

// API_StopTask: the task's desired status is STOPPED at once and the `reason` becomes its
// `stoppedReason`; the service replaces it (the stopped one is listed with STOPPED).
#[test]
fn stop_without_a_terminal_needs_force_and_stops_the_named_task() {
    let sim = Sim::start();
    let ids = sim.ids(&[]);
    assert_eq!(ids.len(), 2);

    let refused = sim.run(&["tasks", "--stop", "--id", &ids[0]], "1");
    assert_exit(&refused, 2);
    let (_, stderr) = out_text(&refused);
    assert!(stderr.contains("not on a terminal"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");

    // Several tasks and nobody to choose: the candidates are listed, with the hint `--id`.
    let ambiguous = sim.run(&["tasks", "--stop", "--force"], "1");
    assert_exit(&ambiguous, 2);
    let (_, stderr) = out_text(&ambiguous);
    assert!(
        stderr.contains(&ids[0]) && stderr.contains(&ids[1]),
        "{stderr}"
    );
    assert!(stderr.contains("--id"), "{stderr}");
    assert_eq!(sim.calls("StopTask"), 0, "nothing stopped");

    let stopped = sim.run(&["tasks", "--stop", "--force", "--id", &ids[0]], "1");
    assert_exit(&stopped, 0);
    assert_eq!(sim.calls("StopTask"), 1);
    let stopped = sim.tasks(&["--status", "STOPPED"]);
    assert_eq!(stopped.len(), 1);
    assert_eq!(stopped[0]["id"], ids[0].as_str());
    assert_eq!(stopped[0]["desiredStatus"], "STOPPED");
    assert_eq!(stopped[0]["stoppedReason"], "Task stopped by ristretto");
    assert_eq!(sim.tasks(&["--status", "ALL"]).len(), 3);

    let again = sim.run(&["tasks", "--stop", "--force", "--id", &ids[0]], "1");
    assert_exit(&again, 1);
    assert!(
        out_text(&again).1.contains("already"),
        "{}",
        out_text(&again).1
    );
    assert_eq!(sim.calls("StopTask"), 1);
}

#[test]
fn stop_on_a_terminal_asks_and_stops_only_on_y() {
    let sim = Sim::start();
    let ids = sim.ids(&[]);
    let (exit, output) = sim.in_terminal(
        &["tasks", "--stop", "--id", &ids[0]],
        &[("Type `y`", "n\r")],
    );
    assert_eq!(exit, 1, "{output}");
    assert!(
        output.contains(&ids[0]),
        "the question names the task:\n{output}"
    );
    assert!(output.contains("nothing was changed"), "{output}");
    assert_eq!(sim.calls("StopTask"), 0);

    let (exit, output) = sim.in_terminal(
        &["tasks", "--stop", "--id", &ids[0]],
        &[("Type `y`", "y\r")],
    );
    assert_eq!(exit, 0, "{output}");
    assert_eq!(sim.calls("StopTask"), 1);
    assert_eq!(sim.ids(&["--status", "STOPPED"]), [ids[0].clone()]);
}

#[test]
fn the_built_in_picker_chooses_among_several_tasks_on_a_terminal() {
    let sim = Sim::start();
    let ids = sim.ids(&[]);
    // Typing the start of the second task's ID narrows the list to it; Enter chooses it.
    let typed = format!("{}\r", &ids[1][..12]);
    let (exit, output) = sim.in_terminal(
        &["tasks", "--stop", "--force"],
        &[("task to stop", typed.as_str())],
    );
    assert_eq!(exit, 0, "{output}");
    assert_eq!(sim.ids(&["--status", "STOPPED"]), [ids[1].clone()]);
}

#[test]
fn a_filter_command_gets_the_candidates_and_its_line_chooses() {
    let sim = Sim::start();
    let ids = sim.ids(&[]);
    // The filter keeps what it was given and chooses the second line.
    write(
        sim.path(),
        "pick.sh",
        "#!/bin/sh\ntee candidates.txt | sed -n 2p\n",
    );
    let out = sim.run(
        &[
            "tasks",
            "--stop",
            "--force",
            "--filter-command",
            "sh pick.sh",
        ],
        "1",
    );
    assert_exit(&out, 0);
    let candidates = std::fs::read_to_string(sim.path().join("candidates.txt")).expect("read");
    let lines: Vec<&str> = candidates.lines().collect();
    assert_eq!(lines.len(), 2, "{candidates}");
    assert!(
        lines[0].starts_with(&format!("{}\t", ids[0])),
        "{candidates}"
    );
    assert!(
        lines[1].starts_with(&format!("{}\tweb:1\tRUNNING", ids[1])),
        "{candidates}"
    );
    assert_eq!(sim.ids(&["--status", "STOPPED"]), [ids[1].clone()]);

    // RISTRETTO_FILTER_COMMAND, and the config's (deprecated) `filter_command`, as in ecspresso.
    let ids = sim.ids(&[]);
    let out = sim
        .command(&["tasks", "--stop", "--force"], "1")
        .env("RISTRETTO_FILTER_COMMAND", "head -n 1")
        .output()
        .expect("runs");
    assert_exit(&out, 0);
    assert!(sim.ids(&["--status", "STOPPED"]).contains(&ids[0]));

    let config = std::fs::read_to_string(sim.path().join("config.yaml")).expect("read");
    write(
        sim.path(),
        "config.yaml",
        &format!("{config}filter_command: tail -n 1\n"),
    );
    let ids = sim.ids(&[]);
    let out = sim.run(&["tasks", "--stop", "--force"], "1");
    assert_exit(&out, 0);
    assert!(
        out_text(&out).1.contains("`filter_command` is deprecated"),
        "{}",
        out_text(&out).1
    );
    assert!(sim.ids(&["--status", "STOPPED"]).contains(&ids[1]));

    // A filter that chooses nothing stops nothing.
    let before = sim.calls("StopTask");
    let out = sim.run(
        &["tasks", "--stop", "--force", "--filter-command", "true"],
        "1",
    );
    assert_exit(&out, 1);
    assert!(
        out_text(&out).1.contains("no task was chosen"),
        "{}",
        out_text(&out).1
    );
    assert_eq!(sim.calls("StopTask"), before);
}

// ECS developer guide, "task lifecycle" (PENDING → RUNNING → … → STOPPED) and API_Task
// (`stopCode` EssentialContainerExited, the container's `exitCode`): the trace shows each
// change once, in order, and ends with the task.
#[test]
fn trace_follows_a_task_whose_container_crashes_to_its_end() {
    let sim = Sim::start();
    let id = sim.run_task("crashloop");
    let out = sim.run(&["tasks", "--trace", &id], "1");
    assert_exit(&out, 0);
    let (stdout, _) = out_text(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    let position = |what: &str| {
        lines
            .iter()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no `{what}` in:\n{stdout}"))
    };
    let first = position(": last status");
    let running = position("-> RUNNING");
    let desired = position("desired status STOPPED");
    let exited = position("container `app` exited with code 1");
    let stopped = position("STOPPED (EssentialContainerExited)");
    assert_eq!(first, 0, "{stdout}");
    assert!(
        first < running && running < desired && desired < exited && exited < stopped,
        "{stdout}"
    );
    assert_eq!(
        stopped,
        lines.len() - 1,
        "the stop ends the trace:\n{stdout}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.contains("-> RUNNING")).count(),
        1,
        "each change once:\n{stdout}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l.len() > 22 && l.as_bytes()[20] == b' '),
        "a time on each line:\n{stdout}"
    );

    // Already stopped: its end at once, as JSON lines with --output json.
    let json = sim.run(&["--output", "json", "tasks", "--trace", &id], "1");
    assert_exit(&json, 0);
    let changes: Vec<serde_json::Value> = out_text(&json)
        .0
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(changes[0]["change"], "seen");
    assert_eq!(changes[0]["task"], id.as_str());
    let last = changes.last().expect("a change");
    assert_eq!(last["change"], "stopped");
    assert_eq!(last["stopCode"], "EssentialContainerExited");
}

#[test]
fn trace_that_times_out_exits_4_and_the_task_goes_on() {
    let sim = Sim::start();
    let ids = sim.ids(&[]);
    let out = sim.run(&["tasks", "--trace", &ids[0], "--timeout", "2s"], "1");
    assert_exit(&out, 4);
    let (stdout, stderr) = out_text(&out);
    assert!(stdout.contains("last status RUNNING"), "{stdout}");
    assert!(stderr.contains("timed out"), "{stderr}");
    assert_eq!(sim.calls("StopTask"), 0);

    // Several running tasks, no ID and no terminal: nothing to follow.
    let out = sim.run(&["tasks", "--trace"], "1");
    assert_exit(&out, 2);
    assert!(out_text(&out).1.contains("--id"), "{}", out_text(&out).1);
}
