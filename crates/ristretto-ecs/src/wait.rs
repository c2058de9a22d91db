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
use crate::service::{require_service, stopped_tasks};
use ristretto_core::event::{DeploymentProgress, Event, Events, Outcome, short_task_definition};
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
    let mut schedule = Schedule::new(spec.pace);
    let first_look = spec
        .just_started
        .then(|| schedule.next(Instant::now(), false));
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
        let look = follower.look(ecs, spec, &service, events).await?;
        let now = Instant::now();
        if last_progress.is_none()
            && let Some(end) = expected_end(&service, &spec.target, spec.clock_rate, now)
        {
            schedule.expect(end, now);
            let left = end.saturating_duration_since(now);
            events.emit(Event::Expected {
                seconds: (left + Duration::from_millis(999)).as_secs(),
            });
        }
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
        let next = schedule.next(now, ours_running(&service, &spec.target));
        last = Some(service);
        Ok::<_, EcsError>(match verdict {
            Assessment::InProgress => Look::Again { changed, next },
            done => Look::Done(done),
        })
    })
    .await?;
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
        let ours = service
            .deployments()
            .iter()
            .find(|d| match &target.deployment {
                Some(id) => d.id() == Some(id.as_str()),
                None => d.status() == Some("PRIMARY"),
            });
        let running = ours.map_or(0, |d| d.running_count());
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

/// Once our tasks all run, ECS calls the deployment complete when the old
/// tasks (and their targets behind a load balancer, which the counts do not
/// always show) have drained; meanwhile polls come at least this often.
const DRAINING_MAX: Duration = Duration::from_secs(5);

/// When to poll next: back-off while far from done, every `close` while
/// close to done or around the expected end.
#[derive(Debug, Clone)]
pub struct Schedule {
    pace: Pace,
    backoff: Option<Duration>,
    close_step: Option<Duration>,
    /// When the deployment should end, judging by the previous one, and how
    /// long after that to keep looking every `close`.
    expected: Option<(Instant, Duration)>,
}

impl Schedule {
    /// A schedule that has not polled yet.
    #[must_use]
    pub fn new(pace: Pace) -> Self {
        Self {
            pace,
            backoff: None,
            close_step: None,
            expected: None,
        }
    }

    /// Expects the end at `end` (seen at `now`): polls gather just after it
    /// for a tenth of the time left (3 s to 20 s).
    pub fn expect(&mut self, end: Instant, now: Instant) {
        let window = (end.saturating_duration_since(now) / 10)
            .clamp(Duration::from_secs(3), Duration::from_secs(20));
        self.expected = Some((end, window));
    }

    /// When the end is expected, if it is.
    #[must_use]
    pub fn expected_end(&self) -> Option<Instant> {
        self.expected.map(|(end, _)| end)
    }

    /// The wait after a poll at `now` that found our tasks all running (or
    /// not).
    pub fn next(&mut self, now: Instant, ours_running: bool) -> Duration {
        let pace = self.pace;
        if let Some((end, window)) = self.expected {
            if now >= end && now < end + window {
                return pace.close;
            }
            if now >= end + window {
                // Longer than expected: forget the expectation and back off
                // again, from where the window left.
                self.expected = None;
                self.backoff = Some(pace.close);
            }
        }
        let mut next = if !ours_running {
            self.close_step = None;
            let next = match self.backoff {
                None => pace.first,
                Some(previous) => previous.mul_f64(pace.factor),
            }
            .min(pace.max);
            self.backoff = Some(next);
            next
        } else {
            // Our tasks all run: ECS may call it complete any moment, or
            // once old tasks (or targets behind a load balancer, not always
            // visible in the counts) have drained. 1 s, 2 s, 4 s, then
            // every `DRAINING_MAX`.
            let next = match self.close_step {
                None => pace.close,
                Some(previous) => (previous * 2).min(DRAINING_MAX.max(pace.close)),
            };
            self.close_step = Some(next);
            next
        };
        if let Some((end, _)) = self.expected {
            // Be there just after the expected end rather than a little
            // before it and again a whole interval later (but never wait
            // longer than `max` for it: this deployment may be quicker).
            let aim = end + pace.close / 4;
            let gap = aim.saturating_duration_since(now);
            if gap < next * 2 && gap <= pace.max {
                next = gap.max(pace.close);
            }
        }
        next
    }
}

/// When the followed deployment should end: when it started plus what the
/// service's previous deployment took (its start is in `deployments`, its
/// "deployment completed" event in `events`). `None` without such history.
#[must_use]
pub fn expected_end(
    service: &Service,
    target: &Target,
    clock_rate: f64,
    now: Instant,
) -> Option<Instant> {
    let ours = service
        .deployments()
        .iter()
        .find(|d| match &target.deployment {
            Some(id) => d.id() == Some(id.as_str()),
            None => d.status() == Some("PRIMARY"),
        })?;
    let our_start = ours.created_at()?.as_secs_f64();
    let took = previous_duration(service, ours.id()?)?;
    // The service's clock now, at least: its newest timestamp.
    let service_now = service
        .events()
        .iter()
        .filter_map(|e| e.created_at())
        .chain(service.deployments().iter().filter_map(|d| d.updated_at()))
        .map(aws_smithy_types::DateTime::as_secs_f64)
        .fold(our_start, f64::max);
    let left = (our_start + took.as_secs_f64() - service_now) / clock_rate.max(f64::MIN_POSITIVE);
    Duration::try_from_secs_f64(left.max(0.0))
        .ok()
        .map(|d| now + d)
}

/// How long the service's previous deployment took: from its `createdAt` to
/// its "deployment completed" event.
#[must_use]
pub fn previous_duration(service: &Service, ours: &str) -> Option<Duration> {
    service
        .deployments()
        .iter()
        .filter(|d| d.id().is_some_and(|id| id != ours))
        .find_map(|d| {
            let id = d.id()?;
            let started = d.created_at()?.as_secs_f64();
            let marker = format!("(deployment {id}) deployment completed");
            let ended = service
                .events()
                .iter()
                .find(|e| e.message().is_some_and(|m| m.contains(&marker)))?
                .created_at()?
                .as_secs_f64();
            let took = ended - started;
            // A deployment that took hours says nothing about this one.
            (took > 0.0 && took < 6.0 * 3600.0).then(|| Duration::from_secs_f64(took))
        })
}

/// Whether the followed deployment has all its tasks running: the end may
/// come any moment (or once old tasks have drained).
#[must_use]
pub fn ours_running(service: &Service, target: &crate::assess::Target) -> bool {
    service
        .deployments()
        .iter()
        .find(|d| match &target.deployment {
            Some(id) => d.id() == Some(id.as_str()),
            None => d.status() == Some("PRIMARY"),
        })
        .is_some_and(|d| d.pending_count() == 0 && d.running_count() >= d.desired_count())
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
    use aws_sdk_ecs::types::{Deployment, ServiceEvent};
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

    /// Poll times (seconds from the start) of a deployment that ends at
    /// `ends`, whose tasks all run from `running_from`, with `expected` its
    /// expected end, until the first poll that sees the end.
    fn polls(ends: f64, expected: Option<f64>, running_from: Option<f64>) -> Vec<f64> {
        let start = Instant::now();
        let mut schedule = Schedule::new(Pace::DEPLOYMENT);
        if let Some(e) = expected {
            schedule.expect(start + Duration::from_secs_f64(e), start);
        }
        let mut t = 0.0;
        let mut times = Vec::new();
        loop {
            t += schedule
                .next(
                    start + Duration::from_secs_f64(t),
                    running_from.is_some_and(|r| t >= r),
                )
                .as_secs_f64();
            times.push(t);
            if t >= ends {
                return times;
            }
        }
    }

    #[test]
    fn polls_back_off_while_far_from_done() {
        let times = polls(600.0, None, None);
        // Ten minutes of a slow deployment cost about four polls a minute.
        assert!(
            times.len() <= 4 * 10 + 3,
            "{} polls in 10 minutes",
            times.len()
        );
        assert!(
            (times[0] - 2.0).abs() < 1e-9,
            "first look after 2 s: {times:?}"
        );
        let last_gap = times[times.len() - 1] - times[times.len() - 2];
        assert!((last_gap - 15.0).abs() < 1e-6, "{times:?}");
    }

    #[test]
    fn once_our_tasks_run_polls_come_quickly_then_every_five_seconds() {
        // Our tasks run from 20 s on (seen at the poll at 23 s), finished at 45 s.
        let times = polls(45.0, None, Some(20.0));
        let after: Vec<f64> = times.iter().copied().filter(|t| *t >= 23.0).collect();
        let gaps: Vec<f64> = after.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(&gaps[..3], &[1.0, 2.0, 4.0], "{times:?}");
        assert!(
            gaps[3..].iter().all(|g| (*g - 5.0).abs() < 1e-6),
            "{times:?}"
        );
        assert!(times.last().is_some_and(|t| t - 45.0 <= 5.0), "{times:?}");
    }

    #[test]
    fn a_deployment_like_the_previous_one_is_noticed_within_a_second_in_few_polls() {
        let times = polls(30.3, Some(30.3), None);
        let last = times.last().copied().unwrap_or_default();
        assert!(last - 30.3 <= 1.0, "noticed at {last}: {times:?}");
        // 2 s, 8 s, 23 s, then just after the expected end.
        assert!(times.len() <= 4, "{times:?}");
    }

    #[test]
    fn a_slower_deployment_than_expected_backs_off_again() {
        // Expected at 80 s, ends at 5 minutes.
        let times = polls(300.0, Some(80.0), None);
        // Every second for a tenth of the 80 s, then back off again.
        let around_expected = times.iter().filter(|t| (80.0..89.0).contains(*t)).count();
        assert!(
            around_expected >= 8,
            "polls every second after 80 s: {times:?}"
        );
        assert!(
            times.len() <= 5 + 9 + 15 + 3,
            "{} polls: {times:?}",
            times.len()
        );
    }

    #[test]
    fn draining_without_an_expectation_polls_every_five_seconds_at_most() {
        // Our tasks run from 60 s; the old ones drain until 120 s.
        let times = polls(120.0, None, Some(60.0));
        let gaps: Vec<f64> = times
            .windows(2)
            .filter(|w| w[0] >= 70.0)
            .map(|w| w[1] - w[0])
            .collect();
        assert!(gaps.iter().all(|g| *g <= 5.0 + 1e-6), "{times:?}");
        assert!(times.last().is_some_and(|t| t - 120.0 <= 5.0), "{times:?}");
    }

    #[test]
    fn ours_running_means_all_our_tasks_run() {
        assert!(!ours_running(&service(4, 1), &target()));
        assert!(!ours_running(&service(3, 0), &target()));
        assert!(ours_running(&service(4, 0), &target()));
    }

    fn at(secs: f64) -> DateTime {
        DateTime::from_secs_f64(secs)
    }

    #[test]
    fn previous_deployment_duration_comes_from_its_start_and_completion_event() {
        let previous = Deployment::builder()
            .id("ecs-svc/1")
            .status("ACTIVE")
            .created_at(at(1000.0))
            .build();
        let ours = Deployment::builder()
            .id("ecs-svc/2")
            .status("PRIMARY")
            .created_at(at(2000.0))
            .build();
        let completed = ServiceEvent::builder()
            .id("e1")
            .created_at(at(1042.0))
            .message("(service web) (deployment ecs-svc/1) deployment completed.")
            .build();
        let service = Service::builder()
            .deployments(ours)
            .deployments(previous)
            .events(completed)
            .build();
        assert_eq!(
            previous_duration(&service, "ecs-svc/2"),
            Some(Duration::from_secs(42))
        );
        let now = Instant::now();
        // The service's clock reads 2000 (our start): 42 s to go; at 20×
        // world speed that is 2.1 real seconds.
        let end = expected_end(&service, &target(), 20.0, now).map(|e| e - now);
        assert_eq!(end, Some(Duration::from_secs_f64(2.1)));
        let no_history = Service::builder()
            .deployments(
                Deployment::builder()
                    .id("ecs-svc/2")
                    .created_at(at(2000.0))
                    .build(),
            )
            .build();
        assert_eq!(expected_end(&no_history, &target(), 1.0, now), None);
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
