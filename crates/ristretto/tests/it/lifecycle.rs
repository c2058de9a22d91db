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
