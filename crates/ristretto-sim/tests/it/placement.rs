//! EC2 capacity through the SDK: RunTask's `failures` when no container instance holds a task,
//! and error messages every client reads (the message member as each service model spells it).

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_ecs::types::{Compatibility, ContainerDefinition, LaunchType};

use crate::common::start;

const WORLD: &str =
    "clusters: [{name: default, containerInstances: [{cpu: 1024, memory: 1024}]}]\n";

// API_RunTask `failures` and the ECS developer guide, "API failure reasons": `RESOURCE:*`
// names the container instance and the resource it lacks; the tasks that fit are started.
#[tokio::test]
async fn run_task_returns_resource_failures_for_tasks_that_fit_nowhere() {
    let sim = start(WORLD).await;
    let ecs = sim.ecs();
    ecs.register_task_definition()
        .family("job")
        .requires_compatibilities(Compatibility::Ec2)
        .container_definitions(
            ContainerDefinition::builder()
                .name("job")
                .image("job:1")
                .cpu(256)
                .memory(512)
                .essential(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let out = ecs
        .run_task()
        .task_definition("job")
        .launch_type(LaunchType::Ec2)
        .count(3)
        .send()
        .await
        .unwrap();
    assert_eq!(out.tasks().len(), 2, "two of 512 MiB fit in 1024 MiB");
    let failure = &out.failures()[0];
    assert_eq!(failure.reason(), Some("RESOURCE:MEMORY"));
    assert!(
        failure
            .arn()
            .is_some_and(|a| a.contains(":container-instance/default/"))
    );
    let instance = out.tasks()[0].container_instance_arn();
    assert_eq!(instance, failure.arn(), "the instance the tasks filled");
}

// Service models: Application Auto Scaling's and Secrets Manager's exceptions carry `Message`
// (`ristretto_sim::ApiError::json_body_for`); the Rust SDK must still read it.
#[tokio::test]
async fn error_messages_reach_the_sdk_of_each_service() {
    let sim = start("clusters: [default]\n").await;
    let aas = aws_sdk_applicationautoscaling::Client::new(&sim.config);
    let err = aas
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id("service/default/nope")
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(1)
        .max_capacity(2)
        .send()
        .await
        .unwrap_err();
    let err = err.into_service_error();
    assert!(err.is_validation_exception());
    assert!(
        err.meta().message().is_some_and(|m| !m.is_empty()),
        "{err:?}"
    );
    let sm = aws_sdk_secretsmanager::Client::new(&sim.config);
    let err = sm
        .get_secret_value()
        .secret_id("missing")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    assert!(
        err.meta().message().is_some_and(|m| !m.is_empty()),
        "{err:?}"
    );
}
