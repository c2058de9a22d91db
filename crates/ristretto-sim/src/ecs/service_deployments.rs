//! Service deployments and revisions: ListServiceDeployments, DescribeServiceDeployments,
//! DescribeServiceRevisions, StopServiceDeployment, ContinueServiceDeployment. The scheduler
//! keeps their status, lifecycle stage, lifecycle hooks and revision counts current.

use aws_sdk_ecs::operation::continue_service_deployment::{
    ContinueServiceDeploymentInput, ContinueServiceDeploymentOutput,
};
use aws_sdk_ecs::operation::describe_service_deployments::{
    DescribeServiceDeploymentsInput, DescribeServiceDeploymentsOutput,
};
use aws_sdk_ecs::operation::describe_service_revisions::{
    DescribeServiceRevisionsInput, DescribeServiceRevisionsOutput,
};
use aws_sdk_ecs::operation::list_service_deployments::{
    ListServiceDeploymentsInput, ListServiceDeploymentsOutput,
};
use aws_sdk_ecs::operation::stop_service_deployment::{
    StopServiceDeploymentInput, StopServiceDeploymentOutput,
};
use aws_sdk_ecs::types::{
    DeploymentLifecycleHookAction, DeploymentRolloutState, Failure, Rollback,
    ServiceDeploymentBrief, ServiceDeploymentStatus, StopServiceDeploymentStopType,
};
use aws_smithy_types::DateTime;

use super::{ServiceRecord, cluster_name, paginate, scheduler, service_not_found, short_name};
use crate::codec::{decode, encode};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};

fn all_services(state: &State) -> impl Iterator<Item = &ServiceRecord> {
    state
        .ecs
        .clusters
        .values()
        .flat_map(|c| c.services.values())
}

pub fn list(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, ListServiceDeploymentsInput::deserialize)?;
    let cluster = cluster_name(&state.ecs, input.cluster())?;
    let svc = state.ecs.clusters[&cluster]
        .services
        .get(short_name(input.service().unwrap_or_default()))
        .ok_or_else(service_not_found)?;
    let after = input
        .created_at()
        .and_then(|c| c.after())
        .map(DateTime::as_secs_f64);
    let before = input
        .created_at()
        .and_then(|c| c.before())
        .map(DateTime::as_secs_f64);
    let briefs: Vec<ServiceDeploymentBrief> = svc
        .service_deployments
        .iter()
        .rev()
        .filter(|sd| {
            input.status().is_empty() || sd.status().is_some_and(|s| input.status().contains(s))
        })
        .filter(|sd| {
            let created = sd.created_at().map_or(0.0, DateTime::as_secs_f64);
            after.is_none_or(|a| created >= a) && before.is_none_or(|b| created <= b)
        })
        .map(|sd| {
            ServiceDeploymentBrief::builder()
                .set_service_deployment_arn(sd.service_deployment_arn().map(str::to_owned))
                .set_service_arn(sd.service_arn().map(str::to_owned))
                .set_cluster_arn(sd.cluster_arn().map(str::to_owned))
                .set_started_at(sd.started_at().copied())
                .set_created_at(sd.created_at().copied())
                .set_finished_at(sd.finished_at().copied())
                .set_target_service_revision_arn(
                    sd.target_service_revision()
                        .and_then(|t| t.arn())
                        .map(str::to_owned),
                )
                .set_status(sd.status().cloned())
                .set_status_reason(sd.status_reason().map(str::to_owned))
                .build()
        })
        .collect();
    let (page, next) = paginate(&briefs, input.next_token(), input.max_results(), 20)?;
    Ok(encode(
        &ListServiceDeploymentsOutput::builder()
            .set_service_deployments(Some(page))
            .set_next_token(next)
            .build(),
    ))
}

pub fn describe(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, DescribeServiceDeploymentsInput::deserialize)?;
    let mut out = DescribeServiceDeploymentsOutput::builder();
    for arn in input.service_deployment_arns() {
        let found = all_services(state)
            .flat_map(|s| s.service_deployments.iter())
            .find(|sd| sd.service_deployment_arn() == Some(arn.as_str()));
        out = match found {
            Some(sd) => out.service_deployments(sd.0.clone()),
            None => out.failures(Failure::builder().arn(arn).reason("MISSING").build()),
        };
    }
    Ok(encode(&out.build()))
}

pub fn describe_revisions(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, DescribeServiceRevisionsInput::deserialize)?;
    let mut out = DescribeServiceRevisionsOutput::builder();
    for arn in input.service_revision_arns() {
        let found = all_services(state)
            .flat_map(|s| s.revisions.iter())
            .find(|r| r.service_revision_arn() == Some(arn.as_str()));
        out = match found {
            Some(r) => out.service_revisions(r.0.clone()),
            None => out.failures(Failure::builder().arn(arn).reason("MISSING").build()),
        };
    }
    Ok(encode(&out.build()))
}

/// The cluster and service names of the service deployment `arn`.
fn locate(state: &State, arn: &str) -> Option<(String, String)> {
    state.ecs.clusters.iter().find_map(|(cname, c)| {
        c.services.iter().find_map(|(sname, s)| {
            s.service_deployments
                .iter()
                .any(|sd| sd.service_deployment_arn() == Some(arn))
                .then(|| (cname.clone(), sname.clone()))
        })
    })
}

fn deployment_not_found() -> ApiError {
    ApiError::new(
        "ServiceDeploymentNotFoundException",
        "The service deployment does not exist.",
    )
}

/// API_ContinueServiceDeployment and the developer guide, "continue-service-deployment": a
/// PAUSE hook AWAITING_ACTION of a deployment IN_PROGRESS is resolved: CONTINUE (the default)
/// moves the deployment on to its next stage, ROLLBACK rolls it back to the previous
/// revision. AWS's messages for the refused cases are not documented: plain ones.
pub fn continue_deployment(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, ContinueServiceDeploymentInput::deserialize)?;
    let arn = input
        .service_deployment_arn()
        .unwrap_or_default()
        .to_owned();
    let hook_id = input.hook_id().unwrap_or_default().to_owned();
    if hook_id.is_empty() {
        return Err(ApiError::invalid_parameter("hookId is required."));
    }
    let action = input
        .action()
        .cloned()
        .unwrap_or(DeploymentLifecycleHookAction::Continue);
    if !matches!(
        action,
        DeploymentLifecycleHookAction::Continue | DeploymentLifecycleHookAction::Rollback
    ) {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid action {}: valid values are CONTINUE and ROLLBACK.",
            action.as_str()
        )));
    }
    let (cluster, name) = locate(state, &arn).ok_or_else(deployment_not_found)?;
    let State { ecs, ids, .. } = state;
    let svc = ecs
        .clusters
        .get_mut(&cluster)
        .and_then(|c| c.services.get_mut(&name))
        .ok_or_else(service_not_found)?;
    let in_progress = svc.service_deployments.iter().any(|sd| {
        sd.service_deployment_arn() == Some(arn.as_str())
            && sd.status() == Some(&ServiceDeploymentStatus::InProgress)
    });
    if !in_progress {
        return Err(ApiError::invalid_parameter(
            "The service deployment is not in progress.",
        ));
    }
    let run = svc
        .rollouts
        .first_mut()
        .filter(|r| r.service_deployment_arn == arn)
        .and_then(|r| r.lifecycle.hooks.iter_mut().find(|h| h.hook_id == hook_id))
        .ok_or_else(|| {
            ApiError::invalid_parameter(format!(
                "The lifecycle hook {hook_id} does not exist in the service deployment."
            ))
        })?;
    if run.status != "AWAITING_ACTION" {
        return Err(ApiError::invalid_parameter(format!(
            "The lifecycle hook {hook_id} is not awaiting action (status {}).",
            run.status
        )));
    }
    let now = ctx.now;
    // The hook's status after a ROLLBACK action is not documented; FAILED is assumed (the
    // hook decided against the deployment, as a Lambda hook answering FAILED does).
    run.status = match action {
        DeploymentLifecycleHookAction::Rollback => "FAILED",
        _ => "SUCCEEDED",
    }
    .to_owned();
    scheduler::sync_hook_details(svc);
    if action == DeploymentLifecycleHookAction::Rollback {
        // Reason wording not documented by AWS.
        scheduler::roll_back_primary(
            svc,
            ids,
            now,
            &format!(
                "Service deployment rolled back by ContinueServiceDeployment on lifecycle hook {hook_id}."
            ),
        );
    }
    scheduler::reconcile_now(state, ctx, &cluster, &name);
    Ok(encode(
        &ContinueServiceDeploymentOutput::builder()
            .service_deployment_arn(arn)
            .build(),
    ))
}

pub fn stop(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, StopServiceDeploymentInput::deserialize)?;
    let arn = input
        .service_deployment_arn()
        .unwrap_or_default()
        .to_owned();
    let stop_type = input
        .stop_type()
        .cloned()
        .unwrap_or(StopServiceDeploymentStopType::Rollback);
    let State { ecs, ids, .. } = state;
    let mut location = None;
    for (cname, c) in &ecs.clusters {
        for (sname, s) in &c.services {
            if s.service_deployments
                .iter()
                .any(|sd| sd.service_deployment_arn() == Some(arn.as_str()))
            {
                location = Some((cname.clone(), sname.clone()));
            }
        }
    }
    let (cluster, name) = location.ok_or_else(|| {
        ApiError::new(
            "ServiceDeploymentNotFoundException",
            "The service deployment does not exist.",
        )
    })?;
    let svc = ecs
        .clusters
        .get_mut(&cluster)
        .and_then(|c| c.services.get_mut(&name))
        .ok_or_else(service_not_found)?;
    let now = ctx.now;
    let in_progress = svc.service_deployments.iter().any(|sd| {
        sd.service_deployment_arn() == Some(arn.as_str())
            && sd.status() == Some(&ServiceDeploymentStatus::InProgress)
    });
    let is_current = svc
        .rollouts
        .first()
        .is_some_and(|r| r.service_deployment_arn == arn);
    if !in_progress || !is_current {
        return Err(ApiError::new(
            "ConflictException",
            "The service deployment is not in progress and cannot be stopped.",
        ));
    }
    let good = svc.last_good.clone();
    match (stop_type, good) {
        (StopServiceDeploymentStopType::Rollback, Some(good)) => {
            if let Some(sd) = svc
                .service_deployments
                .iter_mut()
                .find(|sd| sd.service_deployment_arn() == Some(arn.as_str()))
            {
                sd.status = Some(ServiceDeploymentStatus::RollbackInProgress);
                sd.status_reason =
                    Some("Service deployment rollback requested by user.".to_owned());
                sd.updated_at = Some(crate::clock::timestamp(now));
                sd.rollback = Some(
                    Rollback::builder()
                        .reason("Service deployment rollback requested by user.")
                        .started_at(crate::clock::timestamp(now))
                        .service_revision_arn(&good.revision_arn)
                        .build(),
                );
            }
            if let Some(d) = svc.service.deployments.iter_mut().flatten().next() {
                d.rollout_state = Some(DeploymentRolloutState::Failed);
                d.rollout_state_reason = Some("Service deployment stopped by user.".to_owned());
            }
            scheduler::roll_back_to(svc, ids, now, &good, &arn);
        }
        _ => {
            if let Some(sd) = svc
                .service_deployments
                .iter_mut()
                .find(|sd| sd.service_deployment_arn() == Some(arn.as_str()))
            {
                sd.status = Some(ServiceDeploymentStatus::Stopped);
                sd.status_reason = Some("Service deployment stopped by user.".to_owned());
                sd.stopped_at = Some(crate::clock::timestamp(now));
                sd.updated_at = Some(crate::clock::timestamp(now));
            }
            if let Some(r) = svc.rollouts.first_mut() {
                r.halted = true;
                r.stage = None;
            }
            if let Some(d) = svc.service.deployments.iter_mut().flatten().next() {
                d.rollout_state = Some(DeploymentRolloutState::Failed);
                d.rollout_state_reason = Some("Service deployment stopped by user.".to_owned());
            }
        }
    }
    scheduler::reconcile_now(state, ctx, &cluster, &name);
    Ok(encode(
        &StopServiceDeploymentOutput::builder()
            .service_deployment_arn(arn)
            .build(),
    ))
}
