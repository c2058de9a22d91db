//! Native ECS blue/green, linear and canary deployments (`deploymentConfiguration.strategy`;
//! ECS developer guide, "deployment-type-blue-green", "deployment-type-linear",
//! "deployment-type-canary"): once the green deployment runs the full desired count beside
//! blue, production traffic moves (all at once, by `stepPercent` every `stepBakeTimeInMinutes`,
//! or `canaryPercent` then the rest after `canaryBakeTimeInMinutes`), `bakeTimeInMinutes`
//! passes, and the blue tasks are stopped. The stages are the service deployment's
//! `lifecycleStage`.

use aws_sdk_ecs::types::DeploymentStrategy;

use super::launch::{alive_ids, stop_tasks};
use super::strategy;
use crate::clock::Epoch;
use crate::ecs::ServiceRecord;

/// Walks the native strategy stages of the PRIMARY (green) deployment.
pub(super) fn advance_stages(
    svc: &mut ServiceRecord,
    now: Epoch,
    green_ready: bool,
    stopped: &mut Vec<String>,
    stop_delay: f64,
) {
    let dc = svc
        .service
        .deployment_configuration()
        .cloned()
        .unwrap_or_else(|| aws_sdk_ecs::types::DeploymentConfiguration::builder().build());
    let strategy = strategy(svc);
    let bake = f64::from(dc.bake_time_in_minutes().unwrap_or(0).max(0)) * 60.0;
    let (step, step_bake) = match strategy {
        DeploymentStrategy::Linear => {
            let lc = dc.linear_configuration();
            (
                lc.and_then(|l| l.step_percent())
                    .unwrap_or(10.0)
                    .clamp(1.0, 100.0),
                f64::from(
                    lc.and_then(|l| l.step_bake_time_in_minutes())
                        .unwrap_or(1)
                        .max(0),
                ) * 60.0,
            )
        }
        DeploymentStrategy::Canary => {
            let cc = dc.canary_configuration();
            (
                cc.and_then(|c| c.canary_percent())
                    .unwrap_or(10.0)
                    .clamp(0.1, 100.0),
                f64::from(
                    cc.and_then(|c| c.canary_bake_time_in_minutes())
                        .unwrap_or(1)
                        .max(0),
                ) * 60.0,
            )
        }
        _ => (100.0, 0.0),
    };
    let r = &mut svc.rollouts[0];
    loop {
        match r.stage.as_deref() {
            None | Some("SCALE_UP") => {
                r.stage = Some("SCALE_UP".to_owned());
                if !green_ready {
                    return;
                }
                r.stage = Some("TEST_TRAFFIC_SHIFT".to_owned());
            }
            Some("TEST_TRAFFIC_SHIFT") => {
                r.stage = Some("PRODUCTION_TRAFFIC_SHIFT".to_owned());
                r.traffic = step.min(100.0);
                r.stage_until = now + if r.traffic >= 100.0 { 0.0 } else { step_bake };
            }
            Some("PRODUCTION_TRAFFIC_SHIFT") => {
                if now < r.stage_until {
                    return;
                }
                if r.traffic >= 100.0 {
                    r.stage = Some("BAKE_TIME".to_owned());
                    r.stage_until = now + bake;
                } else {
                    r.traffic = if strategy == DeploymentStrategy::Canary {
                        100.0
                    } else {
                        (r.traffic + step).min(100.0)
                    };
                    r.stage_until = now + if r.traffic >= 100.0 { 0.0 } else { step_bake };
                }
            }
            Some("BAKE_TIME") => {
                if now < r.stage_until {
                    return;
                }
                r.stage = Some("CLEAN_UP".to_owned());
                let id = r.deployment_id.clone();
                let reason = format!("Scaling activity initiated by (deployment {id})");
                let blue = alive_ids(&svc.tasks, |t| t.owner.as_deref() != Some(id.as_str()));
                stop_tasks(&mut svc.tasks, &blue, now, stop_delay, &reason);
                stopped.extend(blue);
                return;
            }
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::DeploymentRolloutState;
    use serde_json::{Value, json};

    use crate::testkit::{Kit, WORLD};

    /// `(stage, green traffic)` of the PRIMARY deployment, and the target revision's requested
    /// production traffic weight in the service deployment.
    fn stage(kit: &Kit) -> (Option<String>, f64, Option<f64>) {
        let svc = kit.service("web");
        let r = &svc.rollouts[0];
        let weight = svc
            .service_deployments
            .last()
            .and_then(|sd| sd.target_service_revision())
            .and_then(|t| t.requested_production_traffic_weight());
        (r.stage.clone(), r.traffic, weight)
    }

    fn deploy(dc: Value) -> (Kit, String, String) {
        let mut kit = Kit::new(WORLD);
        let (_, v2) = kit.steady_service(2, dc, "web:2");
        let blue = kit.deployment_ids("web")[0].clone();
        let green = kit.update(20.0, &v2);
        (kit, blue, green)
    }

    // ECS developer guide, "canary-deployment": canaryPercent of production traffic first, the
    // rest after canaryBakeTimeInMinutes, then bakeTimeInMinutes before blue is stopped.
    #[test]
    fn canary_shifts_the_canary_share_then_the_rest_then_bakes() {
        let (mut kit, blue, green) = deploy(json!({
            "strategy": "CANARY",
            "canaryConfiguration": {"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 2},
            "bakeTimeInMinutes": 1,
        }));
        assert_eq!(kit.tasks_of("web", &green), (2, 0, 0), "green at full size");
        assert_eq!(stage(&kit).0.as_deref(), Some("SCALE_UP"));

        kit.step(30.0);
        assert_eq!(
            stage(&kit),
            (
                Some("PRODUCTION_TRAFFIC_SHIFT".to_owned()),
                20.0,
                Some(20.0)
            )
        );
        assert_eq!(
            kit.tasks_of("web", &blue),
            (0, 2, 0),
            "blue serves the rest"
        );

        kit.step(149.0);
        assert_eq!(stage(&kit).1, 20.0);
        kit.step(150.0);
        assert_eq!(
            stage(&kit),
            (Some("BAKE_TIME".to_owned()), 100.0, Some(100.0))
        );

        kit.step(210.0);
        assert_eq!(stage(&kit).0.as_deref(), Some("CLEAN_UP"));
        assert_eq!(kit.tasks_of("web", &blue), (0, 0, 2));

        kit.step(212.0);
        let s = &kit.service("web").service;
        assert_eq!(s.deployments().len(), 1);
        assert_eq!(
            s.deployments()[0].rollout_state(),
            Some(&DeploymentRolloutState::Completed)
        );
        assert_eq!(stage(&kit).0, None);
    }

    // ECS developer guide, "linear-deployment": stepPercent more traffic every
    // stepBakeTimeInMinutes until all of it is on green.
    #[test]
    fn linear_shifts_traffic_in_steps() {
        let (mut kit, blue, _) = deploy(json!({
            "strategy": "LINEAR",
            "linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": 1},
        }));
        let mut weights = Vec::new();
        for t in [30.0, 90.0, 150.0, 210.0] {
            kit.step(t);
            weights.push(stage(&kit).1);
        }
        assert_eq!(weights, [25.0, 50.0, 75.0, 100.0]);
        // No bake time: blue is stopped as soon as all traffic has moved.
        assert_eq!(stage(&kit).0.as_deref(), Some("CLEAN_UP"));
        assert_eq!(kit.tasks_of("web", &blue), (0, 0, 2));
    }

    // ECS developer guide, "deployment-type-blue-green": all traffic at once, then the bake time.
    #[test]
    fn blue_green_shifts_all_traffic_at_once_then_bakes() {
        let (mut kit, blue, _) = deploy(json!({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 2}));
        kit.step(30.0);
        assert_eq!(stage(&kit).0.as_deref(), Some("BAKE_TIME"));
        assert_eq!(stage(&kit).1, 100.0);
        assert_eq!(kit.tasks_of("web", &blue), (0, 2, 0));
        kit.step(150.0);
        assert_eq!(kit.tasks_of("web", &blue), (0, 0, 2));
    }
}
