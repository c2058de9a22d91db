//! Deciding, from one `DescribeServices` answer, whether *our* deployment has
//! finished, failed, or is still going. A plain function of data, so every
//! case is a unit test: a circuit-breaker rollback is a failure even though
//! the service ends up stable (the false success ecspresso users hit).

use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState, Service};

/// What `deploy` and `wait` wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WaitUntil {
    /// Our deployment completed and the service runs our task definition.
    #[default]
    Deployed,
    /// That, and the service is steady: one deployment, running = desired.
    Stable,
    /// A lifecycle hook of a native deployment awaits action (`--wait-until paused`); on a
    /// deployment that cannot pause, or one that finishes without pausing, as `Deployed`.
    Paused,
    /// A native deployment reached this lifecycle stage (`--wait-until ecs:<STAGE>`), or
    /// finished.
    Stage(crate::lifecycle::Stage),
}

impl WaitUntil {
    /// What a native deployment's lifecycle is watched for.
    #[must_use]
    pub fn goal(self) -> crate::lifecycle::Goal {
        match self {
            Self::Deployed | Self::Stable => crate::lifecycle::Goal::Finish,
            Self::Paused => crate::lifecycle::Goal::Paused,
            Self::Stage(stage) => crate::lifecycle::Goal::Stage(stage),
        }
    }
}

/// The deployment being followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The deployment ID (`ecs-svc/…`), when known.
    pub deployment: Option<String>,
    /// The task definition ARN the service must end up running.
    pub task_definition: String,
    /// When it counts as done.
    pub until: WaitUntil,
}

/// The verdict on one observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assessment {
    /// Still going.
    InProgress,
    /// Done, successfully.
    Succeeded,
    /// Done, unsuccessfully, with the reason.
    Failed(String),
}

/// Judges `service` against `target`.
#[must_use]
pub fn assess(service: &Service, target: &Target) -> Assessment {
    if let Some(status) = service.status()
        && status != "ACTIVE"
    {
        return Assessment::Failed(format!("the service is {status}"));
    }
    let deployments = service.deployments();
    let ours = match &target.deployment {
        Some(id) => deployments.iter().find(|d| d.id() == Some(id.as_str())),
        None => deployments.iter().find(|d| is_primary(d)),
    };
    let Some(ours) = ours else {
        return gone(service, target);
    };
    if ours.task_definition() != Some(target.task_definition.as_str()) {
        return Assessment::Failed(format!(
            "deployment {} runs {}, not {}",
            ours.id().unwrap_or("?"),
            ours.task_definition().unwrap_or("?"),
            target.task_definition
        ));
    }
    match ours.rollout_state() {
        Some(DeploymentRolloutState::Failed) => {
            let reason = ours
                .rollout_state_reason()
                .unwrap_or("ECS marked the deployment FAILED");
            Assessment::Failed(with_unhealthy_target(reason, service, ours.id()))
        }
        Some(DeploymentRolloutState::Completed) => finished(service, ours, target),
        _ if is_primary(ours)
            && let Some(reason) = unplaceable(service, ours) =>
        {
            Assessment::Failed(reason)
        }
        _ if !is_primary(ours) => {
            let primary = deployments.iter().find(|d| is_primary(d));
            match primary {
                Some(p) if rolled_back_to(service, p) => rolled_back(service, target, p),
                Some(p) => replaced(target, p),
                None => Assessment::Failed(format!(
                    "deployment {} is no longer the service's primary deployment",
                    ours.id().unwrap_or("?")
                )),
            }
        }
        // Services without rollout state (no circuit breaker on old API
        // versions) are done when they are steady on our task definition.
        None if steady(service, ours) => Assessment::Succeeded,
        _ => Assessment::InProgress,
    }
}

fn finished(service: &Service, ours: &Deployment, target: &Target) -> Assessment {
    if service.task_definition() != Some(target.task_definition.as_str()) {
        return Assessment::Failed(format!(
            "the service runs {}, not {}",
            service.task_definition().unwrap_or("?"),
            target.task_definition
        ));
    }
    match target.until {
        WaitUntil::Deployed | WaitUntil::Paused | WaitUntil::Stage(_) => Assessment::Succeeded,
        WaitUntil::Stable if steady(service, ours) => Assessment::Succeeded,
        WaitUntil::Stable => Assessment::InProgress,
    }
}

/// Our deployment is no longer listed: fine only if the service settled on
/// our task definition.
fn gone(service: &Service, target: &Target) -> Assessment {
    let primary = service.deployments().iter().find(|d| is_primary(d));
    match primary {
        Some(p) if p.task_definition() == Some(target.task_definition.as_str()) => {
            if steady(service, p) {
                Assessment::Succeeded
            } else {
                Assessment::InProgress
            }
        }
        Some(p) if rolled_back_to(service, p) => rolled_back(service, target, p),
        Some(p) => replaced(target, p),
        None => Assessment::Failed("the service has no deployment".to_owned()),
    }
}

/// ECS rolled our deployment back (the circuit breaker with `rollback` on, or
/// StopServiceDeployment with ROLLBACK) to `primary`, which runs what ran before.
fn rolled_back(service: &Service, target: &Target, primary: &Deployment) -> Assessment {
    Assessment::Failed(with_unhealthy_target(
        &format!(
            "deployment {} was rolled back: the service runs {} again",
            target.deployment.as_deref().unwrap_or("?"),
            primary
                .task_definition()
                .map_or("?", ristretto_core::event::short_task_definition)
        ),
        service,
        target.deployment.as_deref(),
    ))
}

/// Another deployment (someone else's `UpdateService`) took over from ours.
fn replaced(target: &Target, primary: &Deployment) -> Assessment {
    Assessment::Failed(format!(
        "deployment {} was replaced by another deployment, {}, which runs {}",
        target.deployment.as_deref().unwrap_or("?"),
        primary.id().unwrap_or("?"),
        primary
            .task_definition()
            .map_or("?", ristretto_core::event::short_task_definition)
    ))
}

/// What ECS says when it rolls a deployment back: the new primary deployment's
/// `rolloutStateReason` ("ECS deployment circuit breaker: rolling back to
/// deploymentId ecs-svc/…."), and a service event "(service web) rolling back
/// to deployment ecs-svc/….". AWS documents the rollback (API reference,
/// `DeploymentCircuitBreaker`: "rolled back to the last deployment that
/// completed successfully") but not these words, which are those seen in
/// DescribeServices answers; neither carries a code, so the text is all there
/// is to recognise.
const ROLLING_BACK: &str = "rolling back to deployment";

/// Whether `primary` is ECS's rollback rather than another deployment: its
/// reason says so, or a service event since it began does.
fn rolled_back_to(service: &Service, primary: &Deployment) -> bool {
    if primary
        .rollout_state_reason()
        .is_some_and(|r| r.contains(ROLLING_BACK))
    {
        return true;
    }
    let since = primary
        .created_at()
        .map_or(f64::MIN, aws_smithy_types::DateTime::as_secs_f64);
    service.events().iter().any(|e| {
        e.message().is_some_and(|m| m.contains(ROLLING_BACK))
            && e.created_at()
                .is_some_and(|t| t.as_secs_f64() >= since - 1.0)
    })
}

/// The first sentence of ECS's placement failure event (ECS developer guide, "Amazon ECS service
/// event messages"): "(service x) was unable to place a task because no container instance met
/// all of its requirements." and then, when ECS knows it, the reason ("Reason: No Container
/// Instances were found in your cluster.", "The closest matching (container-instance …) has
/// insufficient memory available.", …).
const UNABLE_TO_PLACE: &str = "was unable to place a task because no container instance met";

/// Whether ECS cannot place the tasks of `ours`, and AWS's message (with its reason) if so.
///
/// Service events carry no code and no deployment ID, so the event is recognised by its text
/// and tied to our deployment by time. The rule, all of it required:
/// - the **newest** service event is a placement failure: a later event (tasks started, tasks
///   stopped to make room in a rolling update, a steady state) means the scheduler moved on,
///   and a placement failure during a tight rolling update is transient;
/// - it was created at or after our deployment (so it is about our tasks, not a previous
///   deployment's);
/// - our deployment wants tasks and has none running or pending: with some tasks placed, the
///   rest may still fit once old tasks drain, so we keep waiting (and the timeout decides).
///
/// ECS itself never gives up on placement (the deployment stays IN_PROGRESS and the circuit
/// breaker does not count unplaced tasks), so without this rule a deploy would wait for its
/// timeout. ECS omits a duplicate of the event for six hours unless the cause was resolved, so
/// a second deployment within that time that hits the same cause is not recognised and waits.
fn unplaceable(service: &Service, ours: &Deployment) -> Option<String> {
    if ours.desired_count() == 0 || ours.running_count() > 0 || ours.pending_count() > 0 {
        return None;
    }
    let newest = service.events().first()?;
    let message = newest.message()?;
    if !message.contains(UNABLE_TO_PLACE) {
        return None;
    }
    let (Some(at), Some(since)) = (newest.created_at(), ours.created_at()) else {
        return None;
    };
    (at >= since).then(|| message.to_owned())
}

/// What ECS writes when a task's load balancer target fails its health checks (ECS developer
/// guide, "service unhealthy event messages": "(service service-name) (task task-id) (port
/// port-number) is unhealthy in (target-group target-group-name) due to (reason
/// failure-reason)", with an `(instance …)` part on EC2 and a `taskSet` part for task sets).
const UNHEALTHY_IN_TARGET_GROUP: &str = ") is unhealthy in (target-group ";

/// `reason`, and why our targets were unhealthy when ECS said so.
fn with_unhealthy_target(reason: &str, service: &Service, deployment: Option<&str>) -> String {
    match unhealthy_target(service, deployment) {
        Some(why) => format!("{reason}; {why}"),
        None => reason.to_owned(),
    }
}

/// The newest service event about the deployment `deployment` saying that a task's load
/// balancer target is unhealthy, and why: the reason a deployment whose targets never become
/// healthy fails. The stopped tasks only say "Task failed ELB health checks in (target-group
/// …)"; the event carries the load balancer's reason ("Health checks failed with these codes:
/// [502]", "Request timed out", …). Events carry no code and no deployment ID, so, like the
/// placement rule, the event is recognised by its text and tied to our deployment:
/// - while the deployment is listed, by time: created at or after the deployment;
/// - once it is gone (rolled back), by order: the newest such event before ECS's "(deployment
///   ID) deployment failed" event of our deployment, and after any "deployment completed"
///   event before it (which belongs to an earlier deployment).
#[must_use]
pub fn unhealthy_target<'a>(service: &'a Service, deployment: Option<&str>) -> Option<&'a str> {
    let id = deployment?;
    let events = service.events();
    if let Some(ours) = service.deployments().iter().find(|d| d.id() == Some(id)) {
        let since = ours.created_at()?;
        return events
            .iter()
            .filter(|e| e.created_at().is_some_and(|at| at >= since))
            .filter_map(|e| e.message())
            .find(|m| m.contains(UNHEALTHY_IN_TARGET_GROUP));
    }
    let failed = format!("(deployment {id}) deployment failed");
    let start = events
        .iter()
        .position(|e| e.message().is_some_and(|m| m.contains(&failed)))?;
    events[start..]
        .iter()
        .filter_map(|e| e.message())
        .take_while(|m| !m.contains(") deployment completed"))
        .find(|m| m.contains(UNHEALTHY_IN_TARGET_GROUP))
}

fn is_primary(deployment: &Deployment) -> bool {
    deployment.status() == Some("PRIMARY")
}

fn steady(service: &Service, deployment: &Deployment) -> bool {
    service.deployments().len() == 1
        && deployment.running_count() == deployment.desired_count()
        && service.running_count() == service.desired_count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1";
    const NEW: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2";

    fn deployment(
        id: &str,
        status: &str,
        td: &str,
        running: i32,
        state: DeploymentRolloutState,
    ) -> Deployment {
        Deployment::builder()
            .id(id)
            .status(status)
            .task_definition(td)
            .desired_count(2)
            .running_count(running)
            .rollout_state(state)
            .build()
    }

    fn service(td: &str, running: i32, deployments: Vec<Deployment>) -> Service {
        Service::builder()
            .status("ACTIVE")
            .task_definition(td)
            .desired_count(2)
            .running_count(running)
            .set_deployments(Some(deployments))
            .build()
    }

    fn target(until: WaitUntil) -> Target {
        Target {
            deployment: Some("ecs-svc/2".into()),
            task_definition: NEW.into(),
            until,
        }
    }

    #[test]
    fn rolling_deployment_in_progress() {
        let s = service(
            NEW,
            3,
            vec![
                deployment(
                    "ecs-svc/2",
                    "PRIMARY",
                    NEW,
                    1,
                    DeploymentRolloutState::InProgress,
                ),
                deployment(
                    "ecs-svc/1",
                    "ACTIVE",
                    OLD,
                    2,
                    DeploymentRolloutState::Completed,
                ),
            ],
        );
        assert_eq!(
            assess(&s, &target(WaitUntil::Deployed)),
            Assessment::InProgress
        );
    }

    #[test]
    fn deployed_when_our_deployment_completes() {
        let s = service(
            NEW,
            2,
            vec![deployment(
                "ecs-svc/2",
                "PRIMARY",
                NEW,
                2,
                DeploymentRolloutState::Completed,
            )],
        );
        assert_eq!(
            assess(&s, &target(WaitUntil::Deployed)),
            Assessment::Succeeded
        );
        assert_eq!(
            assess(&s, &target(WaitUntil::Stable)),
            Assessment::Succeeded
        );
    }

    #[test]
    fn stable_waits_for_old_tasks_to_drain() {
        let s = service(
            NEW,
            3,
            vec![
                deployment(
                    "ecs-svc/2",
                    "PRIMARY",
                    NEW,
                    2,
                    DeploymentRolloutState::Completed,
                ),
                deployment(
                    "ecs-svc/1",
                    "ACTIVE",
                    OLD,
                    1,
                    DeploymentRolloutState::Completed,
                ),
            ],
        );
        assert_eq!(
            assess(&s, &target(WaitUntil::Deployed)),
            Assessment::Succeeded
        );
        assert_eq!(
            assess(&s, &target(WaitUntil::Stable)),
            Assessment::InProgress
        );
    }

    #[test]
    fn deploy_fails_when_circuit_breaker_rolls_back() {
        let failed = Deployment::builder()
            .id("ecs-svc/2")
            .status("ACTIVE")
            .task_definition(NEW)
            .rollout_state(DeploymentRolloutState::Failed)
            .rollout_state_reason("ECS deployment circuit breaker: tasks failed to start.")
            .build();
        let s = service(
            OLD,
            2,
            vec![
                deployment(
                    "ecs-svc/3",
                    "PRIMARY",
                    OLD,
                    2,
                    DeploymentRolloutState::InProgress,
                ),
                failed,
            ],
        );
        assert_eq!(
            assess(&s, &target(WaitUntil::Deployed)),
            Assessment::Failed("ECS deployment circuit breaker: tasks failed to start.".into())
        );
    }

    #[test]
    fn a_rolled_back_service_that_looks_stable_is_still_a_failure() {
        // Our deployment is gone and the service is steady on the old revision, in the
        // rollback deployment the circuit breaker started (API reference,
        // DeploymentCircuitBreaker: "rolled back to the last deployment that completed
        // successfully").
        let mut rollback = deployment(
            "ecs-svc/3",
            "PRIMARY",
            OLD,
            2,
            DeploymentRolloutState::Completed,
        );
        rollback.rollout_state_reason =
            Some("ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.".into());
        let s = service(OLD, 2, vec![rollback]);
        assert_eq!(
            assess(&s, &target(WaitUntil::Stable)),
            Assessment::Failed(
                "deployment ecs-svc/2 was rolled back: the service runs web:1 again".into()
            )
        );
    }

    #[test]
    fn a_rollback_is_also_recognised_by_its_service_event() {
        let mut rollback = deployment(
            "ecs-svc/3",
            "PRIMARY",
            OLD,
            2,
            DeploymentRolloutState::Completed,
        );
        rollback.created_at = Some(aws_smithy_types::DateTime::from_secs(100));
        rollback.rollout_state_reason = Some("ECS deployment ecs-svc/3 completed.".into());
        let event = |secs: i64| {
            aws_sdk_ecs::types::ServiceEvent::builder()
                .message("(service web) rolling back to deployment ecs-svc/1.")
                .created_at(aws_smithy_types::DateTime::from_secs(secs))
                .build()
        };
        let mut s = service(OLD, 2, vec![rollback]);
        s.events = Some(vec![event(100)]);
        assert!(
            matches!(assess(&s, &target(WaitUntil::Deployed)), Assessment::Failed(m) if m.contains("rolled back"))
        );
        // An old rollback, before this deployment began, says nothing about it.
        s.events = Some(vec![event(10)]);
        assert!(
            matches!(assess(&s, &target(WaitUntil::Deployed)), Assessment::Failed(m) if m.contains("replaced"))
        );
    }

    // Regression (issue 14, item 10): a deployment replaced by another one (web:3, which never
    // ran before) was reported as "rolled back: the service runs web:3 again".
    #[test]
    fn a_deployment_gone_under_another_one_was_replaced_not_rolled_back() {
        let other = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3";
        let s = service(
            other,
            2,
            vec![deployment(
                "ecs-svc/4",
                "PRIMARY",
                other,
                2,
                DeploymentRolloutState::Completed,
            )],
        );
        assert_eq!(
            assess(&s, &target(WaitUntil::Deployed)),
            Assessment::Failed(
                "deployment ecs-svc/2 was replaced by another deployment, ecs-svc/4, which runs web:3"
                    .into()
            )
        );
    }

    #[test]
    fn another_deployment_replacing_ours_is_a_failure() {
        let other = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3";
        let s = service(
            other,
            2,
            vec![
                deployment(
                    "ecs-svc/4",
                    "PRIMARY",
                    other,
                    0,
                    DeploymentRolloutState::InProgress,
                ),
                deployment(
                    "ecs-svc/2",
                    "ACTIVE",
                    NEW,
                    2,
                    DeploymentRolloutState::InProgress,
                ),
            ],
        );
        assert!(
            matches!(assess(&s, &target(WaitUntil::Deployed)), Assessment::Failed(m) if m.contains("replaced"))
        );
    }

    #[test]
    fn an_inactive_service_is_a_failure() {
        let mut s = service(NEW, 0, vec![]);
        s.status = Some("INACTIVE".into());
        assert_eq!(
            assess(&s, &target(WaitUntil::Deployed)),
            Assessment::Failed("the service is INACTIVE".into())
        );
    }

    const UNPLACEABLE: &str = "(service web) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.";

    fn at(secs: i64) -> aws_smithy_types::DateTime {
        aws_smithy_types::DateTime::from_secs(secs)
    }

    fn event(secs: i64, message: &str) -> aws_sdk_ecs::types::ServiceEvent {
        aws_sdk_ecs::types::ServiceEvent::builder()
            .created_at(at(secs))
            .message(message)
            .build()
    }

    /// Our deployment (created at 100) with `running` tasks of 2, beside the old one, and the
    /// service's events, newest first.
    fn placing(running: i32, events: Vec<aws_sdk_ecs::types::ServiceEvent>) -> Service {
        let mut ours = deployment(
            "ecs-svc/2",
            "PRIMARY",
            NEW,
            running,
            DeploymentRolloutState::InProgress,
        );
        ours.created_at = Some(at(100));
        let old = deployment(
            "ecs-svc/1",
            "ACTIVE",
            OLD,
            2,
            DeploymentRolloutState::Completed,
        );
        let mut s = service(NEW, 2 + running, vec![ours, old]);
        s.events = Some(events);
        s
    }

    // ECS developer guide, "Amazon ECS service event messages": the placement failure event;
    // ECS keeps the deployment IN_PROGRESS, so we fail on the event with AWS's reason.
    #[test]
    fn tasks_that_cannot_be_placed_fail_the_deployment_with_aws_reason() {
        let s = placing(0, vec![event(100, UNPLACEABLE)]);
        assert_eq!(
            assess(&s, &target(WaitUntil::Deployed)),
            Assessment::Failed(UNPLACEABLE.into())
        );
    }

    #[test]
    fn a_placement_event_before_our_deployment_is_not_ours() {
        let s = placing(0, vec![event(99, UNPLACEABLE)]);
        assert_eq!(
            assess(&s, &target(WaitUntil::Deployed)),
            Assessment::InProgress
        );
    }

    // A tight rolling update: ECS cannot place a new task until old ones stop, stops them, and
    // then places it. The stop event after the placement event means it moved on.
    #[test]
    fn a_placement_event_followed_by_other_events_is_transient() {
        let s = placing(
            0,
            vec![
                event(
                    100,
                    "(service web) has stopped 2 running tasks: (task a) (task b).",
                ),
                event(100, UNPLACEABLE),
            ],
        );
        assert_eq!(
            assess(&s, &target(WaitUntil::Deployed)),
            Assessment::InProgress
        );
    }

    const UNHEALTHY: &str = "(service web) (task 0123456789abcdef0123456789abcdef) (port 80) is unhealthy in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef) due to (reason Health checks failed with these codes: [502])";

    // ECS developer guide, "service unhealthy event messages" and "deployment-circuit-breaker":
    // tasks whose targets never become healthy are stopped and counted until the breaker fails
    // the deployment; the failure names the load balancer's reason from the event.
    #[test]
    fn a_breaker_failure_names_the_unhealthy_target_reason() {
        let mut s = placing(
            0,
            vec![
                event(150, "(service web) has stopped 1 running tasks: (task a)."),
                event(140, UNHEALTHY),
            ],
        );
        let ours = &mut s.deployments.as_mut().expect("deployments")[0];
        ours.rollout_state = Some(DeploymentRolloutState::Failed);
        ours.rollout_state_reason =
            Some("ECS deployment circuit breaker: tasks failed to start.".into());
        assert_eq!(
            assess(&s, &target(WaitUntil::Deployed)),
            Assessment::Failed(format!(
                "ECS deployment circuit breaker: tasks failed to start.; {UNHEALTHY}"
            ))
        );
    }

    #[test]
    fn an_unhealthy_target_before_our_deployment_is_not_ours() {
        let s = placing(0, vec![event(99, UNHEALTHY)]);
        assert_eq!(unhealthy_target(&s, Some("ecs-svc/2")), None);
        let s = placing(0, vec![event(100, UNHEALTHY), event(99, "older")]);
        assert_eq!(unhealthy_target(&s, Some("ecs-svc/2")), Some(UNHEALTHY));
        assert_eq!(unhealthy_target(&s, None), None, "no deployment: not ours");
    }

    // A breaker rollback that finished before we looked: our deployment is gone, ECS's
    // "deployment failed" event names it, and the unhealthy event before it is ours.
    #[test]
    fn a_rolled_back_deployment_names_the_unhealthy_target_reason() {
        let mut s = service(
            OLD,
            2,
            vec![deployment(
                "ecs-svc/3",
                "PRIMARY",
                OLD,
                2,
                DeploymentRolloutState::Completed,
            )],
        );
        s.events = Some(vec![
            event(
                200,
                "(service web) (deployment ecs-svc/3) deployment completed.",
            ),
            event(190, "(service web) rolling back to deployment ecs-svc/3."),
            event(
                190,
                "(service web) (deployment ecs-svc/2) deployment failed: tasks failed to start.",
            ),
            event(180, UNHEALTHY),
            event(
                100,
                "(service web) (deployment ecs-svc/1) deployment completed.",
            ),
            event(
                90,
                "(service web) (task x) (port 80) is unhealthy in (target-group old) due to (reason old)",
            ),
        ]);
        assert_eq!(
            assess(&s, &target(WaitUntil::Deployed)),
            Assessment::Failed(format!(
                "deployment ecs-svc/2 was rolled back: the service runs web:1 again; {UNHEALTHY}"
            ))
        );
        s.events.as_mut().expect("events").remove(3);
        assert_eq!(
            assess(&s, &target(WaitUntil::Deployed)),
            Assessment::Failed(
                "deployment ecs-svc/2 was rolled back: the service runs web:1 again".into()
            ),
            "an unhealthy event of an earlier deployment is not ours"
        );
    }

    #[test]
    fn with_some_tasks_running_we_keep_waiting() {
        let s = placing(1, vec![event(100, UNPLACEABLE)]);
        assert_eq!(
            assess(&s, &target(WaitUntil::Deployed)),
            Assessment::InProgress
        );
    }
}
