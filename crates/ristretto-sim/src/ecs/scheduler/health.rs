//! Task health and the service scheduler: a RUNNING task whose container health check failed,
//! or whose load-balancer target is unhealthy, is stopped and replaced (API_HealthCheck: "For tasks that are part of a service, if the task
//! reports as unhealthy then the task will be stopped and the service scheduler will replace
//! it"), once the service's `healthCheckGracePeriodSeconds` since the task started has passed
//! (API_CreateService: the scheduler ignores unhealthy container health checks for that long).
//! Each replaced task counts towards the circuit breaker (ECS developer guide,
//! "deployment-circuit-breaker", stage 2).

use aws_sdk_ecs::types::{HealthStatus, TaskStopCode};

use super::circuit_breaker::count_failure;
use super::events::report;
use super::svc_name;
use crate::clock::Epoch;
use crate::ecs::{ServiceRecord, TaskRecord};
use crate::state::Ids;

/// The stopped reason of a task replaced for failing its container health checks.
const REASON: &str = "Task failed container health checks";

/// The stopped reason of a task replaced because its target in `arn` is unhealthy: AWS's
/// wording as DescribeTasks shows it ("Task failed ELB health checks in (target-group …)";
/// not in the developer guide's list of stopped reasons, so unverified there).
fn elb_reason(arn: &str) -> String {
    format!("Task failed ELB health checks in (target-group {arn})")
}

/// When the unhealthy task `t` of `svc` may be replaced (the end of the grace period).
pub(super) fn unhealthy_until(svc: &ServiceRecord, t: &TaskRecord) -> Option<Epoch> {
    let grace = svc.service.health_check_grace_period_seconds().unwrap_or(0);
    t.is_unhealthy()
        .then(|| t.ready_at + f64::from(grace.max(0)))
}

/// Stops the unhealthy tasks whose grace period is over, counting each as a failure.
pub(super) fn replace_unhealthy(svc: &mut ServiceRecord, ids: &mut Ids, now: Epoch, delay: f64) {
    let due: Vec<(String, Option<String>, String)> = svc
        .tasks
        .values()
        .filter(|t| unhealthy_until(svc, t).is_some_and(|at| at <= now))
        .map(|t| {
            let reason = match t.unhealthy_target() {
                Some(target) if t.task.health_status() != Some(&HealthStatus::Unhealthy) => {
                    elb_reason(&target.target_group_arn)
                }
                _ => REASON.to_owned(),
            };
            (t.id().to_owned(), t.owner.clone(), reason)
        })
        .collect();
    if due.is_empty() {
        return;
    }
    let mut stopped = Vec::new();
    for (id, owner, reason) in due {
        if let Some(t) = svc.tasks.get_mut(&id) {
            t.request_stop(now, delay, TaskStopCode::ServiceSchedulerInitiated, &reason);
        }
        if let Some(owner) = owner {
            count_failure(svc, &owner);
        }
        stopped.push(id);
    }
    let name = svc_name(svc);
    report(svc, ids, now, &name, &[], &stopped);
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{DeploymentRolloutState, HealthStatus, TaskStopCode};
    use serde_json::{Value, json};

    use crate::ecs::TaskRecord;
    use crate::testkit::{Kit, WORLD};

    /// Registers `web` with one essential container `app` of `image` and the container health
    /// check `hc` (none when null); returns its ARN.
    fn register_checked(kit: &mut Kit, image: &str, hc: Value) -> String {
        let mut app = json!({"name": "app", "image": image, "essential": true});
        if !hc.is_null() {
            app["healthCheck"] = hc;
        }
        kit.register_container("web", app)
    }

    fn check(interval: i32) -> Value {
        json!({"command": ["CMD-SHELL", "true"], "interval": interval, "retries": 3})
    }

    fn dc() -> Value {
        json!({"minimumHealthyPercent": 100, "maximumPercent": 200})
    }

    fn tasks_of<'a>(kit: &'a Kit, owner: &str) -> Vec<&'a TaskRecord> {
        kit.service("web")
            .tasks
            .values()
            .filter(|t| t.owner.as_deref() == Some(owner))
            .collect()
    }

    fn rollout_state(kit: &Kit) -> Option<DeploymentRolloutState> {
        kit.service("web").service.deployments()[0]
            .rollout_state()
            .cloned()
    }

    // API_HealthCheck: a task's healthStatus is UNKNOWN when "there are no container health
    // checks defined"; without one a RUNNING task counts (ECS developer guide, "task health").
    #[test]
    fn without_a_container_health_check_a_running_task_is_unknown_and_counts() {
        let mut kit = Kit::new(WORLD);
        kit.steady_service(1, dc(), "web:2");
        let owner = kit.deployment_ids("web")[0].clone();
        let t = tasks_of(&kit, &owner)[0];
        assert_eq!(t.task.last_status(), Some("RUNNING"));
        assert_eq!(t.task.health_status(), Some(&HealthStatus::from("UNKNOWN")));
        assert_eq!(
            t.task.containers()[0].health_status(),
            Some(&HealthStatus::from("UNKNOWN"))
        );
        assert_eq!(rollout_state(&kit), Some(DeploymentRolloutState::Completed));
    }

    // API_HealthCheck: the first check runs `interval` seconds after the container starts and a
    // passing one makes it HEALTHY; ECS developer guide, "task health": with a container health
    // check only a HEALTHY task counts, so the old task keeps running until then.
    #[test]
    fn a_checked_task_counts_only_once_its_first_check_passes() {
        let mut kit = Kit::new(WORLD);
        kit.steady_service(1, dc(), "web:2");
        let old = kit.deployment_ids("web")[0].clone();
        let v3 = register_checked(&mut kit, "web:3", check(10));
        let new = kit.update(20.0, &v3);
        kit.step(30.0); // RUNNING, not yet checked
        let t = tasks_of(&kit, &new)[0];
        assert_eq!(t.task.last_status(), Some("RUNNING"));
        assert_eq!(t.task.health_status(), Some(&HealthStatus::from("UNKNOWN")));
        assert_eq!(kit.tasks_of("web", &old), (0, 1, 0), "old one kept");
        assert_eq!(
            rollout_state(&kit),
            Some(DeploymentRolloutState::InProgress)
        );

        kit.step(40.0); // first check passes
        let t = tasks_of(&kit, &new)[0];
        assert_eq!(t.task.health_status(), Some(&HealthStatus::Healthy));
        assert_eq!(
            t.task.containers()[0].health_status(),
            Some(&HealthStatus::Healthy)
        );
        assert_eq!(kit.tasks_of("web", &old), (0, 0, 1), "old one stopping");
        kit.step(42.0);
        assert_eq!(rollout_state(&kit), Some(DeploymentRolloutState::Completed));
    }

    // API_HealthCheck: `retries` consecutive failures (3) make the container UNHEALTHY; "for
    // tasks that are part of a service, if the task reports as unhealthy then the task will be
    // stopped and the service scheduler will replace it". ECS developer guide,
    // "service-event-messages": "(service x) has stopped 1 running tasks: (task …)."
    #[test]
    fn an_unhealthy_task_is_stopped_replaced_and_counted() {
        let world = format!("{WORLD}containers:\n  - {{image: \"*:sick*\", healthy: false}}\n");
        let mut kit = Kit::new(&world);
        kit.steady_service(1, dc(), "web:2");
        let old = kit.deployment_ids("web")[0].clone();
        let sick = register_checked(&mut kit, "web:sick", check(10));
        let new = kit.update(20.0, &sick);
        kit.step(30.0); // RUNNING
        kit.step(59.0);
        assert_eq!(kit.tasks_of("web", &new), (0, 1, 0), "two failures so far");
        kit.step(60.0); // third failed check: UNHEALTHY, stopped, a new one started
        let tasks = tasks_of(&kit, &new);
        let stopping = tasks
            .iter()
            .find(|t| !t.is_alive())
            .expect("the unhealthy task");
        assert_eq!(
            stopping.task.health_status(),
            Some(&HealthStatus::Unhealthy)
        );
        assert_eq!(
            stopping.task.stopped_reason(),
            Some("Task failed container health checks")
        );
        assert_eq!(
            stopping.task.stop_code(),
            Some(&TaskStopCode::ServiceSchedulerInitiated)
        );
        let id = stopping.id().to_owned();
        assert_eq!(kit.tasks_of("web", &new), (1, 0, 1), "replaced");
        assert_eq!(kit.tasks_of("web", &old), (0, 1, 0), "old one kept");
        let s = &kit.service("web").service;
        assert_eq!(s.deployments()[0].failed_tasks, 1);
        assert!(kit.messages("web").contains(&format!(
            "(service web) has stopped 1 running tasks: (task {id})."
        )));
    }

    // API_CreateService `healthCheckGracePeriodSeconds`: the scheduler ignores unhealthy
    // container health checks for that long after a task has first started.
    #[test]
    fn an_unhealthy_task_is_kept_during_the_grace_period() {
        let world = format!("{WORLD}containers:\n  - {{image: \"*:sick*\", healthy: false}}\n");
        let mut kit = Kit::new(&world);
        kit.steady_service(1, dc(), "web:2");
        kit.service_mut("web")
            .service
            .health_check_grace_period_seconds = Some(100);
        let sick = register_checked(&mut kit, "web:sick", check(10));
        let new = kit.update(20.0, &sick);
        kit.step(30.0);
        kit.step(60.0); // UNHEALTHY, but within the grace period (until 130)
        assert_eq!(kit.tasks_of("web", &new), (0, 1, 0));
        let next = crate::ecs::scheduler::next_event(&kit.state.ecs, kit.t0 + 60.0);
        assert_eq!(
            next,
            Some(kit.t0 + 130.0),
            "the scheduler wakes up at its end"
        );
        kit.step(130.0);
        assert_eq!(kit.tasks_of("web", &new), (1, 0, 1));
    }

    // ECS developer guide, "task health": without a container health check a task counts once
    // RUNNING, so the old task is replaced before the new one crashes; the crashed task is
    // replaced at once (ECS developer guide, "service-throttle-logic": tasks stopped after
    // RUNNING are not throttled) and only its exited container has an exit code.
    #[test]
    fn an_unchecked_image_that_crashes_after_start_is_relaunched_without_back_off() {
        let world = format!(
            "{WORLD}containers:\n  - {{image: \"*:crash*\", crashAfterSeconds: 5, exitCode: 3}}\n"
        );
        let mut kit = Kit::new(&world);
        let (_, crash) = kit.steady_service(1, dc(), "web:crash");
        let old = kit.deployment_ids("web")[0].clone();
        let new = kit.update(20.0, &crash);
        kit.step(30.0); // RUNNING: counts, the old one is stopped
        assert_eq!(kit.tasks_of("web", &old), (0, 0, 1));
        kit.step(35.0); // crashed, relaunched at once
        let crashed = tasks_of(&kit, &new)
            .into_iter()
            .find(|t| t.is_stopped())
            .expect("crashed task");
        assert_eq!(
            crashed.task.stopped_reason(),
            Some("Essential container in task exited")
        );
        assert_eq!(crashed.task.containers()[0].exit_code(), Some(3));
        assert_eq!(
            kit.tasks_of("web", &new),
            (1, 0, 0),
            "relaunched, no back-off"
        );
        assert!(
            !kit.messages("web")
                .iter()
                .any(|m| m.contains("unable to consistently start")),
            "not throttled"
        );
        // It had been healthy (RUNNING without a check): not a circuit-breaker failure.
        assert_eq!(kit.service("web").service.deployments()[0].failed_tasks, 0);
    }

    // ECS developer guide, "task health": with a container health check the crashing task is
    // never HEALTHY, so it never counts: the old task keeps running and nothing completes.
    #[test]
    fn a_checked_image_that_crashes_before_its_first_check_keeps_the_old_task() {
        let world =
            format!("{WORLD}containers:\n  - {{image: \"*:crash*\", crashAfterSeconds: 5}}\n");
        let mut kit = Kit::new(&world);
        kit.steady_service(1, dc(), "web:2");
        let old = kit.deployment_ids("web")[0].clone();
        let crash = register_checked(&mut kit, "web:crash", check(10));
        let new = kit.update(20.0, &crash);
        for t in [30.0, 35.0, 45.0, 50.0, 60.0, 600.0] {
            kit.step(t);
            assert_eq!(kit.tasks_of("web", &old), (0, 1, 0), "old task kept at {t}");
            assert_eq!(
                rollout_state(&kit),
                Some(DeploymentRolloutState::InProgress)
            );
        }
        assert!(kit.service("web").service.deployments()[0].failed_tasks > 0);
        let _ = new;
    }
}
