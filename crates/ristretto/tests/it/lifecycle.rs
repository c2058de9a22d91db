//! Native ECS deployments that pause and walk lifecycle stages, through the binary against the
//! simulator: `--wait-until paused|ecs:<STAGE>`, `continue`, `rollback` of a paused deployment,
//! `status` of one, and the refusals that come before anything changes.
//!
//! Sources: ECS API reference, `ContinueServiceDeployment`, `DescribeServiceDeployments`
//! (`lifecycleStage`, `lifecycleHookDetails`), `DeploymentLifecycleHook` (target type PAUSE);
//! developer guide, "Continuing service deployments"; ecspresso-behaviour §11b (the semantics
//! of `--wait-until paused` and `ecs:<STAGE>`).

use std::path::Path;

use crate::common::{self, ristretto, text};

const CONFIG: &str = "examples/rolling/config.yaml";

/// A simulator started in the test (for its request log and clock) and a copy of the rolling
/// example whose service definition `edit` changed.
struct Served {
    sim: ristretto_sim::SimHandle,
    dir: tempfile::TempDir,
}

impl Served {
    async fn start(world: &str, edit: impl Fn(serde_json::Value) -> serde_json::Value) -> Served {
        let dir = common::example_copy("rolling", Some(world));
        write_definition(dir.path(), edit);
        let world = ristretto_sim::World::from_yaml_file(
            &dir.path().join("examples/rolling/local-world.yaml"),
        )
        .expect("world");
        let config = ristretto_sim::SimConfig {
            world,
            state_file: None,
            speed: 50.0,
            request_log: None,
        };
        let sim = ristretto_sim::start(config, "127.0.0.1:0".parse().expect("address"))
            .await
            .expect("simulator starts");
        Served { sim, dir }
    }

    /// Runs `ristretto --endpoint-url … --config CONFIG args…` with `IMAGE_TAG=tag`.
    async fn run(&self, args: &[&str], tag: &str) -> (Option<i32>, String) {
        let mut command = ristretto(self.dir.path());
        command
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("IMAGE_TAG", tag)
            .args([
                "--endpoint-url",
                &self.sim.endpoint_url(),
                "--config",
                CONFIG,
            ])
            .args(args);
        let out = tokio::task::spawn_blocking(move || command.output().expect("runs"))
            .await
            .expect("joins");
        (out.status.code(), text(&out))
    }

    /// The mutating calls made since the request log had `since` entries.
    fn mutations_since(&self, since: usize) -> Vec<String> {
        self.sim.requests()[since..]
            .iter()
            .filter(|r| r.mutating)
            .map(|r| format!("{}:{}", r.service, r.operation))
            .collect()
    }
}

/// Rewrites the example's service definition with `edit`.
fn write_definition(dir: &Path, edit: impl Fn(serde_json::Value) -> serde_json::Value) {
    let path = dir.join("examples/rolling/ecs-service-def.json");
    let definition: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&edit(definition)).expect("json"),
    )
    .expect("write");
}

const ROLLING_WORLD: &str = "clusters: [default]\n";

// ecspresso-behaviour §11b: "an unknown stage is refused" before anything changes. The stage
// list is ECS's (API reference, ServiceDeployment.lifecycleStage).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_stage_is_refused_before_anything_changes() {
    let served = Served::start(ROLLING_WORLD, |d| d).await;
    let (code, all) = served.run(&["deploy"], "1.27").await;
    assert_eq!(code, Some(0), "{all}");
    let before = served.sim.requests().len();
    let (code, all) = served
        .run(&["deploy", "--wait-until", "ecs:BAKING"], "1.28")
        .await;
    assert_eq!(code, Some(2), "{all}");
    assert!(
        all.contains("unknown ECS lifecycle stage `BAKING`; one of RECONCILE_SERVICE, PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP, TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP"),
        "{all}"
    );
    assert_eq!(served.sim.requests().len(), before, "no call at all");
    let (_, status) = served.run(&["status"], "1.28").await;
    assert!(
        status.contains("TaskDefinition: web:1"),
        "unchanged: {status}"
    );
}

// ecspresso-behaviour §11b: `ecs:<STAGE>` "requires BLUE_GREEN, LINEAR or CANARY", checked
// before UpdateService, also against the strategy the service definition switches to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_on_a_rolling_service_is_refused_before_anything_changes() {
    let served = Served::start(ROLLING_WORLD, |d| d).await;
    let (code, all) = served.run(&["deploy"], "1.27").await;
    assert_eq!(code, Some(0), "{all}");
    let before = served.sim.requests().len();
    let (code, all) = served
        .run(&["deploy", "--wait-until", "ecs:BAKE_TIME"], "1.28")
        .await;
    assert_eq!(code, Some(2), "{all}");
    assert!(
        all.contains("error: `--wait-until ecs:BAKE_TIME` needs a BLUE_GREEN, LINEAR or CANARY deployment; service `web` deploys with the ROLLING strategy"),
        "{all}"
    );
    assert_eq!(
        served.mutations_since(before),
        Vec::<String>::new(),
        "{all}"
    );
    let (code, all) = served
        .run(&["wait", "--wait-until", "ecs:BAKE_TIME"], "1.28")
        .await;
    assert_eq!(code, Some(2), "{all}");
}

// ecspresso-behaviour §11b: `paused` on ROLLING "warns when the strategy is ROLLING, which
// cannot pause"; the deploy then waits as `deployed` does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_on_a_rolling_service_warns_and_waits_until_deployed() {
    let served = Served::start(ROLLING_WORLD, |d| d).await;
    let (code, all) = served
        .run(&["deploy", "--wait-until", "paused"], "1.27")
        .await;
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("warning: `--wait-until paused`: service `web` deploys with the ROLLING strategy, which cannot pause; waiting until the deployment is deployed"),
        "{all}"
    );
    assert!(all.contains("succeeded: service web runs web:1"), "{all}");
    let calls: Vec<_> = served
        .sim
        .requests()
        .iter()
        .map(|r| r.operation.clone())
        .collect();
    assert!(
        !calls.iter().any(|c| c.contains("ServiceDeployment")),
        "a rolling wait reads no service deployment: {calls:?}"
    );
}

// "When nothing is paused: a clear error saying what the deployment is doing" (exit 1,
// nothing changed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continue_on_a_rolling_service_says_it_never_pauses() {
    let served = Served::start(ROLLING_WORLD, |d| d).await;
    let (code, all) = served.run(&["deploy"], "1.27").await;
    assert_eq!(code, Some(0), "{all}");
    let before = served.sim.requests().len();
    let (code, all) = served.run(&["continue"], "1.27").await;
    assert_eq!(code, Some(1), "{all}");
    assert!(
        all.contains("error: nothing to continue: service `web` uses the ROLLING deployment strategy, whose deployments never pause"),
        "{all}"
    );
    assert_eq!(served.mutations_since(before), Vec::<String>::new());
}

/// The example's service definition as a BLUE_GREEN service with `bake` minutes of bake time
/// and `hooks` (API reference, DeploymentConfiguration: BLUE_GREEN needs `bakeTimeInMinutes`).
fn blue_green(
    bake: i32,
    hooks: serde_json::Value,
) -> impl Fn(serde_json::Value) -> serde_json::Value {
    move |mut d| {
        d["deploymentConfiguration"] = serde_json::json!({
            "strategy": "BLUE_GREEN",
            "bakeTimeInMinutes": bake,
            "minimumHealthyPercent": 100,
            "maximumPercent": 200,
            "lifecycleHooks": hooks,
        });
        d
    }
}

/// A PAUSE hook at `stage` (API reference, DeploymentLifecycleHook), timing out after
/// `timeout` minutes when given.
fn pause_at(stage: &str, timeout: Option<i32>) -> serde_json::Value {
    let mut hook = serde_json::json!({"targetType": "PAUSE", "lifecycleStages": [stage]});
    if let Some(minutes) = timeout {
        hook["timeoutConfiguration"] = serde_json::json!({"timeoutInMinutes": minutes});
    }
    hook
}

/// A BLUE_GREEN service `web` running `web:1` (created by a deploy of the definition without
/// hooks), whose definition then gets `hooks` and `bake` for the next deploy.
async fn blue_green_service(world: &str, bake: i32, hooks: serde_json::Value) -> Served {
    let served = Served::start(world, blue_green(1, serde_json::json!([]))).await;
    let (code, all) = served.run(&["deploy"], "1.27").await;
    assert_eq!(code, Some(0), "the service is created: {all}");
    write_definition(served.dir.path(), blue_green(bake, hooks));
    served
}

/// The ID of the hook awaiting action on `web`'s deployment, read with the SDK.
async fn awaiting_hook(served: &Served) -> Option<String> {
    let config = aws_sdk_ecs::Config::builder()
        .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
        .region(aws_sdk_ecs::config::Region::new("us-east-1"))
        .endpoint_url(served.sim.endpoint_url())
        .credentials_provider(aws_sdk_ecs::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .build();
    let ecs = aws_sdk_ecs::Client::from_conf(config);
    let arn = ecs
        .list_service_deployments()
        .service("web")
        .send()
        .await
        .expect("listed")
        .service_deployments()
        .iter()
        .max_by_key(|d| d.created_at().map(|t| t.secs()))?
        .service_deployment_arn()?
        .to_owned();
    let sd = ecs
        .describe_service_deployments()
        .service_deployment_arns(arn)
        .send()
        .await
        .expect("described")
        .service_deployments()
        .first()?
        .clone();
    sd.lifecycle_hook_details()
        .iter()
        .find(|h| h.status().map(|s| s.as_str()) == Some("AWAITING_ACTION"))
        .and_then(|h| h.hook_id())
        .map(str::to_owned)
}

fn operations_since(served: &Served, since: usize) -> Vec<String> {
    served.sim.requests()[since..]
        .iter()
        .map(|r| r.operation.clone())
        .collect()
}

// Developer guide, "Continuing service deployments": a PAUSE hook holds the deployment at its
// stage, AWAITING_ACTION, until ContinueServiceDeployment. `deploy --wait-until paused`
// returns there (exit 0) with the command that resumes it; `status` shows it; `wait
// --wait-until paused` returns at once; `continue` resumes it to the end (exit 0).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_deploy_is_shown_by_status_and_continue_finishes_it() {
    let served = blue_green_service(
        ROLLING_WORLD,
        1,
        serde_json::json!([pause_at("POST_TEST_TRAFFIC_SHIFT", None)]),
    )
    .await;
    let (code, all) = served
        .run(&["deploy", "--wait-until", "paused"], "1.28")
        .await;
    assert_eq!(code, Some(0), "{all}");
    let hook = awaiting_hook(&served).await.expect("a hook awaits action");
    let resume = format!(
        "ristretto --endpoint-url {} --config examples/rolling/config.yaml continue",
        served.sim.endpoint_url()
    );
    assert!(
        all.contains(&format!(
            "paused: lifecycle hook {hook} holds service deployment"
        )),
        "{all}"
    );
    assert!(
        all.contains("at POST_TEST_TRAFFIC_SHIFT (ECS takes ROLLBACK at "),
        "the hook's timeout and its default action (API_DeploymentLifecycleHookTimeoutConfiguration): {all}"
    );
    assert!(
        all.contains(&format!(
            "continue with `{resume}` or roll back with `{resume} --rollback`"
        )),
        "{all}"
    );
    assert!(
        all.contains(&format!(
            "is paused at POST_TEST_TRAFFIC_SHIFT: lifecycle hook {hook} awaits action"
        )),
        "{all}"
    );

    let (code, status) = served.run(&["status"], "1.28").await;
    assert_eq!(code, Some(0), "{status}");
    assert!(
        status.contains("IN_PROGRESS stage:POST_TEST_TRAFFIC_SHIFT"),
        "{status}"
    );
    assert!(
        status.contains(&format!(
            "  paused: lifecycle hook {hook} awaits action (ROLLBACK at "
        )),
        "{status}"
    );
    assert!(
        status.contains(&format!("    continue: {resume}\n")),
        "{status}"
    );

    let (code, waited) = served
        .run(&["wait", "--wait-until", "paused"], "1.28")
        .await;
    assert_eq!(code, Some(0), "{waited}");
    assert!(
        waited.contains("is paused at POST_TEST_TRAFFIC_SHIFT"),
        "{waited}"
    );

    let before = served.sim.requests().len();
    let (code, all) = served.run(&["continue"], "1.28").await;
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("continuing service deployment ")
            && all.contains(&format!(
                "paused at POST_TEST_TRAFFIC_SHIFT by lifecycle hook {hook}"
            )),
        "{all}"
    );
    assert!(all.contains("succeeded: service web runs web:2"), "{all}");
    let ops = operations_since(&served, before);
    assert_eq!(
        ops.iter()
            .filter(|o| *o == "ContinueServiceDeployment")
            .count(),
        1,
        "{ops:?}"
    );
    assert!(!ops.iter().any(|o| o == "UpdateService"), "{ops:?}");
    let (_, status) = served.run(&["status"], "1.28").await;
    assert!(status.contains("TaskDefinition: web:2"), "{status}");
    assert!(
        !status.contains("ServiceDeployment:"),
        "nothing in progress: {status}"
    );

    // Nothing paused now: `continue` says what the last deployment did (exit 1).
    let (code, all) = served.run(&["continue"], "1.28").await;
    assert_eq!(code, Some(1), "{all}");
    assert!(
        all.contains("error: nothing to continue: no deployment of service `web` is in progress; the last one, ")
            && all.contains(", is SUCCESSFUL"),
        "{all}"
    );
}

// API_ContinueServiceDeployment, ROLLBACK: "Rolls back the deployment to the previous service
// revision"; the service deployment ends ROLLBACK_SUCCESSFUL. The rollback the user asked for
// succeeded: exit 0, and the service runs web:1 again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continue_rollback_rolls_a_paused_deployment_back() {
    let served = blue_green_service(
        ROLLING_WORLD,
        1,
        serde_json::json!([pause_at("POST_SCALE_UP", None)]),
    )
    .await;
    let (code, all) = served
        .run(&["deploy", "--wait-until", "paused"], "1.28")
        .await;
    assert_eq!(code, Some(0), "{all}");
    let (code, all) = served.run(&["continue", "--rollback"], "1.28").await;
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("rolling back service deployment"), "{all}");
    assert!(
        all.contains("was rolled back (ROLLBACK_SUCCESSFUL)"),
        "{all}"
    );
    let (_, status) = served.run(&["status"], "1.28").await;
    assert!(status.contains("TaskDefinition: web:1"), "{status}");
}

// ecspresso (PR #1047): `rollback` of a paused deployment goes through
// ContinueServiceDeployment(ROLLBACK) rather than a new UpdateService; the paused deployment's
// revision is deregistered once the rollback succeeded, as after any rollback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_of_a_paused_deployment_continues_its_hook_with_rollback() {
    let served = blue_green_service(
        ROLLING_WORLD,
        1,
        serde_json::json!([pause_at("POST_TEST_TRAFFIC_SHIFT", None)]),
    )
    .await;
    let (code, all) = served
        .run(&["deploy", "--wait-until", "paused"], "1.28")
        .await;
    assert_eq!(code, Some(0), "{all}");
    let (code, dry) = served.run(&["rollback", "--dry-run"], "1.28").await;
    assert_eq!(code, Some(0), "{dry}");
    assert!(dry.contains("\"action\": \"ROLLBACK\""), "{dry}");
    let before = served.sim.requests().len();
    let (code, all) = served.run(&["rollback"], "1.28").await;
    assert_eq!(code, Some(0), "{all}");
    let ops = operations_since(&served, before);
    assert!(
        ops.iter().any(|o| o == "ContinueServiceDeployment"),
        "{ops:?}"
    );
    assert!(!ops.iter().any(|o| o == "UpdateService"), "{ops:?}");
    assert!(
        all.contains("deregistered the rolled-back task definition web:2"),
        "{all}"
    );
    let (_, status) = served.run(&["status"], "1.28").await;
    assert!(status.contains("TaskDefinition: web:1"), "{status}");
}

// ecspresso-behaviour §11b: `deploy --wait-until ecs:BAKE_TIME` returns once production traffic
// has fully shifted (the deployment's lifecycleStage is BAKE_TIME), not after the bake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_until_bake_time_returns_once_production_traffic_shifted() {
    // Ten hours of bake: only a wait that stops at BAKE_TIME ends within the test.
    let served = blue_green_service(ROLLING_WORLD, 600, serde_json::json!([])).await;
    let (code, all) = served
        .run(
            &[
                "--timeout",
                "60s",
                "deploy",
                "--wait-until",
                "ecs:BAKE_TIME",
            ],
            "1.28",
        )
        .await;
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("at stage BAKE_TIME"), "{all}");
    assert!(
        all.contains("reached BAKE_TIME (now at BAKE_TIME); it goes on"),
        "{all}"
    );
    let (_, status) = served.run(&["status"], "1.28").await;
    assert!(
        status.contains("IN_PROGRESS stage:BAKE_TIME"),
        "still baking: {status}"
    );
}

// ecspresso-behaviour §11b: while waiting for `ecs:<STAGE>`, a pause hook awaiting action at an
// earlier stage warns once with the hook, both stages and the command; a rollback before the
// stage is reached is a failure (exit 1). Here the hook's timeout (ten minutes of the world's
// time, a few seconds of the test's) takes its default action, ROLLBACK
// (API_DeploymentLifecycleHookTimeoutConfiguration).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_before_the_stage_fails_the_wait_after_one_warning_per_hook() {
    let served = blue_green_service(
        ROLLING_WORLD,
        1,
        serde_json::json!([pause_at("POST_TEST_TRAFFIC_SHIFT", Some(10))]),
    )
    .await;
    let (code, all) = served
        .run(&["deploy", "--wait-until", "ecs:BAKE_TIME"], "1.28")
        .await;
    assert_eq!(code, Some(1), "{all}");
    assert_eq!(
        all.matches("paused: lifecycle hook ").count(),
        1,
        "one warning per hook: {all}"
    );
    assert!(
        all.contains("at POST_TEST_TRAFFIC_SHIFT, before BAKE_TIME"),
        "{all}"
    );
    assert!(
        all.contains("was rolled back before reaching BAKE_TIME: Lifecycle hook ")
            && all.contains("timed out at stage POST_TEST_TRAFFIC_SHIFT"),
        "{all}"
    );
    let (_, status) = served.run(&["status"], "1.28").await;
    assert!(status.contains("TaskDefinition: web:1"), "{status}");
}

// ecspresso-behaviour §11b: "a rollback before the stage is reached is a failure (also for
// paused)". A Lambda hook that answers FAILED (the world's `ecsHookFailures` rule; developer
// guide, "deployment-lifecycle-hooks") rolls the deployment back before the pause hook.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_before_pausing_fails_wait_until_paused() {
    let world = "clusters: [default]\necsHookFailures:\n  - function: \"*:function:smoke\"\n    afterSeconds: 5\n";
    let served = blue_green_service(
        world,
        1,
        serde_json::json!([
            {
                "hookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:smoke",
                "roleArn": "arn:aws:iam::123456789012:role/ecs-hooks",
                "lifecycleStages": ["POST_SCALE_UP"],
            },
            pause_at("POST_TEST_TRAFFIC_SHIFT", None),
        ]),
    )
    .await;
    let (code, all) = served
        .run(&["deploy", "--wait-until", "paused"], "1.28")
        .await;
    assert_eq!(code, Some(1), "{all}");
    assert!(
        all.contains("was rolled back before pausing: Lifecycle hook ")
            && all.contains("failed at stage POST_SCALE_UP"),
        "{all}"
    );
}

// `wait` on a paused deployment says that it is paused, with the command, instead of waiting
// silently; the timeout then ends it (exit 4), the deployment still paused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_on_a_paused_deployment_says_so() {
    let served = blue_green_service(
        ROLLING_WORLD,
        1,
        serde_json::json!([pause_at("POST_TEST_TRAFFIC_SHIFT", None)]),
    )
    .await;
    let (code, all) = served
        .run(&["deploy", "--wait-until", "paused"], "1.28")
        .await;
    assert_eq!(code, Some(0), "{all}");
    let (code, all) = served.run(&["--timeout", "3s", "wait"], "1.28").await;
    assert_eq!(code, Some(4), "{all}");
    assert!(all.contains("paused: lifecycle hook "), "{all}");
    let hook = awaiting_hook(&served).await.expect("still paused");
    // The same as one JSON event per line, with the hook and the command.
    let (code, all) = served
        .run(&["--output", "json", "--timeout", "3s", "wait"], "1.28")
        .await;
    assert_eq!(code, Some(4), "{all}");
    let event = all
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["event"] == "hook_awaiting")
        .unwrap_or_else(|| panic!("a hook_awaiting event: {all}"));
    assert_eq!(event["hook_id"], hook.as_str());
    assert_eq!(event["stage"], "POST_TEST_TRAFFIC_SHIFT");
    assert!(
        event["command"]
            .as_str()
            .is_some_and(|c| c.ends_with("--config examples/rolling/config.yaml continue")),
        "{event}"
    );
}

/// `ristretto --local --config examples/codedeploy/config.yaml args…` in `dir`.
fn run_codedeploy(dir: &Path, args: &[&str], tag: &str) -> (Option<i32>, String) {
    let out = ristretto(dir)
        .args(["--local", "--config", "examples/codedeploy/config.yaml"])
        .args(args)
        .env("IMAGE_TAG", tag)
        .output()
        .expect("runs");
    (out.status.code(), text(&out))
}

// CodeDeploy API reference, ContinueDeployment: "READY_WAIT indicates that the deployment is
// ready to start shifting traffic"; API_DeploymentReadyOption: with actionOnTimeout
// STOP_DEPLOYMENT the deployment waits (status Ready) after the test traffic until someone
// continues it. `continue` on a CODE_DEPLOY service sends it and follows the deployment to its
// end; `continue --rollback` is refused there with the command that does it.
#[test]
fn continue_on_a_codedeploy_service_ends_its_ready_wait() {
    let world =
        std::fs::read_to_string(common::repo().join("examples/codedeploy/local-world.yaml"))
            .expect("world")
            .replace(
                "deploymentReadyOption: {actionOnTimeout: CONTINUE_DEPLOYMENT}",
                "deploymentReadyOption: {actionOnTimeout: STOP_DEPLOYMENT, waitTimeInMinutes: 600}",
            );
    let dir = common::example_copy("codedeploy", Some(&world));
    let (code, all) = run_codedeploy(dir.path(), &["create"], "1.27");
    assert_eq!(code, Some(0), "{all}");
    let (code, all) = run_codedeploy(
        dir.path(),
        &["deploy", "--wait-until", "codedeploy:AfterAllowTestTraffic"],
        "1.28",
    );
    assert_eq!(code, Some(0), "{all}");
    let (code, all) = run_codedeploy(dir.path(), &["continue", "--rollback"], "1.28");
    assert_eq!(code, Some(2), "{all}");
    assert!(
        all.contains("hint: `ristretto rollback` stops the CodeDeploy deployment"),
        "{all}"
    );
    for args in [
        &["continue", "--wait-until", "paused"][..],
        &["rollback", "--wait-until", "paused"][..],
        &["wait", "--wait-until", "ecs:BAKE_TIME"][..],
    ] {
        let (code, all) = run_codedeploy(dir.path(), args, "1.28");
        assert_eq!(code, Some(2), "{args:?}: {all}");
        assert!(all.contains("is deployed by CodeDeploy"), "{all}");
    }
    let (code, all) = run_codedeploy(dir.path(), &["continue"], "1.28");
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("(READY_WAIT)"), "{all}");
    assert!(all.contains("succeeded"), "{all}");
    let (code, all) = run_codedeploy(dir.path(), &["continue"], "1.28");
    assert_eq!(code, Some(1), "nothing waits any more: {all}");
    assert!(all.contains("error: nothing to continue"), "{all}");
}
