//! `rollback` of a CODE_DEPLOY service. A deployment in progress is stopped
//! with auto-rollback, so CodeDeploy puts the blue task set back in a
//! rollback deployment of its own, which is then followed; a rollback
//! deployment already in progress is only followed; with none in progress,
//! the previous ACTIVE revision is deployed again through a new CodeDeploy
//! deployment.

use std::time::Duration;

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::types::DeploymentStatus;
use aws_sdk_ecs::types::Service;
use ristretto_core::event::{Events, short_task_definition};
use ristretto_core::poll::{Backoff, Limits, Look, Pace, poll};
use ristretto_ecs::task_definition::{active_revisions, split_revision};
use tokio::time::Instant;

use crate::appspec::Deployed;
use crate::discover::Group;
use crate::error::{CodeDeployError, invalid};
use crate::plan::running_task_definition;
use crate::wait::{get_deployment, in_progress};

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
    /// A rollback deployment CodeDeploy started is in progress: follow it.
    Follow {
        /// `d-…`.
        deployment_id: String,
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
        let info = get_deployment(cd, &deployment_id).await?;
        if crate::wait::is_rollback(&info) {
            return Ok(RollbackPlan::Follow { deployment_id });
        }
        let task_definition = appspec_task_definition(&info);
        return Ok(RollbackPlan::Stop {
            deployment_id,
            task_definition,
        });
    }
    let from = running_task_definition(live).to_owned();
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
    // CodeDeploy names the rollback deployment once the stop is recorded:
    // look for it for a short while.
    let pace = Pace {
        first: Duration::from_millis(500),
        max: Duration::from_secs(5),
        factor: 2.0,
        close: Duration::from_millis(500),
    };
    let mut backoff = Backoff::new(pace);
    let limits = Limits {
        deadline: Instant::now() + STOP_RECORDED_WITHIN,
        no_progress: None,
        first_look: None,
    };
    let found = poll(limits, events, async || {
        let info = get_deployment(cd, deployment_id).await?;
        if let Some(id) = info
            .rollback_info()
            .and_then(|r| r.rollback_deployment_id())
        {
            return Ok(Look::Done(Some(id.to_owned())));
        }
        if info.status() == Some(&DeploymentStatus::Stopped) {
            return Ok(Look::Done(None));
        }
        Ok::<_, CodeDeployError>(Look::Again {
            changed: false,
            next: backoff.next(false),
        })
    })
    .await?;
    Ok(found.unwrap_or(None))
}

/// How long [`stop`] looks for the rollback deployment's ID.
const STOP_RECORDED_WITHIN: Duration = Duration::from_secs(30);

/// The task definition the AppSpec of deployment `info` deploys.
fn appspec_task_definition(info: &aws_sdk_codedeploy::types::DeploymentInfo) -> Option<String> {
    let content = info
        .revision()
        .and_then(|r| r.app_spec_content())
        .and_then(|c| c.content())
        .unwrap_or_default();
    Deployed::parse(content).task_definition
}

/// The ACTIVE revision of the family right below `current`.
async fn previous_revision(
    ecs: &aws_sdk_ecs::Client,
    current: &str,
) -> Result<String, CodeDeployError> {
    let (family, revision) = split_revision(current)
        .ok_or_else(|| invalid(format!("cannot tell the revision of `{current}`"), None))?;
    let active = active_revisions(ecs, family).await?;
    ristretto_ecs::rollback::previous_revision(&active, current)
        .cloned()
        .ok_or_else(|| {
            invalid(
                format!("no ACTIVE revision of `{family}` older than {revision} to roll back to"),
                Some("register one, or deploy the revision you want with `ristretto deploy --revision N`"),
            )
        })
}

/// The deployment that puts revision `to` back on the service `live`, as a
/// deploy of that revision would: the live service's load balancer, network
/// and capacity settings in the AppSpec, the config's hooks.
///
/// # Errors
/// The AppSpec cannot be built from the live service.
pub fn redeploy_request(
    live: &Service,
    group: &Group,
    to: &str,
    settings: &crate::plan::Settings<'_>,
) -> Result<crate::start::DeploymentRequest, CodeDeployError> {
    Ok(crate::start::DeploymentRequest {
        group: group.clone(),
        deployment_config_name: settings.deployment_config_name.map(str::to_owned),
        appspec: crate::appspec::build(live.into(), to, settings.appspec)?,
        rollback_events: settings.rollback_events.to_vec(),
    })
}

/// What [`execute`] started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// The deployment to follow to the end: the rollback deployment
    /// CodeDeploy started, or the new deployment of the previous revision;
    /// `None` when CodeDeploy named no rollback deployment (then the service's
    /// task set is what to wait for).
    pub follow: Option<String>,
    /// The deployment this rollback created, when it created one.
    pub created: Option<crate::start::Created>,
}

/// Carries out `plan`: stops the deployment in progress with auto-rollback,
/// or deploys the previous revision in a new CodeDeploy deployment.
///
/// # Errors
/// The AppSpec cannot be built, AWS errors.
pub async fn execute(
    cd: &Client,
    plan: RollbackPlan,
    live: &Service,
    group: &Group,
    settings: &crate::plan::Settings<'_>,
    events: &Events,
) -> Result<Started, CodeDeployError> {
    match plan {
        RollbackPlan::Stop { deployment_id, .. } => {
            let follow = stop(cd, &deployment_id, events).await?;
            Ok(Started {
                follow,
                created: None,
            })
        }
        RollbackPlan::Follow { deployment_id } => {
            events.step(format!(
                "rollback deployment {deployment_id} is already in progress; following it"
            ));
            Ok(Started {
                follow: Some(deployment_id),
                created: None,
            })
        }
        RollbackPlan::Redeploy { from, to } => {
            events.step(format!(
                "no CodeDeploy deployment in progress; deploying {} in place of {}",
                short_task_definition(&to),
                short_task_definition(&from)
            ));
            let request = redeploy_request(live, group, &to, settings)?;
            let created = crate::start::create_deployment(cd, &request, events).await?;
            Ok(Started {
                follow: Some(created.deployment_id.clone()),
                created: Some(created),
            })
        }
    }
}
