//! The tasks a service runs now, and where: what `status` lists under the deployments (each
//! task's capacity provider, or its launch type when it was started without a strategy).

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::Task;

use crate::error::EcsError;

/// API_DescribeTasks takes at most 100 tasks per call.
const DESCRIBE_LIMIT: usize = 100;

/// The service's tasks that are not stopped: ListTasks by `serviceName` (its default
/// `desiredStatus` is RUNNING, which also lists tasks still starting, API_ListTasks), every page,
/// then DescribeTasks 100 at a time. Ordered by start (creation) time, then task ARN.
///
/// # Errors
/// AWS errors (a missing cluster is `ClusterNotFoundException`, a missing service
/// `ServiceNotFoundException`).
pub async fn service_tasks(
    ecs: &Client,
    cluster: &str,
    service: &str,
) -> Result<Vec<Task>, EcsError> {
    let mut arns = Vec::new();
    let mut token = None;
    loop {
        let page = ecs
            .list_tasks()
            .cluster(cluster)
            .service_name(service)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| EcsError::aws("ListTasks", e))?;
        arns.extend(page.task_arns.unwrap_or_default());
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    let mut tasks = Vec::with_capacity(arns.len());
    for chunk in arns.chunks(DESCRIBE_LIMIT) {
        let described = ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| EcsError::aws("DescribeTasks", e))?;
        tasks.extend(described.tasks.unwrap_or_default());
    }
    tasks.sort_by(|a, b| {
        let key = |t: &Task| t.created_at().map(|c| (c.secs(), c.subsec_nanos()));
        key(a)
            .cmp(&key(b))
            .then_with(|| a.task_arn().cmp(&b.task_arn()))
    });
    Ok(tasks)
}

/// Where a task runs: its capacity provider (API_Task `capacityProviderName`, set for tasks
/// started through a capacity provider strategy), else its launch type, else `-`.
#[must_use]
pub fn placement(task: &Task) -> &str {
    task.capacity_provider_name()
        .or_else(|| task.launch_type().map(|l| l.as_str()))
        .unwrap_or("-")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use aws_config::{BehaviorVersion, Region};
    use aws_sdk_ecs::types::{
        AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition, LaunchType,
        NetworkConfiguration, NetworkMode,
    };
    use ristretto_sim::{SimConfig, World};

    use super::*;

    async fn simulator() -> (ristretto_sim::SimHandle, Client) {
        let handle = ristretto_sim::start(
            SimConfig {
                world: World::from_yaml_str("clusters: [default]\ntaskStartJitter: 0\n").unwrap(),
                state_file: None,
                speed: 0.0,
                request_log: None,
            },
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let config = aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new("test", "test", None, None, "static"),
                ),
            )
            .endpoint_url(handle.endpoint_url())
            .build();
        let client = Client::new(&config);
        (handle, client)
    }

    // API_ListTasks (`nextToken`: follow until absent; at most 100 per page) and
    // API_DescribeTasks (at most 100 tasks per call, refused beyond): a service of 150 tasks
    // is listed over two pages and described in two calls.
    #[tokio::test]
    async fn every_page_is_listed_and_described_a_hundred_at_a_time() {
        let (sim, ecs) = simulator().await;
        ecs.register_task_definition()
            .family("web")
            .requires_compatibilities(Compatibility::Fargate)
            .network_mode(NetworkMode::Awsvpc)
            .cpu("256")
            .memory("512")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("app")
                    .image("web:1")
                    .essential(true)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ecs.create_service()
            .service_name("web")
            .task_definition("web")
            .launch_type(LaunchType::Fargate)
            .desired_count(150)
            .network_configuration(
                NetworkConfiguration::builder()
                    .awsvpc_configuration(
                        AwsVpcConfiguration::builder()
                            .subnets("subnet-1")
                            .assign_public_ip(AssignPublicIp::Disabled)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        sim.advance(60.0);
        let tasks = service_tasks(&ecs, "default", "web").await.unwrap();
        assert_eq!(tasks.len(), 150);
        assert!(tasks.iter().all(|t| placement(t) == "FARGATE"));
        let mut arns: Vec<_> = tasks.iter().filter_map(|t| t.task_arn()).collect();
        arns.dedup();
        assert_eq!(arns.len(), 150, "no task listed twice");
    }

    #[test]
    fn a_task_shows_its_capacity_provider_else_its_launch_type() {
        let spot = Task::builder()
            .launch_type(LaunchType::Fargate)
            .capacity_provider_name("FARGATE_SPOT")
            .build();
        assert_eq!(placement(&spot), "FARGATE_SPOT");
        let plain = Task::builder().launch_type(LaunchType::Ec2).build();
        assert_eq!(placement(&plain), "EC2");
        assert_eq!(placement(&Task::builder().build()), "-");
    }
}
