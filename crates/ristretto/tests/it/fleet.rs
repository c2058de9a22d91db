//! Many services in one run (`--config 'services/*/config.yaml'`): throttled
//! ECS calls are retried quietly and never fail a service, and the summary
//! stays readable however many services there are.

use std::path::Path;

use crate::common::{ristretto, text};

const TASK_DEF: &str = r#"{
  "family": "FAMILY",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [{"name": "app", "image": "nginx:TAG", "essential": true}]
}"#;

const SERVICE_DEF: &str = r#"{
  "launchType": "FARGATE",
  "desiredCount": 2,
  "deploymentConfiguration": {
    "minimumHealthyPercent": 100,
    "maximumPercent": 200,
    "deploymentCircuitBreaker": {"enable": true, "rollback": true}
  },
  "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}
}"#;

/// `services/svc-NN/` for each of `tags` (the image tag of that service), and `world.yaml`.
fn services(tags: &[&str], world: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, tag) in tags.iter().enumerate() {
        let name = format!("svc-{:02}", i + 1);
        let folder = dir.path().join("services").join(&name);
        std::fs::create_dir_all(&folder).expect("mkdir");
        let write =
            |file: &str, text: String| std::fs::write(folder.join(file), text).expect("write");
        write(
            "config.yaml",
            format!(
                "region: us-east-1\ncluster: default\nservice: {name}\nservice_definition: sd.json\ntask_definition: td.json\ntimeout: 10m\n"
            ),
        );
        write(
            "td.json",
            TASK_DEF.replace("FAMILY", &name).replace("TAG", tag),
        );
        write("sd.json", SERVICE_DEF.to_owned());
    }
    std::fs::write(dir.path().join("world.yaml"), world).expect("world");
    dir
}

fn deploy_all(dir: &Path, extra: &[&str]) -> std::process::Output {
    ristretto(dir)
        .args(["--local", "--local-world", "world.yaml"])
        .args(["--config", "services/*/config.yaml", "--debug"])
        .args(extra)
        .arg("deploy")
        .output()
        .expect("runs")
}

/// How many throttled calls the run sent again, from its `--debug` line.
fn resent(stderr: &str) -> u64 {
    stderr
        .lines()
        .filter_map(|l| l.split("throttled by AWS and sent again: ").nth(1))
        .filter_map(|rest| rest.split(';').next()?.trim().parse::<u64>().ok())
        .sum()
}

// ECS API Reference, "Request throttling for the Amazon ECS API": past its bucket, ECS answers
// `ThrottlingException` ("Rate exceeded"); the bucket refills at the sustained rate. Here the
// world's bucket for DescribeServices (2, refilled at 1 per second) is far below AWS's (100,
// 20 per second), so ristretto's own pacing cannot avoid throttles: the throttled reads, at the
// plan and in the waits, must be retried without a word and no service may fail.
#[test]
fn throttled_reads_are_retried_quietly_and_every_service_succeeds() {
    let world = "clusters: [default]\ntaskStartDelaySeconds: 10\nthrottling:\n  - {action: \"ecs:DescribeServices\", burst: 2, refillPerSecond: 1}\n";
    let dir = services(&["1.27"; 4], world);
    let out = deploy_all(dir.path(), &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let shown: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("debug:"))
        .filter(|l| {
            l.contains("Throttling") || l.contains("Rate exceeded") || l.contains("looking again")
        })
        .collect();
    assert!(shown.is_empty(), "throttling reached the user: {all}");
    assert!(resent(&stderr) > 0, "the world throttled nothing: {all}");
    for i in 1..=4 {
        assert!(all.contains(&format!("svc-0{i}/default  ok")), "{all}");
    }
}

// As above for a write: a throttled CreateService used to fail its service after the SDK's
// three tries. The world's bucket (1, refilled every 2 s) throttles the second and third of
// three services created at once.
#[test]
fn throttled_writes_are_retried_quietly_and_every_service_succeeds() {
    let world = "clusters: [default]\ntaskStartDelaySeconds: 10\nthrottling:\n  - {action: \"ecs:CreateService\", burst: 1, refillPerSecond: 0.5}\n";
    let dir = services(&["1.27"; 3], world);
    let out = deploy_all(dir.path(), &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr
            .lines()
            .any(|l| !l.starts_with("debug:") && l.contains("Throttling")),
        "{all}"
    );
    assert!(resent(&stderr) > 0, "the world throttled nothing: {all}");
    assert!(all.contains("created service"), "{all}");
}

// The summary of a large run: failures first, each with its exit code and reason, then one
// line counting the services that succeeded (not one line each).
#[test]
fn the_summary_of_twelve_services_lists_the_two_failures_first_and_counts_the_rest() {
    let world = "clusters: [default]\nfailures:\n  - image: \"*:broken*\"\n    exitCode: 1\n    stoppedReason: \"Essential container in task exited\"\n";
    let mut tags = ["1.27"; 12];
    tags[4] = "broken";
    tags[9] = "broken";
    let dir = services(&tags, world);
    let out = deploy_all(dir.path(), &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let table: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.starts_with("service "))
        .take(4)
        .collect();
    assert_eq!(table.len(), 4, "{all}");
    assert!(table[0].ends_with("result"), "{all}");
    assert!(
        table[1].starts_with("svc-05/default  failed (exit 1): "),
        "{all}"
    );
    assert!(
        table[2].starts_with("svc-10/default  failed (exit 1): "),
        "{all}"
    );
    assert_eq!(table[3].trim_end(), "10 services     ok", "{all}");
    assert!(!stderr.contains("svc-01/default  ok"), "{all}");
    assert!(all.contains("error: 2 of 12 services failed"), "{all}");
}
