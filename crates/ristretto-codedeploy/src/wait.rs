//! Following a CodeDeploy deployment to its end, the way `ristretto-ecs`
//! follows a rolling one: one call per poll (`GetDeploymentTarget`, which
//! carries the lifecycle events and the traffic weights), quick after a
//! change, slower while nothing moves. `GetDeployment` decides the outcome:
//! it is asked when the target says the deployment is over, when the target
//! does not exist yet, and now and then as a safeguard.
//!
//! Without a deployment in progress (a service just created), waiting means
//! one PRIMARY task set in STEADY_STATE, read from `DescribeServices`.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::error::ProvideErrorMetadata;
use aws_sdk_codedeploy::types::{
    DeploymentInfo, DeploymentStatus, EcsTarget, LifecycleEventStatus, TargetLabel, TargetStatus,
};
use ristretto_core::appspec::Deployed;
use ristretto_ecs::error::{Diagnosis, StoppedTask};
use ristretto_ecs::event::{Event, Events, TaskSetProgress, short_task_definition};
use ristretto_ecs::service::{require_service, stopped_tasks};
use ristretto_ecs::wait::Pace;
use tokio::time::Instant;

use crate::discover::Group;
use crate::error::{CodeDeployError, FailedDeployment};

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

/// What and how long to wait.
#[derive(Debug, Clone)]
pub struct WaitSpec {
    /// Cluster name.
    pub cluster: String,
    /// Service name.
    pub service: String,
    /// The deployment, `d-…`.
    pub deployment_id: String,
    /// When waiting ends.
    pub until: Until,
    /// Give up (timed out) at this instant.
    pub deadline: Instant,
    /// The timeout, for the message.
    pub timeout: Duration,
    /// Give up when nothing changed (lifecycle events, task sets, traffic)
    /// for this long.
    pub no_progress_timeout: Option<Duration>,
    /// Poll pace.
    pub pace: Pace,
}

/// How waiting ended well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The deployment succeeded.
    Succeeded,
    /// The lifecycle event waited for succeeded; the deployment goes on.
    Reached(&'static str),
}

/// Polls asked of `GetDeployment` even while the target looks busy.
const SAFEGUARD_EVERY: u32 = 8;

/// The deployment in progress in `group` (Created, Queued, InProgress, Ready), newest first.
///
/// # Errors
/// AWS errors.
pub async fn in_progress(cd: &Client, group: &Group) -> Result<Option<String>, CodeDeployError> {
    let out = cd
        .list_deployments()
        .application_name(&group.application_name)
        .deployment_group_name(&group.deployment_group_name)
        .set_include_only_statuses(Some(vec![
            DeploymentStatus::Created,
            DeploymentStatus::Queued,
            DeploymentStatus::InProgress,
            DeploymentStatus::Ready,
        ]))
        .send()
        .await
        .map_err(|e| CodeDeployError::aws("ListDeployments", e))?;
    Ok(out.deployments().first().cloned())
}

/// Polls until the deployment succeeds (or reaches `spec.until`), fails, is
/// stopped, or the deadline passes. `ecs` reads the stopped tasks of the
/// green task set when the deployment fails.
///
/// # Errors
/// [`CodeDeployError::DeploymentFailed`] naming the failed lifecycle event
/// and the green task set's stopped tasks, [`CodeDeployError::TimedOut`],
/// AWS errors.
pub async fn wait_for_deployment(
    cd: &Client,
    ecs: &aws_sdk_ecs::Client,
    spec: &WaitSpec,
    events: &Events,
) -> Result<Outcome, CodeDeployError> {
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut last_sets: Option<Vec<TaskSetProgress>> = None;
    // The replacement task set, remembered: a rollback may delete it.
    let mut green: Option<String> = None;
    let mut interval = spec.pace.first;
    let mut polls: u32 = 0;
    let mut last_change = Instant::now();
    loop {
        polls += 1;
        let target = get_target(cd, spec).await?;
        let mut changed = false;
        if let Some(target) = &target {
            green = green_task_set(target).or(green);
            changed |= report_lifecycle(target, &mut seen, events);
            let sets = task_sets_of(target);
            if !sets.is_empty() && last_sets.as_ref() != Some(&sets) {
                events.emit(Event::TaskSets {
                    task_sets: sets.clone(),
                });
                last_sets = Some(sets);
                changed = true;
            }
            if let Until::Event(name) = spec.until
                && seen.get(name).map(String::as_str) == Some("Succeeded")
            {
                events.emit(Event::Finished {
                    outcome: "succeeded".into(),
                    message: format!(
                        "lifecycle event {name} of deployment {} succeeded; the deployment goes on",
                        spec.deployment_id
                    ),
                });
                return Ok(Outcome::Reached(name));
            }
        }
        let busy = target.as_ref().is_some_and(|t| {
            matches!(
                t.status(),
                Some(TargetStatus::InProgress | TargetStatus::Pending | TargetStatus::Ready)
            )
        });
        if !busy || polls.is_multiple_of(SAFEGUARD_EVERY) {
            let info = get_deployment(cd, &spec.deployment_id).await?;
            match info.status() {
                Some(DeploymentStatus::Succeeded) => {
                    // The last events, so the log shows every step.
                    if let Some(target) = get_target(cd, spec).await? {
                        report_lifecycle(&target, &mut seen, events);
                    }
                    events.emit(Event::Finished {
                        outcome: "succeeded".into(),
                        message: format!("CodeDeploy deployment {} succeeded", spec.deployment_id),
                    });
                    return Ok(Outcome::Succeeded);
                }
                Some(status @ (DeploymentStatus::Failed | DeploymentStatus::Stopped)) => {
                    let target = get_target(cd, spec).await?;
                    if let Some(target) = &target {
                        green = green_task_set(target).or(green);
                        report_lifecycle(target, &mut seen, events);
                    }
                    // Best effort: a failing lookup must not hide the real error.
                    let stopped = match (&green, status) {
                        (Some(set), DeploymentStatus::Failed) => {
                            stopped_tasks(ecs, &spec.cluster, set, 5)
                                .await
                                .unwrap_or_default()
                        }
                        _ => Vec::new(),
                    };
                    let error = failure(&info, status, target.as_ref(), stopped);
                    events.emit(Event::Finished {
                        outcome: "failed".into(),
                        message: error.to_string(),
                    });
                    return Err(error);
                }
                _ => {}
            }
        }
        let now = Instant::now();
        if now >= spec.deadline {
            events.emit(Event::Finished {
                outcome: "timed_out".into(),
                message: format!(
                    "CodeDeploy deployment {} still in progress",
                    spec.deployment_id
                ),
            });
            return Err(CodeDeployError::TimedOut {
                after: spec.timeout,
                what: format!("CodeDeploy deployment {}", spec.deployment_id),
            });
        }
        if changed {
            last_change = now;
        }
        let stall_at = spec.no_progress_timeout.map(|limit| last_change + limit);
        if let (Some(limit), Some(at)) = (spec.no_progress_timeout, stall_at)
            && now >= at
        {
            events.emit(Event::Finished {
                outcome: "timed_out".into(),
                message: format!(
                    "nothing changed for {}",
                    ristretto_core::duration::format(limit)
                ),
            });
            return Err(CodeDeployError::Stalled {
                after: limit,
                what: format!("CodeDeploy deployment {}", spec.deployment_id),
            });
        }
        interval = if changed {
            spec.pace.first
        } else {
            interval.mul_f64(spec.pace.factor).min(spec.pace.max)
        };
        let mut sleep = interval.min(spec.deadline - now);
        if let Some(at) = stall_at {
            sleep = sleep.min(at - now);
        }
        tokio::time::sleep(sleep).await;
    }
}

/// The ID of the target's GREEN (replacement) task set.
fn green_task_set(target: &EcsTarget) -> Option<String> {
    target
        .task_sets_info()
        .iter()
        .find(|s| s.task_set_label() == Some(&TargetLabel::Green))
        .and_then(|s| s.identifer())
        .map(str::to_owned)
}

fn failure(
    info: &DeploymentInfo,
    status: &DeploymentStatus,
    target: Option<&EcsTarget>,
    stopped_tasks: Vec<StoppedTask>,
) -> CodeDeployError {
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
    let reason = info.error_information().map_or_else(
        || "no error information".to_owned(),
        |e| {
            format!(
                "{}{}",
                e.code()
                    .map(|c| format!("{}: ", c.as_str()))
                    .unwrap_or_default(),
                e.message().unwrap_or("no message")
            )
        },
    );
    let reason = if status == &DeploymentStatus::Stopped && info.error_information().is_none() {
        "stopped".to_owned()
    } else {
        reason
    };
    CodeDeployError::DeploymentFailed(Box::new(FailedDeployment {
        id: info.deployment_id().unwrap_or_default().to_owned(),
        status: status.as_str().to_owned(),
        failed_event,
        hook,
        diagnostic,
        reason,
        stopped: Diagnosis {
            events: Vec::new(),
            stopped_tasks,
        },
        rollback: info
            .rollback_info()
            .and_then(|r| r.rollback_message())
            .map(str::to_owned),
    }))
}

/// Emits each lifecycle event whose status changed (Pending is not news).
fn report_lifecycle(
    target: &EcsTarget,
    seen: &mut HashMap<String, String>,
    events: &Events,
) -> bool {
    let mut changed = false;
    for e in target.lifecycle_events() {
        let (Some(name), Some(status)) = (e.lifecycle_event_name(), e.status()) else {
            continue;
        };
        let status = status.as_str();
        if status == "Pending" || seen.get(name).map(String::as_str) == Some(status) {
            continue;
        }
        seen.insert(name.to_owned(), status.to_owned());
        events.emit(Event::LifecycleEvent {
            name: name.to_owned(),
            status: status.to_owned(),
        });
        changed = true;
    }
    changed
}

/// The task sets of the target, the one with most traffic first.
fn task_sets_of(target: &EcsTarget) -> Vec<TaskSetProgress> {
    let mut sets: Vec<TaskSetProgress> = target
        .task_sets_info()
        .iter()
        .map(|s| TaskSetProgress {
            label: s
                .task_set_label()
                .map(|l| l.as_str().to_uppercase())
                .unwrap_or_default(),
            status: s.status().unwrap_or_default().to_owned(),
            task_definition: String::new(),
            desired: s.desired_count(),
            pending: s.pending_count(),
            running: s.running_count(),
            traffic_weight: s.traffic_weight(),
            stability: String::new(),
        })
        .collect();
    sets.sort_by(|a, b| b.traffic_weight.total_cmp(&a.traffic_weight));
    sets
}

async fn get_target(cd: &Client, spec: &WaitSpec) -> Result<Option<EcsTarget>, CodeDeployError> {
    match cd
        .get_deployment_target()
        .deployment_id(&spec.deployment_id)
        .target_id(format!("{}:{}", spec.cluster, spec.service))
        .send()
        .await
    {
        Ok(out) => Ok(out
            .deployment_target()
            .and_then(|t| t.ecs_target())
            .cloned()),
        Err(e) if e.code() == Some("DeploymentTargetDoesNotExistException") => Ok(None),
        Err(e) => Err(CodeDeployError::aws("GetDeploymentTarget", e)),
    }
}

async fn get_deployment(cd: &Client, id: &str) -> Result<DeploymentInfo, CodeDeployError> {
    let out = cd
        .get_deployment()
        .deployment_id(id)
        .send()
        .await
        .map_err(|e| CodeDeployError::aws("GetDeployment", e))?;
    Ok(out
        .deployment_info()
        .cloned()
        .unwrap_or_else(|| DeploymentInfo::builder().deployment_id(id).build()))
}

/// Where and how long to wait for the task set of a CODE_DEPLOY service.
#[derive(Debug, Clone)]
pub struct TaskSetWait {
    /// Cluster name.
    pub cluster: String,
    /// Service name.
    pub service: String,
    /// Give up (timed out) at this instant.
    pub deadline: Instant,
    /// The timeout, for the message.
    pub timeout: Duration,
    /// Poll pace.
    pub pace: Pace,
}

/// Polls `DescribeServices` until the service has a single PRIMARY task set
/// in STEADY_STATE (a CODE_DEPLOY service with no deployment in progress).
///
/// # Errors
/// [`CodeDeployError::TimedOut`], the service is gone, AWS errors.
pub async fn wait_for_task_set(
    ecs: &aws_sdk_ecs::Client,
    spec: &TaskSetWait,
    events: &Events,
) -> Result<(), CodeDeployError> {
    let mut last: Option<Vec<TaskSetProgress>> = None;
    let mut interval = spec.pace.first;
    loop {
        let service = require_service(ecs, &spec.cluster, &spec.service).await?;
        let sets: Vec<TaskSetProgress> = service
            .task_sets()
            .iter()
            .map(|s| TaskSetProgress {
                label: String::new(),
                status: s.status().unwrap_or_default().to_owned(),
                task_definition: short_task_definition(s.task_definition().unwrap_or_default())
                    .to_owned(),
                desired: i64::from(s.computed_desired_count()),
                pending: i64::from(s.pending_count()),
                running: i64::from(s.running_count()),
                traffic_weight: if s.status() == Some("PRIMARY") {
                    100.0
                } else {
                    0.0
                },
                stability: s
                    .stability_status()
                    .map(|x| x.as_str().to_owned())
                    .unwrap_or_default(),
            })
            .collect();
        let changed = last.as_ref() != Some(&sets);
        if changed {
            events.emit(Event::TaskSets {
                task_sets: sets.clone(),
            });
        }
        if let [only] = sets.as_slice()
            && only.status == "PRIMARY"
            && only.stability == "STEADY_STATE"
            && only.running == only.desired
            && only.pending == 0
        {
            events.emit(Event::Finished {
                outcome: "succeeded".into(),
                message: format!(
                    "service {} runs {} in one steady PRIMARY task set",
                    spec.service, only.task_definition
                ),
            });
            return Ok(());
        }
        last = Some(sets);
        let now = Instant::now();
        if now >= spec.deadline {
            events.emit(Event::Finished {
                outcome: "timed_out".into(),
                message: "the task sets are still changing".into(),
            });
            return Err(CodeDeployError::TimedOut {
                after: spec.timeout,
                what: format!("the task sets of service {}", spec.service),
            });
        }
        interval = if changed {
            spec.pace.first
        } else {
            interval.mul_f64(spec.pace.factor).min(spec.pace.max)
        };
        tokio::time::sleep(interval.min(spec.deadline - now)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_events_are_matched_in_any_case() {
        assert_eq!(
            lifecycle_event("afterallowtesttraffic"),
            Some("AfterAllowTestTraffic")
        );
        assert_eq!(lifecycle_event("AfterTest"), None);
    }
}
