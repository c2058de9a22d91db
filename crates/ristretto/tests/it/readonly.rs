//! The read-only commands (`init`, `diff`, `status`, `appspec`, `revisions`)
//! run as the real binary against the simulator started in the test: their
//! output is pinned as snapshots, and the simulator's request log proves
//! that none of them changed anything.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, ContainerDefinition, DeploymentController,
    DeploymentControllerType, KeyValuePair, LaunchType, LoadBalancer, NetworkConfiguration,
    NetworkMode, PortMapping, Tag,
};
use ristretto_sim::{SimConfig, SimHandle, World};

use crate::common::transcript;

/// A simulator, SDK clients for setting it up, and a folder to run in.
struct Setup {
    sim: SimHandle,
    ecs: aws_sdk_ecs::Client,
    autoscaling: aws_sdk_applicationautoscaling::Client,
    dir: tempfile::TempDir,
}

impl Setup {
    async fn start() -> Self {
        Self::start_with_world(World::default_world()).await
    }

    async fn start_with_world(world: World) -> Self {
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
            autoscaling: aws_sdk_applicationautoscaling::Client::new(&sdk),
            sim,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs ristretto against the simulator; returns (exit code, stdout, stderr).
    async fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ristretto"));
        command
            .current_dir(self.path())
            .arg("--endpoint-url")
            .arg(self.sim.endpoint_url())
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            // Never let a test reach for instance metadata.
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

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap()
    }

    fn mutating_calls(&self) -> Vec<String> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| r.mutating)
            .map(|r| format!("{}:{}", r.service, r.operation))
            .collect()
    }

    async fn register(&self, family: &str, image: &str) -> String {
        let out = self
            .ecs
            .register_task_definition()
            .family(family)
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
            .cpu("256")
            .memory("512")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("app")
                    .image(image)
                    .essential(true)
                    .port_mappings(PortMapping::builder().container_port(80).build())
                    .environment(KeyValuePair::builder().name("B").value("2").build())
                    .environment(KeyValuePair::builder().name("A").value("1").build())
                    .build(),
            )
            .tags(Tag::builder().key("team").value("web").build())
            .send()
            .await
            .unwrap();
        out.task_definition
            .and_then(|t| t.task_definition_arn)
            .unwrap()
    }

    async fn create_service(&self, name: &str, td: &str, controller: DeploymentControllerType) {
        let mut create = self
            .ecs
            .create_service()
            .cluster("default")
            .service_name(name)
            .task_definition(td)
            .desired_count(2)
            .launch_type(LaunchType::Fargate)
            .network_configuration(
                NetworkConfiguration::builder()
                    .awsvpc_configuration(
                        AwsVpcConfiguration::builder()
                            .subnets("subnet-b")
                            .subnets("subnet-a")
                            .security_groups("sg-1")
                            .assign_public_ip(AssignPublicIp::Enabled)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .tags(Tag::builder().key("app").value(name).build())
            .deployment_controller(
                DeploymentController::builder()
                    .r#type(controller.clone())
                    .build()
                    .unwrap(),
            );
        if controller == DeploymentControllerType::CodeDeploy {
            create = create.load_balancers(
                LoadBalancer::builder()
                    .target_group_arn(
                        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1",
                    )
                    .container_name("app")
                    .container_port(80)
                    .build(),
            );
        }
        create.send().await.unwrap();
    }

    /// A rolling service `web` running `web:1`, imported with `init`.
    async fn with_imported_service() -> Self {
        let setup = Self::start().await;
        let td = setup.register("web", "nginx:1.27").await;
        setup
            .create_service("web", &td, DeploymentControllerType::Ecs)
            .await;
        setup.sim.advance(120.0);
        let (code, _, stderr) = setup.run(&["init", "--service", "web"]).await;
        assert_eq!(code, 0, "{stderr}");
        setup
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_then_diff_is_an_exact_round_trip() {
    let setup = Setup::with_imported_service().await;
    insta::assert_snapshot!("init_config", setup.read("ristretto.yml"));
    insta::assert_snapshot!(
        "init_service_definition",
        setup.read("ecs-service-def.json")
    );
    insta::assert_snapshot!("init_task_definition", setup.read("ecs-task-def.json"));

    let out = setup.run(&["diff", "--exit-code"]).await;
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert_eq!(out.1, "", "nothing differs, so nothing is printed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_image_is_a_one_line_task_definition_diff_and_exit_3() {
    let setup = Setup::with_imported_service().await;
    let td = setup
        .read("ecs-task-def.json")
        .replace("nginx:1.27", "nginx:1.28");
    setup.write("ecs-task-def.json", &td);

    let out = setup.run(&["diff", "--exit-code"]).await;
    assert_eq!(out.0, 3, "{}", transcript(&out));
    let changed: Vec<&str> = out
        .1
        .lines()
        .filter(|l| {
            (l.starts_with('-') || l.starts_with('+'))
                && !l.starts_with("---")
                && !l.starts_with("+++")
        })
        .collect();
    assert_eq!(
        changed,
        vec![
            r#"-      "image": "nginx:1.27","#,
            r#"+      "image": "nginx:1.28","#
        ]
    );
    insta::assert_snapshot!(transcript(&out));

    let json = setup.run(&["diff", "--output", "json"]).await;
    assert_eq!(
        json.0, 0,
        "without --exit-code differences are not an error"
    );
    insta::assert_snapshot!("diff_json", transcript(&json));

    let coloured = setup.run(&["--color", "always", "diff"]).await;
    assert!(
        coloured
            .1
            .contains("\u{1b}[31m-      \"image\": \"nginx:1.27\",\u{1b}[0m\n"),
        "{:?}",
        coloured.1
    );
    assert!(
        !out.1.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );

    let full = setup.run(&["diff", "--no-unified"]).await;
    assert!(full.1.contains("\n   \"family\": \"web\",\n"), "{}", full.1);
    assert!(
        full.1.contains("\n-      \"image\": \"nginx:1.27\",\n"),
        "{}",
        full.1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_changes_and_ignored_tags_in_the_service_diff() {
    let setup = Setup::with_imported_service().await;
    let mut service: serde_json::Value =
        serde_json::from_str(&setup.read("ecs-service-def.json")).unwrap();
    service["desiredCount"] = 3.into();
    service["tags"] = serde_json::json!([{"key": "owner", "value": "me"}]);
    setup.write("ecs-service-def.json", &service.to_string());
    let config = setup.read("ristretto.yml");
    setup.write(
        "ristretto.yml",
        &format!("{config}ignore:\n  tags: [app]\n"),
    );

    let out = setup.run(&["diff"]).await;
    assert_eq!(out.0, 0, "{}", transcript(&out));
    insta::assert_snapshot!(transcript(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_before_anything_exists_compares_with_nothing() {
    let setup = Setup::start().await;
    setup.write(
        "ristretto.yml",
        "cluster: default\nservice: api\nservice_definition: sv.json\ntask_definition: td.json\n",
    );
    setup.write("sv.json", r#"{"launchType": "FARGATE", "desiredCount": 1}"#);
    setup.write(
        "td.json",
        r#"{"family": "api", "containerDefinitions": [{"name": "app", "image": "api:1"}]}"#,
    );
    let out = setup.run(&["diff", "--exit-code"]).await;
    assert_eq!(out.0, 3, "{}", transcript(&out));
    insta::assert_snapshot!(transcript(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_diff_command_gets_both_documents() {
    let setup = Setup::with_imported_service().await;
    let td = setup
        .read("ecs-task-def.json")
        .replace("nginx:1.27", "nginx:1.28");
    setup.write("ecs-task-def.json", &td);
    let out = setup
        .run(&["diff", "--external", "diff -u --label live --label local"])
        .await;
    assert_eq!(out.0, 0, "{}", transcript(&out));
    assert!(out.1.starts_with("--- live\n+++ local\n"), "{}", out.1);
    assert!(
        out.1.contains("+      \"image\": \"nginx:1.28\","),
        "{}",
        out.1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_block_and_its_json() {
    use aws_sdk_applicationautoscaling::types::{
        MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
        SuspendedState, TargetTrackingScalingPolicyConfiguration,
    };
    let setup = Setup::with_imported_service().await;
    setup
        .autoscaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id("service/default/web")
        .min_capacity(1)
        .max_capacity(4)
        .suspended_state(
            SuspendedState::builder()
                .dynamic_scaling_in_suspended(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    setup
        .autoscaling
        .put_scaling_policy()
        .policy_name("cpu")
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id("service/default/web")
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(
            TargetTrackingScalingPolicyConfiguration::builder()
                .target_value(60.0)
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let text = setup.run(&["status", "--events", "2"]).await;
    assert_eq!(text.0, 0, "{}", transcript(&text));
    insta::assert_snapshot!(transcript(&text));
    let json = setup
        .run(&["status", "--events", "1", "--output", "json"])
        .await;
    assert_eq!(json.0, 0, "{}", transcript(&json));
    insta::assert_snapshot!(transcript(&json));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_of_a_missing_service_says_how_to_create_it() {
    let setup = Setup::start().await;
    setup.write("ristretto.yml", "service: nope\ntask_definition: td.json\n");
    let out = setup.run(&["status"]).await;
    insta::assert_snapshot!(transcript(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appspec_of_a_code_deploy_service() {
    let setup = Setup::start().await;
    let first = setup.register("bg", "nginx:1").await;
    setup
        .create_service("bg", &first, DeploymentControllerType::CodeDeploy)
        .await;
    let latest = setup.register("bg", "nginx:2").await;
    setup.sim.advance(60.0);
    let (code, _, stderr) = setup.run(&["init", "--service", "bg"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("CodeDeploy"), "{stderr}");
    let config = setup.read("ristretto.yml");
    setup.write(
        "ristretto.yml",
        &format!("{config}appspec:\n  Hooks:\n    - BeforeInstall: CheckBeforeInstall\n"),
    );

    let status = setup.run(&["status", "--events", "0"]).await;
    assert_eq!(status.0, 0, "{}", transcript(&status));
    insta::assert_snapshot!("code_deploy_status", transcript(&status));

    let yaml = setup.run(&["appspec"]).await;
    assert_eq!(yaml.0, 0, "{}", transcript(&yaml));
    assert!(
        yaml.1.contains(&latest),
        "latest is the default: {}",
        yaml.1
    );
    insta::assert_snapshot!(transcript(&yaml));

    let json = setup
        .run(&[
            "appspec",
            "--task-definition",
            "current",
            "--output",
            "json",
        ])
        .await;
    assert_eq!(json.0, 0, "{}", transcript(&json));
    assert!(json.1.contains(&first), "{}", json.1);
    insta::assert_snapshot!(transcript(&json));

    let by_arn = setup.run(&["appspec", "--task-definition", &first]).await;
    assert!(by_arn.1.contains(&first), "an ARN works: {}", by_arn.1);
    let missing = setup.run(&["appspec", "--task-definition", "bg:99"]).await;
    assert_eq!(missing.0, 1, "{}", transcript(&missing));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revisions_with_in_use_marks() {
    let setup = Setup::with_imported_service().await;
    setup.register("web", "nginx:1.28").await;
    let table = setup.run(&["revisions"]).await;
    assert_eq!(table.0, 0, "{}", transcript(&table));
    insta::assert_snapshot!(transcript(&table));
    let tsv = setup.run(&["revisions", "--format", "tsv"]).await;
    assert_eq!(tsv.1, "web:1\tPRIMARY deployment\nweb:2\t\n");
    let json = setup.run(&["revisions", "--output", "json"]).await;
    let rows: serde_json::Value = serde_json::from_str(&json.1).unwrap();
    assert_eq!(rows[0]["name"], "web:1");
    assert_eq!(rows[0]["in_use"], "PRIMARY deployment");
    let latest = setup.run(&["revisions", "--revision", "latest"]).await;
    assert!(
        latest.1.contains("\"image\": \"nginx:1.28\""),
        "{}",
        latest.1
    );
    let current = setup.run(&["revisions", "--revision", "current"]).await;
    assert!(current.1.contains("\"revision\": 1"), "{}", current.1);
    let bad = setup.run(&["revisions", "--revision", "x"]).await;
    assert_eq!(bad.0, 2, "{}", transcript(&bad));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_commands_make_no_mutating_call() {
    let setup = Setup::start().await;
    let td = setup.register("web", "nginx:1.27").await;
    setup
        .create_service("web", &td, DeploymentControllerType::Ecs)
        .await;
    let bg = setup.register("bg", "nginx:1").await;
    setup
        .create_service("bg", &bg, DeploymentControllerType::CodeDeploy)
        .await;
    let before = setup.mutating_calls();
    assert!(!before.is_empty(), "the setup itself mutates");

    let (code, _, stderr) = setup.run(&["init", "--service", "web"]).await;
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = setup
        .run(&[
            "--config",
            "bg.yml",
            "init",
            "--service",
            "bg",
            "--jsonnet",
            "--service-definition-path",
            "bg-sv.json",
            "--task-definition-path",
            "bg-td.json",
        ])
        .await;
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(
        setup.path().join("ecs-task-def.json"),
        setup.read("ecs-task-def.json").replace("1.27", "1.28"),
    )
    .unwrap();
    let commands: &[&[&str]] = &[
        &["diff"],
        &["diff", "--exit-code"],
        &["diff", "--output", "json"],
        &["diff", "--no-unified"],
        &["--config", "bg.jsonnet", "diff"],
        &["status"],
        &["status", "--output", "json"],
        &["--config", "bg.jsonnet", "status"],
        &["--config", "bg.jsonnet", "appspec"],
        &["--config", "bg.jsonnet", "appspec", "--no-update-service"],
        &["revisions"],
        &["revisions", "--revision", "latest"],
        &["--config", "bg.jsonnet", "revisions", "--format", "json"],
        &["deploy", "--dry-run"],
        &[
            "deploy",
            "--dry-run",
            "--tasks",
            "5",
            "--force-new-deployment",
        ],
    ];
    for args in commands {
        let out = setup.run(args).await;
        assert!(
            out.0 == 0 || (out.0 == 3 && args.contains(&"--exit-code")),
            "{args:?}: {}",
            transcript(&out)
        );
    }
    assert_eq!(
        setup.mutating_calls(),
        before,
        "read-only commands changed the world"
    );
    let reads = setup.sim.requests().len();
    assert!(
        reads > before.len() + commands.len(),
        "the commands did ask the simulator"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_from_a_task_definition_and_jsonnet_round_trip() {
    let setup = Setup::start().await;
    setup.register("job", "busybox:1").await;
    let (code, _, stderr) = setup
        .run(&["init", "--task-definition", "job", "--jsonnet", "--sort"])
        .await;
    assert_eq!(code, 0, "{stderr}");
    let config = setup.read("ristretto.jsonnet");
    assert!(!config.contains("service"), "{config}");
    let td = setup.read("ecs-task-def.jsonnet");
    assert!(td.contains("family: 'job',"), "{td}");
    let out = setup
        .run(&["--config", "ristretto.jsonnet", "diff", "--exit-code"])
        .await;
    assert_eq!(out.0, 0, "{}", transcript(&out));

    let again = setup
        .run(&["init", "--task-definition", "job", "--jsonnet"])
        .await;
    assert_eq!(again.0, 0);
    assert!(again.2.contains("--force-overwrite"), "{}", again.2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_from_secret_lookups_are_masked_in_the_diff() {
    let world = World::from_yaml_str(
        "clusters: [default]\nparameters:\n  - {name: /app/db-password, value: hunter2, type: SecureString}\n",
    )
    .unwrap();
    let setup = Setup::start_with_world(world).await;
    setup
        .ecs
        .register_task_definition()
        .family("job")
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image("busybox")
                // An EC2 task definition needs container memory (API_ContainerDefinition).
                .memory(128)
                .environment(
                    KeyValuePair::builder()
                        .name("DB_PASSWORD")
                        .value("old-password")
                        .build(),
                )
                .environment(KeyValuePair::builder().name("MODE").value("a").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    setup.write("ristretto.yml", "task_definition: td.json\n");
    setup.write(
        "td.json",
        r#"{"family": "job", "containerDefinitions": [{"name": "app", "image": "busybox", "memory": 128,
            "environment": [{"name": "DB_PASSWORD", "value": "{{ ssm `/app/db-password` }}"},
                            {"name": "MODE", "value": "b"}]}]}"#,
    );
    let out = setup.run(&["diff"]).await;
    assert_eq!(out.0, 0, "{}", transcript(&out));
    for (code, stdout, stderr) in [out.clone(), setup.run(&["diff", "--output", "json"]).await] {
        assert_eq!(code, 0, "{stderr}");
        assert!(!stdout.contains("hunter2"), "{stdout}");
        assert!(!stdout.contains("old-password"), "{stdout}");
    }
    insta::assert_snapshot!(transcript(&out));
}

#[test]
fn every_read_only_command_explains_itself() {
    for command in ["diff", "status", "appspec", "init", "revisions"] {
        let out = Command::new(env!("CARGO_BIN_EXE_ristretto"))
            .args([command, "--help"])
            .env_clear()
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{command}: {help}");
        assert!(help.starts_with(char::is_uppercase), "{command}: {help}");
        assert!(help.contains("Usage: ristretto"), "{command}: {help}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_ristretto"))
        .args(["diff", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--exit-code") && help.contains("3 differences found"),
        "{help}"
    );
}
