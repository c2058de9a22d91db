//! Container instances: the EC2 capacity of a cluster, on which the scheduler places EC2 tasks.
//!
//! RegisterContainerInstance (what the ECS agent calls), ListContainerInstances,
//! DescribeContainerInstances, DeregisterContainerInstance and UpdateContainerInstancesState.
//! The instances a world file declares (`containerInstances` of a cluster) are registered when
//! the world is seeded, so placement, the API and the AWS CLI see one set of records. What an
//! instance holds (`remainingResources`, `runningTasksCount`, `pendingTasksCount`) is counted
//! from the cluster's tasks at each answer, never stored.
//!
//! A cluster whose EC2 capacity nobody described (no `containerInstances` in the world file and
//! no RegisterContainerInstance) keeps unlimited EC2 capacity, the simulator's behaviour before
//! placement existed: `ClusterRecord::container_instances` is `None` then.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::operation::deregister_container_instance::{
    DeregisterContainerInstanceInput, DeregisterContainerInstanceOutput,
};
use aws_sdk_ecs::operation::describe_container_instances::{
    DescribeContainerInstancesInput, DescribeContainerInstancesOutput,
};
use aws_sdk_ecs::operation::list_container_instances::{
    ListContainerInstancesInput, ListContainerInstancesOutput,
};
use aws_sdk_ecs::operation::register_container_instance::{
    RegisterContainerInstanceInput, RegisterContainerInstanceOutput,
};
use aws_sdk_ecs::operation::update_container_instances_state::{
    UpdateContainerInstancesStateInput, UpdateContainerInstancesStateOutput,
};
use aws_sdk_ecs::types::{
    Attribute, ContainerInstance, ContainerInstanceField, ContainerInstanceHealthStatus,
    ContainerInstanceStatus, Failure, InstanceHealthCheckResult, InstanceHealthCheckState,
    InstanceHealthCheckType, NetworkMode, Resource, TaskDefinition, VersionInfo,
};

use super::{ClusterRecord, TaskDefRecord, TaskRecord, cluster_name, short_name};
use crate::clock::{Epoch, timestamp};
use crate::codec::{Sdk, decode, encode};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};
use crate::world::ClusterSeed;

/// Host ports the ECS container agent reserves on every Linux instance: the default of
/// `ECS_RESERVED_PORTS` (ECS developer guide, "Amazon ECS container agent configuration":
/// SSH, the Docker daemon's two ports, the agent's introspection and credentials ports).
pub const AGENT_RESERVED_PORTS: [&str; 5] = ["22", "2375", "2376", "51678", "51679"];

/// The attributes the ECS agent registers on a world-file instance: the standard attributes of
/// the ECS developer guide, "Amazon ECS container instance attributes" (`ecs.os-type`,
/// `ecs.os-family`, `ecs.cpu-architecture`, `ecs.availability-zone`), and the capabilities the
/// guide's task definition `requiresAttributes` examples name. Which capabilities a real agent
/// reports depends on its version and AMI; this is a current Amazon Linux agent's common set.
const AGENT_CAPABILITIES: [&str; 8] = [
    "com.amazonaws.ecs.capability.docker-remote-api.1.44",
    "com.amazonaws.ecs.capability.logging-driver.awslogs",
    "com.amazonaws.ecs.capability.task-iam-role",
    "ecs.capability.execution-role-awslogs",
    "ecs.capability.execution-role-ecr-pull",
    "ecs.capability.container-health-check",
    "ecs.capability.secrets.ssm.environment-variables",
    "ecs.capability.task-eni",
];

/// A container instance's ID for a world-file instance: 32 hex digits, derived from the
/// cluster and its position so that it is the same on every run.
pub fn seeded_id(cluster: &str, index: usize) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in cluster.bytes().chain(index.to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}{:016x}", h.rotate_left(29) ^ 0x5eed_5eed_5eed_5eed)
}

fn int_resource(name: &str, value: u32) -> Resource {
    Resource::builder()
        .name(name)
        .r#type("INTEGER")
        .integer_value(i32::try_from(value).unwrap_or(i32::MAX))
        .build()
}

fn ports_resource(name: &str, ports: impl IntoIterator<Item = String>) -> Resource {
    Resource::builder()
        .name(name)
        .r#type("STRINGSET")
        .set_string_set_value(Some(ports.into_iter().collect()))
        .build()
}

fn attribute(name: &str, value: Option<&str>) -> Option<Attribute> {
    Attribute::builder()
        .name(name)
        .set_value(value.map(str::to_owned))
        .build()
        .ok()
}

/// Registers the container instances a world file declares for cluster `name` (none when the
/// seed does not describe its EC2 capacity).
pub fn seed_cluster(rec: &mut ClusterRecord, ctx: &Ctx, seed: &ClusterSeed) {
    let Some(capacities) = seed.container_instances() else {
        return;
    };
    let name = seed.name();
    let zone = format!("{}a", ctx.region);
    let list = capacities
        .iter()
        .enumerate()
        .map(|(i, cap)| {
            let id = seeded_id(name, i);
            let mut attributes: Vec<Attribute> = [
                ("ecs.os-type", Some("linux")),
                ("ecs.os-family", Some("LINUX")),
                ("ecs.cpu-architecture", Some("x86_64")),
                ("ecs.availability-zone", Some(zone.as_str())),
            ]
            .into_iter()
            .filter_map(|(n, v)| attribute(n, v))
            .collect();
            attributes.extend(AGENT_CAPABILITIES.iter().filter_map(|n| attribute(n, None)));
            Sdk(ContainerInstance::builder()
                .container_instance_arn(ctx.arn("ecs", &format!("container-instance/{name}/{id}")))
                .ec2_instance_id(format!("i-{}", &id[..17]))
                .version(1)
                .status("ACTIVE")
                .agent_connected(true)
                .set_registered_resources(Some(vec![
                    int_resource("CPU", cap.cpu),
                    int_resource("MEMORY", cap.memory),
                    ports_resource("PORTS", AGENT_RESERVED_PORTS.map(str::to_owned)),
                    ports_resource("PORTS_UDP", []),
                ]))
                .set_attributes(Some(attributes))
                .registered_at(timestamp(ctx.now))
                .build())
        })
        .collect();
    rec.container_instances = Some(list);
}

/// A state saved before container instances were records: registers the world file's
/// instances of each cluster that has none yet.
pub fn adopt_world(state: &mut State) {
    let State { ecs, rules, .. } = state;
    for seed in &rules.clusters {
        if let Some(rec) = ecs.clusters.get_mut(seed.name())
            && rec.container_instances.is_none()
        {
            let ctx = ctx_of(rec, state.now);
            seed_cluster(rec, &ctx, seed);
        }
    }
}

/// A context whose ARNs use the cluster's region and account.
fn ctx_of(rec: &ClusterRecord, now: Epoch) -> Ctx {
    let arn = rec.cluster.cluster_arn().unwrap_or_default();
    let parts: Vec<&str> = arn.split(':').collect();
    Ctx {
        now,
        region: parts.get(3).copied().unwrap_or("us-east-1").to_owned(),
        account: parts.get(4).copied().unwrap_or("123456789012").to_owned(),
    }
}

/// The registered CPU units and MiB of an instance.
pub fn registered(ci: &ContainerInstance) -> (u32, u32) {
    let get = |name: &str| {
        ci.registered_resources()
            .iter()
            .find(|r| r.name() == Some(name))
            .map_or(0, |r| u32::try_from(r.integer_value()).unwrap_or(0))
    };
    (get("CPU"), get("MEMORY"))
}

/// The ID of a container instance ARN (or the ID itself).
pub fn instance_id(arn: &str) -> &str {
    short_name(arn)
}

/// What the tasks of a cluster hold on one instance.
#[derive(Debug, Default)]
struct Usage {
    cpu: u32,
    memory: u32,
    ports: BTreeSet<String>,
    ports_udp: BTreeSet<String>,
    running: i32,
    pending: i32,
}

/// Every task of the cluster that is not STOPPED, services' and standalone.
fn cluster_tasks(rec: &ClusterRecord) -> impl Iterator<Item = &TaskRecord> {
    rec.tasks
        .values()
        .chain(rec.services.values().flat_map(|s| s.tasks.values()))
        .filter(|t| t.task.last_status() != Some("STOPPED"))
}

fn task_definition<'a>(
    t: &TaskRecord,
    tds: &'a BTreeMap<String, Vec<TaskDefRecord>>,
) -> Option<&'a TaskDefinition> {
    let (family, rev) = short_name(t.task.task_definition_arn()?).rsplit_once(':')?;
    Some(
        &tds.get(family)?
            .get(rev.parse::<usize>().ok()?.checked_sub(1)?)?
            .task_definition,
    )
}

/// The host ports a task binds (ECS developer guide, "Task definition parameters",
/// `portMappings`): `hostPort` in `bridge` mode (0 or absent: an ephemeral port, which AWS
/// does not count among the instance's reserved ports), `hostPort` or else `containerPort` in
/// `host` mode; none in `awsvpc` mode (the task has its own network interface).
pub(crate) fn host_ports(td: &TaskDefinition) -> Vec<(bool, String)> {
    let mode = td.network_mode().cloned().unwrap_or(NetworkMode::Bridge);
    let mut out = Vec::new();
    for c in td.container_definitions() {
        for p in c.port_mappings() {
            let port = match mode {
                NetworkMode::Bridge => p.host_port().filter(|p| *p > 0),
                NetworkMode::Host => p.host_port().or(p.container_port()).filter(|p| *p > 0),
                _ => None,
            };
            if let Some(port) = port {
                let udp = p.protocol().map(|p| p.as_str()) == Some("udp");
                out.push((udp, port.to_string()));
            }
        }
    }
    out
}

fn usage_of(rec: &ClusterRecord, tds: &BTreeMap<String, Vec<TaskDefRecord>>, arn: &str) -> Usage {
    let mut u = Usage::default();
    for t in cluster_tasks(rec).filter(|t| t.task.container_instance_arn() == Some(arn)) {
        match t.task.last_status() {
            Some("RUNNING") => u.running += 1,
            _ => u.pending += 1,
        }
        if let Some(td) = task_definition(t, tds) {
            let (cpu, memory) = super::clusters::task_size(td);
            u.cpu += cpu;
            u.memory += memory;
            for (udp, port) in host_ports(td) {
                if udp {
                    u.ports_udp.insert(port);
                } else {
                    u.ports.insert(port);
                }
            }
        }
    }
    u
}

/// The instance as DescribeContainerInstances answers it: `remainingResources` (registered
/// minus what the cluster's tasks on it hold; ports added to the registered reserved ones),
/// the task counts, and `tags` / `healthStatus` only when `include` asks for them
/// (API_DescribeContainerInstances, `include`).
fn describe_one(
    rec: &ClusterRecord,
    tds: &BTreeMap<String, Vec<TaskDefRecord>>,
    ci: &ContainerInstance,
    include: &[ContainerInstanceField],
) -> ContainerInstance {
    let mut out = ci.clone();
    let u = usage_of(rec, tds, ci.container_instance_arn().unwrap_or_default());
    let (cpu, memory) = registered(ci);
    let with = |name: &str, extra: &BTreeSet<String>| {
        let mut ports: BTreeSet<String> = ci
            .registered_resources()
            .iter()
            .find(|r| r.name() == Some(name))
            .map(|r| r.string_set_value().iter().cloned().collect())
            .unwrap_or_default();
        ports.extend(extra.iter().cloned());
        ports_resource(name, ports)
    };
    out.remaining_resources = Some(vec![
        int_resource("CPU", cpu.saturating_sub(u.cpu)),
        int_resource("MEMORY", memory.saturating_sub(u.memory)),
        with("PORTS", &u.ports),
        with("PORTS_UDP", &u.ports_udp),
    ]);
    out.running_tasks_count = u.running;
    out.pending_tasks_count = u.pending;
    // Tags only when asked for, and left out when there are none.
    if !include.contains(&ContainerInstanceField::Tags) || out.tags().is_empty() {
        out.tags = None;
    }
    out.health_status = include
        .contains(&ContainerInstanceField::ContainerInstanceHealth)
        .then(|| {
            // API_ContainerInstanceHealthStatus: the container runtime check is the one the
            // agent reports; a simulated runtime is always reachable, so it is OK.
            let at = ci.registered_at().copied();
            ContainerInstanceHealthStatus::builder()
                .overall_status(InstanceHealthCheckState::Ok)
                .details(
                    InstanceHealthCheckResult::builder()
                        .r#type(InstanceHealthCheckType::ContainerRuntime)
                        .status(InstanceHealthCheckState::Ok)
                        .set_last_updated(at)
                        .set_last_status_change(at)
                        .build(),
                )
                .build()
        });
    out
}

/// Finds an instance of the cluster by ID or ARN (deregistered ones included).
fn find<'a>(rec: &'a ClusterRecord, id: &str) -> Option<&'a Sdk<ContainerInstance>> {
    rec.container_instances.as_ref()?.iter().find(|ci| {
        ci.container_instance_arn()
            .is_some_and(|arn| arn == id || instance_id(arn) == id)
    })
}

/// The wording AWS uses for an unknown container instance is not documented.
fn instance_not_found(id: &str) -> ApiError {
    ApiError::invalid_parameter(format!("Container instance {id} not found."))
}

pub fn register(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, RegisterContainerInstanceInput::deserialize)?;
    let name = cluster_name(&state.ecs, input.cluster())?;
    // The agent always sends CPU and MEMORY among `totalResources`; what AWS answers when they
    // are missing is not documented: refused here, since such an instance could hold no task.
    let total = input.total_resources();
    let value = |n: &str| {
        total
            .iter()
            .find(|r| r.name() == Some(n))
            .map(Resource::integer_value)
    };
    let (Some(cpu), Some(memory)) = (value("CPU"), value("MEMORY")) else {
        return Err(ApiError::invalid_parameter(
            "totalResources must include CPU and MEMORY.",
        ));
    };
    if cpu < 0 || memory < 0 {
        return Err(ApiError::invalid_parameter(
            "totalResources CPU and MEMORY must not be negative.",
        ));
    }
    let ports = |n: &str| -> Vec<String> {
        total
            .iter()
            .find(|r| r.name() == Some(n))
            .map(|r| r.string_set_value().to_vec())
            .unwrap_or_default()
    };
    let resources = vec![
        int_resource("CPU", cpu.unsigned_abs()),
        int_resource("MEMORY", memory.unsigned_abs()),
        ports_resource("PORTS", ports("PORTS")),
        ports_resource("PORTS_UDP", ports("PORTS_UDP")),
    ];
    // The instance identity document (JSON of the EC2 metadata service) names the instance,
    // its type and zone; the agent's attributes carry them too (developer guide, "container
    // instance attributes").
    let doc: serde_json::Value = input
        .instance_identity_document()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    let doc_field = |k: &str| doc.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let mut attributes = input.attributes().to_vec();
    for (attr, field) in [
        ("ecs.instance-type", "instanceType"),
        ("ecs.availability-zone", "availabilityZone"),
        ("ecs.ami-id", "imageId"),
    ] {
        if let Some(v) = doc_field(field)
            && !attributes.iter().any(|a| a.name() == attr)
            && let Some(a) = attribute(attr, Some(&v))
        {
            attributes.push(a);
        }
    }
    let ids = &mut state.ids;
    let rec = state
        .ecs
        .clusters
        .get_mut(&name)
        .ok_or_else(super::cluster_not_found)?;
    // API_RegisterContainerInstance, `containerInstanceArn`: "The ARN of the container instance
    // (if it was previously registered)": the agent re-registers with it and keeps its ID.
    if let Some(arn) = input.container_instance_arn() {
        let list = rec.container_instances.get_or_insert_with(Vec::new);
        let Some(ci) = list.iter_mut().find(|ci| {
            ci.container_instance_arn()
                .is_some_and(|a| a == arn || instance_id(a) == arn)
        }) else {
            return Err(instance_not_found(arn));
        };
        ci.registered_resources = Some(resources);
        ci.attributes = Some(attributes);
        ci.version_info = input.version_info().cloned().or(ci.version_info.take());
        ci.version += 1;
        ci.status = Some("ACTIVE".to_owned());
        ci.agent_connected = true;
        let out = ci.0.clone();
        let all = [ContainerInstanceField::Tags];
        let answer = describe_one(rec, &state.ecs.task_definitions, &out, &all);
        return Ok(encode(
            &RegisterContainerInstanceOutput::builder()
                .container_instance(answer)
                .build(),
        ));
    }
    let id = ids.hex_id();
    let ec2_id = doc_field("instanceId").unwrap_or_else(|| format!("i-{}", &id[..17]));
    let tags = input.tags().to_vec();
    let ci = ContainerInstance::builder()
        .container_instance_arn(ctx.arn("ecs", &format!("container-instance/{name}/{id}")))
        .ec2_instance_id(ec2_id)
        .version(1)
        .set_version_info(Some(
            input
                .version_info()
                .cloned()
                .unwrap_or_else(|| VersionInfo::builder().build()),
        ))
        .status("ACTIVE")
        .agent_connected(true)
        .set_registered_resources(Some(resources))
        .set_attributes(Some(attributes))
        .registered_at(timestamp(ctx.now))
        .set_tags((!tags.is_empty()).then_some(tags))
        .build();
    rec.container_instances
        .get_or_insert_with(Vec::new)
        .push(Sdk(ci.clone()));
    let all = [ContainerInstanceField::Tags];
    let answer = describe_one(rec, &state.ecs.task_definitions, &ci, &all);
    Ok(encode(
        &RegisterContainerInstanceOutput::builder()
            .container_instance(answer)
            .build(),
    ))
}

pub fn list(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, ListContainerInstancesInput::deserialize)?;
    let name = cluster_name(&state.ecs, input.cluster())?;
    // API_ListContainerInstances, `maxResults`: "This value can be between 1 and 100."
    if let Some(m) = input.max_results()
        && !(1..=100).contains(&m)
    {
        return Err(ApiError::invalid_parameter(
            "maxResults must be between 1 and 100.",
        ));
    }
    let status = match input.status() {
        None => None,
        Some(s) if ContainerInstanceStatus::values().contains(&s.as_str()) => {
            Some(s.as_str().to_owned())
        }
        Some(s) => {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid status: {}.",
                s.as_str()
            )));
        }
    };
    let query = match input.filter() {
        Some(f) if !f.trim().is_empty() => Some(super::cluster_query::parse(f)?),
        _ => None,
    };
    let rec = state
        .ecs
        .clusters
        .get(&name)
        .ok_or_else(super::cluster_not_found)?;
    let tds = &state.ecs.task_definitions;
    let arns: Vec<String> = rec
        .container_instances
        .iter()
        .flatten()
        // `status`: "If you don't specify this parameter, the default is to include container
        // instances set to all states other than INACTIVE."
        .filter(|ci| match &status {
            Some(s) => ci.status() == Some(s.as_str()),
            None => ci.status() != Some("INACTIVE"),
        })
        .filter(|ci| {
            query
                .as_ref()
                .is_none_or(|q| q.matches(&describe_one(rec, tds, ci, &[])))
        })
        .filter_map(|ci| ci.container_instance_arn().map(str::to_owned))
        .collect();
    let (page, next) = super::paginate(&arns, input.next_token(), input.max_results(), 100)?;
    Ok(encode(
        &ListContainerInstancesOutput::builder()
            .set_container_instance_arns(Some(page))
            .set_next_token(next)
            .build(),
    ))
}

pub fn describe(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, DescribeContainerInstancesInput::deserialize)?;
    // The cluster is checked first: an unknown cluster is ClusterNotFoundException whatever
    // the instances named (API_DescribeContainerInstances, Errors).
    let name = cluster_name(&state.ecs, input.cluster())?;
    let wanted = input.container_instances();
    // `containerInstances` is required; at most 100 (API_DescribeContainerInstances). AWS's
    // wording of both messages is not documented.
    if wanted.is_empty() {
        return Err(ApiError::invalid_parameter(
            "containerInstances can not be empty.",
        ));
    }
    if wanted.len() > 100 {
        return Err(ApiError::invalid_parameter(
            "containerInstances can have at most 100 items.",
        ));
    }
    let rec = state
        .ecs
        .clusters
        .get(&name)
        .ok_or_else(super::cluster_not_found)?;
    let mut out = DescribeContainerInstancesOutput::builder()
        .set_container_instances(Some(Vec::new()))
        .set_failures(Some(Vec::new()));
    for id in wanted {
        match find(rec, id) {
            Some(ci) => {
                out = out.container_instances(describe_one(
                    rec,
                    &state.ecs.task_definitions,
                    ci,
                    input.include(),
                ));
            }
            // API_Failure: `MISSING` with the ARN asked for.
            None => {
                let arn = if id.starts_with("arn:") {
                    id.clone()
                } else {
                    ctx.arn("ecs", &format!("container-instance/{name}/{id}"))
                };
                out = out.failures(Failure::builder().arn(arn).reason("MISSING").build());
            }
        }
    }
    Ok(encode(&out.build()))
}

pub fn deregister(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, DeregisterContainerInstanceInput::deserialize)?;
    let name = cluster_name(&state.ecs, input.cluster())?;
    let id = input
        .container_instance()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid_parameter("containerInstance can not be blank."))?
        .to_owned();
    let rec = state
        .ecs
        .clusters
        .get_mut(&name)
        .ok_or_else(super::cluster_not_found)?;
    let arn = find(rec, &id)
        .filter(|ci| ci.status() != Some("INACTIVE"))
        .and_then(|ci| ci.container_instance_arn())
        .ok_or_else(|| instance_not_found(&id))?
        .to_owned();
    let on_it: Vec<String> = cluster_tasks(rec)
        .filter(|t| t.task.container_instance_arn() == Some(arn.as_str()))
        .map(|t| t.id().to_owned())
        .collect();
    // API_DeregisterContainerInstance, `force`: without it an instance that still runs tasks
    // is not deregistered (the wording of AWS's refusal is not documented). With it the tasks
    // "remain running … but they're orphaned (no longer monitored or accounted for by Amazon
    // ECS)", and a service "starts another copy of that task": the simulator forgets them, so
    // the service scheduler replaces them on the next reconciliation.
    if !on_it.is_empty() && !input.force().unwrap_or(false) {
        return Err(ApiError::invalid_parameter(format!(
            "Found {} running tasks on the container instance; stop them or use force to deregister it.",
            on_it.len()
        )));
    }
    let mut services = Vec::new();
    for id in &on_it {
        rec.tasks.remove(id);
        for (name, s) in &mut rec.services {
            if s.tasks.remove(id).is_some() {
                s.steady = false;
                services.push(name.clone());
            }
        }
    }
    let tds = &state.ecs.task_definitions;
    let Some(ci) = rec
        .container_instances
        .iter_mut()
        .flatten()
        .find(|ci| ci.container_instance_arn() == Some(arn.as_str()))
    else {
        return Err(instance_not_found(&id));
    };
    // A deregistered instance is INACTIVE and its agent disconnected; it can still be described
    // (API_ContainerInstance, `status`).
    ci.status = Some("INACTIVE".to_owned());
    ci.agent_connected = false;
    let ci = ci.0.clone();
    let answer = describe_one(rec, tds, &ci, &[ContainerInstanceField::Tags]);
    services.dedup();
    for service in services {
        super::scheduler::reconcile_now(state, ctx, &name, &service);
    }
    Ok(encode(
        &DeregisterContainerInstanceOutput::builder()
            .container_instance(answer)
            .build(),
    ))
}

pub fn update_state(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
    let input = decode(body, UpdateContainerInstancesStateInput::deserialize)?;
    let name = cluster_name(&state.ecs, input.cluster())?;
    // API_UpdateContainerInstancesState, `status`: "The container instance state to update
    // the container instance with. The only valid values for this action are ACTIVE and
    // DRAINING."
    let status = match input.status() {
        Some(ContainerInstanceStatus::Active) => "ACTIVE",
        Some(ContainerInstanceStatus::Draining) => "DRAINING",
        _ => {
            return Err(ApiError::invalid_parameter(
                "Container instances status can only be ACTIVE or DRAINING.",
            ));
        }
    };
    if input.container_instances().is_empty() {
        return Err(ApiError::invalid_parameter(
            "containerInstances can not be empty.",
        ));
    }
    let rec = state
        .ecs
        .clusters
        .get_mut(&name)
        .ok_or_else(super::cluster_not_found)?;
    let mut changed = Vec::new();
    let mut failures = Vec::new();
    for id in input.container_instances() {
        let found = rec.container_instances.iter_mut().flatten().find(|ci| {
            ci.status() != Some("INACTIVE")
                && ci
                    .container_instance_arn()
                    .is_some_and(|arn| arn == id || instance_id(arn) == id)
        });
        match found {
            Some(ci) => {
                if ci.status() != Some(status) {
                    ci.status = Some(status.to_owned());
                    ci.version += 1;
                }
                changed.push(ci.0.clone());
            }
            None => failures.push(
                Failure::builder()
                    .arn(if id.starts_with("arn:") {
                        id.clone()
                    } else {
                        ctx.arn("ecs", &format!("container-instance/{name}/{id}"))
                    })
                    .reason("MISSING")
                    .build(),
            ),
        }
    }
    let tds = &state.ecs.task_definitions;
    let answers = changed
        .iter()
        .map(|ci| describe_one(rec, tds, ci, &[]))
        .collect();
    Ok(encode(
        &UpdateContainerInstancesStateOutput::builder()
            .set_container_instances(Some(answers))
            .set_failures(Some(failures))
            .build(),
    ))
}

/// The instances of the cluster that take new tasks, in registration order, with their
/// registered CPU and memory: ACTIVE ones (a DRAINING instance takes no new task, API
/// UpdateContainerInstancesState; an INACTIVE one is deregistered). `None` when the cluster's
/// EC2 capacity is not modelled.
pub fn placeable(rec: &ClusterRecord) -> Option<Vec<super::placement::Slot>> {
    let list = rec.container_instances.as_ref()?;
    Some(
        list.iter()
            .filter(|ci| ci.status() == Some("ACTIVE"))
            .filter_map(|ci| {
                Some(super::placement::Slot {
                    arn: ci.container_instance_arn()?.to_owned(),
                    registered: registered(ci),
                    instance: ci.0.clone(),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use serde_json::{Value, json};

    use crate::testkit::Kit;

    const WORLD: &str = "clusters: [{name: default, containerInstances: [{cpu: 1024, memory: 2048}]}]\ntaskStartDelaySeconds: 10\ntaskStopDelaySeconds: 2\ntaskStartJitter: 0\n";

    fn describe(kit: &mut Kit, at: f64) -> Value {
        let arns = kit.call("ecs", "ListContainerInstances", at, json!({}));
        let out = kit.call(
            "ecs",
            "DescribeContainerInstances",
            at,
            json!({"containerInstances": arns["containerInstanceArns"]}),
        );
        out["containerInstances"][0].clone()
    }

    fn remaining(ci: &Value, name: &str) -> i64 {
        ci["remainingResources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()["integerValue"]
            .as_i64()
            .unwrap()
    }

    // API_ContainerInstance: `remainingResources` ("for tasks that are running", the scheduler's
    // reservations: a task holds its CPU and memory from placement until it is STOPPED),
    // `pendingTasksCount` / `runningTasksCount`, on the world clock as a service's tasks start
    // and as a scale-in stops them.
    #[test]
    fn remaining_resources_follow_a_services_tasks_on_the_world_clock() {
        let mut kit = Kit::new(WORLD);
        kit.register_definition(json!({
            "family": "web",
            "requiresCompatibilities": ["EC2"],
            "containerDefinitions": [{"name": "app", "image": "web:1", "cpu": 256, "memory": 512, "essential": true}],
        }));
        kit.call(
            "ecs",
            "CreateService",
            0.0,
            json!({"serviceName": "web", "taskDefinition": "web", "desiredCount": 3, "launchType": "EC2"}),
        );
        let ci = describe(&mut kit, 1.0);
        assert_eq!(ci["pendingTasksCount"], 3);
        assert_eq!(ci["runningTasksCount"], 0);
        assert_eq!(remaining(&ci, "CPU"), 1024 - 3 * 256);
        assert_eq!(remaining(&ci, "MEMORY"), 2048 - 3 * 512);

        kit.step(10.0);
        let ci = describe(&mut kit, 10.0);
        assert_eq!(ci["pendingTasksCount"], 0);
        assert_eq!(ci["runningTasksCount"], 3);

        kit.call(
            "ecs",
            "UpdateService",
            20.0,
            json!({"service": "web", "desiredCount": 1}),
        );
        let stopping = describe(&mut kit, 20.0);
        assert_eq!(
            remaining(&stopping, "MEMORY"),
            2048 - 3 * 512,
            "a stopping task holds its memory until STOPPED"
        );
        kit.step(22.0);
        let ci = describe(&mut kit, 22.0);
        assert_eq!(ci["runningTasksCount"], 1);
        assert_eq!(remaining(&ci, "CPU"), 1024 - 256);
        assert_eq!(remaining(&ci, "MEMORY"), 2048 - 512);
    }
}
