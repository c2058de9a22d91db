//! `diff --output markdown` (issue 18, item 3): the pull-request comment, run
//! as the real binary against the simulator, pinned as snapshots — no
//! changes, an image change, a masked secret, two configs in one document.
//! Its exit codes are the terminal diff's (0, or 3 with `--exit-code`).

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_ecs::types::{ContainerDefinition, KeyValuePair, LaunchType};
use ristretto_sim::{SimConfig, SimHandle, World};

use crate::common::transcript;

pub(crate) struct Setup {
    sim: SimHandle,
    ecs: aws_sdk_ecs::Client,
    dir: tempfile::TempDir,
}

impl Setup {
    pub(crate) async fn start(world: World) -> Self {
        let config = SimConfig {
            world,
            state_file: None,
            speed: 200.0,
            request_log: None,
        };
        let sim = ristretto_sim::start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "test", "test", None, None, "static",
            )))
            .endpoint_url(sim.endpoint_url())
            .build();
        Self {
            ecs: aws_sdk_ecs::Client::new(&sdk),
            sim,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub(crate) async fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ristretto"));
        command
            .current_dir(self.dir.path())
            .arg("--endpoint-url")
            .arg(self.sim.endpoint_url())
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        let out = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn write(&self, name: &str, text: &str) {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, text).unwrap();
    }

    pub(crate) fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap()
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A Fargate service `name` running `name:1` (image `image`), imported
    /// with `init` into `folder/`.
    pub(crate) async fn service(&self, folder: &str, name: &str, image: &str) {
        let td = self
            .ecs
            .register_task_definition()
            .family(name)
            .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
            .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
            .cpu("256")
            .memory("512")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("app")
                    .image(image)
                    .environment(KeyValuePair::builder().name("MODE").value("a").build())
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .task_definition
            .and_then(|t| t.task_definition_arn)
            .unwrap();
        self.ecs
            .create_service()
            .cluster("default")
            .service_name(name)
            .task_definition(td)
            .desired_count(1)
            .launch_type(LaunchType::Fargate)
            .network_configuration(
                aws_sdk_ecs::types::NetworkConfiguration::builder()
                    .awsvpc_configuration(
                        aws_sdk_ecs::types::AwsVpcConfiguration::builder()
                            .subnets("subnet-a")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        self.sim.advance(120.0);
        let config = format!("{folder}/ristretto.yml");
        let out = self
            .run(&["--config", &config, "init", "--service", name])
            .await;
        assert_eq!(out.0, 0, "{}", transcript(&out));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_changes_is_one_line_under_the_marker() {
    let setup = Setup::start(World::default_world()).await;
    setup.service("web", "web", "nginx:1.27").await;
    let out = setup
        .run(&[
            "--config",
            "web/ristretto.yml",
            "diff",
            "--output",
            "markdown",
            "--exit-code",
        ])
        .await;
    assert_eq!(out.0, 0, "{}", transcript(&out));
    insta::assert_snapshot!(transcript(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_change_is_listed_by_container_with_the_diff_folded_and_exit_3() {
    let setup = Setup::start(World::default_world()).await;
    setup.service("web", "web", "nginx:1.27").await;
    let td = setup
        .read("web/ecs-task-def.json")
        .replace("nginx:1.27", "nginx:1.28");
    setup.write("web/ecs-task-def.json", &td);
    let mut service: serde_json::Value =
        serde_json::from_str(&setup.read("web/ecs-service-def.json")).unwrap();
    service["desiredCount"] = 2.into();
    setup.write("web/ecs-service-def.json", &service.to_string());

    let out = setup
        .run(&[
            "--config",
            "web/ristretto.yml",
            "diff",
            "--output",
            "markdown",
            "--exit-code",
        ])
        .await;
    assert_eq!(out.0, 3, "{}", transcript(&out));
    assert!(out.1.starts_with("<!-- ristretto-diff -->\n"), "{}", out.1);
    assert!(
        out.1
            .contains("  - container `app`: `image`: `nginx:1.27` → `nginx:1.28`\n"),
        "{}",
        out.1
    );
    insta::assert_snapshot!(transcript(&out));

    // Without --exit-code, differences are not an error (as the terminal diff).
    let plain = setup
        .run(&[
            "--config",
            "web/ristretto.yml",
            "--output",
            "markdown",
            "diff",
        ])
        .await;
    assert_eq!(plain.0, 0, "{}", transcript(&plain));
    assert_eq!(plain.1, out.1);
    assert!(
        setup.sim.requests().iter().all(|r| !r.mutating
            || r.operation == "RegisterTaskDefinition"
            || r.operation == "CreateService"),
        "diff changed something"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_is_masked_in_the_list_and_in_the_diff() {
    let world = World::from_yaml_str(
        "clusters: [default]\nparameters:\n  - {name: /app/db-password, value: hunter2, type: SecureString}\n",
    )
    .unwrap();
    let setup = Setup::start(world).await;
    setup
        .ecs
        .register_task_definition()
        .family("job")
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image("busybox")
                .memory(128)
                .environment(
                    KeyValuePair::builder()
                        .name("DB_PASSWORD")
                        .value("old-password")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    setup.write("ristretto.yml", "task_definition: td.json\n");
    setup.write(
        "td.json",
        r#"{"family": "job", "containerDefinitions": [{"name": "app", "image": "busybox", "memory": 128,
            "environment": [{"name": "DB_PASSWORD", "value": "{{ ssm `/app/db-password` }}"}]}]}"#,
    );
    let out = setup.run(&["diff", "--output", "markdown"]).await;
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(!out.1.contains("hunter2"), "{}", out.1);
    assert!(!out.1.contains("old-password"), "{}", out.1);
    assert!(
        out.1.contains(
            "  - container `app`: `environment[DB_PASSWORD].value`: `******** (differs)` → `********`\n"
        ),
        "{}",
        out.1
    );
    insta::assert_snapshot!(transcript(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_configs_make_one_document() {
    let setup = Setup::start(World::default_world()).await;
    setup.service("api", "api", "api:1").await;
    setup.service("web", "web", "nginx:1.27").await;
    let td = setup
        .read("web/ecs-task-def.json")
        .replace("\"MODE\"", "\"LEVEL\"");
    setup.write("web/ecs-task-def.json", &td);
    let out = setup
        .run(&[
            "--config",
            "*/ristretto.yml",
            "diff",
            "--output",
            "markdown",
            "--exit-code",
        ])
        .await;
    assert_eq!(out.0, 3, "{}", transcript(&out));
    assert_eq!(out.1.matches("<!-- ristretto-diff -->").count(), 1);
    insta::assert_snapshot!(transcript(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markdown_is_refused_by_other_commands_and_with_an_external_diff() {
    let setup = Setup::start(World::default_world()).await;
    setup.service("web", "web", "nginx:1.27").await;
    let before = setup.sim.requests().len();
    for args in [
        &[
            "--config",
            "web/ristretto.yml",
            "status",
            "--output",
            "markdown",
        ][..],
        &[
            "--config",
            "web/ristretto.yml",
            "deploy",
            "--output",
            "markdown",
        ],
        &[
            "--config",
            "web/ristretto.yml",
            "diff",
            "--output",
            "markdown",
            "--external",
            "diff",
        ],
    ] {
        let out = setup.run(args).await;
        assert_eq!(out.0, 2, "{args:?}: {}", transcript(&out));
        assert!(out.2.contains("markdown"), "{}", out.2);
    }
    assert_eq!(
        setup.sim.requests().len(),
        before,
        "nothing was asked of AWS"
    );
    assert!(setup.path().join("web/ristretto.yml").exists());
}
