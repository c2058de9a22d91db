//! Helpers shared by the modules of this test binary: a simulator and the
//! SDK configuration that talks to it.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use ristretto_sim::{SimConfig, SimHandle, World};

/// A simulator of `world_yaml` on a free local port, `speed` times faster
/// than real time, and an SDK configuration for it (static test credentials,
/// `us-east-1`).
pub async fn start_sim(world_yaml: &str, speed: f64) -> (SimHandle, SdkConfig) {
    let handle = ristretto_sim::start(
        SimConfig {
            world: World::from_yaml_str(world_yaml).expect("world loads"),
            state_file: None,
            speed,
            request_log: None,
        },
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("simulator starts");
    let config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test", "test", None, None, "static",
        )))
        .endpoint_url(handle.endpoint_url())
        .build();
    (handle, config)
}
