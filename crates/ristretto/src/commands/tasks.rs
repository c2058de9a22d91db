//! `tasks`: the service's tasks (or the task definition family's) as a table, JSON or TSV;
//! `--stop` to stop the chosen ones, `--trace` to follow one task to its end. Choosing a task
//! when several match is `pick`'s job.

use aws_sdk_ecs::types::{DesiredStatus, Task};
use ristretto_core::Config;
use ristretto_core::poll::{Interrupted, Limits, interruptible};
use ristretto_ecs::tasks::{self as ecs_tasks, Change, Scope, TraceEnd, Traced};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::cli::{OutputFormat, PickFlags, TaskStatusArg, TasksArgs, TasksFormat};
use crate::commands::Context;
use crate::commands::confirm::confirm;
use crate::exit::Exit;
use crate::pick::{self, PickOptions, TaskSummary};
use crate::progress::Progress;
use crate::report::{CliError, bad_input};

/// Lists, stops or traces the tasks of each config.
///
/// # Errors
/// Bad flags or config (exit 2), unknown tasks and AWS errors (exit 1), a trace that timed
/// out (exit 4), a signal while tracing (130, 143, 129).
pub async fn run(args: &TasksArgs, ctx: &Context) -> Result<Exit, CliError> {
    let acts = args.stop || args.trace.is_some();
    if acts && ctx.settings.configs.len() > 1 {
        return Err(bad_input(
            format!(
                "`--{}` acts on one service's tasks, and {} configs were given",
                if args.stop { "stop" } else { "trace" },
                ctx.settings.configs.len()
            ),
            Some("pass one `--config`"),
        ));
    }
    for file in &ctx.settings.configs {
        let config = ctx.load_config(file)?;
        let exit = one(args, ctx, &config).await?;
        if exit != Exit::Success {
            return Ok(exit);
        }
    }
    Ok(Exit::Success)
}

async fn one(args: &TasksArgs, ctx: &Context, config: &Config) -> Result<Exit, CliError> {
    let family = match (&args.family, &config.service) {
        (Some(family), _) => Some(family.clone()),
        (None, Some(_)) => None,
        (None, None) => Some(local_family(ctx, config)?),
    };
    let scope = match (&family, &config.service) {
        (Some(family), _) => Scope::Family(family),
        (None, Some(service)) => Scope::Service(service),
        // `family` is set whenever the config has no service.
        (None, None) => return Err(bad_input("the config names no service", None)),
    };
    let clients = ctx.clients(config).await;
    let ecs = &clients.ecs;
    let cluster = &config.cluster;

    // `--trace ID` names its task itself.
    let trace_id = args.trace.as_deref().filter(|id| !id.is_empty());
    let ids: Vec<String> = match trace_id {
        Some(id) => vec![id.to_owned()],
        None => args.id.clone(),
    };
    let tasks: Vec<Task> = if ids.is_empty() {
        ecs_tasks::list(ecs, cluster, scope, &statuses(args.status)).await?
    } else {
        let described = ecs_tasks::describe(ecs, cluster, &ids).await?;
        if let Some(missing) = described.missing.first() {
            return Err(CliError {
                exit: Exit::Failure,
                error: anyhow::anyhow!("task `{missing}` is not found in cluster `{cluster}`"),
                hint: Some(
                    "`ristretto tasks --status ALL` lists the tasks ECS still knows (it keeps stopped tasks for about an hour)"
                        .to_owned(),
                ),
            });
        }
        described.tasks
    };
    let summaries: Vec<TaskSummary> = tasks.iter().map(TaskSummary::of).collect();

    if args.stop {
        return stop(args, ctx, config, &ids, &summaries).await;
    }
    if args.trace.is_some() {
        return trace(args, ctx, config, &summaries).await;
    }
    let format = args.format.unwrap_or(match ctx.printer.output() {
        OutputFormat::Json => TasksFormat::Json,
        OutputFormat::Text => TasksFormat::Table,
    });
    ctx.printer.data(&render(&summaries, format));
    Ok(Exit::Success)
}

/// ListTasks takes one desired status per call.
fn statuses(status: TaskStatusArg) -> Vec<DesiredStatus> {
    match status {
        TaskStatusArg::Running => vec![DesiredStatus::Running],
        TaskStatusArg::Pending => vec![DesiredStatus::Pending],
        TaskStatusArg::Stopped => vec![DesiredStatus::Stopped],
        TaskStatusArg::All => vec![DesiredStatus::Running, DesiredStatus::Stopped],
    }
}

fn pick_options(flags: &PickFlags, ctx: &Context, config: &Config, purpose: &str) -> PickOptions {
    if config.filter_command.is_some() && flags.filter_command.is_none() {
        ctx.printer
            .debug("choosing with the config's `filter_command`");
    }
    PickOptions::new(
        purpose,
        &[
            flags.filter_command.as_deref(),
            ctx.settings.filter_command.as_deref(),
            config.filter_command.as_deref(),
        ],
    )
}

/// `--stop`: every task `--id` names, else one chosen among the listed tasks not already
/// stopping; asked first on a terminal, refused elsewhere without `--force`.
async fn stop(
    args: &TasksArgs,
    ctx: &Context,
    config: &Config,
    ids: &[String],
    summaries: &[TaskSummary],
) -> Result<Exit, CliError> {
    let live: Vec<TaskSummary> = summaries
        .iter()
        .filter(|s| s.desired_status != "STOPPED")
        .cloned()
        .collect();
    let chosen: Vec<TaskSummary> = if ids.is_empty() {
        let options = pick_options(&args.pick, ctx, config, "stop");
        vec![pick::choose_task(&live, &options).await?.clone()]
    } else {
        if let Some(done) = summaries.iter().find(|s| s.desired_status == "STOPPED") {
            return Err(CliError {
                exit: Exit::Failure,
                error: anyhow::anyhow!(
                    "task `{}` is already {} (desired status STOPPED); nothing was stopped",
                    done.id,
                    done.last_status
                ),
                hint: None,
            });
        }
        live
    };
    let names: Vec<String> = chosen
        .iter()
        .map(|s| format!("`{}` ({}, {})", s.id, s.task_definition, s.last_status))
        .collect();
    let what = if chosen.len() == 1 {
        format!("stop task {}", names.join(""))
    } else {
        format!("stop {} tasks: {}", chosen.len(), names.join(", "))
    };
    confirm(
        &ctx.printer,
        args.force,
        &what,
        &format!(
            "{what} in cluster `{}`? Type `y` to go ahead:",
            config.cluster
        ),
        "y",
    )?;
    let clients = ctx.clients(config).await;
    let mut stopped = Vec::with_capacity(chosen.len());
    for task in &chosen {
        let answer = ecs_tasks::stop(&clients.ecs, &config.cluster, &task.arn).await?;
        ctx.printer.info(&format!(
            "stopping task `{}`: desired status {}, last status {}",
            task.id,
            answer.desired_status().unwrap_or("-"),
            answer.last_status().unwrap_or("-")
        ));
        stopped.push(TaskSummary::of(&answer));
    }
    let format = args.format.unwrap_or(match ctx.printer.output() {
        OutputFormat::Json => TasksFormat::Json,
        OutputFormat::Text => TasksFormat::Table,
    });
    ctx.printer.data(&render(&stopped, format));
    Ok(Exit::Success)
}

/// `--trace`: follows one task until it is STOPPED, printing each change once.
async fn trace(
    args: &TasksArgs,
    ctx: &Context,
    config: &Config,
    summaries: &[TaskSummary],
) -> Result<Exit, CliError> {
    let named = args.trace.as_deref().is_some_and(|id| !id.is_empty()) || !args.id.is_empty();
    if named && summaries.len() > 1 {
        return Err(bad_input(
            "`--trace` follows one task, and several were named",
            Some("name one task with `--trace ID`"),
        ));
    }
    let candidates: Vec<TaskSummary> = if named {
        summaries.to_vec()
    } else {
        summaries
            .iter()
            .filter(|s| s.last_status != "STOPPED")
            .cloned()
            .collect()
    };
    let options = pick_options(&args.pick, ctx, config, "trace");
    let task = pick::choose_task(&candidates, &options).await?.clone();
    let clients = ctx.clients(config).await;
    let limits = Limits {
        deadline: Instant::now() + config.timeout,
        no_progress: None,
        first_look: None,
    };
    let json = ctx.printer.output() == OutputFormat::Json;
    let printer = ctx.printer.clone();
    let id = task.id.clone();
    let (events, progress) = Progress::start(&ctx.printer, format!("task {}", task.id));
    let followed = interruptible(ecs_tasks::trace(
        &clients.ecs,
        &config.cluster,
        &task.arn,
        limits,
        &events,
        |traced| printer.data(&line(&id, &traced, json)),
    ))
    .await;
    progress.finish(events).await;
    match followed {
        Err(Interrupted(signal)) => Err(crate::report::interrupted(
            signal,
            "the task goes on in ECS",
            Some(format!(
                "follow it again with `ristretto tasks --trace {}`",
                task.id
            )),
        )),
        Ok(Err(e)) => Err(e.into()),
        Ok(Ok(Ok(TraceEnd::Stopped(_)))) => Ok(Exit::Success),
        Ok(Ok(Ok(TraceEnd::Gone))) => {
            ctx.printer.info(&format!(
                "task `{}` is no longer known to ECS: it stopped earlier",
                task.id
            ));
            Ok(Exit::Success)
        }
        Ok(Ok(Err(_gave_up))) => Err(CliError {
            exit: Exit::TimedOut,
            error: anyhow::anyhow!(
                "timed out after {} while task `{}` was still going",
                ristretto_core::duration::format(config.timeout),
                task.id
            ),
            hint: Some(
                "the task goes on in ECS; raise `timeout` (or `--timeout`) to follow it longer"
                    .to_owned(),
            ),
        }),
    }
}

/// One traced change: `TIME  message` (the time ECS gives for it, else when it was seen), or
/// one JSON object per line.
fn line(id: &str, traced: &Traced, json: bool) -> String {
    let at = traced.at.as_ref().map_or_else(now, pick::time);
    let message = message(&traced.change);
    if json {
        let mut value = change_json(&traced.change);
        if let Some(object) = value.as_object_mut() {
            object.insert("at".to_owned(), Value::String(at));
            object.insert("task".to_owned(), Value::String(id.to_owned()));
            object.insert("message".to_owned(), Value::String(message));
        }
        return format!("{value}\n");
    }
    format!("{at}  {message}\n")
}

fn now() -> String {
    pick::time(&aws_sdk_ecs::primitives::DateTime::from(
        std::time::SystemTime::now(),
    ))
}

fn message(change: &Change) -> String {
    match change {
        Change::Seen {
            task_definition,
            last_status,
            desired_status,
            health,
        } => format!(
            "{task_definition}: last status {last_status}, desired status {desired_status}, health {health}"
        ),
        Change::LastStatus { from, to } => format!("last status {from} -> {to}"),
        Change::DesiredStatus { to, reason } => match reason {
            Some(reason) => format!("desired status {to} ({reason})"),
            None => format!("desired status {to}"),
        },
        Change::Health { from, to } => format!("health {from} -> {to}"),
        Change::ContainerExited {
            container,
            exit_code,
            reason,
        } => {
            let code = exit_code.map_or_else(
                || "stopped without an exit code".to_owned(),
                |c| format!("exited with code {c}"),
            );
            match reason {
                Some(reason) => format!("container `{container}` {code}: {reason}"),
                None => format!("container `{container}` {code}"),
            }
        }
        Change::Stopped { stop_code, reason } => format!(
            "STOPPED ({}): {}",
            stop_code.as_deref().unwrap_or("-"),
            reason.as_deref().unwrap_or("no reason given")
        ),
        Change::ServiceEvent { message } => format!("service event: {message}"),
    }
}

fn change_json(change: &Change) -> Value {
    match change {
        Change::Seen {
            task_definition,
            last_status,
            desired_status,
            health,
        } => json!({"change": "seen", "taskDefinition": task_definition, "lastStatus": last_status,
            "desiredStatus": desired_status, "health": health}),
        Change::LastStatus { from, to } => json!({"change": "lastStatus", "from": from, "to": to}),
        Change::DesiredStatus { to, reason } => {
            json!({"change": "desiredStatus", "to": to, "reason": reason})
        }
        Change::Health { from, to } => json!({"change": "health", "from": from, "to": to}),
        Change::ContainerExited {
            container,
            exit_code,
            reason,
        } => json!({"change": "containerExited", "container": container, "exitCode": exit_code,
            "reason": reason}),
        Change::Stopped { stop_code, reason } => {
            json!({"change": "stopped", "stopCode": stop_code, "stoppedReason": reason})
        }
        Change::ServiceEvent { message } => json!({"change": "serviceEvent", "event": message}),
    }
}

/// The family of the config's task definition file (a config without a service).
fn local_family(ctx: &Context, config: &Config) -> Result<String, CliError> {
    if config.task_definition.is_none() {
        return Err(bad_input(
            format!(
                "`{}` names neither a service nor a task definition",
                config.file.display()
            ),
            Some("add `service: <name>` to the config, or pass `--family FAMILY`"),
        ));
    }
    super::revisions::local_family(ctx, config)
}

/// The tasks as a table, JSON or TSV.
#[must_use]
pub fn render(tasks: &[TaskSummary], format: TasksFormat) -> String {
    match format {
        TasksFormat::Json => {
            let mut text = serde_json::to_string_pretty(tasks).unwrap_or_default();
            text.push('\n');
            text
        }
        TasksFormat::Tsv => tasks
            .iter()
            .map(|t| format!("{}\n", columns(t).join("\t")))
            .collect(),
        TasksFormat::Table => {
            let header = [
                "ID",
                "TASK DEFINITION",
                "LAST STATUS",
                "DESIRED",
                "HEALTH",
                "STARTED",
                "STOPPED",
                "LAUNCH",
                "STOPPED REASON",
            ];
            let rows: Vec<Vec<String>> = std::iter::once(header.map(str::to_owned).to_vec())
                .chain(tasks.iter().map(columns))
                .collect();
            let widths: Vec<usize> = (0..header.len())
                .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
                .collect();
            rows.iter()
                .map(|row| {
                    let cells: Vec<String> = row
                        .iter()
                        .zip(&widths)
                        .map(|(cell, width)| format!("{cell:<width$}"))
                        .collect();
                    cells.join("  ").trim_end().to_owned() + "\n"
                })
                .collect()
        }
    }
}

fn columns(t: &TaskSummary) -> Vec<String> {
    vec![
        t.id.clone(),
        t.task_definition.clone(),
        t.last_status.clone(),
        t.desired_status.clone(),
        t.health.clone(),
        t.started_at.clone().unwrap_or_else(|| "-".to_owned()),
        t.stopped_at.clone().unwrap_or_else(|| "-".to_owned()),
        t.placement().to_owned(),
        t.stopped_reason.clone().unwrap_or_else(|| "-".to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(id: &str, stopped: bool) -> TaskSummary {
        TaskSummary {
            id: id.to_owned(),
            arn: format!("arn:aws:ecs:us-east-1:1:task/default/{id}"),
            task_definition: "web:3".to_owned(),
            last_status: if stopped { "STOPPED" } else { "RUNNING" }.to_owned(),
            desired_status: if stopped { "STOPPED" } else { "RUNNING" }.to_owned(),
            health: "HEALTHY".to_owned(),
            started_at: Some("2026-11-30T02:00:00Z".to_owned()),
            stopped_at: stopped.then(|| "2026-11-30T02:10:00Z".to_owned()),
            launch_type: Some("FARGATE".to_owned()),
            capacity_provider: None,
            stopped_reason: stopped.then(|| "Task stopped by ristretto".to_owned()),
        }
    }

    #[test]
    fn the_table_aligns_columns_under_a_header() {
        let text = render(
            &[summary("a1", false), summary("b22", true)],
            TasksFormat::Table,
        );
        assert_eq!(
            text,
            "ID   TASK DEFINITION  LAST STATUS  DESIRED  HEALTH   STARTED               STOPPED               LAUNCH   STOPPED REASON\n\
             a1   web:3            RUNNING      RUNNING  HEALTHY  2026-11-30T02:00:00Z  -                     FARGATE  -\n\
             b22  web:3            STOPPED      STOPPED  HEALTHY  2026-11-30T02:00:00Z  2026-11-30T02:10:00Z  FARGATE  Task stopped by ristretto\n"
        );
    }

    #[test]
    fn tsv_has_no_header_and_one_line_per_task() {
        let text = render(&[summary("a1", false)], TasksFormat::Tsv);
        assert_eq!(
            text,
            "a1\tweb:3\tRUNNING\tRUNNING\tHEALTHY\t2026-11-30T02:00:00Z\t-\tFARGATE\t-\n"
        );
    }

    #[test]
    fn a_change_prints_its_time_and_message_or_one_json_object() {
        let traced = Traced {
            at: Some(aws_sdk_ecs::primitives::DateTime::from_secs(1_700_000_000)),
            change: Change::ContainerExited {
                container: "app".to_owned(),
                exit_code: Some(1),
                reason: None,
            },
        };
        assert_eq!(
            line("abc", &traced, false),
            "2023-11-14T22:13:20Z  container `app` exited with code 1\n"
        );
        let value: Value = serde_json::from_str(&line("abc", &traced, true)).unwrap_or_default();
        assert_eq!(value["change"], "containerExited");
        assert_eq!(value["exitCode"], 1);
        assert_eq!(value["task"], "abc");
        assert_eq!(value["at"], "2023-11-14T22:13:20Z");
    }
}
