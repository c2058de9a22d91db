//! The world file: what exists before the first request, and the rules that make the world
//! misbehave on purpose (failing images, throttling, injected faults).
//!
//! The world file only seeds a fresh simulator. When a state file exists the world comes from
//! it; the *rules* (failures, throttling, faults, delays) are always taken from the world file,
//! so they can be changed between runs.
//!
//! # Format (YAML; every key optional)
//! ```yaml
//! region: us-east-1              # region used in ARNs when a request's signature names none
//! accountId: "123456789012"
//! clusters: [default, prod]      # or [{name: prod, tags: {team: web}}]
//!   # EC2 capacity: with `containerInstances` (even `[]`) EC2 tasks of the cluster are placed
//!   # only where their cpu and memory fit beside every other task of the cluster; without it
//!   # (and without RegisterContainerInstance) EC2 capacity is unlimited. The instances are
//!   # registered container instances (ListContainerInstances, DescribeContainerInstances).
//!   # - {name: ec2, containerInstances: [{cpu: 2048, memory: 4096, count: 2}],
//!   #    defaultCapacityProviderStrategy: [{capacityProvider: FARGATE, weight: 1}]}
//!   # `capacityProviders` associates providers (default: those of the default strategy):
//!   # - {name: spot, capacityProviders: [FARGATE, FARGATE_SPOT]}
//! taskStartDelaySeconds: 10      # world seconds from PENDING to RUNNING (health grace included)
//! taskStopDelaySeconds: 2        # world seconds from a stop request to STOPPED
//! taskStartJitter: 0.5           # each task's start delay is longer by up to this fraction
//! parameters:                    # SSM Parameter Store
//!   - {name: /app/db/host, value: db.internal}              # type String
//!   - {name: /app/db/password, value: s3cret, type: SecureString}
//! secrets:                       # Secrets Manager
//!   - {name: app/db, value: '{"password":"s3cret"}'}
//! s3:                            # objects served by S3 GetObject (path style)
//!   - {bucket: tfstate, key: prod/terraform.tfstate, file: prod.tfstate}  # file: relative to the world file
//!   - {bucket: tfstate, key: dev/terraform.tfstate, body: '{"version":4}'}
//! roles:                         # IAM roles (GetRole; STS AssumeRole)
//!   - name: ecsTaskExecutionRole
//!     trustedServices: [ecs-tasks.amazonaws.com]   # the default
//!     # assumeRolePolicyDocument: '{"Statement": [...]}'  # instead: the whole trust policy
//! images:                        # container images: ECR (BatchGetImage) and other registries
//!   - image: nginx:1.27          #   (Docker Registry HTTP API v2 under /v2/<registry>/<name>)
//!     platforms: [linux/amd64, linux/arm64]   # default [linux/amd64]; several: an image index
//!   - image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1
//! logGroups: [/ecs/web]          # CloudWatch Logs log groups
//! scalableTargets:               # Application Auto Scaling (ECS services)
//!   - {resourceId: service/default/web, minCapacity: 1, maxCapacity: 4}
//! codeDeploy:                    # inputs of CreateApplication / CreateDeploymentGroup (camelCase)
//!   applications: [{applicationName: web, computePlatform: ECS}]
//!   deploymentGroups: [{applicationName: web, deploymentGroupName: web, ecsServices: [...]}]
//!   installTimeoutMinutes: 60    # how long Install waits for a steady replacement task set; default 60
//! targetGroups:                  # ELBv2 target groups (DescribeTargetGroups, target health)
//!   - name: web                  # the only required key; AWS's defaults for the rest
//!     arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
//!     port: 80                   # default 80
//!     protocol: HTTP             # default HTTP
//!     targetType: ip             # ip or instance; default instance
//!     healthCheck: {intervalSeconds: 30, timeoutSeconds: 5, healthyThresholdCount: 5,
//!                   unhealthyThresholdCount: 2, path: /, matcher: "200"}
//!     deregistrationDelaySeconds: 300
//!   # A group a service names that is not listed here is not modelled: its tasks count as
//!   # soon as they are otherwise healthy, and ELBv2 answers TargetGroupNotFound for it.
//! failures:                      # tasks whose container image matches exit
//!   - image: "*:broken*"         # glob (`*`, `?`) on any container image of the task
//!     family: "web*"             # optional glob on the task definition family
//!     exitCode: 1                # default 1; 0 makes a one-off task succeed
//!     stoppedReason: "Essential container in task exited"
//!     containerReason: "CannotPullContainerError: ..."   # optional container `reason`
//!     afterSeconds: 30           # optional: run this long before exiting; default: never RUNNING
//!     logs: ["error: relation \"users\" does not exist"]   # written to its awslogs stream as it exits
//! containers:                    # what containers do once RUNNING (health, crashes, sidecars)
//!   - image: "*:sick*"           # glob on the container's image
//!     name: "app"                # optional glob on the container's name
//!     family: "web*"             # optional glob on the task definition family
//!     healthy: false             # its `healthCheck` fails: UNHEALTHY after startPeriod + retries × interval
//!     crashAfterSeconds: 5       # it exits this long after RUNNING (essential: the task stops)
//!     exitCode: 1                # exit code of that crash; default 1
//!     targetHealthy: false       # its load-balancer health checks fail (target `unhealthy`)
//!     targetReason: Target.ResponseCodeMismatch   # the default; or Target.Timeout, Target.FailedHealthChecks
//!     targetResponseCode: 502    # the code the failed checks saw (ResponseCodeMismatch); default 502
//!     logs:                      # lines written to its awslogs stream (see `crate::logs`)
//!       - {after: 0, message: "listening on :8080"}        # world seconds after RUNNING
//!       - {after: 5, message: "GET /health 200", every: 10} # then every 10 s while it runs
//! hookFailures:                  # AppSpec lifecycle hooks (Lambda functions) that fail
//!   - function: "*smoke-test*"   # glob on the hook's function, as the AppSpec names it (name or ARN)
//!     event: AfterAllowTestTraffic   # optional glob on the lifecycle event
//!     timedOut: false            # true: the hook never reports and times out instead of reporting Failed
//!     afterSeconds: 5            # world seconds until it fails; default 5, or 3600 when timedOut
//! ecsHookFailures:               # native ECS lifecycle hooks (AWS_LAMBDA targets) that fail
//!   - function: "*:function:smoke*"   # glob on the hook's `hookTargetArn`
//!     stage: POST_SCALE_UP       # optional glob on the lifecycle hook stage
//!     timedOut: false            # true: the function never answers; the hook is TIMED_OUT at its timeout
//!     afterSeconds: 5            # world seconds until it reports FAILED; default 5
//! throttling:                    # token buckets in *real* time, like AWS's API quotas
//!   - {action: "ecs:DescribeServices", burst: 20, refillPerSecond: 1}   # action: glob, service prefix optional
//! throttlingPreset: aws          # also AWS's ECS quota table: one bucket per action category
//! faults:                        # injected errors and latency
//!   - {action: "ecs:UpdateService", status: 503, times: 1}  # first N matching calls fail
//!   - {action: "ssm:*", latencyMs: 200}
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::SimError;

/// The initial world and the rules of the simulator. See the module documentation for the
/// YAML format.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct World {
    pub region: Option<String>,
    pub account_id: Option<String>,
    #[serde(default)]
    pub clusters: Vec<ClusterSeed>,
    pub task_start_delay_seconds: Option<f64>,
    pub task_stop_delay_seconds: Option<f64>,
    pub task_start_jitter: Option<f64>,
    #[serde(default)]
    pub parameters: Vec<ParameterSeed>,
    #[serde(default)]
    pub secrets: Vec<SecretSeed>,
    #[serde(default)]
    pub s3: Vec<S3ObjectSeed>,
    #[serde(default)]
    pub roles: Vec<RoleSeed>,
    #[serde(default)]
    pub images: Vec<ImageSeed>,
    #[serde(default)]
    pub log_groups: Vec<String>,
    #[serde(default)]
    pub scalable_targets: Vec<ScalableTargetSeed>,
    #[serde(default)]
    pub code_deploy: CodeDeploySeed,
    #[serde(default)]
    pub target_groups: Vec<TargetGroupSeed>,
    #[serde(default)]
    pub failures: Vec<FailureRule>,
    #[serde(default)]
    pub containers: Vec<ContainerRule>,
    #[serde(default)]
    pub hook_failures: Vec<HookFailureRule>,
    #[serde(default)]
    pub ecs_hook_failures: Vec<EcsHookFailureRule>,
    #[serde(default)]
    pub throttling: Vec<ThrottleRule>,
    /// AWS's published quotas on top of `throttling` (`aws`: the ECS API's token buckets).
    #[serde(default)]
    pub throttling_preset: Option<ThrottlingPreset>,
    #[serde(default)]
    pub faults: Vec<FaultRule>,
}

/// A named set of quotas the simulator enforces as AWS does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThrottlingPreset {
    /// The ECS API's token buckets per action category (`crate::quotas::ECS`).
    #[serde(rename = "aws")]
    Aws,
}

/// A cluster to create: a bare name or a name with tags, EC2 capacity and a default capacity
/// provider strategy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClusterSeed {
    Name(String),
    #[serde(rename_all = "camelCase")]
    Full {
        name: String,
        #[serde(default)]
        tags: BTreeMap<String, String>,
        /// The container instances registered to the cluster (EC2 capacity). When present (even
        /// `[]`), EC2 tasks are placed only where they fit; when absent, EC2 capacity is
        /// unlimited (the simulator's behaviour before placement existed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        container_instances: Option<Vec<ContainerInstanceSeed>>,
        /// The cluster's default capacity provider strategy (used by RunTask and CreateService
        /// given neither a launch type nor a strategy).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        default_capacity_provider_strategy: Vec<CapacityProviderSeed>,
        /// The capacity providers associated with the cluster (PutClusterCapacityProviders);
        /// when absent, those its default strategy names.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        capacity_providers: Option<Vec<String>>,
    },
}

impl ClusterSeed {
    pub fn name(&self) -> &str {
        match self {
            ClusterSeed::Name(n) | ClusterSeed::Full { name: n, .. } => n,
        }
    }

    /// The declared container instances, one entry per instance (`count` expanded); `None`
    /// when the world file does not describe this cluster's EC2 capacity.
    pub fn container_instances(&self) -> Option<Vec<InstanceCapacity>> {
        match self {
            ClusterSeed::Full {
                container_instances: Some(list),
                ..
            } => Some(
                list.iter()
                    .flat_map(|i| {
                        (0..i.count).map(|_| InstanceCapacity {
                            cpu: i.cpu,
                            memory: i.memory,
                        })
                    })
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The capacity providers associated with the cluster: those the world file lists, else
    /// those its default strategy names.
    pub fn capacity_providers(&self) -> Vec<String> {
        match self {
            ClusterSeed::Full {
                capacity_providers: Some(list),
                ..
            } => list.clone(),
            _ => self
                .default_strategy()
                .into_iter()
                .map(|c| c.capacity_provider)
                .collect(),
        }
    }

    /// The default capacity provider strategy the world file gives the cluster.
    pub fn default_strategy(&self) -> Vec<CapacityProviderSeed> {
        match self {
            ClusterSeed::Full {
                default_capacity_provider_strategy: s,
                ..
            } => s.clone(),
            ClusterSeed::Name(_) => Vec::new(),
        }
    }
}

/// Container instances of one size: `count` instances registering `cpu` CPU units and `memory`
/// MiB (what DescribeContainerInstances calls `registeredResources`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContainerInstanceSeed {
    pub cpu: u32,
    pub memory: u32,
    #[serde(default = "default_instance_count")]
    pub count: u32,
}

fn default_instance_count() -> u32 {
    1
}

/// The registered resources of one container instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceCapacity {
    pub cpu: u32,
    pub memory: u32,
}

/// One item of a capacity provider strategy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CapacityProviderSeed {
    pub capacity_provider: String,
    #[serde(default)]
    pub weight: Option<u32>,
    #[serde(default)]
    pub base: Option<u32>,
}

/// An SSM parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ParameterSeed {
    pub name: String,
    pub value: String,
    #[serde(default = "default_parameter_type", rename = "type")]
    pub kind: String,
}

fn default_parameter_type() -> String {
    "String".to_owned()
}

/// A Secrets Manager secret (its current `SecretString`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretSeed {
    pub name: String,
    pub value: String,
    pub description: Option<String>,
}

/// An S3 object: inline `body`, or a `file` read relative to the world file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct S3ObjectSeed {
    pub bucket: String,
    pub key: String,
    pub body: Option<String>,
    pub file: Option<PathBuf>,
}

/// An IAM role: its name and path, and what it trusts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RoleSeed {
    pub name: String,
    pub path: Option<String>,
    /// Services its trust policy lets assume it; default `ecs-tasks.amazonaws.com`.
    #[serde(default)]
    pub trusted_services: Vec<String>,
    /// The whole trust policy (JSON), instead of `trustedServices`.
    pub assume_role_policy_document: Option<String>,
}

/// A container image that exists, as a task definition names it, and its platforms
/// (`os/architecture`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImageSeed {
    pub image: String,
    #[serde(default)]
    pub platforms: Vec<String>,
}

/// An Application Auto Scaling target on an ECS service's desired count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScalableTargetSeed {
    pub resource_id: String,
    pub min_capacity: i32,
    pub max_capacity: i32,
    #[serde(default)]
    pub dynamic_scaling_in_suspended: bool,
    #[serde(default)]
    pub dynamic_scaling_out_suspended: bool,
    #[serde(default)]
    pub scheduled_scaling_suspended: bool,
}

/// CodeDeploy applications and deployment groups, as the inputs of `CreateApplication` and
/// `CreateDeploymentGroup` (camelCase JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CodeDeploySeed {
    #[serde(default)]
    pub applications: Vec<serde_json::Value>,
    #[serde(default)]
    pub deployment_groups: Vec<serde_json::Value>,
    /// Minutes Install waits for the replacement task set to become steady before the deployment
    /// fails; `None`: [`crate::codedeploy::INSTALL_TIMEOUT_MINUTES`].
    #[serde(default)]
    pub install_timeout_minutes: Option<f64>,
}

/// Tasks whose container image matches `image` exit with `exit_code`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FailureRule {
    pub image: String,
    pub family: Option<String>,
    #[serde(default = "default_exit_code")]
    pub exit_code: i32,
    pub stopped_reason: Option<String>,
    pub container_reason: Option<String>,
    pub after_seconds: Option<f64>,
    /// Lines the failing container writes to its awslogs stream as it exits (its error),
    /// timestamped with the exit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<String>,
}

fn default_exit_code() -> i32 {
    1
}

/// What a RUNNING container matching `image` (and `name`, `family`) does on its own: its
/// container health check fails (`healthy: false`; only if its definition has a `healthCheck`),
/// or it exits `crash_after_seconds` after RUNNING with `exit_code`. A non-essential container
/// that exits leaves its task running (a sidecar); an essential one stops the task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContainerRule {
    pub image: String,
    pub name: Option<String>,
    pub family: Option<String>,
    /// `false`: every health check of the container fails. Default: they pass.
    pub healthy: Option<bool>,
    pub crash_after_seconds: Option<f64>,
    #[serde(default = "default_exit_code")]
    pub exit_code: i32,
    /// `false`: the load balancer's health checks of this container (the one a service's
    /// `loadBalancers` entry names) fail. Default: they pass.
    pub target_healthy: Option<bool>,
    /// The `TargetHealth` reason code of the failure (default `Target.ResponseCodeMismatch`).
    pub target_reason: Option<String>,
    /// The HTTP code the failed checks saw, for `Target.ResponseCodeMismatch` (default 502).
    pub target_response_code: Option<u16>,
    /// The lines it writes to its awslogs stream once RUNNING ([`crate::logs`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<LogLine>,
}

/// One line of a container's log script: written `after` world seconds after the task became
/// RUNNING and, with `every`, again every `every` seconds while the container runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LogLine {
    #[serde(default)]
    pub after: f64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<f64>,
}

/// An ELBv2 target group (the members of CreateTargetGroup that the simulator uses). What the
/// world omits takes AWS's default (ELBv2 API reference, CreateTargetGroup and
/// TargetGroupAttribute); see [`crate::elbv2::TargetGroup`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TargetGroupSeed {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheckSeed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deregistration_delay_seconds: Option<u32>,
}

/// A target group's health check settings (CreateTargetGroup's `HealthCheck*` members).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HealthCheckSeed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_threshold_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unhealthy_threshold_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<String>,
}

/// A CodeDeploy lifecycle hook whose Lambda function matches `function` (and whose lifecycle
/// event matches `event`, when given) fails: it reports `Failed` through
/// `PutLifecycleEventHookExecutionStatus`, or, with `timed_out`, never reports at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HookFailureRule {
    pub function: String,
    pub event: Option<String>,
    #[serde(default)]
    pub timed_out: bool,
    pub after_seconds: Option<f64>,
}

/// A native ECS lifecycle hook (`AWS_LAMBDA` target) whose `hookTargetArn` matches `function`
/// (at a hook stage matching `stage`, when given) fails: its function answers `FAILED` after
/// `after_seconds`, or, with `timed_out`, never answers, so the hook is `TIMED_OUT` once its
/// `timeoutConfiguration.timeoutInMinutes` has passed. Without a rule a Lambda hook succeeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EcsHookFailureRule {
    pub function: String,
    pub stage: Option<String>,
    #[serde(default)]
    pub timed_out: bool,
    pub after_seconds: Option<f64>,
}

/// A token bucket on the actions matching `action` (`DescribeServices`, `ecs:Describe*`, `*`).
/// Each matching rule has its own bucket; AWS's ECS quotas are of this form (for example
/// DescribeClusters: a bucket of 50 refilled at 20 per second).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ThrottleRule {
    pub action: String,
    pub burst: u32,
    pub refill_per_second: f64,
}

/// An injected failure or delay on the actions matching `action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FaultRule {
    pub action: String,
    /// HTTP status of the injected error (5xx: `InternalFailure`/`ServiceUnavailable`).
    pub status: Option<u16>,
    /// Error code to send instead of the default for `status`.
    pub code: Option<String>,
    /// Only the first `times` matching requests are affected (all when absent).
    pub times: Option<u32>,
    /// The first `skip` matching requests pass untouched; `times` counts from the next one.
    #[serde(default)]
    pub skip: u32,
    pub latency_ms: Option<u64>,
}

impl World {
    /// A world with one cluster, `default`.
    pub fn default_world() -> World {
        World {
            clusters: vec![ClusterSeed::Name("default".to_owned())],
            ..World::default()
        }
    }

    /// Reads a world file; relative S3 `file` paths are resolved against its folder and read now.
    pub fn from_yaml_file(path: &Path) -> Result<World, SimError> {
        let text = std::fs::read_to_string(path).map_err(|source| SimError::ReadWorld {
            path: path.to_owned(),
            source,
        })?;
        let mut world = Self::parse(&text).map_err(|message| SimError::ParseWorld {
            path: path.to_owned(),
            message,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for object in &mut world.s3 {
            if let Some(file) = object.file.take() {
                let full = base.join(&file);
                let body =
                    std::fs::read_to_string(&full).map_err(|source| SimError::ReadWorld {
                        path: full.clone(),
                        source,
                    })?;
                object.body = Some(body);
            }
        }
        world.validate()?;
        Ok(world)
    }

    /// Parses a world from YAML text (S3 `file` entries are resolved against the current folder).
    pub fn from_yaml_str(text: &str) -> Result<World, SimError> {
        let mut world = Self::parse(text).map_err(|message| SimError::ParseWorld {
            path: PathBuf::from("<string>"),
            message,
        })?;
        for object in &mut world.s3 {
            if let Some(file) = object.file.take() {
                let body = std::fs::read_to_string(&file)
                    .map_err(|source| SimError::ReadWorld { path: file, source })?;
                object.body = Some(body);
            }
        }
        world.validate()?;
        Ok(world)
    }

    fn parse(text: &str) -> Result<World, String> {
        if text.trim().is_empty() {
            return Ok(World::default());
        }
        yaml_serde::from_str(text).map_err(|e| e.to_string())
    }

    fn validate(&self) -> Result<(), SimError> {
        for rule in &self.throttling {
            if rule.burst == 0 && rule.refill_per_second <= 0.0 {
                tracing::debug!("throttle rule `{}` rejects every call", rule.action);
            }
        }
        for (i, group) in self.target_groups.iter().enumerate() {
            crate::elbv2::TargetGroup::check(group).map_err(|message| {
                SimError::InvalidWorld(format!("targetGroups[{i}] (`{}`): {message}", group.name))
            })?;
        }
        for (i, rule) in self.containers.iter().enumerate() {
            for (j, line) in rule.logs.iter().enumerate() {
                if line.every.is_some_and(|e| e.is_nan() || e <= 0.0)
                    || line.after.is_nan()
                    || line.after < 0.0
                {
                    return Err(SimError::InvalidWorld(format!(
                        "containers[{i}].logs[{j}] (`{}`): `after` must be 0 or more and `every` more than 0",
                        rule.image
                    )));
                }
            }
        }
        for fault in &self.faults {
            if let Some(status) = fault.status
                && !(400..=599).contains(&status)
            {
                return Err(SimError::InvalidWorld(format!(
                    "fault on `{}`: status {status} is not an error status",
                    fault.action
                )));
            }
        }
        Ok(())
    }

    pub(crate) fn region(&self) -> &str {
        self.region.as_deref().unwrap_or("us-east-1")
    }

    pub(crate) fn account_id(&self) -> &str {
        self.account_id.as_deref().unwrap_or("123456789012")
    }

    pub(crate) fn start_delay(&self) -> f64 {
        self.task_start_delay_seconds.unwrap_or(10.0).max(0.001)
    }

    pub(crate) fn start_jitter(&self) -> f64 {
        self.task_start_jitter.unwrap_or(0.5).clamp(0.0, 10.0)
    }

    pub(crate) fn stop_delay(&self) -> f64 {
        self.task_stop_delay_seconds.unwrap_or(2.0).max(0.001)
    }

    /// The world file's seed of cluster `name`, if it has one.
    pub(crate) fn cluster_seed(&self, name: &str) -> Option<&ClusterSeed> {
        self.clusters.iter().find(|c| c.name() == name)
    }

    /// The failure rule for a task with these container images, if any.
    pub(crate) fn failure_for<'a>(
        &self,
        family: &str,
        images: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Option<&FailureRule> {
        self.failures.iter().find(|rule| {
            rule.family.as_deref().is_none_or(|f| glob_match(f, family))
                && images
                    .clone()
                    .into_iter()
                    .any(|image| glob_match(&rule.image, image))
        })
    }
}

impl World {
    /// The container rule for the container `name` running `image` in a task of `family`.
    pub(crate) fn container_rule_for(
        &self,
        family: &str,
        name: &str,
        image: &str,
    ) -> Option<&ContainerRule> {
        self.containers.iter().find(|rule| {
            glob_match(&rule.image, image)
                && rule.name.as_deref().is_none_or(|n| glob_match(n, name))
                && rule.family.as_deref().is_none_or(|f| glob_match(f, family))
        })
    }
}

impl World {
    /// The failure rule for the hook `function` of lifecycle event `event`, if any.
    pub(crate) fn hook_failure_for(&self, event: &str, function: &str) -> Option<&HookFailureRule> {
        self.hook_failures.iter().find(|rule| {
            glob_match(&rule.function, function)
                && rule.event.as_deref().is_none_or(|e| glob_match(e, event))
        })
    }
}

impl World {
    /// The failure rule for the native ECS lifecycle hook `function` at hook stage `stage`.
    pub(crate) fn ecs_hook_failure_for(
        &self,
        stage: &str,
        function: &str,
    ) -> Option<&EcsHookFailureRule> {
        self.ecs_hook_failures.iter().find(|rule| {
            glob_match(&rule.function, function)
                && rule.stage.as_deref().is_none_or(|s| glob_match(s, stage))
        })
    }
}

/// Matches `text` against a glob with `*` (any run of characters) and `?` (one character).
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_like_a_shell() {
        assert!(glob_match("*:broken*", "repo/app:broken-1"));
        assert!(!glob_match("*:broken*", "repo/app:1.0"));
        assert!(glob_match("ecs:Describe*", "ecs:DescribeServices"));
        assert!(glob_match("a?c", "abc"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("abc", "abcd"));
    }

    #[test]
    fn minimal_world_file_parses() {
        let world = World::from_yaml_str(
            "clusters: [default, prod]\nfailures:\n  - image: \"*:broken*\"\n    exitCode: 1\n    stoppedReason: \"Essential container in task exited\"\n",
        )
        .expect("parse");
        assert_eq!(world.clusters.len(), 2);
        assert_eq!(world.clusters[1].name(), "prod");
        assert_eq!(world.failures[0].exit_code, 1);
        assert!(world.failure_for("web", ["x/app:broken"]).is_some());
    }

    #[test]
    fn hook_failures_match_function_and_event() {
        let world = World::from_yaml_str(
            "hookFailures:\n  - function: \"*:function:smoke*\"\n    event: AfterAllowTestTraffic\n",
        )
        .expect("parse");
        let smoke = "arn:aws:lambda:us-east-1:1:function:smoke-test";
        assert!(
            world
                .hook_failure_for("AfterAllowTestTraffic", smoke)
                .is_some()
        );
        assert!(world.hook_failure_for("BeforeInstall", smoke).is_none());
        assert!(
            world
                .hook_failure_for("AfterAllowTestTraffic", "other")
                .is_none()
        );
    }

    #[test]
    fn ecs_hook_failures_match_function_and_stage() {
        let world = World::from_yaml_str(
            "ecsHookFailures:\n  - {function: \"*:function:smoke*\", stage: POST_SCALE_UP, timedOut: true}\n",
        )
        .expect("parse");
        let smoke = "arn:aws:lambda:us-east-1:1:function:smoke-test";
        let rule = world.ecs_hook_failure_for("POST_SCALE_UP", smoke);
        assert!(rule.is_some_and(|r| r.timed_out));
        assert!(world.ecs_hook_failure_for("PRE_SCALE_UP", smoke).is_none());
        assert!(
            world
                .ecs_hook_failure_for("POST_SCALE_UP", "other")
                .is_none()
        );
    }

    // ELBv2 API reference, CreateTargetGroup: HealthCheckIntervalSeconds 5–300, target types;
    // a world file outside them is refused with the group's index and name.
    #[test]
    fn a_target_group_outside_aws_limits_is_refused_with_its_path() {
        let err = World::from_yaml_str(
            "targetGroups:\n  - {name: web}\n  - {name: api, healthCheck: {intervalSeconds: 3}}\n",
        )
        .expect_err("must fail");
        let text = err.to_string();
        assert!(text.contains("targetGroups[1] (`api`)"), "{text}");
        assert!(
            text.contains("healthCheck.intervalSeconds 3: between 5 and 300"),
            "{text}"
        );
        let err = World::from_yaml_str("targetGroups:\n  - {name: web, targetType: lambda}\n")
            .expect_err("must fail");
        assert!(err.to_string().contains("targetType `lambda`"), "{err}");
        let err = World::from_yaml_str("targetGroups:\n  - {name: web, healthcheck: {}}\n")
            .expect_err("must fail");
        assert!(err.to_string().contains("healthcheck"), "{err}");
    }

    #[test]
    fn unknown_world_key_is_an_error() {
        let err = World::from_yaml_str("clustres: [a]").expect_err("must fail");
        assert!(err.to_string().contains("clustres"), "{err}");
    }

    #[test]
    fn example_world_file_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("world.example.yaml");
        let world = World::from_yaml_file(&path).expect("example parses");
        assert!(!world.clusters.is_empty());
    }
}
