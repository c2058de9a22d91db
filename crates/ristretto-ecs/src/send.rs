//! Sending a loaded input as it is. The SDK sends requests from an input
//! *builder* (`send_with`) and offers no way back from an input to its
//! builder, so these functions copy every field. The tests load the AWS CLI's
//! skeleton of each operation (every field set), copy it and compare the
//! wire JSON, and check that the skeleton covers every member of the SDK's
//! schema: a field added by a new SDK release fails them until it is added
//! here too.

use aws_sdk_ecs::operation::create_service::{
    CreateServiceInput, builders::CreateServiceInputBuilder,
};
use aws_sdk_ecs::operation::register_task_definition::{
    RegisterTaskDefinitionInput, builders::RegisterTaskDefinitionInputBuilder,
};
use aws_sdk_ecs::operation::update_service::{
    UpdateServiceInput, builders::UpdateServiceInputBuilder,
};

/// The builder of `input`, every field set.
#[must_use]
pub fn create_service_builder(input: CreateServiceInput) -> CreateServiceInputBuilder {
    CreateServiceInput::builder()
        .set_cluster(input.cluster)
        .set_service_name(input.service_name)
        .set_task_definition(input.task_definition)
        .set_availability_zone_rebalancing(input.availability_zone_rebalancing)
        .set_load_balancers(input.load_balancers)
        .set_service_registries(input.service_registries)
        .set_desired_count(input.desired_count)
        .set_client_token(input.client_token)
        .set_launch_type(input.launch_type)
        .set_capacity_provider_strategy(input.capacity_provider_strategy)
        .set_platform_version(input.platform_version)
        .set_role(input.role)
        .set_deployment_configuration(input.deployment_configuration)
        .set_placement_constraints(input.placement_constraints)
        .set_placement_strategy(input.placement_strategy)
        .set_network_configuration(input.network_configuration)
        .set_health_check_grace_period_seconds(input.health_check_grace_period_seconds)
        .set_scheduling_strategy(input.scheduling_strategy)
        .set_deployment_controller(input.deployment_controller)
        .set_tags(input.tags)
        .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
        .set_propagate_tags(input.propagate_tags)
        .set_enable_execute_command(input.enable_execute_command)
        .set_service_connect_configuration(input.service_connect_configuration)
        .set_volume_configurations(input.volume_configurations)
        .set_vpc_lattice_configurations(input.vpc_lattice_configurations)
        .set_gateway_connectors(input.gateway_connectors)
        .set_monitoring(input.monitoring)
}

/// The builder of `input`, every field set.
#[must_use]
pub fn update_service_builder(input: UpdateServiceInput) -> UpdateServiceInputBuilder {
    UpdateServiceInput::builder()
        .set_cluster(input.cluster)
        .set_service(input.service)
        .set_desired_count(input.desired_count)
        .set_task_definition(input.task_definition)
        .set_capacity_provider_strategy(input.capacity_provider_strategy)
        .set_deployment_configuration(input.deployment_configuration)
        .set_availability_zone_rebalancing(input.availability_zone_rebalancing)
        .set_network_configuration(input.network_configuration)
        .set_placement_constraints(input.placement_constraints)
        .set_placement_strategy(input.placement_strategy)
        .set_platform_version(input.platform_version)
        .set_force_new_deployment(input.force_new_deployment)
        .set_health_check_grace_period_seconds(input.health_check_grace_period_seconds)
        .set_deployment_controller(input.deployment_controller)
        .set_enable_execute_command(input.enable_execute_command)
        .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
        .set_load_balancers(input.load_balancers)
        .set_propagate_tags(input.propagate_tags)
        .set_service_registries(input.service_registries)
        .set_service_connect_configuration(input.service_connect_configuration)
        .set_volume_configurations(input.volume_configurations)
        .set_vpc_lattice_configurations(input.vpc_lattice_configurations)
        .set_gateway_connectors(input.gateway_connectors)
        .set_monitoring(input.monitoring)
}

/// The builder of `input`, every field set.
#[must_use]
#[allow(deprecated)] // inferenceAccelerators is deprecated by AWS but still part of the API
pub fn register_task_definition_builder(
    input: RegisterTaskDefinitionInput,
) -> RegisterTaskDefinitionInputBuilder {
    RegisterTaskDefinitionInput::builder()
        .set_family(input.family)
        .set_task_role_arn(input.task_role_arn)
        .set_execution_role_arn(input.execution_role_arn)
        .set_network_mode(input.network_mode)
        .set_container_definitions(input.container_definitions)
        .set_volumes(input.volumes)
        .set_placement_constraints(input.placement_constraints)
        .set_requires_compatibilities(input.requires_compatibilities)
        .set_cpu(input.cpu)
        .set_memory(input.memory)
        .set_tags(input.tags)
        .set_pid_mode(input.pid_mode)
        .set_ipc_mode(input.ipc_mode)
        .set_proxy_configuration(input.proxy_configuration)
        .set_inference_accelerators(input.inference_accelerators)
        .set_ephemeral_storage(input.ephemeral_storage)
        .set_runtime_platform(input.runtime_platform)
        .set_enable_fault_injection(input.enable_fault_injection)
}
#[cfg(test)]
mod tests {
    use std::path::Path;

    use ristretto_core::definition::{
        api_json, parse_service_definition, parse_task_definition, update_service_input,
    };
    use serde_json::Value;

    use super::*;

    fn skeleton(name: &str) -> (String, std::path::PathBuf) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/skeleton")
            .join(name);
        (std::fs::read_to_string(&path).expect("fixture"), path)
    }

    fn keys(value: &Value) -> Vec<String> {
        let mut keys: Vec<String> = value
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    }

    fn schema_members(schema: &aws_smithy_schema::Schema<'_>) -> Vec<String> {
        let mut names: Vec<String> = schema
            .members()
            .iter()
            .filter_map(|m| m.member_name())
            .map(str::to_owned)
            .collect();
        names.sort();
        names
    }

    #[test]
    fn register_task_definition_copies_every_field() {
        let (text, path) = skeleton("register-task-definition.json");
        let input = parse_task_definition(&text, &path).expect("loads");
        let members = schema_members(RegisterTaskDefinitionInput::SCHEMA);
        let json = api_json(&input).expect("writes");
        assert_eq!(
            keys(&json),
            members,
            "the skeleton fixture covers every member of the SDK schema"
        );
        let copied = register_task_definition_builder(input)
            .build()
            .expect("builds");
        assert_eq!(api_json(&copied).expect("writes"), json);
    }

    #[test]
    fn create_service_copies_every_field() {
        let (text, path) = skeleton("create-service.json");
        let input = parse_service_definition(&text, &path, "web").expect("loads");
        let json = api_json(&input).expect("writes");
        let mut missing = schema_members(CreateServiceInput::SCHEMA);
        missing.retain(|m| !keys(&json).contains(m));
        assert!(
            missing
                .iter()
                .all(|m| m == "gatewayConnectors" || m == "monitoring"),
            "uncovered: {missing:?}"
        );
        let copied = create_service_builder(input).build().expect("builds");
        assert_eq!(api_json(&copied).expect("writes"), json);
    }

    #[test]
    fn update_service_copies_every_field() {
        let (text, path) = skeleton("create-service.json");
        let create = parse_service_definition(&text, &path, "web").expect("loads");
        let mut update = update_service_input(&create, "prod").expect("projects");
        update.force_new_deployment = Some(true);
        let json = api_json(&update).expect("writes");
        let copied = update_service_builder(update).build().expect("builds");
        assert_eq!(api_json(&copied).expect("writes"), json);
    }
}
