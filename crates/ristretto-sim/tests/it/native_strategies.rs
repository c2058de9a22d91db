//! Native ECS blue/green, canary and linear deployments (`deploymentConfiguration.strategy`).

use aws_sdk_ecs::types::{
    CanaryConfiguration, DeploymentConfiguration, DeploymentRolloutState, DeploymentStrategy,
    LinearConfiguration, ServiceDeploymentStatus,
};

use crate::common;
use crate::common::{Sim, describe, register, start, wait_steady};

/// Deploys `v2` and records the lifecycle stages and green traffic weights seen until success.
async fn deploy_and_watch(sim: &Sim, dc: DeploymentConfiguration) -> (Vec<String>, Vec<f64>, i32) {
    let ecs = sim.ecs();
    let v1 = register(&ecs, "web", "web:1").await;
    let v2 = register(&ecs, "web", "web:2").await;
    ecs.create_service()
        .network_configuration(crate::common::network())
        .service_name("web")
        .task_definition(&v1)
        .desired_count(3)
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
    let (mut stages, mut weights, mut max_running) = (Vec::new(), Vec::new(), 0);
    let mut waited = 0.0;
    loop {
        assert!(
            waited < common::POLL_LIMIT,
            "deployment did not finish: {stages:?} {weights:?}"
        );
        let out = ecs
            .describe_service_deployments()
            .service_deployment_arns(&arn)
            .send()
            .await
            .unwrap();
        let sd = out.service_deployments()[0].clone();
        if let Some(stage) = sd.lifecycle_stage()
            && stages.last().map(String::as_str) != Some(stage.as_str())
        {
            stages.push(stage.as_str().to_owned());
        }
        if let Some(w) = sd
            .target_service_revision()
            .and_then(|t| t.requested_production_traffic_weight())
            && weights.last() != Some(&w)
        {
            weights.push(w);
        }
        let s = describe(&ecs, "default", "web").await;
        max_running = max_running.max(s.running_count);
        if sd.status() == Some(&ServiceDeploymentStatus::Successful) {
            assert_eq!(s.task_definition(), Some(v2.as_str()));
            assert_eq!(s.deployments().len(), 1);
            assert_eq!(
                s.deployments()[0].rollout_state(),
                Some(&DeploymentRolloutState::Completed)
            );
            assert_eq!(s.running_count, 3);
            break;
        }
        sim.handle.advance(common::POLL_STEP);
        waited += common::POLL_STEP;
    }
    // Before the first shift the green revision has no production traffic.
    weights.retain(|w| *w > 0.0);
    (stages, weights, max_running)
}

#[tokio::test]
async fn native_blue_green_shifts_all_traffic_then_bakes_then_cleans_up() {
    let sim = start("clusters: [default]\n").await;
    let dc = DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::BlueGreen)
        .bake_time_in_minutes(2)
        .build();
    let (stages, weights, max_running) = deploy_and_watch(&sim, dc).await;
    assert_eq!(max_running, 6, "green scaled to the full count beside blue");
    for stage in ["SCALE_UP", "BAKE_TIME"] {
        assert!(stages.iter().any(|s| s == stage), "{stages:?}");
    }
    assert_eq!(weights.last(), Some(&100.0), "{weights:?}");
    assert!(
        !weights.iter().any(|w| *w > 0.0 && *w < 100.0),
        "{weights:?}"
    );
}

#[tokio::test]
async fn native_canary_shifts_the_canary_share_first() {
    let sim = start("clusters: [default]\n").await;
    let dc = DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::Canary)
        .canary_configuration(
            CanaryConfiguration::builder()
                .canary_percent(20.0)
                .canary_bake_time_in_minutes(2)
                .build(),
        )
        .bake_time_in_minutes(1)
        .build();
    let (stages, weights, _) = deploy_and_watch(&sim, dc).await;
    assert!(
        stages.iter().any(|s| s == "PRODUCTION_TRAFFIC_SHIFT"),
        "{stages:?}"
    );
    assert_eq!(weights.first(), Some(&20.0), "{weights:?}");
    assert_eq!(weights.last(), Some(&100.0), "{weights:?}");
}

#[tokio::test]
async fn native_linear_shifts_traffic_in_steps() {
    let sim = start("clusters: [default]\n").await;
    let dc = DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::Linear)
        .linear_configuration(
            LinearConfiguration::builder()
                .step_percent(25.0)
                .step_bake_time_in_minutes(1)
                .build(),
        )
        .build();
    let (_, weights, _) = deploy_and_watch(&sim, dc).await;
    // The poll sees the world every second, so it sees each step; it never invents one.
    assert!(weights.len() >= 3, "{weights:?}");
    assert!(
        weights
            .iter()
            .all(|w| [25.0, 50.0, 75.0, 100.0].contains(w)),
        "{weights:?}"
    );
    assert!(weights.windows(2).all(|w| w[0] < w[1]), "{weights:?}");
    assert_eq!(weights.last(), Some(&100.0));
}
