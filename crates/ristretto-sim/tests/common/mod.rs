//! Shared helpers of the end-to-end tests: a simulator on loopback and real SDK clients.
#![allow(dead_code, clippy::unwrap_used)]

use std::future::Future;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_sdk_ecs::types::{ContainerDefinition, Service};
use ristretto_sim::{SimConfig, SimHandle, World};

pub struct Sim {
    pub handle: SimHandle,
    pub config: SdkConfig,
}

impl Sim {
    pub fn ecs(&self) -> aws_sdk_ecs::Client {
        aws_sdk_ecs::Client::new(&self.config)
    }
}

pub fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                "test", "test", None, None, "static",
            )),
        )
        .endpoint_url(endpoint)
        // Errors must reach the test as they are: no retries.
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build()
}

/// A simulator with the given world file (YAML) running `speed` times faster than real time.
pub async fn start(world_yaml: &str, speed: f64) -> Sim {
    start_with(SimConfig {
        world: World::from_yaml_str(world_yaml).unwrap(),
        state_file: None,
        speed,
        request_log: None,
    })
    .await
}

pub async fn start_with(config: SimConfig) -> Sim {
    let handle = ristretto_sim::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let config = sdk_config(&handle.endpoint_url());
    Sim { handle, config }
}

/// Polls `f` until it returns `Some`, failing the test after `timeout` (real time).
pub async fn poll<T, F, Fut>(timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "condition not reached within {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub async fn register(ecs: &aws_sdk_ecs::Client, family: &str, image: &str) -> String {
    ecs.register_task_definition()
        .family(family)
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image(image)
                .essential(true)
                .build(),
        )
        .cpu("256")
        .memory("512")
        .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
        .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
        .send()
        .await
        .unwrap()
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_owned()
}

pub async fn describe(ecs: &aws_sdk_ecs::Client, cluster: &str, name: &str) -> Service {
    ecs.describe_services()
        .cluster(cluster)
        .services(name)
        .send()
        .await
        .unwrap()
        .services()[0]
        .clone()
}

/// The service's events, oldest first.
pub fn messages(service: &Service) -> Vec<String> {
    service
        .events()
        .iter()
        .rev()
        .filter_map(|e| e.message().map(str::to_owned))
        .collect()
}

/// Waits until the service runs `task_definition` alone and is steady.
pub async fn wait_steady(ecs: &aws_sdk_ecs::Client, cluster: &str, name: &str) -> Service {
    poll(Duration::from_secs(20), || async {
        let s = describe(ecs, cluster, name).await;
        let done = s.deployments().len() == 1
            && s.running_count == s.desired_count
            && s.pending_count == 0
            && s.deployments()[0].rollout_state().map(|r| r.as_str()) == Some("COMPLETED");
        done.then_some(s)
    })
    .await
}
