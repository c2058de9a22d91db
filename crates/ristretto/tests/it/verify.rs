//! `verify` end to end: the real binary on the in-process simulator (`--local`), whose world
//! holds the roles, images, secrets, parameters, log groups, S3 objects and target groups the
//! definitions refer to. One world where every check passes, then one case per NG, each
//! asserting the reason and the exit code, and that verify changed nothing but the log line it
//! announces.

use std::path::Path;

use crate::common::{ristretto, text};

const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

const WORLD: &str = r#"
clusters: [default]
roles:
  - name: ecsTaskExecutionRole
  - name: web-task
  - name: ec2-only
    trustedServices: [ec2.amazonaws.com]
images:
  - image: nginx:1.27
    platforms: [linux/amd64, linux/arm64]
  - image: fluent/fluent-bit:3
  - image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1
    platforms: [linux/amd64]
  - image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:multi
    platforms: [linux/amd64, linux/arm64]
secrets:
  - {name: app/db, value: '{"password":"s3cret-value"}'}
parameters:
  - {name: /app/db/host, value: db.internal}
logGroups: [/ecs/web]
s3:
  - {bucket: envs, key: web.env, body: "A=1"}
targetGroups:
  - name: web
    arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
    targetType: ip
"#;

const TASK_DEF: &str = r#"{
  "family": "web",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
  "taskRoleArn": "arn:aws:iam::123456789012:role/web-task",
  "containerDefinitions": [
    {
      "name": "app",
      "image": "IMAGE",
      "essential": true,
      "portMappings": [{"containerPort": 80}],
      "secrets": [
        {"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db:password::"},
        {"name": "DB_HOST", "valueFrom": "/app/db/host"}
      ],
      "environmentFiles": [{"type": "s3", "value": "arn:aws:s3:::envs/web.env"}],
      "logConfiguration": {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web"}
      }
    },
    {"name": "log", "image": "fluent/fluent-bit:3", "essential": false}
  ]
}"#;

const SERVICE_DEF: &str = r#"{
  "launchType": "FARGATE",
  "desiredCount": 1,
  "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
  "loadBalancers": [{
    "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef",
    "containerName": "app",
    "containerPort": 80
  }]
}"#;

/// A folder with the config, definitions and world; `edit` changes the task definition.
fn project(edit: &dyn Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let write = |name: &str, text: &str| std::fs::write(d.join(name), text).expect("write");
    write(
        "ristretto.yml",
        "region: us-east-1\ncluster: default\nservice: web\nservice_definition: sd.json\ntask_definition: td.json\n",
    );
    write("td.json", &edit(&TASK_DEF.replace("IMAGE", "nginx:1.27")));
    write("sd.json", SERVICE_DEF);
    write("local-world.yaml", WORLD);
    dir
}

fn verify(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = ristretto(dir)
        .args(["--local", "--color", "never", "verify"])
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The simulator's saved state (the in-process simulator saves after each change).
fn state(dir: &Path) -> serde_json::Value {
    std::fs::read_to_string(dir.join(".ristretto/local-state.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null)
}

fn log_streams(dir: &Path) -> Vec<String> {
    state(dir)["logs"]["groups"]["/ecs/web"]["streams"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

// ecspresso's `verify` (its checks and tree format), with the sources of each check in
// crates/ristretto-verify: IAM Role trust policies, ECR BatchGetImage, the Docker Registry
// HTTP API v2, Secrets Manager GetSecretValue, SSM GetParameters, CloudWatch Logs, S3
// HeadObject, ELBv2 DescribeTargetGroups, ECS DescribeClusters.
#[test]
fn every_check_passes_on_a_world_that_has_everything() {
    let dir = project(&|td| td.to_owned());
    let (code, stdout, stderr) = verify(dir.path(), &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    for line in [
        "TaskDefinition[web]",
        "  ExecutionRole[arn:aws:iam::123456789012:role/ecsTaskExecutionRole]",
        "  TaskRole[arn:aws:iam::123456789012:role/web-task]",
        "  ContainerDefinition[app]",
        "    Image[nginx:1.27]",
        "    Secret DB_PASSWORD[arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db:password::]",
        "    Secret DB_HOST[/app/db/host]",
        "    LogConfiguration[awslogs]",
        "    EnvironmentFile[s3 arn:aws:s3:::envs/web.env]",
        "    PortMappings",
        "  ContainerDefinition[log]",
        "    Image[fluent/fluent-bit:3]",
        "ServiceDefinition",
        "  NetworkConfiguration",
        "  LoadBalancer[0]",
        "Cluster[default]",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "missing {line:?}:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains("[NG]") && !stdout.contains("[SKIP]"),
        "{stdout}"
    );
    assert!(stderr.contains("Verify OK!"), "{stderr}");
    // The one change verify makes, announced: one stream with one line in the log group.
    assert!(
        stderr.contains("wrote one line to log group /ecs/web"),
        "{stderr}"
    );
    let streams = log_streams(dir.path());
    assert_eq!(streams.len(), 1, "{streams:?}");
    assert!(
        streams[0].starts_with("web/app/ristretto-verify-"),
        "{streams:?}"
    );
    // Nothing else: no service, no task definition registered.
    let ecs = &state(dir.path())["ecs"];
    assert!(
        ecs["taskDefinitions"]
            .as_object()
            .is_none_or(serde_json::Map::is_empty),
        "{ecs}"
    );
    assert!(
        ecs["clusters"]["default"]["services"]
            .as_object()
            .is_none_or(serde_json::Map::is_empty),
        "{ecs}"
    );
    // The secret's value never reaches the output.
    assert!(!stdout.contains("s3cret-value") && !stderr.contains("s3cret-value"));
}

#[test]
fn ecr_images_are_checked_in_ecr_with_their_platform() {
    let image = format!("{ECR}/web:v1");
    let dir = project(&|td| td.replace("nginx:1.27", &image));
    let (code, stdout, stderr) = verify(dir.path(), &["--no-put-logs"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("Image[{image}]\n    --> [OK]")),
        "{stdout}"
    );
    // --no-put-logs: nothing written at all.
    assert!(log_streams(dir.path()).is_empty());
    assert!(!stderr.contains("wrote one line"), "{stderr}");
}

/// Runs verify on a broken copy and returns (exit code, stdout, stderr).
fn broken(edit: &dyn Fn(&str) -> String, args: &[&str]) -> (i32, String, String) {
    let dir = project(edit);
    verify(dir.path(), args)
}

fn assert_ng(result: &(i32, String, String), name: &str, reason: &str) {
    let (code, stdout, stderr) = result;
    assert_eq!(*code, 1, "{stdout}\n{stderr}");
    let expected = format!("{name}\n");
    let at = stdout
        .find(&expected)
        .unwrap_or_else(|| panic!("no {name:?} in:\n{stdout}"));
    let below = &stdout[at + expected.len()..];
    let verdict = below
        .lines()
        .find(|l| l.trim_start().starts_with("-->"))
        .unwrap_or_default();
    assert!(
        verdict.contains("[NG]") && verdict.contains(reason),
        "{name}: expected NG {reason:?}, got {verdict:?}\n{stdout}"
    );
    assert!(
        stderr.contains(&format!("verify {name} failed: ")),
        "{stderr}"
    );
}

#[test]
fn a_missing_role_and_a_role_ecs_cannot_assume_are_ng() {
    let missing = broken(&|td| td.replace("role/web-task", "role/nope"), &[]);
    assert_ng(
        &missing,
        "TaskRole[arn:aws:iam::123456789012:role/nope]",
        "role `nope` does not exist",
    );
    let untrusted = broken(&|td| td.replace("role/web-task", "role/ec2-only"), &[]);
    assert_ng(
        &untrusted,
        "TaskRole[arn:aws:iam::123456789012:role/ec2-only]",
        "its trust policy does not let ecs-tasks.amazonaws.com assume it",
    );
}

#[test]
fn missing_images_tags_and_platforms_are_ng() {
    let tag = broken(&|td| td.replace("nginx:1.27", "nginx:9.99"), &[]);
    assert_ng(&tag, "Image[nginx:9.99]", "nginx:9.99");
    let repo = broken(&|td| td.replace("nginx:1.27", "nosuch/app:1"), &[]);
    assert_ng(&repo, "Image[nosuch/app:1]", "does not exist in docker.io");
    let ecr_tag = format!("{ECR}/web:v2");
    let ecr = broken(&|td| td.replace("nginx:1.27", &ecr_tag), &[]);
    assert_ng(
        &ecr,
        &format!("Image[{ecr_tag}]"),
        "tag `v2` is not in ECR repository `web` (us-east-1)",
    );
    // An ARM64 task: nginx:1.27 has an arm64 variant, fluent-bit:3 does not.
    let arm = broken(
        &|td| {
            td.replace(
                "\"cpu\": \"256\",",
                "\"cpu\": \"256\", \"runtimePlatform\": {\"cpuArchitecture\": \"ARM64\", \"operatingSystemFamily\": \"LINUX\"},",
            )
        },
        &["--no-put-logs"],
    );
    assert_ng(
        &arm,
        "Image[fluent/fluent-bit:3]",
        "the image has no linux/arm64 variant (it has linux/amd64)",
    );
    assert!(
        arm.1.contains("Image[nginx:1.27]\n    --> [OK]"),
        "{}",
        arm.1
    );
}

#[test]
fn missing_secrets_keys_and_parameters_are_ng_unless_not_read() {
    let key = broken(&|td| td.replace("app/db:password::", "app/db:user::"), &[]);
    assert_ng(
        &key,
        "Secret DB_PASSWORD[arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db:user::]",
        "has no JSON key `user` (it has: password)",
    );
    let parameter = broken(&|td| td.replace("/app/db/host", "/app/db/nope"), &[]);
    assert_ng(
        &parameter,
        "Secret DB_HOST[/app/db/nope]",
        "SSM parameter `/app/db/nope` does not exist",
    );
    let (code, stdout, _) = broken(
        &|td| td.replace("/app/db/host", "/app/db/nope"),
        &["--no-get-secrets"],
    );
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("Secret DB_HOST[/app/db/nope]\n    --> [SKIP] --no-get-secrets"),
        "{stdout}"
    );
}

#[test]
fn missing_log_groups_and_environment_files_are_ng() {
    let logs = broken(&|td| td.replace("\"/ecs/web\"", "\"/ecs/nope\""), &[]);
    assert_ng(
        &logs,
        "LogConfiguration[awslogs]",
        "log group /ecs/nope does not exist in us-east-1",
    );
    // With awslogs-create-group, ECS creates it: not an NG, and nothing is written.
    let create = broken(
        &|td| {
            td.replace("\"/ecs/web\"", "\"/ecs/nope\"").replace(
                "\"awslogs-stream-prefix\"",
                "\"awslogs-create-group\": \"true\", \"awslogs-stream-prefix\"",
            )
        },
        &[],
    );
    assert_eq!(create.0, 0, "{}\n{}", create.1, create.2);
    assert!(
        create
            .1
            .contains("--> [SKIP] log group /ecs/nope does not exist yet; ECS creates it"),
        "{}",
        create.1
    );
    // With awslogs-create-group on an existing group, the line is written and announced.
    let existing = broken(
        &|td| {
            td.replace(
                "\"awslogs-stream-prefix\"",
                "\"awslogs-create-group\": \"true\", \"awslogs-stream-prefix\"",
            )
        },
        &[],
    );
    assert_eq!(existing.0, 0, "{}\n{}", existing.1, existing.2);
    assert!(
        existing.2.contains("wrote one line to log group /ecs/web"),
        "{}",
        existing.2
    );
    let file = broken(&|td| td.replace("envs/web.env", "envs/nope.env"), &[]);
    assert_ng(
        &file,
        "EnvironmentFile[s3 arn:aws:s3:::envs/nope.env]",
        "s3://envs/nope.env does not exist",
    );
}

#[test]
fn service_and_cluster_problems_are_ng() {
    let dir = project(&|td| td.to_owned());
    std::fs::write(
        dir.path().join("sd.json"),
        SERVICE_DEF.replace("\"containerName\": \"app\"", "\"containerName\": \"web\""),
    )
    .expect("write");
    assert_ng(
        &verify(dir.path(), &[]),
        "LoadBalancer[0]",
        "containerName `web` is not a container of the task definition (it has: app, log)",
    );
    std::fs::write(dir.path().join("sd.json"), SERVICE_DEF).expect("write");
    std::fs::write(
        dir.path().join("ristretto.yml"),
        "region: us-east-1\ncluster: prod\nservice: web\nservice_definition: sd.json\ntask_definition: td.json\n",
    )
    .expect("write");
    assert_ng(
        &verify(dir.path(), &["--no-put-logs"]),
        "Cluster[prod]",
        "cluster prod does not exist",
    );
}

#[test]
fn the_first_ng_stops_verification_unless_keep_going() {
    let edit = |td: &str| {
        td.replace("role/web-task", "role/nope")
            .replace("/app/db/host", "/app/db/nope")
    };
    let (code, stdout, stderr) = broken(&edit, &[]);
    assert_eq!(code, 1);
    assert!(
        !stdout.contains("Secret DB_HOST"),
        "stopped at the role:\n{stdout}"
    );
    assert!(stderr.contains("--keep-going"), "{stderr}");
    let (code, stdout, _) = broken(&edit, &["--keep-going", "--no-put-logs"]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout.matches("[NG] role `nope` does not exist").count(),
        1,
        "{stdout}"
    );
    assert!(
        stdout.contains("[NG] SSM parameter `/app/db/nope` does not exist"),
        "{stdout}"
    );
    assert!(stdout.contains("Cluster[default]\n--> [OK]"), "{stdout}");
}

#[test]
fn json_output_is_the_tree() {
    let dir = project(&|td| td.replace("/app/db/host", "/app/db/nope"));
    let (code, stdout, _) = verify(
        dir.path(),
        &["--output", "json", "--keep-going", "--no-put-logs"],
    );
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(doc["ok"], false);
    let app = &doc["checks"][0]["children"][2];
    assert_eq!(app["name"], "ContainerDefinition[app]");
    assert_eq!(app["result"], "NG");
    let host = app["children"]
        .as_array()
        .and_then(|c| {
            c.iter()
                .find(|c| c["name"] == "Secret DB_HOST[/app/db/nope]")
        })
        .expect("the parameter's check");
    assert_eq!(host["result"], "NG");
    assert_eq!(
        host["reason"],
        "SSM parameter `/app/db/nope` does not exist"
    );
}

#[test]
fn verify_has_help_naming_its_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = ristretto(dir.path())
        .args(["verify", "--help"])
        .output()
        .expect("runs");
    let help = text(&out);
    for flag in ["--no-get-secrets", "--no-put-logs", "--keep-going"] {
        assert!(help.contains(flag), "{help}");
    }
}

// Issue 15, "Done when": verify runs on the examples; their worlds hold what they refer to.
#[test]
fn verify_passes_on_every_example() {
    for example in ["rolling", "codedeploy", "fargate-spot"] {
        let dir = crate::common::example_copy(example, None);
        let out = ristretto(dir.path())
            .args([
                "--local",
                "--config",
                &format!("examples/{example}/config.yaml"),
                "verify",
            ])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{example}: {}", text(&out));
        assert!(text(&out).contains("Verify OK!"), "{}", text(&out));
    }
}
