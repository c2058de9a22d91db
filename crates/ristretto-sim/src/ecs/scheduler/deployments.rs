//! Creating deployments: a new PRIMARY deployment for UpdateService/CreateService, and the
//! reinstated one of a rollback (circuit breaker, StopServiceDeployment). The scheduler's other
//! modules only move deployments that exist; this one makes them.

use aws_sdk_ecs::types::{
    Deployment, DeploymentRolloutState, ServiceDeploymentRollbackMonitorsStatus,
    ServiceDeploymentStatus, ServiceRevisionSummary,
};

use super::circuit_breaker::breaker;
use super::{svc_name, ts};
use crate::clock::Epoch;
use crate::ecs::{LastGood, Rollout, ServiceRecord};
use crate::state::{Ctx, Ids};

/// Creates a new PRIMARY deployment of `task_definition`, the previous ones becoming ACTIVE.
/// Returns the new deployment's ID.
pub fn start_deployment(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    ctx: &Ctx,
    task_definition: &str,
    container_images: Vec<aws_sdk_ecs::types::ContainerImage>,
) -> String {
    let now = ctx.now;
    let id = format!("ecs-svc/{}", ids.digits_id());
    let s = &svc.service;
    let cluster = crate::ecs::short_name(s.cluster_arn().unwrap_or_default()).to_owned();
    let name = svc_name(svc);
    let revision_arn = ctx.arn(
        "ecs",
        &format!("service-revision/{cluster}/{name}/{}", ids.digits_id()),
    );
    let sd_arn = ctx.arn(
        "ecs",
        &format!("service-deployment/{cluster}/{name}/{}", ids.alnum_id(22)),
    );
    let revision = aws_sdk_ecs::types::ServiceRevision::builder()
        .service_revision_arn(&revision_arn)
        .set_service_arn(s.service_arn().map(str::to_owned))
        .set_cluster_arn(s.cluster_arn().map(str::to_owned))
        .task_definition(task_definition)
        .set_capacity_provider_strategy(s.capacity_provider_strategy.clone())
        .set_launch_type(s.launch_type().cloned())
        .set_platform_version(s.platform_version().map(str::to_owned))
        .set_platform_family(s.platform_family().map(str::to_owned))
        .set_load_balancers(s.load_balancers.clone())
        .set_service_registries(s.service_registries.clone())
        .set_network_configuration(s.network_configuration().cloned())
        .set_container_images(Some(container_images))
        .created_at(ts(now))
        .build();
    let deployment = Deployment::builder()
        .id(&id)
        .status("PRIMARY")
        .task_definition(task_definition)
        .desired_count(s.desired_count)
        .pending_count(0)
        .running_count(0)
        .failed_tasks(0)
        .created_at(ts(now))
        .updated_at(ts(now))
        .set_capacity_provider_strategy(s.capacity_provider_strategy.clone())
        .set_launch_type(s.launch_type().cloned())
        .set_platform_version(s.platform_version().map(str::to_owned))
        .set_platform_family(s.platform_family().map(str::to_owned))
        .set_network_configuration(s.network_configuration().cloned())
        .rollout_state(DeploymentRolloutState::InProgress)
        .rollout_state_reason(format!("ECS deployment {id} in progress."))
        .build();
    // Supersede the deployment in progress, if any.
    for sd in &mut svc.service_deployments {
        if matches!(
            sd.status(),
            Some(ServiceDeploymentStatus::InProgress | ServiceDeploymentStatus::Pending)
        ) {
            sd.status = Some(ServiceDeploymentStatus::Stopped);
            sd.status_reason =
                Some("Service deployment was superseded by a new deployment.".to_owned());
            sd.stopped_at = Some(ts(now));
            sd.updated_at = Some(ts(now));
        }
    }
    let sources: Vec<ServiceRevisionSummary> = svc
        .rollouts
        .iter()
        .map(|r| {
            ServiceRevisionSummary::builder()
                .arn(&r.revision_arn)
                .build()
        })
        .collect();
    let breaker = breaker(svc);
    let sd = aws_sdk_ecs::types::ServiceDeployment::builder()
        .service_deployment_arn(&sd_arn)
        .set_service_arn(svc.service.service_arn().map(str::to_owned))
        .set_cluster_arn(svc.service.cluster_arn().map(str::to_owned))
        .created_at(ts(now))
        .started_at(ts(now))
        .updated_at(ts(now))
        .set_source_service_revisions((!sources.is_empty()).then_some(sources))
        .target_service_revision(ServiceRevisionSummary::builder().arn(&revision_arn).build())
        .status(ServiceDeploymentStatus::InProgress)
        .set_deployment_configuration(svc.service.deployment_configuration().cloned())
        .deployment_circuit_breaker(
            aws_sdk_ecs::types::ServiceDeploymentCircuitBreaker::builder()
                .status(if breaker.is_some() {
                    ServiceDeploymentRollbackMonitorsStatus::Monitoring
                } else {
                    ServiceDeploymentRollbackMonitorsStatus::Disabled
                })
                .failure_count(0)
                .threshold(breaker.map_or(0, |b| b.1))
                .build(),
        )
        .build();
    for d in svc.service.deployments.iter_mut().flatten() {
        d.status = Some("ACTIVE".to_owned());
        d.updated_at = Some(ts(now));
    }
    for r in &mut svc.rollouts {
        r.halted = true;
    }
    svc.service
        .deployments
        .get_or_insert_with(Vec::new)
        .insert(0, deployment);
    svc.rollouts.insert(
        0,
        Rollout {
            deployment_id: id.clone(),
            service_deployment_arn: sd_arn.clone(),
            revision_arn,
            breaker_failures: 0,
            start_failures: 0,
            launch_after: 0.0,
            halted: false,
            is_rollback: false,
            stage: None,
            stage_until: 0.0,
            traffic: 0.0,
            lifecycle: super::hooks::Lifecycle::default(),
        },
    );
    svc.service.current_service_deployment = Some(sd_arn);
    svc.service.task_definition = Some(task_definition.to_owned());
    svc.service_deployments.push(crate::codec::Sdk(sd));
    svc.revisions.push(crate::codec::Sdk(revision));
    svc.steady = false;
    id
}

/// Makes `good`'s task definition PRIMARY again: an ACTIVE deployment that still runs it is
/// promoted, otherwise a new deployment is created. Used by the circuit breaker and by
/// StopServiceDeployment with ROLLBACK.
pub fn roll_back_to(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    now: Epoch,
    good: &LastGood,
    sd_arn: &str,
) {
    let reason = format!(
        "ECS deployment circuit breaker: rolling back to deploymentId {}.",
        good.deployment_id
    );
    reinstate(svc, ids, now, good, sd_arn, reason);
}

/// Where a rollback of the PRIMARY deployment goes: the last completed deployment, else the
/// deployment before the PRIMARY one (the source revision).
pub fn rollback_target(svc: &ServiceRecord) -> Option<LastGood> {
    svc.last_good.clone().or_else(|| {
        let r = svc.rollouts.get(1)?;
        let td = svc.service.deployments().get(1)?.task_definition()?;
        Some(LastGood {
            deployment_id: r.deployment_id.clone(),
            task_definition: td.to_owned(),
            revision_arn: r.revision_arn.clone(),
        })
    })
}

/// Rolls the PRIMARY deployment back because of `reason` (a lifecycle hook, or
/// ContinueServiceDeployment with ROLLBACK): its service deployment becomes
/// ROLLBACK_IN_PROGRESS with its `rollback` information, its deployment FAILED, and the
/// target of [`rollback_target`] PRIMARY again; the scheduler then completes the rollback
/// (ROLLBACK_SUCCESSFUL) as it does the circuit breaker's. Returns false, changing nothing,
/// when there is nothing to roll back to.
pub fn roll_back_primary(svc: &mut ServiceRecord, ids: &mut Ids, now: Epoch, reason: &str) -> bool {
    let Some(good) = rollback_target(svc) else {
        return false;
    };
    let Some(arn) = svc
        .rollouts
        .first()
        .map(|r| r.service_deployment_arn.clone())
    else {
        return false;
    };
    if let Some(sd) = svc
        .service_deployments
        .iter_mut()
        .find(|sd| sd.service_deployment_arn() == Some(arn.as_str()))
    {
        sd.status = Some(ServiceDeploymentStatus::RollbackInProgress);
        sd.status_reason = Some(reason.to_owned());
        sd.updated_at = Some(ts(now));
        sd.rollback = Some(
            aws_sdk_ecs::types::Rollback::builder()
                .reason(reason)
                .started_at(ts(now))
                .service_revision_arn(&good.revision_arn)
                .build(),
        );
    }
    if let Some(d) = svc.service.deployments.iter_mut().flatten().next() {
        d.rollout_state = Some(DeploymentRolloutState::Failed);
        d.rollout_state_reason = Some(reason.to_owned());
        d.updated_at = Some(ts(now));
    }
    // The wording AWS gives a deployment reinstated by a lifecycle hook or
    // ContinueServiceDeployment is not documented.
    let reinstated = format!(
        "ECS deployment rolling back to deploymentId {}.",
        good.deployment_id
    );
    reinstate(svc, ids, now, &good, &arn, reinstated);
    true
}

fn reinstate(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    now: Epoch,
    good: &LastGood,
    sd_arn: &str,
    reason: String,
) {
    let existing = svc.service.deployments().iter().position(|d| {
        d.status() == Some("ACTIVE") && d.task_definition() == Some(good.task_definition.as_str())
    });
    let desired = svc.service.desired_count;
    let deployments = svc.service.deployments.get_or_insert_with(Vec::new);
    for d in deployments.iter_mut() {
        d.status = Some("ACTIVE".to_owned());
    }
    let new_id = match existing {
        Some(i) => {
            let mut d = deployments.remove(i);
            let mut r = svc.rollouts.remove(i);
            d.status = Some("PRIMARY".to_owned());
            d.rollout_state = Some(DeploymentRolloutState::InProgress);
            d.rollout_state_reason = Some(reason);
            d.updated_at = Some(ts(now));
            let id = d.id().unwrap_or_default().to_owned();
            deployments.insert(0, d);
            r.halted = false;
            r.is_rollback = true;
            r.stage = None;
            r.traffic = 100.0;
            r.lifecycle = super::hooks::Lifecycle::default();
            r.service_deployment_arn = sd_arn.to_owned();
            svc.rollouts.insert(0, r);
            id
        }
        None => {
            let id = format!("ecs-svc/{}", ids.digits_id());
            let template = deployments
                .first()
                .cloned()
                .unwrap_or_else(|| Deployment::builder().build());
            let mut d = template;
            d.id = Some(id.clone());
            d.status = Some("PRIMARY".to_owned());
            d.task_definition = Some(good.task_definition.clone());
            d.desired_count = desired;
            d.pending_count = 0;
            d.running_count = 0;
            d.failed_tasks = 0;
            d.created_at = Some(ts(now));
            d.updated_at = Some(ts(now));
            d.rollout_state = Some(DeploymentRolloutState::InProgress);
            d.rollout_state_reason = Some(reason);
            deployments.insert(0, d);
            svc.rollouts.insert(
                0,
                Rollout {
                    deployment_id: id.clone(),
                    service_deployment_arn: sd_arn.to_owned(),
                    revision_arn: good.revision_arn.clone(),
                    breaker_failures: 0,
                    start_failures: 0,
                    launch_after: 0.0,
                    halted: false,
                    is_rollback: true,
                    stage: None,
                    stage_until: 0.0,
                    traffic: 0.0,
                    lifecycle: super::hooks::Lifecycle::default(),
                },
            );
            id
        }
    };
    for r in svc.rollouts.iter_mut().skip(1) {
        r.halted = true;
        r.stage = None;
    }
    let _ = new_id;
    svc.service.task_definition = Some(good.task_definition.clone());
    svc.steady = false;
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{DeploymentRolloutState, ServiceDeploymentStatus};
    use serde_json::json;

    use crate::testkit::{Kit, WORLD};

    // API_Deployment: one PRIMARY deployment, the older ones ACTIVE; API_ServiceDeployment: a
    // new deployment stops the one in progress ("superseded").
    #[test]
    fn a_new_deployment_is_primary_and_supersedes_the_one_in_progress() {
        let mut kit = Kit::new(WORLD);
        let dc = json!({"minimumHealthyPercent": 100, "maximumPercent": 200});
        let (_, v2) = kit.steady_service(1, dc, "web:2");
        let v3 = kit.register("web", "web:3");
        kit.update(20.0, &v2);
        let third = kit.update(21.0, &v3);
        let svc = kit.service("web");
        let statuses: Vec<_> = svc
            .service
            .deployments()
            .iter()
            .map(|d| d.status())
            .collect();
        assert_eq!(statuses, [Some("PRIMARY"), Some("ACTIVE"), Some("ACTIVE")]);
        assert_eq!(svc.service.deployments()[0].id(), Some(third.as_str()));
        assert_eq!(svc.service.task_definition(), Some(v3.as_str()));
        let sds: Vec<_> = svc
            .service_deployments
            .iter()
            .map(|sd| sd.status())
            .collect();
        assert_eq!(
            sds,
            [
                Some(&ServiceDeploymentStatus::Successful),
                Some(&ServiceDeploymentStatus::Stopped),
                Some(&ServiceDeploymentStatus::InProgress),
            ]
        );
        assert_eq!(
            svc.service_deployments[1].status_reason(),
            Some("Service deployment was superseded by a new deployment.")
        );
    }

    // API_StopServiceDeployment (stopType ROLLBACK): the last completed deployment, still ACTIVE,
    // becomes PRIMARY again and the stopped one's tasks go.
    #[test]
    fn stopping_with_rollback_reinstates_the_last_completed_deployment() {
        let mut kit = Kit::new(WORLD);
        let dc = json!({"minimumHealthyPercent": 100, "maximumPercent": 200});
        let (v1, v2) = kit.steady_service(1, dc, "web:2");
        let good = kit.deployment_ids("web")[0].clone();
        let stopped = kit.update(20.0, &v2);
        let arn = kit.service("web").rollouts[0]
            .service_deployment_arn
            .clone();
        kit.call(
            "ecs",
            "StopServiceDeployment",
            25.0,
            json!({"serviceDeploymentArn": arn, "stopType": "ROLLBACK"}),
        );
        let svc = kit.service("web");
        assert_eq!(svc.service.task_definition(), Some(v1.as_str()));
        assert_eq!(svc.service.deployments()[0].id(), Some(good.as_str()));
        assert!(svc.rollouts[0].is_rollback);
        assert_eq!(kit.tasks_of("web", &stopped), (0, 0, 1));

        kit.step(27.0);
        let svc = kit.service("web");
        assert_eq!(kit.deployment_ids("web"), [good]);
        assert_eq!(
            svc.service.deployments()[0].rollout_state(),
            Some(&DeploymentRolloutState::Completed)
        );
        assert_eq!(
            svc.service_deployments.last().and_then(|sd| sd.status()),
            Some(&ServiceDeploymentStatus::RollbackSuccessful)
        );
    }
}
