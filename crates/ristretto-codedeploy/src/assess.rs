//! The decision of each poll of a CodeDeploy deployment, as a plain function
//! of what `GetDeploymentTarget` and (when asked) `GetDeployment` answered:
//! succeeded, reached the lifecycle event waited for, failed (at which event,
//! which hook, what CodeDeploy did about it), rolling back in a deployment of
//! its own (to follow next), or still going; and, for that rollback
//! deployment, how it ended ([`assess_rollback`]). The shell in
//! [`crate::wait`] makes the calls; this module only reads them.

use aws_sdk_codedeploy::types::{
    DeploymentInfo, DeploymentStatus, EcsTarget, LifecycleEventStatus, TargetStatus,
};

use crate::appspec::Deployed;
use crate::error::{FailedDeployment, RollbackOutcome};

/// The lifecycle events of an ECS blue/green deployment, in order.
pub const LIFECYCLE_EVENTS: [&str; 8] = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
];

/// The lifecycle event called `name` (any letter case), as CodeDeploy spells it.
#[must_use]
pub fn lifecycle_event(name: &str) -> Option<&'static str> {
    LIFECYCLE_EVENTS
        .iter()
        .copied()
        .find(|e| e.eq_ignore_ascii_case(name))
}

/// When waiting ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// The deployment succeeded.
    Finished,
    /// This lifecycle event succeeded (`--wait-until codedeploy:<event>`).
    Event(&'static str),
}

/// What one poll says.
#[derive(Debug, PartialEq)]
pub enum Assessment {
    /// The deployment succeeded.
    Succeeded,
    /// The lifecycle event waited for succeeded; the deployment goes on.
    Reached(&'static str),
    /// The deployment ended Failed or Stopped. Its green task set's stopped
    /// tasks are not known here: the shell adds them.
    Failed(Box<FailedDeployment>),
    /// The deployment ended Failed or Stopped and CodeDeploy rolls it back in
    /// a deployment of its own (`rollbackInfo.rollbackDeploymentId`), which
    /// is what to follow next.
    RollingBack {
        /// The deployment that failed or was stopped.
        failed: Box<FailedDeployment>,
        /// The rollback deployment, `d-…`.
        rollback_id: String,
    },
    /// Still going.
    InProgress,
}

/// Polls that ask `GetDeployment` even while the target looks busy: a
/// safeguard against a target that stopped being updated.
const SAFEGUARD_EVERY: u32 = 8;

/// Whether poll number `polls` (from 1) should also ask `GetDeployment`:
/// when the target is missing or no longer busy, and every
/// [`SAFEGUARD_EVERY`] polls.
#[must_use]
pub fn needs_deployment(target: Option<&EcsTarget>, polls: u32) -> bool {
    let busy = target.is_some_and(|t| {
        matches!(
            t.status(),
            Some(TargetStatus::InProgress | TargetStatus::Pending | TargetStatus::Ready)
        )
    });
    !busy || polls.is_multiple_of(SAFEGUARD_EVERY)
}

/// Whether CodeDeploy has finished with the deployment (the outcome is final).
#[must_use]
pub fn is_over(deployment: &DeploymentInfo) -> bool {
    matches!(
        deployment.status(),
        Some(DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped)
    )
}

/// Decides one poll: `target` is the deployment's ECS target (absent before
/// CodeDeploy creates it), `deployment` the `GetDeployment` answer when this
/// poll asked for it.
#[must_use]
pub fn assess(
    target: Option<&EcsTarget>,
    deployment: Option<&DeploymentInfo>,
    until: Until,
) -> Assessment {
    if let (Until::Event(name), Some(target)) = (until, target)
        && event_status(target, name) == Some(&LifecycleEventStatus::Succeeded)
    {
        return Assessment::Reached(name);
    }
    let Some(info) = deployment else {
        return Assessment::InProgress;
    };
    match info.status() {
        Some(DeploymentStatus::Succeeded) => Assessment::Succeeded,
        Some(status @ (DeploymentStatus::Failed | DeploymentStatus::Stopped)) => {
            let failed = Box::new(failure(info, status, target));
            match info
                .rollback_info()
                .and_then(|r| r.rollback_deployment_id())
                .filter(|id| !id.is_empty())
            {
                Some(id) => Assessment::RollingBack {
                    failed,
                    rollback_id: id.to_owned(),
                },
                None => Assessment::Failed(failed),
            }
        }
        _ => Assessment::InProgress,
    }
}

/// Decides one poll of a rollback deployment: how it ended, or `None`
/// while it goes on. A rollback that fails or is stopped says why.
#[must_use]
pub fn assess_rollback(
    target: Option<&EcsTarget>,
    deployment: Option<&DeploymentInfo>,
) -> Option<RollbackOutcome> {
    match assess(target, deployment, Until::Finished) {
        Assessment::Succeeded => Some(RollbackOutcome::Succeeded {
            task_definition: None,
        }),
        Assessment::Failed(failed) | Assessment::RollingBack { failed, .. } => {
            Some(RollbackOutcome::Failed {
                status: failed.status,
                reason: failed.reason,
            })
        }
        Assessment::Reached(_) | Assessment::InProgress => None,
    }
}

fn event_status<'a>(target: &'a EcsTarget, name: &str) -> Option<&'a LifecycleEventStatus> {
    target
        .lifecycle_events()
        .iter()
        .find(|e| e.lifecycle_event_name() == Some(name))
        .and_then(|e| e.status())
}

/// What explains a Failed or Stopped deployment: the failed lifecycle event
/// and its diagnostics, the AppSpec hook on it, CodeDeploy's error and its
/// rollback message.
fn failure(
    info: &DeploymentInfo,
    status: &DeploymentStatus,
    target: Option<&EcsTarget>,
) -> FailedDeployment {
    let failed = target.and_then(|t| {
        t.lifecycle_events()
            .iter()
            .find(|e| e.status() == Some(&LifecycleEventStatus::Failed))
    });
    let failed_event = failed
        .and_then(|e| e.lifecycle_event_name())
        .map(str::to_owned);
    let diagnostic = failed
        .and_then(|e| e.diagnostics())
        .and_then(|d| d.message())
        .filter(|m| !m.is_empty())
        .map(str::to_owned);
    let appspec = info
        .revision()
        .and_then(|r| r.app_spec_content())
        .and_then(|c| c.content())
        .map(Deployed::parse)
        .unwrap_or_default();
    let hook = failed_event
        .as_deref()
        .and_then(|e| appspec.hook(e))
        .map(str::to_owned);
    let reason = match info.error_information() {
        None if status == &DeploymentStatus::Stopped => "stopped".to_owned(),
        None => "no error information".to_owned(),
        Some(e) => format!(
            "{}{}",
            e.code()
                .map(|c| format!("{}: ", c.as_str()))
                .unwrap_or_default(),
            e.message().unwrap_or("no message")
        ),
    };
    FailedDeployment {
        id: info.deployment_id().unwrap_or_default().to_owned(),
        status: status.as_str().to_owned(),
        failed_event,
        hook,
        diagnostic,
        reason,
        stopped: ristretto_core::diagnosis::Diagnosis::default(),
        rollback_deployment: None,
        rollback: info
            .rollback_info()
            .and_then(|r| r.rollback_message())
            .map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_codedeploy::types::{
        AppSpecContent, Diagnostics, ErrorCode, ErrorInformation, LifecycleEvent, RevisionLocation,
        RollbackInfo,
    };

    use super::*;

    fn target(status: TargetStatus, events: &[(&str, LifecycleEventStatus)]) -> EcsTarget {
        let mut b = EcsTarget::builder().status(status);
        for (name, s) in events {
            b = b.lifecycle_events(
                LifecycleEvent::builder()
                    .lifecycle_event_name(*name)
                    .status(s.clone())
                    .build(),
            );
        }
        b.build()
    }

    fn deployment(status: DeploymentStatus) -> DeploymentInfo {
        DeploymentInfo::builder()
            .deployment_id("d-TEST")
            .status(status)
            .build()
    }

    use LifecycleEventStatus as L;

    #[test]
    fn a_busy_target_is_still_going_without_asking_get_deployment() {
        let t = target(
            TargetStatus::InProgress,
            &[("BeforeInstall", L::Succeeded), ("Install", L::InProgress)],
        );
        assert!(!needs_deployment(Some(&t), 1));
        assert!(needs_deployment(Some(&t), SAFEGUARD_EVERY));
        assert_eq!(
            assess(Some(&t), None, Until::Finished),
            Assessment::InProgress
        );
        let running = deployment(DeploymentStatus::InProgress);
        assert_eq!(
            assess(Some(&t), Some(&running), Until::Finished),
            Assessment::InProgress
        );
    }

    #[test]
    fn no_target_yet_asks_get_deployment() {
        assert!(needs_deployment(None, 1));
        let queued = deployment(DeploymentStatus::Queued);
        assert_eq!(
            assess(None, Some(&queued), Until::Finished),
            Assessment::InProgress
        );
    }

    #[test]
    fn succeeded_when_codedeploy_says_so() {
        let t = target(
            TargetStatus::Succeeded,
            &[("AfterAllowTraffic", L::Succeeded)],
        );
        assert!(needs_deployment(Some(&t), 1));
        let done = deployment(DeploymentStatus::Succeeded);
        assert!(is_over(&done));
        assert_eq!(
            assess(Some(&t), Some(&done), Until::Finished),
            Assessment::Succeeded
        );
    }

    #[test]
    fn the_awaited_lifecycle_event_ends_the_wait_before_the_deployment() {
        let t = target(
            TargetStatus::InProgress,
            &[
                ("AllowTestTraffic", L::Succeeded),
                ("AfterAllowTestTraffic", L::Succeeded),
                ("BeforeAllowTraffic", L::InProgress),
            ],
        );
        assert_eq!(
            assess(Some(&t), None, Until::Event("AfterAllowTestTraffic")),
            Assessment::Reached("AfterAllowTestTraffic")
        );
        assert_eq!(
            assess(Some(&t), None, Until::Event("AllowTraffic")),
            Assessment::InProgress
        );
    }

    #[test]
    fn failed_at_a_hook_names_the_event_the_function_and_the_rollback() {
        let t = EcsTarget::builder()
            .status(TargetStatus::Failed)
            .lifecycle_events(
                LifecycleEvent::builder()
                    .lifecycle_event_name("AllowTestTraffic")
                    .status(L::Succeeded)
                    .build(),
            )
            .lifecycle_events(
                LifecycleEvent::builder()
                    .lifecycle_event_name("AfterAllowTestTraffic")
                    .status(L::Failed)
                    .diagnostics(Diagnostics::builder().message("smoke test failed").build())
                    .build(),
            )
            .build();
        let appspec = "version: 0.0\nResources: []\nHooks:\n- AfterAllowTestTraffic: arn:aws:lambda:us-east-1:1:function:smoke\n";
        let info = DeploymentInfo::builder()
            .deployment_id("d-TEST")
            .status(DeploymentStatus::Failed)
            .error_information(
                ErrorInformation::builder()
                    .code(ErrorCode::HookExecutionFailure)
                    .message("hook failed")
                    .build(),
            )
            .rollback_info(
                RollbackInfo::builder()
                    .rollback_message("traffic returned to the original task set")
                    .build(),
            )
            .revision(
                RevisionLocation::builder()
                    .app_spec_content(AppSpecContent::builder().content(appspec).build())
                    .build(),
            )
            .build();
        let Assessment::Failed(failed) = assess(Some(&t), Some(&info), Until::Finished) else {
            panic!("a failed deployment is a failure");
        };
        assert_eq!(failed.status, "Failed");
        assert_eq!(
            failed.failed_event.as_deref(),
            Some("AfterAllowTestTraffic")
        );
        assert_eq!(
            failed.hook.as_deref(),
            Some("arn:aws:lambda:us-east-1:1:function:smoke")
        );
        assert_eq!(failed.diagnostic.as_deref(), Some("smoke test failed"));
        assert_eq!(failed.reason, "HOOK_EXECUTION_FAILURE: hook failed");
        assert_eq!(
            failed.rollback.as_deref(),
            Some("traffic returned to the original task set")
        );
        // A failure wins over a lifecycle event waited for that never came.
        assert!(matches!(
            assess(Some(&t), Some(&info), Until::Event("AllowTraffic")),
            Assessment::Failed(_)
        ));
    }

    #[test]
    fn stopped_without_error_information_says_stopped() {
        let info = deployment(DeploymentStatus::Stopped);
        let Assessment::Failed(failed) = assess(None, Some(&info), Until::Finished) else {
            panic!("a stopped deployment is a failure");
        };
        assert_eq!(failed.status, "Stopped");
        assert_eq!(failed.reason, "stopped");
        assert_eq!(failed.failed_event, None);
        assert_eq!(
            failed.to_string(),
            "CodeDeploy deployment d-TEST Stopped: stopped"
        );
    }

    #[test]
    fn lifecycle_events_are_matched_in_any_case() {
        assert_eq!(
            lifecycle_event("afterallowtesttraffic"),
            Some("AfterAllowTestTraffic")
        );
        assert_eq!(lifecycle_event("AfterTest"), None);
    }

    fn rolled_back(status: DeploymentStatus, rollback_id: Option<&str>) -> DeploymentInfo {
        let mut rollback = RollbackInfo::builder().rollback_message("Rollback in progress");
        if let Some(id) = rollback_id {
            rollback = rollback.rollback_deployment_id(id);
        }
        DeploymentInfo::builder()
            .deployment_id("d-FAILED")
            .status(status)
            .rollback_info(rollback.build())
            .build()
    }

    // API_RollbackInfo, rollbackDeploymentId: a failed or stopped deployment that CodeDeploy
    // rolls back names the rollback deployment, which is what to follow next.
    #[test]
    fn a_failed_deployment_with_a_rollback_deployment_is_rolling_back() {
        for status in [DeploymentStatus::Failed, DeploymentStatus::Stopped] {
            let info = rolled_back(status.clone(), Some("d-ROLLBACK"));
            let Assessment::RollingBack {
                failed,
                rollback_id,
            } = assess(None, Some(&info), Until::Finished)
            else {
                panic!("{status:?} with a rollback deployment rolls back");
            };
            assert_eq!(rollback_id, "d-ROLLBACK");
            assert_eq!(failed.id, "d-FAILED");
            assert_eq!(failed.status, status.as_str());
        }
        // Waiting for a lifecycle event that never came: the rollback is still followed.
        let info = rolled_back(DeploymentStatus::Failed, Some("d-ROLLBACK"));
        assert!(matches!(
            assess(None, Some(&info), Until::Event("AllowTraffic")),
            Assessment::RollingBack { .. }
        ));
        // A rollback message without a rollback deployment (or an empty ID) is a plain failure.
        for id in [None, Some("")] {
            let info = rolled_back(DeploymentStatus::Failed, id);
            assert!(matches!(
                assess(None, Some(&info), Until::Finished),
                Assessment::Failed(_)
            ));
        }
    }

    #[test]
    fn a_rollback_deployment_ends_succeeded_failed_or_not_yet() {
        let running = deployment(DeploymentStatus::InProgress);
        assert_eq!(assess_rollback(None, Some(&running)), None);
        assert_eq!(assess_rollback(None, None), None);
        let done = deployment(DeploymentStatus::Succeeded);
        assert_eq!(
            assess_rollback(None, Some(&done)),
            Some(RollbackOutcome::Succeeded {
                task_definition: None
            })
        );
        let failed = DeploymentInfo::builder()
            .deployment_id("d-ROLLBACK")
            .status(DeploymentStatus::Failed)
            .error_information(
                ErrorInformation::builder()
                    .code(ErrorCode::EcsUpdateError)
                    .message("the original task set cannot reach a steady state")
                    .build(),
            )
            .build();
        assert_eq!(
            assess_rollback(None, Some(&failed)),
            Some(RollbackOutcome::Failed {
                status: "Failed".to_owned(),
                reason: "ECS_UPDATE_ERROR: the original task set cannot reach a steady state"
                    .to_owned()
            })
        );
        let stopped = deployment(DeploymentStatus::Stopped);
        assert_eq!(
            assess_rollback(None, Some(&stopped)),
            Some(RollbackOutcome::Failed {
                status: "Stopped".to_owned(),
                reason: "stopped".to_owned()
            })
        );
    }

    #[test]
    fn the_error_names_the_rollback_and_what_to_do_when_it_failed() {
        let info = rolled_back(DeploymentStatus::Failed, Some("d-ROLLBACK"));
        let Assessment::RollingBack { mut failed, .. } = assess(None, Some(&info), Until::Finished)
        else {
            panic!("rolling back");
        };
        failed.rollback_deployment = Some((
            "d-ROLLBACK".to_owned(),
            RollbackOutcome::Succeeded {
                task_definition: Some("web:1".to_owned()),
            },
        ));
        assert_eq!(
            failed.rollback_lines(),
            [
                "rollback deployment d-ROLLBACK succeeded: the service is back on the previous revision (web:1)"
            ]
        );
        failed.rollback_deployment = Some((
            "d-ROLLBACK".to_owned(),
            RollbackOutcome::Failed {
                status: "Failed".to_owned(),
                reason: "no error information".to_owned(),
            },
        ));
        let lines = failed.rollback_lines();
        assert_eq!(
            lines[0],
            "rollback deployment d-ROLLBACK Failed: no error information"
        );
        assert!(
            lines[1].contains("mixed state") && lines[1].contains("ristretto deploy --revision")
        );
        failed.rollback_deployment = Some((
            "d-ROLLBACK".to_owned(),
            RollbackOutcome::Unfinished {
                why: "timed out after 10m".to_owned(),
            },
        ));
        let lines = failed.rollback_lines();
        assert!(lines[0].contains("still in progress") && lines[1].contains("ristretto wait"));
    }
}
