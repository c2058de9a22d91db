//! `exec`: a shell (or `--command`) in a container of one of the service's tasks, or a port
//! forwarded through it (`--port-forward`), through ECS Exec. The session is handed to AWS's
//! `session-manager-plugin` as the AWS CLI hands it over; the plugin owns the terminal until it
//! exits, and ristretto exits with its exit code.
//!
//! Everything that can be checked is checked before a session is opened: the plugin is on PATH
//! (before any AWS call), the task exists and runs, it was started with execute command
//! enabled, the container exists.

use std::io::ErrorKind;
use std::process::{Command, ExitStatus, Stdio};

use aws_sdk_ecs::types::Task;
use ristretto_core::Config;
use ristretto_ecs::exec::{self, Handover, PLUGIN, PluginSettings, Request};
use ristretto_ecs::service::describe_service;

use crate::cli::ExecArgs;
use crate::commands::Context;
use crate::exit::Exit;
use crate::pick::{self, PickOptions, TaskSummary};
use crate::report::{CliError, bad_input};

/// Where AWS documents how to install the plugin.
const INSTALL_HINT: &str = "install AWS's Session Manager plugin and put `session-manager-plugin` on PATH: see \"Install the Session Manager plugin for the AWS CLI\" in the AWS Systems Manager User Guide (https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html)";

/// `exec`.
///
/// # Errors
/// The plugin missing, execute command not enabled, an unknown task or container (2); AWS
/// errors (1); otherwise the plugin's exit code.
pub async fn run(args: &ExecArgs, ctx: &Context) -> Result<Exit, CliError> {
    // Before anything else, as the AWS CLI does: without the plugin no session can be used.
    let version = plugin_version()?;
    let config = single_config(ctx)?;
    let clients = ctx.clients(&config).await;
    let ecs = &clients.ecs;
    let service = match &config.service {
        Some(name) => Some(
            describe_service(ecs, &config.cluster, name)
                .await?
                .ok_or_else(|| ristretto_ecs::EcsError::ServiceNotFound {
                    cluster: config.cluster.clone(),
                    service: name.clone(),
                })?,
        ),
        None => None,
    };
    let task = choose_task(args, ctx, ecs, &config).await?;
    exec::check_enabled(&task, service.as_ref())?;
    let definition = if task.containers().len() > 1 && args.container.is_none() {
        exec::task_definition_of(ecs, &task).await
    } else {
        None
    };
    let container = exec::choose_container(&task, definition.as_ref(), args.container.as_deref())?;
    let region = clients.region.clone().ok_or_else(|| {
        bad_input(
            "no region for the session",
            Some("set --region, `region` in the config, or AWS_REGION"),
        )
    })?;
    let endpoint = crate::aws::ssm_endpoint(&ctx.settings, config.region.as_deref(), &ctx.target)
        .await
        .map_err(|e| bad_input(format!("cannot tell the SSM endpoint: {e}"), None))?;
    let plugin = PluginSettings {
        region,
        profile: ctx.settings.profile.clone().unwrap_or_default(),
        endpoint,
        session_in_variable: exec::plugin_reads_variable(&version),
    };
    let request = match (args.port_forward, args.port) {
        (true, Some(port)) => Request::PortForward {
            port,
            host: args.host.clone(),
            local_port: args.local_port,
        },
        (true, None) => {
            return Err(bad_input(
                "--port-forward needs --port",
                Some("e.g. `ristretto exec --port-forward --port 5432`"),
            ));
        }
        (false, _) => Request::Command(args.command.clone()),
    };
    let handover = exec::open(ecs, &clients.ssm, &task, &container, &request, &plugin).await?;
    let what = match &request {
        Request::Command(command) => format!("`{command}` in"),
        Request::PortForward { port, host, .. } => format!(
            "forwarding to {}:{port} through",
            host.as_deref().unwrap_or("the task")
        ),
    };
    ctx.printer.info(&format!(
        "{what} container `{container}` of task {} (session {}), through {PLUGIN}",
        exec::task_id(&task),
        handover.session_id
    ));
    match hand_over(&handover).await {
        Ok(status) => Ok(exit_of(status)),
        Err(e) => {
            // The session was opened for a plugin that cannot start: end it, as the AWS CLI does.
            let _ = exec::terminate(&clients.ssm, &handover.session_id).await;
            Err(e)
        }
    }
}

/// The plugin's version (`session-manager-plugin --version`), which also proves it is there.
fn plugin_version() -> Result<String, CliError> {
    match Command::new(PLUGIN)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
    {
        Ok(out) => Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned()),
        Err(e) => Err(plugin_missing(&e)),
    }
}

fn plugin_missing(e: &std::io::Error) -> CliError {
    let message = if e.kind() == ErrorKind::NotFound {
        format!("`{PLUGIN}` was not found on PATH: ECS Exec sessions run through it")
    } else {
        format!("`{PLUGIN}` cannot be started: {e}")
    };
    bad_input(message, Some(INSTALL_HINT))
}

/// `exec` works on one service.
fn single_config(ctx: &Context) -> Result<Config, CliError> {
    match ctx.settings.configs.as_slice() {
        [file] => ctx.load_config(file),
        _ => Err(bad_input(
            "exec works on one service: give a single --config",
            None,
        )),
    }
}

/// The task: `--id`, else the service's only running task, else the one chosen.
async fn choose_task(
    args: &ExecArgs,
    ctx: &Context,
    ecs: &aws_sdk_ecs::Client,
    config: &Config,
) -> Result<Task, CliError> {
    let cluster = &config.cluster;
    if let Some(id) = &args.id {
        return exec::describe_task(ecs, cluster, id).await?.ok_or_else(|| {
            bad_input(
                format!("task `{id}` was not found in cluster `{cluster}`"),
                Some(
                    "give the ID of a task of the cluster (`ristretto status` lists the service's)",
                ),
            )
        });
    }
    let Some(service) = &config.service else {
        return Err(bad_input(
            "the config names no service: choose the task with `--id`",
            None,
        ));
    };
    let running: Vec<Task> = ristretto_ecs::tasks::service_tasks(ecs, cluster, service)
        .await?
        .into_iter()
        .filter(|t| t.last_status() == Some("RUNNING"))
        .collect();
    if running.is_empty() {
        return Err(CliError {
            exit: Exit::Failure,
            error: anyhow::anyhow!("service `{service}` has no running task"),
            hint: Some(
                "start one with `ristretto deploy` or `ristretto scale --tasks 1`".to_owned(),
            ),
        });
    }
    // Several: chosen at the terminal or by the filter command, else refused with the list.
    let candidates: Vec<TaskSummary> = running.iter().map(TaskSummary::of).collect();
    let options = PickOptions::new(
        "exec into",
        &[
            args.pick.filter_command.as_deref(),
            ctx.settings.filter_command.as_deref(),
            config.filter_command.as_deref(),
        ],
    );
    let chosen = pick::choose_task(&candidates, &options).await?;
    running
        .into_iter()
        .find(|t| t.task_arn() == Some(chosen.arn.as_str()))
        .ok_or_else(|| bad_input("the chosen task is not one of the service's", None))
}

/// Starts the plugin on the terminal and waits for it; signals are its own meanwhile.
async fn hand_over(handover: &Handover) -> Result<ExitStatus, CliError> {
    let mut command = Command::new(PLUGIN);
    command.args(&handover.args);
    for (name, value) in &handover.env {
        command.env(name, value);
    }
    let mut child = command.spawn().map_err(|e| plugin_missing(&e))?;
    #[cfg(unix)]
    // SIGQUIT (Ctrl-\) is the plugin's too: with a handler installed it no longer ends
    // ristretto (the AWS CLI ignores it likewise).
    let _quit = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::quit());
    let waited =
        ristretto_core::poll::handed_over(tokio::task::spawn_blocking(move || child.wait())).await;
    match waited {
        Ok(Ok(status)) => Ok(status),
        Ok(Err(e)) => Err(CliError {
            exit: Exit::Failure,
            error: anyhow::Error::new(e).context(format!("cannot wait for `{PLUGIN}`")),
            hint: None,
        }),
        Err(e) => Err(CliError {
            exit: Exit::Failure,
            error: anyhow::Error::new(e).context(format!("cannot wait for `{PLUGIN}`")),
            hint: None,
        }),
    }
}

/// ristretto's exit for the plugin's: its code, or 128 + the signal that ended it.
fn exit_of(status: ExitStatus) -> Exit {
    let code = status.code().or_else(|| {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            status.signal().map(|s| 128 + s)
        }
        #[cfg(not(unix))]
        {
            None
        }
    });
    match code {
        Some(0) => Exit::Success,
        Some(code) => u8::try_from(code)
            .ok()
            .filter(|c| *c != 0)
            .map_or(Exit::Failure, Exit::Task),
        None => Exit::Failure,
    }
}
