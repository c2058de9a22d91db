//! Amazon ECS (`AmazonEC2ContainerServiceV20141113.*`).
//!
//! - [`clusters`], [`container_instances`], [`task_definitions`], [`services`], [`tasks`], [`task_sets`],
//!   [`service_deployments`], [`tags`]: the API operations, each decoding the SDK input type and
//!   answering the SDK output type.
//! - [`scheduler`]: what happens over time — task start and stop, rolling replacement, native
//!   blue/green, linear and canary strategies, the circuit breaker, service events.
//!
//! Services with the `CODE_DEPLOY` or `EXTERNAL` deployment controller run their tasks through
//! task sets. The CodeDeploy simulator drives them with the same functions the task-set API uses
//! ([`task_sets::create_task_set`], [`task_sets::set_scale`], [`task_sets::make_primary`],
//! [`task_sets::delete_task_set`]); the scheduler then starts and stops the tasks and reports
//! each task set's `runningCount` and `stabilityStatus`.

pub mod account_settings;
pub mod capacity_providers;
pub mod cluster_query;
pub mod clusters;
pub mod container_instances;
pub mod execute_command;
pub mod placement;
pub mod scheduler;
pub mod service_deployments;
pub mod services;
pub mod tags;
pub mod task_definitions;
pub mod task_sets;
pub mod tasks;
pub mod validate;

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{Cluster, ServiceDeployment, ServiceRevision, Tag, Task, TaskDefinition};
use serde::{Deserialize, Serialize};

use crate::clock::Epoch;
use crate::codec::Sdk;
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};
use crate::world::World;

/// The ECS part of the world.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EcsState {
    /// Clusters by name.
    pub clusters: BTreeMap<String, ClusterRecord>,
    /// Task definition revisions by family, in revision order (index = revision - 1).
    pub task_definitions: BTreeMap<String, Vec<TaskDefRecord>>,
    /// Capacity providers created with CreateCapacityProvider, by name (FARGATE and
    /// FARGATE_SPOT are not stored: every account has them).
    #[serde(default)]
    pub capacity_providers: BTreeMap<String, Sdk<aws_sdk_ecs::types::CapacityProvider>>,
    /// Account settings changed with PutAccountSetting(Default): principal ARN → name → value.
    #[serde(default)]
    pub account_settings: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterRecord {
    pub cluster: Sdk<Cluster>,
    /// Services by name (INACTIVE ones are kept until the name is reused).
    pub services: BTreeMap<String, ServiceRecord>,
    /// Tasks not owned by a service (RunTask), by task ID.
    pub tasks: BTreeMap<String, TaskRecord>,
    /// Container instances in registration order (deregistered ones stay, INACTIVE); `None`
    /// while the cluster's EC2 capacity is not modelled (see [`container_instances`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_instances: Option<Vec<Sdk<aws_sdk_ecs::types::ContainerInstance>>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefRecord {
    pub task_definition: Sdk<TaskDefinition>,
    #[serde(default)]
    pub tags: Vec<Sdk<Tag>>,
}

/// A service: the SDK `Service` as DescribeServices returns it (deployments, task sets and events
/// included), its tasks, and the scheduler's bookkeeping.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRecord {
    pub service: Sdk<aws_sdk_ecs::types::Service>,
    /// Tasks started for this service, by task ID (stopped ones are kept for an hour).
    #[serde(default)]
    pub tasks: BTreeMap<String, TaskRecord>,
    /// Scheduler state of each entry of `service.deployments` (same IDs).
    #[serde(default)]
    pub rollouts: Vec<Rollout>,
    /// Service deployments (ListServiceDeployments), oldest first.
    #[serde(default)]
    pub service_deployments: Vec<Sdk<ServiceDeployment>>,
    /// Service revisions, oldest first.
    #[serde(default)]
    pub revisions: Vec<Sdk<ServiceRevision>>,
    /// The last deployment that completed: where the circuit breaker rolls back to.
    pub last_good: Option<LastGood>,
    /// Whether the service was in a steady state at the last reconciliation.
    #[serde(default)]
    pub steady: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastGood {
    pub deployment_id: String,
    pub task_definition: String,
    pub revision_arn: String,
}

/// The scheduler's view of one ECS-controller deployment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rollout {
    pub deployment_id: String,
    pub service_deployment_arn: String,
    pub revision_arn: String,
    /// Failures counted by the circuit breaker (reset when a task becomes healthy).
    #[serde(default)]
    pub breaker_failures: i32,
    /// Consecutive tasks that never reached RUNNING (service throttle logic).
    #[serde(default)]
    pub start_failures: i32,
    /// No task is launched before this world time (restart back-off).
    #[serde(default)]
    pub launch_after: Epoch,
    /// The deployment no longer launches tasks (circuit breaker without rollback, or stopped).
    #[serde(default)]
    pub halted: bool,
    /// This deployment is a rollback started by the circuit breaker or StopServiceDeployment.
    #[serde(default)]
    pub is_rollback: bool,
    /// Native strategy stage (BLUE_GREEN, LINEAR, CANARY), when one is in progress.
    pub stage: Option<String>,
    #[serde(default)]
    pub stage_until: Epoch,
    /// Production traffic on this deployment, in percent (native strategies).
    #[serde(default)]
    pub traffic: f64,
    /// Lifecycle hook runs and traffic shift steps (native strategies).
    #[serde(default)]
    pub lifecycle: scheduler::hooks::Lifecycle,
}

/// A task and its timeline.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskRecord {
    pub task: Sdk<Task>,
    /// The deployment or task set that started it.
    pub owner: Option<String>,
    /// When it becomes RUNNING.
    pub ready_at: Epoch,
    /// A scheduled exit of its essential container (failure rules).
    pub exit: Option<TaskExit>,
    /// When a requested stop completes.
    pub stop_at: Option<Epoch>,
    /// When a stopping task's targets have drained (it is DEACTIVATING until then, STOPPING
    /// after); `None` when it has none draining.
    #[serde(default)]
    pub drain_until: Option<Epoch>,
    pub stopped_at: Option<Epoch>,
    /// The RunTask `clientToken` that started it: the same token again
    /// returns these tasks instead of starting new ones.
    #[serde(default)]
    pub client_token: Option<String>,
    /// Health and container changes due once RUNNING (see `tasks::TaskHealth`).
    #[serde(default)]
    pub health: tasks::TaskHealth,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskExit {
    pub at: Epoch,
    pub exit_code: i32,
    pub stopped_reason: String,
    pub container_reason: Option<String>,
    /// The container that exits (the one the failure rule matched).
    #[serde(default)]
    pub container: Option<String>,
}

/// Creates the clusters of the world file.
pub fn seed(state: &mut State, ctx: &Ctx, world: &World) {
    for seed in &world.clusters {
        let tags = match seed {
            crate::world::ClusterSeed::Full { tags, .. } => tags
                .iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect(),
            crate::world::ClusterSeed::Name(_) => Vec::new(),
        };
        clusters::insert_cluster(&mut state.ecs, ctx, seed.name(), tags);
        if let Some(rec) = state.ecs.clusters.get_mut(seed.name()) {
            rec.cluster.capacity_providers = Some(seed.capacity_providers());
            container_instances::seed_cluster(rec, ctx, seed);
        }
    }
}

/// Handles one ECS operation; `None` when the operation is not simulated.
pub fn handle(state: &mut State, ctx: &Ctx, op: &str, body: &[u8]) -> Option<ApiResult> {
    Some(match op {
        "CreateCluster" => clusters::create_cluster(state, ctx, body),
        "DescribeClusters" => clusters::describe_clusters(state, ctx, body),
        "ListClusters" => clusters::list_clusters(state, body),
        "DeleteCluster" => clusters::delete_cluster(state, body),
        "UpdateCluster" => clusters::update_cluster(state, ctx, body),
        "UpdateClusterSettings" => clusters::update_cluster_settings(state, ctx, body),
        "CreateCapacityProvider" => capacity_providers::create(state, ctx, body),
        "UpdateCapacityProvider" => capacity_providers::update(state, body),
        "DeleteCapacityProvider" => capacity_providers::delete(state, body),
        "DescribeCapacityProviders" => capacity_providers::describe(state, ctx, body),
        "PutClusterCapacityProviders" => {
            capacity_providers::put_cluster_capacity_providers(state, ctx, body)
        }
        "RegisterContainerInstance" => container_instances::register(state, ctx, body),
        "ListContainerInstances" => container_instances::list(state, body),
        "DescribeContainerInstances" => container_instances::describe(state, ctx, body),
        "DeregisterContainerInstance" => container_instances::deregister(state, ctx, body),
        "UpdateContainerInstancesState" => container_instances::update_state(state, ctx, body),
        "PutAccountSetting" => account_settings::put(state, ctx, body),
        "PutAccountSettingDefault" => account_settings::put_default(state, ctx, body),
        "DeleteAccountSetting" => account_settings::delete(state, ctx, body),
        "ListAccountSettings" => account_settings::list(state, ctx, body),
        "RegisterTaskDefinition" => task_definitions::register(state, ctx, body),
        "DescribeTaskDefinition" => task_definitions::describe(state, body),
        "ListTaskDefinitions" => task_definitions::list(state, body),
        "ListTaskDefinitionFamilies" => task_definitions::list_families(state, body),
        "DeregisterTaskDefinition" => task_definitions::deregister(state, ctx, body),
        "DeleteTaskDefinitions" => task_definitions::delete(state, ctx, body),
        "CreateService" => services::create_service(state, ctx, body),
        "UpdateService" => services::update_service(state, ctx, body),
        "DescribeServices" => services::describe_services(state, ctx, body),
        "DeleteService" => services::delete_service(state, ctx, body),
        "ListServices" => services::list_services(state, body),
        "ListServiceDeployments" => service_deployments::list(state, body),
        "DescribeServiceDeployments" => service_deployments::describe(state, body),
        "DescribeServiceRevisions" => service_deployments::describe_revisions(state, body),
        "StopServiceDeployment" => service_deployments::stop(state, ctx, body),
        "ContinueServiceDeployment" => service_deployments::continue_deployment(state, ctx, body),
        "ListTasks" => tasks::list_tasks(state, body),
        "DescribeTasks" => tasks::describe_tasks(state, body),
        "RunTask" => tasks::run_task(state, ctx, body),
        "StopTask" => tasks::stop_task(state, ctx, body),
        "ExecuteCommand" => execute_command::execute_command(state, ctx, body),
        "CreateTaskSet" => task_sets::create(state, ctx, body),
        "DescribeTaskSets" => task_sets::describe(state, body),
        "UpdateTaskSet" => task_sets::update(state, ctx, body),
        "UpdateServicePrimaryTaskSet" => task_sets::update_primary(state, ctx, body),
        "DeleteTaskSet" => task_sets::delete(state, ctx, body),
        "TagResource" => tags::tag_resource(state, body),
        "UntagResource" => tags::untag_resource(state, body),
        "ListTagsForResource" => tags::list_tags(state, body),
        _ => return None,
    })
}

/// The last path segment of an ARN or a plain name: `arn:...:cluster/prod` → `prod`.
pub fn short_name(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

/// The cluster named by a request (`default` when absent); `ClusterNotFoundException` otherwise.
pub fn cluster_name(ecs: &EcsState, cluster: Option<&str>) -> Result<String, ApiError> {
    let name = short_name(cluster.unwrap_or("default"));
    match ecs.clusters.get(name) {
        Some(c) if c.cluster.status() != Some("INACTIVE") => Ok(name.to_owned()),
        _ => Err(cluster_not_found()),
    }
}

pub fn cluster_not_found() -> ApiError {
    ApiError::new("ClusterNotFoundException", "Cluster not found.")
}

pub fn service_not_found() -> ApiError {
    ApiError::new("ServiceNotFoundException", "Service not found.")
}

/// The service ARN name part of a service ARN (`arn:...:service/cluster/name` or old-style
/// `arn:...:service/name`) or plain name.
pub fn service_name(id: &str) -> &str {
    short_name(id)
}

/// Converts a tag list of the wire to owned SDK tags.
pub fn ecs_tags(tags: Option<&[Tag]>) -> Vec<Tag> {
    tags.map(<[Tag]>::to_vec).unwrap_or_default()
}

/// Parses a `nextToken` (an offset) and applies `maxResults` to a list.
pub fn paginate<T: Clone>(
    items: &[T],
    next_token: Option<&str>,
    max_results: Option<i32>,
    default_max: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let start = match next_token {
        None | Some("") => 0,
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| ApiError::invalid_parameter("Invalid nextToken."))?,
    };
    let max = match max_results {
        Some(m) if m > 0 => m as usize,
        _ => default_max,
    };
    let end = (start + max).min(items.len());
    let page = items.get(start..end).map(<[T]>::to_vec).unwrap_or_default();
    let next = (end < items.len()).then(|| end.to_string());
    Ok((page, next))
}
