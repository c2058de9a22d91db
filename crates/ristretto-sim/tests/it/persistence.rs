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

fn shared_file_config(state_file: &std::path::Path) -> SimConfig {
    SimConfig {
        world: World::default_world(),
        state_file: Some(state_file.to_owned()),
        speed: 0.0,
        request_log: None,
    }
}

async fn families(ecs: &aws_sdk_ecs::Client) -> Vec<String> {
    let mut families = ecs
        .list_task_definition_families()
        .send()
        .await
        .unwrap()
        .families()
        .to_vec();
    families.sort();
    families
}

// Regression (issue 14, item 9): `--local register` run while a `--local deploy` waited in the
// same folder was lost when the deploy saved its in-memory world at the end.
#[tokio::test]
async fn two_simulators_on_one_state_file_see_and_keep_each_others_changes() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join(".ristretto/local-state.json");
    let waiting = common::start_with(shared_file_config(&state_file)).await;
    let other = common::start_with(shared_file_config(&state_file)).await;

    let web = common::register(&waiting.ecs(), "web", "web:1").await;
    assert!(web.ends_with("web:1"));
    // The other process sees the first one's registration and numbers after it…
    let api = common::register(&other.ecs(), "api", "api:1").await;
    assert!(api.ends_with("api:1"));
    let web2 = common::register(&other.ecs(), "web", "web:2").await;
    assert!(web2.ends_with("web:2"), "{web2}");
    // …and the first one sees the other's on its next call.
    assert_eq!(families(&waiting.ecs()).await, ["api", "web"]);
    let web3 = common::register(&waiting.ecs(), "web", "web:3").await;
    assert!(web3.ends_with("web:3"), "{web3}");

    // The other ends first, then the waiting one saves its world at the end: nothing is lost.
    other.handle.shutdown().await.unwrap();
    waiting.handle.shutdown().await.unwrap();
    let after = common::start_with(shared_file_config(&state_file)).await;
    assert_eq!(families(&after.ecs()).await, ["api", "web"]);
    let revisions = after
        .ecs()
        .list_task_definitions()
        .family_prefix("web")
        .send()
        .await
        .unwrap();
    assert_eq!(revisions.task_definition_arns().len(), 3);
    after.handle.shutdown().await.unwrap();
}

// Regression (issue 14, item 9): two `--local` commands started together could fail with
// "cannot save state file … No such file or directory" (both wrote the same temporary file).
#[tokio::test]
async fn simulators_started_together_on_one_new_state_file_all_start_and_save() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join(".ristretto/local-state.json");
    let starts = (0..8).map(|_| common::start_with(shared_file_config(&state_file)));
    let sims = futures_join(starts).await;
    let registered = sims.iter().enumerate().map(|(i, sim)| {
        let ecs = sim.ecs();
        async move { common::register(&ecs, &format!("f{i}"), "x").await }
    });
    futures_join(registered).await;
    for sim in sims {
        sim.handle.shutdown().await.unwrap();
    }
    let after = common::start_with(shared_file_config(&state_file)).await;
    assert_eq!(families(&after.ecs()).await.len(), 8);
    let leftovers: Vec<_> = std::fs::read_dir(state_file.parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    after.handle.shutdown().await.unwrap();
}

/// Runs the futures at once on this runtime and collects their outputs in order.
async fn futures_join<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
