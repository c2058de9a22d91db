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
//! with `HOOK_EXECUTION_FAILURE`.
//!
//! A rollback is a deployment of its own (user guide, "deployments-rollback-and-redeploy":
//! "technically new deployments, with new deployment IDs"): when a deployment fails or is stopped
//! and an event of its `autoRollbackConfiguration.events` says so (or StopDeployment's
//! `autoRollbackEnabled`), a deployment with creator `codeDeployRollback` starts; the two name
//! each other in `rollbackInfo`. It moves production traffic back to the original task set over
//! [`ROLLBACK_REROUTE_SECONDS`] of world time, then deletes the replacement task set, and holds
//! the group like any deployment in progress (`DeploymentLimitExceededException`).
//!
//! Applications, groups and deployments are the SDK's own types (`ApplicationInfo`,
//! `DeploymentGroupInfo`, `DeploymentInfo`, `EcsTarget`); groups are created from the input of
//! `CreateDeploymentGroup` through the codec, so every member a client sends is kept.
//!
//! Not simulated: EC2/on-premises and Lambda platforms, custom deployment configurations,
//! alarms, triggers, `PutLifecycleEventHookExecutionStatus` (hook outcomes come from the world
//! file; AWS's own wording of hook failure messages is not known to us, ours is close), the
//! `Baking` status (the model has it, but no ECS document says when an ECS deployment reports it).
//!
//! # Modules
//! This module holds the state, the dispatch of operations ([`handle`]) and a few shared
//! helpers. The operations live in `applications` (applications and deployment groups),
//! `configs` (the predefined deployment configurations), `deployments` (create, get, list, stop,
//! continue) and `targets` (deployment targets); what happens over time in `lifecycle` (the
//! lifecycle-event walk, [`step`] and [`next_event`]) and `traffic` (task sets, traffic weights
//! and the target's `taskSetsInfo`).

mod applications;
mod configs;
mod deployments;
mod lifecycle;
mod tags;
mod targets;
mod traffic;

use aws_sdk_codedeploy::types::{
    ApplicationInfo, DeploymentGroupInfo, DeploymentInfo, DeploymentOverview, DeploymentStatus,
    EcsTarget,
};
use serde::{Deserialize, Serialize};

use crate::clock::Epoch;
use crate::codec::Sdk;
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};

pub use applications::seed;
pub use lifecycle::{next_event, step};

/// World seconds a lifecycle hook named in the AppSpec takes.
pub const HOOK_SECONDS: f64 = 5.0;
/// World seconds until a hook that never reports times out (AWS allows a hook an hour).
pub const HOOK_TIMEOUT_SECONDS: f64 = 3600.0;
/// World seconds a rollback deployment takes to move production traffic back to the original
/// task set before it deletes the replacement one. AWS documents no figure; ours.
pub const ROLLBACK_REROUTE_SECONDS: f64 = 5.0;
/// Minutes Install waits for the replacement task set to reach a steady state before it fails the
/// deployment, unless the world file's `codeDeploy.installTimeoutMinutes` says otherwise. The
/// CodeDeploy documents describe the wait ("deployment-steps-ecs": Install) but give no figure
/// that we could find; an hour is our choice.
pub const INSTALL_TIMEOUT_MINUTES: f64 = 60.0;
/// The lifecycle events of a rollback deployment. AWS does not document which events an ECS
/// rollback deployment reports; ours reports the one that moves traffic back.
const ROLLBACK_EVENTS: [&str; 1] = ["AllowTraffic"];

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
    /// Tags of applications and deployment groups, by ARN.
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, Vec<Sdk<aws_sdk_codedeploy::types::Tag>>>,
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
    /// The deployment this one rolls back; `None` for a deployment a client created.
    #[serde(default)]
    pub rollback_of: Option<String>,
    /// When Install gives up waiting for a steady replacement task set.
    #[serde(default)]
    pub install_until: Option<Epoch>,
}

fn cd_error(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(code, message)
}

/// Handles one CodeDeploy operation; `None` when it is not simulated.
pub fn handle(state: &mut State, ctx: &Ctx, op: &str, body: &[u8]) -> Option<ApiResult> {
    use self::{applications as apps, configs, deployments as deps, targets};
    Some(match op {
        "CreateApplication" => apps::create_application(state, ctx, body),
        "GetApplication" => apps::get_application(state, body),
        "ListApplications" => apps::list_applications(state, body),
        "BatchGetApplications" => apps::batch_get_applications(state, body),
        "CreateDeploymentGroup" => apps::create_group(state, ctx, body),
        "GetDeploymentGroup" => apps::get_group(state, body),
        "BatchGetDeploymentGroups" => apps::batch_get_groups(state, body),
        "ListDeploymentGroups" => apps::list_groups(state, body),
        "GetDeploymentConfig" => configs::get_config(body),
        "CreateDeployment" => deps::create_deployment(state, ctx, body),
        "GetDeployment" => deps::get_deployment(state, body),
        "BatchGetDeployments" => deps::batch_get_deployments(state, body),
        "ListDeployments" => deps::list_deployments(state, body),
        "ListDeploymentTargets" => targets::list_targets(state, body),
        "GetDeploymentTarget" => targets::get_target(state, body),
        "BatchGetDeploymentTargets" => targets::batch_get_targets(state, body),
        "StopDeployment" => deps::stop_deployment(state, ctx, body),
        "ContinueDeployment" => deps::continue_deployment(state, ctx, body),
        "TagResource" => tags::tag_resource(state, body),
        "UntagResource" => tags::untag_resource(state, body),
        "ListTagsForResource" => tags::list_tags(state, body),
        _ => return None,
    })
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

fn overview(pending: i64, in_progress: i64, succeeded: i64, failed: i64) -> DeploymentOverview {
    DeploymentOverview::builder()
        .pending(pending)
        .in_progress(in_progress)
        .succeeded(succeeded)
        .failed(failed)
        .build()
}

/// The position of deployment `id` in the state.
fn index_of(state: &State, id: &str) -> Option<usize> {
    state
        .codedeploy
        .deployments
        .iter()
        .position(|d| d.info.deployment_id() == Some(id))
}
