//! Targets that follow tasks: a service task is registered in each target group its service's
//! `loadBalancers` name (when the world file describes the group) once it is RUNNING, becomes
//! `healthy` or `unhealthy` after the group's health check thresholds, drains for the group's
//! deregistration delay when the task is asked to stop, and is gone once the task has stopped.
//!
//! The target lives in its task's timeline (`TaskHealth::targets`, stepped by
//! `TaskRecord::step`); this module plans it when the task is created and turns its changes into
//! the service events ECS writes ([`announce`]).

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{Service, TaskDefinition};
use serde::{Deserialize, Serialize};

use super::TargetGroup;
use crate::clock::Epoch;
use crate::ecs::ServiceRecord;
use crate::ecs::scheduler::push_event;
use crate::state::Ids;
use crate::world::World;

/// Where a target is in its life (ELBv2 API reference, TargetHealth `State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TargetPhase {
    /// The task is not RUNNING yet.
    Unregistered,
    Initial,
    Healthy,
    Unhealthy,
    Draining,
    /// Removed from the group (the task stopped).
    Deregistered,
}

impl TargetPhase {
    /// Listed by DescribeTargetHealth.
    pub fn is_registered(self) -> bool {
        matches!(
            self,
            TargetPhase::Initial
                | TargetPhase::Healthy
                | TargetPhase::Unhealthy
                | TargetPhase::Draining
        )
    }
}

/// A TargetHealth: `State`, `Reason`, `Description`.
pub type Health<'a> = (&'a str, Option<&'a str>, Option<&'a str>);

/// Why a target's health checks fail (TargetHealth `Reason` and `Description`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetFailure {
    pub reason: String,
    pub description: String,
}

/// Which service events about this target were written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Said {
    pub registered: bool,
    pub unhealthy: bool,
    pub deregistered: bool,
}

/// One target of a task in one target group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskTarget {
    pub target_group_arn: String,
    /// The IP address (`ip` target type) or instance ID (`instance`).
    pub id: String,
    pub port: i32,
    pub phase: TargetPhase,
    /// World seconds after RUNNING at which the health checks decide.
    pub verdict_after: f64,
    /// Set when the checks fail (a `containers` rule with `targetHealthy: false`).
    pub failure: Option<TargetFailure>,
    /// World seconds a stopping task's target drains (`deregistration_delay.timeout_seconds`).
    pub deregistration_delay: f64,
    /// World seconds after RUNNING at which registration is done and the first health check
    /// runs (one `HealthCheckIntervalSeconds`); 0 in states saved before it was kept.
    #[serde(default)]
    pub registered_after: f64,
    #[serde(default)]
    pub said: Said,
}

impl TaskTarget {
    /// TargetHealth `State`, `Reason` and `Description` (ELBv2 API reference, TargetHealth: no
    /// reason or description when healthy). The descriptions are the ones the ELB console and
    /// DescribeTargetHealth show; the reference lists the reason codes only, so their wording
    /// is unverified.
    pub fn health(&self) -> Health<'_> {
        self.health_after(f64::INFINITY)
    }

    /// The TargetHealth `running_for` world seconds after the task became RUNNING: an `initial`
    /// target is `Elb.RegistrationInProgress` until its registration is done, then
    /// `Elb.InitialHealthChecking` until the checks decide (ELBv2 API reference, TargetHealth
    /// `Reason`). How long registration takes is not documented; we take one health check
    /// interval.
    pub fn health_after(&self, running_for: f64) -> Health<'_> {
        match self.phase {
            TargetPhase::Unregistered | TargetPhase::Deregistered => (
                "unused",
                Some("Target.NotRegistered"),
                Some("Target is not registered to the target group"),
            ),
            TargetPhase::Initial if running_for < self.registered_after => (
                "initial",
                Some("Elb.RegistrationInProgress"),
                Some("Target registration is in progress"),
            ),
            TargetPhase::Initial => (
                "initial",
                Some("Elb.InitialHealthChecking"),
                Some("Initial health checks in progress"),
            ),
            TargetPhase::Healthy => ("healthy", None, None),
            TargetPhase::Unhealthy => match &self.failure {
                Some(f) => ("unhealthy", Some(&f.reason), Some(&f.description)),
                None => ("unhealthy", Some("Target.FailedHealthChecks"), None),
            },
            TargetPhase::Draining => (
                "draining",
                Some("Target.DeregistrationInProgress"),
                Some("Target deregistration is in progress"),
            ),
        }
    }
}

/// The description of a failing health check (unverified wording, see [`TaskTarget::health`]).
fn failure(reason: &str, code: u16) -> TargetFailure {
    let description = match reason {
        "Target.ResponseCodeMismatch" => format!("Health checks failed with these codes: [{code}]"),
        "Target.Timeout" => "Request timed out".to_owned(),
        _ => "Health checks failed".to_owned(),
    };
    TargetFailure {
        reason: reason.to_owned(),
        description,
    }
}

/// The targets of a new task of `service` (none for groups the world does not describe).
pub fn plan(
    rules: &World,
    service: &Service,
    td: &TaskDefinition,
    task_id: &str,
) -> Vec<TaskTarget> {
    let family = td.family().unwrap_or_default();
    service
        .load_balancers()
        .iter()
        .filter_map(|lb| {
            let group = TargetGroup::find(rules, lb.target_group_arn()?)?;
            let container = td
                .container_definitions()
                .iter()
                .find(|c| c.name() == lb.container_name());
            let rule = container.and_then(|c| {
                rules.container_rule_for(
                    family,
                    c.name().unwrap_or_default(),
                    c.image().unwrap_or_default(),
                )
            });
            let failure = rule.filter(|r| r.target_healthy == Some(false)).map(|r| {
                failure(
                    r.target_reason
                        .as_deref()
                        .unwrap_or("Target.ResponseCodeMismatch"),
                    r.target_response_code.unwrap_or(502),
                )
            });
            // ELB user guide, "target group health checks": a target is healthy after
            // HealthyThresholdCount consecutive passing checks, unhealthy after
            // UnhealthyThresholdCount failing ones, one every HealthCheckIntervalSeconds.
            let checks = if failure.is_some() {
                group.unhealthy_threshold
            } else {
                group.healthy_threshold
            };
            Some(TaskTarget {
                target_group_arn: group.arn.clone(),
                id: target_id(&group.target_type, task_id),
                port: lb.container_port().unwrap_or(group.port),
                phase: TargetPhase::Unregistered,
                verdict_after: f64::from(group.interval * checks),
                failure,
                deregistration_delay: f64::from(group.deregistration_delay),
                registered_after: f64::from(group.interval),
                said: Said::default(),
            })
        })
        .collect()
}

/// A stable target ID from the task ID: a private IP address for `ip` targets (the simulator
/// gives tasks no network interface), an instance ID for `instance` ones.
fn target_id(target_type: &str, task_id: &str) -> String {
    let n = u32::from_str_radix(task_id.get(..8).unwrap_or("0"), 16).unwrap_or(0);
    if target_type == "ip" {
        format!("10.0.{}.{}", (n >> 8) & 0xff, (n & 0xff).max(1))
    } else {
        format!("i-0{:016x}", u64::from(n) << 16)
    }
}

/// Writes the service events of the targets of `svc` that changed since the last call, in
/// AWS's wording (ECS developer guide, "service event messages" and "service unhealthy event
/// messages"). The registered / draining / deregistered wording is the one AWS writes in
/// service events; the guide does not list it, so it is unverified here.
pub fn announce(svc: &mut ServiceRecord, ids: &mut Ids, now: Epoch) {
    let name = svc.service.service_name().unwrap_or_default().to_owned();
    let mut registered: BTreeMap<String, usize> = BTreeMap::new();
    let mut deregistered: BTreeMap<String, usize> = BTreeMap::new();
    let mut unhealthy = Vec::new();
    let mut draining = 0;
    for task in svc.tasks.values_mut() {
        let task_id = crate::ecs::short_name(task.task.task_arn().unwrap_or_default()).to_owned();
        let mut drains = false;
        for t in &mut task.health.targets {
            if t.phase != TargetPhase::Unregistered && !t.said.registered {
                t.said.registered = true;
                *registered.entry(t.target_group_arn.clone()).or_default() += 1;
            }
            if t.phase == TargetPhase::Unhealthy && !t.said.unhealthy {
                t.said.unhealthy = true;
                let instance = if t.id.starts_with("i-") {
                    format!(" (instance {})", t.id)
                } else {
                    String::new()
                };
                let (_, _, description) = t.health();
                // The guide's form: "(service service-name) (task task-id) (port port-number)
                // is unhealthy in (target-group target-group-name) due to (reason
                // failure-reason)"; AWS names the group by its ARN in practice (unverified).
                unhealthy.push(format!(
                    "(service {name}) (task {task_id}){instance} (port {}) is unhealthy in (target-group {}) due to (reason {})",
                    t.port,
                    t.target_group_arn,
                    description.unwrap_or("Health checks failed"),
                ));
            }
            let leaving = matches!(t.phase, TargetPhase::Draining | TargetPhase::Deregistered);
            if leaving && t.said.registered && !t.said.deregistered {
                t.said.deregistered = true;
                *deregistered.entry(t.target_group_arn.clone()).or_default() += 1;
                drains |= t.phase == TargetPhase::Draining;
            }
        }
        if drains {
            draining += 1;
        }
    }
    for (arn, n) in registered {
        push_event(
            svc,
            ids,
            now,
            format!("(service {name}) registered {n} targets in (target-group {arn})"),
        );
    }
    for message in unhealthy {
        push_event(svc, ids, now, message);
    }
    if draining > 0 {
        push_event(
            svc,
            ids,
            now,
            format!("(service {name}) has begun draining connections on {draining} tasks."),
        );
    }
    for (arn, n) in deregistered {
        push_event(
            svc,
            ids,
            now,
            format!("(service {name}) deregistered {n} targets in (target-group {arn})"),
        );
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::DeploymentRolloutState;
    use serde_json::json;

    use super::TargetPhase;
    use crate::ecs::TaskRecord;
    use crate::elbv2::TargetGroup;
    use crate::testkit::{Kit, WORLD, network};

    /// A world with the target group `web` (checks every 10 s: healthy after 2, unhealthy
    /// after 3; drains 30 s) and images tagged `bad…` whose target health checks fail.
    fn world() -> String {
        format!(
            "{WORLD}targetGroups:\n  - {{name: web, targetType: ip, healthCheck: {{intervalSeconds: 10, healthyThresholdCount: 2, unhealthyThresholdCount: 3}}, deregistrationDelaySeconds: 30}}\ncontainers:\n  - {{image: \"*:bad*\", targetHealthy: false}}\n"
        )
    }

    fn arn(kit: &Kit) -> String {
        TargetGroup::all(&kit.state.rules)[0].arn.clone()
    }

    /// Service `web` of one task of `web:1` behind `group`, created at 0; returns the ARNs of
    /// `web:1` and of `web:2` (image `image2`).
    fn create(
        kit: &mut Kit,
        group: &str,
        image2: &str,
        extra: serde_json::Value,
    ) -> (String, String) {
        let v1 = kit.register("web", "web:1");
        let v2 = kit.register("web", image2);
        let mut input = json!({
            "serviceName": "web",
            "taskDefinition": v1,
            "desiredCount": 1,
            "launchType": "FARGATE",
            "networkConfiguration": network(),
            "loadBalancers": [{"targetGroupArn": group, "containerName": "app", "containerPort": 80}],
            "deploymentConfiguration": {"minimumHealthyPercent": 100, "maximumPercent": 200},
        });
        if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
            input.extend(extra.clone());
        }
        kit.call("ecs", "CreateService", 0.0, input);
        (v1, v2)
    }

    fn tasks<'a>(kit: &'a Kit, owner: &str) -> Vec<&'a TaskRecord> {
        kit.service("web")
            .tasks
            .values()
            .filter(|t| t.owner.as_deref() == Some(owner))
            .collect()
    }

    fn phase(t: &TaskRecord) -> TargetPhase {
        t.health.targets[0].phase
    }

    fn rollout(kit: &Kit) -> Option<DeploymentRolloutState> {
        kit.service("web").service.deployments()[0]
            .rollout_state()
            .cloned()
    }

    // ELBv2 API reference, TargetHealth: a registering target is `initial` with
    // `Elb.RegistrationInProgress`, then `Elb.InitialHealthChecking`; ELB user guide, "health checks for target groups": it is
    // healthy after HealthyThresholdCount passing checks, one every HealthCheckIntervalSeconds.
    // ECS developer guide, "task health" / "service load balancing": a task behind a load
    // balancer counts once its target is healthy.
    #[test]
    fn a_running_task_is_registered_and_counts_once_its_target_is_healthy() {
        let mut kit = Kit::new(&world());
        let group = arn(&kit);
        create(&mut kit, &group, "web:2", json!({}));
        let first = kit.deployment_ids("web")[0].clone();
        kit.step(10.0); // RUNNING: registered, initial
        let t = tasks(&kit, &first)[0];
        assert_eq!(phase(t), TargetPhase::Initial);
        assert_eq!(
            t.health.targets[0].health_after(0.0),
            (
                "initial",
                Some("Elb.RegistrationInProgress"),
                Some("Target registration is in progress")
            )
        );
        // TargetHealth `Reason` Elb.InitialHealthChecking once registered (after one interval,
        // our choice: AWS does not say how long registration takes) until the checks decide.
        assert_eq!(
            t.health.targets[0].health_after(10.0).1,
            Some("Elb.InitialHealthChecking")
        );
        assert!(!t.is_healthy());
        assert_eq!(rollout(&kit), Some(DeploymentRolloutState::InProgress));
        assert!(kit.messages("web").contains(&format!(
            "(service web) registered 1 targets in (target-group {group})"
        )));
        kit.step(29.0);
        assert_eq!(rollout(&kit), Some(DeploymentRolloutState::InProgress));
        kit.step(30.0); // 2 checks × 10 s
        let t = tasks(&kit, &first)[0];
        assert_eq!(phase(t), TargetPhase::Healthy);
        assert_eq!(t.health.targets[0].health(), ("healthy", None, None));
        assert_eq!(rollout(&kit), Some(DeploymentRolloutState::Completed));
    }

    // ELB user guide, "deregistration delay": a deregistering target is `draining`
    // (`Target.DeregistrationInProgress`) for `deregistration_delay.timeout_seconds` before
    // the task stops. Service events (wording unverified, see `announce`).
    #[test]
    fn a_replaced_task_drains_for_the_deregistration_delay_before_it_stops() {
        let mut kit = Kit::new(&world());
        let group = arn(&kit);
        let (_, v2) = create(&mut kit, &group, "web:2", json!({}));
        let old = kit.deployment_ids("web")[0].clone();
        kit.step(10.0);
        kit.step(30.0);
        let new = kit.update(40.0, &v2);
        kit.step(50.0); // the new task RUNNING
        kit.step(70.0); // its target healthy: the old task is asked to stop
        let t = tasks(&kit, &old)[0];
        assert_eq!(phase(t), TargetPhase::Draining);
        assert_eq!(t.task.last_status(), Some("DEACTIVATING"));
        assert_eq!(
            t.health.targets[0].health().1,
            Some("Target.DeregistrationInProgress")
        );
        let messages = kit.messages("web");
        assert!(
            messages
                .contains(&"(service web) has begun draining connections on 1 tasks.".to_owned())
        );
        assert!(messages.contains(&format!(
            "(service web) deregistered 1 targets in (target-group {group})"
        )));
        // Oldest first: draining, deregistered, then the stop (ECS's order in service events).
        let at = |prefix: &str| {
            messages
                .iter()
                .rposition(|m| m.starts_with(prefix))
                .expect(prefix)
        };
        assert!(at("(service web) has begun draining") < at("(service web) deregistered"));
        // ECS developer guide, "task lifecycle": DEACTIVATING while the targets deregister,
        // then STOPPING; the service's "has stopped" event comes when ECS stops the task, once
        // the targets drained (30 s here), not when the stop was decided.
        assert!(
            !messages.iter().any(|m| m.contains("has stopped")),
            "{messages:?}"
        );
        kit.step(99.9);
        let messages = kit.messages("web");
        assert!(!messages.iter().any(|m| m.contains("has stopped")));
        assert_eq!(
            tasks(&kit, &old)[0].task.last_status(),
            Some("DEACTIVATING")
        );
        kit.step(100.0);
        let messages = kit.messages("web");
        assert_eq!(tasks(&kit, &old)[0].task.last_status(), Some("STOPPING"));
        let id = crate::ecs::short_name(tasks(&kit, &old)[0].task.task_arn().unwrap_or_default())
            .to_owned();
        assert!(
            messages.contains(&format!(
                "(service web) has stopped 1 running tasks: (task {id})."
            )),
            "{messages:?}"
        );
        kit.step(101.9);
        assert!(!tasks(&kit, &old)[0].is_stopped(), "still stopping");
        kit.step(102.0); // 30 s of draining + the 2 s stop
        let t = tasks(&kit, &old)[0];
        assert!(t.is_stopped());
        assert_eq!(phase(t), TargetPhase::Deregistered);
        assert_eq!(phase(tasks(&kit, &new)[0]), TargetPhase::Healthy);
    }

    // ELBv2 API reference, TargetHealth: `unhealthy` with `Target.ResponseCodeMismatch` after
    // UnhealthyThresholdCount failing checks; ECS developer guide, "service unhealthy event
    // messages" (Fargate form) and the stopped reason "Task failed ELB health checks in
    // (target-group …)"; the unhealthy task is replaced (API_CreateService,
    // `healthCheckGracePeriodSeconds` 0) and, as it never became healthy, counts as a failed
    // task (developer guide, "deployment-circuit-breaker").
    #[test]
    fn a_task_whose_target_is_unhealthy_is_stopped_with_aws_reason_and_replaced() {
        let mut kit = Kit::new(&world());
        let group = arn(&kit);
        let (_, bad) = create(&mut kit, &group, "web:bad", json!({}));
        let old = kit.deployment_ids("web")[0].clone();
        kit.step(10.0);
        kit.step(30.0);
        let new = kit.update(40.0, &bad);
        kit.step(50.0); // RUNNING
        kit.step(79.0);
        assert_eq!(phase(tasks(&kit, &new)[0]), TargetPhase::Initial);
        kit.step(80.0); // 3 failed checks × 10 s
        let sick = tasks(&kit, &new)
            .into_iter()
            .find(|t| !t.is_alive())
            .expect("the unhealthy task is stopping");
        let id = sick.id().to_owned();
        assert_eq!(
            sick.task.stopped_reason(),
            Some(format!("Task failed ELB health checks in (target-group {group})").as_str())
        );
        assert_eq!(phase(sick), TargetPhase::Draining);
        assert!(kit.messages("web").contains(&format!(
            "(service web) (task {id}) (port 80) is unhealthy in (target-group {group}) due to (reason Health checks failed with these codes: [502])"
        )));
        assert_eq!(kit.tasks_of("web", &new), (1, 0, 1), "replaced");
        assert_eq!(
            kit.tasks_of("web", &old),
            (0, 1, 0),
            "the old task keeps serving"
        );
        assert_eq!(kit.service("web").service.deployments()[0].failed_tasks, 1);
    }

    // API_CreateService `healthCheckGracePeriodSeconds`: "the period of time … that the
    // Amazon ECS service scheduler ignores unhealthy Elastic Load Balancing … target health
    // checks after a task has first started".
    #[test]
    fn an_unhealthy_target_is_ignored_during_the_grace_period() {
        let mut kit = Kit::new(&world());
        let group = arn(&kit);
        let (_, bad) = create(
            &mut kit,
            &group,
            "web:bad",
            json!({"healthCheckGracePeriodSeconds": 60}),
        );
        kit.step(10.0);
        kit.step(30.0);
        let new = kit.update(40.0, &bad);
        kit.step(50.0);
        kit.step(80.0); // unhealthy, but within the grace period (until 110)
        assert_eq!(phase(tasks(&kit, &new)[0]), TargetPhase::Unhealthy);
        assert_eq!(kit.tasks_of("web", &new), (0, 1, 0));
        kit.step(110.0);
        assert_eq!(kit.tasks_of("web", &new), (1, 0, 1));
    }

    // A group the world file does not describe is not modelled (README, simulator section):
    // the task counts once RUNNING, as before target groups existed, and no target event is
    // written.
    #[test]
    fn a_group_the_world_does_not_describe_keeps_tasks_counting_at_once() {
        let mut kit = Kit::new(&world());
        let other = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/other/0123456789abcdef";
        create(&mut kit, other, "web:2", json!({}));
        let first = kit.deployment_ids("web")[0].clone();
        kit.step(10.0);
        let t = tasks(&kit, &first)[0];
        assert!(t.health.targets.is_empty());
        assert!(t.is_healthy());
        assert_eq!(rollout(&kit), Some(DeploymentRolloutState::Completed));
        assert!(!kit.messages("web").iter().any(|m| m.contains("targets in")));
    }
}
