//! Flags of `tasks`, and the flag of every command that chooses one task among several.

use clap::{Args, ValueEnum};

/// How to choose a task when several match (`tasks`, `exec`).
#[derive(Debug, Args, Clone, Default)]
pub struct PickFlags {
    /// Choose with this command instead of the built-in picker: the candidates on its stdin,
    /// one line each (the task ID first), the chosen line on its stdout (`fzf`, `peco`);
    /// also `RISTRETTO_FILTER_COMMAND`
    #[arg(long, value_name = "CMD")]
    pub filter_command: Option<String>,
}

/// `tasks`.
#[derive(Debug, Args)]
#[command(after_help = "\
Lists the service's tasks (for a config without a service, the task definition family's). \
`--stop` and `--trace` act on the task named by `--id`, or on one chosen among those listed: \
the only one, else with the built-in picker on a terminal, else with `--filter-command`.
Exit codes of `--trace`: 0 the task stopped, 4 the timeout passed first.")]
pub struct TasksArgs {
    /// Only this task (ID or ARN; repeatable)
    #[arg(long, value_name = "ID")]
    pub id: Vec<String>,
    /// Tasks whose desired status is this (as ECS ListTasks filters); ALL: running and stopped
    /// (ECS keeps stopped tasks for about an hour)
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        default_value = "RUNNING",
        value_name = "STATUS"
    )]
    pub status: TaskStatusArg,
    /// The tasks of this task definition family (service's and standalone alike) instead of
    /// the service's
    #[arg(long, value_name = "FAMILY")]
    pub family: Option<String>,
    /// List format (`--output json` also selects `json`)
    #[arg(long, value_enum)]
    pub format: Option<TasksFormat>,
    /// Stop the task(s) with StopTask (asks first on a terminal)
    #[arg(long, conflicts_with = "trace")]
    pub stop: bool,
    /// Stop without asking (required when not on a terminal)
    #[arg(long, requires = "stop")]
    pub force: bool,
    /// Follow one task's state changes and its service's new events until it stops (or
    /// `--timeout`): the task `ID`, else the one `--id` names, else one chosen
    #[arg(long, value_name = "ID", num_args = 0..=1, default_missing_value = "")]
    pub trace: Option<String>,
    #[command(flatten)]
    pub pick: PickFlags,
}

/// `tasks --status`: ListTasks `desiredStatus`, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskStatusArg {
    /// Desired status RUNNING: running tasks and those still starting (ECS's default)
    Running,
    /// Desired status PENDING: ECS never sets it, so this lists nothing (API_ListTasks)
    Pending,
    /// Desired status STOPPED: stopped tasks and those on their way down
    Stopped,
    /// RUNNING and STOPPED
    All,
}

/// How `tasks` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TasksFormat {
    /// Aligned columns with a header
    Table,
    /// A JSON array of tasks
    Json,
    /// Tab-separated columns, no header
    Tsv,
}
