//! Starting a CodeDeploy blue/green deployment: what `UpdateService` may
//! still change on a CODE_DEPLOY service, and `CreateDeployment` with the
//! AppSpec as the revision.

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::types::{
    AppSpecContent, AutoRollbackConfiguration, AutoRollbackEvent, RevisionLocation,
    RevisionLocationType,
};
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use ristretto_core::event::{Event, Events};

use crate::appspec::AppSpec;

use crate::discover::Group;
use crate::error::{CodeDeployError, invalid};
use ristretto_core::aws_error::AwsError;

/// A deployment to create.
#[derive(Debug, Clone)]
pub struct DeploymentRequest {
    /// Where.
    pub group: Group,
    /// `codedeploy.deployment_config_name`: overrides the group's.
    pub deployment_config_name: Option<String>,
    /// The AppSpec.
    pub appspec: AppSpec,
    /// `--rollback-events`; empty leaves the group's setting.
    pub rollback_events: Vec<AutoRollbackEvent>,
}

/// `--rollback-events`: a comma-separated list of `DEPLOYMENT_FAILURE`,
/// `DEPLOYMENT_STOP_ON_ALARM`, `DEPLOYMENT_STOP_ON_REQUEST`.
///
/// # Errors
/// Any other entry ([`CodeDeployError::Invalid`]).
pub fn parse_rollback_events(list: &str) -> Result<Vec<AutoRollbackEvent>, CodeDeployError> {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| match e {
            "DEPLOYMENT_FAILURE" => Ok(AutoRollbackEvent::DeploymentFailure),
            "DEPLOYMENT_STOP_ON_ALARM" => Ok(AutoRollbackEvent::DeploymentStopOnAlarm),
            "DEPLOYMENT_STOP_ON_REQUEST" => Ok(AutoRollbackEvent::DeploymentStopOnRequest),
            other => Err(invalid(
                format!("invalid rollback event `{other}`"),
                Some("use DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM or DEPLOYMENT_STOP_ON_REQUEST, separated by commas"),
            )),
        })
        .collect()
}

/// What `UpdateService` may still carry on a CODE_DEPLOY service: the
/// desired count, deployment configuration, health check grace period,
/// placement, managed tags and tag propagation. The task definition, load
/// balancers, network, platform version and capacity providers travel in
/// the AppSpec instead; everything else is dropped.
///
/// # Errors
/// The SDK refuses to build the input (it has no required member, so never in practice).
pub fn allowed_update(input: UpdateServiceInput) -> Result<UpdateServiceInput, CodeDeployError> {
    UpdateServiceInput::builder()
        .set_cluster(input.cluster)
        .set_service(input.service)
        .set_desired_count(input.desired_count)
        .set_deployment_configuration(input.deployment_configuration)
        .set_health_check_grace_period_seconds(input.health_check_grace_period_seconds)
        .set_placement_constraints(input.placement_constraints)
        .set_placement_strategy(input.placement_strategy)
        .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
        .set_propagate_tags(input.propagate_tags)
        .build()
        .map_err(|e| invalid(e.to_string(), None))
}

/// The deployment's page in the AWS console.
#[must_use]
pub fn console_url(region: &str, deployment_id: &str) -> String {
    format!(
        "https://{region}.console.aws.amazon.com/codesuite/codedeploy/deployments/{deployment_id}?region={region}"
    )
}

/// A deployment just created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// `d-…`.
    pub deployment_id: String,
    /// Its page in the AWS console.
    pub console_url: String,
}

/// Creates the deployment.
///
/// # Errors
/// AWS errors (an active deployment in the group, an unknown configuration, …).
pub async fn create_deployment(
    cd: &Client,
    request: &DeploymentRequest,
    events: &Events,
) -> Result<Created, CodeDeployError> {
    events.step(format!(
        "creating CodeDeploy deployment (application `{}`, group `{}`)",
        request.group.application_name, request.group.deployment_group_name
    ));
    let revision = RevisionLocation::builder()
        .revision_type(RevisionLocationType::AppSpecContent)
        .app_spec_content(
            AppSpecContent::builder()
                .content(request.appspec.to_yaml()?)
                .build(),
        )
        .build();
    let rollback = (!request.rollback_events.is_empty()).then(|| {
        AutoRollbackConfiguration::builder()
            .enabled(true)
            .set_events(Some(request.rollback_events.clone()))
            .build()
    });
    let out = cd
        .create_deployment()
        .application_name(&request.group.application_name)
        .deployment_group_name(&request.group.deployment_group_name)
        .set_deployment_config_name(request.deployment_config_name.clone())
        .revision(revision)
        .set_auto_rollback_configuration(rollback)
        .send()
        .await
        .map_err(|e| CodeDeployError::aws("CreateDeployment", e))?;
    // CreateDeployment's output always names the deployment; without it
    // there is nothing to follow.
    let id = out
        .deployment_id()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            CodeDeployError::Aws(AwsError::unexpected(
                "CreateDeployment",
                "the answer names no deployment ID",
            ))
        })?
        .to_owned();
    let region = cd
        .config()
        .region()
        .map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
    let created = Created {
        console_url: console_url(&region, &id),
        deployment_id: id,
    };
    events.emit(Event::CodeDeployStarted {
        url: created.console_url.clone(),
        deployment_id: created.deployment_id.clone(),
    });
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollback_events_accept_the_three_names_and_reject_others() {
        assert_eq!(
            parse_rollback_events("DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_REQUEST").ok(),
            Some(vec![
                AutoRollbackEvent::DeploymentFailure,
                AutoRollbackEvent::DeploymentStopOnRequest
            ])
        );
        let err = parse_rollback_events("DEPLOYMENT_FAILURE,ON_ALARM")
            .err()
            .map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("invalid rollback event `ON_ALARM`"));
    }

    #[test]
    fn console_url_names_region_twice() {
        assert_eq!(
            console_url("eu-west-1", "d-ABC"),
            "https://eu-west-1.console.aws.amazon.com/codesuite/codedeploy/deployments/d-ABC?region=eu-west-1"
        );
    }

    #[test]
    fn code_deploy_updates_never_carry_task_definition_or_network() {
        let input = UpdateServiceInput::builder()
            .service("web")
            .cluster("prod")
            .task_definition("web:3")
            .desired_count(4)
            .platform_version("LATEST")
            .force_new_deployment(true)
            .build()
            .ok();
        let Some(input) = input.and_then(|i| allowed_update(i).ok()) else {
            panic!("input builds");
        };
        assert_eq!(input.task_definition(), None);
        assert_eq!(input.platform_version(), None);
        assert_eq!(input.force_new_deployment(), None);
        assert_eq!(input.desired_count(), Some(4));
    }
}
