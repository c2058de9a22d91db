//! Reading the live service and its tasks.

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{DesiredStatus, Service, ServiceField, Tag, TaskStopCode};

use crate::error::{EcsError, StoppedContainer, StoppedTask};

/// The live service, or `None` when it does not exist or was deleted.
///
/// # Errors
/// AWS errors (a missing cluster is `ClusterNotFoundException`).
pub async fn describe_service(
    ecs: &Client,
    cluster: &str,
    service: &str,
) -> Result<Option<Service>, EcsError> {
    let out = ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .include(ServiceField::Tags)
        .send()
        .await
        .map_err(|e| EcsError::aws("DescribeServices", e))?;
    Ok(out
        .services
        .unwrap_or_default()
        .into_iter()
        .find(|s| s.status() != Some("INACTIVE")))
}

/// Like [`describe_service`], but a missing service is an error.
///
/// # Errors
/// [`EcsError::ServiceNotFound`], or AWS errors.
pub async fn require_service(
    ecs: &Client,
    cluster: &str,
    service: &str,
) -> Result<Service, EcsError> {
    describe_service(ecs, cluster, service)
        .await?
        .ok_or_else(|| EcsError::ServiceNotFound {
            cluster: cluster.to_owned(),
            service: service.to_owned(),
        })
}

/// The tags of the service `arn` (for `run --propagate-tags SERVICE`).
///
/// # Errors
/// AWS errors.
pub async fn tags(ecs: &Client, arn: &str) -> Result<Vec<Tag>, EcsError> {
    let out = ecs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| EcsError::aws("ListTagsForResource", e))?;
    Ok(out.tags.unwrap_or_default())
}

/// Up to `limit` tasks that `started_by` (a deployment ID) started and that
/// stopped on their own (failed to start, or an essential container exited);
/// tasks the scheduler or a user stopped are left out.
///
/// # Errors
/// AWS errors.
pub async fn stopped_tasks(
    ecs: &Client,
    cluster: &str,
    started_by: &str,
    limit: usize,
) -> Result<Vec<StoppedTask>, EcsError> {
    let arns = ecs
        .list_tasks()
        .cluster(cluster)
        .started_by(started_by)
        .desired_status(DesiredStatus::Stopped)
        .send()
        .await
        .map_err(|e| EcsError::aws("ListTasks", e))?
        .task_arns
        .unwrap_or_default();
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let tasks = ecs
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(arns.into_iter().take(limit).collect()))
        .send()
        .await
        .map_err(|e| EcsError::aws("DescribeTasks", e))?
        .tasks
        .unwrap_or_default();
    Ok(tasks
        .iter()
        // Tasks the scheduler or a user stopped explain nothing, unless the scheduler stopped
        // them for failing their container health checks (healthStatus UNHEALTHY).
        .filter(|t| {
            t.health_status() == Some(&aws_sdk_ecs::types::HealthStatus::Unhealthy)
                || !matches!(
                    t.stop_code(),
                    Some(TaskStopCode::ServiceSchedulerInitiated | TaskStopCode::UserInitiated)
                )
        })
        .map(|t| StoppedTask {
            id: t
                .task_arn()
                .and_then(|a| a.rsplit('/').next())
                .unwrap_or("?")
                .to_owned(),
            stopped_reason: t.stopped_reason().unwrap_or("no reason given").to_owned(),
            containers: t
                .containers()
                .iter()
                .map(|c| StoppedContainer {
                    name: c.name().unwrap_or("?").to_owned(),
                    exit_code: c.exit_code(),
                    reason: c.reason().map(str::to_owned),
                })
                .collect(),
        })
        .collect())
}
