//! Capacity providers, cluster settings and account settings through the real SDK: the
//! predefined Fargate providers, PutClusterCapacityProviders, tasks started through a strategy
//! carrying `capacityProviderName`, UpdateCluster(Settings), and the account settings that
//! decide a new cluster's Container Insights. Each test cites its AWS source.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    CapacityProviderStrategyItem, ClusterConfiguration, ClusterField, ClusterSetting,
    ClusterSettingName, ExecuteCommandConfiguration, ExecuteCommandLogging, LaunchType,
    SettingName,
};

use crate::common::{network, poll, register, start};

fn item(provider: &str, weight: i32, base: i32) -> CapacityProviderStrategyItem {
    CapacityProviderStrategyItem::builder()
        .capacity_provider(provider)
        .weight(weight)
        .base(base)
        .build()
        .unwrap()
}

// API reference, CapacityProviderStrategyItem: "The Fargate capacity providers are available to
// all accounts"; API_DescribeCapacityProviders lists them, and `failures` for unknown names.
#[tokio::test]
async fn every_account_has_the_fargate_capacity_providers() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let out = ecs.describe_capacity_providers().send().await.unwrap();
    let names: Vec<_> = out
        .capacity_providers()
        .iter()
        .filter_map(|p| p.name())
        .collect();
    assert_eq!(names, ["FARGATE", "FARGATE_SPOT"]);
    assert!(
        out.capacity_providers()[1]
            .capacity_provider_arn()
            .unwrap()
            .ends_with(":capacity-provider/FARGATE_SPOT")
    );
    let out = ecs
        .describe_capacity_providers()
        .capacity_providers("nope")
        .send()
        .await
        .unwrap();
    assert!(out.capacity_providers().is_empty());
    assert_eq!(out.failures()[0].reason(), Some("MISSING"));
}

// API_PutClusterCapacityProviders: associates providers and sets the default strategy; API_Task
// `capacityProviderName`; developer guide "Capacity provider strategies": base first, then the
// weights. RunTask without launch type or strategy uses the cluster's default (API_RunTask).
#[tokio::test]
async fn run_task_spreads_the_cluster_default_strategy_and_names_each_provider() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let td = register(&ecs, "job", "job:1").await;
    let out = ecs
        .put_cluster_capacity_providers()
        .cluster("default")
        .capacity_providers("FARGATE")
        .capacity_providers("FARGATE_SPOT")
        .default_capacity_provider_strategy(item("FARGATE", 1, 1))
        .default_capacity_provider_strategy(item("FARGATE_SPOT", 3, 0))
        .send()
        .await
        .unwrap();
    let cluster = out.cluster().unwrap();
    assert_eq!(cluster.capacity_providers(), ["FARGATE", "FARGATE_SPOT"]);
    assert_eq!(cluster.default_capacity_provider_strategy().len(), 2);
    let out = ecs
        .run_task()
        .task_definition(&td)
        .count(5)
        .network_configuration(network())
        .send()
        .await
        .unwrap();
    let providers: Vec<_> = out
        .tasks()
        .iter()
        .map(|t| t.capacity_provider_name().unwrap())
        .collect();
    assert_eq!(providers.iter().filter(|p| **p == "FARGATE").count(), 2);
    assert_eq!(
        providers.iter().filter(|p| **p == "FARGATE_SPOT").count(),
        3
    );
    assert!(
        out.tasks()
            .iter()
            .all(|t| t.launch_type() == Some(&LaunchType::Fargate))
    );
    // A task started with a launch type has no capacity provider.
    let out = ecs
        .run_task()
        .task_definition(&td)
        .launch_type(LaunchType::Fargate)
        .network_configuration(network())
        .send()
        .await
        .unwrap();
    assert_eq!(out.tasks()[0].capacity_provider_name(), None);
    // API_PutClusterCapacityProviders: a provider still used by tasks cannot be removed.
    let err = ecs
        .put_cluster_capacity_providers()
        .cluster("default")
        .capacity_providers("FARGATE")
        .set_default_capacity_provider_strategy(Some(vec![]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceInUseException"));
}

// API reference, CapacityProviderStrategyItem: only providers associated with the cluster; with
// `launchType` a strategy is refused (API_CreateService, `capacityProviderStrategy`). Nothing is
// created.
#[tokio::test]
async fn strategies_the_cluster_cannot_use_are_refused() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let td = register(&ecs, "web", "web:1").await;
    let err = ecs
        .create_service()
        .service_name("web")
        .task_definition(&td)
        .desired_count(1)
        .capacity_provider_strategy(item("FARGATE_SPOT", 1, 0))
        .network_configuration(network())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    assert!(
        err.message()
            .unwrap()
            .contains("not associated with the cluster")
    );
    let err = ecs
        .create_service()
        .service_name("web")
        .task_definition(&td)
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .capacity_provider_strategy(item("FARGATE_SPOT", 1, 0))
        .network_configuration(network())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
    let services = ecs.list_services().send().await.unwrap();
    assert!(services.service_arns().is_empty());
    // API_CreateCluster, capacityProviders: an Auto Scaling group provider must exist first.
    let err = ecs
        .create_cluster()
        .cluster_name("asg")
        .capacity_providers("missing-asg")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
}

// A service created with a FARGATE_SPOT strategy keeps it (API_Service
// `capacityProviderStrategy`, base 0 filled in) and its tasks run on FARGATE_SPOT.
#[tokio::test]
async fn a_fargate_spot_service_runs_its_tasks_on_fargate_spot() {
    let sim = start(
        "clusters: [{name: default, capacityProviders: [FARGATE, FARGATE_SPOT]}]\ntaskStartDelaySeconds: 5\n",
    )
    .await;
    let ecs = sim.ecs();
    let td = register(&ecs, "web", "web:1").await;
    let out = ecs
        .create_service()
        .service_name("web")
        .task_definition(&td)
        .desired_count(2)
        .capacity_provider_strategy(
            CapacityProviderStrategyItem::builder()
                .capacity_provider("FARGATE_SPOT")
                .weight(1)
                .build()
                .unwrap(),
        )
        .network_configuration(network())
        .send()
        .await
        .unwrap();
    let service = out.service().unwrap();
    assert_eq!(service.capacity_provider_strategy()[0].base(), 0);
    assert_eq!(service.launch_type(), None);
    let tasks = poll(&sim, || async {
        let arns = ecs.list_tasks().service_name("web").send().await.unwrap();
        if arns.task_arns().len() < 2 {
            return None;
        }
        let out = ecs
            .describe_tasks()
            .set_tasks(Some(arns.task_arns().to_vec()))
            .send()
            .await
            .unwrap();
        Some(out.tasks().to_vec())
    })
    .await;
    assert!(
        tasks
            .iter()
            .all(|t| t.capacity_provider_name() == Some("FARGATE_SPOT"))
    );
}

// API_UpdateService, `capacityProviderStrategy`: a service started with a launch type moves to
// a strategy (with a new deployment); it then has no launch type.
#[tokio::test]
async fn a_launch_type_service_moves_to_a_strategy() {
    let sim =
        start("clusters: [{name: default, capacityProviders: [FARGATE, FARGATE_SPOT]}]\n").await;
    let ecs = sim.ecs();
    let td = register(&ecs, "web", "web:1").await;
    ecs.create_service()
        .service_name("web")
        .task_definition(&td)
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(network())
        .send()
        .await
        .unwrap();
    let out = ecs
        .update_service()
        .service("web")
        .capacity_provider_strategy(item("FARGATE_SPOT", 1, 0))
        .force_new_deployment(true)
        .send()
        .await
        .unwrap();
    let service = out.service().unwrap();
    assert_eq!(service.launch_type(), None);
    assert_eq!(
        service.capacity_provider_strategy()[0].capacity_provider(),
        "FARGATE_SPOT"
    );
    let err = ecs
        .update_service()
        .service("web")
        .capacity_provider_strategy(item("nope", 1, 0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
}

// API_CreateCluster: `settings` and `configuration` are returned; API_DescribeClusters
// `include`: SETTINGS and CONFIGURATIONS add them; `capacityProviders` and
// `defaultCapacityProviderStrategy` are always there. API_UpdateClusterSettings and
// API_UpdateCluster change them.
#[tokio::test]
async fn cluster_settings_and_configuration_round_trip() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let configuration = ClusterConfiguration::builder()
        .execute_command_configuration(
            ExecuteCommandConfiguration::builder()
                .logging(ExecuteCommandLogging::Default)
                .build(),
        )
        .build();
    let insights = |value: &str| {
        ClusterSetting::builder()
            .name(ClusterSettingName::ContainerInsights)
            .value(value)
            .build()
    };
    let out = ecs
        .create_cluster()
        .cluster_name("prod")
        .settings(insights("enabled"))
        .configuration(configuration.clone())
        .send()
        .await
        .unwrap();
    let c = out.cluster().unwrap();
    assert_eq!(c.settings(), [insights("enabled")]);
    assert_eq!(c.configuration(), Some(&configuration));
    assert!(c.capacity_providers().is_empty());
    assert!(
        c.tags().is_empty() && c.tags.is_none(),
        "no tags: no member"
    );
    let plain = ecs
        .describe_clusters()
        .clusters("prod")
        .send()
        .await
        .unwrap();
    assert!(plain.clusters()[0].settings.is_none());
    assert!(plain.clusters()[0].configuration.is_none());
    assert!(plain.clusters()[0].capacity_providers.is_some());
    ecs.update_cluster_settings()
        .cluster("prod")
        .settings(insights("enhanced"))
        .send()
        .await
        .unwrap();
    let out = ecs
        .update_cluster()
        .cluster("prod")
        .configuration(ClusterConfiguration::builder().build())
        .send()
        .await
        .unwrap();
    assert_eq!(out.cluster().unwrap().settings(), [insights("enhanced")]);
    let full = ecs
        .describe_clusters()
        .clusters("prod")
        .include(ClusterField::Settings)
        .include(ClusterField::Configurations)
        .send()
        .await
        .unwrap();
    let c = &full.clusters()[0];
    assert_eq!(c.settings(), [insights("enhanced")]);
    assert_eq!(
        c.configuration(),
        Some(&ClusterConfiguration::builder().build())
    );
    let err = ecs
        .update_cluster_settings()
        .cluster("nope")
        .settings(insights("enabled"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ClusterNotFoundException"));
}

// API_ListAccountSettings `effectiveSettings`: every setting with the value in effect (AWS's
// defaults until changed); API_PutAccountSettingDefault changes it for the account; without
// `effectiveSettings` only what was set is listed. API_CreateCluster `settings`: a cluster
// created without them takes the account's `containerInsights`.
#[tokio::test]
async fn account_settings_have_aws_defaults_and_decide_container_insights() {
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let value = |out: &aws_sdk_ecs::operation::list_account_settings::ListAccountSettingsOutput,
                 name: SettingName| {
        out.settings()
            .iter()
            .find(|s| s.name() == Some(&name))
            .and_then(|s| s.value())
            .map(str::to_owned)
    };
    let out = ecs
        .list_account_settings()
        .effective_settings(true)
        .max_results(10)
        .send()
        .await
        .unwrap();
    assert_eq!(out.settings().len(), 10);
    assert!(out.next_token().is_some());
    assert_eq!(
        value(&out, SettingName::ServiceLongArnFormat).as_deref(),
        Some("enabled")
    );
    assert_eq!(
        value(&out, SettingName::ContainerInsights).as_deref(),
        Some("disabled")
    );
    let none = ecs.list_account_settings().send().await.unwrap();
    assert!(none.settings().is_empty());
    let put = ecs
        .put_account_setting_default()
        .name(SettingName::ContainerInsights)
        .value("enabled")
        .send()
        .await
        .unwrap();
    assert_eq!(put.setting().unwrap().value(), Some("enabled"));
    let out = ecs
        .list_account_settings()
        .name(SettingName::ContainerInsights)
        .effective_settings(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        value(&out, SettingName::ContainerInsights).as_deref(),
        Some("enabled")
    );
    let c = ecs
        .create_cluster()
        .cluster_name("observed")
        .send()
        .await
        .unwrap();
    assert_eq!(c.cluster().unwrap().settings()[0].value(), Some("enabled"));
    let err = ecs
        .put_account_setting()
        .name(SettingName::FargateTaskRetirementWaitPeriod)
        .value("3")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterException"));
}

// API_CreateTaskSet: `tags` kept on the task set and returned by DescribeTaskSets with
// `include: [TAGS]` only (API_DescribeTaskSets, `include`); TagResource on a task set ARN;
// `platformVersion` "is specified only for tasks using the Fargate launch type. If one isn't
// specified, the LATEST platform version is used" (API_TaskSet: the version the tasks run on,
// LATEST resolved as for tasks); an unknown version is PlatformUnknownException (Errors).
#[tokio::test]
async fn task_sets_carry_tags_and_their_fargate_platform_version() {
    use aws_sdk_ecs::types::{DeploymentController, DeploymentControllerType, Tag, TaskSetField};
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    let web = register(&ecs, "web", "web:1").await;
    ecs.create_service()
        .service_name("ext")
        .launch_type(LaunchType::Fargate)
        .deployment_controller(
            DeploymentController::builder()
                .r#type(DeploymentControllerType::External)
                .build()
                .unwrap(),
        )
        .desired_count(1)
        .send()
        .await
        .unwrap();
    let err = ecs
        .create_task_set()
        .cluster("default")
        .service("ext")
        .task_definition(&web)
        .network_configuration(network())
        .platform_version("9.9.9")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("PlatformUnknownException"));

    let set = ecs
        .create_task_set()
        .cluster("default")
        .service("ext")
        .task_definition(&web)
        .network_configuration(network())
        .tags(Tag::builder().key("team").value("web").build())
        .send()
        .await
        .unwrap()
        .task_set()
        .unwrap()
        .clone();
    assert_eq!(set.platform_version(), Some("1.4.0"), "LATEST, resolved");
    assert_eq!(set.tags()[0].key(), Some("team"));
    let pinned = ecs
        .create_task_set()
        .cluster("default")
        .service("ext")
        .task_definition(&web)
        .network_configuration(network())
        .platform_version("1.3.0")
        .send()
        .await
        .unwrap();
    assert_eq!(pinned.task_set().unwrap().platform_version(), Some("1.3.0"));

    let arn = set.task_set_arn().unwrap();
    ecs.tag_resource()
        .resource_arn(arn)
        .tags(Tag::builder().key("env").value("prod").build())
        .send()
        .await
        .unwrap();
    let plain = ecs
        .describe_task_sets()
        .cluster("default")
        .service("ext")
        .task_sets(arn)
        .send()
        .await
        .unwrap();
    assert!(
        plain.task_sets()[0].tags().is_empty(),
        "tags only when asked"
    );
    let tagged = ecs
        .describe_task_sets()
        .cluster("default")
        .service("ext")
        .task_sets(arn)
        .include(TaskSetField::Tags)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = tagged.task_sets()[0]
        .tags()
        .iter()
        .filter_map(|t| t.key())
        .collect();
    assert_eq!(keys, ["team", "env"]);
}

// API_UpdateCapacityProvider (managed scaling, termination protection, draining of an Auto
// Scaling group provider) and API_DeleteCapacityProvider: "The FARGATE and FARGATE_SPOT
// capacity providers are reserved and can't be deleted"; "Only capacity providers that aren't
// associated with a cluster can be deleted"; the answer's `updateStatus` is
// DELETE_IN_PROGRESS and the provider is then INACTIVE (API_CapacityProvider).
#[tokio::test]
async fn auto_scaling_group_providers_are_updated_and_deleted_once_unused() {
    use aws_sdk_ecs::types::{
        AutoScalingGroupProvider, AutoScalingGroupProviderUpdate, CapacityProviderStatus,
        CapacityProviderUpdateStatus, ManagedScaling, ManagedScalingStatus,
    };
    let sim = start("clusters: [default]\n").await;
    let ecs = sim.ecs();
    ecs.create_capacity_provider()
        .name("asg")
        .auto_scaling_group_provider(
            AutoScalingGroupProvider::builder()
                .auto_scaling_group_arn("arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/asg")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let updated = ecs
        .update_capacity_provider()
        .name("asg")
        .auto_scaling_group_provider(
            AutoScalingGroupProviderUpdate::builder()
                .managed_scaling(
                    ManagedScaling::builder()
                        .status(ManagedScalingStatus::Enabled)
                        .target_capacity(80)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let p = updated.capacity_provider().unwrap();
    let scaling = p
        .auto_scaling_group_provider()
        .unwrap()
        .managed_scaling()
        .unwrap();
    assert_eq!(scaling.target_capacity(), Some(80));
    assert_eq!(
        p.update_status(),
        Some(&CapacityProviderUpdateStatus::UpdateComplete)
    );

    for reserved in ["FARGATE", "FARGATE_SPOT"] {
        let err = ecs
            .delete_capacity_provider()
            .capacity_provider(reserved)
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("ClientException"), "{reserved}");
        let err = ecs
            .update_capacity_provider()
            .name(reserved)
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("ClientException"), "{reserved}");
    }

    ecs.put_cluster_capacity_providers()
        .cluster("default")
        .capacity_providers("asg")
        .set_default_capacity_provider_strategy(Some(Vec::new()))
        .send()
        .await
        .unwrap();
    let err = ecs
        .delete_capacity_provider()
        .capacity_provider("asg")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ClientException"), "still associated");
    ecs.put_cluster_capacity_providers()
        .cluster("default")
        .set_capacity_providers(Some(Vec::new()))
        .set_default_capacity_provider_strategy(Some(Vec::new()))
        .send()
        .await
        .unwrap();
    let deleted = ecs
        .delete_capacity_provider()
        .capacity_provider("arn:aws:ecs:us-east-1:123456789012:capacity-provider/asg")
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.capacity_provider().unwrap().update_status(),
        Some(&CapacityProviderUpdateStatus::DeleteInProgress)
    );
    let described = ecs
        .describe_capacity_providers()
        .capacity_providers("asg")
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.capacity_providers()[0].status(),
        Some(&CapacityProviderStatus::Inactive)
    );
    let err = ecs
        .put_cluster_capacity_providers()
        .cluster("default")
        .capacity_providers("asg")
        .set_default_capacity_provider_strategy(Some(Vec::new()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some("InvalidParameterException"),
        "a deleted provider"
    );
}
