//! Reading and acting on service deployments (`ListServiceDeployments`,
//! `DescribeServiceDeployments`, `ContinueServiceDeployment`): the calls behind
//! `--wait-until paused|ecs:<STAGE>`, `continue`, the rollback of a paused deployment and the
//! lifecycle part of `status`. Made only for services with a native strategy (BLUE_GREEN,
//! LINEAR, CANARY); rolling waits never call them.

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{
    CreatedAt, DeploymentLifecycleHookAction, ServiceDeployment, ServiceDeploymentStatus,
};

use crate::error::EcsError;

/// The statuses of a service deployment that has not ended (API reference,
/// `ServiceDeployment.status`).
const UNFINISHED: [ServiceDeploymentStatus; 5] = [
    ServiceDeploymentStatus::Pending,
    ServiceDeploymentStatus::InProgress,
    ServiceDeploymentStatus::RollbackRequested,
    ServiceDeploymentStatus::RollbackInProgress,
    ServiceDeploymentStatus::StopRequested,
];

/// The ARN of the newest service deployment of `service` created at or after `since`
/// (epoch seconds; 0 for any): the one an `UpdateService` at `since` started. `None` while
/// ECS lists none yet.
///
/// # Errors
/// AWS errors.
pub async fn locate(
    ecs: &Client,
    cluster: &str,
    service: &str,
    since: f64,
) -> Result<Option<String>, EcsError> {
    let mut request = ecs
        .list_service_deployments()
        .cluster(cluster)
        .service(service);
    if since > 0.0 {
        // The service deployment and the `Deployment` that DescribeServices lists are created
        // together; a second of slack covers their timestamps' rounding.
        request = request.created_at(
            CreatedAt::builder()
                .after(aws_smithy_types::DateTime::from_secs_f64(since - 1.0))
                .build(),
        );
    }
    let out = request
        .send()
        .await
        .map_err(|e| EcsError::aws("ListServiceDeployments", e))?;
    Ok(out
        .service_deployments()
        .iter()
        .max_by(|a, b| {
            let at = |d: &aws_sdk_ecs::types::ServiceDeploymentBrief| {
                d.created_at()
                    .map_or(0.0, aws_smithy_types::DateTime::as_secs_f64)
            };
            at(a).total_cmp(&at(b))
        })
        .and_then(|d| d.service_deployment_arn())
        .map(str::to_owned))
}

/// The service deployment `arn`, or `None` when ECS does not know it.
///
/// # Errors
/// AWS errors.
pub async fn describe(ecs: &Client, arn: &str) -> Result<Option<ServiceDeployment>, EcsError> {
    let out = ecs
        .describe_service_deployments()
        .service_deployment_arns(arn)
        .send()
        .await
        .map_err(|e| EcsError::aws("DescribeServiceDeployments", e))?;
    Ok(out
        .service_deployments
        .unwrap_or_default()
        .into_iter()
        .next())
}

/// The service's deployment that has not ended (the newest, if ECS lists several), described;
/// or `None`.
///
/// # Errors
/// AWS errors.
pub async fn unfinished(
    ecs: &Client,
    cluster: &str,
    service: &str,
) -> Result<Option<ServiceDeployment>, EcsError> {
    let out = ecs
        .list_service_deployments()
        .cluster(cluster)
        .service(service)
        .set_status(Some(UNFINISHED.to_vec()))
        .send()
        .await
        .map_err(|e| EcsError::aws("ListServiceDeployments", e))?;
    let newest = out.service_deployments().iter().max_by(|a, b| {
        let at = |d: &aws_sdk_ecs::types::ServiceDeploymentBrief| {
            d.created_at()
                .map_or(0.0, aws_smithy_types::DateTime::as_secs_f64)
        };
        at(a).total_cmp(&at(b))
    });
    match newest.and_then(|d| d.service_deployment_arn()) {
        Some(arn) => describe(ecs, arn).await,
        None => Ok(None),
    }
}

/// The newest service deployment of `service`, whatever its status (to say what the last one
/// did when none is in progress).
///
/// # Errors
/// AWS errors.
pub async fn latest(
    ecs: &Client,
    cluster: &str,
    service: &str,
) -> Result<Option<ServiceDeployment>, EcsError> {
    match locate(ecs, cluster, service, 0.0).await? {
        Some(arn) => describe(ecs, &arn).await,
        None => Ok(None),
    }
}

/// `ContinueServiceDeployment`: resumes (`Continue`) or rolls back (`Rollback`) the service
/// deployment `arn` held by the hook `hook_id`.
///
/// # Errors
/// AWS errors.
pub async fn continue_deployment(
    ecs: &Client,
    arn: &str,
    hook_id: &str,
    action: DeploymentLifecycleHookAction,
) -> Result<(), EcsError> {
    ecs.continue_service_deployment()
        .service_deployment_arn(arn)
        .hook_id(hook_id)
        .action(action)
        .send()
        .await
        .map_err(|e| EcsError::aws("ContinueServiceDeployment", e))?;
    Ok(())
}
