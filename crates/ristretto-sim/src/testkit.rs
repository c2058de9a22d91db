//! Support for the unit tests: a world built through the crate's own operation handlers, whose
//! time the tests move themselves by calling the `step` functions of the scheduler and of
//! CodeDeploy at chosen world times (no server, no clock, no waiting).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::clock::Epoch;
use crate::ecs::ServiceRecord;
use crate::error::ApiError;
use crate::state::{Ctx, State};
use crate::world::World;

/// The network configuration every `awsvpc` service needs (API_CreateService,
/// `networkConfiguration`).
pub(crate) fn network() -> Value {
    json!({"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}})
}

/// A world whose tasks start in exactly 10 world seconds and stop in exactly 2 (no jitter).
pub(crate) const WORLD: &str =
    "clusters: [default]\ntaskStartDelaySeconds: 10\ntaskStopDelaySeconds: 2\ntaskStartJitter: 0\n";

/// A simulated world and its time origin: every time below is in seconds after `t0`.
pub(crate) struct Kit {
    pub state: State,
    pub t0: Epoch,
}

impl Kit {
    pub fn new(world_yaml: &str) -> Kit {
        let world = World::from_yaml_str(world_yaml).expect("world");
        let state = State::seeded(&world);
        let t0 = state.now;
        Kit { state, t0 }
    }

    fn ctx(&self, at: f64) -> Ctx {
        Ctx {
            now: self.t0 + at,
            region: "us-east-1".to_owned(),
            account: "123456789012".to_owned(),
        }
    }

    /// Calls an operation of `service` (`ecs` or `codedeploy`) at `at`.
    pub fn try_call(
        &mut self,
        service: &str,
        op: &str,
        at: f64,
        body: Value,
    ) -> Result<Value, ApiError> {
        let ctx = self.ctx(at);
        self.state.now = ctx.now;
        let body = body.to_string().into_bytes();
        let answer = match service {
            "ecs" => crate::ecs::handle(&mut self.state, &ctx, op, &body),
            "codedeploy" => crate::codedeploy::handle(&mut self.state, &ctx, op, &body),
            _ => None,
        }
        .unwrap_or_else(|| panic!("{service}:{op} is not simulated"))?;
        Ok(serde_json::from_slice(&answer).expect("JSON answer"))
    }

    /// Calls an operation at `at` that must succeed.
    pub fn call(&mut self, service: &str, op: &str, at: f64, body: Value) -> Value {
        self.try_call(service, op, at, body)
            .unwrap_or_else(|e| panic!("{service}:{op}: {e:?}"))
    }

    /// Registers a Fargate task definition of one essential container; returns its ARN.
    pub fn register(&mut self, family: &str, image: &str) -> String {
        self.register_container(
            family,
            json!({"name": "app", "image": image, "essential": true}),
        )
    }

    /// Registers a Fargate task definition (256 CPU units, 512 MiB, awsvpc) of the one
    /// container `container`; returns its ARN.
    pub fn register_container(&mut self, family: &str, container: Value) -> String {
        self.register_definition(json!({
            "family": family,
            "containerDefinitions": [container],
            "cpu": "256",
            "memory": "512",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
        }))
    }

    /// Registers `definition` (RegisterTaskDefinition's input) at time 0; returns its ARN.
    pub fn register_definition(&mut self, definition: Value) -> String {
        let out = self.call("ecs", "RegisterTaskDefinition", 0.0, definition);
        out["taskDefinition"]["taskDefinitionArn"]
            .as_str()
            .expect("ARN")
            .to_owned()
    }

    /// One scheduler step at `at` (ECS only).
    pub fn step(&mut self, at: f64) {
        crate::ecs::scheduler::step(&mut self.state, self.t0 + at);
    }

    /// One step of the whole world at `at`: ECS, then CodeDeploy, as
    /// [`State::advance`] does at each event.
    pub fn step_all(&mut self, at: f64) {
        crate::ecs::scheduler::step(&mut self.state, self.t0 + at);
        crate::codedeploy::step(&mut self.state, self.t0 + at);
    }

    /// The service `name` of cluster `default`.
    pub fn service(&self, name: &str) -> &ServiceRecord {
        &self.state.ecs.clusters["default"].services[name]
    }

    pub fn service_mut(&mut self, name: &str) -> &mut ServiceRecord {
        self.state
            .ecs
            .clusters
            .get_mut("default")
            .and_then(|c| c.services.get_mut(name))
            .expect("service")
    }

    /// `(pending, running, stopping)` tasks of the deployment or task set `owner`.
    pub fn tasks_of(&self, service: &str, owner: &str) -> (usize, usize, usize) {
        let tasks = self
            .service(service)
            .tasks
            .values()
            .filter(|t| t.owner.as_deref() == Some(owner));
        tasks.fold((0, 0, 0), |(p, r, s), t| {
            if t.is_pending() {
                (p + 1, r, s)
            } else if t.is_running() {
                (p, r + 1, s)
            } else if !t.is_stopped() {
                (p, r, s + 1)
            } else {
                (p, r, s)
            }
        })
    }

    /// The IDs of the service's deployments, PRIMARY first.
    pub fn deployment_ids(&self, service: &str) -> Vec<String> {
        self.service(service)
            .service
            .deployments()
            .iter()
            .filter_map(|d| d.id().map(str::to_owned))
            .collect()
    }

    /// The service's event messages, oldest first.
    pub fn messages(&self, service: &str) -> Vec<String> {
        self.service(service)
            .service
            .events()
            .iter()
            .rev()
            .filter_map(|e| e.message().map(str::to_owned))
            .collect()
    }

    /// A service `web` of `desired` tasks of `web:1` (image `web:1`) with `deploymentConfiguration`
    /// `dc`, created at 0 and steady at 10. Returns the ARNs of `web:1` and of `web:2`
    /// (image `image2`).
    pub fn steady_service(&mut self, desired: i32, dc: Value, image2: &str) -> (String, String) {
        let v1 = self.register("web", "web:1");
        let v2 = self.register("web", image2);
        self.call(
            "ecs",
            "CreateService",
            0.0,
            json!({
                "serviceName": "web",
                "taskDefinition": v1,
                "desiredCount": desired,
                "launchType": "FARGATE",
                "networkConfiguration": network(),
                "deploymentConfiguration": dc,
            }),
        );
        self.step(10.0);
        (v1, v2)
    }

    /// UpdateService of `web` to `task_definition` at `at`; returns the new deployment's ID.
    pub fn update(&mut self, at: f64, task_definition: &str) -> String {
        let out = self.call(
            "ecs",
            "UpdateService",
            at,
            json!({"service": "web", "taskDefinition": task_definition}),
        );
        out["service"]["deployments"][0]["id"]
            .as_str()
            .expect("deployment ID")
            .to_owned()
    }

    /// A `CODE_DEPLOY` service `web` of 2 tasks of `web:1`, created at 0 and steady at 10.
    /// Returns the ARNs of `web:1` and `web:2`.
    pub fn code_deploy_service(&mut self) -> (String, String) {
        let v1 = self.register("web", "web:1");
        let v2 = self.register("web", "web:2");
        self.call(
            "ecs",
            "CreateService",
            0.0,
            json!({
                "serviceName": "web",
                "taskDefinition": v1,
                "desiredCount": 2,
                "networkConfiguration": network(),
                "deploymentController": {"type": "CODE_DEPLOY"},
            }),
        );
        self.step(10.0);
        (v1, v2)
    }

    /// CreateDeployment of `task_definition` to group `web-dg` at `at`, with an
    /// AfterAllowTestTraffic hook (function `smoke`); returns the deployment ID.
    pub fn create_deployment(&mut self, at: f64, task_definition: &str) -> String {
        let appspec = format!(
            "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: \"{task_definition}\"\nHooks:\n  - AfterAllowTestTraffic: arn:aws:lambda:us-east-1:123456789012:function:smoke\n"
        );
        let out = self.call(
            "codedeploy",
            "CreateDeployment",
            at,
            json!({
                "applicationName": "web",
                "deploymentGroupName": "web-dg",
                "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": appspec}},
            }),
        );
        out["deploymentId"].as_str().expect("ID").to_owned()
    }

    /// The CodeDeploy deployment `id`.
    pub fn deployment(&self, id: &str) -> &crate::codedeploy::DeploymentRecord {
        self.state
            .codedeploy
            .deployments
            .iter()
            .find(|d| d.info.deployment_id() == Some(id))
            .expect("deployment")
    }

    /// `(lifecycle event, status)` of deployment `id`'s target, in order.
    pub fn lifecycle(&self, id: &str) -> Vec<(String, String)> {
        self.deployment(id)
            .target
            .lifecycle_events()
            .iter()
            .map(|e| {
                (
                    e.lifecycle_event_name().unwrap_or_default().to_owned(),
                    e.status()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                )
            })
            .collect()
    }

    /// The traffic weight of the task set labelled `label` (`Blue`, `Green`) in deployment
    /// `id`'s target.
    pub fn weight(&self, id: &str, label: &str) -> Option<f64> {
        self.deployment(id)
            .target
            .task_sets_info()
            .iter()
            .find(|s| s.task_set_label().map(|l| l.as_str()) == Some(label))
            .map(|s| s.traffic_weight)
    }
}

/// A world with CodeDeploy application `web` and group `web-dg` (linear 10 % every minute,
/// auto-rollback, no ready wait, no termination wait) for service `web`, plus `extra` YAML.
pub(crate) fn code_deploy_world(extra: &str) -> String {
    format!(
        r#"{WORLD}codeDeploy:
  applications: [{{applicationName: web, computePlatform: ECS}}]
  deploymentGroups:
    - applicationName: web
      deploymentGroupName: web-dg
      serviceRoleArn: arn:aws:iam::123456789012:role/cd
      deploymentConfigName: CodeDeployDefault.ECSLinear10PercentEvery1Minutes
      deploymentStyle: {{deploymentType: BLUE_GREEN, deploymentOption: WITH_TRAFFIC_CONTROL}}
      autoRollbackConfiguration: {{enabled: true, events: [DEPLOYMENT_FAILURE]}}
      ecsServices: [{{clusterName: default, serviceName: web}}]
{extra}"#
    )
}
