//! The rules AWS applies to a definition, checked on the loaded value before
//! any call, so that bad input stops with a file, a line and a hint instead of
//! a refusal from AWS after something was already changed (a registered
//! revision, a half-made service).
//!
//! Enum values come from the SDK's own enum types (`NetworkMode::values()`,
//! …), never from a list written here: a value AWS adds arrives with the next
//! SDK release. Each rule cites the API reference page it follows.
//!
//! Every command that loads a definition runs these checks (through
//! [`crate::Loader`]), `render` and `diff` included: a definition AWS would
//! refuse is an error everywhere, so that CI catches it at the first step.

use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::types::{
    ApplicationProtocol, AssignPublicIp, Compatibility, ContainerCondition, ContainerDefinition,
    CpuArchitecture, DeploymentControllerType, EnvironmentFileType, FirelensConfigurationType,
    IpcMode, LaunchType, LogDriver, NetworkMode, OsFamily, PidMode, PlacementConstraintType,
    PlacementStrategyType, PropagateTags, SchedulingStrategy,
    TaskDefinitionPlacementConstraintType, TransportProtocol, UlimitName,
};

use crate::definition::reader::suggest;
use crate::error::{Problem, ProblemKind};
use crate::path::JsonPath;

/// The largest task definition AWS registers, in bytes of request JSON.
///
/// Amazon ECS service quotas (developer guide, `service-quotas.html`). The
/// 64 KiB figure is the one issue 14 gives; the excerpt of that page read
/// while writing this did not show the row, and how AWS counts the bytes
/// (request body or stored form) is not documented: the compact request JSON
/// is what is measured here.
pub const MAX_TASK_DEFINITION_BYTES: usize = 64 * 1024;

/// Amazon ECS service quotas (developer guide, `service-quotas.html`):
/// "Containers per task definition: 10", not adjustable.
pub const MAX_CONTAINERS: usize = 10;

/// The highest TCP/UDP port number.
const MAX_PORT: i32 = 65_535;

/// Problems found on one document, with their JSON paths.
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn invalid(&mut self, path: JsonPath, message: String) {
        self.problems.push(Problem {
            path,
            position: None,
            kind: ProblemKind::Invalid { message },
        });
    }

    /// `value` must be one of the SDK enum's `allowed` values (case-sensitive,
    /// as AWS compares them).
    fn one_of(&mut self, path: JsonPath, value: &str, allowed: &[&str]) {
        if allowed.contains(&value) {
            return;
        }
        let hint = match suggest(value, allowed.iter().copied()) {
            Some(s) => format!(" (did you mean `{s}`?)"),
            None => String::new(),
        };
        self.invalid(
            path,
            format!(
                "`{value}` is not one of {}{hint}",
                allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }

    /// Up to 255 letters, numbers, underscores and hyphens: the pattern the
    /// API reference gives for family, container and service names.
    fn name(&mut self, path: JsonPath, value: &str, what: &str) {
        if value.is_empty() {
            self.invalid(
                path,
                format!("the {what} is missing or empty: it is required"),
            );
        } else if value.len() > 255
            || !value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            self.invalid(
                path,
                format!(
                    "`{value}` is not a valid {what}: up to 255 letters, numbers, underscores and hyphens"
                ),
            );
        }
    }

    fn port(&mut self, path: JsonPath, port: Option<i32>) {
        if let Some(port) = port.filter(|p| !(0..=MAX_PORT).contains(p)) {
            self.invalid(
                path,
                format!("{port} is not a port number (0 to {MAX_PORT})"),
            );
        }
    }

    fn not_negative(&mut self, path: JsonPath, value: Option<i32>) {
        if let Some(v) = value.filter(|v| *v < 0) {
            self.invalid(path, format!("{v} is negative; it must be 0 or more"));
        }
    }

    fn positive(&mut self, path: JsonPath, value: Option<i32>) {
        if let Some(v) = value.filter(|v| *v <= 0) {
            self.invalid(path, format!("{v} is not a positive number of MiB"));
        }
    }
}

/// Checks a task definition; `root` is where it sits in its file (inside a
/// `taskDefinition` wrapper, or the file's root).
#[must_use]
pub fn task_definition(input: &RegisterTaskDefinitionInput, root: &JsonPath) -> Vec<Problem> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    // API_RegisterTaskDefinition.html, `family`: required; "Up to 255 letters
    // (uppercase and lowercase), numbers, underscores, and hyphens are allowed."
    match input.family() {
        None => c.invalid(
            root.key("family"),
            "`family` is required: add the task definition family's name".to_owned(),
        ),
        Some(family) => c.name(root.key("family"), family, "family name"),
    }
    // API_RegisterTaskDefinition.html: `containerDefinitions` is required.
    if input.container_definitions().is_empty() {
        c.invalid(
            root.key("containerDefinitions"),
            "`containerDefinitions` is required: add at least one container".to_owned(),
        );
    }
    if input.container_definitions().len() > MAX_CONTAINERS {
        c.invalid(
            root.key("containerDefinitions"),
            format!(
                "{} containers; a task definition holds at most {MAX_CONTAINERS}",
                input.container_definitions().len()
            ),
        );
    }
    // API_RegisterTaskDefinition.html, `networkMode`, `requiresCompatibilities`,
    // `pidMode`, `ipcMode`, `placementConstraints[].type`: enum shapes.
    if let Some(mode) = input.network_mode() {
        c.one_of(
            root.key("networkMode"),
            mode.as_str(),
            NetworkMode::values(),
        );
    }
    for (i, compat) in input.requires_compatibilities().iter().enumerate() {
        c.one_of(
            root.key("requiresCompatibilities").index(i),
            compat.as_str(),
            Compatibility::values(),
        );
    }
    if let Some(mode) = input.pid_mode() {
        c.one_of(root.key("pidMode"), mode.as_str(), PidMode::values());
    }
    if let Some(mode) = input.ipc_mode() {
        c.one_of(root.key("ipcMode"), mode.as_str(), IpcMode::values());
    }
    for (i, constraint) in input.placement_constraints().iter().enumerate() {
        if let Some(t) = constraint.r#type() {
            c.one_of(
                root.key("placementConstraints").index(i).key("type"),
                t.as_str(),
                TaskDefinitionPlacementConstraintType::values(),
            );
        }
    }
    if let Some(platform) = input.runtime_platform() {
        // API_RuntimePlatform.html: enum shapes.
        if let Some(arch) = platform.cpu_architecture() {
            c.one_of(
                root.key("runtimePlatform").key("cpuArchitecture"),
                arch.as_str(),
                CpuArchitecture::values(),
            );
        }
        if let Some(os) = platform.operating_system_family() {
            c.one_of(
                root.key("runtimePlatform").key("operatingSystemFamily"),
                os.as_str(),
                OsFamily::values(),
            );
        }
    }
    // API_RegisterTaskDefinition.html, `cpu` / `memory`: "an integer using CPU
    // units (for example, 1024)" or "a string using vCPUs (for example, 1 vCPU)";
    // "an integer using MiB (for example, 1024)" or "a string using GB".
    if let Some(cpu) = input.cpu() {
        task_size(
            &mut c,
            root.key("cpu"),
            cpu,
            "vcpu",
            "CPU units, or `N vCPU`",
        );
    }
    if let Some(memory) = input.memory() {
        task_size(&mut c, root.key("memory"), memory, "gb", "MiB, or `N GB`");
    }
    let containers = root.key("containerDefinitions");
    for (i, container) in input.container_definitions().iter().enumerate() {
        self::container(&mut c, &containers.index(i), container);
        // Developer guide, task_definition_parameters.html ("name"): each
        // container of a task definition has its own name (links and
        // dependsOn refer to containers by name).
        if let Some(name) = container.name()
            && let Some(first) = input.container_definitions()[..i]
                .iter()
                .position(|other| other.name() == Some(name))
        {
            c.invalid(
                containers.index(i).key("name"),
                format!(
                    "two containers are named `{name}` (also `containerDefinitions[{first}]`); container names must be unique"
                ),
            );
        }
    }
    c.problems
}

/// A task-level `cpu` or `memory`: a positive whole number, or a positive
/// number followed by `unit`.
fn task_size(c: &mut Checker, path: JsonPath, value: &str, unit: &str, expected: &str) {
    let text = value.trim();
    let number = text
        .to_ascii_lowercase()
        .strip_suffix(unit)
        .map(|n| n.trim().to_owned());
    let ok = match number {
        Some(n) => n.parse::<f64>().is_ok_and(|v| v > 0.0),
        None => text.parse::<u64>().is_ok_and(|v| v > 0),
    };
    if !ok {
        c.invalid(
            path,
            format!("`{value}` is not a positive amount ({expected})"),
        );
    }
}

/// API_ContainerDefinition.html and the shapes it refers to.
fn container(c: &mut Checker, path: &JsonPath, container: &ContainerDefinition) {
    // `name` and `image` are required by RegisterTaskDefinition (AWS answers
    // ClientException "Container.name should not be null or empty" /
    // "Container.image should not be null or empty"); the name follows the
    // family's pattern ("Up to 255 letters …").
    match container.name() {
        None => c.invalid(
            path.key("name"),
            "the container has no `name`: every container needs one".to_owned(),
        ),
        Some(name) => c.name(path.key("name"), name, "container name"),
    }
    if container.image().is_none_or(str::is_empty) {
        c.invalid(
            path.key("image"),
            "the container has no `image`: name the image to run (`repository:tag`)".to_owned(),
        );
    }
    // `cpu`: CPU units, 0 or more; `memory` / `memoryReservation`: MiB ("the
    // Docker 20.10.0 or later daemon reserves a minimum of 6 MiB").
    if container.cpu() < 0 {
        c.invalid(
            path.key("cpu"),
            format!("{} is negative; CPU units are 0 or more", container.cpu()),
        );
    }
    c.positive(path.key("memory"), container.memory());
    c.positive(
        path.key("memoryReservation"),
        container.memory_reservation(),
    );
    // API_PortMapping.html: `containerPort` / `hostPort` are port numbers;
    // `protocol` and `appProtocol` are enum shapes.
    for (i, mapping) in container.port_mappings().iter().enumerate() {
        let at = path.key("portMappings").index(i);
        c.port(at.key("containerPort"), mapping.container_port());
        c.port(at.key("hostPort"), mapping.host_port());
        if let Some(protocol) = mapping.protocol() {
            c.one_of(
                at.key("protocol"),
                protocol.as_str(),
                TransportProtocol::values(),
            );
        }
        if let Some(protocol) = mapping.app_protocol() {
            c.one_of(
                at.key("appProtocol"),
                protocol.as_str(),
                ApplicationProtocol::values(),
            );
        }
    }
    // API_LogConfiguration.html: `logDriver` is an enum shape.
    if let Some(log) = container.log_configuration() {
        c.one_of(
            path.key("logConfiguration").key("logDriver"),
            log.log_driver().as_str(),
            LogDriver::values(),
        );
    }
    // API_Ulimit.html, API_ContainerDependency.html, API_EnvironmentFile.html,
    // API_FirelensConfiguration.html: enum shapes.
    for (i, ulimit) in container.ulimits().iter().enumerate() {
        c.one_of(
            path.key("ulimits").index(i).key("name"),
            ulimit.name().as_str(),
            UlimitName::values(),
        );
    }
    for (i, dependency) in container.depends_on().iter().enumerate() {
        c.one_of(
            path.key("dependsOn").index(i).key("condition"),
            dependency.condition().as_str(),
            ContainerCondition::values(),
        );
    }
    for (i, file) in container.environment_files().iter().enumerate() {
        c.one_of(
            path.key("environmentFiles").index(i).key("type"),
            file.r#type().as_str(),
            EnvironmentFileType::values(),
        );
    }
    if let Some(firelens) = container.firelens_configuration() {
        c.one_of(
            path.key("firelensConfiguration").key("type"),
            firelens.r#type().as_str(),
            FirelensConfigurationType::values(),
        );
    }
}

/// The size check, on the JSON the task definition is sent as.
#[must_use]
pub fn task_definition_size(api_json_bytes: usize, root: &JsonPath) -> Option<Problem> {
    (api_json_bytes > MAX_TASK_DEFINITION_BYTES).then(|| Problem {
        path: root.clone(),
        position: None,
        kind: ProblemKind::Invalid {
            message: format!(
                "the task definition is {api_json_bytes} bytes of JSON; AWS registers at most {MAX_TASK_DEFINITION_BYTES} (64 KiB): move large values (scripts, config files) to S3, SSM parameters or environment files"
            ),
        },
    })
}

/// Checks a service definition (the input of `CreateService`; UpdateService
/// is made from it).
#[must_use]
pub fn service_definition(input: &CreateServiceInput) -> Vec<Problem> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    let root = JsonPath::root();
    // API_CreateService.html: `desiredCount` is a number of tasks (0 or
    // more), `healthCheckGracePeriodSeconds` a number of seconds.
    c.not_negative(root.key("desiredCount"), input.desired_count());
    c.not_negative(
        root.key("healthCheckGracePeriodSeconds"),
        input.health_check_grace_period_seconds(),
    );
    // API_CreateService.html: `launchType`, `schedulingStrategy`,
    // `propagateTags` are enum shapes; API_DeploymentController.html: `type`.
    if let Some(t) = input.launch_type() {
        c.one_of(root.key("launchType"), t.as_str(), LaunchType::values());
    }
    if let Some(s) = input.scheduling_strategy() {
        c.one_of(
            root.key("schedulingStrategy"),
            s.as_str(),
            SchedulingStrategy::values(),
        );
    }
    if let Some(p) = input.propagate_tags() {
        c.one_of(
            root.key("propagateTags"),
            p.as_str(),
            PropagateTags::values(),
        );
    }
    if let Some(controller) = input.deployment_controller() {
        c.one_of(
            root.key("deploymentController").key("type"),
            controller.r#type().as_str(),
            DeploymentControllerType::values(),
        );
    }
    // API_AwsVpcConfiguration.html: `assignPublicIp` is an enum shape.
    if let Some(assign) = input
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .and_then(|a| a.assign_public_ip())
    {
        c.one_of(
            root.key("networkConfiguration")
                .key("awsvpcConfiguration")
                .key("assignPublicIp"),
            assign.as_str(),
            AssignPublicIp::values(),
        );
    }
    // API_PlacementStrategy.html, API_PlacementConstraint.html: `type`.
    for (i, strategy) in input.placement_strategy().iter().enumerate() {
        if let Some(t) = strategy.r#type() {
            c.one_of(
                root.key("placementStrategy").index(i).key("type"),
                t.as_str(),
                PlacementStrategyType::values(),
            );
        }
    }
    for (i, constraint) in input.placement_constraints().iter().enumerate() {
        if let Some(t) = constraint.r#type() {
            c.one_of(
                root.key("placementConstraints").index(i).key("type"),
                t.as_str(),
                PlacementConstraintType::values(),
            );
        }
    }
    // API_DeploymentConfiguration.html: percentages are 0 or more.
    if let Some(config) = input.deployment_configuration() {
        let at = root.key("deploymentConfiguration");
        c.not_negative(at.key("maximumPercent"), config.maximum_percent());
        c.not_negative(
            at.key("minimumHealthyPercent"),
            config.minimum_healthy_percent(),
        );
    }
    // API_LoadBalancer.html: `containerPort` is a port number.
    for (i, lb) in input.load_balancers().iter().enumerate() {
        c.port(
            root.key("loadBalancers").index(i).key("containerPort"),
            lb.container_port(),
        );
    }
    c.problems
}

/// A service name as CreateService accepts it (API_CreateService.html,
/// `serviceName`: "Up to 255 letters (uppercase and lowercase), numbers,
/// underscores, and hyphens are allowed."); the message when it is not.
#[must_use]
pub fn service_name(name: &str) -> Option<String> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    c.name(JsonPath::root(), name, "service name");
    c.problems.into_iter().next().map(|p| match p.kind {
        ProblemKind::Invalid { message } => message,
        _ => String::new(),
    })
}

/// A region name as AWS writes them (`us-east-1`, `eu-isoe-west-1`): lower
/// case letters, digits and hyphens, a letter first. The SDK puts the region
/// into host names, so anything else can only fail later and less clearly.
#[must_use]
pub fn region(name: &str) -> Option<String> {
    let ok = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (!ok).then(|| {
        format!("`{name}` is not an AWS region name (lower case letters, digits and hyphens, like `us-east-1`)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::parse_task_definition;
    use std::path::Path;

    fn problems(json: &str) -> Vec<String> {
        let input = parse_task_definition(json, Path::new("t.json")).expect("parses");
        task_definition(&input, &JsonPath::root())
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    const GOOD: &str = r#"{"family":"web","networkMode":"awsvpc","cpu":"256","memory":"0.5 GB",
        "containerDefinitions":[{"name":"app","image":"nginx","memory":128,
        "portMappings":[{"containerPort":80,"protocol":"tcp"}],
        "logConfiguration":{"logDriver":"awslogs"}}]}"#;

    #[test]
    fn a_good_task_definition_has_no_problem() {
        assert_eq!(problems(GOOD), Vec::<String>::new());
    }

    #[test]
    fn a_misspelt_enum_value_names_the_allowed_ones_and_the_nearest() {
        let p = problems(&GOOD.replace("\"awsvpc\"", "\"bridgex\""));
        assert_eq!(
            p,
            [
                "`networkMode`: `bridgex` is not one of `awsvpc`, `bridge`, `host`, `none` (did you mean `bridge`?)"
            ]
        );
    }

    #[test]
    fn each_rule_of_the_issue_is_caught() {
        let cases = [
            ("\"tcp\"", "\"tcpx\"", "portMappings[0].protocol"),
            ("\"awslogs\"", "\"json-filez\"", "logDriver"),
            ("\"256\"", "\"-256\"", "`cpu`"),
            ("\"memory\":128", "\"memory\":-128", "memory"),
            ("80,", "70000,", "containerPort"),
            ("\"web\"", "\"web app!\"", "family"),
            ("\"nginx\"", "\"\"", "image"),
        ];
        for (from, to, expected) in cases {
            let p = problems(&GOOD.replace(from, to));
            assert_eq!(p.len(), 1, "{to}: {p:?}");
            assert!(p[0].contains(expected), "{to}: {p:?}");
        }
    }

    #[test]
    fn required_members_and_duplicate_container_names() {
        let p = problems("{}");
        assert!(
            p.iter().any(|p| p.contains("family name is missing")),
            "{p:?}"
        );
        assert!(
            p.iter().any(|p| p.contains("containerDefinitions")),
            "{p:?}"
        );
        let twice = r#"{"family":"web","containerDefinitions":[
            {"name":"app","image":"a"},{"name":"app","image":"b"}]}"#;
        assert_eq!(
            problems(twice),
            [
                "`containerDefinitions[1].name`: two containers are named `app` (also `containerDefinitions[0]`); container names must be unique"
            ]
        );
    }

    #[test]
    fn the_size_limit_is_64_kib() {
        assert!(task_definition_size(65_536, &JsonPath::root()).is_none());
        assert!(task_definition_size(65_537, &JsonPath::root()).is_some());
    }

    #[test]
    fn region_names() {
        assert!(region("us-east-1").is_none());
        assert!(region("eu-isoe-west-1").is_none());
        assert!(region("us east 1").is_some());
        assert!(region("US-EAST-1").is_some());
        assert!(region("us-east-1/").is_some());
    }

    #[test]
    fn a_duplicate_json_key_names_both_places() {
        let text = "{\n  \"family\": \"web\",\n  \"family\": \"api\"\n}\n";
        let err =
            crate::definition::load_task_definition(text, Path::new("td.json")).expect_err("fails");
        assert_eq!(
            err.details(),
            [
                "td.json:3:3: `family`: duplicate key `family`: it is also at line 2, column 3; only one can be used"
            ]
        );
    }

    #[test]
    fn a_task_definition_over_64_kib_is_refused_with_its_size() {
        let big = "x".repeat(70_000);
        let text = GOOD.replace("\"nginx\"", &format!("\"nginx\",\"command\":[\"{big}\"]"));
        let err = crate::definition::load_task_definition(&text, Path::new("td.json"))
            .expect_err("fails");
        assert!(
            err.details()[0].contains("AWS registers at most 65536"),
            "{:?}",
            err.details()
        );
    }
}
