//! Both sides of a diff in one canonical form, so that only real changes show.
//!
//! A definition file and the live object say the same thing in different ways:
//! AWS fills in defaults the file leaves out (a circuit breaker that is off,
//! `"essential": true`, `"protocol": "tcp"`), returns lists in its own order,
//! and writes `"0.25 vCPU"` as `"256"`. Every function here is a pure function
//! of the API JSON (`serde_json::Value`) and is applied to the local and the
//! live document alike:
//!
//! - **projection**: only the members a deploy can change are compared: the
//!   `RegisterTaskDefinition` input for task definitions, the `UpdateService`
//!   input plus `tags` for services;
//! - **defaults**: values AWS fills in are filled in on both sides where the
//!   file usually says them (see [`SERVICE_FILLS`]), and removed on both sides
//!   where they are server noise nobody writes (see [`SERVICE_DROPS`],
//!   [`TASK_DROPS`]);
//! - **order**: lists whose order means nothing are sorted (environment,
//!   secrets, tags, containers by name, …);
//! - **units**: `cpu` and `memory` are written in ECS units;
//! - **empties**: `null`, `[]`, `{}` and `""` are the same as absent.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use aws_smithy_schema::Schema;
use serde_json::{Value, json};

/// A default at a path: `*` steps into every element of an array.
#[derive(Debug, Clone, Copy)]
pub struct DefaultValue {
    /// Where, from the document root.
    pub path: &'static [&'static str],
    /// The value AWS uses when none is given.
    pub value: fn() -> Value,
}

/// Filled in on both sides of a service when absent (when the parent exists).
pub const SERVICE_FILLS: &[DefaultValue] = &[
    DefaultValue {
        path: &[
            "networkConfiguration",
            "awsvpcConfiguration",
            "assignPublicIp",
        ],
        value: || json!("DISABLED"),
    },
    DefaultValue {
        path: &[
            "deploymentConfiguration",
            "deploymentCircuitBreaker",
            "enable",
        ],
        value: || json!(false),
    },
    DefaultValue {
        path: &[
            "deploymentConfiguration",
            "deploymentCircuitBreaker",
            "rollback",
        ],
        value: || json!(false),
    },
];

/// Removed from both sides of a service when equal to AWS's default: server
/// noise a definition file never says (ecspresso issue #894).
pub const SERVICE_DROPS: &[DefaultValue] = &[
    DefaultValue {
        path: &[
            "deploymentConfiguration",
            "deploymentCircuitBreaker",
            "resetOnHealthyTask",
        ],
        value: || json!(true),
    },
    DefaultValue {
        path: &[
            "deploymentConfiguration",
            "deploymentCircuitBreaker",
            "thresholdConfiguration",
        ],
        value: || json!({"type": "BOUNDED_PERCENT", "value": 50}),
    },
    DefaultValue {
        path: &["deploymentConfiguration", "alarms"],
        value: || json!({"enable": false, "rollback": false}),
    },
    DefaultValue {
        path: &["deploymentConfiguration", "strategy"],
        value: || json!("ROLLING"),
    },
    DefaultValue {
        path: &["deploymentConfiguration", "bakeTimeInMinutes"],
        value: || json!(0),
    },
    DefaultValue {
        path: &[
            "deploymentConfiguration",
            "lifecycleHooks",
            "*",
            "timeoutConfiguration",
            "timeoutInMinutes",
        ],
        value: || json!(1440),
    },
    DefaultValue {
        path: &[
            "deploymentConfiguration",
            "lifecycleHooks",
            "*",
            "timeoutConfiguration",
            "action",
        ],
        value: || json!("ROLLBACK"),
    },
    DefaultValue {
        path: &["deploymentController"],
        value: || json!({"type": "ECS"}),
    },
    DefaultValue {
        path: &["capacityProviderStrategy", "*", "base"],
        value: || json!(0),
    },
    DefaultValue {
        path: &["healthCheckGracePeriodSeconds"],
        value: || json!(0),
    },
    DefaultValue {
        path: &["enableECSManagedTags"],
        value: || json!(false),
    },
    DefaultValue {
        path: &["enableExecuteCommand"],
        value: || json!(false),
    },
    DefaultValue {
        path: &["propagateTags"],
        value: || json!("NONE"),
    },
    DefaultValue {
        path: &["serviceConnectConfiguration"],
        value: || json!({"enabled": false}),
    },
];

/// Filled in on both sides of a task definition when absent.
pub const TASK_FILLS: &[DefaultValue] = &[
    DefaultValue {
        path: &["containerDefinitions", "*", "essential"],
        value: || json!(true),
    },
    DefaultValue {
        path: &["containerDefinitions", "*", "portMappings", "*", "protocol"],
        value: || json!("tcp"),
    },
];

/// Removed from both sides of a task definition when equal to the default.
pub const TASK_DROPS: &[DefaultValue] = &[
    // A non-optional member of the SDK shape: written as 0 when not set.
    DefaultValue {
        path: &["containerDefinitions", "*", "cpu"],
        value: || json!(0),
    },
    DefaultValue {
        path: &["containerDefinitions", "*", "versionConsistency"],
        value: || json!("enabled"),
    },
    DefaultValue {
        path: &["enableFaultInjection"],
        value: || json!(false),
    },
];

/// Maps whose keys and values are the user's own: nothing inside is touched.
const STRING_MAPS: &[&str] = &["dockerLabels", "options", "driverOpts", "labels"];

static TASK_MEMBERS: LazyLock<BTreeSet<String>> =
    LazyLock::new(|| member_names(RegisterTaskDefinitionInput::SCHEMA));

static SERVICE_MEMBERS: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let mut names = member_names(UpdateServiceInput::SCHEMA);
    // Identify the request or are compared elsewhere (the task definition
    // has its own diff); `forceNewDeployment` is an action, not a state.
    for name in ["cluster", "service", "taskDefinition", "forceNewDeployment"] {
        names.remove(name);
    }
    names.insert("tags".to_owned());
    names
});

static CREATE_SERVICE_MEMBERS: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let mut names = member_names(CreateServiceInput::SCHEMA);
    for name in ["serviceName", "cluster", "taskDefinition", "clientToken"] {
        names.remove(name);
    }
    names
});

fn member_names(schema: &Schema<'_>) -> BTreeSet<String> {
    schema
        .members()
        .iter()
        .filter_map(|m| m.member_name())
        .map(str::to_owned)
        .collect()
}

/// The live task definition as a `RegisterTaskDefinition` input: the API JSON
/// of `DescribeTaskDefinition`'s `taskDefinition` without its read-only
/// members (`taskDefinitionArn`, `revision`, `status`, …), with `tags`.
#[must_use]
pub fn live_task_definition(task_definition: &Value, tags: Option<&Value>) -> Value {
    let mut out = project(task_definition, &TASK_MEMBERS);
    if let (Value::Object(map), Some(tags)) = (&mut out, tags) {
        map.insert("tags".to_owned(), tags.clone());
    }
    out
}

/// The live service with the settings ECS keeps on its PRIMARY deployment
/// (`serviceConnectConfiguration`, `volumeConfigurations`,
/// `vpcLatticeConfigurations`) lifted to the top, where a definition file has
/// them. Services with the CODE_DEPLOY controller are returned as they are.
#[must_use]
pub fn live_service(service: &Value) -> Value {
    let mut out = service.clone();
    let controller = service
        .pointer("/deploymentController/type")
        .and_then(Value::as_str);
    if controller == Some("CODE_DEPLOY") {
        return out;
    }
    let primary = service
        .get("deployments")
        .and_then(Value::as_array)
        .and_then(|d| {
            d.iter()
                .find(|d| d.get("status").and_then(Value::as_str) == Some("PRIMARY"))
        });
    if let (Some(primary), Value::Object(map)) = (primary, &mut out) {
        for key in [
            "serviceConnectConfiguration",
            "volumeConfigurations",
            "vpcLatticeConfigurations",
        ] {
            if let Some(value) = primary.get(key) {
                map.insert(key.to_owned(), value.clone());
            }
        }
    }
    out
}

/// The live service as a service definition file holds it (`init`): the
/// members `CreateService` accepts, without the ones the config owns
/// (`serviceName`, `cluster`) and the task definition (deployed separately),
/// empties removed. `propagateTags` other than `SERVICE` or
/// `TASK_DEFINITION` becomes `NONE`; server noise ([`SERVICE_DROPS`]) is left
/// out.
#[must_use]
pub fn service_definition(live: &Value) -> Value {
    let mut sv = project(&live_service(live), &CREATE_SERVICE_MEMBERS);
    if let Value::Object(map) = &mut sv
        && let Some(tags) = map.get_mut("propagateTags")
        && !matches!(tags.as_str(), Some("SERVICE" | "TASK_DEFINITION"))
    {
        *tags = json!("NONE");
    }
    prune(&mut sv);
    for rule in SERVICE_DROPS {
        drop_default(&mut sv, rule.path, &(rule.value)());
    }
    prune(&mut sv);
    sv
}

/// The live task definition as a task definition file holds it (`init`):
/// [`live_task_definition`] without empties and server noise
/// ([`TASK_DROPS`]). Nothing is filled in or reordered.
#[must_use]
pub fn task_definition_file(task_definition: &Value, tags: Option<&Value>) -> Value {
    let mut td = live_task_definition(task_definition, tags);
    prune(&mut td);
    for rule in TASK_DROPS {
        drop_default(&mut td, rule.path, &(rule.value)());
    }
    prune(&mut td);
    td
}

/// A task definition (the API JSON of a `RegisterTaskDefinition` input, or
/// [`live_task_definition`]) in canonical form. Tags in `ignore_tags` are
/// left out.
#[must_use]
pub fn task_definition(document: &Value, ignore_tags: &[String]) -> Value {
    let mut td = project(document, &TASK_MEMBERS);
    prune(&mut td);
    for key in ["cpu", "memory"] {
        if let Some(v) = td.get_mut(key) {
            *v = ecs_units(v, key == "cpu");
        }
    }
    let awsvpc = td.get("networkMode").and_then(Value::as_str) == Some("awsvpc");
    if let Some(Value::Array(containers)) = td.get_mut("containerDefinitions") {
        for container in containers.iter_mut() {
            if awsvpc {
                fill_host_ports(container);
            }
            sort_by_key(container, "environment", "name");
            sort_by_key(container, "secrets", "name");
            sort_by_json(container, "mountPoints");
            sort_by_json(container, "portMappings");
            sort_by_json(container, "volumesFrom");
        }
    }
    for rule in TASK_FILLS {
        fill(&mut td, rule.path, &(rule.value)());
    }
    for rule in TASK_DROPS {
        drop_default(&mut td, rule.path, &(rule.value)());
    }
    sort_by_json(&mut td, "placementConstraints");
    sort_by_json(&mut td, "volumes");
    sort_by_json(&mut td, "requiresCompatibilities");
    sort_by_key(&mut td, "containerDefinitions", "name");
    if let Some(proxy) = td.get_mut("proxyConfiguration") {
        sort_by_key(proxy, "properties", "name");
    }
    tags(&mut td, ignore_tags);
    prune(&mut td);
    td
}

/// A service (the API JSON of a `CreateService` input, or of a live
/// `Service` through [`live_service`]) in canonical form: the members
/// `UpdateService` accepts plus `tags`. Tags in `ignore_tags` are left out.
#[must_use]
pub fn service(document: &Value, ignore_tags: &[String]) -> Value {
    let text = |key: &str| document.get(key).and_then(Value::as_str);
    let daemon = text("schedulingStrategy") == Some("DAEMON");
    let fargate = text("launchType") == Some("FARGATE");
    let mut sv = project(document, &SERVICE_MEMBERS);
    prune(&mut sv);
    if let Value::Object(map) = &mut sv {
        if fargate {
            map.entry("platformVersion")
                .or_insert_with(|| json!("LATEST"));
        }
        if daemon {
            // ECS keeps no count for a daemon service: one task per instance.
            map.remove("desiredCount");
        }
        let dc = map
            .entry("deploymentConfiguration")
            .or_insert_with(|| json!({}));
        if let Value::Object(dc) = dc {
            let (max, min) = if daemon { (100, 0) } else { (200, 100) };
            dc.entry("maximumPercent").or_insert_with(|| json!(max));
            dc.entry("minimumHealthyPercent")
                .or_insert_with(|| json!(min));
            dc.entry("deploymentCircuitBreaker")
                .or_insert_with(|| json!({}));
        }
    }
    for rule in SERVICE_FILLS {
        fill(&mut sv, rule.path, &(rule.value)());
    }
    for rule in SERVICE_DROPS {
        drop_default(&mut sv, rule.path, &(rule.value)());
    }
    if let Some(awsvpc) = sv.pointer_mut("/networkConfiguration/awsvpcConfiguration") {
        sort_by_json(awsvpc, "subnets");
        sort_by_json(awsvpc, "securityGroups");
    }
    sort_by_json(&mut sv, "placementConstraints");
    sort_by_json(&mut sv, "placementStrategy");
    tags(&mut sv, ignore_tags);
    prune(&mut sv);
    sv
}

/// Live members compared only when the local file sets them: a deploy
/// leaves them alone otherwise, and AWS fills them in on its own
/// (`desiredCount` follows auto scaling; `availabilityZoneRebalancing`
/// defaults to `ENABLED` on new services).
pub const COMPARED_WHEN_SET: &[&str] = &["desiredCount", "availabilityZoneRebalancing"];

/// Both sides of a service diff: [`service`] on each, without the live
/// members of [`COMPARED_WHEN_SET`] that the local file does not set.
#[must_use]
pub fn service_pair(
    live: Option<&Value>,
    local: &Value,
    ignore_tags: &[String],
) -> (Option<Value>, Value) {
    let local = service(local, ignore_tags);
    let live = live.map(|l| {
        let mut live = service(l, ignore_tags);
        if let Value::Object(map) = &mut live {
            for key in COMPARED_WHEN_SET {
                if local.get(key).is_none() {
                    map.remove(*key);
                }
            }
        }
        live
    });
    (live, local)
}

/// Only the members in `keep` of an object.
fn project(document: &Value, keep: &BTreeSet<String>) -> Value {
    match document {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| keep.contains(k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Removes `null`, `[]`, `{}` and `""` members and elements, deepest first,
/// so that an object emptied by the removal goes too. String maps keep their
/// entries (an empty Docker label is still a label).
pub fn prune(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if !STRING_MAPS.contains(&key.as_str()) {
                    prune(child);
                }
            }
            map.retain(|_, child| !is_empty(child));
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                prune(item);
            }
            items.retain(|item| !is_empty(item));
        }
        _ => {}
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// `"0.25 vCPU"` → `"256"`, `"1 GB"` → `"1024"`; plain numbers (as strings or
/// numbers) become strings; anything else is kept as written.
fn ecs_units(value: &Value, cpu: bool) -> Value {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        other => return other.clone(),
    };
    let unit = if cpu { "vcpu" } else { "gb" };
    let lower = text.to_ascii_lowercase();
    let Some(number) = lower.strip_suffix(unit) else {
        return Value::String(text);
    };
    match number.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => {
            // ECS units are whole numbers; the cast saturates on absurd input.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let units = (n * 1024.0).round() as u64;
            Value::String(units.to_string())
        }
        _ => Value::String(text),
    }
}

/// In `awsvpc` mode the host port is the container port.
fn fill_host_ports(container: &mut Value) {
    if let Some(Value::Array(mappings)) = container.get_mut("portMappings") {
        for mapping in mappings {
            if let Value::Object(m) = mapping
                && !m.contains_key("hostPort")
                && let Some(port) = m.get("containerPort").cloned()
            {
                m.insert("hostPort".to_owned(), port);
            }
        }
    }
}

/// Sorts the array `parent[key]` by each element's `field` (a string).
fn sort_by_key(parent: &mut Value, key: &str, field: &str) {
    if let Some(Value::Array(items)) = parent.get_mut(key) {
        items.sort_by(|a, b| {
            let name = |v: &Value| v.get(field).and_then(Value::as_str).map(str::to_owned);
            name(a).cmp(&name(b))
        });
    }
}

/// Sorts the array `parent[key]` by each element's compact JSON text.
fn sort_by_json(parent: &mut Value, key: &str) {
    if let Some(Value::Array(items)) = parent.get_mut(key) {
        let mut keyed: Vec<(String, Value)> = items
            .drain(..)
            .map(|v| (serde_json::to_string(&v).unwrap_or_default(), v))
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        items.extend(keyed.into_iter().map(|(_, v)| v));
    }
}

/// Tags sorted by key, without the ignored ones.
fn tags(document: &mut Value, ignore: &[String]) {
    if let Some(Value::Array(tags)) = document.get_mut("tags") {
        tags.retain(|t| {
            t.get("key")
                .and_then(Value::as_str)
                .is_none_or(|k| !ignore.iter().any(|i| i == k))
        });
    }
    sort_by_key(document, "tags", "key");
}

/// Sets `path` to `value` wherever its parent exists and it is absent.
fn fill(document: &mut Value, path: &[&str], value: &Value) {
    visit_parents(document, path, &mut |parent, last| {
        if let Value::Object(map) = parent
            && !map.contains_key(last)
        {
            map.insert(last.to_owned(), value.clone());
        }
    });
}

/// Removes `path` wherever it equals `value`.
fn drop_default(document: &mut Value, path: &[&str], value: &Value) {
    visit_parents(document, path, &mut |parent, last| {
        if let Value::Object(map) = parent
            && map.get(last) == Some(value)
        {
            map.remove(last);
        }
    });
}

/// Calls `f(parent, last_key)` for every parent of `path` in `document`.
fn visit_parents(document: &mut Value, path: &[&str], f: &mut dyn FnMut(&mut Value, &str)) {
    match path {
        [] => {}
        [last] => f(document, last),
        ["*", rest @ ..] => {
            if let Value::Array(items) = document {
                for item in items {
                    visit_parents(item, rest, f);
                }
            }
        }
        [key, rest @ ..] => {
            if let Value::Object(map) = document
                && let Some(child) = map.get_mut(*key)
            {
                visit_parents(child, rest, f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn td(value: Value) -> Value {
        task_definition(&value, &[])
    }

    #[test]
    fn task_definitions_differing_only_in_order_are_equal() {
        let a = json!({
            "family": "web",
            "requiresCompatibilities": ["FARGATE", "EC2"],
            "containerDefinitions": [
                {"name": "b", "image": "b", "environment": [{"name": "Z", "value": "1"}, {"name": "A", "value": "2"}],
                 "secrets": [{"name": "S2", "valueFrom": "x"}, {"name": "S1", "valueFrom": "y"}],
                 "portMappings": [{"containerPort": 443}, {"containerPort": 80}]},
                {"name": "a", "image": "a"}
            ],
            "tags": [{"key": "z", "value": "1"}, {"key": "a", "value": "2"}],
            "volumes": [{"name": "v2"}, {"name": "v1"}]
        });
        let b = json!({
            "family": "web",
            "requiresCompatibilities": ["EC2", "FARGATE"],
            "containerDefinitions": [
                {"name": "a", "image": "a"},
                {"name": "b", "image": "b", "environment": [{"name": "A", "value": "2"}, {"name": "Z", "value": "1"}],
                 "secrets": [{"name": "S1", "valueFrom": "y"}, {"name": "S2", "valueFrom": "x"}],
                 "portMappings": [{"containerPort": 80}, {"containerPort": 443}]}
            ],
            "tags": [{"key": "a", "value": "2"}, {"key": "z", "value": "1"}],
            "volumes": [{"name": "v1"}, {"name": "v2"}]
        });
        assert_eq!(td(a), td(b));
    }

    #[test]
    fn task_definitions_differing_only_in_server_defaults_are_equal() {
        let local = json!({
            "family": "web",
            "networkMode": "awsvpc",
            "containerDefinitions": [{"name": "app", "image": "nginx",
                "portMappings": [{"containerPort": 80, "appProtocol": ""}],
                "environment": [], "mountPoints": [], "dockerLabels": {}}]
        });
        let live = json!({
            "family": "web",
            "networkMode": "awsvpc",
            "enableFaultInjection": false,
            "containerDefinitions": [{"name": "app", "image": "nginx", "cpu": 0, "essential": true,
                "versionConsistency": "enabled",
                "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
                "environment": [], "mountPoints": [], "volumesFrom": [], "systemControls": []}]
        });
        assert_eq!(td(local), td(live));
    }

    #[test]
    fn task_definitions_differing_only_in_units_are_equal() {
        let local = json!({"family": "web", "cpu": "0.25 vCPU", "memory": "1 GB"});
        let live = json!({"family": "web", "cpu": "256", "memory": "1024"});
        assert_eq!(td(local), td(live));
        let local = json!({"family": "web", "cpu": "2 vcpu", "memory": "0.5GB"});
        assert_eq!(
            td(local),
            json!({"family": "web", "cpu": "2048", "memory": "512"})
        );
    }

    #[test]
    fn unparsable_units_are_kept_as_written() {
        let t = td(json!({"family": "web", "memory": "lots GB"}));
        assert_eq!(t["memory"], "lots GB");
    }

    #[test]
    fn a_changed_image_is_still_a_difference() {
        let a = td(
            json!({"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:1"}]}),
        );
        let b = td(
            json!({"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx:2"}]}),
        );
        assert_ne!(a, b);
    }

    #[test]
    fn live_task_definition_keeps_only_register_members_and_adds_tags() {
        let live = json!({
            "taskDefinitionArn": "arn:aws:ecs:us-east-1:1:task-definition/web:3",
            "revision": 3, "status": "ACTIVE", "registeredAt": 1.0,
            "requiresAttributes": [{"name": "x"}], "compatibilities": ["EC2"],
            "family": "web", "ipcMode": "host", "pidMode": "task"
        });
        let out = live_task_definition(&live, Some(&json!([{"key": "k", "value": "v"}])));
        assert_eq!(
            out,
            json!({"family": "web", "ipcMode": "host", "pidMode": "task", "tags": [{"key": "k", "value": "v"}]})
        );
    }

    #[test]
    fn empty_labels_inside_string_maps_are_kept() {
        let t = td(json!({"family": "web", "containerDefinitions": [
            {"name": "a", "dockerLabels": {"x": ""}, "logConfiguration": {"logDriver": "awslogs", "options": {"k": ""}}}
        ]}));
        assert_eq!(
            t["containerDefinitions"][0]["dockerLabels"],
            json!({"x": ""})
        );
        assert_eq!(
            t["containerDefinitions"][0]["logConfiguration"]["options"],
            json!({"k": ""})
        );
    }

    #[test]
    fn services_differing_only_in_server_defaults_are_equal() {
        let local = json!({
            "serviceName": "web",
            "launchType": "FARGATE",
            "desiredCount": 2,
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["b", "a"], "securityGroups": ["sg"]}},
            "tags": [{"key": "b", "value": "1"}, {"key": "a", "value": "2"}]
        });
        let live = json!({
            "serviceName": "web",
            "serviceArn": "arn:aws:ecs:us-east-1:1:service/default/web",
            "launchType": "FARGATE",
            "platformVersion": "LATEST",
            "platformFamily": "Linux",
            "desiredCount": 2, "runningCount": 2, "pendingCount": 0,
            "schedulingStrategy": "REPLICA",
            "deploymentController": {"type": "ECS"},
            "enableECSManagedTags": false, "enableExecuteCommand": false,
            "propagateTags": "NONE", "healthCheckGracePeriodSeconds": 0,
            "deploymentConfiguration": {
                "maximumPercent": 200, "minimumHealthyPercent": 100, "strategy": "ROLLING", "bakeTimeInMinutes": 0,
                "deploymentCircuitBreaker": {"enable": false, "rollback": false, "resetOnHealthyTask": true},
                "alarms": {"alarmNames": [], "enable": false, "rollback": false}
            },
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["a", "b"], "securityGroups": ["sg"], "assignPublicIp": "DISABLED"}},
            "placementConstraints": [], "placementStrategy": [], "loadBalancers": [], "serviceRegistries": [],
            "tags": [{"key": "a", "value": "2"}, {"key": "b", "value": "1"}]
        });
        let (live, local) = service_pair(Some(&live), &local, &[]);
        assert_eq!(live, Some(local));
    }

    #[test]
    fn desired_count_is_compared_only_when_the_file_sets_it() {
        let live = json!({"desiredCount": 5});
        let (l, _) = service_pair(Some(&live), &json!({}), &[]);
        assert!(l.as_ref().and_then(|l| l.get("desiredCount")).is_none());
        let (l, r) = service_pair(Some(&live), &json!({"desiredCount": 2}), &[]);
        assert_ne!(l, Some(r));
        let live = json!({"availabilityZoneRebalancing": "ENABLED"});
        let (l, r) = service_pair(Some(&live), &json!({}), &[]);
        assert_eq!(l, Some(r));
        let local = json!({"availabilityZoneRebalancing": "DISABLED"});
        let (l, r) = service_pair(Some(&live), &local, &[]);
        assert_ne!(l, Some(r));
    }

    #[test]
    fn daemon_services_get_daemon_deployment_defaults() {
        let s = service(
            &json!({"schedulingStrategy": "DAEMON", "desiredCount": 3}),
            &[],
        );
        assert_eq!(s["deploymentConfiguration"]["maximumPercent"], 100);
        assert_eq!(s["deploymentConfiguration"]["minimumHealthyPercent"], 0);
        assert!(s.get("desiredCount").is_none());
    }

    #[test]
    fn ignored_tags_are_left_out_on_both_sides() {
        let ignore = vec!["team".to_owned()];
        let (live, local) = service_pair(
            Some(&json!({"tags": [{"key": "team", "value": "x"}, {"key": "app", "value": "web"}]})),
            &json!({"tags": [{"key": "app", "value": "web"}]}),
            &ignore,
        );
        assert_eq!(live, Some(local));
    }

    #[test]
    fn live_service_lifts_the_primary_deployments_settings() {
        let live = json!({
            "deploymentController": {"type": "ECS"},
            "deployments": [
                {"status": "ACTIVE", "serviceConnectConfiguration": {"enabled": true, "namespace": "old"}},
                {"status": "PRIMARY", "serviceConnectConfiguration": {"enabled": true, "namespace": "ns"}}
            ]
        });
        assert_eq!(
            live_service(&live)["serviceConnectConfiguration"],
            json!({"enabled": true, "namespace": "ns"})
        );
    }

    #[test]
    fn a_service_definition_file_keeps_what_create_service_accepts() {
        let live = json!({
            "serviceName": "web", "serviceArn": "arn", "clusterArn": "arn", "status": "ACTIVE",
            "taskDefinition": "arn:td", "desiredCount": 2, "runningCount": 2, "pendingCount": 0,
            "launchType": "FARGATE", "platformFamily": "Linux", "propagateTags": "UNKNOWN",
            "roleArn": "arn:role", "events": [], "deployments": [{"status": "PRIMARY"}],
            "createdAt": 1.0, "loadBalancers": []
        });
        assert_eq!(
            service_definition(&live),
            json!({"desiredCount": 2, "launchType": "FARGATE"})
        );
    }

    #[test]
    fn lifecycle_hook_timeout_defaults_are_noise() {
        let hook = |t: Value| {
            service(
                &json!({"deploymentConfiguration": {"strategy": "BLUE_GREEN", "lifecycleHooks": [
                    {"hookTargetArn": "arn:fn", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"], "timeoutConfiguration": t}
                ]}}),
                &[],
            )
        };
        assert_eq!(
            hook(json!({"timeoutInMinutes": 1440, "action": "ROLLBACK"})),
            hook(json!(null))
        );
        assert_ne!(hook(json!({"timeoutInMinutes": 10})), hook(json!(null)));
    }
}
