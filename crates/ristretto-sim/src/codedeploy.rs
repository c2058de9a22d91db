//! CodeDeploy (`CodeDeploy_20141006.*`) for ECS blue/green: applications, deployment groups,
//! deployments that walk their lifecycle events and shift traffic between the service's task
//! sets, deployment targets, StopDeployment with rollback, ContinueDeployment.
//!
//! A deployment drives ECS through the task-set functions of [`crate::ecs::task_sets`]: at
//! `Install` it creates the green task set (scale 100 %) and waits until it is steady; at
//! `AllowTraffic` it moves production traffic (all at once, linear or canary, from the
//! deployment configuration) and then makes the green set primary; after the termination wait it
//! deletes the blue set. A rollback makes the blue set primary again and deletes the green one.
//! Lifecycle hooks named in the AppSpec take [`HOOK_SECONDS`] of world time and succeed, unless
//! a `hookFailures` rule of the world file matches the hook's function: then the hook reports
//! `Failed` (or times out), its lifecycle event fails with diagnostics, and the deployment fails
//! with `HOOK_EXECUTION_FAILURE` (rolled back when auto-rollback is on).
//!
//! Applications, groups and deployments are the SDK's own types (`ApplicationInfo`,
//! `DeploymentGroupInfo`, `DeploymentInfo`, `EcsTarget`); groups are created from the input of
//! `CreateDeploymentGroup` through the codec, so every member a client sends is kept.
//!
//! Not simulated: EC2/on-premises and Lambda platforms, custom deployment configurations,
//! alarms, triggers, `PutLifecycleEventHookExecutionStatus` (hook outcomes come from the world
//! file; AWS's own wording of hook failure messages is not known to us, ours is close), separate
//! rollback deployments (a rollback is recorded in `rollbackInfo` of the stopped deployment).

use aws_sdk_codedeploy::operation::batch_get_applications::{
    BatchGetApplicationsInput, BatchGetApplicationsOutput,
};
use aws_sdk_codedeploy::operation::batch_get_deployment_groups::{
    BatchGetDeploymentGroupsInput, BatchGetDeploymentGroupsOutput,
};
use aws_sdk_codedeploy::operation::batch_get_deployment_targets::{
    BatchGetDeploymentTargetsInput, BatchGetDeploymentTargetsOutput,
};
use aws_sdk_codedeploy::operation::batch_get_deployments::{
    BatchGetDeploymentsInput, BatchGetDeploymentsOutput,
};
use aws_sdk_codedeploy::operation::continue_deployment::{
    ContinueDeploymentInput, ContinueDeploymentOutput,
};
use aws_sdk_codedeploy::operation::create_application::{
    CreateApplicationInput, CreateApplicationOutput,
};
use aws_sdk_codedeploy::operation::create_deployment::{
    CreateDeploymentInput, CreateDeploymentOutput,
};
use aws_sdk_codedeploy::operation::create_deployment_group::{
    CreateDeploymentGroupInput, CreateDeploymentGroupOutput,
};
use aws_sdk_codedeploy::operation::get_application::{GetApplicationInput, GetApplicationOutput};
use aws_sdk_codedeploy::operation::get_deployment::{GetDeploymentInput, GetDeploymentOutput};
use aws_sdk_codedeploy::operation::get_deployment_config::{
    GetDeploymentConfigInput, GetDeploymentConfigOutput,
};
use aws_sdk_codedeploy::operation::get_deployment_group::{
    GetDeploymentGroupInput, GetDeploymentGroupOutput,
};
use aws_sdk_codedeploy::operation::get_deployment_target::{
    GetDeploymentTargetInput, GetDeploymentTargetOutput,
};
use aws_sdk_codedeploy::operation::list_applications::{
    ListApplicationsInput, ListApplicationsOutput,
};
use aws_sdk_codedeploy::operation::list_deployment_groups::{
    ListDeploymentGroupsInput, ListDeploymentGroupsOutput,
};
use aws_sdk_codedeploy::operation::list_deployment_targets::{
    ListDeploymentTargetsInput, ListDeploymentTargetsOutput,
};
use aws_sdk_codedeploy::operation::list_deployments::{
    ListDeploymentsInput, ListDeploymentsOutput,
};
use aws_sdk_codedeploy::operation::stop_deployment::{StopDeploymentInput, StopDeploymentOutput};
use aws_sdk_codedeploy::types::{
    ApplicationInfo, ComputePlatform, DeploymentConfigInfo, DeploymentCreator, DeploymentGroupInfo,
    DeploymentInfo, DeploymentOverview, DeploymentReadyAction, DeploymentStatus, DeploymentTarget,
    DeploymentTargetType, DeploymentWaitType, Diagnostics, EcsTarget, EcsTaskSet, ErrorCode,
    ErrorInformation, LifecycleErrorCode, LifecycleEvent, LifecycleEventStatus, RollbackInfo,
    StopStatus, TargetGroupInfo, TargetLabel, TargetStatus, TimeBasedCanary, TimeBasedLinear,
    TrafficRoutingConfig, TrafficRoutingType,
};
use serde::{Deserialize, Serialize};

use crate::clock::{Epoch, timestamp};
use crate::codec::{Sdk, convert, decode, encode};
use crate::ecs::{self, task_sets};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};
use crate::world::World;

/// World seconds a lifecycle hook named in the AppSpec takes.
pub const HOOK_SECONDS: f64 = 5.0;
/// World seconds until a hook that never reports times out (AWS allows a hook an hour).
pub const HOOK_TIMEOUT_SECONDS: f64 = 3600.0;

/// The lifecycle events of an ECS blue/green deployment, in order.
const EVENTS: [&str; 8] = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
];
const HOOKS: [&str; 5] = [
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
];

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeDeployState {
    #[serde(default)]
    pub applications: Vec<Sdk<ApplicationInfo>>,
    #[serde(default)]
    pub deployment_groups: Vec<Sdk<DeploymentGroupInfo>>,
    #[serde(default)]
    pub deployments: Vec<DeploymentRecord>,
    /// Target groups of the world file, kept as written.
    #[serde(default)]
    pub target_groups: Vec<serde_json::Value>,
}

/// A deployment, its one ECS target, and where it is in its lifecycle.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentRecord {
    pub info: Sdk<DeploymentInfo>,
    pub target: Sdk<EcsTarget>,
    pub cluster: String,
    pub service: String,
    pub task_definition: String,
    pub hooks: Vec<String>,
    /// The function of each hook (lifecycle event → Lambda function, as the AppSpec names it).
    #[serde(default)]
    pub hook_functions: std::collections::BTreeMap<String, String>,
    pub blue: Option<String>,
    pub green: Option<String>,
    /// Index into the lifecycle events; `EVENTS.len()` once traffic has moved.
    pub event: usize,
    pub event_until: Epoch,
    pub traffic: f64,
    /// `READY` or `TERMINATION` while the deployment waits.
    pub waiting: Option<String>,
    pub wait_until: Epoch,
}

fn cd_error(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(code, message)
}

pub fn seed(state: &mut State, world: &World) {
    let now = state.now;
    for app in &world.code_deploy.applications {
        let Ok(bytes) = serde_json::to_vec(app) else {
            continue;
        };
        match decode(&bytes, CreateApplicationInput::deserialize) {
            Ok(input) => {
                let id = state.ids.uuid();
                state
                    .codedeploy
                    .applications
                    .push(Sdk(application(&input, id, now)));
            }
            Err(e) => tracing::warn!("world file: CodeDeploy application ignored: {}", e.message),
        }
    }
    for group in &world.code_deploy.deployment_groups {
        let Ok(bytes) = serde_json::to_vec(group) else {
            continue;
        };
        match decode(&bytes, CreateDeploymentGroupInput::deserialize)
            .and_then(|input| convert(&input, DeploymentGroupInfo::deserialize))
        {
            Ok(mut info) => {
                info.deployment_group_id = Some(state.ids.uuid());
                info.compute_platform.get_or_insert(ComputePlatform::Ecs);
                state.codedeploy.deployment_groups.push(Sdk(info));
            }
            Err(e) => tracing::warn!(
                "world file: CodeDeploy deployment group ignored: {}",
                e.message
            ),
        }
    }
    state.codedeploy.target_groups = world.target_groups.clone();
}

fn application(input: &CreateApplicationInput, id: String, now: Epoch) -> ApplicationInfo {
    ApplicationInfo::builder()
        .application_id(id)
        .set_application_name(input.application_name().map(str::to_owned))
        .create_time(timestamp(now))
        .compute_platform(
            input
                .compute_platform()
                .cloned()
                .unwrap_or(ComputePlatform::Server),
        )
        .build()
}

/// Handles one CodeDeploy operation; `None` when it is not simulated.
pub fn handle(state: &mut State, ctx: &Ctx, op: &str, body: &[u8]) -> Option<ApiResult> {
    Some(match op {
        "CreateApplication" => create_application(state, ctx, body),
        "GetApplication" => get_application(state, body),
        "ListApplications" => list_applications(state, body),
        "BatchGetApplications" => batch_get_applications(state, body),
        "CreateDeploymentGroup" => create_group(state, body),
        "GetDeploymentGroup" => get_group(state, body),
        "BatchGetDeploymentGroups" => batch_get_groups(state, body),
        "ListDeploymentGroups" => list_groups(state, body),
        "GetDeploymentConfig" => get_config(body),
        "CreateDeployment" => create_deployment(state, ctx, body),
        "GetDeployment" => get_deployment(state, body),
        "BatchGetDeployments" => batch_get_deployments(state, body),
        "ListDeployments" => list_deployments(state, body),
        "ListDeploymentTargets" => list_targets(state, body),
        "GetDeploymentTarget" => get_target(state, body),
        "BatchGetDeploymentTargets" => batch_get_targets(state, body),
        "StopDeployment" => stop_deployment(state, ctx, body),
        "ContinueDeployment" => continue_deployment(state, ctx, body),
        _ => return None,
    })
}

fn app_exists(state: &State, name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(cd_error(
            "ApplicationNameRequiredException",
            "Application name is required",
        ));
    }
    if state
        .codedeploy
        .applications
        .iter()
        .any(|a| a.application_name() == Some(name))
    {
        Ok(())
    } else {
        Err(cd_error(
            "ApplicationDoesNotExistException",
            format!("No application found for name: {name}"),
        ))
    }
}

fn find_group<'a>(
    state: &'a State,
    app: &str,
    group: &str,
) -> Result<&'a DeploymentGroupInfo, ApiError> {
    app_exists(state, app)?;
    state
        .codedeploy
        .deployment_groups
        .iter()
        .find(|g| g.application_name() == Some(app) && g.deployment_group_name() == Some(group))
        .map(|g| &g.0)
        .ok_or_else(|| {
            cd_error(
                "DeploymentGroupDoesNotExistException",
                format!("No Deployment Group found for name: {group}"),
            )
        })
}

fn create_application(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, CreateApplicationInput::deserialize)?;
    let name = input.application_name().unwrap_or_default();
    if name.is_empty() {
        return Err(cd_error(
            "ApplicationNameRequiredException",
            "Application name is required",
        ));
    }
    if app_exists(state, name).is_ok() {
        return Err(cd_error(
            "ApplicationAlreadyExistsException",
            format!("{name} already exists in your account"),
        ));
    }
    let id = state.ids.uuid();
    state
        .codedeploy
        .applications
        .push(Sdk(application(&input, id.clone(), ctx.now)));
    Ok(encode(
        &CreateApplicationOutput::builder()
            .application_id(id)
            .build(),
    ))
}

fn get_application(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, GetApplicationInput::deserialize)?;
    let name = input.application_name().unwrap_or_default();
    app_exists(state, name)?;
    let app = state
        .codedeploy
        .applications
        .iter()
        .find(|a| a.application_name() == Some(name))
        .map(|a| a.0.clone());
    Ok(encode(
        &GetApplicationOutput::builder().set_application(app).build(),
    ))
}

/// Up to 100 applications by name; an unknown name fails the call, as in AWS.
fn batch_get_applications(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, BatchGetApplicationsInput::deserialize)?;
    if input.application_names().len() > 100 {
        return Err(cd_error(
            "BatchLimitExceededException",
            "The maximum number of names or IDs allowed for this request (100) was exceeded.",
        ));
    }
    let mut out = BatchGetApplicationsOutput::builder();
    for name in input.application_names() {
        app_exists(state, name)?;
        if let Some(app) = state
            .codedeploy
            .applications
            .iter()
            .find(|a| a.application_name() == Some(name.as_str()))
        {
            out = out.applications_info(app.0.clone());
        }
    }
    Ok(encode(&out.build()))
}

fn list_applications(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, ListApplicationsInput::deserialize)?;
    let names: Vec<String> = state
        .codedeploy
        .applications
        .iter()
        .filter_map(|a| a.application_name().map(str::to_owned))
        .collect();
    let (page, next) = ecs::paginate(&names, input.next_token(), None, 100)?;
    Ok(encode(
        &ListApplicationsOutput::builder()
            .set_applications(Some(page))
            .set_next_token(next)
            .build(),
    ))
}

fn create_group(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, CreateDeploymentGroupInput::deserialize)?;
    let app = input.application_name().unwrap_or_default();
    app_exists(state, app)?;
    let name = input.deployment_group_name().unwrap_or_default();
    if name.is_empty() {
        return Err(cd_error(
            "DeploymentGroupNameRequiredException",
            "Deployment Group name is required",
        ));
    }
    if find_group(state, app, name).is_ok() {
        return Err(cd_error(
            "DeploymentGroupAlreadyExistsException",
            format!("Deployment Group already exists with name {name}"),
        ));
    }
    if input.service_role_arn().is_none() {
        return Err(cd_error("RoleRequiredException", "Role ARN is required"));
    }
    let mut info = convert(&input, DeploymentGroupInfo::deserialize)?;
    let id = state.ids.uuid();
    info.deployment_group_id = Some(id.clone());
    info.compute_platform = state
        .codedeploy
        .applications
        .iter()
        .find(|a| a.application_name() == Some(app))
        .and_then(|a| a.compute_platform().cloned());
    info.deployment_config_name
        .get_or_insert_with(|| "CodeDeployDefault.ECSAllAtOnce".to_owned());
    state.codedeploy.deployment_groups.push(Sdk(info));
    Ok(encode(
        &CreateDeploymentGroupOutput::builder()
            .deployment_group_id(id)
            .build(),
    ))
}

fn get_group(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, GetDeploymentGroupInput::deserialize)?;
    let group = find_group(
        state,
        input.application_name().unwrap_or_default(),
        input.deployment_group_name().unwrap_or_default(),
    )?
    .clone();
    Ok(encode(
        &GetDeploymentGroupOutput::builder()
            .deployment_group_info(group)
            .build(),
    ))
}

fn batch_get_groups(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, BatchGetDeploymentGroupsInput::deserialize)?;
    let app = input.application_name().unwrap_or_default();
    app_exists(state, app)?;
    let mut out = BatchGetDeploymentGroupsOutput::builder();
    let mut missing = Vec::new();
    for name in input.deployment_group_names() {
        match find_group(state, app, name) {
            Ok(g) => out = out.deployment_groups_info(g.clone()),
            Err(_) => missing.push(name.clone()),
        }
    }
    if !missing.is_empty() {
        out = out.error_message(format!(
            "Deployment groups not found: {}",
            missing.join(", ")
        ));
    }
    Ok(encode(&out.build()))
}

fn list_groups(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, ListDeploymentGroupsInput::deserialize)?;
    let app = input.application_name().unwrap_or_default();
    app_exists(state, app)?;
    let names: Vec<String> = state
        .codedeploy
        .deployment_groups
        .iter()
        .filter(|g| g.application_name() == Some(app))
        .filter_map(|g| g.deployment_group_name().map(str::to_owned))
        .collect();
    let (page, next) = ecs::paginate(&names, input.next_token(), None, 100)?;
    Ok(encode(
        &ListDeploymentGroupsOutput::builder()
            .application_name(app)
            .set_deployment_groups(Some(page))
            .set_next_token(next)
            .build(),
    ))
}

/// The predefined ECS deployment configurations: (routing type, percentage, interval minutes).
fn config(name: &str) -> Option<(TrafficRoutingType, i32, i32)> {
    Some(match name {
        "CodeDeployDefault.ECSAllAtOnce" => (TrafficRoutingType::AllAtOnce, 100, 0),
        "CodeDeployDefault.ECSLinear10PercentEvery1Minutes" => {
            (TrafficRoutingType::TimeBasedLinear, 10, 1)
        }
        "CodeDeployDefault.ECSLinear10PercentEvery3Minutes" => {
            (TrafficRoutingType::TimeBasedLinear, 10, 3)
        }
        "CodeDeployDefault.ECSCanary10Percent5Minutes" => {
            (TrafficRoutingType::TimeBasedCanary, 10, 5)
        }
        "CodeDeployDefault.ECSCanary10Percent15Minutes" => {
            (TrafficRoutingType::TimeBasedCanary, 10, 15)
        }
        _ => return None,
    })
}

fn config_missing(name: &str) -> ApiError {
    cd_error(
        "DeploymentConfigDoesNotExistException",
        format!("No deployment configuration found for name: {name}"),
    )
}

fn get_config(body: &[u8]) -> ApiResult {
    let input = decode(body, GetDeploymentConfigInput::deserialize)?;
    let name = input.deployment_config_name().unwrap_or_default();
    let (kind, pct, interval) = config(name).ok_or_else(|| config_missing(name))?;
    let routing = TrafficRoutingConfig::builder()
        .r#type(kind.clone())
        .set_time_based_linear((kind == TrafficRoutingType::TimeBasedLinear).then(|| {
            TimeBasedLinear::builder()
                .linear_percentage(pct)
                .linear_interval(interval)
                .build()
        }))
        .set_time_based_canary((kind == TrafficRoutingType::TimeBasedCanary).then(|| {
            TimeBasedCanary::builder()
                .canary_percentage(pct)
                .canary_interval(interval)
                .build()
        }))
        .build();
    let info = DeploymentConfigInfo::builder()
        .deployment_config_id(format!("{:08x}-0000-4000-8000-000000000000", name.len()))
        .deployment_config_name(name)
        .compute_platform(ComputePlatform::Ecs)
        .traffic_routing_config(routing)
        .create_time(timestamp(0.0))
        .build();
    Ok(encode(
        &GetDeploymentConfigOutput::builder()
            .deployment_config_info(info)
            .build(),
    ))
}

/// The task definition and hooks (lifecycle event, function) of an ECS AppSpec (YAML or JSON).
fn parse_appspec(content: &str) -> Result<(String, Vec<(String, String)>), ApiError> {
    let invalid = |m: &str| {
        cd_error(
            "InvalidRevisionException",
            format!("The AppSpec file is invalid: {m}"),
        )
    };
    let doc: serde_json::Value =
        yaml_serde::from_str(content).map_err(|e| invalid(&e.to_string()))?;
    let td = doc
        .get("Resources")
        .and_then(|r| r.as_array())
        .and_then(|r| r.first())
        .and_then(|r| r.as_object())
        .and_then(|r| r.values().next())
        .and_then(|r| r.pointer("/Properties/TaskDefinition"))
        .and_then(|t| t.as_str())
        .ok_or_else(|| invalid("Resources[0].<name>.Properties.TaskDefinition is missing"))?
        .to_owned();
    let hooks = doc
        .get("Hooks")
        .and_then(|h| h.as_array())
        .map(|hooks| {
            hooks
                .iter()
                .filter_map(|h| h.as_object())
                .flat_map(|h| {
                    h.iter().map(|(event, function)| {
                        (
                            event.clone(),
                            function.as_str().unwrap_or_default().to_owned(),
                        )
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((td, hooks))
}

fn active(d: &DeploymentRecord) -> bool {
    matches!(
        d.info.status(),
        Some(
            DeploymentStatus::Created
                | DeploymentStatus::Queued
                | DeploymentStatus::InProgress
                | DeploymentStatus::Ready
        )
    )
}

fn create_deployment(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, CreateDeploymentInput::deserialize)?;
    let app = input.application_name().unwrap_or_default().to_owned();
    let group_name = input.deployment_group_name().unwrap_or_default().to_owned();
    let group = find_group(state, &app, &group_name)?.clone();
    if let Some(d) = state.codedeploy.deployments.iter().find(|d| {
        active(d)
            && d.info.application_name() == Some(app.as_str())
            && d.info.deployment_group_name() == Some(group_name.as_str())
    }) {
        return Err(cd_error(
            "DeploymentLimitExceededException",
            format!(
                "The Deployment Group '{group_name}' already has an active Deployment '{}'",
                d.info.deployment_id().unwrap_or_default()
            ),
        ));
    }
    let config_name = input
        .deployment_config_name()
        .or(group.deployment_config_name())
        .unwrap_or("CodeDeployDefault.ECSAllAtOnce")
        .to_owned();
    config(&config_name).ok_or_else(|| config_missing(&config_name))?;
    let revision = input
        .revision()
        .ok_or_else(|| cd_error("RevisionRequiredException", "Revision is required"))?;
    let content = revision
        .app_spec_content()
        .and_then(|c| c.content())
        .or_else(|| revision.string().and_then(|s| s.content()))
        .ok_or_else(|| {
            cd_error(
                "InvalidRevisionException",
                "The revision must be an AppSpecContent or String revision.",
            )
        })?;
    let (td_ref, hooks) = parse_appspec(content)?;
    let ecs_service = group.ecs_services().first().ok_or_else(|| {
        cd_error(
            "InvalidECSServiceException",
            "The deployment group has no ECS service.",
        )
    })?;
    let cluster = ecs_service.cluster_name().unwrap_or("default").to_owned();
    let service_name = ecs_service.service_name().unwrap_or_default().to_owned();
    let svc = state
        .ecs
        .clusters
        .get(&cluster)
        .and_then(|c| c.services.get(&service_name))
        .filter(|s| s.service.status() == Some("ACTIVE"))
        .ok_or_else(|| {
            cd_error(
                "InvalidECSServiceException",
                format!("The ECS service {service_name} in cluster {cluster} does not exist."),
            )
        })?;
    let service_arn = svc.service.service_arn().unwrap_or_default().to_owned();
    let (task_definition, _) = ecs::services::task_definition_for_service(&state.ecs, &td_ref)
        .map_err(|_| {
            cd_error(
                "InvalidRevisionException",
                format!("The task definition {td_ref} does not exist."),
            )
        })?;
    let id = format!("d-{}", state.ids.alnum_id(9).to_uppercase());
    let now = timestamp(ctx.now);
    let info = DeploymentInfo::builder()
        .application_name(&app)
        .deployment_group_name(&group_name)
        .deployment_config_name(&config_name)
        .deployment_id(&id)
        .revision(revision.clone())
        .status(DeploymentStatus::Created)
        .create_time(now)
        .deployment_overview(overview(0, 0, 0, 0))
        .set_description(input.description().map(str::to_owned))
        .creator(DeploymentCreator::User)
        .set_auto_rollback_configuration(
            input
                .auto_rollback_configuration()
                .cloned()
                .or(group.auto_rollback_configuration().cloned()),
        )
        .set_deployment_style(group.deployment_style().cloned())
        .set_blue_green_deployment_configuration(
            group.blue_green_deployment_configuration().cloned(),
        )
        .set_load_balancer_info(group.load_balancer_info().cloned())
        .compute_platform(ComputePlatform::Ecs)
        .build();
    let target = EcsTarget::builder()
        .deployment_id(&id)
        .target_id(format!("{cluster}:{service_name}"))
        .target_arn(service_arn)
        .last_updated_at(now)
        .set_lifecycle_events(Some(
            EVENTS
                .iter()
                .map(|e| {
                    LifecycleEvent::builder()
                        .lifecycle_event_name(*e)
                        .status(LifecycleEventStatus::Pending)
                        .build()
                })
                .collect(),
        ))
        .status(TargetStatus::Pending)
        .build();
    state.codedeploy.deployments.push(DeploymentRecord {
        info: Sdk(info),
        target: Sdk(target),
        cluster,
        service: service_name,
        task_definition,
        hooks: hooks.iter().map(|(event, _)| event.clone()).collect(),
        hook_functions: hooks.into_iter().collect(),
        blue: None,
        green: None,
        event: 0,
        event_until: ctx.now,
        traffic: 0.0,
        waiting: None,
        wait_until: 0.0,
    });
    step(state, ctx.now);
    Ok(encode(
        &CreateDeploymentOutput::builder().deployment_id(id).build(),
    ))
}

fn overview(pending: i64, in_progress: i64, succeeded: i64, failed: i64) -> DeploymentOverview {
    DeploymentOverview::builder()
        .pending(pending)
        .in_progress(in_progress)
        .succeeded(succeeded)
        .failed(failed)
        .build()
}

fn find_deployment<'a>(
    state: &'a mut State,
    id: &str,
) -> Result<&'a mut DeploymentRecord, ApiError> {
    if id.is_empty() {
        return Err(cd_error(
            "DeploymentIdRequiredException",
            "Deployment ID is required",
        ));
    }
    state
        .codedeploy
        .deployments
        .iter_mut()
        .find(|d| d.info.deployment_id() == Some(id))
        .ok_or_else(|| {
            cd_error(
                "DeploymentDoesNotExistException",
                format!("The deployment {id} could not be found."),
            )
        })
}

fn get_deployment(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, GetDeploymentInput::deserialize)?;
    let d = find_deployment(state, input.deployment_id().unwrap_or_default())?;
    Ok(encode(
        &GetDeploymentOutput::builder()
            .deployment_info(d.info.0.clone())
            .build(),
    ))
}

fn batch_get_deployments(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, BatchGetDeploymentsInput::deserialize)?;
    let mut out = BatchGetDeploymentsOutput::builder();
    for id in input.deployment_ids() {
        if let Ok(d) = find_deployment(state, id) {
            out = out.deployments_info(d.info.0.clone());
        }
    }
    Ok(encode(&out.build()))
}

fn list_deployments(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, ListDeploymentsInput::deserialize)?;
    if let Some(app) = input.application_name() {
        app_exists(state, app)?;
    }
    let ids: Vec<String> = state
        .codedeploy
        .deployments
        .iter()
        .rev()
        .filter(|d| {
            input
                .application_name()
                .is_none_or(|a| d.info.application_name() == Some(a))
        })
        .filter(|d| {
            input
                .deployment_group_name()
                .is_none_or(|g| d.info.deployment_group_name() == Some(g))
        })
        .filter(|d| {
            input.include_only_statuses().is_empty()
                || d.info
                    .status()
                    .is_some_and(|s| input.include_only_statuses().contains(s))
        })
        .filter_map(|d| d.info.deployment_id().map(str::to_owned))
        .collect();
    let (page, next) = ecs::paginate(&ids, input.next_token(), None, 100)?;
    Ok(encode(
        &ListDeploymentsOutput::builder()
            .set_deployments(Some(page))
            .set_next_token(next)
            .build(),
    ))
}

fn list_targets(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, ListDeploymentTargetsInput::deserialize)?;
    let d = find_deployment(state, input.deployment_id().unwrap_or_default())?;
    let ids: Vec<String> = d
        .target
        .target_id()
        .map(str::to_owned)
        .into_iter()
        .collect();
    Ok(encode(
        &ListDeploymentTargetsOutput::builder()
            .set_target_ids(Some(ids))
            .build(),
    ))
}

fn deployment_target(d: &DeploymentRecord) -> DeploymentTarget {
    DeploymentTarget::builder()
        .deployment_target_type(DeploymentTargetType::EcsTarget)
        .ecs_target(d.target.0.clone())
        .build()
}

fn get_target(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, GetDeploymentTargetInput::deserialize)?;
    let d = find_deployment(state, input.deployment_id().unwrap_or_default())?;
    if input.target_id() != d.target.target_id() {
        return Err(cd_error(
            "DeploymentTargetDoesNotExistException",
            format!(
                "The target {} does not exist.",
                input.target_id().unwrap_or_default()
            ),
        ));
    }
    Ok(encode(
        &GetDeploymentTargetOutput::builder()
            .deployment_target(deployment_target(d))
            .build(),
    ))
}

fn batch_get_targets(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, BatchGetDeploymentTargetsInput::deserialize)?;
    let d = find_deployment(state, input.deployment_id().unwrap_or_default())?;
    let mut out = BatchGetDeploymentTargetsOutput::builder();
    for id in input.target_ids() {
        if Some(id.as_str()) == d.target.target_id() {
            out = out.deployment_targets(deployment_target(d));
        }
    }
    Ok(encode(&out.build()))
}

fn stop_deployment(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, StopDeploymentInput::deserialize)?;
    let id = input.deployment_id().unwrap_or_default().to_owned();
    let d = find_deployment(state, &id)?;
    if !active(d) {
        return Err(cd_error(
            "DeploymentAlreadyCompletedException",
            format!("Deployment {id} has already completed"),
        ));
    }
    let rollback = input.auto_rollback_enabled().unwrap_or_else(|| {
        d.info
            .auto_rollback_configuration()
            .is_some_and(|c| c.enabled)
    });
    finish(
        state,
        ctx.now,
        &id,
        DeploymentStatus::Stopped,
        None,
        rollback,
        "Deployment stopped by the user",
    );
    Ok(encode(
        &StopDeploymentOutput::builder()
            .status(StopStatus::Succeeded)
            .status_message("Stopped deployment")
            .build(),
    ))
}

fn continue_deployment(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, ContinueDeploymentInput::deserialize)?;
    let id = input.deployment_id().unwrap_or_default().to_owned();
    let d = find_deployment(state, &id)?;
    let wanted = match input.deployment_wait_type() {
        Some(DeploymentWaitType::TerminationWait) => "TERMINATION",
        _ => "READY",
    };
    if d.waiting.as_deref() != Some(wanted) {
        return Err(cd_error(
            "DeploymentIsNotInReadyStateException",
            format!("The deployment {id} is not waiting for a continue ({wanted} wait)."),
        ));
    }
    d.waiting = None;
    d.wait_until = ctx.now;
    step(state, ctx.now);
    Ok(encode(&ContinueDeploymentOutput::builder().build()))
}

/// The next time a deployment moves on its own.
pub fn next_event(cd: &CodeDeployState, now: Epoch) -> Option<Epoch> {
    cd.deployments
        .iter()
        .filter(|d| active(d))
        .flat_map(|d| [d.event_until, d.wait_until])
        .filter(|t| *t > now)
        .reduce(f64::min)
}

/// Moves every active deployment as far as it can go at `now`.
pub fn step(state: &mut State, now: Epoch) {
    let ids: Vec<String> = state
        .codedeploy
        .deployments
        .iter()
        .filter(|d| active(d))
        .filter_map(|d| d.info.deployment_id().map(str::to_owned))
        .collect();
    for id in ids {
        for _ in 0..32 {
            if !advance_one(state, now, &id) {
                break;
            }
        }
        refresh_target(state, now, &id);
    }
}

fn ctx_for(state: &State, cluster: &str, now: Epoch) -> Ctx {
    let arn = state
        .ecs
        .clusters
        .get(cluster)
        .and_then(|c| c.cluster.cluster_arn())
        .unwrap_or_default();
    let parts: Vec<&str> = arn.split(':').collect();
    Ctx {
        now,
        region: parts.get(3).copied().unwrap_or("us-east-1").to_owned(),
        account: parts.get(4).copied().unwrap_or("123456789012").to_owned(),
    }
}

fn set_event(d: &mut DeploymentRecord, index: usize, status: LifecycleEventStatus, now: Epoch) {
    if let Some(e) = d
        .target
        .lifecycle_events
        .as_mut()
        .and_then(|e| e.get_mut(index))
    {
        if status == LifecycleEventStatus::InProgress || e.start_time.is_none() {
            e.start_time = Some(timestamp(now));
        }
        if matches!(
            status,
            LifecycleEventStatus::Succeeded | LifecycleEventStatus::Failed
        ) {
            e.end_time = Some(timestamp(now));
        }
        e.status = Some(status);
    }
}

fn event_status(d: &DeploymentRecord, index: usize) -> Option<LifecycleEventStatus> {
    d.target
        .lifecycle_events()
        .get(index)
        .and_then(|e| e.status())
        .cloned()
}

/// One transition of a deployment; `false` when it has to wait.
fn advance_one(state: &mut State, now: Epoch, id: &str) -> bool {
    let Some(index) = state
        .codedeploy
        .deployments
        .iter()
        .position(|d| d.info.deployment_id() == Some(id))
    else {
        return false;
    };
    let d = &mut state.codedeploy.deployments[index];
    if !active(d) || now < d.wait_until && d.waiting.is_some() {
        return false;
    }
    if d.info.status() == Some(&DeploymentStatus::Created) {
        d.info.status = Some(DeploymentStatus::InProgress);
        d.info.start_time = Some(timestamp(now));
        d.info.deployment_overview = Some(overview(0, 1, 0, 0));
        d.target.status = Some(TargetStatus::InProgress);
        d.event_until = now;
        return true;
    }
    if let Some(kind) = d.waiting.clone() {
        // The wait ran out without ContinueDeployment.
        d.waiting = None;
        if kind == "READY" {
            let id = id.to_owned();
            finish(
                state,
                now,
                &id,
                DeploymentStatus::Stopped,
                None,
                true,
                "The deployment timed out while waiting for traffic to be rerouted",
            );
            return false;
        }
        return true;
    }
    if d.event >= EVENTS.len() {
        // Traffic has moved; the blue task set goes.
        let (cluster, service, blue) = (d.cluster.clone(), d.service.clone(), d.blue.clone());
        if let Some(blue) = blue {
            with_service(state, &cluster, &service, now, |svc, _, _| {
                let _ = task_sets::delete_task_set(svc, &blue, true, now);
            });
        }
        let id = id.to_owned();
        finish(
            state,
            now,
            &id,
            DeploymentStatus::Succeeded,
            None,
            false,
            "",
        );
        return false;
    }
    let name = EVENTS[d.event];
    let status = event_status(d, d.event);
    match status {
        Some(LifecycleEventStatus::Pending) => {
            set_event(d, d.event, LifecycleEventStatus::InProgress, now);
            let hooked = HOOKS.contains(&name) && d.hooks.iter().any(|h| h == name);
            let seconds = match failing_hook(&state.rules, d, name) {
                Some((_, rule)) => rule.after_seconds.unwrap_or(if rule.timed_out {
                    HOOK_TIMEOUT_SECONDS
                } else {
                    HOOK_SECONDS
                }),
                None if hooked => HOOK_SECONDS,
                None => 0.0,
            };
            d.event_until = now + seconds;
            if name == "Install" {
                let (cluster, service, td, dep_id) = (
                    d.cluster.clone(),
                    d.service.clone(),
                    d.task_definition.clone(),
                    id.to_owned(),
                );
                let mut created = None;
                with_service(state, &cluster, &service, now, |svc, ids, ctx| {
                    let blue = svc
                        .service
                        .task_sets()
                        .iter()
                        .find(|t| t.status() == Some("PRIMARY"))
                        .and_then(|t| t.id())
                        .map(str::to_owned);
                    if let Ok(set) = task_sets::create_task_set(
                        svc,
                        ids,
                        ctx,
                        &td,
                        100.0,
                        // As in AWS: the deployment ID and `CODE_DEPLOY`.
                        Some(dep_id.clone()),
                        Some("CODE_DEPLOY"),
                    ) {
                        created = Some((blue, set.id().unwrap_or_default().to_owned()));
                    }
                });
                let d = &mut state.codedeploy.deployments[index];
                if let Some((blue, green)) = created {
                    d.blue = blue;
                    d.green = Some(green);
                }
            }
            if name == "AllowTraffic" {
                let d = &mut state.codedeploy.deployments[index];
                let (kind, pct, interval) = config(
                    d.info.deployment_config_name().unwrap_or_default(),
                )
                .unwrap_or((TrafficRoutingType::AllAtOnce, 100, 0));
                d.traffic = if kind == TrafficRoutingType::AllAtOnce {
                    100.0
                } else {
                    f64::from(pct)
                };
                d.event_until = now
                    + if d.traffic >= 100.0 {
                        0.0
                    } else {
                        f64::from(interval) * 60.0
                    };
            }
            true
        }
        Some(LifecycleEventStatus::InProgress) => {
            if now < d.event_until {
                return false;
            }
            if let Some((function, rule)) = failing_hook(&state.rules, d, name) {
                let (diagnostic, message) = if rule.timed_out {
                    (
                        format!(
                            "The Lambda function {function} did not report a status for {name} before the hook timed out"
                        ),
                        format!(
                            "Lifecycle event {name} failed: its hook timed out without reporting a status"
                        ),
                    )
                } else {
                    (
                        format!("The Lambda function {function} reported Failed for {name}"),
                        format!("Lifecycle event {name} failed: its hook reported Failed"),
                    )
                };
                let diagnostics = Diagnostics::builder()
                    .error_code(LifecycleErrorCode::UnknownError)
                    .message(diagnostic)
                    .build();
                if let Some(e) = d
                    .target
                    .lifecycle_events
                    .as_mut()
                    .and_then(|e| e.get_mut(d.event))
                {
                    e.diagnostics = Some(diagnostics);
                }
                let error = ErrorInformation::builder()
                    .code(ErrorCode::HookExecutionFailure)
                    .message(message)
                    .build();
                fail(state, now, id, index, error);
                return false;
            }
            match name {
                "Install" => {
                    let green = d.green.clone().unwrap_or_default();
                    let (cluster, service) = (d.cluster.clone(), d.service.clone());
                    match green_health(state, &cluster, &service, &green) {
                        GreenHealth::Steady => {}
                        GreenHealth::Starting => return false,
                        GreenHealth::Failed => {
                            let error = ErrorInformation::builder()
                                .code(ErrorCode::EcsUpdateError)
                                .message("The ECS service cannot reach a steady state: tasks of the replacement task set failed to start.")
                                .build();
                            fail(state, now, id, index, error);
                            return false;
                        }
                    }
                }
                "AllowTraffic" if d.traffic < 100.0 => {
                    let (kind, pct, interval) = config(
                        d.info.deployment_config_name().unwrap_or_default(),
                    )
                    .unwrap_or((TrafficRoutingType::AllAtOnce, 100, 0));
                    d.traffic = if kind == TrafficRoutingType::TimeBasedLinear {
                        (d.traffic + f64::from(pct)).min(100.0)
                    } else {
                        100.0
                    };
                    d.event_until = now
                        + if d.traffic >= 100.0 {
                            0.0
                        } else {
                            f64::from(interval) * 60.0
                        };
                    return true;
                }
                "AllowTraffic" => {
                    let (cluster, service, green) =
                        (d.cluster.clone(), d.service.clone(), d.green.clone());
                    if let Some(green) = green {
                        with_service(state, &cluster, &service, now, |svc, _, _| {
                            let _ = task_sets::make_primary(svc, &green, now);
                        });
                    }
                }
                _ => {}
            }
            let d = &mut state.codedeploy.deployments[index];
            set_event(d, d.event, LifecycleEventStatus::Succeeded, now);
            d.event += 1;
            d.event_until = now;
            if name == "AfterAllowTestTraffic" {
                let bg = d.info.blue_green_deployment_configuration();
                let ready = bg.and_then(|b| b.deployment_ready_option());
                if ready.and_then(|r| r.action_on_timeout())
                    == Some(&DeploymentReadyAction::StopDeployment)
                {
                    d.waiting = Some("READY".to_owned());
                    d.wait_until =
                        now + f64::from(ready.map_or(0, |r| r.wait_time_in_minutes)) * 60.0;
                    d.info.status = Some(DeploymentStatus::Ready);
                    d.target.status = Some(TargetStatus::Ready);
                    return false;
                }
            }
            if d.info.status() == Some(&DeploymentStatus::Ready) {
                d.info.status = Some(DeploymentStatus::InProgress);
                d.target.status = Some(TargetStatus::InProgress);
            }
            if name == "AfterAllowTraffic" {
                let wait = d
                    .info
                    .blue_green_deployment_configuration()
                    .and_then(|b| b.terminate_blue_instances_on_deployment_success())
                    .map_or(0, |t| t.termination_wait_time_in_minutes);
                if wait > 0 {
                    d.waiting = Some("TERMINATION".to_owned());
                    d.wait_until = now + f64::from(wait) * 60.0;
                    return false;
                }
            }
            true
        }
        _ => false,
    }
}

/// The hook of lifecycle event `name` and the world's rule that makes it fail, if one does.
fn failing_hook<'a>(
    rules: &'a World,
    d: &DeploymentRecord,
    name: &str,
) -> Option<(String, &'a crate::world::HookFailureRule)> {
    if !HOOKS.contains(&name) {
        return None;
    }
    let function = d.hook_functions.get(name)?;
    rules
        .hook_failure_for(name, function)
        .map(|rule| (function.clone(), rule))
}

/// Fails the current lifecycle event and the deployment (rolled back when auto-rollback is on).
fn fail(state: &mut State, now: Epoch, id: &str, index: usize, error: ErrorInformation) {
    let d = &mut state.codedeploy.deployments[index];
    set_event(d, d.event, LifecycleEventStatus::Failed, now);
    let rollback = d
        .info
        .auto_rollback_configuration()
        .is_some_and(|c| c.enabled);
    finish(
        state,
        now,
        id,
        DeploymentStatus::Failed,
        Some(error),
        rollback,
        "Deployment failed",
    );
}

enum GreenHealth {
    Starting,
    Steady,
    Failed,
}

fn green_health(state: &State, cluster: &str, service: &str, green: &str) -> GreenHealth {
    let Some(svc) = state
        .ecs
        .clusters
        .get(cluster)
        .and_then(|c| c.services.get(service))
    else {
        return GreenHealth::Failed;
    };
    let failures = svc
        .tasks
        .values()
        .filter(|t| t.owner.as_deref() == Some(green))
        .filter(|t| {
            matches!(
                t.task.stop_code().map(|c| c.as_str()),
                Some("EssentialContainerExited" | "TaskFailedToStart")
            )
        })
        .count();
    let set = svc
        .service
        .task_sets()
        .iter()
        .find(|t| t.id() == Some(green));
    let desired = set.map_or(0, |s| s.computed_desired_count).max(1) as usize;
    if failures >= desired.max(3) {
        return GreenHealth::Failed;
    }
    match set {
        Some(s)
            if s.stability_status().map(|x| x.as_str()) == Some("STEADY_STATE")
                && s.running_count == s.computed_desired_count =>
        {
            GreenHealth::Steady
        }
        Some(_) => GreenHealth::Starting,
        None => GreenHealth::Failed,
    }
}

/// Runs `f` on a service record, then lets the ECS scheduler react.
fn with_service(
    state: &mut State,
    cluster: &str,
    service: &str,
    now: Epoch,
    f: impl FnOnce(&mut ecs::ServiceRecord, &mut crate::state::Ids, &Ctx),
) {
    let ctx = ctx_for(state, cluster, now);
    let State { ecs, ids, .. } = state;
    if let Some(svc) = ecs
        .clusters
        .get_mut(cluster)
        .and_then(|c| c.services.get_mut(service))
    {
        f(svc, ids, &ctx);
    }
    ecs::scheduler::reconcile_now(state, &ctx, cluster, service);
}

/// Ends a deployment; with `rollback`, the blue task set serves again and the green one goes.
fn finish(
    state: &mut State,
    now: Epoch,
    id: &str,
    status: DeploymentStatus,
    error: Option<ErrorInformation>,
    rollback: bool,
    message: &str,
) {
    let Some(index) = state
        .codedeploy
        .deployments
        .iter()
        .position(|d| d.info.deployment_id() == Some(id))
    else {
        return;
    };
    let d = &mut state.codedeploy.deployments[index];
    let (cluster, service, blue, green) = (
        d.cluster.clone(),
        d.service.clone(),
        d.blue.clone(),
        d.green.clone(),
    );
    let success = status == DeploymentStatus::Succeeded;
    d.info.status = Some(status);
    d.info.complete_time = Some(timestamp(now));
    d.info.error_information = error;
    d.info.deployment_overview = Some(if success {
        overview(0, 0, 1, 0)
    } else {
        overview(0, 0, 0, 1)
    });
    d.target.status = Some(if success {
        TargetStatus::Succeeded
    } else {
        TargetStatus::Failed
    });
    d.waiting = None;
    if !success {
        for i in 0..EVENTS.len() {
            if event_status(d, i) == Some(LifecycleEventStatus::InProgress) {
                set_event(d, i, LifecycleEventStatus::Failed, now);
            } else if event_status(d, i) == Some(LifecycleEventStatus::Pending) {
                set_event(d, i, LifecycleEventStatus::Skipped, now);
            }
        }
    }
    if rollback && !success {
        d.traffic = 0.0;
        d.info.rollback_info = Some(
            RollbackInfo::builder()
                .rollback_message(format!("{message}; rolled back to the original task set"))
                .build(),
        );
        with_service(state, &cluster, &service, now, |svc, _, _| {
            if let Some(blue) = &blue {
                let _ = task_sets::make_primary(svc, blue, now);
            }
            if let Some(green) = &green {
                let _ = task_sets::delete_task_set(svc, green, true, now);
            }
        });
    }
    refresh_target(state, now, id);
}

/// Copies the task sets' counts and traffic weights into the deployment target.
fn refresh_target(state: &mut State, now: Epoch, id: &str) {
    let Some(index) = state
        .codedeploy
        .deployments
        .iter()
        .position(|d| d.info.deployment_id() == Some(id))
    else {
        return;
    };
    let d = &state.codedeploy.deployments[index];
    let Some(svc) = state
        .ecs
        .clusters
        .get(&d.cluster)
        .and_then(|c| c.services.get(&d.service))
    else {
        return;
    };
    let groups: Vec<String> = d
        .info
        .load_balancer_info()
        .and_then(|l| l.target_group_pair_info_list().first())
        .map(|p| {
            p.target_groups()
                .iter()
                .filter_map(|t| t.name().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut infos = Vec::new();
    for (label, set_id, weight) in [
        (TargetLabel::Blue, d.blue.as_ref(), 100.0 - d.traffic),
        (TargetLabel::Green, d.green.as_ref(), d.traffic),
    ] {
        let Some(set) = set_id.and_then(|s| {
            svc.service
                .task_sets()
                .iter()
                .find(|t| t.id() == Some(s.as_str()))
        }) else {
            continue;
        };
        let group = groups
            .get(usize::from(label == TargetLabel::Green))
            .cloned();
        infos.push(
            EcsTaskSet::builder()
                .set_identifer(set.id().map(str::to_owned))
                .desired_count(i64::from(set.computed_desired_count))
                .pending_count(i64::from(set.pending_count))
                .running_count(i64::from(set.running_count))
                .set_status(set.status().map(str::to_owned))
                .traffic_weight(weight)
                .set_target_group(group.map(|g| TargetGroupInfo::builder().name(g).build()))
                .task_set_label(label)
                .build(),
        );
    }
    let d = &mut state.codedeploy.deployments[index];
    if d.target.task_sets_info.as_ref() != Some(&infos) {
        d.target.task_sets_info = Some(infos);
        d.target.last_updated_at = Some(timestamp(now));
    }
}
