//! Deployments behind a load balancer whose targets never become healthy, through the binary
//! against the simulator: ristretto fails them and names the load balancer's reason.

use crate::common::{self, ristretto, text};

const CONFIG: &str = "examples/rolling/config.yaml";

const GROUP: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef";

/// A target group `web` with fast checks (every 5 s: healthy after 2, unhealthy after 2;
/// drains 5 s); images tagged `sick-lb…` fail their target health checks with HTTP 502.
fn world() -> String {
    format!(
        "clusters: [default]\ntargetGroups:\n  - {{name: web, arn: \"{GROUP}\", targetType: ip, healthCheck: {{intervalSeconds: 5, healthyThresholdCount: 2, unhealthyThresholdCount: 2}}, deregistrationDelaySeconds: 5}}\ncontainers:\n  - {{image: \"*:sick-lb*\", targetHealthy: false}}\n"
    )
}

/// The rolling example behind the target group, with or without the circuit breaker.
fn example(breaker: bool) -> tempfile::TempDir {
    let dir = common::example_copy("rolling", Some(&world()));
    let path = dir.path().join("examples/rolling/ecs-service-def.json");
    let mut sd = std::fs::read_to_string(&path).expect("read");
    sd = sd.replacen(
        "\"desiredCount\": 2,",
        &format!(
            "\"desiredCount\": 2,\n  \"loadBalancers\": [{{ \"targetGroupArn\": \"{GROUP}\", \"containerName\": \"app\", \"containerPort\": 80 }}],"
        ),
        1,
    );
    if !breaker {
        sd = sd.replace(
            "{ \"enable\": true, \"rollback\": true }",
            "{ \"enable\": false, \"rollback\": false }",
        );
    }
    std::fs::write(&path, sd).expect("write");
    dir
}

fn deploy(dir: &std::path::Path, tag: &str, extra: &[&str]) -> std::process::Output {
    ristretto(dir)
        .args(["--local", "--config", CONFIG])
        .args(extra)
        .arg("deploy")
        .env("IMAGE_TAG", tag)
        .output()
        .expect("runs")
}

const REASON: &str = "is unhealthy in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef) due to (reason Health checks failed with these codes: [502])";

// ECS developer guide, "service unhealthy event messages" and "deployment-circuit-breaker":
// tasks whose targets fail the load balancer's health checks are stopped ("Task failed ELB
// health checks in (target-group …)") and count as failures until the breaker rolls back.
// ristretto exits 1 and names the load balancer's reason.
#[test]
fn unhealthy_targets_fail_the_deploy_with_the_load_balancer_reason() {
    let dir = example(true);
    let ok = deploy(dir.path(), "1.27", &[]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "healthy targets deploy: {}",
        text(&ok)
    );
    let out = deploy(dir.path(), "sick-lb-1", &["--timeout", "120s"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("error: deployment failed"), "{all}");
    assert!(all.contains(REASON), "the reason is named: {all}");
    assert!(
        all.contains(&format!(
            "Task failed ELB health checks in (target-group {GROUP})"
        )),
        "{all}"
    );
}

// Without a circuit breaker ECS replaces the tasks for ever; `--no-progress-timeout` gives up
// (exit 4) and the diagnosis names the load balancer's reason.
#[test]
fn unhealthy_targets_without_a_breaker_stall_with_the_load_balancer_reason() {
    let dir = example(false);
    let ok = deploy(dir.path(), "1.27", &[]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let out = deploy(
        dir.path(),
        "sick-lb-1",
        &["--no-progress-timeout", "3s", "--timeout", "120s"],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(4), "{all}");
    assert!(all.contains("no progress for 3s"), "{all}");
    assert!(all.contains(REASON), "the reason is named: {all}");
}
