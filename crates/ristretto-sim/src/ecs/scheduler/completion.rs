//! The end of a deployment and the numbers clients watch: the PRIMARY deployment becomes
//! COMPLETED once it runs the desired count alone (older deployments are dropped when their last
//! task has stopped), and the counts of the service, its deployments, current revisions and
//! service deployments are refreshed after every pass (API_Deployment, API_ServiceDeployment).

use aws_sdk_ecs::types::{
    DeploymentRolloutState, ServiceCurrentRevisionSummary, ServiceDeploymentLifecycleStage,
    ServiceDeploymentRollbackMonitorsStatus, ServiceDeploymentStatus, ServiceRevisionSummary,
};

use super::events::push_event;
use super::{counts, healthy_count, svc_name, ts};
use crate::clock::Epoch;
use crate::ecs::{LastGood, Rollout, ServiceRecord};
use crate::state::Ids;

/// Completes the PRIMARY deployment once it runs the desired count alone.
pub(super) fn complete_if_done(svc: &mut ServiceRecord, ids: &mut Ids, now: Epoch) {
    let Some(primary) = svc.rollouts.first().cloned() else {
        return;
    };
    // Drop older deployments once their last task has stopped.
    let alive_owners: Vec<String> = svc
        .tasks
        .values()
        .filter(|t| !t.is_stopped())
        .filter_map(|t| t.owner.clone())
        .collect();
    let keep: Vec<bool> = svc
        .rollouts
        .iter()
        .enumerate()
        .map(|(i, r)| i == 0 || alive_owners.contains(&r.deployment_id))
        .collect();
    if keep.iter().any(|k| !k) {
        let mut i = 0;
        svc.rollouts.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        if let Some(ds) = svc.service.deployments.as_mut() {
            let mut i = 0;
            ds.retain(|_| {
                i += 1;
                keep.get(i - 1).copied().unwrap_or(false)
            });
        }
    }
    let Some(d) = svc.service.deployments().first() else {
        return;
    };
    if d.rollout_state() != Some(&DeploymentRolloutState::InProgress) {
        return;
    }
    let desired = svc.service.desired_count;
    let (pending, running) = counts(svc, &primary.deployment_id);
    let native_pending = primary.stage.as_deref().is_some_and(|s| s != "CLEAN_UP");
    // Only healthy tasks count (ECS developer guide, "task health").
    let healthy = healthy_count(svc, &primary.deployment_id);
    if svc.rollouts.len() > 1
        || pending > 0
        || running != desired
        || healthy != desired
        || native_pending
    {
        return;
    }
    let name = svc_name(svc);
    if let Some(d) = svc.service.deployments.iter_mut().flatten().next() {
        d.rollout_state = Some(DeploymentRolloutState::Completed);
        // A completed rollback keeps saying why it happened.
        if !primary.is_rollback {
            d.rollout_state_reason = Some(format!(
                "ECS deployment {} completed.",
                primary.deployment_id
            ));
        }
        d.updated_at = Some(ts(now));
    }
    if let Some(r) = svc.rollouts.first_mut() {
        r.stage = None;
        r.traffic = 100.0;
    }
    if let Some(sd) = svc
        .service_deployments
        .iter_mut()
        .find(|sd| sd.service_deployment_arn() == Some(primary.service_deployment_arn.as_str()))
    {
        sd.status = Some(if primary.is_rollback {
            ServiceDeploymentStatus::RollbackSuccessful
        } else {
            ServiceDeploymentStatus::Successful
        });
        sd.finished_at = Some(ts(now));
        sd.updated_at = Some(ts(now));
        sd.lifecycle_stage = None;
        // A native strategy ends with all production traffic on the target revision, a
        // rolled-back one with all of it on the source revision (blue).
        let target_weight = if primary.is_rollback { 0.0 } else { 100.0 };
        if let Some(t) = sd.target_service_revision.as_mut()
            && t.requested_production_traffic_weight.is_some()
        {
            t.requested_production_traffic_weight = Some(target_weight);
            for s in sd.source_service_revisions.iter_mut().flatten() {
                s.requested_production_traffic_weight = Some(100.0 - target_weight);
            }
        }
        if let Some(cb) = sd.deployment_circuit_breaker.as_mut()
            && cb.status() == Some(&ServiceDeploymentRollbackMonitorsStatus::Monitoring)
        {
            cb.status = Some(ServiceDeploymentRollbackMonitorsStatus::MonitoringComplete);
        }
    }
    let td = svc
        .service
        .deployments()
        .first()
        .and_then(|d| d.task_definition())
        .unwrap_or_default()
        .to_owned();
    svc.last_good = Some(LastGood {
        deployment_id: primary.deployment_id.clone(),
        task_definition: td,
        revision_arn: primary.revision_arn.clone(),
    });
    push_event(
        svc,
        ids,
        now,
        format!(
            "(service {name}) (deployment {}) deployment completed.",
            primary.deployment_id
        ),
    );
}

/// Refreshes the counts of the service, its deployments, revisions and service deployments.
pub(super) fn update_counts(svc: &mut ServiceRecord, now: Epoch) {
    let mut total = (0, 0);
    let mut per: Vec<(String, i32, i32)> = Vec::new();
    for r in &svc.rollouts {
        let (p, run) = counts(svc, &r.deployment_id);
        total.0 += p;
        total.1 += run;
        per.push((r.deployment_id.clone(), p, run));
    }
    let desired = svc.service.desired_count;
    let mut changed = false;
    for (i, d) in svc.service.deployments.iter_mut().flatten().enumerate() {
        let Some((_, p, run)) = per.get(i) else {
            continue;
        };
        let want_desired = if i == 0 { desired } else { p + run };
        if d.pending_count != *p || d.running_count != *run || d.desired_count != want_desired {
            d.pending_count = *p;
            d.running_count = *run;
            d.desired_count = want_desired;
            d.updated_at = Some(ts(now));
            changed = true;
        }
    }
    svc.service.pending_count = total.0;
    svc.service.running_count = total.1;
    // Current revisions and the service deployments in progress.
    let summaries: Vec<ServiceCurrentRevisionSummary> = svc
        .rollouts
        .iter()
        .zip(svc.service.deployments())
        .map(|(r, d)| {
            ServiceCurrentRevisionSummary::builder()
                .arn(&r.revision_arn)
                .requested_task_count(d.desired_count)
                .running_task_count(d.running_count)
                .pending_task_count(d.pending_count)
                .build()
        })
        .collect();
    svc.service.current_service_revisions = Some(summaries.clone());
    let stage_of = |r: &Rollout| -> Option<ServiceDeploymentLifecycleStage> {
        r.stage
            .as_deref()
            .map(ServiceDeploymentLifecycleStage::from)
    };
    let primary = svc.rollouts.first().cloned();
    for sd in &mut svc.service_deployments {
        if !matches!(
            sd.status(),
            Some(ServiceDeploymentStatus::InProgress | ServiceDeploymentStatus::RollbackInProgress)
        ) {
            continue;
        }
        let summary = |arn: &str, traffic: Option<f64>| {
            let s = summaries.iter().find(|s| s.arn() == Some(arn));
            ServiceRevisionSummary::builder()
                .arn(arn)
                .requested_task_count(s.map_or(0, |s| s.requested_task_count))
                .running_task_count(s.map_or(0, |s| s.running_task_count))
                .pending_task_count(s.map_or(0, |s| s.pending_task_count))
                .set_requested_production_traffic_weight(traffic)
                .build()
        };
        // Native strategies: the target's share of production traffic; a rollback of a
        // native deployment puts all of it back on the source revision.
        let shifted = sd
            .target_service_revision()
            .and_then(|t| t.requested_production_traffic_weight())
            .is_some();
        let green_traffic = match primary.as_ref() {
            Some(p) if p.stage.is_some() => Some(p.traffic),
            Some(p) if p.is_rollback && shifted => Some(0.0),
            _ => None,
        };
        if let Some(target) = sd
            .target_service_revision
            .as_ref()
            .and_then(|t| t.arn())
            .map(str::to_owned)
        {
            sd.target_service_revision = Some(summary(&target, green_traffic));
        }
        if let Some(sources) = sd.source_service_revisions.as_mut() {
            for s in sources.iter_mut() {
                if let Some(arn) = s.arn().map(str::to_owned) {
                    *s = summary(&arn, green_traffic.map(|g| 100.0 - g));
                }
            }
        }
        if let Some(p) = primary.as_ref().filter(|p| {
            p.service_deployment_arn.as_str() == sd.service_deployment_arn().unwrap_or_default()
        }) {
            sd.lifecycle_stage = stage_of(p);
        }
        if changed {
            sd.updated_at = Some(ts(now));
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{DeploymentRolloutState, ServiceDeploymentStatus};
    use serde_json::json;

    use crate::testkit::{Kit, WORLD};

    // API_Deployment (rolloutState COMPLETED "when the service reaches a steady state") and the
    // ECS developer guide, "service-event-messages": the deployment completes once it runs the
    // desired count alone; the drained old deployment disappears from `deployments`.
    #[test]
    fn deployment_completes_once_the_old_one_is_drained() {
        let mut kit = Kit::new(WORLD);
        let dc = json!({"minimumHealthyPercent": 100, "maximumPercent": 200});
        let (_, v2) = kit.steady_service(1, dc, "web:2");
        let new = kit.update(20.0, &v2);
        kit.step(30.0); // new running, old stopping
        let s = &kit.service("web").service;
        assert_eq!(s.deployments().len(), 2);
        assert_eq!(
            s.deployments()[0].rollout_state(),
            Some(&DeploymentRolloutState::InProgress)
        );

        kit.step(32.0); // old stopped
        let svc = kit.service("web");
        let s = &svc.service;
        assert_eq!(s.deployments().len(), 1, "the old deployment is drained");
        let d = &s.deployments()[0];
        assert_eq!(d.id(), Some(new.as_str()));
        assert_eq!(d.rollout_state(), Some(&DeploymentRolloutState::Completed));
        let reason = format!("ECS deployment {new} completed.");
        assert_eq!(d.rollout_state_reason(), Some(reason.as_str()));
        assert_eq!((s.running_count, s.pending_count), (1, 0));
        assert_eq!(
            svc.service_deployments.last().and_then(|sd| sd.status()),
            Some(&ServiceDeploymentStatus::Successful)
        );
        assert_eq!(
            svc.last_good.as_ref().map(|g| g.task_definition.as_str()),
            Some(v2.as_str())
        );
        let events = kit.messages("web");
        let n = events.len();
        assert_eq!(
            events[n - 2],
            format!("(service web) (deployment {new}) deployment completed.")
        );
        assert_eq!(events[n - 1], "(service web) has reached a steady state.");
    }
}
