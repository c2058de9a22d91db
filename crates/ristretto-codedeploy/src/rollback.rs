//! `rollback` of a CODE_DEPLOY service. A deployment in progress is stopped
//! with auto-rollback, so CodeDeploy puts the blue task set back; with none
//! in progress, the previous ACTIVE revision is deployed again through a new
//! CodeDeploy deployment.

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::types::DeploymentStatus;
use aws_sdk_ecs::types::{Service, SortOrder};
use ristretto_core::appspec::Deployed;
use ristretto_ecs::event::{Events, short_task_definition};

use crate::discover::Group;
use crate::error::{CodeDeployError, invalid};
use crate::wait::in_progress;

/// What a rollback does, decided with read-only calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackPlan {
    /// Stop this deployment with auto-rollback.
    Stop {
        /// `d-…`.
        deployment_id: String,
        /// The task definition that deployment was rolling out, when its AppSpec says.
        task_definition: Option<String>,
    },
    /// Deploy `to` (the revision before `from`) in a new deployment.
    Redeploy {
        /// The revision the service runs.
        from: String,
        /// The previous ACTIVE revision.
        to: String,
    },
}

/// Decides the rollback of `live`, deployed by `group`.
///
/// # Errors
/// No previous revision, AWS errors.
pub async fn plan(
    cd: &Client,
    ecs: &aws_sdk_ecs::Client,
    group: &Group,
    live: &Service,
) -> Result<RollbackPlan, CodeDeployError> {
    if let Some(deployment_id) = in_progress(cd, group).await? {
        let task_definition = deployment_task_definition(cd, &deployment_id).await?;
        return Ok(RollbackPlan::Stop {
            deployment_id,
            task_definition,
        });
    }
    let from = live
        .task_sets()
        .iter()
        .find(|t| t.status() == Some("PRIMARY"))
        .and_then(|t| t.task_definition())
        .or(live.task_definition())
        .unwrap_or_default()
        .to_owned();
    let to = previous_revision(ecs, &from).await?;
    Ok(RollbackPlan::Redeploy { from, to })
}

/// Stops `deployment_id` with auto-rollback; returns the rollback
/// deployment's ID when CodeDeploy reports one.
///
/// # Errors
/// AWS errors (the deployment already ended, …).
pub async fn stop(
    cd: &Client,
    deployment_id: &str,
    events: &Events,
) -> Result<Option<String>, CodeDeployError> {
    events.step(format!(
        "stopping CodeDeploy deployment {deployment_id} with rollback"
    ));
    cd.stop_deployment()
        .deployment_id(deployment_id)
        .auto_rollback_enabled(true)
        .send()
        .await
        .map_err(|e| CodeDeployError::aws("StopDeployment", e))?;
    // CodeDeploy names the rollback deployment once the stop is recorded.
    let mut delay = std::time::Duration::from_millis(500);
    for _ in 0..8 {
        let out = cd
            .get_deployment()
            .deployment_id(deployment_id)
            .send()
            .await
            .map_err(|e| CodeDeployError::aws("GetDeployment", e))?;
        let info = out.deployment_info();
        if let Some(id) = info
            .and_then(|i| i.rollback_info())
            .and_then(|r| r.rollback_deployment_id())
        {
            return Ok(Some(id.to_owned()));
        }
        if info.and_then(|i| i.status()) == Some(&DeploymentStatus::Stopped) {
            return Ok(None);
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(std::time::Duration::from_secs(5));
    }
    Ok(None)
}

async fn deployment_task_definition(
    cd: &Client,
    deployment_id: &str,
) -> Result<Option<String>, CodeDeployError> {
    let out = cd
        .get_deployment()
        .deployment_id(deployment_id)
        .send()
        .await
        .map_err(|e| CodeDeployError::aws("GetDeployment", e))?;
    let content = out
        .deployment_info()
        .and_then(|i| i.revision())
        .and_then(|r| r.app_spec_content())
        .and_then(|c| c.content())
        .unwrap_or_default();
    Ok(Deployed::parse(content).task_definition)
}

/// The ACTIVE revision of the family right below `current`.
async fn previous_revision(
    ecs: &aws_sdk_ecs::Client,
    current: &str,
) -> Result<String, CodeDeployError> {
    let name = short_task_definition(current);
    let (family, revision) = name
        .rsplit_once(':')
        .and_then(|(f, r)| r.parse::<i64>().ok().map(|r| (f, r)))
        .ok_or_else(|| invalid(format!("cannot tell the revision of `{current}`"), None))?;
    let mut next: Option<String> = None;
    loop {
        let out = ecs
            .list_task_definitions()
            .family_prefix(family)
            .sort(SortOrder::Desc)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| CodeDeployError::aws_ecs("ListTaskDefinitions", e))?;
        for arn in out.task_definition_arns() {
            let (f, r) = short_task_definition(arn)
                .rsplit_once(':')
                .unwrap_or_default();
            if f == family && r.parse::<i64>().is_ok_and(|r| r < revision) {
                return Ok(arn.clone());
            }
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_owned()),
            _ => break,
        }
    }
    Err(invalid(
        format!("no ACTIVE revision of `{family}` older than {revision} to roll back to"),
        Some("register one, or deploy the revision you want with `ristretto deploy --revision N`"),
    ))
}
