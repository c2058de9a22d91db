//! The lifecycle of a native ECS blue/green, linear or canary deployment, as
//! `DescribeServiceDeployments` reports it: the stage it is in (`lifecycleStage`), its status,
//! and the lifecycle hooks awaiting action (a `PAUSE` hook stops the deployment until
//! `ContinueServiceDeployment`). Rolling deployments have none of this, so the driver reads a
//! service deployment only for the native strategies.
//!
//! [`judge`] decides, from one service deployment, whether what the user waits for
//! (`--wait-until paused`, `--wait-until ecs:<STAGE>`, the end of a rollback) has happened,
//! failed, or is still to come; or leaves the decision to the `DescribeServices` judgement
//! ([`crate::assess`]). A plain function of data, unit-tested with SDK values.
//!
//! Sources: ECS API reference, `ServiceDeployment` (`lifecycleStage`, its ten values, and
//! `lifecycleHookDetails`), `DeploymentLifecycleHookDetail` (`hookId`, `status`
//! AWAITING_ACTION, `expiresAt`, `timeoutAction`), `ContinueServiceDeployment` ("continues or
//! rolls back an Amazon ECS service deployment that is paused at a lifecycle hook"); developer
//! guide, "Continuing service deployments" (the hook must be AWAITING_ACTION and the
//! deployment IN_PROGRESS).

use std::collections::HashSet;

use aws_sdk_ecs::types::{
    DeploymentLifecycleHookStatus, DeploymentStrategy, ServiceDeployment,
    ServiceDeploymentLifecycleStage, ServiceDeploymentStatus,
};

use crate::assess::Assessment;

/// The lifecycle stages of a native deployment, in the order ECS walks them (ECS API
/// reference, `ServiceDeployment.lifecycleStage`; developer guide, "Amazon ECS blue/green
/// deployments: lifecycle stages").
pub const STAGES: [&str; 10] = [
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
];

/// One of the [`STAGES`], ordered as ECS walks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stage(usize);

impl Stage {
    /// The stage named `name` (any case: `bake_time` is `BAKE_TIME`).
    ///
    /// # Errors
    /// An unknown name: the message lists the stages in order.
    pub fn parse(name: &str) -> Result<Self, String> {
        STAGES
            .iter()
            .position(|s| s.eq_ignore_ascii_case(name))
            .map(Self)
            .ok_or_else(|| {
                format!(
                    "unknown ECS lifecycle stage `{name}`; one of {}",
                    STAGES.join(", ")
                )
            })
    }

    /// The stage ECS reports, when it is one of the ten.
    #[must_use]
    pub fn of(stage: &ServiceDeploymentLifecycleStage) -> Option<Self> {
        STAGES.iter().position(|s| *s == stage.as_str()).map(Self)
    }

    /// Its name as ECS spells it.
    #[must_use]
    pub fn name(self) -> &'static str {
        STAGES[self.0]
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether `strategy` is one of the native strategies that walk lifecycle stages and run
/// lifecycle hooks (BLUE_GREEN, LINEAR, CANARY). ROLLING (and no strategy, which is ROLLING)
/// has neither.
#[must_use]
pub fn is_native(strategy: Option<&DeploymentStrategy>) -> bool {
    matches!(
        strategy,
        Some(
            DeploymentStrategy::BlueGreen | DeploymentStrategy::Linear | DeploymentStrategy::Canary
        )
    )
}

/// What the wait on a native deployment is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// The deployment's end (`deployed`, `stable`): `DescribeServices` decides, but a
    /// rollback seen here fails at once.
    Finish,
    /// A lifecycle hook awaits action (`--wait-until paused`).
    Paused,
    /// The deployment reached this stage (`--wait-until ecs:<STAGE>`).
    Stage(Stage),
    /// The rollback that `ContinueServiceDeployment(ROLLBACK)` asked for has finished.
    RolledBack,
}

/// A lifecycle hook awaiting action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwaitingHook {
    /// `hookId`, for `ContinueServiceDeployment`.
    pub hook_id: String,
    /// `PAUSE` (the only target type that awaits action), as ECS reports it.
    pub target_type: String,
    /// When ECS takes the timeout action (RFC 3339), if it says.
    pub expires_at: Option<String>,
    /// `CONTINUE` or `ROLLBACK`, what ECS does at `expires_at`.
    pub timeout_action: Option<String>,
}

/// What one look at a service deployment says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Look {
    /// The service deployment's ID (the last part of its ARN).
    pub id: String,
    /// Its status (`IN_PROGRESS`, `ROLLBACK_IN_PROGRESS`, …).
    pub status: String,
    /// The stage it is in, when ECS says.
    pub stage: Option<String>,
    /// The hooks awaiting action (the one just continued left out).
    pub awaiting: Vec<AwaitingHook>,
    /// The decision, or `None` to leave it to the `DescribeServices` judgement.
    pub verdict: Option<Assessment>,
}

/// The ID part of a service deployment ARN (`…:service-deployment/cluster/service/ID`).
#[must_use]
pub fn short_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The hooks of `sd` that await action, except `continued` (the hook this run just
/// continued, which ECS may still report as awaiting for a moment).
#[must_use]
pub fn awaiting_hooks(sd: &ServiceDeployment, continued: Option<&str>) -> Vec<AwaitingHook> {
    sd.lifecycle_hook_details()
        .iter()
        .filter(|h| h.status() == Some(&DeploymentLifecycleHookStatus::AwaitingAction))
        .filter(|h| h.hook_id().is_some() && h.hook_id() != continued)
        .map(|h| AwaitingHook {
            hook_id: h.hook_id().unwrap_or_default().to_owned(),
            target_type: h
                .target_type()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            expires_at: h.expires_at().and_then(|t| {
                aws_smithy_types::DateTime::from_secs(t.secs())
                    .fmt(aws_smithy_types::date_time::Format::DateTime)
                    .ok()
            }),
            timeout_action: h.timeout_action().map(|a| a.as_str().to_owned()),
        })
        .collect()
}

/// Whether `status` means the deployment is being (or was) rolled back or stopped: it will
/// not reach any later stage.
fn abandoned(status: &ServiceDeploymentStatus) -> bool {
    matches!(
        status,
        ServiceDeploymentStatus::RollbackRequested
            | ServiceDeploymentStatus::RollbackInProgress
            | ServiceDeploymentStatus::RollbackSuccessful
            | ServiceDeploymentStatus::RollbackFailed
            | ServiceDeploymentStatus::StopRequested
            | ServiceDeploymentStatus::Stopped
    )
}

/// Judges the service deployment `sd` against `goal`. `continued` is the hook this run just
/// continued (or rolled back).
#[must_use]
pub fn judge(sd: &ServiceDeployment, goal: Goal, continued: Option<&str>) -> Look {
    let id = short_id(sd.service_deployment_arn().unwrap_or("?")).to_owned();
    let status = sd.status().cloned();
    let stage = sd.lifecycle_stage().and_then(Stage::of);
    let stage_name = sd.lifecycle_stage().map(|s| s.as_str().to_owned());
    let awaiting = awaiting_hooks(sd, continued);
    let at = stage_name
        .as_deref()
        .map_or_else(String::new, |s| format!(" at {s}"));
    let why = sd
        .status_reason()
        .filter(|r| !r.is_empty())
        .map_or_else(String::new, |r| format!(": {r}"));
    let status_text = status
        .as_ref()
        .map_or_else(String::new, |s| s.as_str().to_owned());
    let rolled_back = |before: &str| {
        Assessment::Failed(format!(
            "service deployment {id} was {}{at} before {before}{why}",
            match status {
                Some(ServiceDeploymentStatus::Stopped | ServiceDeploymentStatus::StopRequested) =>
                    "stopped",
                _ => "rolled back",
            }
        ))
    };
    let verdict = match (goal, status.as_ref()) {
        (Goal::RolledBack, Some(ServiceDeploymentStatus::RollbackSuccessful)) => {
            Some(Assessment::Succeeded)
        }
        (Goal::RolledBack, Some(ServiceDeploymentStatus::RollbackFailed)) => {
            Some(Assessment::Failed(format!(
                "the rollback of service deployment {id} failed{why}"
            )))
        }
        (
            Goal::RolledBack,
            Some(
                s @ (ServiceDeploymentStatus::Successful
                | ServiceDeploymentStatus::Stopped
                | ServiceDeploymentStatus::StopRequested),
            ),
        ) => Some(Assessment::Failed(format!(
            "service deployment {id} is {} instead of rolled back{why}",
            s.as_str()
        ))),
        (Goal::RolledBack, _) => Some(Assessment::InProgress),
        (Goal::Paused, Some(s)) if abandoned(s) => Some(rolled_back("pausing")),
        (Goal::Paused, Some(ServiceDeploymentStatus::InProgress)) if !awaiting.is_empty() => {
            Some(Assessment::Succeeded)
        }
        (Goal::Stage(target), Some(s)) if abandoned(s) => {
            Some(rolled_back(&format!("reaching {target}")))
        }
        (Goal::Stage(_), Some(ServiceDeploymentStatus::Successful)) => Some(Assessment::Succeeded),
        (Goal::Stage(target), Some(ServiceDeploymentStatus::InProgress))
            if stage.is_some_and(|s| s >= target) =>
        {
            Some(Assessment::Succeeded)
        }
        (Goal::Finish, Some(s)) if abandoned(s) => Some(rolled_back("finishing")),
        _ => None,
    };
    Look {
        id,
        status: status_text,
        stage: stage_name,
        awaiting,
        verdict,
    }
}

/// The command that resumes the deployment held by `hook`: `base` (`ristretto --config …
/// continue`) with `--hook-id` when more than one hook awaits (with one, `continue` finds it).
#[must_use]
pub fn resume_command(base: &str, hook: &AwaitingHook, awaiting: usize) -> String {
    if awaiting > 1 {
        format!("{base} --hook-id {}", hook.hook_id)
    } else {
        base.to_owned()
    }
}

/// The hooks of `look` not warned about yet; records them in `warned`. One warning per hook
/// however many polls see it.
pub fn new_pauses<'a>(look: &'a Look, warned: &mut HashSet<String>) -> Vec<&'a AwaitingHook> {
    look.awaiting
        .iter()
        .filter(|h| warned.insert(h.hook_id.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{
        DeploymentLifecycleHookAction, DeploymentLifecycleHookDetail,
        DeploymentLifecycleHookTargetType,
    };

    use super::*;

    const ARN: &str = "arn:aws:ecs:us-east-1:123456789012:service-deployment/default/web/AbC123";

    fn pause(id: &str, status: DeploymentLifecycleHookStatus) -> DeploymentLifecycleHookDetail {
        DeploymentLifecycleHookDetail::builder()
            .hook_id(id)
            .target_type(DeploymentLifecycleHookTargetType::Pause)
            .status(status)
            .expires_at(aws_smithy_types::DateTime::from_secs(1_800_000_000))
            .timeout_action(DeploymentLifecycleHookAction::Rollback)
            .build()
    }

    fn sd(
        status: ServiceDeploymentStatus,
        stage: &str,
        hooks: Vec<DeploymentLifecycleHookDetail>,
    ) -> ServiceDeployment {
        ServiceDeployment::builder()
            .service_deployment_arn(ARN)
            .status(status)
            .lifecycle_stage(ServiceDeploymentLifecycleStage::from(stage))
            .set_lifecycle_hook_details(Some(hooks))
            .build()
    }

    fn stage(name: &str) -> Stage {
        Stage::parse(name).expect("a stage")
    }

    // ECS API reference, ServiceDeployment.lifecycleStage: the ten stages; ecspresso fixes the
    // same order, so `ecs:BAKE_TIME` is reached by every stage from BAKE_TIME on.
    #[test]
    fn stages_parse_in_ecs_order_and_unknown_names_are_refused_with_the_list() {
        assert!(stage("PRODUCTION_TRAFFIC_SHIFT") < stage("BAKE_TIME"));
        assert!(stage("RECONCILE_SERVICE") < stage("PRE_SCALE_UP"));
        assert_eq!(stage("bake_time").name(), "BAKE_TIME");
        let err = Stage::parse("BAKING").expect_err("unknown");
        assert!(err.starts_with("unknown ECS lifecycle stage `BAKING`; one of RECONCILE_SERVICE, PRE_SCALE_UP, SCALE_UP"), "{err}");
        for (i, name) in STAGES.iter().enumerate() {
            assert_eq!(
                Stage::of(&ServiceDeploymentLifecycleStage::from(*name)),
                Some(Stage(i))
            );
        }
    }

    #[test]
    fn only_blue_green_linear_and_canary_are_native() {
        assert!(is_native(Some(&DeploymentStrategy::BlueGreen)));
        assert!(is_native(Some(&DeploymentStrategy::Linear)));
        assert!(is_native(Some(&DeploymentStrategy::Canary)));
        assert!(!is_native(Some(&DeploymentStrategy::Rolling)));
        assert!(!is_native(None));
    }

    // Developer guide, "Continuing service deployments": a PAUSE hook AWAITING_ACTION holds an
    // IN_PROGRESS deployment; `--wait-until paused` is then reached.
    #[test]
    fn paused_is_reached_when_a_hook_awaits_action() {
        let waiting = sd(
            ServiceDeploymentStatus::InProgress,
            "POST_TEST_TRAFFIC_SHIFT",
            vec![pause("h1", DeploymentLifecycleHookStatus::AwaitingAction)],
        );
        let look = judge(&waiting, Goal::Paused, None);
        assert_eq!(look.verdict, Some(Assessment::Succeeded));
        assert_eq!(look.id, "AbC123");
        assert_eq!(look.stage.as_deref(), Some("POST_TEST_TRAFFIC_SHIFT"));
        assert_eq!(
            look.awaiting,
            vec![AwaitingHook {
                hook_id: "h1".into(),
                target_type: "PAUSE".into(),
                expires_at: Some("2027-01-15T08:00:00Z".into()),
                timeout_action: Some("ROLLBACK".into()),
            }]
        );
        let running = sd(
            ServiceDeploymentStatus::InProgress,
            "SCALE_UP",
            vec![pause("h1", DeploymentLifecycleHookStatus::Succeeded)],
        );
        assert_eq!(judge(&running, Goal::Paused, None).verdict, None);
    }

    #[test]
    fn the_hook_just_continued_does_not_count_as_a_new_pause() {
        let still = sd(
            ServiceDeploymentStatus::InProgress,
            "POST_TEST_TRAFFIC_SHIFT",
            vec![pause("h1", DeploymentLifecycleHookStatus::AwaitingAction)],
        );
        let look = judge(&still, Goal::Paused, Some("h1"));
        assert_eq!(look.verdict, None);
        assert!(look.awaiting.is_empty());
    }

    // ecspresso-behaviour §11b: a rollback before the awaited point is a failure, for `paused`
    // and for `ecs:<STAGE>`.
    #[test]
    fn a_rollback_before_pausing_or_before_the_stage_is_a_failure() {
        let mut rolled = sd(
            ServiceDeploymentStatus::RollbackInProgress,
            "PRODUCTION_TRAFFIC_SHIFT",
            vec![],
        );
        rolled.status_reason = Some("Service deployment rolled back by alarm.".into());
        assert_eq!(
            judge(&rolled, Goal::Paused, None).verdict,
            Some(Assessment::Failed(
                "service deployment AbC123 was rolled back at PRODUCTION_TRAFFIC_SHIFT before pausing: Service deployment rolled back by alarm.".into()
            ))
        );
        assert_eq!(
            judge(&rolled, Goal::Stage(stage("BAKE_TIME")), None).verdict,
            Some(Assessment::Failed(
                "service deployment AbC123 was rolled back at PRODUCTION_TRAFFIC_SHIFT before reaching BAKE_TIME: Service deployment rolled back by alarm.".into()
            ))
        );
        assert!(matches!(
            judge(&rolled, Goal::Finish, None).verdict,
            Some(Assessment::Failed(m)) if m.contains("before finishing")
        ));
        let stopped = sd(ServiceDeploymentStatus::Stopped, "SCALE_UP", vec![]);
        assert_eq!(
            judge(&stopped, Goal::Stage(stage("BAKE_TIME")), None).verdict,
            Some(Assessment::Failed(
                "service deployment AbC123 was stopped at SCALE_UP before reaching BAKE_TIME"
                    .into()
            ))
        );
    }

    #[test]
    fn a_stage_is_reached_at_it_or_any_later_stage_or_when_the_deployment_succeeded() {
        let goal = Goal::Stage(stage("BAKE_TIME"));
        let at = |name: &str| {
            judge(
                &sd(ServiceDeploymentStatus::InProgress, name, vec![]),
                goal,
                None,
            )
            .verdict
        };
        assert_eq!(at("PRODUCTION_TRAFFIC_SHIFT"), None);
        assert_eq!(at("BAKE_TIME"), Some(Assessment::Succeeded));
        assert_eq!(at("CLEAN_UP"), Some(Assessment::Succeeded));
        let done = sd(ServiceDeploymentStatus::Successful, "CLEAN_UP", vec![]);
        assert_eq!(
            judge(&done, goal, None).verdict,
            Some(Assessment::Succeeded)
        );
    }

    // While waiting for a later stage, a pause at an earlier one holds the deployment: the
    // wait goes on (and warns once per hook, see `new_pauses`).
    #[test]
    fn a_pause_before_the_stage_keeps_the_wait_going_and_warns_once_per_hook() {
        let held = sd(
            ServiceDeploymentStatus::InProgress,
            "POST_TEST_TRAFFIC_SHIFT",
            vec![pause("h1", DeploymentLifecycleHookStatus::AwaitingAction)],
        );
        let look = judge(&held, Goal::Stage(stage("BAKE_TIME")), None);
        assert_eq!(look.verdict, None);
        let mut warned = HashSet::new();
        assert_eq!(new_pauses(&look, &mut warned).len(), 1);
        assert!(new_pauses(&look, &mut warned).is_empty(), "warned once");
        let two = sd(
            ServiceDeploymentStatus::InProgress,
            "POST_TEST_TRAFFIC_SHIFT",
            vec![
                pause("h1", DeploymentLifecycleHookStatus::AwaitingAction),
                pause("h2", DeploymentLifecycleHookStatus::AwaitingAction),
            ],
        );
        let look = judge(&two, Goal::Finish, None);
        let new: Vec<_> = new_pauses(&look, &mut warned)
            .into_iter()
            .map(|h| h.hook_id.clone())
            .collect();
        assert_eq!(new, ["h2"]);
    }

    #[test]
    fn the_resume_command_names_the_hook_only_when_several_await() {
        let hook = AwaitingHook {
            hook_id: "h2".into(),
            target_type: "PAUSE".into(),
            expires_at: None,
            timeout_action: None,
        };
        let base = "ristretto --config config.yaml continue";
        assert_eq!(resume_command(base, &hook, 1), base);
        assert_eq!(
            resume_command(base, &hook, 2),
            "ristretto --config config.yaml continue --hook-id h2"
        );
    }

    // API_ContinueServiceDeployment, ROLLBACK: "rolls back the deployment to the previous
    // service revision"; the service deployment ends ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED.
    #[test]
    fn a_requested_rollback_ends_with_the_rollback_status() {
        let at = |status| {
            judge(
                &sd(status, "SCALE_UP", vec![]),
                Goal::RolledBack,
                Some("h1"),
            )
            .verdict
        };
        assert_eq!(
            at(ServiceDeploymentStatus::RollbackInProgress),
            Some(Assessment::InProgress)
        );
        assert_eq!(
            at(ServiceDeploymentStatus::InProgress),
            Some(Assessment::InProgress),
            "ECS has not taken the request in yet"
        );
        assert_eq!(
            at(ServiceDeploymentStatus::RollbackSuccessful),
            Some(Assessment::Succeeded)
        );
        assert_eq!(
            at(ServiceDeploymentStatus::RollbackFailed),
            Some(Assessment::Failed(
                "the rollback of service deployment AbC123 failed".into()
            ))
        );
        assert_eq!(
            at(ServiceDeploymentStatus::Successful),
            Some(Assessment::Failed(
                "service deployment AbC123 is SUCCESSFUL instead of rolled back".into()
            ))
        );
    }

    #[test]
    fn the_end_of_a_deployment_is_left_to_describe_services_unless_it_rolled_back() {
        for status in [
            ServiceDeploymentStatus::Pending,
            ServiceDeploymentStatus::InProgress,
            ServiceDeploymentStatus::Successful,
        ] {
            assert_eq!(
                judge(&sd(status, "CLEAN_UP", vec![]), Goal::Finish, None).verdict,
                None
            );
        }
    }
}
