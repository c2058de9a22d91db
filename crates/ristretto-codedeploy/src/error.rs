//! What can go wrong on the CodeDeploy side, classified by AWS error code
//! (never by message text), with what the user needs to fix it.

use std::time::Duration;

use aws_sdk_codedeploy::error::{ProvideErrorMetadata, SdkError};
use ristretto_core::aws_error::AwsError;
use ristretto_ecs::EcsError;

/// An error of a CodeDeploy deploy or wait.
#[derive(Debug, thiserror::Error)]
pub enum CodeDeployError {
    /// An ECS call failed (registering, updating, describing).
    #[error(transparent)]
    Ecs(#[from] EcsError),
    /// A CodeDeploy call failed.
    #[error(transparent)]
    Aws(AwsError),
    /// No deployment group deploys the service.
    #[error(
        "no CodeDeploy deployment group deploys service `{service}` in cluster `{cluster}`{detail}"
    )]
    GroupNotFound {
        /// Cluster name.
        cluster: String,
        /// Service name.
        service: String,
        /// What was searched, `: …` or empty.
        detail: String,
    },
    /// The request cannot be carried out as given.
    #[error("{message}")]
    Invalid {
        /// What is wrong.
        message: String,
        /// What to do.
        hint: Option<String>,
    },
    /// The AppSpec cannot be built from the service.
    #[error("cannot build the AppSpec")]
    AppSpec(#[from] crate::appspec::AppSpecError),
    /// The deployment ended Failed or Stopped.
    #[error(transparent)]
    DeploymentFailed(Box<FailedDeployment>),
    /// The timeout passed while the deployment (or the task set) was still going.
    #[error("timed out after {} while {what} was still in progress", ristretto_core::duration::format(*after))]
    TimedOut {
        /// The timeout.
        after: Duration,
        /// `CodeDeploy deployment d-…`, `the task set`.
        what: String,
    },
    /// A deployment (a rollback deployment, maybe) is in progress in the group:
    /// CodeDeploy takes one at a time (`DeploymentLimitExceededException`).
    #[error("CodeDeploy deployment {deployment_id}{} is in progress in deployment group `{group}`", if *rollback { " (a rollback)" } else { "" })]
    Busy {
        /// The deployment group.
        group: String,
        /// The deployment in progress.
        deployment_id: String,
        /// Whether CodeDeploy created it to roll another one back.
        rollback: bool,
    },
    /// Nothing changed for `--no-progress-timeout`.
    #[error("no progress for {} (no lifecycle event, task set or traffic change); {what} is still in progress", ristretto_core::duration::format(*after))]
    Stalled {
        /// The no-progress timeout.
        after: Duration,
        /// `CodeDeploy deployment d-…`.
        what: String,
    },
}

/// A deployment that ended Failed or Stopped, and what explains it.
#[derive(Debug, PartialEq, thiserror::Error)]
#[error("CodeDeploy deployment {id} {status}{}{}: {reason}",
    failed_event.as_ref().map(|e| format!(" at lifecycle event `{e}`")).unwrap_or_default(),
    hook.as_ref().map(|h| format!(" (hook `{h}`)")).unwrap_or_default())]
pub struct FailedDeployment {
    /// `d-…`.
    pub id: String,
    /// `Failed` or `Stopped`.
    pub status: String,
    /// The lifecycle event that failed, when one did.
    pub failed_event: Option<String>,
    /// The AppSpec's hook (Lambda function) on that event, when it has one.
    pub hook: Option<String>,
    /// What the failed lifecycle event's diagnostics say.
    pub diagnostic: Option<String>,
    /// CodeDeploy's error information.
    pub reason: String,
    /// What CodeDeploy did about it (its rollback message), when it says.
    pub rollback: Option<String>,
    /// The replacement task set's tasks that stopped on their own.
    pub stopped: ristretto_core::diagnosis::Diagnosis,
    /// The rollback deployment CodeDeploy started for it, and how it ended,
    /// when one was followed.
    pub rollback_deployment: Option<(String, RollbackOutcome)>,
}

/// How a rollback deployment ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackOutcome {
    /// The service is back on the previous revision.
    Succeeded {
        /// What the service runs now, when it was read.
        task_definition: Option<String>,
    },
    /// The rollback failed or was stopped.
    Failed {
        /// `Failed` or `Stopped`.
        status: String,
        /// CodeDeploy's error information.
        reason: String,
    },
    /// The wait ended (timeout, no progress) before the rollback did.
    Unfinished {
        /// Why the wait ended.
        why: String,
    },
}

impl FailedDeployment {
    /// What the rollback deployment came to, as lines under the error.
    #[must_use]
    pub fn rollback_lines(&self) -> Vec<String> {
        let Some((id, outcome)) = &self.rollback_deployment else {
            return Vec::new();
        };
        match outcome {
            RollbackOutcome::Succeeded { task_definition } => vec![format!(
                "rollback deployment {id} succeeded: the service is back on the previous revision{}",
                task_definition
                    .as_deref()
                    .map(|td| format!(" ({td})"))
                    .unwrap_or_default()
            )],
            RollbackOutcome::Failed { status, reason } => vec![
                format!("rollback deployment {id} {status}: {reason}"),
                "the service may be in a mixed state (both task sets, traffic split between them): check it with `ristretto status`, then deploy a known-good revision with `ristretto deploy --revision N`".to_owned(),
            ],
            RollbackOutcome::Unfinished { why } => vec![
                format!("rollback deployment {id} was still in progress when the wait ended ({why})"),
                format!("follow it with `ristretto wait`, or in the console: deployment {id}"),
            ],
        }
    }
}

impl ristretto_core::poll::LookError for CodeDeployError {
    fn aws(&self) -> Option<&AwsError> {
        match self {
            Self::Aws(e) | Self::Ecs(EcsError::Aws(e)) => Some(e),
            _ => None,
        }
    }
}

impl CodeDeployError {
    /// Wraps an SDK error of `operation`.
    pub fn aws<E>(
        operation: &'static str,
        error: SdkError<E, aws_sdk_ecs::config::http::HttpResponse>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        Self::Aws(AwsError::from_sdk(operation, error))
    }

    /// Wraps an SDK error of an ECS `operation`.
    pub fn aws_ecs<E>(
        operation: &'static str,
        error: SdkError<E, aws_sdk_ecs::config::http::HttpResponse>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        Self::Ecs(EcsError::aws(operation, error))
    }

    /// The AWS error code, when this is an AWS error.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Aws(e) => e.code.as_deref(),
            Self::Ecs(e) => e.code(),
            _ => None,
        }
    }

    /// Lines to print under the error.
    #[must_use]
    pub fn details(&self) -> Vec<String> {
        match self {
            Self::DeploymentFailed(failed) => failed
                .diagnostic
                .iter()
                .map(|d| format!("lifecycle event: {d}"))
                .chain(failed.stopped.lines())
                // CodeDeploy's rollback message, unless the rollback
                // deployment was followed: then its outcome says more.
                .chain(
                    failed
                        .rollback
                        .iter()
                        .filter(|_| failed.rollback_deployment.is_none())
                        .map(|r| format!("rollback: {r}")),
                )
                .chain(failed.rollback_lines())
                .collect(),
            Self::Ecs(e) => e
                .diagnosis()
                .map(ristretto_core::diagnosis::Diagnosis::lines)
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

pub(crate) fn invalid(message: impl Into<String>, hint: Option<&str>) -> CodeDeployError {
    CodeDeployError::Invalid {
        message: message.into(),
        hint: hint.map(str::to_owned),
    }
}
