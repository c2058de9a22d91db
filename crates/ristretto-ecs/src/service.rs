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

/// Up to `limit` tasks of `service` that `started_by` (a deployment or task set ID) started and
/// that stopped on their own (failed to start, or an essential container exited); tasks the
/// scheduler or a user stopped are left out.
///
/// The tasks are listed by service and desired status, and `started_by` is matched here: the
/// ListTasks reference says that `startedBy` "must be the only filter that you use", which may
/// exclude `desiredStatus`, so the lookup does not depend on AWS accepting that pair.
///
/// # Errors
/// AWS errors.
pub async fn stopped_tasks(
    ecs: &Client,
    cluster: &str,
    service: &str,
    started_by: &str,
    limit: usize,
) -> Result<Vec<StoppedTask>, EcsError> {
    // Stopped tasks stay listed for a while after they stop (API_ListTasks, `desiredStatus`);
    // two pages (200 tasks) are plenty to explain a deployment that is failing now.
    let mut arns = Vec::new();
    let mut token = None;
    for _ in 0..2 {
        let page = ecs
            .list_tasks()
            .cluster(cluster)
            .service_name(service)
            .desired_status(DesiredStatus::Stopped)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| EcsError::aws("ListTasks", e))?;
        arns.extend(page.task_arns.unwrap_or_default());
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    let mut tasks = Vec::new();
    for chunk in arns.chunks(100) {
        let described = ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| EcsError::aws("DescribeTasks", e))?
            .tasks
            .unwrap_or_default();
        tasks.extend(
            described
                .into_iter()
                .filter(|t| t.started_by() == Some(started_by)),
        );
        if tasks.len() >= limit {
            break;
        }
    }
    tasks.truncate(limit);
    Ok(tasks
        .iter()
        // Tasks the scheduler or a user stopped explain nothing, unless the scheduler stopped
        // them for failing their container health checks (healthStatus UNHEALTHY) or their
        // load balancer's (no code for that: ECS's stoppedReason "Task failed ELB health
        // checks in (target-group …)").
        .filter(|t| {
            t.health_status() == Some(&aws_sdk_ecs::types::HealthStatus::Unhealthy)
                || t.stopped_reason()
                    .is_some_and(|r| r.starts_with("Task failed ELB health checks"))
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

#[cfg(test)]
mod tests {
    //! What the simulator cannot express: an AWS that reads API_ListTasks' "When you specify
    //! startedBy as the filter, it must be the only filter that you use" strictly. The SDK's own
    //! mocking interceptors stand in for it.

    use aws_sdk_ecs::Client;
    use aws_sdk_ecs::operation::describe_tasks::DescribeTasksOutput;
    use aws_sdk_ecs::operation::list_tasks::ListTasksOutput;
    use aws_sdk_ecs::types::{Container, DesiredStatus, Task, TaskStopCode};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::stopped_tasks;

    fn task(id: &str, started_by: &str) -> Task {
        Task::builder()
            .task_arn(format!(
                "arn:aws:ecs:us-east-1:123456789012:task/default/{id}"
            ))
            .started_by(started_by)
            .stop_code(TaskStopCode::EssentialContainerExited)
            .stopped_reason("Essential container in task exited")
            .containers(Container::builder().name("app").exit_code(3).build())
            .build()
    }

    #[tokio::test]
    async fn stopped_tasks_never_combine_started_by_with_other_filters() {
        // Only a request by service and desired status is answered; one with `startedBy` would
        // find no rule and fail the lookup.
        let list = mock!(Client::list_tasks)
            .match_requests(|r| {
                r.started_by().is_none()
                    && r.service_name() == Some("web")
                    && r.desired_status() == Some(&DesiredStatus::Stopped)
            })
            .then_output(|| {
                ListTasksOutput::builder()
                    .task_arns("arn:aws:ecs:us-east-1:123456789012:task/default/old")
                    .task_arns("arn:aws:ecs:us-east-1:123456789012:task/default/new")
                    .build()
            });
        let describe = mock!(Client::describe_tasks).then_output(|| {
            DescribeTasksOutput::builder()
                .tasks(task("old", "ecs-svc/111"))
                .tasks(task("new", "ecs-svc/222"))
                .build()
        });
        let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&list, &describe]);
        let found = stopped_tasks(&ecs, "default", "web", "ecs-svc/222", 5)
            .await
            .expect("listed by service");
        let ids: Vec<_> = found.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["new"], "only the deployment's own tasks");
        assert_eq!(found[0].containers[0].exit_code, Some(3));
    }
}
