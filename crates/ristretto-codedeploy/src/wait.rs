//! Following a CodeDeploy deployment to its end, the way `ristretto-ecs`
//! follows a rolling one: one call per poll (`GetDeploymentTarget`, which
//! carries the lifecycle events and the traffic weights), quick after a
//! change, slower while nothing moves. `GetDeployment` decides the outcome:
//! it is asked when the target says the deployment is over, when the target
//! does not exist yet, and now and then as a safeguard. What each poll means
//! is decided by [`crate::assess`]; the loop is [`ristretto_core::poll`]'s.
//!
//! When the deployment fails or is stopped and CodeDeploy rolls it back in a
//! deployment of its own (`rollbackInfo.rollbackDeploymentId`), the same
//! loop follows that rollback deployment to its end, and the error names
//! both: why the deployment failed, and whether the rollback put the service
//! back on the previous revision.
//!
//! Without a deployment in progress (a service just created), waiting means
//! one PRIMARY task set in STEADY_STATE, read from `DescribeServices`.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::error::ProvideErrorMetadata;
use aws_sdk_codedeploy::types::{DeploymentInfo, DeploymentStatus, EcsTarget, TargetLabel};
use aws_sdk_ecs::types::Service;
use ristretto_core::event::{Event, Events, Outcome, TaskSetProgress, short_task_definition};
use ristretto_core::poll::{Backoff, Budget, GaveUp, Limits, Look, Pace, poll};
use ristretto_ecs::pace::ServiceClock;
use ristretto_ecs::service::{require_service, stopped_tasks};
use tokio::time::Instant;

use crate::assess::{Assessment, Until, assess, assess_rollback, is_over, needs_deployment};
use crate::discover::Group;
use crate::error::{CodeDeployError, FailedDeployment, RollbackOutcome};
use ristretto_core::aws_error::AwsError;

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
    /// When the command started, and the read calls it made before the wait: the wait keeps
    /// to [`ristretto_core::poll::READS_PER_MINUTE`] over the command.
    pub budget: Budget,
    /// Seconds of CodeDeploy's clock per real second: 1 on AWS, the speed of the local
    /// simulator's world.
    pub clock_rate: f64,
}

/// How waiting ended well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed {
    /// The deployment succeeded.
    Succeeded,
    /// The lifecycle event waited for succeeded; the deployment goes on.
    Reached(&'static str),
}

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

/// How the poll loop of [`wait_for_deployment`] ended.
enum Ended {
    /// The followed deployment itself decided it.
    Deployment(Assessment),
    /// The rollback deployment of a failed one ended.
    Rollback(RollbackOutcome),
}

/// Whether CodeDeploy created deployment `info` to roll another one back
/// (API_DeploymentInfo `creator` `codeDeployRollback`, API_RollbackInfo
/// `rollbackTriggeringDeploymentId`).
#[must_use]
pub fn is_rollback(info: &DeploymentInfo) -> bool {
    info.creator() == Some(&aws_sdk_codedeploy::types::DeploymentCreator::CodeDeployRollback)
        || info
            .rollback_info()
            .and_then(|r| r.rollback_triggering_deployment_id())
            .is_some_and(|id| !id.is_empty())
}

/// The termination wait of a deployment's blue task set, seconds (API_BlueGreenDeploymentConfiguration,
/// `terminateBlueInstancesOnDeploymentSuccess.terminationWaitTimeInMinutes`; none: 0).
fn termination_wait_of(info: &DeploymentInfo) -> f64 {
    f64::from(
        info.blue_green_deployment_configuration()
            .and_then(|b| b.terminate_blue_instances_on_deployment_success())
            .map_or(0, |t| t.termination_wait_time_in_minutes),
    ) * 60.0
}

/// When a deployment whose traffic has moved ends: the termination wait after its last
/// lifecycle event (AfterAllowTraffic) succeeded (CodeDeploy user guide, "Deployments on an
/// Amazon ECS compute platform": the original task set is terminated after the wait).
fn ends_at(target: &EcsTarget, termination_wait: f64) -> Option<f64> {
    let last = target.lifecycle_events().last()?;
    (last.lifecycle_event_name() == Some("AfterAllowTraffic")
        && last.status() == Some(&aws_sdk_codedeploy::types::LifecycleEventStatus::Succeeded))
    .then_some(())?;
    Some(last.end_time()?.as_secs_f64() + termination_wait)
}

/// The wait before the next look: just after a known end (one look every 30 s while it is
/// more than 45 s away; every second for 15 s once it passed), else what the back-off says.
fn next_look(aim: Option<Instant>, now: Instant, backoff: Duration) -> Duration {
    match aim {
        Some(at) if at > now => {
            let gap = at - now + Duration::from_millis(250);
            if gap <= ristretto_ecs::pace::FAR {
                gap
            } else {
                ristretto_ecs::pace::FAR_STEP
            }
        }
        Some(at) if now < at + Duration::from_secs(15) => Duration::from_secs(1),
        _ => backoff,
    }
}

/// Refuses a new deployment while one is in progress in `group` (CodeDeploy
/// would answer `DeploymentLimitExceededException`), before anything changes.
///
/// # Errors
/// [`CodeDeployError::Busy`], naming the deployment and whether it is a
/// rollback; AWS errors.
pub async fn refuse_if_busy(cd: &Client, group: &Group) -> Result<(), CodeDeployError> {
    let Some(deployment_id) = in_progress(cd, group).await? else {
        return Ok(());
    };
    let rollback = is_rollback(&get_deployment(cd, &deployment_id).await?);
    Err(CodeDeployError::Busy {
        group: group.deployment_group_name.clone(),
        deployment_id,
        rollback,
    })
}

/// Polls until the deployment succeeds (or reaches `spec.until`), fails, is
/// stopped, or the deadline passes; when CodeDeploy rolls a failed or stopped
/// deployment back in a deployment of its own, follows that one to its end
/// too. `ecs` reads the stopped tasks of the green task set when the
/// deployment fails, and the service's task definition after a rollback.
///
/// # Errors
/// [`CodeDeployError::DeploymentFailed`] naming the failed lifecycle event,
/// the green task set's stopped tasks and the rollback's outcome,
/// [`CodeDeployError::TimedOut`], [`CodeDeployError::Stalled`], AWS errors.
pub async fn wait_for_deployment(
    cd: &Client,
    ecs: &aws_sdk_ecs::Client,
    spec: &WaitSpec,
    events: &Events,
) -> Result<Followed, CodeDeployError> {
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut last_sets: Option<Vec<TaskSetProgress>> = None;
    // The replacement task set, remembered: a rollback may delete it.
    let mut green: Option<String> = None;
    let mut backoff = Backoff::new(spec.pace);
    let mut budget = spec.budget.clone();
    let mut clock = ServiceClock::new(
        spec.clock_rate,
        (spec.clock_rate - 1.0).abs() < f64::EPSILON,
    );
    // The group's termination wait (seconds), from the deployment's own settings.
    let mut termination_wait: Option<f64> = None;
    let mut polls: u32 = 0;
    // Once the deployment failed and CodeDeploy rolls it back: what failed,
    // and the rollback deployment now followed.
    let mut rolling_back: Option<(Box<FailedDeployment>, String)> = None;
    let limits = Limits {
        deadline: spec.deadline,
        no_progress: spec.no_progress_timeout,
        first_look: None,
    };
    let ended = poll(limits, events, async || {
        polls += 1;
        let following = rolling_back
            .as_ref()
            .map_or(spec.deployment_id.as_str(), |(_, id)| id.as_str())
            .to_owned();
        let rollback = rolling_back.is_some().then_some(following.as_str());
        let mut target = get_target(cd, &following, spec).await?;
        budget.spend(1);
        let mut changed = false;
        if let Some(target) = &target {
            green = green_task_set(target).or(green.take());
            changed |= report_lifecycle(target, &mut seen, events, rollback);
            let sets = task_sets_of(target);
            if !sets.is_empty() && last_sets.as_ref() != Some(&sets) {
                events.emit(Event::TaskSets {
                    task_sets: sets.clone(),
                });
                last_sets = Some(sets);
                changed = true;
            }
        }
        let mut info = None;
        if needs_deployment(target.as_ref(), polls) || termination_wait.is_none() && polls == 1 {
            let deployment = get_deployment(cd, &following).await?;
            budget.spend(1);
            if is_over(&deployment) {
                // The last lifecycle events, so the log shows every step and
                // a failure names the event that failed.
                target = get_target(cd, &following, spec).await?;
                budget.spend(1);
                if let Some(target) = &target {
                    green = green_task_set(target).or(green.take());
                    report_lifecycle(target, &mut seen, events, rollback);
                }
            }
            termination_wait = termination_wait.or(Some(termination_wait_of(&deployment)));
            info = Some(deployment);
        }
        let now = Instant::now();
        let end = target.as_ref().and_then(|t| {
            for e in t.lifecycle_events() {
                for time in [e.start_time(), e.end_time()].into_iter().flatten() {
                    clock.observe_time(time.as_secs_f64(), now);
                }
            }
            ends_at(t, termination_wait?)
        });
        let aim = end.and_then(|end| clock.instant(end, now));
        // A wait for one lifecycle event returns while the deployment goes on: the moment
        // after it may last only as long as a hook (seconds), so its looks keep the pace
        // without the budget.
        let earliest = match spec.until {
            Until::Finished => budget.earliest(),
            Until::Event(_) => now,
        };
        let again = |backoff: &mut Backoff, changed| Look::Again {
            changed,
            next: next_look(aim, now, backoff.next(changed))
                .max(earliest.saturating_duration_since(now)),
        };
        if rolling_back.is_some() {
            return Ok::<_, CodeDeployError>(
                match assess_rollback(target.as_ref(), info.as_ref()) {
                    Some(outcome) => Look::Done(Ended::Rollback(outcome)),
                    None => again(&mut backoff, changed),
                },
            );
        }
        Ok(match assess(target.as_ref(), info.as_ref(), spec.until) {
            Assessment::InProgress => again(&mut backoff, changed),
            Assessment::RollingBack {
                mut failed,
                rollback_id,
            } => {
                // The green task set's stopped tasks, read before the
                // rollback deletes it.
                add_stopped_tasks(ecs, spec, green.as_deref(), &mut failed).await;
                events.step(format!(
                    "{failed}; following rollback deployment {rollback_id}"
                ));
                rolling_back = Some((failed, rollback_id));
                seen.clear();
                last_sets = None;
                polls = 0;
                again(&mut backoff, true)
            }
            done => Look::Done(Ended::Deployment(done)),
        })
    })
    .await?;
    let id = &spec.deployment_id;
    if let Some((mut failed, rollback_id)) = rolling_back {
        let outcome = match ended {
            Ok(Ended::Rollback(RollbackOutcome::Succeeded { .. })) => {
                // Best effort: what the service runs now.
                let task_definition = require_service(ecs, &spec.cluster, &spec.service)
                    .await
                    .ok()
                    .and_then(|s| primary_task_definition(&s));
                RollbackOutcome::Succeeded { task_definition }
            }
            Ok(Ended::Rollback(outcome)) => outcome,
            Ok(Ended::Deployment(_)) => RollbackOutcome::Unfinished {
                why: "the wait ended".to_owned(),
            },
            Err(GaveUp::TimedOut) => RollbackOutcome::Unfinished {
                why: format!(
                    "timed out after {}",
                    ristretto_core::duration::format(spec.timeout)
                ),
            },
            Err(GaveUp::Stalled(limit)) => RollbackOutcome::Unfinished {
                why: format!(
                    "nothing changed for {}",
                    ristretto_core::duration::format(limit)
                ),
            },
        };
        let summary = match &outcome {
            RollbackOutcome::Succeeded { .. } => "succeeded",
            RollbackOutcome::Failed { .. } => "failed",
            RollbackOutcome::Unfinished { .. } => "still in progress",
        };
        failed.rollback_deployment = Some((rollback_id.clone(), outcome));
        let error = CodeDeployError::DeploymentFailed(failed);
        events.emit(Event::Finished {
            outcome: Outcome::Failed,
            message: format!("{error}; rollback deployment {rollback_id} {summary}"),
        });
        return Err(error);
    }
    let (outcome, message, result) = match ended {
        Ok(Ended::Deployment(Assessment::Succeeded | Assessment::InProgress)) => (
            Outcome::Succeeded,
            format!("CodeDeploy deployment {id} succeeded"),
            Ok(Followed::Succeeded),
        ),
        Ok(Ended::Deployment(Assessment::Reached(name))) => (
            Outcome::Succeeded,
            format!("lifecycle event {name} of deployment {id} succeeded; the deployment goes on"),
            Ok(Followed::Reached(name)),
        ),
        Ok(Ended::Deployment(
            Assessment::Failed(mut failed) | Assessment::RollingBack { mut failed, .. },
        )) => {
            add_stopped_tasks(ecs, spec, green.as_deref(), &mut failed).await;
            let error = CodeDeployError::DeploymentFailed(failed);
            (Outcome::Failed, error.to_string(), Err(error))
        }
        Ok(Ended::Rollback(_)) => unreachable_rollback(id),
        Err(GaveUp::TimedOut) => (
            Outcome::TimedOut,
            format!("CodeDeploy deployment {id} still in progress"),
            Err(CodeDeployError::TimedOut {
                after: spec.timeout,
                what: format!("CodeDeploy deployment {id}"),
            }),
        ),
        Err(GaveUp::Stalled(limit)) => (
            Outcome::TimedOut,
            format!(
                "nothing changed for {}",
                ristretto_core::duration::format(limit)
            ),
            Err(CodeDeployError::Stalled {
                after: limit,
                what: format!("CodeDeploy deployment {id}"),
            }),
        ),
    };
    events.emit(Event::Finished { outcome, message });
    result
}

/// A rollback's end without a rollback followed cannot happen (the loop
/// only reports one while following a rollback); answered as still going.
fn unreachable_rollback(id: &str) -> (Outcome, String, Result<Followed, CodeDeployError>) {
    (
        Outcome::Succeeded,
        format!("CodeDeploy deployment {id} succeeded"),
        Ok(Followed::Succeeded),
    )
}

/// Adds the green task set's stopped tasks to a Failed deployment (best
/// effort: a failing lookup must not hide the real error).
async fn add_stopped_tasks(
    ecs: &aws_sdk_ecs::Client,
    spec: &WaitSpec,
    green: Option<&str>,
    failed: &mut FailedDeployment,
) {
    if let (Some(set), "Failed") = (green, failed.status.as_str())
        && failed.stopped.stopped_tasks.is_empty()
    {
        failed.stopped.stopped_tasks = stopped_tasks(ecs, &spec.cluster, &spec.service, set, 5)
            .await
            .unwrap_or_default();
    }
}

/// The short task definition of the service's PRIMARY task set.
fn primary_task_definition(service: &Service) -> Option<String> {
    service
        .task_sets()
        .iter()
        .find(|s| s.status() == Some("PRIMARY"))
        .and_then(|s| s.task_definition())
        .map(|td| short_task_definition(td).to_owned())
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

/// Emits each lifecycle event whose status changed (Pending is not news);
/// those of a `rollback` deployment as steps that name it, so they do not
/// read as the failed deployment's own.
fn report_lifecycle(
    target: &EcsTarget,
    seen: &mut HashMap<String, String>,
    events: &Events,
    rollback: Option<&str>,
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
        match rollback {
            Some(id) => events.step(format!("rollback deployment {id}: {name} {status}")),
            None => events.emit(Event::LifecycleEvent {
                name: name.to_owned(),
                status: status.to_owned(),
            }),
        }
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

async fn get_target(
    cd: &Client,
    deployment_id: &str,
    spec: &WaitSpec,
) -> Result<Option<EcsTarget>, CodeDeployError> {
    match cd
        .get_deployment_target()
        .deployment_id(deployment_id)
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

/// `GetDeployment`: what CodeDeploy knows of deployment `id`.
pub(crate) async fn get_deployment(
    cd: &Client,
    id: &str,
) -> Result<DeploymentInfo, CodeDeployError> {
    cd.get_deployment()
        .deployment_id(id)
        .send()
        .await
        .map_err(|e| CodeDeployError::aws("GetDeployment", e))?
        .deployment_info
        .ok_or_else(|| {
            CodeDeployError::Aws(AwsError::unexpected(
                "GetDeployment",
                format!("the answer says nothing about deployment {id}"),
            ))
        })
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
    let mut backoff = Backoff::new(spec.pace);
    let limits = Limits {
        deadline: spec.deadline,
        no_progress: None,
        first_look: None,
    };
    let ended = poll(limits, events, async || {
        let service = require_service(ecs, &spec.cluster, &spec.service).await?;
        let sets = service_task_sets(&service);
        let changed = last.as_ref() != Some(&sets);
        if changed {
            events.emit(Event::TaskSets {
                task_sets: sets.clone(),
            });
        }
        let steady = steady_task_set(&sets).map(|s| s.task_definition.clone());
        last = Some(sets);
        Ok::<_, CodeDeployError>(match steady {
            Some(task_definition) => Look::Done(task_definition),
            None => Look::Again {
                changed,
                next: backoff.next(changed),
            },
        })
    })
    .await?;
    match ended {
        Ok(task_definition) => {
            events.emit(Event::Finished {
                outcome: Outcome::Succeeded,
                message: format!(
                    "service {} runs {task_definition} in one steady PRIMARY task set",
                    spec.service
                ),
            });
            Ok(())
        }
        Err(_) => {
            events.emit(Event::Finished {
                outcome: Outcome::TimedOut,
                message: "the task sets are still changing".into(),
            });
            Err(CodeDeployError::TimedOut {
                after: spec.timeout,
                what: format!("the task sets of service {}", spec.service),
            })
        }
    }
}

/// The task sets of a service as the progress events show them.
fn service_task_sets(service: &Service) -> Vec<TaskSetProgress> {
    service
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
        .collect()
}

/// The one task set, when the service has exactly one, PRIMARY, in
/// STEADY_STATE with all its tasks running.
fn steady_task_set(sets: &[TaskSetProgress]) -> Option<&TaskSetProgress> {
    match sets {
        [only]
            if only.status == "PRIMARY"
                && only.stability == "STEADY_STATE"
                && only.running == only.desired
                && only.pending == 0 =>
        {
            Some(only)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(
        name: &str,
        status: &str,
        end: Option<f64>,
    ) -> aws_sdk_codedeploy::types::LifecycleEvent {
        aws_sdk_codedeploy::types::LifecycleEvent::builder()
            .lifecycle_event_name(name)
            .status(aws_sdk_codedeploy::types::LifecycleEventStatus::from(
                status,
            ))
            .set_end_time(end.map(aws_sdk_codedeploy::primitives::DateTime::from_secs_f64))
            .build()
    }

    // The original task set goes after the termination wait that follows AfterAllowTraffic
    // (API_BlueGreenDeploymentConfiguration, terminationWaitTimeInMinutes): the end is known
    // once that event succeeded, and the next look comes just after it.
    #[test]
    fn the_end_is_the_termination_wait_after_after_allow_traffic() {
        let going = EcsTarget::builder()
            .lifecycle_events(event("AllowTraffic", "Succeeded", Some(100.0)))
            .lifecycle_events(event("AfterAllowTraffic", "InProgress", None))
            .build();
        assert_eq!(ends_at(&going, 60.0), None);
        let waiting = EcsTarget::builder()
            .lifecycle_events(event("AllowTraffic", "Succeeded", Some(100.0)))
            .lifecycle_events(event("AfterAllowTraffic", "Succeeded", Some(105.0)))
            .build();
        assert_eq!(ends_at(&waiting, 60.0), Some(165.0));

        let now = Instant::now();
        let backoff = Duration::from_secs(5);
        let at = |s: u64| Some(now + Duration::from_secs(s));
        assert_eq!(
            next_look(at(20), now, backoff),
            Duration::from_millis(20_250)
        );
        assert_eq!(next_look(at(60), now, backoff), Duration::from_secs(30));
        let passed = now.checked_sub(Duration::from_secs(3));
        assert_eq!(next_look(passed, now, backoff), Duration::from_secs(1));
        assert_eq!(next_look(None, now, backoff), backoff);
    }

    fn set(status: &str, stability: &str, desired: i64, running: i64) -> TaskSetProgress {
        TaskSetProgress {
            label: String::new(),
            status: status.to_owned(),
            task_definition: "web:2".to_owned(),
            desired,
            pending: 0,
            running,
            traffic_weight: 100.0,
            stability: stability.to_owned(),
        }
    }

    #[test]
    fn one_steady_primary_task_set_with_all_tasks_running_ends_the_wait() {
        let steady = set("PRIMARY", "STEADY_STATE", 2, 2);
        assert_eq!(
            steady_task_set(std::slice::from_ref(&steady)),
            Some(&steady)
        );
        assert_eq!(
            steady_task_set(&[set("PRIMARY", "STABILIZING", 2, 2)]),
            None
        );
        assert_eq!(
            steady_task_set(&[set("PRIMARY", "STEADY_STATE", 2, 1)]),
            None
        );
        assert_eq!(
            steady_task_set(&[steady.clone(), set("ACTIVE", "STEADY_STATE", 2, 2)]),
            None
        );
        assert_eq!(steady_task_set(&[]), None);
    }
}
