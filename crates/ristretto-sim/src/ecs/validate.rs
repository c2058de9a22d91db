//! AWS's validation of RegisterTaskDefinition, CreateService, UpdateService and CreateTaskSet
//! requests: each rule answers the exception type AWS answers (`ClientException` for task
//! definitions, `InvalidParameterException` for services and task sets).
//!
//! Sources: the ECS API reference (API_RegisterTaskDefinition, API_ContainerDefinition,
//! API_PortMapping, API_CreateService, API_UpdateService, API_CreateTaskSet) and the developer
//! guide (task-cpu-memory-error, "Task CPU and memory" / Fargate task size table). Where a
//! message below is AWS's wording, its comment says where it comes from; where AWS's exact
//! wording is not known, the message is a plain one and the comment says so.
//!
//! Not a rule, on purpose: `healthCheckGracePeriodSeconds` without load balancers. Older
//! versions of ECS refused it; the current API reference (API_CreateService,
//! `healthCheckGracePeriodSeconds`) says it applies to Elastic Load Balancing, VPC Lattice and
//! container health checks and is simply unused when the service has none of them, so it is
//! accepted.

use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::types::{
    Compatibility, DeploymentConfiguration, DeploymentControllerType, DeploymentLifecycleHookStage,
    DeploymentLifecycleHookTargetType, DeploymentStrategy, LaunchType, LoadBalancer,
    NetworkConfiguration, NetworkMode, TaskDefinition,
};

use crate::error::ApiError;

/// `[A-Za-z0-9_-]{1,255}`: the pattern of task definition families (API_RegisterTaskDefinition,
/// `family`) and container names (API_ContainerDefinition, `name`).
fn is_name(s: &str) -> bool {
    (1..=255).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Task CPU units of a task definition's `cpu`: `1024` or `1 vCPU` (API_RegisterTaskDefinition,
/// `cpu`: "expressed as an integer using CPU units … or as a string using vCPUs").
pub fn cpu_units(cpu: &str) -> Option<u32> {
    let s = cpu.trim().to_ascii_lowercase();
    match s.strip_suffix("vcpu") {
        Some(v) => {
            let v: f64 = v.trim().parse().ok()?;
            let units = v * 1024.0;
            (units.fract() == 0.0 && units > 0.0 && units <= f64::from(u32::MAX))
                .then_some(units as u32)
        }
        None => s.parse().ok(),
    }
}

/// MiB of a task definition's `memory`: `1024` or `1 GB` / `1GB` (API_RegisterTaskDefinition,
/// `memory`).
pub fn memory_mib(memory: &str) -> Option<u32> {
    let s = memory.trim().to_ascii_lowercase();
    match s.strip_suffix("gb") {
        Some(v) => {
            let v: f64 = v.trim().parse().ok()?;
            let mib = v * 1024.0;
            (mib.fract() == 0.0 && mib > 0.0 && mib <= f64::from(u32::MAX)).then_some(mib as u32)
        }
        None => s.parse().ok(),
    }
}

/// The memory sizes (MiB) Fargate offers for `cpu` units, or `None` when `cpu` is not a Fargate
/// size. The table of the developer guide (task-cpu-memory-error) and of
/// API_RegisterTaskDefinition (`memory`).
fn fargate_memory(cpu: u32) -> Option<Vec<u32>> {
    let range = |from: u32, to: u32, step: u32| (from..=to).step_by(step as usize).collect();
    Some(match cpu {
        256 => vec![512, 1024, 2048],
        512 => range(1024, 4096, 1024),
        1024 => range(2048, 8192, 1024),
        2048 => range(4096, 16384, 1024),
        4096 => range(8192, 30720, 1024),
        8192 => range(16384, 61440, 4096),
        16384 => range(32768, 122_880, 8192),
        _ => return None,
    })
}

/// Whether `cpu` / `memory` is one of Fargate's task sizes.
pub fn is_fargate_size(cpu: Option<&str>, memory: Option<&str>) -> bool {
    match (cpu.and_then(cpu_units), memory.and_then(memory_mib)) {
        (Some(c), Some(m)) => fargate_memory(c).is_some_and(|sizes| sizes.contains(&m)),
        _ => false,
    }
}

/// RegisterTaskDefinition's checks, in the order AWS is believed to make them (the order is not
/// documented; only the first failure is reported either way).
pub fn register_task_definition(input: &RegisterTaskDefinitionInput) -> Result<(), ApiError> {
    let family = input.family().unwrap_or_default();
    if family.is_empty() {
        return Err(ApiError::client("Family is required."));
    }
    if !is_name(family) {
        // The pattern is API_RegisterTaskDefinition's (`family`); AWS's exact message is not
        // known, this one says the documented rule.
        return Err(ApiError::client(format!(
            "Invalid family `{family}`: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed."
        )));
    }
    let containers = input.container_definitions();
    if containers.is_empty() {
        return Err(ApiError::client("Container list cannot be empty."));
    }
    let mut names: Vec<&str> = Vec::new();
    for c in containers {
        let name = c.name().unwrap_or_default();
        // API_ContainerDefinition: `name` is required, same pattern as the family. AWS's exact
        // messages for a missing, malformed or repeated name are not known: plain ones.
        if name.is_empty() {
            return Err(ApiError::client(
                "Container.name should not be null or empty.",
            ));
        }
        if !is_name(name) {
            return Err(ApiError::client(format!(
                "Invalid container name `{name}`: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed."
            )));
        }
        if names.contains(&name) {
            return Err(ApiError::client(format!(
                "Duplicate container name `{name}`: container names must be unique within a task definition."
            )));
        }
        names.push(name);
        if c.image().is_none_or(str::is_empty) {
            return Err(ApiError::client(format!(
                "Container.image should not be null or empty. (container {name})"
            )));
        }
        // API_ContainerDefinition (`memory`): on EC2, "you must specify a non-zero integer
        // for one or both of memory or memoryReservation" unless the task sets `memory`.
        // Wording as AWS is reported to answer it; not verified against AWS.
        if input.memory().is_none() && c.memory().is_none() && c.memory_reservation().is_none() {
            return Err(ApiError::client(format!(
                "Invalid setting for container '{name}'. At least one of 'memory' or 'memoryReservation' must be specified."
            )));
        }
        ports(input.network_mode(), name, c)?;
    }
    let fargate = input
        .requires_compatibilities()
        .contains(&Compatibility::Fargate);
    if fargate {
        // Developer guide (AWS_Fargate, "Network mode"): Fargate task definitions require
        // `awsvpc`; the default network mode (none given) is `bridge` on Linux. Wording as AWS
        // is reported to answer it (quote characters not verified).
        if input.network_mode() != Some(&NetworkMode::Awsvpc) {
            return Err(ApiError::client(
                "Fargate only supports network mode 'awsvpc'.",
            ));
        }
        if input.cpu().is_none() {
            return Err(ApiError::client(
                "Fargate requires that 'cpu' be defined at the task level.",
            ));
        }
        if input.memory().is_none() {
            return Err(ApiError::client(
                "Fargate requires that 'memory' be defined at the task level.",
            ));
        }
        // Developer guide, task-cpu-memory-error: an unsupported value answers
        // "Invalid 'cpu' setting for task."; the same page says Terraform users see
        // "No Fargate configuration exists for given values." Which of the two AWS gives for a
        // valid cpu with an unsupported memory is not documented: that case uses the second.
        let cpu = input.cpu().and_then(cpu_units);
        let sizes = cpu.and_then(fargate_memory);
        let Some(sizes) = sizes else {
            return Err(ApiError::client("Invalid 'cpu' setting for task."));
        };
        if !input
            .memory()
            .and_then(memory_mib)
            .is_some_and(|m| sizes.contains(&m))
        {
            return Err(ApiError::client(
                "No Fargate configuration exists for given values.",
            ));
        }
    }
    Ok(())
}

/// API_PortMapping: `containerPort` and `hostPort` are ports (a `hostPort` of 0 asks for a
/// dynamic port in `bridge` mode); with `awsvpc` or `host`, `hostPort` is left out or equal to
/// `containerPort`. AWS's exact messages are not known: plain ones.
fn ports(
    mode: Option<&NetworkMode>,
    name: &str,
    c: &aws_sdk_ecs::types::ContainerDefinition,
) -> Result<(), ApiError> {
    for p in c.port_mappings() {
        if let Some(port) = p.container_port()
            && !(1..=65535).contains(&port)
        {
            return Err(ApiError::client(format!(
                "Invalid containerPort {port} for container '{name}': ports are 1 to 65535."
            )));
        }
        if let Some(port) = p.host_port()
            && !(0..=65535).contains(&port)
        {
            return Err(ApiError::client(format!(
                "Invalid hostPort {port} for container '{name}': ports are 0 to 65535."
            )));
        }
        let same_port = matches!(mode, Some(NetworkMode::Awsvpc | NetworkMode::Host));
        if same_port
            && let (Some(host), Some(container)) = (p.host_port(), p.container_port())
            && host != container
        {
            return Err(ApiError::client(format!(
                "When networkMode={}, the host port ({host}) must be left out or equal to the container port ({container}) (container '{name}').",
                mode.map_or("", NetworkMode::as_str)
            )));
        }
    }
    Ok(())
}

/// The `compatibilities` AWS computes at registration: EC2 always (for the Linux task
/// definitions the simulator runs), FARGATE when requested or when the definition meets
/// Fargate's requirements anyway (`awsvpc` and a Fargate task size) (API_TaskDefinition,
/// `compatibilities`: "The task launch types the task definition validated against during task
/// definition registration").
pub fn compatibilities(input: &RegisterTaskDefinitionInput) -> Vec<Compatibility> {
    let fargate = input
        .requires_compatibilities()
        .contains(&Compatibility::Fargate)
        || (input.network_mode() == Some(&NetworkMode::Awsvpc)
            && is_fargate_size(input.cpu(), input.memory()));
    if fargate {
        vec![Compatibility::Ec2, Compatibility::Fargate]
    } else {
        vec![Compatibility::Ec2]
    }
}

/// What a service (or a task set) asks of its task definition: the checks of CreateService,
/// UpdateService (on the service as it would be after the update) and CreateTaskSet.
pub struct Placement<'a> {
    pub task_definition: &'a TaskDefinition,
    pub launch_type: Option<&'a LaunchType>,
    pub network_configuration: Option<&'a NetworkConfiguration>,
}

/// API_CreateService (`networkConfiguration`: "required for task definitions that use the
/// awsvpc network mode"; `launchType`) and API_CreateTaskSet.
pub fn placement(p: &Placement<'_>) -> Result<(), ApiError> {
    let awsvpc = p.task_definition.network_mode() == Some(&NetworkMode::Awsvpc);
    match (awsvpc, p.network_configuration.is_some()) {
        // Wording as AWS is reported to answer it; not verified against AWS.
        (true, false) => {
            return Err(ApiError::invalid_parameter(
                "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
            ));
        }
        // Wording as AWS is reported to answer it; not verified against AWS.
        (false, true) => {
            return Err(ApiError::invalid_parameter(
                "Network Configuration is not valid for the given networkMode of this task definition.",
            ));
        }
        _ => {}
    }
    if p.launch_type == Some(&LaunchType::Fargate)
        && !p
            .task_definition
            .compatibilities()
            .contains(&Compatibility::Fargate)
    {
        // AWS answers InvalidParameterException here (as reported; wording not verified).
        // PlatformTaskDefinitionIncompatibilityException is for a platform *version* that lacks
        // a capability the task definition needs, not for the launch type.
        return Err(ApiError::invalid_parameter(
            "Task definition does not support launch_type FARGATE.",
        ));
    }
    Ok(())
}

/// API_CreateService / API_UpdateService: `desiredCount` is not negative; the deployment
/// circuit breaker (API_DeploymentCircuitBreaker: "can only be used for services using the
/// rolling update (ECS) deployment type") is not enabled on CODE_DEPLOY or EXTERNAL services.
/// AWS's exact messages are not known: plain ones.
pub fn service_settings(
    desired_count: Option<i32>,
    controller: &DeploymentControllerType,
    deployment_configuration: Option<&DeploymentConfiguration>,
) -> Result<(), ApiError> {
    if desired_count.is_some_and(|d| d < 0) {
        return Err(ApiError::invalid_parameter(
            "Desired count cannot be negative.",
        ));
    }
    let breaker = deployment_configuration
        .and_then(DeploymentConfiguration::deployment_circuit_breaker)
        .is_some_and(|b| b.enable);
    if breaker && *controller != DeploymentControllerType::Ecs {
        return Err(ApiError::invalid_parameter(format!(
            "The deployment circuit breaker is only supported for services using the rolling update (ECS) deployment controller, not {}.",
            controller.as_str()
        )));
    }
    Ok(())
}

/// API_CreateService / API_UpdateService, the native deployment strategies and their lifecycle
/// hooks (API_DeploymentConfiguration, API_DeploymentLifecycleHook, API_AdvancedConfiguration;
/// developer guide, "blue-green-deployment-implementation"):
///
/// - BLUE_GREEN needs `bakeTimeInMinutes` ("You must provide this parameter when you use the
///   BLUE_GREEN deployment strategy"); LINEAR and CANARY do not;
/// - a native strategy (BLUE_GREEN, LINEAR, CANARY) with a load balancer needs the load
///   balancer's `advancedConfiguration`: the alternate target group, the production listener
///   rule and the role ECS shifts traffic with. A service without load balancers ("headless")
///   may use them without managed traffic shifting, as the developer guide says;
/// - each lifecycle hook names its `lifecycleStages`; an `AWS_LAMBDA` hook (the default target
///   type) its `hookTargetArn`; a `PAUSE` hook is not allowed at TEST_TRAFFIC_SHIFT or
///   PRODUCTION_TRAFFIC_SHIFT; `timeoutConfiguration.timeoutInMinutes` is within 1..=20160
///   (API_DeploymentLifecycleHookTimeoutConfiguration). `roleArn` is not required by the
///   reference and is not checked.
///
/// AWS's exact messages are not known: plain ones.
pub fn deployment_strategy(
    controller: &DeploymentControllerType,
    deployment_configuration: Option<&DeploymentConfiguration>,
    load_balancers: &[LoadBalancer],
) -> Result<(), ApiError> {
    let Some(dc) = deployment_configuration else {
        return Ok(());
    };
    for (i, hook) in dc.lifecycle_hooks().iter().enumerate() {
        let at = format!("deploymentConfiguration.lifecycleHooks[{i}]");
        if hook.lifecycle_stages().is_empty() {
            return Err(ApiError::invalid_parameter(format!(
                "{at}.lifecycleStages must be provided for a deployment lifecycle hook."
            )));
        }
        if let Some(minutes) = hook
            .timeout_configuration()
            .and_then(|t| t.timeout_in_minutes())
            .filter(|m| !(1..=20_160).contains(m))
        {
            return Err(ApiError::invalid_parameter(format!(
                "{at}.timeoutConfiguration.timeoutInMinutes must be between 1 and 20160, not {minutes}."
            )));
        }
        let target = hook
            .target_type()
            .cloned()
            .unwrap_or(DeploymentLifecycleHookTargetType::AwsLambda);
        match target {
            DeploymentLifecycleHookTargetType::Pause => {
                if let Some(stage) = hook.lifecycle_stages().iter().find(|s| {
                    matches!(
                        s,
                        DeploymentLifecycleHookStage::TestTrafficShift
                            | DeploymentLifecycleHookStage::ProductionTrafficShift
                    )
                }) {
                    return Err(ApiError::invalid_parameter(format!(
                        "{at}: PAUSE hooks cannot be configured at the {} stage; only AWS_LAMBDA hooks can.",
                        stage.as_str()
                    )));
                }
            }
            _ => {
                if hook.hook_target_arn().is_none_or(str::is_empty) {
                    return Err(ApiError::invalid_parameter(format!(
                        "{at}.hookTargetArn must be provided for an AWS_LAMBDA lifecycle hook."
                    )));
                }
            }
        }
    }
    let strategy = dc
        .strategy()
        .cloned()
        .unwrap_or(DeploymentStrategy::Rolling);
    let native = matches!(
        strategy,
        DeploymentStrategy::BlueGreen | DeploymentStrategy::Linear | DeploymentStrategy::Canary
    );
    if !native || *controller != DeploymentControllerType::Ecs {
        return Ok(());
    }
    if strategy == DeploymentStrategy::BlueGreen && dc.bake_time_in_minutes().is_none() {
        return Err(ApiError::invalid_parameter(
            "deploymentConfiguration.bakeTimeInMinutes must be provided for the BLUE_GREEN deployment strategy.",
        ));
    }
    for (i, lb) in load_balancers.iter().enumerate() {
        if lb.target_group_arn().is_none() {
            continue;
        }
        let ac = lb.advanced_configuration();
        let missing = [
            (
                "alternateTargetGroupArn",
                ac.and_then(|a| a.alternate_target_group_arn()),
            ),
            (
                "productionListenerRule",
                ac.and_then(|a| a.production_listener_rule()),
            ),
            ("roleArn", ac.and_then(|a| a.role_arn())),
        ]
        .into_iter()
        .find(|(_, v)| v.is_none_or(str::is_empty));
        if let Some((member, _)) = missing {
            return Err(ApiError::invalid_parameter(format!(
                "loadBalancers[{i}].advancedConfiguration.{member} must be provided for the {} deployment strategy.",
                strategy.as_str()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::codec::decode;

    fn input(json: serde_json::Value) -> RegisterTaskDefinitionInput {
        decode(
            json.to_string().as_bytes(),
            RegisterTaskDefinitionInput::deserialize,
        )
        .expect("decode")
    }

    fn fargate(cpu: &str, memory: &str) -> serde_json::Value {
        serde_json::json!({
            "family": "web",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": cpu, "memory": memory,
            "containerDefinitions": [{"name": "app", "image": "nginx"}],
        })
    }

    fn error(json: serde_json::Value) -> ApiError {
        register_task_definition(&input(json)).expect_err("rejected")
    }

    // Developer guide, task-cpu-memory-error (Fargate task sizes): cpu units or vCPUs, memory
    // in MiB or GB.
    #[test]
    fn fargate_sizes_follow_the_table() {
        for (cpu, memory) in [
            ("256", "512"),
            ("256", "2048"),
            ("512", "4GB"),
            ("1 vCPU", "8 GB"),
            ("2048", "16384"),
            ("4096", "30720"),
            ("8192", "61440"),
            ("16384", "122880"),
            (".25 vcpu", "1GB"),
        ] {
            assert!(
                register_task_definition(&input(fargate(cpu, memory))).is_ok(),
                "{cpu}/{memory}"
            );
        }
        let e = error(fargate("256", "4096"));
        assert_eq!(
            (e.code.as_ref(), e.message.as_str()),
            (
                "ClientException",
                "No Fargate configuration exists for given values."
            )
        );
        for (cpu, memory) in [("8192", "18432"), ("2048", "4500")] {
            assert_eq!(error(fargate(cpu, memory)).code, "ClientException");
        }
        let e = error(fargate("300", "512"));
        assert_eq!(e.message, "Invalid 'cpu' setting for task.");
    }

    // Developer guide, AWS_Fargate "Network mode": Fargate requires awsvpc (bridge is the default).
    #[test]
    fn fargate_needs_awsvpc() {
        let mut td = fargate("256", "512");
        td["networkMode"] = "bridge".into();
        let e = error(td.clone());
        assert_eq!(e.code, "ClientException");
        assert_eq!(e.message, "Fargate only supports network mode 'awsvpc'.");
        td.as_object_mut().expect("object").remove("networkMode");
        assert_eq!(error(td).code, "ClientException");
    }

    // API_RegisterTaskDefinition `family` and API_ContainerDefinition `name`:
    // [A-Za-z0-9_-]{1,255}; container names unique and required.
    #[test]
    fn names_follow_the_pattern_and_are_unique() {
        let mut td = fargate("256", "512");
        td["family"] = "web.app".into();
        assert_eq!(error(td).code, "ClientException");
        let mut td = fargate("256", "512");
        td["family"] = "a".repeat(256).into();
        assert_eq!(error(td).code, "ClientException");
        let mut td = fargate("256", "512");
        td["family"] = "A_b-9".into();
        assert!(register_task_definition(&input(td)).is_ok());

        let mut td = fargate("256", "512");
        td["containerDefinitions"] = serde_json::json!([
            {"name": "app", "image": "a"}, {"name": "app", "image": "b"}
        ]);
        assert!(error(td).message.contains("Duplicate container name"));
        let mut td = fargate("256", "512");
        td["containerDefinitions"] = serde_json::json!([{"image": "a"}]);
        assert_eq!(error(td).code, "ClientException");
        let mut td = fargate("256", "512");
        td["containerDefinitions"] = serde_json::json!([{"name": "my app", "image": "a"}]);
        assert_eq!(error(td).code, "ClientException");
    }

    // API_ContainerDefinition `memory`: without task-level memory, each container needs
    // memory or memoryReservation.
    #[test]
    fn ec2_containers_need_memory_somewhere() {
        let td = serde_json::json!({
            "family": "worker",
            "containerDefinitions": [{"name": "app", "image": "a"}],
        });
        let e = error(td.clone());
        assert_eq!(e.code, "ClientException");
        assert!(
            e.message.contains("'memory' or 'memoryReservation'"),
            "{e:?}"
        );
        let mut ok = td.clone();
        ok["containerDefinitions"][0]["memoryReservation"] = 128.into();
        assert!(register_task_definition(&input(ok)).is_ok());
        let mut ok = td;
        ok["memory"] = "512".into();
        assert!(register_task_definition(&input(ok)).is_ok());
    }

    // API_PortMapping: ports 1..65535; with awsvpc the host port equals the container port.
    #[test]
    fn port_mappings_are_ports() {
        let mut td = fargate("256", "512");
        td["containerDefinitions"][0]["portMappings"] =
            serde_json::json!([{"containerPort": 70000}]);
        assert_eq!(error(td).code, "ClientException");
        let mut td = fargate("256", "512");
        td["containerDefinitions"][0]["portMappings"] =
            serde_json::json!([{"containerPort": 80, "hostPort": 8080}]);
        assert_eq!(error(td).code, "ClientException");
        let mut td = fargate("256", "512");
        td["containerDefinitions"][0]["portMappings"] =
            serde_json::json!([{"containerPort": 80, "hostPort": 80}]);
        assert!(register_task_definition(&input(td)).is_ok());
    }

    // API_TaskDefinition `compatibilities`: what the definition validated against.
    #[test]
    fn compatibilities_include_fargate_when_it_fits() {
        let mut td = fargate("256", "512");
        assert_eq!(compatibilities(&input(td.clone())).len(), 2);
        td["requiresCompatibilities"] = serde_json::json!(["EC2"]);
        assert_eq!(compatibilities(&input(td.clone())).len(), 2);
        td["networkMode"] = "bridge".into();
        assert_eq!(compatibilities(&input(td)), vec![Compatibility::Ec2]);
    }

    /// `deployment_strategy` on the deployment configuration and load balancers given as JSON
    /// (their wire form).
    fn strategy_check(dc: serde_json::Value, lbs: serde_json::Value) -> Result<(), ApiError> {
        let service = serde_json::json!({"deploymentConfiguration": dc, "loadBalancers": lbs});
        let bytes = serde_json::to_vec(&service).expect("JSON");
        let service = decode(&bytes, aws_sdk_ecs::types::Service::deserialize).expect("decode");
        deployment_strategy(
            &DeploymentControllerType::Ecs,
            service.deployment_configuration(),
            service.load_balancers(),
        )
    }

    fn target_group() -> serde_json::Value {
        serde_json::json!({
            "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1",
            "containerName": "app",
            "containerPort": 80,
        })
    }

    // API_DeploymentConfiguration, `bakeTimeInMinutes`: "You must provide this parameter when you
    // use the BLUE_GREEN deployment strategy" (nothing is said of LINEAR and CANARY).
    #[test]
    fn blue_green_needs_a_bake_time() {
        let err = strategy_check(
            serde_json::json!({"strategy": "BLUE_GREEN"}),
            serde_json::json!([]),
        )
        .expect_err("no bake time");
        assert_eq!(err.code, "InvalidParameterException");
        assert!(err.message.contains("bakeTimeInMinutes"), "{}", err.message);
        assert!(
            strategy_check(
                serde_json::json!({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0}),
                serde_json::json!([])
            )
            .is_ok()
        );
        assert!(
            strategy_check(
                serde_json::json!({"strategy": "LINEAR"}),
                serde_json::json!([])
            )
            .is_ok()
        );
    }

    // API_AdvancedConfiguration and the developer guide, "blue-green-deployment-implementation":
    // a load-balanced native deployment needs the alternate target group, the production listener
    // rule and the role; a headless service needs none of them.
    #[test]
    fn a_load_balanced_native_strategy_needs_the_advanced_configuration() {
        let dc = serde_json::json!({"strategy": "CANARY"});
        let err =
            strategy_check(dc.clone(), serde_json::json!([target_group()])).expect_err("bare");
        assert!(
            err.message
                .contains("loadBalancers[0].advancedConfiguration.alternateTargetGroupArn"),
            "{}",
            err.message
        );
        let mut lb = target_group();
        lb["advancedConfiguration"] = serde_json::json!({
            "alternateTargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/2",
            "productionListenerRule": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/1/2/3",
        });
        let err = strategy_check(dc.clone(), serde_json::json!([lb.clone()])).expect_err("no role");
        assert!(err.message.contains("roleArn"), "{}", err.message);
        lb["advancedConfiguration"]["roleArn"] = "arn:aws:iam::123456789012:role/ecs-elb".into();
        assert!(strategy_check(dc.clone(), serde_json::json!([lb])).is_ok());
        assert!(
            strategy_check(dc, serde_json::json!([])).is_ok(),
            "headless"
        );
        // A rolling service needs none of it.
        assert!(
            strategy_check(
                serde_json::json!({"strategy": "ROLLING"}),
                serde_json::json!([target_group()])
            )
            .is_ok()
        );
    }

    // API_DeploymentLifecycleHook: `lifecycleStages` must be provided; `hookTargetArn` must be
    // provided for an AWS_LAMBDA hook (the default target type); "PAUSE hooks cannot be
    // configured at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT stages".
    #[test]
    fn lifecycle_hooks_follow_the_reference() {
        let check = |hook: serde_json::Value| {
            strategy_check(
                serde_json::json!({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1, "lifecycleHooks": [hook]}),
                serde_json::json!([]),
            )
        };
        let lambda = "arn:aws:lambda:us-east-1:123456789012:function:smoke";
        let err = check(serde_json::json!({"hookTargetArn": lambda})).expect_err("no stages");
        assert!(
            err.message.contains("lifecycleHooks[0].lifecycleStages"),
            "{}",
            err.message
        );
        let err = check(serde_json::json!({"lifecycleStages": ["POST_SCALE_UP"]}))
            .expect_err("no target");
        assert!(err.message.contains("hookTargetArn"), "{}", err.message);
        for stage in ["TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"] {
            let err = check(serde_json::json!({"targetType": "PAUSE", "lifecycleStages": [stage]}))
                .expect_err("pause at a shift");
            assert_eq!(err.code, "InvalidParameterException");
            assert!(err.message.contains(stage), "{}", err.message);
        }
        assert!(check(serde_json::json!({"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT"]})).is_ok());
        // API_DeploymentLifecycleHookTimeoutConfiguration: timeoutInMinutes 1..=20160.
        for (minutes, ok) in [(0, false), (1, true), (20_160, true), (20_161, false)] {
            let hook = serde_json::json!({"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"], "timeoutConfiguration": {"timeoutInMinutes": minutes}});
            assert_eq!(check(hook).is_ok(), ok, "{minutes}");
        }
        assert!(check(serde_json::json!({"hookTargetArn": lambda, "lifecycleStages": ["TEST_TRAFFIC_SHIFT"]})).is_ok());
    }

    // API_UpdateService: a refused update changes nothing.
    #[test]
    fn a_refused_strategy_update_changes_nothing() {
        let mut kit = crate::testkit::Kit::new(crate::testkit::WORLD);
        kit.steady_service(1, serde_json::json!({}), "web:2");
        let err = kit
            .try_call(
                "ecs",
                "UpdateService",
                20.0,
                serde_json::json!({"service": "web", "deploymentConfiguration": {"strategy": "BLUE_GREEN"}}),
            )
            .expect_err("no bake time");
        assert_eq!(err.code, "InvalidParameterException");
        let dc = kit
            .service("web")
            .service
            .deployment_configuration()
            .cloned();
        assert_eq!(dc.and_then(|d| d.strategy().cloned()), None);
    }
}
