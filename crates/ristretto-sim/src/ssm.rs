//! SSM (`AmazonSSM.*`): Parameter Store's GetParameter and GetParameters, for the `ssm`
//! template function; Session Manager's StartSession and TerminateSession, for `exec`'s port
//! forwarding to ECS tasks (and the sessions ECS ExecuteCommand opens).
//!
//! A session is a record (ID, target, document, status): no data channel is served behind its
//! stream URL, so AWS's `session-manager-plugin` given one of these sessions fails to connect.

use std::collections::BTreeMap;

use aws_sdk_ssm::operation::get_parameter::{GetParameterInput, GetParameterOutput};
use aws_sdk_ssm::operation::get_parameters::{GetParametersInput, GetParametersOutput};
use aws_sdk_ssm::operation::start_session::{StartSessionInput, StartSessionOutput};
use aws_sdk_ssm::operation::terminate_session::{TerminateSessionInput, TerminateSessionOutput};
use aws_sdk_ssm::types::{Parameter, ParameterType};
use serde::{Deserialize, Serialize};

use crate::clock::Epoch;
use crate::codec::{decode, encode};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};
use crate::world::World;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SsmState {
    pub parameters: BTreeMap<String, StoredParameter>,
    /// Session Manager sessions by ID (StartSession, ECS ExecuteCommand).
    #[serde(default)]
    pub sessions: BTreeMap<String, StoredSession>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSession {
    pub target: String,
    /// The session document (`None`: a shell session).
    pub document: Option<String>,
    /// The command of an ECS Exec session (ExecuteCommand `command`).
    #[serde(default)]
    pub command: Option<String>,
    pub started: Epoch,
    /// When TerminateSession ended it.
    pub terminated: Option<Epoch>,
}

/// A session as StartSession (and ECS ExecuteCommand) answers it.
pub struct OpenedSession {
    pub session_id: String,
    pub token_value: String,
    pub stream_url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredParameter {
    pub value: String,
    pub kind: String,
    pub version: i64,
    pub last_modified: Epoch,
    pub arn: String,
}

pub fn seed(state: &mut State, ctx: &Ctx, world: &World) {
    for p in &world.parameters {
        let path = if p.name.starts_with('/') {
            p.name.clone()
        } else {
            format!("/{}", p.name)
        };
        state.ssm.parameters.insert(
            p.name.clone(),
            StoredParameter {
                value: p.value.clone(),
                kind: p.kind.clone(),
                version: 1,
                last_modified: ctx.now,
                arn: ctx.arn("ssm", &format!("parameter{path}")),
            },
        );
    }
}

/// Handles one SSM operation; `None` when it is not simulated.
pub fn handle(state: &mut State, ctx: &Ctx, op: &str, body: &[u8]) -> Option<ApiResult> {
    Some(match op {
        "GetParameter" => get_parameter(state, body),
        "GetParameters" => get_parameters(state, body),
        "StartSession" => start_session(state, ctx, body),
        "TerminateSession" => terminate_session(state, ctx, body),
        _ => return None,
    })
}

fn to_parameter(name: &str, p: &StoredParameter, decrypt: bool) -> Parameter {
    let value = if p.kind == "SecureString" && !decrypt {
        aws_smithy_types::base64::encode(format!("kms:{}", p.value))
    } else {
        p.value.clone()
    };
    Parameter::builder()
        .name(name)
        .r#type(ParameterType::from(p.kind.as_str()))
        .value(value)
        .version(p.version)
        .last_modified_date(crate::clock::timestamp(p.last_modified))
        .arn(&p.arn)
        .data_type("text")
        .build()
}

/// `name` or `name:version` (the version selector is accepted and ignored beyond the latest).
fn lookup<'a>(state: &'a State, name: &str) -> Option<(&'a str, &'a StoredParameter)> {
    let plain = match name.rsplit_once(':') {
        Some((n, v)) if v.chars().all(|c| c.is_ascii_digit()) => n,
        _ => name,
    };
    state
        .ssm
        .parameters
        .get_key_value(plain)
        .map(|(k, v)| (k.as_str(), v))
}

fn get_parameter(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, GetParameterInput::deserialize)?;
    let name = input.name().unwrap_or_default();
    let (key, p) = lookup(state, name).ok_or_else(|| ApiError::new("ParameterNotFound", ""))?;
    let parameter = to_parameter(key, p, input.with_decryption() == Some(true));
    Ok(encode(
        &GetParameterOutput::builder().parameter(parameter).build(),
    ))
}

fn get_parameters(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, GetParametersInput::deserialize)?;
    let mut out = GetParametersOutput::builder();
    let mut invalid = Vec::new();
    let mut found = Vec::new();
    for name in input.names() {
        match lookup(state, name) {
            Some((key, p)) => {
                found.push(to_parameter(key, p, input.with_decryption() == Some(true)))
            }
            None => invalid.push(name.clone()),
        }
    }
    out = out
        .set_parameters(Some(found))
        .set_invalid_parameters(Some(invalid));
    Ok(encode(&out.build()))
}

/// Records a new session on `target` and returns what StartSession answers. The stream URL has
/// the format the SSM API reference gives for StartSession's `StreamUrl`
/// (`wss://ssmmessages.<region>.amazonaws.com/v1/data-channel/<session-id>?stream=(input|output)`);
/// the token is opaque, so a real plugin cannot use either. Session IDs are `<prefix>-<17 hex
/// digits>`: the reference only says "the ID of the session"; the prefix is the caller on AWS,
/// `ecs-execute-command` for ECS Exec.
pub fn open_session(
    state: &mut State,
    ctx: &Ctx,
    prefix: &str,
    target: &str,
    document: Option<&str>,
    command: Option<&str>,
) -> OpenedSession {
    let hex = state.ids.hex_id();
    let session_id = format!("{prefix}-{}", &hex[..17]);
    let token = state.ids.hex_id();
    state.ssm.sessions.insert(
        session_id.clone(),
        StoredSession {
            target: target.to_owned(),
            document: document.map(str::to_owned),
            command: command.map(str::to_owned),
            started: ctx.now,
            terminated: None,
        },
    );
    OpenedSession {
        stream_url: format!(
            "wss://ssmmessages.{}.amazonaws.com/v1/data-channel/{session_id}?stream=input",
            ctx.region
        ),
        token_value: format!("ristretto-sim-{token}"),
        session_id,
    }
}

/// The session documents StartSession accepts, with their required and optional parameters
/// (Session Manager user guide, "Session document schema" and the AWS-managed documents
/// `AWS-StartPortForwardingSession` — `portNumber`, `localPortNumber` — and
/// `AWS-StartPortForwardingSessionToRemoteHost` — `host`, `portNumber`, `localPortNumber`;
/// `SSM-SessionManagerRunShell`, the default, takes none).
const DOCUMENTS: [(&str, &[&str], &[&str]); 3] = [
    ("SSM-SessionManagerRunShell", &[], &[]),
    (
        "AWS-StartPortForwardingSession",
        &["portNumber"],
        &["localPortNumber"],
    ),
    (
        "AWS-StartPortForwardingSessionToRemoteHost",
        &["host", "portNumber"],
        &["localPortNumber"],
    ),
];

/// The ECS task container a `ecs:<cluster>_<task-id>_<container-runtime-id>` target names (ECS
/// developer guide, "Using Amazon ECS Exec" / port forwarding: `aws ssm start-session --target
/// ecs:<cluster>_<task-id>_<runtime-id>`), when its ExecuteCommandAgent runs. Cluster names may
/// contain `_`, so the cluster is matched against the clusters that exist; task IDs have none.
fn ecs_target_connected(state: &State, target: &str) -> bool {
    let Some(rest) = target.strip_prefix("ecs:") else {
        return false;
    };
    state.ecs.clusters.iter().any(|(name, cluster)| {
        let Some((task_id, runtime_id)) = rest
            .strip_prefix(name.as_str())
            .and_then(|r| r.strip_prefix('_'))
            .and_then(|r| r.split_once('_'))
        else {
            return false;
        };
        crate::ecs::tasks::all_tasks(cluster)
            .map(|(_, t)| t)
            .find(|t| t.id() == task_id)
            .is_some_and(|t| {
                t.is_running()
                    && t.task.enable_execute_command
                    && t.task.containers().iter().any(|c| {
                        c.runtime_id() == Some(runtime_id)
                            && c.managed_agents()
                                .iter()
                                .any(|a| a.last_status() == Some("RUNNING"))
                    })
            })
    })
}

fn start_session(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, StartSessionInput::deserialize)?;
    let target = input.target().unwrap_or_default().to_owned();
    // SSM API reference, StartSession `Target`: required, 1 to 400 characters. The message is
    // not known.
    if target.is_empty() || target.len() > 400 {
        return Err(ApiError::new(
            "ValidationException",
            "1 validation error detected: Value at 'target' failed to satisfy constraint: Member must have length between 1 and 400",
        ));
    }
    let document = input.document_name().map(str::to_owned);
    let name = document.as_deref().unwrap_or("SSM-SessionManagerRunShell");
    // StartSession errors: `InvalidDocument` ("The specified SSM document doesn't exist"). A
    // document's missing or unknown parameter is answered as InvalidDocument too: the reference
    // declares no other error for it, and AWS's message for it is not known.
    let Some((_, required, optional)) = DOCUMENTS.iter().find(|(d, _, _)| *d == name) else {
        return Err(ApiError::new(
            "InvalidDocument",
            format!("Document {name} does not exist in your account."),
        ));
    };
    let parameters = input.parameters().cloned().unwrap_or_default();
    for key in *required {
        if parameters.get(*key).is_none_or(|v| v.len() != 1) {
            return Err(ApiError::new(
                "InvalidDocument",
                format!("Document {name} requires parameter {key}."),
            ));
        }
    }
    for (key, values) in &parameters {
        if !required.contains(&key.as_str()) && !optional.contains(&key.as_str()) {
            return Err(ApiError::new(
                "InvalidDocument",
                format!("Document {name} does not support parameter {key}."),
            ));
        }
        // The port forwarding documents' `allowedPattern`: a port number 0..=65535 (0 and an
        // empty `localPortNumber` let the plugin choose the local port).
        if key.ends_with("ortNumber")
            && values
                .iter()
                .any(|v| !(v.is_empty() && key == "localPortNumber") && v.parse::<u16>().is_err())
        {
            return Err(ApiError::new(
                "InvalidDocument",
                format!("Parameter {key} of document {name} must be a port number."),
            ));
        }
    }
    // StartSession errors: `TargetNotConnected` ("The specified target managed node for the
    // session isn't fully configured for use with Session Manager"). The simulator has no
    // managed nodes, only ECS task containers running the ExecuteCommandAgent. The message is
    // not known.
    if !ecs_target_connected(state, &target) {
        return Err(ApiError::new(
            "TargetNotConnected",
            format!("{target} is not connected."),
        ));
    }
    let opened = open_session(state, ctx, "ristretto", &target, document.as_deref(), None);
    Ok(encode(
        &StartSessionOutput::builder()
            .session_id(opened.session_id)
            .token_value(opened.token_value)
            .stream_url(opened.stream_url)
            .build(),
    ))
}

/// SSM API reference, TerminateSession: ends the session and answers its ID; its only declared
/// error is InternalServerError, so an unknown or ended session is answered the same way.
fn terminate_session(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, TerminateSessionInput::deserialize)?;
    let id = input.session_id().unwrap_or_default().to_owned();
    if let Some(session) = state.ssm.sessions.get_mut(&id) {
        session.terminated.get_or_insert(ctx.now);
    }
    Ok(encode(
        &TerminateSessionOutput::builder().session_id(id).build(),
    ))
}
