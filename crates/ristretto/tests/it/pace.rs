//! How often a deployment wait reads, through the binary against the simulator at real speed:
//! within ten reads a minute over the whole command, and the target groups read only when the
//! service's history does not tell how long a drain takes.

use std::time::Instant;

use crate::common::{self, ristretto, text};

const CONFIG: &str = "examples/rolling/config.yaml";

const GROUP: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef";

/// Tasks start in 3 s; the target group checks every 5 s (healthy after 2 checks) and drains
/// for 5 s (ELBv2's minimum interval is 5 s); tasks stop in 1 s. A deployment takes about 20 s.
fn world() -> String {
    format!(
        "clusters: [default]\ntaskStartDelaySeconds: 3\ntaskStartJitter: 0\ntaskStopDelaySeconds: 1\ntargetGroups:\n  - {{name: web, arn: \"{GROUP}\", targetType: ip, healthCheck: {{intervalSeconds: 5, healthyThresholdCount: 2}}, deregistrationDelaySeconds: 5}}\n"
    )
}

struct Run {
    code: Option<i32>,
    all: String,
    seconds: f64,
    reads: Vec<String>,
}

async fn deploy(sim: &ristretto_sim::SimHandle, dir: &std::path::Path, tag: &str) -> Run {
    let before = sim.requests().len();
    let mut command = ristretto(dir);
    command
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("IMAGE_TAG", tag)
        // The simulator runs at real speed here.
        .env("RISTRETTO_LOCAL_SPEED", "1")
        .args([
            "--endpoint-url",
            &sim.endpoint_url(),
            "--config",
            CONFIG,
            "deploy",
        ]);
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || command.output().expect("runs"))
        .await
        .expect("joins");
    let seconds = started.elapsed().as_secs_f64();
    let reads = sim.requests()[before..]
        .iter()
        .filter(|r| !r.mutating)
        .map(|r| r.operation.clone())
        .collect();
    Run {
        code: out.status.code(),
        all: text(&out),
        seconds,
        reads,
    }
}

fn count(reads: &[String], operation: &str) -> usize {
    reads.iter().filter(|r| *r == operation).count()
}

// Budget (issue 17): every read counts, those before the wait too: at most one per 6 s of the
// command (the first, made at once, paid off by the second). The deregistration delay is the target group attribute
// `deregistration_delay.timeout_seconds` (ELBv2 API reference, TargetGroupAttribute); the
// health checks are `HealthCheckIntervalSeconds` × `HealthyThresholdCount` (ELB user guide,
// "Health checks for your target groups"). The phases are read from the service events ECS
// writes (ECS developer guide, "Amazon ECS service event messages").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploys_behind_a_load_balancer_keep_to_the_read_budget_and_read_the_target_group_once() {
    let dir = common::example_copy("rolling", Some(&world()));
    let path = dir.path().join("examples/rolling/ecs-service-def.json");
    let sd = std::fs::read_to_string(&path).expect("read").replacen(
        "\"desiredCount\": 2,",
        &format!(
            "\"desiredCount\": 2,\n  \"loadBalancers\": [{{ \"targetGroupArn\": \"{GROUP}\", \"containerName\": \"app\", \"containerPort\": 80 }}],"
        ),
        1,
    );
    std::fs::write(&path, sd).expect("write");
    let world =
        ristretto_sim::World::from_yaml_file(&dir.path().join("examples/rolling/local-world.yaml"))
            .expect("world");
    let sim = ristretto_sim::start(
        ristretto_sim::SimConfig {
            world,
            state_file: None,
            speed: 1.0,
            request_log: None,
        },
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("simulator starts");

    let created = deploy(&sim, dir.path(), "1.27").await;
    assert_eq!(created.code, Some(0), "{}", created.all);

    // The first deployment after create: nothing ever drained, so the target group tells how
    // long it takes.
    let first = deploy(&sim, dir.path(), "1.27-a").await;
    assert_eq!(first.code, Some(0), "{}", first.all);
    assert_eq!(
        count(&first.reads, "DescribeTargetGroups"),
        1,
        "{:?}",
        first.reads
    );
    assert_eq!(
        count(&first.reads, "DescribeTargetGroupAttributes"),
        1,
        "{:?}",
        first.reads
    );

    // The next one learns it from the one before: no target group read.
    let second = deploy(&sim, dir.path(), "1.27-b").await;
    assert_eq!(second.code, Some(0), "{}", second.all);
    assert_eq!(
        count(&second.reads, "DescribeTargetGroups"),
        0,
        "{:?}",
        second.reads
    );
    assert_eq!(
        count(&second.reads, "DescribeTargetGroupAttributes"),
        0,
        "{:?}",
        second.reads
    );

    for run in [&first, &second] {
        let allowed = (run.seconds / 6.0).max(1.0);
        assert!(
            run.reads.len() as f64 <= allowed,
            "{} reads in {:.1} s (at most {allowed:.1}): {:?} {}",
            run.reads.len(),
            run.seconds,
            run.reads,
            run.all
        );
    }
}
