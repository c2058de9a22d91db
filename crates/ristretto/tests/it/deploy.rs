//! `create`, `deploy` and `wait` against the local simulator through the real
//! binary: the exit codes a pipeline relies on, and the reasons it prints.

use std::path::Path;
use std::process::Command;

use crate::common::{self, ristretto, text};

/// A temp folder holding a copy of `examples/rolling`, at the same relative path.
fn example_copy(world: Option<&str>) -> tempfile::TempDir {
    common::example_copy("rolling", world)
}

const CONFIG: &str = "examples/rolling/config.yaml";

/// A world where tasks of any image tagged `broken…` exit 1 when they would start.
const BROKEN_IMAGE_WORLD: &str = "clusters: [default]\nfailures:\n  - image: \"*:broken*\"\n    exitCode: 1\n    stoppedReason: \"Essential container in task exited\"\n";

#[test]
fn readme_first_command_deploys_the_rolling_example() {
    let dir = example_copy(None);
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("created service"), "{all}");
    assert!(all.contains("succeeded: service web runs web:1"), "{all}");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains('\x1b'),
        "no control characters off a terminal: {all}"
    );
}

#[cfg(unix)]
#[test]
fn on_a_terminal_deploy_draws_a_live_view_and_keeps_the_log_lines() {
    let dir = example_copy(None);
    let run = common::ristretto_in_terminal(
        dir.path(),
        &["--local", "--config", CONFIG, "deploy"],
        &[("NO_COLOR", "1")],
        100,
    );
    let out = &run.output;
    assert_eq!(run.exit, 0, "{out}");
    // The view (deployment counts with a bar) is drawn and redrawn in place...
    assert!(out.contains("PRIMARY web:1 ["), "{out}");
    assert!(
        out.contains("\x1b[2K"),
        "lines are cleared and redrawn: {out:?}"
    );
    // ...and the lines worth keeping are still there.
    assert!(out.contains("created service"), "{out}");
    assert!(out.contains("succeeded: service web runs web:1"), "{out}");
}

#[cfg(unix)]
#[test]
fn in_ci_a_terminal_gets_plain_lines() {
    let dir = example_copy(None);
    let run = common::ristretto_in_terminal(
        dir.path(),
        &["--local", "--config", CONFIG, "deploy"],
        &[("NO_COLOR", "1"), ("CI", "true")],
        100,
    );
    assert_eq!(run.exit, 0, "{}", run.output);
    assert!(
        run.output.contains("succeeded: service web runs web:1"),
        "{}",
        run.output
    );
    assert!(!run.output.contains('\x1b'), "{:?}", run.output);
}

#[test]
fn no_progress_timeout_gives_up_when_nothing_changes() {
    // Tasks never get going: nothing changes after the first look.
    let dir = example_copy(Some(
        "clusters: [default]\ntaskStartDelaySeconds: 1000000\n",
    ));
    let out = ristretto(dir.path())
        .args([
            "--local",
            "--config",
            CONFIG,
            "--no-progress-timeout",
            "3s",
            "deploy",
        ])
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(4), "{all}");
    assert!(all.contains("no progress for 3s"), "{all}");
    assert!(
        all.contains("--no-progress-timeout"),
        "the hint names the flag: {all}"
    );
}

#[test]
fn deploy_rolls_a_new_image_and_wait_finds_nothing_left_to_do() {
    // Tasks take 200 world seconds (4 s at 50x) to start: the deployment is
    // still going at the first look, which learns from `create` how long it takes.
    let dir = example_copy(Some("clusters: [default]\ntaskStartDelaySeconds: 200\n"));
    let first = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "create"])
        .output()
        .expect("runs");
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));

    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .env("IMAGE_TAG", "1.28")
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains(
            "registered task definition arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
        ),
        "{all}"
    );
    assert!(all.contains("has reached a steady state"), "{all}");
    assert!(all.contains("succeeded: service web runs web:2"), "{all}");
    assert!(
        all.contains("expected to finish in about"),
        "the previous deployment (create) sets the expectation: {all}"
    );

    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "wait"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn create_refuses_an_existing_service() {
    let dir = example_copy(None);
    let ok = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "create", "--no-wait"])
        .output()
        .expect("runs");
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "create"])
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("already exists") && all.contains("ristretto deploy"),
        "{all}"
    );
}

#[test]
fn deploy_fails_when_circuit_breaker_rolls_back() {
    let world = BROKEN_IMAGE_WORLD;
    let dir = example_copy(Some(world));
    let ok = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .output()
        .expect("runs");
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));

    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .env("IMAGE_TAG", "broken-1")
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a rolled-back deployment is a failure: {all}"
    );
    assert!(all.contains("error: deployment failed"), "{all}");
    assert!(all.contains("the service runs web:1 again"), "{all}");
    assert!(
        all.contains("Essential container in task exited"),
        "the stopped reason is named: {all}"
    );
    assert!(all.contains("container app: exit code 1"), "{all}");
}

#[test]
fn deploy_still_running_at_the_timeout_exits_4() {
    // Tasks take 10 world minutes to start; at 50x that is 12 s, past the 2 s timeout.
    let dir = example_copy(Some("clusters: [default]\ntaskStartDelaySeconds: 600\n"));
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "--timeout", "2s", "deploy"])
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(4), "{all}");
    assert!(all.contains("timed out after 2s"), "{all}");
    assert!(
        all.contains("ristretto wait"),
        "the hint says how to resume: {all}"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_while_waiting_exits_130_and_leaves_the_deployment_running() {
    let dir = example_copy(Some("clusters: [default]\ntaskStartDelaySeconds: 600\n"));
    let child = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    // Interrupt once the deployment has started (the state file appears on the first change).
    let state = dir.path().join(".ristretto/local-state.json");
    for _ in 0..200 {
        if state.is_file() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let out = child.wait_with_output().expect("exits");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(130), "{all}");
    assert!(all.contains("ristretto wait"), "{all}");
    // The deployment goes on: `wait` finds it still in progress (and times out), not gone.
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "--timeout", "1s", "wait"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
}

// Regression (issue 14, item 9): `--local register` run while a `--local deploy` waited in the
// same folder was lost when the deploy saved its in-memory world at the end.
#[cfg(unix)]
#[test]
fn a_local_register_during_a_local_deploy_is_kept() {
    let dir = example_copy(Some("clusters: [default]\ntaskStartDelaySeconds: 600\n"));
    let child = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    let state = dir.path().join(".ristretto/local-state.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !std::fs::read_to_string(&state).is_ok_and(|s| s.contains("service/default/web")) {
        assert!(
            std::time::Instant::now() < deadline,
            "the deploy never created the service"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let registered = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "register"])
        .env("IMAGE_TAG", "1.28")
        .output()
        .expect("runs");
    assert_eq!(registered.status.code(), Some(0), "{}", text(&registered));
    assert!(text(&registered).contains("web:2"), "{}", text(&registered));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let out = child.wait_with_output().expect("exits");
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    // The deploy saved its world on the way out; the registration is still there.
    let out = ristretto(dir.path())
        .args([
            "--local",
            "--config",
            CONFIG,
            "revisions",
            "--format",
            "tsv",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("web:2"), "{}", text(&out));
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let dir = example_copy(None);
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy", "--dry-run"])
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("\"createService\""), "{all}");
    assert!(all.contains("\"registerTaskDefinition\""), "{all}");
    // Nothing was created: a real deploy afterwards still creates the service.
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .output()
        .expect("runs");
    assert!(text(&out).contains("created service"), "{}", text(&out));
}

#[test]
fn a_bad_definition_changes_nothing() {
    let dir = example_copy(None);
    let td = dir.path().join("examples/rolling/ecs-task-def.json");
    let broken = std::fs::read_to_string(&td)
        .expect("read")
        .replace("\"essential\"", "\"esential\"");
    std::fs::write(&td, broken).expect("write");
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("did you mean `essential`?"), "{all}");
    assert!(!all.contains("registered task definition"), "{all}");
}

/// Two copies of the rolling example, `services/good` and `services/bad`
/// (whose image fails), and a world file for both.
fn two_services() -> tempfile::TempDir {
    let world = BROKEN_IMAGE_WORLD;
    let dir = example_copy(None);
    let base = dir.path().join("examples/rolling");
    for (name, tag) in [("good", "1.27"), ("bad", "broken")] {
        let service_dir = dir.path().join("services").join(name);
        std::fs::create_dir_all(&service_dir).expect("mkdir");
        for file in ["ecs-task-def.json", "ecs-service-def.json"] {
            std::fs::copy(base.join(file), service_dir.join(file)).expect("copy");
        }
        let config = std::fs::read_to_string(base.join("config.yaml"))
            .expect("read")
            .replace("service: web", &format!("service: {name}"));
        std::fs::write(service_dir.join("config.yaml"), config).expect("write");
        let td = std::fs::read_to_string(service_dir.join("ecs-task-def.json"))
            .expect("read")
            .replace("{{ env `IMAGE_TAG` `1.27` }}", tag);
        std::fs::write(service_dir.join("ecs-task-def.json"), td).expect("write");
    }
    std::fs::write(dir.path().join("world.yaml"), world).expect("world");
    dir
}

const TWO_SERVICES: [&str; 6] = [
    "--local",
    "--local-world",
    "world.yaml",
    "--config",
    "services/*/config.yaml",
    "deploy",
];

#[cfg(unix)]
#[test]
fn on_a_terminal_several_services_get_one_live_line_each() {
    let dir = two_services();
    let run = common::ristretto_in_terminal(dir.path(), &TWO_SERVICES, &[("NO_COLOR", "1")], 160);
    let out = &run.output;
    assert_eq!(run.exit, 1, "{out}");
    for service in ["good", "bad"] {
        // `good/default 0:02 · PRIMARY web:2 1/2 IN_PROGRESS`: a compact line, no bars.
        let compact = out
            .match_indices(&format!("{service}/default 0:"))
            .any(|(i, _)| {
                let rest = &out[i..];
                // A drawn line ends where its padding to the terminal's width starts.
                let line = rest.split("  ").next().unwrap_or_default();
                line.contains(" · PRIMARY web:") && !line.contains('[')
            });
        assert!(compact, "{service}: {out:?}");
    }
    assert!(out.contains("error: 1 of 2 services failed"), "{out}");
}

#[test]
fn several_services_deploy_in_parallel_with_a_summary_and_the_worst_exit_code() {
    let dir = two_services();
    let out = ristretto(dir.path())
        .args(TWO_SERVICES)
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("error: bad/default: deployment failed"),
        "{all}"
    );
    assert!(
        all.contains("good/default  ok"),
        "the summary lists every service: {all}"
    );
    assert!(all.contains("bad/default   failed (exit 1)"), "{all}");
    assert!(all.contains("error: 1 of 2 services failed"), "{all}");
}

/// The rolling example with a native deployment strategy in its service definition.
fn with_strategy(dir: &Path, strategy: &str) {
    let sd = dir.join("examples/rolling/ecs-service-def.json");
    let text = std::fs::read_to_string(&sd).expect("read").replace(
        "\"maximumPercent\": 200,",
        &format!("\"maximumPercent\": 200,\n    {strategy},"),
    );
    std::fs::write(sd, text).expect("write");
}

#[test]
fn native_blue_green_and_canary_deployments_complete() {
    for strategy in [
        r#""strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1"#,
        r#""strategy": "CANARY", "bakeTimeInMinutes": 1, "canaryConfiguration": {"canaryPercent": 20, "canaryBakeTimeInMinutes": 1}"#,
    ] {
        let dir = example_copy(None);
        with_strategy(dir.path(), strategy);
        let first = ristretto(dir.path())
            .args(["--local", "--config", CONFIG, "deploy"])
            .output()
            .expect("runs");
        assert_eq!(first.status.code(), Some(0), "{strategy}: {}", text(&first));
        let out = ristretto(dir.path())
            .args(["--local", "--config", CONFIG, "deploy"])
            .env("IMAGE_TAG", "1.28")
            .output()
            .expect("runs");
        let all = text(&out);
        assert_eq!(out.status.code(), Some(0), "{strategy}: {all}");
        assert!(
            all.contains("succeeded: service web runs web:2"),
            "{strategy}: {all}"
        );
    }
}

#[test]
fn a_failing_native_blue_green_deployment_is_reported() {
    let world = BROKEN_IMAGE_WORLD;
    let dir = example_copy(Some(world));
    with_strategy(
        dir.path(),
        r#""strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1"#,
    );
    let ok = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .output()
        .expect("runs");
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .env("IMAGE_TAG", "broken")
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("error: deployment failed"), "{all}");
    assert!(all.contains("Essential container in task exited"), "{all}");
}

/// A world where containers of images tagged `crash…` exit 3 five seconds after they start.
const CRASH_WORLD: &str = "clusters: [default]\ncontainers:\n  - {image: \"*:crash*\", crashAfterSeconds: 5, exitCode: 3}\n";

/// The rolling example with a container health check on `app` (first check 30 s after start),
/// and the circuit breaker on or off.
fn checked_example(breaker: bool) -> tempfile::TempDir {
    let dir = example_copy(Some(CRASH_WORLD));
    let base = dir.path().join("examples/rolling");
    let td = std::fs::read_to_string(base.join("ecs-task-def.json")).expect("read");
    let td = td.replacen(
        "\"essential\": true,",
        "\"essential\": true, \"healthCheck\": {\"command\": [\"CMD-SHELL\", \"true\"], \"interval\": 30},",
        1,
    );
    std::fs::write(base.join("ecs-task-def.json"), td).expect("write");
    if !breaker {
        let sd = std::fs::read_to_string(base.join("ecs-service-def.json")).expect("read");
        let sd = sd.replace(
            "{ \"enable\": true, \"rollback\": true }",
            "{ \"enable\": false, \"rollback\": false }",
        );
        std::fs::write(base.join("ecs-service-def.json"), sd).expect("write");
    }
    dir
}

// ECS developer guide, "deployment-circuit-breaker": tasks that reach RUNNING and stop before
// their health checks pass are failures; at the threshold the breaker rolls back. ristretto
// names the stopped reason and the exit code of the container that exited.
#[test]
fn tasks_that_start_and_crash_fail_the_deploy_with_the_containers_exit_code() {
    let dir = checked_example(true);
    let ok = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .output()
        .expect("runs");
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .env("IMAGE_TAG", "crash-1")
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("error: deployment failed"), "{all}");
    assert!(all.contains("Essential container in task exited"), "{all}");
    assert!(all.contains("container app: exit code 3"), "{all}");
}

// ECS developer guide, "service-throttle-logic": without a circuit breaker ECS retries for
// ever. The crash loop changes counts and adds events all the time, but it is not progress:
// --no-progress-timeout still gives up.
#[test]
fn a_crash_loop_without_a_breaker_is_not_progress() {
    let dir = checked_example(false);
    let ok = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "deploy"])
        .output()
        .expect("runs");
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let out = ristretto(dir.path())
        .args([
            "--local",
            "--config",
            CONFIG,
            "--no-progress-timeout",
            "3s",
            "--timeout",
            "60s",
            "deploy",
        ])
        .env("IMAGE_TAG", "crash-1")
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(4), "{all}");
    assert!(all.contains("no progress for 3s"), "{all}");
    assert!(all.contains("container app: exit code 3"), "{all}");
}

// ECS developer guide, "Amazon ECS service event messages": an EC2 task that no container
// instance can hold is not started and the service says why; ECS keeps the deployment
// IN_PROGRESS, so ristretto fails on the event instead of waiting for its timeout.
#[test]
fn deploy_fails_fast_when_ec2_tasks_cannot_be_placed() {
    let dir = example_copy(Some(
        "clusters: [{name: default, containerInstances: []}]\n",
    ));
    let service_def = dir.path().join("examples/rolling/ecs-service-def.json");
    let text_def = std::fs::read_to_string(&service_def).expect("service definition");
    std::fs::write(
        &service_def,
        text_def.replace(r#""launchType": "FARGATE""#, r#""launchType": "EC2""#),
    )
    .expect("write");
    let out = ristretto(dir.path())
        .args(["--local", "--config", CONFIG, "--timeout", "60s", "deploy"])
        .output()
        .expect("runs");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster."),
        "AWS's reason is named: {all}"
    );
    assert!(!all.contains("timed out"), "{all}");
}
