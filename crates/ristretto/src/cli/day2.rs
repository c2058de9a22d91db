//! Flags of the day-2 commands: rollback, refresh, scale, delete, register,
//! deregister, run, and the auto scaling flags `deploy` and `scale` share.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::WaitFlags;

/// Auto scaling flags (`deploy`, `scale`).
#[derive(Debug, Args, Clone, Default)]
pub struct AutoScalingFlags {
    /// Suspend the service's auto scaling (dynamic and scheduled) and leave it suspended
    #[arg(long)]
    pub suspend_auto_scaling: bool,
    /// Resume the service's auto scaling
    #[arg(long, conflicts_with = "suspend_auto_scaling")]
    pub resume_auto_scaling: bool,
    /// Set the auto scaling minimum capacity
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = crate::cli::task_count)]
    pub auto_scaling_min: Option<i32>,
    /// Set the auto scaling maximum capacity
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = crate::cli::task_count)]
    pub auto_scaling_max: Option<i32>,
    /// Suspend auto scaling for the length of the command and resume it afterwards,
    /// whatever the outcome (failure, timeout and Ctrl-C included)
    #[arg(long, conflicts_with_all = ["suspend_auto_scaling", "resume_auto_scaling"])]
    pub pause_auto_scaling: bool,
}

/// `rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Show what would be done and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Roll back to revision N of the family (default: the highest ACTIVE revision below the
    /// current one)
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = crate::cli::revision_number)]
    pub revision: Option<i64>,
    /// Deregister the rolled-back revision once the rollback succeeded (default, unless
    /// `--no-wait`)
    #[arg(long, overrides_with = "no_deregister_task_definition")]
    pub deregister_task_definition: bool,
    /// Keep the rolled-back revision registered
    #[arg(long)]
    pub no_deregister_task_definition: bool,
    /// CODE_DEPLOY services: roll back on these events (comma-separated) when a new deployment
    /// of the previous revision is started
    #[arg(long, value_name = "EVENTS")]
    pub rollback_events: Option<String>,
    /// CODE_DEPLOY services: open the new deployment's console page in a browser (only when
    /// stderr is a terminal and `CI` is unset; `BROWSER` chooses the browser)
    #[arg(long)]
    pub open: bool,
    #[command(flatten)]
    pub wait: WaitFlags,
}

/// `refresh`.
#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// Show what would be done and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// CODE_DEPLOY services: open the new deployment's console page in a browser (only when
    /// stderr is a terminal and `CI` is unset; `BROWSER` chooses the browser)
    #[arg(long)]
    pub open: bool,
    #[command(flatten)]
    pub wait: WaitFlags,
}

/// `scale`.
#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// Show what would be done and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// The desired count (without it, only the auto scaling flags apply)
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = crate::cli::task_count)]
    pub tasks: Option<i32>,
    #[command(flatten)]
    pub auto_scaling: AutoScalingFlags,
    #[command(flatten)]
    pub wait: WaitFlags,
}

/// `delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Show what would be done and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Delete without asking (required when not on a terminal)
    #[arg(long)]
    pub force: bool,
    /// Stop the service's tasks at once instead of letting them drain
    #[arg(long)]
    pub terminate: bool,
    /// Wait until the service is INACTIVE (default)
    #[arg(long, overrides_with = "no_wait")]
    pub wait: bool,
    /// Return once the deletion started
    #[arg(long)]
    pub no_wait: bool,
}

/// `register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Print the task definition that would be registered and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `deregister`.
#[derive(Debug, Args)]
pub struct DeregisterArgs {
    /// Show what would be deregistered and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Deregister this revision (a number, or `latest`)
    #[arg(long, value_name = "N|latest", required_unless_present = "keeps")]
    pub revision: Option<String>,
    /// Keep the newest N revisions that are not in use; deregister the older ones.
    /// Revisions in use (the service's deployments, tasks not stopped) are never deregistered
    #[arg(long, value_name = "N", conflicts_with = "revision")]
    pub keeps: Option<usize>,
    /// Also delete the deregistered revisions (DeleteTaskDefinitions)
    #[arg(long)]
    pub delete: bool,
    /// Do not ask for confirmation (required when not on a terminal)
    #[arg(long)]
    pub force: bool,
}

/// `run --wait-until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunUntilArg {
    /// The tasks are running
    Running,
    /// The tasks have stopped; the exit code is the watched container's
    Stopped,
}

/// `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Show the RunTask request and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Overrides from a file (template and Jsonnet like definitions): a TaskOverride
    /// (`{"containerOverrides": [...]}`), one ContainerOverride (`{"name": ..., "command": ...}`)
    /// or a list of them
    #[arg(long, value_name = "FILE", conflicts_with = "overrides")]
    pub overrides_file: Option<PathBuf>,
    /// Overrides as JSON text, in any of the forms `--overrides-file` takes
    #[arg(long, value_name = "JSON")]
    pub overrides: Option<String>,
    /// How many tasks (1 to 10)
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = clap::value_parser!(i32).range(1..=10))]
    pub count: i32,
    /// Run the family's latest registered revision (do not register the file)
    #[arg(long, conflicts_with = "revision")]
    pub latest_task_definition: bool,
    /// Run the service's current revision (do not register the file); with
    /// `--revision` or `--latest-task-definition`, run that one instead
    #[arg(long)]
    pub skip_task_definition: bool,
    /// Run revision N of the family
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = crate::cli::revision_number)]
    pub revision: Option<i64>,
    /// The container whose exit code is the result (default: the first essential one)
    #[arg(long, value_name = "NAME")]
    pub watch_container: Option<String>,
    /// When to stop waiting
    #[arg(long, value_enum, value_name = "WHEN", default_value = "stopped")]
    pub wait_until: RunUntilArg,
    /// Wait for the tasks (default)
    #[arg(long, overrides_with = "no_wait")]
    pub wait: bool,
    /// Return once the tasks were started
    #[arg(long)]
    pub no_wait: bool,
    /// Run this task definition file instead of the config's `task_definition`
    #[arg(long, value_name = "FILE", conflicts_with_all = ["latest_task_definition", "skip_task_definition", "revision"])]
    pub task_def: Option<PathBuf>,
    /// Tags for the tasks: `KEY=VALUE,KEY2=VALUE2` (repeatable)
    #[arg(long, value_name = "TAGS")]
    pub tags: Vec<String>,
    /// Copy tags to the tasks from the service (its live tags) or the task definition
    #[arg(long, value_enum, value_name = "FROM")]
    pub propagate_tags: Option<PropagateTagsArg>,
    /// Idempotency token: RunTask with the same token starts the tasks only once
    #[arg(long, value_name = "TOKEN")]
    pub client_token: Option<String>,
}

/// `run --propagate-tags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PropagateTagsArg {
    /// The service's tags
    Service,
    /// The task definition's tags
    TaskDefinition,
    /// No tags
    None,
}

/// `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Read every secret and parameter the containers use (default)
    #[arg(long, overrides_with = "no_get_secrets")]
    pub get_secrets: bool,
    /// Do not read secrets and parameters
    #[arg(long)]
    pub no_get_secrets: bool,
    /// Write one line to each awslogs log group to prove it can be written (default)
    #[arg(long, overrides_with = "no_put_logs")]
    pub put_logs: bool,
    /// Do not write to the log groups (then nothing at all is changed)
    #[arg(long)]
    pub no_put_logs: bool,
    /// Go on after a failed check, to see every problem at once
    #[arg(long)]
    pub keep_going: bool,
}
