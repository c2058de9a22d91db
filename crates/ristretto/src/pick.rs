//! Choosing one task among several (`tasks --stop`, `tasks --trace`, `exec`): a fuzzy picker
//! built in for a person at a terminal; an external filter (`--filter-command`, `fzf`, `peco`)
//! as ecspresso runs it, with one candidate per line on its stdin and the chosen line on its
//! stdout; and, where nobody can be asked, a clear refusal that lists the candidates.

use crate::report::failure;
use std::io::{IsTerminal, Write};
use std::process::{Command, Stdio};

use aws_sdk_ecs::primitives::{DateTime, DateTimeFormat};
use aws_sdk_ecs::types::Task;
use serde::Serialize;

use crate::report::{CliError, bad_input};

/// One task as `tasks` lists it and the picker offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSummary {
    /// The task ID (the last part of its ARN).
    pub id: String,
    /// The task ARN.
    pub arn: String,
    /// `family:revision`.
    pub task_definition: String,
    /// `PROVISIONING`, `PENDING`, `RUNNING`, …, `STOPPED`.
    pub last_status: String,
    /// `RUNNING` or `STOPPED`.
    pub desired_status: String,
    /// `HEALTHY`, `UNHEALTHY` or `UNKNOWN`.
    pub health: String,
    /// When the task reached RUNNING (RFC 3339, UTC).
    pub started_at: Option<String>,
    /// When it stopped.
    pub stopped_at: Option<String>,
    /// `FARGATE`, `EC2`, `EXTERNAL`, `MANAGED_INSTANCES`, when ECS says.
    pub launch_type: Option<String>,
    /// The capacity provider it runs on, when it was started through a strategy.
    pub capacity_provider: Option<String>,
    /// Why it stopped.
    pub stopped_reason: Option<String>,
}

/// RFC 3339 in UTC, seconds precision (`2026-11-30T02:47:33Z`).
#[must_use]
pub fn time(t: &DateTime) -> String {
    DateTime::from_secs(t.secs())
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| t.secs().to_string())
}

impl TaskSummary {
    /// The summary of a described task.
    #[must_use]
    pub fn of(task: &Task) -> Self {
        let arn = task.task_arn().unwrap_or_default().to_owned();
        Self {
            id: arn.rsplit('/').next().unwrap_or_default().to_owned(),
            task_definition: ristretto_core::event::short_task_definition(
                task.task_definition_arn().unwrap_or("-"),
            )
            .to_owned(),
            last_status: task.last_status().unwrap_or("-").to_owned(),
            desired_status: task.desired_status().unwrap_or("-").to_owned(),
            health: task
                .health_status()
                .map_or("UNKNOWN", |h| h.as_str())
                .to_owned(),
            started_at: task.started_at().map(time),
            stopped_at: task.stopped_at().map(time),
            launch_type: task.launch_type().map(|l| l.as_str().to_owned()),
            capacity_provider: task.capacity_provider_name().map(str::to_owned),
            stopped_reason: task.stopped_reason().map(str::to_owned),
            arn,
        }
    }

    /// Where it runs: the capacity provider, else the launch type, else `-`.
    #[must_use]
    pub fn placement(&self) -> &str {
        self.capacity_provider
            .as_deref()
            .or(self.launch_type.as_deref())
            .unwrap_or("-")
    }

    /// The candidate line a filter command reads and the picker shows: tab-separated, the task
    /// ID first (a filter's chosen line is read back by its first field, as ecspresso does).
    #[must_use]
    pub fn line(&self) -> String {
        [
            self.id.as_str(),
            &self.task_definition,
            &self.last_status,
            &self.desired_status,
            &self.health,
            self.started_at.as_deref().unwrap_or("-"),
            self.placement(),
        ]
        .join("\t")
    }
}

/// How to choose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PickOptions {
    /// An external filter command, run by `sh -c` (`--filter-command`,
    /// `RISTRETTO_FILTER_COMMAND`, the config's `filter_command`).
    pub filter_command: Option<String>,
    /// Whether a person can be asked: stdin and stderr (where the picker draws) are terminals.
    pub terminal: bool,
    /// What the choice is for, in messages (`stop`, `trace`, `exec`).
    pub purpose: String,
}

impl PickOptions {
    /// Options for `purpose`, with the filter command given (first one set wins: the flag,
    /// then the environment, then the config), and whether this process runs at a terminal.
    #[must_use]
    pub fn new(purpose: &str, filter_commands: &[Option<&str>]) -> Self {
        Self {
            filter_command: filter_commands
                .iter()
                .flatten()
                .find(|c| !c.trim().is_empty())
                .map(|c| (*c).to_owned()),
            terminal: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            purpose: purpose.to_owned(),
        }
    }
}

/// Chooses one of `candidates`: the only one; else the one the filter command prints; else
/// the one picked at the terminal.
///
/// # Errors
/// No candidate (exit 1); several and nobody to ask (exit 2, the candidates listed, the hint
/// `--id`); a filter command that fails, prints nothing or prints an unknown ID; a pick that
/// was cancelled (exit 1).
pub async fn choose_task<'a>(
    candidates: &'a [TaskSummary],
    opts: &PickOptions,
) -> Result<&'a TaskSummary, CliError> {
    match candidates {
        [] => {
            return Err(failure(
                format!("no task to {}", opts.purpose),
                Some("`ristretto tasks` lists the tasks; `--status STOPPED` the stopped ones"),
            ));
        }
        [only] => return Ok(only),
        _ => {}
    }
    if let Some(command) = &opts.filter_command {
        let lines: Vec<String> = candidates.iter().map(TaskSummary::line).collect();
        let command = command.clone();
        let chosen = tokio::task::spawn_blocking(move || run_filter(&command, &lines))
            .await
            .map_err(|e| failure(format!("the filter command did not finish: {e}"), None))??;
        let id = chosen.split(['\t', ' ']).next().unwrap_or_default().trim();
        if id.is_empty() {
            return Err(failure(
                format!("no task was chosen: nothing to {}", opts.purpose),
                None,
            ));
        }
        return candidates
            .iter()
            .find(|c| c.id == id || c.arn == id)
            .ok_or_else(|| {
                failure(
                    format!("the filter command chose `{id}`, which is not one of the tasks"),
                    Some("the filter command must print one of the lines it was given"),
                )
            });
    }
    if !opts.terminal {
        let list: Vec<String> = candidates
            .iter()
            .map(|c| format!("  {}", c.line()))
            .collect();
        return Err(bad_input(
            format!(
                "{} tasks match and there is no terminal to choose one to {}:\n{}",
                candidates.len(),
                opts.purpose,
                list.join("\n")
            ),
            Some("name the task with `--id ID`, or set `--filter-command`"),
        ));
    }
    let items: Vec<String> = candidates
        .iter()
        .map(|c| c.line().replace('\t', "  "))
        .collect();
    let prompt = format!("task to {}", opts.purpose);
    let picked = tokio::task::spawn_blocking(move || {
        dialoguer::FuzzySelect::new()
            .with_prompt(prompt)
            .items(&items)
            .default(0)
            .interact_on_opt(&console::Term::stderr())
    })
    .await
    .map_err(|e| failure(format!("the picker did not finish: {e}"), None))?;
    match picked {
        Ok(Some(index)) => candidates
            .get(index)
            .ok_or_else(|| failure("the picker chose nothing".to_owned(), None)),
        Ok(None) | Err(_) => Err(failure(
            format!("no task was chosen: nothing to {}", opts.purpose),
            None,
        )),
    }
}

/// Runs `command` with `sh -c`, the lines on its stdin; its stderr and the terminal stay the
/// user's (fzf and peco draw there). Returns the first line it printed.
fn run_filter(command: &str, lines: &[String]) -> Result<String, CliError> {
    let mut child = Command::new("sh")
        .args(["-c", command])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            failure(
                format!("cannot start the filter command `{command}`: {e}"),
                None,
            )
        })?;
    let mut input = lines.join("\n");
    input.push('\n');
    let stdin = child.stdin.take();
    // Written from another thread: a filter may print before it has read everything.
    let writer = std::thread::spawn(move || {
        if let Some(mut stdin) = stdin {
            // A filter that exits early closes its stdin: not an error.
            let _ = stdin.write_all(input.as_bytes());
        }
    });
    let output = child
        .wait_with_output()
        .map_err(|e| failure(format!("the filter command `{command}` failed: {e}"), None))?;
    let _ = writer.join();
    if !output.status.success() {
        return Err(failure(
            format!(
                "the filter command `{command}` failed ({}); nothing was chosen",
                output.status
            ),
            None,
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::exit::Exit;
    use aws_sdk_ecs::types::{HealthStatus, LaunchType};

    use super::*;

    fn summary(id: &str) -> TaskSummary {
        TaskSummary::of(
            &Task::builder()
                .task_arn(format!("arn:aws:ecs:us-east-1:1:task/default/{id}"))
                .task_definition_arn("arn:aws:ecs:us-east-1:1:task-definition/web:3")
                .last_status("RUNNING")
                .desired_status("RUNNING")
                .health_status(HealthStatus::Healthy)
                .launch_type(LaunchType::Fargate)
                .started_at(DateTime::from_secs(1_700_000_000))
                .build(),
        )
    }

    fn options(filter: Option<&str>) -> PickOptions {
        PickOptions {
            filter_command: filter.map(str::to_owned),
            terminal: false,
            purpose: "stop".to_owned(),
        }
    }

    #[test]
    fn a_summary_carries_the_listed_columns() {
        let s = summary("aaa");
        assert_eq!(s.id, "aaa");
        assert_eq!(s.task_definition, "web:3");
        assert_eq!(
            s.line(),
            "aaa\tweb:3\tRUNNING\tRUNNING\tHEALTHY\t2023-11-14T22:13:20Z\tFARGATE"
        );
    }

    #[tokio::test]
    async fn one_candidate_is_chosen_without_asking() {
        let only = [summary("aaa")];
        assert_eq!(choose_task(&only, &options(None)).await.unwrap().id, "aaa");
    }

    #[tokio::test]
    async fn no_candidate_is_a_failure() {
        let e = choose_task(&[], &options(None)).await.unwrap_err();
        assert_eq!(e.exit, Exit::Failure);
        assert!(
            e.error.to_string().contains("no task to stop"),
            "{}",
            e.error
        );
    }

    #[tokio::test]
    async fn several_without_a_terminal_are_listed_with_the_hint() {
        let two = [summary("aaa"), summary("bbb")];
        let e = choose_task(&two, &options(None)).await.unwrap_err();
        assert_eq!(e.exit, Exit::BadInput);
        let message = e.error.to_string();
        assert!(
            message.contains("aaa\t") && message.contains("bbb\t"),
            "{message}"
        );
        assert!(e.hint.unwrap().contains("--id"));
    }

    #[tokio::test]
    async fn the_filter_commands_line_is_read_back_by_its_first_field() {
        let two = [summary("aaa"), summary("bbb")];
        let chosen = choose_task(&two, &options(Some("grep ^bbb")))
            .await
            .unwrap();
        assert_eq!(chosen.id, "bbb");
        // It receives every candidate, one per line.
        let e = choose_task(&two, &options(Some("wc -l | tr -d ' '")))
            .await
            .unwrap_err();
        assert!(e.error.to_string().contains("`2`"), "{}", e.error);
    }

    #[tokio::test]
    async fn a_filter_that_fails_or_chooses_nothing_chooses_nothing() {
        let two = [summary("aaa"), summary("bbb")];
        let e = choose_task(&two, &options(Some("exit 3")))
            .await
            .unwrap_err();
        assert!(e.error.to_string().contains("failed"), "{}", e.error);
        let e = choose_task(&two, &options(Some("true"))).await.unwrap_err();
        assert!(
            e.error.to_string().contains("no task was chosen"),
            "{}",
            e.error
        );
    }
}
