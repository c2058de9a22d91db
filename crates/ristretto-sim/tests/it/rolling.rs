//! Rolling deployments observed through DescribeServices, as a deploy tool sees them.

use aws_sdk_ecs::types::{
    DeploymentConfiguration, DeploymentRolloutState, LaunchType, ServiceDeploymentStatus,
};

use crate::common;
use crate::common::{describe, messages, poll, register, start, wait_steady};

#[tokio::test]
async fn rolling_update_walks_through_intermediate_states_and_completes() {
    let sim = start("clusters: [default]\ntaskStartDelaySeconds: 10\n").await;
    let ecs = sim.ecs();
    let v1 = register(&ecs, "web", "nginx:1").await;
    let v2 = register(&ecs, "web", "nginx:2").await;
    assert!(v2.ends_with("task-definition/web:2"), "{v2}");

    let created = ecs
        .create_service()
        .network_configuration(crate::common::network())
        .service_name("web")
        .task_definition("web")
        .desired_count(4)
        .launch_type(LaunchType::Fargate)
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .minimum_healthy_percent(50)
                .maximum_percent(200)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let created = created.service().unwrap();
    assert_eq!(created.status(), Some("ACTIVE"));
    assert_eq!(created.pending_count, 4);
    assert_eq!(
        created.deployments()[0].task_definition(),
        Some(v2.as_str())
    );
    let first = wait_steady(&sim, "default", "web").await;
    assert_eq!(first.running_count, 4);

    // Deploy revision 1 (a "rollback" by hand is just another rolling update).
    let updated = ecs
        .update_service()
        .service("web")
        .task_definition(&v1)
        .send()
        .await
        .unwrap();
    let deployments = updated.service().unwrap().deployments();
    assert_eq!(deployments.len(), 2);
    assert_eq!(deployments[0].status(), Some("PRIMARY"));
    assert_eq!(deployments[0].task_definition(), Some(v1.as_str()));
    assert_eq!(deployments[1].status(), Some("ACTIVE"));
    let primary_id = deployments[0].id().unwrap().to_owned();

    // Observe the rollout: record every distinct (primary running, primary pending, old running).
    // The UpdateService answer is the first state of the rollout.
    let old_running: i32 = deployments.iter().skip(1).map(|d| d.running_count).sum();
    let mut seen = vec![(
        deployments[0].running_count,
        deployments[0].pending_count,
        old_running,
    )];
    let mut waited = 0.0;
    let done = loop {
        assert!(
            waited < common::POLL_LIMIT,
            "rollout did not complete: {seen:?}"
        );
        let s = describe(&ecs, "default", "web").await;
        let p = &s.deployments()[0];
        let old: i32 = s
            .deployments()
            .iter()
            .skip(1)
            .map(|d| d.running_count)
            .sum();
        // runningCount and desiredCount stay consistent at every step.
        assert_eq!(
            s.running_count,
            s.deployments().iter().map(|d| d.running_count).sum::<i32>()
        );
        assert!(
            s.running_count + s.pending_count <= 8,
            "maximumPercent 200 exceeded"
        );
        assert!(
            s.running_count >= 2,
            "minimumHealthyPercent 50 broken: {seen:?}"
        );
        assert_eq!(s.desired_count, 4);
        let step = (p.running_count, p.pending_count, old);
        if seen.last() != Some(&step) {
            seen.push(step);
        }
        if p.rollout_state() == Some(&DeploymentRolloutState::Completed) {
            break s;
        }
        sim.handle.advance(common::POLL_STEP);
        waited += common::POLL_STEP;
    };
    assert!(
        seen.len() >= 3,
        "expected intermediate states, saw {seen:?}"
    );
    assert!(
        seen.iter()
            .any(|(_, pending, old)| *pending > 0 && *old > 0),
        "{seen:?}"
    );
    assert_eq!(done.deployments().len(), 1);
    assert_eq!(done.running_count, 4);
    assert_eq!(done.task_definition(), Some(v1.as_str()));

    let events = messages(&done);
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("(service web) has started 4 tasks: (task ")),
        "{events:#?}"
    );
    let stopped_in_events: usize = events
        .iter()
        .filter(|e| e.starts_with("(service web) has stopped "))
        .map(|e| e.matches("(task ").count())
        .sum();
    assert_eq!(stopped_in_events, 4, "{events:#?}");
    assert!(
        events.contains(&format!(
            "(service web) (deployment {primary_id}) deployment completed."
        )),
        "{events:#?}"
    );
    assert_eq!(
        events.last().map(String::as_str),
        Some("(service web) has reached a steady state.")
    );

    // The service deployments tell the same story.
    let list = ecs
        .list_service_deployments()
        .service("web")
        .send()
        .await
        .unwrap();
    let briefs = list.service_deployments();
    assert_eq!(briefs.len(), 2);
    assert_eq!(
        briefs[0].status(),
        Some(&ServiceDeploymentStatus::Successful)
    );
    let arn = briefs[0].service_deployment_arn().unwrap();
    let sd = ecs
        .describe_service_deployments()
        .service_deployment_arns(arn)
        .send()
        .await
        .unwrap();
    let sd = &sd.service_deployments()[0];
    assert_eq!(sd.source_service_revisions().len(), 1);
    assert!(sd.target_service_revision().is_some());
    assert!(sd.finished_at().is_some());

    // Old tasks were stopped by the scheduler and say why.
    let stopped = ecs
        .list_tasks()
        .service_name("web")
        .desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped)
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.task_arns().len(), 4);
    let tasks = ecs
        .describe_tasks()
        .set_tasks(Some(stopped.task_arns().to_vec()))
        .send()
        .await
        .unwrap();
    for t in tasks.tasks() {
        assert_eq!(t.last_status(), Some("STOPPED"));
        assert_eq!(
            t.stop_code().map(|c| c.as_str()),
            Some("ServiceSchedulerInitiated")
        );
        assert!(
            t.stopped_reason()
                .unwrap()
                .starts_with("Scaling activity initiated by (deployment ")
        );
        assert_eq!(t.task_definition_arn(), Some(v2.as_str()));
    }
    sim.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn scaling_changes_the_running_count_without_a_new_deployment() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    register(&ecs, "api", "api:1").await;
    ecs.create_service()
        .network_configuration(crate::common::network())
        .service_name("api")
        .task_definition("api")
        .desired_count(1)
        .send()
        .await
        .unwrap();
    wait_steady(&sim, "default", "api").await;
    let out = ecs
        .update_service()
        .service("api")
        .desired_count(3)
        .send()
        .await
        .unwrap();
    assert_eq!(out.service().unwrap().deployments().len(), 1);
    let s = poll(&sim, || async {
        let s = describe(&ecs, "default", "api").await;
        (s.running_count == 3).then_some(s)
    })
    .await;
    assert_eq!(s.deployments()[0].desired_count, 3);
    let tasks = ecs.list_tasks().service_name("api").send().await.unwrap();
    assert_eq!(tasks.task_arns().len(), 3);
}

#[tokio::test]
async fn force_new_deployment_replaces_every_task() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    register(&ecs, "w", "w:1").await;
    ecs.create_service()
        .network_configuration(crate::common::network())
        .service_name("w")
        .task_definition("w")
        .desired_count(2)
        .send()
        .await
        .unwrap();
    wait_steady(&sim, "default", "w").await;
    let before = ecs
        .list_tasks()
        .service_name("w")
        .send()
        .await
        .unwrap()
        .task_arns()
        .to_vec();
    let out = ecs
        .update_service()
        .service("w")
        .force_new_deployment(true)
        .send()
        .await
        .unwrap();
    assert_eq!(out.service().unwrap().deployments().len(), 2);
    poll(&sim, || async {
        let s = describe(&ecs, "default", "w").await;
        (s.deployments().len() == 1 && s.running_count == 2).then_some(())
    })
    .await;
    let after = ecs
        .list_tasks()
        .service_name("w")
        .send()
        .await
        .unwrap()
        .task_arns()
        .to_vec();
    assert_eq!(after.len(), 2);
    assert!(after.iter().all(|t| !before.contains(t)));
}
