//! Following a deployment to its end: one `DescribeServices` per poll, which
//! also brings the events to print.
//!
//! The pace: a first look two seconds after the update, then polls back off
//! (×3 up to 15 s) while our tasks start. Once they all run, the end may come
//! any moment or after old tasks drain: polls after 1, 2 and 4 s, then every
//! 5 s. The service's previous deployment says when this one should end
//! (deployments of one service take about as long each time; ECS keeps the
//! previous one's start in `deployments` and its end in the events, both in
//! the same response): a poll lands just after that moment, then every second
//! for a while. So the end is noticed within about a second when it comes as
//! expected, within 5 s otherwise, at a few calls a minute.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::Service;
use tokio::time::Instant;

use crate::assess::{Assessment, Target, WaitUntil, assess};
use crate::error::{AwsError, Diagnosis, EcsError};
use crate::lifecycle::{Goal, judge, new_pauses, resume_command};
use crate::pace::{Schedule, ServiceClock};
use crate::service::{require_service, stopped_tasks};
use ristretto_core::event::{DeploymentProgress, Event, Events, Outcome, short_task_definition};
use ristretto_core::poll::Budget;
use ristretto_core::poll::Pace;
use ristretto_core::poll::{GaveUp, Limits, Look, poll};

/// Where and how long to wait.
#[derive(Debug, Clone)]
pub struct WaitSpec {
    /// Cluster name.
    pub cluster: String,
    /// Service name.
    pub service: String,
    /// What finishing means.
    pub target: Target,
    /// Give up (timed out) at this instant.
    pub deadline: Instant,
    /// The timeout, for the message.
    pub timeout: Duration,
    /// Give up when nothing changed (counts, states, events) for this long.
    pub no_progress_timeout: Option<Duration>,
    /// Print service events newer than this (epoch seconds).
    pub events_since: f64,
    /// Poll pace.
    pub pace: Pace,
    /// Seconds of the service's clock per real second: 1 on AWS, the speed
    /// of the local simulator's world.
    pub clock_rate: f64,
    /// Whether the deployment was just started by this run: then the first
    /// look comes after `pace.first` (right after UpdateService there is
    /// nothing to see yet); `wait` looks at once.
    pub just_started: bool,
    /// How a native deployment's lifecycle is followed.
    pub lifecycle: LifecycleSpec,
    /// When the command started: the read budget ([`ristretto_core::poll::READS_PER_MINUTE`]) counts
    /// from then.
    pub started: Instant,
    /// Read calls the command made before the wait.
    pub reads_before: u32,
    /// The service as the call that started the deployment answered it, when there was one:
    /// the first look is planned from it.
    pub answer: Option<Service>,
    /// Reads the service's target groups (health checks, deregistration delay) when its
    /// history does not tell how long a drain takes.
    pub elbv2: Option<aws_sdk_elasticloadbalancingv2::Client>,
}

/// What the wait knows about a native (BLUE_GREEN, LINEAR, CANARY) deployment's lifecycle.
/// Used only when the service's strategy is native: a rolling wait makes no extra call.
#[derive(Debug, Clone, Default)]
pub struct LifecycleSpec {
    /// The service deployment's ARN, when known (after `continue`); otherwise the newest one
    /// created since `events_since` is looked up.
    pub service_deployment: Option<String>,
    /// The hook this run just continued or rolled back: not a new pause.
    pub continued_hook: Option<String>,
    /// The wait is for the rollback `ContinueServiceDeployment(ROLLBACK)` asked for.
    pub rolling_back: bool,
    /// The command that resumes a paused deployment (`ristretto --config … continue`), for
    /// the messages that say a hook awaits action.
    pub resume: String,
}

/// What `wait` follows on a service nobody just updated: its PRIMARY
/// deployment and the task definition it rolls out, and the server time
/// (epoch seconds) from which its events are news.
///
/// # Errors
/// The service names no task definition (an answer AWS never gives for an
/// ECS-controlled service): there would be nothing to wait for.
pub fn current_target(live: &Service, until: WaitUntil) -> Result<(Target, f64), EcsError> {
    let primary = live
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"));
    let task_definition = primary
        .and_then(|d| d.task_definition())
        .or(live.task_definition())
        .filter(|td| !td.is_empty())
        .ok_or_else(|| {
            EcsError::Aws(AwsError::unexpected(
                "DescribeServices",
                format!(
                    "service `{}` names no task definition",
                    live.service_name().unwrap_or_default()
                ),
            ))
        })?;
    let target = Target {
        deployment: primary.and_then(|d| d.id()).map(str::to_owned),
        task_definition: task_definition.to_owned(),
        until,
    };
    let since = primary
        .and_then(|d| d.created_at())
        .map_or(0.0, aws_smithy_types::DateTime::as_secs_f64);
    Ok((target, since))
}

/// Polls until the deployment succeeds, fails or the deadline passes.
///
/// # Errors
/// [`EcsError::DeploymentFailed`] with a diagnosis, [`EcsError::TimedOut`],
/// [`EcsError::Stalled`], or AWS errors.
pub async fn wait_for_deployment(
    ecs: &Client,
    spec: &WaitSpec,
    events: &Events,
) -> Result<Service, EcsError> {
    let mut seen_events: HashSet<String> = HashSet::new();
    let mut last_progress: Option<Vec<DeploymentProgress>> = None;
    // On AWS the service's clock is the wall clock; the local simulator's runs at its speed.
    let clock = ServiceClock::new(
        spec.clock_rate,
        (spec.clock_rate - 1.0).abs() < f64::EPSILON,
    );
    let budget = Budget::new(spec.started, spec.reads_before, spec.clock_rate);
    let mut schedule = Schedule::new(spec.pace, clock, budget);
    let mut expected_said = false;
    let first_look = spec.just_started.then(|| {
        // The answer to UpdateService already tells what the previous deployment took.
        let now = Instant::now();
        if let Some(answer) = &spec.answer {
            schedule.observe_stage(answer, None, None, now);
            schedule.observe(answer, &spec.target, false, now);
            say_expected(&schedule, now, &mut expected_said, events);
        }
        schedule.next(now, false)
    });
    let limits = Limits {
        deadline: spec.deadline,
        no_progress: spec.no_progress_timeout,
        first_look,
    };
    let mut last: Option<Service> = None;
    let mut mark = ProgressMark::default();
    let mut follower = LifecycleFollower::new(spec);
    let ended = poll(limits, events, async || {
        let service = require_service(ecs, &spec.cluster, &spec.service).await?;
        schedule.spend(1);
        let reads = follower.reads;
        let look = follower.look(ecs, spec, &service, events).await?;
        schedule.spend(follower.reads - reads);
        schedule.look_costs(1 + follower.reads - reads);
        let now = Instant::now();
        let running = ours_running(&service, &spec.target);
        schedule.observe_stage(
            &service,
            follower.seen.as_ref().and_then(|l| l.stage.as_deref()),
            service
                .deployment_configuration()
                .and_then(|c| c.bake_time_in_minutes()),
            now,
        );
        schedule.observe(&service, &spec.target, running, now);
        let groups = schedule.wants_target_groups(&service);
        if !groups.is_empty() {
            let (read, calls) = match &spec.elbv2 {
                Some(elbv2) => crate::target_groups::read(elbv2, &groups).await,
                None => (None, 0),
            };
            schedule.spend(calls);
            schedule.set_target_groups(read);
            schedule.observe(&service, &spec.target, running, now);
        }
        say_expected(&schedule, now, &mut expected_said, events);
        report_events(&service, spec.events_since, &mut seen_events, events);
        let progress = progress_of(&service);
        if last_progress.as_ref() != Some(&progress) {
            events.emit(Event::Deployments {
                deployments: progress.clone(),
            });
            last_progress = Some(progress);
        }
        let changed = mark.observe(&service, &spec.target) | look.changed;
        let verdict = match look.verdict {
            Some(verdict) => verdict,
            None => assess(&service, &spec.target),
        };
        let next = schedule.next(Instant::now(), running);
        last = Some(service);
        Ok::<_, EcsError>(match verdict {
            Assessment::InProgress => Look::Again { changed, next },
            done => Look::Done(done),
        })
    })
    .await?;
    tracing::debug!(
        reads = schedule.reads(),
        seconds = spec.started.elapsed().as_secs_f64(),
        "read calls of the command so far"
    );
    let service = last.unwrap_or_else(|| Service::builder().build());
    match ended {
        Ok(Assessment::Failed(reason)) => {
            let diagnosis = diagnose(ecs, spec, &service).await;
            events.emit(Event::Finished {
                outcome: Outcome::Failed,
                message: reason.clone(),
            });
            Err(EcsError::DeploymentFailed { reason, diagnosis })
        }
        Ok(_) => {
            events.emit(Event::Finished {
                outcome: Outcome::Succeeded,
                message: follower.success_message(spec),
            });
            Ok(service)
        }
        Err(GaveUp::TimedOut) => {
            let diagnosis = diagnose(ecs, spec, &service).await;
            events.emit(Event::Finished {
                outcome: Outcome::TimedOut,
                message: "still in progress".into(),
            });
            Err(EcsError::TimedOut {
                after: spec.timeout,
                diagnosis,
            })
        }
        Err(GaveUp::Stalled(limit)) => {
            let diagnosis = diagnose(ecs, spec, &service).await;
            events.emit(Event::Finished {
                outcome: Outcome::TimedOut,
                message: format!(
                    "nothing changed for {}",
                    ristretto_core::duration::format(limit)
                ),
            });
            Err(EcsError::Stalled {
                after: limit,
                diagnosis,
            })
        }
    }
}

/// The lifecycle part of one poll: whether it decided, and whether it saw a change.
#[derive(Debug, Clone, Default)]
pub struct LifecycleLook {
    /// The lifecycle's decision, when it makes one.
    pub verdict: Option<Assessment>,
    /// The stage, status or awaiting hooks changed since the previous poll.
    pub changed: bool,
}

/// Follows the service deployment of a native deployment across polls: finds it, reports its
/// stage and awaiting hooks (one warning per hook), and judges it ([`crate::lifecycle::judge`]).
#[derive(Debug, Clone)]
struct LifecycleFollower {
    arn: Option<String>,
    goal: Goal,
    warned: HashSet<String>,
    last: Option<(String, Option<String>, Vec<String>)>,
    /// The last look, for the success message.
    seen: Option<crate::lifecycle::Look>,
    /// Read calls made so far.
    reads: u32,
}

impl LifecycleFollower {
    fn new(spec: &WaitSpec) -> Self {
        Self {
            arn: spec.lifecycle.service_deployment.clone(),
            goal: if spec.lifecycle.rolling_back {
                Goal::RolledBack
            } else {
                spec.target.until.goal()
            },
            warned: HashSet::new(),
            last: None,
            seen: None,
            reads: 0,
        }
    }

    /// Reads the service deployment when the strategy is native (or the deployment is known):
    /// a ROLLING wait makes no call here.
    async fn look(
        &mut self,
        ecs: &Client,
        spec: &WaitSpec,
        service: &Service,
        events: &Events,
    ) -> Result<LifecycleLook, EcsError> {
        let native = crate::lifecycle::is_native(
            service
                .deployment_configuration()
                .and_then(|c| c.strategy()),
        );
        if !native && self.arn.is_none() {
            return Ok(LifecycleLook::default());
        }
        if self.arn.is_none() {
            self.reads += 1;
            self.arn = crate::service_deployment::locate(
                ecs,
                &spec.cluster,
                &spec.service,
                spec.events_since,
            )
            .await?;
        }
        let Some(arn) = &self.arn else {
            return Ok(LifecycleLook::default());
        };
        self.reads += 1;
        let Some(sd) = crate::service_deployment::describe(ecs, arn).await? else {
            return Ok(LifecycleLook::default());
        };
        let look = judge(&sd, self.goal, spec.lifecycle.continued_hook.as_deref());
        let state = (
            look.status.clone(),
            look.stage.clone(),
            look.awaiting.iter().map(|h| h.hook_id.clone()).collect(),
        );
        let changed = self.last.as_ref() != Some(&state);
        if changed {
            events.emit(Event::ServiceDeployment {
                id: look.id.clone(),
                status: look.status.clone(),
                stage: look.stage.clone().unwrap_or_default(),
                awaiting: state.2.clone(),
            });
            self.last = Some(state);
        }
        for hook in new_pauses(&look, &mut self.warned) {
            events.emit(Event::HookAwaiting {
                service_deployment: look.id.clone(),
                hook_id: hook.hook_id.clone(),
                stage: look.stage.clone().unwrap_or_default(),
                waiting_for: match self.goal {
                    Goal::Stage(stage) => Some(stage.name().to_owned()),
                    _ => None,
                },
                expires_at: hook.expires_at.clone(),
                timeout_action: hook.timeout_action.clone(),
                command: resume_command(&spec.lifecycle.resume, hook, look.awaiting.len()),
            });
        }
        let verdict = look.verdict.clone();
        self.seen = Some(look);
        Ok(LifecycleLook { verdict, changed })
    }

    /// The line that says what was reached.
    fn success_message(&self, spec: &WaitSpec) -> String {
        let runs = format!(
            "service {} runs {}",
            spec.service,
            short_task_definition(&spec.target.task_definition)
        );
        let Some(look) = &self.seen else {
            return runs;
        };
        let at = look
            .stage
            .as_deref()
            .map_or_else(String::new, |s| format!(" at {s}"));
        match self.goal {
            Goal::RolledBack => format!(
                "service deployment {} was rolled back ({})",
                look.id, look.status
            ),
            Goal::Paused if !look.awaiting.is_empty() => format!(
                "service deployment {} is paused{at}: lifecycle hook {} awaits action",
                look.id,
                look.awaiting
                    .iter()
                    .map(|h| h.hook_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Goal::Paused => format!("{runs} (the deployment finished without pausing)"),
            Goal::Stage(stage) if look.status == "IN_PROGRESS" => format!(
                "service deployment {} reached {stage} (now{at}); it goes on",
                look.id
            ),
            Goal::Stage(_) | Goal::Finish => runs,
        }
    }
}

/// What `--no-progress-timeout` counts as progress: more of our deployment's tasks running
/// than ever before, or a change of state of the deployments (one appears or goes, its status
/// or rollout state changes). New events and counts that go up and down are not: tasks that
/// start and crash again and again (ECS retries them for ever without a circuit breaker) make
/// no progress.
#[derive(Debug, Clone, Default)]
pub struct ProgressMark {
    most_running: Option<i32>,
    states: Option<Vec<(String, String, String)>>,
}

impl ProgressMark {
    /// Records one look at the service; whether it shows progress since the previous looks
    /// (the first look always does).
    pub fn observe(&mut self, service: &Service, target: &crate::assess::Target) -> bool {
        let running = ours(service, target).map_or(0, |d| d.running_count());
        let states: Vec<(String, String, String)> = service
            .deployments()
            .iter()
            .map(|d| {
                (
                    d.id().unwrap_or_default().to_owned(),
                    d.status().unwrap_or_default().to_owned(),
                    d.rollout_state()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                )
            })
            .collect();
        let more = self.most_running.is_none_or(|m| running > m);
        let moved = self.states.as_ref() != Some(&states);
        if more {
            self.most_running = Some(running);
        }
        self.states = Some(states);
        more || moved
    }
}

/// Says once when the deployment should end, judging by the previous one.
fn say_expected(schedule: &Schedule, now: Instant, said: &mut bool, events: &Events) {
    if *said {
        return;
    }
    if let Some(end) = schedule.expected_end(now) {
        *said = true;
        let left = end.saturating_duration_since(now);
        events.emit(Event::Expected {
            seconds: (left + Duration::from_millis(999)).as_secs(),
        });
    }
}

/// Whether the followed deployment has all its tasks running: the end may
/// come any moment (or once old tasks have drained).
#[must_use]
pub fn ours_running(service: &Service, target: &crate::assess::Target) -> bool {
    ours(service, target)
        .is_some_and(|d| d.pending_count() == 0 && d.running_count() >= d.desired_count())
}

/// The deployment followed: the target's, else the PRIMARY one.
#[must_use]
pub fn ours<'a>(
    service: &'a Service,
    target: &crate::assess::Target,
) -> Option<&'a aws_sdk_ecs::types::Deployment> {
    service
        .deployments()
        .iter()
        .find(|d| match &target.deployment {
            Some(id) => d.id() == Some(id.as_str()),
            None => d.status() == Some("PRIMARY"),
        })
}

/// Emits events newer than `since` not yet seen, oldest first; whether there
/// were any.
fn report_events(
    service: &Service,
    since: f64,
    seen: &mut HashSet<String>,
    events: &Events,
) -> bool {
    let mut new: Vec<_> = service
        .events()
        .iter()
        .filter(|e| e.created_at().is_some_and(|t| t.as_secs_f64() >= since))
        .filter(|e| e.id().is_some_and(|id| !seen.contains(id)))
        .collect();
    new.sort_by(|a, b| {
        let key =
            |e: &&aws_sdk_ecs::types::ServiceEvent| e.created_at().map_or(0.0, |t| t.as_secs_f64());
        key(a).total_cmp(&key(b))
    });
    for e in &new {
        if let Some(id) = e.id() {
            seen.insert(id.to_owned());
        }
        events.emit(Event::ServiceEvent {
            at: e
                .created_at()
                .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
                .unwrap_or_default(),
            message: e.message().unwrap_or_default().to_owned(),
        });
    }
    !new.is_empty()
}

/// The deployments of a service, PRIMARY first.
#[must_use]
pub fn progress_of(service: &Service) -> Vec<DeploymentProgress> {
    let mut list: Vec<DeploymentProgress> = service
        .deployments()
        .iter()
        .map(|d| DeploymentProgress {
            id: d.id().unwrap_or_default().to_owned(),
            status: d.status().unwrap_or_default().to_owned(),
            task_definition: short_task_definition(d.task_definition().unwrap_or_default())
                .to_owned(),
            desired: d.desired_count(),
            pending: d.pending_count(),
            running: d.running_count(),
            failed: d.failed_tasks(),
            rollout_state: d
                .rollout_state()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
        })
        .collect();
    list.sort_by_key(|d| d.status != "PRIMARY");
    list
}

/// The last events and the stopped tasks of our deployment. Best effort: a
/// failing lookup leaves that part empty rather than hiding the real error.
async fn diagnose(ecs: &Client, spec: &WaitSpec, service: &Service) -> Diagnosis {
    let mut events: Vec<_> = service
        .events()
        .iter()
        .take(5)
        .filter_map(|e| e.message().map(str::to_owned))
        .collect();
    events.reverse();
    // Why our targets are unhealthy, even when newer events pushed it out of the last five.
    if let Some(why) = crate::assess::unhealthy_target(service, spec.target.deployment.as_deref())
        && !events.iter().any(|e| e == why)
    {
        events.push(why.to_owned());
    }
    let stopped = match &spec.target.deployment {
        Some(id) => stopped_tasks(ecs, &spec.cluster, &spec.service, id, 5)
            .await
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Diagnosis {
        events,
        stopped_tasks: stopped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::Deployment;
    use aws_smithy_types::DateTime;

    fn looks(states: &[(i32, i32, &str)]) -> Vec<bool> {
        let target = target();
        let mut mark = ProgressMark::default();
        states
            .iter()
            .map(|(running, pending, rollout)| {
                let d = Deployment::builder()
                    .id("ecs-svc/2")
                    .status("PRIMARY")
                    .running_count(*running)
                    .pending_count(*pending)
                    .failed_tasks(*pending)
                    .rollout_state(aws_sdk_ecs::types::DeploymentRolloutState::from(*rollout))
                    .build();
                let s = Service::builder().deployments(d).build();
                mark.observe(&s, &target)
            })
            .collect()
    }

    // A crash loop (running 0 → 1 → 0 → 1, failed tasks growing) is progress only the first
    // time a task runs; more running tasks or a new rollout state are progress.
    #[test]
    fn a_crash_loop_is_not_progress() {
        let seen = looks(&[
            (0, 1, "IN_PROGRESS"),
            (1, 0, "IN_PROGRESS"),
            (0, 1, "IN_PROGRESS"),
            (1, 0, "IN_PROGRESS"),
            (0, 2, "IN_PROGRESS"),
            (2, 0, "IN_PROGRESS"),
            (2, 0, "COMPLETED"),
        ]);
        assert_eq!(seen, [true, true, false, false, false, true, true]);
    }

    fn deployment(id: &str, status: &str, desired: i32, running: i32, pending: i32) -> Deployment {
        Deployment::builder()
            .id(id)
            .status(status)
            .desired_count(desired)
            .running_count(running)
            .pending_count(pending)
            .build()
    }

    fn service(running: i32, pending: i32) -> Service {
        Service::builder()
            .deployments(deployment("ecs-svc/2", "PRIMARY", 4, running, pending))
            .build()
    }

    fn target() -> crate::assess::Target {
        crate::assess::Target {
            deployment: Some("ecs-svc/2".into()),
            task_definition: "td".into(),
            until: crate::assess::WaitUntil::Deployed,
        }
    }

    #[test]
    fn ours_running_means_all_our_tasks_run() {
        assert!(!ours_running(&service(4, 1), &target()));
        assert!(!ours_running(&service(3, 0), &target()));
        assert!(ours_running(&service(4, 0), &target()));
    }

    #[test]
    fn wait_follows_the_primary_deployment_and_refuses_a_service_without_revision() {
        let live = Service::builder()
            .service_name("web")
            .task_definition("arn:td/web:2")
            .deployments(
                Deployment::builder()
                    .id("ecs-svc/2")
                    .status("PRIMARY")
                    .task_definition("arn:td/web:3")
                    .created_at(DateTime::from_secs(100))
                    .build(),
            )
            .build();
        let (target, since) = current_target(&live, WaitUntil::Stable).expect("a target");
        assert_eq!(target.deployment.as_deref(), Some("ecs-svc/2"));
        assert_eq!(target.task_definition, "arn:td/web:3");
        assert!((since - 100.0).abs() < f64::EPSILON);
        let empty = Service::builder().service_name("web").build();
        let err = current_target(&empty, WaitUntil::Stable).expect_err("nothing to wait for");
        assert_eq!(
            err.to_string(),
            "DescribeServices failed: service `web` names no task definition"
        );
    }
}
