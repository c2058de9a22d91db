//! Clusters: CreateCluster, DescribeClusters, ListClusters, DeleteCluster, and the placement of
//! EC2 tasks on a cluster's container instances (`container_instances`: registered with
//! RegisterContainerInstance or declared in the world file).

use std::collections::BTreeMap;

use aws_sdk_ecs::operation::create_cluster::{CreateClusterInput, CreateClusterOutput};
use aws_sdk_ecs::operation::delete_cluster::{DeleteClusterInput, DeleteClusterOutput};
use aws_sdk_ecs::operation::describe_clusters::{DescribeClustersInput, DescribeClustersOutput};
use aws_sdk_ecs::operation::list_clusters::{ListClustersInput, ListClustersOutput};
use aws_sdk_ecs::operation::update_cluster::{UpdateClusterInput, UpdateClusterOutput};
use aws_sdk_ecs::operation::update_cluster_settings::{
    UpdateClusterSettingsInput, UpdateClusterSettingsOutput,
};
use aws_sdk_ecs::types::{
    CapacityProviderStrategyItem, Cluster, ClusterField, ClusterServiceConnectDefaults,
    ClusterSetting, ClusterSettingName, Failure, LaunchType, Tag, TaskDefinition,
};

use super::{ClusterRecord, EcsState, cluster_not_found, paginate, short_name};
use crate::codec::{Sdk, decode, encode};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};
use crate::world::World;

/// The first sentence of AWS's placement failure event (ECS developer guide, "Amazon ECS service
/// event messages"); a reason follows when one is known.
pub const UNABLE_TO_PLACE: &str =
    "was unable to place a task because no container instance met all of its requirements.";

/// Why a task could not be placed: the text AWS appends to [`UNABLE_TO_PLACE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementFailure {
    pub reason: String,
    /// Each container instance with the resource it lacks (`RESOURCE:CPU`, `RESOURCE:MEMORY`):
    /// RunTask's `failures`; empty when the cluster has no container instance.
    pub instances: Vec<(String, &'static str)>,
}

/// A world-file container instance's ID (see [`super::container_instances::seeded_id`]).
pub fn container_instance_id(cluster: &str, index: usize) -> String {
    super::container_instances::seeded_id(cluster, index)
}

/// CPU units and MiB a task reserves on a container instance: the task-level `cpu` and `memory`
/// when set, else the sum of its containers' `cpu` and `memory` (or `memoryReservation`)
/// (ECS developer guide, "Task definition parameters": task size, container memory).
pub fn task_size(td: &TaskDefinition) -> (u32, u32) {
    let containers = td.container_definitions();
    let cpu = td
        .cpu()
        .and_then(|c| parse_size(c, "vcpu"))
        .unwrap_or_else(|| {
            containers
                .iter()
                .map(|c| c.cpu().max(0) as u32)
                .sum::<u32>()
        });
    let memory = td
        .memory()
        .and_then(|m| parse_size(m, "gb"))
        .unwrap_or_else(|| {
            containers
                .iter()
                .map(|c| c.memory().or(c.memory_reservation()).unwrap_or(0).max(0) as u32)
                .sum::<u32>()
        });
    (cpu, memory)
}

/// `"256"`, `"1 vCPU"`, `"0.5 vcpu"`, `"2 GB"`: CPU units or MiB (1 vCPU = 1024 units,
/// 1 GB = 1024 MiB).
fn parse_size(text: &str, unit: &str) -> Option<u32> {
    let lower = text.trim().to_ascii_lowercase();
    let (number, scale) = match lower.strip_suffix(unit) {
        Some(n) => (n.trim(), 1024.0),
        None => (lower.as_str(), 1.0),
    };
    let value: f64 = number.parse().ok()?;
    (value >= 0.0).then(|| (value * scale).round() as u32)
}

/// The launch type of tasks started with a capacity provider strategy naming `providers`:
/// FARGATE for `FARGATE` / `FARGATE_SPOT`, EC2 for any other (Auto Scaling group) provider.
pub fn launch_type_of_providers<'a>(providers: impl IntoIterator<Item = &'a str>) -> LaunchType {
    let mut any = false;
    for p in providers {
        any = true;
        if !p.starts_with("FARGATE") {
            return LaunchType::Ec2;
        }
    }
    if any {
        LaunchType::Fargate
    } else {
        LaunchType::Ec2
    }
}

/// The cluster's default capacity provider strategy: the one CreateCluster stored, else the one
/// the world file gives the cluster (empty when neither has one).
pub fn default_strategy(
    cluster: &ClusterRecord,
    name: &str,
    rules: &World,
) -> Vec<CapacityProviderStrategyItem> {
    let from_api = cluster.cluster.default_capacity_provider_strategy();
    if !from_api.is_empty() {
        return from_api.to_vec();
    }
    rules
        .cluster_seed(name)
        .map(|s| s.default_strategy())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| {
            CapacityProviderStrategyItem::builder()
                .capacity_provider(c.capacity_provider)
                .weight(c.weight.map_or(0, |w| i32::try_from(w).unwrap_or(i32::MAX)))
                .base(c.base.map_or(0, |b| i32::try_from(b).unwrap_or(i32::MAX)))
                .build()
                .ok()
        })
        .collect()
}

/// The launch type of a RunTask or CreateService given neither `launchType` nor
/// `capacityProviderStrategy`: that of the cluster's default capacity provider strategy if it
/// has one, else EC2 (API_RunTask and API_CreateService, `capacityProviderStrategy`: "If no
/// capacityProviderStrategy or launchType is specified, the defaultCapacityProviderStrategy for
/// the cluster is used"; `launchType`: "The default launch type is EC2").
pub fn default_launch_type(cluster: &ClusterRecord, name: &str, rules: &World) -> LaunchType {
    let strategy = default_strategy(cluster, name, rules);
    launch_type_of_providers(
        strategy
            .iter()
            .map(CapacityProviderStrategyItem::capacity_provider),
    )
}

/// Creates (or returns the existing ACTIVE) cluster; CreateCluster is idempotent on AWS.
pub fn insert_cluster(ecs: &mut EcsState, ctx: &Ctx, name: &str, tags: Vec<Tag>) -> Cluster {
    if let Some(existing) = ecs.clusters.get(name)
        && existing.cluster.status() == Some("ACTIVE")
    {
        return existing.cluster.0.clone();
    }
    // API_CreateCluster, `settings`: without them the account's `containerInsights` setting
    // (PutAccountSetting, PutAccountSettingDefault) decides.
    let insights = super::account_settings::effective(
        ecs,
        ctx,
        &format!("arn:aws:iam::{}:root", ctx.account),
        "containerInsights",
    )
    .unwrap_or_else(|| "disabled".to_owned());
    let cluster = Cluster::builder()
        .cluster_arn(ctx.arn("ecs", &format!("cluster/{name}")))
        .cluster_name(name)
        .status("ACTIVE")
        .set_tags((!tags.is_empty()).then_some(tags))
        .settings(
            ClusterSetting::builder()
                .name(ClusterSettingName::ContainerInsights)
                .value(insights)
                .build(),
        )
        .set_capacity_providers(Some(Vec::new()))
        .set_default_capacity_provider_strategy(Some(Vec::new()))
        .build();
    ecs.clusters.insert(
        name.to_owned(),
        ClusterRecord {
            cluster: Sdk(cluster.clone()),
            services: BTreeMap::new(),
            tasks: BTreeMap::new(),
            container_instances: None,
        },
    );
    cluster
}

pub fn create_cluster(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, CreateClusterInput::deserialize)?;
    let name = input.cluster_name().unwrap_or("default").to_owned();
    // API_CreateCluster, `capacityProviders`: FARGATE, FARGATE_SPOT or providers created with
    // CreateCapacityProvider; `defaultCapacityProviderStrategy` may only name those.
    for p in input.capacity_providers() {
        if !super::capacity_providers::exists(&state.ecs, p) {
            // The wording of AWS's message is not documented.
            return Err(ApiError::invalid_parameter(format!(
                "The specified capacity provider {p} does not exist."
            )));
        }
    }
    super::capacity_providers::check_strategy(
        input.capacity_providers(),
        input.default_capacity_provider_strategy(),
    )?;
    let existed = state
        .ecs
        .clusters
        .get(&name)
        .is_some_and(|c| c.cluster.status() == Some("ACTIVE"));
    insert_cluster(&mut state.ecs, ctx, &name, input.tags().to_vec());
    // API_CreateCluster: the capacity providers, the default strategy, `settings` and
    // `configuration` are kept on the cluster. `settings`: "If this value is specified, it
    // overrides the containerInsights value set with PutAccountSetting or
    // PutAccountSettingDefault" (else [`insert_cluster`] took the account's).
    if let Some(rec) = state.ecs.clusters.get_mut(&name)
        && !existed
    {
        rec.cluster.capacity_providers = Some(input.capacity_providers().to_vec());
        rec.cluster.default_capacity_provider_strategy =
            Some(input.default_capacity_provider_strategy().to_vec());
        if !input.settings().is_empty() {
            rec.cluster.settings = Some(merge_settings(rec.cluster.settings(), input.settings()));
        }
        rec.cluster.configuration = input.configuration().cloned();
        rec.cluster.service_connect_defaults = input.service_connect_defaults().map(|d| {
            ClusterServiceConnectDefaults::builder()
                .namespace(d.namespace())
                .build()
        });
    }
    let all = [
        ClusterField::Settings,
        ClusterField::Configurations,
        ClusterField::Tags,
    ];
    Ok(encode(
        &CreateClusterOutput::builder()
            .set_cluster(describe_one(&state.ecs, &state.rules, ctx, &name, &all))
            .build(),
    ))
}

/// The cluster as the Describe/Create/Update operations answer it: live counts, the effective
/// default strategy, and `settings`, `configuration`, `tags` only when `include` asks for them
/// (API_DescribeClusters, `include`).
pub fn describe_one(
    ecs: &EcsState,
    rules: &World,
    _ctx: &Ctx,
    name: &str,
    include: &[ClusterField],
) -> Option<Cluster> {
    let rec = ecs.clusters.get(name)?;
    let mut c = with_counts(ecs, name, rec.cluster.0.clone());
    // Both lists are always present, empty when the cluster has none.
    c.capacity_providers.get_or_insert_with(Vec::new);
    c.default_capacity_provider_strategy = Some(default_strategy(rec, name, rules));
    if !include.contains(&ClusterField::Tags) {
        c.tags = None;
    }
    if !include.contains(&ClusterField::Settings) {
        c.settings = None;
    }
    if !include.contains(&ClusterField::Configurations) {
        c.configuration = None;
    }
    Some(c)
}

pub fn update_cluster(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, UpdateClusterInput::deserialize)?;
    let name = super::cluster_name(&state.ecs, input.cluster())?;
    let rec = state
        .ecs
        .clusters
        .get_mut(&name)
        .ok_or_else(cluster_not_found)?;
    // API_UpdateCluster: `settings`, `configuration` and `serviceConnectDefaults` replace what
    // the cluster had; members not given are left as they are.
    if !input.settings().is_empty() {
        rec.cluster.settings = Some(merge_settings(rec.cluster.settings(), input.settings()));
    }
    if let Some(c) = input.configuration() {
        rec.cluster.configuration = Some(c.clone());
    }
    if let Some(d) = input.service_connect_defaults() {
        rec.cluster.service_connect_defaults = Some(
            ClusterServiceConnectDefaults::builder()
                .namespace(d.namespace())
                .build(),
        );
    }
    let all = [
        ClusterField::Settings,
        ClusterField::Configurations,
        ClusterField::Tags,
    ];
    Ok(encode(
        &UpdateClusterOutput::builder()
            .set_cluster(describe_one(&state.ecs, &state.rules, ctx, &name, &all))
            .build(),
    ))
}

pub fn update_cluster_settings(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, UpdateClusterSettingsInput::deserialize)?;
    let name = super::cluster_name(&state.ecs, input.cluster())?;
    // API_UpdateClusterSettings: `settings` is required.
    if input.settings().is_empty() {
        return Err(ApiError::invalid_parameter("Settings cannot be empty."));
    }
    let rec = state
        .ecs
        .clusters
        .get_mut(&name)
        .ok_or_else(cluster_not_found)?;
    rec.cluster.settings = Some(merge_settings(rec.cluster.settings(), input.settings()));
    let all = [
        ClusterField::Settings,
        ClusterField::Configurations,
        ClusterField::Tags,
    ];
    Ok(encode(
        &UpdateClusterSettingsOutput::builder()
            .set_cluster(describe_one(&state.ecs, &state.rules, ctx, &name, &all))
            .build(),
    ))
}

/// The cluster's settings with `new` ones replacing those of the same name.
fn merge_settings(old: &[ClusterSetting], new: &[ClusterSetting]) -> Vec<ClusterSetting> {
    let mut out = old.to_vec();
    for s in new {
        match out.iter_mut().find(|o| o.name() == s.name()) {
            Some(o) => *o = s.clone(),
            None => out.push(s.clone()),
        }
    }
    out
}

/// A cluster with its live counts (services, running and pending tasks).
fn with_counts(ecs: &EcsState, name: &str, mut cluster: Cluster) -> Cluster {
    if let Some(rec) = ecs.clusters.get(name) {
        let all_tasks = rec
            .tasks
            .values()
            .chain(rec.services.values().flat_map(|s| s.tasks.values()));
        let (mut running, mut pending) = (0, 0);
        for t in all_tasks {
            match t.task.last_status() {
                Some("RUNNING") => running += 1,
                Some("PROVISIONING" | "PENDING" | "ACTIVATING") => pending += 1,
                _ => {}
            }
        }
        cluster.running_tasks_count = running;
        cluster.pending_tasks_count = pending;
        cluster.active_services_count = rec
            .services
            .values()
            .filter(|s| s.service.status() == Some("ACTIVE"))
            .count() as i32;
    }
    cluster
}

pub fn describe_clusters(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, DescribeClustersInput::deserialize)?;
    let wanted: Vec<String> = if input.clusters().is_empty() {
        vec!["default".to_owned()]
    } else {
        input.clusters().to_vec()
    };
    let mut out = DescribeClustersOutput::builder();
    for id in &wanted {
        match describe_one(
            &state.ecs,
            &state.rules,
            ctx,
            short_name(id),
            input.include(),
        ) {
            Some(c) => out = out.clusters(c),
            None => {
                out = out.failures(
                    Failure::builder()
                        .arn(if id.starts_with("arn:") {
                            id.clone()
                        } else {
                            ctx.arn("ecs", &format!("cluster/{id}"))
                        })
                        .reason("MISSING")
                        .build(),
                );
            }
        }
    }
    Ok(encode(&out.build()))
}

pub fn list_clusters(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, ListClustersInput::deserialize)?;
    let arns: Vec<String> = state
        .ecs
        .clusters
        .values()
        .filter(|c| c.cluster.status() == Some("ACTIVE"))
        .filter_map(|c| c.cluster.cluster_arn().map(str::to_owned))
        .collect();
    let (page, next) = paginate(&arns, input.next_token(), input.max_results(), 100)?;
    Ok(encode(
        &ListClustersOutput::builder()
            .set_cluster_arns(Some(page))
            .set_next_token(next)
            .build(),
    ))
}

pub fn delete_cluster(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, DeleteClusterInput::deserialize)?;
    let name = short_name(input.cluster().unwrap_or_default()).to_owned();
    let rec = state
        .ecs
        .clusters
        .get_mut(&name)
        .ok_or_else(cluster_not_found)?;
    if rec
        .services
        .values()
        .any(|s| s.service.status() != Some("INACTIVE"))
    {
        return Err(ApiError::new(
            "ClusterContainsServicesException",
            "The Cluster cannot be deleted while Services are active.",
        ));
    }
    if rec
        .tasks
        .values()
        .any(|t| t.task.last_status() != Some("STOPPED"))
    {
        return Err(ApiError::new(
            "ClusterContainsTasksException",
            "The Cluster cannot be deleted while Tasks are active.",
        ));
    }
    // API_DeleteCluster: "You must deregister all container instances from this cluster before
    // you may delete it" (ClusterContainsContainerInstancesException; the wording of AWS's
    // message is not documented). Deregistered (INACTIVE) instances do not count.
    if rec
        .container_instances
        .iter()
        .flatten()
        .any(|ci| ci.status() != Some("INACTIVE"))
    {
        return Err(ApiError::new(
            "ClusterContainsContainerInstancesException",
            "The Cluster cannot be deleted while Container Instances are active or draining.",
        ));
    }
    rec.cluster.status = Some("INACTIVE".to_owned());
    Ok(encode(
        &DeleteClusterOutput::builder()
            .cluster(rec.cluster.0.clone())
            .build(),
    ))
}
