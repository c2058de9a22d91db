//! ECS Exec: ExecuteCommand, the ExecuteCommandAgent of tasks started with
//! `enableExecuteCommand`, and SSM StartSession / TerminateSession for port forwarding.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{ContainerDefinition, LaunchType, ManagedAgentName, Task};

use crate::common::{Sim, network, poll, start};

const WORLD: &str = "clusters: [default, prod_eu]\ntaskStartDelaySeconds: 5\ntaskStartJitter: 0\n";

/// Registers a two-container Fargate task definition and runs one task of it in `cluster`.
async fn run_task(sim: &Sim, cluster: &str, enable: bool) -> String {
    let ecs = sim.ecs();
    ecs.register_task_definition()
        .family("job")
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image("app:1")
                .build(),
        )
        .container_definitions(
            ContainerDefinition::builder()
                .name("log_router")
                .image("fluent-bit:3")
                .essential(false)
                .build(),
        )
        .cpu("256")
        .memory("512")
        .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
        .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
        .send()
        .await
        .unwrap();
    let out = ecs
        .run_task()
        .cluster(cluster)
        .task_definition("job")
        .launch_type(LaunchType::Fargate)
        .network_configuration(network())
        .enable_execute_command(enable)
        .send()
        .await
        .unwrap();
    out.tasks()[0].task_arn().unwrap().to_owned()
}

async fn describe(sim: &Sim, cluster: &str, arn: &str) -> Task {
    sim.ecs()
        .describe_tasks()
        .cluster(cluster)
        .tasks(arn)
        .send()
        .await
        .unwrap()
        .tasks()[0]
        .clone()
}

async fn running(sim: &Sim, cluster: &str, arn: &str) -> Task {
    poll(sim, || async {
        let t = describe(sim, cluster, arn).await;
        (t.last_status() == Some("RUNNING")).then_some(t)
    })
    .await
}

fn agent_status(task: &Task) -> Vec<(String, String)> {
    task.containers()
        .iter()
        .flat_map(|c| {
            c.managed_agents().iter().map(move |a| {
                assert_eq!(a.name(), Some(&ManagedAgentName::ExecuteCommandAgent));
                (
                    c.name().unwrap_or_default().to_owned(),
                    a.last_status().unwrap_or_default().to_owned(),
                )
            })
        })
        .collect()
}

// API_Task `enableExecuteCommand`; API_Container `managedAgents` and API_ManagedAgent (name
// `ExecuteCommandAgent`, `lastStatus`, `lastStartedAt`): a task run with execute command enabled
// carries the agent on each container, PENDING then RUNNING with the task, STOPPED with it; a
// task without it has none.
#[tokio::test]
async fn tasks_with_execute_command_carry_its_agent_on_every_container() {
    let sim = start(WORLD).await;
    let arn = run_task(&sim, "default", true).await;
    let pending = describe(&sim, "default", &arn).await;
    assert!(pending.enable_execute_command());
    assert_eq!(
        agent_status(&pending),
        [
            ("app".into(), "PENDING".into()),
            ("log_router".into(), "PENDING".into())
        ]
    );
    let task = running(&sim, "default", &arn).await;
    assert_eq!(
        agent_status(&task),
        [
            ("app".into(), "RUNNING".into()),
            ("log_router".into(), "RUNNING".into())
        ]
    );
    let agent = &task.containers()[0].managed_agents()[0];
    assert_eq!(agent.last_started_at(), task.started_at());
    assert!(task.containers().iter().all(|c| c.runtime_id().is_some()));
    sim.ecs().stop_task().task(&arn).send().await.unwrap();
    let stopped = poll(&sim, || async {
        let t = describe(&sim, "default", &arn).await;
        (t.last_status() == Some("STOPPED")).then_some(t)
    })
    .await;
    assert!(agent_status(&stopped).iter().all(|(_, s)| s == "STOPPED"));

    let plain = run_task(&sim, "default", false).await;
    let plain = running(&sim, "default", &plain).await;
    assert!(!plain.enable_execute_command());
    assert!(agent_status(&plain).is_empty());
}

// API_ExecuteCommand: the response's `session` (sessionId, streamUrl, tokenValue), clusterArn,
// taskArn, containerName, containerArn, `interactive`; ECS developer guide, "Using ECS Exec":
// a task without execute command, or whose agent does not run yet, is refused with
// InvalidParameterException and the message AWS users quote ("The execute command failed
// because execute command was not enabled when the task was run or the execute command agent
// isn't running…").
#[tokio::test]
async fn execute_command_opens_a_session_only_on_a_running_task_with_the_agent() {
    let sim = start(WORLD).await;
    let ecs = sim.ecs();
    let exec = |task: String, container: Option<&'static str>| {
        ecs.execute_command()
            .cluster("prod_eu")
            .task(task)
            .set_container(container.map(str::to_owned))
            .command("sh")
            .interactive(true)
            .send()
    };
    let arn = run_task(&sim, "prod_eu", true).await;
    let err = exec(arn.clone(), Some("app")).await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    assert!(
        err.message()
            .unwrap_or_default()
            .starts_with("The execute command failed because execute command was not enabled"),
        "{err:?}"
    );
    let task = running(&sim, "prod_eu", &arn).await;

    let out = exec(arn.clone(), Some("log_router")).await.unwrap();
    let session = out.session().unwrap();
    assert!(
        session
            .session_id()
            .unwrap()
            .starts_with("ecs-execute-command-")
    );
    assert!(
        session
            .stream_url()
            .unwrap()
            .starts_with("wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/")
    );
    assert!(!session.token_value().unwrap().is_empty());
    assert_eq!(out.cluster_arn(), task.cluster_arn());
    assert_eq!(out.task_arn(), Some(arn.as_str()));
    assert_eq!(out.container_name(), Some("log_router"));
    assert_eq!(out.container_arn(), task.containers()[1].container_arn());
    assert!(out.interactive());

    // API_ExecuteCommand `container`: "only needs to be specified for tasks containing
    // multiple containers".
    let err = exec(arn.clone(), None).await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    let err = exec(arn.clone(), Some("nope")).await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    // API_ExecuteCommand `interactive`: "Amazon ECS only supports initiating interactive
    // sessions, so you must specify true for this value."
    let err = ecs
        .execute_command()
        .cluster("prod_eu")
        .task(&arn)
        .container("app")
        .command("sh")
        .interactive(false)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));

    let plain = run_task(&sim, "prod_eu", false).await;
    running(&sim, "prod_eu", &plain).await;
    let err = exec(plain, Some("app")).await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    assert!(
        err.message()
            .unwrap_or_default()
            .contains("not enabled when the task was run")
    );
}

// API_CreateService `enableExecuteCommand`: the service's tasks are started with it (ECS
// developer guide, "Using ECS Exec": it applies to tasks started after it is set, not to
// running ones).
#[tokio::test]
async fn a_service_starts_its_tasks_with_its_execute_command_setting() {
    let sim = start(WORLD).await;
    let ecs = sim.ecs();
    crate::common::register(&ecs, "web", "nginx:1").await;
    ecs.create_service()
        .service_name("web")
        .task_definition("web")
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(network())
        .enable_execute_command(true)
        .send()
        .await
        .unwrap();
    let arn = poll(&sim, || async {
        let list = ecs.list_tasks().service_name("web").send().await.unwrap();
        list.task_arns().first().cloned()
    })
    .await;
    let task = running(&sim, "default", &arn).await;
    assert!(task.enable_execute_command());
    assert_eq!(agent_status(&task), [("app".into(), "RUNNING".into())]);
    let out = ecs
        .execute_command()
        .task(&arn)
        .command("/bin/bash")
        .interactive(true)
        .send()
        .await
        .unwrap();
    assert_eq!(out.container_name(), Some("app"));
}

// SSM API reference, StartSession: `Target`, `DocumentName`, `Parameters`; errors
// `TargetNotConnected` and `InvalidDocument`; the answer's SessionId, TokenValue and StreamUrl.
// ECS developer guide, "Using ECS Exec" (port forwarding): the target of a task's container is
// `ecs:<cluster>_<task-id>_<container-runtime-id>`, with the documents
// AWS-StartPortForwardingSession (`portNumber`, `localPortNumber`) and
// AWS-StartPortForwardingSessionToRemoteHost (`host` too). TerminateSession answers the ID.
#[tokio::test]
async fn start_session_forwards_ports_to_a_task_container_running_the_agent() {
    let sim = start(WORLD).await;
    let ssm = aws_sdk_ssm::Client::new(&sim.config);
    let arn = run_task(&sim, "prod_eu", true).await;
    let task = running(&sim, "prod_eu", &arn).await;
    let task_id = arn.rsplit('/').next().unwrap();
    let runtime = task.containers()[0].runtime_id().unwrap();
    let target = format!("ecs:prod_eu_{task_id}_{runtime}");
    let forward = |target: String, document: &'static str, params: &[(&str, &str)]| {
        let mut request = ssm.start_session().target(target).document_name(document);
        for (k, v) in params {
            request = request.parameters(*k, vec![(*v).to_owned()]);
        }
        request.send()
    };

    let out = forward(
        target.clone(),
        "AWS-StartPortForwardingSession",
        &[("portNumber", "80"), ("localPortNumber", "8080")],
    )
    .await
    .unwrap();
    let id = out.session_id().unwrap().to_owned();
    assert!(!out.token_value().unwrap().is_empty());
    assert!(
        out.stream_url()
            .unwrap()
            .contains(&format!("/v1/data-channel/{id}"))
    );
    let out = forward(
        target.clone(),
        "AWS-StartPortForwardingSessionToRemoteHost",
        &[("host", "db.internal"), ("portNumber", "5432")],
    )
    .await
    .unwrap();
    assert_ne!(out.session_id(), Some(id.as_str()));

    let err = forward(
        target.clone(),
        "AWS-StartPortForwardingSessionToRemoteHost",
        &[("portNumber", "5432")],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Some("InvalidDocument"), "{err:?}");
    let err = forward(
        target.clone(),
        "AWS-StartPortForwardingSession",
        &[("portNumber", "http")],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Some("InvalidDocument"), "{err:?}");
    let err = forward(target.clone(), "My-Document", &[])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidDocument"), "{err:?}");
    for bad in [
        format!("ecs:prod_eu_{task_id}_not-a-runtime-id"),
        format!("ecs:default_{task_id}_{runtime}"),
        "i-0123456789abcdef0".to_owned(),
    ] {
        let err = forward(
            bad,
            "AWS-StartPortForwardingSession",
            &[("portNumber", "80")],
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), Some("TargetNotConnected"), "{err:?}");
    }

    let ended = ssm
        .terminate_session()
        .session_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(ended.session_id(), Some(id.as_str()));

    // A task without execute command runs no agent: nothing to connect to.
    let plain = run_task(&sim, "prod_eu", false).await;
    let plain_task = running(&sim, "prod_eu", &plain).await;
    let plain_target = format!(
        "ecs:prod_eu_{}_{}",
        plain.rsplit('/').next().unwrap(),
        plain_task.containers()[0].runtime_id().unwrap()
    );
    let err = forward(
        plain_target,
        "AWS-StartPortForwardingSession",
        &[("portNumber", "80")],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Some("TargetNotConnected"));
}
