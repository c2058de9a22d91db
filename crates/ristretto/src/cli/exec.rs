//! Flags of `exec`: a shell or command in a task's container, or a port forwarded through it.

use clap::Args;

/// `exec`.
#[derive(Debug, Args)]
#[command(after_help = "\
Hands an ECS Exec session to AWS's `session-manager-plugin`, which must be on PATH (see \
\"Install the Session Manager plugin for the AWS CLI\" in the AWS Systems Manager User Guide). \
The task must have been started with execute command enabled (`\"enableExecuteCommand\": true` \
in the service definition, then deploy). ristretto exits with the plugin's exit code.")]
pub struct ExecArgs {
    /// The task (ID or ARN); default: the service's only running task, else the one chosen
    /// (a picker on a terminal, or `--filter-command`)
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    /// The container; default: the task's only container, else the first essential one of its
    /// task definition
    #[arg(long, value_name = "NAME")]
    pub container: Option<String>,
    /// The command to run interactively
    #[arg(
        long,
        default_value = "sh",
        value_name = "COMMAND",
        conflicts_with = "port_forward"
    )]
    pub command: String,
    /// Forward a local port to `--port` of the task (or of `--host` through the task) instead
    #[arg(long, requires = "port")]
    pub port_forward: bool,
    /// The remote port to forward to
    #[arg(long, value_name = "PORT", requires = "port_forward", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// A host the task can reach (a database, `db.internal`), forwarded to through the task
    #[arg(long, value_name = "HOST", requires = "port_forward")]
    pub host: Option<String>,
    /// The local port; default: one the plugin chooses and prints
    #[arg(long, value_name = "PORT", requires = "port_forward", value_parser = clap::value_parser!(u16).range(1..))]
    pub local_port: Option<u16>,
    #[command(flatten)]
    pub pick: crate::cli::PickFlags,
}
