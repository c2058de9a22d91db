//! Starting and stopping a service's tasks: the two primitives every deployment mechanism
//! (rolling, native strategies, task sets, draining) is built from.
//!
//! Starting an EC2 task first places it on a container instance of the cluster
//! ([`crate::ecs::clusters::place_ec2`]). A task that fits nowhere is not started and the service
//! gets AWS's event "(service x) was unable to place a task because no container instance met
//! all of its requirements." with the reason; like AWS, a duplicate of that event is not repeated
//! until the cause is resolved (a task of the service started) or six hours have passed.
//!
//! The reservations counted on an instance are those of every task of the cluster not yet
//! STOPPED: this service's, the other services' and standalone (RunTask) tasks.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{LaunchType, TaskStopCode};

use super::events::push_event;
use super::{Place, TaskDefs, svc_name, ts};
use crate::clock::Epoch;
use crate::ecs::clusters::{UNABLE_TO_PLACE, launch_type_of_providers};
use crate::ecs::placement::{Ask, Held, held, place as place_task};
use crate::ecs::tasks::{TaskSpec, new_task};
use crate::ecs::{ClusterRecord, ServiceRecord, TaskRecord};
use crate::state::Ids;

pub(super) fn launch(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    place: &Place<'_>,
    owner: &str,
) -> Option<String> {
    let td_arn = svc
        .service
        .deployments()
        .iter()
        .find(|d| d.id() == Some(owner))
        .and_then(|d| d.task_definition())
        .or_else(|| {
            svc.service
                .task_sets()
                .iter()
                .find(|t| t.id() == Some(owner))
                .and_then(|t| t.task_definition())
        })?
        .to_owned();
    launch_td(svc, ids, place, owner, &td_arn)
}

pub(super) fn launch_td(
    svc: &mut ServiceRecord,
    ids: &mut Ids,
    place: &Place<'_>,
    owner: &str,
    td_arn: &str,
) -> Option<String> {
    let tail = crate::ecs::short_name(td_arn);
    let (family, rev) = tail.rsplit_once(':')?;
    let td = place
        .tds
        .get(family)?
        .get(rev.parse::<usize>().ok()?.checked_sub(1)?)?
        .task_definition
        .0
        .clone();
    let name = svc_name(svc);
    let launch_type = launch_type_for(svc);
    let instance = if launch_type == LaunchType::Ec2 {
        // This service's tasks, then every other task of the cluster.
        let own: Vec<Held> = svc
            .tasks
            .values()
            .filter_map(|t| held(t, place.tds))
            .collect();
        let in_use = own.iter().chain(place.reserved);
        let group = format!("service:{name}");
        let ask = Ask {
            td: &td,
            group: &group,
            constraints: svc.service.placement_constraints(),
            strategy: svc.service.placement_strategy(),
        };
        match place_task(place.instances, &ask, in_use) {
            Ok(arn) => arn,
            Err(failure) => {
                let message = format!("(service {name}) {UNABLE_TO_PLACE} {}", failure.reason);
                report_unplaceable(svc, ids, place.ctx.now, message);
                return None;
            }
        }
    } else {
        None
    };
    let tags = if svc.service.propagate_tags().map(|p| p.as_str()) == Some("SERVICE") {
        svc.service.tags().to_vec()
    } else {
        Vec::new()
    };
    let mut rec = new_task(
        ids,
        place.ctx,
        place.rules,
        TaskSpec {
            cluster_arn: place.cluster_arn,
            cluster: place.cluster,
            task_definition: &td,
            started_by: Some(owner.to_owned()),
            group: format!("service:{name}"),
            launch_type: Some(launch_type),
            owner: Some(owner.to_owned()),
            tags,
        },
    );
    rec.task.container_instance_arn = instance;
    rec.task.capacity_provider_name = provider_for(svc, owner);
    // API_CreateService `enableExecuteCommand`: the service's tasks start with it.
    crate::ecs::execute_command::enable(&mut rec.task, svc.service.enable_execute_command);
    let id = rec.id().to_owned();
    if !super::is_task_set_service(svc) {
        rec.health.targets = crate::elbv2::targets::plan(place.rules, &svc.service, &td, &id);
    }
    svc.tasks.insert(id.clone(), rec);
    Some(id)
}

/// The capacity provider of the next task of deployment (or task set) `owner`: the service's
/// strategy spread by base and weight over the tasks `owner` already runs (ECS developer guide,
/// "Capacity provider strategies"); `None` for a service with a launch type.
fn provider_for(svc: &ServiceRecord, owner: &str) -> Option<String> {
    let strategy = svc.service.capacity_provider_strategy();
    if strategy.is_empty() {
        return None;
    }
    let mut running = std::collections::BTreeMap::new();
    for t in svc.tasks.values() {
        if t.owner.as_deref() == Some(owner)
            && t.is_alive()
            && let Some(p) = t.task.capacity_provider_name()
        {
            *running.entry(p.to_owned()).or_insert(0) += 1;
        }
    }
    crate::ecs::capacity_providers::choose(strategy, &running)
}

/// The launch type of a service's tasks: its `launchType`, else that of its capacity provider
/// strategy (FARGATE / FARGATE_SPOT: Fargate; any Auto Scaling group provider: EC2).
fn launch_type_for(svc: &ServiceRecord) -> LaunchType {
    if let Some(lt) = svc.service.launch_type() {
        return lt.clone();
    }
    let providers = svc.service.capacity_provider_strategy();
    if providers.is_empty() {
        // CreateService stores EC2 when neither is given; kept for services of older states.
        return LaunchType::Fargate;
    }
    launch_type_of_providers(providers.iter().map(|p| p.capacity_provider()))
}

/// The reservations on container instances of the tasks of `cluster` outside the service
/// `service`: its other services' and its standalone (RunTask) tasks. Empty when the cluster's
/// EC2 capacity is not modelled (it has no container instance records).
pub(super) fn reserved_outside(
    cluster: &ClusterRecord,
    service: &str,
    tds: &TaskDefs,
) -> Vec<Held> {
    if cluster.container_instances.is_none() {
        return Vec::new();
    }
    cluster
        .tasks
        .values()
        .chain(
            cluster
                .services
                .iter()
                .filter(|(n, _)| n.as_str() != service)
                .flat_map(|(_, s)| s.tasks.values()),
        )
        .filter_map(|t| held(t, tds))
        .collect()
}

/// Seconds during which AWS omits a duplicate service event whose cause is unresolved
/// (ECS developer guide, "Viewing Amazon ECS service event messages": "duplicate event messages
/// are omitted until either the cause is resolved or six hours passes").
const DUPLICATE_EVENT_WINDOW: f64 = 6.0 * 3600.0;

/// Adds the placement failure event unless the same message was already given within six hours
/// and the service has not started a task since (a start in the same moment does not count: it
/// is the start of the tasks that did fit).
fn report_unplaceable(svc: &mut ServiceRecord, ids: &mut Ids, now: Epoch, message: String) {
    let since = ts(now - DUPLICATE_EVENT_WINDOW);
    let events = svc.service.events();
    let duplicate = events
        .iter()
        .find(|e| e.message() == Some(message.as_str()))
        .and_then(|e| e.created_at())
        .filter(|t| **t >= since);
    if let Some(at) = duplicate {
        let started_since = events.iter().any(|e| {
            e.message().is_some_and(|m| m.contains(") has started "))
                && e.created_at().is_some_and(|t| t > at)
        });
        if !started_since {
            return;
        }
    }
    push_event(svc, ids, now, message);
}

/// Stops up to `n` alive tasks of `owner`, pending ones first.
pub(super) fn stop_some(
    svc: &mut ServiceRecord,
    owner: &str,
    n: usize,
    now: Epoch,
    delay: f64,
    reason: &str,
) -> Vec<String> {
    let mut ids: Vec<(bool, String)> = svc
        .tasks
        .values()
        .filter(|t| t.is_alive() && t.owner.as_deref() == Some(owner))
        .map(|t| (t.is_running(), t.id().to_owned()))
        .collect();
    ids.sort();
    let reason = reason.replace("{id}", owner);
    let ids: Vec<String> = ids.into_iter().take(n).map(|(_, id)| id).collect();
    stop_tasks(&mut svc.tasks, &ids, now, delay, &reason);
    ids
}

/// Asks the tasks `ids` to stop, as the service scheduler does (`ServiceSchedulerInitiated`,
/// STOPPED `delay` world seconds later). Tasks already stopping are left alone.
pub(super) fn stop_tasks(
    tasks: &mut BTreeMap<String, TaskRecord>,
    ids: &[String],
    now: Epoch,
    delay: f64,
    reason: &str,
) {
    for id in ids {
        if let Some(t) = tasks.get_mut(id) {
            t.request_stop(now, delay, TaskStopCode::ServiceSchedulerInitiated, reason);
        }
    }
}

/// The IDs of the alive tasks that `pick` selects, in task ID order.
pub(super) fn alive_ids(
    tasks: &BTreeMap<String, TaskRecord>,
    pick: impl Fn(&TaskRecord) -> bool,
) -> Vec<String> {
    tasks
        .values()
        .filter(|t| t.is_alive() && pick(t))
        .map(|t| t.id().to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::stop_some;
    use crate::testkit::{Kit, WORLD};

    /// A world whose cluster `default` has the container instances `instances` (YAML list).
    fn ec2_world(instances: &str) -> String {
        format!(
            "clusters: [{{name: default, containerInstances: {instances}}}]\ntaskStartDelaySeconds: 10\ntaskStopDelaySeconds: 2\ntaskStartJitter: 0\n"
        )
    }

    /// Registers an EC2 task definition `web` reserving 512 CPU units and 1024 MiB.
    fn register_ec2(kit: &mut Kit) -> String {
        kit.register_definition(json!({
            "family": "web",
            "containerDefinitions": [{"name": "app", "image": "web:1", "essential": true,
                                      "cpu": 512, "memory": 1024}],
            "requiresCompatibilities": ["EC2"],
        }))
    }

    fn create(kit: &mut Kit, td: &str, desired: i32, extra: Value) {
        let mut body = json!({"serviceName": "web", "taskDefinition": td, "desiredCount": desired});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        kit.call("ecs", "CreateService", 0.0, body);
    }

    fn placement_events(kit: &Kit) -> Vec<String> {
        kit.messages("web")
            .into_iter()
            .filter(|m| m.contains("was unable to place a task"))
            .collect()
    }

    // ECS developer guide, "Amazon ECS service event messages": "(service service-name) was
    // unable to place a task because no container instance met all of its requirements.",
    // with "Reason: No Container Instances were found in your cluster." when the cluster has
    // none; "Viewing service event messages": duplicates are omitted until the cause is resolved
    // or six hours pass.
    #[test]
    fn an_ec2_service_without_container_instances_places_nothing() {
        let mut kit = Kit::new(&ec2_world("[]"));
        let td = register_ec2(&mut kit);
        create(&mut kit, &td, 2, json!({}));
        kit.step(10.0);
        kit.step(20.0);
        assert!(kit.service("web").tasks.is_empty());
        assert_eq!(
            placement_events(&kit),
            [
                "(service web) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
            ]
        );
        kit.step(6.0 * 3600.0 + 1.0);
        assert_eq!(placement_events(&kit).len(), 2, "repeated after six hours");
    }

    // ECS developer guide, "Task placement" (a task is placed on an instance with enough
    // registered CPU and memory left) and "service event messages": "The closest matching
    // container-instance container-instance-id has insufficient memory available."
    #[test]
    fn ec2_tasks_fill_the_instances_then_the_rest_waits() {
        let mut kit = Kit::new(&ec2_world("[{cpu: 4096, memory: 2048}]"));
        let td = register_ec2(&mut kit);
        create(&mut kit, &td, 3, json!({}));
        let owner = kit.deployment_ids("web")[0].clone();
        assert_eq!(kit.tasks_of("web", &owner), (2, 0, 0));
        let instance = crate::ecs::clusters::container_instance_id("default", 0);
        for t in kit.service("web").tasks.values() {
            assert_eq!(t.task.launch_type().map(|l| l.as_str()), Some("EC2"));
            assert!(
                t.task
                    .container_instance_arn()
                    .is_some_and(|a| a.ends_with(&format!("container-instance/default/{instance}")))
            );
        }
        let events = placement_events(&kit);
        assert_eq!(events.len(), 1);
        assert!(
            events[0].ends_with(&format!("requirements. The closest matching (container-instance {instance}) has insufficient memory available. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.")),
            "{events:?}"
        );
        // The third task stays unplaced, and the event is not repeated.
        kit.step(10.0);
        assert_eq!(kit.tasks_of("web", &owner), (0, 2, 0));
        assert_eq!(placement_events(&kit).len(), 1);
        assert!(!kit.service("web").steady, "1 of 3 missing");
    }

    // API_RunTask / API_CreateService: FARGATE tasks need no container instances.
    #[test]
    fn fargate_services_need_no_container_instances() {
        let mut kit = Kit::new(&ec2_world("[]"));
        let v1 = kit.register("web", "web:1");
        create(
            &mut kit,
            &v1,
            2,
            json!({"launchType": "FARGATE", "networkConfiguration": crate::testkit::network()}),
        );
        kit.step(10.0);
        let owner = kit.deployment_ids("web")[0].clone();
        assert_eq!(kit.tasks_of("web", &owner), (0, 2, 0));
        assert!(placement_events(&kit).is_empty());
    }

    // A world that does not describe a cluster's container instances keeps EC2 capacity
    // unlimited (our choice, so that existing world files keep working).
    #[test]
    fn ec2_capacity_is_unlimited_when_the_world_does_not_describe_it() {
        let mut kit = Kit::new(WORLD);
        let td = register_ec2(&mut kit);
        create(&mut kit, &td, 3, json!({}));
        let owner = kit.deployment_ids("web")[0].clone();
        assert_eq!(kit.tasks_of("web", &owner), (3, 0, 0));
        assert!(
            kit.service("web")
                .tasks
                .values()
                .all(|t| t.task.container_instance_arn().is_none())
        );
    }

    // API_RunTask, launchType: "The default launch type is EC2"; capacityProviderStrategy: "If
    // no capacityProviderStrategy or launchType is specified, the
    // defaultCapacityProviderStrategy for the cluster is used."
    #[test]
    fn run_task_defaults_to_the_cluster_strategy_else_ec2() {
        let mut kit = Kit::new(
            "clusters: [default, {name: spot, defaultCapacityProviderStrategy: [{capacityProvider: FARGATE_SPOT, weight: 1}]}]\n",
        );
        let td = kit.register("job", "job:1");
        let launch_type = |out: &Value| out["tasks"][0]["launchType"].as_str().map(str::to_owned);
        let out = kit.call("ecs", "RunTask", 0.0, json!({"taskDefinition": td}));
        assert_eq!(launch_type(&out).as_deref(), Some("EC2"));
        let out = kit.call(
            "ecs",
            "RunTask",
            0.0,
            json!({"cluster": "spot", "taskDefinition": td}),
        );
        assert_eq!(launch_type(&out).as_deref(), Some("FARGATE"));
        // API_CreateCluster, capacityProviders: an Auto Scaling group provider must exist.
        kit.call(
            "ecs",
            "CreateCapacityProvider",
            0.0,
            json!({"name": "my-asg", "autoScalingGroupProvider": {"autoScalingGroupArn": "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/asg"}}),
        );
        kit.call(
            "ecs",
            "CreateCluster",
            0.0,
            json!({"clusterName": "asg", "capacityProviders": ["my-asg"],
                   "defaultCapacityProviderStrategy": [{"capacityProvider": "my-asg", "weight": 1}]}),
        );
        let out = kit.call(
            "ecs",
            "RunTask",
            0.0,
            json!({"cluster": "asg", "taskDefinition": td}),
        );
        assert_eq!(launch_type(&out).as_deref(), Some("EC2"));
        let out = kit.call(
            "ecs",
            "RunTask",
            0.0,
            json!({"taskDefinition": td, "launchType": "FARGATE"}),
        );
        assert_eq!(launch_type(&out).as_deref(), Some("FARGATE"));
    }

    // Scaling in stops tasks that are not running yet before running ones (they serve nothing).
    #[test]
    fn scaling_in_stops_pending_tasks_first() {
        let mut kit = Kit::new(WORLD);
        let dc = json!({"minimumHealthyPercent": 100, "maximumPercent": 200});
        kit.steady_service(2, dc, "web:2");
        let owner = kit.deployment_ids("web")[0].clone();
        kit.call(
            "ecs",
            "UpdateService",
            20.0,
            json!({"service": "web", "desiredCount": 4}),
        );
        assert_eq!(kit.tasks_of("web", &owner), (2, 2, 0));
        let now = kit.t0 + 21.0;
        let stopped = stop_some(kit.service_mut("web"), &owner, 3, now, 2.0, "because");
        assert_eq!(stopped.len(), 3);
        assert_eq!(
            kit.tasks_of("web", &owner),
            (0, 1, 3),
            "both pending, then one running"
        );
        let reasons: Vec<_> = kit
            .service("web")
            .tasks
            .values()
            .filter(|t| stopped.iter().any(|id| id == t.id()))
            .map(|t| t.task.stopped_reason().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(reasons, ["because"; 3]);
    }

    // API_RunTask `failures` and the ECS developer guide, "API failure reasons": a task that no
    // container instance can hold is not started; each instance is named with the resource it
    // lacks (`RESOURCE:CPU`, `RESOURCE:MEMORY`). Tasks of the same call that fit are started.
    #[test]
    fn run_task_starts_what_fits_and_names_the_missing_resource() {
        let mut kit = Kit::new(&ec2_world("[{cpu: 4096, memory: 2048}]"));
        let td = register_ec2(&mut kit);
        let out = kit.call(
            "ecs",
            "RunTask",
            0.0,
            json!({"taskDefinition": td, "count": 3, "launchType": "EC2"}),
        );
        assert_eq!(
            out["tasks"].as_array().map(Vec::len),
            Some(2),
            "2 × 1024 MiB fit"
        );
        let instance = crate::ecs::clusters::container_instance_id("default", 0);
        assert_eq!(
            out["failures"],
            json!([{
                "arn": format!("arn:aws:ecs:us-east-1:123456789012:container-instance/default/{instance}"),
                "reason": "RESOURCE:MEMORY",
            }])
        );
        assert!(
            out["tasks"][0]["containerInstanceArn"]
                .as_str()
                .is_some_and(|a| a.ends_with(&instance))
        );
        // A task needing more CPU than is left.
        let big = kit.call(
            "ecs",
            "RegisterTaskDefinition",
            0.0,
            json!({
                "family": "big",
                "containerDefinitions": [{"name": "app", "image": "big:1", "essential": true,
                                          "cpu": 8192, "memory": 1}],
                "requiresCompatibilities": ["EC2"],
            }),
        );
        let big = big["taskDefinition"]["taskDefinitionArn"]
            .as_str()
            .expect("ARN");
        let out = kit.call("ecs", "RunTask", 0.0, json!({"taskDefinition": big}));
        assert_eq!(out["tasks"], json!([]));
        assert_eq!(out["failures"][0]["reason"], "RESOURCE:CPU");
    }

    // AWS answers RunTask of an EC2 task on a cluster without container instances with
    // InvalidParameterException "No Container Instances were found in your cluster." (the
    // wording AWS is reported to send; not in the API reference).
    #[test]
    fn run_task_on_a_cluster_without_instances_is_refused() {
        let mut kit = Kit::new(&ec2_world("[]"));
        let td = register_ec2(&mut kit);
        let err = kit
            .try_call("ecs", "RunTask", 0.0, json!({"taskDefinition": td}))
            .expect_err("no instances");
        assert_eq!(err.code, "InvalidParameterException");
        assert_eq!(
            err.message,
            "No Container Instances were found in your cluster."
        );
    }

    // ECS developer guide, "Task placement": an instance's registered CPU and memory are shared
    // by every task placed on it, whoever started it — other services and RunTask included.
    #[test]
    fn capacity_is_shared_by_services_and_run_task() {
        let mut kit = Kit::new(&ec2_world("[{cpu: 1024, memory: 4096}]"));
        let td = register_ec2(&mut kit); // 512 CPU units
        let out = kit.call(
            "ecs",
            "RunTask",
            0.0,
            json!({"taskDefinition": td, "launchType": "EC2"}),
        );
        assert_eq!(out["tasks"].as_array().map(Vec::len), Some(1));
        kit.call(
            "ecs",
            "CreateService",
            0.0,
            json!({"serviceName": "api", "taskDefinition": td, "desiredCount": 1}),
        );
        create(&mut kit, &td, 1, json!({}));
        kit.step(10.0);
        assert_eq!(
            kit.service("api").tasks.len(),
            1,
            "the second half of the instance"
        );
        assert!(kit.service("web").tasks.is_empty(), "nothing left for web");
        assert_eq!(placement_events(&kit).len(), 1);
        let out = kit.call("ecs", "RunTask", 10.0, json!({"taskDefinition": td}));
        assert_eq!(out["failures"][0]["reason"], "RESOURCE:CPU");
    }

    // API_CreateService, `capacityProviderStrategy`: "If no capacityProviderStrategy or
    // launchType is specified, the defaultCapacityProviderStrategy for the cluster is used";
    // `launchType`: the default is EC2 — the rule RunTask follows too.
    #[test]
    fn create_service_defaults_to_the_cluster_strategy_else_ec2() {
        let mut kit = Kit::new(
            "clusters: [{name: default, containerInstances: []}, {name: spot, containerInstances: [], defaultCapacityProviderStrategy: [{capacityProvider: FARGATE_SPOT, weight: 1}]}]\ntaskStartDelaySeconds: 10\ntaskStartJitter: 0\n",
        );
        let td = kit.register("web", "web:1");
        let body = |cluster: &str| {
            json!({"cluster": cluster, "serviceName": "web", "taskDefinition": td, "desiredCount": 1,
                   "networkConfiguration": crate::testkit::network()})
        };
        let out = kit.call("ecs", "CreateService", 0.0, body("spot"));
        assert_eq!(
            out["service"]["capacityProviderStrategy"],
            json!([{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}])
        );
        assert!(out["service"].get("launchType").is_none());
        let spot = &kit.state.ecs.clusters["spot"].services["web"];
        let task = spot
            .tasks
            .values()
            .next()
            .expect("a task without instances");
        assert_eq!(task.task.launch_type().map(|l| l.as_str()), Some("FARGATE"));
        let out = kit.call("ecs", "CreateService", 0.0, body("default"));
        assert_eq!(out["service"]["launchType"], "EC2");
        assert!(
            kit.service("web").tasks.is_empty(),
            "EC2: no instance to place it on"
        );
    }

    // ECS developer guide, "Capacity provider strategies": the provider with a base runs that
    // many tasks first, the rest are spread in the ratio of the weights; each task carries its
    // `capacityProviderName` (API_Task). Each deployment spreads its own tasks.
    #[test]
    fn service_tasks_are_spread_over_the_strategy_by_base_and_weight() {
        let mut kit = Kit::new(
            "clusters: [{name: default, capacityProviders: [FARGATE, FARGATE_SPOT]}]\ntaskStartDelaySeconds: 10\ntaskStartJitter: 0\n",
        );
        let td = kit.register("web", "web:1");
        let strategy = json!([
            {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
            {"capacityProvider": "FARGATE_SPOT", "weight": 3}
        ]);
        create(
            &mut kit,
            &td,
            5,
            json!({"capacityProviderStrategy": strategy,
                   "networkConfiguration": crate::testkit::network()}),
        );
        kit.step(20.0);
        let count = |kit: &Kit, owner: &str, p: &str| {
            kit.service("web")
                .tasks
                .values()
                .filter(|t| t.owner.as_deref() == Some(owner) && t.is_alive())
                .filter(|t| t.task.capacity_provider_name() == Some(p))
                .count()
        };
        let first = kit.deployment_ids("web")[0].clone();
        assert_eq!(count(&kit, &first, "FARGATE"), 2);
        assert_eq!(count(&kit, &first, "FARGATE_SPOT"), 3);
        assert!(
            kit.service("web")
                .tasks
                .values()
                .all(|t| t.task.launch_type().map(|l| l.as_str()) == Some("FARGATE"))
        );
        let td2 = kit.register("web", "web:2");
        let second = kit.update(30.0, &td2);
        kit.step_all(200.0);
        assert_eq!(count(&kit, &second, "FARGATE"), 2);
        assert_eq!(count(&kit, &second, "FARGATE_SPOT"), 3);
    }

    // API reference, CapacityProviderStrategyItem: "Only capacity providers that are already
    // associated with a cluster ... can be used in a capacity provider strategy."
    #[test]
    fn a_strategy_naming_a_provider_not_associated_is_refused() {
        let mut kit = Kit::new(WORLD);
        let td = kit.register("web", "web:1");
        let err = kit
            .try_call(
                "ecs",
                "RunTask",
                0.0,
                json!({"taskDefinition": td,
                       "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]}),
            )
            .expect_err("FARGATE_SPOT is not associated with the default cluster");
        assert_eq!(err.code, "InvalidParameterException");
        assert!(kit.state.ecs.clusters["default"].tasks.is_empty());
    }
}
