//! Services: CreateService, UpdateService, DescribeServices, DeleteService, ListServices.
//!
//! Requests are validated like AWS where a client depends on it (duplicate names, CODE_DEPLOY
//! services, INACTIVE services, deleting a scaled service). A change of task definition (or of
//! the network, platform or load balancers, or `forceNewDeployment`) starts a new deployment; the
//! [`super::scheduler`] does the rest over time.

use std::collections::BTreeMap;

use aws_sdk_ecs::operation::create_service::{CreateServiceInput, CreateServiceOutput};
use aws_sdk_ecs::operation::delete_service::{DeleteServiceInput, DeleteServiceOutput};
use aws_sdk_ecs::operation::describe_services::{DescribeServicesInput, DescribeServicesOutput};
use aws_sdk_ecs::operation::list_services::{ListServicesInput, ListServicesOutput};
use aws_sdk_ecs::operation::update_service::{UpdateServiceInput, UpdateServiceOutput};
use aws_sdk_ecs::types::{
    ContainerImage, DeploymentCircuitBreaker, DeploymentConfiguration, DeploymentController,
    DeploymentControllerType, Failure, LaunchType, SchedulingStrategy, Service, ServiceField,
    TaskDefinitionStatus,
};

use super::{
    EcsState, ServiceRecord, cluster_name, paginate, scheduler, service_not_found, short_name,
};
use crate::codec::{Sdk, convert, decode, encode, to_json};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};

/// Resolves a task definition reference to its full ARN and container images.
pub fn task_definition_for_service(
    ecs: &EcsState,
    id: &str,
) -> Result<(String, Vec<ContainerImage>), ApiError> {
    let rec = super::task_definitions::resolve(ecs, id)
        .ok_or_else(|| ApiError::invalid_parameter("TaskDefinition not found."))?;
    let td = &rec.task_definition;
    if td.status() != Some(&TaskDefinitionStatus::Active) {
        return Err(ApiError::invalid_parameter("TaskDefinition is inactive"));
    }
    let images = td
        .container_definitions()
        .iter()
        .map(|c| {
            ContainerImage::builder()
                .set_container_name(c.name().map(str::to_owned))
                .set_image(c.image().map(str::to_owned))
                .image_digest(format!(
                    "sha256:{:064x}",
                    fxhash(c.image().unwrap_or_default())
                ))
                .build()
        })
        .collect();
    Ok((
        td.task_definition_arn().unwrap_or_default().to_owned(),
        images,
    ))
}

/// CreateService's, UpdateService's and CreateTaskSet's checks of a task definition against the
/// launch type and network configuration that will run it (see [`super::validate::placement`]).
pub fn check_placement(
    ecs: &EcsState,
    task_definition: &str,
    launch_type: Option<&LaunchType>,
    network_configuration: Option<&aws_sdk_ecs::types::NetworkConfiguration>,
) -> Result<(), ApiError> {
    let Some(rec) = super::task_definitions::resolve(ecs, task_definition) else {
        return Ok(());
    };
    super::validate::placement(&super::validate::Placement {
        task_definition: &rec.task_definition,
        launch_type,
        network_configuration,
    })
}

fn fxhash(s: &str) -> u128 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u128, |h, b| {
        (h ^ u128::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn controller_type(s: &Service) -> DeploymentControllerType {
    s.deployment_controller()
        .map(|c| c.r#type().clone())
        .unwrap_or(DeploymentControllerType::Ecs)
}

pub fn create_service(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, CreateServiceInput::deserialize)?;
    let cluster = cluster_name(&state.ecs, input.cluster())?;
    let name = input.service_name().unwrap_or_default().to_owned();
    if name.is_empty() {
        return Err(ApiError::invalid_parameter("serviceName is required."));
    }
    if let Some(existing) = state.ecs.clusters[&cluster].services.get(&name)
        && existing.service.status() != Some("INACTIVE")
    {
        return Err(ApiError::invalid_parameter(
            "Creation of service was not idempotent.",
        ));
    }
    if input.launch_type().is_some() && !input.capacity_provider_strategy().is_empty() {
        return Err(ApiError::invalid_parameter(
            "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
        ));
    }
    super::capacity_providers::check_strategy(
        &super::capacity_providers::associated(&state.ecs.clusters[&cluster]),
        input.capacity_provider_strategy(),
    )?;
    let mut service = convert(&input, Service::deserialize)?;
    let controller = controller_type(&service);
    super::validate::service_settings(
        input.desired_count(),
        &controller,
        input.deployment_configuration(),
    )?;
    super::validate::deployment_strategy(
        &controller,
        input.deployment_configuration(),
        input.load_balancers(),
    )?;
    let td = match (input.task_definition(), &controller) {
        (Some(td), _) => Some(task_definition_for_service(&state.ecs, td)?),
        (None, DeploymentControllerType::External) => None,
        (None, _) => {
            return Err(ApiError::invalid_parameter(
                "TaskDefinition must be specified.",
            ));
        }
    };
    // Neither launchType nor capacityProviderStrategy: the cluster's default strategy, else EC2,
    // the rule RunTask follows too (API_CreateService, `capacityProviderStrategy` and
    // `launchType`).
    let default_strategy =
        if input.launch_type().is_none() && input.capacity_provider_strategy().is_empty() {
            Some(super::clusters::default_strategy(
                &state.ecs.clusters[&cluster],
                &cluster,
                &state.rules,
            ))
        } else {
            None
        };
    if let Some((arn, _)) = &td {
        let launch_type = match (input.launch_type(), &default_strategy) {
            (Some(l), _) => Some(l.clone()),
            (None, Some(d)) => Some(super::clusters::launch_type_of_providers(
                d.iter().map(|c| c.capacity_provider()),
            )),
            // A strategy given with the request decides (not checked).
            (None, None) => None,
        };
        check_placement(
            &state.ecs,
            arn,
            launch_type.as_ref(),
            input.network_configuration(),
        )?;
    }
    let cluster_arn = state.ecs.clusters[&cluster]
        .cluster
        .cluster_arn()
        .unwrap_or_default()
        .to_owned();
    service.service_arn = Some(ctx.arn("ecs", &format!("service/{cluster}/{name}")));
    service.cluster_arn = Some(cluster_arn);
    service.status = Some("ACTIVE".to_owned());
    service.desired_count = input.desired_count().unwrap_or(0);
    service.running_count = 0;
    service.pending_count = 0;
    service.created_at = Some(crate::clock::timestamp(ctx.now));
    service.created_by = Some(format!("arn:aws:iam::{}:root", ctx.account));
    service.role_arn = input.role().map(str::to_owned);
    service.task_definition = td.as_ref().map(|t| t.0.clone());
    if service.scheduling_strategy.is_none() {
        service.scheduling_strategy = Some(SchedulingStrategy::Replica);
    }
    if service.deployment_controller.is_none() {
        service.deployment_controller = DeploymentController::builder()
            .r#type(DeploymentControllerType::Ecs)
            .build()
            .ok();
    }
    match default_strategy {
        Some(d) if !d.is_empty() => service.capacity_provider_strategy = Some(d),
        Some(_) => service.launch_type = Some(LaunchType::Ec2),
        None => {}
    }
    if service.launch_type() == Some(&LaunchType::Fargate) {
        service
            .platform_version
            .get_or_insert_with(|| "LATEST".to_owned());
        service
            .platform_family
            .get_or_insert_with(|| "Linux".to_owned());
    }
    service.deployment_configuration = Some(with_defaults(
        service.deployment_configuration.take(),
        &controller,
    ));
    service.events = Some(Vec::new());
    service.deployments = Some(Vec::new());
    if controller != DeploymentControllerType::Ecs {
        service.task_sets = Some(Vec::new());
    }
    let mut record = ServiceRecord {
        service: Sdk(service),
        tasks: BTreeMap::new(),
        rollouts: Vec::new(),
        service_deployments: Vec::new(),
        revisions: Vec::new(),
        last_good: None,
        steady: false,
    };
    match (controller, td) {
        (DeploymentControllerType::Ecs, Some((arn, images))) => {
            scheduler::start_deployment(&mut record, &mut state.ids, ctx, &arn, images);
        }
        (DeploymentControllerType::CodeDeploy, Some((arn, _))) => {
            let set = super::task_sets::create_task_set(
                &mut record,
                &mut state.ids,
                ctx,
                &arn,
                100.0,
                None,
                None,
            )?;
            super::task_sets::make_primary(&mut record, set.id().unwrap_or_default(), ctx.now)?;
        }
        _ => {}
    }
    let cluster_rec = state
        .ecs
        .clusters
        .get_mut(&cluster)
        .ok_or_else(super::cluster_not_found)?;
    cluster_rec.services.insert(name.clone(), record);
    scheduler::reconcile_now(state, ctx, &cluster, &name);
    let service = state.ecs.clusters[&cluster].services[&name]
        .service
        .0
        .clone();
    Ok(encode(
        &CreateServiceOutput::builder().service(service).build(),
    ))
}

fn with_defaults(
    dc: Option<DeploymentConfiguration>,
    controller: &DeploymentControllerType,
) -> DeploymentConfiguration {
    let mut dc = dc.unwrap_or_else(|| DeploymentConfiguration::builder().build());
    if *controller == DeploymentControllerType::Ecs {
        dc.maximum_percent.get_or_insert(200);
        dc.minimum_healthy_percent.get_or_insert(100);
        if dc.deployment_circuit_breaker.is_none() {
            dc.deployment_circuit_breaker = Some(
                DeploymentCircuitBreaker::builder()
                    .enable(false)
                    .rollback(false)
                    .build(),
            );
        }
    }
    dc
}

/// Members of UpdateService that, when changed, start a new deployment.
const REDEPLOY_MEMBERS: &[&str] = &[
    "taskDefinition",
    "networkConfiguration",
    "platformVersion",
    "loadBalancers",
    "capacityProviderStrategy",
    "serviceRegistries",
    "serviceConnectConfiguration",
    "volumeConfigurations",
];

pub fn update_service(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let mut input = decode(body, UpdateServiceInput::deserialize)?;
    let cluster = cluster_name(&state.ecs, input.cluster())?;
    let name = short_name(input.service().unwrap_or_default()).to_owned();
    let current = state.ecs.clusters[&cluster]
        .services
        .get(&name)
        .ok_or_else(service_not_found)?;
    if current.service.status() != Some("ACTIVE") {
        return Err(ApiError::new(
            "ServiceNotActiveException",
            "Service was not ACTIVE.",
        ));
    }
    super::capacity_providers::check_strategy(
        &super::capacity_providers::associated(&state.ecs.clusters[&cluster]),
        input.capacity_provider_strategy(),
    )?;
    let controller = controller_type(&current.service);
    let mut images = Vec::new();
    if let Some(td) = input.task_definition() {
        if controller == DeploymentControllerType::CodeDeploy {
            return Err(ApiError::invalid_parameter(
                "Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to deploy new task definitions.",
            ));
        }
        let (arn, imgs) = task_definition_for_service(&state.ecs, td)?;
        input.task_definition = Some(arn);
        images = imgs;
    }
    // Merge the members of the request into the service, through their wire form.
    let before = to_json(&current.service.0);
    let changes = to_json(&input);
    let mut merged = before.clone();
    let mut redeploy = input.force_new_deployment() == Some(true);
    if let (Some(m), Some(c)) = (merged.as_object_mut(), changes.as_object()) {
        for (key, value) in c {
            if matches!(key.as_str(), "cluster" | "service" | "forceNewDeployment") {
                continue;
            }
            if REDEPLOY_MEMBERS.contains(&key.as_str()) && before.get(key) != Some(value) {
                redeploy = true;
            }
            if key == "deploymentConfiguration" {
                let mut dc = before.get(key).cloned().unwrap_or_default();
                if let (Some(dc), Some(new)) = (dc.as_object_mut(), value.as_object()) {
                    for (k, v) in new {
                        dc.insert(k.clone(), v.clone());
                    }
                }
                m.insert(key.clone(), dc);
            } else {
                m.insert(key.clone(), value.clone());
            }
        }
    }
    // API_UpdateService, `capacityProviderStrategy`: a service moves from a launch type to a
    // strategy with it (the two never coexist).
    if !input.capacity_provider_strategy().is_empty()
        && let Some(m) = merged.as_object_mut()
    {
        m.remove("launchType");
    }
    let merged_bytes = serde_json::to_vec(&merged).unwrap_or_default();
    let updated = decode(&merged_bytes, Service::deserialize)?;
    // The service as it would be after the update must pass CreateService's checks
    // (API_UpdateService: the same parameters, the same constraints).
    super::validate::service_settings(
        input.desired_count(),
        &controller,
        updated.deployment_configuration(),
    )?;
    super::validate::deployment_strategy(
        &controller,
        updated.deployment_configuration(),
        updated.load_balancers(),
    )?;
    if let Some(td) = updated.task_definition() {
        check_placement(
            &state.ecs,
            td,
            updated.launch_type(),
            updated.network_configuration(),
        )?;
    }
    let task_definition = updated.task_definition().unwrap_or_default().to_owned();
    let State { ecs, ids, .. } = state;
    let record = ecs
        .clusters
        .get_mut(&cluster)
        .and_then(|c| c.services.get_mut(&name))
        .ok_or_else(service_not_found)?;
    let desired_changed = record.service.desired_count != updated.desired_count;
    record.service.0 = updated;
    if desired_changed {
        record.steady = false;
    }
    if redeploy && controller == DeploymentControllerType::Ecs {
        if images.is_empty() {
            images = task_definition_for_service(ecs, &task_definition)
                .map(|t| t.1)
                .unwrap_or_default();
        }
        let record = ecs
            .clusters
            .get_mut(&cluster)
            .and_then(|c| c.services.get_mut(&name))
            .ok_or_else(service_not_found)?;
        scheduler::start_deployment(record, ids, ctx, &task_definition, images);
    }
    scheduler::reconcile_now(state, ctx, &cluster, &name);
    let service = state.ecs.clusters[&cluster].services[&name]
        .service
        .0
        .clone();
    Ok(encode(
        &UpdateServiceOutput::builder().service(service).build(),
    ))
}

pub fn describe_services(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, DescribeServicesInput::deserialize)?;
    let cluster = cluster_name(&state.ecs, input.cluster())?;
    if input.services().len() > 10 {
        return Err(ApiError::invalid_parameter(
            "services can have at most 10 items.",
        ));
    }
    let with_tags = input.include().contains(&ServiceField::Tags);
    let rec = &state.ecs.clusters[&cluster];
    let mut out = DescribeServicesOutput::builder();
    for id in input.services() {
        match rec.services.get(short_name(id)) {
            Some(s) => {
                let mut service = s.service.0.clone();
                if !with_tags {
                    service.tags = None;
                }
                out = out.services(service);
            }
            None => {
                let arn = if id.starts_with("arn:") {
                    id.clone()
                } else {
                    ctx.arn("ecs", &format!("service/{cluster}/{id}"))
                };
                out = out.failures(Failure::builder().arn(arn).reason("MISSING").build());
            }
        }
    }
    Ok(encode(&out.build()))
}

pub fn delete_service(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, DeleteServiceInput::deserialize)?;
    let cluster = cluster_name(&state.ecs, input.cluster())?;
    let name = short_name(input.service().unwrap_or_default()).to_owned();
    let record = state
        .ecs
        .clusters
        .get_mut(&cluster)
        .and_then(|c| c.services.get_mut(&name))
        .filter(|s| s.service.status() != Some("INACTIVE"))
        .ok_or_else(service_not_found)?;
    if record.service.status() == Some("ACTIVE") {
        let replica = record.service.scheduling_strategy() != Some(&SchedulingStrategy::Daemon);
        if replica && record.service.desired_count > 0 && input.force() != Some(true) {
            return Err(ApiError::invalid_parameter(
                "The service cannot be stopped while it is scaled above 0.",
            ));
        }
        record.service.status = Some("DRAINING".to_owned());
        record.service.desired_count = 0;
    }
    scheduler::reconcile_now(state, ctx, &cluster, &name);
    let service = state.ecs.clusters[&cluster].services[&name]
        .service
        .0
        .clone();
    Ok(encode(
        &DeleteServiceOutput::builder().service(service).build(),
    ))
}

pub fn list_services(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, ListServicesInput::deserialize)?;
    let cluster = cluster_name(&state.ecs, input.cluster())?;
    let arns: Vec<String> = state.ecs.clusters[&cluster]
        .services
        .values()
        .map(|s| &s.service)
        .filter(|s| s.status() == Some("ACTIVE") || s.status() == Some("DRAINING"))
        .filter(|s| {
            input
                .launch_type()
                .is_none_or(|l| s.launch_type() == Some(l))
        })
        .filter(|s| {
            input
                .scheduling_strategy()
                .is_none_or(|l| s.scheduling_strategy() == Some(l))
        })
        .filter_map(|s| s.service_arn().map(str::to_owned))
        .collect();
    let (page, next) = paginate(&arns, input.next_token(), input.max_results(), 10)?;
    Ok(encode(
        &ListServicesOutput::builder()
            .set_service_arns(Some(page))
            .set_next_token(next)
            .build(),
    ))
}
