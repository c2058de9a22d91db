//! CodeDeploy blue/green deployments of a CODE_DEPLOY service, through the real SDK.

use aws_sdk_codedeploy::error::ProvideErrorMetadata;
use aws_sdk_codedeploy::types::{
    AppSpecContent, DeploymentStatus, DeploymentWaitType, LifecycleEventStatus, RevisionLocation,
    RevisionLocationType,
};
use aws_sdk_ecs::types::{
    ContainerDefinition, DeploymentController, DeploymentControllerType, PortMapping,
};

use crate::common;
use crate::common::{Sim, start};

const WORLD: &str = r#"
clusters: [default]
failures:
  - {image: "*:broken*", exitCode: 2}
codeDeploy:
  installTimeoutMinutes: 5
  applications: [{applicationName: web, computePlatform: ECS}]
  deploymentGroups:
    - applicationName: web
      deploymentGroupName: web-dg
      serviceRoleArn: arn:aws:iam::123456789012:role/cd
      deploymentConfigName: CodeDeployDefault.ECSLinear10PercentEvery1Minutes
      deploymentStyle: {deploymentType: BLUE_GREEN, deploymentOption: WITH_TRAFFIC_CONTROL}
      blueGreenDeploymentConfiguration:
        terminateBlueInstancesOnDeploymentSuccess: {action: TERMINATE, terminationWaitTimeInMinutes: 5}
        deploymentReadyOption: {actionOnTimeout: STOP_DEPLOYMENT, waitTimeInMinutes: 60}
      autoRollbackConfiguration: {enabled: true, events: [DEPLOYMENT_FAILURE]}
      ecsServices: [{clusterName: default, serviceName: web}]
      loadBalancerInfo:
        targetGroupPairInfoList:
          - targetGroups: [{name: web-blue}, {name: web-green}]
            prodTrafficRoute: {listenerArns: [arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/2]}
"#;

/// Registers a Fargate task definition whose container `app` (image `image`) listens on port
/// 80, as the AppSpec's `LoadBalancerInfo` says; returns its ARN.
async fn register(ecs: &aws_sdk_ecs::Client, family: &str, image: &str) -> String {
    register_port(ecs, family, image, 80).await
}

async fn register_port(ecs: &aws_sdk_ecs::Client, family: &str, image: &str, port: i32) -> String {
    ecs.register_task_definition()
        .family(family)
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image(image)
                .essential(true)
                .port_mappings(PortMapping::builder().container_port(port).build())
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

fn appspec(td: &str) -> RevisionLocation {
    let content = format!(
        "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: \"{td}\"\n        LoadBalancerInfo:\n          ContainerName: app\n          ContainerPort: 80\nHooks:\n  - AfterAllowTestTraffic: arn:aws:lambda:us-east-1:123456789012:function:smoke\n"
    );
    RevisionLocation::builder()
        .revision_type(RevisionLocationType::AppSpecContent)
        .app_spec_content(AppSpecContent::builder().content(content).build())
        .build()
}

async fn code_deploy_service(sim: &Sim) -> (String, String) {
    let ecs = sim.ecs();
    let v1 = register(&ecs, "web", "web:1").await;
    let v2 = register(&ecs, "web", "web:2").await;
    ecs.create_service()
        .network_configuration(crate::common::network())
        .service_name("web")
        .task_definition(&v1)
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
    (v1, v2)
}

async fn wait_status(
    sim: &Sim,
    cd: &aws_sdk_codedeploy::Client,
    id: &str,
    want: &[DeploymentStatus],
) -> aws_sdk_codedeploy::types::DeploymentInfo {
    let mut waited = 0.0;
    loop {
        let info = cd
            .get_deployment()
            .deployment_id(id)
            .send()
            .await
            .unwrap()
            .deployment_info()
            .unwrap()
            .clone();
        if info.status().is_some_and(|s| want.contains(s)) {
            return info;
        }
        assert!(
            waited < common::POLL_LIMIT,
            "deployment stuck in {:?}",
            info.status()
        );
        sim.handle.advance(common::POLL_STEP);
        waited += common::POLL_STEP;
    }
}

#[tokio::test]
async fn blue_green_deployment_walks_its_lifecycle_and_shifts_traffic() {
    let sim = start(WORLD).await;
    let (_, v2) = code_deploy_service(&sim).await;
    let cd = aws_sdk_codedeploy::Client::new(&sim.config);
    let group = cd
        .get_deployment_group()
        .application_name("web")
        .deployment_group_name("web-dg")
        .send()
        .await
        .unwrap();
    assert_eq!(
        group.deployment_group_info().unwrap().ecs_services()[0].service_name(),
        Some("web")
    );

    let id = cd
        .create_deployment()
        .application_name("web")
        .deployment_group_name("web-dg")
        .revision(appspec(&v2))
        .send()
        .await
        .unwrap()
        .deployment_id()
        .unwrap()
        .to_owned();
    assert!(id.starts_with("d-"));
    let err = cd
        .create_deployment()
        .application_name("web")
        .deployment_group_name("web-dg")
        .revision(appspec(&v2))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("DeploymentLimitExceededException"));

    // The deployment waits, Ready, after test traffic until it is continued.
    let ready = wait_status(&sim, &cd, &id, &[DeploymentStatus::Ready]).await;
    assert!(ready.start_time().is_some());
    let targets = cd
        .list_deployment_targets()
        .deployment_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(targets.target_ids(), ["default:web".to_owned()]);
    let target = cd
        .get_deployment_target()
        .deployment_id(&id)
        .target_id("default:web")
        .send()
        .await
        .unwrap();
    let ecs_target = target
        .deployment_target()
        .unwrap()
        .ecs_target()
        .unwrap()
        .clone();
    let events: Vec<_> = ecs_target
        .lifecycle_events()
        .iter()
        .map(|e| {
            (
                e.lifecycle_event_name().unwrap().to_owned(),
                e.status().unwrap().clone(),
            )
        })
        .collect();
    assert_eq!(
        events[4],
        (
            "AfterAllowTestTraffic".to_owned(),
            LifecycleEventStatus::Succeeded
        )
    );
    assert_eq!(events[5].1, LifecycleEventStatus::Pending);
    let sets = ecs_target.task_sets_info();
    assert_eq!(sets.len(), 2);
    assert_eq!(sets[1].running_count, 2, "green task set is up");
    assert_eq!(sets[1].traffic_weight, 0.0);
    // As in AWS, the task set CodeDeploy created carries the deployment's ID.
    let service = common::describe(&sim.ecs(), "default", "web").await;
    let green = service
        .task_sets()
        .iter()
        .find(|t| t.id() == sets[1].identifer())
        .unwrap();
    assert_eq!(green.external_id(), Some(id.as_str()));
    assert_eq!(green.started_by(), Some("CODE_DEPLOY"));
    let blue = service
        .task_sets()
        .iter()
        .find(|t| t.status() == Some("PRIMARY"))
        .unwrap();
    assert_eq!(
        blue.external_id(),
        None,
        "the first task set came with the service"
    );

    cd.continue_deployment()
        .deployment_id(&id)
        .deployment_wait_type(DeploymentWaitType::ReadyWait)
        .send()
        .await
        .unwrap();

    // Linear 10 % every minute: watch the green weight climb.
    let mut weights = Vec::new();
    let mut waited = 0.0;
    loop {
        assert!(
            waited < common::POLL_LIMIT,
            "traffic never reached 100: {weights:?}"
        );
        let t = cd
            .get_deployment_target()
            .deployment_id(&id)
            .target_id("default:web")
            .send()
            .await
            .unwrap();
        let sets = t
            .deployment_target()
            .unwrap()
            .ecs_target()
            .unwrap()
            .task_sets_info()
            .to_vec();
        if let Some(green) = sets
            .iter()
            .find(|s| s.task_set_label().map(|l| l.as_str()) == Some("Green"))
        {
            if weights.last() != Some(&green.traffic_weight) {
                weights.push(green.traffic_weight);
            }
            if green.traffic_weight >= 100.0 {
                break;
            }
        }
        sim.handle.advance(common::POLL_STEP);
        waited += common::POLL_STEP;
    }
    assert!(weights.len() >= 5, "{weights:?}");

    // Then the termination wait, which ContinueDeployment skips, and success.
    sim.handle.advance(10.0);
    cd.continue_deployment()
        .deployment_id(&id)
        .deployment_wait_type(DeploymentWaitType::TerminationWait)
        .send()
        .await
        .unwrap();
    let done = wait_status(&sim, &cd, &id, &[DeploymentStatus::Succeeded]).await;
    assert!(done.complete_time().is_some());
    assert_eq!(done.deployment_overview().unwrap().succeeded, 1);
    let service = common::poll(&sim, || async {
        let s = common::describe(&sim.ecs(), "default", "web").await;
        (s.task_sets().len() == 1 && s.running_count == 2).then_some(s)
    })
    .await;
    assert_eq!(service.task_definition(), Some(v2.as_str()));
    assert_eq!(service.task_sets()[0].status(), Some("PRIMARY"));
    assert_eq!(service.task_sets()[0].task_definition(), Some(v2.as_str()));
}

async fn create(cd: &aws_sdk_codedeploy::Client, td: &str) -> Result<String, String> {
    cd.create_deployment()
        .application_name("web")
        .deployment_group_name("web-dg")
        .revision(appspec(td))
        .send()
        .await
        .map(|out| out.deployment_id().unwrap_or_default().to_owned())
        .map_err(|e| e.code().unwrap_or_default().to_owned())
}

// User guide "deployments-rollback-and-redeploy": a rollback is a new deployment with a new ID.
// API_StopDeployment: `status` Pending ("The stop operation is pending") while it runs;
// API_RollbackInfo: `rollbackDeploymentId` on the stopped deployment,
// `rollbackTriggeringDeploymentId` on the rollback; API_DeploymentInfo `creator`
// `codeDeployRollback`; API_CreateDeployment: DeploymentLimitExceededException while the
// rollback is in progress; once it has succeeded, the original task set alone serves.
#[tokio::test]
async fn stop_deployment_with_rollback_starts_a_rollback_deployment() {
    let sim = start(WORLD).await;
    let (v1, v2) = code_deploy_service(&sim).await;
    let cd = aws_sdk_codedeploy::Client::new(&sim.config);
    let id = create(&cd, &v2).await.unwrap();
    wait_status(&sim, &cd, &id, &[DeploymentStatus::Ready]).await;
    let out = cd
        .stop_deployment()
        .deployment_id(&id)
        .auto_rollback_enabled(true)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().map(|s| s.as_str()), Some("Pending"));
    let info = wait_status(&sim, &cd, &id, &[DeploymentStatus::Stopped]).await;
    let rollback = info
        .rollback_info()
        .and_then(|r| r.rollback_deployment_id())
        .expect("rollbackDeploymentId")
        .to_owned();
    assert_ne!(rollback, id);
    assert_eq!(
        create(&cd, &v2).await,
        Err("DeploymentLimitExceededException".to_owned())
    );
    let listed = cd
        .list_deployments()
        .application_name("web")
        .deployment_group_name("web-dg")
        .include_only_statuses(DeploymentStatus::InProgress)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.deployments(), std::slice::from_ref(&rollback));
    let r = wait_status(&sim, &cd, &rollback, &[DeploymentStatus::Succeeded]).await;
    assert_eq!(r.creator().map(|c| c.as_str()), Some("codeDeployRollback"));
    assert_eq!(
        r.rollback_info()
            .and_then(|i| i.rollback_triggering_deployment_id()),
        Some(id.as_str())
    );
    let service = common::poll(&sim, || async {
        let s = common::describe(&sim.ecs(), "default", "web").await;
        (s.task_sets().len() == 1 && s.running_count == 2 && s.pending_count == 0).then_some(s)
    })
    .await;
    assert_eq!(service.task_definition(), Some(v1.as_str()));
    let err = cd
        .stop_deployment()
        .deployment_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("DeploymentAlreadyCompletedException"));
    // The group is free again.
    assert!(create(&cd, &v2).await.is_ok());
}

// "deployment-steps-ecs" (Install): the replacement task set's failing tasks are replaced
// while Install waits (here `installTimeoutMinutes: 5`); then ECS_UPDATE_ERROR, and the
// DEPLOYMENT_FAILURE rollback deployment restores the original task set.
#[tokio::test]
async fn failing_green_tasks_fail_the_deployment_and_roll_back() {
    let sim = start(WORLD).await;
    let (v1, _) = code_deploy_service(&sim).await;
    let broken = register(&sim.ecs(), "web", "web:broken").await;
    let cd = aws_sdk_codedeploy::Client::new(&sim.config);
    let id = cd
        .create_deployment()
        .application_name("web")
        .deployment_group_name("web-dg")
        .revision(appspec(&broken))
        .send()
        .await
        .unwrap()
        .deployment_id()
        .unwrap()
        .to_owned();
    sim.handle.advance(240.0);
    let info = wait_status(&sim, &cd, &id, &[DeploymentStatus::InProgress]).await;
    assert!(
        info.error_information().is_none(),
        "still waiting at Install"
    );
    let info = wait_status(&sim, &cd, &id, &[DeploymentStatus::Failed]).await;
    assert_eq!(
        info.error_information().unwrap().code().map(|c| c.as_str()),
        Some("ECS_UPDATE_ERROR")
    );
    let rollback = info
        .rollback_info()
        .and_then(|r| r.rollback_deployment_id())
        .expect("rollbackDeploymentId");
    wait_status(&sim, &cd, rollback, &[DeploymentStatus::Succeeded]).await;
    let service = common::poll(&sim, || async {
        let s = common::describe(&sim.ecs(), "default", "web").await;
        (s.task_sets().len() == 1).then_some(s)
    })
    .await;
    assert_eq!(service.task_definition(), Some(v1.as_str()));
}

#[tokio::test]
async fn failing_hook_fails_its_lifecycle_event_and_the_deployment_rolls_back() {
    let world = format!(
        "{WORLD}hookFailures:\n  - {{function: \"*:function:smoke\", event: AfterAllowTestTraffic}}\n"
    );
    let sim = start(&world).await;
    let (v1, v2) = code_deploy_service(&sim).await;
    let cd = aws_sdk_codedeploy::Client::new(&sim.config);
    let id = cd
        .create_deployment()
        .application_name("web")
        .deployment_group_name("web-dg")
        .revision(appspec(&v2))
        .send()
        .await
        .unwrap()
        .deployment_id()
        .unwrap()
        .to_owned();
    let info = wait_status(&sim, &cd, &id, &[DeploymentStatus::Failed]).await;
    let error = info.error_information().unwrap();
    assert_eq!(
        error.code().map(|c| c.as_str()),
        Some("HOOK_EXECUTION_FAILURE")
    );
    let message = error.message().unwrap();
    assert!(message.contains("AfterAllowTestTraffic"), "{message}");
    assert!(info.rollback_info().is_some());

    let target = cd
        .get_deployment_target()
        .deployment_id(&id)
        .target_id("default:web")
        .send()
        .await
        .unwrap();
    let events = target
        .deployment_target()
        .unwrap()
        .ecs_target()
        .unwrap()
        .lifecycle_events()
        .to_vec();
    let status = |name: &str| {
        events
            .iter()
            .find(|e| e.lifecycle_event_name() == Some(name))
            .and_then(|e| e.status().cloned())
    };
    assert_eq!(
        status("AllowTestTraffic"),
        Some(LifecycleEventStatus::Succeeded)
    );
    assert_eq!(
        status("AfterAllowTestTraffic"),
        Some(LifecycleEventStatus::Failed)
    );
    assert_eq!(status("AllowTraffic"), Some(LifecycleEventStatus::Skipped));
    let failed = events
        .iter()
        .find(|e| e.lifecycle_event_name() == Some("AfterAllowTestTraffic"))
        .unwrap();
    let diagnostics = failed.diagnostics().unwrap();
    assert_eq!(
        diagnostics.error_code().map(|c| c.as_str()),
        Some("UnknownError")
    );
    assert!(
        diagnostics
            .message()
            .unwrap()
            .contains("arn:aws:lambda:us-east-1:123456789012:function:smoke"),
        "{diagnostics:?}"
    );

    let service = common::poll(&sim, || async {
        let s = common::describe(&sim.ecs(), "default", "web").await;
        (s.task_sets().len() == 1).then_some(s)
    })
    .await;
    assert_eq!(service.task_definition(), Some(v1.as_str()));
}

#[tokio::test]
async fn a_hook_that_never_reports_times_out() {
    let world = format!(
        "{WORLD}hookFailures:\n  - {{function: \"*smoke\", timedOut: true, afterSeconds: 600}}\n"
    );
    let sim = start(&world).await;
    let (_, v2) = code_deploy_service(&sim).await;
    let cd = aws_sdk_codedeploy::Client::new(&sim.config);
    let id = cd
        .create_deployment()
        .application_name("web")
        .deployment_group_name("web-dg")
        .revision(appspec(&v2))
        .send()
        .await
        .unwrap()
        .deployment_id()
        .unwrap()
        .to_owned();
    // The hook times out after 600 world seconds: still running 100 seconds in.
    sim.handle.advance(100.0);
    let running = cd.get_deployment().deployment_id(&id).send().await.unwrap();
    assert_eq!(
        running.deployment_info().unwrap().status(),
        Some(&DeploymentStatus::InProgress)
    );
    let info = wait_status(&sim, &cd, &id, &[DeploymentStatus::Failed]).await;
    let message = info.error_information().unwrap().message().unwrap();
    assert!(message.contains("timed out"), "{message}");
}

// CodeDeploy API reference (CreateApplication, GetApplication, CreateDeploymentGroup,
// GetDeploymentGroup, BatchGetDeploymentGroups: Errors): an application name or deployment
// group name left out is ApplicationNameRequiredException / DeploymentGroupNameRequiredException,
// the application checked before the group.
#[tokio::test]
async fn names_left_out_are_the_required_exceptions_the_reference_lists() {
    let sim = start(WORLD).await;
    let cd = aws_sdk_codedeploy::Client::new(&sim.config);
    let code = |e: &dyn ProvideErrorMetadata| e.code().map(str::to_owned);
    let e = cd.create_application().send().await.unwrap_err();
    assert_eq!(
        code(&e).as_deref(),
        Some("ApplicationNameRequiredException")
    );
    let e = cd.get_application().send().await.unwrap_err();
    assert_eq!(
        code(&e).as_deref(),
        Some("ApplicationNameRequiredException")
    );
    let e = cd
        .create_deployment_group()
        .service_role_arn("arn:aws:iam::123456789012:role/cd")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&e).as_deref(),
        Some("ApplicationNameRequiredException")
    );
    let e = cd
        .create_deployment_group()
        .application_name("web")
        .service_role_arn("arn:aws:iam::123456789012:role/cd")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&e).as_deref(),
        Some("DeploymentGroupNameRequiredException")
    );
    let e = cd
        .get_deployment_group()
        .application_name("web")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&e).as_deref(),
        Some("DeploymentGroupNameRequiredException")
    );
    let e = cd
        .batch_get_deployment_groups()
        .application_name("web")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&e).as_deref(),
        Some("DeploymentGroupNameRequiredException")
    );
}

// User guide "reference-appspec-file-structure-resources" (ECS): LoadBalancerInfo names the
// container and the port traffic goes to; API_LoadBalancer `containerPort`: "This port must
// correspond to a containerPort in the task definition". An AppSpec naming a port the task
// definition lacks is refused (InvalidRevisionException: our choice, AWS's answer is not
// documented) and no deployment starts.
#[tokio::test]
async fn an_appspec_naming_a_port_the_task_definition_lacks_is_refused() {
    let sim = start(WORLD).await;
    let (_, _) = code_deploy_service(&sim).await;
    let on_8080 = register_port(&sim.ecs(), "web", "web:3", 8080).await;
    let cd = aws_sdk_codedeploy::Client::new(&sim.config);
    let err = create(&cd, &on_8080).await.unwrap_err();
    assert_eq!(err, "InvalidRevisionException");
    let listed = cd.list_deployments().send().await.unwrap();
    assert!(listed.deployments().is_empty());
}
