//! Placing an EC2 task on a container instance (ECS developer guide, "How Amazon ECS places
//! tasks on container instances", "Amazon ECS task placement constraints", "Amazon ECS task
//! placement strategies"): the instances that take new tasks are filtered by the task's
//! placement constraints (`memberOf` cluster query expressions, `distinctInstance` within the
//! task's group), then by resources (CPU, memory, host ports), and the strategies, in the order
//! given, choose among the rest (`spread` over a field, `binpack` on CPU or memory, `random`).
//!
//! Not modelled: ENIs as a resource of `awsvpc` tasks on EC2 (instance types' ENI limits and
//! trunking are not in the world file), GPUs and other custom resources. Without any strategy
//! the simulator takes the first instance that fits, in registration order; AWS's default
//! strategies are not documented for every case, so ours stays predictable for tests.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use aws_sdk_ecs::types::{
    ContainerInstance, PlacementConstraint, PlacementConstraintType, PlacementStrategy,
    PlacementStrategyType, TaskDefinition,
};

use super::TaskRecord;
use super::cluster_query;
use super::clusters::{PlacementFailure, task_size};
use super::container_instances::{host_ports, instance_id};
use super::scheduler::TaskDefs;

/// A container instance that takes new tasks, with its registered CPU units and MiB.
#[derive(Debug, Clone)]
pub struct Slot {
    pub arn: String,
    pub registered: (u32, u32),
    pub instance: ContainerInstance,
}

/// What a task not yet STOPPED holds on its container instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub instance: String,
    /// CPU units and MiB.
    pub size: (u32, u32),
    /// Host ports, `(udp, port)`.
    pub ports: Vec<(bool, String)>,
    /// The task's group (`service:NAME`, or RunTask's `group`).
    pub group: Option<String>,
}

/// A task to place: its definition, group, constraints and strategy.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub td: &'a TaskDefinition,
    pub group: &'a str,
    /// The service's or RunTask's constraints; the task definition's are added.
    pub constraints: &'a [PlacementConstraint],
    pub strategy: &'a [PlacementStrategy],
}

/// What task `t` holds on its instance: any task not yet STOPPED that was placed on one (`None`
/// otherwise, or when its task definition is gone).
pub fn held(t: &TaskRecord, tds: &TaskDefs) -> Option<Held> {
    if t.task.last_status() == Some("STOPPED") {
        return None;
    }
    let instance = t.task.container_instance_arn()?;
    let (family, rev) = super::short_name(t.task.task_definition_arn()?).rsplit_once(':')?;
    let td = &tds
        .get(family)?
        .get(rev.parse::<usize>().ok()?.checked_sub(1)?)?
        .task_definition;
    Some(Held {
        instance: instance.to_owned(),
        size: task_size(td),
        ports: host_ports(td),
        group: t.task.group().map(str::to_owned),
    })
}

/// Why one instance cannot take the task: the API failure reason (ECS developer guide, "API
/// failure reasons") and, for resources, the words of the service event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Unfit {
    Cpu,
    Memory,
    Ports,
    MemberOf,
    Distinct,
}

impl Unfit {
    fn failure_reason(self) -> &'static str {
        match self {
            Unfit::Cpu => "RESOURCE:CPU",
            Unfit::Memory => "RESOURCE:MEMORY",
            Unfit::Ports => "RESOURCE:PORTS",
            Unfit::MemberOf => "MemberOf placement constraint unsatisfied.",
            Unfit::Distinct => "DistinctInstance placement constraint unsatisfied.",
        }
    }

    /// The sentence after "The closest matching (container-instance ID)" in the service event
    /// (ECS developer guide, "Amazon ECS service event messages": insufficient CPU units /
    /// memory, "is already using a port required by your task", and `encountered error "…"`,
    /// which we use for the constraint failures: AWS does not document their event).
    fn event(self) -> String {
        match self {
            Unfit::Cpu => "has insufficient CPU units available.".to_owned(),
            Unfit::Memory => "has insufficient memory available.".to_owned(),
            Unfit::Ports => "is already using a port required by your task.".to_owned(),
            Unfit::MemberOf | Unfit::Distinct => {
                format!("encountered error \"{}\"", self.failure_reason())
            }
        }
    }
}

/// Chooses the container instance for an EC2 task among `instances` (those that take new tasks,
/// [`super::container_instances::placeable`]), given what the cluster's tasks hold (`in_use`).
///
/// `Ok(None)`: the cluster's EC2 capacity is not modelled (`instances` is `None`), so the task
/// is placed nowhere in particular. `Err`: no instance can take it; the reason names the closest
/// instance as AWS does, and `instances` lists each instance's failure reason (RunTask's
/// `failures`).
pub fn place<'a>(
    instances: Option<&[Slot]>,
    ask: &Ask<'_>,
    in_use: impl Iterator<Item = &'a Held>,
) -> Result<Option<String>, PlacementFailure> {
    let Some(instances) = instances else {
        return Ok(None);
    };
    if instances.is_empty() {
        return Err(PlacementFailure {
            reason: "Reason: No Container Instances were found in your cluster. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.".to_owned(),
            instances: Vec::new(),
        });
    }
    let in_use: Vec<&Held> = in_use.collect();
    let constraints: Vec<&PlacementConstraint> = ask.constraints.iter().collect();
    // A task definition's constraints (`TaskDefinitionPlacementConstraint`) are memberOf only.
    let td_member_of: Vec<&str> = ask
        .td
        .placement_constraints()
        .iter()
        .filter_map(|c| c.expression())
        .collect();
    let need = task_size(ask.td);
    let ports = host_ports(ask.td);
    let verdicts: Vec<Result<Free, Unfit>> = instances
        .iter()
        .map(|slot| {
            check(
                slot,
                ask,
                &constraints,
                &td_member_of,
                need,
                &ports,
                &in_use,
            )
        })
        .collect();
    let fitting: Vec<usize> = (0..instances.len())
        .filter(|i| verdicts[*i].is_ok())
        .collect();
    if fitting.is_empty() {
        return Err(failure(instances, &verdicts));
    }
    let chosen = fitting
        .into_iter()
        .min_by_key(|i| {
            let slot = &instances[*i];
            let free = verdicts[*i].as_ref().copied().unwrap_or_default();
            let keys: Vec<u64> = ask
                .strategy
                .iter()
                .map(|s| strategy_key(s, slot, instances, free, ask.group, &in_use))
                .collect();
            (keys, *i)
        })
        .unwrap_or(0);
    Ok(Some(instances[chosen].arn.clone()))
}

/// CPU units and MiB an instance has left once the task is placed.
#[derive(Debug, Clone, Copy, Default)]
struct Free {
    cpu: u64,
    memory: u64,
}

fn check(
    slot: &Slot,
    ask: &Ask<'_>,
    constraints: &[&PlacementConstraint],
    td_member_of: &[&str],
    need: (u32, u32),
    ports: &[(bool, String)],
    in_use: &[&Held],
) -> Result<Free, Unfit> {
    let here: Vec<&&Held> = in_use.iter().filter(|h| h.instance == slot.arn).collect();
    let member_of = constraints
        .iter()
        .filter(|c| c.r#type() == Some(&PlacementConstraintType::MemberOf))
        .filter_map(|c| c.expression())
        .chain(td_member_of.iter().copied());
    for expression in member_of {
        // An expression that does not parse matches nothing (CreateService and RunTask check
        // them first).
        let ok = cluster_query::parse(expression).is_ok_and(|q| q.matches(&slot.instance));
        if !ok {
            return Err(Unfit::MemberOf);
        }
    }
    let distinct = constraints
        .iter()
        .any(|c| c.r#type() == Some(&PlacementConstraintType::DistinctInstance));
    if distinct && here.iter().any(|h| h.group.as_deref() == Some(ask.group)) {
        return Err(Unfit::Distinct);
    }
    let (cpu, memory) = here.iter().fold((0u64, 0u64), |(c, m), h| {
        (c + u64::from(h.size.0), m + u64::from(h.size.1))
    });
    let free_cpu = u64::from(slot.registered.0).saturating_sub(cpu);
    let free_memory = u64::from(slot.registered.1).saturating_sub(memory);
    if free_cpu < u64::from(need.0) {
        return Err(Unfit::Cpu);
    }
    if free_memory < u64::from(need.1) {
        return Err(Unfit::Memory);
    }
    // ECS developer guide, "Container instance" `remainingResources`: the agent's reserved
    // ports and those of the tasks on the instance are taken.
    let reserved = |udp: bool, port: &str| {
        let name = if udp { "PORTS_UDP" } else { "PORTS" };
        slot.instance
            .registered_resources()
            .iter()
            .filter(|r| r.name() == Some(name))
            .any(|r| r.string_set_value().iter().any(|p| p == port))
    };
    let clash = ports.iter().any(|(udp, port)| {
        reserved(*udp, port)
            || here
                .iter()
                .any(|h| h.ports.iter().any(|(u, p)| u == udp && p == port))
    });
    if clash {
        return Err(Unfit::Ports);
    }
    Ok(Free {
        cpu: free_cpu - u64::from(need.0),
        memory: free_memory - u64::from(need.1),
    })
}

/// The failure when no instance fits: the closest instance is one short of a resource only
/// (fewest resources short, then most memory left; AWS does not document its choice), else
/// the first instance with its constraint failure.
fn failure(instances: &[Slot], verdicts: &[Result<Free, Unfit>]) -> PlacementFailure {
    let closest = (0..instances.len())
        .min_by_key(|i| {
            let unfit = verdicts[*i].as_ref().err().copied().unwrap_or(Unfit::Cpu);
            (
                unfit != Unfit::Memory && unfit != Unfit::Cpu,
                unfit == Unfit::Ports,
                *i,
            )
        })
        .unwrap_or(0);
    let unfit = verdicts[closest]
        .as_ref()
        .err()
        .copied()
        .unwrap_or(Unfit::Cpu);
    let id = instance_id(&instances[closest].arn).to_owned();
    PlacementFailure {
        reason: format!(
            "The closest matching (container-instance {id}) {} For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
            unfit.event()
        ),
        instances: instances
            .iter()
            .zip(verdicts)
            .filter_map(|(slot, v)| Some((slot.arn.clone(), v.as_ref().err()?.failure_reason())))
            .collect(),
    }
}

/// One strategy's preference for `slot` (lower is better).
fn strategy_key(
    strategy: &PlacementStrategy,
    slot: &Slot,
    instances: &[Slot],
    free: Free,
    group: &str,
    in_use: &[&Held],
) -> u64 {
    let field = strategy.field().unwrap_or_default();
    match strategy.r#type() {
        // binpack: the instance with the least of the resource left.
        Some(PlacementStrategyType::Binpack) => {
            if field.eq_ignore_ascii_case("cpu") {
                free.cpu
            } else {
                free.memory
            }
        }
        // spread: the value of `field` with the fewest tasks of the group so far.
        Some(PlacementStrategyType::Spread) => {
            let value = field_value(&slot.instance, &slot.arn, field);
            in_use
                .iter()
                .filter(|h| h.group.as_deref() == Some(group))
                .filter(|h| {
                    instances
                        .iter()
                        .find(|s| s.arn == h.instance)
                        .is_some_and(|s| field_value(&s.instance, &s.arn, field) == value)
                })
                .count() as u64
        }
        // random: a hash of the instance and of how many tasks the group has (deterministic,
        // so a world replays the same way).
        _ => {
            let mut h = DefaultHasher::new();
            (&slot.arn, group, in_use.len()).hash(&mut h);
            h.finish()
        }
    }
}

/// The value of a spread field on an instance: `instanceId` (or `host`), or
/// `attribute:NAME` (absent: no value, one bucket of its own).
fn field_value(ci: &ContainerInstance, arn: &str, field: &str) -> Option<String> {
    if field.eq_ignore_ascii_case("instanceId") || field.eq_ignore_ascii_case("host") {
        return Some(arn.to_owned());
    }
    let name = field.strip_prefix("attribute:")?;
    ci.attributes()
        .iter()
        .find(|a| a.name() == name)
        .and_then(|a| a.value().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use serde_json::{Value, json};

    use crate::ecs::clusters::container_instance_id;
    use crate::testkit::Kit;

    /// A cluster `default` with `n` instances of 4096 CPU units and 8192 MiB.
    fn world(n: u32) -> String {
        format!(
            "clusters: [{{name: default, containerInstances: [{{cpu: 4096, memory: 8192, count: {n}}}]}}]\ntaskStartDelaySeconds: 10\ntaskStopDelaySeconds: 2\ntaskStartJitter: 0\n"
        )
    }

    /// An EC2 task definition of 512 CPU units and `memory` MiB, `extra` merged in.
    fn register(kit: &mut Kit, memory: i32, extra: Value) -> String {
        let mut td = json!({
            "family": "web",
            "containerDefinitions": [{"name": "app", "image": "web:1", "essential": true,
                                      "cpu": 512, "memory": memory}],
            "requiresCompatibilities": ["EC2"],
        });
        if let (Some(t), Some(e)) = (td.as_object_mut(), extra.as_object()) {
            t.extend(e.clone());
        }
        kit.register_definition(td)
    }

    fn run(kit: &mut Kit, td: &str, count: i32, extra: Value) -> Value {
        let mut body = json!({"taskDefinition": td, "launchType": "EC2", "count": count});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        kit.call("ecs", "RunTask", 0.0, body)
    }

    /// The index of the seeded instance each started task is on.
    fn instances_of(out: &Value, n: usize) -> Vec<usize> {
        let ids: Vec<String> = (0..n)
            .map(|i| container_instance_id("default", i))
            .collect();
        out["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let arn = t["containerInstanceArn"].as_str().unwrap();
                ids.iter()
                    .position(|id| arn.ends_with(id.as_str()))
                    .unwrap()
            })
            .collect()
    }

    fn reasons(out: &Value) -> Vec<String> {
        out["failures"]
            .as_array()
            .map(|f| {
                f.iter()
                    .map(|x| x["reason"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    // ECS developer guide, "Amazon ECS task placement constraints": distinctInstance places each
    // task of the group on a different container instance; with more tasks than instances the
    // rest is not placed (API failure reason for RunTask).
    #[test]
    fn distinct_instance_puts_each_task_of_the_group_on_its_own_instance() {
        let mut kit = Kit::new(&world(2));
        let td = register(&mut kit, 512, json!({}));
        let out = run(
            &mut kit,
            &td,
            3,
            json!({"placementConstraints": [{"type": "distinctInstance"}]}),
        );
        assert_eq!(instances_of(&out, 2), [0, 1]);
        assert_eq!(
            reasons(&out),
            [
                "DistinctInstance placement constraint unsatisfied.",
                "DistinctInstance placement constraint unsatisfied."
            ]
        );
        // Without the constraint both fit on the first instance (first fit).
        let out = run(&mut kit, &td, 2, json!({"group": "other"}));
        assert_eq!(instances_of(&out, 2), [0, 0]);
    }

    // Same guide: memberOf restricts the candidates to the instances a cluster query language
    // expression matches, from the task definition's constraints as well as RunTask's.
    #[test]
    fn member_of_restricts_the_candidates() {
        let mut kit = Kit::new(&world(3));
        let second = format!("i-{}", &container_instance_id("default", 1)[..17]);
        let td = register(&mut kit, 512, json!({}));
        let out = run(
            &mut kit,
            &td,
            2,
            json!({"placementConstraints": [{"type": "memberOf", "expression": format!("ec2InstanceId == {second}")}]}),
        );
        assert_eq!(instances_of(&out, 3), [1, 1]);
        let nowhere = register(
            &mut kit,
            512,
            json!({"placementConstraints": [{"type": "memberOf", "expression": "attribute:ecs.availability-zone == us-west-2b"}]}),
        );
        let out = run(&mut kit, &nowhere, 1, json!({}));
        assert!(out["tasks"].as_array().unwrap().is_empty());
        assert_eq!(
            reasons(&out),
            ["MemberOf placement constraint unsatisfied."; 3]
        );
    }

    // ECS developer guide, "Amazon ECS task placement strategies": binpack on memory places a
    // task where the least memory is left; spread on instanceId evenly over the instances;
    // strategies apply in order.
    #[test]
    fn binpack_and_spread_choose_among_the_instances_that_fit() {
        let mut kit = Kit::new(&world(3));
        let big = register(&mut kit, 4096, json!({}));
        // Instance 1 is half full: binpack fills it first, then instance 0.
        let first = run(
            &mut kit,
            &big,
            1,
            json!({"group": "filler", "placementConstraints": [{"type": "memberOf", "expression": format!("ec2InstanceId == i-{}", &container_instance_id("default", 1)[..17])}]}),
        );
        assert_eq!(instances_of(&first, 3), [1]);
        let out = run(
            &mut kit,
            &big,
            2,
            json!({"placementStrategy": [{"type": "binpack", "field": "memory"}]}),
        );
        assert_eq!(instances_of(&out, 3), [1, 0]);

        let mut kit = Kit::new(&world(3));
        let small = register(&mut kit, 256, json!({}));
        let out = run(
            &mut kit,
            &small,
            4,
            json!({"group": "spread", "placementStrategy": [{"type": "spread", "field": "instanceId"}]}),
        );
        assert_eq!(instances_of(&out, 3), [0, 1, 2, 0]);
    }

    // ECS developer guide, "Amazon ECS service event messages": "The closest matching
    // container-instance container-instance-id is already using a port required by your task";
    // host ports of bridge-mode port mappings are held while the task is not STOPPED.
    #[test]
    fn a_host_port_in_use_is_a_placement_failure() {
        let mut kit = Kit::new(&world(1));
        let td = register(
            &mut kit,
            256,
            json!({"networkMode": "bridge", "containerDefinitions": [{"name": "app", "image": "web:1", "essential": true, "cpu": 256, "memory": 256, "portMappings": [{"containerPort": 80, "hostPort": 8080}]}]}),
        );
        kit.call(
            "ecs",
            "CreateService",
            0.0,
            json!({"serviceName": "web", "taskDefinition": td, "desiredCount": 2, "launchType": "EC2"}),
        );
        kit.step(10.0);
        let id = container_instance_id("default", 0);
        let web = kit.service("web");
        assert_eq!(web.tasks.len(), 1, "the second task needs port 8080 too");
        let events: Vec<String> = kit
            .messages("web")
            .into_iter()
            .filter(|m| m.contains("unable to place"))
            .collect();
        assert_eq!(
            events,
            [format!(
                "(service web) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance {id}) is already using a port required by your task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
            )]
        );
        // The agent's reserved ports (22, 2375, 2376, 51678, 51679) are taken too.
        let ssh = register(
            &mut kit,
            256,
            json!({"networkMode": "host", "containerDefinitions": [{"name": "app", "image": "web:1", "essential": true, "cpu": 256, "memory": 256, "portMappings": [{"containerPort": 22}]}]}),
        );
        let out = kit.call(
            "ecs",
            "RunTask",
            10.0,
            json!({"taskDefinition": ssh, "launchType": "EC2"}),
        );
        assert_eq!(reasons(&out), ["RESOURCE:PORTS"]);
    }
}
