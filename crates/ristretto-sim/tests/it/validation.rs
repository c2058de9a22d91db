//! AWS's validation of RegisterTaskDefinition, CreateService, UpdateService and CreateTaskSet,
//! over the wire: the exception type each rule answers, and that a refused request changes
//! nothing. Each test cites its AWS source.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, DeploymentCircuitBreaker, DeploymentConfiguration,
    DeploymentController, DeploymentControllerType, LaunchType, NetworkMode,
};

use crate::common::{describe, network, register, start};

/// An EC2-only task definition (bridge network, container memory); returns its ARN.
async fn register_ec2(ecs: &aws_sdk_ecs::Client) -> String {
    ecs.register_task_definition()
        .family("worker")
        .network_mode(NetworkMode::Bridge)
        .requires_compatibilities(Compatibility::Ec2)
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image("worker:1")
                .memory(256)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .unwrap()
        .to_owned()
}

// Developer guide, AWS_Fargate ("Network mode": Fargate requires awsvpc) and
// task-cpu-memory-error (the Fargate task sizes, "Invalid 'cpu' setting for task."); API_Failures
// lists ClientException for a request the client got wrong. Nothing is registered.
#[tokio::test]
async fn register_task_definition_refuses_what_aws_refuses() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let fargate = |mode: NetworkMode, cpu: &str, memory: &str| {
        ecs.register_task_definition()
            .family("web")
            .network_mode(mode)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu(cpu)
            .memory(memory)
            .container_definitions(
                ContainerDefinition::builder()
                    .name("app")
                    .image("a")
                    .build(),
            )
    };
    let err = fargate(NetworkMode::Bridge, "256", "512")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ClientException"));
    assert_eq!(
        err.message(),
        Some("Fargate only supports network mode 'awsvpc'.")
    );
    let err = fargate(NetworkMode::Awsvpc, "100", "512")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.message(), Some("Invalid 'cpu' setting for task."));
    let err = fargate(NetworkMode::Awsvpc, "256", "8192")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ClientException"));
    let listed = ecs.list_task_definitions().send().await.unwrap();
    assert!(listed.task_definition_arns().is_empty(), "{listed:?}");
    // A valid size passes.
    fargate(NetworkMode::Awsvpc, "1 vCPU", "2GB")
        .send()
        .await
        .unwrap();
}

// API_CreateService: `networkConfiguration` is required for awsvpc task definitions; a task
// definition that does not support FARGATE cannot run on it; the deployment circuit breaker
// (API_DeploymentCircuitBreaker) is for the rolling update (ECS) controller only; desiredCount is
// not negative. Each answers InvalidParameterException and creates nothing.
#[tokio::test]
async fn create_service_refuses_what_aws_refuses() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let web = register(&ecs, "web", "web:1").await;
    let worker = register_ec2(&ecs).await;

    let err = ecs
        .create_service()
        .service_name("web")
        .task_definition(&web)
        .launch_type(LaunchType::Fargate)
        .desired_count(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    assert_eq!(
        err.message(),
        Some("Network Configuration must be provided when networkMode 'awsvpc' is specified.")
    );

    let err = ecs
        .create_service()
        .service_name("worker")
        .task_definition(&worker)
        .launch_type(LaunchType::Fargate)
        .desired_count(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    assert_eq!(
        err.message(),
        Some("Task definition does not support launch_type FARGATE.")
    );

    let err = ecs
        .create_service()
        .service_name("worker")
        .task_definition(&worker)
        .network_configuration(network())
        .desired_count(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));

    let err = ecs
        .create_service()
        .service_name("web")
        .task_definition(&web)
        .network_configuration(network())
        .deployment_controller(
            DeploymentController::builder()
                .r#type(DeploymentControllerType::CodeDeploy)
                .build()
                .unwrap(),
        )
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .deployment_circuit_breaker(
                    DeploymentCircuitBreaker::builder()
                        .enable(true)
                        .rollback(true)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));

    let err = ecs
        .create_service()
        .service_name("web")
        .task_definition(&web)
        .network_configuration(network())
        .desired_count(-1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));

    let listed = ecs.list_services().send().await.unwrap();
    assert!(listed.service_arns().is_empty(), "{listed:?}");

    // The EC2 task definition on EC2 passes, and so does healthCheckGracePeriodSeconds without
    // a load balancer: API_CreateService says it covers ELB, VPC Lattice and container health
    // checks and is unused without them (not an error).
    ecs.create_service()
        .service_name("worker")
        .task_definition(&worker)
        .launch_type(LaunchType::Ec2)
        .health_check_grace_period_seconds(30)
        .desired_count(1)
        .send()
        .await
        .unwrap();
}

// API_UpdateService: the service after the update must satisfy CreateService's constraints; a
// refused update starts no deployment and changes nothing.
#[tokio::test]
async fn a_refused_update_service_changes_nothing() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let web = register(&ecs, "web", "web:1").await;
    let worker = register_ec2(&ecs).await;
    ecs.create_service()
        .service_name("web")
        .task_definition(&web)
        .launch_type(LaunchType::Fargate)
        .network_configuration(network())
        .desired_count(1)
        .send()
        .await
        .unwrap();
    let err = ecs
        .update_service()
        .service("web")
        .task_definition(&worker)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    let err = ecs
        .update_service()
        .service("web")
        .desired_count(-1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    let service = describe(&ecs, "default", "web").await;
    assert_eq!(service.task_definition(), Some(web.as_str()));
    assert_eq!(service.deployments().len(), 1);
    assert_eq!(service.desired_count(), 1);
}

// API_CreateTaskSet: an awsvpc task definition needs a network configuration (the set's, or the
// service's it inherits); InvalidParameterException otherwise.
#[tokio::test]
async fn create_task_set_checks_its_task_definition() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let web = register(&ecs, "web", "web:1").await;
    let worker = register_ec2(&ecs).await;
    ecs.create_service()
        .service_name("ext")
        .launch_type(LaunchType::Fargate)
        .deployment_controller(
            DeploymentController::builder()
                .r#type(DeploymentControllerType::External)
                .build()
                .unwrap(),
        )
        .desired_count(1)
        .send()
        .await
        .unwrap();
    let err = ecs
        .create_task_set()
        .service("ext")
        .cluster("default")
        .task_definition(&web)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    let err = ecs
        .create_task_set()
        .service("ext")
        .cluster("default")
        .task_definition(&worker)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.message(),
        Some("Task definition does not support launch_type FARGATE.")
    );
    ecs.create_task_set()
        .service("ext")
        .cluster("default")
        .task_definition(&web)
        .network_configuration(network())
        .send()
        .await
        .unwrap();
}

// API reference, Common Parameters / response headers: every answer carries its own
// x-amzn-RequestId (a UUID), errors included; the SDK reads it as the request ID.
#[tokio::test]
async fn every_answer_has_its_own_request_id() {
    use aws_sdk_ecs::operation::RequestId;
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let a = ecs.list_clusters().send().await.unwrap();
    let b = ecs.list_clusters().send().await.unwrap();
    let err = ecs
        .describe_services()
        .cluster("nope")
        .services("web")
        .send()
        .await
        .unwrap_err();
    let ids = [a.request_id(), b.request_id(), err.request_id()];
    for id in ids {
        let id = id.expect("a request ID");
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(id.as_bytes()[14], b'4', "a version 4 UUID: {id}");
    }
    assert_ne!(ids[0], ids[1]);
    assert_ne!(ids[1], ids[2]);
}

// API_ListTasks: `startedBy` "must be the only filter that you use"; a desiredStatus of PENDING
// "doesn't return any results"; `maxResults` "can be between 1 and 100".
#[tokio::test]
async fn list_tasks_checks_its_filters_like_aws() {
    let sim = start("clusters: [default]\ntaskStartDelaySeconds: 1000\n").await;
    let ecs = sim.ecs();
    let web = register(&ecs, "web", "web:1").await;
    ecs.create_service()
        .service_name("web")
        .task_definition(&web)
        .launch_type(LaunchType::Fargate)
        .network_configuration(network())
        .desired_count(1)
        .send()
        .await
        .unwrap();
    // The task is PENDING (lastStatus) but its desired status is RUNNING.
    let running = ecs.list_tasks().send().await.unwrap();
    assert_eq!(running.task_arns().len(), 1);
    let pending = ecs
        .list_tasks()
        .desired_status(aws_sdk_ecs::types::DesiredStatus::Pending)
        .send()
        .await
        .unwrap();
    assert!(pending.task_arns().is_empty(), "{pending:?}");

    let err = ecs
        .list_tasks()
        .started_by("ecs-svc/1")
        .service_name("web")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    let err = ecs
        .list_tasks()
        .started_by("ecs-svc/1")
        .family("web")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    // startedBy alone, and with desiredStatus (see `list_tasks`: not counted as a filter).
    ecs.list_tasks()
        .started_by("ecs-svc/1")
        .send()
        .await
        .unwrap();
    ecs.list_tasks()
        .started_by("ecs-svc/1")
        .desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped)
        .send()
        .await
        .unwrap();

    for bad in [0, 101, -1] {
        let err = ecs.list_tasks().max_results(bad).send().await.unwrap_err();
        assert_eq!(err.code(), Some("InvalidParameterException"), "{bad}");
    }
    ecs.list_tasks().max_results(100).send().await.unwrap();
}
