//! Reading what runs in AWS for the read-only commands: the service, task
//! definitions and their revisions, what uses them. Only Describe/List calls;
//! errors become [`CliError`]s classified by their AWS error code.

use std::collections::BTreeMap;

use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ecs::types::{
    DesiredStatus, Service, ServiceField, SortOrder, Tag, TaskDefinition, TaskDefinitionField,
};

use crate::aws::{Clients, describe_error};
use crate::exit::Exit;
use crate::printer::Printer;
use crate::report::CliError;

/// An AWS call that failed: exit code 1, the error chain, and a hint where the
/// error code says what to do.
pub fn aws_failure<E>(what: &str, error: &SdkError<E>) -> CliError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = error.code().unwrap_or_default();
    let hint = match code {
        "ClusterNotFoundException" => Some("check `cluster` in the config".to_owned()),
        "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" => {
            Some("the AWS identity in use lacks this permission".to_owned())
        }
        "UnrecognizedClientException" | "InvalidClientTokenId" | "ExpiredTokenException" => {
            Some("check the AWS credentials (profile, environment, --assume-role-arn)".to_owned())
        }
        _ => match error {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => Some(
                "check the network, the region and --endpoint-url; --local runs against the built-in simulator"
                    .to_owned(),
            ),
            SdkError::ConstructionFailure(_) => {
                Some("set a region: --region, `region` in the config, or AWS_REGION".to_owned())
            }
            _ => None,
        },
    };
    CliError {
        exit: Exit::Failure,
        error: anyhow::anyhow!("{what}: {}", describe_error(error)),
        hint,
    }
}

/// The error for a service that does not exist (or was deleted).
pub fn service_not_found(service: &str, cluster: &str, why: &str) -> CliError {
    CliError {
        exit: Exit::Failure,
        error: anyhow::anyhow!("service `{service}` {why} in cluster `{cluster}`"),
        hint: Some(
            "create it with `ristretto create` (or `ristretto deploy`), or check `service` and `cluster` in the config"
                .to_owned(),
        ),
    }
}

/// The live service with its tags; `None` when it does not exist or is
/// INACTIVE (deleted). A DRAINING service is returned with a warning.
pub async fn describe_service(
    clients: &Clients,
    printer: &Printer,
    cluster: &str,
    service: &str,
) -> Result<Option<Service>, CliError> {
    let out = clients
        .ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .include(ServiceField::Tags)
        .send()
        .await
        .map_err(|e| aws_failure(&format!("cannot describe service `{service}`"), &e))?;
    let Some(found) = out.services.unwrap_or_default().into_iter().next() else {
        return Ok(None);
    };
    match found.status() {
        Some("INACTIVE") => Ok(None),
        Some("DRAINING") => {
            printer.warn(&format!("service `{service}` is DRAINING"));
            Ok(Some(found))
        }
        _ => Ok(Some(found)),
    }
}

/// The service, or the not-found error.
pub async fn require_service(
    clients: &Clients,
    printer: &Printer,
    cluster: &str,
    service: &str,
) -> Result<Service, CliError> {
    describe_service(clients, printer, cluster, service)
        .await?
        .ok_or_else(|| service_not_found(service, cluster, "is not found"))
}

/// A task definition (`family`, `family:revision` or ARN) with its tags;
/// `None` when there is no such revision.
pub async fn describe_task_definition(
    clients: &Clients,
    id: &str,
) -> Result<Option<(TaskDefinition, Vec<Tag>)>, CliError> {
    match clients
        .ecs
        .describe_task_definition()
        .task_definition(id)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .task_definition
            .map(|td| (td, out.tags.unwrap_or_default()))),
        // ECS answers an unknown task definition with a plain ClientException.
        Err(e) if e.code() == Some("ClientException") => Ok(None),
        Err(e) => Err(aws_failure(
            &format!("cannot describe task definition `{id}`"),
            &e,
        )),
    }
}

/// The newest ACTIVE revision of `family`, as an ARN.
pub async fn latest_task_definition_arn(
    clients: &Clients,
    family: &str,
) -> Result<Option<String>, CliError> {
    let out = clients
        .ecs
        .list_task_definitions()
        .family_prefix(family)
        .sort(SortOrder::Desc)
        .max_results(1)
        .send()
        .await
        .map_err(|e| aws_failure(&format!("cannot list task definitions of `{family}`"), &e))?;
    Ok(out
        .task_definition_arns
        .unwrap_or_default()
        .into_iter()
        .next())
}

/// Every ACTIVE revision of `family`, oldest first.
pub async fn task_definition_arns(
    clients: &Clients,
    family: &str,
) -> Result<Vec<String>, CliError> {
    let mut arns = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = clients
            .ecs
            .list_task_definitions()
            .family_prefix(family)
            .sort(SortOrder::Asc)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| aws_failure(&format!("cannot list task definitions of `{family}`"), &e))?;
        arns.extend(out.task_definition_arns.unwrap_or_default());
        match out.next_token {
            Some(token) if !token.is_empty() => next = Some(token),
            _ => return Ok(arns),
        }
    }
}

/// `family:revision` of a task definition ARN (or the text as it is).
pub fn short_task_definition(arn: &str) -> &str {
    arn.rsplit_once('/').map_or(arn, |(_, name)| name)
}

/// The family of a task definition ARN or `family:revision`.
pub fn family_of(arn: &str) -> &str {
    let name = short_task_definition(arn);
    name.rsplit_once(':').map_or(name, |(family, _)| family)
}

/// Which revisions of `family` are in use, and by what: tasks that are not
/// stopped (`RUNNING task`), the service's deployments (`PRIMARY deployment`)
/// and task sets (`PRIMARY task set`), keyed by `family:revision`.
pub async fn in_use(
    clients: &Clients,
    cluster: &str,
    family: &str,
    service: Option<&Service>,
) -> Result<BTreeMap<String, String>, CliError> {
    let mut uses = BTreeMap::new();
    let mut task_arns = Vec::new();
    for status in [DesiredStatus::Running, DesiredStatus::Stopped] {
        let mut next: Option<String> = None;
        loop {
            let out = clients
                .ecs
                .list_tasks()
                .cluster(cluster)
                .family(family)
                .desired_status(status.clone())
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| aws_failure(&format!("cannot list tasks of `{family}`"), &e))?;
            task_arns.extend(out.task_arns.unwrap_or_default());
            match out.next_token {
                Some(token) if !token.is_empty() => next = Some(token),
                _ => break,
            }
        }
    }
    for chunk in task_arns.chunks(100) {
        let out = clients
            .ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| aws_failure(&format!("cannot describe tasks of `{family}`"), &e))?;
        for task in out.tasks.unwrap_or_default() {
            let status = task
                .last_status()
                .filter(|s| !s.is_empty())
                .or(task.desired_status())
                .unwrap_or_default();
            if status != "STOPPED"
                && let Some(arn) = task.task_definition_arn()
            {
                uses.insert(
                    short_task_definition(arn).to_owned(),
                    format!("{status} task"),
                );
            }
        }
    }
    if let Some(service) = service {
        for set in service.task_sets() {
            if let Some(arn) = set.task_definition() {
                uses.insert(
                    short_task_definition(arn).to_owned(),
                    format!("{} task set", set.status().unwrap_or_default()),
                );
            }
        }
        for deployment in service.deployments() {
            if let Some(arn) = deployment.task_definition() {
                uses.insert(
                    short_task_definition(arn).to_owned(),
                    format!("{} deployment", deployment.status().unwrap_or_default()),
                );
            }
        }
    }
    Ok(uses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_definition_names() {
        let arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:12";
        assert_eq!(short_task_definition(arn), "web:12");
        assert_eq!(family_of(arn), "web");
        assert_eq!(family_of("web:3"), "web");
        assert_eq!(family_of("web"), "web");
    }
}
