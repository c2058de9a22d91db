//! `logs` and `run`'s log lines through the real binary against a simulator whose world clock
//! stands still unless the test moves it (`SimHandle::advance`): containers write the lines of
//! the world file's `containers[].logs` to their awslogs streams (ECS developer guide, "Send
//! Amazon ECS logs to CloudWatch": stream `prefix/container/task-id`), and the binary reads
//! them with GetLogEvents / FilterLogEvents (CloudWatch Logs API reference).

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{self, ristretto, text};

const CONFIG: &str = "examples/rolling/config.yaml";

/// The rolling example's world, with `extra` appended.
fn world(extra: &str) -> String {
    let world = std::fs::read_to_string(common::repo().join("examples/rolling/local-world.yaml"))
        .expect("world");
    format!("{world}{extra}")
}

/// A copy of `examples/rolling` served by a simulator whose clock only the test moves.
struct Frozen {
    sim: ristretto_sim::SimHandle,
    dir: tempfile::TempDir,
}

impl Frozen {
    async fn start(world_yaml: &str) -> Frozen {
        let dir = common::example_copy("rolling", Some(world_yaml));
        let world = ristretto_sim::World::from_yaml_file(
            &dir.path().join("examples/rolling/local-world.yaml"),
        )
        .expect("world");
        let config = ristretto_sim::SimConfig {
            world,
            state_file: None,
            speed: 0.0,
            request_log: None,
        };
        let sim = ristretto_sim::start(config, "127.0.0.1:0".parse().expect("address"))
            .await
            .expect("simulator starts");
        Frozen { sim, dir }
    }

    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = ristretto(self.dir.path());
        command
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .args(["--endpoint-url", &self.sim.endpoint_url()])
            .args(["--config", CONFIG])
            .args(args);
        command
    }

    async fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let mut command = self.command(args);
        let out = tokio::task::spawn_blocking(move || command.output().expect("runs"))
            .await
            .expect("joins");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            text(&out),
        )
    }

    /// The service `web` created, its two tasks RUNNING for 60 world seconds.
    async fn running_service(&self) {
        let (code, _, all) = self.run(&["create", "--no-wait"]).await;
        assert_eq!(code, Some(0), "{all}");
        self.sim.advance(80.0);
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// `[abcd1234/app]` prefixes of the lines of `stdout` that contain `message`.
fn prefixes(stdout: &str, message: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.contains(message))
        .filter_map(|l| {
            let start = l.find('[')?;
            let end = l.find(']')?;
            Some(l[start..=end].to_owned())
        })
        .collect()
}

// A service with two tasks: `logs` shows both tasks' lines, each prefixed with its task (first
// 8 characters of the ID) and container, in time order (FilterLogEvents over the tasks'
// streams); `--container` keeps to one container and refuses one the definition lacks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_of_a_service_show_both_tasks_lines_prefixed_with_task_and_container() {
    let served = Frozen::start(&world("")).await;
    served.running_service().await;
    let (code, stdout, all) = served.run(&["logs"]).await;
    assert_eq!(code, Some(0), "{all}");
    let mut started = prefixes(&stdout, "nginx: start worker processes");
    started.sort();
    started.dedup();
    assert_eq!(started.len(), 2, "two tasks: {all}");
    assert!(
        started
            .iter()
            .all(|p| p.len() == "[12345678/app]".len() && p.ends_with("/app]")),
        "{all}"
    );
    // Each task wrote its start line, then a request line 5 s later (the world's script).
    assert!(prefixes(&stdout, "GET / HTTP/1.1 200").len() >= 2, "{all}");
    let times: Vec<&str> = stdout.lines().filter_map(|l| l.split(' ').next()).collect();
    let mut sorted = times.clone();
    sorted.sort_unstable();
    assert_eq!(times, sorted, "oldest first: {all}");

    let (code, stdout, all) = served.run(&["logs", "--container", "app"]).await;
    assert_eq!(code, Some(0), "{all}");
    assert_eq!(prefixes(&stdout, "start worker").len(), 2, "{all}");
    let (code, _, all) = served.run(&["logs", "--container", "nope"]).await;
    assert_eq!(code, Some(2), "{all}");
    assert!(all.contains("no container `nope`"), "{all}");
}

// `--id` reads one task's streams (GetLogEvents, forward tokens); `--filter` keeps the lines
// matching a CloudWatch Logs filter pattern (terms, case-sensitive); `--since` drops what was
// written before (the API's `startTime`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_of_one_task_with_filter_and_since() {
    let served = Frozen::start(&world("")).await;
    served.running_service().await;
    let (_, stdout, all) = served.run(&["logs"]).await;
    let task_prefix = prefixes(&stdout, "start worker")
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("{all}"));
    let short = &task_prefix[1..9];
    // The full task ID, from the cluster's tasks.
    let (_, listing, _) = served.run(&["status"]).await;
    let id: String = listing
        .split(|c: char| !c.is_ascii_hexdigit())
        .find(|w| w.len() == 32 && w.starts_with(short))
        .unwrap_or_else(|| panic!("task {short} in {listing}"))
        .to_owned();

    let (code, stdout, all) = served.run(&["logs", "--id", &id]).await;
    assert_eq!(code, Some(0), "{all}");
    assert!(
        stdout.lines().all(|l| l.contains(&task_prefix)),
        "only task {short}: {all}"
    );
    assert!(stdout.contains("start worker processes"), "{all}");

    let (code, stdout, all) = served.run(&["logs", "--filter", "GET"]).await;
    assert_eq!(code, Some(0), "{all}");
    assert!(
        !stdout.is_empty() && stdout.lines().all(|l| l.contains("GET /")),
        "{all}"
    );
    let (_, stdout, all) = served.run(&["logs", "--filter", "get"]).await;
    assert!(stdout.is_empty(), "terms are case-sensitive: {all}");

    // A line written two hours ago (by the clock of this machine) into the task's stream.
    let logs = logs_client(&served.sim.endpoint_url()).await;
    let two_hours_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
        - 7_200_000;
    logs.put_log_events()
        .log_group_name("/ecs/web")
        .log_stream_name(format!("web/app/{id}"))
        .log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(two_hours_ago)
                .message("an old line")
                .build()
                .expect("event"),
        )
        .send()
        .await
        .expect("put");
    let (_, stdout, all) = served.run(&["logs", "--id", &id]).await;
    assert!(stdout.contains("an old line"), "{all}");
    let (code, stdout, all) = served.run(&["logs", "--id", &id, "--since", "10m"]).await;
    assert_eq!(code, Some(0), "{all}");
    assert!(!stdout.contains("an old line"), "{all}");
    assert!(stdout.contains("start worker processes"), "{all}");
    let (code, _, all) = served.run(&["logs", "--since", "ten minutes"]).await;
    assert_eq!(code, Some(2), "{all}");
}

async fn logs_client(endpoint: &str) -> aws_sdk_cloudwatchlogs::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_credential_types::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await;
    aws_sdk_cloudwatchlogs::Client::new(&config)
}

/// Lines a child writes to stdout, collected by a thread.
fn collect_stdout(child: &mut Child) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let stdout = child.stdout.take().expect("piped");
    let sink = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            sink.lock().expect("lock").push(line);
        }
    });
    lines
}

/// Waits (real time, bounded) until `lines` holds at least `n` lines containing `needle`.
async fn wait_for(lines: &Arc<Mutex<Vec<String>>>, needle: &str, n: usize) -> bool {
    for _ in 0..300 {
        let count = lines
            .lock()
            .expect("lock")
            .iter()
            .filter(|l| l.contains(needle))
            .count();
        if count >= n {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

// `--follow` prints the lines written since, as the world clock moves, without repeating one
// (each request line once per task), and Ctrl-C (SIGINT) ends it with exit code 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_follow_prints_new_lines_until_ctrl_c() {
    let served = Frozen::start(&world("")).await;
    served.running_service().await;
    let mut child = served
        .command(&["logs", "--follow", "--interval", "0.1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let lines = collect_stdout(&mut child);
    assert!(
        wait_for(&lines, "start worker processes", 2).await,
        "{:?}",
        lines.lock().expect("lock")
    );
    let requests = |lines: &Arc<Mutex<Vec<String>>>| {
        lines
            .lock()
            .expect("lock")
            .iter()
            .filter(|l| l.contains("GET /"))
            .count()
    };
    let before = requests(&lines);
    // 30 world seconds: one more request line per task.
    served.sim.advance(30.0);
    assert!(
        wait_for(&lines, "GET /", before + 2).await,
        "{:?}",
        lines.lock().expect("lock")
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(requests(&lines), before + 2, "no line twice");
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().expect("waits"))
        .await
        .expect("joins");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        lines
            .lock()
            .expect("lock")
            .iter()
            .filter(|l| l.contains("start worker processes"))
            .count(),
        2,
        "the first lines once"
    );
}

// A container that does not log to CloudWatch Logs: `logs` says which container and what to
// set, exits 2 and reads nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_of_a_container_without_awslogs_says_what_to_set() {
    let served = Frozen::start(&world("")).await;
    let file = served.path().join("examples/rolling/ecs-task-def.json");
    let td = std::fs::read_to_string(&file).expect("td");
    let start = td
        .find(",\n      \"logConfiguration\"")
        .expect("logConfiguration");
    let end = td[start..].find("\n      }\n").expect("end") + start + "\n      }".len();
    std::fs::write(&file, format!("{}{}", &td[..start], &td[end..])).expect("write");
    served.running_service().await;
    let before = served.sim.requests().len();
    let (code, stdout, all) = served.run(&["logs"]).await;
    assert_eq!(code, Some(2), "{all}");
    assert!(stdout.is_empty(), "{all}");
    assert!(
        all.contains("container `app` has no `logConfiguration`"),
        "{all}"
    );
    assert!(
        all.contains("hint:") && all.contains("awslogs-stream-prefix"),
        "{all}"
    );
    let calls: Vec<String> = served
        .sim
        .requests()
        .iter()
        .skip(before)
        .map(|r| format!("{}:{}", r.service, r.operation))
        .collect();
    assert!(!calls.iter().any(|c| c.starts_with("logs:")), "{calls:?}");
}

// `run` of a failing migration: the watched container's lines are shown while run waits, its
// last lines again before the failure, and run exits with the container's exit code. The
// world's failure rule writes the error line as the container exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_of_a_failing_migration_prints_its_last_lines_and_exits_with_its_code() {
    let served = Frozen::start(&world(
        "failures:\n  - image: \"*:migrate-broken\"\n    exitCode: 3\n    afterSeconds: 20\n    logs: [\"error: relation \\\"users\\\" does not exist\"]\n",
    ))
    .await;
    let mut command = served.command(&["run"]);
    command
        .env("IMAGE_TAG", "migrate-broken")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawns");
    // The world moves on while run waits.
    for _ in 0..600 {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        served.sim.advance(2.0);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().expect("waits"))
        .await
        .expect("joins");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error_line = "/app] error: relation \"users\" does not exist";
    let replay = stderr
        .find("the last 3 line(s) of container `app` (at most 20):")
        .unwrap_or_else(|| panic!("{all}"));
    // Streamed while waiting, then shown again, then the failure.
    assert!(stderr[..replay].contains(error_line), "{all}");
    assert!(
        stderr[..replay].contains("/app] nginx: start worker processes"),
        "{all}"
    );
    assert!(stderr[replay..].contains(error_line), "{all}");
    let failure = stderr.find("exited with code 3").expect("failure");
    assert!(failure > replay, "{all}");
}

// `run` of a container that does not log to CloudWatch Logs works as before, with a note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_without_awslogs_notes_it_and_still_exits_with_the_code() {
    let served = Frozen::start(&world(
        "failures:\n  - image: \"*:migrate-broken\"\n    exitCode: 3\n    afterSeconds: 5\n",
    ))
    .await;
    let file = served.path().join("examples/rolling/ecs-task-def.json");
    let td = std::fs::read_to_string(&file).expect("td");
    std::fs::write(&file, td.replace("\"awslogs\"", "\"json-file\"")).expect("write");
    let mut command = served.command(&["run"]);
    command
        .env("IMAGE_TAG", "migrate-broken")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawns");
    for _ in 0..600 {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        served.sim.advance(2.0);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().expect("waits"))
        .await
        .expect("joins");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(
        all.contains(
            "not showing its logs: container `app` logs through the `json-file` log driver"
        ),
        "{all}"
    );
}
