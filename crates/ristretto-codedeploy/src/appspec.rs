//! The CodeDeploy AppSpec of an ECS service: which task definition to deploy,
//! which container and port take the traffic, the network settings, and the
//! hooks from the config. `ristretto appspec` prints it; a CodeDeploy deploy
//! sends it as the revision's content.
//!
//! Built from the SDK's own types through [`Source`], which a live
//! `Service` and a `CreateService` input (the service definition) both give,
//! so the same function serves the live service and the local definition.

use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::types::{CapacityProviderStrategyItem, LoadBalancer, Service};
use serde::Serialize;
use serde_json::Value;

/// An AppSpec file (version 0.0, one ECS target service).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppSpec {
    /// Always `0.0`.
    pub version: String,
    /// The one target service.
    #[serde(rename = "Resources")]
    pub resources: Vec<Resource>,
    /// Lifecycle hooks (`[{BeforeInstall: <lambda>}, …]`), from the config.
    #[serde(rename = "Hooks", skip_serializing_if = "Option::is_none")]
    pub hooks: Option<Value>,
}

/// An entry of `Resources`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    /// The ECS service.
    #[serde(rename = "TargetService")]
    pub target_service: TargetService,
}

/// `TargetService`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetService {
    /// Always `AWS::ECS::Service`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// What to deploy.
    #[serde(rename = "Properties")]
    pub properties: Properties,
}

/// `TargetService.Properties`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Properties {
    /// The task definition ARN.
    pub task_definition: String,
    /// The container and port behind the load balancer.
    pub load_balancer_info: LoadBalancerInfo,
    /// Fargate platform version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    /// `awsvpc` settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    /// Capacity providers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_strategy: Vec<CapacityProvider>,
}

/// `LoadBalancerInfo`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancerInfo {
    /// The container that receives traffic.
    pub container_name: String,
    /// Its port.
    pub container_port: i64,
}

/// `NetworkConfiguration`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkConfiguration {
    /// The `awsvpc` settings.
    pub awsvpc_configuration: AwsvpcConfiguration,
}

/// `AwsvpcConfiguration`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AwsvpcConfiguration {
    /// `ENABLED` or `DISABLED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assign_public_ip: Option<String>,
    /// Security group IDs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    /// Subnet IDs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subnets: Vec<String>,
}

/// An entry of `CapacityProviderStrategy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CapacityProvider {
    /// The capacity provider.
    pub capacity_provider: String,
    /// Tasks placed on it first.
    pub base: i64,
    /// Its share of the rest.
    pub weight: i64,
}

/// Why no AppSpec can be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppSpecError {
    /// CodeDeploy shifts traffic between target groups: it needs one.
    #[error("the service has no load balancer, which a CodeDeploy deployment needs")]
    NoLoadBalancer,
    /// The first load balancer does not name its container and port.
    #[error("the service's first load balancer has no `containerName` and `containerPort`")]
    IncompleteLoadBalancer,
    /// The AppSpec could not be written out.
    #[error("cannot write the AppSpec: {0}")]
    Write(String),
}

/// What an AppSpec is built from: the parts of a service (live, or its
/// definition) that CodeDeploy takes from the AppSpec instead of the service.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The service's load balancers; the first one takes the traffic.
    pub load_balancers: &'a [LoadBalancer],
    /// Its network settings.
    pub network_configuration: Option<&'a aws_sdk_ecs::types::NetworkConfiguration>,
    /// Its Fargate platform version.
    pub platform_version: Option<&'a str>,
    /// Its capacity provider strategy.
    pub capacity_provider_strategy: &'a [CapacityProviderStrategyItem],
}

impl<'a> From<&'a Service> for Source<'a> {
    fn from(service: &'a Service) -> Self {
        Self {
            load_balancers: service.load_balancers(),
            network_configuration: service.network_configuration(),
            platform_version: service.platform_version(),
            capacity_provider_strategy: service.capacity_provider_strategy(),
        }
    }
}

impl<'a> From<&'a CreateServiceInput> for Source<'a> {
    fn from(definition: &'a CreateServiceInput) -> Self {
        Self {
            load_balancers: definition.load_balancers(),
            network_configuration: definition.network_configuration(),
            platform_version: definition.platform_version(),
            capacity_provider_strategy: definition.capacity_provider_strategy(),
        }
    }
}

/// The AppSpec deploying `task_definition_arn` to the service `source`: the
/// first load balancer's container and port, the platform version, the
/// `awsvpc` settings and the capacity provider strategy. `appspec` is the
/// config's `appspec` block; its `Hooks` (any letter case) are copied.
///
/// # Errors
/// The service has no load balancer, or it names no container and port.
pub fn build(
    source: Source<'_>,
    task_definition_arn: &str,
    appspec: Option<&Value>,
) -> Result<AppSpec, AppSpecError> {
    let lb = source
        .load_balancers
        .first()
        .ok_or(AppSpecError::NoLoadBalancer)?;
    let load_balancer_info = match (lb.container_name(), lb.container_port()) {
        (Some(name), Some(port)) => LoadBalancerInfo {
            container_name: name.to_owned(),
            container_port: i64::from(port),
        },
        _ => return Err(AppSpecError::IncompleteLoadBalancer),
    };
    let network_configuration = source
        .network_configuration
        .and_then(|n| n.awsvpc_configuration())
        .map(|vpc| NetworkConfiguration {
            awsvpc_configuration: AwsvpcConfiguration {
                assign_public_ip: vpc.assign_public_ip().map(|a| a.as_str().to_owned()),
                security_groups: vpc.security_groups().to_vec(),
                subnets: vpc.subnets().to_vec(),
            },
        });
    let capacity_provider_strategy = source
        .capacity_provider_strategy
        .iter()
        .map(|i| CapacityProvider {
            capacity_provider: i.capacity_provider().to_owned(),
            base: i64::from(i.base()),
            weight: i64::from(i.weight()),
        })
        .collect();
    let hooks = appspec.and_then(Value::as_object).and_then(|block| {
        block
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("hooks"))
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_null())
    });
    Ok(AppSpec {
        version: "0.0".to_owned(),
        resources: vec![Resource {
            target_service: TargetService {
                kind: "AWS::ECS::Service".to_owned(),
                properties: Properties {
                    task_definition: task_definition_arn.to_owned(),
                    load_balancer_info,
                    platform_version: source
                        .platform_version
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned),
                    network_configuration,
                    capacity_provider_strategy,
                },
            },
        }],
        hooks,
    })
}

impl AppSpec {
    /// The AppSpec as YAML, the form CodeDeploy's `AppSpecContent` takes.
    ///
    /// # Errors
    /// The hooks from the config cannot be written as YAML.
    pub fn to_yaml(&self) -> Result<String, AppSpecError> {
        yaml_serde::to_string(self).map_err(|e| AppSpecError::Write(e.to_string()))
    }

    /// The AppSpec as pretty JSON (keys in AppSpec order).
    ///
    /// # Errors
    /// The hooks from the config cannot be written as JSON.
    pub fn to_json(&self) -> Result<String, AppSpecError> {
        let mut text =
            serde_json::to_string_pretty(self).map_err(|e| AppSpecError::Write(e.to_string()))?;
        text.push('\n');
        Ok(text)
    }
}

/// What a deployed AppSpec (the content of a CodeDeploy revision, YAML or
/// JSON) says: the task definition and the hooks. Read leniently: a missing
/// part is `None` or empty, never an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deployed {
    /// `Resources[0].<name>.Properties.TaskDefinition`.
    pub task_definition: Option<String>,
    /// `Hooks`: (lifecycle event, Lambda function), in order.
    pub hooks: Vec<(String, String)>,
}

impl Deployed {
    /// Reads AppSpec `content`; text that is neither YAML nor JSON gives the empty value.
    #[must_use]
    pub fn parse(content: &str) -> Deployed {
        // JSON is YAML, so one parser reads both.
        let Ok(doc) = yaml_serde::from_str::<Value>(content) else {
            return Deployed::default();
        };
        let task_definition = doc
            .get("Resources")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .and_then(Value::as_object)
            .and_then(|r| r.values().next())
            .and_then(|r| r.pointer("/Properties/TaskDefinition"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        let hooks = doc
            .get("Hooks")
            .and_then(Value::as_array)
            .map(|hooks| {
                hooks
                    .iter()
                    .filter_map(Value::as_object)
                    .flat_map(|hook| {
                        hook.iter().filter_map(|(event, function)| {
                            Some((event.clone(), function.as_str()?.to_owned()))
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Deployed {
            task_definition,
            hooks,
        }
    }

    /// The function of the hook on lifecycle event `event`.
    #[must_use]
    pub fn hook(&self, event: &str) -> Option<&str> {
        self.hooks
            .iter()
            .find(|(e, _)| e == event)
            .map(|(_, f)| f.as_str())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{AssignPublicIp, AwsVpcConfiguration};
    use serde_json::json;

    use super::*;

    fn lb(name: Option<&str>, port: Option<i32>) -> LoadBalancer {
        LoadBalancer::builder()
            .target_group_arn("arn:tg")
            .set_container_name(name.map(str::to_owned))
            .set_container_port(port)
            .build()
    }

    const ARN: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3";

    #[test]
    fn a_fargate_service_with_hooks() {
        let vpc = AwsVpcConfiguration::builder()
            .subnets("subnet-a")
            .security_groups("sg-1")
            .assign_public_ip(AssignPublicIp::Enabled)
            .build()
            .expect("subnets are set");
        let service = Service::builder()
            .platform_version("LATEST")
            .load_balancers(lb(Some("app"), Some(80)))
            .network_configuration(
                aws_sdk_ecs::types::NetworkConfiguration::builder()
                    .awsvpc_configuration(vpc)
                    .build(),
            )
            .build();
        let hooks = json!({"Hooks": [{"BeforeInstall": "ValidateBeforeInstall"}]});
        let spec = build((&service).into(), ARN, Some(&hooks)).expect("builds");
        assert_eq!(
            spec.to_yaml().expect("YAML"),
            "version: '0.0'
Resources:
- TargetService:
    Type: AWS::ECS::Service
    Properties:
      TaskDefinition: arn:aws:ecs:us-east-1:123456789012:task-definition/web:3
      LoadBalancerInfo:
        ContainerName: app
        ContainerPort: 80
      PlatformVersion: LATEST
      NetworkConfiguration:
        AwsvpcConfiguration:
          AssignPublicIp: ENABLED
          SecurityGroups:
          - sg-1
          Subnets:
          - subnet-a
Hooks:
- BeforeInstall: ValidateBeforeInstall
"
        );
    }

    #[test]
    fn lowercase_hooks_key_and_capacity_providers() {
        let definition = CreateServiceInput::builder()
            .load_balancers(lb(Some("app"), Some(8080)))
            .capacity_provider_strategy(
                CapacityProviderStrategyItem::builder()
                    .capacity_provider("FARGATE_SPOT")
                    .weight(1)
                    .build()
                    .expect("provider is set"),
            )
            .build()
            .expect("input builds");
        let spec = build(
            (&definition).into(),
            ARN,
            Some(&json!({"hooks": [{"AfterInstall": "f"}]})),
        )
        .expect("builds");
        let value: Value = serde_json::from_str(&spec.to_json().expect("JSON")).expect("JSON");
        assert_eq!(
            value["Resources"][0]["TargetService"]["Properties"]["CapacityProviderStrategy"],
            json!([{"CapacityProvider": "FARGATE_SPOT", "Base": 0, "Weight": 1}])
        );
        assert_eq!(value["Hooks"], json!([{"AfterInstall": "f"}]));
        assert!(
            value["Resources"][0]["TargetService"]["Properties"]
                .get("NetworkConfiguration")
                .is_none()
        );
    }

    #[test]
    fn a_service_without_load_balancer_has_no_appspec() {
        assert_eq!(
            build((&Service::builder().build()).into(), ARN, None),
            Err(AppSpecError::NoLoadBalancer)
        );
        assert_eq!(
            build(
                (&Service::builder().load_balancers(lb(None, None)).build()).into(),
                ARN,
                None
            ),
            Err(AppSpecError::IncompleteLoadBalancer)
        );
    }

    #[test]
    fn a_deployed_appspec_names_its_task_definition_and_hooks() {
        let yaml = "version: \"0.0\"\nResources:\n- TargetService:\n    Type: AWS::ECS::Service\n    Properties:\n      TaskDefinition: arn:aws:ecs:us-east-1:1:task-definition/web:3\nHooks:\n- BeforeInstall: before\n- AfterAllowTestTraffic: arn:aws:lambda:us-east-1:1:function:smoke\n";
        let deployed = Deployed::parse(yaml);
        assert_eq!(
            deployed.task_definition.as_deref(),
            Some("arn:aws:ecs:us-east-1:1:task-definition/web:3")
        );
        assert_eq!(
            deployed.hook("AfterAllowTestTraffic"),
            Some("arn:aws:lambda:us-east-1:1:function:smoke")
        );
        assert_eq!(deployed.hook("AfterInstall"), None);
        let json = r#"{"Resources":[{"TargetService":{"Properties":{"TaskDefinition":"web:1"}}}]}"#;
        assert_eq!(
            Deployed::parse(json).task_definition.as_deref(),
            Some("web:1")
        );
        assert_eq!(Deployed::parse(": not [yaml"), Deployed::default());
    }
}
