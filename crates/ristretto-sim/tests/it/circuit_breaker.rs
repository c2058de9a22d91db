//! A failing image trips the deployment circuit breaker.

use aws_sdk_ecs::types::{
    DeploymentCircuitBreaker, DeploymentConfiguration, DeploymentRolloutState, DesiredStatus,
    ServiceDeploymentStatus,
};

use crate::common::{describe, messages, poll, register, start, wait_steady};

const WORLD: &str = r#"
clusters: [default, prod]
failures:
  - image: "*:broken*"
    exitCode: 1
    stoppedReason: "Essential container in task exited"
"#;

fn breaker(rollback: bool) -> DeploymentConfiguration {
    DeploymentConfiguration::builder()
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(true)
                .rollback(rollback)
                .build(),
        )
        .minimum_healthy_percent(100)
        .maximum_percent(200)
        .build()
}

#[tokio::test]
async fn circuit_breaker_rolls_back_to_the_last_completed_deployment() {
    let sim = start(WORLD).await;
    let ecs = sim.ecs();
    let good = register(&ecs, "web", "repo/web:1.0").await;
    let bad = register(&ecs, "web", "repo/web:broken-2").await;
    ecs.create_service()
        .network_configuration(crate::common::network())
        .cluster("prod")
        .service_name("web")
        .task_definition(&good)
        .desired_count(2)
        .deployment_configuration(breaker(true))
        .send()
        .await
        .unwrap();
    let steady = wait_steady(&sim, "prod", "web").await;
    let good_deployment = steady.deployments()[0].id().unwrap().to_owned();

    let out = ecs
        .update_service()
        .cluster("prod")
        .service("web")
        .task_definition(&bad)
        .send()
        .await
        .unwrap();
    let failed_id = out.service().unwrap().deployments()[0]
        .id()
        .unwrap()
        .to_owned();

    // The failed deployment ends FAILED, and the service is back on the good task definition.
    let s = poll(&sim, || async {
        let s = describe(&ecs, "prod", "web").await;
        let failed = s
            .deployments()
            .iter()
            .find(|d| d.id() == Some(failed_id.as_str()));
        let rolled_back = failed.is_none()
            && s.deployments().len() == 1
            && s.deployments()[0].rollout_state() == Some(&DeploymentRolloutState::Completed);
        rolled_back.then_some(s)
    })
    .await;
    assert_eq!(s.task_definition(), Some(good.as_str()));
    assert_eq!(s.running_count, 2);
    assert_eq!(s.deployments()[0].task_definition(), Some(good.as_str()));
    assert_eq!(
        s.deployments()[0].rollout_state_reason(),
        Some(
            format!(
                "ECS deployment circuit breaker: rolling back to deploymentId {good_deployment}."
            )
            .as_str()
        )
    );
    let events = messages(&s);
    assert!(
        events.contains(&format!(
            "(service web) (deployment {failed_id}) deployment failed: tasks failed to start."
        )),
        "{events:#?}"
    );
    assert!(
        events.contains(&format!(
            "(service web) rolling back to deployment {good_deployment}."
        )),
        "{events:#?}"
    );

    // The service deployment records the rollback.
    let list = ecs
        .list_service_deployments()
        .cluster("prod")
        .service("web")
        .send()
        .await
        .unwrap();
    let latest = &list.service_deployments()[0];
    assert_eq!(
        latest.status(),
        Some(&ServiceDeploymentStatus::RollbackSuccessful)
    );
    let sd = ecs
        .describe_service_deployments()
        .service_deployment_arns(latest.service_deployment_arn().unwrap())
        .send()
        .await
        .unwrap();
    let sd = &sd.service_deployments()[0];
    assert!(sd.rollback().is_some());
    let cb = sd.deployment_circuit_breaker().unwrap();
    assert_eq!(cb.threshold, 3);
    assert!(cb.failure_count >= 3);

    // Stopped tasks carry the reason and the container exit code.
    let stopped = ecs
        .list_tasks()
        .cluster("prod")
        .service_name("web")
        .desired_status(DesiredStatus::Stopped)
        .send()
        .await
        .unwrap();
    let tasks = ecs
        .describe_tasks()
        .cluster("prod")
        .set_tasks(Some(stopped.task_arns().to_vec()))
        .send()
        .await
        .unwrap();
    let failed: Vec<_> = tasks
        .tasks()
        .iter()
        .filter(|t| t.stop_code().map(|c| c.as_str()) == Some("EssentialContainerExited"))
        .collect();
    assert!(failed.len() >= 3, "{failed:#?}");
    for t in failed {
        assert_eq!(t.task_definition_arn(), Some(bad.as_str()));
        assert_eq!(t.last_status(), Some("STOPPED"));
        assert_eq!(
            t.stopped_reason(),
            Some("Essential container in task exited")
        );
        assert_eq!(t.containers()[0].exit_code(), Some(1));
    }
    // Pending tasks of the failed deployment were stopped by the rollback, not by a failure.
    for t in tasks
        .tasks()
        .iter()
        .filter(|t| t.task_definition_arn() == Some(bad.as_str()))
    {
        assert_eq!(t.last_status(), Some("STOPPED"));
    }
}

#[tokio::test]
async fn circuit_breaker_without_rollback_leaves_the_deployment_failed() {
    let sim = start(WORLD).await;
    let ecs = sim.ecs();
    let good = register(&ecs, "api", "api:1").await;
    let bad = register(&ecs, "api", "api:broken").await;
    ecs.create_service()
        .network_configuration(crate::common::network())
        .service_name("api")
        .task_definition(&good)
        .desired_count(1)
        .deployment_configuration(breaker(false))
        .send()
        .await
        .unwrap();
    wait_steady(&sim, "default", "api").await;
    ecs.update_service()
        .service("api")
        .task_definition(&bad)
        .send()
        .await
        .unwrap();
    let s = poll(&sim, || async {
        let s = describe(&ecs, "default", "api").await;
        (s.deployments()[0].rollout_state() == Some(&DeploymentRolloutState::Failed)).then_some(s)
    })
    .await;
    assert_eq!(s.deployments()[0].task_definition(), Some(bad.as_str()));
    assert_eq!(s.deployments()[0].failed_tasks, 3);
    assert_eq!(
        s.deployments()[0].rollout_state_reason(),
        Some("ECS deployment circuit breaker: tasks failed to start.")
    );
    // The old task keeps running; nothing new is launched.
    sim.handle.advance(600.0);
    let later = describe(&ecs, "default", "api").await;
    assert_eq!(later.running_count, 1);
    assert_eq!(later.deployments()[0].failed_tasks, 3);
}

#[tokio::test]
async fn one_off_task_reports_its_exit_code() {
    let world = "clusters: [default]\nfailures:\n  - {image: '*/migrate:*', exitCode: 0, afterSeconds: 30}\n";
    let sim = start(world).await;
    let ecs = sim.ecs();
    let td = register(&ecs, "migrate", "repo/migrate:1").await;
    let run = ecs.run_task().task_definition(&td).send().await.unwrap();
    let arn = run.tasks()[0].task_arn().unwrap().to_owned();
    assert_eq!(run.tasks()[0].last_status(), Some("PENDING"));
    let task = poll(&sim, || async {
        let out = ecs.describe_tasks().tasks(&arn).send().await.unwrap();
        let t = out.tasks()[0].clone();
        (t.last_status() == Some("STOPPED")).then_some(t)
    })
    .await;
    assert!(task.started_at().is_some());
    assert_eq!(task.containers()[0].exit_code(), Some(0));
    assert_eq!(task.group(), Some("family:migrate"));
}
