//! Applications and deployment groups (CreateApplication, GetApplication, BatchGetApplications,
//! ListApplications, CreateDeploymentGroup, GetDeploymentGroup, BatchGetDeploymentGroups,
//! ListDeploymentGroups) and the world file's seeds of both: the static configuration a
//! deployment is created from.

use aws_sdk_codedeploy::operation::batch_get_applications::{
    BatchGetApplicationsInput, BatchGetApplicationsOutput,
};
use aws_sdk_codedeploy::operation::batch_get_deployment_groups::{
    BatchGetDeploymentGroupsInput, BatchGetDeploymentGroupsOutput,
};
use aws_sdk_codedeploy::operation::create_application::{
    CreateApplicationInput, CreateApplicationOutput,
};
use aws_sdk_codedeploy::operation::create_deployment_group::{
    CreateDeploymentGroupInput, CreateDeploymentGroupOutput,
};
use aws_sdk_codedeploy::operation::get_application::{GetApplicationInput, GetApplicationOutput};
use aws_sdk_codedeploy::operation::get_deployment_group::{
    GetDeploymentGroupInput, GetDeploymentGroupOutput,
};
use aws_sdk_codedeploy::operation::list_applications::{
    ListApplicationsInput, ListApplicationsOutput,
};
use aws_sdk_codedeploy::operation::list_deployment_groups::{
    ListDeploymentGroupsInput, ListDeploymentGroupsOutput,
};
use aws_sdk_codedeploy::types::{ApplicationInfo, ComputePlatform, DeploymentGroupInfo};

use super::cd_error;
use crate::clock::{Epoch, timestamp};
use crate::codec::{Sdk, convert, decode, encode};
use crate::ecs::{self};
use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};
use crate::world::World;

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
    state.codedeploy.target_groups = world
        .target_groups
        .iter()
        .filter_map(|g| serde_json::to_value(g).ok())
        .collect();
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

pub(super) fn app_exists(state: &State, name: &str) -> Result<(), ApiError> {
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

pub(super) fn find_group<'a>(
    state: &'a State,
    app: &str,
    group: &str,
) -> Result<&'a DeploymentGroupInfo, ApiError> {
    app_exists(state, app)?;
    // GetDeploymentGroup, CreateDeployment and the other operations that name a group declare
    // DeploymentGroupNameRequiredException ("The deployment group name was not specified.",
    // CodeDeploy API reference); the message is ours, AWS's is not documented.
    if group.is_empty() {
        return Err(cd_error(
            "DeploymentGroupNameRequiredException",
            "Deployment Group name is required",
        ));
    }
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

pub(super) fn create_application(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
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
    super::tags::put(
        state,
        &super::tags::application_arn(ctx, name),
        input.tags(),
    );
    Ok(encode(
        &CreateApplicationOutput::builder()
            .application_id(id)
            .build(),
    ))
}

pub(super) fn get_application(state: &mut State, body: &[u8]) -> ApiResult {
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
pub(super) fn batch_get_applications(state: &mut State, body: &[u8]) -> ApiResult {
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

pub(super) fn list_applications(state: &mut State, body: &[u8]) -> ApiResult {
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

pub(super) fn create_group(state: &mut State, ctx: &Ctx, body: &[u8]) -> ApiResult {
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
    super::tags::put(state, &super::tags::group_arn(ctx, app, name), input.tags());
    Ok(encode(
        &CreateDeploymentGroupOutput::builder()
            .deployment_group_id(id)
            .build(),
    ))
}

pub(super) fn get_group(state: &mut State, body: &[u8]) -> ApiResult {
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

pub(super) fn batch_get_groups(state: &mut State, body: &[u8]) -> ApiResult {
    let input = decode(body, BatchGetDeploymentGroupsInput::deserialize)?;
    let app = input.application_name().unwrap_or_default();
    app_exists(state, app)?;
    // API_BatchGetDeploymentGroups: `deploymentGroupNames` is required; its model declares
    // DeploymentGroupNameRequiredException (the message is ours).
    if input.deployment_group_names().is_empty() {
        return Err(cd_error(
            "DeploymentGroupNameRequiredException",
            "Deployment Group names are required",
        ));
    }
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

pub(super) fn list_groups(state: &mut State, body: &[u8]) -> ApiResult {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testkit::{Kit, code_deploy_world};

    // API_CreateApplication, API_GetDeploymentGroup: names are unique; seeded groups are found.
    #[test]
    fn applications_are_unique_and_seeded_groups_are_found() {
        let mut kit = Kit::new(&code_deploy_world(""));
        let err = kit
            .try_call(
                "codedeploy",
                "CreateApplication",
                0.0,
                json!({"applicationName": "web", "computePlatform": "ECS"}),
            )
            .expect_err("duplicate");
        assert_eq!(err.code, "ApplicationAlreadyExistsException");
        let out = kit.call(
            "codedeploy",
            "GetDeploymentGroup",
            0.0,
            json!({"applicationName": "web", "deploymentGroupName": "web-dg"}),
        );
        let group = &out["deploymentGroupInfo"];
        assert_eq!(group["computePlatform"], "ECS");
        assert_eq!(group["ecsServices"][0]["serviceName"], "web");
        let err = kit
            .try_call(
                "codedeploy",
                "GetDeploymentGroup",
                0.0,
                json!({"applicationName": "web", "deploymentGroupName": "nope"}),
            )
            .expect_err("missing");
        assert_eq!(err.code, "DeploymentGroupDoesNotExistException");
    }
}
