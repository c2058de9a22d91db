//! Services with the `CODE_DEPLOY` or `EXTERNAL` deployment controller (API_TaskSet): each task
//! set is kept at its computed desired count (`scale` percent of the service's desired count,
//! rounded up), tasks of deleted task sets are stopped, drained DRAINING sets disappear, and each
//! set reports its counts and `stabilityStatus`: STEADY_STATE once `runningCount` equals
//! `computedDesiredCount`, `pendingCount` is 0 and every task reports healthy (API_TaskSet,
//! `stabilityStatus`: "All tasks are reporting a healthy status from the load balancers, service
//! discovery, and container health checks"), so a green task set whose container health checks
//! fail never becomes ready for CodeDeploy's traffic shift.

use aws_sdk_ecs::types::StabilityStatus;

use super::events::report;
use super::launch::{launch_td, stop_some, stop_tasks};
use super::{Place, counts, healthy_count, svc_name, ts};
use crate::ecs::ServiceRecord;
use crate::state::Ids;

pub(super) fn reconcile_task_sets(svc: &mut ServiceRecord, ids: &mut Ids, place: &Place<'_>) {
    let now = place.ctx.now;
    let draining = svc.service.status() != Some("ACTIVE");
    let desired = if draining {
        0
    } else {
        svc.service.desired_count.max(0)
    };
    let name = svc_name(svc);
    let stop_delay = place.rules.stop_delay();
    let mut stopped = Vec::new();
    let sets: Vec<(String, String, i32)> = svc
        .service
        .task_sets()
        .iter()
        .map(|ts| {
            let computed = if draining || ts.status() == Some("DRAINING") {
                0
            } else {
                let pct = ts.scale().map_or(100.0, |s| s.value).clamp(0.0, 100.0);
                (f64::from(desired) * pct / 100.0).ceil() as i32
            };
            (
                ts.id().unwrap_or_default().to_owned(),
                ts.task_definition().unwrap_or_default().to_owned(),
                computed,
            )
        })
        .collect();
    // Task-set services name the task set in their events, as AWS does.
    for (id, td, computed) in &sets {
        let (p, r) = counts(svc, id);
        let (mut set_started, mut set_stopped) = (Vec::new(), Vec::new());
        if p + r < *computed {
            for _ in 0..(computed - p - r) {
                if let Some(t) = launch_td(svc, ids, place, id, td) {
                    set_started.push(t);
                }
            }
        } else if p + r > *computed {
            set_stopped.extend(stop_some(
                svc,
                id,
                (p + r - computed) as usize,
                now,
                stop_delay,
                "Scaling activity initiated by (deployment {id})",
            ));
        }
        let label = format!("{name}, taskSet {id}");
        report(svc, ids, now, &label, &set_started, &set_stopped);
    }
    // Tasks of deleted task sets.
    let known: Vec<&String> = sets.iter().map(|s| &s.0).collect();
    let orphans: Vec<String> = svc
        .tasks
        .values()
        .filter(|t| t.is_alive() && t.owner.as_ref().is_none_or(|o| !known.contains(&o)))
        .map(|t| t.id().to_owned())
        .collect();
    stop_tasks(
        &mut svc.tasks,
        &orphans,
        now,
        stop_delay,
        "Task set was deleted",
    );
    stopped.extend(orphans);
    report(svc, ids, now, &name, &[], &stopped);
    // Counts and stability.
    let mut total = (0, 0);
    let mut per = Vec::new();
    for (id, _, computed) in &sets {
        let (p, r) = counts(svc, id);
        total.0 += p;
        total.1 += r;
        per.push((p, r, *computed, healthy_count(svc, id)));
    }
    let mut drained = Vec::new();
    for (ts_, (p, r, computed, healthy)) in svc.service.task_sets.iter_mut().flatten().zip(per) {
        // `runningCount` is every RUNNING task; only healthy ones make the set steady.
        let stable = p == 0 && r == computed && healthy == r;
        let status = if stable {
            StabilityStatus::SteadyState
        } else {
            StabilityStatus::Stabilizing
        };
        if ts_.pending_count != p
            || ts_.running_count != r
            || ts_.computed_desired_count != computed
            || ts_.stability_status() != Some(&status)
        {
            ts_.pending_count = p;
            ts_.running_count = r;
            ts_.computed_desired_count = computed;
            ts_.stability_status = Some(status);
            ts_.stability_status_at = Some(ts(now));
            ts_.updated_at = Some(ts(now));
        }
        if ts_.status() == Some("DRAINING") && p + r == 0 {
            drained.push(ts_.id().unwrap_or_default().to_owned());
        }
    }
    if let Some(sets) = svc.service.task_sets.as_mut() {
        sets.retain(|t| !drained.iter().any(|d| Some(d.as_str()) == t.id()));
    }
    svc.service.pending_count = total.0;
    svc.service.running_count = total.1;
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::StabilityStatus;
    use serde_json::json;

    use crate::testkit::{Kit, WORLD};

    // API_TaskSet: computedDesiredCount is `scale` percent of the service's desired count,
    // rounded up; stabilityStatus is STEADY_STATE once that many tasks run.
    #[test]
    fn task_sets_are_kept_at_their_computed_desired_count() {
        let mut kit = Kit::new(WORLD);
        let (_, v2) = kit.code_deploy_service();
        let out = kit.call(
            "ecs",
            "CreateTaskSet",
            20.0,
            json!({
                "service": "web",
                "cluster": "default",
                "taskDefinition": v2,
                "scale": {"value": 50.0, "unit": "PERCENT"},
            }),
        );
        let green = out["taskSet"]["id"].as_str().expect("ID").to_owned();
        let set = |kit: &Kit| {
            kit.service("web")
                .service
                .task_sets()
                .iter()
                .find(|t| t.id() == Some(green.as_str()))
                .cloned()
                .expect("task set")
        };
        assert_eq!(set(&kit).computed_desired_count, 1, "50 % of 2");
        assert_eq!(
            set(&kit).stability_status(),
            Some(&StabilityStatus::Stabilizing)
        );
        kit.step(30.0);
        assert_eq!(set(&kit).running_count, 1);
        assert_eq!(
            set(&kit).stability_status(),
            Some(&StabilityStatus::SteadyState)
        );
        assert_eq!(kit.service("web").service.running_count, 3);
    }

    /// Registers `web` with one essential container of `image` and a container health check
    /// whose first check runs 10 s after RUNNING; returns its ARN.
    fn register_checked(kit: &mut Kit, image: &str) -> String {
        kit.register_container(
            "web",
            json!({
                "name": "app", "image": image, "essential": true,
                "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 10, "retries": 3},
            }),
        )
    }

    fn create_set(kit: &mut Kit, at: f64, td: &str) -> String {
        let out = kit.call(
            "ecs",
            "CreateTaskSet",
            at,
            json!({"service": "web", "cluster": "default", "taskDefinition": td}),
        );
        out["taskSet"]["id"].as_str().expect("ID").to_owned()
    }

    fn set(kit: &Kit, id: &str) -> aws_sdk_ecs::types::TaskSet {
        kit.service("web")
            .service
            .task_sets()
            .iter()
            .find(|t| t.id() == Some(id))
            .cloned()
            .expect("task set")
    }

    // API_TaskSet, `stabilityStatus`: STEADY_STATE needs runningCount = computedDesiredCount,
    // pendingCount 0 and "All tasks are reporting a healthy status from the load balancers,
    // service discovery, and container health checks"; `runningCount` counts RUNNING tasks.
    // A task with a container health check is healthy after its first passing check
    // (API_HealthCheck: the first check runs `interval` seconds after the container starts).
    #[test]
    fn a_task_set_is_steady_only_once_its_tasks_pass_their_health_checks() {
        let mut kit = Kit::new(WORLD);
        kit.code_deploy_service();
        let checked = register_checked(&mut kit, "web:3");
        let green = create_set(&mut kit, 20.0, &checked);
        kit.step(30.0); // RUNNING, first check not yet run
        assert_eq!(set(&kit, &green).running_count, 2);
        assert_eq!(set(&kit, &green).pending_count, 0);
        assert_eq!(
            set(&kit, &green).stability_status(),
            Some(&StabilityStatus::Stabilizing),
            "RUNNING but not yet healthy"
        );
        kit.step(40.0); // the first check passed
        assert_eq!(
            set(&kit, &green).stability_status(),
            Some(&StabilityStatus::SteadyState)
        );
    }

    // API_HealthCheck: "For tasks that are part of a service, if the task reports as unhealthy
    // then the task will be stopped and the service scheduler will replace it" — task sets'
    // tasks included; such a set never reaches STEADY_STATE (API_TaskSet `stabilityStatus`).
    #[test]
    fn an_unhealthy_task_set_is_replaced_and_never_steady() {
        let mut kit = Kit::new(&format!(
            "{WORLD}containers: [{{image: \"*:sick\", healthy: false}}]\n"
        ));
        kit.code_deploy_service();
        let sick = register_checked(&mut kit, "web:sick");
        let green = create_set(&mut kit, 20.0, &sick);
        let mut statuses = Vec::new();
        for t in (30..=200).step_by(10) {
            kit.step(f64::from(t));
            statuses.push(set(&kit, &green).stability_status().cloned());
        }
        assert!(
            statuses
                .iter()
                .all(|s| s.as_ref() == Some(&StabilityStatus::Stabilizing)),
            "{statuses:?}"
        );
        let replaced = kit
            .service("web")
            .tasks
            .values()
            .filter(|t| {
                t.owner.as_deref() == Some(green.as_str())
                    && t.task.stopped_reason() == Some("Task failed container health checks")
            })
            .count();
        assert!(
            replaced >= 2,
            "unhealthy tasks are stopped and replaced: {replaced}"
        );
    }
}
