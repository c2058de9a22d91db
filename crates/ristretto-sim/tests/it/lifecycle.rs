//! The lifecycle of native ECS deployments over the wire: the ten lifecycle stages of
//! DescribeServiceDeployments, lifecycle hooks (PAUSE and AWS_LAMBDA) and
//! ContinueServiceDeployment, as a deployer sees them through the SDK.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    DeploymentConfiguration, DeploymentLifecycleHook, DeploymentLifecycleHookAction,
    DeploymentLifecycleHookStage, DeploymentLifecycleHookStatus, DeploymentLifecycleHookTargetType,
    DeploymentLifecycleHookTimeoutConfiguration, DeploymentStrategy, ServiceDeployment,
    ServiceDeploymentStatus,
};

use crate::common::{Sim, describe, network, poll, register, start, wait_steady};

const SMOKE: &str = "arn:aws:lambda:us-east-1:123456789012:function:smoke";

fn pause(stage: DeploymentLifecycleHookStage, timeout: Option<i32>) -> DeploymentLifecycleHook {
    DeploymentLifecycleHook::builder()
        .target_type(DeploymentLifecycleHookTargetType::Pause)
        .lifecycle_stages(stage)
        .set_timeout_configuration(timeout.map(|m| {
            DeploymentLifecycleHookTimeoutConfiguration::builder()
                .timeout_in_minutes(m)
                .build()
        }))
        .build()
}

fn lambda(stages: &[DeploymentLifecycleHookStage]) -> DeploymentLifecycleHook {
    DeploymentLifecycleHook::builder()
        .hook_target_arn(SMOKE)
        .role_arn("arn:aws:iam::123456789012:role/ecs-hooks")
        .set_lifecycle_stages(Some(stages.to_vec()))
        .build()
}

/// A steady BLUE_GREEN service `web` of 2 tasks of `web:1` with `hooks`, then UpdateService to
/// `web:2`. Returns the service deployment's ARN and the two task definition ARNs.
async fn deploy(sim: &Sim, hooks: Vec<DeploymentLifecycleHook>) -> (String, String, String) {
    let ecs = sim.ecs();
    let v1 = register(&ecs, "web", "web:1").await;
    let v2 = register(&ecs, "web", "web:2").await;
    let dc = DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::BlueGreen)
        .bake_time_in_minutes(1)
        .set_lifecycle_hooks(Some(hooks))
        .build();
    ecs.create_service()
        .service_name("web")
        .task_definition(&v1)
        .desired_count(2)
        .network_configuration(network())
        .deployment_configuration(dc)
        .send()
        .await
        .unwrap();
    wait_steady(sim, "default", "web").await;
    ecs.update_service()
        .service("web")
        .task_definition(&v2)
        .send()
        .await
        .unwrap();
    let arn = ecs
        .list_service_deployments()
        .service("web")
        .send()
        .await
        .unwrap()
        .service_deployments()[0]
        .service_deployment_arn()
        .unwrap()
        .to_owned();
    (arn, v1, v2)
}

async fn service_deployment(sim: &Sim, arn: &str) -> ServiceDeployment {
    sim.ecs()
        .describe_service_deployments()
        .service_deployment_arns(arn)
        .send()
        .await
        .unwrap()
        .service_deployments()[0]
        .clone()
}

/// Polls until the deployment has a hook AWAITING_ACTION; returns its ID and the deployment.
async fn awaiting(sim: &Sim, arn: &str) -> (String, ServiceDeployment) {
    poll(sim, || async {
        let sd = service_deployment(sim, arn).await;
        let hook = sd
            .lifecycle_hook_details()
            .iter()
            .find(|h| h.status() == Some(&DeploymentLifecycleHookStatus::AwaitingAction))
            .and_then(|h| h.hook_id())
            .map(str::to_owned);
        hook.map(|h| (h, sd))
    })
    .await
}

/// Polls until the deployment has one of the final statuses.
async fn finished(sim: &Sim, arn: &str) -> ServiceDeployment {
    poll(sim, || async {
        let sd = service_deployment(sim, arn).await;
        matches!(
            sd.status(),
            Some(
                ServiceDeploymentStatus::Successful
                    | ServiceDeploymentStatus::RollbackSuccessful
                    | ServiceDeploymentStatus::RollbackFailed
                    | ServiceDeploymentStatus::Stopped
            )
        )
        .then_some(sd)
    })
    .await
}

// Developer guide, "pause-lifecycle-hooks" and "continue-service-deployment": the deployment
// stays at the hook's stage with the hook AWAITING_ACTION (blue serving, green started) until
// ContinueServiceDeployment CONTINUE; then it goes on to SUCCESSFUL.
#[tokio::test]
async fn a_pause_hook_stops_the_deployment_until_continue() {
    let sim = start("clusters: [default]\n").await;
    let (arn, _, v2) = deploy(
        &sim,
        vec![pause(DeploymentLifecycleHookStage::PostScaleUp, None)],
    )
    .await;
    let (hook, sd) = awaiting(&sim, &arn).await;
    assert!(hook.starts_with("ecs-pause-"), "{hook}");
    assert_eq!(
        sd.lifecycle_stage().map(|s| s.as_str()),
        Some("POST_SCALE_UP")
    );
    assert_eq!(sd.status(), Some(&ServiceDeploymentStatus::InProgress));
    let detail = &sd.lifecycle_hook_details()[0];
    assert_eq!(
        detail.target_type(),
        Some(&DeploymentLifecycleHookTargetType::Pause)
    );
    assert_eq!(
        detail.timeout_action(),
        Some(&DeploymentLifecycleHookAction::Rollback)
    );
    assert!(detail.expires_at().is_some());

    // An hour later it still waits, blue and green both running.
    sim.handle.advance(3600.0);
    let sd = service_deployment(&sim, &arn).await;
    assert_eq!(
        sd.lifecycle_stage().map(|s| s.as_str()),
        Some("POST_SCALE_UP")
    );
    assert_eq!(
        describe(&sim.ecs(), "default", "web").await.running_count,
        4
    );

    let out = sim
        .ecs()
        .continue_service_deployment()
        .service_deployment_arn(&arn)
        .hook_id(&hook)
        .send()
        .await
        .unwrap();
    assert_eq!(out.service_deployment_arn(), Some(arn.as_str()));
    let sd = finished(&sim, &arn).await;
    assert_eq!(sd.status(), Some(&ServiceDeploymentStatus::Successful));
    assert_eq!(
        sd.lifecycle_hook_details()[0].status(),
        Some(&DeploymentLifecycleHookStatus::Succeeded)
    );
    let s = describe(&sim.ecs(), "default", "web").await;
    assert_eq!(s.task_definition(), Some(v2.as_str()));
    assert_eq!(s.running_count, 2);
}

// API_ContinueServiceDeployment, action ROLLBACK: "Rolls back the deployment to the previous
// service revision" — ROLLBACK_SUCCESSFUL, blue serving all production traffic, green stopped.
#[tokio::test]
async fn continue_with_rollback_ends_with_blue_serving() {
    let sim = start("clusters: [default]\n").await;
    let (arn, v1, _) = deploy(
        &sim,
        vec![pause(DeploymentLifecycleHookStage::PostScaleUp, None)],
    )
    .await;
    let (hook, _) = awaiting(&sim, &arn).await;
    sim.ecs()
        .continue_service_deployment()
        .service_deployment_arn(&arn)
        .hook_id(&hook)
        .action(DeploymentLifecycleHookAction::Rollback)
        .send()
        .await
        .unwrap();
    let sd = service_deployment(&sim, &arn).await;
    assert_eq!(
        sd.status(),
        Some(&ServiceDeploymentStatus::RollbackInProgress)
    );
    let sd = finished(&sim, &arn).await;
    assert_eq!(
        sd.status(),
        Some(&ServiceDeploymentStatus::RollbackSuccessful)
    );
    assert_eq!(
        sd.target_service_revision()
            .and_then(|t| t.requested_production_traffic_weight()),
        Some(0.0)
    );
    let s = wait_steady(&sim, "default", "web").await;
    assert_eq!(s.task_definition(), Some(v1.as_str()));
    assert_eq!((s.running_count, s.deployments().len()), (2, 1));
}

// API_DeploymentLifecycleHookTimeoutConfiguration: at `timeoutInMinutes` the hook is TIMED_OUT
// and its action (default ROLLBACK) is taken.
#[tokio::test]
async fn a_timed_out_pause_hook_rolls_back_by_default() {
    let sim = start("clusters: [default]\n").await;
    let (arn, v1, _) = deploy(
        &sim,
        vec![pause(
            DeploymentLifecycleHookStage::PostTestTrafficShift,
            Some(5),
        )],
    )
    .await;
    let (_, sd) = awaiting(&sim, &arn).await;
    assert_eq!(
        sd.lifecycle_stage().map(|s| s.as_str()),
        Some("POST_TEST_TRAFFIC_SHIFT")
    );
    let sd = finished(&sim, &arn).await;
    assert_eq!(
        sd.status(),
        Some(&ServiceDeploymentStatus::RollbackSuccessful)
    );
    assert_eq!(
        sd.lifecycle_hook_details()[0].status(),
        Some(&DeploymentLifecycleHookStatus::TimedOut)
    );
    let s = describe(&sim.ecs(), "default", "web").await;
    assert_eq!(s.task_definition(), Some(v1.as_str()));
}

// Developer guide, "deployment-lifecycle-hooks": a Lambda hook answering FAILED rolls the
// deployment back (the `ecsHookFailures` world rule is the function's answer).
#[tokio::test]
async fn a_failing_lambda_hook_rolls_back() {
    let sim = start(
        "clusters: [default]\necsHookFailures:\n  - {function: \"*:function:smoke\", stage: POST_PRODUCTION_TRAFFIC_SHIFT}\n",
    )
    .await;
    let (arn, v1, _) = deploy(
        &sim,
        vec![lambda(&[
            DeploymentLifecycleHookStage::PostScaleUp,
            DeploymentLifecycleHookStage::PostProductionTrafficShift,
        ])],
    )
    .await;
    let sd = finished(&sim, &arn).await;
    assert_eq!(
        sd.status(),
        Some(&ServiceDeploymentStatus::RollbackSuccessful)
    );
    let statuses: Vec<_> = sd
        .lifecycle_hook_details()
        .iter()
        .map(|h| h.status().map(|s| s.as_str().to_owned()))
        .collect();
    assert_eq!(
        statuses,
        [Some("SUCCEEDED".to_owned()), Some("FAILED".to_owned())]
    );
    let s = describe(&sim.ecs(), "default", "web").await;
    assert_eq!(s.task_definition(), Some(v1.as_str()));
}

// API_ServiceDeployment, `lifecycleStage`: the stages of a blue/green deployment in order (Lambda
// hooks at every hook stage hold each one for a few world seconds so that a poll every second
// sees it).
#[tokio::test]
async fn every_stage_appears_in_order() {
    let sim = start("clusters: [default]\n").await;
    use DeploymentLifecycleHookStage as S;
    let (arn, _, _) = deploy(
        &sim,
        vec![lambda(&[
            S::PreScaleUp,
            S::PostScaleUp,
            S::TestTrafficShift,
            S::PostTestTrafficShift,
            S::ProductionTrafficShift,
            S::PostProductionTrafficShift,
        ])],
    )
    .await;
    let mut stages: Vec<String> = Vec::new();
    let mut waited = 0.0;
    let sd = loop {
        let sd = service_deployment(&sim, &arn).await;
        if let Some(s) = sd.lifecycle_stage().map(|s| s.as_str().to_owned())
            && stages.last() != Some(&s)
        {
            stages.push(s);
        }
        if sd.status() == Some(&ServiceDeploymentStatus::Successful) {
            break sd;
        }
        assert!(
            waited < crate::common::POLL_LIMIT,
            "not finished: {stages:?}"
        );
        sim.handle.advance(crate::common::POLL_STEP);
        waited += crate::common::POLL_STEP;
    };
    assert_eq!(
        stages,
        [
            "PRE_SCALE_UP",
            "SCALE_UP",
            "POST_SCALE_UP",
            "TEST_TRAFFIC_SHIFT",
            "POST_TEST_TRAFFIC_SHIFT",
            "PRODUCTION_TRAFFIC_SHIFT",
            "POST_PRODUCTION_TRAFFIC_SHIFT",
            "BAKE_TIME",
            "CLEAN_UP",
        ]
    );
    assert_eq!(sd.lifecycle_hook_details().len(), 6);
}

// API_DeploymentLifecycleHook: "PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT or
// PRODUCTION_TRAFFIC_SHIFT stages"; API_DeploymentConfiguration: BLUE_GREEN needs
// bakeTimeInMinutes; API_ContinueServiceDeployment: ServiceDeploymentNotFoundException.
#[tokio::test]
async fn invalid_hooks_and_unknown_deployments_are_refused() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let v1 = register(&ecs, "web", "web:1").await;
    let create = |dc: DeploymentConfiguration| {
        ecs.create_service()
            .service_name("web")
            .task_definition(&v1)
            .desired_count(1)
            .network_configuration(network())
            .deployment_configuration(dc)
            .send()
    };
    let err = create(
        DeploymentConfiguration::builder()
            .strategy(DeploymentStrategy::BlueGreen)
            .bake_time_in_minutes(1)
            .lifecycle_hooks(pause(
                DeploymentLifecycleHookStage::ProductionTrafficShift,
                None,
            ))
            .build(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    let err = create(
        DeploymentConfiguration::builder()
            .strategy(DeploymentStrategy::BlueGreen)
            .build(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    let listed = ecs.list_services().send().await.unwrap();
    assert!(listed.service_arns().is_empty(), "nothing was created");

    let err = ecs
        .continue_service_deployment()
        .service_deployment_arn(
            "arn:aws:ecs:us-east-1:123456789012:service-deployment/default/web/nope",
        )
        .hook_id("ecs-pause-nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ServiceDeploymentNotFoundException"));
    assert!(
        err.into_service_error()
            .is_service_deployment_not_found_exception()
    );
}
