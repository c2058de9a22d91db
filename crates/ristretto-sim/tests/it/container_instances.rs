//! Container instances through the real SDK: RegisterContainerInstance, ListContainerInstances
//! (status, filter, paging), DescribeContainerInstances (failures, `include`),
//! DeregisterContainerInstance (`force`), UpdateContainerInstancesState; world-file instances and
//! registered ones are the same records, and placement uses them. Each test cites its source.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    Attribute, Compatibility, ContainerDefinition, ContainerInstance, ContainerInstanceField,
    ContainerInstanceStatus, InstanceHealthCheckState, LaunchType, NetworkMode, PortMapping,
    Resource, Tag,
};

use crate::common::start;

fn int(name: &str, value: i32) -> Resource {
    Resource::builder()
        .name(name)
        .r#type("INTEGER")
        .integer_value(value)
        .build()
}

fn resource<'a>(list: &'a [Resource], name: &str) -> &'a Resource {
    list.iter()
        .find(|r| r.name() == Some(name))
        .unwrap_or_else(|| panic!("no {name} in {list:?}"))
}

fn attr(ci: &ContainerInstance, name: &str) -> Option<String> {
    ci.attributes()
        .iter()
        .find(|a| a.name() == name)
        .map(|a| a.value().unwrap_or_default().to_owned())
}

async fn register_instance(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    instance_type: &str,
    cpu: i32,
    memory: i32,
) -> ContainerInstance {
    ecs.register_container_instance()
        .cluster(cluster)
        .instance_identity_document(format!(
            r#"{{"instanceId":"i-0{instance_type}","instanceType":"{instance_type}","availabilityZone":"us-east-1b","imageId":"ami-0123"}}"#
        ))
        .total_resources(int("CPU", cpu))
        .total_resources(int("MEMORY", memory))
        .total_resources(
            Resource::builder()
                .name("PORTS")
                .r#type("STRINGSET")
                .string_set_value("22")
                .build(),
        )
        .attributes(
            Attribute::builder()
                .name("stack")
                .value("prod")
                .build()
                .unwrap(),
        )
        .tags(Tag::builder().key("team").value("web").build())
        .send()
        .await
        .unwrap()
        .container_instance()
        .unwrap()
        .clone()
}

async fn register_bridge_task(ecs: &aws_sdk_ecs::Client, family: &str, host_port: i32) {
    ecs.register_task_definition()
        .family(family)
        .requires_compatibilities(Compatibility::Ec2)
        .network_mode(NetworkMode::Bridge)
        .container_definitions(
            ContainerDefinition::builder()
                .name("web")
                .image("web:1")
                .cpu(256)
                .memory(512)
                .essential(true)
                .port_mappings(
                    PortMapping::builder()
                        .container_port(80)
                        .host_port(host_port)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
}

// API_RegisterContainerInstance (registers with `totalResources`, `attributes`, `tags`; the
// instance identity document names the EC2 instance) and API_ContainerInstance (`status`
// ACTIVE, `agentConnected`, `registeredResources`, `remainingResources`); developer guide,
// "Amazon ECS container instance attributes" (`ecs.instance-type`, `ecs.availability-zone`).
#[tokio::test]
async fn a_registered_instance_is_described_with_its_resources_attributes_and_tags() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let ci = register_instance(&ecs, "default", "t3.large", 2048, 8192).await;
    let arn = ci.container_instance_arn().unwrap().to_owned();
    assert!(arn.starts_with("arn:aws:ecs:us-east-1:123456789012:container-instance/default/"));
    assert_eq!(ci.ec2_instance_id(), Some("i-0t3.large"));
    assert_eq!(ci.status(), Some("ACTIVE"));
    assert!(ci.agent_connected());
    assert_eq!(attr(&ci, "ecs.instance-type").as_deref(), Some("t3.large"));
    assert_eq!(
        attr(&ci, "ecs.availability-zone").as_deref(),
        Some("us-east-1b")
    );
    assert_eq!(attr(&ci, "stack").as_deref(), Some("prod"));

    let id = arn.rsplit('/').next().unwrap();
    let out = ecs
        .describe_container_instances()
        .container_instances(id)
        .container_instances("0123456789abcdef0123456789abcdef")
        .send()
        .await
        .unwrap();
    let d = &out.container_instances()[0];
    assert_eq!(d.container_instance_arn(), Some(arn.as_str()));
    assert_eq!(
        resource(d.registered_resources(), "CPU").integer_value(),
        2048
    );
    assert_eq!(
        resource(d.remaining_resources(), "MEMORY").integer_value(),
        8192
    );
    assert_eq!(
        resource(d.remaining_resources(), "PORTS").string_set_value(),
        ["22"]
    );
    assert_eq!(d.running_tasks_count(), 0);
    // API_DescribeContainerInstances, `include`: tags and health only when asked for.
    assert!(d.tags().is_empty());
    assert!(d.health_status().is_none());
    // API_Failure: an instance the cluster does not have is `MISSING`, named by its ARN.
    assert_eq!(out.failures().len(), 1);
    assert_eq!(out.failures()[0].reason(), Some("MISSING"));
    assert!(
        out.failures()[0]
            .arn()
            .unwrap()
            .ends_with(":container-instance/default/0123456789abcdef0123456789abcdef")
    );

    let out = ecs
        .describe_container_instances()
        .container_instances(&arn)
        .include(ContainerInstanceField::Tags)
        .include(ContainerInstanceField::ContainerInstanceHealth)
        .send()
        .await
        .unwrap();
    let d = &out.container_instances()[0];
    assert_eq!(d.tags()[0].key(), Some("team"));
    assert_eq!(
        d.health_status().unwrap().overall_status(),
        Some(&InstanceHealthCheckState::Ok)
    );
}

// API_DescribeContainerInstances / API_ListContainerInstances, Errors: a cluster that does not
// exist is ClusterNotFoundException before anything else is looked at; `containerInstances` is
// required (InvalidParameterException); `maxResults` "can be between 1 and 100".
#[tokio::test]
async fn errors_follow_the_api_reference() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let err = ecs
        .describe_container_instances()
        .cluster("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ClusterNotFoundException"));
    let err = ecs.describe_container_instances().send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    let err = ecs
        .list_container_instances()
        .max_results(101)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    let err = ecs
        .list_container_instances()
        .filter("attribute:ecs.instance-type ==")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    let err = ecs
        .register_container_instance()
        .cluster("nope")
        .total_resources(int("CPU", 1024))
        .total_resources(int("MEMORY", 1024))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ClusterNotFoundException"));
    let err = ecs
        .deregister_container_instance()
        .container_instance("0123456789abcdef0123456789abcdef")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
}

// API_ListContainerInstances: `status` (default: every state but INACTIVE), `filter` in the
// cluster query language (developer guide, "Create expressions to define container
// instances"), `maxResults` / `nextToken` paging.
#[tokio::test]
async fn list_filters_by_status_and_query_and_pages() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let small = register_instance(&ecs, "default", "t3.small", 2048, 2048).await;
    let large = register_instance(&ecs, "default", "m5.large", 2048, 8192).await;
    let gone = register_instance(&ecs, "default", "m5.xlarge", 4096, 16384).await;
    let arn = |c: &ContainerInstance| c.container_instance_arn().unwrap().to_owned();
    ecs.deregister_container_instance()
        .container_instance(arn(&gone))
        .send()
        .await
        .unwrap();
    ecs.update_container_instances_state()
        .container_instances(arn(&large))
        .status(ContainerInstanceStatus::Draining)
        .send()
        .await
        .unwrap();

    let all = ecs.list_container_instances().send().await.unwrap();
    assert_eq!(all.container_instance_arns(), [arn(&small), arn(&large)]);
    let draining = ecs
        .list_container_instances()
        .status(ContainerInstanceStatus::Draining)
        .send()
        .await
        .unwrap();
    assert_eq!(draining.container_instance_arns(), [arn(&large)]);
    let inactive = ecs
        .list_container_instances()
        .status(ContainerInstanceStatus::from("INACTIVE"))
        .send()
        .await;
    // INACTIVE is not among the values of ContainerInstanceStatus in the service model.
    assert_eq!(
        inactive.unwrap_err().code(),
        Some("InvalidParameterException")
    );
    let filtered = ecs
        .list_container_instances()
        .filter("attribute:ecs.instance-type =~ m5.* or ec2InstanceId == i-0t3.small")
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.container_instance_arns().len(), 2);
    let filtered = ecs
        .list_container_instances()
        .filter("attribute:ecs.instance-type in [t3.small, t3.medium]")
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.container_instance_arns(), [arn(&small)]);

    let page = ecs
        .list_container_instances()
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.container_instance_arns(), [arn(&small)]);
    let next = ecs
        .list_container_instances()
        .max_results(1)
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(next.container_instance_arns(), [arn(&large)]);
    assert!(next.next_token().is_none());
}

// The world file's `containerInstances` are container instances like registered ones:
// ListContainerInstances returns them, RunTask places on them (API_Task
// `containerInstanceArn`), and DescribeContainerInstances' `remainingResources` and
// `runningTasksCount` reflect the tasks as they start and stop (API_ContainerInstance:
// "remainingResources … for tasks that are running", bridge host ports among PORTS).
#[tokio::test]
async fn remaining_resources_follow_the_tasks_placed_on_world_instances() {
    let sim = start(
        "clusters: [{name: default, containerInstances: [{cpu: 1024, memory: 2048}]}]\ntaskStartDelaySeconds: 10\ntaskStopDelaySeconds: 2\ntaskStartJitter: 0\n",
    )
    .await;
    let ecs = sim.ecs();
    let arns = ecs
        .list_container_instances()
        .send()
        .await
        .unwrap()
        .container_instance_arns()
        .to_vec();
    assert_eq!(arns.len(), 1);
    let ci = &arns[0];
    register_bridge_task(&ecs, "web", 8080).await;
    let run = ecs
        .run_task()
        .task_definition("web")
        .launch_type(LaunchType::Ec2)
        .send()
        .await
        .unwrap();
    let task = run.tasks()[0].clone();
    assert_eq!(task.container_instance_arn(), Some(ci.as_str()));

    let describe = || async {
        ecs.describe_container_instances()
            .container_instances(ci)
            .send()
            .await
            .unwrap()
            .container_instances()[0]
            .clone()
    };
    let d = describe().await;
    assert_eq!((d.pending_tasks_count(), d.running_tasks_count()), (1, 0));
    assert_eq!(
        resource(d.remaining_resources(), "CPU").integer_value(),
        768
    );
    assert_eq!(
        resource(d.remaining_resources(), "MEMORY").integer_value(),
        1536
    );
    assert!(
        resource(d.remaining_resources(), "PORTS")
            .string_set_value()
            .contains(&"8080".to_owned())
    );
    assert_eq!(
        resource(d.registered_resources(), "CPU").integer_value(),
        1024
    );

    sim.handle.advance(10.0);
    let d = describe().await;
    assert_eq!((d.pending_tasks_count(), d.running_tasks_count()), (0, 1));

    ecs.stop_task()
        .task(task.task_arn().unwrap())
        .send()
        .await
        .unwrap();
    sim.handle.advance(3.0);
    let d = describe().await;
    assert_eq!(d.running_tasks_count(), 0);
    assert_eq!(
        resource(d.remaining_resources(), "CPU").integer_value(),
        1024
    );
    assert!(
        !resource(d.remaining_resources(), "PORTS")
            .string_set_value()
            .contains(&"8080".to_owned())
    );
}

// API_RegisterContainerInstance: "Registers an EC2 instance into the specified cluster. This
// instance becomes available to place containers on." A cluster with no capacity described
// gains it: RunTask places on the registered instance and reports RESOURCE:MEMORY once full
// (developer guide, "API failure reasons"). API_UpdateContainerInstancesState: a DRAINING
// instance takes no new task.
#[tokio::test]
async fn run_task_places_on_registered_instances_and_not_on_draining_ones() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    register_bridge_task(&ecs, "web", 0).await;
    let first = register_instance(&ecs, "default", "t3.small", 1024, 1024).await;
    let out = ecs
        .run_task()
        .task_definition("web")
        .launch_type(LaunchType::Ec2)
        .count(3)
        .send()
        .await
        .unwrap();
    assert_eq!(out.tasks().len(), 2);
    assert_eq!(
        out.tasks()[0].container_instance_arn(),
        first.container_instance_arn()
    );
    assert_eq!(out.failures()[0].reason(), Some("RESOURCE:MEMORY"));

    let second = register_instance(&ecs, "default", "t3.small", 1024, 1024).await;
    ecs.update_container_instances_state()
        .container_instances(second.container_instance_arn().unwrap())
        .status(ContainerInstanceStatus::Draining)
        .send()
        .await
        .unwrap();
    let out = ecs
        .run_task()
        .task_definition("web")
        .launch_type(LaunchType::Ec2)
        .send()
        .await
        .unwrap();
    assert!(
        out.tasks().is_empty(),
        "the draining instance takes no task"
    );
    ecs.update_container_instances_state()
        .container_instances(second.container_instance_arn().unwrap())
        .status(ContainerInstanceStatus::Active)
        .send()
        .await
        .unwrap();
    let out = ecs
        .run_task()
        .task_definition("web")
        .launch_type(LaunchType::Ec2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.tasks()[0].container_instance_arn(),
        second.container_instance_arn()
    );
}

// API_DeregisterContainerInstance: an instance running tasks is deregistered only with
// `force`; its tasks are then orphaned ("no longer monitored or accounted for by Amazon ECS")
// and a service "starts another copy of that task, on a different container instance if
// possible". The deregistered instance is INACTIVE (API_ContainerInstance `status`).
#[tokio::test]
async fn deregistering_an_instance_with_tasks_needs_force_and_the_service_replaces_them() {
    let sim = start(
        "clusters: [{name: default, containerInstances: [{cpu: 1024, memory: 1024, count: 2}]}]\ntaskStartDelaySeconds: 10\ntaskStartJitter: 0\n",
    )
    .await;
    let ecs = sim.ecs();
    register_bridge_task(&ecs, "web", 0).await;
    ecs.create_service()
        .service_name("web")
        .task_definition("web")
        .launch_type(LaunchType::Ec2)
        .desired_count(2)
        .send()
        .await
        .unwrap();
    sim.handle.advance(11.0);
    let tasks = ecs
        .describe_tasks()
        .set_tasks(Some(
            ecs.list_tasks()
                .service_name("web")
                .send()
                .await
                .unwrap()
                .task_arns()
                .to_vec(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(tasks.tasks().len(), 2);
    let first = tasks.tasks()[0]
        .container_instance_arn()
        .unwrap()
        .to_owned();

    let err = ecs
        .deregister_container_instance()
        .container_instance(&first)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));

    let out = ecs
        .deregister_container_instance()
        .container_instance(&first)
        .force(true)
        .send()
        .await
        .unwrap();
    let ci = out.container_instance().unwrap();
    assert_eq!(ci.status(), Some("INACTIVE"));
    assert!(!ci.agent_connected());

    sim.handle.advance(11.0);
    let arns = ecs
        .list_tasks()
        .service_name("web")
        .send()
        .await
        .unwrap()
        .task_arns()
        .to_vec();
    let tasks = ecs
        .describe_tasks()
        .set_tasks(Some(arns))
        .send()
        .await
        .unwrap();
    assert_eq!(tasks.tasks().len(), 2, "the service started another copy");
    assert!(
        tasks
            .tasks()
            .iter()
            .all(|t| t.container_instance_arn() != Some(first.as_str())),
        "no task is placed on the deregistered instance"
    );
    let described = ecs
        .describe_container_instances()
        .container_instances(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.container_instances()[0].status(),
        Some("INACTIVE")
    );
}

// API_TagResource / API_ListTagsForResource: container instances are taggable resources.
#[tokio::test]
async fn container_instances_are_taggable() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let ci = register_instance(&ecs, "default", "t3.small", 1024, 1024).await;
    let arn = ci.container_instance_arn().unwrap();
    ecs.tag_resource()
        .resource_arn(arn)
        .tags(Tag::builder().key("env").value("prod").build())
        .send()
        .await
        .unwrap();
    let tags = ecs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = tags.tags().iter().filter_map(|t| t.key()).collect();
    assert_eq!(keys, ["team", "env"]);
}

// API_DeleteCluster: "You must deregister all container instances from this cluster before you
// may delete it" (ClusterContainsContainerInstancesException).
#[tokio::test]
async fn a_cluster_with_registered_instances_is_not_deleted() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    ecs.create_cluster()
        .cluster_name("ec2")
        .send()
        .await
        .unwrap();
    let ci = register_instance(&ecs, "ec2", "t3.small", 1024, 1024).await;
    let err = ecs
        .delete_cluster()
        .cluster("ec2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some("ClusterContainsContainerInstancesException")
    );
    ecs.deregister_container_instance()
        .cluster("ec2")
        .container_instance(ci.container_instance_arn().unwrap())
        .send()
        .await
        .unwrap();
    ecs.delete_cluster().cluster("ec2").send().await.unwrap();
}
