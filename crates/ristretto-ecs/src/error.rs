//! What can go wrong talking to ECS, classified by AWS error code (never by
//! message text), and what a failed deployment tells the user.

use std::time::Duration;

use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};
pub use ristretto_core::aws_error::AwsError;
pub use ristretto_core::diagnosis::{Diagnosis, StoppedContainer, StoppedTask};

/// An error of the ECS side.
#[derive(Debug, thiserror::Error)]
pub enum EcsError {
    /// An AWS call failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// The service does not exist (or is INACTIVE).
    #[error("service `{service}` does not exist in cluster `{cluster}`")]
    ServiceNotFound {
        /// Cluster name.
        cluster: String,
        /// Service name.
        service: String,
    },
    /// The request cannot be carried out as given (conflicting flags, …).
    #[error("{message}")]
    Invalid {
        /// What is wrong.
        message: String,
        /// What to do.
        hint: Option<String>,
    },
    /// The request does not fit what the service is doing (`continue` with nothing paused).
    #[error("{message}")]
    Conflict {
        /// What the service is doing instead.
        message: String,
        /// What to do.
        hint: Option<String>,
    },
    /// The deployment failed, rolled back, or another one replaced it.
    #[error("deployment failed: {reason}")]
    DeploymentFailed {
        /// Why, in one line.
        reason: String,
        /// Events and stopped tasks that explain it.
        diagnosis: Diagnosis,
    },
    /// The timeout passed while the deployment was still going.
    #[error("timed out after {} while the deployment was still in progress", ristretto_core::duration::format(*after))]
    TimedOut {
        /// The timeout.
        after: Duration,
        /// What the service was doing.
        diagnosis: Diagnosis,
    },
    /// Nothing changed for `--no-progress-timeout` while the deployment was going.
    #[error("no progress for {} (no task started or stopped, no new event); the deployment is still in progress", ristretto_core::duration::format(*after))]
    Stalled {
        /// The no-progress timeout.
        after: Duration,
        /// What the service was doing.
        diagnosis: Diagnosis,
    },
}

impl EcsError {
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

    /// The AWS error code, when this is an AWS error.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Aws(e) => e.code.as_deref(),
            _ => None,
        }
    }

    /// What explains a failed or timed-out deployment.
    #[must_use]
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        match self {
            Self::DeploymentFailed { diagnosis, .. }
            | Self::TimedOut { diagnosis, .. }
            | Self::Stalled { diagnosis, .. } => Some(diagnosis),
            _ => None,
        }
    }
}

impl ristretto_core::poll::LookError for EcsError {
    fn aws(&self) -> Option<&AwsError> {
        match self {
            Self::Aws(e) => Some(e),
            _ => None,
        }
    }
}

/// An error and its causes as one readable line, each cause once. (The
/// SDK's `DisplayErrorContext` ends with a debug dump of the whole response,
/// which is noise in a terminal.)
#[must_use]
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}
