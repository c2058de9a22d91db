//! Task sets of `CODE_DEPLOY` and `EXTERNAL` services: CreateTaskSet, DescribeTaskSets,
//! UpdateTaskSet, UpdateServicePrimaryTaskSet, DeleteTaskSet.
//!
//! The `pub fn`s on [`ServiceRecord`] below are also the interface of the CodeDeploy simulator:
//! a blue/green deployment creates the green task set ([`create_task_set`], scale 100 %), shifts
//! traffic by making it primary ([`make_primary`]) and removes the blue one
//! ([`delete_task_set`]); a rollback deletes the green set instead. The scheduler starts and
//! stops the tasks and reports the sets' counts and stability.

use aws_sdk_ecs::operation::create_task_set::{CreateTaskSetInput, CreateTaskSetOutput};
use aws_sdk_ecs::operation::delete_task_set::{DeleteTaskSetInput, DeleteTaskSetOutput};
use aws_sdk_ecs::operation::describe_task_sets::{DescribeTaskSetsInput, DescribeTaskSetsOutput};
use aws_sdk_ecs::operation::update_service_primary_task_set::{
    UpdateServicePrimaryTaskSetInput, UpdateServicePrimaryTaskSetOutput,
};
use aws_sdk_ecs::operation::update_task_set::{UpdateTaskSetInput, UpdateTaskSetOutput};
use aws_sdk_ecs::types::{
    DeploymentControllerType, Failure, Scale, ScaleUnit, StabilityStatus, TaskSet, TaskSetField,
};

use super::{ServiceRecord, cluster_name, scheduler, service_not_found, short_name};
use crate::clock::Epoch;
use crate::codec::{decode, encode};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, Ids, State};

fn task_set_not_found() -> ApiError {
    ApiError::new(
        "TaskSetNotFoundException",
        "The specified task set does not exist.",
    )
}

/// Adds an ACTIVE task set running `task_definition` at `scale_percent` of the desired count.
pub fn create_task_set(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    ctx: &Ctx,
    task_definition: &str,
    scale_percent: f64,
    external_id: Option<String>,
    started_by: Option<&str>,
) -> Result<TaskSet, ApiError> {
    let id = format!("ecs-svc/{}", ids.digits_id());
    let s = &svc.service;
    let cluster = short_name(s.cluster_arn().unwrap_or_default());
    let name = s.service_name().unwrap_or_default();
    let now = crate::clock::timestamp(ctx.now);
    let mut set = TaskSet::builder()
        .id(&id)
        .task_set_arn(ctx.arn("ecs", &format!("task-set/{cluster}/{name}/{id}")))
        .set_service_arn(s.service_arn().map(str::to_owned))
        .set_cluster_arn(s.cluster_arn().map(str::to_owned))
        .set_started_by(started_by.map(str::to_owned))
        .set_external_id(external_id)
        .status("ACTIVE")
        .task_definition(task_definition)
        .computed_desired_count(0)
        .pending_count(0)
        .running_count(0)
        .created_at(now)
        .updated_at(now)
        .set_launch_type(s.launch_type().cloned())
        .set_capacity_provider_strategy(s.capacity_provider_strategy.clone())
        .set_platform_version(s.platform_version().map(str::to_owned))
        .set_platform_family(s.platform_family().map(str::to_owned))
        .set_network_configuration(s.network_configuration().cloned())
        .set_load_balancers(s.load_balancers.clone())
        .set_service_registries(s.service_registries.clone())
        .scale(
            Scale::builder()
                .value(scale_percent)
                .unit(ScaleUnit::Percent)
                .build(),
        )
        .stability_status(StabilityStatus::Stabilizing)
        .stability_status_at(now)
        .build();
    set.platform_version = platform_version_of(&set, None);
    svc.service
        .task_sets
        .get_or_insert_with(Vec::new)
        .push(set.clone());
    svc.steady = false;
    Ok(set)
}

fn find<'a>(svc: &'a mut ServiceRecord, id: &str) -> Result<&'a mut TaskSet, ApiError> {
    let id = id
        .rsplit_once("/ecs-svc/")
        .map_or(id.to_owned(), |(_, n)| format!("ecs-svc/{n}"));
    svc.service
        .task_sets
        .iter_mut()
        .flatten()
        .find(|t| t.id() == Some(id.as_str()) && t.status() != Some("DRAINING"))
        .ok_or_else(task_set_not_found)
}

/// Makes a task set PRIMARY (the previous primary becomes ACTIVE); the service's task
/// definition becomes the set's.
pub fn make_primary(svc: &mut ServiceRecord, id: &str, now: Epoch) -> Result<TaskSet, ApiError> {
    let td = find(svc, id)?.task_definition().map(str::to_owned);
    let target = find(svc, id)?.id().map(str::to_owned);
    for t in svc.service.task_sets.iter_mut().flatten() {
        if t.status() == Some("PRIMARY") {
            t.status = Some("ACTIVE".to_owned());
            t.updated_at = Some(crate::clock::timestamp(now));
        }
        if t.id() == target.as_deref() {
            t.status = Some("PRIMARY".to_owned());
            t.updated_at = Some(crate::clock::timestamp(now));
        }
    }
    svc.service.task_definition = td;
    Ok(find(svc, id)?.clone())
}

/// Changes a task set's scale (percent of the service's desired count).
pub fn set_scale(
    svc: &mut ServiceRecord,
    id: &str,
    percent: f64,
    now: Epoch,
) -> Result<TaskSet, ApiError> {
    let set = find(svc, id)?;
    set.scale = Some(
        Scale::builder()
            .value(percent)
            .unit(ScaleUnit::Percent)
            .build(),
    );
    set.updated_at = Some(crate::clock::timestamp(now));
    set.stability_status = Some(StabilityStatus::Stabilizing);
    let out = set.clone();
    svc.steady = false;
    Ok(out)
}

/// Starts draining a task set; it disappears once its tasks have stopped.
pub fn delete_task_set(
    svc: &mut ServiceRecord,
    id: &str,
    force: bool,
    now: Epoch,
) -> Result<TaskSet, ApiError> {
    let set = find(svc, id)?;
    if set.status() == Some("PRIMARY") && !force {
        return Err(ApiError::invalid_parameter(
            "Cannot delete a primary task set. Use the force flag to delete it.",
        ));
    }
    set.status = Some("DRAINING".to_owned());
    set.updated_at = Some(crate::clock::timestamp(now));
    set.computed_desired_count = 0;
    Ok(set.clone())
}

/// Looks up a task-set service of a request.
fn task_set_service(
    state: &mut State,
    cluster: Option<&str>,
    service: Option<&str>,
) -> Result<(String, String), ApiError> {
    let cluster = cluster_name(&state.ecs, cluster)?;
    let name = short_name(service.unwrap_or_default()).to_owned();
    let svc = state.ecs.clusters[&cluster]
        .services
        .get(&name)
        .filter(|s| s.service.status() == Some("ACTIVE"))
        .ok_or_else(service_not_found)?;
    let controller = svc
        .service
        .deployment_controller()
        .map(|c| c.r#type().clone());
    if !matches!(
        controller,
        Some(DeploymentControllerType::External | DeploymentControllerType::CodeDeploy)
    ) {
        return Err(ApiError::invalid_parameter(
            "Amazon ECS only supports task sets on services configured to use the EXTERNAL or CODE_DEPLOY deployment controller.",
        ));
    }
    Ok((cluster, name))
}

fn record<'a>(
    state: &'a mut State,
    cluster: &str,
    name: &str,
) -> Result<&'a mut ServiceRecord, ApiError> {
    state
        .ecs
        .clusters
        .get_mut(cluster)
        .and_then(|c| c.services.get_mut(name))
        .ok_or_else(service_not_found)
}

fn percent(scale: Option<&Scale>) -> f64 {
    scale.map_or(100.0, |s| s.value)
}

pub fn create(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, CreateTaskSetInput::deserialize)?;
    let (cluster, name) = task_set_service(state, input.cluster(), input.service())?;
    let (td, _) = super::services::task_definition_for_service(
        &state.ecs,
        input.task_definition().unwrap_or_default(),
    )?;
    if let Some(v) = input.platform_version() {
        check_platform_version(v)?;
    }
    {
        // API_CreateTaskSet: the task set's own network configuration and launch type, else the
        // service's (which the set inherits below).
        let svc = &state.ecs.clusters[&cluster].services[&name].service;
        super::services::check_placement(
            &state.ecs,
            &td,
            input.launch_type().or(svc.launch_type()),
            input
                .network_configuration()
                .or(svc.network_configuration()),
        )?;
    }
    let State { ecs, ids, .. } = state;
    let svc = ecs
        .clusters
        .get_mut(&cluster)
        .and_then(|c| c.services.get_mut(&name))
        .ok_or_else(service_not_found)?;
    let mut set = create_task_set(
        svc,
        ids,
        ctx,
        &td,
        percent(input.scale()),
        input.external_id().map(str::to_owned),
        // AWS leaves `startedBy` unset on task sets of external deployments.
        None,
    )?;
    if let Some(last) = svc.service.task_sets.as_mut().and_then(|v| v.last_mut()) {
        if let Some(nc) = input.network_configuration() {
            last.network_configuration = Some(nc.clone());
        }
        if !input.load_balancers().is_empty() {
            last.load_balancers = Some(input.load_balancers().to_vec());
        }
        if let Some(lt) = input.launch_type() {
            last.launch_type = Some(lt.clone());
        }
        if !input.tags().is_empty() {
            last.tags = Some(input.tags().to_vec());
        }
        last.platform_version = platform_version_of(last, input.platform_version());
        set = last.clone();
    }
    scheduler::reconcile_now(state, ctx, &cluster, &name);
    let set = current(state, &cluster, &name, set.id().unwrap_or_default()).unwrap_or(set);
    Ok(encode(
        &CreateTaskSetOutput::builder().task_set(set).build(),
    ))
}

/// The Fargate platform versions a Linux task can name (ECS developer guide, "Fargate Linux
/// platform versions": 1.4.0 is the latest, 1.3.0 is still available) and Windows' 1.0.0
/// ("Fargate Windows platform versions").
const PLATFORM_VERSIONS: [&str; 4] = ["LATEST", "1.4.0", "1.3.0", "1.0.0"];

/// The version `LATEST` stands for, as for tasks ([`super::tasks`]): 1.4.0.
const LATEST_PLATFORM_VERSION: &str = "1.4.0";

/// API_CreateTaskSet, Errors: "PlatformUnknownException: The specified platform version
/// doesn't exist." (the message is the reference's description of the exception).
fn check_platform_version(v: &str) -> Result<(), ApiError> {
    if PLATFORM_VERSIONS.contains(&v) {
        Ok(())
    } else {
        Err(ApiError::new(
            "PlatformUnknownException",
            "The specified platform version doesn't exist.",
        ))
    }
}

/// API_TaskSet `platformVersion`: "The Fargate platform version where the tasks in the task
/// set are running. A platform version is only specified for tasks run on Fargate."
/// API_CreateTaskSet: "If one isn't specified, the LATEST platform version is used"; LATEST is
/// reported as the version it resolves to, like a task's.
fn platform_version_of(set: &TaskSet, asked: Option<&str>) -> Option<String> {
    let fargate = match set.launch_type() {
        Some(lt) => *lt == aws_sdk_ecs::types::LaunchType::Fargate,
        None => {
            !set.capacity_provider_strategy().is_empty()
                && set
                    .capacity_provider_strategy()
                    .iter()
                    .all(|p| p.capacity_provider().starts_with("FARGATE"))
        }
    };
    if !fargate {
        return None;
    }
    let v = asked.or(set.platform_version()).unwrap_or("LATEST");
    Some(
        if v == "LATEST" {
            LATEST_PLATFORM_VERSION
        } else {
            v
        }
        .to_owned(),
    )
}

fn current(state: &State, cluster: &str, name: &str, id: &str) -> Option<TaskSet> {
    state
        .ecs
        .clusters
        .get(cluster)?
        .services
        .get(name)?
        .service
        .task_sets()
        .iter()
        .find(|t| t.id() == Some(id))
        .cloned()
}

pub fn describe(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, DescribeTaskSetsInput::deserialize)?;
    let (cluster, name) = task_set_service(state, input.cluster(), input.service())?;
    let with_tags = input.include().contains(&TaskSetField::Tags);
    let svc = record(state, &cluster, &name)?;
    let mut out = DescribeTaskSetsOutput::builder();
    let all = svc.service.task_sets().to_vec();
    if input.task_sets().is_empty() {
        for mut t in all {
            if !with_tags {
                t.tags = None;
            }
            out = out.task_sets(t);
        }
    } else {
        for id in input.task_sets() {
            match all
                .iter()
                .find(|t| t.id() == Some(id.as_str()) || t.task_set_arn() == Some(id.as_str()))
            {
                Some(t) => {
                    let mut t = t.clone();
                    if !with_tags {
                        t.tags = None;
                    }
                    out = out.task_sets(t);
                }
                None => out = out.failures(Failure::builder().arn(id).reason("MISSING").build()),
            }
        }
    }
    Ok(encode(&out.build()))
}

pub fn update(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, UpdateTaskSetInput::deserialize)?;
    let (cluster, name) = task_set_service(state, input.cluster(), input.service())?;
    let svc = record(state, &cluster, &name)?;
    let set = set_scale(
        svc,
        input.task_set().unwrap_or_default(),
        percent(input.scale()),
        ctx.now,
    )?;
    scheduler::reconcile_now(state, ctx, &cluster, &name);
    let set = current(state, &cluster, &name, set.id().unwrap_or_default()).unwrap_or(set);
    Ok(encode(
        &UpdateTaskSetOutput::builder().task_set(set).build(),
    ))
}

pub fn update_primary(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, UpdateServicePrimaryTaskSetInput::deserialize)?;
    let (cluster, name) = task_set_service(state, input.cluster(), input.service())?;
    let svc = record(state, &cluster, &name)?;
    let set = make_primary(svc, input.primary_task_set().unwrap_or_default(), ctx.now)?;
    scheduler::reconcile_now(state, ctx, &cluster, &name);
    Ok(encode(
        &UpdateServicePrimaryTaskSetOutput::builder()
            .task_set(set)
            .build(),
    ))
}

pub fn delete(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, DeleteTaskSetInput::deserialize)?;
    let (cluster, name) = task_set_service(state, input.cluster(), input.service())?;
    let svc = record(state, &cluster, &name)?;
    let set = delete_task_set(
        svc,
        input.task_set().unwrap_or_default(),
        input.force() == Some(true),
        ctx.now,
    )?;
    scheduler::reconcile_now(state, ctx, &cluster, &name);
    Ok(encode(
        &DeleteTaskSetOutput::builder().task_set(set).build(),
    ))
}
