//! Application Auto Scaling, SSM Parameter Store, Secrets Manager and S3 GetObject.

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    SuspendedState, TargetTrackingScalingPolicyConfiguration,
};

use crate::common;
use crate::common::start;

const WORLD: &str = r#"
clusters: [default]
parameters:
  - {name: /app/db/host, value: db.internal}
  - {name: /app/db/password, value: s3cret, type: SecureString}
secrets:
  - {name: app/db, value: '{"password":"s3cret"}', description: db}
s3:
  - {bucket: tfstate, key: env/prod/terraform.tfstate, body: '{"version":4}'}
scalableTargets:
  - {resourceId: service/default/seeded, minCapacity: 1, maxCapacity: 3}
"#;

#[tokio::test]
async fn scalable_targets_merge_a_partial_suspended_state() {
    let sim = start(WORLD).await;
    let ecs = sim.ecs();
    common::register(&ecs, "web", "web:1").await;
    ecs.create_service()
        .network_configuration(crate::common::network())
        .service_name("web")
        .task_definition("web")
        .send()
        .await
        .unwrap();
    let aas = aws_sdk_applicationautoscaling::Client::new(&sim.config);
    let err = aas
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id("service/default/nope")
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(1)
        .max_capacity(2)
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().unwrap().is_validation_exception());
    let arn = aas
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id("service/default/web")
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(2)
        .max_capacity(10)
        .send()
        .await
        .unwrap();
    assert!(
        arn.scalable_target_arn()
            .unwrap()
            .contains(":scalable-target/")
    );
    aas.register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id("service/default/web")
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .suspended_state(
            SuspendedState::builder()
                .dynamic_scaling_in_suspended(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    aas.register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id("service/default/web")
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .suspended_state(
            SuspendedState::builder()
                .scheduled_scaling_suspended(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let out = aas
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids("service/default/web")
        .send()
        .await
        .unwrap();
    let t = &out.scalable_targets()[0];
    assert_eq!((t.min_capacity, t.max_capacity), (2, 10));
    let s = t.suspended_state().unwrap();
    assert_eq!(s.dynamic_scaling_in_suspended, Some(true));
    assert_eq!(s.dynamic_scaling_out_suspended, Some(false));
    assert_eq!(s.scheduled_scaling_suspended, Some(true));

    let all = aas
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .send()
        .await
        .unwrap();
    assert_eq!(
        all.scalable_targets().len(),
        2,
        "the seeded target and the registered one"
    );

    let policy = aas
        .put_scaling_policy()
        .policy_name("cpu")
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id("service/default/web")
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(
            TargetTrackingScalingPolicyConfiguration::builder()
                .target_value(60.0)
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(policy.alarms().len(), 2);
    let policies = aas
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id("service/default/web")
        .send()
        .await
        .unwrap();
    let p = &policies.scaling_policies()[0];
    assert_eq!(p.policy_name(), "cpu");
    assert_eq!(
        p.target_tracking_scaling_policy_configuration()
            .unwrap()
            .target_value(),
        60.0
    );

    aas.deregister_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id("service/default/web")
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .send()
        .await
        .unwrap();
    let err = aas
        .deregister_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id("service/default/web")
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_object_not_found_exception()
    );
}

#[tokio::test]
async fn ssm_parameters_are_served() {
    let sim = start(WORLD).await;
    let ssm = aws_sdk_ssm::Client::new(&sim.config);
    let p = ssm
        .get_parameter()
        .name("/app/db/host")
        .send()
        .await
        .unwrap();
    assert_eq!(p.parameter().unwrap().value(), Some("db.internal"));
    let secret = ssm
        .get_parameter()
        .name("/app/db/password")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(secret.parameter().unwrap().value(), Some("s3cret"));
    let err = ssm.get_parameter().name("/nope").send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_parameter_not_found());
    let many = ssm
        .get_parameters()
        .names("/app/db/host")
        .names("/nope")
        .send()
        .await
        .unwrap();
    assert_eq!(many.parameters().len(), 1);
    assert_eq!(many.invalid_parameters(), ["/nope".to_owned()]);
}

#[tokio::test]
async fn secrets_are_served() {
    let sim = start(WORLD).await;
    let sm = aws_sdk_secretsmanager::Client::new(&sim.config);
    let d = sm
        .describe_secret()
        .secret_id("app/db")
        .send()
        .await
        .unwrap();
    let arn = d.arn().unwrap().to_owned();
    assert!(arn.contains(":secret:app/db-"), "{arn}");
    let v = sm.get_secret_value().secret_id(&arn).send().await.unwrap();
    assert_eq!(v.secret_string(), Some(r#"{"password":"s3cret"}"#));
    assert_eq!(v.name(), Some("app/db"));
    let err = sm
        .get_secret_value()
        .secret_id("missing")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_resource_not_found_exception()
    );
}

#[tokio::test]
async fn s3_get_object_serves_terraform_state() {
    let sim = start(WORLD).await;
    let conf = aws_sdk_s3::config::Builder::from(&sim.config)
        .force_path_style(true)
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(conf);
    let obj = s3
        .get_object()
        .bucket("tfstate")
        .key("env/prod/terraform.tfstate")
        .send()
        .await
        .unwrap();
    let body = obj.body.collect().await.unwrap().into_bytes();
    assert_eq!(&body[..], br#"{"version":4}"#);
    let err = s3
        .get_object()
        .bucket("tfstate")
        .key("missing")
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().unwrap().is_no_such_key());
    let log = sim.handle.requests();
    assert_eq!(log[0].service, "s3");
    assert_eq!(log[0].operation, "GetObject");
    assert!(!log[0].mutating);
}

// API_RegisterScalableTarget: registering "changes the resource's current capacity to a value
// that is inside of this range"; MinCapacity above MaxCapacity is a ValidationException and
// nothing is stored.
#[tokio::test]
async fn registering_a_target_moves_the_desired_count_into_its_range() {
    let sim = start(WORLD).await;
    let ecs = sim.ecs();
    common::register(&ecs, "web", "web:1").await;
    ecs.create_service()
        .service_name("web")
        .task_definition("web")
        .desired_count(1)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .network_configuration(common::network())
        .send()
        .await
        .unwrap();
    let aas = aws_sdk_applicationautoscaling::Client::new(&sim.config);
    let register = |min: i32, max: i32| {
        aas.register_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id("service/default/web")
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .min_capacity(min)
            .max_capacity(max)
            .send()
    };
    let desired = || async {
        common::describe(&sim.ecs(), "default", "web")
            .await
            .desired_count
    };
    register(3, 6).await.unwrap();
    assert_eq!(desired().await, 3, "raised to the minimum");
    register(1, 2).await.unwrap();
    assert_eq!(desired().await, 2, "lowered to the maximum");

    let err = register(5, 4).await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_validation_exception());
    let out = aas
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids("service/default/web")
        .send()
        .await
        .unwrap();
    let t = &out.scalable_targets()[0];
    assert_eq!(
        (t.min_capacity, t.max_capacity),
        (1, 2),
        "the rejected range is not stored"
    );
    assert_eq!(desired().await, 2);
}
