//! `run`: one-off tasks (database migrations, batch jobs) from the service's
//! task definition, followed until they run or stop, with the exit code of
//! the container that matters.
//!
//! The verdict on the tasks is a plain function ([`verdict`]) of one
//! `DescribeTasks` answer; the shell around it polls.

use aws_sdk_ecs::Client;
use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::operation::run_task::RunTaskInput;
use aws_sdk_ecs::operation::run_task::builders::RunTaskInputBuilder;
use aws_sdk_ecs::types::{ContainerDefinition, Service, Task, TaskOverride, TaskStopCode};
use tokio::time::Instant;

use crate::deploy::{TaskDefinitionChoice, latest_revision};
use crate::error::{AwsError, EcsError};
use crate::logs::{LastLines, Line, Mode, Source, Stream, Tail, rfc3339};
use crate::task_definition::{self, split_revision};
use ristretto_core::event::{Events, short_task_definition};
use ristretto_core::poll::{Backoff, Limits, Look, Pace, poll};

/// When `run` stops waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunUntil {
    /// Every task is RUNNING (or already finished).
    Running,
    /// Every task has stopped.
    #[default]
    Stopped,
}

/// The container whose exit code `run` reports: `name` when given (it must
/// exist), else the first essential container.
///
/// # Errors
/// A name that is not one of `containers`.
pub fn watch_container(
    containers: &[ContainerDefinition],
    name: Option<&str>,
) -> Result<String, EcsError> {
    let names: Vec<&str> = containers.iter().filter_map(|c| c.name()).collect();
    if let Some(name) = name {
        return if names.contains(&name) {
            Ok(name.to_owned())
        } else {
            Err(EcsError::Invalid {
                message: format!(
                    "`--watch-container {name}`: the task definition has no container `{name}`"
                ),
                hint: Some(format!("its containers: {}", names.join(", "))),
            })
        };
    }
    containers
        .iter()
        .find(|c| c.essential().unwrap_or(true))
        .or_else(|| containers.first())
        .and_then(|c| c.name())
        .map(str::to_owned)
        .ok_or_else(|| EcsError::Invalid {
            message: "the task definition has no container".to_owned(),
            hint: None,
        })
}

/// The `RunTask` request: placement and networking from the service
/// definition file, else from the live service.
#[must_use]
pub fn run_task_input(
    cluster: &str,
    task_definition: &str,
    count: i32,
    overrides: Option<TaskOverride>,
    definition: Option<&CreateServiceInput>,
    live: Option<&Service>,
) -> RunTaskInputBuilder {
    let mut b = RunTaskInput::builder()
        .cluster(cluster)
        .task_definition(task_definition)
        .count(count)
        .started_by("ristretto-run")
        .set_overrides(overrides);
    if let Some(d) = definition {
        b = b
            .set_network_configuration(d.network_configuration().cloned())
            .set_launch_type(d.launch_type().cloned())
            .set_capacity_provider_strategy(non_empty(d.capacity_provider_strategy()))
            .set_placement_constraints(non_empty(d.placement_constraints()))
            .set_placement_strategy(non_empty(d.placement_strategy()))
            .set_platform_version(d.platform_version().map(str::to_owned))
            .set_enable_ecs_managed_tags(d.enable_ecs_managed_tags())
            .set_enable_execute_command(d.enable_execute_command());
    } else if let Some(s) = live {
        b = b
            .set_network_configuration(s.network_configuration().cloned())
            .set_launch_type(s.launch_type().cloned())
            .set_capacity_provider_strategy(non_empty(s.capacity_provider_strategy()))
            .set_placement_constraints(non_empty(s.placement_constraints()))
            .set_placement_strategy(non_empty(s.placement_strategy()))
            .set_platform_version(s.platform_version().map(str::to_owned));
    }
    if b.get_launch_type().is_some() && b.get_capacity_provider_strategy().is_some() {
        b = b.set_launch_type(None);
    }
    b
}

fn non_empty<T: Clone>(items: &[T]) -> Option<Vec<T>> {
    (!items.is_empty()).then(|| items.to_vec())
}

/// Starts the tasks; returns their ARNs.
///
/// # Errors
/// RunTask failures (no capacity, …) as [`EcsError::Aws`] with the code
/// `RunTaskFailure`, and AWS errors.
pub async fn start(
    ecs: &Client,
    input: RunTaskInputBuilder,
    events: &Events,
) -> Result<Vec<String>, EcsError> {
    events.step(format!(
        "running {} task(s) of {}",
        input.get_count().unwrap_or(1),
        short_task_definition(input.get_task_definition().as_deref().unwrap_or_default())
    ));
    let out = input
        .send_with(ecs)
        .await
        .map_err(|e| EcsError::aws("RunTask", e))?;
    if let Some(f) = out.failures().first() {
        return Err(EcsError::Aws(AwsError::unexpected(
            "RunTask",
            format!(
                "{}{}",
                f.reason().unwrap_or("no reason given"),
                f.detail().map(|d| format!(": {d}")).unwrap_or_default()
            ),
        )));
    }
    let arns: Vec<String> = out
        .tasks()
        .iter()
        .filter_map(|t| t.task_arn().map(str::to_owned))
        .collect();
    if arns.is_empty() {
        return Err(EcsError::Aws(AwsError::unexpected(
            "RunTask",
            "no task was started",
        )));
    }
    for arn in &arns {
        events.step(format!("started task {arn}"));
    }
    Ok(arns)
}

/// The verdict on the tasks of one `run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Still going.
    InProgress,
    /// Done: every task is running (`--wait-until running`) or exited 0.
    Succeeded,
    /// The watched container of a task exited with a non-zero code.
    Exited {
        /// Task ID.
        task: String,
        /// Its exit code.
        code: i32,
        /// Why the task stopped, with the container's reason.
        reason: String,
    },
    /// A task stopped without the watched container having exited on its own.
    FailedToStart {
        /// Task ID.
        task: String,
        /// Why.
        reason: String,
    },
}

fn task_id(task: &Task) -> String {
    task.task_arn()
        .and_then(|a| a.rsplit('/').next())
        .unwrap_or("?")
        .to_owned()
}

/// Judges the tasks: failures first (in task order), then completion.
#[must_use]
pub fn verdict(tasks: &[Task], watch: &str, until: RunUntil) -> Verdict {
    let mut done = true;
    for task in tasks {
        let stopped = task.last_status() == Some("STOPPED");
        if !stopped {
            let running = task.last_status() == Some("RUNNING");
            if until == RunUntil::Stopped || !running {
                done = false;
            }
            continue;
        }
        let container = task.containers().iter().find(|c| c.name() == Some(watch));
        let stopped_reason = task.stopped_reason().unwrap_or("no reason given");
        let never_started = task.stop_code() == Some(&TaskStopCode::TaskFailedToStart)
            || task.started_at().is_none() && container.and_then(|c| c.exit_code()).is_none();
        let with_reason =
            |c: Option<&aws_sdk_ecs::types::Container>| match c.and_then(|c| c.reason()) {
                Some(r) => format!("{stopped_reason} ({r})"),
                None => stopped_reason.to_owned(),
            };
        if never_started {
            return Verdict::FailedToStart {
                task: task_id(task),
                reason: with_reason(container),
            };
        }
        match container.and_then(|c| c.exit_code()) {
            Some(0) => {}
            Some(code) => {
                return Verdict::Exited {
                    task: task_id(task),
                    code,
                    reason: with_reason(container),
                };
            }
            None => {
                return Verdict::FailedToStart {
                    task: task_id(task),
                    reason: format!(
                        "container `{watch}` has no exit code: {}",
                        with_reason(container)
                    ),
                };
            }
        }
    }
    if done {
        Verdict::Succeeded
    } else {
        Verdict::InProgress
    }
}

/// What `run` was asked for: which revision, and which container to watch.
#[derive(Debug, Clone, Default)]
pub struct RunRequest<'a> {
    /// `--task-def FILE`: run this file's family, not the service's.
    pub own_file: bool,
    /// The task definition file (the config's or `--task-def`), loaded.
    pub local: Option<RegisterTaskDefinitionInput>,
    /// The live service, when the config names one that exists.
    pub live: Option<&'a Service>,
    /// `--revision N`.
    pub revision: Option<i64>,
    /// `--latest-task-definition`.
    pub latest: bool,
    /// `--skip-task-definition`: the service's revision (else the latest).
    pub skip: bool,
    /// `--watch-container`.
    pub watch: Option<&'a str>,
}

/// What `run` will do, decided with read-only calls.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// The family run.
    pub family: String,
    /// The revision to run: registered first, or existing.
    pub task_definition: TaskDefinitionChoice,
    /// The container whose exit code is the result.
    pub watch: String,
    /// Where the watched container's output goes.
    pub logs: Source,
}

/// Decides what `run` runs: the family (the service's, else the file's;
/// `--task-def` the file's), the revision (`--revision`,
/// `--latest-task-definition`, `--skip-task-definition`, else the file to
/// register) and the container to watch, which is checked before anything
/// changes.
///
/// # Errors
/// Nothing to run, an unknown container or revision, AWS errors.
pub async fn plan(ecs: &Client, request: RunRequest<'_>) -> Result<RunPlan, EcsError> {
    let from_file = || {
        request
            .local
            .as_ref()
            .and_then(|t| t.family())
            .map(str::to_owned)
    };
    let from_service = || {
        request
            .live
            .and_then(|s| s.task_definition())
            .and_then(split_revision)
            .map(|(f, _)| f.to_owned())
    };
    let family = if request.own_file {
        from_file()
    } else {
        from_service().or_else(from_file)
    }
    .ok_or_else(|| EcsError::Invalid {
        message:
            "no task definition to run: the service does not exist and `task_definition` is not set"
                .to_owned(),
        hint: Some("set `task_definition` in the config".to_owned()),
    })?;
    let choice = if let Some(revision) = request.revision {
        TaskDefinitionChoice::Existing(format!("{family}:{revision}"))
    } else if request.latest {
        TaskDefinitionChoice::Existing(latest_revision(ecs, &family).await?)
    } else if request.skip {
        match request.live.and_then(|s| s.task_definition()) {
            Some(td) => TaskDefinitionChoice::Existing(td.to_owned()),
            None => TaskDefinitionChoice::Existing(latest_revision(ecs, &family).await?),
        }
    } else {
        let local = request.local.clone().ok_or_else(|| EcsError::Invalid {
            message: "`task_definition` is not set in the config".to_owned(),
            hint: Some(
                "set it, or pass `--skip-task-definition` or `--latest-task-definition`".to_owned(),
            ),
        })?;
        TaskDefinitionChoice::Register(Box::new(local))
    };
    let containers = match &choice {
        TaskDefinitionChoice::Register(input) => input.container_definitions().to_vec(),
        TaskDefinitionChoice::Existing(arn) => task_definition::containers(ecs, arn).await?,
    };
    let watch = watch_container(&containers, request.watch)?;
    let logs = containers
        .iter()
        .find(|c| c.name() == Some(watch.as_str()))
        .map_or_else(
            || Source::Elsewhere {
                reason: format!("container `{watch}` is not in the task definition"),
                hint: String::new(),
            },
            crate::logs::source,
        );
    Ok(RunPlan {
        family,
        task_definition: choice,
        watch,
        logs,
    })
}

/// How many of the watched container's last lines are shown again when its task failed.
pub const LAST_LINES: usize = 20;

/// The watched container's lines while `run` waits: each new one goes out as an
/// [`Event::LogLine`](ristretto_core::event::Event::LogLine), and the last [`LAST_LINES`] are
/// kept to be shown again when the task failed. Reading them never fails the run: the first
/// error is reported once and the lines are read no more.
#[derive(Debug)]
pub struct RunLogs {
    tail: Tail,
    last: LastLines,
    broken: bool,
}

impl RunLogs {
    /// The streams of container `watch` of the tasks `arns`, where `source` says it writes.
    /// `None` when it does not write to CloudWatch Logs.
    #[must_use]
    pub fn new(
        client: aws_sdk_cloudwatchlogs::Client,
        source: &Source,
        watch: &str,
        arns: &[String],
    ) -> Option<Self> {
        let Source::CloudWatch {
            group,
            region,
            prefix,
        } = source
        else {
            return None;
        };
        let streams = arns
            .iter()
            .map(|arn| {
                let task = arn.rsplit('/').next().unwrap_or(arn).to_owned();
                Stream {
                    name: format!("{prefix}/{watch}/{task}"),
                    task,
                    container: watch.to_owned(),
                    region: region.clone(),
                    group: group.clone(),
                }
            })
            .collect();
        let mut tail = Tail::new(client, Mode::PerStream, None, None);
        tail.set_streams(streams);
        Some(Self {
            tail,
            last: LastLines::new(LAST_LINES),
            broken: false,
        })
    }

    /// Reads the new lines and sends them.
    pub async fn read(&mut self, events: &Events) {
        if self.broken {
            return;
        }
        match self.tail.read().await {
            Ok(lines) => {
                for line in &lines {
                    events.emit(log_event(line));
                }
                self.last.extend(lines);
            }
            Err(e) => {
                self.broken = true;
                events.step(format!("cannot read the container's logs any more: {e}"));
            }
        }
    }

    /// Sends the last lines again, under a line that says how many there are.
    pub fn replay(&self, events: &Events) {
        let lines: Vec<&Line> = self.last.lines().collect();
        if lines.is_empty() {
            return;
        }
        events.step(format!(
            "the last {} line(s) of container `{}` (at most {}):",
            lines.len(),
            lines[0].container,
            self.last.capacity()
        ));
        for line in lines {
            events.emit(log_event(line));
        }
    }
}

fn log_event(line: &Line) -> ristretto_core::event::Event {
    ristretto_core::event::Event::LogLine {
        task: line.task.clone(),
        container: line.container.clone(),
        at: rfc3339(line.timestamp),
        message: line.message.clone(),
    }
}

/// How following the tasks ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Followed {
    /// The verdict was reached.
    Done(Verdict),
    /// The timeout passed first.
    TimedOut,
}

/// Polls `DescribeTasks` until [`verdict`] is final or `deadline` passes,
/// reporting each change of the tasks' states and, with `logs`, the watched
/// container's new lines after each look (the last look included).
///
/// # Errors
/// AWS errors.
#[allow(clippy::too_many_arguments)]
pub async fn follow(
    ecs: &Client,
    cluster: &str,
    arns: &[String],
    watch: &str,
    until: RunUntil,
    deadline: Instant,
    events: &Events,
    mut logs: Option<&mut RunLogs>,
) -> Result<Followed, EcsError> {
    let mut backoff = Backoff::new(Pace::default());
    let mut last = String::new();
    let limits = Limits {
        deadline,
        no_progress: None,
        first_look: None,
    };
    let ended = poll(limits, events, async || {
        let out = ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(arns.to_vec()))
            .send()
            .await
            .map_err(|e| EcsError::aws("DescribeTasks", e))?;
        let tasks = out.tasks();
        let states = tasks
            .iter()
            .map(|t| format!("task {} {}", task_id(t), t.last_status().unwrap_or("?")))
            .collect::<Vec<_>>()
            .join(", ");
        let changed = states != last;
        if changed {
            events.step(states.clone());
            last = states;
        }
        if let Some(logs) = logs.as_deref_mut() {
            logs.read(events).await;
        }
        if tasks.is_empty() {
            return Ok::<_, EcsError>(Look::Done(Verdict::FailedToStart {
                task: arns.first().cloned().unwrap_or_default(),
                reason: "ECS no longer knows the task".to_owned(),
            }));
        }
        Ok(match verdict(tasks, watch, until) {
            Verdict::InProgress => Look::Again {
                changed,
                next: backoff.next(changed),
            },
            other => Look::Done(other),
        })
    })
    .await?;
    Ok(ended.map_or(Followed::TimedOut, Followed::Done))
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::Container;
    use aws_smithy_types::DateTime;

    use super::*;

    fn task(status: &str, started: bool, code: Option<i32>) -> Task {
        let mut b = Task::builder()
            .task_arn("arn:aws:ecs:us-east-1:1:task/default/abc")
            .last_status(status)
            .containers(Container::builder().name("sidecar").exit_code(0).build())
            .containers(Container::builder().name("app").set_exit_code(code).build());
        if started {
            b = b.started_at(DateTime::from_secs(1));
        }
        if status == "STOPPED" {
            b = b
                .stopped_reason("Essential container in task exited")
                .stop_code(if started {
                    TaskStopCode::EssentialContainerExited
                } else {
                    TaskStopCode::TaskFailedToStart
                });
        }
        b.build()
    }

    #[test]
    fn the_watched_containers_exit_code_is_the_verdict_not_the_sidecars() {
        let v = verdict(&[task("STOPPED", true, Some(3))], "app", RunUntil::Stopped);
        assert!(matches!(v, Verdict::Exited { code: 3, .. }), "{v:?}");
    }

    #[test]
    fn exit_code_zero_succeeds() {
        let v = verdict(&[task("STOPPED", true, Some(0))], "app", RunUntil::Stopped);
        assert_eq!(v, Verdict::Succeeded);
    }

    #[test]
    fn a_task_that_never_started_failed_to_start() {
        let v = verdict(&[task("STOPPED", false, None)], "app", RunUntil::Stopped);
        assert!(matches!(v, Verdict::FailedToStart { .. }), "{v:?}");
    }

    #[test]
    fn running_is_enough_when_waiting_until_running() {
        let tasks = [task("RUNNING", true, None)];
        assert_eq!(
            verdict(&tasks, "app", RunUntil::Running),
            Verdict::Succeeded
        );
        assert_eq!(
            verdict(&tasks, "app", RunUntil::Stopped),
            Verdict::InProgress
        );
    }

    #[test]
    fn a_pending_task_keeps_waiting() {
        let tasks = [task("PENDING", false, None)];
        assert_eq!(
            verdict(&tasks, "app", RunUntil::Running),
            Verdict::InProgress
        );
    }

    #[test]
    fn the_first_essential_container_is_watched_by_default() {
        let containers = [
            ContainerDefinition::builder()
                .name("log")
                .essential(false)
                .build(),
            ContainerDefinition::builder().name("app").build(),
        ];
        assert_eq!(watch_container(&containers, None).expect("found"), "app");
        assert!(watch_container(&containers, Some("nope")).is_err());
    }
}
