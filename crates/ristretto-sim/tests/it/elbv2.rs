//! ELBv2 through the real SDK (awsQuery: form-encoded requests, XML answers): the world file's
//! target groups, their attributes, and the health of the targets that follow a service's
//! tasks.

use aws_sdk_ecs::types::LoadBalancer;
use aws_sdk_elasticloadbalancingv2::types::{TargetDescription, TargetHealthStateEnum};

use crate::common::{Sim, describe, messages, network, poll, register, start};

const ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef";

/// `web` with an explicit ARN and fast checks (every 10 s; healthy after 2, unhealthy after
/// 2; drains 20 s), `api` with AWS's defaults; images tagged `bad…` fail their target checks.
const WORLD: &str = "clusters: [default]\ntaskStartDelaySeconds: 10\ntaskStopDelaySeconds: 2\ntaskStartJitter: 0\ntargetGroups:\n  - name: web\n    arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef\n    targetType: ip\n    healthCheck: {intervalSeconds: 10, healthyThresholdCount: 2, unhealthyThresholdCount: 2, path: /health}\n    deregistrationDelaySeconds: 20\n  - {name: api}\ncontainers:\n  - {image: \"*:bad*\", targetHealthy: false, targetResponseCode: 503}\n";

fn elbv2(sim: &Sim) -> aws_sdk_elasticloadbalancingv2::Client {
    aws_sdk_elasticloadbalancingv2::Client::new(&sim.config)
}

// ELBv2 API reference, DescribeTargetGroups and CreateTargetGroup (defaults: protocol HTTP
// checks on the traffic port every 30 s, timeout 6 s, healthy after 5, unhealthy after 2, path
// `/`, matcher 200, target type `instance`); the error of an unknown group is
// TargetGroupNotFound.
#[tokio::test]
async fn target_groups_are_described_with_aws_defaults_and_unknown_ones_are_not_found() {
    let sim = start(WORLD).await;
    let elb = elbv2(&sim);
    let all = elb.describe_target_groups().send().await.unwrap();
    assert_eq!(all.target_groups().len(), 2);

    let web = elb
        .describe_target_groups()
        .target_group_arns(ARN)
        .send()
        .await
        .unwrap();
    let web = &web.target_groups()[0];
    assert_eq!(web.target_group_name(), Some("web"));
    assert_eq!(web.target_type().map(|t| t.as_str()), Some("ip"));
    assert_eq!(web.health_check_interval_seconds(), Some(10));
    assert_eq!(web.health_check_path(), Some("/health"));

    let api = elb
        .describe_target_groups()
        .names("api")
        .send()
        .await
        .unwrap();
    let api = &api.target_groups()[0];
    let arn = api.target_group_arn().unwrap();
    assert!(
        arn.starts_with("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/"),
        "{arn}"
    );
    assert_eq!(api.protocol().map(|p| p.as_str()), Some("HTTP"));
    assert_eq!(api.port(), Some(80));
    assert_eq!(api.target_type().map(|t| t.as_str()), Some("instance"));
    assert_eq!(
        api.health_check_protocol().map(|p| p.as_str()),
        Some("HTTP")
    );
    assert_eq!(api.health_check_port(), Some("traffic-port"));
    assert_eq!(api.health_check_interval_seconds(), Some(30));
    assert_eq!(api.health_check_timeout_seconds(), Some(6));
    assert_eq!(api.healthy_threshold_count(), Some(5));
    assert_eq!(api.unhealthy_threshold_count(), Some(2));
    assert_eq!(api.health_check_path(), Some("/"));
    assert_eq!(api.matcher().and_then(|m| m.http_code()), Some("200"));

    let err = elb
        .describe_target_groups()
        .names("nope")
        .send()
        .await
        .expect_err("unknown group");
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().code()),
        Some("TargetGroupNotFound")
    );
    assert!(
        err.as_service_error()
            .unwrap()
            .is_target_group_not_found_exception()
    );

    let err = elb
        .describe_target_health()
        .target_group_arn(ARN.replace("/web/", "/other/"))
        .send()
        .await
        .expect_err("unknown group");
    assert!(
        err.as_service_error()
            .unwrap()
            .is_target_group_not_found_exception()
    );
}

// ELBv2 API reference, TargetGroupAttribute: `deregistration_delay.timeout_seconds`, 300 by
// default.
#[tokio::test]
async fn target_group_attributes_carry_the_deregistration_delay() {
    let sim = start(WORLD).await;
    let elb = elbv2(&sim);
    let delay = |out: &aws_sdk_elasticloadbalancingv2::operation::describe_target_group_attributes::DescribeTargetGroupAttributesOutput| {
        out.attributes()
            .iter()
            .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
            .and_then(|a| a.value().map(str::to_owned))
    };
    let web = elb
        .describe_target_group_attributes()
        .target_group_arn(ARN)
        .send()
        .await
        .unwrap();
    assert_eq!(delay(&web).as_deref(), Some("20"));
    let api_arn = elb
        .describe_target_groups()
        .names("api")
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_owned();
    let api = elb
        .describe_target_group_attributes()
        .target_group_arn(api_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(delay(&api).as_deref(), Some("300"));
}

async fn create_service(sim: &Sim, task_definition: &str) {
    sim.ecs()
        .create_service()
        .service_name("web")
        .task_definition(task_definition)
        .desired_count(1)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .network_configuration(network())
        .load_balancers(
            LoadBalancer::builder()
                .target_group_arn(ARN)
                .container_name("app")
                .container_port(8080)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

async fn health(sim: &Sim) -> Vec<(String, i32, String, Option<String>, Option<String>)> {
    let out = elbv2(sim)
        .describe_target_health()
        .target_group_arn(ARN)
        .send()
        .await
        .unwrap();
    out.target_health_descriptions()
        .iter()
        .map(|d| {
            let t = d.target().unwrap();
            let h = d.target_health().unwrap();
            (
                t.id().unwrap_or_default().to_owned(),
                t.port().unwrap_or_default(),
                h.state().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                h.reason().map(|r| r.as_str().to_owned()),
                h.description().map(str::to_owned),
            )
        })
        .collect()
}

// ELBv2 API reference, DescribeTargetHealth / TargetHealth: a service task's target is
// `initial` (`Elb.RegistrationInProgress`) once RUNNING, then (`Elb.InitialHealthChecking`)
// once registered (one interval: our choice), `healthy` after the healthy threshold,
// `draining` (`Target.DeregistrationInProgress`) for the deregistration delay when the task is
// replaced, then gone; a target asked for that is not registered is `unused`
// (`Target.NotRegistered`).
#[tokio::test]
async fn targets_follow_the_tasks_of_a_service_through_a_rolling_deployment() {
    let sim = start(WORLD).await;
    let ecs = sim.ecs();
    let v1 = register(&ecs, "web", "web:1").await;
    let v2 = register(&ecs, "web", "web:2").await;
    create_service(&sim, &v1).await;
    assert!(
        health(&sim).await.is_empty(),
        "nothing registered while PENDING"
    );
    sim.handle.advance(10.0);
    let first = health(&sim).await;
    assert_eq!(first.len(), 1);
    let (id, port, state, reason, _) = &first[0];
    assert!(id.starts_with("10.0."), "an IP target: {id}");
    assert_eq!((*port, state.as_str()), (8080, "initial"));
    assert_eq!(reason.as_deref(), Some("Elb.RegistrationInProgress"));
    sim.handle.advance(10.0);
    let checking = health(&sim).await;
    assert_eq!(
        (checking[0].2.as_str(), checking[0].3.as_deref()),
        ("initial", Some("Elb.InitialHealthChecking"))
    );
    sim.handle.advance(10.0);
    assert_eq!(health(&sim).await[0].2, "healthy");

    ecs.update_service()
        .service("web")
        .task_definition(&v2)
        .send()
        .await
        .unwrap();
    let old_id = id.clone();
    let draining = poll(&sim, || async {
        let h = health(&sim).await;
        h.iter()
            .find(|t| t.0 == old_id && t.2 == "draining")
            .cloned()
    })
    .await;
    assert_eq!(
        draining.3.as_deref(),
        Some("Target.DeregistrationInProgress")
    );
    let s = describe(&ecs, "default", "web").await;
    let m = messages(&s);
    assert!(
        m.contains(&format!(
            "(service web) registered 1 targets in (target-group {ARN})"
        )),
        "{m:?}"
    );
    assert!(
        m.contains(&"(service web) has begun draining connections on 1 tasks.".to_owned()),
        "{m:?}"
    );
    assert!(
        m.contains(&format!(
            "(service web) deregistered 1 targets in (target-group {ARN})"
        )),
        "{m:?}"
    );
    sim.handle.advance(22.0); // 20 s of draining + the 2 s stop
    let after = health(&sim).await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].2, "healthy");

    let gone = elbv2(&sim)
        .describe_target_health()
        .target_group_arn(ARN)
        .targets(TargetDescription::builder().id(old_id).port(8080).build())
        .send()
        .await
        .unwrap();
    let h = gone.target_health_descriptions()[0]
        .target_health()
        .unwrap();
    assert_eq!(h.state(), Some(&TargetHealthStateEnum::Unused));
    assert_eq!(h.reason().map(|r| r.as_str()), Some("Target.NotRegistered"));
}

// ELBv2 API reference, TargetHealth (`unhealthy`, `Target.ResponseCodeMismatch`); ECS developer
// guide, "service unhealthy event messages"; the task is stopped with AWS's stopped reason.
#[tokio::test]
async fn an_unhealthy_target_is_described_and_its_task_stopped_with_aws_reason() {
    let sim = start(WORLD).await;
    let ecs = sim.ecs();
    let bad = register(&ecs, "web", "web:bad").await;
    create_service(&sim, &bad).await;
    sim.handle.advance(30.0); // RUNNING at 10, unhealthy after 2 × 10 s
    let s = describe(&ecs, "default", "web").await;
    let m = messages(&s);
    assert!(
        m.iter().any(|e| e.ends_with(&format!(
            "(port 8080) is unhealthy in (target-group {ARN}) due to (reason Health checks failed with these codes: [503])"
        ))),
        "{m:?}"
    );
    let h = health(&sim).await;
    let sick = h
        .iter()
        .find(|t| t.2 == "draining" || t.2 == "unhealthy")
        .expect("{h:?}");
    let stopped = ecs
        .list_tasks()
        .cluster("default")
        .service_name("web")
        .desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped)
        .send()
        .await
        .unwrap();
    let tasks = ecs
        .describe_tasks()
        .cluster("default")
        .set_tasks(Some(stopped.task_arns().to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tasks.tasks()[0].stopped_reason(),
        Some(format!("Task failed ELB health checks in (target-group {ARN})").as_str()),
        "{sick:?}"
    );
}
