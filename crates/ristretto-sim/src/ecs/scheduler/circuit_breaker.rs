//! The deployment circuit breaker (ECS developer guide, "deployment-circuit-breaker"): failed
//! tasks of the PRIMARY deployment are counted; at the threshold (half the desired count, at
//! least 3 and at most 200, unless `thresholdConfiguration` says otherwise) the deployment
//! FAILS and, with `rollback`, the last completed deployment becomes PRIMARY again. Without the
//! breaker, failing tasks are relaunched with a growing back-off instead.

use aws_sdk_ecs::types::{
    DeploymentRolloutState, ServiceDeploymentRollbackMonitorsStatus, ServiceDeploymentStatus,
    ThresholdType,
};

use super::deployments::roll_back_to;
use super::events::push_event;
use super::{ceil_pct, svc_name, ts};
use crate::clock::Epoch;
use crate::ecs::ServiceRecord;
use crate::ecs::tasks::TaskEvent;
use crate::state::Ids;

/// Counts failures of each deployment, resets the count when a task becomes healthy, and
/// applies the restart back-off.
///
/// What counts (ECS developer guide, "deployment-circuit-breaker", and API_Deployment
/// `failedTasks`): a task that never reaches RUNNING (stage 1), and a task that stops after
/// RUNNING before it was ever healthy (stage 2: it fails its health checks, or exits before
/// its first passing check). A task that stops after it was healthy does not count: without a
/// container health check a task is healthy once RUNNING, so a crash loop of such tasks never
/// trips the breaker (AWS re:Post, "ecs-deployment-roll-back-failure": "If a task successfully
/// starts, passes the dependent health checks, but then stops, then the circuit breaker might
/// not activate"). With `resetOnHealthyTask` (default true, API_DeploymentCircuitBreaker) a task
/// that becomes healthy resets the count to 0. Nothing is counted once the deployment is no
/// longer IN_PROGRESS.
pub(super) fn apply_task_events(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    events: &[(Option<String>, TaskEvent)],
    now: Epoch,
) {
    let breaker_on = breaker(svc).is_some();
    let reset = svc
        .service
        .deployment_configuration()
        .and_then(|c| c.deployment_circuit_breaker())
        .and_then(|cb| cb.reset_on_healthy_task())
        .unwrap_or(true);
    let name = svc_name(svc);
    for (owner, ev) in events {
        let Some(owner) = owner else { continue };
        match *ev {
            TaskEvent::Exited {
                started, healthy, ..
            } => {
                if !started || !healthy {
                    count_failure(svc, owner);
                }
                // Service throttle logic (ECS developer guide, "service-throttle-logic"): only
                // tasks that go from PENDING straight to STOPPED slow the relaunches down.
                if started {
                    continue;
                }
                let Some(r) = svc.rollouts.iter_mut().find(|r| &r.deployment_id == owner) else {
                    continue;
                };
                r.start_failures += 1;
                if !breaker_on {
                    r.launch_after = now + restart_delay(r.start_failures);
                    if r.start_failures == 1 {
                        // The guide's wording; when in a streak AWS sends it is not documented:
                        // here once, when the back-off starts.
                        push_event(
                            svc,
                            ids,
                            now,
                            format!(
                                "(service {name}) is unable to consistently start tasks successfully."
                            ),
                        );
                    }
                }
            }
            TaskEvent::Running { healthy } => {
                if let Some(r) = svc.rollouts.iter_mut().find(|r| &r.deployment_id == owner) {
                    r.start_failures = 0;
                }
                if healthy && reset {
                    reset_failures(svc, owner);
                }
            }
            TaskEvent::Healthy if reset => reset_failures(svc, owner),
            _ => {}
        }
    }
}

/// The longest wait between two launch attempts of a service whose tasks keep failing to start
/// (ECS developer guide, "service-throttle-logic": "incrementally increased up to a maximum of
/// 27 minutes").
pub(super) const MAX_RESTART_DELAY: f64 = 27.0 * 60.0;

/// World seconds before the next launch after the `failures`-th task in a row that went from
/// PENDING straight to STOPPED. The guide gives only the maximum, not the schedule: this one
/// doubles from 5 s (5, 10, 20, … 1280 s) and then stays at the 27-minute maximum.
pub(super) fn restart_delay(failures: i32) -> f64 {
    (5.0 * 2f64.powi(failures.clamp(1, 10) - 1)).min(MAX_RESTART_DELAY)
}

/// Whether the deployment `owner` still counts failures (IN_PROGRESS).
fn counting(svc: &ServiceRecord, owner: &str) -> bool {
    svc.service
        .deployments()
        .iter()
        .find(|d| d.id() == Some(owner))
        .is_some_and(|d| d.rollout_state() == Some(&DeploymentRolloutState::InProgress))
}

/// One more failed task of the deployment `owner` (API_Deployment `failedTasks`).
pub(super) fn count_failure(svc: &mut ServiceRecord, owner: &str) {
    if !counting(svc, owner) {
        return;
    }
    if let Some(d) = svc
        .service
        .deployments
        .iter_mut()
        .flatten()
        .find(|d| d.id() == Some(owner))
    {
        d.failed_tasks += 1;
    }
    if let Some(r) = svc.rollouts.iter_mut().find(|r| r.deployment_id == owner) {
        r.breaker_failures += 1;
    }
}

/// A task of `owner` became healthy: its failure count goes back to 0.
fn reset_failures(svc: &mut ServiceRecord, owner: &str) {
    if !counting(svc, owner) {
        return;
    }
    if let Some(d) = svc
        .service
        .deployments
        .iter_mut()
        .flatten()
        .find(|d| d.id() == Some(owner))
    {
        d.failed_tasks = 0;
    }
    if let Some(r) = svc.rollouts.iter_mut().find(|r| r.deployment_id == owner) {
        r.breaker_failures = 0;
    }
}

/// The circuit breaker's `(rollback, threshold)` when it is enabled.
pub(super) fn breaker(svc: &ServiceRecord) -> Option<(bool, i32)> {
    let cb = svc
        .service
        .deployment_configuration()?
        .deployment_circuit_breaker()?;
    if !cb.enable {
        return None;
    }
    let desired = svc.service.desired_count.max(0);
    let threshold = match cb.threshold_configuration() {
        Some(tc) if tc.r#type == ThresholdType::Count => tc.value.max(1),
        Some(tc) if tc.r#type == ThresholdType::UnboundedPercent => {
            ceil_pct(desired, tc.value).max(1)
        }
        Some(tc) => ceil_pct(desired, tc.value).clamp(3, 200),
        None => ceil_pct(desired, 50).clamp(3, 200),
    };
    Some((cb.rollback, threshold))
}

/// Trips the circuit breaker of the PRIMARY deployment when its failures reach the threshold.
pub(super) fn check_breaker(svc: &mut ServiceRecord, ids: &mut Ids, now: Epoch) {
    let Some((rollback, threshold)) = breaker(svc) else {
        return;
    };
    let Some(r) = svc.rollouts.first() else {
        return;
    };
    let Some(d) = svc.service.deployments().first() else {
        return;
    };
    // A rollback is not rolled back again.
    if r.halted || r.is_rollback || d.rollout_state() != Some(&DeploymentRolloutState::InProgress) {
        return;
    }
    let failures = r.breaker_failures;
    if let Some(sd) = svc
        .service_deployments
        .iter_mut()
        .find(|sd| sd.service_deployment_arn() == Some(r.service_deployment_arn.as_str()))
        && let Some(cb) = sd.deployment_circuit_breaker.as_mut()
    {
        cb.failure_count = failures;
    }
    if failures < threshold {
        return;
    }
    let name = svc_name(svc);
    let failed_id = r.deployment_id.clone();
    let sd_arn = r.service_deployment_arn.clone();
    let reason = "ECS deployment circuit breaker: tasks failed to start.".to_owned();
    if let Some(d) = svc.service.deployments.iter_mut().flatten().next() {
        d.rollout_state = Some(DeploymentRolloutState::Failed);
        d.rollout_state_reason = Some(reason.clone());
        d.updated_at = Some(ts(now));
    }
    svc.rollouts[0].halted = true;
    svc.rollouts[0].stage = None;
    push_event(
        svc,
        ids,
        now,
        format!(
            "(service {name}) (deployment {failed_id}) deployment failed: tasks failed to start."
        ),
    );
    let target = svc.last_good.clone().filter(|g| {
        rollback
            && svc
                .service
                .deployments()
                .first()
                .and_then(|d| d.task_definition())
                != Some(&g.task_definition)
    });
    let sd = svc
        .service_deployments
        .iter_mut()
        .find(|sd| sd.service_deployment_arn() == Some(sd_arn.as_str()));
    let Some(good) = target else {
        if let Some(sd) = sd {
            sd.status = Some(ServiceDeploymentStatus::Stopped);
            sd.status_reason = Some(reason);
            sd.stopped_at = Some(ts(now));
            sd.updated_at = Some(ts(now));
            if let Some(cb) = sd.deployment_circuit_breaker.as_mut() {
                cb.status = Some(ServiceDeploymentRollbackMonitorsStatus::Triggered);
            }
        }
        return;
    };
    if let Some(sd) = sd {
        sd.status = Some(ServiceDeploymentStatus::RollbackInProgress);
        sd.status_reason = Some(reason.clone());
        sd.updated_at = Some(ts(now));
        sd.rollback = Some(
            aws_sdk_ecs::types::Rollback::builder()
                .reason(&reason)
                .started_at(ts(now))
                .service_revision_arn(&good.revision_arn)
                .build(),
        );
        if let Some(cb) = sd.deployment_circuit_breaker.as_mut() {
            cb.status = Some(ServiceDeploymentRollbackMonitorsStatus::Triggered);
        }
    }
    roll_back_to(svc, ids, now, &good, &sd_arn);
    push_event(
        svc,
        ids,
        now,
        format!(
            "(service {name}) rolling back to deployment {}.",
            good.deployment_id
        ),
    );
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{DeploymentRolloutState, ServiceDeploymentStatus};
    use serde_json::{Value, json};

    use super::breaker;
    use crate::testkit::{Kit, WORLD};

    fn world() -> String {
        format!("{WORLD}failures:\n  - {{image: \"*:broken*\", exitCode: 1}}\n")
    }

    fn with_breaker(rollback: bool) -> Value {
        json!({
            "minimumHealthyPercent": 100,
            "maximumPercent": 200,
            "deploymentCircuitBreaker": {"enable": true, "rollback": rollback},
        })
    }

    // ECS developer guide, "deployment-circuit-breaker": the failure threshold is 0.5 × the
    // desired count, at least 3 and at most 200.
    #[test]
    fn threshold_is_half_the_desired_count_clamped_to_3_and_200() {
        let mut kit = Kit::new(&world());
        kit.steady_service(1, with_breaker(true), "web:2");
        for (desired, threshold) in [
            (0, 3),
            (1, 3),
            (6, 3),
            (7, 4),
            (10, 5),
            (400, 200),
            (1000, 200),
        ] {
            kit.service_mut("web").service.desired_count = desired;
            assert_eq!(
                breaker(kit.service("web")),
                Some((true, threshold)),
                "desired {desired}"
            );
        }
    }

    // ECS developer guide, "deployment-circuit-breaker": at the threshold the deployment is
    // FAILED and, with rollback, the last COMPLETED deployment becomes PRIMARY again.
    #[test]
    fn failures_at_the_threshold_fail_the_deployment_and_roll_back() {
        let mut kit = Kit::new(&world());
        let (v1, bad) = kit.steady_service(2, with_breaker(true), "web:broken");
        let good = kit.deployment_ids("web")[0].clone();
        let failed = kit.update(20.0, &bad);
        assert_eq!(kit.tasks_of("web", &failed), (2, 0, 0));

        kit.step(30.0); // two failures, threshold 3: relaunched
        let s = &kit.service("web").service;
        assert_eq!(s.deployments()[0].failed_tasks, 2);
        assert_eq!(
            s.deployments()[0].rollout_state(),
            Some(&DeploymentRolloutState::InProgress)
        );
        assert_eq!(kit.tasks_of("web", &failed), (2, 0, 0));

        kit.step(40.0); // four failures: tripped, back on the good deployment
        let svc = kit.service("web");
        let s = &svc.service;
        assert_eq!(s.task_definition(), Some(v1.as_str()));
        assert_eq!(s.deployments().len(), 1);
        let d = &s.deployments()[0];
        assert_eq!(d.id(), Some(good.as_str()));
        assert_eq!(d.rollout_state(), Some(&DeploymentRolloutState::Completed));
        let reason =
            format!("ECS deployment circuit breaker: rolling back to deploymentId {good}.");
        assert_eq!(d.rollout_state_reason(), Some(reason.as_str()));
        let sd = svc.service_deployments.last().expect("service deployment");
        assert_eq!(
            sd.status(),
            Some(&ServiceDeploymentStatus::RollbackSuccessful)
        );
        let cb = sd.deployment_circuit_breaker().expect("breaker");
        assert_eq!((cb.threshold, cb.failure_count), (3, 4));
        let events = kit.messages("web");
        assert!(events.contains(&format!(
            "(service web) (deployment {failed}) deployment failed: tasks failed to start."
        )));
        assert!(events.contains(&format!("(service web) rolling back to deployment {good}.")));
    }

    // ECS developer guide, "deployment-circuit-breaker": without rollback the deployment stays
    // FAILED and launches nothing more; the old tasks keep running.
    #[test]
    fn without_rollback_the_failed_deployment_stops_launching() {
        let mut kit = Kit::new(&world());
        let (_, bad) = kit.steady_service(1, with_breaker(false), "web:broken");
        let old = kit.deployment_ids("web")[0].clone();
        let failed = kit.update(20.0, &bad);
        for t in [30.0, 40.0, 50.0] {
            kit.step(t);
        }
        let d = &kit.service("web").service.deployments()[0];
        assert_eq!(d.rollout_state(), Some(&DeploymentRolloutState::Failed));
        assert_eq!(d.failed_tasks, 3);
        kit.step(600.0);
        assert_eq!(kit.tasks_of("web", &failed), (0, 0, 0));
        assert_eq!(kit.tasks_of("web", &old), (0, 1, 0));
    }

    // Without the breaker, ECS relaunches failing tasks more and more slowly (the ECS developer
    // guide, "service throttle logic"): 5 s after the first failure, 10 s after the second.
    #[test]
    fn without_the_breaker_failing_tasks_are_relaunched_with_back_off() {
        let mut kit = Kit::new(&world());
        let dc = json!({"minimumHealthyPercent": 100, "maximumPercent": 200});
        let (_, bad) = kit.steady_service(1, dc, "web:broken");
        let failed = kit.update(20.0, &bad);
        kit.step(30.0);
        assert_eq!(kit.tasks_of("web", &failed), (0, 0, 0), "back-off");
        kit.step(35.0);
        assert_eq!(kit.tasks_of("web", &failed), (1, 0, 0));
        kit.step(45.0);
        kit.step(54.0);
        assert_eq!(kit.tasks_of("web", &failed), (0, 0, 0), "longer back-off");
        kit.step(55.0);
        assert_eq!(kit.tasks_of("web", &failed), (1, 0, 0));
    }

    fn register(kit: &mut Kit, image: &str, interval: i32) -> String {
        kit.register_container(
            "web",
            json!({
                "name": "app", "image": image, "essential": true,
                "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": interval},
            }),
        )
    }

    // ECS developer guide, "deployment-circuit-breaker" (stage 2: tasks that reach RUNNING but
    // fail before they are healthy count) and API_Deployment `failedTasks`: a task whose
    // essential container exits before its first passing health check is a failure; at the
    // threshold (3) the breaker rolls back.
    #[test]
    fn tasks_that_crash_before_they_are_healthy_trip_the_breaker() {
        let world =
            format!("{WORLD}containers:\n  - {{image: \"*:crash*\", crashAfterSeconds: 5}}\n");
        let mut kit = Kit::new(&world);
        let (v1, _) = kit.steady_service(1, with_breaker(true), "web:2");
        let crash = register(&mut kit, "web:crash", 30);
        let failed = kit.update(20.0, &crash);
        kit.step(30.0); // RUNNING
        kit.step(35.0); // crash 1
        assert_eq!(kit.service("web").service.deployments()[0].failed_tasks, 1);
        kit.step(45.0);
        kit.step(50.0); // crash 2
        kit.step(60.0);
        kit.step(65.0); // crash 3: tripped
        let s = &kit.service("web").service;
        assert_eq!(s.task_definition(), Some(v1.as_str()));
        assert!(kit.messages("web").contains(&format!(
            "(service web) (deployment {failed}) deployment failed: tasks failed to start."
        )));
    }

    // API_DeploymentCircuitBreaker `resetOnHealthyTask`: "When set to true, a task that reaches
    // a healthy state resets the failure count to 0. When set to false, Amazon ECS does not
    // reset the failure count. The default is true."
    #[test]
    fn a_healthy_task_resets_the_failure_count_unless_told_not_to() {
        for (reset, expected) in [(None, 0), (Some(true), 0), (Some(false), 2)] {
            let mut kit = Kit::new(WORLD);
            let mut dc = with_breaker(true);
            if let Some(r) = reset {
                dc["deploymentCircuitBreaker"]["resetOnHealthyTask"] = json!(r);
            }
            kit.steady_service(1, dc, "web:2");
            let checked = register(&mut kit, "web:3", 10);
            let new = kit.update(20.0, &checked);
            kit.step(30.0);
            let svc = kit.service_mut("web");
            svc.rollouts[0].breaker_failures = 2;
            svc.service.deployments.as_mut().expect("deployments")[0].failed_tasks = 2;
            kit.step(40.0); // the first check passes: HEALTHY
            let r = &kit.service("web").rollouts[0];
            assert_eq!(r.deployment_id, new);
            assert_eq!(r.breaker_failures, expected, "resetOnHealthyTask {reset:?}");
            assert_eq!(
                kit.service("web").service.deployments()[0].failed_tasks,
                expected
            );
        }
    }

    // API_Deployment `failedTasks`: once the deployment has succeeded the count "stops being
    // evaluated": a COMPLETED deployment counts no more failures.
    #[test]
    fn a_completed_deployment_counts_no_failures() {
        let mut kit = Kit::new(WORLD);
        kit.steady_service(1, with_breaker(true), "web:2");
        let id = kit.deployment_ids("web")[0].clone();
        assert_eq!(
            kit.service("web").service.deployments()[0].rollout_state(),
            Some(&DeploymentRolloutState::Completed)
        );
        super::count_failure(kit.service_mut("web"), &id);
        let svc = kit.service("web");
        assert_eq!(svc.service.deployments()[0].failed_tasks, 0);
        assert_eq!(svc.rollouts[0].breaker_failures, 0);
    }

    // ECS developer guide, "service-throttle-logic": tasks that go from PENDING to STOPPED are
    // relaunched more slowly and the service says "(service service-name) is unable to
    // consistently start tasks successfully."
    #[test]
    fn the_restart_back_off_is_announced() {
        let mut kit = Kit::new(&world());
        let dc = json!({"minimumHealthyPercent": 100, "maximumPercent": 200});
        let (_, bad) = kit.steady_service(1, dc, "web:broken");
        kit.update(20.0, &bad);
        kit.step(30.0);
        let msg = "(service web) is unable to consistently start tasks successfully.".to_owned();
        assert_eq!(kit.messages("web").iter().filter(|m| **m == msg).count(), 1);
        kit.step(35.0);
        kit.step(45.0);
        assert_eq!(
            kit.messages("web").iter().filter(|m| **m == msg).count(),
            1,
            "once per streak"
        );
    }

    // ECS developer guide, "service-throttle-logic": the time between restart attempts is
    // "incrementally increased up to a maximum of 27 minutes" (the schedule itself is not
    // documented: ours doubles from 5 s).
    #[test]
    fn the_restart_delay_grows_to_the_documented_27_minutes_and_stays_there() {
        use super::{MAX_RESTART_DELAY, restart_delay};
        let delays: Vec<f64> = (1..=12).map(restart_delay).collect();
        assert!(delays.windows(2).all(|w| w[1] >= w[0]), "{delays:?}");
        assert_eq!(delays[0], 5.0);
        assert_eq!(MAX_RESTART_DELAY, 1620.0);
        assert_eq!(restart_delay(10), 1620.0);
        assert_eq!(restart_delay(500), 1620.0);
        assert!(delays.iter().all(|d| *d <= 1620.0));
    }

    // ECS developer guide, "service-throttle-logic": after many start failures the next attempt
    // waits the 27-minute maximum; "If you update your service to use a new task definition,
    // your service returns to a normal, non-throttled state immediately."
    #[test]
    fn a_new_task_definition_ends_the_restart_back_off_at_once() {
        let mut kit = Kit::new(&world());
        let dc = json!({"minimumHealthyPercent": 100, "maximumPercent": 200});
        let (_, bad) = kit.steady_service(1, dc, "web:broken");
        let good = kit.register("web", "web:4");
        let failed = kit.update(20.0, &bad);
        // Let it fail ten times in a row: each attempt fails 10 s after its launch.
        let mut t = 20.0;
        while kit.service("web").rollouts[0].start_failures < 10 {
            t += 1.0;
            kit.step(t);
            assert!(t < 20_000.0, "ten failures expected");
        }
        let next = kit.service("web").rollouts[0].launch_after;
        assert!(
            (next - (kit.t0 + t) - 1620.0).abs() < 1e-3,
            "the 27-minute maximum"
        );
        kit.step(t + 1000.0);
        assert_eq!(kit.tasks_of("web", &failed).0, 0, "still waiting");
        let fresh = kit.update(t + 1001.0, &good);
        kit.step(t + 1001.0);
        assert_eq!(kit.tasks_of("web", &fresh).0, 1, "launched at once");
    }
}
