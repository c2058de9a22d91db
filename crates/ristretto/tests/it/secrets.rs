//! Secret values never reach the output (issue 14, item 5): a SecureString
//! planted in the simulator and read by the task definition's `ssm` template
//! function must not appear in the stdout or stderr of any command — the
//! plan of a dry run included, which is what CI logs keep — in text or JSON,
//! with or without `--debug`, nor in an error that quotes the value.

use std::path::Path;
use std::process::Command;

use ristretto_sim::{SimConfig, World};

use crate::common::text;

const SECRET: &str = "pa55-w0rd-SECRET";

fn run(dir: &Path, url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ristretto"))
        .current_dir(dir)
        .arg("--endpoint-url")
        .arg(url)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("runs")
}

const TASK_DEFINITION: &str = r#"{
  "family": "web",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [{
    "name": "app",
    "image": "nginx:1.27",
    "essential": true,
    "environment": [
      {"name": "DB_PASSWORD", "value": "{{ ssm `/app/db-password` }}"},
      {"name": "DB_HOST", "value": "{{ ssm `/app/db-host` }}"}
    ]
  }]
}
"#;

const SERVICE_DEFINITION: &str = r#"{
  "launchType": "FARGATE",
  "desiredCount": 1,
  "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "ENABLED"}}
}
"#;

// Developer guide, "Specifying sensitive data" and the SSM API reference
// (GetParameter with WithDecryption returns a SecureString's plain value):
// ristretto reads it in clear, so it must mask it itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secure_string_never_appears_in_any_output() {
    let world = World::from_yaml_str(&format!(
        "clusters: [default]\nparameters:\n  - {{name: /app/db-password, value: {SECRET}, type: SecureString}}\n  - {{name: /app/db-host, value: db.internal}}\n"
    ))
    .expect("world");
    let sim = ristretto_sim::start(
        SimConfig {
            world,
            state_file: None,
            speed: 200.0,
            request_log: None,
        },
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("starts");
    let url = sim.endpoint_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_owned();
    std::fs::write(
        d.join("ristretto.yml"),
        "region: us-east-1\ncluster: default\nservice: web\nservice_definition: sd.json\ntask_definition: td.json\ntimeout: 10m\n",
    )
    .expect("write");
    std::fs::write(d.join("td.json"), TASK_DEFINITION).expect("write");
    std::fs::write(d.join("sd.json"), SERVICE_DEFINITION).expect("write");

    let commands: &[&[&str]] = &[
        &["render", "taskdef"],
        &["diff"],
        &["deploy", "--dry-run"],
        &["deploy"],
        &["status"],
        &["diff"],
        &["run", "--dry-run"],
        &["deploy", "--dry-run", "--force-new-deployment"],
    ];
    let mut ran = 0;
    tokio::task::spawn_blocking(move || {
        for command in commands {
            for extra in [
                &[][..],
                &["--debug"],
                &["--output", "json"],
                &["--debug", "--output", "json"],
            ] {
                let args: Vec<&str> = extra.iter().chain(command.iter()).copied().collect();
                // `deploy` changes the service; run it once.
                if command == &["deploy"] && !extra.is_empty() {
                    continue;
                }
                let out = run(&d, &url, &args);
                let all = text(&out);
                assert!(out.status.success(), "{args:?} fails: {all}");
                assert!(!all.contains(SECRET), "{args:?} shows the secret:\n{all}");
                ran += 1;
            }
        }
        // The plain String parameter is not a secret: the plan shows it.
        let out = run(&d, &url, &["deploy", "--dry-run", "--force-new-deployment"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("db.internal"), "{}", text(&out));
        assert!(stdout.contains("********"), "{}", text(&out));

        // An error that quotes the value masks it too.
        std::fs::write(
            d.join("td.json"),
            TASK_DEFINITION.replace(
                r#""family": "web""#,
                r#""family": "{{ ssm `/app/db-password` }}!""#,
            ),
        )
        .expect("write");
        for args in [&["deploy"][..], &["--output", "json", "--debug", "deploy"]] {
            let out = run(&d, &url, args);
            let all = text(&out);
            assert_eq!(out.status.code(), Some(2), "{all}");
            assert!(all.contains("is not a valid family name"), "{all}");
            assert!(!all.contains(SECRET), "{args:?} shows the secret:\n{all}");
        }
        assert_eq!(ran, 29);
    })
    .await
    .expect("joins");
}
