//! Native ECS blue/green, linear and canary deployments (`deploymentConfiguration.strategy`;
//! ECS developer guide, "blue-green-deployment-how-it-works", "deployment-type-linear",
//! "deployment-type-canary", "deployment-lifecycle-hooks"; API_ServiceDeployment,
//! `lifecycleStage`). The PRIMARY (green) deployment walks the lifecycle stages, reported as the
//! service deployment's `lifecycleStage`:
//!
//! 1. RECONCILE_SERVICE, only when more than one older revision is still ACTIVE;
//! 2. PRE_SCALE_UP: green has not started;
//! 3. SCALE_UP: green is started at the full desired count beside blue, until all of it is
//!    healthy;
//! 4. POST_SCALE_UP, 5. TEST_TRAFFIC_SHIFT, 6. POST_TEST_TRAFFIC_SHIFT: green takes the test
//!    traffic (at once: AWS documents no duration);
//! 7. PRODUCTION_TRAFFIC_SHIFT: production traffic moves all at once (BLUE_GREEN), by
//!    `stepPercent` every `stepBakeTimeInMinutes` (LINEAR), or `canaryPercent` then the rest
//!    after `canaryBakeTimeInMinutes` (CANARY); the PRE_PRODUCTION_TRAFFIC_SHIFT hooks run
//!    before each step and the PRODUCTION_TRAFFIC_SHIFT hooks after it;
//! 8. POST_PRODUCTION_TRAFFIC_SHIFT;
//! 9. BAKE_TIME: `bakeTimeInMinutes` with both revisions running;
//! 10. CLEAN_UP: the blue tasks are stopped; the deployment completes once they are gone.
//!
//! Every stage but SCALE_UP, BAKE_TIME and CLEAN_UP can hold lifecycle hooks ([`super::hooks`]);
//! a stage without hooks passes at once. A hook that fails rolls the deployment back.

use aws_sdk_ecs::types::DeploymentStrategy;

use super::deployments::roll_back_primary;
use super::hooks::{Gate, gate};
use super::launch::{alive_ids, stop_tasks};
use super::strategy;
use crate::clock::Epoch;
use crate::ecs::ServiceRecord;
use crate::state::Ids;
use crate::world::World;

/// Whether the PRIMARY deployment may start its tasks at `stage` (from SCALE_UP on).
pub(super) fn may_scale_up(stage: Option<&str>) -> bool {
    !matches!(stage, None | Some("RECONCILE_SERVICE" | "PRE_SCALE_UP"))
}

/// `(step percent, step bake seconds)` of the production traffic shift.
fn shift_steps(svc: &ServiceRecord) -> (f64, f64) {
    let dc = svc.service.deployment_configuration();
    match strategy(svc) {
        DeploymentStrategy::Linear => {
            let lc = dc.and_then(|d| d.linear_configuration());
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
            let cc = dc.and_then(|d| d.canary_configuration());
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
    }
}

/// What one pass over the stages needs from the scheduler.
pub(super) struct Walk<'a> {
    pub ids: &'a mut Ids,
    pub rules: &'a World,
    pub now: Epoch,
    /// Green runs the full desired count, all of it healthy.
    pub green_ready: bool,
    pub stop_delay: f64,
}

/// Walks the lifecycle stages of the PRIMARY (green) deployment as far as they go at `now`.
/// Blue tasks stopped at CLEAN_UP are added to `stopped`. Returns true when a lifecycle hook
/// rolled the deployment back (the PRIMARY deployment is then the reinstated one).
pub(super) fn advance_stages(
    svc: &mut ServiceRecord,
    walk: &mut Walk<'_>,
    stopped: &mut Vec<String>,
) -> bool {
    let now = walk.now;
    let bake = f64::from(
        svc.service
            .deployment_configuration()
            .and_then(|dc| dc.bake_time_in_minutes())
            .unwrap_or(0)
            .max(0),
    ) * 60.0;
    let canary = strategy(svc) == DeploymentStrategy::Canary;
    let (step, step_bake) = shift_steps(svc);
    let older = svc.rollouts.len().saturating_sub(1);
    loop {
        let Some(r) = svc.rollouts.first() else {
            return false;
        };
        let stage = r.stage.clone();
        // The hook stage to pass before going on, and the stage that follows it.
        let (hook_stage, round, next): (&str, u32, &str) = match stage.as_deref() {
            None => {
                let first = if older > 1 {
                    "RECONCILE_SERVICE"
                } else {
                    "PRE_SCALE_UP"
                };
                set_stage(svc, first);
                continue;
            }
            Some("RECONCILE_SERVICE") => ("RECONCILE_SERVICE", 0, "PRE_SCALE_UP"),
            Some("PRE_SCALE_UP") => ("PRE_SCALE_UP", 0, "SCALE_UP"),
            Some("SCALE_UP") => {
                if !walk.green_ready {
                    return false;
                }
                set_stage(svc, "POST_SCALE_UP");
                continue;
            }
            Some("POST_SCALE_UP") => ("POST_SCALE_UP", 0, "TEST_TRAFFIC_SHIFT"),
            Some("TEST_TRAFFIC_SHIFT") => ("TEST_TRAFFIC_SHIFT", 0, "POST_TEST_TRAFFIC_SHIFT"),
            Some("POST_TEST_TRAFFIC_SHIFT") => {
                ("POST_TEST_TRAFFIC_SHIFT", 0, "PRODUCTION_TRAFFIC_SHIFT")
            }
            Some("PRODUCTION_TRAFFIC_SHIFT") => {
                let (shifts, shifted) = (r.lifecycle.shifts, r.lifecycle.shifted);
                if !shifted {
                    match gate(
                        svc,
                        walk.ids,
                        walk.rules,
                        now,
                        "PRE_PRODUCTION_TRAFFIC_SHIFT",
                        shifts,
                    ) {
                        Gate::Pass => {}
                        Gate::Wait => return false,
                        Gate::Rollback(reason) => return roll_back(svc, walk, &reason),
                    }
                    let r = &mut svc.rollouts[0];
                    r.traffic = if canary && shifts > 0 {
                        100.0
                    } else {
                        (r.traffic + step).min(100.0)
                    };
                    r.lifecycle.shifts += 1;
                    r.lifecycle.shifted = true;
                    r.stage_until = now + if r.traffic >= 100.0 { 0.0 } else { step_bake };
                    continue;
                }
                match gate(
                    svc,
                    walk.ids,
                    walk.rules,
                    now,
                    "PRODUCTION_TRAFFIC_SHIFT",
                    shifts,
                ) {
                    Gate::Pass => {}
                    Gate::Wait => return false,
                    Gate::Rollback(reason) => return roll_back(svc, walk, &reason),
                }
                let r = &mut svc.rollouts[0];
                if now < r.stage_until {
                    return false;
                }
                if r.traffic >= 100.0 {
                    set_stage(svc, "POST_PRODUCTION_TRAFFIC_SHIFT");
                } else {
                    r.lifecycle.shifted = false;
                }
                continue;
            }
            Some("POST_PRODUCTION_TRAFFIC_SHIFT") => {
                match gate(
                    svc,
                    walk.ids,
                    walk.rules,
                    now,
                    "POST_PRODUCTION_TRAFFIC_SHIFT",
                    0,
                ) {
                    Gate::Pass => {}
                    Gate::Wait => return false,
                    Gate::Rollback(reason) => return roll_back(svc, walk, &reason),
                }
                set_stage(svc, "BAKE_TIME");
                svc.rollouts[0].stage_until = now + bake;
                continue;
            }
            Some("BAKE_TIME") => {
                if now < r.stage_until {
                    return false;
                }
                set_stage(svc, "CLEAN_UP");
                let id = svc.rollouts[0].deployment_id.clone();
                let reason = format!("Scaling activity initiated by (deployment {id})");
                let blue = alive_ids(&svc.tasks, |t| t.owner.as_deref() != Some(id.as_str()));
                stop_tasks(&mut svc.tasks, &blue, now, walk.stop_delay, &reason);
                stopped.extend(blue);
                return false;
            }
            _ => return false,
        };
        match gate(svc, walk.ids, walk.rules, now, hook_stage, round) {
            Gate::Pass => {
                set_stage(svc, next);
                if next == "PRODUCTION_TRAFFIC_SHIFT" {
                    let r = &mut svc.rollouts[0];
                    r.lifecycle.shifts = 0;
                    r.lifecycle.shifted = false;
                }
            }
            Gate::Wait => return false,
            Gate::Rollback(reason) => return roll_back(svc, walk, &reason),
        }
    }
}

fn set_stage(svc: &mut ServiceRecord, stage: &str) {
    if let Some(r) = svc.rollouts.first_mut() {
        r.stage = Some(stage.to_owned());
    }
}

/// Rolls the deployment back after a hook failed; without a revision to go back to, the
/// deployment stays where it is (it cannot happen: a native walk needs a blue deployment).
fn roll_back(svc: &mut ServiceRecord, walk: &mut Walk<'_>, reason: &str) -> bool {
    roll_back_primary(svc, walk.ids, walk.now, reason)
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
