//! ECS Exec and port forwarding: the checks made before any session is opened, the session
//! itself (ECS ExecuteCommand, or SSM StartSession with a port forwarding document on the task's
//! container), and the command line that hands it to AWS's `session-manager-plugin`, which does
//! the talking to the container.
//!
//! The handover follows the AWS CLI (`aws ecs execute-command`, `aws ssm start-session`): the
//! plugin receives six arguments — the session (ID, stream URL, token) as JSON, the region, the
//! operation `StartSession`, the profile name (or an empty string), the request parameters as
//! JSON (at least `{"Target": "ecs:<cluster>_<task-id>_<container-runtime-id>"}`) and the SSM
//! endpoint URL. A plugin newer than 1.2.497.0 reads the session from the environment variable
//! named in place of the JSON (`AWS_SSM_START_SESSION_RESPONSE`), which keeps the session's
//! token out of the process list; older ones take the JSON itself.

use std::collections::HashMap;

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{Service, Task, TaskDefinition};
use ristretto_core::aws_error::AwsError;
use serde_json::json;

use crate::error::EcsError;

/// The program every session is handed to.
pub const PLUGIN: &str = "session-manager-plugin";

/// The environment variable that carries the session to a plugin that reads it from there.
pub const SESSION_VARIABLE: &str = "AWS_SSM_START_SESSION_RESPONSE";

/// The last plugin version that takes the session only as an argument (the AWS CLI's
/// `LAST_PLUGIN_VERSION_WITHOUT_ENV_VAR`).
const LAST_VERSION_WITHOUT_VARIABLE: [u64; 4] = [1, 2, 497, 0];

/// Port forwarding to a port of the task itself.
pub const PORT_FORWARDING: &str = "AWS-StartPortForwardingSession";
/// Port forwarding through the task to a host it can reach.
pub const PORT_FORWARDING_TO_REMOTE_HOST: &str = "AWS-StartPortForwardingSessionToRemoteHost";

/// What ECS Exec is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Run `command` in the container, interactively (a shell by default).
    Command(String),
    /// Forward a local port to `port` of the task, or of `host` through the task.
    PortForward {
        /// The remote port.
        port: u16,
        /// The host to reach through the task (`None`: the task itself).
        host: Option<String>,
        /// The local port (`None`: the plugin picks a free one and prints it).
        local_port: Option<u16>,
    },
}

/// The program and environment to start: `session-manager-plugin` with its six arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handover {
    /// The arguments after the program name.
    pub args: Vec<String>,
    /// Variables to add to the inherited environment.
    pub env: Vec<(String, String)>,
    /// The session's ID (for messages, and to terminate it when the plugin cannot start).
    pub session_id: String,
}

/// What the plugin is told besides the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginSettings {
    /// The region of the session.
    pub region: String,
    /// The profile the plugin should use for its own SSM calls (empty: its default chain).
    pub profile: String,
    /// The SSM endpoint URL.
    pub endpoint: String,
    /// Whether the plugin reads the session from [`SESSION_VARIABLE`].
    pub session_in_variable: bool,
}

/// Whether a plugin printing `version` to `--version` reads the session from the environment:
/// a version above 1.2.497.0 (compared numerically, missing parts as 0); anything that is not a
/// version number gets the session as an argument, as the AWS CLI does.
#[must_use]
pub fn plugin_reads_variable(version: &str) -> bool {
    let text: String = version.chars().filter(|c| !c.is_whitespace()).collect();
    let parts: Option<Vec<u64>> = text.split('.').map(|p| p.parse().ok()).collect();
    match parts {
        Some(parts) if (1..=4).contains(&parts.len()) => {
            let mut padded = [0u64; 4];
            for (slot, part) in padded.iter_mut().zip(parts) {
                *slot = part;
            }
            padded > LAST_VERSION_WITHOUT_VARIABLE
        }
        _ => false,
    }
}

/// The task with this ID or ARN, when it exists in the cluster.
///
/// # Errors
/// AWS errors.
pub async fn describe_task(
    ecs: &Client,
    cluster: &str,
    id: &str,
) -> Result<Option<Task>, EcsError> {
    let out = ecs
        .describe_tasks()
        .cluster(cluster)
        .tasks(id)
        .send()
        .await
        .map_err(|e| EcsError::aws("DescribeTasks", e))?;
    Ok(out.tasks.unwrap_or_default().into_iter().next())
}

/// The task's ID: the last part of its ARN.
#[must_use]
pub fn task_id(task: &Task) -> &str {
    let arn = task.task_arn().unwrap_or_default();
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The cluster name of a task (from its cluster ARN).
fn cluster_of(task: &Task) -> &str {
    let arn = task.cluster_arn().unwrap_or_default();
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Checks, before any session is asked for, that ECS Exec can reach the task: it was started
/// with `enableExecuteCommand` (ECS developer guide, "Using ECS Exec": turning it on for a
/// service applies to the tasks started afterwards) and it is RUNNING.
///
/// # Errors
/// [`EcsError::Invalid`] saying what is missing and how to turn it on (`service`: the
/// service as it is now, when the config names one).
pub fn check_enabled(task: &Task, service: Option<&Service>) -> Result<(), EcsError> {
    let id = task_id(task);
    if !task.enable_execute_command() {
        let (message, hint) = match service {
            Some(s) if s.enable_execute_command() => (
                format!(
                    "task {id} was started before execute command was enabled for service `{}`",
                    s.service_name().unwrap_or_default()
                ),
                "only tasks started after `enableExecuteCommand` was set have it: replace the tasks with `ristretto refresh`, then try again",
            ),
            Some(s) => (
                format!(
                    "execute command is not enabled for service `{}` (task {id})",
                    s.service_name().unwrap_or_default()
                ),
                "set `\"enableExecuteCommand\": true` in the service definition and deploy (`ristretto deploy`): the tasks it starts then accept `exec`",
            ),
            None => (
                format!("execute command is not enabled for task {id}"),
                "start the task with execute command enabled: `\"enableExecuteCommand\": true` in the service definition, then deploy",
            ),
        };
        return Err(EcsError::Invalid {
            message,
            hint: Some(hint.to_owned()),
        });
    }
    let status = task.last_status().unwrap_or("UNKNOWN");
    if status != "RUNNING" || task.desired_status() != Some("RUNNING") {
        return Err(EcsError::Conflict {
            message: format!(
                "task {id} is {status} (desired {}): ECS Exec needs a running task",
                task.desired_status().unwrap_or("UNKNOWN")
            ),
            hint: Some("wait until it runs, or choose another task with `--id`".to_owned()),
        });
    }
    Ok(())
}

/// The container to use: `wanted` when the task has it; otherwise the task's only container,
/// else the first essential container of its task definition (`definition`), else its first
/// container.
///
/// # Errors
/// [`EcsError::Invalid`] when `wanted` is not a container of the task, listing those it has.
pub fn choose_container(
    task: &Task,
    definition: Option<&TaskDefinition>,
    wanted: Option<&str>,
) -> Result<String, EcsError> {
    let names: Vec<&str> = task.containers().iter().filter_map(|c| c.name()).collect();
    if let Some(wanted) = wanted {
        if names.contains(&wanted) {
            return Ok(wanted.to_owned());
        }
        return Err(EcsError::Invalid {
            message: format!(
                "task {} has no container `{wanted}`; its containers: {}",
                task_id(task),
                names.join(", ")
            ),
            hint: Some("name one of them with `--container`".to_owned()),
        });
    }
    if let [only] = names.as_slice() {
        return Ok((*only).to_owned());
    }
    let essential = definition.and_then(|d| {
        d.container_definitions()
            .iter()
            .filter(|c| c.essential().unwrap_or(true))
            .filter_map(|c| c.name())
            .find(|n| names.contains(n))
    });
    essential
        .or_else(|| names.first().copied())
        .map(str::to_owned)
        .ok_or_else(|| EcsError::Invalid {
            message: format!("task {} has no containers", task_id(task)),
            hint: None,
        })
}

/// The Session Manager target of a task's container: `ecs:<cluster>_<task-id>_<runtime-id>`
/// (ECS developer guide, "Using ECS Exec"; the AWS CLI builds it from DescribeTasks).
///
/// # Errors
/// [`EcsError::Conflict`] when the container has no runtime ID yet (it is not running).
pub fn target(task: &Task, container: &str) -> Result<String, EcsError> {
    let runtime_id = task
        .containers()
        .iter()
        .find(|c| c.name() == Some(container))
        .and_then(|c| c.runtime_id())
        .ok_or_else(|| EcsError::Conflict {
            message: format!(
                "container `{container}` of task {} has no runtime ID: it is not running",
                task_id(task)
            ),
            hint: Some("wait until it runs, or choose another task with `--id`".to_owned()),
        })?;
    Ok(format!(
        "ecs:{}_{}_{runtime_id}",
        cluster_of(task),
        task_id(task)
    ))
}

/// The task definition a task runs, for the choice of its container (`None` when it cannot be
/// read: the choice then falls back to the task's first container).
pub async fn task_definition_of(ecs: &Client, task: &Task) -> Option<TaskDefinition> {
    let arn = task.task_definition_arn()?;
    ecs.describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .ok()?
        .task_definition
}

/// The SSM StartSession request of a port forwarding: its document and parameters (Session
/// Manager user guide, "Starting a session (port forwarding)": `portNumber`, `localPortNumber`;
/// to a remote host, `host` too). Values are lists of strings, as the API takes them.
#[must_use]
pub fn port_forwarding(
    port: u16,
    host: Option<&str>,
    local_port: Option<u16>,
) -> (&'static str, HashMap<String, Vec<String>>) {
    let mut parameters = HashMap::new();
    parameters.insert("portNumber".to_owned(), vec![port.to_string()]);
    if let Some(local) = local_port {
        parameters.insert("localPortNumber".to_owned(), vec![local.to_string()]);
    }
    let document = match host {
        Some(host) => {
            parameters.insert("host".to_owned(), vec![host.to_owned()]);
            PORT_FORWARDING_TO_REMOTE_HOST
        }
        None => PORT_FORWARDING,
    };
    (document, parameters)
}

/// Opens the session ECS Exec asked for and returns the plugin's command line: ExecuteCommand
/// (`interactive: true`, as ECS only supports interactive sessions) for a command, SSM
/// StartSession on the container's target for a port forwarding.
///
/// # Errors
/// AWS errors (an agent that does not run is ExecuteCommand's `InvalidParameterException`, a
/// target SSM cannot reach `TargetNotConnected`).
pub async fn open(
    ecs: &Client,
    ssm: &aws_sdk_ssm::Client,
    task: &Task,
    container: &str,
    request: &Request,
    plugin: &PluginSettings,
) -> Result<Handover, EcsError> {
    let target = target(task, container)?;
    let (session_id, session, parameters) = match request {
        Request::Command(command) => {
            let out = ecs
                .execute_command()
                .cluster(cluster_of(task))
                .task(task.task_arn().unwrap_or_default())
                .container(container)
                .interactive(true)
                .command(command)
                .send()
                .await
                .map_err(|e| EcsError::aws("ExecuteCommand", e))?;
            let session = out.session().ok_or_else(|| no_session("ExecuteCommand"))?;
            // The session as ECS answers it (camelCase members): the plugin reads either case.
            (
                session.session_id().unwrap_or_default().to_owned(),
                json!({
                    "sessionId": session.session_id(),
                    "streamUrl": session.stream_url(),
                    "tokenValue": session.token_value(),
                }),
                json!({ "Target": target }),
            )
        }
        Request::PortForward {
            port,
            host,
            local_port,
        } => {
            let (document, parameters) = port_forwarding(*port, host.as_deref(), *local_port);
            let out = ssm
                .start_session()
                .target(&target)
                .document_name(document)
                .set_parameters(Some(parameters.clone()))
                .send()
                .await
                .map_err(|e| EcsError::Aws(AwsError::from_sdk("StartSession", e)))?;
            (
                out.session_id()
                    .ok_or_else(|| no_session("StartSession"))?
                    .to_owned(),
                json!({
                    "SessionId": out.session_id(),
                    "TokenValue": out.token_value(),
                    "StreamUrl": out.stream_url(),
                }),
                json!({
                    "Target": target,
                    "DocumentName": document,
                    "Parameters": parameters,
                }),
            )
        }
    };
    Ok(handover(session_id, &session, &parameters, plugin))
}

fn no_session(operation: &'static str) -> EcsError {
    EcsError::Aws(AwsError {
        operation,
        code: None,
        message: "the answer carries no session".to_owned(),
        failure: ristretto_core::aws_error::Failure::Answer,
        status: None,
        cause: None,
    })
}

/// The plugin's arguments (and environment) for a session.
#[must_use]
pub fn handover(
    session_id: String,
    session: &serde_json::Value,
    parameters: &serde_json::Value,
    plugin: &PluginSettings,
) -> Handover {
    let session = session.to_string();
    let (first, env) = if plugin.session_in_variable {
        (
            SESSION_VARIABLE.to_owned(),
            vec![(SESSION_VARIABLE.to_owned(), session)],
        )
    } else {
        (session, Vec::new())
    };
    Handover {
        args: vec![
            first,
            plugin.region.clone(),
            "StartSession".to_owned(),
            plugin.profile.clone(),
            parameters.to_string(),
            plugin.endpoint.clone(),
        ],
        env,
        session_id,
    }
}

/// Ends a session the plugin never took over (the AWS CLI does so when the plugin cannot be
/// started, so that the agent does not keep it open until its idle timeout).
///
/// # Errors
/// AWS errors.
pub async fn terminate(ssm: &aws_sdk_ssm::Client, session_id: &str) -> Result<(), EcsError> {
    ssm.terminate_session()
        .session_id(session_id)
        .send()
        .await
        .map_err(|e| EcsError::Aws(AwsError::from_sdk("TerminateSession", e)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{Container, ContainerDefinition};

    use super::*;

    fn task(enabled: bool, status: &str, containers: &[(&str, Option<&str>)]) -> Task {
        Task::builder()
            .cluster_arn("arn:aws:ecs:us-east-1:123456789012:cluster/prod_eu")
            .task_arn("arn:aws:ecs:us-east-1:123456789012:task/prod_eu/0123abcd")
            .enable_execute_command(enabled)
            .last_status(status)
            .desired_status("RUNNING")
            .set_containers(Some(
                containers
                    .iter()
                    .map(|(name, runtime)| {
                        Container::builder()
                            .name(*name)
                            .set_runtime_id(runtime.map(str::to_owned))
                            .build()
                    })
                    .collect(),
            ))
            .build()
    }

    // The AWS CLI's session-manager-plugin handover (awscli/customizations/sessionmanager.py):
    // versions above 1.2.497.0 read the session from AWS_SSM_START_SESSION_RESPONSE; anything
    // else, including a version it cannot parse, gets it as an argument.
    #[test]
    fn only_plugins_newer_than_1_2_497_read_the_session_from_the_environment() {
        assert!(plugin_reads_variable("1.2.707.0\n"));
        assert!(plugin_reads_variable("1.3"));
        assert!(plugin_reads_variable("1.2.497.1"));
        assert!(!plugin_reads_variable("1.2.497.0"));
        assert!(!plugin_reads_variable("1.2.497"));
        assert!(!plugin_reads_variable("1.1.0.0"));
        assert!(!plugin_reads_variable("unknown"));
        assert!(!plugin_reads_variable("1.2.3.4.5"));
    }

    // ECS developer guide, "Using ECS Exec": the SSM target of a container is
    // `ecs:<cluster>_<task-id>_<container-runtime-id>`; a cluster name may hold `_`.
    #[test]
    fn the_target_names_cluster_task_and_container_runtime_id() {
        let t = task(
            true,
            "RUNNING",
            &[("app", Some("0123abcd-111")), ("log", None)],
        );
        assert_eq!(
            target(&t, "app").unwrap_or_default(),
            "ecs:prod_eu_0123abcd_0123abcd-111"
        );
        assert!(matches!(target(&t, "log"), Err(EcsError::Conflict { .. })));
    }

    #[test]
    fn a_task_without_execute_command_is_refused_with_how_to_enable_it() {
        let t = task(false, "RUNNING", &[("app", Some("r"))]);
        let service = Service::builder()
            .service_name("web")
            .enable_execute_command(false)
            .build();
        let Err(EcsError::Invalid { message, hint }) = check_enabled(&t, Some(&service)) else {
            panic!("not refused");
        };
        assert!(
            message.contains("not enabled for service `web`"),
            "{message}"
        );
        assert!(hint.unwrap_or_default().contains("enableExecuteCommand"));
        // Enabled on the service after the task started: new tasks only.
        let service = Service::builder()
            .service_name("web")
            .enable_execute_command(true)
            .build();
        let Err(EcsError::Invalid { hint, .. }) = check_enabled(&t, Some(&service)) else {
            panic!("not refused");
        };
        assert!(hint.unwrap_or_default().contains("ristretto refresh"));
        assert!(matches!(
            check_enabled(&task(true, "PENDING", &[]), None),
            Err(EcsError::Conflict { .. })
        ));
        assert!(check_enabled(&task(true, "RUNNING", &[]), None).is_ok());
    }

    #[test]
    fn the_container_is_the_named_one_the_only_one_or_the_first_essential_one() {
        let t = task(true, "RUNNING", &[("envoy", None), ("app", None)]);
        let definition = TaskDefinition::builder()
            .container_definitions(
                ContainerDefinition::builder()
                    .name("envoy")
                    .essential(false)
                    .build(),
            )
            .container_definitions(ContainerDefinition::builder().name("app").build())
            .build();
        assert_eq!(
            choose_container(&t, Some(&definition), None).unwrap_or_default(),
            "app"
        );
        assert_eq!(
            choose_container(&t, None, None).unwrap_or_default(),
            "envoy"
        );
        assert_eq!(
            choose_container(&t, None, Some("envoy")).unwrap_or_default(),
            "envoy"
        );
        let Err(EcsError::Invalid { message, .. }) = choose_container(&t, None, Some("db")) else {
            panic!("not refused");
        };
        assert!(message.contains("its containers: envoy, app"), "{message}");
        let single = task(true, "RUNNING", &[("web", None)]);
        assert_eq!(
            choose_container(&single, Some(&definition), None).unwrap_or_default(),
            "web"
        );
    }

    // Session Manager user guide, port forwarding documents: AWS-StartPortForwardingSession
    // (portNumber, localPortNumber), AWS-StartPortForwardingSessionToRemoteHost (host too).
    #[test]
    fn port_forwarding_picks_the_document_by_remote_host() {
        let (document, parameters) = port_forwarding(5432, None, Some(15432));
        assert_eq!(document, PORT_FORWARDING);
        assert_eq!(parameters["portNumber"], ["5432"]);
        assert_eq!(parameters["localPortNumber"], ["15432"]);
        assert!(!parameters.contains_key("host"));
        let (document, parameters) = port_forwarding(5432, Some("db.internal"), None);
        assert_eq!(document, PORT_FORWARDING_TO_REMOTE_HOST);
        assert_eq!(parameters["host"], ["db.internal"]);
        assert!(!parameters.contains_key("localPortNumber"));
    }
}
