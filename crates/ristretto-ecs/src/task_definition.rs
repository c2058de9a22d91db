//! Reading task definition revisions: one revision with its tags, the
//! newest or every ACTIVE revision of a family, the containers of a
//! revision, and registering a new one.

use aws_sdk_ecs::Client;
use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::types::{
    ContainerDefinition, SortOrder, Tag, TaskDefinition, TaskDefinitionField,
};
use ristretto_core::event::short_task_definition;

use crate::error::{AwsError, EcsError};

/// `family` and revision number of an ARN or `family:revision`.
#[must_use]
pub fn split_revision(arn: &str) -> Option<(&str, i64)> {
    let (family, revision) = short_task_definition(arn).rsplit_once(':')?;
    Some((family, revision.parse().ok()?))
}

/// The family of a task definition ARN or `family:revision` (the text
/// itself when it names no revision).
#[must_use]
pub fn family_of(arn: &str) -> &str {
    let name = short_task_definition(arn);
    name.rsplit_once(':').map_or(name, |(family, _)| family)
}

/// A revision (`family`, `family:revision` or ARN) with its tags; `None`
/// when there is no such revision.
///
/// # Errors
/// AWS errors.
pub async fn describe(
    ecs: &Client,
    id: &str,
) -> Result<Option<(TaskDefinition, Vec<Tag>)>, EcsError> {
    match ecs
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
        Err(e) => Err(EcsError::aws("DescribeTaskDefinition", e)),
    }
}

/// The container definitions of revision `arn`.
///
/// # Errors
/// [`EcsError::Invalid`] when the revision does not exist, AWS errors.
pub async fn containers(ecs: &Client, arn: &str) -> Result<Vec<ContainerDefinition>, EcsError> {
    match describe(ecs, arn).await? {
        Some((td, _)) => Ok(td.container_definitions.unwrap_or_default()),
        None => Err(EcsError::Invalid {
            message: format!("task definition {arn} does not exist"),
            hint: None,
        }),
    }
}

/// The ARN of the newest ACTIVE revision of `family`, if any.
///
/// # Errors
/// AWS errors.
pub async fn latest(ecs: &Client, family: &str) -> Result<Option<String>, EcsError> {
    let out = ecs
        .list_task_definitions()
        .family_prefix(family)
        .sort(SortOrder::Desc)
        .max_results(1)
        .send()
        .await
        .map_err(|e| EcsError::aws("ListTaskDefinitions", e))?;
    Ok(out.task_definition_arns().first().cloned())
}

/// Every ACTIVE revision ARN of `family` (exactly that family, not others
/// that start with its name), oldest first.
///
/// # Errors
/// AWS errors.
pub async fn active_revisions(ecs: &Client, family: &str) -> Result<Vec<String>, EcsError> {
    let mut arns = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = ecs
            .list_task_definitions()
            .family_prefix(family)
            .sort(SortOrder::Asc)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| EcsError::aws("ListTaskDefinitions", e))?;
        arns.extend(
            out.task_definition_arns()
                .iter()
                .filter(|a| split_revision(a).is_some_and(|(f, _)| f == family))
                .cloned(),
        );
        match out.next_token {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(arns),
        }
    }
}

/// Registers `input`; returns the registered revision.
///
/// # Errors
/// AWS errors, or an answer without the revision.
pub async fn register(
    ecs: &Client,
    input: RegisterTaskDefinitionInput,
) -> Result<TaskDefinition, EcsError> {
    crate::send::register_task_definition_builder(input)
        .send_with(ecs)
        .await
        .map_err(|e| EcsError::aws("RegisterTaskDefinition", e))?
        .task_definition
        .ok_or_else(|| {
            EcsError::Aws(AwsError::unexpected(
                "RegisterTaskDefinition",
                "the answer holds no task definition",
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_revisions_of_arns() {
        let arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:12";
        assert_eq!(split_revision(arn), Some(("web", 12)));
        assert_eq!(split_revision("web"), None);
        assert_eq!(family_of(arn), "web");
        assert_eq!(family_of("web:3"), "web");
        assert_eq!(family_of("web"), "web");
    }
}
