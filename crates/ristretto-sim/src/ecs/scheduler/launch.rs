//! Starting and stopping a service's tasks: the two primitives every deployment mechanism
//! (rolling, native strategies, task sets, draining) is built from.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{LaunchType, TaskStopCode};

use super::{Place, svc_name};
use crate::clock::Epoch;
use crate::ecs::tasks::{TaskSpec, new_task};
use crate::ecs::{ServiceRecord, TaskRecord};
use crate::state::Ids;

pub(super) fn launch(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    place: &Place<'_>,
    owner: &str,
) -> Option<String> {
    let td_arn = svc
        .service
        .deployments()
        .iter()
        .find(|d| d.id() == Some(owner))
        .and_then(|d| d.task_definition())
        .or_else(|| {
            svc.service
                .task_sets()
                .iter()
                .find(|t| t.id() == Some(owner))
                .and_then(|t| t.task_definition())
        })?
        .to_owned();
    launch_td(svc, ids, place, owner, &td_arn)
}

pub(super) fn launch_td(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    place: &Place<'_>,
    owner: &str,
    td_arn: &str,
) -> Option<String> {
    let tail = crate::ecs::short_name(td_arn);
    let (family, rev) = tail.rsplit_once(':')?;
    let td = place
        .tds
        .get(family)?
        .get(rev.parse::<usize>().ok()?.checked_sub(1)?)?
        .task_definition
        .0
        .clone();
    let name = svc_name(svc);
    let tags = if svc.service.propagate_tags().map(|p| p.as_str()) == Some("SERVICE") {
        svc.service.tags().to_vec()
    } else {
        Vec::new()
    };
    let rec = new_task(
        ids,
        place.ctx,
        place.rules,
        TaskSpec {
            cluster_arn: place.cluster_arn,
            cluster: place.cluster,
            task_definition: &td,
            started_by: Some(owner.to_owned()),
            group: format!("service:{name}"),
            launch_type: svc
                .service
                .launch_type()
                .cloned()
                .or(Some(LaunchType::Fargate)),
            owner: Some(owner.to_owned()),
            tags,
        },
    );
    let id = rec.id().to_owned();
    svc.tasks.insert(id.clone(), rec);
    Some(id)
}

/// Stops up to `n` alive tasks of `owner`, pending ones first.
pub(super) fn stop_some(
    svc: &mut ServiceRecord,
    owner: &str,
    n: usize,
    now: Epoch,
    delay: f64,
    reason: &str,
) -> Vec<String> {
    let mut ids: Vec<(bool, String)> = svc
        .tasks
        .values()
        .filter(|t| t.is_alive() && t.owner.as_deref() == Some(owner))
        .map(|t| (t.is_running(), t.id().to_owned()))
        .collect();
    ids.sort();
    let reason = reason.replace("{id}", owner);
    let ids: Vec<String> = ids.into_iter().take(n).map(|(_, id)| id).collect();
    stop_tasks(&mut svc.tasks, &ids, now, delay, &reason);
    ids
}

/// Asks the tasks `ids` to stop, as the service scheduler does (`ServiceSchedulerInitiated`,
/// STOPPED `delay` world seconds later). Tasks already stopping are left alone.
pub(super) fn stop_tasks(
    tasks: &mut BTreeMap<String, TaskRecord>,
    ids: &[String],
    now: Epoch,
    delay: f64,
    reason: &str,
) {
    for id in ids {
        if let Some(t) = tasks.get_mut(id) {
            t.request_stop(now, delay, TaskStopCode::ServiceSchedulerInitiated, reason);
        }
    }
}

/// The IDs of the alive tasks that `pick` selects, in task ID order.
pub(super) fn alive_ids(
    tasks: &BTreeMap<String, TaskRecord>,
    pick: impl Fn(&TaskRecord) -> bool,
) -> Vec<String> {
    tasks
        .values()
        .filter(|t| t.is_alive() && pick(t))
        .map(|t| t.id().to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::stop_some;
    use crate::testkit::{Kit, WORLD};

    // Scaling in stops tasks that are not running yet before running ones (they serve nothing).
    #[test]
    fn scaling_in_stops_pending_tasks_first() {
        let mut kit = Kit::new(WORLD);
        let dc = json!({"minimumHealthyPercent": 100, "maximumPercent": 200});
        kit.steady_service(2, dc, "web:2");
        let owner = kit.deployment_ids("web")[0].clone();
        kit.call(
            "ecs",
            "UpdateService",
            20.0,
            json!({"service": "web", "desiredCount": 4}),
        );
        assert_eq!(kit.tasks_of("web", &owner), (2, 2, 0));
        let now = kit.t0 + 21.0;
        let stopped = stop_some(kit.service_mut("web"), &owner, 3, now, 2.0, "because");
        assert_eq!(stopped.len(), 3);
        assert_eq!(
            kit.tasks_of("web", &owner),
            (0, 1, 3),
            "both pending, then one running"
        );
        let reasons: Vec<_> = kit
            .service("web")
            .tasks
            .values()
            .filter(|t| stopped.iter().any(|id| id == t.id()))
            .map(|t| t.task.stopped_reason().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(reasons, ["because"; 3]);
    }
}
