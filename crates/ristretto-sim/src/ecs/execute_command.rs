//! ECS Exec: ExecuteCommand, and the ExecuteCommandAgent every container of a task started
//! with `enableExecuteCommand` carries.
//!
//! ExecuteCommand answers the SSM session a client hands to AWS's `session-manager-plugin`; the
//! simulator opens no data channel behind it (nothing listens at the stream URL), so a real
//! plugin pointed at the simulator fails to connect after "Starting session with SessionId".
//! The agent follows its container: PENDING while the task starts, RUNNING once it runs,
//! STOPPED with it. AWS's agent may take longer than the container to start, and may fail on
//! its own (missing task role permissions, no route to SSM): not modelled.

use aws_sdk_ecs::operation::execute_command::{ExecuteCommandInput, ExecuteCommandOutput};
use aws_sdk_ecs::types::{ManagedAgent, ManagedAgentName, Session, Task};
use aws_smithy_types::DateTime;

use super::tasks::all_tasks;
use super::{cluster_name, short_name};
use crate::codec::{decode, encode};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};

/// ExecuteCommand's refusal of a task without execute command, or whose agent does not run,
/// in AWS's words (as AWS users quote it from the AWS CLI; the API reference gives no message).
pub const NOT_ENABLED: &str = "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn\u{2019}t running. Wait and try again or run a new task with execute command enabled and try again.";

/// Sets a new task's `enableExecuteCommand` and, when set, gives each of its containers a
/// PENDING ExecuteCommandAgent (API_Container `managedAgents`, API_ManagedAgent).
pub fn enable(task: &mut Task, enabled: bool) {
    task.enable_execute_command = enabled;
    if enabled {
        set_agents(task, "PENDING", None);
    }
}

/// Moves every ExecuteCommandAgent of the task to `status` (`RUNNING` with its start time,
/// `STOPPED`); a task without execute command has none and is left alone.
pub fn set_agents(task: &mut Task, status: &str, started: Option<DateTime>) {
    if !task.enable_execute_command {
        return;
    }
    for c in task.containers.iter_mut().flatten() {
        let before = c
            .managed_agents()
            .first()
            .and_then(ManagedAgent::last_started_at)
            .copied();
        c.managed_agents = Some(vec![
            ManagedAgent::builder()
                .name(ManagedAgentName::ExecuteCommandAgent)
                .last_status(status)
                .set_last_started_at(started.or(before))
                .build(),
        ]);
    }
}

fn agent_running(c: &aws_sdk_ecs::types::Container) -> bool {
    c.managed_agents().iter().any(|a| {
        a.name() == Some(&ManagedAgentName::ExecuteCommandAgent)
            && a.last_status() == Some("RUNNING")
    })
}

pub fn execute_command(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, ExecuteCommandInput::deserialize)?;
    let name = cluster_name(&state.ecs, input.cluster())?;
    // API_ExecuteCommand: `command`, `interactive` and `task` are required. AWS's wording of
    // these refusals is not known: plain ones.
    let command = input.command().unwrap_or_default();
    if command.is_empty() {
        return Err(ApiError::invalid_parameter("command is required."));
    }
    let task_id = short_name(input.task().unwrap_or_default());
    if task_id.is_empty() {
        return Err(ApiError::invalid_parameter("task is required."));
    }
    // API_ExecuteCommand, `interactive`: "Amazon ECS only supports initiating interactive
    // sessions, so you must specify true for this value." The message is not known.
    if input.interactive() != Some(true) {
        return Err(ApiError::invalid_parameter(
            "Only interactive execute command sessions are supported: set interactive to true.",
        ));
    }
    let cluster = &state.ecs.clusters[&name];
    let record = all_tasks(cluster)
        .map(|(_, t)| t)
        .find(|t| t.id() == task_id)
        .ok_or_else(|| {
            // AWS's message for an unknown task is not known.
            ApiError::invalid_parameter("The referenced task was not found.")
        })?;
    let task = &record.task;
    if !task.enable_execute_command || !record.is_running() {
        return Err(ApiError::invalid_parameter(NOT_ENABLED));
    }
    let containers = task.containers();
    // API_ExecuteCommand, `container`: "A container name only needs to be specified for tasks
    // containing multiple containers." The messages below are not AWS's (unknown).
    let container = match input.container() {
        Some(wanted) => containers
            .iter()
            .find(|c| c.name() == Some(wanted))
            .ok_or_else(|| {
                ApiError::invalid_parameter(format!(
                    "The container {wanted} does not exist in the task."
                ))
            })?,
        None => match containers {
            [only] => only,
            _ => {
                return Err(ApiError::invalid_parameter(
                    "A container name must be specified for tasks with more than one container.",
                ));
            }
        },
    };
    if !agent_running(container) {
        return Err(ApiError::invalid_parameter(NOT_ENABLED));
    }
    let builder = ExecuteCommandOutput::builder()
        .set_cluster_arn(task.cluster_arn().map(str::to_owned))
        .set_task_arn(task.task_arn().map(str::to_owned))
        .set_container_name(container.name().map(str::to_owned))
        .set_container_arn(container.container_arn().map(str::to_owned))
        .interactive(true);
    let target = format!(
        "ecs:{name}_{task_id}_{}",
        container.runtime_id().unwrap_or_default()
    );
    // ECS Exec sessions are Session Manager sessions (`ecs-execute-command-<id>`, as the ECS
    // developer guide's "Logging ECS Exec sessions" shows them).
    let command = command.to_owned();
    let opened = crate::ssm::open_session(
        state,
        ctx,
        "ecs-execute-command",
        &target,
        None,
        Some(&command),
    );
    let session = Session::builder()
        .session_id(opened.session_id)
        .stream_url(opened.stream_url)
        .token_value(opened.token_value)
        .build();
    Ok(encode(&builder.session(session).build()))
}
