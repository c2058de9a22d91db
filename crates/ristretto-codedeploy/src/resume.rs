//! `continue` on a CODE_DEPLOY service: a CodeDeploy blue/green deployment that waits for a
//! person is resumed with `ContinueDeployment` — before rerouting traffic (status Ready,
//! `deploymentReadyOption.actionOnTimeout` STOP_DEPLOYMENT: READY_WAIT) or before terminating
//! the original task set (`terminateBlueInstancesOnDeploymentSuccess`: TERMINATION_WAIT).
//!
//! Sources: CodeDeploy API reference, `ContinueDeployment` ("READY_WAIT indicates that the
//! deployment is ready to start shifting traffic. TERMINATION_WAIT indicates that the traffic
//! is shifted, but the original target is not terminated"; DeploymentIsNotInReadyStateException),
//! `DeploymentInfo` (`status` Ready, `instanceTerminationWaitTimeStarted`).
//!
//! Rolling back a waiting CodeDeploy deployment is `ristretto rollback` (StopDeployment with
//! auto-rollback, followed to its end); `continue --rollback` refuses with that hint rather
//! than follow a rollback a second way.

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::types::{DeploymentInfo, DeploymentStatus, DeploymentWaitType};
use ristretto_core::event::Events;
use ristretto_ecs::EcsError;

use crate::discover::Group;
use crate::error::CodeDeployError;

/// Which wait of `info` a `ContinueDeployment` ends: READY_WAIT for a Ready deployment,
/// TERMINATION_WAIT for one in progress (CodeDeploy refuses it,
/// DeploymentIsNotInReadyStateException, unless the original task set's termination wait has
/// started, which not every answer says in `instanceTerminationWaitTimeStarted`).
///
/// # Errors
/// A deployment in any other status: nothing waits to be continued (exit 1).
pub fn wait_type(info: &DeploymentInfo) -> Result<DeploymentWaitType, CodeDeployError> {
    match info.status() {
        Some(DeploymentStatus::Ready) => Ok(DeploymentWaitType::ReadyWait),
        Some(DeploymentStatus::InProgress) => Ok(DeploymentWaitType::TerminationWait),
        other => Err(nothing_waits(
            info.deployment_id().unwrap_or("?"),
            other.map_or("?", DeploymentStatus::as_str),
        )),
    }
}

/// "nothing to continue" for deployment `id` in `status`, as the ECS side says it (exit 1).
fn nothing_waits(id: &str, status: &str) -> CodeDeployError {
    CodeDeployError::Ecs(EcsError::Conflict {
        message: format!(
            "nothing to continue: CodeDeploy deployment {id} is {status} and waits neither to reroute traffic nor to terminate the original task set"
        ),
        hint: Some("follow it with `ristretto wait`".to_owned()),
    })
}

/// Continues the deployment in progress of `group`; returns its ID.
///
/// # Errors
/// No deployment in progress, one that waits for nothing (exit 1), AWS errors.
pub async fn continue_deployment(
    cd: &Client,
    group: &Group,
    events: &Events,
) -> Result<String, CodeDeployError> {
    let Some(id) = crate::wait::in_progress(cd, group).await? else {
        return Err(CodeDeployError::Ecs(EcsError::Conflict {
            message: format!(
                "nothing to continue: no CodeDeploy deployment of `{}` / `{}` is in progress",
                group.application_name, group.deployment_group_name
            ),
            hint: None,
        }));
    };
    let info = cd
        .get_deployment()
        .deployment_id(&id)
        .send()
        .await
        .map_err(|e| CodeDeployError::aws("GetDeployment", e))?
        .deployment_info
        .unwrap_or_else(|| DeploymentInfo::builder().deployment_id(&id).build());
    let wait = wait_type(&info)?;
    events.step(format!(
        "continuing CodeDeploy deployment {id} ({})",
        wait.as_str()
    ));
    cd.continue_deployment()
        .deployment_id(&id)
        .deployment_wait_type(wait)
        .send()
        .await
        .map_err(|e| {
            if e.as_service_error()
                .and_then(aws_sdk_codedeploy::error::ProvideErrorMetadata::code)
                == Some("DeploymentIsNotInReadyStateException")
            {
                nothing_waits(&id, info.status().map_or("?", DeploymentStatus::as_str))
            } else {
                CodeDeployError::aws("ContinueDeployment", e)
            }
        })?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(status: DeploymentStatus) -> DeploymentInfo {
        DeploymentInfo::builder()
            .deployment_id("d-ABC")
            .status(status)
            .build()
    }

    // API_ContinueDeployment: READY_WAIT for a deployment ready to shift traffic (status
    // Ready), TERMINATION_WAIT once traffic shifted and the original task set waits.
    #[test]
    fn a_ready_deployment_continues_its_ready_wait_one_in_progress_its_termination_wait() {
        assert_eq!(
            wait_type(&info(DeploymentStatus::Ready)).ok(),
            Some(DeploymentWaitType::ReadyWait)
        );
        assert_eq!(
            wait_type(&info(DeploymentStatus::InProgress)).ok(),
            Some(DeploymentWaitType::TerminationWait)
        );
        let err = wait_type(&info(DeploymentStatus::Created)).expect_err("nothing waits");
        assert_eq!(
            err.to_string(),
            "nothing to continue: CodeDeploy deployment d-ABC is Created and waits neither to reroute traffic nor to terminate the original task set"
        );
    }
}
