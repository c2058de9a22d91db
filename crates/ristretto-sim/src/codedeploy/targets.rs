//! Deployment targets (ListDeploymentTargets, GetDeploymentTarget, BatchGetDeploymentTargets):
//! a deployment of the ECS platform has exactly one, `<cluster>:<service>`, whose lifecycle
//! events and task sets a client watches.

use aws_sdk_codedeploy::operation::batch_get_deployment_targets::{
    BatchGetDeploymentTargetsInput, BatchGetDeploymentTargetsOutput,
};
use aws_sdk_codedeploy::operation::get_deployment_target::{
    GetDeploymentTargetInput, GetDeploymentTargetOutput,
};
use aws_sdk_codedeploy::operation::list_deployment_targets::{
    ListDeploymentTargetsInput, ListDeploymentTargetsOutput,
};
use aws_sdk_codedeploy::types::{DeploymentTarget, DeploymentTargetType};

use super::deployments::find_deployment;
use super::{DeploymentRecord, cd_error};
use crate::codec::{decode, encode};
use crate::error::ApiResult;
use crate::state::State;

pub(super) fn list_targets(state: &mut State, body: &[u8]) -> ApiResult {
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

pub(super) fn deployment_target(d: &DeploymentRecord) -> DeploymentTarget {
    DeploymentTarget::builder()
        .deployment_target_type(DeploymentTargetType::EcsTarget)
        .ecs_target(d.target.0.clone())
        .build()
}

pub(super) fn get_target(state: &mut State, body: &[u8]) -> ApiResult {
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

pub(super) fn batch_get_targets(state: &mut State, body: &[u8]) -> ApiResult {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testkit::{Kit, code_deploy_world};

    // API_ListDeploymentTargets / API_GetDeploymentTarget: an ECS deployment has one target,
    // `<cluster>:<service>`.
    #[test]
    fn an_ecs_deployment_has_one_target_named_cluster_colon_service() {
        let mut kit = Kit::new(&code_deploy_world(""));
        let (_, v2) = kit.code_deploy_service();
        let id = kit.create_deployment(20.0, &v2);
        let out = kit.call(
            "codedeploy",
            "ListDeploymentTargets",
            21.0,
            json!({"deploymentId": id}),
        );
        assert_eq!(out["targetIds"], json!(["default:web"]));
        let out = kit.call(
            "codedeploy",
            "GetDeploymentTarget",
            21.0,
            json!({"deploymentId": id, "targetId": "default:web"}),
        );
        assert_eq!(out["deploymentTarget"]["deploymentTargetType"], "ECSTarget");
        let err = kit
            .try_call(
                "codedeploy",
                "GetDeploymentTarget",
                21.0,
                json!({"deploymentId": id, "targetId": "default:other"}),
            )
            .expect_err("unknown target");
        assert_eq!(err.code, "DeploymentTargetDoesNotExistException");
    }
}
