//! `continue`, and `rollback` of a paused deployment: find the lifecycle hook that holds the
//! service's native deployment ([`choose`], a plain function of what ECS answered) and send
//! `ContinueServiceDeployment` with CONTINUE or ROLLBACK ([`execute`]).
//!
//! Sources: ECS API reference, `ContinueServiceDeployment` (the service deployment ARN, the
//! `hookId` from `lifecycleHookDetails`, the action CONTINUE or ROLLBACK); developer guide,
//! "Continuing service deployments" (the hook must be AWAITING_ACTION, the deployment
//! IN_PROGRESS).

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{
    DeploymentLifecycleHookAction, ServiceDeployment, ServiceDeploymentStatus,
};

use crate::error::EcsError;
use crate::lifecycle::{AwaitingHook, awaiting_hooks, short_id};
use ristretto_core::event::Events;

/// The hook a `continue` acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paused {
    /// The service deployment's ARN.
    pub service_deployment: String,
    /// The hook awaiting action.
    pub hook: AwaitingHook,
    /// The stage the deployment is held at, when ECS says.
    pub stage: Option<String>,
}

/// What the service's deployments look like to `continue`.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    /// The service's name.
    pub service: &'a str,
    /// Its deployment strategy (`ROLLING` when none).
    pub strategy: &'a str,
    /// The service deployment that has not ended, if any.
    pub unfinished: Option<&'a ServiceDeployment>,
    /// Otherwise the newest one, to say how it ended.
    pub latest: Option<&'a ServiceDeployment>,
}

/// The hook to continue: the only one awaiting action on the unfinished deployment, or
/// `hook_id`. When nothing awaits, the error says what the deployment is doing.
///
/// # Errors
/// [`EcsError::Conflict`] when nothing is paused (exit 1); [`EcsError::Invalid`] when several
/// hooks await and `hook_id` names none of them (exit 2).
pub fn choose(seen: Seen<'_>, hook_id: Option<&str>) -> Result<Paused, EcsError> {
    let service = seen.service;
    let Some(sd) = seen.unfinished else {
        if !crate::lifecycle::is_native(Some(&seen.strategy.into())) {
            return Err(EcsError::Conflict {
                message: format!(
                    "nothing to continue: service `{service}` uses the {} deployment strategy, whose deployments never pause",
                    seen.strategy
                ),
                hint: Some(
                    "`continue` resumes BLUE_GREEN, LINEAR and CANARY deployments held by a PAUSE lifecycle hook"
                        .to_owned(),
                ),
            });
        }
        let last = seen.latest.map_or_else(String::new, |d| {
            format!(
                "; the last one, {}, is {}",
                short_id(d.service_deployment_arn().unwrap_or("?")),
                d.status().map_or("?", ServiceDeploymentStatus::as_str)
            )
        });
        return Err(EcsError::Conflict {
            message: format!(
                "nothing to continue: no deployment of service `{service}` is in progress{last}"
            ),
            hint: None,
        });
    };
    let id = short_id(sd.service_deployment_arn().unwrap_or("?"));
    let status = sd.status().map_or("?", ServiceDeploymentStatus::as_str);
    let at = sd
        .lifecycle_stage()
        .map_or_else(String::new, |s| format!(" at stage {}", s.as_str()));
    let awaiting = if sd.status() == Some(&ServiceDeploymentStatus::InProgress) {
        awaiting_hooks(sd, None)
    } else {
        Vec::new()
    };
    if awaiting.is_empty() {
        let hint = if sd.status() == Some(&ServiceDeploymentStatus::InProgress) {
            "`ristretto wait --wait-until paused` waits until a PAUSE hook holds it"
        } else {
            "follow it with `ristretto wait`"
        };
        return Err(EcsError::Conflict {
            message: format!(
                "nothing to continue: service deployment {id} of `{service}` is {status}{at} and no lifecycle hook awaits action"
            ),
            hint: Some(hint.to_owned()),
        });
    }
    let ids = || {
        awaiting
            .iter()
            .map(|h| h.hook_id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let hook = match hook_id {
        Some(wanted) => awaiting
            .iter()
            .find(|h| h.hook_id == wanted)
            .ok_or_else(|| EcsError::Invalid {
                message: format!(
                    "`--hook-id {wanted}`: no such lifecycle hook awaits action on service deployment {id}; awaiting: {}",
                    ids()
                ),
                hint: None,
            })?,
        None if awaiting.len() > 1 => {
            return Err(EcsError::Invalid {
                message: format!(
                    "{} lifecycle hooks await action on service deployment {id}: {}",
                    awaiting.len(),
                    ids()
                ),
                hint: Some("name the one to act on with `--hook-id`".to_owned()),
            });
        }
        None => &awaiting[0],
    };
    Ok(Paused {
        service_deployment: sd.service_deployment_arn().unwrap_or_default().to_owned(),
        hook: hook.clone(),
        stage: sd.lifecycle_stage().map(|s| s.as_str().to_owned()),
    })
}

/// Sends `ContinueServiceDeployment` for `paused`: CONTINUE, or ROLLBACK when `rollback`.
///
/// # Errors
/// AWS errors.
pub async fn execute(
    ecs: &Client,
    paused: &Paused,
    rollback: bool,
    events: &Events,
) -> Result<(), EcsError> {
    let id = short_id(&paused.service_deployment);
    let at = paused
        .stage
        .as_deref()
        .map_or_else(String::new, |s| format!(" at {s}"));
    let (action, verb) = if rollback {
        (DeploymentLifecycleHookAction::Rollback, "rolling back")
    } else {
        (DeploymentLifecycleHookAction::Continue, "continuing")
    };
    events.step(format!(
        "{verb} service deployment {id}, paused{at} by lifecycle hook {}",
        paused.hook.hook_id
    ));
    crate::service_deployment::continue_deployment(
        ecs,
        &paused.service_deployment,
        &paused.hook.hook_id,
        action,
    )
    .await
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{
        DeploymentLifecycleHookDetail, DeploymentLifecycleHookStatus,
        DeploymentLifecycleHookTargetType, ServiceDeploymentLifecycleStage,
    };

    use super::*;

    fn sd(
        status: ServiceDeploymentStatus,
        hooks: &[(&str, DeploymentLifecycleHookStatus)],
    ) -> ServiceDeployment {
        ServiceDeployment::builder()
            .service_deployment_arn("arn:aws:ecs:us-east-1:1:service-deployment/default/web/SD1")
            .status(status)
            .lifecycle_stage(ServiceDeploymentLifecycleStage::PostTestTrafficShift)
            .set_lifecycle_hook_details(Some(
                hooks
                    .iter()
                    .map(|(id, s)| {
                        DeploymentLifecycleHookDetail::builder()
                            .hook_id(*id)
                            .target_type(DeploymentLifecycleHookTargetType::Pause)
                            .status(s.clone())
                            .build()
                    })
                    .collect(),
            ))
            .build()
    }

    fn seen<'a>(
        unfinished: Option<&'a ServiceDeployment>,
        latest: Option<&'a ServiceDeployment>,
    ) -> Seen<'a> {
        Seen {
            service: "web",
            strategy: "BLUE_GREEN",
            unfinished,
            latest,
        }
    }

    const AWAITING: DeploymentLifecycleHookStatus = DeploymentLifecycleHookStatus::AwaitingAction;

    #[test]
    fn the_one_awaiting_hook_is_chosen() {
        let d = sd(
            ServiceDeploymentStatus::InProgress,
            &[
                ("old", DeploymentLifecycleHookStatus::Succeeded),
                ("h1", AWAITING),
            ],
        );
        let paused = choose(seen(Some(&d), None), None).expect("paused");
        assert_eq!(paused.hook.hook_id, "h1");
        assert_eq!(paused.stage.as_deref(), Some("POST_TEST_TRAFFIC_SHIFT"));
        assert!(paused.service_deployment.ends_with("/SD1"));
    }

    #[test]
    fn several_awaiting_hooks_need_hook_id_and_an_unknown_one_is_refused() {
        let d = sd(
            ServiceDeploymentStatus::InProgress,
            &[("h1", AWAITING), ("h2", AWAITING)],
        );
        let err = choose(seen(Some(&d), None), None).expect_err("ambiguous");
        assert!(matches!(&err, EcsError::Invalid { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "2 lifecycle hooks await action on service deployment SD1: h1, h2"
        );
        let named = choose(seen(Some(&d), None), Some("h2")).expect("named");
        assert_eq!(named.hook.hook_id, "h2");
        let err = choose(seen(Some(&d), None), Some("h9")).expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "`--hook-id h9`: no such lifecycle hook awaits action on service deployment SD1; awaiting: h1, h2"
        );
    }

    // "When nothing is paused: a clear error saying what the deployment is doing."
    #[test]
    fn nothing_paused_says_what_the_deployment_is_doing() {
        let running = sd(ServiceDeploymentStatus::InProgress, &[]);
        let err = choose(seen(Some(&running), None), None).expect_err("not paused");
        assert!(matches!(&err, EcsError::Conflict { .. }));
        assert_eq!(
            err.to_string(),
            "nothing to continue: service deployment SD1 of `web` is IN_PROGRESS at stage POST_TEST_TRAFFIC_SHIFT and no lifecycle hook awaits action"
        );
        let done = sd(ServiceDeploymentStatus::Successful, &[]);
        assert_eq!(
            choose(seen(None, Some(&done)), None)
                .expect_err("nothing in progress")
                .to_string(),
            "nothing to continue: no deployment of service `web` is in progress; the last one, SD1, is SUCCESSFUL"
        );
        let rolling = Seen {
            strategy: "ROLLING",
            ..seen(None, None)
        };
        assert_eq!(
            choose(rolling, None).expect_err("rolling").to_string(),
            "nothing to continue: service `web` uses the ROLLING deployment strategy, whose deployments never pause"
        );
    }
}
