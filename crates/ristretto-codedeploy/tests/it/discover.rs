//! Discovery of the deployment group against the simulator, counting the
//! CodeDeploy calls it makes: ecspresso's users were throttled here.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;

use aws_sdk_ecs::types::TaskSet;
use ristretto_codedeploy::{CodeDeployError, Wanted, discover};
use ristretto_sim::SimHandle;

/// `others` applications of the Server platform and `ecs` ECS applications
/// (`app-0`…), then the ECS application `web` whose third group deploys
/// `default/web`.
fn world(others: usize, ecs: usize) -> String {
    let mut yaml = String::from("clusters: [default]\ncodeDeploy:\n  applications:\n");
    for i in 0..others {
        writeln!(
            yaml,
            "    - {{applicationName: server-{i:03}, computePlatform: Server}}"
        )
        .unwrap();
    }
    for i in 0..ecs {
        writeln!(
            yaml,
            "    - {{applicationName: app-{i:03}, computePlatform: ECS}}"
        )
        .unwrap();
    }
    yaml.push_str("    - {applicationName: web, computePlatform: ECS}\n  deploymentGroups:\n");
    for (app, group, service) in [
        ("app-000", "a", "api"),
        ("web", "web-staging", "web-staging"),
        ("web", "web-worker", "worker"),
        ("web", "web-prod", "web"),
    ] {
        writeln!(
            yaml,
            "    - {{applicationName: {app}, deploymentGroupName: {group}, serviceRoleArn: 'arn:aws:iam::123456789012:role/cd', ecsServices: [{{clusterName: default, serviceName: {service}}}]}}"
        )
        .unwrap();
    }
    yaml
}

async fn start(world_yaml: &str) -> (SimHandle, aws_sdk_codedeploy::Client) {
    let (handle, config) = crate::common::start_sim(world_yaml, 1.0).await;
    (handle, aws_sdk_codedeploy::Client::new(&config))
}

/// What to look for: `service` in `default`, the config's names, no task sets.
fn wanted<'a>(
    service: &'a str,
    application: Option<&'a str>,
    group: Option<&'a str>,
) -> Wanted<'a> {
    Wanted {
        cluster: "default",
        service,
        application,
        group,
        task_sets: &[],
    }
}

fn codedeploy_calls(handle: &SimHandle) -> Vec<String> {
    handle
        .requests()
        .into_iter()
        .filter(|r| r.service == "codedeploy")
        .map(|r| r.operation)
        .collect()
}

#[tokio::test]
async fn discovery_stays_within_the_call_bound_among_many_applications() {
    let (handle, cd) = start(&world(180, 40)).await;
    let group = discover(&cd, &wanted("web", None, None)).await.unwrap();
    assert_eq!(group.application_name, "web");
    assert_eq!(group.deployment_group_name, "web-prod");
    // 221 applications, 3 groups in `web`: at most ⌈221/100⌉ + ⌈3/100⌉ + 2.
    let calls = codedeploy_calls(&handle);
    assert!(calls.len() <= 3 + 1 + 2, "{calls:?}");
    assert_eq!(
        calls.iter().filter(|c| *c == "ListApplications").count(),
        3,
        "{calls:?}"
    );
}

#[tokio::test]
async fn discovery_with_both_names_in_the_config_makes_one_call() {
    let (handle, cd) = start(&world(5, 5)).await;
    let group = discover(&cd, &wanted("web", Some("web"), Some("web-prod")))
        .await
        .unwrap();
    assert_eq!(group.deployment_group_name, "web-prod");
    assert_eq!(codedeploy_calls(&handle), ["BatchGetDeploymentGroups"]);
}

#[tokio::test]
async fn discovery_failure_names_cluster_and_service() {
    let (_handle, cd) = start(&world(3, 2)).await;
    let err = discover(&cd, &wanted("billing", None, None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CodeDeployError::GroupNotFound { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "no CodeDeploy deployment group deploys service `billing` in cluster `default`: searched 3 ECS applications"
    );
}

#[tokio::test]
async fn a_task_set_naming_an_unknown_deployment_falls_back_to_the_search() {
    let (handle, cd) = start(&world(5, 5)).await;
    let task_sets = [TaskSet::builder()
        .status("PRIMARY")
        .external_id("d-GONE12345")
        .started_by("CODE_DEPLOY")
        .build()];
    let wanted = Wanted {
        task_sets: &task_sets,
        ..wanted("web", None, None)
    };
    let group = discover(&cd, &wanted).await.unwrap();
    assert_eq!(group.deployment_group_name, "web-prod");
    let calls = codedeploy_calls(&handle);
    assert_eq!(
        calls[..2],
        ["GetDeployment", "ListApplications"],
        "{calls:?}"
    );
}
