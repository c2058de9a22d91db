//! The world survives a restart through the state file, as consecutive `--local` runs need.

use ristretto_sim::{SimConfig, World};

use crate::common;

#[tokio::test]
async fn state_survives_a_restart_from_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join(".ristretto/local-state.json");
    let config = SimConfig {
        world: World::from_yaml_str(
            "clusters: [default, prod]\nparameters: [{name: /a, value: one}]\n",
        )
        .unwrap(),
        state_file: Some(state_file.clone()),
        speed: 0.0,
        request_log: None,
    };

    let first = common::start_with(config.clone()).await;
    let ecs = first.ecs();
    let td = common::register(&ecs, "web", "web:1").await;
    ecs.create_service()
        .network_configuration(crate::common::network())
        .cluster("prod")
        .service_name("web")
        .task_definition(&td)
        .desired_count(2)
        .tags(
            aws_sdk_ecs::types::Tag::builder()
                .key("team")
                .value("a")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let before = common::wait_steady(&first, "prod", "web").await;
    // The state file is written after each mutating call, so a crash loses nothing.
    assert!(state_file.exists());
    first.handle.shutdown().await.unwrap();

    // A different world file does not replace the saved world; only its rules apply.
    let mut second_config = config.clone();
    second_config.world = World::from_yaml_str("clusters: [other]\n").unwrap();
    let second = common::start_with(second_config).await;
    let ecs = second.ecs();
    let after = common::describe(&ecs, "prod", "web").await;
    assert_eq!(after.service_arn(), before.service_arn());
    assert_eq!(after.running_count, 2);
    assert_eq!(after.deployments(), before.deployments());
    assert_eq!(after.events().len(), before.events().len());
    assert_eq!(after.created_at(), before.created_at());
    let tagged = ecs
        .describe_services()
        .cluster("prod")
        .services("web")
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
        .unwrap();
    assert_eq!(tagged.services()[0].tags()[0].value(), Some("a"));
    let tasks = ecs
        .list_tasks()
        .cluster("prod")
        .service_name("web")
        .send()
        .await
        .unwrap();
    assert_eq!(tasks.task_arns().len(), 2);
    let clusters = ecs.list_clusters().send().await.unwrap();
    assert_eq!(
        clusters.cluster_arns().len(),
        2,
        "the saved clusters, not the new world's"
    );

    // Work continues where it stopped: a new revision deploys on the restored service.
    let td2 = common::register(&ecs, "web", "web:2").await;
    assert!(td2.ends_with(":2"));
    ecs.update_service()
        .cluster("prod")
        .service("web")
        .task_definition(&td2)
        .send()
        .await
        .unwrap();
    let done = common::wait_steady(&second, "prod", "web").await;
    assert_eq!(done.task_definition(), Some(td2.as_str()));
    second.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_corrupt_state_file_is_an_error_not_a_reset() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("state.json");
    std::fs::write(&state_file, "{not json").unwrap();
    let err = ristretto_sim::start(
        SimConfig {
            world: World::default_world(),
            state_file: Some(state_file),
            speed: 1.0,
            request_log: None,
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .err()
    .unwrap();
    assert!(err.to_string().contains("cannot load state file"), "{err}");
}
