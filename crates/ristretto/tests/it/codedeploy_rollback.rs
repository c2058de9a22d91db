//! CodeDeploy rollbacks as AWS runs them (a rollback is a deployment of its
//! own, user guide "deployments-rollback-and-redeploy"), through the real
//! binary against the simulator: a failed deploy is followed through the
//! rollback deployment, and a deploy or rollback while CodeDeploy rolls back
//! is handled before anything changes.

use std::path::Path;

use crate::common::{self, ristretto, text};

const CONFIG: &str = "examples/codedeploy/config.yaml";

/// The example's world, with `extra` appended.
fn world(extra: &str) -> String {
    let world =
        std::fs::read_to_string(common::repo().join("examples/codedeploy/local-world.yaml"))
            .expect("world");
    format!("{world}{extra}")
}

/// `ristretto --local --config CONFIG args…` in `dir`, the world 50 times faster than real time.
fn run(dir: &Path, args: &[&str], image_tag: Option<&str>) -> (Option<i32>, String) {
    let mut command = ristretto(dir);
    command.args(["--local", "--config", CONFIG]).args(args);
    if let Some(tag) = image_tag {
        command.env("IMAGE_TAG", tag);
    }
    let out = command.output().expect("runs");
    (out.status.code(), text(&out))
}

/// The `d-…` IDs in `text`, in order of first appearance.
fn deployment_ids(text: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for (at, _) in text.match_indices("d-") {
        let id: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if id.len() > 4 && !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

// The example's AppSpec hooks `web-smoke-test` on AfterAllowTestTraffic; the world fails it.
// With DEPLOYMENT_FAILURE among the rollback events, CodeDeploy rolls the failed deployment back
// in a new deployment (API_RollbackInfo `rollbackDeploymentId`); ristretto follows it to its end
// and reports both. The deploy still failed: exit 1 (product.md, exit codes).
#[test]
fn a_failing_hook_is_followed_through_the_rollback_deployment() {
    let dir = common::example_copy(
        "codedeploy",
        Some(&world(
            "hookFailures:\n  - {function: \"*:function:web-smoke-test\", event: AfterAllowTestTraffic}\n",
        )),
    );
    let (code, all) = run(dir.path(), &["create"], None);
    assert_eq!(code, Some(0), "{all}");
    let (code, all) = run(
        dir.path(),
        &["deploy", "--rollback-events", "DEPLOYMENT_FAILURE"],
        Some("1.28"),
    );
    assert_eq!(code, Some(1), "{all}");
    let ids = deployment_ids(&all);
    let [failed, rollback] = ids.as_slice() else {
        panic!("two deployments, the failed one and its rollback: {ids:?}\n{all}");
    };
    assert!(
        all.contains(&format!(
            "CodeDeploy deployment {failed} Failed at lifecycle event `AfterAllowTestTraffic`"
        )) && all.contains(&format!("; following rollback deployment {rollback}")),
        "{all}"
    );
    assert!(
        all.contains(&format!(
            "rollback deployment {rollback}: AllowTraffic Succeeded"
        )),
        "{all}"
    );
    // The error names the failure and, under it, the rollback's outcome.
    assert!(
        all.contains(&format!("error: CodeDeploy deployment {failed} Failed")),
        "{all}"
    );
    assert!(
        all.contains(&format!(
            "rollback deployment {rollback} succeeded: the service is back on the previous revision (web:1)"
        )),
        "{all}"
    );
    // The failed deployment's own lifecycle is not confused with the rollback's.
    assert!(
        !all.contains("lifecycle event AllowTraffic: Succeeded"),
        "{all}"
    );

    let (code, all) = run(dir.path(), &["status"], None);
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("PRIMARY web:1"), "{all}");
    assert!(!all.contains("web:2"), "{all}");
}

/// A simulator whose world clock stands still unless the test moves it, serving a copy of
/// `examples/codedeploy`.
struct Frozen {
    sim: ristretto_sim::SimHandle,
    dir: tempfile::TempDir,
}

impl Frozen {
    async fn start() -> Frozen {
        let dir = common::example_copy("codedeploy", None);
        let world = ristretto_sim::World::from_yaml_file(
            &dir.path().join("examples/codedeploy/local-world.yaml"),
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

    async fn run(&self, args: &[&str], image_tag: Option<&str>) -> (Option<i32>, String) {
        let mut command = ristretto(self.dir.path());
        command
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .args(["--endpoint-url", &self.sim.endpoint_url()])
            .args(["--config", CONFIG])
            .args(args);
        if let Some(tag) = image_tag {
            command.env("IMAGE_TAG", tag);
        }
        let out = tokio::task::spawn_blocking(move || command.output().expect("runs"))
            .await
            .expect("joins");
        (out.status.code(), text(&out))
    }

    /// `service:operation` of the requests from the `from`-th on.
    fn calls_since(&self, from: usize) -> Vec<String> {
        self.sim
            .requests()
            .iter()
            .skip(from)
            .map(|r| format!("{}:{}", r.service, r.operation))
            .collect()
    }
}

// API_CreateDeployment: DeploymentLimitExceededException while a deployment, a rollback
// deployment included, is in progress in the group. ristretto says so before it registers
// anything, names the rollback and hints what to do; `rollback` follows CodeDeploy's rollback
// instead of stopping it; once the rollback has ended, deploy works again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_while_codedeploy_rolls_back_is_refused_before_anything_changes() {
    let served = Frozen::start().await;
    let (code, all) = served.run(&["create", "--no-wait"], None).await;
    assert_eq!(code, Some(0), "{all}");
    served.sim.advance(60.0);
    let (code, all) = served.run(&["deploy", "--no-wait"], Some("1.28")).await;
    assert_eq!(code, Some(0), "{all}");
    served.sim.advance(60.0);
    // Stopping it with rollback starts the rollback deployment; the world clock stands still.
    let (code, all) = served
        .run(
            &["rollback", "--no-wait", "--no-deregister-task-definition"],
            None,
        )
        .await;
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("stopping CodeDeploy deployment d-"), "{all}");

    let before = served.sim.requests().len();
    let (code, all) = served.run(&["deploy", "--no-wait"], Some("1.29")).await;
    assert_eq!(code, Some(1), "{all}");
    assert!(
        all.contains("(a rollback) is in progress in deployment group `web-blue-green`"),
        "{all}"
    );
    assert!(
        all.contains("hint: CodeDeploy is rolling back a failed or stopped deployment: follow it with `ristretto wait`"),
        "{all}"
    );
    let calls = served.calls_since(before);
    assert!(
        !calls.iter().any(|c| c == "ecs:RegisterTaskDefinition"
            || c == "codedeploy:CreateDeployment"
            || c == "ecs:UpdateService"),
        "nothing changed: {calls:?}"
    );

    // `rollback` now follows CodeDeploy's rollback rather than stopping it.
    let before = served.sim.requests().len();
    let (code, all) = served
        .run(
            &["rollback", "--no-wait", "--no-deregister-task-definition"],
            None,
        )
        .await;
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("rollback deployment d-")
            && all.contains("is already in progress; following it"),
        "{all}"
    );
    let calls = served.calls_since(before);
    assert!(
        !calls.iter().any(|c| c == "codedeploy:StopDeployment"),
        "{calls:?}"
    );

    // The rollback ends in world time; then the group takes a deployment again.
    served.sim.advance(60.0);
    let (code, all) = served.run(&["deploy", "--no-wait"], Some("1.29")).await;
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("creating CodeDeploy deployment"), "{all}");
}
