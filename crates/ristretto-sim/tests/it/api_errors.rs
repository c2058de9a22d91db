//! Errors as AWS sends them: codes, statuses, validation, throttling, unknown operations.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{DeploymentController, DeploymentControllerType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common;
use crate::common::{register, start, wait_steady};

/// Sends a raw awsJson request and returns (status line, headers and body).
async fn raw(addr: std::net::SocketAddr, target: &str, body: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/x-amz-json-1.1\r\nx-amz-target: {target}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn unknown_operation_is_a_400_with_unknown_operation_exception() {
    let sim = start("clusters: [default]\n").await;
    let out = raw(
        sim.handle.local_addr(),
        "CodeDeploy_20141006.ListOnPremisesInstances",
        "{}",
    )
    .await;
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    assert!(
        out.to_lowercase()
            .contains("x-amzn-errortype: unknownoperationexception"),
        "{out}"
    );
    assert!(
        out.contains(r#""__type":"UnknownOperationException""#),
        "{out}"
    );
    let out = raw(sim.handle.local_addr(), "NoSuchService_2020.Foo", "{}").await;
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");

    // Through the SDK: an ECS operation the simulator does not implement.
    let err = sim
        .ecs()
        .list_attributes()
        .target_type(aws_sdk_ecs::types::TargetType::ContainerInstance)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("UnknownOperationException"));
    let log = sim.handle.requests();
    assert_eq!(
        log.last().unwrap().error.as_deref(),
        Some("UnknownOperationException")
    );
}

#[tokio::test]
async fn throttle_rule_answers_throttling_exception() {
    let world = "clusters: [default]\nthrottling:\n  - {action: 'ecs:DescribeServices', burst: 3, refillPerSecond: 0.001}\n";
    let sim = start(world).await;
    let ecs = sim.ecs();
    for _ in 0..3 {
        ecs.describe_services().services("x").send().await.unwrap();
    }
    let err = ecs
        .describe_services()
        .services("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ThrottlingException"));
    assert_eq!(err.message(), Some("Rate exceeded"));
    // Other actions have their own quota.
    ecs.list_services().send().await.unwrap();
}

/// Amazon ECS API Reference, "Request throttling for the Amazon ECS API": Service read actions
/// (DescribeServices, ListServices) share a bucket of 100 tokens; past it, `ThrottlingException`
/// "Rate exceeded". `throttlingPreset: aws` enforces that table over the wire.
#[tokio::test]
async fn aws_quota_preset_throttles_past_the_published_burst() {
    let sim = start("clusters: [default]\nthrottlingPreset: aws\n").await;
    let ecs = sim.ecs();
    let mut calls = 0;
    let err = loop {
        let result = if calls % 2 == 0 {
            ecs.describe_services()
                .services("x")
                .send()
                .await
                .map(drop)
                .map_err(|e| (e.code().map(str::to_owned), e.message().map(str::to_owned)))
        } else {
            ecs.list_services()
                .send()
                .await
                .map(drop)
                .map_err(|e| (e.code().map(str::to_owned), e.message().map(str::to_owned)))
        };
        calls += 1;
        match result {
            Ok(()) => assert!(calls < 5_000, "never throttled"),
            Err(err) => break err,
        }
    };
    assert!(
        calls > 100,
        "throttled after {calls} calls, before the burst of 100"
    );
    assert_eq!(
        (err.0.as_deref(), err.1.as_deref()),
        (Some("ThrottlingException"), Some("Rate exceeded"))
    );
    // Another category (Cluster read actions) has its own bucket.
    ecs.list_clusters().send().await.unwrap();
}

#[tokio::test]
async fn injected_fault_fails_the_first_calls_only() {
    let world =
        "clusters: [default]\nfaults:\n  - {action: 'ecs:ListClusters', status: 503, times: 1}\n";
    let sim = start(world).await;
    let ecs = sim.ecs();
    let err = ecs.list_clusters().send().await.unwrap_err();
    assert_eq!(err.code(), Some("ServiceUnavailableException"));
    assert_eq!(
        ecs.list_clusters()
            .send()
            .await
            .unwrap()
            .cluster_arns()
            .len(),
        1
    );
}

#[tokio::test]
async fn service_validation_matches_aws() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let td = register(&ecs, "web", "web:1").await;

    let err = ecs
        .describe_services()
        .cluster("nope")
        .services("web")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ClusterNotFoundException"));

    ecs.create_service()
        .network_configuration(crate::common::network())
        .service_name("web")
        .task_definition(&td)
        .desired_count(1)
        .send()
        .await
        .unwrap();
    let err = ecs
        .create_service()
        .network_configuration(crate::common::network())
        .service_name("web")
        .task_definition(&td)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    assert_eq!(
        err.message(),
        Some("Creation of service was not idempotent.")
    );

    let err = ecs
        .update_service()
        .service("missing")
        .desired_count(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ServiceNotFoundException"));

    let err = ecs
        .update_service()
        .service("web")
        .task_definition("nope:9")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));

    let err = ecs
        .delete_service()
        .service("web")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    assert_eq!(
        err.message(),
        Some("The service cannot be stopped while it is scaled above 0.")
    );

    wait_steady(&sim, "default", "web").await;
    let deleted = ecs
        .delete_service()
        .service("web")
        .force(true)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.service().unwrap().status(), Some("DRAINING"));
    let inactive = common::poll(&sim, || async {
        let s = common::describe(&ecs, "default", "web").await;
        (s.status() == Some("INACTIVE")).then_some(s)
    })
    .await;
    assert_eq!(inactive.running_count, 0);
    assert!(
        ecs.list_services()
            .send()
            .await
            .unwrap()
            .service_arns()
            .is_empty()
    );
    let err = ecs
        .update_service()
        .service("web")
        .desired_count(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ServiceNotActiveException"));

    // Missing services are failures, not errors.
    let out = ecs
        .describe_services()
        .services("ghost")
        .send()
        .await
        .unwrap();
    assert_eq!(out.failures()[0].reason(), Some("MISSING"));
    assert!(
        out.failures()[0]
            .arn()
            .unwrap()
            .ends_with(":service/default/ghost")
    );

    // The name can be used again once the service is INACTIVE.
    ecs.create_service()
        .network_configuration(crate::common::network())
        .service_name("web")
        .task_definition(&td)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn code_deploy_services_refuse_task_definition_updates_and_run_a_primary_task_set() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let td = register(&ecs, "bg", "bg:1").await;
    let out = ecs
        .create_service()
        .network_configuration(crate::common::network())
        .service_name("bg")
        .task_definition(&td)
        .desired_count(2)
        .deployment_controller(
            DeploymentController::builder()
                .r#type(DeploymentControllerType::CodeDeploy)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let s = out.service().unwrap();
    assert!(s.deployments().is_empty());
    assert_eq!(s.task_sets().len(), 1);
    assert_eq!(s.task_sets()[0].status(), Some("PRIMARY"));
    let err = ecs
        .update_service()
        .service("bg")
        .task_definition(&td)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    assert_eq!(
        err.message(),
        Some(
            "Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to deploy new task definitions."
        )
    );
    let steady = common::poll(&sim, || async {
        let s = common::describe(&ecs, "default", "bg").await;
        (s.task_sets()[0].stability_status().map(|x| x.as_str()) == Some("STEADY_STATE"))
            .then_some(s)
    })
    .await;
    assert_eq!(steady.running_count, 2);
    assert_eq!(steady.task_sets()[0].running_count, 2);
    assert!(
        steady
            .events()
            .iter()
            .any(|e| e.message() == Some("(service bg) has reached a steady state."))
    );
    let started = format!(
        "(service bg, taskSet {}) has started 2 tasks: ",
        steady.task_sets()[0].id().unwrap()
    );
    assert!(
        steady
            .events()
            .iter()
            .any(|e| e.message().unwrap().starts_with(&started))
    );

    // A green task set next to it, made primary, then the blue one deleted.
    let td2 = register(&ecs, "bg", "bg:2").await;
    let green = ecs
        .create_task_set()
        .service("bg")
        .cluster("default")
        .task_definition(&td2)
        .scale(
            aws_sdk_ecs::types::Scale::builder()
                .value(100.0)
                .unit(aws_sdk_ecs::types::ScaleUnit::Percent)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let green_id = green.task_set().unwrap().id().unwrap().to_owned();
    let blue_id = steady.task_sets()[0].id().unwrap().to_owned();
    ecs.update_service_primary_task_set()
        .service("bg")
        .cluster("default")
        .primary_task_set(&green_id)
        .send()
        .await
        .unwrap();
    ecs.delete_task_set()
        .service("bg")
        .cluster("default")
        .task_set(&blue_id)
        .send()
        .await
        .unwrap();
    let done = common::poll(&sim, || async {
        let s = common::describe(&ecs, "default", "bg").await;
        (s.task_sets().len() == 1 && s.running_count == 2 && s.pending_count == 0).then_some(s)
    })
    .await;
    assert_eq!(done.task_definition(), Some(td2.as_str()));
    assert_eq!(done.task_sets()[0].id(), Some(green_id.as_str()));
}

#[tokio::test]
async fn task_definitions_list_sort_paginate_and_deregister() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    for i in 1..=3 {
        register(&ecs, "app", &format!("app:{i}")).await;
    }
    register(&ecs, "other", "o:1").await;
    let desc = ecs
        .list_task_definitions()
        .family_prefix("app")
        .sort(aws_sdk_ecs::types::SortOrder::Desc)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(desc.task_definition_arns().len(), 1);
    assert!(desc.task_definition_arns()[0].ends_with("app:3"));
    assert!(desc.next_token().is_some());
    let all: Vec<String> = ecs
        .list_task_definitions()
        .family_prefix("app")
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(all.len(), 3);

    ecs.deregister_task_definition()
        .task_definition("app:3")
        .send()
        .await
        .unwrap();
    let latest = ecs
        .describe_task_definition()
        .task_definition("app")
        .send()
        .await
        .unwrap();
    assert_eq!(
        latest.task_definition().unwrap().revision,
        2,
        "a family resolves to its latest ACTIVE revision"
    );
    let err = ecs
        .delete_task_definitions()
        .task_definitions("app:2")
        .send()
        .await
        .unwrap();
    assert_eq!(err.failures().len(), 1);
    let ok = ecs
        .delete_task_definitions()
        .task_definitions("app:3")
        .send()
        .await
        .unwrap();
    assert_eq!(
        ok.task_definitions()[0].status().map(|s| s.as_str()),
        Some("DELETE_IN_PROGRESS")
    );

    let err = ecs
        .describe_task_definition()
        .task_definition("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ClientException"));
    assert_eq!(err.message(), Some("Unable to describe task definition."));

    // Tags round-trip through TagResource and DescribeTaskDefinition(include TAGS).
    let arn = latest
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_owned();
    ecs.tag_resource()
        .resource_arn(&arn)
        .tags(
            aws_sdk_ecs::types::Tag::builder()
                .key("team")
                .value("web")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let with_tags = ecs
        .describe_task_definition()
        .task_definition(&arn)
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .send()
        .await
        .unwrap();
    assert_eq!(with_tags.tags()[0].key(), Some("team"));
    let listed = ecs
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.tags().len(), 1);
    ecs.untag_resource()
        .resource_arn(&arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    assert!(
        ecs.list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .unwrap()
            .tags()
            .is_empty()
    );
}

#[tokio::test]
async fn request_log_counts_mutating_calls() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.jsonl");
    let sim = common::start_with(ristretto_sim::SimConfig {
        world: ristretto_sim::World::default_world(),
        state_file: None,
        speed: 1.0,
        request_log: Some(log.clone()),
    })
    .await;
    let ecs = sim.ecs();
    register(&ecs, "web", "web:1").await;
    ecs.list_task_definitions().send().await.unwrap();
    let records = sim.handle.requests();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].operation, "RegisterTaskDefinition");
    assert!(records[0].mutating);
    assert!(!records[1].mutating);
    let text = std::fs::read_to_string(&log).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        first,
        serde_json::json!({"service":"ecs","operation":"RegisterTaskDefinition","mutating":true,"status":200})
    );
}

// API_DescribeTasks: `tasks` is required (InvalidParameterException), after the cluster check
// (ClusterNotFoundException first). API_DeregisterTaskDefinition, `taskDefinition`: "You must
// specify a revision": a bare family is refused (ClientException) and deregisters nothing.
#[tokio::test]
async fn describe_tasks_needs_tasks_and_deregister_needs_a_revision() {
    use aws_sdk_ecs::error::ProvideErrorMetadata;
    use aws_sdk_ecs::types::TaskDefinitionStatus;
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let err = ecs.describe_tasks().send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    let err = ecs
        .describe_tasks()
        .cluster("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ClusterNotFoundException"));

    register(&ecs, "app", "app:1").await;
    let err = ecs
        .deregister_task_definition()
        .task_definition("app")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ClientException"));
    assert!(err.message().unwrap().contains("specify a revision"));
    let td = ecs
        .describe_task_definition()
        .task_definition("app:1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        td.task_definition().unwrap().status(),
        Some(&TaskDefinitionStatus::Active)
    );
}

// API_RegisterTaskDefinition, `networkMode`: "If no network mode is specified, the default is
// bridge", and on Windows instances `<default>` (no mode) is a value of its own: the member is
// not filled in when the request leaves it out (see `task_definitions::register`).
#[tokio::test]
async fn a_task_definition_without_network_mode_is_described_without_one() {
    use aws_sdk_ecs::types::{Compatibility, ContainerDefinition};
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    ecs.register_task_definition()
        .family("plain")
        .requires_compatibilities(Compatibility::Ec2)
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image("app:1")
                .memory(128)
                .essential(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let td = ecs
        .describe_task_definition()
        .task_definition("plain:1")
        .send()
        .await
        .unwrap();
    assert_eq!(td.task_definition().unwrap().network_mode(), None);
}
