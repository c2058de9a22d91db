//! Tasks: their timeline (PENDING → RUNNING → STOPPED, exits from failure rules, requested
//! stops) and the RunTask, StopTask, ListTasks, DescribeTasks operations.

use aws_sdk_ecs::operation::describe_tasks::{DescribeTasksInput, DescribeTasksOutput};
use aws_sdk_ecs::operation::list_tasks::{ListTasksInput, ListTasksOutput};
use aws_sdk_ecs::operation::run_task::{RunTaskInput, RunTaskOutput};
use aws_sdk_ecs::operation::stop_task::{StopTaskInput, StopTaskOutput};
use aws_sdk_ecs::types::{
    Connectivity, Container, DesiredStatus, Failure, HealthStatus, LaunchType, PropagateTags, Tag,
    Task, TaskDefinition, TaskField, TaskStopCode,
};
use aws_smithy_types::DateTime;
use serde::{Deserialize, Serialize};

use super::{ClusterRecord, TaskExit, TaskRecord, cluster_name, paginate, short_name};
use crate::clock::Epoch;
use crate::codec::{Sdk, decode, encode};
use crate::elbv2::targets::{TargetPhase, TaskTarget};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, Ids, State};
use crate::world::World;

/// What happened to a task during [`TaskRecord::step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskEvent {
    /// It became RUNNING (`healthy`: without a container health check, which makes it count
    /// as healthy at once).
    Running { healthy: bool },
    /// Its essential containers passed their container health checks: the task is HEALTHY.
    Healthy,
    /// An essential container failed its container health check: the task is UNHEALTHY.
    Unhealthy,
    /// Its essential container exited on its own (`failed` when the exit code is not 0;
    /// `started`: it had reached RUNNING; `healthy`: it had been healthy, see
    /// [`TaskRecord::is_healthy`]).
    Exited {
        failed: bool,
        started: bool,
        healthy: bool,
    },
    /// A container changed without changing the task (a sidecar exited, one container of
    /// several passed its check).
    Container,
    /// A stopping task's targets finished draining: ECS stops it now (STOPPING).
    Drained,
    /// A requested stop completed.
    Stopped,
}

/// The health side of a task's timeline: which containers are checked, and the changes due
/// once it is RUNNING (from the world file's `containers` rules).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskHealth {
    /// Essential containers whose definition has a `healthCheck`: the task's `healthStatus` is
    /// theirs (API_HealthCheck); none: the task stays UNKNOWN and is healthy once RUNNING.
    #[serde(default)]
    pub checked: Vec<String>,
    /// Container changes after RUNNING, in time order, as offsets from RUNNING.
    #[serde(default)]
    pub steps: Vec<ContainerStep>,
    /// It has counted as healthy at some point (RUNNING without a check, HEALTHY with one,
    /// and its load-balancer targets healthy).
    #[serde(default)]
    pub was_healthy: bool,
    /// Its targets in the target groups of its service's load balancers
    /// ([`crate::elbv2::targets`]), registered once RUNNING.
    #[serde(default)]
    pub targets: Vec<TaskTarget>,
}

/// One container change, `after` world seconds after the task became RUNNING.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStep {
    pub after: f64,
    pub container: String,
    pub change: ContainerChange,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ContainerChange {
    Healthy,
    Unhealthy,
    Exit { code: i32, essential: bool },
}

/// The container changes of one container definition once RUNNING (API_HealthCheck: the first
/// check runs `interval` seconds after the container starts, 30 by default; a passing check
/// makes it HEALTHY, also during `startPeriod`; failures during `startPeriod` do not count, and
/// `retries` consecutive failures, 3 by default, make it UNHEALTHY). `timeout` is not modelled:
/// a failing check fails at once.
fn container_steps(
    rules: &World,
    family: &str,
    c: &aws_sdk_ecs::types::ContainerDefinition,
) -> Vec<ContainerStep> {
    let name = c.name().unwrap_or_default();
    let rule = rules.container_rule_for(family, name, c.image().unwrap_or_default());
    let essential = c.essential().unwrap_or(true);
    let mut steps = Vec::new();
    if let Some(hc) = c.health_check() {
        let interval = f64::from(hc.interval().unwrap_or(30).clamp(5, 300));
        let start_period = f64::from(hc.start_period().unwrap_or(0).clamp(0, 300));
        let retries = f64::from(hc.retries().unwrap_or(3).clamp(1, 10));
        let (after, change) = if rule.is_some_and(|r| r.healthy == Some(false)) {
            // The first check that counts is the first one after the start period.
            let first = (start_period / interval).floor() + 1.0;
            (
                interval * (first + retries - 1.0),
                ContainerChange::Unhealthy,
            )
        } else {
            (interval, ContainerChange::Healthy)
        };
        steps.push(ContainerStep {
            after,
            container: name.to_owned(),
            change,
        });
    }
    if let Some(rule) = rule
        && let Some(after) = rule.crash_after_seconds
    {
        steps.push(ContainerStep {
            after: after.max(0.0),
            container: name.to_owned(),
            change: ContainerChange::Exit {
                code: rule.exit_code,
                essential,
            },
        });
    }
    steps
}

/// Everything needed to start a task.
pub struct TaskSpec<'a> {
    pub cluster_arn: &'a str,
    pub cluster: &'a str,
    pub task_definition: &'a TaskDefinition,
    pub started_by: Option<String>,
    pub group: String,
    pub launch_type: Option<LaunchType>,
    pub owner: Option<String>,
    pub tags: Vec<Tag>,
}

fn ts(t: Epoch) -> DateTime {
    crate::clock::timestamp(t)
}

/// Creates a PENDING task; failure rules of the world decide whether and when it exits.
pub fn new_task(ids: &mut Ids, ctx: &Ctx, rules: &World, spec: TaskSpec<'_>) -> TaskRecord {
    let now = ctx.now;
    let id = ids.hex_id();
    let task_arn = ctx.arn("ecs", &format!("task/{}/{id}", spec.cluster));
    let td = spec.task_definition;
    let family = td.family().unwrap_or_default();
    let containers: Vec<Container> = td
        .container_definitions()
        .iter()
        .map(|c| {
            let cid = ids.uuid();
            Container::builder()
                .container_arn(ctx.arn("ecs", &format!("container/{}/{id}/{cid}", spec.cluster)))
                .task_arn(&task_arn)
                .set_name(c.name().map(str::to_owned))
                .set_image(c.image().map(str::to_owned))
                .last_status("PENDING")
                .health_status(HealthStatus::from("UNKNOWN"))
                .cpu(c.cpu().to_string())
                .set_memory(c.memory().map(|m| m.to_string()))
                .set_memory_reservation(c.memory_reservation().map(|m| m.to_string()))
                .build()
        })
        .collect();
    let images = td.container_definitions().iter().filter_map(|c| c.image());
    // Tasks do not all start at once: a deterministic share of the jitter, from the task ID.
    let spread = u64::from_str_radix(&id[..8], 16).unwrap_or(0) as f64 / f64::from(u32::MAX);
    let start_delay = rules.start_delay() * (1.0 + rules.start_jitter() * spread);
    let mut health = TaskHealth {
        checked: td
            .container_definitions()
            .iter()
            .filter(|c| c.essential().unwrap_or(true) && c.health_check().is_some())
            .filter_map(|c| c.name().map(str::to_owned))
            .collect(),
        ..TaskHealth::default()
    };
    for c in td.container_definitions() {
        health.steps.extend(container_steps(rules, family, c));
    }
    health.steps.sort_by(|a, b| a.after.total_cmp(&b.after));
    let exit = rules.failure_for(family, images).map(|rule| TaskExit {
        at: now + start_delay + rule.after_seconds.unwrap_or(0.0).max(0.0),
        exit_code: rule.exit_code,
        stopped_reason: rule
            .stopped_reason
            .clone()
            .unwrap_or_else(|| "Essential container in task exited".to_owned()),
        container_reason: rule.container_reason.clone(),
        container: td
            .container_definitions()
            .iter()
            .find(|c| {
                c.image()
                    .is_some_and(|i| crate::world::glob_match(&rule.image, i))
            })
            .and_then(|c| c.name().map(str::to_owned)),
    });
    let launch_type = spec.launch_type.unwrap_or(LaunchType::Fargate);
    let fargate = launch_type == LaunchType::Fargate;
    let task = Task::builder()
        .cluster_arn(spec.cluster_arn)
        .task_arn(&task_arn)
        .set_task_definition_arn(td.task_definition_arn().map(str::to_owned))
        .last_status("PENDING")
        .desired_status("RUNNING")
        .created_at(ts(now))
        .set_started_by(spec.started_by)
        .group(spec.group)
        .launch_type(launch_type)
        .set_platform_version(fargate.then(|| "1.4.0".to_owned()))
        .set_platform_family(fargate.then(|| "Linux".to_owned()))
        .set_cpu(td.cpu().map(str::to_owned))
        .set_memory(td.memory().map(str::to_owned))
        .availability_zone(format!("{}a", ctx.region))
        .connectivity(Connectivity::Connected)
        .connectivity_at(ts(now))
        .health_status(HealthStatus::from("UNKNOWN"))
        .version(1)
        .set_containers(Some(containers))
        .set_tags((!spec.tags.is_empty()).then_some(spec.tags))
        .build();
    TaskRecord {
        task: Sdk(task),
        owner: spec.owner,
        ready_at: now + start_delay,
        exit,
        stop_at: None,
        drain_until: None,
        stopped_at: None,
        client_token: None,
        health,
    }
}

impl TaskRecord {
    pub fn id(&self) -> &str {
        short_name(self.task.task_arn().unwrap_or_default())
    }

    pub fn is_stopped(&self) -> bool {
        self.task.last_status() == Some("STOPPED")
    }

    /// Not asked to stop and not stopped: counts towards a deployment's tasks.
    pub fn is_alive(&self) -> bool {
        self.task.desired_status() == Some("RUNNING") && !self.is_stopped()
    }

    pub fn is_running(&self) -> bool {
        self.is_alive() && self.task.last_status() == Some("RUNNING")
    }

    /// Counts towards a deployment (ECS developer guide, "task health"): RUNNING without a
    /// container health check on an essential container, HEALTHY with one; and, behind a load
    /// balancer, every target healthy in its target group.
    pub fn is_healthy(&self) -> bool {
        self.is_running() && self.checks_pass()
    }

    /// Its container health checks (if any) and its targets (if any) pass.
    fn checks_pass(&self) -> bool {
        (self.health.checked.is_empty()
            || self.task.health_status() == Some(&HealthStatus::Healthy))
            && self
                .health
                .targets
                .iter()
                .all(|t| t.phase == TargetPhase::Healthy)
    }

    /// RUNNING and UNHEALTHY, or with an unhealthy target: the service scheduler replaces it.
    pub fn is_unhealthy(&self) -> bool {
        self.is_running()
            && (self.task.health_status() == Some(&HealthStatus::Unhealthy)
                || self.unhealthy_target().is_some())
    }

    /// Its first target that failed its load balancer's health checks.
    pub fn unhealthy_target(&self) -> Option<&TaskTarget> {
        self.health
            .targets
            .iter()
            .find(|t| t.phase == TargetPhase::Unhealthy)
    }

    /// When its first undecided target's health checks decide (world time).
    fn target_verdict_at(&self, started: Epoch) -> Option<Epoch> {
        self.health
            .targets
            .iter()
            .filter(|t| t.phase == TargetPhase::Initial)
            .map(|t| started + t.verdict_after)
            .reduce(f64::min)
    }

    fn started(&self) -> Option<Epoch> {
        self.task
            .started_at()
            .map(|_| self.ready_at)
            .filter(|_| self.task.last_status() == Some("RUNNING"))
    }

    pub fn is_pending(&self) -> bool {
        self.is_alive() && self.task.last_status() != Some("RUNNING")
    }

    /// The next world time at which this task changes on its own.
    pub fn next_event(&self) -> Option<Epoch> {
        if self.is_stopped() {
            return None;
        }
        if let Some(at) = self.stop_at {
            return Some(self.drain_until.map_or(at, |d| d.min(at)));
        }
        let exit = self.exit.as_ref().map(|e| e.at);
        if let Some(started) = self.started() {
            let step = self.health.steps.first().map(|s| started + s.after);
            [exit, step, self.target_verdict_at(started)]
                .into_iter()
                .flatten()
                .reduce(f64::min)
        } else {
            Some(exit.map_or(self.ready_at, |e| e.min(self.ready_at)))
        }
    }

    /// Applies the transition due at or before `now`, if any.
    pub fn step(&mut self, now: Epoch) -> Option<TaskEvent> {
        let at = self.next_event()?;
        if at > now {
            return None;
        }
        if self.drain_until.is_some_and(|d| d <= at) {
            self.drain_until = None;
            self.task.last_status = Some("STOPPING".to_owned());
            self.task.version += 1;
            return Some(TaskEvent::Drained);
        }
        if self.stop_at.is_some() {
            self.finish_stop(at);
            return Some(TaskEvent::Stopped);
        }
        if let Some(exit) = self.exit.clone()
            && exit.at <= self.ready_at.max(at)
            && exit.at <= at
        {
            let started = self.task.started_at.is_some();
            self.exit_now(&exit);
            return Some(TaskEvent::Exited {
                failed: exit.exit_code != 0,
                started,
                healthy: self.health.was_healthy,
            });
        }
        if let Some(started) = self.started() {
            if self.target_verdict_at(started).is_some_and(|v| v <= at) {
                return Some(self.target_verdict(started, at));
            }
            return Some(self.container_step(at));
        }
        self.start_running(at);
        Some(TaskEvent::Running {
            healthy: self.health.was_healthy,
        })
    }

    /// The health checks of the targets due at `at` decide: healthy, or unhealthy with the
    /// failure of the world's rule.
    fn target_verdict(&mut self, started: Epoch, at: Epoch) -> TaskEvent {
        let mut failed = false;
        for t in &mut self.health.targets {
            if t.phase == TargetPhase::Initial && started + t.verdict_after <= at {
                t.phase = if t.failure.is_some() {
                    failed = true;
                    TargetPhase::Unhealthy
                } else {
                    TargetPhase::Healthy
                };
            }
        }
        self.task.version += 1;
        if failed {
            TaskEvent::Unhealthy
        } else {
            self.became_healthy()
        }
    }

    /// `Healthy` the first time every check passes, else `Container`.
    fn became_healthy(&mut self) -> TaskEvent {
        if !self.health.was_healthy && self.checks_pass() {
            self.health.was_healthy = true;
            TaskEvent::Healthy
        } else {
            TaskEvent::Container
        }
    }

    /// Applies the first container step (due at `at`).
    fn container_step(&mut self, at: Epoch) -> TaskEvent {
        if self.health.steps.is_empty() {
            return TaskEvent::Container;
        }
        let step = self.health.steps.remove(0);
        let before = self.task.health_status.clone();
        let Some(c) = self
            .task
            .containers
            .iter_mut()
            .flatten()
            .find(|c| c.name.as_deref() == Some(step.container.as_str()))
        else {
            return TaskEvent::Container;
        };
        match step.change {
            ContainerChange::Healthy => c.health_status = Some(HealthStatus::Healthy),
            ContainerChange::Unhealthy => c.health_status = Some(HealthStatus::Unhealthy),
            ContainerChange::Exit { code, essential } => {
                c.last_status = Some("STOPPED".to_owned());
                c.exit_code = Some(code);
                // A stopped container is checked no more.
                self.health.steps.retain(|s| s.container != step.container);
                if essential {
                    let healthy = self.health.was_healthy;
                    self.exit_now(&TaskExit {
                        at,
                        exit_code: code,
                        stopped_reason: "Essential container in task exited".to_owned(),
                        container_reason: None,
                        container: Some(step.container),
                    });
                    return TaskEvent::Exited {
                        failed: code != 0,
                        started: true,
                        healthy,
                    };
                }
                self.task.version += 1;
                return TaskEvent::Container;
            }
        }
        self.refresh_health();
        self.task.version += 1;
        let now = self.task.health_status.clone();
        match now {
            Some(HealthStatus::Healthy) if now != before => self.became_healthy(),
            Some(HealthStatus::Unhealthy) if now != before => TaskEvent::Unhealthy,
            _ => TaskEvent::Container,
        }
    }

    /// The task's `healthStatus` from its checked essential containers (API_HealthCheck, in
    /// priority order: UNHEALTHY if any is, else UNKNOWN if any is, else HEALTHY); UNKNOWN
    /// without any. The guide does not say whether an essential container *without* a check
    /// keeps the task UNKNOWN; here only checked containers count.
    fn refresh_health(&mut self) {
        let checked = &self.health.checked;
        let states: Vec<Option<&HealthStatus>> = self
            .task
            .containers()
            .iter()
            .filter(|c| c.name().is_some_and(|n| checked.iter().any(|k| k == n)))
            .map(|c| c.health_status())
            .collect();
        let status = if states.is_empty() {
            HealthStatus::from("UNKNOWN")
        } else if states.contains(&Some(&HealthStatus::Unhealthy)) {
            HealthStatus::Unhealthy
        } else if states.iter().any(|s| *s != Some(&HealthStatus::Healthy)) {
            HealthStatus::from("UNKNOWN")
        } else {
            HealthStatus::Healthy
        };
        self.task.health_status = Some(status);
    }

    fn start_running(&mut self, at: Epoch) {
        let t = &mut self.task;
        t.last_status = Some("RUNNING".to_owned());
        t.started_at = Some(ts(at));
        t.pull_started_at = t.created_at;
        t.pull_stopped_at = Some(ts(at));
        // UNKNOWN until a container health check passes, or for good without one
        // (API_HealthCheck).
        t.health_status = Some(HealthStatus::from("UNKNOWN"));
        t.version += 1;
        // ELBv2 API reference, TargetHealth: a registering target is `initial`
        // (`Elb.RegistrationInProgress`) until its health checks decide.
        for target in &mut self.health.targets {
            target.phase = TargetPhase::Initial;
        }
        for c in t.containers.iter_mut().flatten() {
            c.last_status = Some("RUNNING".to_owned());
            c.health_status = Some(HealthStatus::from("UNKNOWN"));
            c.runtime_id = c.name.as_ref().map(|n| {
                format!(
                    "{}-{n}",
                    short_name(c.task_arn.as_deref().unwrap_or_default())
                )
            });
        }
        super::execute_command::set_agents(&mut self.task, "RUNNING", Some(ts(at)));
        self.health.was_healthy = self.checks_pass();
    }

    fn exit_now(&mut self, exit: &TaskExit) {
        let never_started = self.task.started_at.is_none();
        let t = &mut self.task;
        let at = ts(exit.at);
        t.last_status = Some("STOPPED".to_owned());
        t.desired_status = Some("STOPPED".to_owned());
        t.stop_code = Some(
            if never_started
                && exit
                    .container_reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("CannotPull"))
            {
                TaskStopCode::TaskFailedToStart
            } else {
                TaskStopCode::EssentialContainerExited
            },
        );
        t.stopped_reason = Some(exit.stopped_reason.clone());
        t.stopping_at = Some(at);
        t.stopped_at = Some(at);
        t.execution_stopped_at = Some(at);
        t.version += 1;
        // Only the container that exited has an exit code (API_Container `exitCode`); the
        // others were never started, or were stopped by the agent with a code that depends on
        // how the image handles SIGTERM, which the simulator does not know.
        let first = t.containers.iter().flatten().find_map(|c| c.name.clone());
        let exited = exit.container.clone().or(first);
        for c in t.containers.iter_mut().flatten() {
            if c.name == exited {
                c.exit_code = Some(exit.exit_code);
                c.reason = exit.container_reason.clone();
            }
            c.last_status = Some("STOPPED".to_owned());
        }
        super::execute_command::set_agents(&mut self.task, "STOPPED", None);
        self.health.steps.clear();
        self.deregister_targets();
        self.exit = None;
        self.stopped_at = Some(exit.at);
    }

    fn finish_stop(&mut self, at: Epoch) {
        let was_running = self.task.started_at.is_some();
        let t = &mut self.task;
        t.last_status = Some("STOPPED".to_owned());
        t.stopped_at = Some(ts(at));
        t.execution_stopped_at = Some(ts(at));
        t.version += 1;
        for c in t.containers.iter_mut().flatten() {
            // A sidecar that exited earlier keeps its own code.
            if was_running && c.last_status.as_deref() == Some("RUNNING") {
                c.exit_code = Some(0);
            }
            c.last_status = Some("STOPPED".to_owned());
        }
        super::execute_command::set_agents(&mut self.task, "STOPPED", None);
        self.health.steps.clear();
        self.deregister_targets();
        self.stop_at = None;
        self.drain_until = None;
        self.exit = None;
        self.stopped_at = Some(at);
    }

    /// A stopped task's targets leave their groups.
    fn deregister_targets(&mut self) {
        for t in &mut self.health.targets {
            if t.phase != TargetPhase::Unregistered {
                t.phase = TargetPhase::Deregistered;
            }
        }
    }

    /// Asks the task to stop; it is STOPPED `delay` world seconds later, or, when it has
    /// registered targets, after they drained for their groups' deregistration delay first
    /// (ELB user guide, "deregistration delay": a deregistering target is `draining` for
    /// `deregistration_delay.timeout_seconds`; ECS developer guide, "task lifecycle": the
    /// task is DEACTIVATING while its targets are deregistered).
    pub fn request_stop(&mut self, now: Epoch, delay: f64, code: TaskStopCode, reason: &str) {
        if !self.is_alive() {
            return;
        }
        let mut drain: f64 = 0.0;
        for t in &mut self.health.targets {
            if t.phase.is_registered() {
                t.phase = TargetPhase::Draining;
                drain = drain.max(t.deregistration_delay);
            }
        }
        let delay = delay + drain;
        let t = &mut self.task;
        t.desired_status = Some("STOPPED".to_owned());
        t.last_status = Some(
            if t.started_at.is_some() {
                "DEACTIVATING"
            } else {
                "STOPPING"
            }
            .to_owned(),
        );
        t.stopping_at = Some(ts(now));
        t.stop_code = Some(code);
        t.stopped_reason = Some(reason.to_owned());
        t.version += 1;
        self.stop_at = Some(now + delay);
        self.drain_until = (drain > 0.0).then_some(now + drain);
    }
}

/// Every task of a cluster, standalone and service-owned, with its service name.
pub fn all_tasks(cluster: &ClusterRecord) -> impl Iterator<Item = (Option<&str>, &TaskRecord)> {
    cluster.tasks.values().map(|t| (None, t)).chain(
        cluster
            .services
            .iter()
            .flat_map(|(name, s)| s.tasks.values().map(move |t| (Some(name.as_str()), t))),
    )
}

fn find_task_mut<'a>(cluster: &'a mut ClusterRecord, id: &str) -> Option<&'a mut TaskRecord> {
    let id = short_name(id);
    if cluster.tasks.contains_key(id) {
        return cluster.tasks.get_mut(id);
    }
    cluster
        .services
        .values_mut()
        .find_map(|s| s.tasks.get_mut(id))
}

fn family_of(task: &Task) -> &str {
    let tail = short_name(task.task_definition_arn().unwrap_or_default());
    tail.rsplit_once(':').map_or(tail, |(f, _)| f)
}

pub fn list_tasks(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, ListTasksInput::deserialize)?;
    let name = cluster_name(&state.ecs, input.cluster())?;
    let cluster = &state.ecs.clusters[&name];
    if let Some(svc) = input.service_name()
        && !cluster.services.contains_key(short_name(svc))
    {
        return Err(super::service_not_found());
    }
    // API_ListTasks, `maxResults`: "This value can be between 1 and 100." AWS's exact message is
    // not known: a plain one.
    if let Some(max) = input.max_results()
        && !(1..=100).contains(&max)
    {
        return Err(ApiError::invalid_parameter(format!(
            "maxResults must be between 1 and 100 (got {max})."
        )));
    }
    // API_ListTasks, `startedBy`: "When you specify startedBy as the filter, it must be the only
    // filter that you use." Which members count as filters is not spelled out: `cluster` is the
    // scope, not a filter; `desiredStatus` is not counted here, because the reference gives it a
    // default (RUNNING) that applies to every request, so a `startedBy` query always has one —
    // whether AWS refuses an explicit `desiredStatus` next to `startedBy` is not documented
    // (ristretto itself lists stopped tasks by `serviceName` and matches `startedBy` on its side,
    // so it works whichever way AWS reads it).
    // AWS's exact message is not known: a plain one.
    if input.started_by().is_some() {
        let others = [
            ("containerInstance", input.container_instance().is_some()),
            ("family", input.family().is_some()),
            ("serviceName", input.service_name().is_some()),
            ("launchType", input.launch_type().is_some()),
        ];
        if let Some((other, _)) = others.iter().find(|(_, given)| *given) {
            return Err(ApiError::invalid_parameter(format!(
                "startedBy must be the only filter of ListTasks; {other} was given too."
            )));
        }
    }
    // API_ListTasks, `desiredStatus`: "Although you can filter results based on a desired status
    // of PENDING, this doesn't return any results."
    if input.desired_status() == Some(&DesiredStatus::Pending) {
        return Ok(encode(
            &ListTasksOutput::builder()
                .set_task_arns(Some(Vec::new()))
                .build(),
        ));
    }
    let want_stopped = input.desired_status() == Some(&DesiredStatus::Stopped);
    let arns: Vec<String> = all_tasks(cluster)
        .filter(|(svc, _)| {
            input
                .service_name()
                .is_none_or(|s| *svc == Some(short_name(s)))
        })
        .map(|(_, t)| t)
        .filter(|t| input.family().is_none_or(|f| family_of(&t.task) == f))
        .filter(|t| {
            input
                .started_by()
                .is_none_or(|s| t.task.started_by() == Some(s))
        })
        .filter(|t| {
            input
                .launch_type()
                .is_none_or(|l| t.task.launch_type() == Some(l))
        })
        .filter(|t| (t.task.desired_status() == Some("STOPPED")) == want_stopped)
        .filter_map(|t| t.task.task_arn().map(str::to_owned))
        .collect();
    let (page, next) = paginate(&arns, input.next_token(), input.max_results(), 100)?;
    Ok(encode(
        &ListTasksOutput::builder()
            .set_task_arns(Some(page))
            .set_next_token(next)
            .build(),
    ))
}

pub fn describe_tasks(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, DescribeTasksInput::deserialize)?;
    let name = cluster_name(&state.ecs, input.cluster())?;
    // API_DescribeTasks: `tasks` is required, up to 100 IDs or ARNs; after the cluster check
    // (an unknown cluster is ClusterNotFoundException first). AWS's wording of the empty-list
    // message is not documented; it follows the form of the 100-element one.
    if input.tasks().is_empty() {
        return Err(ApiError::invalid_parameter("Tasks cannot be empty."));
    }
    if input.tasks().len() > 100 {
        return Err(ApiError::invalid_parameter(
            "Tasks cannot have more than 100 elements",
        ));
    }
    let with_tags = input.include().contains(&TaskField::Tags);
    let cluster = &state.ecs.clusters[&name];
    let mut out = DescribeTasksOutput::builder();
    for id in input.tasks() {
        let found = all_tasks(cluster)
            .map(|(_, t)| t)
            .find(|t| t.id() == short_name(id));
        match found {
            Some(t) => {
                let mut task = t.task.0.clone();
                if !with_tags {
                    task.tags = None;
                }
                out = out.tasks(task);
            }
            None => out = out.failures(Failure::builder().arn(id).reason("MISSING").build()),
        }
    }
    Ok(encode(&out.build()))
}

pub fn run_task(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, RunTaskInput::deserialize)?;
    let name = cluster_name(&state.ecs, input.cluster())?;
    let count = input.count().unwrap_or(1);
    if !(1..=10).contains(&count) {
        return Err(ApiError::invalid_parameter(
            "Count must be between 1 and 10.",
        ));
    }
    if input.launch_type().is_some() && !input.capacity_provider_strategy().is_empty() {
        return Err(ApiError::invalid_parameter(
            "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
        ));
    }
    let (td, td_tags) =
        super::task_definitions::resolve(&state.ecs, input.task_definition().unwrap_or_default())
            .map(|r| {
                let tags: Vec<Tag> = r.tags.iter().map(|t| t.0.clone()).collect();
                (r.task_definition.0.clone(), tags)
            })
            .ok_or_else(|| ApiError::invalid_parameter("TaskDefinition not found."))?;
    let mut tags = input.tags().to_vec();
    if input.propagate_tags() == Some(&PropagateTags::TaskDefinition) {
        tags.extend(td_tags);
    } else if input.propagate_tags() == Some(&PropagateTags::Service) {
        return Err(ApiError::invalid_parameter(
            "The SERVICE option for propagateTags is not supported for standalone tasks.",
        ));
    }
    let group = input
        .group()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("family:{}", td.family().unwrap_or_default()));
    let State {
        ecs, ids, rules, ..
    } = state;
    let super::EcsState {
        clusters,
        task_definitions,
        ..
    } = ecs;
    let cluster = clusters
        .get_mut(&name)
        .ok_or_else(super::cluster_not_found)?;
    let cluster_arn = cluster.cluster.cluster_arn().unwrap_or_default().to_owned();
    // Neither launchType nor capacityProviderStrategy: the cluster's default strategy, else EC2
    // (API_RunTask); a strategy's providers decide otherwise (FARGATE*: Fargate, else EC2).
    let launch_type = match input.launch_type() {
        Some(lt) => Some(lt.clone()),
        None if input.capacity_provider_strategy().is_empty() => {
            Some(super::clusters::default_launch_type(cluster, &name, rules))
        }
        None => Some(super::clusters::launch_type_of_providers(
            input
                .capacity_provider_strategy()
                .iter()
                .map(|c| c.capacity_provider()),
        )),
    };
    // The strategy the tasks are started with (the request's, else the cluster's default when
    // no launch type is given); a request's strategy may only name providers associated with
    // the cluster (API reference, CapacityProviderStrategyItem).
    let strategy = if input.capacity_provider_strategy().is_empty() {
        if input.launch_type().is_none() {
            super::clusters::default_strategy(cluster, &name, rules)
        } else {
            Vec::new()
        }
    } else {
        super::capacity_providers::check_strategy(
            &super::capacity_providers::associated(cluster),
            input.capacity_provider_strategy(),
        )?;
        input.capacity_provider_strategy().to_vec()
    };
    let mut by_provider = std::collections::BTreeMap::new();
    let mut out = RunTaskOutput::builder();
    if let Some(token) = input.client_token() {
        let earlier: Vec<Task> = cluster
            .tasks
            .values()
            .filter(|t| t.client_token.as_deref() == Some(token))
            .map(|t| t.task.0.clone())
            .collect();
        if !earlier.is_empty() {
            return Ok(encode(&out.set_tasks(Some(earlier)).build()));
        }
    }
    // EC2 tasks are placed on the cluster's container instances, with what every task of the
    // cluster not yet STOPPED holds (services' and standalone ones, this call's included).
    let instances = super::container_instances::placeable(cluster);
    let mut reserved: Vec<super::placement::Held> = if launch_type == Some(LaunchType::Ec2) {
        cluster
            .tasks
            .values()
            .chain(cluster.services.values().flat_map(|s| s.tasks.values()))
            .filter_map(|t| super::placement::held(t, task_definitions))
            .collect()
    } else {
        Vec::new()
    };
    let ask = super::placement::Ask {
        td: &td,
        group: &group,
        constraints: input.placement_constraints(),
        strategy: input.placement_strategy(),
    };
    for _ in 0..count {
        let instance = if launch_type == Some(LaunchType::Ec2) {
            match super::placement::place(instances.as_deref(), &ask, reserved.iter()) {
                Ok(instance) => instance,
                // A cluster without any container instance: AWS refuses the call with this
                // message (as AWS users report it; the API reference does not give it).
                Err(f) if f.instances.is_empty() => {
                    return Err(ApiError::invalid_parameter(
                        "No Container Instances were found in your cluster.",
                    ));
                }
                // ECS developer guide, "API failure reasons": `RESOURCE:*` with the container
                // instance's ARN. The tasks left are the same size: none of them fits either.
                Err(f) => {
                    for (arn, reason) in f.instances {
                        out = out.failures(Failure::builder().arn(arn).reason(reason).build());
                    }
                    break;
                }
            }
        } else {
            None
        };
        if let Some(arn) = &instance {
            reserved.push(super::placement::Held {
                instance: arn.clone(),
                size: super::clusters::task_size(&td),
                ports: super::container_instances::host_ports(&td),
                group: Some(group.clone()),
            });
        }
        let mut rec = new_task(
            ids,
            ctx,
            rules,
            TaskSpec {
                cluster_arn: &cluster_arn,
                cluster: &name,
                task_definition: &td,
                started_by: input.started_by().map(str::to_owned),
                group: group.clone(),
                launch_type: launch_type.clone(),
                owner: None,
                tags: tags.clone(),
            },
        );
        rec.task.overrides = input.overrides().cloned();
        super::execute_command::enable(&mut rec.task, input.enable_execute_command() == Some(true));
        rec.task.container_instance_arn = instance;
        // Spread over the strategy's providers by base and weight, within this call.
        rec.task.capacity_provider_name =
            super::capacity_providers::choose(&strategy, &by_provider);
        if let Some(p) = &rec.task.capacity_provider_name {
            *by_provider.entry(p.clone()).or_insert(0) += 1;
        }
        rec.client_token = input.client_token().map(str::to_owned);
        out = out.tasks(rec.task.0.clone());
        cluster.tasks.insert(rec.id().to_owned(), rec);
    }
    // Both lists are always there, empty or not, as AWS answers RunTask.
    let mut out = out.build();
    out.tasks.get_or_insert_with(Vec::new);
    out.failures.get_or_insert_with(Vec::new);
    Ok(encode(&out))
}

pub fn stop_task(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, StopTaskInput::deserialize)?;
    let name = cluster_name(&state.ecs, input.cluster())?;
    let delay = state.rules.stop_delay();
    let cluster = state
        .ecs
        .clusters
        .get_mut(&name)
        .ok_or_else(super::cluster_not_found)?;
    let task = find_task_mut(cluster, input.task().unwrap_or_default())
        .ok_or_else(|| ApiError::invalid_parameter("The referenced task was not found."))?;
    task.request_stop(
        ctx.now,
        delay,
        TaskStopCode::UserInitiated,
        input.reason().unwrap_or("Task stopped by user"),
    );
    Ok(encode(
        &StopTaskOutput::builder().task(task.task.0.clone()).build(),
    ))
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{HealthStatus, Task};
    use serde_json::json;

    use crate::testkit::{Kit, WORLD};

    fn run(kit: &mut Kit, image: &str) -> String {
        kit.call(
            "ecs",
            "RegisterTaskDefinition",
            0.0,
            json!({
                "family": "job",
                "containerDefinitions": [
                    {"name": "app", "image": image, "essential": true},
                    {"name": "sidecar", "image": "envoy:1", "essential": false},
                ],
                "cpu": "256", "memory": "512", "networkMode": "awsvpc",
                "requiresCompatibilities": ["FARGATE"],
            }),
        );
        let out = kit.call("ecs", "RunTask", 0.0, json!({"taskDefinition": "job"}));
        out["tasks"][0]["taskArn"].as_str().expect("ARN").to_owned()
    }

    fn task(kit: &Kit, arn: &str) -> Task {
        let id = crate::ecs::short_name(arn);
        kit.state.ecs.clusters["default"].tasks[id].task.0.clone()
    }

    fn exit_codes(t: &Task) -> Vec<(Option<&str>, Option<&str>, Option<i32>)> {
        t.containers()
            .iter()
            .map(|c| (c.name(), c.last_status(), c.exit_code()))
            .collect()
    }

    // API_Container `exitCode`: "The exit code returned from the container"; a container that
    // never started has none. ECS developer guide, "task definition parameters" (`essential`):
    // a non-essential container may exit without stopping the task.
    #[test]
    fn a_sidecar_exits_on_its_own_and_keeps_its_code() {
        let world = format!(
            "{WORLD}containers:\n  - {{image: \"envoy*\", crashAfterSeconds: 3, exitCode: 2}}\n  - {{image: \"*:crash*\", name: app, crashAfterSeconds: 8, exitCode: 137}}\n"
        );
        let mut kit = Kit::new(&world);
        let arn = run(&mut kit, "app:crash");
        kit.step(10.0);
        kit.step(13.0); // the sidecar exits, the task keeps running
        let t = task(&kit, &arn);
        assert_eq!(t.last_status(), Some("RUNNING"));
        assert_eq!(
            exit_codes(&t),
            [
                (Some("app"), Some("RUNNING"), None),
                (Some("sidecar"), Some("STOPPED"), Some(2))
            ]
        );
        kit.step(18.0); // the essential container exits: the task stops
        let t = task(&kit, &arn);
        assert_eq!(t.last_status(), Some("STOPPED"));
        assert_eq!(
            t.stopped_reason(),
            Some("Essential container in task exited")
        );
        assert_eq!(
            exit_codes(&t),
            [
                (Some("app"), Some("STOPPED"), Some(137)),
                (Some("sidecar"), Some("STOPPED"), Some(2))
            ]
        );
    }

    // API_Container `exitCode`: only the container that exited has one; the others of a task
    // that never reached RUNNING never started.
    #[test]
    fn only_the_failing_container_has_an_exit_code() {
        let world = format!("{WORLD}failures:\n  - {{image: \"*:broken*\", exitCode: 4}}\n");
        let mut kit = Kit::new(&world);
        let arn = run(&mut kit, "app:broken");
        kit.step(10.0);
        let t = task(&kit, &arn);
        assert_eq!(t.last_status(), Some("STOPPED"));
        assert_eq!(
            exit_codes(&t),
            [
                (Some("app"), Some("STOPPED"), Some(4)),
                (Some("sidecar"), Some("STOPPED"), None)
            ]
        );
        assert_eq!(t.health_status(), Some(&HealthStatus::from("UNKNOWN")));
    }
}
