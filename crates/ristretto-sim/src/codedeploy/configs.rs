//! The predefined ECS deployment configurations (GetDeploymentConfig; CodeDeploy user guide,
//! "deployment-configurations", predefined configurations for the ECS compute platform): how
//! traffic moves, all at once, linear or canary.

use aws_sdk_codedeploy::operation::get_deployment_config::{
    GetDeploymentConfigInput, GetDeploymentConfigOutput,
};
use aws_sdk_codedeploy::types::{
    ComputePlatform, DeploymentConfigInfo, TimeBasedCanary, TimeBasedLinear, TrafficRoutingConfig,
    TrafficRoutingType,
};

use super::cd_error;
use crate::clock::timestamp;
use crate::codec::{decode, encode};
use crate::error::{ApiError, ApiResult};

/// The predefined ECS deployment configurations: (routing type, percentage, interval minutes).
pub(super) fn config(name: &str) -> Option<(TrafficRoutingType, i32, i32)> {
    Some(match name {
        "CodeDeployDefault.ECSAllAtOnce" => (TrafficRoutingType::AllAtOnce, 100, 0),
        "CodeDeployDefault.ECSLinear10PercentEvery1Minutes" => {
            (TrafficRoutingType::TimeBasedLinear, 10, 1)
        }
        "CodeDeployDefault.ECSLinear10PercentEvery3Minutes" => {
            (TrafficRoutingType::TimeBasedLinear, 10, 3)
        }
        "CodeDeployDefault.ECSCanary10Percent5Minutes" => {
            (TrafficRoutingType::TimeBasedCanary, 10, 5)
        }
        "CodeDeployDefault.ECSCanary10Percent15Minutes" => {
            (TrafficRoutingType::TimeBasedCanary, 10, 15)
        }
        _ => return None,
    })
}

pub(super) fn config_missing(name: &str) -> ApiError {
    cd_error(
        "DeploymentConfigDoesNotExistException",
        format!("No deployment configuration found for name: {name}"),
    )
}

pub(super) fn get_config(body: &[u8]) -> ApiResult {
    let input = decode(body, GetDeploymentConfigInput::deserialize)?;
    let name = input.deployment_config_name().unwrap_or_default();
    let (kind, pct, interval) = config(name).ok_or_else(|| config_missing(name))?;
    let routing = TrafficRoutingConfig::builder()
        .r#type(kind.clone())
        .set_time_based_linear((kind == TrafficRoutingType::TimeBasedLinear).then(|| {
            TimeBasedLinear::builder()
                .linear_percentage(pct)
                .linear_interval(interval)
                .build()
        }))
        .set_time_based_canary((kind == TrafficRoutingType::TimeBasedCanary).then(|| {
            TimeBasedCanary::builder()
                .canary_percentage(pct)
                .canary_interval(interval)
                .build()
        }))
        .build();
    let info = DeploymentConfigInfo::builder()
        .deployment_config_id(format!("{:08x}-0000-4000-8000-000000000000", name.len()))
        .deployment_config_name(name)
        .compute_platform(ComputePlatform::Ecs)
        .traffic_routing_config(routing)
        .create_time(timestamp(0.0))
        .build();
    Ok(encode(
        &GetDeploymentConfigOutput::builder()
            .deployment_config_info(info)
            .build(),
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testkit::{Kit, WORLD};

    // CodeDeploy user guide, "deployment-configurations": the predefined ECS configurations.
    #[test]
    fn predefined_ecs_configurations_and_unknown_names() {
        let mut kit = Kit::new(WORLD);
        let out = kit.call(
            "codedeploy",
            "GetDeploymentConfig",
            0.0,
            json!({"deploymentConfigName": "CodeDeployDefault.ECSCanary10Percent15Minutes"}),
        );
        let routing = &out["deploymentConfigInfo"]["trafficRoutingConfig"];
        assert_eq!(routing["type"], "TimeBasedCanary");
        assert_eq!(
            routing["timeBasedCanary"],
            json!({"canaryPercentage": 10, "canaryInterval": 15})
        );
        let err = kit
            .try_call(
                "codedeploy",
                "GetDeploymentConfig",
                0.0,
                json!({"deploymentConfigName": "Custom"}),
            )
            .expect_err("unknown");
        assert_eq!(err.code, "DeploymentConfigDoesNotExistException");
    }
}
