//! The deployments the benchmark measures: each a world file and the service and task
//! definitions of a 2-task FARGATE service `web`, on a simulator running at real speed so that
//! the service's clock is the wall clock, as on AWS.

/// How a shape's deployment is driven, and so where its end is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// ECS rolling update: `aws ecs update-service` + `wait services-stable`.
    Rolling,
    /// Native ECS BLUE_GREEN: the same AWS CLI commands.
    BlueGreen,
    /// CODE_DEPLOY controller: `aws deploy create-deployment` + `wait deployment-successful`.
    CodeDeploy,
}

pub struct Shape {
    pub name: &'static str,
    /// One line for the header: what happens and how long it takes.
    pub about: &'static str,
    pub kind: Kind,
    pub world: String,
    pub task_definition: String,
    pub service_definition: String,
}

/// The names, in the order they are printed.
pub const NAMES: [&str; 7] = [
    "short",
    "jittered",
    "typical",
    "lb",
    "long",
    "bluegreen",
    "codedeploy",
];

/// The load balancer's target group the load-balanced shapes register their tasks in.
const GROUP: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef";

/// The container `app`; `{{ must_env `TAG` }}` makes each deployment a new image. `extra` is
/// added to the container definition (a `healthCheck`).
fn task_definition(extra: &str) -> String {
    format!(
        r#"{{"family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
  "cpu": "256", "memory": "512",
  "containerDefinitions": [{{"name": "app", "essential": true,
    "image": "public.ecr.aws/nginx/nginx:{{{{ must_env `TAG` }}}}",
    "portMappings": [{{"containerPort": 80, "protocol": "tcp"}}]{extra}}}]}}"#
    )
}

/// Two tasks; `deployment` is the `deploymentConfiguration`, `extra` more members.
fn service_definition(deployment: &str, extra: &str) -> String {
    format!(
        r#"{{"launchType": "FARGATE", "desiredCount": 2,
  "deploymentConfiguration": {deployment},
  "networkConfiguration": {{"awsvpcConfiguration": {{"subnets": ["subnet-1"]}}}}{extra}}}"#
    )
}

const ROLLING: &str = r#"{"minimumHealthyPercent": 50, "maximumPercent": 200}"#;

/// The service behind [`GROUP`].
fn behind_group() -> String {
    format!(
        r#", "loadBalancers": [{{"targetGroupArn": "{GROUP}", "containerName": "app", "containerPort": 80}}]"#
    )
}

/// A world with the target group `web` (`settings`: its health check and deregistration delay;
/// empty: AWS's defaults).
fn group_world(start: u32, settings: &str) -> String {
    let sep = if settings.is_empty() { "" } else { ", " };
    format!(
        "clusters: [default]\ntaskStartDelaySeconds: {start}\ntaskStopDelaySeconds: 2\ntaskStartJitter: 0\ntargetGroups:\n  - {{name: web, arn: \"{GROUP}\", targetType: ip{sep}{settings}}}\n"
    )
}

/// The shape called `name`.
pub fn shape(name: &str) -> Option<Shape> {
    let rolling = || service_definition(ROLLING, "");
    let shape = match name {
        // New tasks are RUNNING (and healthy: no checks) 28 s after UpdateService, then the old
        // ones take 2 s to stop: about 30 s, the same every time.
        "short" => Shape {
            name: "short",
            about: "tasks start in 28 s, stop in 2 s, no jitter: ~30 s",
            kind: Kind::Rolling,
            world: "clusters: [default]\ntaskStartDelaySeconds: 28\ntaskStopDelaySeconds: 2\ntaskStartJitter: 0\n".to_owned(),
            task_definition: task_definition(""),
            service_definition: rolling(),
        },
        // Issue 17's "Why": each task starts 20 to 26 s after it is placed, the old ones stop
        // in 4 s: ~28 s, different every run.
        "jittered" => Shape {
            name: "jittered",
            about: "tasks start in 20 s + up to 30 % jitter, stop in 4 s: ~28 s",
            kind: Kind::Rolling,
            world: "clusters: [default]\ntaskStartDelaySeconds: 20\ntaskStopDelaySeconds: 4\ntaskStartJitter: 0.3\n".to_owned(),
            task_definition: task_definition(""),
            service_definition: rolling(),
        },
        // RUNNING after 30 s, healthy in the target group after 2 checks 10 s apart (50 s),
        // then the old tasks drain for 60 s and stop in 2 s: ~112 s.
        "typical" => Shape {
            name: "typical",
            about: "tasks start in 30 s, target group checks every 10 s (2 to healthy), 60 s drain: ~2 min",
            kind: Kind::Rolling,
            world: group_world(
                30,
                "healthCheck: {intervalSeconds: 10, healthyThresholdCount: 2}, deregistrationDelaySeconds: 60",
            ),
            task_definition: task_definition(""),
            service_definition: service_definition(ROLLING, &behind_group()),
        },
        // RUNNING after 10 s; the container's own health check passes 10 s later and the
        // target's third check 5 s apart at 25 s; the old tasks drain for 15 s: ~42 s.
        "lb" => Shape {
            name: "lb",
            about: "tasks start in 10 s, container check every 10 s, target group every 5 s (3 to healthy), 15 s drain: ~42 s",
            kind: Kind::Rolling,
            world: group_world(
                10,
                "healthCheck: {intervalSeconds: 5, healthyThresholdCount: 3}, deregistrationDelaySeconds: 15",
            ),
            task_definition: task_definition(
                r#", "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "interval": 10, "timeout": 5, "retries": 3}"#,
            ),
            service_definition: service_definition(ROLLING, &behind_group()),
        },
        // AWS's target group defaults (ELBv2 API reference, CreateTargetGroup and
        // TargetGroupAttribute): checks every 30 s, 5 to healthy, 300 s deregistration delay.
        // RUNNING after 60 s, healthy at 210 s, drained at 510 s: ~8.5 min.
        "long" => Shape {
            name: "long",
            about: "tasks start in 60 s, AWS's target group defaults (30 s × 5 checks, 300 s drain): ~8.5 min",
            kind: Kind::Rolling,
            world: group_world(60, ""),
            task_definition: task_definition(""),
            service_definition: service_definition(ROLLING, &behind_group()),
        },
        // Native BLUE_GREEN (ECS developer guide, "deployment-type-blue-green"): green at full
        // size after 20 s, all traffic at once, 1 min bake, blue stopped in 2 s: ~82 s. The
        // simulator walks the lifecycle stages without a load balancer (scheduler/native.rs);
        // AWS would want one with `advancedConfiguration` to shift traffic.
        "bluegreen" => Shape {
            name: "bluegreen",
            about: "native BLUE_GREEN: green starts in 20 s, 1 min bake, blue stops in 2 s: ~82 s",
            kind: Kind::BlueGreen,
            world: "clusters: [default]\ntaskStartDelaySeconds: 20\ntaskStopDelaySeconds: 2\ntaskStartJitter: 0\n".to_owned(),
            task_definition: task_definition(""),
            service_definition: service_definition(
                r#"{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1, "minimumHealthyPercent": 100, "maximumPercent": 200}"#,
                "",
            ),
        },
        // CodeDeploy blue/green (examples/codedeploy without its hook): the green task set
        // starts in 20 s and is healthy in its target group after 2 checks 10 s apart, traffic
        // moves at once (ECSAllAtOnce), then blue is kept for the 1 min termination wait.
        "codedeploy" => Shape {
            name: "codedeploy",
            about: "CODE_DEPLOY: green starts in 20 s, 2 × 10 s target checks, all at once, 1 min termination wait: ~1.7 min",
            kind: Kind::CodeDeploy,
            world: CODEDEPLOY_WORLD.to_owned(),
            task_definition: task_definition(""),
            service_definition: r#"{"launchType": "FARGATE", "desiredCount": 2,
  "deploymentController": {"type": "CODE_DEPLOY"},
  "loadBalancers": [{"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef", "containerName": "app", "containerPort": 80}],
  "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}}"#
                .to_owned(),
        },
        _ => return None,
    };
    Some(shape)
}

/// The CodeDeploy application `web` and deployment group `web-blue-green` of the service.
pub const CODEDEPLOY_APPLICATION: &str = "web";
pub const CODEDEPLOY_GROUP: &str = "web-blue-green";

const CODEDEPLOY_WORLD: &str = r#"clusters: [default]
taskStartDelaySeconds: 20
taskStopDelaySeconds: 2
taskStartJitter: 0
targetGroups:
  - {name: web-blue, arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef", targetType: ip, healthCheck: {intervalSeconds: 10, healthyThresholdCount: 2}, deregistrationDelaySeconds: 10}
  - {name: web-green, arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210", targetType: ip, healthCheck: {intervalSeconds: 10, healthyThresholdCount: 2}, deregistrationDelaySeconds: 10}
codeDeploy:
  applications:
    - {applicationName: web, computePlatform: ECS}
  deploymentGroups:
    - applicationName: web
      deploymentGroupName: web-blue-green
      deploymentConfigName: CodeDeployDefault.ECSAllAtOnce
      serviceRoleArn: arn:aws:iam::123456789012:role/codedeploy
      deploymentStyle: {deploymentType: BLUE_GREEN, deploymentOption: WITH_TRAFFIC_CONTROL}
      blueGreenDeploymentConfiguration:
        terminateBlueInstancesOnDeploymentSuccess: {action: TERMINATE, terminationWaitTimeInMinutes: 1}
        deploymentReadyOption: {actionOnTimeout: CONTINUE_DEPLOYMENT}
      ecsServices: [{clusterName: default, serviceName: web}]
      loadBalancerInfo:
        targetGroupPairInfoList:
          - targetGroups: [{name: web-blue}, {name: web-green}]
            prodTrafficRoute: {listenerArns: ["arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/0123456789abcdef/0123456789abcdef"]}
"#;
