//! `rollback` for services with the ECS deployment controller: point the
//! service back at an earlier revision of its task definition family and let
//! ECS roll, like any deployment.
//!
//! The target is chosen by revision number, not by list position: the
//! highest ACTIVE revision below the one the service runs. That stays right
//! when the running revision itself was deregistered meanwhile.

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{DeploymentControllerType, Service};

use crate::error::EcsError;
use crate::task_definition::{active_revisions, split_revision};
use ristretto_core::event::{Event, Events, short_task_definition};

/// What `rollback` will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackPlan {
    /// The task definition ARN the service runs now (to deregister afterwards).
    pub from: String,
    /// The task definition ARN it goes back to.
    pub to: String,
}

/// The revision to roll back to: the highest of `active` (ARNs of ACTIVE
/// revisions of the family, any order) below `current`.
#[must_use]
pub fn previous_revision<'a>(active: &'a [String], current: &str) -> Option<&'a String> {
    let (_, current) = split_revision(current)?;
    active
        .iter()
        .filter_map(|arn| Some((split_revision(arn)?.1, arn)))
        .filter(|(revision, _)| *revision < current)
        .max_by_key(|(revision, _)| *revision)
        .map(|(_, arn)| arn)
}

/// Decides the rollback target (read-only calls only).
///
/// # Errors
/// A CODE_DEPLOY or EXTERNAL service (not supported yet), no earlier ACTIVE
/// revision, an unknown `--revision`, AWS errors.
pub async fn plan(
    ecs: &Client,
    live: &Service,
    revision: Option<i64>,
) -> Result<RollbackPlan, EcsError> {
    let service = live.service_name().unwrap_or("?");
    match live.deployment_controller().map(|c| c.r#type()) {
        None | Some(DeploymentControllerType::Ecs) => {}
        Some(other) => {
            return Err(EcsError::Invalid {
                message: format!(
                    "rollback of a service with the {} deployment controller is not supported yet",
                    other.as_str()
                ),
                hint: Some(format!(
                    "for `{service}`, stop the CodeDeploy deployment with auto rollback in the console or with `aws deploy stop-deployment --auto-rollback-enabled`"
                )),
            });
        }
    }
    let from = live.task_definition().unwrap_or_default().to_owned();
    let Some((family, current)) = split_revision(&from) else {
        return Err(EcsError::Invalid {
            message: format!("service `{service}` runs `{from}`, which has no revision number"),
            hint: None,
        });
    };
    if let Some(revision) = revision {
        if revision == current {
            return Err(EcsError::Invalid {
                message: format!("service `{service}` already runs {family}:{revision}"),
                hint: None,
            });
        }
        let name = format!("{family}:{revision}");
        let described = ecs
            .describe_task_definition()
            .task_definition(&name)
            .send()
            .await
            .map_err(|e| match e.as_service_error().map(|s| s.meta().code()) {
                Some(Some("ClientException")) => EcsError::Invalid {
                    message: format!("task definition {name} does not exist"),
                    hint: Some(
                        "list the revisions with `aws ecs list-task-definitions`".to_owned(),
                    ),
                },
                _ => EcsError::aws("DescribeTaskDefinition", e),
            })?;
        let arn = described
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .unwrap_or(&name)
            .to_owned();
        return Ok(RollbackPlan { from, to: arn });
    }
    let active = active_revisions(ecs, family).await?;
    let to = previous_revision(&active, &from).ok_or_else(|| EcsError::Invalid {
        message: format!("no ACTIVE revision of `{family}` below {current} to roll back to"),
        hint: Some("name one with `--revision N`".to_owned()),
    })?;
    Ok(RollbackPlan {
        from,
        to: to.clone(),
    })
}

/// Points the service at `plan.to`; returns the deployment it started and
/// the server time to show events from.
///
/// # Errors
/// AWS errors.
pub async fn execute(
    ecs: &Client,
    cluster: &str,
    service: &str,
    plan: &RollbackPlan,
    events: &Events,
) -> Result<(Option<String>, f64), EcsError> {
    events.step(format!(
        "rolling back from {} to {}",
        short_task_definition(&plan.from),
        short_task_definition(&plan.to)
    ));
    let out = ecs
        .update_service()
        .cluster(cluster)
        .service(service)
        .task_definition(&plan.to)
        .send()
        .await
        .map_err(|e| EcsError::aws("UpdateService", e))?;
    let deployment = out.service().and_then(|s| {
        s.deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"))
            .filter(|d| d.task_definition() == Some(plan.to.as_str()))
    });
    let since = deployment
        .and_then(|d| d.created_at())
        .map_or(0.0, aws_smithy_types::DateTime::as_secs_f64);
    let id = deployment.and_then(|d| d.id()).map(str::to_owned);
    events.emit(Event::ServiceUpdated {
        task_definition: plan.to.clone(),
        deployment: id.clone(),
    });
    Ok((id, since))
}

/// Deregisters the rolled-back task definition revision `arn`.
///
/// # Errors
/// AWS errors.
pub async fn deregister(ecs: &Client, arn: &str, events: &Events) -> Result<(), EcsError> {
    ecs.deregister_task_definition()
        .task_definition(arn)
        .send()
        .await
        .map_err(|e| EcsError::aws("DeregisterTaskDefinition", e))?;
    events.step(format!(
        "deregistered the rolled-back task definition {}",
        short_task_definition(arn)
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arns(revisions: &[i64]) -> Vec<String> {
        revisions
            .iter()
            .map(|r| format!("arn:aws:ecs:us-east-1:1:task-definition/web:{r}"))
            .collect()
    }

    #[test]
    fn rollback_goes_to_the_highest_active_revision_below_the_current_one() {
        let active = arns(&[1, 2, 4, 5, 6]);
        let to = previous_revision(&active, "arn:aws:ecs:us-east-1:1:task-definition/web:5");
        assert_eq!(to.map(String::as_str), Some(active[2].as_str()));
    }

    #[test]
    fn a_deregistered_current_revision_still_has_a_previous_one() {
        let active = arns(&[1, 2]);
        let to = previous_revision(&active, "web:3");
        assert_eq!(to, Some(&active[1]));
    }

    #[test]
    fn the_first_revision_has_nothing_to_roll_back_to() {
        assert_eq!(previous_revision(&arns(&[1, 2]), "web:1"), None);
    }

    #[test]
    fn revisions_split_numerically() {
        assert_eq!(
            split_revision("arn:x:task-definition/a-b:12"),
            Some(("a-b", 12))
        );
        assert_eq!(split_revision("nope"), None);
    }
}
