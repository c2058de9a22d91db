//! CodeDeploy (`CodeDeploy_20141006.*`): not served yet. The world file's applications and
//! deployment groups are kept here (as the JSON inputs of `CreateApplication` and
//! `CreateDeploymentGroup`) so that a state file written now stays usable.
//!
//! # Where CodeDeploy plugs in
//! - Add `aws-sdk-codedeploy` (types only, `default-features = false`) and a `handle(state, ctx,
//!   op, body) -> Option<ApiResult>` here, like [`crate::ecs::handle`]; the server already routes
//!   the `CodeDeploy_20141006` target prefix to [`handle`].
//! - Keep applications, deployment groups and deployments as SDK types in [`CodeDeployState`]
//!   (wrapped in [`crate::codec::Sdk`] for the state file).
//! - An ECS blue/green deployment drives the service's task sets with
//!   [`crate::ecs::task_sets::create_task_set`] (green, scale 100 %),
//!   [`crate::ecs::task_sets::make_primary`] (traffic shifted to green),
//!   [`crate::ecs::task_sets::delete_task_set`] (blue removed, or green on rollback), then
//!   [`crate::ecs::scheduler::reconcile_now`]. Lifecycle hooks and traffic-shift steps are timed
//!   events: add their times to the scheduler's `next_event` (or a `next_event` here, called from
//!   [`crate::state::State::advance`]) so the clock stops at them.

use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::state::{Ctx, State};
use crate::world::World;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeDeployState {
    #[serde(default)]
    pub applications: Vec<serde_json::Value>,
    #[serde(default)]
    pub deployment_groups: Vec<serde_json::Value>,
    #[serde(default)]
    pub target_groups: Vec<serde_json::Value>,
}

pub fn seed(state: &mut State, world: &World) {
    state.codedeploy.applications = world.code_deploy.applications.clone();
    state.codedeploy.deployment_groups = world.code_deploy.deployment_groups.clone();
    state.codedeploy.target_groups = world.target_groups.clone();
}

/// No CodeDeploy operation is simulated yet: every one answers `UnknownOperationException`.
pub fn handle(_state: &mut State, _ctx: &Ctx, _op: &str, _body: &[u8]) -> Option<ApiResult> {
    None
}
