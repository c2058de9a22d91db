//! Services with the `CODE_DEPLOY` or `EXTERNAL` deployment controller (API_TaskSet): each task
//! set is kept at its computed desired count (`scale` percent of the service's desired count,
//! rounded up), tasks of deleted task sets are stopped, drained DRAINING sets disappear, and each
//! set reports its counts and `stabilityStatus`.

use aws_sdk_ecs::types::StabilityStatus;

use super::events::report;
use super::launch::{launch_td, stop_some, stop_tasks};
use super::{Place, counts, svc_name, ts};
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
        per.push((p, r, *computed));
    }
    let mut drained = Vec::new();
    for (ts_, (p, r, computed)) in svc.service.task_sets.iter_mut().flatten().zip(per) {
        let stable = p == 0 && r == computed;
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
}
