//! Shared helpers of the end-to-end tests: a simulator on loopback and real SDK clients.

use std::future::Future;

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

/// A simulator with the given world file (YAML) whose world clock stands still: only
/// `SimHandle::advance` (through [`poll`] or directly) moves it.
pub async fn start(world_yaml: &str) -> Sim {
    start_with(SimConfig {
        world: World::from_yaml_str(world_yaml).unwrap(),
        state_file: None,
        speed: 0.0,
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

/// World seconds the clock moves between two polls.
pub const POLL_STEP: f64 = 1.0;
/// World seconds after which a poll gives up.
pub const POLL_LIMIT: f64 = 3600.0;

/// Polls `f` until it returns `Some`, moving the world clock [`POLL_STEP`] between two polls;
/// fails the test after [`POLL_LIMIT`] world seconds.
pub async fn poll<T, F, Fut>(sim: &Sim, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let mut waited = 0.0;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            waited < POLL_LIMIT,
            "condition not reached within {POLL_LIMIT} world seconds"
        );
        sim.handle.advance(POLL_STEP);
        waited += POLL_STEP;
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
pub async fn wait_steady(sim: &Sim, cluster: &str, name: &str) -> Service {
    let ecs = &sim.ecs();
    poll(sim, || async {
        let s = describe(ecs, cluster, name).await;
        let done = s.deployments().len() == 1
            && s.running_count == s.desired_count
            && s.pending_count == 0
            && s.deployments()[0].rollout_state().map(|r| r.as_str()) == Some("COMPLETED");
        done.then_some(s)
    })
    .await
}

/// The network configuration every service of an `awsvpc` task definition needs
/// (API_CreateService, `networkConfiguration`: required for the `awsvpc` network mode).
pub fn network() -> aws_sdk_ecs::types::NetworkConfiguration {
    aws_sdk_ecs::types::NetworkConfiguration::builder()
        .awsvpc_configuration(
            aws_sdk_ecs::types::AwsVpcConfiguration::builder()
                .subnets("subnet-0123456789abcdef0")
                .build()
                .expect("subnets given"),
        )
        .build()
}
