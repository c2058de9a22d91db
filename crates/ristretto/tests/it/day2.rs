//! Day-2 commands end to end: the real binary against `ristretto local serve`
//! with a request log, so each test can check which calls a command made.

use std::io::BufRead;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ristretto");

/// A simulator server for one test, with its own folder, world and request log.
struct Sim {
    dir: tempfile::TempDir,
    port: u16,
    child: Child,
    /// Request log lines already seen by [`Sim::calls`].
    seen: usize,
}

const TASK_DEF: &str = r#"{
  "family": "web",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [
    {"name": "log", "image": "fluent/fluent-bit:3", "essential": false},
    {"name": "app", "image": "nginx:{{ must_env `IMAGE_TAG` }}", "essential": true}
  ]
}"#;

const SERVICE_DEF: &str = r#"{
  "launchType": "FARGATE",
  "desiredCount": 2,
  "deploymentConfiguration": {
    "minimumHealthyPercent": 50,
    "maximumPercent": 200,
    "deploymentCircuitBreaker": {"enable": true, "rollback": true}
  },
  "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "ENABLED"}}
}"#;

impl Sim {
    fn start(world: &str) -> Sim {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        write(d, "world.yaml", world);
        write(
            d,
            "config.yaml",
            "region: us-east-1\ncluster: default\nservice: web\nservice_definition: sd.json\ntask_definition: td.json\ntimeout: 5m\n",
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

    /// Runs `ristretto <args>` against the simulator.
    fn run(&self, args: &[&str], image_tag: &str) -> Output {
        self.command(args, image_tag).output().expect("runs")
    }

    fn command(&self, args: &[&str], image_tag: &str) -> Command {
        let mut command = Command::new(BIN);
        command
            .current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("IMAGE_TAG", image_tag)
            .args(["--config", "config.yaml", "--color", "never"])
            .args(["--endpoint-url", &format!("http://127.0.0.1:{}", self.port)])
            .args(args)
            .stdin(Stdio::null());
        command
    }

    /// The operations called since the last look, in order.
    fn calls(&mut self) -> Vec<String> {
        let file = std::fs::File::open(self.path().join("requests.jsonl")).expect("request log");
        let lines: Vec<String> = std::io::BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .collect();
        let new = lines[self.seen..]
            .iter()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("json line");
                v["operation"].as_str().unwrap_or_default().to_owned()
            })
            .collect();
        self.seen = lines.len();
        new
    }

    /// Every operation called so far (without moving the mark of [`Sim::calls`]).
    fn calls_so_far(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.path().join("requests.jsonl")).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|v| v["operation"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// The suspended flags of the service's scalable target, from the saved state.
    fn scaling_suspended(&self) -> [bool; 3] {
        let text = std::fs::read_to_string(self.path().join("state.json")).expect("state");
        let state: serde_json::Value = serde_json::from_str(&text).expect("state json");
        let target = state["autoscaling"]["targets"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["ResourceId"] == "service/default/web"))
            .expect("scalable target")
            .clone();
        let s = &target["SuspendedState"];
        [
            s["DynamicScalingInSuspended"] == true,
            s["DynamicScalingOutSuspended"] == true,
            s["ScheduledScalingSuspended"] == true,
        ]
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

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[track_caller]
fn assert_exit(out: &Output, code: i32) {
    let (stdout, stderr) = text(out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

fn count(calls: &[String], op: &str) -> usize {
    calls.iter().filter(|c| *c == op).count()
}

const WORLD: &str = "clusters: [default]\ntaskStartDelaySeconds: 4\ntaskStopDelaySeconds: 1\n\
scalableTargets:\n  - {resourceId: service/default/web, minCapacity: 1, maxCapacity: 4}\n\
failures:\n  - {image: \"*:broken*\", exitCode: 1, stoppedReason: \"Essential container in task exited\"}\n  - {image: \"*:migrate*\", exitCode: 3, afterSeconds: 10}\n  - {image: \"*:nopull*\", containerReason: \"CannotPullContainerError: no such image\", stoppedReason: \"CannotPullContainerError\"}\n";

#[test]
fn create_deploy_rollback_delete_make_the_right_calls() {
    let mut sim = Sim::start(WORLD);
    assert_exit(&sim.run(&["create"], "1.27"), 0);
    let calls = sim.calls();
    assert_eq!(count(&calls, "CreateService"), 1, "{calls:?}");

    assert_exit(&sim.run(&["deploy"], "1.28"), 0);
    let calls = sim.calls();
    assert_eq!(count(&calls, "RegisterTaskDefinition"), 1, "{calls:?}");
    assert_eq!(count(&calls, "UpdateService"), 1, "{calls:?}");

    let dry = sim.run(&["rollback", "--dry-run"], "1.28");
    assert_exit(&dry, 0);
    let (stdout, stderr) = text(&dry);
    assert!(stderr.contains("from web:2 to web:1"), "{stderr}");
    assert!(stdout.contains("task-definition/web:1"), "{stdout}");
    let calls = sim.calls();
    assert!(
        !calls
            .iter()
            .any(|c| c == "UpdateService" || c.starts_with("Deregister")),
        "a dry run changes nothing: {calls:?}"
    );

    let rollback = sim.run(&["rollback"], "1.28");
    assert_exit(&rollback, 0);
    let (_, stderr) = text(&rollback);
    assert!(
        stderr.contains("rolling back from web:2 to web:1"),
        "{stderr}"
    );
    assert!(stderr.contains("succeeded"), "{stderr}");
    let calls = sim.calls();
    assert_eq!(count(&calls, "RegisterTaskDefinition"), 0, "{calls:?}");
    assert_eq!(count(&calls, "UpdateService"), 1, "{calls:?}");
    assert_eq!(count(&calls, "DeregisterTaskDefinition"), 1, "{calls:?}");
    let update = calls.iter().position(|c| c == "UpdateService");
    let deregister = calls.iter().position(|c| c == "DeregisterTaskDefinition");
    assert!(
        update < deregister,
        "deregistered only after the rollback: {calls:?}"
    );

    // web:2 is gone, so another rollback has nowhere to go.
    let again = sim.run(&["rollback", "--dry-run"], "1.28");
    assert_exit(&again, 2);
    assert!(
        text(&again).1.contains("no ACTIVE revision"),
        "{}",
        text(&again).1
    );
    sim.calls();

    let refused = sim.run(&["delete"], "1.28");
    assert_exit(&refused, 2);
    let (_, stderr) = text(&refused);
    assert!(stderr.contains("not on a terminal"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    let calls = sim.calls();
    assert_eq!(count(&calls, "DeleteService"), 0, "{calls:?}");

    let deleted = sim.run(&["delete", "--force"], "1.28");
    assert_exit(&deleted, 0);
    assert!(
        text(&deleted).1.contains("is deleted"),
        "{}",
        text(&deleted).1
    );
    let calls = sim.calls();
    assert_eq!(count(&calls, "DeleteService"), 1, "{calls:?}");

    let gone = sim.run(&["delete", "--force"], "1.28");
    assert_exit(&gone, 1);
    assert!(
        text(&gone).1.contains("does not exist"),
        "{}",
        text(&gone).1
    );
}

#[test]
fn rollback_of_a_first_revision_says_there_is_nothing_to_go_back_to() {
    let mut sim = Sim::start(WORLD);
    assert_exit(&sim.run(&["create", "--no-wait"], "1.27"), 0);
    sim.calls();
    let out = sim.run(&["rollback"], "1.27");
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("--revision"), "{}", text(&out).1);
    assert_eq!(count(&sim.calls(), "UpdateService"), 0);
}

#[test]
fn pause_auto_scaling_resumes_after_success_failure_and_timeout() {
    // Tasks take a second (real time) to start, so a 1 s timeout always passes first.
    let mut sim =
        Sim::start(&WORLD.replace("taskStartDelaySeconds: 4", "taskStartDelaySeconds: 20"));
    assert_exit(&sim.run(&["create"], "1.27"), 0);
    sim.calls();

    assert_exit(&sim.run(&["deploy", "--pause-auto-scaling"], "1.28"), 0);
    let calls = sim.calls();
    assert_eq!(
        count(&calls, "RegisterScalableTarget"),
        2,
        "suspend, resume: {calls:?}"
    );
    let first = calls.iter().position(|c| c == "RegisterScalableTarget");
    let update = calls.iter().position(|c| c == "UpdateService");
    assert!(first < update, "suspended before the update: {calls:?}");
    assert_eq!(sim.scaling_suspended(), [false; 3]);

    let failed = sim.run(&["deploy", "--pause-auto-scaling"], "broken");
    assert_exit(&failed, 1);
    assert_eq!(count(&sim.calls(), "RegisterScalableTarget"), 2);
    assert_eq!(sim.scaling_suspended(), [false; 3]);

    let timed_out = sim.run(
        &["--timeout", "1s", "deploy", "--pause-auto-scaling"],
        "1.29",
    );
    assert_exit(&timed_out, 4);
    assert_eq!(count(&sim.calls(), "RegisterScalableTarget"), 2);
    assert_eq!(sim.scaling_suspended(), [false; 3]);
}

/// Starts `deploy --pause-auto-scaling` of `image_tag` and returns it once
/// auto scaling is suspended and the deployment is under way.
#[cfg(unix)]
fn deploying_with_scaling_paused(sim: &Sim, image_tag: &str) -> Child {
    let child = sim
        .command(&["deploy", "--pause-auto-scaling"], image_tag)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sim.scaling_suspended()[0] {
        assert!(Instant::now() < deadline, "never suspended");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    child
}

#[cfg(unix)]
fn send(signal: &str, child: &Child) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

// Regression (issue 14, item 6): SIGTERM, what CI cancellation and container runtimes send,
// ended the process with auto scaling still suspended; only SIGINT was handled.
#[cfg(unix)]
#[test]
fn sigint_sigterm_and_sighup_stop_the_wait_and_resume_paused_auto_scaling() {
    // Tasks take 10 world minutes to start (30 s real time at 20x): the deployment is under
    // way whenever the signal comes.
    let mut sim =
        Sim::start(&WORLD.replace("taskStartDelaySeconds: 4", "taskStartDelaySeconds: 600"));
    assert_exit(&sim.run(&["create", "--no-wait"], "1.27"), 0);
    for (signal, code, tag) in [
        ("INT", 130, "1.28"),
        ("TERM", 143, "1.29"),
        ("HUP", 129, "1.30"),
    ] {
        sim.calls();
        let child = deploying_with_scaling_paused(&sim, tag);
        send(signal, &child);
        let out = child.wait_with_output().expect("exits");
        assert_exit(&out, code);
        let (_, stderr) = text(&out);
        assert!(
            stderr.contains(&format!(
                "interrupted by SIG{signal}; the deployment goes on in ECS"
            )),
            "{stderr}"
        );
        assert!(
            stderr.contains("ristretto wait"),
            "how to follow it: {stderr}"
        );
        assert_eq!(sim.scaling_suspended(), [false; 3], "SIG{signal}: resumed");
        let calls = sim.calls();
        assert_eq!(
            count(&calls, "RegisterScalableTarget"),
            2,
            "suspend, resume: {calls:?}"
        );
        assert_eq!(count(&calls, "UpdateService"), 1, "{calls:?}");
    }
}

#[cfg(unix)]
#[test]
fn a_signal_while_scaling_is_being_suspended_resumes_it_and_deploys_nothing() {
    // RegisterScalableTarget answers after 3 s (real time): the signal comes while the
    // suspending call is on its way.
    let world = format!(
        "{}faults:\n  - {{action: \"application-autoscaling:RegisterScalableTarget\", latencyMs: 3000}}\n",
        WORLD
    );
    let mut sim = Sim::start(&world);
    assert_exit(&sim.run(&["create", "--no-wait"], "1.27"), 0);
    sim.calls();
    let child = sim
        .command(&["deploy", "--pause-auto-scaling"], "1.28")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(&sim.calls_so_far(), "DescribeScalableTargets") == 0 {
        assert!(
            Instant::now() < deadline,
            "never looked at the scalable target"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1000));
    send("TERM", &child);
    let out = child.wait_with_output().expect("exits");
    assert_exit(&out, 143);
    let (_, stderr) = text(&out);
    assert!(stderr.contains("nothing was deployed"), "{stderr}");
    assert_eq!(sim.scaling_suspended(), [false; 3]);
    let calls = sim.calls();
    assert_eq!(count(&calls, "RegisterTaskDefinition"), 0, "{calls:?}");
    assert_eq!(count(&calls, "UpdateService"), 0, "{calls:?}");
}

#[cfg(unix)]
#[test]
fn a_second_signal_exits_at_once() {
    // Every RegisterScalableTarget answers after 4 s (real time): the second signal comes
    // while the first one's resuming call is still on its way.
    let world = format!(
        "{}faults:\n  - {{action: \"application-autoscaling:RegisterScalableTarget\", latencyMs: 4000}}\n",
        WORLD.replace("taskStartDelaySeconds: 4", "taskStartDelaySeconds: 600")
    );
    let sim = Sim::start(&world);
    assert_exit(&sim.run(&["create", "--no-wait"], "1.27"), 0);
    let child = deploying_with_scaling_paused(&sim, "1.28");
    send("TERM", &child);
    std::thread::sleep(Duration::from_millis(1000));
    send("INT", &child);
    let out = child.wait_with_output().expect("exits");
    assert_exit(&out, 130);
    let (_, stderr) = text(&out);
    assert!(stderr.contains("SIGINT: stopping at once"), "{stderr}");
}

/// How many `DescribeServices` calls `create --no-wait` and then `deploy`
/// make before the deploy starts waiting (reading the live service for the
/// plan); faults skip them.
fn describes_before_the_wait() -> usize {
    let mut probe = Sim::start(WORLD);
    assert_exit(&probe.run(&["create", "--no-wait"], "1.27"), 0);
    assert_exit(&probe.run(&["deploy", "--no-wait"], "1.28"), 0);
    count(&probe.calls(), "DescribeServices")
}

// Regression (issue 14, item 7): eleven 503s on DescribeServices during a wait ended it with
// exit 1 while the deployment was healthy. A failed poll is retried until the timeout. Six
// throttled polls are sent again by the ECS client's pacing (issue 17, item 4) without a word.
#[test]
fn a_wait_survives_eleven_503s_and_throttling() {
    let before = describes_before_the_wait();
    for (fault, said) in [
        (
            "{action: \"ecs:DescribeServices\", status: 503, times: 11",
            1,
        ),
        (
            "{action: \"ecs:DescribeServices\", code: ThrottlingException, status: 400, times: 6",
            0,
        ),
    ] {
        let world = format!("{WORLD}faults:\n  - {fault}, skip: {before}}}\n");
        let sim = Sim::start(&world);
        assert_exit(&sim.run(&["create", "--no-wait"], "1.27"), 0);
        let out = sim.run(&["deploy"], "1.28");
        let (_, stderr) = text(&out);
        assert_exit(&out, 0);
        let looking_again = stderr.matches("looking again until the timeout").count();
        assert_eq!(looking_again, said, "said once, not per retry: {stderr}");
        assert_eq!(
            stderr.contains("answered again after"),
            said == 1,
            "{stderr}"
        );
        assert!(!stderr.contains("Throttling"), "{stderr}");
    }
}

// Regression (issue 14, item 8): a refused connection took 53-63 s of retries and the message
// did not name the endpoint.
#[test]
fn a_refused_connection_names_the_endpoint_and_hints_at_local() {
    let sim = Sim::start(WORLD);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("http://127.0.0.1:{closed}");
    let out = sim
        .command(&["status"], "1.27")
        .args(["--endpoint-url", &url])
        .output()
        .expect("runs");
    assert_exit(&out, 1);
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains(&format!("hint: nothing answered at {url}")),
        "{stderr}"
    );
    assert!(stderr.contains("--local"), "{stderr}");
}

// Regression (issue 14, item 10): a deployment replaced by another one was reported as
// "rolled back: the service runs web:3 again", though web:3 never ran before.
#[test]
fn a_deployment_replaced_by_another_says_so_and_exits_1() {
    let mut sim =
        Sim::start(&WORLD.replace("taskStartDelaySeconds: 4", "taskStartDelaySeconds: 600"));
    assert_exit(&sim.run(&["create", "--no-wait"], "1.27"), 0);
    sim.calls();
    let first = sim
        .command(&["deploy"], "1.28")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(&sim.calls(), "UpdateService") == 0 {
        assert!(
            Instant::now() < deadline,
            "the first deploy never updated the service"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_exit(&sim.run(&["deploy", "--no-wait"], "1.29"), 0);
    let out = first.wait_with_output().expect("exits");
    assert_exit(&out, 1);
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains("was replaced by another deployment"),
        "{stderr}"
    );
    assert!(stderr.contains("which runs web:3"), "{stderr}");
    assert!(!stderr.contains("rolled back"), "{stderr}");
}

#[test]
fn suspend_and_resume_flags_leave_the_state_they_name() {
    let mut sim = Sim::start(WORLD);
    assert_exit(&sim.run(&["create", "--no-wait"], "1.27"), 0);
    assert_exit(
        &sim.run(
            &["scale", "--suspend-auto-scaling", "--auto-scaling-max", "6"],
            "1.27",
        ),
        0,
    );
    assert_eq!(sim.scaling_suspended(), [true; 3]);
    let calls = sim.calls();
    assert_eq!(
        count(&calls, "UpdateService"),
        0,
        "only auto scaling: {calls:?}"
    );
    assert_exit(&sim.run(&["scale", "--resume-auto-scaling"], "1.27"), 0);
    assert_eq!(sim.scaling_suspended(), [false; 3]);
    let bad = sim.run(&["scale"], "1.27");
    assert_exit(&bad, 2);
}

#[test]
fn scale_and_refresh_deploy_the_current_revision() {
    let mut sim = Sim::start(WORLD);
    assert_exit(&sim.run(&["create"], "1.27"), 0);
    sim.calls();
    let out = sim.run(&["scale", "--tasks", "3"], "ignored");
    assert_exit(&out, 0);
    let calls = sim.calls();
    assert_eq!(count(&calls, "RegisterTaskDefinition"), 0, "{calls:?}");
    assert_eq!(count(&calls, "UpdateService"), 1, "{calls:?}");
    assert!(text(&out).1.contains("running 3"), "{}", text(&out).1);

    let out = sim.run(&["refresh"], "ignored");
    assert_exit(&out, 0);
    let calls = sim.calls();
    assert_eq!(count(&calls, "RegisterTaskDefinition"), 0, "{calls:?}");
    assert_eq!(count(&calls, "UpdateService"), 1, "{calls:?}");
    assert!(text(&out).1.contains("web:1"), "{}", text(&out).1);
}

#[test]
fn deregister_keeps_two_never_takes_a_revision_in_use() {
    let mut sim = Sim::start(WORLD);
    assert_exit(&sim.run(&["create", "--no-wait"], "1.27"), 0); // web:1
    // A one-off task keeps running web:1 after the service moves on.
    assert_exit(
        &sim.run(&["run", "--skip-task-definition", "--no-wait"], "1.27"),
        0,
    );
    for tag in ["1.28", "1.29"] {
        assert_exit(&sim.run(&["deploy", "--no-wait"], tag), 0); // web:2, web:3
    }
    // The last one settles, so web:2 and web:3 have no deployment or task left.
    assert_exit(&sim.run(&["deploy", "--wait-until", "stable"], "1.30"), 0); // web:4
    let registered = sim.run(&["register"], "1.31"); // web:5, unused
    assert_exit(&registered, 0);
    assert!(
        text(&registered).0.ends_with("task-definition/web:5\n"),
        "{}",
        text(&registered).0
    );
    sim.calls();

    let dry = sim.run(&["deregister", "--keeps", "2", "--dry-run"], "x");
    assert_exit(&dry, 0);
    assert!(
        text(&dry).1.contains("would deregister web:2\n"),
        "{}",
        text(&dry).1
    );

    let refused = sim.run(&["deregister", "--keeps", "2"], "x");
    assert_exit(&refused, 2);
    assert_eq!(count(&sim.calls(), "DeregisterTaskDefinition"), 0);

    // In use: web:4 (the service), web:1 (a running task). Of web:2, web:3 and
    // web:5, the newest two stay.
    let out = sim.run(&["deregister", "--keeps", "2", "--force"], "x");
    assert_exit(&out, 0);
    let (stdout, stderr) = text(&out);
    assert_eq!(stdout, "web:2\n", "{stderr}");
    assert!(
        stderr.contains("web:1 is in use by RUNNING task"),
        "{stderr}"
    );
    assert_eq!(count(&sim.calls(), "DeregisterTaskDefinition"), 1);

    let in_use = sim.run(&["deregister", "--revision", "4", "--force"], "x");
    assert_exit(&in_use, 2);
    assert!(text(&in_use).1.contains("in use"), "{}", text(&in_use).1);

    let out = sim.run(
        &["deregister", "--revision", "3", "--force", "--delete"],
        "x",
    );
    assert_exit(&out, 0);
    let calls = sim.calls();
    assert_eq!(count(&calls, "DeregisterTaskDefinition"), 1, "{calls:?}");
    assert_eq!(count(&calls, "DeleteTaskDefinitions"), 1, "{calls:?}");
}

#[test]
fn run_exits_with_the_watched_containers_exit_code() {
    let mut sim = Sim::start(WORLD);
    let out = sim.run(&["run"], "migrate-1");
    assert_exit(&out, 3);
    let (_, stderr) = text(&out);
    assert!(stderr.contains("container `app`"), "{stderr}");
    assert!(stderr.contains("exited with code 3"), "{stderr}");
    let calls = sim.calls();
    assert_eq!(count(&calls, "RunTask"), 1, "{calls:?}");

    let running = sim.run(&["run", "--wait-until", "running"], "1.27");
    assert_exit(&running, 0);
    assert_eq!(count(&sim.calls(), "RunTask"), 1);

    let bad = sim.run(&["run", "--watch-container", "nope"], "1.27");
    assert_exit(&bad, 2);
    assert!(text(&bad).1.contains("log, app"), "{}", text(&bad).1);
    let calls = sim.calls();
    assert_eq!(
        count(&calls, "RunTask"),
        0,
        "a bad flag changes nothing: {calls:?}"
    );
    assert_eq!(count(&calls, "RegisterTaskDefinition"), 0, "{calls:?}");
}

#[test]
fn run_that_cannot_start_fails_with_the_reason() {
    let sim = Sim::start(WORLD);
    let out = sim.run(&["run"], "nopull");
    assert_exit(&out, 1);
    assert!(
        text(&out).1.contains("CannotPullContainerError"),
        "{}",
        text(&out).1
    );
}

#[test]
fn run_overrides_file_errors_name_the_field() {
    let sim = Sim::start(WORLD);
    write(
        sim.path(),
        "o.json",
        "{\"name\": \"app\",\n \"comand\": [\"x\"]}",
    );
    let out = sim.run(&["run", "--overrides-file", "o.json"], "1.27");
    assert_exit(&out, 2);
    assert!(text(&out).1.contains("comand"), "{}", text(&out).1);
}

/// The tags of the task `arn`, from the simulator's saved state.
fn task_tags(sim: &Sim, arn: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(sim.path().join("state.json")).expect("state");
    let state: serde_json::Value = serde_json::from_str(&text).expect("state json");
    let id = arn.rsplit('/').next().unwrap_or_default();
    let task = &state["ecs"]["clusters"]["default"]["tasks"][id]["task"];
    let mut tags: Vec<(String, String)> = task["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| {
                    let field = |k: &str| t[k].as_str().unwrap_or_default().to_owned();
                    (field("key"), field("value"))
                })
                .collect()
        })
        .unwrap_or_default();
    tags.sort();
    tags
}

#[test]
fn run_tags_tasks_and_a_client_token_starts_them_once() {
    let mut sim = Sim::start(WORLD);
    let tagged_td = TASK_DEF.replacen(
        '{',
        "{\n  \"tags\": [{\"key\": \"owner\", \"value\": \"platform\"}],",
        1,
    );
    write(sim.path(), "td.json", &tagged_td);
    let args = [
        "run",
        "--no-wait",
        "--tags",
        "team=data,job=migrate",
        "--propagate-tags",
        "TASK_DEFINITION",
        "--client-token",
        "nightly-1",
    ];
    let first = sim.run(&args, "1.27");
    assert_exit(&first, 0);
    let arn = text(&first).0.trim().to_owned();
    assert!(arn.contains(":task/default/"), "{arn}");
    assert_eq!(
        task_tags(&sim, &arn),
        [
            ("job".to_owned(), "migrate".to_owned()),
            ("owner".to_owned(), "platform".to_owned()),
            ("team".to_owned(), "data".to_owned()),
        ]
    );
    // The same token again: the same task, none started.
    let again = sim.run(&args[..], "1.27");
    assert_exit(&again, 0);
    assert_eq!(text(&again).0.trim(), arn);
    sim.calls();

    let bad = sim.run(&["run", "--tags", "team"], "1.27");
    assert_exit(&bad, 2);
    assert!(
        text(&bad).1.contains("`team` is not KEY=VALUE"),
        "{}",
        text(&bad).1
    );
    let no_service = sim.run(&["run", "--propagate-tags", "SERVICE"], "1.27");
    assert_exit(&no_service, 2);
    let calls = sim.calls();
    assert_eq!(
        count(&calls, "RunTask"),
        0,
        "bad input changes nothing: {calls:?}"
    );
    assert_eq!(count(&calls, "RegisterTaskDefinition"), 0, "{calls:?}");

    // With the service: its live tags go to the task.
    let tagged_sd = SERVICE_DEF.replacen(
        '{',
        "{\n  \"tags\": [{\"key\": \"service\", \"value\": \"web\"}],",
        1,
    );
    write(sim.path(), "sd.json", &tagged_sd);
    assert_exit(&sim.run(&["create"], "1.27"), 0);
    let out = sim.run(
        &[
            "run",
            "--no-wait",
            "--skip-task-definition",
            "--propagate-tags",
            "SERVICE",
        ],
        "1.27",
    );
    assert_exit(&out, 0);
    let arn = text(&out).0.trim().to_owned();
    assert_eq!(
        task_tags(&sim, &arn),
        [("service".to_owned(), "web".to_owned())]
    );
}

#[test]
fn run_task_def_runs_another_file() {
    let sim = Sim::start(WORLD);
    write(
        sim.path(),
        "migrate.json",
        &TASK_DEF.replace("\"family\": \"web\"", "\"family\": \"migrate\""),
    );
    let out = sim.run(&["run", "--task-def", "migrate.json"], "migrate-1");
    assert_exit(&out, 3);
    assert!(
        text(&out).1.contains("task-definition/migrate:1"),
        "the other file's family is registered and run: {}",
        text(&out).1
    );
}

#[test]
fn every_day2_command_has_help() {
    for command in [
        "rollback",
        "refresh",
        "scale",
        "delete",
        "register",
        "deregister",
        "run",
    ] {
        let out = Command::new(BIN)
            .args([command, "--help"])
            .output()
            .expect("runs");
        assert_exit(&out, 0);
    }
}

/// A value of the simulator's saved state, by path.
fn saved(sim: &Sim, path: &[&str]) -> serde_json::Value {
    let text = std::fs::read_to_string(sim.path().join("state.json")).expect("state");
    let mut value: serde_json::Value = serde_json::from_str(&text).expect("state json");
    for key in path {
        value = value[*key].take();
    }
    value
}

// Issue 15, item 2: ecspresso documents `--revision` as "the revision to use when
// --skip-task-definition", so the two go together (as do `--skip-task-definition` and
// `--latest-task-definition`); only `--revision` with `--latest-task-definition` contradicts.
#[test]
fn skip_task_definition_takes_the_revision_or_the_latest_it_is_given() {
    let mut sim = Sim::start(WORLD);
    assert_exit(&sim.run(&["create", "--no-wait"], "1.27"), 0); // web:1
    for tag in ["1.28", "1.29"] {
        assert_exit(&sim.run(&["deploy", "--no-wait"], tag), 0); // web:2, web:3
    }
    sim.calls();
    let service_td = |sim: &Sim| {
        saved(
            sim,
            &[
                "ecs",
                "clusters",
                "default",
                "services",
                "web",
                "service",
                "taskDefinition",
            ],
        )
        .as_str()
        .unwrap_or_default()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
    };

    let out = sim.run(
        &[
            "deploy",
            "--skip-task-definition",
            "--revision",
            "1",
            "--no-wait",
        ],
        "ignored",
    );
    assert_exit(&out, 0);
    assert_eq!(service_td(&sim), "web:1");
    let out = sim.run(
        &[
            "deploy",
            "--skip-task-definition",
            "--latest-task-definition",
            "--no-wait",
        ],
        "ignored",
    );
    assert_exit(&out, 0);
    assert_eq!(service_td(&sim), "web:3");
    assert_eq!(count(&sim.calls(), "RegisterTaskDefinition"), 0);

    let out = sim.run(
        &[
            "run",
            "--skip-task-definition",
            "--revision",
            "2",
            "--no-wait",
        ],
        "ignored",
    );
    assert_exit(&out, 0);
    let arn = text(&out).0.trim().to_owned();
    let id = arn.rsplit('/').next().unwrap_or_default();
    let task_td = saved(
        &sim,
        &[
            "ecs",
            "clusters",
            "default",
            "tasks",
            id,
            "task",
            "taskDefinitionArn",
        ],
    );
    assert!(
        task_td.as_str().unwrap_or_default().ends_with("/web:2"),
        "{task_td}"
    );
    assert_eq!(count(&sim.calls(), "RegisterTaskDefinition"), 0);

    for command in ["run", "deploy"] {
        let out = sim.run(
            &[command, "--latest-task-definition", "--revision", "1"],
            "ignored",
        );
        assert_exit(&out, 2);
        assert!(
            text(&out).1.contains("cannot be used with"),
            "{}",
            text(&out).1
        );
    }
    assert!(sim.calls().is_empty());
}
