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
        Some(DeploymentRolloutState::Failed) => Assessment::Failed(
            ours.rollout_state_reason()
                .unwrap_or("ECS marked the deployment FAILED")
                .to_owned(),
        ),
        Some(DeploymentRolloutState::Completed) => finished(service, ours, target),
        _ if !is_primary(ours) => {
            let primary = deployments.iter().find(|d| is_primary(d));
            Assessment::Failed(format!(
                "deployment {} was replaced by {} ({})",
                ours.id().unwrap_or("?"),
                primary
                    .and_then(Deployment::id)
                    .unwrap_or("another deployment"),
                primary.and_then(Deployment::task_definition).unwrap_or("?"),
            ))
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
        WaitUntil::Deployed => Assessment::Succeeded,
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
        Some(p) => Assessment::Failed(format!(
            "deployment {} was rolled back: the service runs {} again",
            target.deployment.as_deref().unwrap_or("?"),
            p.task_definition()
                .map_or("?", ristretto_core::event::short_task_definition)
        )),
        None => Assessment::Failed("the service has no deployment".to_owned()),
    }
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
        // Our deployment is gone and the service is steady on the old revision.
        let s = service(
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
        assert!(
            matches!(assess(&s, &target(WaitUntil::Stable)), Assessment::Failed(m) if m.contains("rolled back"))
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
}
