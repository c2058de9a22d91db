//! The rolling update (`ECS` controller, strategy `ROLLING`; API_DeploymentConfiguration):
//! the PRIMARY deployment is scaled up without exceeding `maximumPercent` of the desired count in
//! RUNNING + PENDING tasks (rounded down), and the tasks of older deployments are stopped while
//! at least `minimumHealthyPercent` of it stays RUNNING (rounded up). Native strategies share the
//! scale-up and hand the rest to [`super::native`].

use aws_sdk_ecs::types::DeploymentStrategy;

use super::events::report;
use super::launch::{alive_ids, launch, stop_some, stop_tasks};
use super::native::{Walk, advance_stages, may_scale_up};
use super::{Place, ceil_pct, counts, floor_pct, healthy_count, strategy, svc_name};
use crate::clock::Epoch;
use crate::ecs::{ServiceRecord, TaskRecord};
use crate::state::Ids;

/// One pass over the deployments of an `ECS`-controller service: scale the PRIMARY deployment,
/// then drain the older ones (rolling) or walk the native strategy's stages.
pub(super) fn reconcile_deployments(svc: &mut ServiceRecord, ids: &mut Ids, place: &Place<'_>) {
    let now = place.ctx.now;
    let name = svc_name(svc);
    let stop_delay = place.rules.stop_delay();
    if svc.service.status() != Some("ACTIVE") {
        // DeleteService: every task goes.
        let stopped = alive_ids(&svc.tasks, |_| true);
        stop_tasks(
            &mut svc.tasks,
            &stopped,
            now,
            stop_delay,
            "Service is being deleted",
        );
        report(svc, ids, now, &name, &[], &stopped);
        return;
    }
    let Some(mut primary) = svc.rollouts.first().cloned() else {
        return;
    };
    let desired = svc.service.desired_count.max(0);
    let native = !primary.is_rollback && strategy(svc) != DeploymentStrategy::Rolling;
    let old_alive = svc
        .tasks
        .values()
        .any(|t| t.is_alive() && t.owner.as_deref() != Some(primary.deployment_id.as_str()));
    let mut stopped = Vec::new();
    // Native strategies walk their lifecycle stages first: green starts only from SCALE_UP.
    let walking = native && old_alive && !primary.halted;
    if walking {
        let (p_pending, _) = counts(svc, &primary.deployment_id);
        let green_ready = healthy_count(svc, &primary.deployment_id) >= desired && p_pending == 0;
        let mut walk = Walk {
            ids,
            rules: place.rules,
            now,
            green_ready,
            stop_delay,
        };
        let rolled_back = advance_stages(svc, &mut walk, &mut stopped);
        match svc.rollouts.first().cloned() {
            Some(p) => primary = p,
            None => return,
        }
        if rolled_back {
            stopped.extend(drain_old(
                svc,
                &primary.deployment_id,
                desired,
                now,
                stop_delay,
            ));
            report(svc, ids, now, &name, &[], &stopped);
            return;
        }
    }
    let mut started = Vec::new();
    let may_launch = !walking || may_scale_up(primary.stage.as_deref());
    if !primary.halted && now >= primary.launch_after && may_launch {
        // Native strategies start the whole green deployment beside blue.
        let unbounded = native && old_alive;
        started = scale_up(svc, ids, place, &primary.deployment_id, desired, unbounded);
    }
    let (p_pending, p_running) = counts(svc, &primary.deployment_id);
    if p_pending + p_running > desired {
        let extra = (p_pending + p_running - desired) as usize;
        stopped.extend(stop_some(
            svc,
            &primary.deployment_id,
            extra,
            now,
            stop_delay,
            "Scaling activity initiated by (deployment {id})",
        ));
    }
    if !walking && (!primary.halted || primary.is_rollback) {
        stopped.extend(drain_old(
            svc,
            &primary.deployment_id,
            desired,
            now,
            stop_delay,
        ));
    }
    report(svc, ids, now, &name, &started, &stopped);
}

/// The limits of a rolling update: `(maximumPercent, minimumHealthyPercent)`, 200 and 100 by
/// default (API_DeploymentConfiguration).
fn limits(svc: &ServiceRecord) -> (i32, i32) {
    let dc = svc.service.deployment_configuration();
    let max_pct = dc.and_then(|c| c.maximum_percent()).unwrap_or(200);
    let min_pct = dc.and_then(|c| c.minimum_healthy_percent()).unwrap_or(100);
    (max_pct, min_pct)
}

/// Starts tasks of `owner` up to `desired`, keeping every alive task of the service within
/// `maximumPercent` of `desired` (rounded down, at least 1) unless `unbounded`.
fn scale_up(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    place: &Place<'_>,
    owner: &str,
    desired: i32,
    unbounded: bool,
) -> Vec<String> {
    let (pending, running) = counts(svc, owner);
    let have = pending + running;
    if have >= desired {
        return Vec::new();
    }
    let room = if unbounded {
        desired - have
    } else {
        let total_alive = svc.tasks.values().filter(|t| t.is_alive()).count() as i32;
        floor_pct(desired, limits(svc).0).max(1) - total_alive
    };
    let n = (desired - have).min(room);
    (0..n.max(0))
        .filter_map(|_| launch(svc, ids, place, owner))
        .collect()
}

/// Stops the tasks of older deployments while at least `minimumHealthyPercent` of `desired`
/// (rounded up) stays RUNNING; old tasks not yet running are never healthy and go first.
fn drain_old(
    svc: &mut ServiceRecord,
    primary: &str,
    desired: i32,
    now: Epoch,
    stop_delay: f64,
) -> Vec<String> {
    let min_healthy = ceil_pct(desired, limits(svc).1);
    let owners: Vec<&str> = svc
        .rollouts
        .iter()
        .skip(1)
        .map(|r| r.deployment_id.as_str())
        .collect();
    let is_old = |t: &TaskRecord| t.owner.as_deref().is_none_or(|o| owners.contains(&o));
    let pending_old = alive_ids(&svc.tasks, |t| t.is_pending() && is_old(t));
    // minimumHealthyPercent counts healthy tasks (RUNNING, and HEALTHY with a health check).
    let healthy = svc.tasks.values().filter(|t| t.is_healthy()).count() as i32;
    let can_stop = (healthy - min_healthy).max(0) as usize;
    let mut running_old = alive_ids(&svc.tasks, |t| t.is_running() && is_old(t));
    running_old.truncate(can_stop);
    let reason = format!("Scaling activity initiated by (deployment {primary})");
    let mut stopped = pending_old;
    stopped.extend(running_old);
    stop_tasks(&mut svc.tasks, &stopped, now, stop_delay, &reason);
    stopped
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testkit::{Kit, WORLD};

    // API_DeploymentConfiguration: "maximumPercent ... rounded down", "minimumHealthyPercent ...
    // rounded up". Desired 4 at 50/100: at most 4 tasks alive, at least 2 running, so the
    // scheduler stops two old tasks, starts two new ones in their place, and repeats.
    #[test]
    fn desired_4_at_50_100_replaces_two_at_a_time() {
        let mut kit = Kit::new(WORLD);
        let dc = json!({"minimumHealthyPercent": 50, "maximumPercent": 100});
        let (_, v2) = kit.steady_service(4, dc, "web:2");
        let old = kit.deployment_ids("web")[0].clone();
        assert_eq!(kit.tasks_of("web", &old), (0, 4, 0));

        let new = kit.update(20.0, &v2);
        assert_eq!(kit.tasks_of("web", &new), (0, 0, 0), "no room above 100 %");
        assert_eq!(
            kit.tasks_of("web", &old),
            (0, 2, 2),
            "two stopped, two kept"
        );

        kit.step(22.0); // the two stops complete: room for two new tasks
        assert_eq!(kit.tasks_of("web", &new), (2, 0, 0));
        assert_eq!(kit.tasks_of("web", &old), (0, 2, 0));

        kit.step(32.0); // the new ones run: the last two old ones may stop
        assert_eq!(kit.tasks_of("web", &new), (0, 2, 0));
        assert_eq!(kit.tasks_of("web", &old), (0, 0, 2));

        kit.step(34.0);
        assert_eq!(kit.tasks_of("web", &new), (2, 2, 0));
        assert_eq!(kit.tasks_of("web", &old), (0, 0, 0));

        kit.step(44.0);
        assert_eq!(kit.tasks_of("web", &new), (0, 4, 0));
        assert_eq!(kit.deployment_ids("web"), [new]);
    }

    // API_DeploymentConfiguration: desired 1 at 100/200 may run 2 tasks and must keep 1 running,
    // so the new task starts first and the old one stops only once it runs.
    #[test]
    fn desired_1_at_100_200_starts_then_stops() {
        let mut kit = Kit::new(WORLD);
        let dc = json!({"minimumHealthyPercent": 100, "maximumPercent": 200});
        let (_, v2) = kit.steady_service(1, dc, "web:2");
        let old = kit.deployment_ids("web")[0].clone();

        let new = kit.update(20.0, &v2);
        assert_eq!(kit.tasks_of("web", &new), (1, 0, 0));
        assert_eq!(kit.tasks_of("web", &old), (0, 1, 0));

        kit.step(29.0); // still starting: nothing changes
        assert_eq!(kit.tasks_of("web", &old), (0, 1, 0));

        kit.step(30.0);
        assert_eq!(kit.tasks_of("web", &new), (0, 1, 0));
        assert_eq!(kit.tasks_of("web", &old), (0, 0, 1));
        let stopping = kit
            .service("web")
            .tasks
            .values()
            .find(|t| t.owner.as_deref() == Some(old.as_str()))
            .map(|t| t.task.stopped_reason().unwrap_or_default().to_owned());
        assert_eq!(
            stopping.as_deref(),
            Some(format!("Scaling activity initiated by (deployment {new})").as_str())
        );
    }

    // API_DeploymentConfiguration: maximumPercent is rounded down (desired 3 at 150 % → 4 tasks).
    #[test]
    fn maximum_percent_rounds_down() {
        let mut kit = Kit::new(WORLD);
        let dc = json!({"minimumHealthyPercent": 100, "maximumPercent": 150});
        let (_, v2) = kit.steady_service(3, dc, "web:2");
        let new = kit.update(20.0, &v2);
        assert_eq!(kit.tasks_of("web", &new), (1, 0, 0));
    }
}
