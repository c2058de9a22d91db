//! Application Auto Scaling of a service's desired count: suspending and
//! resuming scaling, and changing its bounds, around `deploy` and `scale`.
//!
//! A scaling policy that changes the desired count in the middle of a
//! deployment makes it take longer or time out; suspending it for the length
//! of the deployment (`--pause-auto-scaling`) avoids that, as long as it is
//! always resumed afterwards — which is the caller's job (see
//! [`AutoScalingChange::pause`] and [`AutoScalingChange::resume`]).

use aws_sdk_applicationautoscaling::Client;
use aws_sdk_applicationautoscaling::types::{
    ScalableDimension, ScalableTarget, ScalingPolicy, ServiceNamespace, SuspendedState,
};

use crate::error::EcsError;
use ristretto_core::event::Events;

/// A change of a service's scalable target; every part optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AutoScalingChange {
    /// `Some(true)` suspends dynamic and scheduled scaling, `Some(false)` resumes it.
    pub suspend: Option<bool>,
    /// New minimum capacity.
    pub min: Option<i32>,
    /// New maximum capacity.
    pub max: Option<i32>,
}

impl AutoScalingChange {
    /// The change the flags ask for. `--suspend` wins over `--resume` when
    /// both are given (as in ecspresso).
    ///
    /// # Errors
    /// `min` above `max`, or a negative bound.
    pub fn from_flags(
        suspend: bool,
        resume: bool,
        min: Option<i32>,
        max: Option<i32>,
    ) -> Result<Self, EcsError> {
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            return Err(EcsError::Invalid {
                message: format!(
                    "`--auto-scaling-min` ({min}) is above `--auto-scaling-max` ({max})"
                ),
                hint: None,
            });
        }
        if min.is_some_and(|m| m < 0) || max.is_some_and(|m| m < 0) {
            return Err(EcsError::Invalid {
                message: "auto scaling bounds cannot be negative".to_owned(),
                hint: None,
            });
        }
        let suspend = if suspend {
            Some(true)
        } else if resume {
            Some(false)
        } else {
            None
        };
        Ok(Self { suspend, min, max })
    }

    /// Suspends scaling (the first half of `--pause-auto-scaling`).
    #[must_use]
    pub fn pause() -> Self {
        Self {
            suspend: Some(true),
            ..Self::default()
        }
    }

    /// Resumes scaling (the second half of `--pause-auto-scaling`).
    #[must_use]
    pub fn resume() -> Self {
        Self {
            suspend: Some(false),
            ..Self::default()
        }
    }

    /// Whether there is anything to change.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The change in words: `suspend scaling, min 2, max 10`.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match self.suspend {
            Some(true) => parts.push("suspend scaling".to_owned()),
            Some(false) => parts.push("resume scaling".to_owned()),
            None => {}
        }
        if let Some(min) = self.min {
            parts.push(format!("min {min}"));
        }
        if let Some(max) = self.max {
            parts.push(format!("max {max}"));
        }
        parts.join(", ")
    }
}

/// The Application Auto Scaling resource ID of a service.
#[must_use]
pub fn resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// The scalable targets of a service's desired count (none or one).
///
/// # Errors
/// AWS errors.
pub async fn scalable_targets(
    client: &Client,
    cluster: &str,
    service: &str,
) -> Result<Vec<ScalableTarget>, EcsError> {
    let out = client
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_ids(resource_id(cluster, service))
        .send()
        .await
        .map_err(|e| EcsError::aws("DescribeScalableTargets", e))?;
    Ok(out.scalable_targets.unwrap_or_default())
}

/// The scaling policies of a service's desired count.
///
/// # Errors
/// AWS errors.
pub async fn scaling_policies(
    client: &Client,
    cluster: &str,
    service: &str,
) -> Result<Vec<ScalingPolicy>, EcsError> {
    let out = client
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id(cluster, service))
        .send()
        .await
        .map_err(|e| EcsError::aws("DescribeScalingPolicies", e))?;
    Ok(out.scaling_policies.unwrap_or_default())
}

/// Whether a target's dynamic or scheduled scaling is suspended.
#[must_use]
pub fn is_suspended(target: &ScalableTarget) -> bool {
    target.suspended_state().is_some_and(|s| {
        s.dynamic_scaling_in_suspended() == Some(true)
            || s.dynamic_scaling_out_suspended() == Some(true)
            || s.scheduled_scaling_suspended() == Some(true)
    })
}

/// What [`apply`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The service has no scalable target: nothing was changed.
    NoTarget,
    /// The targets were changed (or, in a dry run, would be).
    Changed(Vec<String>),
}

/// Applies `change` to the service's scalable target; with `dry_run` only
/// reads. A service without a scalable target is not an error: the caller
/// warns.
///
/// # Errors
/// AWS errors.
pub async fn apply(
    client: &Client,
    cluster: &str,
    service: &str,
    change: AutoScalingChange,
    dry_run: bool,
    events: &Events,
) -> Result<Applied, EcsError> {
    if change.is_empty() {
        return Ok(Applied::Changed(Vec::new()));
    }
    let targets = scalable_targets(client, cluster, service).await?;
    if targets.is_empty() {
        return Ok(Applied::NoTarget);
    }
    let mut changed = Vec::new();
    for target in &targets {
        let id = target.resource_id().to_owned();
        if dry_run {
            changed.push(id);
            continue;
        }
        events.step(format!("auto scaling of {id}: {}", change.describe()));
        let mut request = client
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(&id)
            .set_min_capacity(change.min)
            .set_max_capacity(change.max);
        if let Some(suspend) = change.suspend {
            request = request.suspended_state(
                SuspendedState::builder()
                    .dynamic_scaling_in_suspended(suspend)
                    .dynamic_scaling_out_suspended(suspend)
                    .scheduled_scaling_suspended(suspend)
                    .build(),
            );
        }
        request
            .send()
            .await
            .map_err(|e| EcsError::aws("RegisterScalableTarget", e))?;
        changed.push(id);
    }
    Ok(Applied::Changed(changed))
}

/// A desired count outside the bounds auto scaling will enforce, if it is.
#[must_use]
pub fn outside_bounds(count: i32, targets: &[ScalableTarget]) -> Option<String> {
    targets.iter().find_map(|t| {
        let (min, max) = (t.min_capacity(), t.max_capacity());
        (count < min || count > max).then(|| {
            format!(
                "desired count {count} is outside the auto scaling bounds {min}..{max} of {}; \
                 scaling will move it back",
                t.resource_id()
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suspend_wins_over_resume() {
        let change = AutoScalingChange::from_flags(true, true, None, None).expect("valid");
        assert_eq!(change.suspend, Some(true));
    }

    #[test]
    fn no_flags_change_nothing() {
        let change = AutoScalingChange::from_flags(false, false, None, None).expect("valid");
        assert!(change.is_empty());
    }

    #[test]
    fn min_above_max_is_bad_input() {
        let err = AutoScalingChange::from_flags(false, false, Some(5), Some(2)).expect_err("bad");
        assert!(matches!(err, EcsError::Invalid { .. }), "{err}");
    }

    #[test]
    fn change_is_described_in_words() {
        let change = AutoScalingChange::from_flags(false, true, Some(1), Some(4)).expect("valid");
        assert_eq!(change.describe(), "resume scaling, min 1, max 4");
    }

    #[test]
    fn a_count_above_the_maximum_is_reported() {
        let target = ScalableTarget::builder()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id("service/default/web")
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .min_capacity(1)
            .max_capacity(4)
            .role_arn("arn")
            .creation_time(aws_smithy_types::DateTime::from_secs(0))
            .build()
            .expect("target");
        assert!(outside_bounds(8, std::slice::from_ref(&target)).is_some());
        assert!(outside_bounds(3, &[target]).is_none());
    }
}
