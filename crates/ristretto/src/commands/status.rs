//! `status`: the status block of a service (what runs, its deployments or
//! task sets, auto scaling, the latest events), as text or JSON.
//!
//! [`Status::of`] and [`Status::text`] are plain functions of the described
//! service, so `deploy`, `rollback` and `wait` can print the same block.

use aws_sdk_ecs::primitives::{DateTime, DateTimeFormat as Format};
use aws_sdk_ecs::types::Service;
use serde::Serialize;

use crate::aws::Clients;
use crate::cli::{OutputFormat, StatusArgs};
use crate::commands::Context;
use crate::commands::live;
use crate::exit::Exit;
use crate::printer::Printer;
use crate::report::{CliError, bad_input};
use ristretto_core::event::short_task_definition;
use ristretto_ecs::autoscaling;

/// What `status` shows about one service.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// The service name.
    pub service: String,
    /// Its ARN.
    pub service_arn: Option<String>,
    /// The cluster name.
    pub cluster: String,
    /// `ACTIVE` or `DRAINING`.
    pub status: Option<String>,
    /// `ECS`, `CODE_DEPLOY` or `EXTERNAL`.
    pub deployment_controller: String,
    /// The service's task definition, `family:revision`.
    pub task_definition: Option<String>,
    /// Desired tasks.
    pub desired_count: i32,
    /// Running tasks.
    pub running_count: i32,
    /// Pending tasks.
    pub pending_count: i32,
    /// Deployments (ECS controller).
    pub deployments: Vec<Rollout>,
    /// Task sets (CODE_DEPLOY and EXTERNAL controllers).
    pub task_sets: Vec<Rollout>,
    /// The native (BLUE_GREEN, LINEAR, CANARY) service deployment in progress: its stage and
    /// the lifecycle hooks awaiting action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_deployment: Option<Lifecycle>,
    /// Application Auto Scaling, when the service has a scalable target.
    pub auto_scaling: Option<AutoScaling>,
    /// The latest events, oldest first.
    pub events: Vec<Event>,
}

/// A deployment or a task set.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rollout {
    /// Its ID.
    pub id: Option<String>,
    /// `PRIMARY`, `ACTIVE`, `DRAINING`, …
    pub status: String,
    /// `family:revision`.
    pub task_definition: String,
    /// Desired tasks (a task set's computed count).
    pub desired_count: i32,
    /// Pending tasks.
    pub pending_count: i32,
    /// Running tasks.
    pub running_count: i32,
    /// Deployments: `IN_PROGRESS`, `COMPLETED`, `FAILED`; task sets:
    /// `STEADY_STATE` or `STABILIZING`.
    pub state: Option<String>,
    /// Why the deployment is in that state.
    pub state_reason: Option<String>,
    /// When it was created (RFC 3339).
    pub created_at: Option<String>,
}

/// A native service deployment in progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lifecycle {
    /// Its ARN.
    pub service_deployment_arn: String,
    /// `PENDING`, `IN_PROGRESS`, `ROLLBACK_IN_PROGRESS`, …
    pub status: String,
    /// The lifecycle stage it is in.
    pub lifecycle_stage: Option<String>,
    /// Hooks awaiting action.
    pub awaiting_hooks: Vec<AwaitingHook>,
}

/// A lifecycle hook awaiting action, and the command that acts on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwaitingHook {
    /// Its ID.
    pub hook_id: String,
    /// When ECS takes the timeout action.
    pub expires_at: Option<String>,
    /// `CONTINUE` or `ROLLBACK`.
    pub timeout_action: Option<String>,
    /// The command that resumes the deployment.
    pub continue_command: String,
    /// The command that rolls it back.
    pub rollback_command: String,
}

impl Lifecycle {
    /// The lifecycle part of the status, from the service deployment `sd`; `resume` is the
    /// `continue` command of this config.
    #[must_use]
    pub fn of(sd: &aws_sdk_ecs::types::ServiceDeployment, resume: &str) -> Self {
        let hooks = ristretto_ecs::lifecycle::awaiting_hooks(sd, None);
        let count = hooks.len();
        Self {
            service_deployment_arn: sd.service_deployment_arn().unwrap_or_default().to_owned(),
            status: sd
                .status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            lifecycle_stage: sd.lifecycle_stage().map(|s| s.as_str().to_owned()),
            awaiting_hooks: hooks
                .iter()
                .map(|h| {
                    let command = ristretto_ecs::lifecycle::resume_command(resume, h, count);
                    AwaitingHook {
                        hook_id: h.hook_id.clone(),
                        expires_at: h.expires_at.clone(),
                        timeout_action: h.timeout_action.clone(),
                        rollback_command: format!("{command} --rollback"),
                        continue_command: command,
                    }
                })
                .collect(),
        }
    }
}

/// The service's scalable target.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoScaling {
    /// Minimum capacity.
    pub min_capacity: Option<i32>,
    /// Maximum capacity.
    pub max_capacity: Option<i32>,
    /// Scale-in suspended.
    pub suspended_in: bool,
    /// Scale-out suspended.
    pub suspended_out: bool,
    /// Scheduled scaling suspended.
    pub suspended_scheduled: bool,
    /// Scaling policies.
    pub policies: Vec<Policy>,
}

/// A scaling policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// Its name.
    pub name: String,
    /// `TargetTrackingScaling`, `StepScaling`, …
    #[serde(rename = "type")]
    pub kind: String,
}

/// A service event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// When (RFC 3339, UTC).
    pub created_at: Option<String>,
    /// What ECS said.
    pub message: String,
}

/// Prints the status of each config's service.
///
/// # Errors
/// No service in the config (exit 2), a service that does not exist, AWS
/// errors (exit 1).
pub async fn run(args: &StatusArgs, ctx: &Context) -> Result<Exit, CliError> {
    for (i, file) in ctx.settings.configs.iter().enumerate() {
        let config = ctx.load_config(file)?;
        let Some(name) = &config.service else {
            return Err(bad_input(
                format!("`{}` names no service", file.display()),
                Some("add `service: <name>` to the config"),
            ));
        };
        let clients = ctx.clients(&config).await;
        let service = live::require_service(&clients, &ctx.printer, &config.cluster, name).await?;
        let scaling = auto_scaling(&clients, &ctx.printer, &config.cluster, name).await;
        let mut status = Status::of(&service, &config.cluster, scaling, args.events);
        status.service_deployment =
            service_deployment(ctx, &clients, &config, &service, name).await;
        let tasks = tasks(&clients, &ctx.printer, &config.cluster, name).await;
        let text = match ctx.printer.output() {
            OutputFormat::Text => status.text() + &tasks_text(&tasks),
            OutputFormat::Json => {
                let mut value = serde_json::to_value(&status).unwrap_or_default();
                if let Some(obj) = value.as_object_mut() {
                    obj.insert("tasks".to_owned(), serde_json::json!(tasks));
                }
                let mut json = serde_json::to_string_pretty(&value).unwrap_or_default();
                json.push('\n');
                json
            }
        };
        if i > 0 && ctx.printer.output() == OutputFormat::Text {
            ctx.printer.data("\n");
        }
        ctx.printer.data(&text);
    }
    Ok(Exit::Success)
}

/// The native service deployment in progress, for a service with a BLUE_GREEN, LINEAR or
/// CANARY strategy (a rolling service makes no call). An error is a warning, as for auto
/// scaling.
async fn service_deployment(
    ctx: &Context,
    clients: &Clients,
    config: &ristretto_core::Config,
    service: &Service,
    name: &str,
) -> Option<Lifecycle> {
    let strategy = service
        .deployment_configuration()
        .and_then(|c| c.strategy());
    if !ristretto_ecs::lifecycle::is_native(strategy) {
        return None;
    }
    match ristretto_ecs::service_deployment::unfinished(&clients.ecs, &config.cluster, name).await {
        Ok(found) => found.map(|sd| {
            Lifecycle::of(
                &sd,
                &crate::commands::continue_::resume_command(ctx, config),
            )
        }),
        Err(e) => {
            ctx.printer.warn(&format!(
                "cannot read the service deployment in progress: {e}"
            ));
            None
        }
    }
}

/// The service's scalable target and policies; `None` when it has none.
/// An error (such as missing permission) is a warning: the rest of the
/// status is still worth showing.
pub async fn auto_scaling(
    clients: &Clients,
    printer: &Printer,
    cluster: &str,
    service: &str,
) -> Option<AutoScaling> {
    let target = match autoscaling::scalable_targets(&clients.autoscaling, cluster, service).await {
        Ok(targets) => targets.into_iter().next()?,
        Err(e) => {
            printer.warn(&format!("cannot read auto scaling: {e}"));
            return None;
        }
    };
    let policies = match autoscaling::scaling_policies(&clients.autoscaling, cluster, service).await
    {
        Ok(policies) => policies
            .into_iter()
            .map(|p| Policy {
                name: p.policy_name,
                kind: p.policy_type.as_str().to_owned(),
            })
            .collect(),
        Err(e) => {
            printer.warn(&format!("cannot read scaling policies: {e}"));
            Vec::new()
        }
    };
    let suspended = target.suspended_state();
    Some(AutoScaling {
        min_capacity: Some(target.min_capacity),
        max_capacity: Some(target.max_capacity),
        suspended_in: suspended
            .and_then(|s| s.dynamic_scaling_in_suspended)
            .unwrap_or(false),
        suspended_out: suspended
            .and_then(|s| s.dynamic_scaling_out_suspended)
            .unwrap_or(false),
        suspended_scheduled: suspended
            .and_then(|s| s.scheduled_scaling_suspended)
            .unwrap_or(false),
        policies,
    })
}

/// One task of the service as `status` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskLine {
    /// The task ID.
    pub id: String,
    /// `PROVISIONING`, `PENDING`, `RUNNING`, …
    pub last_status: String,
    /// `family:revision`.
    pub task_definition: String,
    /// Its capacity provider, when it was started through a capacity provider strategy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_provider: Option<String>,
    /// `FARGATE`, `EC2`, … (what the text shows when there is no capacity provider).
    pub launch_type: Option<String>,
}

/// The service's tasks not stopped, oldest first; an error is a warning (the rest of the
/// status is still worth showing).
async fn tasks(
    clients: &Clients,
    printer: &Printer,
    cluster: &str,
    service: &str,
) -> Vec<TaskLine> {
    match ristretto_ecs::tasks::service_tasks(&clients.ecs, cluster, service).await {
        Ok(tasks) => tasks
            .iter()
            .map(|t| TaskLine {
                id: short_name(t.task_arn().unwrap_or_default()).to_owned(),
                last_status: t.last_status().unwrap_or("-").to_owned(),
                task_definition: short_task_definition(t.task_definition_arn().unwrap_or_default())
                    .to_owned(),
                capacity_provider: t.capacity_provider_name().map(str::to_owned),
                launch_type: t.launch_type().map(|l| l.as_str().to_owned()),
            })
            .collect(),
        Err(e) => {
            printer.warn(&format!("cannot list the service's tasks: {e}"));
            Vec::new()
        }
    }
}

/// The `Tasks:` block of the text status (nothing when the service runs no task).
fn tasks_text(tasks: &[TaskLine]) -> String {
    if tasks.is_empty() {
        return String::new();
    }
    let mut out = "Tasks:\n".to_owned();
    for t in tasks {
        // Where it runs: the capacity provider, else the launch type
        // (`ristretto_ecs::tasks::placement`).
        let place = t
            .capacity_provider
            .as_deref()
            .or(t.launch_type.as_deref())
            .unwrap_or("-");
        out.push_str(&format!(
            "  {} {} {} {place}\n",
            t.id, t.last_status, t.task_definition
        ));
    }
    out
}

fn rfc3339(t: Option<&DateTime>) -> Option<String> {
    // Whole seconds: events are read by people, and sub-seconds are noise.
    t.and_then(|t| DateTime::from_secs(t.secs()).fmt(Format::DateTime).ok())
}

impl Status {
    /// The status of `service` with its last `events` events.
    #[must_use]
    pub fn of(
        service: &Service,
        cluster: &str,
        auto_scaling: Option<AutoScaling>,
        events: usize,
    ) -> Self {
        let deployments = service
            .deployments()
            .iter()
            .map(|d| Rollout {
                id: d.id.clone(),
                status: d.status().unwrap_or_default().to_owned(),
                task_definition: short_task_definition(d.task_definition().unwrap_or_default())
                    .to_owned(),
                desired_count: d.desired_count,
                pending_count: d.pending_count,
                running_count: d.running_count,
                state: d.rollout_state().map(|s| s.as_str().to_owned()),
                state_reason: d.rollout_state_reason.clone(),
                created_at: rfc3339(d.created_at()),
            })
            .collect();
        let task_sets = service
            .task_sets()
            .iter()
            .map(|t| Rollout {
                id: t.id.clone(),
                status: t.status().unwrap_or_default().to_owned(),
                task_definition: short_task_definition(t.task_definition().unwrap_or_default())
                    .to_owned(),
                desired_count: t.computed_desired_count,
                pending_count: t.pending_count,
                running_count: t.running_count,
                state: t.stability_status().map(|s| s.as_str().to_owned()),
                state_reason: None,
                created_at: rfc3339(t.created_at()),
            })
            .collect();
        // ECS lists events newest first; reversed, events of the same second
        // keep the order they happened in.
        let mut all_events: Vec<_> = service.events().iter().rev().collect();
        all_events.sort_by_key(|e| e.created_at().map(|t| (t.secs(), t.subsec_nanos())));
        let skip = all_events.len().saturating_sub(events);
        let events = all_events
            .into_iter()
            .skip(skip)
            .map(|e| Event {
                created_at: rfc3339(e.created_at()),
                message: e.message().unwrap_or_default().to_owned(),
            })
            .collect();
        Self {
            service: service.service_name().unwrap_or_default().to_owned(),
            service_arn: service.service_arn.clone(),
            cluster: service.cluster_arn().map_or(cluster, short_name).to_owned(),
            status: service.status.clone(),
            deployment_controller: service
                .deployment_controller()
                .map_or("ECS", |c| c.r#type().as_str())
                .to_owned(),
            task_definition: service
                .task_definition()
                .map(|t| short_task_definition(t).to_owned()),
            desired_count: service.desired_count,
            running_count: service.running_count,
            pending_count: service.pending_count,
            deployments,
            task_sets,
            service_deployment: None,
            auto_scaling,
            events,
        }
    }

    /// The status block as text.
    #[must_use]
    pub fn text(&self) -> String {
        let mut out = format!(
            "Service: {}\nCluster: {}\nTaskDefinition: {}\n",
            self.service,
            self.cluster,
            self.task_definition.as_deref().unwrap_or("-")
        );
        if !self.deployments.is_empty() {
            out.push_str("Deployments:\n");
            for d in &self.deployments {
                out.push_str(&format!(
                    "  {:>8} {} desired:{} pending:{} running:{} {}",
                    d.status,
                    d.task_definition,
                    d.desired_count,
                    d.pending_count,
                    d.running_count,
                    d.state.as_deref().unwrap_or_default()
                ));
                if let Some(reason) = d.state_reason.as_deref().filter(|r| !r.is_empty()) {
                    out.push_str(&format!("({reason})"));
                }
                out.push('\n');
            }
        }
        if let Some(sd) = &self.service_deployment {
            out.push_str(&format!(
                "ServiceDeployment: {} {}{}\n",
                ristretto_ecs::lifecycle::short_id(&sd.service_deployment_arn),
                sd.status,
                sd.lifecycle_stage
                    .as_deref()
                    .map_or_else(String::new, |s| format!(" stage:{s}"))
            ));
            for h in &sd.awaiting_hooks {
                let timeout = match (&h.expires_at, &h.timeout_action) {
                    (Some(at), Some(action)) => format!(" ({action} at {at})"),
                    (Some(at), None) => format!(" (times out at {at})"),
                    _ => String::new(),
                };
                out.push_str(&format!(
                    "  paused: lifecycle hook {} awaits action{timeout}\n    continue: {}\n    roll back: {}\n",
                    h.hook_id, h.continue_command, h.rollback_command
                ));
            }
        }
        if !self.task_sets.is_empty() {
            out.push_str("TaskSets:\n");
            for t in &self.task_sets {
                out.push_str(&format!(
                    "  {:>8} {} desired:{} pending:{} running:{} {}\n",
                    t.status,
                    t.task_definition,
                    t.desired_count,
                    t.pending_count,
                    t.running_count,
                    t.state.as_deref().unwrap_or_default()
                ));
            }
        }
        if let Some(a) = &self.auto_scaling {
            let n = |v: Option<i32>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
            out.push_str(&format!(
                "AutoScaling:\n  Capacity min:{} max:{}\n  Suspended in:{} out:{} scheduled:{}\n",
                n(a.min_capacity),
                n(a.max_capacity),
                a.suspended_in,
                a.suspended_out,
                a.suspended_scheduled
            ));
            for p in &a.policies {
                out.push_str(&format!("  Policy name:{} type:{}\n", p.name, p.kind));
            }
        }
        if !self.events.is_empty() {
            out.push_str("Events:\n");
            for e in &self.events {
                out.push_str(&format!(
                    "{} {}\n",
                    e.created_at.as_deref().unwrap_or("-"),
                    e.message
                ));
            }
        }
        out
    }
}

fn short_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{
        Deployment, DeploymentRolloutState, ServiceEvent, StabilityStatus, TaskSet,
    };

    use super::*;

    fn service() -> Service {
        Service::builder()
            .service_name("web")
            .cluster_arn("arn:aws:ecs:us-east-1:123456789012:cluster/prod")
            .task_definition("arn:aws:ecs:us-east-1:123456789012:task-definition/web:3")
            .deployments(
                Deployment::builder()
                    .status("PRIMARY")
                    .task_definition("arn:aws:ecs:us-east-1:123456789012:task-definition/web:3")
                    .desired_count(2)
                    .running_count(1)
                    .pending_count(1)
                    .rollout_state(DeploymentRolloutState::InProgress)
                    .rollout_state_reason("ECS deployment ecs-svc/1 in progress.")
                    .build(),
            )
            .events(
                ServiceEvent::builder()
                    .created_at(DateTime::from_secs(1_700_000_100))
                    .message("(service web) has reached a steady state.")
                    .build(),
            )
            .events(
                ServiceEvent::builder()
                    .created_at(DateTime::from_secs(1_700_000_000))
                    .message("(service web) has started 1 tasks: (task 1).")
                    .build(),
            )
            .events(
                ServiceEvent::builder()
                    .created_at(DateTime::from_secs(1_699_999_000))
                    .message("(service web) old news.")
                    .build(),
            )
            .build()
    }

    #[test]
    fn the_status_block_shows_the_last_events_oldest_first() {
        let scaling = AutoScaling {
            min_capacity: Some(1),
            max_capacity: Some(4),
            suspended_in: false,
            suspended_out: true,
            suspended_scheduled: false,
            policies: vec![Policy {
                name: "cpu".to_owned(),
                kind: "TargetTrackingScaling".to_owned(),
            }],
        };
        let status = Status::of(&service(), "ignored", Some(scaling), 2);
        assert_eq!(
            status.text(),
            "Service: web
Cluster: prod
TaskDefinition: web:3
Deployments:
   PRIMARY web:3 desired:2 pending:1 running:1 IN_PROGRESS(ECS deployment ecs-svc/1 in progress.)
AutoScaling:
  Capacity min:1 max:4
  Suspended in:false out:true scheduled:false
  Policy name:cpu type:TargetTrackingScaling
Events:
2023-11-14T22:13:20Z (service web) has started 1 tasks: (task 1).
2023-11-14T22:15:00Z (service web) has reached a steady state.
"
        );
    }

    #[test]
    fn task_sets_show_their_stability() {
        let service = Service::builder()
            .service_name("web")
            .task_sets(
                TaskSet::builder()
                    .status("PRIMARY")
                    .task_definition("arn:aws:ecs:us-east-1:1:task-definition/web:2")
                    .computed_desired_count(2)
                    .running_count(2)
                    .stability_status(StabilityStatus::SteadyState)
                    .build(),
            )
            .build();
        let text = Status::of(&service, "default", None, 10).text();
        assert!(
            text.contains(
                "TaskSets:\n   PRIMARY web:2 desired:2 pending:0 running:2 STEADY_STATE\n"
            ),
            "{text}"
        );
        assert!(text.starts_with("Service: web\nCluster: default\n"));
    }

    // `status` of a paused native deployment: its stage, the hook awaiting action, when ECS
    // acts on its own, and the commands that continue or roll it back.
    #[test]
    fn a_paused_service_deployment_shows_its_stage_hook_and_commands() {
        use aws_sdk_ecs::types::{
            DeploymentLifecycleHookAction, DeploymentLifecycleHookDetail,
            DeploymentLifecycleHookStatus, DeploymentLifecycleHookTargetType, ServiceDeployment,
            ServiceDeploymentLifecycleStage, ServiceDeploymentStatus,
        };
        let sd = ServiceDeployment::builder()
            .service_deployment_arn("arn:aws:ecs:us-east-1:1:service-deployment/prod/web/SD1")
            .status(ServiceDeploymentStatus::InProgress)
            .lifecycle_stage(ServiceDeploymentLifecycleStage::PostTestTrafficShift)
            .lifecycle_hook_details(
                DeploymentLifecycleHookDetail::builder()
                    .hook_id("h1")
                    .target_type(DeploymentLifecycleHookTargetType::Pause)
                    .status(DeploymentLifecycleHookStatus::AwaitingAction)
                    .expires_at(DateTime::from_secs(1_700_086_400))
                    .timeout_action(DeploymentLifecycleHookAction::Rollback)
                    .build(),
            )
            .build();
        let mut status = Status::of(&service(), "prod", None, 0);
        status.service_deployment = Some(Lifecycle::of(&sd, "ristretto --config c.yaml continue"));
        let text = status.text();
        assert!(
            text.contains(
                "ServiceDeployment: SD1 IN_PROGRESS stage:POST_TEST_TRAFFIC_SHIFT
  paused: lifecycle hook h1 awaits action (ROLLBACK at 2023-11-15T22:13:20Z)
    continue: ristretto --config c.yaml continue
    roll back: ristretto --config c.yaml continue --rollback
"
            ),
            "{text}"
        );
        let json = serde_json::to_value(&status).expect("json");
        assert_eq!(
            json["serviceDeployment"]["awaitingHooks"][0]["continueCommand"],
            "ristretto --config c.yaml continue"
        );
        assert_eq!(
            json["serviceDeployment"]["lifecycleStage"],
            "POST_TEST_TRAFFIC_SHIFT"
        );
        let rolling = serde_json::to_value(Status::of(&service(), "prod", None, 0)).expect("json");
        assert!(
            rolling.get("serviceDeployment").is_none(),
            "absent for rolling services"
        );
    }
}
